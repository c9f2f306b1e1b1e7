/* qwikvirt: telemetry endpoints (see telemetry.h). They run on DPDK's telemetry thread and take
 * qv_sw.lock, like the RPC methods, then reuse the RPC views converted to rte_tel_data. */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_telemetry.h>

#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"

/* A telemetry name of s: letters, digits and '_' (DPDK refuses other characters). */
static void tel_name(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s);
	for (char *c = dst; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			*c = '_';
}

/* rte_tel_data nests one level: a dict of flat dicts. Nested objects are flattened with a
 * prefix ("drops_no_match"), reals rounded, booleans as 0/1. */
static void add_flat(struct rte_tel_data *d, const char *prefix, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		char name[RTE_TEL_MAX_STRING_LEN];

		char full[2 * RTE_TEL_MAX_STRING_LEN];

		snprintf(full, sizeof(full), "%s%s%s", prefix, prefix[0] ? "_" : "", key);
		tel_name(name, sizeof(name), full);
		if (json_is_integer(v))
			rte_tel_data_add_dict_u64(d, name, (uint64_t)json_integer_value(v));
		else if (json_is_real(v))
			rte_tel_data_add_dict_u64(d, name, (uint64_t)(json_real_value(v) + 0.5));
		else if (json_is_boolean(v))
			rte_tel_data_add_dict_int(d, name, json_is_true(v));
		else if (json_is_string(v))
			rte_tel_data_add_dict_string(d, name, json_string_value(v));
		else if (json_is_object(v))
			add_flat(d, name, v);
	}
}

/* An array of objects becomes a dict keyed by each object's `key_field`. */
static int emit_array(json_t *arr, const char *key_field, struct rte_tel_data *d)
{
	size_t i;
	json_t *o;

	rte_tel_data_start_dict(d);
	json_array_foreach(arr, i, o)
	{
		struct rte_tel_data *c = rte_tel_data_alloc();
		json_t *k = json_object_get(o, key_field);
		char key[64];

		if (!c)
			break;
		char raw[64];

		if (json_is_string(k))
			snprintf(raw, sizeof(raw), "%s", json_string_value(k));
		else
			snprintf(raw, sizeof(raw), "%s%lld", key_field,
			         (long long)json_integer_value(k));
		tel_name(key, sizeof(key), raw);
		rte_tel_data_start_dict(c);
		json_object_del(o, "rxqs"); /* too deep for telemetry; qvctl show pmd has them */
		/* a NIC's xstats would crowd the port's other fields out of a 256-entry dict:
		 * /qv/xstats has them */
		json_object_del(o, "xstats");
		add_flat(c, "", o);
		rte_tel_data_add_dict_container(d, key, c, 0);
	}
	json_decref(arr);
	return 0;
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v;

	(void)cmd, (void)params;
	pthread_mutex_lock(&qv_sw.lock);
	v = qv_view_ports();
	pthread_mutex_unlock(&qv_sw.lock);
	return emit_array(v, "name", d);
}

/* /qv/ports answers at most 16 kB (DPDK's telemetry buffer): a few dozen ports. At host
 * scale, /qv/port_list[,OFFSET] pages the names (TEL_NAMES_PAGE a call, "next_offset" -1 after
 * the last) and /qv/port,NAME gives one port as /qv/ports does. */
#define TEL_NAMES_PAGE 256

static int tel_port_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *names = rte_tel_data_alloc();
	unsigned long off = params && *params ? strtoul(params, NULL, 10) : 0;
	uint32_t total = 0, n = 0;

	(void)cmd;
	if (!names)
		return -1;
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&qv_sw.lock);
	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		const struct qv_port *p = qv_switch_port_at(i);

		if (!p)
			continue;
		if (total++ >= off && n < TEL_NAMES_PAGE) {
			rte_tel_data_add_array_string(names, p->name);
			n++;
		}
	}
	pthread_mutex_unlock(&qv_sw.lock);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", total);
	rte_tel_data_add_dict_u64(d, "offset", off);
	rte_tel_data_add_dict_int(d, "next_offset", off + n < total ? (int)(off + n) : -1);
	rte_tel_data_add_dict_container(d, "names", names, 0);
	return 0;
}

static int tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *all, *one = json_array(), *o;
	size_t i;

	(void)cmd;
	pthread_mutex_lock(&qv_sw.lock);
	all = qv_view_ports();
	pthread_mutex_unlock(&qv_sw.lock);
	json_array_foreach(all, i, o)
	{
		if (params && strcmp(json_string_value(json_object_get(o, "name")), params) == 0)
			json_array_append(one, o);
	}
	json_decref(all);
	if (json_array_size(one) == 0) {
		json_decref(one);
		return -1; /* no such port: telemetry answers null */
	}
	return emit_array(one, "name", d);
}

