/* qwikvirt: qv-controld's JSON-RPC methods: apply (or only plan) a service definition, show
 * the chains hop by hop, show the daemon's state. */
#include <stdio.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/rpc/rpc.h"
#include "control/placement/placement.h"

extern struct qv_controld qv_cd;

/* With VMs on, a model the host cannot place is refused before anything changes. */
static bool placeable(const struct qv_desired *next, char msg[512])
{
	struct qv_placement *pl;
	char e[400];

	if (!qv_cd.vm.enabled)
		return true;
	pl = qv_cd_place(&qv_cd, next->model, e, sizeof(e));
	if (!pl) {
		snprintf(msg, 512, "the VNFs of %s do not fit this host: %s", next->name, e);
		return false;
	}
	qv_placement_free(pl);
	return true;
}

/* With VMs on, every boot file of the file must be under the images directory: one error per
 * path, at its position (FILE:LINE:COL), before anything changes. NULL when all are. */
static json_t *images_errors(const struct qv_model *m)
{
	struct qv_diags d;
	json_t *errors = NULL;
	char real[4096], why[8400];

	if (!qv_cd.vm.enabled)
		return NULL;
	qv_diags_init(&d);
	for (size_t i = 0; i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];
		const struct {
			const char *key, *path;
			struct qv_mark at;
		} files[] = {{"image", v->image, v->image_mark},
		             {"kernel", v->kernel, v->kernel_mark},
		             {"initrd", v->initrd, v->initrd_mark}};

		for (size_t k = 0; k < 3; k++)
			if (files[k].path && qv_cd_image_path(&qv_cd, files[k].path, real,
			                                      sizeof(real), why, sizeof(why)) != 0)
				qv_diag_add(&d, m->file, files[k].at.line ? files[k].at : v->mark,
				            "VNF '%s' %s '%s': %s", v->name, files[k].key,
				            files[k].path, why);
	}
	if (d.n) {
		errors = json_array();
		for (size_t i = 0; i < d.n; i++)
			json_array_append_new(errors, json_string(d.v[i].text));
	}
	qv_diags_free(&d);
	return errors;
}

/* Switch settings of the file that qv-controld does not own: qv-switchd's socket and PMD cores
 * are its command line's. A file that says otherwise is applied, with a warning that says
 * what differs and what to do. */
static json_t *switch_warnings(const struct qv_model *m)
{
	json_t *w = json_array(), *r = NULL, *v;
	char have[256] = "", want[256] = "", e[256];
	size_t i, hl = 0, wl = 0;
	int code;

	if (m->sw.control_socket && strcmp(m->sw.control_socket, qv_cd.switch_sock) != 0)
		json_array_append_new(
		    w, json_sprintf("switch.control-socket is %s, but qv-controld drives the "
		                    "qv-switchd at %s (its --switch): the file's value is not used",
		                    m->sw.control_socket, qv_cd.switch_sock));
	if (!m->sw.n_pmd_cores || qv_rpc_call(qv_cd.switch_sock, "pmd.show", NULL,
	                                      qv_cd.rpc_timeout_ms, &r, &code, e, sizeof(e)) != 0)
		return w;
	json_array_foreach(json_object_get(r, "pmds"), i, v)
	{
		if (json_is_integer(json_object_get(v, "core")) && hl < sizeof(have) - 8)
			hl +=
			    (size_t)snprintf(have + hl, sizeof(have) - hl, "%s%lld", hl ? "," : "",
			                     json_integer_value(json_object_get(v, "core")));
	}
	for (i = 0; i < m->sw.n_pmd_cores && wl < sizeof(want) - 8; i++)
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s%u", wl ? "," : "",
		                       m->sw.pmd_cores[i]);
	if (strcmp(have, want) != 0)
		json_array_append_new(
		    w, json_sprintf("switch.pmd-cores is [%s], but qv-switchd polls on CPU(s) %s: "
		                    "restart it with --pmd-cores %s (VMs are placed off the file's "
		                    "cores)",
		                    want, have[0] ? have : "none", want));
	json_decref(r);
	return w;
}

/* Validation errors come back as a result {"ok": false, "errors": [...]} rather than a
 * JSON-RPC error: a file can have hundreds, each a line of its own. */
