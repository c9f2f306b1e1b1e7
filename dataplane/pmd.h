/* qwikvirt: a PMD thread's own state (counters, exact-match cache, tx buffers, trace records)
 * and the fast-path entry points; what it reads of the control side is tabled below. */
#ifndef QV_PMD_H
#define QV_PMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "dataplane/emc.h"
#include "qv/drop_reason.h"
#include "qv/port.h"
#include "qv/rule.h"

/* PMD i runs on EAL lcore i + 1 (lcore 0 is the control thread's): as many as DPDK has. */
#define QV_MAX_PMDS (RTE_MAX_LCORE - 1)
#define QV_BURST 32
/* Outputs a PMD holds packets for at once; one more flushes them all first. */
#define QV_TX_PENDING_MAX 64

/* Every field a PMD reads that another thread writes. "publish" is qv_dp_publish_n (dp.h):
 * build the new object, exchange the pointer (seq_cst), wait one grace period, free the old;
 * PMDs load the pointer with acquire and hold it at most until their next quiescent point.
 *
 * field                 written by                 order             old value
 * --------------------  -------------------------  ----------------  ----------------------
 * qv_sw.table           control: flow.*, port.*,   publish           qv_flow_table_free
 *                       fold of a background                         (delta hits retired
 *                       rte_acl build                                first); its base
 *                                                                    (rte_acl part) with
 *                                                                    the last table using
 *                                                                    it, hits retired
 *   .base (rte_acl part, background builder        shared by tables, never written once
 *   or its tuple space  thread, or control (the    published; refs counted by control
 *   stand-in)           stand-in); control         only
 *                       publishes it in a table
 * qv_pmd.poll           control: port add/del      publish in two    free, after each
 *                                                  phases: remove,   phase's grace period;
 *                                                  grace, add        a moved rx queue has
 *                                                                    no poller in between
 * qv_sw.ports (the      control: port add (a       publish           free (the states it
 *   port table)         bigger one when full)                        points to are shared)
 *   .slot[i].port       control: port add/del      release store;    ops->close after the
 *                                                  NULL, grace       grace period
 *   .slot[i].state      control: port add/del      before .port is   freed after .port's
 *   (counters, tx       (PMDs write their own      set (a PMD reads  grace period, then
 *   buffers)            row in it)                 it only once it   set to NULL
 *                                                  loaded .port)
 * qv_port.capture       control: capture.*         publish           free the set; a
 *                                                                    capture after its
 *                                                                    file is closed
 * qv_trace_cur          control: trace.start       publish           free
 * qv_port.trace_left    control: trace.start;      relaxed; PMDs     - (a counter)
 *                       PMDs count it down         CAS it down
 * qv_port.admin_up,     control: port.set          relaxed           - (a flag: a PMD may
 *   .default_action                                                  use the old value for
 *                                                                    the rest of a burst)
 * qv_port.up            the port (link, vhost      relaxed           -
 *                       device callbacks)
 * qv_capture.finished   control, capture thread    relaxed           - (see capture)
 * qv_l2_table[]         PMDs (learning), control   relaxed 64-bit    - (overwritten)
 *                       (flush on port del)        words
 * qv_pmd.stop           control: shutdown          relaxed           -
 * qv_vhost_port.vid     vhost callbacks (rte_vhost acquire load;     - (destroy_device:
 *                       event thread)              release store     vid -1 first, then a
 *                                                                    grace period)
 * qv_vhost_port.vq_on   vhost: vring_state_        acquire load      - (a mask: a vring
 *   (rx/tx enabled per  changed, new_device,       (pairs with the   the guest disables
 *   pair, notif todo),  destroy_device (their      release store:    stays allocated and
 *   .tx_map (tx queue   state_lock); PMDs clear    a vring enabled   rte_vhost checks
 *   -> guest pair)      todo bits (relaxed         late was          vq->enabled under its
 *                       fetch_and)                 allocated         lock: no republish,
 *                                                  before)           no grace period)
 * state.rxq_owner      PMDs (--check-rxq-owner)   acq_rel xchg,     -
 *                                                  release CAS
 * qv_flow_table.lb      control, with the table    (inside the       qv_lb_groups_free with
 *                       (its groups, lb/lb.h)      table)            the table
 * qv_lb_affinity_of[i]  control, once (first       release store     never freed (exit)
 *                       table with a group)
 * qv_qos_policer_of     control: port.police,      publish           free (qv_dp_free)
 *   [dir][port]         port del
 * qv_qos_policer.pmd[i] PMD i only (its meter,     plain stores      - (port.list reads
 *                       its policed count)                           the count relaxed)
 * qv_lb_affinity        PMD i only (entries and    plain stores      - (group.show reads
 *   (what [i] points to) counters)                                   64-bit words relaxed)
 *
 * Counters go the other way: each PMD writes its own (plain stores on its own cache lines,
 * and its own row of qv_flow_base.hits and qv_flow_table.hits); readers sum them with relaxed
 * 64-bit loads. */

