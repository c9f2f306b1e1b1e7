/* qwikvirt: counter reading (see stats.h). PMDs write their counters with plain stores on
 * their own cache lines; readers load them relaxed, as 64-bit loads are atomic on our targets. */
#include <string.h>

#include "dataplane/stats.h"

static inline uint64_t rd(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void sum_port(const struct qv_port_state *st, struct qv_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (uint16_t i = 0; st && i < st->n_pmds; i++) {
		const struct qv_port_counters *c = &st->pmd[i].c;

		out->rx_packets += rd(&c->rx_packets);
		out->rx_bytes += rd(&c->rx_bytes);
		out->tx_packets += rd(&c->tx_packets);
		out->tx_bytes += rd(&c->tx_bytes);
		out->rx_nombuf += rd(&c->rx_nombuf);
		if (rd(&c->rx_nombuf_peak) > out->rx_nombuf_peak)
			out->rx_nombuf_peak = rd(&c->rx_nombuf_peak);
		for (int r = 0; r < QV_DROP_MAX; r++)
			out->drops[r] += rd(&c->drops[r]);
	}
}

void qv_stats_port(uint16_t idx, struct qv_port_counters *out)
{
	const struct qv_port_state *st = qv_switch_port_state(idx);
	static const struct qv_port_counters zero;
	const struct qv_port_counters *b = st ? &st->base : &zero;

	sum_port(st, out);
	out->rx_packets -= b->rx_packets;
	out->rx_bytes -= b->rx_bytes;
	out->tx_packets -= b->tx_packets;
	out->tx_bytes -= b->tx_bytes;
	out->rx_nombuf -= b->rx_nombuf;
	/* rx_nombuf_peak is a high-water mark: not cleared */
	for (int r = 0; r < QV_DROP_MAX; r++)
		out->drops[r] -= b->drops[r];
}

void qv_stats_pmd(uint16_t i, uint64_t *busy, uint64_t *idle)
{
	*busy = rd(&qv_sw.pmds[i]->busy_cycles) - qv_sw.pmd_busy_base[i];
	*idle = rd(&qv_sw.pmds[i]->idle_cycles) - qv_sw.pmd_idle_base[i];
}

void qv_stats_lookups(uint16_t i, struct qv_lookup_counters *out)
{
	const struct qv_lookup_counters *c = &qv_sw.pmds[i]->lookups, *b = &qv_sw.lookup_base[i];

	out->same_key = rd(&c->same_key) - b->same_key;
	out->emc_hits = rd(&c->emc_hits) - b->emc_hits;
	out->classified = rd(&c->classified) - b->classified;
}

void qv_stats_rxq(uint16_t pmd, uint16_t port, uint16_t q, struct qv_rxq_counters *out)
{
	const struct qv_port_state *st = qv_switch_port_state(port);
	const struct qv_rxq_counters *c, *b;

	memset(out, 0, sizeof(*out));
	if (!st || pmd >= st->n_pmds || q >= QV_MAX_QUEUES)
		return;
	c = &st->pmd[pmd].rxq[q];
	b = &st->pmd[pmd].rxq_base[q];
	out->packets = rd(&c->packets) - b->packets;
	out->busy_cycles = rd(&c->busy_cycles) - b->busy_cycles;
}

void qv_stats_drops(uint64_t totals[QV_DROP_MAX])
{
	struct qv_port_counters c;

	memset(totals, 0, sizeof(uint64_t) * QV_DROP_MAX);
	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		if (!qv_switch_port_at(i))
			continue;
		qv_stats_port(i, &c);
		for (int r = 0; r < QV_DROP_MAX; r++)
			totals[r] += c.drops[r];
	}
}

void qv_stats_clear(void)
{
	for (uint32_t idx = 0; idx < qv_switch_port_slots(); idx++) {
		struct qv_port_state *st = qv_switch_port_state(idx);

		if (!st)
			continue;
		sum_port(st, &st->base);
		for (uint16_t i = 0; i < st->n_pmds; i++)
			for (uint16_t q = 0; q < QV_MAX_QUEUES; q++) {
				st->pmd[i].rxq_base[q].packets = rd(&st->pmd[i].rxq[q].packets);
				st->pmd[i].rxq_base[q].busy_cycles =
				    rd(&st->pmd[i].rxq[q].busy_cycles);
			}
	}
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		qv_sw.pmd_busy_base[i] = rd(&qv_sw.pmds[i]->busy_cycles);
		qv_sw.pmd_idle_base[i] = rd(&qv_sw.pmds[i]->idle_cycles);
		qv_sw.lookup_base[i].same_key = rd(&qv_sw.pmds[i]->lookups.same_key);
		qv_sw.lookup_base[i].emc_hits = rd(&qv_sw.pmds[i]->lookups.emc_hits);
		qv_sw.lookup_base[i].classified = rd(&qv_sw.pmds[i]->lookups.classified);
	}
	for (uint32_t f = 0; f < qv_sw.n_flows; f++)
		qv_sw.flows[f].hits_base += qv_switch_flow_hits(f);
}
