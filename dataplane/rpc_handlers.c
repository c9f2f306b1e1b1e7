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

/* ---- parameter helpers: each names the parameter and what it must be ---- */

static int get_default(json_t *params, enum qv_port_default *out, struct qv_rpc_error *err)
{
	static const char *const names[] = {"drop", "l2", NULL}; /* enum qv_port_default order */
	int d, rc = qv_rpc_param_enum(params, "default", names, &d, err);

	if (rc == 1)
		*out = (enum qv_port_default)d;
	return rc;
}

/* "mtu": 1 with *out set, 0 when absent, -1 with err. The device's own limits are checked
 * where it is opened or reconfigured. */
static int get_mtu(json_t *params, uint16_t *out, struct qv_rpc_error *err)
{
	long long v;
	int rc = qv_rpc_param_int(params, "mtu", RTE_ETHER_MIN_MTU, QV_PORT_MAX_MTU, &v, err);

	if (rc == 1)
		*out = (uint16_t)v;
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

static json_t *queue_counters(const struct qv_port_queue *pq, bool rx)
{
	json_t *o = json_object();
	unsigned n = rx ? pq->n_rx : pq->n_tx;

	for (unsigned i = 0; i < n; i++)
		json_object_set_new(
		    o, rx ? pq->rx[i].name : pq->tx[i].name,
		    json_integer((json_int_t)(rx ? pq->rx[i].value : pq->tx[i].value)));
	return o;
}

/* port.queues: what the port's device says of each queue pair (vhost: whether the guest
 * enabled it, rte_vhost's per-virtqueue counters); an empty list while it has no device. */
static json_t *port_queues_json(struct qv_port *p)
{
	json_t *a = json_array();
	uint16_t n = p->n_rxq > p->n_txq ? p->n_rxq : p->n_txq;

	for (uint16_t q = 0; p->cls->queue && q < n; q++) {
		struct qv_port_queue pq;

		memset(&pq, 0, sizeof(pq));
		if (!p->cls->queue(p, q, &pq))
			break;
		json_array_append_new(a, json_pack("{s:i, s:b, s:b, s:o, s:o}", "queue", q,
		                                   "rx_enabled", pq.rx_enabled, "tx_enabled",
		                                   pq.tx_enabled, "rx", queue_counters(&pq, true),
		                                   "tx", queue_counters(&pq, false)));
	}
	return a;
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
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) {
		struct qv_port *p = atomic_load(&qv_sw.ports[i]);

		if (p)
			add_nic_counters(p, d);
	}
	return drops_object(d);
}

/* ---- methods ---- */

/* ---- port.add / port.set: generic settings here, the kind's own through its class ---- */

static bool class_takes(const struct qv_port_arg *args, uint8_t n, const char *key)
{
	for (uint8_t i = 0; i < n; i++)
		if (strcmp(args[i].key, key) == 0)
			return true;
	return false;
}

/* The keys port.add accepts: the generic ones around every class's own, each once. */
static void port_add_keys(const char **keys, size_t max)
{
	size_t n = 0;

	keys[n++] = "name";
	keys[n++] = "type";
	for (int k = 0; k < QV_PORT_KIND_MAX; k++) {
		const struct qv_port_class *c = qv_port_classes[k];

		for (uint8_t i = 0; c && i < c->n_args && n + 3 < max; i++) {
			bool seen = false;

			for (size_t j = 0; j < n; j++)
				seen = seen || strcmp(keys[j], c->args[i].key) == 0;
			if (!seen)
				keys[n++] = c->args[i].key;
		}
	}
	keys[n++] = "default";
	keys[n++] = "admin";
	keys[n++] = "mtu";
	keys[n] = NULL;
}

/* "'a', 'b' and 'c'" (conj "and") of the keys given, in order. */
static void join_keys(char *buf, size_t len, const char *const *keys, size_t n, const char *conj)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s'%s'",
		         i == 0       ? ""
		         : i + 1 == n ? conj
		                      : ", ",
		         keys[i]);
}

