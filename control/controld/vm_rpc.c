/* qwikvirt: qv-controld's vm.* methods (list, and through with_vm() start, stop, restart,
 * console, snapshot, revert, clone, xml, delete) and placement.show: what `qvctl vm ...` and
 * `qvctl show placement` call. */
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
	*n = qv_cd_vms_wanted2(&qv_cd, want, perr, sizeof(perr), msg, sizeof(msg), NULL);
	if (*n < 0) {
		FAIL("%s", msg);
		return NULL;
	}
	return lv;
}

/* Longest graceful-shutdown wait a request may ask for: as qv-controld's --vm-stop-timeout. */
#define STOP_TIMEOUT_MAX_S 3600
#define CONSOLE_BYTES_MAX (1 << 20)

/* One request of a vm.* method that names a VM, once with_vm has checked its parameters and
 * found the VM. */
struct vm_req {
	const char *verb; /* the method's, "stop" */
	struct qv_vm_conn *lv;
	struct qv_cd_vm *want; /* the VMs qv-controld wants (n of them) */
	int n;
	const char *name;         /* the VM named */
	const struct qv_cd_vm *v; /* its entry in want; NULL for another domain with our prefix */
	/* the other parameters, typed; absent ones at their defaults */
	unsigned timeout_ms;
	long bytes;
	const char *tag; /* NULL when absent */
	const char *new_name;
};

/* What a vm.* method that names a VM takes and does. */
struct vm_method {
	const char *verb;
	const char *const *keys;   /* its parameters, NULL-terminated, "name" first */
	const char *required;      /* a parameter besides name it cannot do without, or NULL */
	const char *required_what; /* what that parameter is, for the message */
	bool any; /* may name any domain with our prefix (left over, made by hand), not only the
	           * VMs qv-controld wants */
	json_t *(*fn)(struct vm_req *r, struct qv_rpc_error *err);
};

/* A string parameter that must be there and not be empty. */
static const char *needed_str(json_t *params, const char *key, const char *verb, const char *what,
                              struct qv_rpc_error *err)
{
	const char *s = qv_rpc_param_str(params, key, false, err);

	if (err->code)
		return NULL;
	if (!s || !*s)
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter '%s': vm.%s needs %s",
		            key, verb, what);
	return s && *s ? s : NULL;
}

/* Checks every parameter's name, type and range into r before anything is looked up, so a bad
 * request is refused the same way whether or not VMs are on. 0, or -1 with err. */
static int vm_params(json_t *params, const struct vm_method *m, struct vm_req *r,
                     struct qv_rpc_error *err)
{
	long long timeout_s = -1, bytes = 4096;

	r->verb = m->verb;
	if (qv_rpc_check_keys(params, m->keys, err) != 0 ||
	    !(r->name = needed_str(params, "name", m->verb,
	                           "the VM's name (qvctl vm list shows them)", err)) ||
	    (m->required && !needed_str(params, m->required, m->verb, m->required_what, err)))
		return -1;
	r->tag = qv_rpc_param_str(params, "tag", false, err);
	if (!err->code)
		r->new_name = qv_rpc_param_str(params, "new", false, err);
	if (err->code ||
	    qv_rpc_param_int(params, "timeout_s", 0, STOP_TIMEOUT_MAX_S, &timeout_s, err) < 0 ||
	    qv_rpc_param_int(params, "bytes", 1, CONSOLE_BYTES_MAX, &bytes, err) < 0)
		return -1;
	r->timeout_ms = timeout_s >= 0 ? (unsigned)timeout_s * 1000u : qv_cd.vm.stop_timeout_ms;
	r->bytes = (long)bytes;
	return 0;
}

/* Finds the VM r names among the wanted ones (or, with any, among our domains). */
static bool find_vm(struct vm_req *r, bool any, struct qv_rpc_error *err)
{
	enum qv_vm_state st = QV_VM_ABSENT;
	struct qv_vm_err e;

	r->v = qv_cd_vm_find(r->want, r->n, r->name);
	/* a clone kept though its spec cannot be rebuilt is still ours (vm delete removes it) */
	if (!r->v && qv_cd_clone_entry(&qv_cd, r->name))
		return true;
	/* other domains with our prefix (left over, or made by hand) can be driven too */
	if (!r->v && any && strncmp(r->name, qv_cd.vm.prefix, strlen(qv_cd.vm.prefix)) == 0)
		qv_vm_get_state(qv_cd.lv, r->name, &st, &e);
	if (!r->v && st == QV_VM_ABSENT) {
		FAIL("VM %s is not one of qv-controld's VMs; qvctl vm list shows them", r->name);
		return false;
	}
	return true;
}

