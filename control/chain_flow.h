/* qwikvirt: a chain as directed paths through the switch ("flows": forward, and reverse when
 * bidirectional), the checks that two flows never take each other's packets, and their
 * priority levels. Shared by the validator (errors) and the compiler (rules). */
#ifndef QV_CHAIN_FLOW_H
#define QV_CHAIN_FLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "control/model.h"

/* A switch port a flow uses; VNF interfaces name their owner for messages. */
struct qv_flow_port {
	char name[QV_PORT_NAME_MAX];
	const char *vnf, *iface; /* NULL for a port of `ports:` */
};

/* Packets arriving on any of in[] (matching the flow's match) go to out[]: one port, or the
 * members of a group in instance order (a flow and its reply then pick the same index). */
struct qv_flow_stage {
	struct qv_flow_port in[QV_MAX_ACTIONS], out[QV_MAX_ACTIONS];
	size_t n_in, n_out;
};

struct qv_flow {
	const struct qv_model_chain *chain;
	bool reverse;
	struct qv_match match;        /* mirrored for the reverse direction */
	struct qv_flow_stage *stages; /* n_hops + 1: ingress, then after each hop */
	size_t n_stages;
	unsigned level; /* priority level: more specific nested flows get higher levels */
};

struct qv_flows {
	struct qv_flow *v;
	size_t n;
};

/* True when the chain's references all resolve and its match is valid (the validator reports
 * why when they do not); only such chains become flows. */
bool qv_chain_complete(const struct qv_model *m, const struct qv_model_chain *c);

/* Flows of every complete chain, in file order, forward before reverse. Returns 0, or -1 when
 * out of memory. */
int qv_flows_build(const struct qv_model *m, struct qv_flows *out);
void qv_flows_free(struct qv_flows *f);

/* Appends an error for every pair of flows that share a port on which they could not be told
 * apart; returns how many. */
size_t qv_flows_check(const struct qv_model *m, const struct qv_flows *f, struct qv_diags *d);

/* Sets each flow's level: 1 + the highest level of the flows it is strictly inside of and
 * shares a port with (0 for none). Deterministic: depends on the model only. */
void qv_flows_level(struct qv_flows *f);

#endif
