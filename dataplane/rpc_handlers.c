/* qwikvirt: qv-switchd's JSON-RPC method handlers. They run on the control thread, take
 * qv_sw.lock for the whole call, and check every parameter before acting. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_ether.h>
#include <rte_lcore.h>

#include "dataplane/dp.h"
#include "dataplane/l2_learn.h"
#include "dataplane/port_classes.h"
#include "dataplane/rpc_handlers.h"
#include "lib/name.h"
#include "lib/rule_syntax.h"
#include "dataplane/stats.h"
#include "dataplane/switch.h"
#include "pmd-glue/mempool.h"

/* ---- views ---- */

static json_t *drops_object(const uint64_t *drops)
{
	json_t *o = json_object();

	for (int r = 0; r < QV_DROP_MAX; r++)
		json_object_set_new(o, qv_drop_reason_name[r], json_integer((json_int_t)drops[r]));
	return o;
}

/* The time of a link change as "2026-12-01T07:10:00.123Z", or null for none. */
static json_t *link_time(uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	char buf[48], out[64];
	struct tm tm;

	if (ns == 0 || !gmtime_r(&sec, &tm))
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%03uZ", buf, (unsigned)(ns % 1000000000u / 1000000u));
	return json_string(out);
}

/* What the device dropped itself joins the port's drops under the nic-* reasons (the PMDs
 * never count those). */
static void add_nic_counters(struct qv_port *p, uint64_t *drops)
{
	struct qv_nic_counters n;

	if (!p->ops->nic_counters || p->ops->nic_counters(p, &n) != 0)
		return;
	drops[QV_DROP_NIC_MISSED] += n.imissed;
	drops[QV_DROP_NIC_NO_MBUF] += n.rx_nombuf;
	drops[QV_DROP_NIC_RX_ERROR] += n.ierrors;
	drops[QV_DROP_NIC_TX_ERROR] += n.oerrors;
}

/* What a port costs: the switch's state of it (a counters and tx-buffer row per PMD, its
 * slot) and the heap its open took (the port object, rte_vhost's socket, a driver's rings);
 * packet buffers come from the shared pool unless the port has its own (queues). */
static json_t *port_memory(const struct qv_port *p)
{
	const struct qv_port_state *st = qv_switch_port_state(p->index);
	size_t state = st ? st->bytes + sizeof(struct qv_port_slot) : 0;
	size_t opened = st ? st->open_bytes : 0;

	return json_pack("{s:I, s:I, s:I}", "switch_bytes", (json_int_t)state, "open_bytes",
	                 (json_int_t)opened, "total_bytes", (json_int_t)(state + opened));
}

static json_t *port_json(struct qv_port *p)
{
	struct qv_port_field f[QV_PORT_MAX_FIELDS];
	struct qv_port_counters c;
	unsigned n = p->cls->describe ? p->cls->describe(p, f) : 0;
	json_t *o, *rest;

	qv_stats_port(p->index, &c);
	o = json_pack("{s:s, s:i, s:s}", "name", p->name, "index", p->index, "type", p->cls->name);
	for (unsigned i = 0; i < n; i++) /* the kind's own fields: path, devargs, client... */
		json_object_set_new(o, f[i].key,
		                    f[i].type == QV_PORT_FIELD_BOOL ? json_boolean(f[i].flag)
		                    : f[i].type == QV_PORT_FIELD_UINT
		                        ? json_integer((json_int_t)f[i].num)
		                        : json_string(f[i].str));
	rest = json_pack(
	    "{s:s, s:s, s:i, s:i, s:i, s:s, s:I, s:I, s:I, s:I}", "state",
	    atomic_load(&p->up) ? "up" : "down", "admin", atomic_load(&p->admin_up) ? "up" : "down",
	    "numa", p->numa, "rxq", p->n_rxq, "txq", p->n_txq, "default",
	    atomic_load(&p->default_action) == QV_PORT_DEFAULT_L2 ? "l2" : "drop", "rx_packets",
	    (json_int_t)c.rx_packets, "rx_bytes", (json_int_t)c.rx_bytes, "tx_packets",
	    (json_int_t)c.tx_packets, "tx_bytes", (json_int_t)c.tx_bytes);
	json_object_update(o, rest);
	json_decref(rest);
	json_object_set_new(o, "mtu", json_integer(atomic_load(&p->mtu)));
	json_object_set_new(o, "link_changed", link_time(atomic_load(&p->link_changed_ns)));
	json_object_set_new(o, "memory", port_memory(p));
	add_nic_counters(p, c.drops);
	json_object_set_new(o, "drops", drops_object(c.drops));
	for (const struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->port_json)
			f->port_json(p->index, o);
	if (p->ops->xstats) { /* the device's own non-zero counters, by the driver's names */
		static struct qv_port_xstat xs[256];
		unsigned nx = p->ops->xstats(p, xs, 256);
		json_t *x = json_object();

		for (unsigned i = 0; i < nx; i++)
			json_object_set_new(x, xs[i].name, json_integer((json_int_t)xs[i].value));
		json_object_set_new(o, "xstats", x);
	}
	/* Not drops: packets left waiting in the port's rx queue for want of mbufs. */
	json_object_set_new(o, "rx_nombuf", json_integer((json_int_t)c.rx_nombuf));
	json_object_set_new(o, "rx_nombuf_peak", json_integer((json_int_t)c.rx_nombuf_peak));
	return o;
}

