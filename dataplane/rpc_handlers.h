/* qwikvirt: qv-switchd's JSON-RPC methods (control/rpc/METHODS.md is their reference).
 * Every handler validates all of its params before changing anything. */
#ifndef QV_RPC_HANDLERS_H
#define QV_RPC_HANDLERS_H

#include <jansson.h>

#include "control/rpc/rpc.h"

/* The core methods plus every registered feature's (dp.h), ending with {NULL}. */
extern const struct qv_rpc_method *qv_switch_methods;

/* Views shared with the telemetry endpoints. Callers hold qv_sw.lock. */
json_t *qv_view_ports(void);
json_t *qv_view_pmds(void);
json_t *qv_view_flows(void);
json_t *qv_view_drops(void);

#endif
