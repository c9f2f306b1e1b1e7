/* qwikvirt: a Linux netdev's link for the kernel-facing ports: its carrier read now (sysfs),
 * and each change as the kernel announces it (rtnetlink), so that none is missed between polls. */
#ifndef QV_NETDEV_LINK_H
#define QV_NETDEV_LINK_H

#include <stdbool.h>
#include <stddef.h>

/* The netdev is up with carrier (/sys/class/net/IF/carrier reads 1; it cannot be read at
 * all while the interface is administratively down). */
bool qv_netdev_carrier(const char *iface);

/* Called for every link message about the netdev, in the kernel's order (several may repeat
 * one state), with what it says: "qvv2 set down", "qvv2 has no carrier"... */
typedef void qv_netdev_link_fn(void *arg, bool up, const char *why);

struct qv_netdev_watch;

/* Watches iface's link on an rtnetlink socket served by the EAL interrupt thread (as device
 * interrupts are). NULL with a message in err naming the netdev when it cannot. */
struct qv_netdev_watch *qv_netdev_watch_start(const char *iface, qv_netdev_link_fn *fn, void *arg,
                                              char *err, size_t errlen);

/* Stops watching; once it returns the callback is not running and will not run. NULL: none. */
void qv_netdev_watch_stop(struct qv_netdev_watch *w);

#endif