json_t *qv_view_ports(void)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);

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
		struct qv_mempool_stats ms;

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
		if (qv_mempool_stats(pmd->numa, &ms) == 0) /* the pool its node's ports use */
			json_object_set_new(json_array_get(a, json_array_size(a) - 1), "pool",
			                    json_pack("{s:s, s:i, s:i, s:i}", "name", ms.name,
			                              "size", ms.size, "in_use", ms.in_use, "free",
			                              ms.free));
		if (qv_sw.check_rxq_owner)
			json_object_set_new(json_array_get(a, json_array_size(a) - 1),
			                    "rxq_conflicts",
			                    json_integer((json_int_t)__atomic_load_n(
			                        &pmd->rxq_conflicts, __ATOMIC_RELAXED)));
	}
	return a;
}

/* Formats with the port names the rule was written with, so a rule whose port is missing
 * still reads as the operator wrote it. Rules in force offset.. (id order), at most limit. */
json_t *qv_view_flows_page(uint32_t offset, uint32_t limit)
{
	json_t *a = json_array();
	uint32_t k = 0; /* live rules passed */

	for (uint32_t f = 0; f < qv_sw.n_flows && json_array_size(a) < limit; f++) {
		const struct qv_flow_entry *e = &qv_sw.flows[f];
		char match[1024], acts[512], text[1600];
		bool inert;

		if (e->dead || k++ < offset)
			continue;
		/* resolved at this port epoch: its flag says (no name lookup per rule) */
		inert = e->in_name[0] &&
		        (e->epoch == qv_sw.port_epoch ? !e->active
		                                      : !qv_switch_port_by_name(e->in_name));
		qv_switch_flow_format(f, match, sizeof(match), acts, sizeof(acts), text,
		                      sizeof(text));
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:s, s:s, s:I, s:b}", "id",
		                                   e->rule.id, "priority", e->rule.priority,
		                                   "match", match, "actions", acts, "text", text,
		                                   "hits", (json_int_t)qv_switch_flow_hits(f),
		                                   "inert", inert));
	}
	return a;
}

json_t *qv_view_flows(void)
{
	return qv_view_flows_page(0, UINT32_MAX);
}

json_t *qv_view_drops(void)
{
	uint64_t d[QV_DROP_MAX];

	qv_stats_drops(d);
	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);

		if (p)
			add_nic_counters(p, d);
	}
	return drops_object(d);
}

/* ---- methods ---- */

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

/* flow.list [offset] [limit]: rules in force in id order, a page of them when limit is given
 * (100,000 rules are 15-40 MB of JSON in one answer, near or past what a client takes:
 * qv_rpc_call reads at most 64 MiB, the protocol notes say 16); "total" counts them all,
 * "next_offset" is where the next page starts (null after the last). */
static json_t *m_flow_list(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"offset", "limit", NULL};
	long long offset = 0, limit = UINT32_MAX;
	json_t *flows;
	size_t n;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    qv_rpc_param_int(params, "offset", 0, UINT32_MAX, &offset, err) < 0 ||
	    qv_rpc_param_int(params, "limit", 1, QV_FLOW_LIST_MAX, &limit, err) < 0)
		return NULL;
	flows = qv_view_flows_page((uint32_t)offset, (uint32_t)limit);
	n = json_array_size(flows);
	return json_pack("{s:o, s:I, s:I, s:o}", "flows", flows, "offset", (json_int_t)offset,
	                 "total", (json_int_t)qv_sw.n_live, "next_offset",
	                 (uint64_t)offset + n < qv_sw.n_live
	                     ? json_integer((json_int_t)((uint64_t)offset + n))
	                     : json_null());
}
/* pmd.show: the PMDs and the packet-buffer pools they move (shared, and ports' own). */
static json_t *m_pmd_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	struct qv_mempool_info pi[64];
	unsigned n;
	json_t *pools = json_array();

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0) {
		json_decref(pools);
		return NULL;
	}
	n = qv_mempool_list(pi, 64);
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(pools, json_pack("{s:s, s:i, s:i, s:i}", "name", pi[i].name,
		                                       "size", pi[i].size, "in_use", pi[i].in_use,
		                                       "data_room", pi[i].data_room));
	return json_pack("{s:o, s:o}", "pmds", qv_view_pmds(), "pools", pools);
}

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
    {"flow.add", m_flow_add_locked, "add a rule in the compact syntax"},
    {"flow.del", m_flow_del_locked, "delete a rule by id, or all rules"},
    {"flow.list", m_flow_list_locked, "list rules with hit counters", QV_RPC_READ},
    {"flow.apply", m_flow_apply_locked, "add and delete many rules as one transaction"},
    {"flow.summary", m_flow_summary_locked, "table sizes, memory and build times", QV_RPC_READ},
    {"pmd.show", m_pmd_show_locked, "PMD load and cycles per packet, per rx queue", QV_RPC_READ},
    {"stats.get", m_stats_get_locked, "ports, drops by reason and PMDs in one call", QV_RPC_READ},
    {"stats.clear", m_stats_clear_locked, "zero every counter"},
    {"l2.show", m_l2_show_locked, "the MAC learning table", QV_RPC_READ},
    {NULL, NULL, NULL},
};

/* The switch's table: the port methods (rpc_ports.c), the core methods above, then each
 * feature's in name order. Assembled
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

	add_methods(&n, qv_port_methods); /* first, as rpc.list always listed them */
	add_methods(&n, core_methods);
	for (const struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->methods)
			add_methods(&n, f->methods);
	all_methods[n] = (struct qv_rpc_method){NULL, NULL, NULL};
}
