/* qwikvirt: the loader's `instances:` value of a VNF: a fixed count, or {min, max, scale-out,
 * scale-in, cooldown, drain}, the instances that follow load (control/controld/scaling.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/units.h"
#include "control/yaml_load.h"
#include "lib/num.h"

#define DURATION_EXPECT "a duration such as 30s, 500ms, 5m or 1h"

enum { I_MIN, I_MAX, I_OUT, I_IN, I_COOLDOWN, I_DRAIN };
static const char *const inst_keys[] = {"min",      "max",   "scale-out", "scale-in",
                                        "cooldown", "drain", NULL};
enum { R_CPU, R_PPS, R_FOR };
static const char *const rule_keys[] = {"cpu", "pps", "for", NULL};

static bool qv_parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	char digits[24];
	size_t n = 0;
	uint64_t v;

	if (!s)
		return false;
	while (s[n] >= '0' && s[n] <= '9' && n < sizeof(digits) - 1)
		n++;
	if (n == 0 || n >= sizeof(digits) - 1)
		return false;
	memcpy(digits, s, n);
	digits[n] = 0;
	if (!qv_parse_uint(digits, 10, 0, max_ms, &v))
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		if (v > max_ms / units[i].ms)
			return false;
		*out = v * units[i].ms;
		return true;
	}
	return false;
}

static bool duration_of(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
                        uint32_t *out)
{
	char found[64];
	uint64_t ms;

	if (!qv_parse_duration_ms(ytext(n), QV_SCALE_MAX_DURATION_MS, &ms)) {
		yerr(c, ymark(n),
		     "bad '%s' in %s: found %s, expected " DURATION_EXPECT ", at most 1h", key,
		     what, yfound(n, found, sizeof(found)));
		return false;
	}
	*out = (uint32_t)ms;
	return true;
}

/* cpu: 80% -> 80 (a percent of the instances' vCPU time, 1..100). */
static bool percent_of(struct yctx *c, yaml_node_t *n, const char *what, uint64_t *out)
{
	const char *s = ytext(n);
	char found[64], num[8];
	size_t len = s ? strlen(s) : 0;

	if (len >= 2 && len < sizeof(num) + 1 && s[len - 1] == '%') {
		memcpy(num, s, len - 1);
		num[len - 1] = 0;
		if (qv_parse_uint(num, 10, 1, 100, out))
			return true;
	}
	yerr(c, ymark(n), "bad 'cpu' in %s: found %s, expected a percent of vCPU time, 1%%..100%%",
	     what, yfound(n, found, sizeof(found)));
	return false;
}

/* pps: 1Mpps -> 1000000 (packets/s one instance is handed). */
static bool pps_of(struct yctx *c, yaml_node_t *n, const char *what, uint64_t *out)
{
	char found[64];
	bool pkts = false;

	if (qv_parse_rate(ytext(n), out, &pkts) && pkts && *out > 0)
		return true;
	yerr(c, ymark(n),
	     "bad 'pps' in %s: found %s, expected a packet rate per instance such as 500kpps or "
	     "1Mpps (units: pps, kpps, Mpps)",
	     what, yfound(n, found, sizeof(found)));
	return false;
}

/* scale-out/scale-in: {cpu: 80%, for: 30s} or {pps: 1Mpps, for: 30s}. */
static void load_rule(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
                      uint32_t dflt_for, struct qv_model_scaling *s, struct qv_scale_rule *r)
{
	struct yfields f;
	char w[200];
	enum qv_scale_metric metric;

	snprintf(w, sizeof(w), "'%s' of %s", key, what);
	if (!ymap(c, n, rule_keys, 0x7, w, &f))
		return;
	if (f.val[R_CPU] && f.val[R_PPS]) {
		yerr(c, f.key_mark[R_PPS],
		     "%s has both 'cpu' (line %u) and 'pps': expected one load signal", w,
		     f.key_mark[R_CPU].line);
		return;
	}
	if (!f.val[R_CPU] && !f.val[R_PPS]) {
		ymissing(c, n, "cpu", w, "a load signal and its threshold: cpu: 80% or pps: 1Mpps");
		return;
	}
	metric = f.val[R_CPU] ? QV_SCALE_CPU : QV_SCALE_PPS;
	if (s->metric != QV_SCALE_MANUAL && s->metric != metric) {
		yerr(c, f.key_mark[metric == QV_SCALE_CPU ? R_CPU : R_PPS],
		     "%s measures %s, but 'scale-out' measures %s: expected one load signal for "
		     "both",
		     w, metric == QV_SCALE_CPU ? "cpu" : "pps",
		     s->metric == QV_SCALE_CPU ? "cpu" : "pps");
		return;
	}
	if (metric == QV_SCALE_CPU ? !percent_of(c, f.val[R_CPU], w, &r->threshold)
	                           : !pps_of(c, f.val[R_PPS], w, &r->threshold))
		return;
	r->for_ms = dflt_for;
	if (f.val[R_FOR] && !duration_of(c, f.val[R_FOR], "for", w, &r->for_ms))
		return;
	r->mark = ymark(n);
	r->set = true;
	s->metric = metric;
}

