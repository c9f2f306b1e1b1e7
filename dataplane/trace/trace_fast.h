/* qwikvirt: the PMD side of packet trace — FAST PATH, but only compiled into the traced
 * variant of the PMD loop (pmd.c): claiming records for a burst, noting outputs and drops. */
#ifndef QV_TRACE_FAST_H
#define QV_TRACE_FAST_H

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/pmd.h"
#include "dataplane/trace/trace.h"

/* Notes one output of the packet being handled: -1 sent (so far), else the drop reason. */
static inline void qv_trace_output(struct qv_trace_rec *tr, uint16_t out, int16_t drop)
{
	if (tr->n_out < QV_TRACE_OUTS) {
		tr->out[tr->n_out] = out;
		tr->out_drop[tr->n_out] = drop;
	}
	tr->n_out++;
}

/* Packet m could not be sent to port `out` after all (tx full, port gone). */
static inline void qv_trace_tx_failed(struct qv_pmd *pmd, const struct rte_mbuf *m, uint16_t out,
                                      int16_t why)
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

/* Claims trace records for the packets of a burst while the port's trace budget lasts;
 * trs[i] is packet i's record or NULL. */
static inline void qv_trace_claim(struct qv_pmd *pmd, struct qv_port *port, struct rte_mbuf **pkts,
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

/* The burst is sent: its records are complete and readable by trace.show. */
static inline void qv_trace_finish(struct qv_pmd *pmd)
{
	for (uint16_t j = 0; j < pmd->n_tr; j++) {
		pmd->tr[j]->mbuf = NULL;
		atomic_store_explicit(&pmd->tr[j]->done, 1, memory_order_release);
	}
	pmd->n_tr = 0;
}

#endif
