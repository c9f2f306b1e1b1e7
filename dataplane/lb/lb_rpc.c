/* qwikvirt: the load-balancing feature's JSON-RPC methods (group.show: the groups of the live
 * table, flows per member, affinity-table use; group.drain) and its hooks in the switch. */
#include <stdlib.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "control/rpc/rpc.h"
#include "dataplane/dp.h"
#include "dataplane/flow_table.h"
#include "dataplane/lb/lb.h"
#include "dataplane/switch.h"

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
		const struct qv_rule *r = qv_flow_table_rule(t, grp->rule + 1);
		json_t *members;
		uint16_t share[QV_MAGLEV_MAX_MEMBERS] = {0};

		/* a delta copy of a big-part rule (flow_table.h) is that rule again: shown once */
		if (grp->rule >= t->base->n_rules + t->n_added)
			continue;
		members = json_array();

		for (uint32_t s = 0; s < QV_MAGLEV_SIZE; s++)
			share[grp->mg.slot[s]]++;
		for (uint16_t j = 0; j < grp->n; j++) {
			const struct qv_port *p =
			    grp->members[j] < QV_MAX_PORTS ? qv_dp_port_at(grp->members[j]) : NULL;
			const char *name = p ? qv_dp_port_name(grp->members[j]) : NULL;

			json_array_append_new(
			    members,
			    json_pack("{s:s,s:b,s:b,s:I,s:f}", "port", name ? name : "(missing)",
			              "usable",
			              p && atomic_load(&p->up) && atomic_load(&p->admin_up),
			              "draining",
			              grp->members[j] < QV_MAX_PORTS &&
			                  atomic_load(&qv_lb_draining[grp->members[j]]),
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
	                 qv_lb_idle_s);
}

static json_t *m_group_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return qv_lb_show();
}

QV_DP_LOCKED(m_group_show)

/* group.drain {port, on}: the port takes no new flow in any group; its flows stay. */
static json_t *m_group_drain(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"port", "on", NULL};
	const char *name;
	struct qv_port *port;
	bool on = true, was;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "port", true, err)) ||
	    qv_rpc_param_bool(params, "on", &on, err) < 0)
		return NULL;
	port = qv_dp_port_by_name(name);
	if (!port)
		return qv_rpc_fail(
		    err, QV_RPC_APP_ERROR,
		    "no port '%s' to drain: expected a port of the switch (see port.list)", name);
	was = qv_lb_set_draining(port->index, on);
	return json_pack("{s:s,s:b,s:b}", "port", name, "draining", on, "was", was);
}

QV_DP_LOCKED(m_group_drain)

/* port.list's "draining": true for a port that takes no new flows. */
static void lb_port_json(uint16_t index, json_t *port)
{
	if (index < QV_MAX_PORTS && atomic_load(&qv_lb_draining[index]))
		json_object_set_new(port, "draining", json_true());
}

/* A removed port's slot may be reused by a port that is not draining. */
static void lb_port_removing(uint16_t index)
{
	qv_lb_set_draining(index, false);
}

static const struct qv_rpc_method lb_methods[] = {
    {"group.show", m_group_show_locked,
     "load-balancing groups: members, flows per member, affinity-table use per PMD", QV_RPC_READ},
    {"group.drain", m_group_drain_locked,
     "drain a port (on: true) from every group: no new flows, its flows stay; on: false undoes "
     "it"},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature lb_feature = {.name = "lb",
                                          .port_removing = lb_port_removing,
                                          .port_json = lb_port_json,
                                          .methods = lb_methods};
QV_DP_FEATURE(lb_feature)