static void load_range(struct yctx *c, const struct yfields *f, yaml_node_t *n, const char *what,
                       struct qv_model_scaling *s)
{
	unsigned long num;

	s->min = 1;
	if (f->val[I_MIN] && yuint(c, f->val[I_MIN], "min", what, 1, QV_MODEL_MAX_INSTANCES, &num))
		s->min = (uint16_t)num;
	if (!f->val[I_MAX]) {
		ymissing(c, n, "max", what, "the most instances it may run, e.g. max: 4");
		return;
	}
	if (!yuint(c, f->val[I_MAX], "max", what, 1, QV_MODEL_MAX_INSTANCES, &num))
		return;
	if (num < s->min) {
		yerr(c, ymark(f->val[I_MAX]),
		     "bad 'max' in %s: found %lu, expected at least 'min' (%u)", what, num, s->min);
		return;
	}
	s->max = (uint16_t)num;
}

void qv_yaml_load_instances(struct yctx *c, yaml_node_t *n, const char *vnf_what,
                            struct qv_model_vnf *v)
{
	struct qv_model_scaling *s = &v->scaling;
	struct yfields f;
	unsigned long num;
	char what[200];

	if (n->type != YAML_MAPPING_NODE) {
		if (yuint(c, n, "instances", vnf_what, 1, QV_MODEL_MAX_INSTANCES, &num))
			v->instances = (uint16_t)num;
		return;
	}
	snprintf(what, sizeof(what), "the instances of %s", vnf_what);
	if (!ymap(c, n, inst_keys, 0x3f, what, &f))
		return;
	load_range(c, &f, n, what, s);
	if (!s->max)
		return;
	s->cooldown_ms = QV_SCALE_DEFAULT_COOLDOWN_MS;
	s->drain_ms = QV_SCALE_DEFAULT_DRAIN_MS;
	if (f.val[I_COOLDOWN])
		duration_of(c, f.val[I_COOLDOWN], "cooldown", what, &s->cooldown_ms);
	if (f.val[I_DRAIN])
		duration_of(c, f.val[I_DRAIN], "drain", what, &s->drain_ms);
	if (f.val[I_OUT])
		load_rule(c, f.val[I_OUT], "scale-out", what, QV_SCALE_DEFAULT_OUT_FOR_MS, s,
		          &s->out);
	if (f.val[I_IN])
		load_rule(c, f.val[I_IN], "scale-in", what, QV_SCALE_DEFAULT_IN_FOR_MS, s, &s->in);
	/* hysteresis: between the two thresholds nothing happens, so a load at one of them
	 * does not flap the count */
	if (s->out.set && s->in.set && s->in.threshold >= s->out.threshold) {
		yerr(c, s->in.mark,
		     "bad 'scale-in' in %s: its threshold (%s) must be below scale-out's (%s), or "
		     "the count would flap",
		     what,
		     ytext(ymap_peek(c, f.val[I_IN], s->metric == QV_SCALE_CPU ? "cpu" : "pps")),
		     ytext(ymap_peek(c, f.val[I_OUT], s->metric == QV_SCALE_CPU ? "cpu" : "pps")));
		return;
	}
	s->mark = ymark(n);
	s->on = true;
	v->instances = s->min;
}
