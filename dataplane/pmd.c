/* qwikvirt: the PMD loop — FAST PATH. Per burst: rx → parse → exact-match cache → rte_acl for
 * the misses (one batch) → actions → one tx burst per output port. No locks (but a shared
 * vhost tx queue's), no allocation, no syscalls. */
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/capture/capture.h"
#include "dataplane/classifier.h"
#include "dataplane/emc.h"
#include "dataplane/flow_table.h"
#include "dataplane/l2_learn.h"
#include "dataplane/parse.h"
#include "dataplane/switch.h"
#include "dataplane/trace/trace.h"

#define PREFETCH_AHEAD 4
#define RESULT_BAD UINT32_MAX

static inline void pmd_drop(struct qv_pmd *pmd, uint16_t in, struct rte_mbuf *m,
                            enum qv_drop_reason why)
{
	pmd->port[in].drops[why]++;
	if (unlikely(pmd->cur_tr != NULL))
		pmd->cur_tr->drop = (int16_t)why;
	rte_pktmbuf_free(m);
}

/* ---- packet trace hooks: only reached while a port is being traced ---- */

static void trace_output(struct qv_trace_rec *tr, uint16_t out, int16_t drop)
{
	if (tr->n_out < QV_TRACE_OUTS) {
		tr->out[tr->n_out] = out;
		tr->out_drop[tr->n_out] = drop;
	}
	tr->n_out++;
}

static void trace_tx_failed(struct qv_pmd *pmd, const struct rte_mbuf *m, uint16_t out, int16_t why)
{
	for (uint16_t j = 0; j < pmd->n_tr; j++) {
		struct qv_trace_rec *tr = pmd->tr[j];

		if (tr->mbuf != m)
			continue;
		for (uint8_t k = 0; k < tr->n_out && k < QV_TRACE_OUTS; k++)
			if (tr->out[k] == out)
				tr->out_drop[k] = why;
	}
}

/* Claims trace records for the packets of a burst while the port's trace budget lasts. */
static void trace_claim(struct qv_pmd *pmd, struct qv_port *port, struct rte_mbuf **pkts,
                        uint16_t n, struct qv_trace_rec **trs)
{
	struct qv_trace_buf *b = atomic_load_explicit(&qv_trace_cur, memory_order_acquire);
	uint64_t now = rte_rdtsc();

	for (uint16_t i = 0; i < n; i++) {
		uint32_t left = atomic_load_explicit(&port->trace_left, memory_order_relaxed);
		uint32_t slot;

		trs[i] = NULL;
		while (left && !atomic_compare_exchange_weak(&port->trace_left, &left, left - 1))
			;
		if (!left || !b)
			continue;
		slot = atomic_fetch_add(&b->next, 1);
		if (slot >= b->cap)
			continue;
		trs[i] = &b->rec[slot];
		trs[i]->port = port->index;
		trs[i]->pmd = pmd->index;
		trs[i]->len = pkts[i]->pkt_len;
		trs[i]->tsc = now;
		trs[i]->drop = -1;
		trs[i]->mbuf = pkts[i];
		pmd->tr[pmd->n_tr++] = trs[i];
	}
}

static void trace_finish(struct qv_pmd *pmd)
{
	for (uint16_t j = 0; j < pmd->n_tr; j++) {
		pmd->tr[j]->mbuf = NULL;
		atomic_store_explicit(&pmd->tr[j]->done, 1, memory_order_release);
	}
	pmd->n_tr = 0;
}

static inline struct qv_port *port_at(uint16_t idx)
{
	return atomic_load_explicit(&qv_sw.ports[idx], memory_order_acquire);
}

