/* qwikvirt: qv-controld's vm.* methods (list, start, stop, restart, console, snapshot, revert,
 * clone, delete) and placement.show: what `qvctl vm ...` and `qvctl show placement` call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "control/placement/placement.h"
#include "control/vm/vm_lifecycle.h"

extern struct qv_controld qv_cd;

#define FAIL(...) qv_rpc_fail(err, QV_RPC_APP_ERROR, __VA_ARGS__)

/* The wanted VMs and the libvirt connection, or NULL with err set. */
static struct qv_vm_conn *setup(struct qv_cd_vm **want, int *n, struct qv_rpc_error *err)
{
	char msg[512], perr[512];
	struct qv_vm_conn *lv;

	*want = NULL;
	if (!qv_cd.vm.enabled) {
		FAIL("qv-controld runs with --no-vms and manages no VMs; restart it without "
		     "--no-vms to have it launch the VNFs as VMs");
		return NULL;
	}
	if (!(lv = qv_cd_lv(&qv_cd, msg, sizeof(msg)))) {
		FAIL("%s", msg);
		return NULL;
	}
	*n = qv_cd_vms_wanted2(&qv_cd, want, perr, sizeof(perr), msg, sizeof(msg));
	if (*n < 0) {
		FAIL("%s", msg);
		return NULL;
	}
	return lv;
}

/* params {"name": VM} naming one of the wanted VMs (or a domain with our prefix when any is
 * true). */
static const char *vm_arg(json_t *params, const char *const *keys, const struct qv_cd_vm *want,
                          int n, bool any, const struct qv_cd_vm **v, struct qv_rpc_error *err)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	enum qv_vm_state st = QV_VM_ABSENT;
	struct qv_vm_err e;

	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	if (!name || !*name)
		return FAIL("give the VM's name (qvctl vm list shows them)"), NULL;
	*v = qv_cd_vm_find(want, n, name);
	/* other domains with our prefix (left over, or made by hand) can be driven too */
	if (!*v && any && strncmp(name, qv_cd.vm.prefix, strlen(qv_cd.vm.prefix)) == 0)
		qv_vm_get_state(qv_cd.lv, name, &st, &e);
	if (!*v && st == QV_VM_ABSENT)
		return FAIL("VM %s is not one of qv-controld's VMs; qvctl vm list shows them",
		            name),
		       NULL;
	return name;
}

static json_t *vm_entry(struct qv_vm_conn *lv, const char *name, const struct qv_cd_vm *v)
{
	struct qv_vm_info in;
	struct qv_vm_err e;
	json_t *o;

	if (!qv_vm_info_get(lv, name, &in, &e))
		return json_pack("{s:s, s:s, s:s}", "name", name, "state", "unknown", "error",
		                 e.msg);
	o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:b}", "name", name, "state",
	              qv_vm_state_name(in.state), "vcpus", (int)in.vcpus, "memory_mib",
	              (int)in.memory_mib, "vcpupin", in.vcpupin, "emulatorpin", in.emulatorpin,
	              "numa", in.nodeset, "serial_log", in.serial_log, "pid", (json_int_t)in.pid,
	              "held", qv_vmstate_has(&qv_cd, "held", name));
	json_object_set_new(o, "vnf", v ? json_string(v->vnf) : json_null());
	json_object_set_new(o, "origin",
	                    json_string(!v                ? "unmanaged"
	                                : v->instance < 0 ? "clone"
	                                                  : "file"));
	if (v) {
		json_t *hd = json_array();

		for (unsigned k = 0; k < v->spec.n_hostdevs; k++)
			json_array_append_new(hd, json_string(v->spec.hostdevs[k]));
		json_object_set_new(o, "hostdevs", hd);
	}
	if (in.state == QV_VM_ABSENT && v) {
		/* not defined yet: what it will be */
		json_object_set_new(o, "vcpus", json_integer(v->spec.vcpus));
		json_object_set_new(o, "memory_mib", json_integer(v->spec.memory_mib));
		json_object_set_new(o, "serial_log", json_string(v->spec.serial_log));
	}
	return o;
}

