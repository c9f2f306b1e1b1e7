/* qwikvirt: carrying a sync plan out on qv-switchd (ports in one batch, rules in one
 * transaction), and the reconcile that restores a restarted switch, going on past a port it
 * refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qv/limits.h"

#include "control/controld/sync_internal.h"
#include "control/rpc/rpc.h"
#include "lib/rule_syntax.h"

/* What a restore cost, for the line qv_reconcile logs (so that a slow one says where). */
struct sync_times {
	long long ports_ms, rules_ms;
	unsigned port_requests;
	size_t rules_waiting; /* left out: they name a port the switch refused */
	double grace_ms;      /* the switch's wait for its PMDs in flow.apply */
};

static int sync_apply_steps(const struct qv_controld *c, json_t *plan, json_t *failed,
                            struct sync_times *tm, char *err, size_t errlen);

int qv_sync_apply(const struct qv_controld *c, const struct qv_switch_plan *want, json_t *plan,
                  char *err, size_t errlen)
{
	int rc;

	(void)want;
	qv_sync_journal_write(c, plan);
	rc = sync_apply_steps(c, plan, NULL, NULL, err, errlen);
	/* Done: the journal stays until the next reconcile, which runs after the caller saved the
	 * desired state this apply belongs to and then takes nothing off. Cleared here, a kill -9
	 * between this return and that save left the apply's additions on the switch for good (a
	 * restarted daemon restored the old state around them: chaos.sh phase 2 "switch exactly
	 * as that state: no"). A failed apply was reported as such: its journal goes now. */
	if (rc != 0)
		qv_sync_journal_clear(c);
	return rc;
}

static bool failed_has(const json_t *failed, const char *name)
{
	return failed && qv_sync_find_by(failed, "name", name) != NULL;
}

/* A port the switch refused: noted in failed ({"name", "error"}) and 0, so the restore goes on
 * with the others; without failed (an apply), -1 with err: the first refusal ends it. */
static int port_refused(json_t *failed, const char *name, const char *msg, char *err, size_t errlen)
{
	if (!failed) {
		snprintf(err, errlen, "%s", msg);
		return -1;
	}
	if (!failed_has(failed, name))
		json_array_append_new(failed, json_pack("{s:s, s:s}", "name", name, "error", msg));
	return 0;
}

/* One call about port name: 0 done (or refused and noted, see port_refused), -1 with err. */
static int port_call(const struct qv_controld *c, const char *method, json_t *params,
                     const char *name, json_t *failed, char *err, size_t errlen)
{
	char msg[512];
	json_t *r;
	int code, rc = qv_sync_try(c, method, params, &r, &code, msg, sizeof(msg));

	json_decref(r);
	if (rc < 0)
		snprintf(err, errlen, "%s", msg);
	if (rc <= 0)
		return rc;
	return port_refused(failed, name, msg, err, errlen);
}

/* Adds ports (port.add parameter objects) with as few requests as it can: port.add_batch of
 * up to QV_LIMIT_PORT_BATCH ports and half a request's size each (one round trip, and one
 * publication on the switch, for a whole restore); one port.add per port on a switch that lacks the
 * batch. */
static int add_ports(const struct qv_controld *c, const json_t *ports, json_t *failed,
                     struct sync_times *tm, char *err, size_t errlen)
{
	size_t n = json_array_size(ports), i = 0, k;
	bool batch = true;
	json_t *v, *r;