/* Per PMD, per port: written only by that PMD, summed on read. One cache line apart so PMDs
 * never share a line. */
struct qv_port_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t drops[QV_DROP_MAX]; /* packets that arrived on this port and were dropped */
	/* rx polls that found packets waiting in the queue and no mbufs to take them
	 * (qv_port_ops.rx_nombuf), and the most packets one of them found waiting (a high-water
	 * mark: max over PMDs on read, not zeroed by stats.clear). Not drops: the packets are
	 * still in the queue, lost only if the peer gives up on them. */
	uint64_t rx_nombuf, rx_nombuf_peak;
} __rte_cache_aligned;

struct qv_rxq_counters {
	uint64_t packets;
	uint64_t busy_cycles;
};

/* How a PMD found the rule of each packet that parsed: the previous packet had the same key,
 * the exact-match cache had it, or rte_acl was asked (a cache miss). */
struct qv_lookup_counters {
	uint64_t same_key, emc_hits, classified;
};

/* One PMD's row of a port's state: its counters of the port and its tx buffer to it. Only
 * that PMD writes it (the baselines: the control thread, on stats.clear). */
struct qv_port_pmd {
	struct qv_port_counters c;
	struct qv_rxq_counters rxq[QV_MAX_QUEUES];
	uint16_t tx_n; /* packets in tx_pkts */
	struct rte_mbuf *tx_pkts[QV_BURST];
	struct qv_rxq_counters rxq_base[QV_MAX_QUEUES]; /* stats.clear: subtracted on read */
} __rte_cache_aligned;

/* What the switch keeps of a port: allocated when the port is added (on its NUMA node), for
 * the PMDs there are, freed after it is removed and a grace period has passed. */
struct qv_port_state {
	struct qv_port_counters base; /* stats.clear: subtracted on read */
	/* --check-rxq-owner: the index + 1 of the PMD whose current iteration polls rx queue
	 * q, 0 for none; a PMD that finds another's mark counts it in its rxq_conflicts. */
	_Atomic uint16_t rxq_owner[QV_MAX_QUEUES];
	size_t bytes;      /* this allocation, for port.list */
	size_t open_bytes; /* heap the port's open took (malloc and DPDK's, measured) */
	uint16_t n_pmds;
	struct qv_port_pmd pmd[]; /* one per PMD, by index */
};

/* The port table: slot i is port index i. Grown (copied, published) when full. */
struct qv_port_slot {
	_Atomic(struct qv_port *) port;
	struct qv_port_state *state; /* set while .port is (and one grace period after) */
};

struct qv_port_table {
	uint32_t cap;
	struct qv_port_slot slot[];
};

/* What one PMD polls: published like the flow table. */
struct qv_poll_list {
	uint16_t n;
	struct {
		struct qv_port *port;
		uint16_t queue;
	} rxq[];
};

struct qv_trace_rec;

struct qv_pmd {
	unsigned lcore; /* EAL lcore id */
	unsigned cpu;   /* the CPU it is pinned to */
	int numa;
	uint16_t index; /* 0..n_pmds-1, also the RCU thread id and the tx queue selector */
	_Atomic(struct qv_poll_list *) poll;
	_Atomic bool stop;

	/* counters, written by the PMD only */
	uint64_t busy_cycles, idle_cycles;
	struct qv_lookup_counters lookups;
	uint64_t rxq_conflicts; /* --check-rxq-owner: rx queues found in another PMD's hands */

	/* fast-path private state */
	struct qv_emc *emc;
	/* the port table of the current iteration (held until its quiescent point): per-port
	 * counters and tx buffers are this PMD's row of pt->slot[i].state */
	const struct qv_port_table *pt;
	uint16_t n_pending;                  /* outputs whose tx buffer may hold packets */
	uint16_t pending[QV_TX_PENDING_MAX]; /* their indexes (an output may repeat) */

	/* packet trace of the current burst (see trace/trace.h); empty unless tracing */
	struct qv_trace_rec *cur_tr; /* record of the packet being handled */
	uint16_t n_tr;
	struct qv_trace_rec *tr[QV_BURST];
} __rte_cache_aligned;

/* ---- fast path ---- */

/* The PMD thread (rte_eal_remote_launch argument: its struct qv_pmd). */
int qv_pmd_main(void *arg);

/* Processes one received burst of port `in` with the published table and flushes the tx
 * buffers: what one PMD iteration does with one rx queue's packets. */
void qv_pmd_process_burst(struct qv_pmd *pmd, struct qv_port *in, struct rte_mbuf **pkts,
                          uint16_t n);

#endif