static int tel_pmds(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v;

	(void)cmd, (void)params;
	pthread_mutex_lock(&qv_sw.lock);
	v = qv_view_pmds();
	pthread_mutex_unlock(&qv_sw.lock);
	return emit_array(v, "core", d);
}

static int tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v;

	(void)cmd, (void)params;
	pthread_mutex_lock(&qv_sw.lock);
	v = qv_view_flows();
	pthread_mutex_unlock(&qv_sw.lock);
	return emit_array(v, "id", d);
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v;

	(void)cmd, (void)params;
	pthread_mutex_lock(&qv_sw.lock);
	v = qv_view_drops();
	pthread_mutex_unlock(&qv_sw.lock);
	rte_tel_data_start_dict(d);
	add_flat(d, "", v);
	json_decref(v);
	return 0;
}

/* One port's extended counters into d (a dict already started): the device's own names,
 * as port.list's "xstats", made telemetry names. */
static void add_xstats(struct rte_tel_data *d, struct qv_port *p)
{
	static struct qv_port_xstat xs[RTE_TEL_MAX_DICT_ENTRIES]; /* under qv_sw.lock */
	unsigned n = p->ops->xstats(p, xs, RTE_TEL_MAX_DICT_ENTRIES);

	for (unsigned i = 0; i < n; i++) {
		char name[RTE_TEL_MAX_STRING_LEN];

		tel_name(name, sizeof(name), xs[i].name);
		rte_tel_data_add_dict_u64(d, name, xs[i].value);
	}
}

/* /qv/xstats: every port whose device keeps extended counters (ethdev-backed ports), by
 * port name; /qv/xstats,NAME: that port's alone (an error for a port without them). */
static int tel_xstats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = 0;

	(void)cmd;
	pthread_mutex_lock(&qv_sw.lock);
	rte_tel_data_start_dict(d);
	if (params && params[0]) {
		struct qv_port *p = qv_switch_port_by_name(params);

		if (p && p->ops->xstats)
			add_xstats(d, p);
		else
			rc = -EINVAL;
	}
	for (uint32_t i = 0; !(params && params[0]) && i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);
		struct rte_tel_data *c;
		char name[RTE_TEL_MAX_STRING_LEN];

		if (!p || !p->ops->xstats || !(c = rte_tel_data_alloc()))
			continue;
		rte_tel_data_start_dict(c);
		add_xstats(c, p);
		tel_name(name, sizeof(name), p->name);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	pthread_mutex_unlock(&qv_sw.lock);
	return rc;
}

static int tel_flow_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *v;

	(void)cmd, (void)params;
	pthread_mutex_lock(&qv_sw.lock);
	v = qv_switch_flow_summary();
	pthread_mutex_unlock(&qv_sw.lock);
	rte_tel_data_start_dict(d);
	add_flat(d, "", v);
	json_decref(v);
	return 0;
}

int qv_telemetry_register(void)
{
	int rc = 0;

	rc |= rte_telemetry_register_cmd("/qv/ports", tel_ports,
	                                 "qwikvirt ports: state and counters, by port name");
	rc |= rte_telemetry_register_cmd("/qv/port_list", tel_port_list,
	                                 "qwikvirt port names: total, a page of names from "
	                                 "OFFSET (parameter), next_offset (-1: the last page)");
	rc |= rte_telemetry_register_cmd("/qv/port", tel_port,
	                                 "qwikvirt port NAME (parameter): state and counters");
	rc |= rte_telemetry_register_cmd("/qv/pmds", tel_pmds,
	                                 "qwikvirt PMDs: busy/idle cycles, cycles per packet");
	rc |= rte_telemetry_register_cmd("/qv/flows", tel_flows,
	                                 "qwikvirt flow rules with hit counters, by id");
	rc |= rte_telemetry_register_cmd("/qv/flow_summary", tel_flow_summary,
	                                 "qwikvirt flow table: rte_acl part and delta, memory, "
	                                 "build times");
	rc |= rte_telemetry_register_cmd("/qv/xstats", tel_xstats,
	                                 "qwikvirt ports' device counters (non-zero xstats), by "
	                                 "port name. Parameters: a port name for one port");
	rc |= rte_telemetry_register_cmd("/qv/drops", tel_drops,
	                                 "qwikvirt drops by reason, all ports");
	return rc;
}
