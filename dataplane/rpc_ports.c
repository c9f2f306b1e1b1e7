/* qwikvirt: qv-switchd's port methods: port.add and port.set take the generic settings here and
 * each kind's own through its class (port_classes.c); port.del, port.list, port.queues. Split out
 * of rpc_handlers.c, which keeps the flow, stats, PMD and L2 methods and assembles the table. */
#include <stdio.h>
#include <string.h>

#include <rte_ether.h>

#include "dataplane/confine.h"
#include "dataplane/dp.h"
#include "dataplane/port_classes.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"
#include "lib/name.h"

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

/* ---- port.add / port.set: generic settings here, the kind's own through its class ---- */

static bool class_takes(const struct qv_port_arg *args, uint8_t n, const char *key)
{
	for (uint8_t i = 0; i < n; i++)
		if (strcmp(args[i].key, key) == 0)
			return true;
	return false;
}

/* Appends to keys[0..n) the keys of args[0..na) not there yet, while fewer than lim are in;
 * returns the new count. */
static size_t add_keys(const char **keys, size_t n, size_t lim, const struct qv_port_arg *args,
                       uint8_t na)
{
	for (uint8_t i = 0; i < na && n < lim; i++) {
		bool seen = false;

		for (size_t j = 0; j < n; j++)
			seen = seen || strcmp(keys[j], args[i].key) == 0;
		if (!seen)
			keys[n++] = args[i].key;
	}
	return n;
}

/* The keys port.add accepts: the generic ones around every class's own, each once. */
static void port_add_keys(const char **keys, size_t max)
{
	size_t n = 0;

	keys[n++] = "name";
	keys[n++] = "type";
	for (int k = 0; k < QV_PORT_KIND_MAX; k++)
		if (qv_port_classes[k])
			n = add_keys(keys, n, max - 3, qv_port_classes[k]->args,
			             qv_port_classes[k]->n_args);
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
			cfg->flag[i] = args[i].on_by_default;
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
	char msg[512], paths[1024]; /* the port's paths, resolved in their directories */

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
	    get_class_args(params, pp.cls->args, pp.cls->n_args, &pp.cfg, err) != 0 ||
	    qv_port_paths_check(pp.cls, &pp.cfg, paths, sizeof(paths), err) != 0)
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
	for (int k = 0; k < QV_PORT_KIND_MAX; k++)
		if (qv_port_classes[k])
			n = add_keys(keys, n, max - 1, qv_port_classes[k]->set_args,
			             qv_port_classes[k]->n_set_args);
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

VIEW_METHOD(m_port_list, "ports", qv_view_ports)

QV_DP_LOCKED(m_port_add)
QV_DP_LOCKED(m_port_del)
QV_DP_LOCKED(m_port_set)
QV_DP_LOCKED(m_port_list)
QV_DP_LOCKED(m_port_queues)

const struct qv_rpc_method qv_port_methods[] = {
    {"port.add", m_port_add_locked, "add a vhost-user or DPDK port"},
    {"port.del", m_port_del_locked, "remove a port (its rules stay, inert, until it is back)"},
    {"port.set", m_port_set_locked, "set a port's default (drop|l2) or admin state (up|down)"},
    {"port.list", m_port_list_locked, "list ports with state and counters", QV_RPC_READ},
    {"port.queues", m_port_queues_locked,
     "a port's queue pairs: enabled by the guest or not, the device's counters per queue",
     QV_RPC_READ},
    {NULL, NULL, NULL},
};
