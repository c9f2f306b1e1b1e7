/* qwikvirt: qv-switchd's JSON-RPC method handlers. They run on the control thread, take
 * qv_sw.lock for the whole call, and check every parameter before acting. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_lcore.h>

#include "dataplane/dp.h"
#include "dataplane/l2_learn.h"
#include "dataplane/rpc_handlers.h"
#include "lib/name.h"
#include "lib/rule_syntax.h"
#include "dataplane/stats.h"
#include "dataplane/switch.h"

/* ---- parameter helpers: each names the parameter and what it must be ---- */

static int get_default(json_t *params, enum qv_port_default *out, struct qv_rpc_error *err)
{
	static const char *const names[] = {"drop", "l2", NULL}; /* enum qv_port_default order */
	int d, rc = qv_rpc_param_enum(params, "default", names, &d, err);

	if (rc == 1)
		*out = (enum qv_port_default)d;
	return rc;
}

/* ---- views ---- */

static json_t *drops_object(const uint64_t *drops)
{
	json_t *o = json_object();

	for (int r = 0; r < QV_DROP_MAX; r++)
		json_object_set_new(o, qv_drop_reason_name[r], json_integer((json_int_t)drops[r]));
	return o;
}

static json_t *port_json(struct qv_port *p)
{
	struct qv_port_counters c;
	json_t *o;

	qv_stats_port(p->index, &c);
	o = json_pack("{s:s, s:i, s:s, s:s, s:b, s:s, s:s, s:i, s:i, s:i, s:s, s:I, s:I, s:I, s:I}",
	              "name", p->name, "index", p->index, "type", p->ops->kind,
	              strcmp(p->ops->kind, "vhost") == 0 ? "path" : "devargs", p->where, "client",
	              p->client, "state", atomic_load(&p->up) ? "up" : "down", "admin",
	              atomic_load(&p->admin_up) ? "up" : "down", "numa", p->numa, "rxq", p->n_rxq,
	              "txq", p->n_txq, "default",
	              atomic_load(&p->default_action) == QV_PORT_DEFAULT_L2 ? "l2" : "drop",
	              "rx_packets", (json_int_t)c.rx_packets, "rx_bytes", (json_int_t)c.rx_bytes,
	              "tx_packets", (json_int_t)c.tx_packets, "tx_bytes", (json_int_t)c.tx_bytes);
	json_object_set_new(o, "drops", drops_object(c.drops));
	return o;
}

json_t *qv_view_ports(void)
{
	json_t *a = json_array();

	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) {
		struct qv_port *p = atomic_load(&qv_sw.ports[i]);

		if (p)
			json_array_append_new(a, port_json(p));
	}
	return a;
}

static double per(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : 0.0;
}

json_t *qv_view_pmds(void)
{
	json_t *a = json_array();

	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		struct qv_pmd *pmd = qv_sw.pmds[i];
		const struct qv_poll_list *pl = atomic_load(&pmd->poll);
		json_t *rxqs = json_array();
		uint64_t busy, idle, pkts = 0;
		struct qv_lookup_counters lk;

		qv_stats_pmd(i, &busy, &idle);
		qv_stats_lookups(i, &lk);
		for (uint16_t q = 0; pl && q < pl->n; q++) {
			struct qv_rxq_counters c;

			qv_stats_rxq(i, pl->rxq[q].port->index, pl->rxq[q].queue, &c);
			pkts += c.packets;
			json_array_append_new(
			    rxqs,
			    json_pack("{s:s, s:i, s:I, s:I, s:f}", "port", pl->rxq[q].port->name,
			              "queue", pl->rxq[q].queue, "packets", (json_int_t)c.packets,
			              "busy_cycles", (json_int_t)c.busy_cycles, "cycles_per_packet",
			              per(c.busy_cycles, c.packets)));
		}
		json_array_append_new(
		    a, json_pack("{s:i, s:i, s:I, s:I, s:f, s:I, s:f, s:I, s:{s:I, s:I, s:I}, s:o}",
		                 "core", pmd->cpu, "numa", pmd->numa, "busy_cycles",
		                 (json_int_t)busy, "idle_cycles", (json_int_t)idle, "busy_pct",
		                 100.0 * per(busy, busy + idle), "packets", (json_int_t)pkts,
		                 "cycles_per_packet", per(busy, pkts), "tsc_hz",
		                 (json_int_t)rte_get_tsc_hz(), "lookups", "same_key",
		                 (json_int_t)lk.same_key, "emc_hit", (json_int_t)lk.emc_hits,
		                 "classifier", (json_int_t)lk.classified, "rxqs", rxqs));
		if (qv_sw.check_rxq_owner)
			json_object_set_new(json_array_get(a, json_array_size(a) - 1),
			                    "rxq_conflicts",
			                    json_integer((json_int_t)__atomic_load_n(
			                        &pmd->rxq_conflicts, __ATOMIC_RELAXED)));
	}
	return a;
}

