/* qwikvirt: the loader's `bandwidth:` values (ports, VNFs, VNF interfaces): a rate for both
 * directions, {rate, burst, peak, peak-burst}, or {ingress: ..., egress: ...}. */
#include <stdio.h>
#include <string.h>

#include "control/units.h"
#include "control/yaml_load.h"

enum { BW_RATE, BW_BURST, BW_PEAK, BW_PEAK_BURST, BW_INGRESS, BW_EGRESS };
static const char *const bw_keys[] = {"rate",    "burst",  "peak", "peak-burst",
                                      "ingress", "egress", NULL};
#define BW_ONE ((1u << BW_RATE) | (1u << BW_BURST) | (1u << BW_PEAK) | (1u << BW_PEAK_BURST))
#define BW_DIRS ((1u << BW_INGRESS) | (1u << BW_EGRESS))

static bool rate_of(struct yctx *c, yaml_node_t *n, const char *key, const char *what, uint64_t *v,
                    bool *pkts)
{
	char found[64], lo[32], hi[32];
	uint64_t min, max;

	if (!qv_parse_rate(ytext(n), v, pkts)) {
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected " QV_RATE_EXPECT, key, what,
		     yfound(n, found, sizeof(found)));
		return false;
	}
	min = *pkts ? 1 : QV_POLICE_MIN_RATE_BITS;
	max = *pkts ? QV_POLICE_MAX_RATE_PKTS : QV_POLICE_MAX_RATE_BITS;
	if (*v < min || *v > max) {
		qv_format_rate(min, *pkts, lo, sizeof(lo));
		qv_format_rate(max, *pkts, hi, sizeof(hi));
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected %s..%s", key, what,
		     yfound(n, found, sizeof(found)), lo, hi);
		return false;
	}
	return true;
}

static bool burst_of(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
                     bool want_pkts, uint64_t *v)
{
	char found[64];
	bool pkts;

	if (!qv_parse_burst(ytext(n), v, &pkts)) {
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected " QV_BURST_EXPECT, key, what,
		     yfound(n, found, sizeof(found)));
		return false;
	}
	if (pkts != want_pkts) {
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected a burst in %s", key, what,
		     yfound(n, found, sizeof(found)),
		     want_pkts ? "packets (pkt) for a packets/s rate"
		               : "bytes (B, KiB, MiB) for a bit rate");
		return false;
	}
	if (*v < (pkts ? 1 : QV_POLICE_MIN_BURST_BYTES) || *v > QV_POLICE_MAX_BURST) {
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected %s", key, what,
		     yfound(n, found, sizeof(found)),
		     pkts ? "1pkt or more"
		          : "at least 1522B, one full-size frame (jumbo frames need their own "
		            "size), and at most 4GiB");
		return false;
	}
	return true;
}

/* One direction: a rate, or {rate, burst, peak, peak-burst}. */
static void load_one(struct yctx *c, yaml_node_t *n, const char *what, struct qv_police *p)
{
	struct yfields f;
	struct qv_police q = {0};
	bool pkts, peak_pkts;

	if (n->type != YAML_MAPPING_NODE) {
		if (rate_of(c, n, "bandwidth", what, &q.rate, &pkts)) {
			q.unit = pkts ? QV_POLICE_PACKETS : QV_POLICE_BITS;
			*p = q;
		}
		return;
	}
	if (!ymap(c, n, bw_keys, BW_ONE, what, &f))
		return;
	if (!f.val[BW_RATE]) {
		ymissing(c, n, "rate", what, "a rate such as 2Gbit or 100kpps");
		return;
	}
	if (!rate_of(c, f.val[BW_RATE], "rate", what, &q.rate, &pkts))
		return;
	q.unit = pkts ? QV_POLICE_PACKETS : QV_POLICE_BITS;
	if (f.val[BW_BURST] && !burst_of(c, f.val[BW_BURST], "burst", what, pkts, &q.burst))
		return;
	if (f.val[BW_PEAK_BURST] && !f.val[BW_PEAK]) {
		yerr(c, f.key_mark[BW_PEAK_BURST],
		     "'peak-burst' in %s needs 'peak' (the peak rate of a two-rate policer)", what);
		return;
	}
	if (f.val[BW_PEAK]) {
		char found[64];

		if (!rate_of(c, f.val[BW_PEAK], "peak", what, &q.peak_rate, &peak_pkts))
			return;
		if (peak_pkts != pkts || q.peak_rate < q.rate) {
			yerr(c, ymark(f.val[BW_PEAK]),
			     "bad 'peak' in %s: found %s, expected a rate in %s of at least 'rate' "
			     "(%s)",
			     what, yfound(f.val[BW_PEAK], found, sizeof(found)),
			     pkts ? "packets/s" : "bit/s", ytext(f.val[BW_RATE]));
			return;
		}
		q.mode = QV_POLICE_TRTCM;
		if (f.val[BW_PEAK_BURST]) {
			if (!burst_of(c, f.val[BW_PEAK_BURST], "peak-burst", what, pkts,
			              &q.peak_burst))
				return;
			if (q.peak_burst < q.burst) {
				yerr(c, ymark(f.val[BW_PEAK_BURST]),
				     "bad 'peak-burst' in %s: found %s, expected at least 'burst' "
				     "(%s)",
				     what, yfound(f.val[BW_PEAK_BURST], found, sizeof(found)),
				     ytext(f.val[BW_BURST]));
				return;
			}
		}
	}
	*p = q;
}

void qv_yaml_load_bandwidth(struct yctx *c, yaml_node_t *n, const char *what, struct qv_police *bw)
{
	char w[200];

	if (n->type == YAML_MAPPING_NODE &&
	    (ymap_peek(c, n, "ingress") != NULL || ymap_peek(c, n, "egress") != NULL)) {
		struct yfields f;

		if (!ymap(c, n, bw_keys, BW_DIRS, what, &f))
			return;
		if (f.val[BW_INGRESS]) {
			snprintf(w, sizeof(w), "the ingress bandwidth of %s", what);
			load_one(c, f.val[BW_INGRESS], w, &bw[QV_POLICE_INGRESS]);
		}
		if (f.val[BW_EGRESS]) {
			snprintf(w, sizeof(w), "the egress bandwidth of %s", what);
			load_one(c, f.val[BW_EGRESS], w, &bw[QV_POLICE_EGRESS]);
		}
		return;
	}
	snprintf(w, sizeof(w), "the bandwidth of %s", what);
	load_one(c, n, w, &bw[QV_POLICE_INGRESS]);
	bw[QV_POLICE_EGRESS] = bw[QV_POLICE_INGRESS];
}