/* A port of class c takes none of the other classes' own keys: names both lists. */
static int check_foreign_keys(json_t *params, const struct qv_port_class *c,
                              struct qv_rpc_error *err)
{
	const char *own[QV_PORT_MAX_ARGS], *other[QV_PORT_KIND_MAX * QV_PORT_MAX_ARGS];
	size_t n_own = 0, n_other = 0;
	bool given = false;
	char ownl[256], otherl[256];

	for (uint8_t i = 0; i < c->n_args; i++)
		own[n_own++] = c->args[i].key;
	for (int k = 0; k < QV_PORT_KIND_MAX; k++) {
		const struct qv_port_class *o = qv_port_classes[k];

		for (uint8_t i = 0; o && o != c && i < o->n_args; i++) {
			bool seen = class_takes(c->args, c->n_args, o->args[i].key);

			for (size_t j = 0; j < n_other; j++)
				seen = seen || strcmp(other[j], o->args[i].key) == 0;
			if (seen)
				continue;
			other[n_other++] = o->args[i].key;
			given = given || json_object_get(params, o->args[i].key);
		}
	}
	if (!given)
		return 0;
	join_keys(ownl, sizeof(ownl), own, n_own, " and ");
	join_keys(otherl, sizeof(otherl), other, n_other, " or ");
	qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "a %s port takes %s, not %s", c->name, ownl,
	            otherl);
	return -1;
}

/* Reads the class's own arguments (args) into cfg. -1 with err naming the parameter. */
static int get_class_args(json_t *params, const struct qv_port_arg *args, uint8_t n,
                          struct qv_port_config *cfg, struct qv_rpc_error *err)
{
	for (uint8_t i = 0; i < n; i++) {
		const char *key = args[i].key;
		long long v;
		int rc;

		switch (args[i].type) {
		case QV_PORT_ARG_STR:
			cfg->str[i] = qv_rpc_param_str(params, key, args[i].required, err);
			if (!cfg->str[i] && (args[i].required || json_object_get(params, key)))
				return -1;
			break;
		case QV_PORT_ARG_BOOL:
			if (qv_rpc_param_bool(params, key, &cfg->flag[i], err) < 0)
				return -1;
			break;
		default: /* a queue count */
			rc = qv_rpc_param_int(params, key, 1, QV_MAX_QUEUES, &v, err);
			if (rc < 0)
				return -1;
			if (rc == 1 && args[i].type != QV_PORT_ARG_TXQ)
				cfg->rxq = (uint16_t)v;
			if (rc == 1 && args[i].type != QV_PORT_ARG_RXQ)
				cfg->txq = (uint16_t)v;
			break;
		}
	}
	return 0;
}

static json_t *unknown_type(const char *type, struct qv_rpc_error *err)
{
	const char *names[QV_PORT_KIND_MAX];
	size_t n = 0;
	char list[256];

	for (int k = 0; k < QV_PORT_KIND_MAX; k++)
		if (qv_port_classes[k])
			names[n++] = qv_port_classes[k]->name;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
		         i == 0       ? ""
		         : i + 1 == n ? " or "
		                      : ", ",
		         names[i]);
	return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter 'type' must be %s, not \"%s\"",
	                   list, type);
}

static json_t *m_port_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	const char *keys[5 + QV_PORT_KIND_MAX * QV_PORT_MAX_ARGS + 1];
	struct qv_port_params pp = {.cfg = {.rxq = 1, .txq = 1}, .admin_up = true};
	const char *admin, *type;
	char msg[512];

	(void)ctx;
	port_add_keys(keys, sizeof(keys) / sizeof(keys[0]));
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	pp.cfg.name = qv_rpc_param_str(params, "name", true, err);
	if (!pp.cfg.name)
		return NULL;
	if (!qv_name_ok(pp.cfg.name))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "port name '%s' must be 1..%d characters of A-Z a-z 0-9 _ . -",
		                   pp.cfg.name, QV_PORT_NAME_MAX - 1);
	type = qv_rpc_param_str(params, "type", true, err);
	if (!type)
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
	if (get_mtu(params, &pp.cfg.mtu, err) < 0)
		return NULL;
	pp.cls = qv_port_class_find(type);
	if (!pp.cls)
		return unknown_type(type, err);
	if (check_foreign_keys(params, pp.cls, err) != 0 ||
	    get_class_args(params, pp.cls->args, pp.cls->n_args, &pp.cfg, err) != 0)
		return NULL;
	if (qv_switch_port_add(&pp, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	return json_pack("{s:s, s:i}", "name", pp.cfg.name, "index",
	                 qv_switch_port_by_name(pp.cfg.name)->index);
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

static json_t *m_port_queues(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", NULL};
	const char *name;
	struct qv_port *p;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)))
		return NULL;
	p = qv_switch_port_by_name(name);
	if (!p)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "no port named '%s' (see qvctl show ports)", name);
	return json_pack("{s:s, s:o}", "name", p->name, "queues", port_queues_json(p));
}