/* Formats with the port names the rule was written with, so a rule whose port is missing
 * still reads as the operator wrote it. */
json_t *qv_view_flows(void)
{
	json_t *a = json_array();

	for (uint32_t f = 0; f < qv_sw.n_flows; f++) {
		const struct qv_flow_entry *e = &qv_sw.flows[f];
		char match[1024], acts[512], text[1600];

		if (e->dead)
			continue;
		qv_switch_flow_format(f, match, sizeof(match), acts, sizeof(acts), text,
		                      sizeof(text));
		json_array_append_new(
		    a, json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:b}", "id", e->rule.id,
		                 "priority", e->rule.priority, "match", match, "actions", acts,
		                 "text", text, "hits", (json_int_t)qv_switch_flow_hits(f), "inert",
		                 e->in_name[0] && !qv_switch_port_by_name(e->in_name)));
	}
	return a;
}

json_t *qv_view_drops(void)
{
	uint64_t d[QV_DROP_MAX];

	qv_stats_drops(d);
	return drops_object(d);
}

/* ---- methods ---- */

static json_t *m_port_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "type", "path",    "client", "queues", "devargs",
	                                   "rxq",  "txq",  "default", "admin",  NULL};
	struct qv_port_params pp = {.rxq = 1, .txq = 1, .admin_up = true};
	long long v;
	const char *admin;
	char msg[512];

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	pp.name = qv_rpc_param_str(params, "name", true, err);
	if (!pp.name)
		return NULL;
	if (!qv_name_ok(pp.name))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "port name '%s' must be 1..%d characters of A-Z a-z 0-9 _ . -",
		                   pp.name, QV_PORT_NAME_MAX - 1);
	pp.type = qv_rpc_param_str(params, "type", true, err);
	if (!pp.type)
		return NULL;
	if (get_default(params, &pp.dflt, err) < 0)
		return NULL;
	admin = qv_rpc_param_str(params, "admin", false, err);
	if (!admin && json_object_get(params, "admin"))
		return NULL;
	if (admin && strcmp(admin, "up") && strcmp(admin, "down"))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'admin' must be \"up\" or \"down\"");
	pp.admin_up = !admin || strcmp(admin, "up") == 0;
	if (strcmp(pp.type, "vhost") == 0) {
		if (json_object_get(params, "devargs") || json_object_get(params, "rxq") ||
		    json_object_get(params, "txq"))
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			                   "a vhost port takes 'path', 'client' and 'queues', not "
			                   "'devargs', 'rxq' or 'txq'");
		pp.path = qv_rpc_param_str(params, "path", true, err);
		if (!pp.path || qv_rpc_param_bool(params, "client", &pp.client, err) < 0)
			return NULL;
		if (qv_rpc_param_int(params, "queues", 1, QV_MAX_QUEUES, &v, err) < 0)
			return NULL;
		if (json_object_get(params, "queues"))
			pp.rxq = pp.txq = (uint16_t)v;
	} else if (strcmp(pp.type, "dpdk") == 0) {
		if (json_object_get(params, "path") || json_object_get(params, "client") ||
		    json_object_get(params, "queues"))
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			                   "a dpdk port takes 'devargs', 'rxq' and 'txq', not "
			                   "'path', 'client' or 'queues'");
		pp.devargs = qv_rpc_param_str(params, "devargs", true, err);
		if (!pp.devargs)
			return NULL;
		if (qv_rpc_param_int(params, "rxq", 1, QV_MAX_QUEUES, &v, err) < 0)
			return NULL;
		if (json_object_get(params, "rxq"))
			pp.rxq = (uint16_t)v;
		if (qv_rpc_param_int(params, "txq", 1, QV_MAX_QUEUES, &v, err) < 0)
			return NULL;
		if (json_object_get(params, "txq"))
			pp.txq = (uint16_t)v;
	} else {
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'type' must be \"vhost\" or \"dpdk\", not \"%s\"",
		                   pp.type);
	}
	if (qv_switch_port_add(&pp, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_pack("{s:s, s:i}", "name", pp.name, "index",
	                 qv_switch_port_by_name(pp.name)->index);
}

static json_t *m_port_del(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", NULL};
	const char *name;
	char msg[512];

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)))
		return NULL;
	if (qv_switch_port_del(name, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_object();
}

static json_t *m_port_set(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "default", "admin", NULL};
	enum qv_port_default d = QV_PORT_DEFAULT_DROP;
	const char *name, *admin;
	struct qv_port *p;
	int has_d;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)))
		return NULL;
	p = qv_switch_port_by_name(name);
	if (!p)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "no port named '%s' (see qvctl show ports)", name);
	has_d = get_default(params, &d, err);
	if (has_d < 0)
		return NULL;
	admin = qv_rpc_param_str(params, "admin", false, err);
	if (!admin && json_object_get(params, "admin"))
		return NULL;
	if (admin && strcmp(admin, "up") && strcmp(admin, "down"))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'admin' must be \"up\" or \"down\"");
	if (!has_d && !admin)
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "nothing to set: give 'default' (drop|l2) or 'admin' (up|down)");
	if (has_d)
		atomic_store(&p->default_action, (uint8_t)d);
	if (admin)
		qv_switch_port_set_admin(p, strcmp(admin, "up") == 0);
	return json_object();
}

