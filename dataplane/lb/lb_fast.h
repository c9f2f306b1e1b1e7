/* qwikvirt: a group's member choice — FAST PATH, inline: the flow-affinity entry if it still
 * names a usable member, else the Maglev table over the members not draining (recorded). */
#ifndef QV_LB_FAST_H
#define QV_LB_FAST_H

#include "dataplane/lb/lb.h"

static inline const struct qv_lb_group *qv_lb_group_of(const struct qv_lb_groups *gs, uint32_t rule)
{
	uint32_t i;

	if (gs == NULL)
		return NULL;
	i = gs->of_rule[rule];
	return i == UINT32_MAX ? NULL : &gs->g[i];
}

/* The members a new flow may go to: the usable ones that are not draining, or all usable
 * ones when every one of them drains (a flow is better served by a draining member than
 * dropped). */
static inline uint32_t qv_lb_new_flow_mask(const struct qv_lb_group *g, uint32_t live)
{
	uint32_t fresh = live;

	if (atomic_load_explicit(&qv_lb_n_draining, memory_order_relaxed) == 0)
		return live;
	for (uint16_t j = 0; j < g->n; j++)
		if (g->members[j] < QV_MAX_PORTS &&
		    atomic_load_explicit(&qv_lb_draining[g->members[j]], memory_order_relaxed))
			fresh &= ~(1u << j);
	return fresh ? fresh : live;
}

/* Member index (0..g->n-1) for the flow of symmetric hash h, or -1 when no member is usable
 * (bit j of live: member j is). a: this PMD's affinity table, or NULL.
 *
 * Why both directions of a flow still meet on one instance, though each direction may be
 * handled by a different PMD with its own affinity table (and is a different rule, so a
 * different group id): a group's members are listed in the same instance order in both
 * directions' rules, the hash is symmetric, and the Maglev table is built over member
 * ordinals, so the Maglev answer is the same ordinal for both. An affinity entry only ever
 * records that answer (or one a previous table gave both directions alike), so while both
 * directions keep sending, after an add each keeps the instance both had; after a member goes
 * down both see it down (its in and out ports go with the VM) and re-pick by the same table.
 * What can split a flow: a direction idle longer than qv_lb_idle_s while the other is not,
 * across a membership change, or one direction evicted from a full affinity set. */
static inline int qv_lb_pick(struct qv_lb_affinity *a, const struct qv_lb_group *g, uint32_t live,
                             uint32_t h, uint64_t now, uint64_t idle)
{
	uint64_t key = qv_lb_aff_key(g->id, h);
	int m;

	if (a != NULL) {
		struct qv_lb_aff_entry *e = qv_lb_aff_find(a, key, now, idle);

		if (e != NULL) {
			uint16_t port = (uint16_t)(e->val & QV_LB_AFF_MEMBER_MASK);

			for (uint16_t j = 0; j < g->n; j++)
				if (g->members[j] == port && (live & (1u << j))) {
					e->val = (now & ~QV_LB_AFF_MEMBER_MASK) | port;
					a->hits++;
					return j;
				}
			a->stale++;
		} else {
			a->misses++;
		}
	}
	m = qv_maglev_pick(&g->mg, h, qv_lb_new_flow_mask(g, live));
	if (a != NULL && m >= 0)
		qv_lb_aff_store(a, key, g->members[m], now, idle);
	return m;
}

#endif
