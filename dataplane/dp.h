/* qwikvirt: what a dataplane feature (capture/, trace/, later qos/, lb/) may use of the switch
 * — port lookup, the grace period, the one publish function — and the hooks it registers. */
#ifndef QV_DP_H
#define QV_DP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_config.h>

#include "control/rpc/rpc.h"
#include "qv/port.h"

/* ---- the control -> PMD protocol (slow path, qv_sw.lock held) ----
 *
 * Everything a PMD reads that the control thread changes is reached through one pointer:
 * the control thread builds the new object, stores the pointer (seq_cst exchange, so the
 * object's contents are visible to a PMD that loads the pointer with acquire), waits until
 * every PMD has passed a quiescent point (rte_rcu_qsbr: end of its loop iteration), and only
 * then frees the old object, which no PMD can hold any more. The fields, who writes them and
 * how the old value goes away are tabled in dataplane/pmd.h. */

/* Frees (or retires) an object no PMD can reach any more; ctx is the publisher's. */
typedef void qv_dp_free_fn(void *old, void *ctx);

/* Publishes next[i] into *slots[i] for every i, then waits for ONE grace period, then calls
 * free_old(old value, ctx) on every non-NULL old value (free_old may be NULL: the caller only
 * wanted the grace period, e.g. before closing a device it unpublished). */
#define QV_DP_PUBLISH_MAX (RTE_MAX_LCORE + 1) /* slots per call: one per PMD and then some */
void qv_dp_publish_n(unsigned n, void *_Atomic *const *slots, void *const *next,
                     qv_dp_free_fn *free_old, void *ctx);

/* A slot of any pointer type, as qv_dp_publish_n takes it. */
#define QV_DP_SLOT(p) ((void *_Atomic *)(p))

/* The same for one pointer: QV_DP_PUBLISH(&port->capture, set, free_fn, NULL). */
#define QV_DP_PUBLISH(slot, next, free_old, ctx)                                                   \
	do {                                                                                       \
		void *_Atomic *qv_slot_ = QV_DP_SLOT(slot);                                        \
		void *qv_next_ = (next);                                                           \
		qv_dp_publish_n(1, &qv_slot_, &qv_next_, (free_old), (ctx));                       \
	} while (0)

/* The free function for objects from malloc. */
qv_dp_free_fn qv_dp_free;

/* Waits until every PMD has passed a quiescent point. */
void qv_dp_quiesce(void);

/* ---- ports (slow path) ---- */
struct qv_port *qv_dp_port_by_name(const char *name);
/* The port in slot idx (any value), or NULL. */
struct qv_port *qv_dp_port_at(uint16_t idx);
/* Its name, or NULL. */
const char *qv_dp_port_name(uint16_t idx);

/* The rule with this id as the operator wrote it ("rule 3: in=a,tcp actions=output:b"), or
 * "rule 3 (deleted since)". */
const char *qv_dp_rule_text(uint32_t id, char *buf, size_t len);

/* qv_sw.lock: every RPC method and telemetry reader holds it for the whole call. */
void qv_dp_lock(void);
void qv_dp_unlock(void);

/* Defines fn_locked: fn (a qv_rpc_handler_fn) called with qv_sw.lock held. */
#define QV_DP_LOCKED(fn)                                                                           \
	static json_t *fn##_locked(json_t *params, struct qv_rpc_error *err, void *ctx)            \
	{                                                                                          \
		json_t *r;                                                                         \
		qv_dp_lock();                                                                      \
		r = fn(params, err, ctx);                                                          \
		qv_dp_unlock();                                                                    \
		return r;                                                                          \
	}

/* ---- features ---- */

/* What a feature hands the switch. Every hook is optional and runs on the control thread
 * with qv_sw.lock held. */
struct qv_dp_feature {
	const char *name;
	/* Port `index` is about to be removed: let go of it (it is still published). */
	void (*port_removing)(uint16_t index);
	/* The PMDs have stopped: release everything (files end complete). */
	void (*stopped)(void);
	/* Called regularly by the control loop. */
	void (*tick)(void);
	/* Adds the feature's fields to port.list's object of port `index`. */
	void (*port_json)(uint16_t index, json_t *port);
	/* JSON-RPC methods, ending with {NULL}; each takes qv_sw.lock (QV_DP_LOCKED). */
	const struct qv_rpc_method *methods;
	struct qv_dp_feature *next; /* the switch's list, sorted by name */
};

void qv_dp_feature_register(struct qv_dp_feature *f);
/* Registers feature f before main (the method table is assembled from the features at a
 * later constructor priority, see rpc_handlers.c). */
#define QV_DP_FEATURE(f)                                                                           \
	static void __attribute__((constructor(QV_DP_FEATURE_PRIO))) f##_register(void)            \
	{                                                                                          \
		qv_dp_feature_register(&f);                                                        \
	}
#define QV_DP_FEATURE_PRIO 200

/* The registered features, in name order. */
struct qv_dp_feature *qv_dp_features(void);

#endif
