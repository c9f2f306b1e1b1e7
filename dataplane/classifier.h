/* qwikvirt: wildcard rule classifier over struct qv_flow_key, built on rte_acl.
 * Built once per rule set on the slow path, then shared read-only by the PMD threads. */
#ifndef QV_CLASSIFIER_H
#define QV_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "qv/flow_key.h"
#include "qv/rule.h"

struct qv_classifier;

/* Slow path. Builds a classifier over rules[0..n-1]; result i+1 means rules[i] won.
 * Winner = highest priority, ties to lowest id (rte_acl priorities are made unique by rank, so
 * the outcome is deterministic). n may be 0 (everything misses, no ACL context). Rules whose
 * match can never be satisfied (see qv_match_covers) are left out of the ACL.
 * Returns NULL with a message in err on failure. */
struct qv_classifier *qv_classifier_build(const struct qv_rule *rules, uint32_t n, int socket_id,
                                          char *err, size_t errlen);

/* Fast path, no allocation, safe to call from several threads on the same classifier:
 * results[i] = winning index + 1, or 0 when nothing matches. Any n works. */
void qv_classifier_classify(const struct qv_classifier *c, const struct qv_flow_key *const *keys,
                            uint32_t n, uint32_t *results);

void qv_classifier_free(struct qv_classifier *c);

/* Number of rules the classifier was built over (the n given to build). */
uint32_t qv_classifier_size(const struct qv_classifier *c);

/* Testing only: most rules per rte_acl context (0 = no limit, the default). Bands are normally
 * only split when rte_acl gives up; unit tests lower this to exercise the multi-band path. */
extern uint32_t qv_classifier_band_limit;

#endif
