/* qwikvirt: qv-switchd's JSON-RPC methods (control/rpc/METHODS.md is their reference).
 * Every handler validates all of its params before changing anything. */
#ifndef QV_RPC_HANDLERS_H
#define QV_RPC_HANDLERS_H

#include <jansson.h>

#include "control/rpc/rpc.h"

/* The core methods plus every registered feature's (dp.h), ending with {NULL}. */
extern const struct qv_rpc_method *qv_switch_methods;

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

/* port.add, port.del, port.set, port.list, port.queues (rpc_ports.c), ending with {NULL}. */
extern const struct qv_rpc_method qv_port_methods[];

/* Views shared with the telemetry endpoints. Callers hold qv_sw.lock. */
json_t *qv_view_ports(void);
json_t *qv_view_pmds(void);
json_t *qv_view_flows(void);
/* The rules in force offset.. in id order, at most limit of them (flow.list's pages). */
json_t *qv_view_flows_page(uint32_t offset, uint32_t limit);
/* The largest page flow.list gives (a rule is at most ~3.5 kB of JSON: a page stays under 16 MiB).
 */
#define QV_FLOW_LIST_MAX 4000
json_t *qv_view_drops(void);

#endif
