/* qwikvirt: the PMD side of capture — FAST PATH, but only entered when a port has a capture:
 * filter with rte_bpf, copy into the capture's pool, hand over through its ring. */
#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "dataplane/capture/capture.h"
#include "dataplane/capture/capture_hdr.h"
#include "dataplane/pmd.h"

static void capture_one(struct qv_capture *c, struct rte_mbuf **pkts, uint16_t n, uint8_t dir,
                        uint64_t now)
{
	uint64_t rc[QV_BURST];
	struct rte_mbuf *copies[QV_BURST];
	unsigned k = 0, q;

	if (c->bpf)
		rte_bpf_exec_burst(c->bpf, (void **)pkts, rc, n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *cp;
		struct qv_capture_hdr *h;
		uint32_t snap;

		if (c->bpf && rc[i] == 0)
			continue;
		if (c->count_limit && atomic_fetch_add_explicit(
		                          &c->matched, 1, memory_order_relaxed) >= c->count_limit)
			break;
		if (!c->count_limit)
			atomic_fetch_add_explicit(&c->matched, 1, memory_order_relaxed);
		snap = pkts[i]->pkt_len < c->snaplen ? pkts[i]->pkt_len : c->snaplen;
		cp = rte_pktmbuf_copy(pkts[i], c->mp, 0, snap);
		if (cp)
			h = (struct qv_capture_hdr *)rte_pktmbuf_prepend(cp, sizeof(*h));
		if (!cp || !h) {
			rte_pktmbuf_free(cp);
			atomic_fetch_add_explicit(&c->drop_nomem, 1, memory_order_relaxed);
			continue;
		}
		h->tsc = now;
		h->origlen = pkts[i]->pkt_len;
		h->dir = dir;
		copies[k++] = cp;
	}
	if (k == 0)
		return;
	q = rte_ring_enqueue_burst(c->ring, (void **)copies, k, NULL);
	if (q < k) {
		rte_pktmbuf_free_bulk(copies + q, k - q);
		atomic_fetch_add_explicit(&c->drop_ring, k - q, memory_order_relaxed);
	}
}

void qv_capture_burst(const struct qv_capture_set *cs, struct rte_mbuf **pkts, uint16_t n,
                      uint8_t dir)
{
	uint64_t now = rte_rdtsc();

	for (uint16_t i = 0; i < cs->n; i++) {
		struct qv_capture *c = cs->c[i];

		if ((c->dir & dir) && !atomic_load_explicit(&c->finished, memory_order_relaxed))
			capture_one(c, pkts, n, dir, now);
	}
}
