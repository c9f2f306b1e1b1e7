/* qwikvirt: the small incremental classifier beside rte_acl (tuple space search, as OVS): rules
 * grouped by the fields and prefix lengths they match, one hash of masked keys per group. */
#ifndef QV_CLASSIFIER_DELTA_H
#define QV_CLASSIFIER_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qv/flow_key.h"
#include "qv/rule.h"

struct qv_delta_cls;

/* Slow path. Builds a tuple space classifier over rules[0..n-1] (the array must outlive it);
 * result i+1 means rules[i] won: highest priority, ties to the lowest id, as rte_acl does in
 * classifier.c. Building costs O(n), so a few thousand rules take well under a millisecond.
 * NULL with err on failure (out of memory). */
struct qv_delta_cls *qv_delta_build(const struct qv_rule *rules, uint32_t n, char *err,
                                    size_t errlen);

/* Fast path, read only: winning index + 1, or 0 when no rule covers the key. */
uint32_t qv_delta_classify(const struct qv_delta_cls *d, const struct qv_flow_key *k);

void qv_delta_free(struct qv_delta_cls *d);

/* Bytes it holds and the number of tuples (distinct match shapes): for flow.summary. */
size_t qv_delta_memory(const struct qv_delta_cls *d);
uint32_t qv_delta_tuples(const struct qv_delta_cls *d);

/* a outranks b: higher priority, then lower id. */
static inline bool qv_rule_outranks(const struct qv_rule *a, const struct qv_rule *b)
{
	return a->priority != b->priority ? a->priority > b->priority : a->id < b->id;
}

/* False only when no key can be covered by both matches (conservative: true when unsure). */
bool qv_match_overlaps(const struct qv_match *a, const struct qv_match *b);

#endif
