/* qwikvirt: the PMD loop — FAST PATH. Per burst, in stages over the whole burst: parse → hash
 * → look up (exact-match cache, rte_acl for the misses in one batch) → act → flush (one tx
 * burst per output port). No locks (but a shared vhost tx queue's), no allocation, no
 * syscalls. Tracing is a second instance of the same body (trace = true), chosen per burst.
 * Over 700 lines as one file on purpose: every stage is always-inline into the two instances of
 * the burst body, which a split across files would turn into calls (no LTO in this build). */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/capture/capture.h"
#include "dataplane/classifier.h"
#include "dataplane/emc.h"
#include "dataplane/flow_table.h"
#include "dataplane/l2_learn.h"
#include "dataplane/lb/lb_fast.h"
#include "dataplane/parse.h"
#include "dataplane/pmd.h"
#include "dataplane/qos/qos_fast.h"
#include "dataplane/switch.h"
#include "dataplane/trace/trace_fast.h"

#define PREFETCH_AHEAD 4
#define RESULT_BAD UINT32_MAX /* results[i]: the packet did not parse (0: no rule matched) */
#define RUN_NO_PORT QV_MAX_PORTS

/* ---- ports ----
 * Through pmd->pt, the port table this iteration loaded: slot idx's port, and this PMD's row
 * of its state (counters, tx buffer). A row is read only for a port the PMD polls (its
 * packets' in-ports) or found in its slot (outputs): both outlive the iteration. */

static inline struct qv_port *port_at(const struct qv_pmd *pmd, uint16_t idx)
{
	return atomic_load_explicit(&pmd->pt->slot[idx].port, memory_order_acquire);
}

static inline struct qv_port_pmd *row_of(const struct qv_pmd *pmd, uint16_t idx)
{
	return &pmd->pt->slot[idx].state->pmd[pmd->index];
}

/* The port exists and takes packets now (link up, admin up). */
static inline bool port_usable(const struct qv_port *p)
{
	return p != NULL && atomic_load_explicit(&p->up, memory_order_relaxed) &&
	       atomic_load_explicit(&p->admin_up, memory_order_relaxed);
}

/* Port index idx (an action's argument, maybe QV_PORT_NONE) is a usable port. */
static inline bool port_ready(const struct qv_pmd *pmd, uint16_t idx)
{
	return idx < pmd->pt->cap && port_usable(port_at(pmd, idx));
}

/* ---- drop, output, flush ---- */

static __rte_always_inline void pmd_drop(struct qv_pmd *pmd, uint16_t in, struct rte_mbuf *m,
                                         enum qv_drop_reason why, const bool trace)
{
	row_of(pmd, in)->c.drops[why]++;
	if (trace && pmd->cur_tr != NULL)
		pmd->cur_tr->drop = (int16_t)why;
	rte_pktmbuf_free(m);
}

/* Keeps the packets of pkts[0..n) within the policer in *slot (if any), in order; drops the
 * others as policed, counted on the port each came in on (mbuf->port); out: the output port
 * for the trace (egress). Returns how many are left. */
static __rte_always_inline uint16_t police(struct qv_pmd *pmd,
                                           struct qv_qos_policer *_Atomic const *slot,
                                           struct rte_mbuf **pkts, uint16_t n, uint16_t out,
                                           const bool trace)
{
	struct qv_qos_policer *pl = atomic_load_explicit(slot, memory_order_acquire);
	uint64_t now;
	uint16_t k = 0;

	if (likely(pl == NULL))
		return n;
	now = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++) {
		if (likely(qv_qos_conform(pl, pmd->index, now, pkts[i]->pkt_len))) {
			pkts[k++] = pkts[i];
			continue;
		}
		if (trace)
			qv_trace_tx_failed(pmd, pkts[i], out, QV_DROP_POLICED);
		row_of(pmd, pkts[i]->port)->c.drops[QV_DROP_POLICED]++;
		rte_pktmbuf_free(pkts[i]);
	}
	return k;
}

/* The L3 length of a frame: past its Ethernet header and VLAN tags (read from the first
 * segment, which holds them: see burst_parse). */
static inline uint32_t frame_l3_len(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off = QV_ETH_HLEN;

	for (unsigned t = 0; t < QV_MAX_VLAN_TAGS && off + QV_VLAN_HLEN <= m->data_len &&
	                     qv_parse_is_vlan_tpid(qv_parse_rd16(d + off - 2));
	     t++)
		off += QV_VLAN_HLEN;
	return m->pkt_len > off ? m->pkt_len - off : 0;
}

/* Drops (as mtu-exceeded, on their in-port) the frames of pkts[0..n) whose L3 payload is
 * over the output's MTU; returns how many are left, in order. Only frames longer than
 * MTU + 14 B are looked at closer. */