static void pmd_flush_port(struct qv_pmd *pmd, uint16_t out)
{
	struct qv_port *p = port_at(out);
	uint16_t n = pmd->txbuf[out].n, sent = 0;
	struct rte_mbuf **pkts = pmd->txbuf[out].pkts;
	uint64_t bytes = 0;

	pmd->txbuf[out].n = 0;
	pmd->txbuf_dirty &= ~(1ull << out);
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	if (likely(p != NULL && atomic_load_explicit(&p->up, memory_order_relaxed))) {
		const struct qv_capture_set *cs =
		    atomic_load_explicit(&p->capture, memory_order_acquire);

		if (unlikely(cs != NULL))
			qv_capture_burst(cs, pkts, n, QV_CAPTURE_TX);
		sent = qv_port_tx(p, pmd->index, pkts, n);
	}
	pmd->port[out].tx_packets += sent;
	for (uint16_t i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		if (unlikely(pmd->n_tr))
			trace_tx_failed(pmd, pkts[i], out, p ? QV_DROP_TX_FULL : QV_DROP_PORT_DOWN);
		/* mbuf->port holds the index of the port the packet came in on */
		pmd_drop(pmd, pkts[i]->port, pkts[i], p ? QV_DROP_TX_FULL : QV_DROP_PORT_DOWN);
	}
	pmd->port[out].tx_bytes += bytes;
}

static inline void pmd_flush_all(struct qv_pmd *pmd)
{
	while (pmd->txbuf_dirty) {
		uint16_t out = (uint16_t)__builtin_ctzll(pmd->txbuf_dirty);

		pmd_flush_port(pmd, out);
	}
}

static inline bool pmd_port_usable(const struct qv_port *p)
{
	return p != NULL && atomic_load_explicit(&p->up, memory_order_relaxed) &&
	       atomic_load_explicit(&p->admin_up, memory_order_relaxed);
}

/* Output port out (an action's argument) exists and takes packets now. */
static inline bool pmd_port_ready(uint16_t out)
{
	return out < QV_MAX_PORTS && pmd_port_usable(port_at(out));
}

static inline void pmd_output(struct qv_pmd *pmd, uint16_t in, uint16_t out, struct rte_mbuf *m)
{
	struct qv_port *p;

	if (unlikely(out >= QV_MAX_PORTS)) { /* an output whose port is missing */
		pmd->port[in].drops[QV_DROP_PORT_DOWN]++;
		if (unlikely(pmd->cur_tr != NULL))
			trace_output(pmd->cur_tr, out, QV_DROP_PORT_DOWN);
		rte_pktmbuf_free(m);
		return;
	}
	p = port_at(out);
	if (unlikely(!pmd_port_usable(p))) {
		/* this copy only: other outputs of the packet may still go */
		pmd->port[in].drops[QV_DROP_PORT_DOWN]++;
		if (unlikely(pmd->cur_tr != NULL))
			trace_output(pmd->cur_tr, out, QV_DROP_PORT_DOWN);
		rte_pktmbuf_free(m);
		return;
	}
	if (unlikely(pmd->cur_tr != NULL))
		trace_output(pmd->cur_tr, out, -1);
	pmd->txbuf[out].pkts[pmd->txbuf[out].n++] = m;
	pmd->txbuf_dirty |= 1ull << out;
	if (pmd->txbuf[out].n == QV_BURST)
		pmd_flush_port(pmd, out);
}

/* Hands m to n_out ports: one reference per output (rte_vhost copies, ethdevs free after
 * sending, so sharing the buffer is safe once no action modifies it any more). */
static inline void pmd_output_many(struct qv_pmd *pmd, uint16_t in, const uint16_t *outs,
                                   uint16_t n_out, struct rte_mbuf *m)
{
	if (n_out > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n_out - 1));
	for (uint16_t i = 0; i < n_out; i++)
		pmd_output(pmd, in, outs[i], m);
}

static inline bool is_vlan_tpid(uint16_t tpid_be)
{
	return tpid_be == RTE_BE16(RTE_ETHER_TYPE_VLAN) ||
	       tpid_be == RTE_BE16(RTE_ETHER_TYPE_QINQ) ||
	       tpid_be == RTE_BE16(RTE_ETHER_TYPE_QINQ1);
}

static inline int vlan_pop(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t tpid;

	if (m->data_len < RTE_ETHER_HDR_LEN + 4)
		return 0;
	memcpy(&tpid, d + 12, 2);
	if (!is_vlan_tpid(tpid))
		return 0; /* untagged: nothing to pop */
	memmove(d + 4, d, 12);
	rte_pktmbuf_adj(m, 4);
	return 0;
}