	while (i < n) {
		json_t *chunk = json_array();
		size_t bytes = 0;
		int code, rc;
		char msg[512];

		for (; i < n && json_array_size(chunk) < QV_LIMIT_PORT_BATCH &&
		       bytes < QV_RPC_MAX_REQUEST / 2;
		     i++) {
			char *text = json_dumps(json_array_get(ports, i), JSON_COMPACT);

			bytes += text ? strlen(text) + 1 : QV_RPC_MAX_REQUEST;
			free(text);
			json_array_append(chunk, json_array_get(ports, i));
		}
		if (tm && batch)
			tm->port_requests++;
		rc = batch ? qv_sync_try(c, "port.add_batch", json_pack("{s:O}", "ports", chunk),
		                         &r, &code, msg, sizeof(msg))
		           : 1;
		if (rc == 1 && (!batch || code == QV_RPC_METHOD_NOT_FOUND)) {
			/* a switch from before port.add_batch: the same ports one by one */
			batch = false;
			json_array_foreach(chunk, k, v)
			{
				if (tm)
					tm->port_requests++;
				if (port_call(c, "port.add", json_incref(v),
				              qv_sync_str(json_object_get(v, "name")), failed, err,
				              errlen) != 0) {
					json_decref(chunk);
					return -1;
				}
			}
			json_decref(chunk);
			continue;
		}
		json_decref(chunk);
		if (rc != 0) { /* unreachable, or a batch the switch found malformed */
			snprintf(err, errlen, "%s", msg);
			return -1;
		}
		json_array_foreach(json_object_get(r, "failed"), k, v)
		{
			char why[600];

			snprintf(why, sizeof(why), "qv-switchd port.add: %s",
			         qv_sync_str(json_object_get(v, "error")));
			if (port_refused(failed, qv_sync_str(json_object_get(v, "name")), why, err,
			                 errlen) != 0) {
				json_decref(r);
				return -1;
			}
		}
		json_decref(r);
	}
	return 0;
}

/* Port lookup for qv_rule_parse that notes whether the rule names a port of ctx (failed). */
struct failed_lookup {
	const json_t *failed;
	bool hit;
};

static int lookup_failed(const char *name, void *ctx)
{
	struct failed_lookup *l = ctx;

	l->hit = l->hit || failed_has(l->failed, name);
	return 0;
}

/* The rules to add without those naming a port the switch refused (it would refuse the whole
 * transaction for them: rules may only name ports it has); a later reconcile adds them once
 * their port is back. A new reference. */
static json_t *rules_without_failed(const json_t *add, const json_t *failed, size_t *left_out)
{
	json_t *out = json_array(), *v;
	struct qv_rule rule;
	char perr[256];
	size_t i;

	*left_out = 0;
	json_array_foreach(add, i, v)
	{
		struct failed_lookup l = {failed, false};

		qv_rule_parse(qv_sync_str(v), lookup_failed, &l, &rule, perr, sizeof(perr));
		if (l.hit)
			++*left_out;
		else
			json_array_append(out, v);
	}
	return out;
}

/* The rules to add and delete as one flow.apply transaction: checked as a whole and published
 * once, so the switch never holds half of the plan's rules; staged over several requests
 * ("commit": false) when it is larger than one may be. */
static int apply_rules(const struct qv_controld *c, json_t *plan, const json_t *failed,
                       struct sync_times *tm, char *err, size_t errlen)
{
	size_t waiting = 0;
	json_t *add =
	           json_array_size(failed)
	               ? rules_without_failed(json_object_get(plan, "rules_add"), failed, &waiting)
	               : json_incref(json_object_get(plan, "rules_add")),
	       *dels = json_object_get(plan, "rules_del");
	size_t n_add = json_array_size(add), n_del = json_array_size(dels), a = 0, d = 0;
	json_int_t txn = 0;
	json_t *r;

	while (n_add + n_del > 0) { /* until the request that commits */
		json_t *params = json_object(), *chunk = json_array(), *ids = json_array();
		size_t bytes = 0;

		for (; a < n_add && bytes < QV_RPC_MAX_REQUEST / 2; a++) {
			bytes += strlen(qv_sync_str(json_array_get(add, a))) + 8;
			json_array_append(chunk, json_array_get(add, a));
		}
		for (; d < n_del && bytes < QV_RPC_MAX_REQUEST / 2; d++, bytes += 12)
			json_array_append(ids, json_object_get(json_array_get(dels, d), "id"));
		json_object_set_new(params, "add", chunk);
		json_object_set_new(params, "del", ids);
		json_object_set_new(params, "commit", json_boolean(a == n_add && d == n_del));
		if (txn)
			json_object_set_new(params, "txn", json_integer(txn));
		r = qv_sync_call(c, "flow.apply", params, err, errlen);
		if (!r) {
			json_decref(add);
			return -1;
		}
		txn = json_integer_value(json_object_get(r, "txn"));
		if (tm)
			tm->grace_ms += json_real_value(json_object_get(r, "grace_ms"));
		json_decref(r);
		if (a == n_add && d == n_del)
			break;
	}
	if (tm)
		tm->rules_waiting = waiting;
	json_decref(add);
	return 0;
}