static __rte_always_inline uint16_t drop_over_mtu(struct qv_pmd *pmd, uint16_t out,
                                                  struct rte_mbuf **pkts, uint16_t n, uint16_t mtu,
                                                  uint64_t *bytes, const bool trace)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (likely(m->pkt_len <= mtu + QV_ETH_HLEN) || frame_l3_len(m) <= mtu) {
			pkts[k++] = m;
			continue;
		}
		*bytes -= m->pkt_len;
		if (trace)
			qv_trace_tx_failed(pmd, m, out, QV_DROP_MTU_EXCEEDED);
		pmd_drop(pmd, m->port, m, QV_DROP_MTU_EXCEEDED, trace);
	}
	return k;
}

static __rte_always_inline void flush_port(struct qv_pmd *pmd, uint16_t out, const bool trace)
{
	struct qv_port *p = port_at(pmd, out);
	struct qv_port_pmd *row = row_of(pmd, out);
	uint16_t n = row->tx_n, sent = 0;
	struct rte_mbuf **pkts = row->tx_pkts;
	uint64_t bytes = 0;

	row->tx_n = 0;
	n = police(pmd, &qv_qos_policer_of[QV_POLICE_EGRESS][out], pkts, n, out, trace);
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	const bool up = p != NULL && atomic_load_explicit(&p->up, memory_order_relaxed);

	if (likely(up)) {
		const struct qv_capture_set *cs =
		    atomic_load_explicit(&p->capture, memory_order_acquire);
		const uint16_t mtu = atomic_load_explicit(&p->mtu, memory_order_relaxed);

		if (mtu != 0)
			n = drop_over_mtu(pmd, out, pkts, n, mtu, &bytes, trace);
		if (unlikely(cs != NULL))
			qv_capture_burst(cs, pkts, n, QV_CAPTURE_TX);
		sent = qv_port_tx(p, pmd->index, pkts, n);
	}
	row->c.tx_packets += sent;
	for (uint16_t i = sent; i < n; i++) {
		/* a port that went down since the packet was queued counts as port-down */
		enum qv_drop_reason why = up ? QV_DROP_TX_FULL : QV_DROP_PORT_DOWN;

		bytes -= pkts[i]->pkt_len;
		if (trace)
			qv_trace_tx_failed(pmd, pkts[i], out, (int16_t)why);
		/* mbuf->port holds the index of the port the packet came in on */
		pmd_drop(pmd, pkts[i]->port, pkts[i], why, trace);
	}
	row->c.tx_bytes += bytes;
}

static void flush_port_plain(struct qv_pmd *pmd, uint16_t out)
{
	flush_port(pmd, out, false);
}

static void flush_port_traced(struct qv_pmd *pmd, uint16_t out)
{
	flush_port(pmd, out, true);
}

/* Sends what txbuf[out] holds; what the port does not take is dropped as tx-full. */
static __rte_always_inline void pmd_flush_port(struct qv_pmd *pmd, uint16_t out, const bool trace)
{
	if (trace)
		flush_port_traced(pmd, out);
	else
		flush_port_plain(pmd, out);
}

static __rte_always_inline void pmd_flush_all(struct qv_pmd *pmd, const bool trace)
{
	for (uint16_t i = 0; i < pmd->n_pending; i++) {
		uint16_t out = pmd->pending[i];

		if (row_of(pmd, out)->tx_n) /* not flushed since (a full buffer is at once) */
			pmd_flush_port(pmd, out, trace);
	}
	pmd->n_pending = 0;
}

/* Puts pkts[0..n) in port out's tx buffer (out is usable: its slot has a state), where they
 * fit (n <= QV_BURST - row->tx_n); a buffer that was empty joins the pending outputs, a full
 * one is sent at once. The buffers are empty at every burst's start (pmd_flush_all ends
 * each), so a burst all for one port goes in as one copy of its pointers. */
static __rte_always_inline void pmd_tx_enqueue_bulk(struct qv_pmd *pmd, uint16_t out,
                                                    struct qv_port_pmd *row,
                                                    struct rte_mbuf *const *pkts, uint16_t n,
                                                    const bool trace)
{
	if (row->tx_n == 0) {
		if (unlikely(pmd->n_pending == QV_TX_PENDING_MAX))
			pmd_flush_all(pmd, trace); /* a flood to many ports: keeps each in order */
		pmd->pending[pmd->n_pending++] = out;
	}
	memcpy(&row->tx_pkts[row->tx_n], pkts, n * sizeof(pkts[0]));
	row->tx_n = (uint16_t)(row->tx_n + n);
	if (unlikely(row->tx_n == QV_BURST))
		pmd_flush_port(pmd, out, trace);
}

static __rte_always_inline void pmd_tx_enqueue(struct qv_pmd *pmd, uint16_t out,
                                               struct qv_port_pmd *row, struct rte_mbuf *m,
                                               const bool trace)
{
	pmd_tx_enqueue_bulk(pmd, out, row, &m, 1, trace);
}

