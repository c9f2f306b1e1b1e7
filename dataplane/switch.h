/* qwikvirt: the switch object — ports, PMD threads, the published flow table — and the
 * slow-path operations the RPC handlers call. One instance per qv-switchd process. */
#ifndef QV_SWITCH_H
#define QV_SWITCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include <jansson.h>

#include "dataplane/pmd.h"
#include "qv/drop_reason.h"
#include "qv/port.h"
#include "qv/rule.h"

struct qv_flow_table;

#define QV_MAX_RULES_DEFAULT 200000 /* --max-rules */

/* A rule as the control side keeps it: port names, not indexes, so that a rule survives its
 * port being removed and re-added (it is inert while the port is missing). */
struct qv_flow_entry {
	struct qv_rule rule;
	char in_name[QV_PORT_NAME_MAX];                  /* "" when the rule has no in= */
	char out_name[QV_MAX_ACTIONS][QV_PORT_NAME_MAX]; /* for each OUTPUT or GROUP action */
	uint64_t hits;                                   /* hits of retired tables */
	uint64_t hits_base;                              /* subtracted on read: stats.clear */
	uint32_t epoch; /* qv_sw.port_epoch its port indexes were resolved at */
	bool active;    /* its in-port exists (else it is inert and left out of tables) */
	bool dead;      /* deleted: a tombstone until the array is compacted (see flows.c) */
};

struct qv_switch {
	/* Taken by the control thread (RPC) and telemetry readers; never by PMDs. */
	pthread_mutex_t lock;

	struct rte_rcu_qsbr *qsbr;
	uint16_t next_index; /* slots are reused last (a freed slot's index is not at once) */
	uint16_t n_ports;

	struct qv_pmd *pmds[QV_MAX_PMDS];
	uint16_t n_pmds;

	/* What a PMD loads every burst, on a line of their own (not the lock's, which the
	 * control thread takes on every request): the port table (pmd.h; it grows by doubling
	 * when every slot is taken) and the flow table. */
	_Atomic(struct qv_port_table *) ports __rte_cache_aligned;
	_Atomic(struct qv_flow_table *) table;
	struct qv_flow_entry *flows __rte_cache_aligned; /* by id; deleted: tombstones a while */
	uint32_t n_flows, cap_flows;                     /* n_flows counts the tombstones */
	uint32_t n_live;                                 /* rules in force */
	uint32_t next_flow_id;
	uint32_t table_gen;
	uint32_t port_epoch;  /* bumped by every port change: rules re-resolve their ports */
	uint32_t max_rules;   /* --max-rules */
	size_t max_acl_bytes; /* --max-acl-mb, in bytes (0 = no limit) */

	/* counter baselines for stats.clear: subtracted on read (ports': in their state) */
	uint64_t pmd_busy_base[QV_MAX_PMDS], pmd_idle_base[QV_MAX_PMDS];
	struct qv_lookup_counters lookup_base[QV_MAX_PMDS];

	unsigned l2_aging_s;

	/* port.add_batch (rpc_batch.c): while publish_deferred is set, a port added is stored
	 * but polled and given its rules only by qv_switch_ports_publish (publish_due), so a
	 * batch of ports costs one poll-list and one table publication, not one per port. */
	bool publish_deferred, publish_due;

	/* Debugging (--check-rxq-owner): PMDs mark the rx queues they poll (state.rxq_owner). */
	bool check_rxq_owner;
};

extern struct qv_switch qv_sw;

/* ---- slow path (control thread, qv_sw.lock held) ---- */
/* PMD i runs on EAL lcore i + 1, pinned to cpus[i]. */
int qv_switch_init(const unsigned *cpus, uint16_t n, char *err, size_t errlen);
int qv_switch_start_pmds(void);
/* Stops the PMDs, then the features (their stopped hooks), then closes the ports. */
void qv_switch_stop(void);
/* Called regularly by the control loop: the features' tick hooks (e.g. captures that reached
 * their count, duration or size limit are retired). */
void qv_switch_tick(void);

/* port.add: the class opens the port from cfg (cfg.name is the port's name; the switch fills
 * in cfg.pool), then the switch applies the generic settings. */
struct qv_port_params {
	const struct qv_port_class *cls;
	struct qv_port_config cfg;
	enum qv_port_default dflt;
	bool admin_up;
};
int qv_switch_port_add(const struct qv_port_params *pp, char *err, size_t errlen);
int qv_switch_port_del(const char *name, char *err, size_t errlen);
/* Ends a batch (qv_sw.publish_deferred): publishes the poll lists and the table once if a
 * port was added meanwhile. 0, or -1 with err when the table could not be rebuilt (the ports
 * work; rules naming them stay inert, as after a port.add whose publication failed). */
