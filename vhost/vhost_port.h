/* qwikvirt: vhost-user ports on rte_vhost (enqueue/dequeue directly, as OVS does), as server or
 * as reconnecting client; the port is up while a guest's device is ready, down otherwise. */
#ifndef QV_VHOST_PORT_H
#define QV_VHOST_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qv/port.h"

/* Called from destroy_device (on rte_vhost's event thread, or on the thread that closes the
 * port) once the device is unpublished (vid cleared, port down) and before rte_vhost frees it:
 * the switch waits there, with no deadline, until no PMD can still be inside rte_vhost with
 * that vid (an RCU grace period). Set once at start-up. */
extern void (*qv_vhost_quiesce)(void);

/* The "vhost" port class: port.add takes path (the socket), client (the switch connects, and
 * reconnects whenever the peer restarts; otherwise it creates the socket, removing a stale
 * socket file first) and queues. */
extern const struct qv_port_class qv_vhost_port_class;

#endif