/* Queues m on port out's tx buffer; an output whose port is missing or not usable drops this
 * copy only (other outputs of the packet may still go). */
static __rte_always_inline void pmd_output(struct qv_pmd *pmd, uint16_t in, uint16_t out,
                                           struct rte_mbuf *m, const bool trace)
{
	if (unlikely(!port_ready(pmd, out))) {
		row_of(pmd, in)->c.drops[QV_DROP_PORT_DOWN]++;
		if (trace && pmd->cur_tr != NULL)
			qv_trace_output(pmd->cur_tr, out, QV_DROP_PORT_DOWN);
		rte_pktmbuf_free(m);
		return;
	}
	if (trace && pmd->cur_tr != NULL)
		qv_trace_output(pmd->cur_tr, out, -1);
	pmd_tx_enqueue(pmd, out, row_of(pmd, out), m, trace);
}

/* Hands m to n_out ports: one reference per output (rte_vhost copies, ethdevs free after
 * sending, so sharing the buffer is safe once no action modifies it any more). */
static __rte_always_inline void pmd_output_many(struct qv_pmd *pmd, uint16_t in,
                                                const uint16_t *outs, uint16_t n_out,
                                                struct rte_mbuf *m, const bool trace)
{
	if (n_out > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n_out - 1));
	for (uint16_t i = 0; i < n_out; i++)
		pmd_output(pmd, in, outs[i], m, trace);
}

/* ---- actions ---- */

static inline void vlan_pop(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (m->data_len < QV_ETH_HLEN + QV_VLAN_HLEN)
		return;
	if (!qv_parse_is_vlan_tpid(qv_parse_rd16(d + 2 * RTE_ETHER_ADDR_LEN)))
		return; /* untagged: nothing to pop */
	memmove(d + QV_VLAN_HLEN, d, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, QV_VLAN_HLEN);
}

static inline int vlan_push(struct rte_mbuf *m, uint16_t vid)
{
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, QV_VLAN_HLEN);
	uint16_t tag[2] = {RTE_BE16(QV_ETHERTYPE_VLAN), rte_cpu_to_be_16(vid)};

	if (unlikely(d == NULL))
		return -1;
	memmove(d, d + QV_VLAN_HLEN, 2 * RTE_ETHER_ADDR_LEN);
	memcpy(d + 2 * RTE_ETHER_ADDR_LEN, tag, QV_VLAN_HLEN);
	return 0;
}

/* A hash of the flow that is the same for both directions: XOR is symmetric in (src, dst). */
static inline uint32_t flow_hash_symmetric(const struct qv_flow_key *k)
{
	uint32_t h = rte_hash_crc_4byte((uint32_t)k->proto << 16 | k->ethertype, 0x5bd1e995);

	for (int i = 0; i < 4; i++)
		h = rte_hash_crc_4byte(k->src_ip[i] ^ k->dst_ip[i], h);
	h = rte_hash_crc_4byte((uint32_t)(k->src_port ^ k->dst_port), h);
	if (k->ip_version == 0) { /* non-IP: the MAC pair */
		uint8_t d[6], s[6];
		uint32_t x = 0;

		qv_flow_key_get_macs(k, d, s);
		for (int i = 0; i < 6; i++)
			x = x << 5 ^ (uint32_t)(d[i] ^ s[i]);
		h = rte_hash_crc_4byte(x, h);
	}
	return h;
}

/* Picks one member of the rule's group g: its usable members (a dead VNF instance is skipped),
 * through this PMD's flow-affinity table and the group's Maglev table (lb/lb_fast.h). */
static inline uint16_t pick_member(struct qv_pmd *pmd, const struct qv_lb_group *g, uint32_t hash,
                                   uint64_t now, uint64_t idle)
{
	uint32_t live = 0;
	int m;

	for (uint16_t i = 0; i < g->n; i++)
		if (port_ready(pmd, g->members[i]))
			live |= 1u << i;
	m = qv_lb_pick(atomic_load_explicit(&qv_lb_affinity_of[pmd->index], memory_order_acquire),
	               g, live, hash, now, idle);
	return m < 0 ? g->members[0] : g->members[m]; /* none usable: counted port-down */
}

/* Runs rule r (its group g, or NULL; gs the table's groups; lb_hash the flow's symmetric hash
 * when g is set) on packet m, at TSC now. */
static __rte_always_inline void pmd_run_rule(struct qv_pmd *pmd, uint16_t in,
                                             const struct qv_rule *r, const struct qv_lb_groups *gs,
                                             const struct qv_lb_group *g, uint32_t lb_hash,
                                             struct rte_mbuf *m, uint64_t now, const bool trace)
{
	uint16_t outs[QV_MAX_ACTIONS], n_out = 0;