static json_t *m_flow_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"flow", NULL};
	const char *text;
	char msg[512];
	uint32_t id;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(text = qv_rpc_param_str(params, "flow", true, err)))
		return NULL;
	if (qv_switch_flow_add(text, &id, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "%s", msg);
	return json_pack("{s:i}", "id", id);
}

static json_t *m_flow_del(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"id", "all", NULL};
	bool all = false;
	long long id;
	char msg[512];
	int has_id;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    qv_rpc_param_bool(params, "all", &all, err) < 0)
		return NULL;
	has_id = qv_rpc_param_int(params, "id", 1, UINT32_MAX, &id, err);
	if (has_id < 0)
		return NULL;
	if (all == (has_id == 1))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "give either 'id' (a flow id from flow.list) or 'all': true");
	if (all)
		return json_pack("{s:i}", "deleted", qv_switch_flow_flush());
	if (qv_switch_flow_del((uint32_t)id, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_pack("{s:i}", "deleted", 1);
}

/* flow.apply: many changes checked as a whole and published once. A transaction larger than
 * one request (QV_RPC_MAX_REQUEST) is staged over several with "commit": false, each naming
 * the "txn" the first returned; errors name the change's index in the whole transaction, and
 * any error gives the transaction up: nothing of it is applied. */
static json_t *m_flow_apply(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"add", "del", "replace", "txn", "commit", NULL};
	json_t *add = json_object_get(params, "add"), *del = json_object_get(params, "del"), *v;
	bool replace = false, commit = true;
	struct qv_flow_txn_result res;
	struct qv_flow_txn *tx;
	uint32_t n_add, n_del;
	long long txn_id = 0;
	char msg[600];
	size_t i;
	int has_txn;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    qv_rpc_param_bool(params, "replace", &replace, err) < 0 ||
	    qv_rpc_param_bool(params, "commit", &commit, err) < 0)
		return NULL;
	has_txn = qv_rpc_param_int(params, "txn", 1, UINT32_MAX, &txn_id, err);
	if (has_txn < 0)
		return NULL;
	if (add && !json_is_array(add))
		return qv_rpc_fail(
		    err, QV_RPC_INVALID_PARAMS,
		    "parameter 'add' must be an array of rules in the compact syntax");
	if (del && !json_is_array(del))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'del' must be an array of flow ids");
	if (has_txn && json_object_get(params, "replace"))
		return qv_rpc_fail(
		    err, QV_RPC_INVALID_PARAMS,
		    "'replace' goes with the first request of a transaction, not with "
		    "'txn'");
	tx = has_txn ? qv_flow_txn_get((uint32_t)txn_id, msg, sizeof(msg))
	             : qv_flow_txn_open(replace, msg, sizeof(msg));
	if (!tx)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	json_array_foreach(add, i, v)
	{
		if (!json_is_string(v)) {
			qv_flow_txn_counts(tx, &n_add, &n_del);
			qv_flow_txn_abort(tx);
			return qv_rpc_fail(
			    err, QV_RPC_INVALID_PARAMS,
			    "add[%u]: must be a rule in the compact syntax (a string); "
			    "nothing was applied",
			    n_add);
		}
		if (qv_flow_txn_add(tx, json_string_value(v), msg, sizeof(msg)) != 0) {
			qv_flow_txn_abort(tx);
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "%s; nothing was applied",
			                   msg);
		}
	}
	json_array_foreach(del, i, v)
	{
		json_int_t id = json_integer_value(v);

		if (!json_is_integer(v) || id < 1 || id > UINT32_MAX) {
			qv_flow_txn_counts(tx, &n_add, &n_del);
			qv_flow_txn_abort(tx);
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			                   "del[%u]: must be a flow id (a number from flow.list); "
			                   "nothing was applied",
			                   n_del);
		}
		qv_flow_txn_del(tx, (uint32_t)id);
	}
	qv_flow_txn_counts(tx, &n_add, &n_del);
	if (!commit)
		return json_pack("{s:i, s:i, s:i}", "txn", qv_flow_txn_id(tx), "staged_add", n_add,
		                 "staged_del", n_del);
	if (qv_flow_txn_commit(tx, &res, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_pack("{s:i, s:i, s:I, s:i, s:b, s:f, s:f}", "added", res.added, "deleted",
	                 res.deleted, "first_id", (json_int_t)(res.added ? res.first_id : 0),
	                 "rules", qv_sw.n_live, "incremental", res.incremental, "apply_ms",
	                 res.apply_s * 1e3, "grace_ms", res.grace_s * 1e3);
}

static json_t *m_flow_summary(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return qv_switch_flow_summary();
}

/* Methods that take no parameters and return one view: {"KEY": VIEW()}. */
#define VIEW_METHOD(fn, key, view)                                                                 \
	static json_t *fn(json_t *params, struct qv_rpc_error *err, void *ctx)                     \
	{                                                                                          \
		static const char *const keys[] = {NULL};                                          \
		(void)ctx;                                                                         \
		if (qv_rpc_check_keys(params, keys, err) != 0)                                     \
			return NULL;                                                               \
		return json_pack("{s:o}", key, view());                                            \
	}
VIEW_METHOD(m_port_list, "ports", qv_view_ports)
VIEW_METHOD(m_flow_list, "flows", qv_view_flows)
VIEW_METHOD(m_pmd_show, "pmds", qv_view_pmds)

static json_t *m_stats_get(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return json_pack("{s:o, s:o, s:o}", "ports", qv_view_ports(), "drops", qv_view_drops(),
	                 "pmds", qv_view_pmds());
}

static json_t *m_stats_clear(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	qv_stats_clear();
	return json_object();
}

static json_t *m_l2_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
	json_t *a;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	a = json_array();
	for (uint32_t i = 0; i < QV_L2_ENTRIES; i++) {
		uint64_t mp = atomic_load(&qv_l2_table[i].macport);
		uint64_t seen = atomic_load(&qv_l2_table[i].seen);
		const char *pn;
		char mac[18];

		if (mp == 0 || now - seen > qv_l2_aging_tsc)
			continue;
		pn = qv_switch_port_name(qv_l2_entry_port(mp));
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		         (unsigned)(mp >> 56) & 0xff, (unsigned)(mp >> 48) & 0xff,
		         (unsigned)(mp >> 40) & 0xff, (unsigned)(mp >> 32) & 0xff,
		         (unsigned)(mp >> 24) & 0xff, (unsigned)(mp >> 16) & 0xff);
		json_array_append_new(a, json_pack("{s:s, s:s, s:f}", "mac", mac, "port",
		                                   pn ? pn : "?", "age_s",
		                                   (double)(now - seen) / (double)hz));
	}
	return json_pack("{s:o, s:i}", "entries", a, "aging_s", qv_sw.l2_aging_s);
}

