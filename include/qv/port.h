/* qwikvirt: the port vtable. pmd-glue/ (ethdev: PCI, VF, vdev) and vhost/ (rte_vhost) implement
 * it; the dataplane moves packets through it and never asks which kind of port it holds. */
#ifndef QV_PORT_H
#define QV_PORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "qv/rule.h"

#define QV_MAX_QUEUES 8

struct qv_port;
struct qv_capture_set;

struct qv_port_ops {
	/* Fast path. Like rte_eth_rx_burst / rte_eth_tx_burst: tx takes ownership of the packets
	 * it reports sent; the caller keeps (and frees or counts) the rest. */
	uint16_t (*rx_burst)(struct qv_port *p, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	uint16_t (*tx_burst)(struct qv_port *p, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	/* Slow path. Optional second step of opening, run once the switch gave the port its index
	 * (from then on device events may arrive). NULL when opening did everything. */
	int (*start)(struct qv_port *p, char *err, size_t errlen);
	bool (*link_up)(struct qv_port *p);
	/* Releases the device; called once no PMD can touch the port any more. */
	void (*close)(struct qv_port *p);
	const char *kind; /* "vhost" or "dpdk" */
};

enum qv_port_default {
	QV_PORT_DEFAULT_DROP = 0, /* a packet no rule matches is dropped (no-match) */
	QV_PORT_DEFAULT_L2,       /* ... or switched by MAC learning among the l2 ports */
};

struct qv_port {
	const struct qv_port_ops *ops;
	char name[QV_PORT_NAME_MAX];
	uint16_t index; /* slot in the switch's port table; stored in flow keys */
	int numa;       /* NUMA node of the device (or of the guest memory for vhost), -1 unknown */
	uint16_t n_rxq, n_txq;
	char where[256]; /* vhost socket path, or ethdev devargs */
	bool client;     /* vhost: the switch is the vhost-user client */

	/* Read by PMDs, written by the control thread. */
	_Atomic uint8_t default_action; /* enum qv_port_default */
	_Atomic bool admin_up;          /* false: not polled, output counted as port-down */
	/* Written by the port implementation: false while packets cannot be sent (no guest). */
	_Atomic bool up;

	/* Debugging hooks, NULL/0 when off (one load and one branch per burst):
	 * captures of this port (RCU-published), and packets left to trace on rx. */
	_Atomic(struct qv_capture_set *) capture;
	_Atomic uint32_t trace_left;

	/* Set when more PMDs than tx queues share the port: PMD i uses queue i % n_txq. */
	bool tx_shared;
	rte_spinlock_t tx_lock[QV_MAX_QUEUES];
};

/* Fast path: send through the port's tx queue for this PMD, taking the queue lock when the
 * queue is shared between PMDs (as OVS does for vhost virtqueues). */
static inline uint16_t qv_port_tx(struct qv_port *p, uint16_t pmd_index, struct rte_mbuf **pkts,
                                  uint16_t n)
{
	uint16_t q = pmd_index % p->n_txq;
	uint16_t sent;

	if (!p->tx_shared)
		return p->ops->tx_burst(p, q, pkts, n);
	rte_spinlock_lock(&p->tx_lock[q]);
	sent = p->ops->tx_burst(p, q, pkts, n);
	rte_spinlock_unlock(&p->tx_lock[q]);
	return sent;
}

#endif
