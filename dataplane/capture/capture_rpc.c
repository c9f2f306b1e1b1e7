/* qwikvirt: the capture feature's JSON-RPC methods (capture.start/stop/list) and its
 * registration with the switch (hooks: port removal, shutdown, the control loop's tick). */
#include <string.h>

#include <jansson.h>

#include "control/rpc/rpc.h"
#include "dataplane/capture/capture.h"
#include "dataplane/dp.h"

static json_t *m_capture_list(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return json_pack("{s:o}", "captures", qv_capture_list());
}

/* The capture's line of capture.list (its resolved file, its owner), or {}. */
static json_t *capture_summary(uint32_t id)
{
	json_t *list = qv_capture_list(), *v, *found = NULL;
	size_t i;

	json_array_foreach(list, i, v) if (json_integer_value(json_object_get(v, "id")) == id)
	    found = v;
	found = found ? json_incref(found) : json_object();
	json_decref(list);
	return found;
}

static json_t *m_capture_start(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"port",    "file",  "dir",      "filter",
	                                   "snaplen", "count", "duration", "max_size",
	                                   "rotate",  "force", NULL};
	struct qv_capture_params cp = {.dir = QV_CAPTURE_RX | QV_CAPTURE_TX, .snaplen = 65535};
	const char *dir;
	long long v;
	json_t *d;
	char msg[512];
	int id;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(cp.port = qv_rpc_param_str(params, "port", true, err)) ||
	    !(cp.file = qv_rpc_param_str(params, "file", true, err)))
		return NULL;
	cp.filter = qv_rpc_param_str(params, "filter", false, err);
	if (!cp.filter && json_object_get(params, "filter"))
		return NULL;
	dir = qv_rpc_param_str(params, "dir", false, err);
	if (!dir && json_object_get(params, "dir"))
		return NULL;
	if (dir) {
		if (strcmp(dir, "rx") == 0)
			cp.dir = QV_CAPTURE_RX;
		else if (strcmp(dir, "tx") == 0)
			cp.dir = QV_CAPTURE_TX;
		else if (strcmp(dir, "both") != 0)
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			                   "parameter 'dir' must be \"rx\", \"tx\" or \"both\"");
	}
	if (qv_rpc_param_int(params, "snaplen", 64, 65535, &v, err) < 0)
		return NULL;
	if (json_object_get(params, "snaplen"))
		cp.snaplen = (uint32_t)v;
	if (qv_rpc_param_int(params, "count", 1, 1LL << 40, &v, err) < 0)
		return NULL;
	if (json_object_get(params, "count"))
		cp.count = (uint64_t)v;
	if (qv_rpc_param_int(params, "max_size", 4096, 1LL << 40, &v, err) < 0)
		return NULL;
	if (json_object_get(params, "max_size"))
		cp.max_size = (uint64_t)v;
	d = json_object_get(params, "duration");
	if (d && (!json_is_number(d) || json_number_value(d) <= 0 || json_number_value(d) > 1e6))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "parameter 'duration' must be a number of seconds > 0");
	cp.duration_s = d ? json_number_value(d) : 0;
	if (qv_rpc_param_bool(params, "rotate", &cp.rotate, err) < 0 ||
	    qv_rpc_param_bool(params, "force", &cp.force, err) < 0)
		return NULL;
	if (cp.rotate && !cp.max_size)
		return qv_rpc_fail(
		    err, QV_RPC_INVALID_PARAMS,
		    "'rotate' needs 'max_size' (the size at which to start a new file)");
	id = qv_capture_start(&cp, qv_rpc_caller_uid(qv_rpc_current_caller()), msg, sizeof(msg));
	if (id < 0)
		return qv_rpc_fail(err, id == -2 ? QV_RPC_INVALID_PARAMS : QV_RPC_APP_ERROR, "%s",
		                   msg);
	return capture_summary((uint32_t)id);
}

static json_t *m_capture_stop(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"id", NULL};
	const struct qv_rpc_caller *caller = qv_rpc_current_caller();
	long long id;
	char msg[512];

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	if (qv_rpc_param_int(params, "id", 1, UINT32_MAX, &id, err) <= 0)
		return err->code
		           ? NULL
		           : qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter 'id'");
	if (qv_capture_stop((uint32_t)id, qv_rpc_caller_uid(caller), qv_rpc_caller_is_admin(caller),
	                    msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err,
		                   strncmp(msg, "permission", 10) == 0 ? QV_RPC_PERMISSION_DENIED
		                                                       : QV_RPC_APP_ERROR,
		                   "%s", msg);
	return capture_summary((uint32_t)id);
}

QV_DP_LOCKED(m_capture_start)
QV_DP_LOCKED(m_capture_stop)
QV_DP_LOCKED(m_capture_list)

static const struct qv_rpc_method capture_methods[] = {
    /* A reader may: the file is confined to the capture directory (capture.c). */
    {"capture.start", m_capture_start_locked,
     "capture a port's packets to a pcapng file in the capture directory", QV_RPC_READ},
    /* A reader may stop only its own captures (capture.c checks the owner). */
    {"capture.stop", m_capture_stop_locked,
     "stop a capture (a group member: only its own); its file is complete", QV_RPC_READ},
    {"capture.list", m_capture_list_locked, "running and finished captures with counters",
     QV_RPC_READ},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature capture_feature = {
    .name = "capture",
    .port_removing = qv_capture_stop_port,
    .stopped = qv_capture_stop_all,
    .tick = qv_capture_reap,
    .methods = capture_methods,
};
QV_DP_FEATURE(capture_feature)