/* Every method runs with qv_sw.lock held: telemetry readers and the RPC thread never see a
 * half-made change. */
QV_DP_LOCKED(m_port_add)
QV_DP_LOCKED(m_port_del)
QV_DP_LOCKED(m_port_set)
QV_DP_LOCKED(m_port_list)
QV_DP_LOCKED(m_flow_add)
QV_DP_LOCKED(m_flow_del)
QV_DP_LOCKED(m_flow_list)
QV_DP_LOCKED(m_flow_apply)
QV_DP_LOCKED(m_flow_summary)
QV_DP_LOCKED(m_pmd_show)
QV_DP_LOCKED(m_stats_get)
QV_DP_LOCKED(m_stats_clear)
QV_DP_LOCKED(m_l2_show)

static const struct qv_rpc_method core_methods[] = {
    {"port.add", m_port_add_locked, "add a vhost-user or DPDK port"},
    {"port.del", m_port_del_locked, "remove a port (its rules stay, inert, until it is back)"},
    {"port.set", m_port_set_locked, "set a port's default (drop|l2) or admin state (up|down)"},
    {"port.list", m_port_list_locked, "list ports with state and counters"},
    {"flow.add", m_flow_add_locked, "add a rule in the compact syntax"},
    {"flow.del", m_flow_del_locked, "delete a rule by id, or all rules"},
    {"flow.list", m_flow_list_locked, "list rules with hit counters"},
    {"flow.apply", m_flow_apply_locked, "add and delete many rules as one transaction"},
    {"flow.summary", m_flow_summary_locked, "table sizes, memory and build times"},
    {"pmd.show", m_pmd_show_locked, "PMD load and cycles per packet, per rx queue"},
    {"stats.get", m_stats_get_locked, "ports, drops by reason and PMDs in one call"},
    {"stats.clear", m_stats_clear_locked, "zero every counter"},
    {"l2.show", m_l2_show_locked, "the MAC learning table"},
    {NULL, NULL, NULL},
};

/* The switch's table: the core methods above, then each feature's in name order. Assembled
 * by a constructor that runs after the features' (QV_DP_FEATURE) registered them. */
#define MAX_METHODS 64
static struct qv_rpc_method all_methods[MAX_METHODS + 1];
const struct qv_rpc_method *qv_switch_methods = all_methods;

static void add_methods(unsigned *n, const struct qv_rpc_method *m)
{
	for (; m->name; m++) {
		RTE_VERIFY(*n < MAX_METHODS); /* raise MAX_METHODS */
		all_methods[(*n)++] = *m;
	}
}

static void __attribute__((constructor(QV_DP_FEATURE_PRIO + 1))) assemble_methods(void)
{
	unsigned n = 0;

	add_methods(&n, core_methods);
	for (const struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->methods)
			add_methods(&n, f->methods);
	all_methods[n] = (struct qv_rpc_method){NULL, NULL, NULL};
}
