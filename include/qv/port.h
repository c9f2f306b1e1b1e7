/* qwikvirt: the port vtable and the port classes. pmd-glue/ (ethdev: PCI, VF, vdev) and vhost/
 * (rte_vhost) each register a class; the dataplane moves packets through the vtable and asks
 * the class, never a type string, what a port of that kind takes and how it reads. */
#ifndef QV_PORT_H
#define QV_PORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "qv/limits.h"
#include "qv/rule.h"

#define QV_MAX_QUEUES QV_LIMIT_QUEUES

struct qv_port;
struct qv_capture_set;

/* What a device counts itself, outside the switch's own counters (rte_eth_stats). */
struct qv_nic_counters {
	uint64_t imissed;   /* frames the device dropped: its rx ring was full */
	uint64_t rx_nombuf; /* frames the device dropped: no mbuf to receive into */
	uint64_t ierrors;   /* frames received in error */
	uint64_t oerrors;   /* frames the device failed to send */
};

/* One extended counter of a device (rte_eth_xstats), by the driver's name. */
struct qv_port_xstat {
	char name[64];
	uint64_t value;
};

/* The MTU (L3 bytes, as Linux's) of a port nobody set one for. */
#define QV_PORT_DEFAULT_MTU 1500u
/* The largest MTU any port takes: a frame of it with two VLAN tags is 9216 B. */
#define QV_PORT_MAX_MTU ((unsigned)QV_LIMIT_MTU)

/* Who owns an mbuf, across every port kind:
 * - rx_burst hands the caller the n mbufs it returns; from then on they are the caller's.
 * - tx_burst takes ownership of the first `sent` mbufs it reports sent (it frees them once
 *   copied, as vhost does, or once the NIC is done, as ethdevs do); the caller keeps the rest
 *   and must free or count them.
 * - An mbuf given to tx may be shared with other outputs by reference count: a port must not
 *   modify its data, and releases it with rte_pktmbuf_free (one reference), never by hand. */
