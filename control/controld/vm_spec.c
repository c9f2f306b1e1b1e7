/* qwikvirt: the VMs qv-controld wants: one per VNF instance of the desired model (boot source,
 * vhost-user NICs = its switch ports, pins from placement), plus the operator's clones. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control/controld/controld.h"
#include "control/placement/placement.h"

#define DEFAULT_CMDLINE "console=ttyS0 quiet panic=-1 pci=nomsi"

void qv_cd_vm_paths(const struct qv_controld *c, const char *name, const char *ext, char *out,
                    size_t len)
{
	snprintf(out, len, "%s/vms/%s.%s", c->state_dir, name, ext);
}

int qv_cd_image_path(const struct qv_controld *c, const char *p, char *out, size_t len, char *why,
                     size_t whylen)
{
	char full[PATH_MAX + 8], dir[PATH_MAX], real[PATH_MAX];
	const char *images = c->vm.images ? c->vm.images : ".";
	struct stat st;
	size_t dl;
	int n;

	if (!realpath(images, dir)) {
		snprintf(why, whylen, "the images directory %s (--images): %s", images,
		         strerror(errno));
		return -1;
	}
	n = p[0] == '/' ? snprintf(full, sizeof(full), "%s", p)
	                : snprintf(full, sizeof(full), "%s/%s", dir, p);
	if (n < 0 || (size_t)n >= sizeof(full)) {
		snprintf(why, whylen, "the path is too long");
		return -1;
	}
	/* resolved first: a symbolic link (or '..') that leads out of the directory is out */
	if (!realpath(full, real)) {
		snprintf(why, whylen, "%s: %s (boot files are under the images directory %s)", full,
		         strerror(errno), dir);
		return -1;
	}
	dl = strlen(dir);
	if (strncmp(real, dir, dl) != 0 || (real[dl] != '/' && dir[dl - 1] != '/')) {
		snprintf(why, whylen,
		         "%s%s%s%s is outside the images directory %s (--images): only files under "
		         "it are given to a VM; copy it there",
		         full, strcmp(full, real) ? ", that is " : "",
		         strcmp(full, real) ? real : "", strcmp(full, real) ? "," : "", dir);
		return -1;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", real);
		return -1;
	}
	n = snprintf(out, len, "%s", real);
	if (n < 0 || (size_t)n >= len) {
		snprintf(why, whylen, "%s is too long a path; use a shorter --images DIR", real);
		return -1;
	}
	return 0;
}