	for (uint8_t a = 0; a < r->n_actions; a++) {
		const struct qv_action *act = &r->actions[a];

		switch (act->type) {
		case QV_ACT_OUTPUT:
			outs[n_out++] = act->arg;
			break;
		case QV_ACT_GROUP: /* the members are g's */
			break;
		case QV_ACT_PUSH_VLAN:
			if (unlikely(vlan_push(m, act->arg) != 0)) {
				pmd_drop(pmd, in, m, QV_DROP_NO_MBUF, trace);
				return;
			}
			break;
		case QV_ACT_POP_VLAN:
			vlan_pop(m);
			break;
		default: /* QV_ACT_DROP */
			pmd_drop(pmd, in, m, QV_DROP_RULE_DROP, trace);
			return;
		}
	}
	if (g != NULL)
		outs[n_out++] = pick_member(pmd, g, lb_hash, now, gs->idle_cycles);
	if (unlikely(n_out == 0)) {
		pmd_drop(pmd, in, m, QV_DROP_RULE_DROP, trace);
		return;
	}
	pmd_output_many(pmd, in, outs, n_out, m, trace);
}

/* 1 when port i takes a flood from port in: usable, L2 by default, not in itself. */
static inline uint16_t flood_to(const struct qv_pmd *pmd, uint16_t in, uint32_t i)
{
	const struct qv_port *p = port_at(pmd, (uint16_t)i);

	return i != in && port_usable(p) &&
	       atomic_load_explicit(&p->default_action, memory_order_relaxed) == QV_PORT_DEFAULT_L2;
}

/* MAC-learning switching among the ports whose default is L2, for packets no rule took. */
static __rte_always_inline void l2_switch(struct qv_pmd *pmd, uint16_t in,
                                          const struct qv_flow_key *k, struct rte_mbuf *m,
                                          uint64_t now, const bool trace)
{
	uint8_t dst[6], src[6];
	uint16_t n_out = 0;
	int known;

	qv_flow_key_get_macs(k, dst, src);
	if (!(src[0] & 1))
		qv_l2_learn(src, in, now);
	if (!(dst[0] & 1)) {
		known = qv_l2_lookup(dst, now);
		if (known == in) {
			pmd_drop(pmd, in, m, QV_DROP_LOOP, trace);
			return;
		}
		if (known >= 0) {
			if (trace && pmd->cur_tr != NULL)
				pmd->cur_tr->l2 = QV_TRACE_L2_UNICAST;
			pmd_output(pmd, in, (uint16_t)known, m, trace);
			return;
		}
	}
	if (trace && pmd->cur_tr != NULL)
		pmd->cur_tr->l2 = QV_TRACE_L2_FLOOD;
	/* Flood (broadcast, multicast, unknown): one reference per output, counted first. A
	 * port that changes between the passes is counted port-down in the second. */
	for (uint32_t i = 0; i < pmd->pt->cap; i++)
		n_out += flood_to(pmd, in, i);
	if (n_out == 0) {
		pmd_drop(pmd, in, m, QV_DROP_NO_MATCH, trace);
		return;
	}
	if (n_out > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n_out - 1));
	uint16_t done = 0;

	for (uint32_t i = 0; i < pmd->pt->cap && done < n_out; i++)
		if (flood_to(pmd, in, i)) {
			pmd_output(pmd, in, (uint16_t)i, m, trace);
			done++;
		}
	for (; done < n_out; done++) { /* gone since the count: its reference back, as port-down */
		row_of(pmd, in)->c.drops[QV_DROP_PORT_DOWN]++;
		rte_pktmbuf_free(m);
	}
}

static void l2_switch_plain(struct qv_pmd *pmd, uint16_t in, const struct qv_flow_key *k,
                            struct rte_mbuf *m, uint64_t now)
{
	l2_switch(pmd, in, k, m, now, false);
}

static void l2_switch_traced(struct qv_pmd *pmd, uint16_t in, const struct qv_flow_key *k,
                             struct rte_mbuf *m, uint64_t now)
{
	l2_switch(pmd, in, k, m, now, true);
}

static __rte_always_inline void pmd_l2_switch(struct qv_pmd *pmd, uint16_t in,
                                              const struct qv_flow_key *k, struct rte_mbuf *m,
                                              uint64_t now, const bool trace)
{
	if (trace)
		l2_switch_traced(pmd, in, k, m, now);
	else
		l2_switch_plain(pmd, in, k, m, now);
}

/* ---- the stages of one burst ---- */

