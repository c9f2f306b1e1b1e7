/* qwikvirt: ports on DPDK ethdevs — a PCI NIC or VF by address, or any vdev devargs string
 * (net_pcap, net_ring, net_tap, net_null, net_virtio_user...), hot-plugged at run time. */
#ifndef QV_ETHDEV_PORT_H
#define QV_ETHDEV_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "qv/port.h"

/* Slow path: probes the device, configures nrxq/ntxq queues on its NUMA node's pool and starts
 * it. Returns NULL with a message in err (naming the device and the DPDK error) on failure,
 * leaving nothing probed behind. */
struct qv_port *qv_ethdev_port_open(const char *name, const char *devargs, uint16_t nrxq,
                                    uint16_t ntxq, char *err, size_t errlen);

#endif