/* The keys port.set accepts: name, default, admin, and every class's own settings. */
static void port_set_keys(const char **keys, size_t max)
{
	size_t n = 0;

	keys[n++] = "name";
	keys[n++] = "default";
	keys[n++] = "admin";
	keys[n++] = "mtu";
	for (int k = 0; k < QV_PORT_KIND_MAX; k++) {
		const struct qv_port_class *c = qv_port_classes[k];

		for (uint8_t i = 0; c && i < c->n_set_args && n + 1 < max; i++) {
			bool seen = false;

			for (size_t j = 0; j < n; j++)
				seen = seen || strcmp(keys[j], c->set_args[i].key) == 0;
			if (!seen)
				keys[n++] = c->set_args[i].key;
		}
	}
	keys[n] = NULL;
}

static int edit_class(struct qv_port *p, const void *cfg, char *err, size_t errlen)
{
	return p->cls->set(p, cfg, err, errlen);
}

static json_t *m_port_set(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	const char *keys[4 + QV_PORT_KIND_MAX * QV_PORT_MAX_ARGS + 1];
	struct qv_port_config cfg = {.rxq = 0, .txq = 0}; /* 0: queue counts not given, kept */
	enum qv_port_default d = QV_PORT_DEFAULT_DROP;
	const char *name, *admin;
	struct qv_port *p;
	bool has_own = false;
	int has_d, has_mtu;
	uint16_t mtu = 0;
	char msg[512];

	(void)ctx;
	port_set_keys(keys, sizeof(keys) / sizeof(keys[0]));
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)))
		return NULL;
	p = qv_switch_port_by_name(name);
	if (!p)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "no port named '%s' (see qvctl show ports)", name);
	for (size_t k = 4; keys[k]; k++) {
		if (!json_object_get(params, keys[k]))
			continue;
		if (!class_takes(p->cls->set_args, p->cls->n_set_args, keys[k]))
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			                   "port %s is a %s port: it has no setting '%s'", name,
			                   p->cls->name, keys[k]);
		has_own = true;
	}
	has_d = get_default(params, &d, err);
	if (has_d < 0)
		return NULL;
	admin = qv_rpc_param_str(params, "admin", false, err);
	if (!admin && json_object_get(params, "admin"))
		return NULL;
	if (admin && strcmp(admin, "up") && strcmp(admin, "down"))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'admin' must be \"up\" or \"down\"");
	has_mtu = get_mtu(params, &mtu, err);
	if (has_mtu < 0)
		return NULL;
	if (!has_d && !admin && !has_own && !has_mtu)
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "nothing to set: give 'default' (drop|l2), 'admin' (up|down), "
		                   "'mtu' or the port's own settings");
	cfg.name = p->name;
	if (has_own && get_class_args(params, p->cls->set_args, p->cls->n_set_args, &cfg, err) != 0)
		return NULL;
	/* the live edits first: if the device refuses one, nothing else changes either */
	if (has_own && qv_switch_port_edit(p, edit_class, &cfg, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	if (has_mtu && qv_switch_port_set_mtu(p, mtu, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
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
QV_DP_LOCKED(m_port_add)
QV_DP_LOCKED(m_port_del)
QV_DP_LOCKED(m_port_set)
QV_DP_LOCKED(m_port_list)
QV_DP_LOCKED(m_port_queues)
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
    {"port.list", m_port_list_locked, "list ports with state and counters", QV_RPC_READ},
    {"port.queues", m_port_queues_locked,
     "a port's queue pairs: enabled by the guest or not, the device's counters per queue",
     QV_RPC_READ},
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