/* What the stages of one burst hand each other (on the PMD's stack). */
struct burst {
	struct rte_mbuf **pkts;
	uint16_t n;
	uint16_t in; /* index of the port it arrived on */
	struct qv_flow_key keys[QV_BURST];
	uint32_t hashes[QV_BURST];
	uint32_t results[QV_BURST]; /* RESULT_BAD, 0 (no rule) or rule index + 1 */
	uint8_t same[QV_BURST];     /* same[i]: the first packet of i's run of equal keys */
	uint64_t miss_mask;         /* bit i: packet i's key missed the exact-match cache */
	uint32_t lb_hash[QV_BURST]; /* packets whose rule has a group: the symmetric flow hash */
	uint32_t one_rule;          /* port-rule path: every packet's result (0: not so) */
};

/* Stage 1: parse every packet into its key; tags each with its in-port. Returns the bytes. */
static __rte_always_inline uint64_t burst_parse(struct burst *b)
{
	uint8_t scratch[QV_PARSE_HEAD]; /* the head of a chained frame, for the parser only */
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < b->n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i], void *));
	for (uint16_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];

		if (i + PREFETCH_AHEAD < b->n)
			rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i + PREFETCH_AHEAD], void *));
		m->port = b->in;
		bytes += m->pkt_len;
		b->same[i] = (uint8_t)i;
		b->results[i] =
		    unlikely(qv_parse_mbuf(m, b->in, &b->keys[i], scratch) != 0) ? RESULT_BAD : 0;
	}
	return bytes;
}

/* Stage 1-3 of a port whose every packet takes one rule (r, the table's port rule for it):
 * the headers are checked as the parser checks them, a bad one is still a bad-header drop,
 * but no key is built, hashed or looked up. Counted as same-key lookups: the result was
 * known without one. Returns the bytes. */
static __rte_always_inline uint64_t burst_port_rule(struct qv_pmd *pmd, struct burst *b, uint32_t r)
{
	uint8_t scratch[QV_PARSE_HEAD];
	uint64_t bytes = 0;
	uint16_t n_ok = 0;

	for (uint16_t i = 0; i < b->n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i], void *));
	for (uint16_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		const bool ok = likely(qv_parse_mbuf_valid(m, scratch));

		if (i + PREFETCH_AHEAD < b->n)
			rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i + PREFETCH_AHEAD], void *));
		m->port = b->in;
		bytes += m->pkt_len;
		b->same[i] = (uint8_t)i;
		b->results[i] = ok ? r : RESULT_BAD;
		n_ok += ok;
	}
	b->one_rule = n_ok == b->n ? r : 0;
	b->miss_mask = 0;
	pmd->lookups.same_key += n_ok;
	return bytes;
}

/* Stage 2: find runs of equal keys, hash the first key of each run, prefetch its cache slot.
 * The parser stores the key in pieces of 1 to 4 bytes; reading it back as 8-byte words right
 * away stalls on store forwarding, so this is a pass of its own after the whole parse. */
static __rte_always_inline void burst_hash(struct qv_pmd *pmd, struct burst *b)
{
	int last = -1; /* the last packet that parsed */

	for (uint16_t i = 0; i < b->n; i++) {
		if (b->results[i] == RESULT_BAD)
			continue;
		/* Packets of one flow come in trains: a key equal to the previous packet's takes
		 * its result, without hashing or a cache lookup of its own. */
		if (last >= 0 && qv_flow_key_equal(&b->keys[i], &b->keys[last])) {
			b->same[i] = b->same[last];
			last = i;
			continue;
		}
		last = i;
		b->hashes[i] = qv_flow_key_hash(&b->keys[i]);
		qv_emc_prefetch(pmd->emc, b->hashes[i]);
	}
}

/* Stage 3: the exact-match cache for each run (its slot prefetched by now), then rte_acl for
 * the misses in one batch, whose results go into the cache. */
static __rte_always_inline void burst_lookup(struct qv_pmd *pmd, const struct qv_flow_table *t,
                                             struct burst *b)
{
	const struct qv_flow_key *miss_keys[QV_BURST];
	uint32_t miss_res[QV_BURST];
	uint16_t miss_idx[QV_BURST], n_miss = 0, n_same = 0, n_own = 0;

	b->miss_mask = 0;
	for (uint16_t i = 0; i < b->n; i++) {
		if (b->results[i] == RESULT_BAD)
			continue;
		if (b->same[i] != i) {
			n_same++;
			continue;
		}
		n_own++;
		if (qv_emc_lookup(pmd->emc, &b->keys[i], b->hashes[i], t->gen, &b->results[i]))
			continue;
		b->miss_mask |= 1ull << i;
		miss_idx[n_miss] = i;
		miss_keys[n_miss++] = &b->keys[i];
	}
	pmd->lookups.same_key += n_same;
	pmd->lookups.emc_hits += n_own - n_miss;
	pmd->lookups.classified += n_miss;
	if (n_miss == 0)
		return;
	qv_flow_table_classify(t, miss_keys, n_miss, miss_res);
	for (uint16_t j = 0; j < n_miss; j++) {
		uint16_t i = miss_idx[j];

		b->results[i] = miss_res[j];
		qv_emc_insert(pmd->emc, &b->keys[i], b->hashes[i], t->gen, miss_res[j]);
	}
}