static json_t *m_list(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	struct qv_cd_vm *want;
	int n;
	struct qv_vm_conn *lv;
	json_t *out;
	char **names = NULL;
	struct qv_vm_err e;
	int nn;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 || !(lv = setup(&want, &n, err)))
		return NULL;
	out = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(out, vm_entry(lv, want[i].spec.name, &want[i]));
	nn = qv_vm_list(lv, qv_cd.vm.prefix, &names, &e);
	for (int i = 0; i < nn; i++)
		if (!qv_cd_vm_find(want, n, names[i]))
			json_array_append_new(out, vm_entry(lv, names[i], NULL));
	qv_vm_names_free(names, nn);
	free(want);
	return json_pack("{s:o, s:s}", "vms", out, "uri", qv_cd.vm.uri);
}

/* start / stop / restart / delete */
static json_t *lifecycle(json_t *params, struct qv_rpc_error *err, const char *verb)
{
	static const char *const keys[] = {"name", "timeout_s", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want;
	struct qv_vm_conn *lv;
	struct qv_vm_err e = {""};
	const char *name;
	bool ok = true, forced = false, adopted;
	json_t *t = json_object_get(params, "timeout_s"), *res = NULL;
	unsigned tmo =
	    json_is_integer(t) ? (unsigned)json_integer_value(t) * 1000u : qv_cd.vm.stop_timeout_ms;
	int n;
	char msg[512];

	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, strcmp(verb, "delete") != 0, &v, err)))
		goto out;
	if (strcmp(verb, "stop") == 0) {
		qv_vmstate_set(&qv_cd, "held", name, true);
		ok = qv_vm_stop(lv, name, tmo, &forced, &e);
	} else if (strcmp(verb, "delete") == 0) {
		const char *ports[QV_VM_MAX_IFACES];

		if (v->instance >= 0) {
			FAIL("VM %s belongs to VNF %s of %s; remove the VNF (or lower its "
			     "instances) "
			     "in the file and apply it",
			     name, v->vnf, qv_cd.desired.name);
			goto out;
		}
		for (unsigned k = 0; k < v->spec.n_ifaces; k++)
			ports[k] = v->ports[k];
		if (qv_vm_remove(&qv_cd, name, ports, v->spec.n_ifaces, msg, sizeof(msg)) != 0) {
			FAIL("%s", msg);
			goto out;
		}
		qv_cd_clone_forget(&qv_cd, name);
	} else {
		qv_vmstate_set(&qv_cd, "held", name, false);
		if (strcmp(verb, "restart") == 0)
			ok = qv_vm_stop(lv, name, tmo, &forced, &e);
		if (ok && v) {
			ok = qv_cd_ports_ensure(&qv_cd, v, msg, sizeof(msg)) == 0 ||
			     v->instance >= 0;
			ok = ok && qv_vm_ensure(lv, &v->spec, &adopted, &e);
		} else if (ok) {
			ok = qv_vm_start(lv, name, &e);
		}
	}
	if (!ok) {
		FAIL("%s", e.msg[0] ? e.msg : msg);
		goto out;
	}
	res = json_pack("{s:s, s:s, s:b}", "name", name, "done", verb, "forced", forced);
out:
	free(want);
	return res;
}

static json_t *m_start(json_t *p, struct qv_rpc_error *err, void *ctx)
{
	(void)ctx;
	return lifecycle(p, err, "start");
}
static json_t *m_stop(json_t *p, struct qv_rpc_error *err, void *ctx)
{
	(void)ctx;
	return lifecycle(p, err, "stop");
}
static json_t *m_restart(json_t *p, struct qv_rpc_error *err, void *ctx)
{
	(void)ctx;
	return lifecycle(p, err, "restart");
}
static json_t *m_delete(json_t *p, struct qv_rpc_error *err, void *ctx)
{
	(void)ctx;
	return lifecycle(p, err, "delete");
}

