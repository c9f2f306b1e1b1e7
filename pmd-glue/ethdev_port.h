/* qwikvirt: ports on DPDK ethdevs — a PCI NIC or VF by address, or any vdev devargs string
 * (net_pcap, net_ring, net_tap, net_null, net_virtio_user...), hot-plugged at run time. */
#ifndef QV_ETHDEV_PORT_H
#define QV_ETHDEV_PORT_H

#include "qv/port.h"

/* The "dpdk" port class: port.add takes devargs, rxq and txq. Opening probes the device,
 * configures its queues on its NUMA node's pool and starts it; on failure the message names
 * the device and the DPDK error, and nothing probed is left behind. */
extern const struct qv_port_class qv_ethdev_port_class;

#endif
