/* qwikvirt: qv-controld's shared state — the desired service (YAML text, model, compiled plan),
 * where it is persisted, and the switch it programs. */
#ifndef QV_CONTROLD_H
#define QV_CONTROLD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "control/chain_compile.h"
#include "control/model.h"
#include "control/rpc/rpc.h"

struct qv_desired {
	char *name; /* the file name as the operator gave it (prefixes errors) */
	char *yaml; /* its text */
	struct qv_model *model;
	struct qv_switch_plan *plan;
};

struct qv_controld {
	const char *switch_sock;
	const char *state_dir;
	int rpc_timeout_ms;
	struct qv_desired desired; /* empty (all NULL) until the first apply */
	bool switch_ok;            /* last reconcile reached the switch */
	char last_error[512];      /* last reconcile problem, for state.show */
};

/* desired.c */
/* Loads and compiles; on error returns -1 with every message in *errors (new JSON array of
 * strings) or err. */
int qv_desired_build(const char *name, const char *yaml, size_t len, struct qv_desired *out,
		     json_t **errors, char *err, size_t errlen);
void qv_desired_free(struct qv_desired *d);
/* state_dir/desired.yaml + desired.name, written atomically. */
int qv_desired_save(const struct qv_controld *c, char *err, size_t errlen);
/* Loads the persisted state if any: 0 (possibly nothing there), -1 with err. */
int qv_desired_restore(struct qv_controld *c, char *err, size_t errlen);

/* sync.c */
/* What it takes to go from `old` (what we applied before; NULL: nothing) to `want` on the
 * switch as it is now. Returns {"ports_add":[...], "ports_del":[...], "rules_add":[...],
 * "rules_del":[...]} or NULL with err (switch unreachable). */
json_t *qv_sync_plan(const struct qv_controld *c, const struct qv_switch_plan *old,
		     const struct qv_switch_plan *want, char *err, size_t errlen);
/* Carries a plan out in the order that loses no packet on untouched chains: ports added, rules
 * added, rules deleted, ports deleted. 0, or -1 with err naming the step that failed. */
int qv_sync_apply(const struct qv_controld *c, const struct qv_switch_plan *want, json_t *plan,
		  char *err, size_t errlen);
/* Brings the switch to the desired state (after either daemon restarted). */
void qv_reconcile(struct qv_controld *c);

/* views.c */
json_t *qv_view_chains(const struct qv_controld *c, char *err, size_t errlen);

/* handlers.c */
extern const struct qv_rpc_method qv_controld_methods[];

#endif