static int image_path(const struct qv_controld *c, const char *vm, const char *what, const char *p,
                      char *out, size_t len, char *err, size_t errlen)
{
	char why[PATH_MAX * 2 + 200];

	if (qv_cd_image_path(c, p, out, len, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "VM %s: %s %s: %s", vm, what, p, why);
	return -1;
}

static void pin(struct qv_cd_vm *v, const struct qv_placement *p)
{
	for (size_t i = 0; p && i < p->n_vnfs; i++) {
		const struct qv_place_vnf_result *r = &p->vnfs[i];

		if (strcmp(r->name, v->spec.name) != 0)
			continue;
		for (unsigned k = 0; k < r->vcpus && k < QV_VM_MAX_VCPUS; k++)
			snprintf(v->spec.vcpupin[k], QV_VM_CPUSET_MAX, "%s", r->vcpu_cpuset[k]);
		snprintf(v->spec.emulatorpin, QV_VM_CPUSET_MAX, "%s", r->emulator_cpuset);
		v->spec.numa_node = r->node;
	}
}

static int one(struct qv_controld *c, const struct qv_model_vnf *mv, unsigned inst,
               const struct qv_placement *pl, struct qv_cd_vm *v, char *err, size_t errlen)
{
	const struct qv_switch_plan *plan = c->desired.plan;
	struct qv_vm_spec *s = &v->spec;
	struct qv_vm_err e;
	char name[QV_VM_NAME_MAX * 2];

	memset(v, 0, sizeof(*v));
	snprintf(name, sizeof(name), "%s%s-%u", c->vm.prefix, mv->name, inst);
	if (strlen(name) >= QV_VM_NAME_MAX) {
		snprintf(err, errlen,
		         "VNF %s: VM name %s is too long; shorten the VNF name or "
		         "--vm-prefix",
		         mv->name, name);
		return -1;
	}
	qv_vm_spec_init(s, name);
	snprintf(v->vnf, sizeof(v->vnf), "%s", mv->name);
	v->instance = (int)inst;
	s->type = c->vm.kvm ? QV_VM_DOM_KVM : QV_VM_DOM_QEMU;
	s->vcpus = mv->vcpus;
	s->memory_mib = (unsigned)(mv->memory >> 20);
	s->backing = c->vm.hugepages ? QV_VM_MEM_HUGEPAGES : QV_VM_MEM_MEMFD;
	if (mv->kernel) {
		if (image_path(c, name, "kernel", mv->kernel, s->kernel, sizeof(s->kernel), err,
		               errlen) ||
		    (mv->initrd && image_path(c, name, "initrd", mv->initrd, s->initrd,
		                              sizeof(s->initrd), err, errlen)))
			return -1;
		snprintf(s->cmdline, sizeof(s->cmdline), "%s",
		         mv->cmdline ? mv->cmdline : DEFAULT_CMDLINE);
	}
	if (mv->image) {
		if (image_path(c, name, "image", mv->image, s->disk_base, sizeof(s->disk_base), err,
		               errlen))
			return -1;
		qv_cd_vm_paths(c, name, "qcow2", s->disk, sizeof(s->disk));
		s->no_msix = !c->vm.kvm;
	}
	qv_cd_vm_paths(c, name, "serial", s->serial_log, sizeof(s->serial_log));
	s->serial_append = true;
	for (size_t i = 0; i < plan->n_ports; i++) {
		const struct qv_switch_port *p = &plan->ports[i];

		if (!p->vnf || strcmp(p->vnf, mv->name) != 0 || p->instance != inst)
			continue;
		/* the switch as client (vhost-mode: client) means QEMU serves the socket */
		if (!qv_vm_spec_add_iface(s, p->path, NULL,
		                          p->client ? QV_VM_VHOST_SERVER : QV_VM_VHOST_CLIENT,
		                          &e)) {
			snprintf(err, errlen, "%s", e.msg);
			return -1;
		}
		s->ifaces[s->n_ifaces - 1].mtu = p->mtu;
		snprintf(v->ports[s->n_ifaces - 1], QV_PORT_NAME_MAX, "%s", p->name);
		snprintf(v->ifnames[s->n_ifaces - 1], QV_PORT_NAME_MAX, "%s", p->iface);
		v->client = p->client;
	}
	for (size_t i = 0; i < plan->n_hostdevs; i++) {
		const struct qv_switch_port *p = &plan->hostdevs[i];

		if (strcmp(p->vnf, mv->name) != 0)
			continue;
		if (!p->devargs || s->n_hostdevs >= QV_VM_MAX_HOSTDEVS) {
			snprintf(err, errlen, "VNF %s: VF port %s %s", mv->name, p->name,
			         p->devargs ? "is one host device too many" : "was not resolved");
			return -1;
		}
		snprintf(s->hostdevs[s->n_hostdevs++], sizeof(s->hostdevs[0]), "%s", p->devargs);
	}
	pin(v, pl);
	return 0;
}

int qv_cd_clone_of(const struct qv_controld *c, const struct qv_cd_vm *src, const char *new_name,
                   struct qv_cd_vm *out, char *err, size_t errlen)
{
	size_t pl = strlen(c->vm.prefix);
	const char *shortn = new_name + pl;
	struct qv_vm_spec *s = &out->spec;
	struct qv_vm_err e;

	if (strncmp(new_name, c->vm.prefix, pl) != 0 || !*shortn) {
		snprintf(err, errlen,
		         "clone name %s must start with %s (the prefix of the VMs "
		         "qv-controld manages), e.g. %s%s-copy",
		         new_name, c->vm.prefix, c->vm.prefix, src->vnf);
		return -1;
	}
	if (src->spec.n_hostdevs) {
		snprintf(err, errlen,
		         "VM %s has VF %s as a host device: a VF goes to one VM, so it cannot be "
		         "cloned; declare another VNF with its own VF",
		         src->spec.name, src->spec.hostdevs[0]);
		return -1;
	}
	*out = *src;
	out->instance = -1;
	snprintf(s->name, sizeof(s->name), "%s", new_name);
	for (unsigned k = 0; k < s->n_ifaces; k++) {
		char *slash = strrchr(src->spec.ifaces[k].socket, '/');
		int dl = slash ? (int)(slash - src->spec.ifaces[k].socket) : 0;
		int n = snprintf(out->ports[k], QV_PORT_NAME_MAX, "%s-%s", shortn, src->ifnames[k]);

		if (n < 0 || n >= QV_PORT_NAME_MAX) {
			snprintf(err, errlen,
			         "clone %s: switch port %s-%s is longer than %d "
			         "characters; pick a shorter name",
			         new_name, shortn, src->ifnames[k], QV_PORT_NAME_MAX - 1);
			return -1;
		}
		char path[QV_VM_PATH_MAX + QV_PORT_NAME_MAX + 8];

		n = snprintf(path, sizeof(path), "%.*s/%s.sock", dl, src->spec.ifaces[k].socket,
		             out->ports[k]);
		if (n > 0 && (size_t)n < sizeof(s->ifaces[k].socket))
			memcpy(s->ifaces[k].socket, path, (size_t)n + 1);
		else
			n = -1;
		if (n < 0 || (size_t)n >= sizeof(s->ifaces[k].socket)) {
			snprintf(err, errlen, "clone %s: socket path too long", new_name);
			return -1;
		}
		qv_vm_mac_for(new_name, k, s->ifaces[k].mac);
	}
	qv_cd_vm_paths(c, new_name, "serial", s->serial_log, sizeof(s->serial_log));
	if (s->disk[0])
		qv_cd_vm_paths(c, new_name, "qcow2", s->disk, sizeof(s->disk));
	/* the name makes its overlay's and log's paths: checked before any file is made */
	if (!qv_vm_spec_validate(s, &e)) {
		snprintf(err, errlen, "clone %s: %s", new_name, e.msg);
		return -1;
	}
	return 0;
}

/* Instance k > 0 of a VNF is a clone of instance 0 (qv_cd_clone_of: the same spec, a new name,
 * new MACs, its own overlay on the same base image), which is how `apply` raises a group's
 * count; its switch ports and sockets are the ones the chain compiler planned for it, and its
 * pins the placement's for it. */
static int instance_clone(struct qv_controld *c, const struct qv_model_vnf *mv, unsigned k,
                          const struct qv_cd_vm *first, const struct qv_placement *pl,
                          struct qv_cd_vm *v, char *err, size_t errlen)
{
	char name[QV_VM_NAME_MAX * 2];

	snprintf(name, sizeof(name), "%s%s-%u", c->vm.prefix, mv->name, k);
	if (qv_cd_clone_of(c, first, name, v, err, errlen) != 0)
		return -1;
	v->instance = (int)k;
	for (unsigned j = 0; j < v->spec.n_ifaces; j++) {
		int pi = qv_switch_plan_port(c->desired.plan, v->ports[j]);

		if (pi < 0 ||
		    strcmp(c->desired.plan->ports[pi].path, v->spec.ifaces[j].socket) != 0) {
			snprintf(err, errlen,
			         "VNF %s instance %u: clone port %s does not match the switch plan "
			         "(a bug: please report it)",
			         mv->name, k, v->ports[j]);
			return -1;
		}
	}
	pin(v, pl);
	return 0;
}

const struct qv_cd_vm *qv_cd_vm_find(const struct qv_cd_vm *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].spec.name, name) == 0)
			return &v[i];
	return NULL;
}