long long qv_cd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long ms_since(long long t0)
{
	return qv_cd_mono_ms() - t0;
}

/* failed NULL: an apply, which ends at the first step the switch refuses. Otherwise a restore,
 * which goes on past a port the switch refuses (noted in failed): the other chains come back,
 * and the rules of the failing one wait, inert, for their port. */
static int sync_apply_steps(const struct qv_controld *c, json_t *plan, json_t *failed,
                            struct sync_times *tm, char *err, size_t errlen)
{
	const char *name;
	long long t0;
	size_t i;
	json_t *v;

	/* 1. ports whose definition changed: their chains change anyway */
	json_array_foreach(json_object_get(plan, "ports_replace"), i, v)
	{
		name = qv_sync_str(json_object_get(v, "name"));
		if (port_call(c, "port.del", json_pack("{s:s}", "name", name), name, failed, err,
		              errlen) != 0 ||
		    (!failed_has(failed, name) &&
		     port_call(c, "port.add", json_incref(v), name, failed, err, errlen) != 0))
			return -1;
	}
	/* 1b. live edits (MTU, default, queues) of ports otherwise the same: their traffic pauses,
	 * others' not */
	json_array_foreach(json_object_get(plan, "ports_set"), i,
	                   v) if (port_call(c, "port.set", json_incref(v),
	                                    qv_sync_str(json_object_get(v, "name")), failed, err,
	                                    errlen) != 0) return -1;
	/* 2. new ports: new paths exist before anything points away from old ones */
	t0 = qv_cd_mono_ms();
	if (add_ports(c, json_object_get(plan, "ports_add"), failed, tm, err, errlen) != 0)
		return -1;
	if (tm)
		tm->ports_ms = ms_since(t0);
	json_array_foreach(json_object_get(plan, "police"), i, v)
	{
		name = qv_sync_str(json_object_get(v, "name"));
		if (!failed_has(failed, name) &&
		    port_call(c, "port.police", json_incref(v), name, failed, err, errlen) != 0)
			return -1;
	}
	/* 3. new rules and 4. rules no longer wanted */
	t0 = qv_cd_mono_ms();
	if (apply_rules(c, plan, failed, tm, err, errlen) != 0)
		return -1;
	if (tm)
		tm->rules_ms = ms_since(t0);
	/* 5. ports no longer used */
	json_array_foreach(json_object_get(plan, "ports_del"), i,
	                   v) if (port_call(c, "port.del", json_pack("{s:O}", "name", v),
	                                    qv_sync_str(v), failed, err, errlen) != 0) return -1;
	return 0;
}

/* The ports a restore could not bring back, in c->last_error for `qvctl show controld`: each
 * with its chains and the switch's reason. Logged when that changes, not at every retry. */
static void report_failed(struct qv_controld *c, const json_t *failed, size_t n_wanted)
{
	char now[sizeof(c->last_error)], chains[256];
	size_t i;
	json_t *v;
	int at;

	snprintf(now, sizeof(now),
	         "%zu of %zu port(s) could not be restored (the other chains "
	         "are; retrying): ",
	         json_array_size(failed), n_wanted);
	json_array_foreach(failed, i, v)
	{
		const char *name = qv_sync_str(json_object_get(v, "name"));

		at = qv_switch_plan_port(c->desired.plan, name);
		if (at >= 0)
			qv_view_port_chains(c, &c->desired.plan->ports[at], chains, sizeof(chains));
		else
			snprintf(chains, sizeof(chains), "no chain");
		snprintf(now + strlen(now), sizeof(now) - strlen(now), "%sport %s (%s): %s",
		         i ? "; " : "", name, chains, qv_sync_str(json_object_get(v, "error")));
	}
	if (strcmp(now, c->last_error) != 0)
		fprintf(stderr, "qv-controld: reconcile: %s\n", now);
	snprintf(c->last_error, sizeof(c->last_error), "%s", now);
	c->ports_failing = json_array_size(failed);
	c->switch_ok = false;
}

