/* qwikvirt: the immutable flow table the PMDs read — rules with port indexes resolved, the
 * rte_acl classifier over them, and per-PMD hit counters. Built off the fast path, published
 * by swapping one pointer, freed after an RCU grace period. */
#ifndef QV_FLOW_TABLE_H
#define QV_FLOW_TABLE_H

#include <stdint.h>

#include "dataplane/classifier.h"
#include "qv/rule.h"

struct qv_flow_entry;
struct qv_lb_groups;

struct qv_flow_table {
	uint32_t gen; /* never 0: the exact-match caches key their entries on it */
	uint32_t n_rules;
	struct qv_rule *rules; /* sorted as given; result i+1 of the classifier is rules[i] */
	struct qv_classifier *cls;
	uint64_t *hits;          /* hits[pmd * hits_stride + i], written by that PMD only */
	uint32_t hits_stride;    /* rounded up to a cache line of counters */
	struct qv_lb_groups *lb; /* the rules' load-balancing groups (lb/lb.h), NULL if none */
};

/* Resolves each entry's port names through `lookup` (index, or -1 when the port is missing:
 * a rule whose in-port is missing is left out, an output to a missing port becomes
 * QV_PORT_NONE), and builds the classifier. NULL with err on failure. */
struct qv_flow_table *qv_flow_table_build(const struct qv_flow_entry *entries, uint32_t n,
                                          uint32_t gen, uint16_t n_pmds,
                                          int (*lookup)(const char *name), char *err,
                                          size_t errlen);
void qv_flow_table_free(struct qv_flow_table *t);
/* Sum of a rule's hits over the PMDs; idx is the rule's index in t->rules. */
uint64_t qv_flow_table_hits(const struct qv_flow_table *t, uint16_t n_pmds, uint32_t idx);

#endif