static inline int vlan_push(struct rte_mbuf *m, uint16_t vid)
{
	uint8_t *d = (uint8_t *)rte_pktmbuf_prepend(m, 4);
	uint16_t tag[2] = {RTE_BE16(RTE_ETHER_TYPE_VLAN), rte_cpu_to_be_16(vid)};

	if (unlikely(d == NULL))
		return -1;
	memmove(d, d + 4, 12);
	memcpy(d + 12, tag, 4);
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

static inline bool port_usable(uint16_t idx)
{
	struct qv_port *p = idx < QV_MAX_PORTS ? port_at(idx) : NULL;

	return p && atomic_load_explicit(&p->up, memory_order_relaxed) &&
	       atomic_load_explicit(&p->admin_up, memory_order_relaxed);
}

/* Picks one member of the rule's group: among the live members (a dead VNF instance is
 * skipped), by the flow's symmetric hash. */
static inline uint16_t pick_member(const uint16_t *members, uint16_t n, const struct qv_flow_key *k)
{
	uint16_t live[QV_MAX_ACTIONS], n_live = 0;

	for (uint16_t i = 0; i < n; i++)
		if (port_usable(members[i]))
			live[n_live++] = members[i];
	if (n_live == 0)
		return members[0]; /* counted port-down on output */
	return live[flow_hash_symmetric(k) % n_live];
}

static inline void pmd_run_rule(struct qv_pmd *pmd, uint16_t in, const struct qv_rule *r,
                                const struct qv_flow_key *k, struct rte_mbuf *m)
{
	uint16_t outs[QV_MAX_ACTIONS], n_out = 0, members[QV_MAX_ACTIONS], n_members = 0;

	for (uint8_t a = 0; a < r->n_actions; a++) {
		const struct qv_action *act = &r->actions[a];

		switch (act->type) {
		case QV_ACT_OUTPUT:
			outs[n_out++] = act->arg;
			break;
		case QV_ACT_GROUP:
			members[n_members++] = act->arg;
			break;
		case QV_ACT_PUSH_VLAN:
			if (unlikely(vlan_push(m, act->arg) != 0)) {
				pmd_drop(pmd, in, m, QV_DROP_NO_MBUF);
				return;
			}
			break;
		case QV_ACT_POP_VLAN:
			vlan_pop(m);
			break;
		default: /* QV_ACT_DROP */
			pmd_drop(pmd, in, m, QV_DROP_RULE_DROP);
			return;
		}
	}
	if (n_members)
		outs[n_out++] = pick_member(members, n_members, k);
	if (unlikely(n_out == 0)) {
		pmd_drop(pmd, in, m, QV_DROP_RULE_DROP);
		return;
	}
	pmd_output_many(pmd, in, outs, n_out, m);
}

/* MAC-learning switching among the ports whose default is L2, for packets no rule took. */
static void pmd_l2_switch(struct qv_pmd *pmd, uint16_t in, const struct qv_flow_key *k,
                          struct rte_mbuf *m, uint64_t now)
{
	uint8_t dst[6], src[6];
	uint16_t outs[QV_MAX_PORTS], n_out = 0;
	int known;

	qv_flow_key_get_macs(k, dst, src);
	if (!(src[0] & 1))
		qv_l2_learn(src, in, now);
	if (!(dst[0] & 1)) {
		known = qv_l2_lookup(dst, now);
		if (known == in) {
			pmd_drop(pmd, in, m, QV_DROP_LOOP);
			return;
		}
		if (known >= 0) {
			if (unlikely(pmd->cur_tr != NULL))
				pmd->cur_tr->l2 = QV_TRACE_L2_UNICAST;
			pmd_output(pmd, in, (uint16_t)known, m);
			return;
		}
	}
	if (unlikely(pmd->cur_tr != NULL))
		pmd->cur_tr->l2 = QV_TRACE_L2_FLOOD;
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) { /* flood: broadcast, multicast, unknown */
		struct qv_port *p = port_at(i);

		if (i != in && p && atomic_load_explicit(&p->up, memory_order_relaxed) &&
		    atomic_load_explicit(&p->admin_up, memory_order_relaxed) &&
		    atomic_load_explicit(&p->default_action, memory_order_relaxed) ==
		        QV_PORT_DEFAULT_L2)
			outs[n_out++] = i;
	}
	if (n_out == 0) {
		pmd_drop(pmd, in, m, QV_DROP_NO_MATCH);
		return;
	}
	pmd_output_many(pmd, in, outs, n_out, m);
}