/* Stage 3b, only when the table has load-balancing groups: the symmetric hash of each packet
 * whose rule has a group (once per run of equal keys), and a prefetch of its flow-affinity
 * set, so the act stage finds it in cache (a miss there costs hundreds of cycles with many
 * flows). */
static __rte_always_inline void burst_lb_hash(struct qv_pmd *pmd, const struct qv_flow_table *t,
                                              struct burst *b)
{
	struct qv_lb_affinity *a =
	    atomic_load_explicit(&qv_lb_affinity_of[pmd->index], memory_order_acquire);

	for (uint16_t i = 0; i < b->n; i++) {
		uint32_t r = b->results[b->same[i]];
		const struct qv_lb_group *g;

		if (r == 0 || r == RESULT_BAD || !(g = qv_lb_group_of(t->lb, r - 1)))
			continue;
		if (b->same[i] != i) { /* the same key: the same hash, the same set */
			b->lb_hash[i] = b->lb_hash[b->same[i]];
			continue;
		}
		b->lb_hash[i] = flow_hash_symmetric(&b->keys[i]);
		if (a != NULL)
			qv_lb_aff_prefetch(a, qv_lb_aff_key(g->id, b->lb_hash[i]));
	}
}

/* Stage 4: each packet's rule (or bad-header drop, L2 switching, no-match drop) into the tx
 * buffers. A run of packets for the same one-output rule whose port was found usable goes
 * straight into that port's tx buffer (not in the traced variant: every packet there gets
 * its own record). */
static __rte_always_inline void burst_act(struct qv_pmd *pmd, const struct qv_flow_table *t,
                                          struct qv_port *port, struct burst *b,
                                          struct qv_trace_rec *const *trs, const bool trace)
{
	const uint16_t in = b->in;
	const bool l2_default =
	    atomic_load_explicit(&port->default_action, memory_order_relaxed) == QV_PORT_DEFAULT_L2;
	const uint64_t now = l2_default || t->lb ? rte_rdtsc() : 0;
	uint32_t run_r = 0, run_hits = 0;   /* the rule of the current run of packets, its hits */
	uint16_t run_out = RUN_NO_PORT;     /* its one output port when checked usable */
	struct qv_port_pmd *run_row = NULL; /* and this PMD's row of it */

	if (!trace && b->one_rule != 0) {
		/* A cross-connect's burst, every header good: if its rule only outputs to one
		 * ready port, the burst goes to that port's buffer whole. */
		const struct qv_rule *rule = qv_flow_table_rule(t, b->one_rule);
		const uint16_t out = rule->actions[0].arg;

		if (rule->n_actions == 1 && rule->actions[0].type == QV_ACT_OUTPUT &&
		    port_ready(pmd, out) && row_of(pmd, out)->tx_n + b->n <= QV_BURST) {
			pmd_tx_enqueue_bulk(pmd, out, row_of(pmd, out), b->pkts, b->n, trace);
			*qv_flow_table_hit(t, pmd->index, b->one_rule) += b->n;
			return;
		}
	}
	for (uint16_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		uint32_t r = b->results[b->same[i]];

		if (!trace && r == run_r && run_out != RUN_NO_PORT) {
			run_hits++;
			/* Through pmd_tx_enqueue, never straight into the buffer: the run's first
			 * packet may not have queued anything (its port was down at pmd_output
			 * and came up before run_out was checked: a port flap), and a buffer sent
			 * full mid-run is empty again; either way only pmd_tx_enqueue puts the
			 * buffer on the pending list that pmd_flush_all empties. Before it did
			 * (a dirty-port mask set only by pmd_output), such packets stayed in the
			 * buffer, up to 31 held for good: 7 and 21 in two 10-minute soaks. */
			pmd_tx_enqueue(pmd, run_out, run_row, m, trace);
			continue;
		}
		if (trace && trs[i]) {
			struct qv_trace_rec *tr = trs[i];

			pmd->cur_tr = tr;
			tr->key = b->keys[i];
			tr->parsed = r != RESULT_BAD;
			tr->emc_hit = r != RESULT_BAD && !(b->miss_mask & (1ull << b->same[i]));
			tr->rule_id = r != RESULT_BAD && r ? qv_flow_table_rule(t, r)->id : 0;
		}
		if (likely(r != 0 && r != RESULT_BAD)) {
			const struct qv_rule *rule = qv_flow_table_rule(t, r);
			const struct qv_lb_group *g = qv_lb_group_of(t->lb, r - 1);

			if (r != run_r) {
				if (run_r)
					*qv_flow_table_hit(t, pmd->index, run_r) += run_hits;
				run_r = r;
				run_hits = 0;
			}
			run_hits++;
			pmd_run_rule(pmd, in, rule, t->lb, g, g ? b->lb_hash[i] : 0, m, now, trace);
			run_out = RUN_NO_PORT;
			if (rule->n_actions == 1 && rule->actions[0].type == QV_ACT_OUTPUT &&
			    port_ready(pmd, rule->actions[0].arg)) {
				run_out = rule->actions[0].arg;
				run_row = row_of(pmd, run_out);
			}
		} else if (r == RESULT_BAD) {
			pmd_drop(pmd, in, m, QV_DROP_BAD_HEADER, trace);
		} else if (l2_default) {
			pmd_l2_switch(pmd, in, &b->keys[i], m, now, trace);
		} else {
			pmd_drop(pmd, in, m, QV_DROP_NO_MATCH, trace);
		}
		if (trace)
			pmd->cur_tr = NULL;
	}
	if (run_r)
		*qv_flow_table_hit(t, pmd->index, run_r) += run_hits;
}

