/* qwikvirt: qv-switchd's JSON-RPC method handlers. They run on the control thread, take
 * qv_sw.lock for the whole call, and check every parameter before acting. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "dataplane/l2_learn.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/rule_syntax.h"
#include "dataplane/stats.h"
#include "dataplane/switch.h"

/* ---- parameter helpers: each names the parameter and what it must be ---- */

static int check_keys(json_t *params, const char *const *allowed, struct qv_rpc_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(params, key, v) {
		bool ok = false;

		for (int i = 0; allowed[i]; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char list[256] = "";

			for (int i = 0; allowed[i]; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", allowed[i]);
			qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
				    "unknown parameter '%s' (expected one of: %s)", key, list);
			return -1;
		}
	}
	return 0;
}

static const char *get_str(json_t *params, const char *key, bool required,
			   struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v) {
		if (required)
			qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter '%s'", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

/* 1 = present and valid, 0 = absent (dflt kept), -1 = error. */
static int get_uint(json_t *params, const char *key, long long lo, long long hi, long long *out,
		    struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be an integer %lld..%lld",
			    key, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

static int get_bool(json_t *params, const char *key, bool *out, struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

static int get_default(json_t *params, enum qv_port_default *out, struct qv_rpc_error *err)
{
	const char *d = get_str(params, "default", false, err);

	if (!d)
		return json_object_get(params, "default") ? -1 : 0;
	if (strcmp(d, "drop") == 0)
		*out = QV_PORT_DEFAULT_DROP;
	else if (strcmp(d, "l2") == 0)
		*out = QV_PORT_DEFAULT_L2;
	else {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			    "parameter 'default' must be \"drop\" or \"l2\", not \"%s\"", d);
		return -1;
	}
	return 1;
}

static bool valid_port_name(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= QV_PORT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("_.-", n[i]))
			return false;
	return true;
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

		qv_stats_pmd(i, &busy, &idle);
		for (uint16_t q = 0; pl && q < pl->n; q++) {
			struct qv_rxq_counters c;

			qv_stats_rxq(i, pl->rxq[q].port->index, pl->rxq[q].queue, &c);
			pkts += c.packets;
			json_array_append_new(
				rxqs, json_pack("{s:s, s:i, s:I, s:I, s:f}", "port",
						pl->rxq[q].port->name, "queue", pl->rxq[q].queue,
						"packets", (json_int_t)c.packets, "busy_cycles",
						(json_int_t)c.busy_cycles, "cycles_per_packet",
						per(c.busy_cycles, c.packets)));
		}
		json_array_append_new(
			a, json_pack("{s:i, s:i, s:I, s:I, s:f, s:I, s:f, s:I, s:o}", "core",
				     pmd->cpu, "numa", pmd->numa, "busy_cycles", (json_int_t)busy,
				     "idle_cycles", (json_int_t)idle, "busy_pct",
				     100.0 * per(busy, busy + idle), "packets", (json_int_t)pkts,
				     "cycles_per_packet", per(busy, pkts), "tsc_hz",
				     (json_int_t)rte_get_tsc_hz(), "rxqs", rxqs));
	}
	return a;
}


/* Formats with the port names the rule was written with, so a rule whose port is missing
 * still reads as the operator wrote it. */
static const char *entry_name_at(uint16_t idx, void *ctx)
{
	const struct qv_flow_entry *e = ctx;

	if (idx == 0xfffe)
		return e->in_name;
	if (idx >= 0xff00 && idx - 0xff00 < QV_MAX_ACTIONS)
		return e->out_name[idx - 0xff00];
	return qv_switch_port_name(idx);
}