/* Every vm.* method that names a VM: its parameters checked, libvirt and the wanted VMs at
 * hand, the VM found; then m->fn, and what it needed freed. */
static json_t *with_vm(json_t *params, const struct vm_method *m, struct qv_rpc_error *err)
{
	struct vm_req r = {0};
	json_t *res = NULL;

	if (vm_params(params, m, &r, err) != 0 || !(r.lv = setup(&r.want, &r.n, err)))
		return NULL;
	if (find_vm(&r, m->any, err))
		res = m->fn(&r, err);
	free(r.want);
	return res;
}

static json_t *vm_entry(struct qv_vm_conn *lv, const char *name, const struct qv_cd_vm *v)
{
	struct qv_vm_info in;
	struct qv_vm_err e;
	json_t *o;

	if (!qv_vm_info_get(lv, name, &in, &e))
		return json_pack("{s:s, s:s, s:s}", "name", name, "state", "unknown", "error",
		                 e.msg);
	o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I}", "name", name,
	              "state", qv_vm_state_name(in.state), "vcpus", (int)in.vcpus, "memory_mib",
	              (int)in.memory_mib, "vcpupin", in.vcpupin, "emulatorpin", in.emulatorpin,
	              "numa", in.nodeset, "serial_log", in.serial_log, "pid", (json_int_t)in.pid,
	              "held", qv_cd_held(&qv_cd, name), "cpu_time_ns", (json_int_t)in.cpu_time_ns,
	              "vcpu_time_ns", (json_int_t)in.vcpu_time_ns);
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
static json_t *do_lifecycle(struct vm_req *r, struct qv_rpc_error *err)
{
	const struct qv_cd_vm *v = r->v;
	struct qv_vm_err e = {""};
	bool ok = true, forced = false, adopted;
	char msg[512] = "";

	if (strcmp(r->verb, "stop") == 0) {
		qv_cd_hold(&qv_cd, r->name, true, msg, sizeof(msg));
		ok = qv_vm_stop(r->lv, r->name, r->timeout_ms, &forced, &e);
	} else if (strcmp(r->verb, "delete") == 0) {
		const char *ports[QV_VM_MAX_IFACES];
		json_t *entry = qv_cd_clone_entry(&qv_cd, r->name), *p;
		size_t np = 0, k;

		if (v && v->instance >= 0)
			return FAIL("VM %s belongs to VNF %s of %s; remove the VNF (or lower its "
			            "instances) in the file and apply it",
			            r->name, v->vnf, qv_cd.desired.name);
		/* its switch ports as vms.json recorded them: also for a clone whose spec
		 * cannot be rebuilt any more */
		json_array_foreach(json_object_get(entry, "ports"), k, p)
		{
			if (json_is_string(p) && np < QV_VM_MAX_IFACES)
				ports[np++] = json_string_value(p);
		}
		for (unsigned i = 0; !np && v && i < v->spec.n_ifaces; i++)
			ports[i] = v->ports[i];
		if (!np && v)
			np = v->spec.n_ifaces;
		if (qv_vm_remove(&qv_cd, r->name, ports, np, msg, sizeof(msg)) != 0)
			return FAIL("%s", msg);
		qv_cd_clone_forget(&qv_cd, r->name);
	} else {
		if (!qv_cd_hold(&qv_cd, r->name, false, msg, sizeof(msg)))
			return FAIL("%s; the VM is left as it is", msg);
		if (strcmp(r->verb, "restart") == 0)
			ok = qv_vm_stop(r->lv, r->name, r->timeout_ms, &forced, &e);
		if (ok && v) {
			ok = qv_cd_ports_ensure(&qv_cd, v, msg, sizeof(msg)) == 0 ||
			     v->instance >= 0;
			ok = ok && qv_vm_ensure(r->lv, &v->spec, &adopted, &e);
		} else if (ok) {
			ok = qv_vm_start(r->lv, r->name, &e);
		}
	}
	if (!ok)
		return FAIL("%s", e.msg[0] ? e.msg : msg);
	return json_pack("{s:s, s:s, s:b}", "name", r->name, "done", r->verb, "forced", forced);
}