int qv_switch_ports_publish(char *err, size_t errlen);
struct qv_port *qv_switch_port_by_name(const char *name);
/* The name of the port in slot idx, or NULL. */
const char *qv_switch_port_name(uint16_t idx);
/* Slots of the port table now: every port index is below it (loop bound, slow path). */
uint32_t qv_switch_port_slots(void);
/* The port in slot idx (any value), or NULL; its state (counters), or NULL. Slow path. */
struct qv_port *qv_switch_port_at(uint32_t idx);
struct qv_port_state *qv_switch_port_state(uint32_t idx);
int qv_switch_port_set_admin(struct qv_port *p, bool up);
/* A live edit of port p (queues, MTU): fn(p, arg) runs while no PMD polls or sends to p
 * (traffic to it counts as port-down meanwhile); the other ports' traffic goes on. Returns
 * fn's result; fn changes nothing when it fails. */
typedef int qv_switch_port_edit_fn(struct qv_port *p, const void *arg, char *err, size_t errlen);
int qv_switch_port_edit(struct qv_port *p, qv_switch_port_edit_fn *fn, const void *arg, char *err,
                        size_t errlen);
/* port.set mtu: checked against the switch's and the device's limits (named in err). */
int qv_switch_port_set_mtu(struct qv_port *p, uint16_t mtu, char *err, size_t errlen);

/* ---- flows (flows.c) ----
 * Every change is a transaction: staged, checked as a whole, applied and published once. A
 * small one is published as a delta beside the big rte_acl part (under a millisecond at any
 * size); qv_switch_tick folds the delta into a new rte_acl part built in the background. */
struct qv_flow_txn;
/* Opens a transaction (replace: the table becomes exactly what it adds), or NULL with err
 * (another client's transaction is open and was used in the last 5 s). */
struct qv_flow_txn *qv_flow_txn_open(bool replace, char *err, size_t errlen);
/* The open transaction with this id, or NULL with err. */
struct qv_flow_txn *qv_flow_txn_get(uint32_t id, char *err, size_t errlen);
uint32_t qv_flow_txn_id(const struct qv_flow_txn *tx);
/* Stages one rule (its error names its index in the transaction: "add[3]: ..."). */
int qv_flow_txn_add(struct qv_flow_txn *tx, const char *text, char *err, size_t errlen);
void qv_flow_txn_del(struct qv_flow_txn *tx, uint32_t id);
void qv_flow_txn_counts(const struct qv_flow_txn *tx, uint32_t *n_add, uint32_t *n_del);
/* Checks the whole transaction and applies it, or changes nothing; either way tx is gone.
 * *first_id: the id of its first added rule (the others follow in order). */
struct qv_flow_txn_result {
	uint32_t added, deleted, first_id;
	bool incremental; /* published as a delta (else a full rte_acl build) */
	double start_s;   /* CLOCK_MONOTONIC at the commit */
	double apply_s;   /* commit to published (the old table freed), of which */
	double grace_s;   /* waiting for the PMDs' quiescent points */
};
int qv_flow_txn_commit(struct qv_flow_txn *tx, struct qv_flow_txn_result *res, char *err,
                       size_t errlen);
void qv_flow_txn_abort(struct qv_flow_txn *tx);

int qv_switch_flow_add(const char *text, uint32_t *id, char *err, size_t errlen);
int qv_switch_flow_del(uint32_t id, char *err, size_t errlen);
uint32_t qv_switch_flow_flush(void);
/* Rebuilds and publishes the flow table from qv_sw.flows after a port change (rules re-resolve
 * their port names); frees the old one after a grace period. */
int qv_switch_publish_table(char *err, size_t errlen);
/* After port `name` was added or removed: the rules naming it re-resolve through the delta
 * (no rte_acl build on this thread; the background build folds them in later), or, when they
 * are more than a delta takes, through a tuple space part. */
int qv_switch_flows_port_changed(const char *name, char *err, size_t errlen);
/* Memory, sizes and build times of both parts (flow.summary). */
json_t *qv_switch_flow_summary(void);
/* Control loop: folds a finished background build in, starts the next. */
void qv_switch_flows_tick(void);
/* Stops a background build (shutdown). */
void qv_switch_flows_stop(void);

/* Formats flow entry f (index in qv_sw.flows) with the port names it was written with; any
 * output may be NULL. */
void qv_switch_flow_format(uint32_t f, char *match, size_t mlen, char *acts, size_t alen,
                           char *text, size_t tlen);
/* Index in qv_sw.flows of the flow with this id, or -1. */
int qv_switch_flow_find(uint32_t id);

/* Rule hits: retired tables' hits plus the live table's per-PMD counters. */
uint64_t qv_switch_flow_hits(uint32_t flow_index);

#endif
