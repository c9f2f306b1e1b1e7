/* qwikvirt: when a VNF scales — thresholds held for their `for`, hysteresis between scale-out
 * and scale-in, a cool-down after each change, min..max. Pure: the clock and load passed in. */
#include <stdio.h>

#include "control/controld/scaling.h"
#include "control/units.h"

void qv_scale_state_init(struct qv_scale_state *st, unsigned current)
{
	*st = (struct qv_scale_state){.current = current,
	                              .drain_to = current,
	                              .above_since = -1,
	                              .below_since = -1,
	                              .last_change = -1};
}

void qv_scale_format_load(enum qv_scale_metric m, double v, char *buf, size_t len)
{
	if (m == QV_SCALE_PPS)
		qv_format_rate((uint64_t)(v + 0.5), true, buf, len);
	else
		snprintf(buf, len, "%.0f%%", v);
}

static void duration(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000)
		snprintf(buf, len, "%ums", ms);
	else
		snprintf(buf, len, "%us", ms / 1000);
}

static void hold(struct qv_scale_decision *d, enum qv_scale_reason r)
{
	d->action = QV_SCALE_HOLD;
	d->reason = r;
}

/* Scale-out's threshold held for its `for` and no reason not to: OUT. */
static void past_out(const struct qv_model_scaling *cfg, const struct qv_scale_state *st,
                     const char *load, long long now, struct qv_scale_decision *d)
{
	char thr[32], dur[16];

	qv_scale_format_load(cfg->metric, (double)cfg->out.threshold, thr, sizeof(thr));
	duration(cfg->out.for_ms, dur, sizeof(dur));
	if (now - st->above_since < cfg->out.for_ms) {
		hold(d, QV_WHY_PENDING);
		snprintf(d->why, sizeof(d->why), "load %s over scale-out's %s, not yet for %s",
		         load, thr, dur);
	} else if (st->current >= cfg->max) {
		hold(d, QV_WHY_AT_LIMIT);
		snprintf(d->why, sizeof(d->why),
		         "load %s over scale-out's %s for %s, but at max %u", load, thr, dur,
		         cfg->max);
	} else if (st->last_change >= 0 && now - st->last_change < cfg->cooldown_ms) {
		hold(d, QV_WHY_COOLDOWN);
		snprintf(d->why, sizeof(d->why),
		         "load %s over scale-out's %s for %s, cooling down (%llds left)", load, thr,
		         dur, (cfg->cooldown_ms - (now - st->last_change) + 999) / 1000);
	} else {
		d->action = QV_SCALE_OUT;
		d->reason = QV_WHY_LOAD;
		d->to = st->current + 1;
		snprintf(d->why, sizeof(d->why), "load %s over scale-out's %s for %s: %u -> %u",
		         load, thr, dur, st->current, d->to);
	}
}

/* Scale-in's threshold held for its `for`: IN, unless one instance fewer would be loaded past
 * scale-out's threshold (the same load over n - 1) and so scale out again. */