static void pmd_process(struct qv_pmd *pmd, const struct qv_flow_table *t, struct qv_port *port,
                        struct rte_mbuf **pkts, uint16_t n)
{
	struct qv_flow_key keys[QV_BURST];
	uint32_t hashes[QV_BURST], results[QV_BURST];
	const struct qv_flow_key *miss_keys[QV_BURST];
	uint32_t miss_res[QV_BURST];
	uint16_t miss_idx[QV_BURST], n_miss = 0;
	uint8_t same[QV_BURST]; /* same[i]: the first packet of i's run of equal keys (i itself) */
	int last = -1;          /* the last packet that parsed */
	uint16_t in = port->index;
	uint64_t bytes = 0, now = 0, miss_mask = 0;
	struct qv_trace_rec *trs[QV_BURST];
	bool tracing = atomic_load_explicit(&port->trace_left, memory_order_relaxed) != 0;
	bool l2_default =
	    atomic_load_explicit(&port->default_action, memory_order_relaxed) == QV_PORT_DEFAULT_L2;

	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		m->port = in;
		bytes += m->pkt_len;
		same[i] = (uint8_t)i;
		if (unlikely(qv_parse_frame(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, in,
		                            &keys[i]) != 0)) {
			results[i] = RESULT_BAD;
			continue;
		}
		results[i] = 0;
	}
	/* The parser stores the key in pieces of 1 to 4 bytes; reading it back as 8-byte words
	 * right away stalls on store forwarding, so keys are compared and hashed in a pass of
	 * their own, after the whole burst is parsed. */
	for (uint16_t i = 0; i < n; i++) {
		if (results[i] == RESULT_BAD)
			continue;
		/* Packets of one flow come in trains: a key equal to the previous packet's takes
		 * its result, without hashing or a cache lookup of its own. */
		if (last >= 0 && qv_flow_key_equal(&keys[i], &keys[last])) {
			same[i] = same[last];
			last = i;
			continue;
		}
		last = i;
		hashes[i] = qv_flow_key_hash(&keys[i]);
		qv_emc_prefetch(pmd->emc, hashes[i]);
	}
	/* then the lookups: the slots prefetched above have had the rest of the burst to arrive */
	uint16_t n_same = 0, n_own = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (results[i] == RESULT_BAD)
			continue;
		if (same[i] != i) {
			n_same++;
			continue;
		}
		n_own++;
		if (qv_emc_lookup(pmd->emc, &keys[i], hashes[i], t->gen, &results[i]))
			continue;
		miss_mask |= 1ull << i;
		miss_idx[n_miss] = i;
		miss_keys[n_miss++] = &keys[i];
	}
	pmd->port[in].rx_packets += n;
	pmd->port[in].rx_bytes += bytes;
	pmd->lookups.same_key += n_same;
	pmd->lookups.emc_hits += n_own - n_miss;
	pmd->lookups.classified += n_miss;
	if (n_miss) {
		qv_classifier_classify(t->cls, miss_keys, n_miss, miss_res);
		for (uint16_t j = 0; j < n_miss; j++) {
			uint16_t i = miss_idx[j];

			results[i] = miss_res[j];
			qv_emc_insert(pmd->emc, &keys[i], hashes[i], t->gen, miss_res[j]);
		}
	}
	if (l2_default)
		now = rte_rdtsc();
	if (unlikely(tracing))
		trace_claim(pmd, port, pkts, n, trs);
	uint64_t *hits = &t->hits[pmd->index * t->hits_stride];
	uint32_t run_r = 0, run_hits = 0; /* hits of the rule of the current run of packets */
	uint16_t run_out = QV_MAX_PORTS;  /* its one output port when checked usable, or none */
	for (uint16_t i = 0; i < n; i++) {
		uint32_t r = results[same[i]];

		/* The common case: the same rule as the previous packet, outputting to one port
		 * already found usable in this burst: straight into its tx buffer. */
		if (r == run_r && run_out != QV_MAX_PORTS && likely(!tracing)) {
			run_hits++;
			pmd->txbuf[run_out].pkts[pmd->txbuf[run_out].n++] = pkts[i];
			if (unlikely(pmd->txbuf[run_out].n == QV_BURST))
				pmd_flush_port(pmd, run_out);
			continue;
		}

		if (unlikely(tracing) && trs[i]) {
			struct qv_trace_rec *tr = trs[i];

			pmd->cur_tr = tr;
			tr->key = keys[i];
			tr->parsed = r != RESULT_BAD;
			tr->emc_hit = r != RESULT_BAD && !(miss_mask & (1ull << same[i]));
			tr->rule_id = r != RESULT_BAD && r ? t->rules[r - 1].id : 0;
		}
		if (likely(r != 0 && r != RESULT_BAD)) {
			const struct qv_rule *rule = &t->rules[r - 1];

			if (r != run_r) {
				if (run_r)
					hits[run_r - 1] += run_hits;
				run_r = r;
				run_hits = 0;
			}
			run_hits++;
			pmd_run_rule(pmd, in, rule, &keys[i], pkts[i]);
			run_out = QV_MAX_PORTS;
			if (rule->n_actions == 1 && rule->actions[0].type == QV_ACT_OUTPUT &&
			    pmd_port_ready(rule->actions[0].arg))
				run_out = rule->actions[0].arg;
		} else if (r == RESULT_BAD) {
			pmd_drop(pmd, in, pkts[i], QV_DROP_BAD_HEADER);
		} else if (l2_default) {
			pmd_l2_switch(pmd, in, &keys[i], pkts[i], now);
		} else {
			pmd_drop(pmd, in, pkts[i], QV_DROP_NO_MATCH);
		}
		pmd->cur_tr = NULL;
	}
	if (run_r)
		hits[run_r - 1] += run_hits;
}

