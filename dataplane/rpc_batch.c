/* qwikvirt: port.add_batch — many port.add requests in one, published once: how qv-controld
 * restores a restarted switch's ports in one round trip and one grace period, not one per port. */
#include <stdio.h>
#include <string.h>

#include <rte_log.h>

#include "dataplane/dp.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"
#include "qv/limits.h"

#define BATCH_MAX_PORTS QV_LIMIT_PORT_BATCH

/* port.add as the method table has it (rpc_ports.c: it takes qv_sw.lock itself), so every port
 * of a batch is checked and opened exactly as a port.add of its own would be. */
static qv_rpc_handler_fn port_add_method(void)
{
	for (const struct qv_rpc_method *m = qv_port_methods; m->name; m++)
		if (strcmp(m->name, "port.add") == 0)
			return m->fn;
	return NULL;
}

static const char *item_name(json_t *item)
{
	const char *name = json_string_value(json_object_get(item, "name"));

	return name ? name : "?";
}

/* {"ports": [PORT.ADD PARAMS, ...]}: each port is added independently, in order, as port.add
 * would add it (a port that fails changes nothing, and the others are still added); the
 * ports added are published together at the end. Result {"added": [{"name", "index"}],
 * "failed": [{"name", "index_in_batch", "code", "error"}]}. Only a malformed batch (not an
 * array of 1..QV_LIMIT_PORT_BATCH objects) is a JSON-RPC error, and then nothing is added. */
static json_t *m_port_add_batch(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"ports", NULL};
	qv_rpc_handler_fn add = port_add_method();
	json_t *ports = json_object_get(params, "ports"), *added, *failed, *item;
	char msg[512];
	size_t i;

	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	if (!json_is_array(ports) || json_array_size(ports) == 0 ||
	    json_array_size(ports) > BATCH_MAX_PORTS)
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'ports' must be an array of 1..%d port.add parameter "
		                   "objects; nothing was added",
		                   BATCH_MAX_PORTS);
	json_array_foreach(ports, i, item) if (!json_is_object(item)) return qv_rpc_fail(
	    err, QV_RPC_INVALID_PARAMS,
	    "ports[%zu] must be an object of port.add parameters; nothing was added", i);
	if (!add)
		return qv_rpc_fail(err, QV_RPC_INTERNAL_ERROR,
		                   "port.add is not in the method table");
	added = json_array();
	failed = json_array();
	/* port.add takes and drops qv_sw.lock for each port. The deferral flag is only read by
	 * port.add on this (the control) thread, which handles one request at a time; the other
	 * holders of the lock (telemetry) only read. */
	qv_dp_lock();
	qv_sw.publish_deferred = true;
	qv_dp_unlock();
	json_array_foreach(ports, i, item)
	{
		struct qv_rpc_error e = {0};
		json_t *r = add(item, &e, ctx);

		if (r)
			json_array_append_new(added, r);
		else
			json_array_append_new(failed, json_pack("{s:s, s:I, s:i, s:s}", "name",
			                                        item_name(item), "index_in_batch",
			                                        (json_int_t)i, "code", e.code,
			                                        "error", e.message));
	}
	qv_dp_lock();
	if (qv_switch_ports_publish(msg, sizeof(msg)) != 0)
		RTE_LOG(WARNING, USER1, "qv-switchd: port.add_batch: %s\n", msg);
	qv_dp_unlock();
	return json_pack("{s:o, s:o}", "added", added, "failed", failed);
}

static const struct qv_rpc_method batch_methods[] = {
    {"port.add_batch", m_port_add_batch,
     "add many ports at once, each as port.add would, published together"},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature batch_feature = {
    .name = "batch",
    .methods = batch_methods,
};

QV_DP_FEATURE(batch_feature)
