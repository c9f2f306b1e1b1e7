/* qwikvirt: building and freeing flow tables (see flow_table.h). Slow path only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/flow_table.h"
#include "dataplane/lb/lb.h"
#include "dataplane/switch.h"

struct qv_flow_table *qv_flow_table_build(const struct qv_flow_entry *entries, uint32_t n,
                                          uint32_t gen, uint16_t n_pmds,
                                          int (*lookup)(const char *name), char *err, size_t errlen)
{
	struct qv_flow_table *t = calloc(1, sizeof(*t));
	uint32_t k = 0;

	if (!t)
		goto nomem;
	t->gen = gen;
	t->rules = calloc(n ? n : 1, sizeof(*t->rules));
	if (!t->rules)
		goto nomem;
	for (uint32_t i = 0; i < n; i++) {
		const struct qv_flow_entry *e = &entries[i];
		struct qv_rule *r = &t->rules[k];
		uint8_t o = 0;

		*r = e->rule;
		if (e->in_name[0]) {
			int idx = lookup(e->in_name);

			if (idx < 0)
				continue; /* inert until the port comes back */
			r->match.in_port = (uint16_t)idx;
		}
		for (uint8_t a = 0; a < r->n_actions; a++) {
			if (!qv_action_names_port(r->actions[a].type))
				continue;
			int idx = lookup(e->out_name[o++]);

			r->actions[a].arg = idx < 0 ? QV_PORT_NONE : (uint16_t)idx;
		}
		k++;
	}
	t->n_rules = k;
	/* one cache line of counters per PMD row at least, so PMDs never share a line */
	t->hits_stride = (k + 7) & ~7u;
	if (t->hits_stride == 0)
		t->hits_stride = 8;
	t->hits =
	    rte_zmalloc("qv_hits", sizeof(uint64_t) * t->hits_stride * n_pmds, RTE_CACHE_LINE_SIZE);
	if (!t->hits && n_pmds)
		goto nomem;
	t->lb = qv_lb_groups_build(t->rules, k, n_pmds, err, errlen);
	if (!t->lb && err[0]) {
		qv_flow_table_free(t);
		return NULL;
	}
	t->cls = qv_classifier_build(t->rules, k, (int)rte_socket_id(), err, errlen);
	if (!t->cls) {
		qv_flow_table_free(t);
		return NULL;
	}
	return t;
nomem:
	snprintf(err, errlen, "out of memory building a flow table of %u rules", n);
	qv_flow_table_free(t);
	return NULL;
}

void qv_flow_table_free(struct qv_flow_table *t)
{
	if (!t)
		return;
	if (t->cls)
		qv_classifier_free(t->cls);
	rte_free(t->hits);
	qv_lb_groups_free(t->lb);
	free(t->rules);
	free(t);
}

uint64_t qv_flow_table_hits(const struct qv_flow_table *t, uint16_t n_pmds, uint32_t idx)
{
	uint64_t sum = 0;

	for (uint16_t p = 0; p < n_pmds; p++)
		sum += __atomic_load_n(&t->hits[p * t->hits_stride + idx], __ATOMIC_RELAXED);
	return sum;
}