/* One burst, all stages; `trace` is a compile-time constant in each of the two instances. */
static __rte_always_inline void pmd_burst(struct qv_pmd *pmd, const struct qv_flow_table *t,
                                          struct qv_port *port, struct rte_mbuf **pkts, uint16_t n,
                                          const bool trace)
{
	/* Not an initialiser: `= {...}` zeroes all 2.2 kB of arrays on every burst (a memset
	 * call, about 1.5 cycles per packet), and each stage writes what the next reads: the
	 * parser a whole key, burst_hash the hash of each run's first packet, burst_lookup and
	 * burst_port_rule the miss mask, burst_lb_hash lb_hash wherever a group reads it. */
	struct burst b;

	b.pkts = pkts;
	b.n = n;
	b.in = port->index;
	struct qv_trace_rec *trs[QV_BURST];
	uint64_t bytes, rx_bytes = 0;

	if (unlikely(atomic_load_explicit(&qv_qos_policer_of[QV_POLICE_INGRESS][b.in],
	                                  memory_order_relaxed) != NULL)) {
		/* received, then policed: the rx counters count them all, drops say why */
		for (uint16_t i = 0; i < n; i++) {
			pkts[i]->port = b.in;
			rx_bytes += pkts[i]->pkt_len;
		}
		b.n = police(pmd, &qv_qos_policer_of[QV_POLICE_INGRESS][b.in], pkts, n, RUN_NO_PORT,
		             false);
	}
	/* not when tracing: a trace record shows the packet's key */
	const uint32_t port_rule = trace ? 0 : qv_flow_table_port_rule(t, b.in);

	b.one_rule = 0;
	if (port_rule != 0) {
		bytes = burst_port_rule(pmd, &b, port_rule);
	} else {
		bytes = burst_parse(&b);
		burst_hash(pmd, &b);
		burst_lookup(pmd, t, &b);
		if (unlikely(t->lb != NULL))
			burst_lb_hash(pmd, t, &b);
	}
	struct qv_port_pmd *in_row = row_of(pmd, b.in);

	in_row->c.rx_packets += n;
	in_row->c.rx_bytes += b.n == n ? bytes : rx_bytes;
	if (trace)
		qv_trace_claim(pmd, port, pkts, b.n, trs);
	burst_act(pmd, t, port, &b, trs, trace);
	pmd_flush_all(pmd, trace);
	if (trace)
		qv_trace_finish(pmd);
}

static void pmd_burst_plain(struct qv_pmd *pmd, const struct qv_flow_table *t, struct qv_port *port,
                            struct rte_mbuf **pkts, uint16_t n)
{
	pmd_burst(pmd, t, port, pkts, n, false);
}

static void pmd_burst_traced(struct qv_pmd *pmd, const struct qv_flow_table *t,
                             struct qv_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	pmd_burst(pmd, t, port, pkts, n, true);
}

/* One rx burst of port in, with the port table of this iteration (pmd->pt). */
static inline void pmd_process(struct qv_pmd *pmd, struct qv_port *in, struct rte_mbuf **pkts,
                               uint16_t n)
{
	const struct qv_flow_table *t = atomic_load_explicit(&qv_sw.table, memory_order_acquire);
	const struct qv_capture_set *cs = atomic_load_explicit(&in->capture, memory_order_acquire);

	if (unlikely(cs != NULL))
		qv_capture_burst(cs, pkts, n, QV_CAPTURE_RX);
	if (likely(atomic_load_explicit(&in->trace_left, memory_order_relaxed) == 0))
		pmd_burst_plain(pmd, t, in, pkts, n);
	else
		pmd_burst_traced(pmd, t, in, pkts, n);
}

void qv_pmd_process_burst(struct qv_pmd *pmd, struct qv_port *in, struct rte_mbuf **pkts,
                          uint16_t n)
{
	pmd->pt = atomic_load_explicit(&qv_sw.ports, memory_order_acquire);
	pmd_process(pmd, in, pkts, n);
}

