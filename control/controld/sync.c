/* qwikvirt: bringing qv-switchd to the desired plan — the difference computed against what the
 * switch has now, applied in an order that loses no packet on chains it does not touch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "control/controld/sync_internal.h"
#include "control/rpc/rpc.h"

const char *qv_sync_str(const json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

/* 0 with *result, 1 when the switch refused (its message in err, its code in *code), -1 when it
 * could not be reached. */
int qv_sync_try(const struct qv_controld *c, const char *method, json_t *params, json_t **result,
                int *code, char *err, size_t errlen)
{
	char msg[512];
	int rc;

	*result = NULL;
	*code = 0;
	rc = qv_rpc_call(c->switch_sock, method, params, c->rpc_timeout_ms, result, code, msg,
	                 sizeof(msg));
	if (rc != 0)
		snprintf(err, errlen, "qv-switchd %s: %.440s", method, msg);
	return rc;
}

json_t *qv_sync_call(const struct qv_controld *c, const char *method, json_t *params, char *err,
                     size_t errlen)
{
	json_t *result;
	int code;

	return qv_sync_try(c, method, params, &result, &code, err, errlen) == 0 ? result : NULL;
}

static json_t *port_params(const struct qv_switch_port *p)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s}", "name", p->name, "type", p->vhost ? "vhost" : "dpdk",
	              "default", p->dflt == QV_DEFAULT_L2 ? "l2" : "drop");

	if (p->vhost) {
		json_object_set_new(o, "path", json_string(p->path));
		json_object_set_new(o, "client", json_boolean(p->client));
		json_object_set_new(o, "queues", json_integer(p->queues ? p->queues : 1));
		if (p->vring_stats_off)
			json_object_set_new(o, "vring_stats", json_false());
	} else {
		json_object_set_new(o, "devargs", json_string(p->devargs ? p->devargs : ""));
		json_object_set_new(o, "rxq", json_integer(p->queues ? p->queues : 1));
		json_object_set_new(o, "txq", json_integer(p->queues ? p->queues : 1));
	}
	if (p->mtu)
		json_object_set_new(o, "mtu", json_integer(p->mtu));
	return o;
}

/* Does the switch's port (from port.list) already match what the plan wants? */
static bool port_same(const json_t *have, const struct qv_switch_port *p)
{
	const char *type = json_string_value(json_object_get(have, "type"));

	if (!type || strcmp(type, p->vhost ? "vhost" : "dpdk") != 0)
		return false;
	if (p->vhost)
		return p->path &&
		       strcmp(qv_sync_str(json_object_get(have, "path")), p->path) == 0 &&
		       json_is_true(json_object_get(have, "client")) == p->client &&
		       !qv_port_needs_readd(have, p);
	return p->devargs && strcmp(qv_sync_str(json_object_get(have, "devargs")), p->devargs) == 0;
}

/* port.police parameters for one direction of port name: the policer, or off. */
static json_t *police_params(const char *name, int dir, const struct qv_police *pl)
{
	static const char *const dirs[] = {"ingress", "egress"};
	json_t *o = json_pack("{s:s, s:s}", "name", name, "dir", dirs[dir]);

	if (pl->rate == 0) {
		json_object_set_new(o, "off", json_true());
		return o;
	}
	json_object_set_new(o, "rate", json_integer((json_int_t)pl->rate));
	json_object_set_new(o, "unit",
	                    json_string(pl->unit == QV_POLICE_PACKETS ? "packet" : "bit"));
	json_object_set_new(o, "mode",
	                    json_string(pl->mode == QV_POLICE_TRTCM ? "trtcm" : "srtcm"));
	if (pl->burst)
		json_object_set_new(o, "burst", json_integer((json_int_t)pl->burst));
	if (pl->peak_rate)
		json_object_set_new(o, "peak_rate", json_integer((json_int_t)pl->peak_rate));
	if (pl->peak_burst)
		json_object_set_new(o, "peak_burst", json_integer((json_int_t)pl->peak_burst));
	return o;
}

/* Does the switch's policer (port.list's police.DIR, NULL for none) match what is wanted?
 * A burst left to the switch's default matches whatever it chose. */