static json_t *m_apply(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "yaml", "check", NULL};
	const char *name, *yaml;
	json_t *errors = NULL, *plan, *vms, *res, *vfs;
	struct qv_desired next;
	bool check = false;
	char msg[512];

	(void)ctx;
	/* check must be a boolean: {"check": "true"} once applied the file it was to only plan */
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)) ||
	    !(yaml = qv_rpc_param_str(params, "yaml", true, err)) ||
	    qv_rpc_param_bool(params, "check", &check, err) < 0)
		return NULL;
	if (qv_desired_build(name, yaml, json_string_length(json_object_get(params, "yaml")), &next,
	                     &errors, msg, sizeof(msg)) != 0)
		return json_pack("{s:b, s:s, s:o}", "ok", 0, "message", msg, "errors",
		                 errors ? errors : json_array());
	if ((errors = images_errors(next.model))) {
		snprintf(msg, sizeof(msg),
		         "%s: %zu boot file(s) outside the images directory; "
		         "nothing was applied",
		         name, json_array_size(errors));
		qv_desired_free(&next);
		return json_pack("{s:b, s:s, s:o}", "ok", 0, "message", msg, "errors", errors);
	}
	/* check: VFs only looked up (no sysfs write, no netlink), what would change listed */
	vfs = json_array();
	if (qv_vf_resolve(&qv_cd, next.plan, check, vfs, msg, sizeof(msg)) != 0 ||
	    !placeable(&next, msg)) {
		qv_desired_free(&next);
		json_decref(vfs);
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s; nothing was applied", msg);
	}
	plan = qv_sync_plan(&qv_cd, qv_cd.desired.plan, next.plan, msg, sizeof(msg));
	if (!plan) {
		qv_desired_free(&next);
		json_decref(vfs);
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
	}
	json_object_set_new(plan, "vfs", vfs);
	if (qv_cd.vm.enabled) {
		vms = qv_vms_plan(&qv_cd, next.model);
		json_object_update(plan, vms);
		json_decref(vms);
	}
	json_object_set_new(plan, "warnings", switch_warnings(next.model));
	if (check) {
		qv_desired_free(&next);
		return json_pack("{s:b, s:b, s:o}", "ok", 1, "applied", 0, "plan", plan);
	}
	if (qv_sync_apply(&qv_cd, next.plan, plan, msg, sizeof(msg)) != 0) {
		qv_desired_free(&next);
		json_decref(plan);
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "%s (the switch may be partly changed; fix and apply again)",
		                   msg);
	}
	qv_desired_free(&qv_cd.desired);
	qv_cd.desired = next;
	if (qv_desired_save(&qv_cd, msg, sizeof(msg)) != 0)
		fprintf(stderr, "qv-controld: warning: applied but not persisted: %s\n", msg);
	/* the VNF ports exist now: their VMs can start (and old ones go) */
	vms = qv_vms_sync(&qv_cd, true);
	res = json_pack("{s:b, s:b, s:o, s:O?}", "ok", 1, "applied", 1, "plan", plan, "vms", vms);
	qv_vms_report(&qv_cd, vms);
	return res;
}

static json_t *m_chains_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	char msg[512];
	json_t *v;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	v = qv_view_chains(&qv_cd, msg, sizeof(msg));
	return v ? v : qv_rpc_fail(err, QV_RPC_APP_ERROR, "%s", msg);
}

static json_t *m_state_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	const struct qv_switch_plan *p = qv_cd.desired.plan;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return json_pack("{s:s?, s:s, s:s, s:b, s:s, s:i, s:i, s:b, s:s, s:s, s:s}", "file",
	                 qv_cd.desired.name, "state_dir", qv_cd.state_dir, "switch",
	                 qv_cd.switch_sock, "switch_ok", qv_cd.switch_ok, "last_error",
	                 qv_cd.last_error, "ports", p ? (int)p->n_ports : 0, "rules",
	                 p ? (int)p->n_rules : 0, "vms", qv_cd.vm.enabled, "libvirt", qv_cd.vm.uri,
	                 "vm_error", qv_cd.vm_error, "state_error", qv_cd.state_error);
}

const struct qv_rpc_method qv_controld_methods[] = {
    {"apply", m_apply, "validate a service definition and apply it (or, check: only plan)"},
    {"chains.show", m_chains_show, "each chain hop by hop with packet counters", QV_RPC_READ},
    {"state.show", m_state_show, "the desired state and whether the switch matches it",
     QV_RPC_READ},
    {NULL, NULL, NULL},
};
