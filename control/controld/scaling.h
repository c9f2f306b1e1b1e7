/* qwikvirt: instances that follow load — the decision (scale_policy.c: pure, the clock and the
 * load passed in) and qv-controld's side of it (scaling.c: signals, drain, the plan's counts). */
#ifndef QV_CONTROLD_SCALING_H
#define QV_CONTROLD_SCALING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "control/model.h"
#include "control/rpc/rpc.h"

/* ---- the decision (scale_policy.c) ---- */

/* What a VNF's scaling is doing, kept between decisions; times in ms of one clock. */
struct qv_scale_state {
	unsigned current;      /* instances in the plan */
	unsigned drain_to;     /* < current: instances drain_to..current-1 drain; else current */
	long long drain_until; /* the drain deadline */
	long long above_since; /* load over scale-out's threshold since then; -1: not */
	long long below_since; /* load under scale-in's threshold since then; -1: not */
	long long last_change; /* the last change of count (or start of a drain); -1: none */
};

enum qv_scale_action { QV_SCALE_HOLD, QV_SCALE_OUT, QV_SCALE_IN };

/* Why a decision was taken, so that a hold is logged when its reason changes, not each time. */
enum qv_scale_reason {
	QV_WHY_NO_SIGNAL,
	QV_WHY_MANUAL,   /* no rule: only `qvctl vnf scale` changes the count */
	QV_WHY_BETWEEN,  /* load between the thresholds (or not past one for long enough) */
	QV_WHY_PENDING,  /* past a threshold, not yet for its `for` */
	QV_WHY_AT_LIMIT, /* past a threshold at max (or min) */
	QV_WHY_COOLDOWN,
	QV_WHY_WOULD_FLAP, /* one instance fewer would carry more than scale-out's threshold */
	QV_WHY_DRAINING,
	QV_WHY_RANGE, /* count outside min..max (the file changed): brought into it */
	QV_WHY_LOAD,  /* scaled on load */
};

struct qv_scale_decision {
	enum qv_scale_action action;
	enum qv_scale_reason reason;
	unsigned to;   /* the new count (OUT, IN) */
	char why[300]; /* one line, e.g. "cpu 91% over scale-out's 80% for 30s: 1 -> 2" */
};

void qv_scale_state_init(struct qv_scale_state *st, unsigned current);

/* Decides for a VNF with scaling cfg at time now_ms, its load (the per-instance average: percent
 * of vCPU time, or packets/s) when have_load. Updates st's timers; on OUT/IN the caller makes
 * the change and calls qv_scale_changed. */
void qv_scale_decide(const struct qv_model_scaling *cfg, struct qv_scale_state *st, bool have_load,
                     double load, long long now_ms, struct qv_scale_decision *d);

/* The count went to `to` at now_ms (OUT: at once; IN: the drain of the ones above it starts and
 * ends by drain_ms). Starts the cool-down. */
void qv_scale_changed(const struct qv_model_scaling *cfg, struct qv_scale_state *st, unsigned to,
                      long long now_ms);

/* "80%" / "1.2Mpps": a load of metric m as the file writes it. */
void qv_scale_format_load(enum qv_scale_metric m, double v, char *buf, size_t len);

/* ---- qv-controld (scaling.c) ---- */

struct qv_controld;

/* --load-signal-dir DIR: the load of VNF NAME is read from file DIR/NAME (one number, the
 * per-instance average: "85%" or "85" for cpu, "1.2Mpps" or "1200000" for pps) instead of
 * being measured: the seam the tests drive. NULL: measured. */
void qv_scaling_set_signal_dir(const char *dir);

/* Restores the scaled counts from STATE_DIR/scaling.json (before the desired state). */
int qv_scaling_restore(struct qv_controld *c, char *err, size_t errlen);

/* Sets each scaling VNF's instances in m to its current count, within its min..max (the file's
 * min for one not scaled yet): what makes apply and reconcile keep the scaled count. */
void qv_scaling_adjust_model(struct qv_model *m);

/* One round: reads the signals, decides, scales and drains. Called by the main loop. */
void qv_scaling_tick(struct qv_controld *c);

/* scaling.show and scaling.set (vm_rpc.c style table, merged by main.c). */
extern const struct qv_rpc_method qv_scaling_methods[];

#endif
