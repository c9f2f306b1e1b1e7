/* qwikvirt: the packet trace feature's JSON-RPC methods (trace.start/show) and its
 * registration with the switch. */
#include <string.h>

#include <jansson.h>

#include "control/rpc/rpc.h"
#include "dataplane/dp.h"
#include "dataplane/trace/trace.h"

static json_t *m_trace_start(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"port", "count", NULL};
	const struct qv_rpc_caller *caller = qv_rpc_current_caller();
	long long count = 10;
	const char *port;
	char msg[256];

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(port = qv_rpc_param_str(params, "port", true, err)) ||
	    qv_rpc_param_int(params, "count", 1, QV_TRACE_MAX, &count, err) < 0)
		return NULL;
	if (qv_trace_start(port, (uint32_t)count, qv_rpc_caller_uid(caller),
	                   qv_rpc_caller_is_admin(caller), msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err,
		                   strncmp(msg, "permission", 10) == 0 ? QV_RPC_PERMISSION_DENIED
		                                                       : QV_RPC_APP_ERROR,
		                   "%s", msg);
	return json_pack("{s:s, s:i}", "port", port, "count", (int)count);
}

static json_t *m_trace_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return qv_trace_show();
}

QV_DP_LOCKED(m_trace_start)
QV_DP_LOCKED(m_trace_show)

static const struct qv_rpc_method trace_methods[] = {
    /* A reader may, but not over another uid's trace that is still filling (trace.c). */
    {"trace.start", m_trace_start_locked, "trace what happens to the next N packets of a port",
     QV_RPC_READ},
    {"trace.show", m_trace_show_locked, "the packets traced so far, with what was done to them",
     QV_RPC_READ},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature trace_feature = {
    .name = "trace",
    .stopped = qv_trace_free,
    .methods = trace_methods,
};
QV_DP_FEATURE(trace_feature)