static json_t *m_console(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "bytes", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want;
	struct qv_vm_conn *lv;
	struct qv_vm_err e;
	char path[QV_VM_PATH_MAX], *buf = NULL;
	const char *name;
	json_t *b = json_object_get(params, "bytes"), *res = NULL;
	long want_bytes = json_is_integer(b) ? (long)json_integer_value(b) : 4096;
	int n, fd;
	off_t size;
	ssize_t got;

	(void)ctx;
	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, true, &v, err)))
		goto out;
	if (want_bytes < 1 || want_bytes > 1 << 20) {
		FAIL("bytes: expected 1..1048576");
		goto out;
	}
	if (!qv_vm_serial_log(lv, name, path, sizeof(path), &e)) {
		if (!v) {
			FAIL("%s", e.msg);
			goto out;
		}
		snprintf(path, sizeof(path), "%s", v->spec.serial_log);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		FAIL(
		    "VM %s: cannot read its serial log %s: %s (has it ever started? qvctl vm start "
		    "%s)",
		    name, path, strerror(errno), name);
		goto out;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size > want_bytes)
		lseek(fd, size - want_bytes, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	buf = calloc(1, (size_t)want_bytes + 1);
	got = buf ? read(fd, buf, (size_t)want_bytes) : -1;
	close(fd);
	res = json_pack("{s:s, s:s, s:s%}", "name", name, "log", path, "text", buf ? buf : "",
	                got > 0 ? (size_t)got : 0);
out:
	free(buf);
	free(want);
	return res;
}

static json_t *m_snapshot(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "tag", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want;
	struct qv_vm_conn *lv;
	struct qv_vm_err e;
	char dir[4096], tag[80];
	const char *name, *t = json_string_value(json_object_get(params, "tag"));
	json_t *res = NULL;
	int n;

	(void)ctx;
	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, true, &v, err)))
		goto out;
	if (t)
		snprintf(tag, sizeof(tag), "%s", t);
	else
		strftime(tag, sizeof(tag), "snap-%Y%m%d-%H%M%S", localtime(&(time_t){time(NULL)}));
	snprintf(dir, sizeof(dir), "%s/snapshots", qv_cd.state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		FAIL("cannot create %s: %s", dir, strerror(errno));
	else if (!qv_vm_snapshot(lv, name, tag, dir, &e))
		FAIL("%s", e.msg);
	else
		res = json_pack("{s:s, s:s}", "name", name, "tag", tag);
out:
	free(want);
	return res;
}

static json_t *m_revert(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "tag", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want;
	struct qv_vm_conn *lv;
	struct qv_vm_err e;
	const char *name, *tag = json_string_value(json_object_get(params, "tag"));
	json_t *res = NULL;
	int n;

	(void)ctx;
	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, true, &v, err)))
		goto out;
	if (!tag)
		FAIL("VM %s: revert needs the snapshot's tag", name);
	else if (!qv_vm_revert(lv, name, tag, &e))
		FAIL("%s", e.msg);
	else {
		qv_vmstate_set(&qv_cd, "held", name, false);
		res = json_pack("{s:s, s:s}", "name", name, "tag", tag);
	}
out:
	free(want);
	return res;
}

static json_t *m_clone(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "new", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want, c;
	struct qv_vm_conn *lv;
	struct qv_vm_err e;
	const char *name, *nn = json_string_value(json_object_get(params, "new"));
	json_t *res = NULL, *ports;
	enum qv_vm_state st;
	char msg[512];
	bool adopted;
	int n;

	(void)ctx;
	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, false, &v, err)))
		goto out;
	if (!nn || !*nn) {
		FAIL("VM %s: clone needs the new VM's name", name);
		goto out;
	}
	if (qv_cd_vm_find(want, n, nn) || !qv_vm_get_state(lv, nn, &st, &e) || st != QV_VM_ABSENT) {
		FAIL("VM %s already exists; pick another name for the clone of %s", nn, name);
		goto out;
	}
	if (qv_cd_clone_of(&qv_cd, v, nn, &c, msg, sizeof(msg)) != 0 ||
	    qv_cd_ports_ensure(&qv_cd, &c, msg, sizeof(msg)) != 0) {
		FAIL("%s", msg);
		goto out;
	}
	ports = json_array();
	for (unsigned k = 0; k < c.spec.n_ifaces; k++)
		json_array_append_new(ports, json_string(c.ports[k]));
	json_array_append_new(
	    json_object_get(qv_vmstate(&qv_cd), "clones"),
	    json_pack("{s:s, s:s, s:O}", "name", nn, "source", name, "ports", ports));
	qv_vmstate_set(&qv_cd, "managed", nn, true); /* also saves the clone entry */
	if (c.spec.disk[0] && !qv_vm_overlay_create(c.spec.disk_base, c.spec.disk, &e))
		FAIL("%s", e.msg);
	else if (!qv_vm_ensure(lv, &c.spec, &adopted, &e))
		FAIL("%s (qvctl vm delete %s removes the clone)", e.msg, nn);
	else
		res = json_pack("{s:s, s:s, s:o}", "name", nn, "source", name, "ports", ports);
	if (!res)
		json_decref(ports);