/* ---- the thread ---- */

/* Slow path: an rx burst of port p's queue came back empty; the port says whether packets
 * were left waiting because the mbuf pool could not give it a burst. Not a drop (they are
 * still in the queue), but a loss on its way: counted under the port. */
static __rte_noinline void pmd_rx_nombuf(struct qv_pmd *pmd, struct qv_port *p, uint16_t qid)
{
	uint32_t waiting = p->ops->rx_nombuf(p, qid, QV_BURST);

	if (likely(waiting == 0))
		return;
	struct qv_port_counters *c = &row_of(pmd, p->index)->c;

	c->rx_nombuf++;
	if (waiting > c->rx_nombuf_peak)
		c->rx_nombuf_peak = waiting;
}

/* --check-rxq-owner: marks every rx queue of this iteration's poll list as this PMD's, and
 * counts (and logs the first few) queues that another PMD's current iteration also polls:
 * rx bursts on one queue are not thread-safe, so a poll list change must never let that
 * happen (see publish_poll_lists in switch.c). Slow; debugging only. */
static void rxq_claim(struct qv_pmd *pmd, const struct qv_poll_list *pl)
{
	const uint16_t me = (uint16_t)(pmd->index + 1);

	for (uint16_t q = 0; pl && q < pl->n; q++) {
		uint16_t port = pl->rxq[q].port->index, qid = pl->rxq[q].queue;
		uint16_t prev = atomic_exchange_explicit(&pmd->pt->slot[port].state->rxq_owner[qid],
		                                         me, memory_order_acq_rel);

		if (prev == 0 || prev == me)
			continue;
		if (pmd->rxq_conflicts++ < 5)
			RTE_LOG(WARNING, USER1,
			        "qv-switchd: PMD %u: rx queue %u of port %s is also polled by PMD "
			        "%u\n",
			        pmd->index, qid, pl->rxq[q].port->name, prev - 1u);
	}
}

static void rxq_release(struct qv_pmd *pmd, const struct qv_poll_list *pl)
{
	for (uint16_t q = 0; pl && q < pl->n; q++) {
		uint16_t mine = (uint16_t)(pmd->index + 1);

		atomic_compare_exchange_strong_explicit(
		    &pmd->pt->slot[pl->rxq[q].port->index].state->rxq_owner[pl->rxq[q].queue],
		    &mine, 0, memory_order_release, memory_order_relaxed);
	}
}

int qv_pmd_main(void *arg)
{
	struct qv_pmd *pmd = arg;
	struct rte_mbuf *pkts[QV_BURST];
	uint64_t prev = rte_rdtsc();
	const bool check_owner = qv_sw.check_rxq_owner;

	rte_rcu_qsbr_thread_register(qv_sw.qsbr, pmd->index);
	rte_rcu_qsbr_thread_online(qv_sw.qsbr, pmd->index);
	while (!atomic_load_explicit(&pmd->stop, memory_order_relaxed)) {
		const struct qv_poll_list *pl =
		    atomic_load_explicit(&pmd->poll, memory_order_acquire);
		uint64_t busy = 0, now;

		pmd->pt = atomic_load_explicit(&qv_sw.ports, memory_order_acquire);
		if (unlikely(check_owner))
			rxq_claim(pmd, pl);
		for (uint16_t q = 0; pl && q < pl->n; q++) {
			struct qv_port *p = pl->rxq[q].port;
			uint16_t qid = pl->rxq[q].queue, n;
			uint64_t t0, t1;

			if (unlikely(!atomic_load_explicit(&p->admin_up, memory_order_relaxed)))
				continue;
			t0 = rte_rdtsc();
			n = qv_port_rx(p, qid, pkts, QV_BURST);
			if (n == 0) {
				/* Empty: maybe only for want of mbufs (the port checks cheaply). */
				if (p->ops->rx_nombuf)
					pmd_rx_nombuf(pmd, p, qid);
				continue;
			}
			pmd_process(pmd, p, pkts, n);
			t1 = rte_rdtsc();
			busy += t1 - t0;
			struct qv_rxq_counters *rc = &row_of(pmd, p->index)->rxq[qid];

			rc->packets += n;
			rc->busy_cycles += t1 - t0;
		}
		now = rte_rdtsc();
		pmd->busy_cycles += busy;
		pmd->idle_cycles += now - prev - busy;
		prev = now;
		if (unlikely(check_owner))
			rxq_release(pmd, pl); /* before the quiescent point that ends its hold */
		rte_rcu_qsbr_quiescent(qv_sw.qsbr, pmd->index);
	}
	rte_rcu_qsbr_thread_offline(qv_sw.qsbr, pmd->index);
	rte_rcu_qsbr_thread_unregister(qv_sw.qsbr, pmd->index);
	return 0;
}