static json_t *do_console(struct vm_req *r, struct qv_rpc_error *err)
{
	struct qv_vm_err e;
	char path[QV_VM_PATH_MAX], *buf;
	json_t *res;
	int fd;
	off_t size;
	ssize_t got;

	if (!qv_vm_serial_log(r->lv, r->name, path, sizeof(path), &e)) {
		if (!r->v)
			return FAIL("%s", e.msg);
		snprintf(path, sizeof(path), "%s", r->v->spec.serial_log);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FAIL("VM %s: cannot read its serial log %s: %s (has it ever started? qvctl "
		            "vm start %s)",
		            r->name, path, strerror(errno), r->name);
	size = lseek(fd, 0, SEEK_END);
	if (size > r->bytes)
		lseek(fd, size - r->bytes, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	buf = calloc(1, (size_t)r->bytes + 1);
	got = buf ? read(fd, buf, (size_t)r->bytes) : -1;
	close(fd);
	res = json_pack("{s:s, s:s, s:s%}", "name", r->name, "log", path, "text", buf ? buf : "",
	                got > 0 ? (size_t)got : 0);
	free(buf);
	return res;
}

static json_t *do_snapshot(struct vm_req *r, struct qv_rpc_error *err)
{
	struct qv_vm_err e;
	char dir[4096], tag[80];

	if (r->tag)
		snprintf(tag, sizeof(tag), "%s", r->tag);
	else
		strftime(tag, sizeof(tag), "snap-%Y%m%d-%H%M%S", localtime(&(time_t){time(NULL)}));
	snprintf(dir, sizeof(dir), "%s/snapshots", qv_cd.state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return FAIL("cannot create %s: %s", dir, strerror(errno));
	if (!qv_vm_snapshot(r->lv, r->name, tag, dir, &e))
		return FAIL("%s", e.msg);
	return json_pack("{s:s, s:s}", "name", r->name, "tag", tag);
}

static json_t *do_revert(struct vm_req *r, struct qv_rpc_error *err)
{
	struct qv_vm_err e;
	char msg[512];

	if (!qv_vm_revert(r->lv, r->name, r->tag, &e))
		return FAIL("%s", e.msg);
	if (!qv_cd_hold(&qv_cd, r->name, false, msg, sizeof(msg)))
		return FAIL("VM %s reverted to %s, but its hold is not ended: %s (qvctl vm start "
		            "%s ends it)",
		            r->name, r->tag, msg, r->name);
	return json_pack("{s:s, s:s}", "name", r->name, "tag", r->tag);
}

static json_t *do_clone(struct vm_req *r, struct qv_rpc_error *err)
{
	const char *nn = r->new_name;
	struct qv_cd_vm c;
	struct qv_vm_err e;
	json_t *res = NULL, *ports;
	enum qv_vm_state st;
	char msg[512];
	bool adopted;

	if (qv_cd_vm_find(r->want, r->n, nn) || !qv_vm_get_state(r->lv, nn, &st, &e) ||
	    st != QV_VM_ABSENT)
		return FAIL("VM %s already exists; pick another name for the clone of %s", nn,
		            r->name);
	if (qv_cd_clone_of(&qv_cd, r->v, nn, &c, msg, sizeof(msg)) != 0 ||
	    qv_cd_ports_ensure(&qv_cd, &c, msg, sizeof(msg)) != 0)
		return FAIL("%s", msg);
	ports = json_array();
	for (unsigned k = 0; k < c.spec.n_ifaces; k++)
		json_array_append_new(ports, json_string(c.ports[k]));
	json_array_append_new(
	    json_object_get(qv_vmstate(&qv_cd), "clones"),
	    json_pack("{s:s, s:s, s:O}", "name", nn, "source", r->name, "ports", ports));
	qv_vmstate_set(&qv_cd, "managed", nn, true); /* also saves the clone entry */
	if (c.spec.disk[0] && !qv_vm_overlay_create(c.spec.disk_base, c.spec.disk, &e))
		FAIL("%s", e.msg);
	else if (!qv_vm_ensure(r->lv, &c.spec, &adopted, &e))
		FAIL("%s (qvctl vm delete %s removes the clone)", e.msg, nn);
	else
		res = json_pack("{s:s, s:s, s:o}", "name", nn, "source", r->name, "ports", ports);
	if (!res)
		json_decref(ports);
	return res;
}

/* The domain XML libvirt holds for the VM, or the one qv-controld would define for it. */
static json_t *do_xml(struct vm_req *r, struct qv_rpc_error *err)
{
	struct qv_vm_err e;
	enum qv_vm_state st = QV_VM_ABSENT;
	char *text = NULL;
	json_t *res = NULL;

	if (qv_vm_get_state(r->lv, r->name, &st, &e) && st != QV_VM_ABSENT)
		text = qv_vm_xml(r->lv, r->name, &e);
	else if (r->v)
		text = qv_vm_domain_xml(&r->v->spec, &e);
	if (!text)
		FAIL("VM %s: %s", r->name, e.msg);
	else
		res = json_pack("{s:s, s:s, s:b}", "name", r->name, "xml", text, "defined",
		                st != QV_VM_ABSENT);
	free(text);
	return res;
}

/* The vm.* methods that name a VM: verb, parameters, which VMs, and what each does. */
static const char *const name_keys[] = {"name", NULL};
static const char *const lifecycle_keys[] = {"name", "timeout_s", NULL};
static const char *const console_keys[] = {"name", "bytes", NULL};
static const char *const tag_keys[] = {"name", "tag", NULL};
static const char *const clone_keys[] = {"name", "new", NULL};

static const struct vm_method vm_start = {
    .verb = "start",
    .keys = lifecycle_keys,
    .any = true,
    .fn = do_lifecycle,
};
static const struct vm_method vm_stop = {
    .verb = "stop",
    .keys = lifecycle_keys,
    .any = true,
    .fn = do_lifecycle,
};
static const struct vm_method vm_restart = {
    .verb = "restart",
    .keys = lifecycle_keys,
    .any = true,
    .fn = do_lifecycle,
};
static const struct vm_method vm_delete = {
    .verb = "delete",
    .keys = lifecycle_keys,
    .any = false,
    .fn = do_lifecycle,
};
static const struct vm_method vm_console = {
    .verb = "console",
    .keys = console_keys,
    .any = true,
    .fn = do_console,
};
static const struct vm_method vm_snapshot = {
    .verb = "snapshot",
    .keys = tag_keys,
    .any = true,
    .fn = do_snapshot,
};
static const struct vm_method vm_revert = {
    .verb = "revert",
    .keys = tag_keys,
    .required = "tag",
    .required_what = "the snapshot's tag",
    .any = true,
    .fn = do_revert,
};
static const struct vm_method vm_clone = {
    .verb = "clone",
    .keys = clone_keys,
    .required = "new",
    .required_what = "the new VM's name",
    .any = false,
    .fn = do_clone,
};
static const struct vm_method vm_xml = {
    .verb = "xml",
    .keys = name_keys,
    .any = true,
    .fn = do_xml,
};

/* The RPC handler of each: with_vm around its description. */
#define VM_HANDLER(method)                                                                         \
	static json_t *m_##method(json_t *params, struct qv_rpc_error *err, void *ctx)             \
	{                                                                                          \
		(void)ctx;                                                                         \
		return with_vm(params, &vm_##method, err);                                         \
	}
VM_HANDLER(start)
VM_HANDLER(stop)
VM_HANDLER(restart)
VM_HANDLER(delete)
VM_HANDLER(console)
VM_HANDLER(snapshot)
VM_HANDLER(revert)
VM_HANDLER(clone)
VM_HANDLER(xml)

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
    {"vm.list", m_list, "the VMs: state, vCPUs, memory, CPU time, pinning, serial log",
     QV_RPC_READ},
    {"vm.start", m_start, "start VM {name} (and let reconcile keep it running)"},
    {"vm.stop", m_stop, "stop VM {name, timeout_s}: graceful, then destroy; stays stopped"},
    {"vm.restart", m_restart, "stop (graceful, then destroy) and start VM {name}"},
    {"vm.console", m_console, "the tail of VM {name}'s serial log ({bytes}, default 4096)",
     QV_RPC_READ},
    {"vm.snapshot", m_snapshot, "snapshot VM {name} as {tag} (default: a timestamp)"},
    {"vm.revert", m_revert, "VM {name} back to snapshot {tag}"},
    {"vm.clone", m_clone, "a new VM {new} from VM {name}: overlay, MACs, switch ports"},
    {"vm.xml", m_xml, "VM {name}'s domain XML: libvirt's, or what qv-controld would define",
     QV_RPC_READ},
    {"vm.delete", m_delete, "remove clone {name}: VM, overlay, switch ports"},
    {"placement.show", m_placement, "NUMA placement of the PMDs and VMs, explained", QV_RPC_READ},
    {NULL, NULL, NULL},
};
