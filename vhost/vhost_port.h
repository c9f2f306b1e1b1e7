/* qwikvirt: vhost-user ports on rte_vhost (enqueue/dequeue directly, as OVS does), as server or
 * as reconnecting client; the port is up while a guest's device is ready, down otherwise. */
#ifndef QV_VHOST_PORT_H
#define QV_VHOST_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qv/port.h"

/* Called (from rte_vhost's event thread) after a device went away and before its vid is
 * forgotten: the switch waits there until no PMD can still be using the vid (RCU grace
 * period). Set once at start-up. */
extern void (*qv_vhost_quiesce)(void);

/* Slow path: registers the socket (server: creates it, removing a stale socket file first;
 * client: connects, and reconnects whenever the peer restarts). NULL with err on failure. */
struct qv_port *qv_vhost_port_open(const char *name, const char *path, bool client, uint16_t queues,
                                   char *err, size_t errlen);

#endif