json_t *qv_view_flows(void)
{
	json_t *a = json_array();

	for (uint32_t f = 0; f < qv_sw.n_flows; f++) {
		const struct qv_flow_entry *e = &qv_sw.flows[f];
		struct qv_rule r = e->rule;
		char match[1024], acts[512], text[1600];
		bool inert = false;
		uint8_t o = 0;

		/* point port references at the names kept in the entry */
		if (r.match.fields & QV_M_IN_PORT) {
			r.match.in_port = 0xfffe;
			inert = !qv_switch_port_by_name(e->in_name);
		}
		for (uint8_t k = 0; k < r.n_actions; k++)
			if (qv_action_names_port(r.actions[k].type))
				r.actions[k].arg = (uint16_t)(0xff00 + o++);
		qv_rule_format_match(&r, entry_name_at, (void *)e, match, sizeof(match));
		qv_rule_format_actions(&r, entry_name_at, (void *)e, acts, sizeof(acts));
		qv_rule_format(&r, entry_name_at, (void *)e, text, sizeof(text));
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:b}", "id",
						   r.id, "priority", r.priority, "match", match,
						   "actions", acts, "text", text, "hits",
						   (json_int_t)qv_switch_flow_hits(f), "inert",
						   inert));
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
	static const char *const keys[] = {"name",    "type", "path", "client", "queues",
					   "devargs", "rxq",  "txq",  "default", "admin", NULL};
	struct qv_port_params pp = {.rxq = 1, .txq = 1, .admin_up = true};
	long long v;
	const char *admin;
	char msg[512];

	(void)ctx;
	if (check_keys(params, keys, err) != 0)
		return NULL;
	pp.name = get_str(params, "name", true, err);
	if (!pp.name)
		return NULL;
	if (!valid_port_name(pp.name))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
				   "port name '%s' must be 1..%d characters of A-Z a-z 0-9 _ . -",
				   pp.name, QV_PORT_NAME_MAX - 1);
	pp.type = get_str(params, "type", true, err);
	if (!pp.type)
		return NULL;
	if (get_default(params, &pp.dflt, err) < 0)
		return NULL;
	admin = get_str(params, "admin", false, err);
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
		pp.path = get_str(params, "path", true, err);
		if (!pp.path || get_bool(params, "client", &pp.client, err) < 0)
			return NULL;
		if (get_uint(params, "queues", 1, QV_MAX_QUEUES, &v, err) < 0)
			return NULL;
		if (json_object_get(params, "queues"))
			pp.rxq = pp.txq = (uint16_t)v;
	} else if (strcmp(pp.type, "dpdk") == 0) {
		if (json_object_get(params, "path") || json_object_get(params, "client") ||
		    json_object_get(params, "queues"))
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
					   "a dpdk port takes 'devargs', 'rxq' and 'txq', not "
					   "'path', 'client' or 'queues'");
		pp.devargs = get_str(params, "devargs", true, err);
		if (!pp.devargs)
			return NULL;
		if (get_uint(params, "rxq", 1, QV_MAX_QUEUES, &v, err) < 0)
			return NULL;
		if (json_object_get(params, "rxq"))
			pp.rxq = (uint16_t)v;
		if (get_uint(params, "txq", 1, QV_MAX_QUEUES, &v, err) < 0)
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
	if (check_keys(params, keys, err) != 0 || !(name = get_str(params, "name", true, err)))
		return NULL;
	if (qv_switch_port_del(name, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_object();
}

static json_t *m_port_set(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "default", "admin", NULL};
	enum qv_port_default d;
	const char *name, *admin;
	struct qv_port *p;
	int has_d;

	(void)ctx;
	if (check_keys(params, keys, err) != 0 || !(name = get_str(params, "name", true, err)))
		return NULL;
	p = qv_switch_port_by_name(name);
	if (!p)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "no port named '%s' (see qvctl show ports)",
				   name);
	has_d = get_default(params, &d, err);
	if (has_d < 0)
		return NULL;
	admin = get_str(params, "admin", false, err);
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
	if (check_keys(params, keys, err) != 0 || !(text = get_str(params, "flow", true, err)))
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
	if (check_keys(params, keys, err) != 0 || get_bool(params, "all", &all, err) < 0)
		return NULL;
	has_id = get_uint(params, "id", 1, UINT32_MAX, &id, err);
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

/* Methods that take no parameters and return one view: {"KEY": VIEW()}. */
#define VIEW_METHOD(fn, key, view)                                                         \
	static json_t *fn(json_t *params, struct qv_rpc_error *err, void *ctx)             \
	{                                                                                  \
		static const char *const keys[] = {NULL};                                 \
		(void)ctx;                                                                 \
		if (check_keys(params, keys, err) != 0)                                    \
			return NULL;                                                       \
		return json_pack("{s:o}", key, view());                                    \
	}
VIEW_METHOD(m_port_list, "ports", qv_view_ports)
VIEW_METHOD(m_flow_list, "flows", qv_view_flows)
VIEW_METHOD(m_pmd_show, "pmds", qv_view_pmds)

static json_t *m_stats_get(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (check_keys(params, keys, err) != 0)
		return NULL;
	return json_pack("{s:o, s:o, s:o}", "ports", qv_view_ports(), "drops", qv_view_drops(),
			 "pmds", qv_view_pmds());
}

static json_t *m_stats_clear(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (check_keys(params, keys, err) != 0)
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
	if (check_keys(params, keys, err) != 0)
		return NULL;
	a = json_array();
	for (uint32_t i = 0; i < QV_L2_ENTRIES; i++) {
		uint64_t mp = atomic_load(&qv_l2_table[i].macport);
		uint64_t seen = atomic_load(&qv_l2_table[i].seen);
		const char *pn;
		char mac[18];

		if (mp == 0 || now - seen > qv_l2_aging_tsc)
			continue;
		pn = qv_switch_port_name((uint16_t)((mp & 0xffff) - 1));
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
#define LOCKED(fn)                                                                         \
	static json_t *fn##_locked(json_t *params, struct qv_rpc_error *err, void *ctx)    \
	{                                                                                  \
		json_t *r;                                                                 \
		pthread_mutex_lock(&qv_sw.lock);                                           \
		r = fn(params, err, ctx);                                                  \
		pthread_mutex_unlock(&qv_sw.lock);                                         \
		return r;                                                                  \
	}
LOCKED(m_port_add)
LOCKED(m_port_del)
LOCKED(m_port_set)
LOCKED(m_port_list)
LOCKED(m_flow_add)
LOCKED(m_flow_del)
LOCKED(m_flow_list)
LOCKED(m_pmd_show)
LOCKED(m_stats_get)
LOCKED(m_stats_clear)
LOCKED(m_l2_show)

const struct qv_rpc_method qv_switch_methods[] = {
	{"port.add", m_port_add_locked, "add a vhost-user or DPDK port"},
	{"port.del", m_port_del_locked, "remove a port (its rules stay, inert, until it is back)"},
	{"port.set", m_port_set_locked, "set a port's default (drop|l2) or admin state (up|down)"},
	{"port.list", m_port_list_locked, "list ports with state and counters"},
	{"flow.add", m_flow_add_locked, "add a rule in the compact syntax"},
	{"flow.del", m_flow_del_locked, "delete a rule by id, or all rules"},
	{"flow.list", m_flow_list_locked, "list rules with hit counters"},
	{"pmd.show", m_pmd_show_locked, "PMD load and cycles per packet, per rx queue"},
	{"stats.get", m_stats_get_locked, "ports, drops by reason and PMDs in one call"},
	{"stats.clear", m_stats_clear_locked, "zero every counter"},
	{"l2.show", m_l2_show_locked, "the MAC learning table"},
	{NULL, NULL, NULL},
};
