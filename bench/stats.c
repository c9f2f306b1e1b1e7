/* qv-bench output: human tables (Mpps, Gbit/s, loss, latency percentiles in us) and a JSON file
 * for scripts, both from the same run_result structs. */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

double stats_lat_us(const struct run_result *r, double q)
{
	if (!r->lat.count || r->tsc_hz <= 0)
		return 0;
	return (double)lat_quantile(&r->lat, q) * 1e6 / r->tsc_hz;
}

static void table_head(FILE *f)
{
	fprintf(f, "%-10s %9s %9s %9s %8s %11s %8s | %8s %8s %8s %8s %8s %8s\n", "run", "offered",
	        "tx Mpps", "rx Mpps", "rx Gbps", "lost", "loss %", "lat n", "min us", "p50 us",
	        "p99 us", "p99.9 us", "max us");
}

static void table_row(FILE *f, const struct run_result *r, const char *label)
{
	char off[16];

	if (r->offered_pps > 0)
		snprintf(off, sizeof(off), "%.3f", r->offered_pps / 1e6);
	else
		snprintf(off, sizeof(off), "max");
	fprintf(f,
	        "%-10s %9s %9.3f %9.3f %8.2f %11" PRIu64 " %8.4f | %8" PRIu64
	        " %8.1f %8.1f %8.1f %8.1f %8.1f\n",
	        label, off, r->tx_pps / 1e6, r->rx_pps / 1e6, r->rx_bps / 1e9, r->lost,
	        r->tx ? 100.0 * (double)r->lost / (double)r->tx : 0.0, r->lat.count,
	        stats_lat_us(r, 0), stats_lat_us(r, 0.5), stats_lat_us(r, 0.99),
	        stats_lat_us(r, 0.999), stats_lat_us(r, 1));
}

void stats_table(FILE *f, const struct run_result *runs, unsigned int n)
{
	if (!n)
		return;
	table_head(f);
	for (unsigned int i = 0; i < n; i++)
		table_row(f, &runs[i], runs[i].label);
}

void stats_search_table(FILE *f, const struct search_result *s, unsigned int n)
{
	if (!n)
		return;
	fprintf(f, "RFC 2544 search results (offered = highest passing rate):\n");
	table_head(f);
	for (unsigned int i = 0; i < n; i++) {
		char label[40];
		snprintf(label, sizeof(label), "%s %s", s[i].kind, s[i].label);
		if (s[i].best >= 0)
			table_row(f, &s[i].trial[s[i].best], label);
		else
			fprintf(f, "%-10s no trial passed (%u trials)\n", label, s[i].ntrials);
	}
}

static void json_num(FILE *f, const char *k, double v, bool comma)
{
	fprintf(f, "\"%s\":%.6g%s", k, v, comma ? "," : "");
}

static void json_run(FILE *f, const struct run_result *r)
{
	fprintf(f, "{\"label\":\"%s\",\"size\":%u,", r->label, r->size);
	json_num(f, "avg_len", r->avg_len, true);
	json_num(f, "offered_pps", r->offered_pps, true);
	fprintf(f,
	        "\"offered\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"lost\":%" PRIu64
	        ",\"stale\":%" PRIu64 ",\"tx_bytes\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	        ",\"io_forwarded\":%" PRIu64 ",\"io_dropped\":%" PRIu64 ",",
	        r->offered, r->tx, r->rx, r->lost, r->stale, r->tx_bytes, r->rx_bytes, r->io_fwd,
	        r->io_drop);
	json_num(f, "loss_ratio", r->tx ? (double)r->lost / (double)r->tx : 0, true);
	json_num(f, "elapsed_s", r->elapsed, true);
	json_num(f, "tx_pps", r->tx_pps, true);
	json_num(f, "rx_pps", r->rx_pps, true);
	json_num(f, "rx_bps", r->rx_bps, true);
	/* The generator's own load: where its busy share nears 100 % it, not the switch, may
	 * set the rate (on two cores it shares a machine with the switch's PMD). */
	const uint64_t handled = r->rx ? r->rx : r->tx;
	json_num(f, "gen_busy_pct", r->busy_share * 100, true);
	json_num(f, "gen_busy_cycles_per_pkt",
	         handled ? (double)r->busy_cycles / (double)handled : 0, true);
	static const char *const phase[] = {"search", "ceiling", "final"};
	fprintf(f, "\"pass\":%s,\"phase\":\"%s\",\"latency_us\":{\"samples\":%" PRIu64 ",",
	        r->pass ? "true" : "false", phase[r->phase <= PHASE_FINAL ? r->phase : 0],
	        r->lat.count);
	json_num(f, "min", stats_lat_us(r, 0), true);
	json_num(f, "p50", stats_lat_us(r, 0.5), true);
	json_num(f, "p90", stats_lat_us(r, 0.9), true);
	json_num(f, "p99", stats_lat_us(r, 0.99), true);
	json_num(f, "p99_9", stats_lat_us(r, 0.999), true);
	json_num(f, "max", stats_lat_us(r, 1), true);
	json_num(f, "mean",
	         r->lat.count && r->tsc_hz > 0 ? r->lat.sum / (double)r->lat.count * 1e6 / r->tsc_hz
	                                       : 0,
	         false);
	fprintf(f, "}}");
}

static void json_mask(FILE *f, const char *k, uint32_t m)
{
	bool first = true;

	fprintf(f, "\"%s\":[", k);
	for (unsigned int p = 0; p < 32; p++)
		if (m & (1u << p)) {
			fprintf(f, "%s%u", first ? "" : ",", p);
			first = false;
		}
	fprintf(f, "],");
}

int stats_json(const char *path, const struct bench_opts *o, const char *mode_name,
               const struct run_result *runs, unsigned int nruns, const struct search_result *s,
               unsigned int ns)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "{\"tool\":\"qv-bench\",\"format\":1,\"mode\":\"%s\",", mode_name);
	json_mask(f, "tx_ports", o->tx_mask);
	json_mask(f, "rx_ports", o->rx_mask);
	fprintf(f, "\"sizes\":\"%s\",\"flows\":%u,", o->sizes_arg ? o->sizes_arg : "",
	        o->pkt.flows);
	json_num(f, "rate_pps", o->rate, true);
	json_num(f, "duration_s", o->duration, true);
	fprintf(f, "\"latency_sample_every\":%u,", o->lat_every);
	json_num(f, "tsc_hz",
	         nruns ? runs[0].tsc_hz : (ns && s[0].ntrials ? s[0].trial[0].tsc_hz : 0), true);
	fprintf(f, "\"runs\":[");
	for (unsigned int i = 0; i < nruns; i++) {
		fputs(i ? "," : "", f);
		json_run(f, &runs[i]);
	}
	fprintf(f, "],\"search\":[");
	for (unsigned int i = 0; i < ns; i++) {
		fprintf(f, "%s{\"kind\":\"%s\",\"label\":\"%s\",", i ? "," : "", s[i].kind,
		        s[i].label);
		json_num(f, "loss_ratio", s[i].loss_ratio, true);
		json_num(f, "rate_pps", s[i].rate, true);
		fprintf(f, "\"confirmed\":%s,\"best\":", s[i].confirmed ? "true" : "false");
		if (s[i].best >= 0)
			json_run(f, &s[i].trial[s[i].best]);
		else
			fputs("null", f);
		fprintf(f, ",\"trials\":[");
		for (unsigned int t = 0; t < s[i].ntrials; t++) {
			fputs(t ? "," : "", f);
			json_run(f, &s[i].trial[t]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
	int err = ferror(f);
	if (fclose(f) != 0 || err) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
