/* qwikvirt: ports on DPDK ethdevs — a PCI NIC or VF by address, or any vdev devargs string
 * (net_pcap, net_ring, net_tap, net_null, net_virtio_user...), hot-plugged at run time. */
#ifndef QV_ETHDEV_PORT_H
#define QV_ETHDEV_PORT_H

#include "qv/port.h"

/* The "dpdk" port class: port.add takes devargs, rxq and txq (and the generic mtu). Opening
 * probes the device, configures its queues (RSS over several rx queues, scatter or jumbo
 * buffers for an MTU over 2 KiB frames) on its NUMA node's pool and starts it; on failure the
 * message names the device, the limit it has and the DPDK error, and nothing probed is left
 * behind. The link state follows the device (interrupt where it has one, polled otherwise). */
extern const struct qv_port_class qv_ethdev_port_class;

/* What a class built on the ethdev one (kernel_port.c) knows of its device. */
struct qv_ethdev_opts {
	const char *iface; /* Linux netdev whose carrier is part of the link (af_packet does
	                      not see it), or NULL */
	bool self_spread;  /* spreads frames over its rx queues without RSS offloads (fanout) */
	uint16_t max_mtu;  /* the MTU it really carries when dev_info says less (af_packet: its
	                      ring frames), 0: dev_info's */
	uint32_t rx_room;  /* the data room it needs in every rx buffer whatever the MTU
	                      (af_packet: a ring frame), 0: none */
	uint16_t rx_desc;  /* rx ring size, 0: the default (1024) */
};

/* Opens devargs as a port of class cls. */
struct qv_port *qv_ethdev_open_as(const struct qv_port_config *cfg, const char *devargs,
                                  const struct qv_ethdev_opts *opts,
                                  const struct qv_port_class *cls, char *err, size_t errlen);

/* The ethdev class's hooks, for those classes to reuse. */
unsigned qv_ethdev_describe(const struct qv_port *p, struct qv_port_field *out);
int qv_ethdev_set(struct qv_port *p, const struct qv_port_config *cfg, char *err, size_t errlen);
int qv_ethdev_set_mtu(struct qv_port *p, uint16_t mtu, char *err, size_t errlen);

#endif
