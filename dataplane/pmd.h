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

#define QV_MAX_PMDS 16
#define QV_BURST 32

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
 * qv_sw.ports[i]        control: port add/del      publish (NULL),   ops->close after the
 *                                                  grace             grace period
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
 * qv_sw.rxq_owner       PMDs (--check-rxq-owner)   acq_rel xchg,     -
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
	struct qv_port_counters port[QV_MAX_PORTS];
	struct qv_rxq_counters rxq[QV_MAX_PORTS][QV_MAX_QUEUES];
	uint64_t rxq_conflicts; /* --check-rxq-owner: rx queues found in another PMD's hands */

	/* fast-path private state */
	struct qv_emc *emc;
	struct {
		uint16_t n;
		struct rte_mbuf *pkts[QV_BURST];
	} txbuf[QV_MAX_PORTS];
	uint64_t txbuf_dirty; /* bit i: txbuf[i] holds packets */

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
