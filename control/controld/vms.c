/* qwikvirt: qv-controld's VMs through libvirt: every wanted VM runs (a running domain of its
 * name is adopted, never duplicated), managed VMs that are no longer wanted are removed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "control/vm/vm_lifecycle.h"

struct qv_vm_conn *qv_cd_lv(struct qv_controld *c, char *err, size_t errlen)
{
	struct qv_vm_err e;

	/* closed by keepalive (a hung libvirtd) or by libvirtd going away: a new one */
	if (c->lv && !qv_vm_alive(c->lv)) {
		qv_vm_disconnect(c->lv);
		c->lv = NULL;
	}
	if (!c->lv && !(c->lv = qv_vm_connect(c->vm.uri, &e)))
		snprintf(err, errlen, "%s", e.msg);
	return c->lv;
}

bool qv_cd_hold(struct qv_controld *c, const char *name, bool on, char *err, size_t errlen)
{
	struct qv_vm_err e;

	/* cleared in libvirt first: a mark left behind would hold the VM again (qv_cd_held) */
	if (!on && c->lv && !qv_vm_hold_set(c->lv, name, false, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		return false;
	}
	qv_vmstate_set(c, "held", name, on);
	if (on && c->lv && !qv_vm_hold_set(c->lv, name, true, &e))
		fprintf(stderr, "qv-controld: warning: %s (vms.json has the hold)\n", e.msg);
	return true;
}

bool qv_cd_held(struct qv_controld *c, const char *name)
{
	return qv_vmstate_has(c, "held", name) || (c->lv && qv_vm_hold_get(c->lv, name));
}

/* want_one's held VM: both copies of the hold made whole again. After vms.json was set aside
 * the mark is the only one (and the VM is not "managed" either: it would never be removed);
 * a hold recorded before the mark existed gets one. */
static void hold_repair(struct qv_controld *c, const char *name)
{
	struct qv_vm_err e;
	bool in_file = qv_vmstate_has(c, "held", name);

	qv_vmstate_set(c, "managed", name, true);
	if (!in_file)
		qv_vmstate_set(c, "held", name, true);
	else if (!qv_vm_hold_get(c->lv, name) && !qv_vm_hold_set(c->lv, name, true, &e))
		fprintf(stderr, "qv-controld: warning: %s (vms.json has the hold)\n", e.msg);
}

/* libvirt dropped us (libvirtd restarted): connect again next time. */
static void lv_check(struct qv_controld *c)
{
	char **names = NULL;
	struct qv_vm_err e;
	int n = qv_vm_list(c->lv, "\x01", &names, &e);

	qv_vm_names_free(names, n);
	if (n < 0) {
		qv_vm_disconnect(c->lv);
		c->lv = NULL;
	}
}

static json_t *sw_call(struct qv_controld *c, const char *method, json_t *params, char *err,
                       size_t errlen)
{
	json_t *r = NULL;
	int code;

	if (qv_rpc_call(c->switch_sock, method, params, c->rpc_timeout_ms, &r, &code, err,
	                errlen) != 0)
		return NULL;
	return r;
}

int qv_cd_ports_ensure(struct qv_controld *c, const struct qv_cd_vm *v, char *err, size_t errlen)
{
	json_t *have = sw_call(c, "port.list", NULL, err, errlen), *r;
	size_t i;
	json_t *p;

	if (!have)
		return -1;
	for (unsigned k = 0; k < v->spec.n_ifaces; k++) {
		bool found = false;

		json_array_foreach(json_object_get(have, "ports"), i, p) found |=
		    strcmp(json_string_value(json_object_get(p, "name")), v->ports[k]) == 0;
		if (found)
			continue;
		r = sw_call(c, "port.add",
		            json_pack("{s:s, s:s, s:s, s:b}", "name", v->ports[k], "type", "vhost",
		                      "path", v->spec.ifaces[k].socket, "client", v->client),
		            err, errlen);
		if (!r) {
			json_decref(have);
			return -1;
		}
		json_decref(r);
	}
	json_decref(have);
	return 0;
}

int qv_vm_remove(struct qv_controld *c, const char *name, const char *const *ports, size_t n,
                 char *err, size_t errlen)
{
	struct qv_vm_conn *lv = qv_cd_lv(c, err, errlen);
	struct qv_vm_err e;
	char path[4096], **snaps = NULL;
	int n_snaps = 0;
	bool forced;

	if (!lv)
		return -1;
	/* its snapshot files exactly as libvirt lists them, read before undefine forgets them */
	if (!qv_vm_stop(lv, name, c->vm.stop_timeout_ms, &forced, &e) ||
	    (n_snaps = qv_vm_snapshot_files(lv, name, &snaps, &e)) < 0 ||
	    !qv_vm_undefine(lv, name, &e)) {
		qv_vm_names_free(snaps, n_snaps);
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	qv_cd_vm_paths(c, name, "qcow2", path, sizeof(path));
	unlink(path);
	qv_cd_vm_paths(c, name, "serial", path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/snapshots", c->state_dir);
	qv_vm_snapshot_files_remove(snaps, n_snaps, path, name);
	qv_vm_names_free(snaps, n_snaps);
	for (size_t i = 0; i < n; i++)
		json_decref(sw_call(c, "port.del", json_pack("{s:s}", "name", ports[i]), path,
		                    sizeof(path)));
	qv_vmstate_set(c, "held", name, false);
	qv_vmstate_set(c, "managed", name, false);
	return 0;
}

json_t *qv_cd_clone_entry(struct qv_controld *c, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(qv_vmstate(c), "clones"), i, v)
	{
		const char *n = qv_clone_name(v);

		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

void qv_cd_clone_forget(struct qv_controld *c, const char *name)
{
	json_t *arr = json_object_get(qv_vmstate(c), "clones"), *v;
	size_t i;
	char err[256];

	json_array_foreach(arr, i, v)
	{
		const char *n = qv_clone_name(v);

		if (!n || strcmp(n, name) != 0)
			continue;
		json_array_remove(arr, i);
		if (qv_vmstate_save(c, err, sizeof(err)) != 0)
			fprintf(stderr, "qv-controld: warning: %s\n", err);
		return;
	}
}

/* Managed VMs no longer wanted: instances of VNFs (or instance counts) that left the file.
 * Clones are not removed here (only vm.delete removes them), and nothing is while vms.json
 * has a clone entry without a name: that clone could be any of them. */
static void remove_unwanted(struct qv_controld *c, const struct qv_cd_vm *want, int n, json_t *res)
{
	json_t *managed = json_deep_copy(json_object_get(qv_vmstate(c), "managed")), *v;
	bool blind = false;
	size_t i;
	char err[512];

	json_array_foreach(json_object_get(qv_vmstate(c), "clones"), i, v) blind |=
	    !qv_clone_name(v);
	json_array_foreach(managed, i, v)
	{
		const char *name = json_string_value(v);

		if (!name || qv_cd_vm_find(want, n, name) || qv_cd_clone_entry(c, name))
			continue;
		if (blind) {
			json_array_append_new(
			    json_object_get(res, "errors"),
			    json_sprintf(
			        "VM %s is no longer wanted but is not removed: %s/vms.json "
			        "has a clone entry without a name (see qvctl show controld)",
			        name, c->state_dir));
			continue;
		}
		/* an instance's ports went with the switch plan */
		if (qv_vm_remove(c, name, NULL, 0, err, sizeof(err)) != 0) {
			json_array_append_new(json_object_get(res, "errors"), json_string(err));
			continue;
		}
		json_array_append_new(json_object_get(res, "removed"), json_string(name));
	}
	json_decref(managed);
}

static int ensure(struct qv_controld *c, const struct qv_cd_vm *v, bool *adopted, char *err,
                  size_t errlen)
{
	struct qv_vm_err e;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/vms", c->state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "VM %s: cannot create %.256s: %s", v->spec.name, dir,
		         strerror(errno));
		return -1;
	}
	if (v->instance < 0 && qv_cd_ports_ensure(c, v, err, errlen) != 0)
		return -1;
	if (v->spec.disk[0] && access(v->spec.disk, F_OK) != 0 &&
	    !qv_vm_overlay_create(v->spec.disk_base, v->spec.disk, &e)) {
		snprintf(err, errlen, "VM %s: %.400s", v->spec.name, e.msg);
		return -1;
	}
	/* recorded first: a VM half-started before a crash is still ours to remove */
	qv_vmstate_set(c, "managed", v->spec.name, true);
	if (!qv_vm_ensure(c->lv, &v->spec, adopted, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* A running VM whose size the file changed keeps running as it is (restarting a VNF is the
 * operator's call): say what differs and how to apply it. vm start/restart redefine it from
 * the file. */
static void outdated(struct qv_controld *c, const struct qv_cd_vm *v, json_t *res)
{
	struct qv_vm_info in;
	struct qv_vm_err e;

	if (!qv_vm_info_get(c->lv, v->spec.name, &in, &e) ||
	    (in.vcpus == v->spec.vcpus && in.memory_mib == v->spec.memory_mib))
		return;
	json_array_append_new(json_object_get(res, "outdated"),
	                      json_sprintf("VM %s runs with %u vCPU(s) and %u MiB, the file says "
	                                   "%u and %u MiB: qvctl vm restart %s applies it",
	                                   v->spec.name, in.vcpus, in.memory_mib, v->spec.vcpus,
	                                   v->spec.memory_mib, v->spec.name));
}

/* Starts (defines) the wanted VM that is not running, unless the operator stopped it. */
static void want_one(struct qv_controld *c, const struct qv_cd_vm *v, bool apply, json_t *res)
{
	enum qv_vm_state st;
	struct qv_vm_err e;
	bool adopted;
	char err[512];

	if (!qv_vm_get_state(c->lv, v->spec.name, &st, &e)) {
		json_array_append_new(json_object_get(res, "errors"), json_string(e.msg));
		return;
	}
	if (st == QV_VM_RUNNING || st == QV_VM_PAUSED) {
		qv_vmstate_set(c, "managed", v->spec.name, true);
		json_array_append_new(json_object_get(res, "running"), json_string(v->spec.name));
		if (apply)
			outdated(c, v, res);
		return;
	}
	if (qv_cd_held(c, v->spec.name)) {
		if (st != QV_VM_ABSENT)
			hold_repair(c, v->spec.name);
		json_array_append_new(json_object_get(res, "held"), json_string(v->spec.name));
		return;
	}
	if (ensure(c, v, &adopted, err, sizeof(err)) != 0)
		json_array_append_new(json_object_get(res, "errors"), json_string(err));
	else
		json_array_append_new(json_object_get(res, adopted ? "running" : "started"),
		                      json_string(v->spec.name));
}

json_t *qv_vms_sync(struct qv_controld *c, bool apply)
{
	json_t *res;
	struct qv_cd_vm *want = NULL;
	char err[512], perr[512];
	int n;

	if (!c->vm.enabled)
		return NULL;
	res = json_pack("{s:[], s:[], s:[], s:[], s:[], s:[]}", "started", "running", "held",
	                "removed", "outdated", "errors");
	if (!qv_cd_lv(c, err, sizeof(err))) {
		json_array_append_new(json_object_get(res, "errors"), json_string(err));
		return res;
	}
	n = qv_cd_vms_wanted2(c, &want, perr, sizeof(perr), err, sizeof(err),
	                      json_object_get(res, "errors"));
	if (n < 0) {
		json_array_append_new(json_object_get(res, "errors"), json_string(err));
		return res;
	}
	remove_unwanted(c, want, n, res);
	if (perr[0])
		json_array_append_new(json_object_get(res, "errors"),
		                      json_sprintf("placement: %s; the VMs are not started", perr));
	else
		for (int i = 0; i < n; i++)
			want_one(c, &want[i], apply, res);
	free(want);
	if (json_array_size(json_object_get(res, "errors")))
		lv_check(c);
	return res;
}