struct qv_port_ops {
	/* Fast path. */
	uint16_t (*rx_burst)(struct qv_port *p, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	uint16_t (*tx_burst)(struct qv_port *p, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	/* Slow path. Optional second step of opening, run once the switch gave the port its index
	 * (from then on device events may arrive). NULL when opening did everything. */
	int (*start)(struct qv_port *p, char *err, size_t errlen);
	/* Releases the device; called once no PMD can touch the port any more. */
	void (*close)(struct qv_port *p);
	/* Slow path, optional: called regularly by the control loop (every 200 ms or so) to
	 * poll what the device has no interrupt for, such as its link state. */
	void (*tick)(struct qv_port *p);
	/* Slow path, optional: the counters the device keeps itself; -1 when it has none. */
	int (*nic_counters)(struct qv_port *p, struct qv_nic_counters *out);
	/* Slow path, optional: up to max of the device's non-zero extended counters; returns
	 * how many. */
	unsigned (*xstats)(struct qv_port *p, struct qv_port_xstat *out, unsigned max);
	/* Optional, called by the PMD polling rx queue `queue` when rx_burst returned nothing:
	 * how many packets wait in that queue which a burst of n could not take for want of
	 * mbufs (0 when the pool could have served it; the cheap check comes first). For ports
	 * whose rx allocates from the switch's pool itself (vhost); NICs count rx_nombuf. */
	uint32_t (*rx_nombuf)(struct qv_port *p, uint16_t queue, uint16_t n);
};

enum qv_port_default {
	QV_PORT_DEFAULT_DROP = 0, /* a packet no rule matches is dropped (no-match) */
	QV_PORT_DEFAULT_L2,       /* ... or switched by MAC learning among the l2 ports */
};

/* ---- port classes: one per kind, registered in dataplane/port_classes.c ---- */

/* Every kind of port the switch can open, in the order port.add lists them. */
enum qv_port_kind {
	QV_PORT_KIND_VHOST,
	QV_PORT_KIND_DPDK,
	QV_PORT_KIND_AF_PACKET,    /* a Linux netdev through AF_PACKET sockets (pmd-glue) */
	QV_PORT_KIND_AF_XDP,       /* a Linux netdev through AF_XDP sockets (pmd-glue) */
	QV_PORT_KIND_VHOST_KERNEL, /* a tap the switch creates: virtio-user on vhost-net */
	QV_PORT_KIND_MAX
};

/* One port.add parameter a class takes besides name, type, default and admin. */
enum qv_port_arg_type {
	QV_PORT_ARG_STR,    /* a string: qv_port_config.str[i] */
	QV_PORT_ARG_BOOL,   /* true/false: qv_port_config.flag[i] */
	QV_PORT_ARG_QUEUES, /* 1..QV_MAX_QUEUES: rxq and txq */
	QV_PORT_ARG_RXQ,    /* 1..QV_MAX_QUEUES: rxq */
	QV_PORT_ARG_TXQ,    /* 1..QV_MAX_QUEUES: txq */
};

struct qv_port_arg {
	const char *key;
	enum qv_port_arg_type type;
	bool required;
	bool on_by_default; /* QV_PORT_ARG_BOOL: the flag when the request leaves it out */
};

#define QV_PORT_MAX_ARGS 8

/* What a class's open gets: the generic settings, its own arguments (by their position in
 * the class's args table; NULL / false when not given), and what the switch lends it. */
struct qv_port_config {
	const char *name;
	uint16_t rxq, txq; /* 1 unless a QUEUES/RXQ/TXQ argument said otherwise */
	const char *str[QV_PORT_MAX_ARGS];
	bool flag[QV_PORT_MAX_ARGS];
	/* The switch's mbuf pool for a NUMA node (-1: the calling thread's node), so that ports
	 * need not know where pools live. NULL with a message in err when none can be made. */
	struct rte_mempool *(*pool)(int numa, char *err, size_t errlen);
	/* The same for buffers that hold data_room bytes in one segment, for devices that
	 * cannot receive into chained mbufs. */
	struct rte_mempool *(*pool_sized)(int numa, uint32_t data_room, char *err, size_t errlen);
	/* A pool of n buffers of data_room bytes for this port alone, when the node's shared
	 * pool cannot fill the port's rx rings (as OVS sizes per-port pools from queues and
	 * descriptors); the port frees it (rte_mempool_free) once its device is closed. */
	struct rte_mempool *(*pool_private)(const char *port, int numa, unsigned n,
	                                    uint32_t data_room, char *err, size_t errlen);
	/* Gives back a pool from pool_private: freed once every buffer is back in it (some may
	 * still sit in another port's tx ring). */
	void (*pool_retire)(struct rte_mempool *mp);
	/* port.add "mtu": 0 when not given (the class's default, QV_PORT_DEFAULT_MTU). */
	uint16_t mtu;
	/* Called by the port at each change of its `up` it sees, from the thread that sees it
	 * (a device interrupt, rte_vhost's, the control loop's poll), with the reason: the
	 * switch logs it and keeps its time. Takes no lock of the switch's. NULL: none. */
	void (*link_event)(struct qv_port *p, bool up, const char *reason);
};

/* One kind-specific field of a port.list entry. */
struct qv_port_field {
	const char *key;
	enum { QV_PORT_FIELD_STR, QV_PORT_FIELD_BOOL, QV_PORT_FIELD_UINT } type;
	const char *str;
	bool flag;
	uint64_t num;
};

#define QV_PORT_MAX_FIELDS 10

/* One queue pair as the port's device sees it (port.list "queues"): whether the peer enabled
 * each direction, and the device's own counters per direction. */
#define QV_PORT_MAX_QSTATS 24
struct qv_port_queue {
	bool rx_enabled, tx_enabled;
	unsigned n_rx, n_tx;
	struct {
		const char *name;
		uint64_t value;
	} rx[QV_PORT_MAX_QSTATS], tx[QV_PORT_MAX_QSTATS];
};

struct qv_port_class {
	enum qv_port_kind kind;
	const char *name; /* port.add "type" and port.list "type" */
	const struct qv_port_arg *args;
	uint8_t n_args;
	/* Slow path: opens a port (not yet visible to PMDs). NULL with a message in err naming
	 * the port and what to do. */
	struct qv_port *(*open)(const struct qv_port_config *cfg, char *err, size_t errlen);
	/* The kind's own fields of port.list (up to QV_PORT_MAX_FIELDS); returns how many. */
	unsigned (*describe)(const struct qv_port *p, struct qv_port_field *out);
	/* port.set of the class's own settings (set_args, like args); NULL: none. */
	const struct qv_port_arg *set_args;
	uint8_t n_set_args;
	int (*set)(struct qv_port *p, const struct qv_port_config *cfg, char *err, size_t errlen);
	/* Whether opening cfg would clash with port `other` of the same class (same socket...);
	 * -1 with a message in err if so. NULL: the device's own open finds clashes. */
	int (*conflicts)(const struct qv_port *other, const struct qv_port_config *cfg, char *err,
	                 size_t errlen);
	/* port.set "mtu" on a running port: checks it against the device's limits (the message
	 * names them) and applies it, or changes nothing. NULL: the switch only records it (the
	 * peer, e.g. a guest, is told its MTU another way). */
	int (*set_mtu)(struct qv_port *p, uint16_t mtu, char *err, size_t errlen);
	/* Optional, slow path: queue pair q's state and counters; false when the port has no
	 * device to ask now (no guest). NULL: the kind has none. */
	bool (*queue)(struct qv_port *p, uint16_t q, struct qv_port_queue *out);
};

struct qv_port {
	const struct qv_port_ops *ops;
	const struct qv_port_class *cls;
	char name[QV_PORT_NAME_MAX];
	uint16_t index; /* slot in the switch's port table; stored in flow keys */
	int numa;       /* NUMA node of the device (or of the guest memory for vhost), -1 unknown */
	uint16_t n_rxq, n_txq;

	/* Read by PMDs, written by the control thread. */
	_Atomic uint8_t default_action; /* enum qv_port_default */
	_Atomic bool admin_up;          /* false: not polled, output counted as port-down */
	/* Written by the port implementation: false while packets cannot be sent (no guest,
	 * link down). */
	_Atomic bool up;
	/* CLOCK_REALTIME nanoseconds of the last change of `up` seen by the port (0: none
	 * since it opened); written by the port, read by port.list. */
	_Atomic uint64_t link_changed_ns;
	/* The largest L3 payload the port sends (MTU); a longer frame is dropped as
	 * mtu-exceeded on output. Written by the control thread (relaxed), read by PMDs. */
	_Atomic uint16_t mtu;

	/* Debugging hooks, NULL/0 when off (one load and one branch per burst):
	 * captures of this port (RCU-published), and packets left to trace on rx. */
	_Atomic(struct qv_capture_set *) capture;
	_Atomic uint32_t trace_left;

	/* Control thread only: left out of the poll lists while a live edit reconfigures it. */
	bool unpolled;

	/* Set when more PMDs than tx queues share the port: PMD i uses queue i % n_txq. */
	bool tx_shared;
	rte_spinlock_t tx_lock[QV_MAX_QUEUES];
};

/* Fast path: poll rx queue `queue` of the port (each rx queue is polled by one PMD only). */
static inline uint16_t qv_port_rx(struct qv_port *p, uint16_t queue, struct rte_mbuf **pkts,
                                  uint16_t n)
{
	return p->ops->rx_burst(p, queue, pkts, n);
}

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
