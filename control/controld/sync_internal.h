/* qwikvirt: qv-controld's sync internals shared by sync.c (the plan, the apply journal) and
 * sync_apply.c (carrying a plan out, the reconcile). */
#ifndef QV_SYNC_INTERNAL_H
#define QV_SYNC_INTERNAL_H

#include "control/controld/controld.h"

/* The string of v, or "" when it is not one. */
const char *qv_sync_str(const json_t *v);
/* The element of array arr whose key is val, or NULL. */
const json_t *qv_sync_find_by(const json_t *arr, const char *key, const char *val);
/* A call to the switch: 0 with *result, 1 when it refused (err its message, *code its code),
 * -1 when it could not be reached (err says why). */
int qv_sync_try(const struct qv_controld *c, const char *method, json_t *params, json_t **result,
                int *code, char *err, size_t errlen);
/* The same, the result or NULL with err. */
json_t *qv_sync_call(const struct qv_controld *c, const char *method, json_t *params, char *err,
                     size_t errlen);
/* The apply journal (see sync.c): written before an apply changes the switch, cleared after;
 * one left by a crash is undone (the additions the desired state does not want are taken off
 * the switch) by qv_sync_undo_interrupted: 0, or -1 with err (kept for the next try). */
void qv_sync_journal_write(const struct qv_controld *c, json_t *plan);
void qv_sync_journal_clear(const struct qv_controld *c);
int qv_sync_undo_interrupted(struct qv_controld *c, char *err, size_t errlen);

#endif
