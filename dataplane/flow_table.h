/* qwikvirt: the immutable flow table the PMDs read — a big part (rte_acl over a snapshot of the
 * rules, built in the background, shared by consecutive tables) plus a small delta (rules added
 * since, in a tuple space classifier, and a bitmap of the big part's rules deleted since). */
#ifndef QV_FLOW_TABLE_H
#define QV_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/classifier.h"
#include "dataplane/classifier_delta.h"
#include "qv/rule.h"

struct qv_lb_groups;

/* The big part: rte_acl over rules[] (id order), with its own hit counters. Immutable once
 * built; shared by every table published until the next rebuild; freed with the last one. */
struct qv_flow_base {
	uint32_t n_rules;
	uint32_t n_group_rules; /* rules with a group action: 0 spares each publish a pass */
	struct qv_rule *rules;
	struct qv_classifier *cls; /* rte_acl, or NULL: */
	struct qv_delta_cls *tss;  /* a tuple space stand-in, built in O(n) for a big transaction
	                              until the background rte_acl build replaces it */
	uint64_t *hits;            /* hits[pmd * hits_stride + i], written by that PMD only */
	uint32_t hits_stride;      /* rounded up to a cache line of counters */
	uint32_t refs;             /* tables holding it; control thread only */
	uint32_t upto_id;          /* every rule with an id up to this one was in the snapshot */
	double build_s;            /* time rte_acl took to build it */
	size_t acl_bytes;          /* rte_acl memory (heap growth while it was built) */
};

/* What a PMD reads. Results: 1..base->n_rules are base rules (index + 1), above that delta
 * rules (n_rules + delta index + 1); 0 = no rule. */
struct qv_flow_table {
	uint32_t gen; /* never 0: the exact-match caches key their entries on it */
	struct qv_flow_base *base;
	uint64_t *deleted; /* bit i: base rule i was deleted since the base was built */
	uint32_t n_deleted;
	uint32_t n_delta; /* added rules (id order), then copies of base rules */
	uint32_t n_added; /* the first n_added delta rules are new; the rest are copies */
	struct qv_rule *delta;
	uint32_t *copy_of; /* copy_of[i - n_added]: the base index of copy i */
	struct qv_delta_cls *dcls;
	uint64_t *hits; /* the added rules' counters, as base->hits */
	uint32_t hits_stride;
	uint16_t n_pmds;
	struct qv_lb_groups *lb; /* the groups of all its rules by result index - 1 (lb/lb.h),
	                            NULL if none; rebuilt at each publish */
	/* The result every packet from port p gets once it parses, whatever its headers:
	 * port_rule[p] for p < n_port_rule, any_rule for the ports above (no rule names them).
	 * Non-zero only when the best live rule that can see port p matches on the port alone
	 * (or on nothing) and has no group: then the PMD checks the headers (a bad one is still
	 * a bad-header drop) but builds no key and looks nothing up, as OVS's "simple match" and
	 * VPP's l2 cross-connect do. 0: the result depends on the headers (or the table has more
	 * than QV_PORT_RULE_SCAN_MAX rules, not scanned so that a publish beside 100,000 rules
	 * stays cheap). Built at each publish. */
	uint32_t *port_rule;
	uint32_t n_port_rule;
	uint32_t any_rule;
};

/* Tables with more live rules than this get no port rules (see above). */
#define QV_PORT_RULE_SCAN_MAX 4096u

/* Fast path: port's port rule (see struct qv_flow_table), or 0. */
static inline uint32_t qv_flow_table_port_rule(const struct qv_flow_table *t, uint16_t port)
{
	return port < t->n_port_rule ? t->port_rule[port] : t->any_rule;
}

/* Builds a base over rules[0..n-1] (in id order; the base takes ownership of the array, also
 * on failure). acl_limit (bytes, 0 = none): a build needing more rte_acl memory fails. */
struct qv_flow_base *qv_flow_base_build(struct qv_rule *rules, uint32_t n, uint32_t upto_id,
                                        uint16_t n_pmds, int socket_id, size_t acl_limit, char *err,
                                        size_t errlen);
/* The same over a tuple space classifier: no rte_acl build, so a big transaction is in force
 * at once (the background build then replaces it). */
struct qv_flow_base *qv_flow_base_build_tss(struct qv_rule *rules, uint32_t n, uint32_t upto_id,
                                            uint16_t n_pmds, char *err, size_t errlen);
void qv_flow_base_free(struct qv_flow_base *b);
/* Index of the rule with this id in b, or -1. */
int64_t qv_flow_base_find(const struct qv_flow_base *b, uint32_t id);

/* A table over base (refs taken): deleted (n_words of base bits, copied; may be NULL), the
 * added rules (copied, id order) and the base indexes to copy into the delta (rules shadowed
 * by a deleted one, see flows.c). NULL with err on failure (the base's references are then
 * as they were). */
struct qv_flow_table *qv_flow_table_new(struct qv_flow_base *base, uint32_t gen,
                                        const uint64_t *deleted, uint32_t n_deleted,
                                        const struct qv_rule *added, uint32_t n_added,
                                        const uint32_t *copies, uint32_t n_copies, uint16_t n_pmds,
                                        char *err, size_t errlen);
/* Frees the table and drops its reference on the base; returns the base when that was the
 * last one (the caller retires its hits and frees it), else NULL. */
struct qv_flow_base *qv_flow_table_free(struct qv_flow_table *t);

/* Fast path: results[i] for keys[i] (see above), the best of the base's winner (unless
 * deleted) and the delta's. */
void qv_flow_table_classify(const struct qv_flow_table *t, const struct qv_flow_key *const *keys,
                            uint32_t n, uint32_t *results);

/* The rule of result r (1..), and the counter its hit goes to for PMD pmd. */
static inline const struct qv_rule *qv_flow_table_rule(const struct qv_flow_table *t, uint32_t r)
{
	uint32_t nb = t->base->n_rules;

	return r <= nb ? &t->base->rules[r - 1] : &t->delta[r - 1 - nb];
}

static inline uint64_t *qv_flow_table_hit(const struct qv_flow_table *t, uint16_t pmd, uint32_t r)
{
	uint32_t nb = t->base->n_rules;

	return r <= nb ? &t->base->hits[pmd * t->base->hits_stride + r - 1]
	               : &t->hits[pmd * t->hits_stride + r - 1 - nb];
}

/* Base rule bi is deleted: calls push(j, ctx) for every base rule j it outranks and overlaps
 * that is neither deleted nor copied[] yet — the rules the deleted one may hide from rte_acl,
 * which the delta must hold (as copies) for lookups to stay exact. One pass over the base.
 * Stops at the first push that fails (returns its value). */
int qv_flow_base_shadowed(const struct qv_flow_base *b, uint32_t bi, const uint64_t *deleted,
                          const uint8_t *copied, int (*push)(uint32_t j, void *ctx), void *ctx);

/* Sums over the PMDs: a base rule's hits (index i), an added rule's (delta index i). */
uint64_t qv_flow_base_hits(const struct qv_flow_base *b, uint16_t n_pmds, uint32_t i);
uint64_t qv_flow_table_delta_hits(const struct qv_flow_table *t, uint32_t i);
/* Delta index of the added rule with this id, or -1. */
int64_t qv_flow_table_find_added(const struct qv_flow_table *t, uint32_t id);

static inline bool qv_bit_test(const uint64_t *bits, uint32_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1;
}

#endif