static bool police_same(const json_t *have, const struct qv_police *want)
{
	const char *unit = qv_sync_str(json_object_get(have, "unit"));
	const char *mode = qv_sync_str(json_object_get(have, "mode"));

	if (!have || want->rate == 0)
		return !have && want->rate == 0;
	return json_integer_value(json_object_get(have, "rate")) == (json_int_t)want->rate &&
	       strcmp(unit, want->unit == QV_POLICE_PACKETS ? "packet" : "bit") == 0 &&
	       strcmp(mode, want->mode == QV_POLICE_TRTCM ? "trtcm" : "srtcm") == 0 &&
	       (!want->burst ||
	        json_integer_value(json_object_get(have, "burst")) == (json_int_t)want->burst) &&
	       json_integer_value(json_object_get(have, "peak_rate")) ==
	           (json_int_t)want->peak_rate &&
	       (!want->peak_burst || json_integer_value(json_object_get(have, "peak_burst")) ==
	                                 (json_int_t)want->peak_burst);
}

const json_t *qv_sync_find_by(const json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i,
	                   v) if (strcmp(qv_sync_str(json_object_get(v, key)), val) == 0) return v;
	return NULL;
}

static bool plan_has_rule(const struct qv_switch_plan *p, const char *text)
{
	for (size_t i = 0; p && i < p->n_rules; i++)
		if (strcmp(p->rules[i].text, text) == 0)
			return true;
	return false;
}

json_t *qv_sync_plan(const struct qv_controld *c, const struct qv_switch_plan *old,
                     const struct qv_switch_plan *want, char *err, size_t errlen)
{
	json_t *ports, *flows, *out;
	json_t *padd = json_array(), *pdel = json_array(), *prep = json_array();
	json_t *pset = json_array();
	json_t *radd = json_array(), *rdel = json_array(), *police = json_array();
	const json_t *have_ports, *have_flows, *f;
	json_t *edit;
	size_t i;

	ports = qv_sync_call(c, "port.list", NULL, err, errlen);
	flows = ports ? qv_sync_call(c, "flow.list", NULL, err, errlen) : NULL;
	if (!ports || !flows) {
		json_decref(ports);
		json_decref(padd), json_decref(pdel), json_decref(prep), json_decref(radd),
		    json_decref(rdel), json_decref(police), json_decref(pset);
		return NULL;
	}
	have_ports = json_object_get(ports, "ports");
	have_flows = json_object_get(flows, "flows");
	for (i = 0; want && i < want->n_ports; i++) {
		const struct qv_switch_port *p = &want->ports[i];
		const json_t *have = qv_sync_find_by(have_ports, "name", p->name);

		if (!have)
			json_array_append_new(padd, port_params(p));
		else if (!port_same(have, p))
			json_array_append_new(prep, port_params(p));
		else if ((edit = qv_port_edits(have, p)))
			json_array_append_new(pset, edit); /* mtu, default, queues: live */
		if (have && !port_same(have, p))
			have = NULL; /* re-added: no policer */
		for (int d = 0; d < QV_POLICE_NDIR; d++) {
			static const char *const dirs[] = {"ingress", "egress"};
			const json_t *hp =
			    json_object_get(json_object_get(have, "police"), dirs[d]);

			if (!police_same(hp, &p->police[d]))
				json_array_append_new(police,
				                      police_params(p->name, d, &p->police[d]));
		}
	}
	for (i = 0; old && i < old->n_ports; i++)
		if ((!want || qv_switch_plan_port(want, old->ports[i].name) < 0) &&
		    qv_sync_find_by(have_ports, "name", old->ports[i].name))
			json_array_append_new(pdel, json_string(old->ports[i].name));
	for (i = 0; want && i < want->n_rules; i++)
		if (!qv_sync_find_by(have_flows, "text", want->rules[i].text))
			json_array_append_new(radd, json_string(want->rules[i].text));
	/* only rules we put there: the operator's own rules stay */
	json_array_foreach(have_flows, i, f)
	{
		const char *text = json_string_value(json_object_get(f, "text"));

		if (text && plan_has_rule(old, text) && !plan_has_rule(want, text))
			json_array_append_new(
			    rdel,
			    json_pack("{s:O, s:s}", "id", json_object_get(f, "id"), "text", text));
	}
	out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "ports_add", padd, "ports_replace",
	                prep, "ports_set", pset, "police", police, "rules_add", radd, "rules_del",
	                rdel, "ports_del", pdel);
	json_decref(ports);
	json_decref(flows);
	return out;
}

/* The apply journal: before an apply changes the switch, what it is about to add is written
 * down; the record is removed when the apply fails, or by the next reconcile once the apply's
 * desired state is saved. One found by a reconcile is an apply qv-controld may not have lived to
 * finish (kill -9 half-way, or before the desired state was saved): the additions its desired
 * state does not want are taken off the switch again (none, after an apply that was saved), so
 * the switch converges to that state instead of keeping half of an apply nobody was told
 * succeeded. */
