/* qv-bench traffic loop (fast path): per-size templates copied into mbufs and patched per flow,
 * TSC pacing, 1-in-N TSC stamps, bulk frees; then a drain until the ports go quiet. */
#include "run.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define MAX_BURST 64
#define DRAIN_MAX_S 3.0

volatile sig_atomic_t bench_quit;

struct txq {
	struct rte_mbuf *pend[MAX_BURST]; /* built, not yet taken by the port */
	unsigned int npend;
	uint64_t idx;     /* packets built on this port: picks size, flow and seq */
	double next_send; /* TSC at which the next packet may be built (rate mode) */
	uint64_t tx, tx_bytes;
};

struct rxq {
	uint64_t rx, rx_bytes, stale;
	uint64_t last_rx, last_tx; /* for the periodic line */
};

/* One template per distinct size of the spec, indexed like z->len. */
struct templates {
	uint8_t buf[PKTGEN_MAX_SIZES][PKTGEN_MAX_LEN];
};
static struct templates tmpl;

static void make_templates(const struct bench_opts *o, const struct pktgen_sizes *z, uint8_t trial)
{
	for (unsigned int i = 0; i < z->n; i++)
		pktgen_build(tmpl.buf[i], pktgen_data_len(z->len[i]), &o->pkt, 0, trial, 0, 0);
}

/* Fast path: builds n packets for one port; returns how many (fewer if the pool ran dry). */
static unsigned int build(struct run_env *env, const struct pktgen_sizes *z, struct txq *q,
                          unsigned int n, uint64_t now)
{
	const struct bench_opts *o = env->o;
	struct rte_mbuf *m[MAX_BURST];

	if (rte_pktmbuf_alloc_bulk(env->mp, m, n) != 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t idx = q->idx++;
		unsigned int k = z->mix ? z->pattern[idx % z->pattern_len] : 0;
		uint32_t len = pktgen_data_len(z->len[k]);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)len);
		rte_memcpy(d, tmpl.buf[k], len);
		if (o->pkt.flows > 1)
			pktgen_set_flow(d, &o->pkt, (uint32_t)(idx % o->pkt.flows));
		bool sample = o->lat_every && idx % o->lat_every == 0;
		pktgen_set_stamp(d, env->trial, (uint32_t)idx, sample ? now : 0);
		q->pend[q->npend++] = m[i];
	}
	return n;
}

static void print_line(const char *label, double t, const struct txq *tq, struct rxq *rq,
                       uint16_t nports, double dt, const struct lat_hist *lat, double hz)
{
	uint64_t tx = 0, rx = 0, ltx = 0, lrx = 0;

	for (uint16_t p = 0; p < nports; p++) {
		tx += tq[p].tx;
		rx += rq[p].rx;
		ltx += rq[p].last_tx;
		lrx += rq[p].last_rx;
		rq[p].last_tx = tq[p].tx;
		rq[p].last_rx = rq[p].rx;
	}
	printf("qv-bench: %-6s %6.1fs  tx %8.3f Mpps  rx %8.3f Mpps  tx-rx %" PRId64, label, t,
	       (double)(tx - ltx) / dt / 1e6, (double)(rx - lrx) / dt / 1e6,
	       (int64_t)tx - (int64_t)rx);
	if (lat->count)
		printf("  lat p50 %.1f p99 %.1f max %.1f us",
		       (double)lat_quantile(lat, 0.5) * 1e6 / hz,
		       (double)lat_quantile(lat, 0.99) * 1e6 / hz, (double)lat->max * 1e6 / hz);
	putchar('\n');
	fflush(stdout);
}

