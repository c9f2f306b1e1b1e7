/* qwikvirt: building, composing and freeing flow tables (see flow_table.h); the lookup that
 * merges the big part's answer with the delta's. Slow path but qv_flow_table_classify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>

#include "dataplane/flow_table.h"
#include "dataplane/lb/lb.h"

/* Plain memory, not rte_malloc: a publish on the control thread must not wait for DPDK's heap
 * lock, which the background builder holds for long stretches inside rte_acl_build. */
static uint64_t *hits_alloc(uint32_t n, uint16_t n_pmds, uint32_t *stride)
{
	size_t sz;
	uint64_t *h;

	/* one cache line of counters per PMD row at least, so PMDs never share a line */
	*stride = (n + 7) & ~7u;
	if (*stride == 0)
		*stride = 8;
	sz = sizeof(uint64_t) * *stride * (n_pmds ? n_pmds : 1);
	h = aligned_alloc(RTE_CACHE_LINE_SIZE, sz);
	if (h)
		memset(h, 0, sz);
	return h;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Heap bytes in use on every socket: rte_acl has no size query, so a build is measured by how
 * much the heaps grew (approximate when other threads allocate at the same time). */
static size_t heap_in_use(void)
{
	struct rte_malloc_socket_stats st;
	size_t sum = 0;

	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

struct qv_flow_base *qv_flow_base_build(struct qv_rule *rules, uint32_t n, uint32_t upto_id,
                                        uint16_t n_pmds, int socket_id, size_t acl_limit, char *err,
                                        size_t errlen)
{
	struct qv_flow_base *b = calloc(1, sizeof(*b));
	size_t before;
	double t0;

	if (!b) {
		free(rules);
		snprintf(err, errlen, "out of memory building a flow table of %u rules", n);
		return NULL;
	}
	b->rules = rules;
	b->n_rules = n;
	b->n_group_rules = qv_lb_group_rules(rules, n);
	b->upto_id = upto_id;
	b->hits = hits_alloc(n, n_pmds, &b->hits_stride);
	if (!b->hits) {
		snprintf(err, errlen, "out of memory for the hit counters of %u rules", n);
		goto fail;
	}
	before = heap_in_use();
	t0 = now_s();
	b->cls = qv_classifier_build(rules, n, socket_id, err, errlen);
	if (!b->cls)
		goto fail;
	b->build_s = now_s() - t0;
	b->acl_bytes = heap_in_use() - before;
	if (heap_in_use() < before)
		b->acl_bytes = 0;
	if (acl_limit && b->acl_bytes > acl_limit) {
		snprintf(err, errlen,
		         "%u rules need %zu MiB of rte_acl memory, more than the limit of %zu MiB "
		         "(qv-switchd --max-acl-mb): remove rules or raise the limit",
		         n, b->acl_bytes >> 20, acl_limit >> 20);
		goto fail;
	}
	return b;
fail:
	qv_flow_base_free(b);
	return NULL;
}

struct qv_flow_base *qv_flow_base_build_tss(struct qv_rule *rules, uint32_t n, uint32_t upto_id,
                                            uint16_t n_pmds, char *err, size_t errlen)
{
	struct qv_flow_base *b = calloc(1, sizeof(*b));
	double t0 = now_s();

	if (!b) {
		free(rules);
		snprintf(err, errlen, "out of memory building a flow table of %u rules", n);
		return NULL;
	}
	b->rules = rules;
	b->n_rules = n;
	b->n_group_rules = qv_lb_group_rules(rules, n);
	b->upto_id = upto_id;
	b->hits = hits_alloc(n, n_pmds, &b->hits_stride);
	if (!b->hits) {
		snprintf(err, errlen, "out of memory for the hit counters of %u rules", n);
		qv_flow_base_free(b);
		return NULL;
	}
	b->tss = qv_delta_build(rules, n, err, errlen);
	if (!b->tss) {
		qv_flow_base_free(b);
		return NULL;
	}
	b->build_s = now_s() - t0;
	b->acl_bytes = qv_delta_memory(b->tss); /* what stands in for rte_acl's memory */
	return b;
}

void qv_flow_base_free(struct qv_flow_base *b)
{
	if (!b)
		return;
	qv_classifier_free(b->cls);
	qv_delta_free(b->tss);
	free(b->hits);
	free(b->rules);
	free(b);
}

/* The index of rule id in r[0..n), sorted by id, or -1. */
static int64_t rule_index(const struct qv_rule *r, uint32_t n, uint32_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && r[lo].id == id ? (int64_t)lo : -1;
}

int64_t qv_flow_base_find(const struct qv_flow_base *b, uint32_t id)
{
	return rule_index(b->rules, b->n_rules, id);
}

/* Live rule k of t (the base's not deleted, then the added ones; copies are base rules, so
 * not seen twice), its result in *res; NULL for a deleted base rule. */
static const struct qv_rule *live_rule(const struct qv_flow_table *t, uint32_t k, uint32_t *res)
{
	const uint32_t nb = t->base->n_rules;

	*res = k + 1;
	if (k < nb)
		return t->n_deleted && qv_bit_test(t->deleted, k) ? NULL : &t->base->rules[k];
	return &t->delta[k - nb];
}

/* A rule every packet of its ports takes whatever its headers: no field but the port, and no
 * group (whose member depends on the flow's hash). */
static bool port_wide(const struct qv_rule *r)
{
	if (r->match.fields & ~(uint32_t)QV_M_IN_PORT)
		return false;
	for (uint8_t a = 0; a < r->n_actions; a++)
		if (r->actions[a].type == QV_ACT_GROUP)
			return false;
	return true;
}

struct port_best {
	const struct qv_rule *rule;
	uint32_t res;
};

static void port_best_offer(struct port_best *b, const struct qv_rule *r, uint32_t res)
{
	if (r && (!b->rule || qv_rule_outranks(r, b->rule))) {
		b->rule = r;
		b->res = res;
	}
}

static uint32_t port_best_result(const struct port_best *b)
{
	return b->rule && port_wide(b->rule) ? b->res : 0;
}

/* t->port_rule and friends: the best live rule of each port named by a rule, against the best
 * rule that names none (the one every port sees). Two passes over the rules, one over the
 * ports named. -1 when out of memory. */
static int port_rules_build(struct qv_flow_table *t)
{
	const uint32_t n_live = t->base->n_rules - t->n_deleted + t->n_added;
	const uint32_t n_all = t->base->n_rules + t->n_added;
	struct port_best any = {0}, *best;
	const struct qv_rule *r;
	uint32_t n = 0, res;

	if (n_live > QV_PORT_RULE_SCAN_MAX)
		return 0;
	for (uint32_t k = 0; k < n_all; k++)
		if ((r = live_rule(t, k, &res)) && (r->match.fields & QV_M_IN_PORT) &&
		    r->match.in_port >= n)
			n = r->match.in_port + 1u;
	best = calloc(n ? n : 1, sizeof(*best));
	t->port_rule = malloc(sizeof(*t->port_rule) * (n ? n : 1));
	if (!best || !t->port_rule) {
		free(best);
		return -1;
	}
	for (uint32_t k = 0; k < n_all; k++) {
		if (!(r = live_rule(t, k, &res)))
			continue;
		port_best_offer(r->match.fields & QV_M_IN_PORT ? &best[r->match.in_port] : &any, r,
		                res);
	}
	for (uint32_t p = 0; p < n; p++) {
		port_best_offer(&best[p], any.rule, any.res);
		t->port_rule[p] = port_best_result(&best[p]);
	}
	t->n_port_rule = n;
	t->any_rule = port_best_result(&any);
	free(best);
	return 0;
}

struct qv_flow_table *qv_flow_table_new(struct qv_flow_base *base, uint32_t gen,
                                        const uint64_t *deleted, uint32_t n_deleted,
                                        const struct qv_rule *added, uint32_t n_added,
                                        const uint32_t *copies, uint32_t n_copies, uint16_t n_pmds,
                                        char *err, size_t errlen)
{
	struct qv_flow_table *t = calloc(1, sizeof(*t));
	uint32_t n_words = (base->n_rules + 63) / 64, n = n_added + n_copies;

	if (!t)
		goto nomem;
	t->gen = gen;
	t->base = base;
	base->refs++;
	t->n_pmds = n_pmds;
	/* a row per delta rule: the added ones and the copies (qv_flow_table_hit indexes by delta
	 * position; sized for the added ones alone, a copy's hit landed in the next PMD's row, or
	 * past the end) */
	t->hits = hits_alloc(n, n_pmds, &t->hits_stride);
	if (!t->hits)
		goto nomem;
	if (n_deleted) {
		t->deleted = malloc(sizeof(uint64_t) * n_words);
		if (!t->deleted)
			goto nomem;
		memcpy(t->deleted, deleted, sizeof(uint64_t) * n_words);
		t->n_deleted = n_deleted;
	}
	t->n_delta = n;
	t->n_added = n_added;
	if (n) {
		t->delta = malloc(sizeof(*t->delta) * n);
		t->copy_of = malloc(sizeof(*t->copy_of) * (n_copies ? n_copies : 1));
		if (!t->delta || !t->copy_of)
			goto nomem;
		if (n_added) /* added may be NULL when the delta holds only copies */
			memcpy(t->delta, added, sizeof(*added) * n_added);
		for (uint32_t i = 0; i < n_copies; i++) {
			t->delta[n_added + i] = base->rules[copies[i]];
			t->copy_of[i] = copies[i];
		}
		t->dcls = qv_delta_build(t->delta, n, err, errlen);
		if (!t->dcls) {
			qv_flow_table_free(t); /* the base's references are as they were */
			return NULL;
		}
	}
	/* The groups over every rule in result order (the base's, then the delta's), rebuilt
	 * whole at each publish: lb keys them by result index, and the delta's indexes move
	 * with every publish anyway. Slow path. A base without group rules (counted once, when
	 * it was built) is not scanned: only the delta's rules are, so one rule published beside
	 * 100,000 costs microseconds (it was a pass over all 100,000: 0.8 ms). With groups in
	 * the base: a pass over its rules and a 4-byte index per rule (400 KB at 100,000). */
	t->lb = qv_lb_groups_build_parts(base->rules, base->n_rules, t->deleted,
	                                 base->n_group_rules > 0, t->delta, n, n_pmds, err, errlen);
	if (!t->lb && err[0]) {
		qv_flow_table_free(t); /* the base's references are as they were */
		return NULL;
	}
	if (port_rules_build(t) != 0)
		goto nomem;
	return t;
nomem:
	snprintf(err, errlen, "out of memory publishing a flow table (%u rules added)", n_added);
	if (t)
		qv_flow_table_free(t);
	return NULL;
}

struct qv_flow_base *qv_flow_table_free(struct qv_flow_table *t)
{
	struct qv_flow_base *b;

	if (!t)
		return NULL;
	b = t->base;
	qv_delta_free(t->dcls);
	free(t->hits);
	free(t->delta);
	free(t->copy_of);
	free(t->deleted);
	qv_lb_groups_free(t->lb);
	free(t->port_rule);
	free(t);
	return b && --b->refs == 0 ? b : NULL;
}

void qv_flow_table_classify(const struct qv_flow_table *t, const struct qv_flow_key *const *keys,
                            uint32_t n, uint32_t *results)
{
	const uint32_t nb = t->base->n_rules;

	if (t->base->cls)
		qv_classifier_classify(t->base->cls, keys, n, results);
	else
		for (uint32_t i = 0; i < n; i++)
			results[i] = qv_delta_classify(t->base->tss, keys[i]);
	if (t->n_deleted == 0 && t->n_delta == 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = results[i], d;

		if (r && t->n_deleted && qv_bit_test(t->deleted, r - 1))
			r = 0;
		if (t->dcls && (d = qv_delta_classify(t->dcls, keys[i])) != 0) {
			/* a copy answers as the base rule it copies (its counter, its id) */
			uint32_t cand =
			    d <= t->n_added ? nb + d : t->copy_of[d - 1 - t->n_added] + 1;

			if (!r ||
			    qv_rule_outranks(qv_flow_table_rule(t, cand), qv_flow_table_rule(t, r)))
				r = cand;
		}
		results[i] = r;
	}
}

int qv_flow_base_shadowed(const struct qv_flow_base *b, uint32_t bi, const uint64_t *deleted,
                          const uint8_t *copied, int (*push)(uint32_t j, void *ctx), void *ctx)
{
	const struct qv_rule *d = &b->rules[bi];

	for (uint32_t j = 0; j < b->n_rules; j++) {
		const struct qv_rule *r = &b->rules[j];
		int rc;

		if (copied[j] || qv_bit_test(deleted, j))
			continue;
		if (!qv_rule_outranks(d, r) || !qv_match_overlaps(&d->match, &r->match))
			continue;
		if ((rc = push(j, ctx)) != 0)
			return rc;
	}
	return 0;
}

uint64_t qv_flow_base_hits(const struct qv_flow_base *b, uint16_t n_pmds, uint32_t i)
{
	uint64_t sum = 0;

	for (uint16_t p = 0; p < n_pmds; p++)
		sum += __atomic_load_n(&b->hits[p * b->hits_stride + i], __ATOMIC_RELAXED);
	return sum;
}

uint64_t qv_flow_table_delta_hits(const struct qv_flow_table *t, uint32_t i)
{
	uint64_t sum = 0;

	for (uint16_t p = 0; t->hits && p < t->n_pmds; p++)
		sum += __atomic_load_n(&t->hits[p * t->hits_stride + i], __ATOMIC_RELAXED);
	return sum;
}

int64_t qv_flow_table_find_added(const struct qv_flow_table *t, uint32_t id)
{
	return rule_index(t->delta, t->n_added, id);
}