int qv_pmd_main(void *arg)
{
	struct qv_pmd *pmd = arg;
	struct rte_mbuf *pkts[QV_BURST];
	uint64_t prev = rte_rdtsc();

	rte_rcu_qsbr_thread_register(qv_sw.qsbr, pmd->index);
	rte_rcu_qsbr_thread_online(qv_sw.qsbr, pmd->index);
	while (!atomic_load_explicit(&pmd->stop, memory_order_relaxed)) {
		const struct qv_poll_list *pl =
		    atomic_load_explicit(&pmd->poll, memory_order_acquire);
		const struct qv_flow_table *t =
		    atomic_load_explicit(&qv_sw.table, memory_order_acquire);
		uint64_t busy = 0, now;

		for (uint16_t q = 0; pl && q < pl->n; q++) {
			struct qv_port *p = pl->rxq[q].port;
			uint16_t qid = pl->rxq[q].queue, n;
			const struct qv_capture_set *cs;
			uint64_t t0, t1;

			if (unlikely(!atomic_load_explicit(&p->admin_up, memory_order_relaxed)))
				continue;
			t0 = rte_rdtsc();
			n = qv_port_rx(p, qid, pkts, QV_BURST);
			if (n == 0)
				continue;
			cs = atomic_load_explicit(&p->capture, memory_order_acquire);
			if (unlikely(cs != NULL))
				qv_capture_burst(cs, pkts, n, QV_CAPTURE_RX);
			pmd_process(pmd, t, p, pkts, n);
			pmd_flush_all(pmd);
			if (unlikely(pmd->n_tr))
				trace_finish(pmd);
			t1 = rte_rdtsc();
			busy += t1 - t0;
			pmd->rxq[p->index][qid].packets += n;
			pmd->rxq[p->index][qid].busy_cycles += t1 - t0;
		}
		now = rte_rdtsc();
		pmd->busy_cycles += busy;
		pmd->idle_cycles += now - prev - busy;
		prev = now;
		rte_rcu_qsbr_quiescent(qv_sw.qsbr, pmd->index);
	}
	rte_rcu_qsbr_thread_offline(qv_sw.qsbr, pmd->index);
	rte_rcu_qsbr_thread_unregister(qv_sw.qsbr, pmd->index);
	return 0;
}

void qv_pmd_process_burst(struct qv_pmd *pmd, struct qv_port *in, struct rte_mbuf **pkts,
                          uint16_t n)
{
	const struct qv_flow_table *t = atomic_load_explicit(&qv_sw.table, memory_order_acquire);

	pmd_process(pmd, t, in, pkts, n);
	pmd_flush_all(pmd);
	if (unlikely(pmd->n_tr))
		trace_finish(pmd);
}