int bench_run(struct run_env *env, const struct pktgen_sizes *z, double rate, double duration,
              const char *label, struct run_result *out)
{
	const struct bench_opts *o = env->o;
	const uint16_t np = env->nports;
	const double hz = (double)rte_get_tsc_hz();
	const unsigned int burst = o->burst;
	const bool any_trial = o->mode == MODE_RXONLY; /* stamps of another process */
	struct txq tq[BENCH_MAX_PORTS];
	struct rxq rq[BENCH_MAX_PORTS];
	static struct lat_hist lat;
	uint32_t txm = o->mode == MODE_GEN || o->mode == MODE_TXONLY ? o->tx_mask : 0;
	unsigned int ntx = (unsigned int)__builtin_popcount(txm);
	struct rte_mbuf *rxb[MAX_BURST];
	uint64_t io_fwd = 0, io_drop = 0, injected = 0;
	/* This process's own load: TSC cycles of the loop iterations that moved a packet while
	 * sending, counted from one iteration's start to the next's (no extra TSC read). */
	uint64_t busy_cycles = 0, it_start = 0;
	bool it_busy = false;

	env->trial++;
	memset(tq, 0, sizeof(tq));
	memset(rq, 0, sizeof(rq));
	lat_init(&lat);
	make_templates(o, z, env->trial);

	const double tsc_per_pkt = rate > 0 && ntx ? hz * ntx / rate : 0;
	const uint64_t start = rte_get_tsc_cycles();
	const uint64_t end = start + (uint64_t)(duration * hz);
	const uint64_t drain = (uint64_t)(o->drain_ms / 1000.0 * hz);
	const uint64_t drain_max = (uint64_t)(DRAIN_MAX_S * hz);
	const uint64_t stats_every = out && o->stats > 0 ? (uint64_t)(o->stats * hz) : 0;
	uint64_t next_stats = start + stats_every, last_stats = start, last_rx = start;
	uint64_t send_end = end;
	bool sending = true;

	for (uint16_t p = 0; p < np; p++)
		tq[p].next_send = (double)start;

	/* io loop mode: inject bursts once, then only reflect (the anchors' testpmd tx_first). */
	if (o->mode == MODE_IO && o->tx_first)
		for (uint16_t p = 0; p < np; p++)
			for (unsigned int b = 0; b < o->tx_first; b++) {
				unsigned int made = build(env, z, &tq[p], burst, start);
				uint16_t s = rte_eth_tx_burst(p, 0, tq[p].pend, (uint16_t)made);
				rte_pktmbuf_free_bulk(tq[p].pend + s, made - s);
				tq[p].npend = 0;
				injected += s;
			}

	for (;;) {
		uint64_t now = rte_get_tsc_cycles();

		if (it_busy && sending)
			busy_cycles += now - it_start;
		it_start = now;
		it_busy = false;
		if (sending && (now >= end || bench_quit)) {
			sending = false;
			send_end = now;
		}
		for (uint16_t p = 0; p < np && ntx; p++) {
			struct txq *q = &tq[p];
			if (!(txm & (1u << p)))
				continue;
			if (sending) {
				unsigned int n = burst - q->npend;
				if (tsc_per_pkt > 0) {
					/* Catch up after a short preemption, not after a long one:
					 * that would send one huge burst. */
					if ((double)now - q->next_send > hz / 100)
						q->next_send = (double)now - hz / 100;
					double allowed = 0;
					if ((double)now >= q->next_send)
						allowed = (double)(uint64_t)(((double)now -
						                              q->next_send) /
						                             tsc_per_pkt) +
						          1;
					if (allowed < n)
						n = (unsigned int)allowed;
				}
				if (n) {
					unsigned int made = build(env, z, q, n, now);
					q->next_send += made * tsc_per_pkt;
				}
			}
			if (q->npend) {
				uint16_t s = rte_eth_tx_burst(p, 0, q->pend, (uint16_t)q->npend);
				it_busy |= s > 0;
				for (uint16_t i = 0; i < s; i++)
					q->tx_bytes += q->pend[i]->pkt_len;
				q->tx += s;
				q->npend -= s;
				if (q->npend && s)
					memmove(q->pend, q->pend + s,
					        q->npend * sizeof(q->pend[0]));
			}
		}
		for (uint16_t p = 0; p < np; p++) {
			uint16_t n = rte_eth_rx_burst(p, 0, rxb, (uint16_t)burst);
			if (!n)
				continue;
			it_busy = true;
			last_rx = now;
			if (o->mode == MODE_IO && !sending) {
				rte_pktmbuf_free_bulk(rxb, n); /* the loop ends: stop reflecting */
				continue;
			}
			if (o->mode == MODE_IO) {
				uint16_t peer = (uint16_t)(p ^ 1) < np ? (uint16_t)(p ^ 1) : p;
				uint16_t s = rte_eth_tx_burst(peer, 0, rxb, n);
				rq[p].rx += n;
				io_fwd += s;
				io_drop += n - s;
				if (s < n)
					rte_pktmbuf_free_bulk(rxb + s, n - s);
				continue;
			}
			bool counted = o->rx_mask & (1u << p);
			for (uint16_t i = 0; i < n && counted; i++) {
				const struct rte_mbuf *m = rxb[i];
				struct pktgen_stamp st;
				uint8_t trial;
				if (!pktgen_read_stamp(rte_pktmbuf_mtod(m, const uint8_t *),
				                       m->data_len, &trial, &st) ||
				    (!any_trial && trial != env->trial)) {
					rq[p].stale++;
					continue;
				}
				rq[p].rx++;
				rq[p].rx_bytes += m->pkt_len;
				if (st.tsc && now > st.tsc)
					lat_add(&lat, now - st.tsc);
			}
			rte_pktmbuf_free_bulk(rxb, n);
		}
		if (stats_every && now >= next_stats && sending) {
			print_line(label, (double)(now - start) / hz, tq, rq, np,
			           (double)(now - last_stats) / hz, &lat, hz);
			last_stats = now;
			next_stats += stats_every;
		}
		/* Sending is over: wait for what is still in flight, until the ports go quiet. */
		if (!sending && (now - last_rx >= drain || now - send_end >= drain_max))
			break;
	}
	for (uint16_t p = 0; p < np; p++) {
		rte_pktmbuf_free_bulk(tq[p].pend, tq[p].npend); /* never sent: not counted */
		tq[p].npend = 0;
	}
	if (!out)
		return bench_quit ? -1 : 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->label, sizeof(out->label), "%s", label);
	out->size = z->mix ? 0 : z->len[0];
	out->avg_len = pktgen_mix_avg(z);
	out->offered_pps = rate;
	out->elapsed = (double)(send_end - start) / hz;
	out->offered = rate > 0 ? (uint64_t)(rate * out->elapsed) : 0;
	for (uint16_t p = 0; p < np; p++) {
		out->tx += tq[p].tx;
		out->tx_bytes += tq[p].tx_bytes;
		out->rx += rq[p].rx;
		out->rx_bytes += rq[p].rx_bytes;
		out->stale += rq[p].stale;
	}
	if (o->mode == MODE_IO) {
		out->tx = injected + io_fwd;
		out->io_fwd = io_fwd;
		out->io_drop = io_drop;
		out->rx_bytes = (uint64_t)((double)out->rx * (out->avg_len - PKTGEN_FCS_LEN));
	}
	/* Loss only means something when this process both sends and counts receptions. */
	if (o->mode == MODE_GEN && out->tx > out->rx)
		out->lost = out->tx - out->rx;
	out->tx_pps = out->elapsed > 0 ? (double)out->tx / out->elapsed : 0;
	out->rx_pps = out->elapsed > 0 ? (double)out->rx / out->elapsed : 0;
	/* Bits on the wire per frame: + 4 CRC + 8 preamble + 12 inter-frame gap. */
	/* on the wire: the frame (FCS included) + 8 bytes of preamble and 12 of gap */
	out->rx_bps = out->rx_pps * (out->avg_len + 20) * 8;
	out->lat = lat;
	out->tsc_hz = hz;
	out->busy_cycles = busy_cycles;
	out->busy_share = send_end > start ? (double)busy_cycles / (double)(send_end - start) : 0;
	return bench_quit ? -1 : 0;
}