static bool plan_changes(const json_t *plan)
{
	static const char *const steps[] = {"ports_add", "rules_add", "police", "ports_replace",
	                                    "ports_set"};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (json_array_size(json_object_get(plan, steps[i])))
			return true;
	return false;
}

void qv_reconcile(struct qv_controld *c)
{
	struct sync_times tm = {0};
	long long t0 = qv_cd_mono_ms(), t_plan;
	json_t *plan, *failed;
	size_t n_ports, n_rules;
	char err[512];
	bool quiet;

	if (qv_sync_undo_interrupted(c, err, sizeof(err)) != 0) {
		if (c->switch_ok)
			fprintf(stderr, "qv-controld: %s (will retry)\n", err);
		c->switch_ok = false;
		snprintf(c->last_error, sizeof(c->last_error), "%s", err);
		return;
	}
	if (!c->desired.plan)
		return;
	plan = qv_sync_plan(c, c->desired.plan, c->desired.plan, err, sizeof(err));
	if (!plan) {
		if (c->switch_ok)
			fprintf(stderr, "qv-controld: %s (will retry)\n", err);
		c->switch_ok = false;
		c->ports_failing = 0;
		snprintf(c->last_error, sizeof(c->last_error), "%s", err);
		return;
	}
	t_plan = ms_since(t0);
	n_ports = json_array_size(json_object_get(plan, "ports_add"));
	n_rules = json_array_size(json_object_get(plan, "rules_add"));
	failed = json_array();
	if (plan_changes(plan)) {
		/* a retry of the same ports that failed before, and nothing else: said already */
		quiet = c->ports_failing && n_ports == c->ports_failing;
		if (!quiet) {
			printf("qv-controld: switch differs from the desired state: %zu port(s), "
			       "%zu rule(s) to restore\n",
			       n_ports, n_rules);
			fflush(stdout);
		}
		/* no apply journal: everything a restore adds is in the desired state already,
		 * so there is nothing a crash in the middle could leave behind (and no fsync) */
		if (sync_apply_steps(c, plan, failed, &tm, err, sizeof(err)) != 0) {
			fprintf(stderr, "qv-controld: reconcile: %s\n", err);
			snprintf(c->last_error, sizeof(c->last_error), "%s", err);
			c->switch_ok = false;
			c->ports_failing = 0;
			json_decref(failed), json_decref(plan);
			return;
		}
		if (!quiet || json_array_size(failed) != c->ports_failing) {
			printf("qv-controld: restored in %lld ms: plan %lld ms (port.list, "
			       "flow.list), "
			       "%zu port(s) %lld ms in %u request(s), %zu rule(s) %lld ms "
			       "(flow.apply, "
			       "of which the switch's grace period %.1f ms); %zu port(s) refused, "
			       "%zu rule(s) waiting for them\n",
			       ms_since(t0), t_plan, n_ports - json_array_size(failed), tm.ports_ms,
			       tm.port_requests, n_rules - tm.rules_waiting, tm.rules_ms,
			       tm.grace_ms, json_array_size(failed), tm.rules_waiting);
			fflush(stdout);
		}
	}
	if (json_array_size(failed)) {
		report_failed(c, failed, c->desired.plan->n_ports);
	} else {
		if (c->ports_failing)
			printf("qv-controld: every port is restored now\n");
		c->switch_ok = true;
		c->ports_failing = 0;
		c->last_error[0] = 0;
	}
	json_decref(failed);
	json_decref(plan);
	qv_vms_report(c, qv_vms_sync(c, false));
}