int qv_cd_vms_wanted2(struct qv_controld *c, struct qv_cd_vm **out, char *place_err,
                      size_t place_errlen, char *err, size_t errlen, json_t *problems)
{
	const struct qv_model *m = c->desired.model;
	json_t *clones = json_object_get(qv_vmstate(c), "clones"), *cl;
	struct qv_placement *pl = NULL;
	struct qv_cd_vm *v;
	size_t total = 0, i;
	int n = 0;

	*out = NULL;
	place_err[0] = 0;
	if (!m)
		return 0;
	for (i = 0; i < m->n_vnfs; i++)
		total += m->vnfs[i].instances;
	v = calloc(total + json_array_size(clones) + 1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pl = qv_cd_place(c, m, place_err, place_errlen);
	for (i = 0; i < m->n_vnfs; i++) {
		int first = n;

		if (one(c, &m->vnfs[i], 0, pl, &v[n++], err, errlen) != 0)
			goto fail;
		for (unsigned k = 1; k < m->vnfs[i].instances; k++)
			if (instance_clone(c, &m->vnfs[i], k, &v[first], pl, &v[n++], err,
			                   errlen) != 0)
				goto fail;
	}
	/* a clone whose spec cannot be rebuilt is not wanted, but not unwanted either: vms.c
	 * keeps it (with its disk) and problems says why and how to remove it */
	json_array_foreach(clones, i, cl)
	{
		const char *name = qv_clone_name(cl);
		const char *source = json_string_value(json_object_get(cl, "source"));
		const struct qv_cd_vm *src = source ? qv_cd_vm_find(v, n, source) : NULL;
		char why[512];

		if (!name || !source) /* malformed: named when vms.json was read */
			continue;
		if (!src)
			snprintf(why, sizeof(why), "its source VM %s is no longer one of %s's VMs",
			         source, c->desired.name ? c->desired.name : "the service");
		else if (qv_cd_clone_of(c, src, name, &v[n], why, sizeof(why)) == 0) {
			n++;
			continue;
		}
		if (problems)
			json_array_append_new(
			    problems,
			    json_sprintf("clone %s of %s cannot be rebuilt (%s): kept as it "
			                 "is, with its disk; qvctl vm delete %s removes it",
			                 name, source, why, name));
	}
	qv_placement_free(pl);
	*out = v;
	return n;
fail:
	qv_placement_free(pl);
	free(v);
	return -1;
}

int qv_cd_vms_wanted(struct qv_controld *c, struct qv_cd_vm **out, char *err, size_t errlen)
{
	char perr[512];
	int n = qv_cd_vms_wanted2(c, out, perr, sizeof(perr), err, errlen, NULL);

	if (n >= 0 && perr[0]) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "placement: %s", perr);
		return -1;
	}
	return n;
}