out:
	free(want);
	return res;
}

/* The domain XML libvirt holds for the VM, or the one qv-controld would define for it. */
static json_t *m_xml(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", NULL};
	const struct qv_cd_vm *v;
	struct qv_cd_vm *want;
	struct qv_vm_conn *lv;
	struct qv_vm_err e;
	enum qv_vm_state st = QV_VM_ABSENT;
	const char *name;
	char *xml = NULL;
	json_t *res = NULL;
	int n;

	(void)ctx;
	if (!(lv = setup(&want, &n, err)))
		return NULL;
	if (!(name = vm_arg(params, keys, want, n, true, &v, err)))
		goto out;
	if (qv_vm_get_state(lv, name, &st, &e) && st != QV_VM_ABSENT)
		xml = qv_vm_xml(lv, name, &e);
	else if (v)
		xml = qv_vm_domain_xml(&v->spec, &e);
	if (!xml)
		FAIL("VM %s: %s", name, e.msg);
	else
		res = json_pack("{s:s, s:s, s:b}", "name", name, "xml", xml, "defined",
		                st != QV_VM_ABSENT);
	free(xml);
out:
	free(want);
	return res;
}

static json_t *m_placement(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	static const struct qv_model empty;
	const struct qv_model *m = qv_cd.desired.model ? qv_cd.desired.model : &empty;
	struct qv_placement *p;
	char msg[512], sum[256];
	json_t *lines, *pmds, *vnfs;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	p = qv_cd_place(&qv_cd, m, msg, sizeof(msg));
	if (!p)
		return FAIL("%s cannot be placed on this host: %s",
		            qv_cd.desired.name ? qv_cd.desired.name : "the service", msg);
	lines = json_array();
	pmds = json_array();
	vnfs = json_array();
	for (size_t i = 0; i < p->n_lines; i++)
		json_array_append_new(lines, json_string(p->lines[i]));
	for (size_t i = 0; i < p->n_pmd; i++)
		json_array_append_new(pmds, json_integer(p->pmd_cpus[i]));
	for (size_t i = 0; i < p->n_vnfs; i++) {
		const struct qv_place_vnf_result *r = &p->vnfs[i];
		json_t *cpus = json_array();

		for (unsigned k = 0; k < r->vcpus; k++)
			json_array_append_new(cpus, json_string(r->vcpu_cpuset[k]));
		json_array_append_new(vnfs,
		                      json_pack("{s:s, s:i, s:o, s:s, s:b, s:I}", "name", r->name,
		                                "node", r->node, "vcpus", cpus, "emulator",
		                                r->emulator_cpuset, "on_core0", r->on_core0,
		                                "memory_mib", (json_int_t)r->memory_mib));
	}
	qv_topo_summary(qv_cd.topo, sum, sizeof(sum));
	json_t *res =
	    json_pack("{s:s, s:o, s:s, s:o, s:o}", "host", sum, "pmd_cpus", pmds, "pmd_list",
	              p->pmd_list ? p->pmd_list : "", "vnfs", vnfs, "lines", lines);
	qv_placement_free(p);
	return res;
}

const struct qv_rpc_method qv_vm_methods[] = {
    {"vm.list", m_list, "the VMs: state, vCPUs, memory, pinning, serial log"},
    {"vm.start", m_start, "start VM {name} (and let reconcile keep it running)"},
    {"vm.stop", m_stop, "stop VM {name, timeout_s}: graceful, then destroy; stays stopped"},
    {"vm.restart", m_restart, "stop (graceful, then destroy) and start VM {name}"},
    {"vm.console", m_console, "the tail of VM {name}'s serial log ({bytes}, default 4096)"},
    {"vm.snapshot", m_snapshot, "snapshot VM {name} as {tag} (default: a timestamp)"},
    {"vm.revert", m_revert, "VM {name} back to snapshot {tag}"},
    {"vm.clone", m_clone, "a new VM {new} from VM {name}: overlay, MACs, switch ports"},
    {"vm.xml", m_xml, "VM {name}'s domain XML: libvirt's, or what qv-controld would define"},
    {"vm.delete", m_delete, "remove clone {name}: VM, overlay, switch ports"},
    {"placement.show", m_placement, "NUMA placement of the PMDs and VMs, explained"},
    {NULL, NULL, NULL},
};
