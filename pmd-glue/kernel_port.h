/* qwikvirt: port classes on Linux netdevs, thin classes over the ethdev one: port.add takes
 * "iface" (the netdev) and "queues"; af_packet and af_xdp need the netdev to exist. */
#ifndef QV_KERNEL_PORT_H
#define QV_KERNEL_PORT_H

#include "qv/port.h"

extern const struct qv_port_class qv_af_packet_port_class;
extern const struct qv_port_class qv_af_xdp_port_class;
/* A tap named iface, created by the port and removed with it. */
extern const struct qv_port_class qv_vhost_kernel_port_class;

#endif