static void past_in(const struct qv_model_scaling *cfg, const struct qv_scale_state *st,
                    double load, const char *text, long long now, struct qv_scale_decision *d)
{
	char thr[32], dur[16], after[32], othr[32];
	double on_fewer = st->current > 1 ? load * st->current / (st->current - 1) : load;

	qv_scale_format_load(cfg->metric, (double)cfg->in.threshold, thr, sizeof(thr));
	duration(cfg->in.for_ms, dur, sizeof(dur));
	if (now - st->below_since < cfg->in.for_ms) {
		hold(d, QV_WHY_PENDING);
		snprintf(d->why, sizeof(d->why), "load %s under scale-in's %s, not yet for %s",
		         text, thr, dur);
	} else if (st->current <= cfg->min) {
		hold(d, QV_WHY_AT_LIMIT);
		snprintf(d->why, sizeof(d->why),
		         "load %s under scale-in's %s for %s, but at min %u", text, thr, dur,
		         cfg->min);
	} else if (st->last_change >= 0 && now - st->last_change < cfg->cooldown_ms) {
		hold(d, QV_WHY_COOLDOWN);
		snprintf(d->why, sizeof(d->why),
		         "load %s under scale-in's %s for %s, cooling down (%llds left)", text, thr,
		         dur, (cfg->cooldown_ms - (now - st->last_change) + 999) / 1000);
	} else if (cfg->out.set && on_fewer >= (double)cfg->out.threshold) {
		qv_scale_format_load(cfg->metric, on_fewer, after, sizeof(after));
		qv_scale_format_load(cfg->metric, (double)cfg->out.threshold, othr, sizeof(othr));
		hold(d, QV_WHY_WOULD_FLAP);
		snprintf(d->why, sizeof(d->why),
		         "load %s under scale-in's %s for %s, but %u instances would carry %s, "
		         "at or over scale-out's %s",
		         text, thr, dur, st->current - 1, after, othr);
	} else {
		d->action = QV_SCALE_IN;
		d->reason = QV_WHY_LOAD;
		d->to = st->current - 1;
		snprintf(d->why, sizeof(d->why), "load %s under scale-in's %s for %s: %u -> %u",
		         text, thr, dur, st->current, d->to);
	}
}

void qv_scale_decide(const struct qv_model_scaling *cfg, struct qv_scale_state *st, bool have_load,
                     double load, long long now, struct qv_scale_decision *d)
{
	char text[32];

	d->to = st->current;
	d->why[0] = 0;
	if (st->drain_to < st->current) {
		hold(d, QV_WHY_DRAINING);
		snprintf(d->why, sizeof(d->why), "instances %u..%u draining (at most %llds more)",
		         st->drain_to, st->current - 1,
		         st->drain_until > now ? (st->drain_until - now + 999) / 1000 : 0);
		return;
	}
	if (st->current < cfg->min || st->current > cfg->max) {
		d->action = st->current < cfg->min ? QV_SCALE_OUT : QV_SCALE_IN;
		d->reason = QV_WHY_RANGE;
		d->to = st->current < cfg->min ? cfg->min : cfg->max;
		snprintf(d->why, sizeof(d->why), "%u instances, outside min..max %u..%u: %u -> %u",
		         st->current, cfg->min, cfg->max, st->current, d->to);
		return;
	}
	if (cfg->metric == QV_SCALE_MANUAL) {
		hold(d, QV_WHY_MANUAL);
		snprintf(d->why, sizeof(d->why),
		         "no scale-out or scale-in rule: the count changes by qvctl vnf scale");
		return;
	}
	if (!have_load) {
		st->above_since = st->below_since = -1;
		hold(d, QV_WHY_NO_SIGNAL);
		snprintf(d->why, sizeof(d->why), "no load signal");
		return;
	}
	qv_scale_format_load(cfg->metric, load, text, sizeof(text));
	if (cfg->out.set && load > (double)cfg->out.threshold) {
		st->below_since = -1;
		if (st->above_since < 0)
			st->above_since = now;
		past_out(cfg, st, text, now, d);
		return;
	}
	st->above_since = -1;
	if (cfg->in.set && load < (double)cfg->in.threshold) {
		if (st->below_since < 0)
			st->below_since = now;
		past_in(cfg, st, load, text, now, d);
		return;
	}
	st->below_since = -1;
	hold(d, QV_WHY_BETWEEN);
	snprintf(d->why, sizeof(d->why), "load %s within the thresholds", text);
}

void qv_scale_changed(const struct qv_model_scaling *cfg, struct qv_scale_state *st, unsigned to,
                      long long now)
{
	if (to < st->current) {
		st->drain_to = to; /* current stays until the drain ends */
		st->drain_until = now + cfg->drain_ms;
	} else {
		st->current = st->drain_to = to;
	}
	st->above_since = st->below_since = -1;
	st->last_change = now;
}
