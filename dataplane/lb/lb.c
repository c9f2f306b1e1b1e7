/* qwikvirt: building a flow table's load-balancing groups, the per-PMD affinity tables, and
 * the group.show view. Slow path only (control thread, qv_sw.lock held). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dataplane/dp.h"
#include "dataplane/flow_table.h"
#include "dataplane/lb/lb.h"
#include "dataplane/pmd.h"
#include "dataplane/switch.h"

struct qv_lb_affinity *_Atomic qv_lb_affinity_of[QV_MAX_PMDS];

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

struct qv_lb_groups *qv_lb_groups_build(const struct qv_rule *rules, uint32_t n, uint16_t n_pmds,
                                        char *err, size_t errlen)
{
	struct qv_lb_groups *gs;
	uint32_t *of_rule, n_groups = 0;
	uint64_t keys[QV_MAGLEV_MAX_MEMBERS];

	err[0] = 0;
	for (uint32_t i = 0; i < n; i++)
		for (uint8_t a = 0; a < rules[i].n_actions; a++)
			if (rules[i].actions[a].type == QV_ACT_GROUP) {
				n_groups++;
				break;
			}
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
	gs->idle_cycles = rte_get_tsc_hz() * QV_LB_IDLE_S;
	for (uint32_t i = 0; i < n; i++) {
		struct qv_lb_group *g = &gs->g[gs->n];

		of_rule[i] = UINT32_MAX;
		for (uint8_t a = 0; a < rules[i].n_actions; a++)
			if (rules[i].actions[a].type == QV_ACT_GROUP &&
			    g->n < QV_MAGLEV_MAX_MEMBERS)
				g->members[g->n++] = rules[i].actions[a].arg;
		if (g->n == 0)
			continue;
		/* Maglev over ordinals: both directions' rules list the instances in one order,
		 * so ordinal k is the same instance in both (see lb_fast.h) */
		for (uint16_t k = 0; k < g->n; k++)
			keys[k] = k;
		qv_maglev_build(&g->mg, keys, g->n);
		g->id = group_id(&rules[i]);
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

/* Fresh affinity entries per group and member, over all PMDs: flows[g][member]. Entries are
 * read while their PMD writes them (each 64-bit word whole): a count, not a snapshot. */
static void count_flows(const struct qv_lb_groups *gs, uint64_t (*flows)[QV_MAGLEV_MAX_MEMBERS],
                        uint64_t *used)
{
	uint64_t now = rte_rdtsc();

	for (uint16_t p = 0; p < qv_sw.n_pmds; p++) {
		struct qv_lb_affinity *a =
		    atomic_load_explicit(&qv_lb_affinity_of[p], memory_order_acquire);

		used[p] = 0;
		for (uint32_t i = 0; a && i < QV_LB_AFF_ENTRIES; i++) {
			struct qv_lb_aff_entry e = {
			    __atomic_load_n(&a->e[i].key, __ATOMIC_RELAXED),
			    __atomic_load_n(&a->e[i].val, __ATOMIC_RELAXED)};
			uint16_t port = (uint16_t)(e.val & QV_LB_AFF_MEMBER_MASK);

			if (!qv_lb_aff_fresh(&e, now, gs ? gs->idle_cycles : 0))
				continue;
			used[p]++;
			for (uint32_t g = 0; g < gs->n; g++) {
				if (gs->g[g].id != (uint32_t)(e.key >> 32))
					continue;
				for (uint16_t j = 0; j < gs->g[g].n; j++)
					if (gs->g[g].members[j] == port)
						flows[g][j]++;
			}
		}
	}
}

json_t *qv_lb_show(void)
{
	const struct qv_flow_table *t = atomic_load(&qv_sw.table);
	const struct qv_lb_groups *gs = t ? t->lb : NULL;
	uint64_t(*flows)[QV_MAGLEV_MAX_MEMBERS] = NULL;
	uint64_t used[QV_MAX_PMDS] = {0};
	json_t *groups = json_array(), *pmds = json_array();
	char buf[512];

	if (gs && gs->n)
		flows = calloc(gs->n, sizeof(*flows));
	if (gs && flows)
		count_flows(gs, flows, used);
	for (uint32_t g = 0; gs && flows && g < gs->n; g++) {
		const struct qv_lb_group *grp = &gs->g[g];
		const struct qv_rule *r = &t->rules[grp->rule];
		json_t *members = json_array();
		uint16_t share[QV_MAGLEV_MAX_MEMBERS] = {0};

		for (uint32_t s = 0; s < QV_MAGLEV_SIZE; s++)
			share[grp->mg.slot[s]]++;
		for (uint16_t j = 0; j < grp->n; j++) {
			const struct qv_port *p =
			    grp->members[j] < QV_MAX_PORTS ? qv_dp_port_at(grp->members[j]) : NULL;
			const char *name = p ? qv_dp_port_name(grp->members[j]) : NULL;

			json_array_append_new(
			    members,
			    json_pack("{s:s,s:b,s:I,s:f}", "port", name ? name : "(missing)",
			              "usable",
			              p && atomic_load(&p->up) && atomic_load(&p->admin_up),
			              "flows", (json_int_t)flows[g][j], "share",
			              (double)share[j] / QV_MAGLEV_SIZE));
		}
		json_array_append_new(groups, json_pack("{s:i,s:s,s:I,s:o}", "rule", r->id, "text",
		                                        qv_dp_rule_text(r->id, buf, sizeof(buf)),
		                                        "group_id", (json_int_t)grp->id, "members",
		                                        members));
	}
	free(flows);
	for (uint16_t p = 0; p < qv_sw.n_pmds; p++) {
		struct qv_lb_affinity *a = atomic_load(&qv_lb_affinity_of[p]);

		if (!a)
			continue;
		json_array_append_new(
		    pmds,
		    json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "pmd", p, "entries",
		              (json_int_t)QV_LB_AFF_ENTRIES, "used", (json_int_t)used[p], "hits",
		              (json_int_t)__atomic_load_n(&a->hits, __ATOMIC_RELAXED), "misses",
		              (json_int_t)__atomic_load_n(&a->misses, __ATOMIC_RELAXED), "stale",
		              (json_int_t)__atomic_load_n(&a->stale, __ATOMIC_RELAXED), "evictions",
		              (json_int_t)__atomic_load_n(&a->evictions, __ATOMIC_RELAXED)));
	}
	return json_pack("{s:o,s:o,s:i}", "groups", groups, "affinity", pmds, "idle_timeout_s",
	                 QV_LB_IDLE_S);
}