#define APPLY_JOURNAL "applying.json"

static void journal_path(const struct qv_controld *c, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", c->state_dir, APPLY_JOURNAL);
}

void qv_sync_journal_write(const struct qv_controld *c, json_t *plan)
{
	json_t *ports = json_array(), *rules = json_array(), *j, *v;
	char err[512], *text;
	size_t i;

	json_array_foreach(json_object_get(plan, "ports_add"), i, v)
	    json_array_append(ports, json_object_get(v, "name"));
	json_array_foreach(json_object_get(plan, "rules_add"), i, v) json_array_append(rules, v);
	j = json_pack("{s:o, s:o}", "ports", ports, "rules", rules);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!text ||
	    qv_state_write(c->state_dir, APPLY_JOURNAL, text, strlen(text), err, sizeof(err)) != 0)
		fprintf(stderr,
		        "qv-controld: warning: apply journal not written (%s): a crash during "
		        "this apply may leave part of it on the switch\n",
		        text ? err : "out of memory");
	free(text);
	json_decref(j);
}

void qv_sync_journal_clear(const struct qv_controld *c)
{
	char path[4096];

	journal_path(c, path, sizeof(path));
	unlink(path);
}

/* 0: no journal, or its unwanted additions are gone from the switch (journal removed);
 * -1 with err: the switch could not be asked or changed (journal kept, tried again later). */
int qv_sync_undo_interrupted(struct qv_controld *c, char *err, size_t errlen)
{
	const struct qv_switch_plan *want = c->desired.plan;
	json_t *j, *flows, *ports, *v, *f, *r;
	char path[4096], *text;
	size_t len, i, k;
	int undone = 0;

	journal_path(c, path, sizeof(path));
	text = qv_state_read(path, &len);
	if (!text)
		return 0;
	j = json_loadb(text, len, 0, NULL);
	free(text);
	flows = j ? qv_sync_call(c, "flow.list", NULL, err, errlen) : NULL;
	ports = flows ? qv_sync_call(c, "port.list", NULL, err, errlen) : NULL;
	if (j && !ports) {
		json_decref(j), json_decref(flows);
		return -1;
	}
	json_array_foreach(json_object_get(flows, "flows"), i, f)
	{
		const char *t = qv_sync_str(json_object_get(f, "text"));

		json_array_foreach(json_object_get(j, "rules"), k, v)
		{
			if (strcmp(qv_sync_str(v), t) != 0 || plan_has_rule(want, t))
				continue;
			r = qv_sync_call(c, "flow.del",
			                 json_pack("{s:O}", "id", json_object_get(f, "id")), err,
			                 errlen);
			if (!r)
				goto fail;
			json_decref(r);
			undone++;
			break;
		}
	}
	json_array_foreach(json_object_get(j, "ports"), k, v)
	{
		if ((want && qv_switch_plan_port(want, qv_sync_str(v)) >= 0) ||
		    !qv_sync_find_by(json_object_get(ports, "ports"), "name", qv_sync_str(v)))
			continue;
		r = qv_sync_call(c, "port.del", json_pack("{s:O}", "name", v), err, errlen);
		if (!r)
			goto fail;
		json_decref(r);
		undone++;
	}
	if (undone) {
		printf(
		    "qv-controld: an apply was cut short (qv-controld died during it): %d of its "
		    "additions taken off the switch again\n",
		    undone);
		fflush(stdout);
	}
	json_decref(j), json_decref(flows), json_decref(ports);
	qv_sync_journal_clear(c);
	return 0;
fail:
	json_decref(j), json_decref(flows), json_decref(ports);
	return -1;
}

void qv_vms_report(struct qv_controld *c, json_t *res)
{
	static const char *const what[] = {"started", "removed"};
	json_t *v, *errs = json_object_get(res, "errors");
	size_t i;
	char now[512] = "";

	if (!res)
		return;
	for (size_t k = 0; k < 2; k++)
		json_array_foreach(json_object_get(res, what[k]), i, v)
		    printf("qv-controld: VM %s %s\n", json_string_value(v), what[k]);
	json_array_foreach(errs, i, v) snprintf(now + strlen(now), sizeof(now) - strlen(now),
	                                        "%s%s", i ? "; " : "", json_string_value(v));
	if (now[0] && strcmp(now, c->vm_error) != 0)
		fprintf(stderr, "qv-controld: VMs: %s (will retry)\n", now);
	snprintf(c->vm_error, sizeof(c->vm_error), "%s", now);
	fflush(stdout);
	json_decref(res);
}
