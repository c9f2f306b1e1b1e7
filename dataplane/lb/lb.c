/* qwikvirt: building a flow table's load-balancing groups and the per-PMD affinity tables.
 * Slow path only; no switch state, so unit tests build groups alone (group.show is in
 * lb_rpc.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dataplane/lb/lb.h"
#include "dataplane/pmd.h"

struct qv_lb_affinity *_Atomic qv_lb_affinity_of[QV_MAX_PMDS];
_Atomic uint8_t qv_lb_draining[QV_MAX_PORTS];
_Atomic uint32_t qv_lb_n_draining;
unsigned qv_lb_idle_s = QV_LB_IDLE_S;

bool qv_lb_set_draining(uint16_t index, bool on)
{
	bool was;

	if (index >= QV_MAX_PORTS)
		return false;
	was = atomic_exchange(&qv_lb_draining[index], on ? 1 : 0) != 0;
	if (was != on)
		atomic_fetch_add(&qv_lb_n_draining, on ? 1u : (uint32_t)-1);
	return was;
}

/* FNV-1a over the fields that say which traffic a rule takes: its match and priority. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t group_id(const struct qv_rule *r)
{
	const struct qv_match *m = &r->match;
	uint32_t h = 2166136261u;

	/* field by field: the struct's padding is not guaranteed to be zero */
	h = fnv(h, &r->priority, sizeof(r->priority));
	h = fnv(h, &m->fields, sizeof(m->fields));
	h = fnv(h, &m->in_port, sizeof(m->in_port));
	h = fnv(h, &m->vlan_id, sizeof(m->vlan_id));
	h = fnv(h, &m->ethertype, sizeof(m->ethertype));
	h = fnv(h, m->src_mac, sizeof(m->src_mac));
	h = fnv(h, m->dst_mac, sizeof(m->dst_mac));
	h = fnv(h, &m->ip_version, sizeof(m->ip_version));
	h = fnv(h, &m->src_plen, sizeof(m->src_plen));
	h = fnv(h, &m->dst_plen, sizeof(m->dst_plen));
	h = fnv(h, m->src_ip, sizeof(m->src_ip));
	h = fnv(h, m->dst_ip, sizeof(m->dst_ip));
	h = fnv(h, &m->proto, sizeof(m->proto));
	h = fnv(h, &m->src_port_lo, sizeof(m->src_port_lo));
	h = fnv(h, &m->src_port_hi, sizeof(m->src_port_hi));
	h = fnv(h, &m->dst_port_lo, sizeof(m->dst_port_lo));
	h = fnv(h, &m->dst_port_hi, sizeof(m->dst_port_hi));
	return h;
}

/* The affinity tables are made once, for every PMD, the first time a group exists: 4 MiB
 * each is not worth having on a switch without groups, and never freed (a PMD may hold its
 * pointer at any time) until the process exits. */
static int affinity_ensure(uint16_t n_pmds, char *err, size_t errlen)
{
	for (uint16_t p = 0; p < n_pmds && p < QV_MAX_PMDS; p++) {
		struct qv_lb_affinity *a;

		if (atomic_load_explicit(&qv_lb_affinity_of[p], memory_order_relaxed))
			continue;
		a = rte_zmalloc("qv_lb_affinity", sizeof(*a), RTE_CACHE_LINE_SIZE);
		if (!a)
			a = aligned_alloc(64, sizeof(*a));
		if (!a) {
			snprintf(err, errlen,
			         "out of memory for PMD %u's flow-affinity table (%zu bytes)", p,
			         sizeof(*a));
			return -1;
		}
		memset(a, 0, sizeof(*a));
		atomic_store_explicit(&qv_lb_affinity_of[p], a, memory_order_release);
	}
	return 0;
}

/* Rule i of the two parts, in result order (a's rules, then b's). */
static inline const struct qv_rule *part_rule(const struct qv_rule *a, uint32_t na,
                                              const struct qv_rule *b, uint32_t i)
{
	return i < na ? &a[i] : &b[i - na];
}

static bool has_group(const struct qv_rule *r)
{
	for (uint8_t a = 0; a < r->n_actions; a++)
		if (r->actions[a].type == QV_ACT_GROUP)
			return true;
	return false;
}

struct qv_lb_groups *qv_lb_groups_build(const struct qv_rule *rules, uint32_t n, uint16_t n_pmds,
                                        char *err, size_t errlen)
{
	return qv_lb_groups_build_parts(rules, n, NULL, true, NULL, 0, n_pmds, err, errlen);
}

uint32_t qv_lb_group_rules(const struct qv_rule *rules, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		k += has_group(&rules[i]);
	return k;
}

struct qv_lb_groups *qv_lb_groups_build_parts(const struct qv_rule *a, uint32_t na,
                                              const uint64_t *a_skip, bool a_groups,
                                              const struct qv_rule *b, uint32_t nb, uint16_t n_pmds,
                                              char *err, size_t errlen)
{
	struct qv_lb_groups *gs;
	uint32_t *of_rule, n_groups = 0, n = na + nb, first = a_groups ? 0 : na;
	uint64_t keys[QV_MAGLEV_MAX_MEMBERS];

	err[0] = 0;
	for (uint32_t i = first; i < n; i++)
		if (!(i < na && a_skip && ((a_skip[i / 64] >> (i % 64)) & 1)) &&
		    has_group(part_rule(a, na, b, i)))
			n_groups++;
	if (n_groups == 0)
		return NULL;
	if (affinity_ensure(n_pmds, err, errlen) != 0)
		return NULL;
	gs = calloc(1, sizeof(*gs) + n_groups * sizeof(gs->g[0]));
	of_rule = malloc(n * sizeof(*of_rule));
	if (!gs || !of_rule) {
		free(gs);
		free(of_rule);
		snprintf(err, errlen, "out of memory building %u load-balancing groups", n_groups);
		return NULL;
	}
	gs->of_rule = of_rule;
	gs->idle_cycles = rte_get_tsc_hz() * qv_lb_idle_s;
	memset(of_rule, 0xff, n * sizeof(*of_rule)); /* UINT32_MAX: no group */
	for (uint32_t i = first; i < n; i++) {
		const struct qv_rule *r = part_rule(a, na, b, i);
		struct qv_lb_group *g;

		if ((i < na && a_skip && ((a_skip[i / 64] >> (i % 64)) & 1)) || !has_group(r))
			continue;
		g = &gs->g[gs->n]; /* gs->n < n_groups: counted above */
		for (uint8_t k = 0; k < r->n_actions; k++)
			if (r->actions[k].type == QV_ACT_GROUP && g->n < QV_MAGLEV_MAX_MEMBERS)
				g->members[g->n++] = r->actions[k].arg;
		/* Maglev over ordinals: both directions' rules list the instances in one order,
		 * so ordinal k is the same instance in both (see lb_fast.h) */
		for (uint16_t k = 0; k < g->n; k++)
			keys[k] = k;
		qv_maglev_build(&g->mg, keys, g->n);
		g->id = group_id(r);
		g->rule = i;
		of_rule[i] = gs->n++;
	}
	return gs;
}

void qv_lb_groups_free(struct qv_lb_groups *gs)
{
	if (!gs)
		return;
	free((void *)gs->of_rule);
	free(gs);
}
