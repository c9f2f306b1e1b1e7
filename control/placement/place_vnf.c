/* qwikvirt: VNFs on the node of their ports: vCPUs on whole cores there (no PMD's, no other
 * VNF's), emulator threads on a housekeeping core, memory on the same node. */
#include "control/placement/place_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY_LEN 1024

/* CPUs per core on `node`: nodes are taken as uniform (a hybrid node errs on its first core). */
static unsigned node_tpc(const struct qv_topo *t, int node)
{
	for (size_t i = 0; i < t->n_cores; i++)
		if (t->cores[i].node == node)
			return t->cores[i].n_cpus;
	return 1;
}

static unsigned cores_for(const struct qv_topo *t, int node, unsigned vcpus)
{
	unsigned tpc = node_tpc(t, node);

	return (vcpus + tpc - 1) / tpc;
}

/* "uplink0 (0000:81:00.0)" for port j of VNF v, appended to buf. */
static void port_text(const struct qv_place_ctx *c, const struct qv_place_vnf *v, size_t j,
                      char *buf, size_t len)
{
	const struct qv_place_nic_result *n = &c->p->nics[qv_place_nic_index(c, v->ports[j])];
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s%s%s%s", used ? ", " : "", n->name,
	         n->pci ? " (" : "", n->pci ? n->pci : "", n->pci ? ")" : "");
}

/* Node of VNF i from its numa setting or its ports; -2 when it has neither (chosen later). */
static int node_of(struct qv_place_ctx *c, size_t i, char *why)
{
	const struct qv_place_vnf *v = &c->rq->vnfs[i];
	const struct qv_topo *t = c->t;
	unsigned best = 0, on_best = 0;
	int node = -1;
	char ports[512] = "", away[512] = "";

	for (size_t n = 0; n < t->n_nodes; n++) {
		unsigned k = 0;

		for (size_t j = 0; j < v->n_ports; j++)
			k += c->p->nics[qv_place_nic_index(c, v->ports[j])].node == t->nodes[n].os;
		if (k > best) {
			best = k;
			node = t->nodes[n].os;
		}
	}
	if (v->numa != QV_PLACE_NUMA_AUTO)
		node = v->numa;
	for (size_t j = 0; j < v->n_ports; j++) {
		bool here = c->p->nics[qv_place_nic_index(c, v->ports[j])].node == node;

		port_text(c, v, j, here ? ports : away, sizeof(ports));
		on_best += here;
	}
	if (v->numa != QV_PLACE_NUMA_AUTO) {
		if (qv_topo_node_pos(t, node) < 0) {
			qv_place_err(c,
			             "VNF %s: numa %d does not exist: the host has %zu node%s "
			             "(%d to %d); fix its numa or use auto",
			             v->name, node, t->n_nodes, t->n_nodes == 1 ? "" : "s",
			             t->nodes[0].os, t->nodes[t->n_nodes - 1].os);
			return -1;
		}
		if (away[0] == '\0')
			snprintf(why, WHY_LEN, "as its numa setting says");
		else
			snprintf(
			    why, WHY_LEN,
			    "as its numa setting says; its port%s %s %s on another node: traffic "
			    "crosses nodes",
			    v->n_ports - on_best > 1 ? "s" : "", away,
			    v->n_ports - on_best > 1 ? "are" : "is");
	} else if (v->n_ports == 0) {
		return -2;
	} else if (on_best == v->n_ports) {
		snprintf(why, WHY_LEN, "because its port%s %s %s on node %d",
		         v->n_ports > 1 ? "s" : "", ports, v->n_ports > 1 ? "are" : "is", node);
	} else {
		snprintf(why, WHY_LEN,
		         "because most of its ports are on node %d: %s; %s cross%s nodes", node,
		         ports, away, v->n_ports - on_best > 1 ? "" : "es");
	}
	return node;
}

/* Free cores left for vCPUs on a node, after what VNFs already placed there need. */
static long room(const struct qv_place_ctx *c, int node)
{
	long r = qv_place_count(c, node, QV_USE_FREE);

	if (c->t->cores[c->t->core0].node != node)
		r--; /* the emulator core such a node reserves */
	for (size_t i = 0; i < c->rq->n_vnfs; i++)
		if (c->vnf_node[i] == node)
			r -= cores_for(c->t, node, c->rq->vnfs[i].vcpus);
	return r;
}

static void choose_nodes(struct qv_place_ctx *c, char (*why)[WHY_LEN])
{
	const struct qv_topo *t = c->t;

	for (size_t i = 0; i < c->rq->n_vnfs; i++)
		c->vnf_node[i] = node_of(c, i, why[i]);
	/* Port-less VNFs last, so they fill what the others leave; most room, lowest node. */
	for (size_t i = 0; i < c->rq->n_vnfs; i++) {
		long best = 0;
		int node = t->nodes[0].os;

		if (c->vnf_node[i] != -2)
			continue;
		for (size_t n = 0; n < t->n_nodes; n++) {
			long r = room(c, t->nodes[n].os);

			if (n == 0 || r > best) {
				best = r;
				node = t->nodes[n].os;
			}
		}
		c->vnf_node[i] = node;
		snprintf(why[i], WHY_LEN, "it uses no NIC: the node with the most free cores");
	}
}

/* The node's own housekeeping for emulator threads, and how much is left for vCPUs. */
enum emu_mode { EMU_CORE0, EMU_RESERVED, EMU_OWN };

static void short_error(struct qv_place_ctx *c, int node, unsigned free_, unsigned need,
                        const char *who, bool core0)
{
	unsigned pmd = qv_place_count(c, node, QV_USE_PMD);
	unsigned total = free_ + pmd + (core0 ? 1 : 0);

	qv_place_err(c,
	             "node %d has %u free core%s for vCPUs (of %u: %u PMD%s), VNFs placed there "
	             "need %u (%s): %u short; move a VNF to another node (numa), give VNFs fewer "
	             "vCPUs or use fewer PMD cores%s",
	             node, free_, free_ == 1 ? "" : "s", total, pmd,
	             core0 ? ", core 0 for the control plane" : "", need, who, need - free_,
	             core0 ? ", or let vCPUs share core 0 (share_core0)" : "");
}

static void memory_check(struct qv_place_ctx *c, int node, const char *who, uint64_t need)
{
	uint64_t have = c->t->nodes[qv_topo_node_pos(c->t, node)].mem_bytes >> 20;

	if (have == 0)
		qv_place_line(c,
		              "node %d: hwloc does not know its memory size: %" PRIu64 " MiB for "
		              "VNFs not checked",
		              node, need);
	else if (need > have)
		qv_place_err(c,
		             "node %d has %" PRIu64
		             " MiB of memory, VNFs placed there need %" PRIu64 " MiB (%s): %" PRIu64
		             " MiB short; move a VNF to another node "
		             "(numa) or give VNFs less memory",
		             node, have, need, who, need - have);
}

/* Takes the cores for VNF i (lowest free first) into `cores`; false when too few are left. */
static bool take_vcpu_cores(struct qv_place_ctx *c, size_t i, hwloc_bitmap_t cpus,
                            hwloc_bitmap_t cores)
{
	const struct qv_topo *t = c->t;
	unsigned want = c->rq->vnfs[i].vcpus;
	size_t taken[1024], n = 0;

	for (size_t k = 0; k < t->n_cores && hwloc_bitmap_weight(cpus) < (int)want; k++) {
		if (t->cores[k].node != c->vnf_node[i] || c->use[k] != QV_USE_FREE || n == 1024)
			continue;
		taken[n++] = k;
		c->use[k] = QV_USE_VCPU;
		hwloc_bitmap_or(cpus, cpus, t->cores[k].cpus);
		hwloc_bitmap_set(cores, t->cores[k].idx);
	}
	if (hwloc_bitmap_weight(cpus) >= (int)want)
		return true;
	while (n > 0) /* give back: the VNF goes elsewhere or the node is short */
		c->use[taken[--n]] = QV_USE_FREE;
	hwloc_bitmap_zero(cpus);
	hwloc_bitmap_zero(cores);
	return false;
}

/* Fills the result of VNF i: vCPU k on the k-th CPU of its cores, core by core. */
static int fill(struct qv_place_ctx *c, size_t i, hwloc_const_bitmap_t cpus, bool on_core0,
                hwloc_const_bitmap_t emu)
{
	const struct qv_place_vnf *v = &c->rq->vnfs[i];
	struct qv_place_vnf_result *r = &c->p->vnfs[i];
	const struct qv_topo *t = c->t;
	unsigned k = 0;

	r->node = c->vnf_node[i];
	r->vcpus = v->vcpus;
	r->memory_mib = v->memory_mib;
	r->on_core0 = on_core0;
	r->vcpu_cpuset = calloc(v->vcpus, sizeof(char *));
	r->emulator_cpuset = qv_place_list(emu);
	if (r->vcpu_cpuset == NULL || r->emulator_cpuset == NULL)
		return -1;
	if (on_core0) { /* every vCPU floats over all of core 0 */
		for (k = 0; k < v->vcpus; k++)
			if ((r->vcpu_cpuset[k] = qv_place_list(cpus)) == NULL)
				return -1;
		return 0;
	}
	for (size_t n = 0; n < t->n_cores && k < v->vcpus; n++) {
		hwloc_const_bitmap_t cc = t->cores[n].cpus;

		for (int cpu = hwloc_bitmap_first(cc); cpu >= 0 && k < v->vcpus;
		     cpu = hwloc_bitmap_next(cc, cpu)) {
			if (!hwloc_bitmap_isset(cpus, (unsigned)cpu))
				continue;
			if (asprintf(&r->vcpu_cpuset[k], "%d", cpu) < 0) {
				r->vcpu_cpuset[k] = NULL;
				return -1;
			}
			k++;
		}
	}
	return 0;
}

static const char *plural(const char *list)
{
	return strpbrk(list, ",-") ? "s" : "";
}

/* The explanation of VNF i, kept in its result and listed in request order at the end. */
static int explain(struct qv_place_ctx *c, size_t i, const char *why, hwloc_const_bitmap_t cores,
                   enum emu_mode mode, hwloc_const_bitmap_t emu)
{
	struct qv_place_vnf_result *r = &c->p->vnfs[i];
	const struct qv_core *c0 = &c->t->cores[c->t->core0];
	hwloc_bitmap_t ecores = hwloc_bitmap_alloc();
	char *cl = qv_place_list(cores), *el = NULL, vl[256] = "", vc[512], em[256];
	int n;

	for (size_t k = 0; ecores != NULL && k < c->t->n_cores; k++)
		if (hwloc_bitmap_isincluded(c->t->cores[k].cpus, emu))
			hwloc_bitmap_set(ecores, c->t->cores[k].idx);
	el = ecores ? qv_place_list(ecores) : NULL;
	hwloc_bitmap_free(ecores);
	if (cl == NULL || el == NULL) {
		free(cl);
		free(el);
		return -1;
	}
	for (unsigned k = 0; k < r->vcpus && strlen(vl) + 16 < sizeof(vl); k++)
		snprintf(vl + strlen(vl), sizeof(vl) - strlen(vl), "%s%s", k ? "," : "",
		         r->vcpu_cpuset[k]);
	if (r->on_core0)
		snprintf(vc, sizeof(vc),
		         "%u vCPU%s share%s core %u (CPU%s %s) with the control plane: "
		         "node %d has no free core left (share_core0)",
		         r->vcpus, r->vcpus > 1 ? "s" : "", r->vcpus > 1 ? "" : "s", c0->idx,
		         plural(r->vcpu_cpuset[0]), r->vcpu_cpuset[0], r->node);
	else
		snprintf(vc, sizeof(vc), "%u vCPU%s on core%s %s (CPU%s %s)", r->vcpus,
		         r->vcpus > 1 ? "s" : "", plural(cl), cl, plural(vl), vl);
	if (mode == EMU_CORE0)
		snprintf(em, sizeof(em), "emulator on core %s (CPU%s %s) with the control plane",
		         el, plural(r->emulator_cpuset), r->emulator_cpuset);
	else if (mode == EMU_RESERVED)
		snprintf(em, sizeof(em), "emulator on core %s (CPU%s %s), node %d's emulator core",
		         el, plural(r->emulator_cpuset), r->emulator_cpuset, r->node);
	else
		snprintf(em, sizeof(em),
		         "emulator on its vCPU CPU%s %s: node %d has no core to "
		         "spare for emulator threads",
		         plural(r->emulator_cpuset), r->emulator_cpuset, r->node);
	n = asprintf(&r->explain, "%s: node %d, %s; %s; %s; %" PRIu64 " MiB of memory on node %d",
	             r->name, r->node, why, vc, em, r->memory_mib, r->node);
	free(cl);
	free(el);
	if (n < 0)
		r->explain = NULL;
	return n < 0 ? -1 : 0;
}

/* Highest free core of `node` (the low ones go to PMDs and vCPUs), or -1. */
static int last_free(const struct qv_place_ctx *c, int node)
{
	for (size_t k = c->t->n_cores; k-- > 0;)
		if (c->t->cores[k].node == node && c->use[k] == QV_USE_FREE)
			return (int)k;
	return -1;
}

static void append(char *buf, size_t len, const char *name, uint64_t v)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s %" PRIu64, used ? ", " : "", name, v);
}

static int place_node(struct qv_place_ctx *c, int node, char (*why)[WHY_LEN], hwloc_bitmap_t cpus,
                      hwloc_bitmap_t cores, hwloc_bitmap_t emu)
{
	const struct qv_topo *t = c->t;
	const struct qv_core *c0 = &t->cores[t->core0];
	bool core0 = c0->node == node, share = core0 && c->rq->share_core0;
	unsigned free_ = qv_place_count(c, node, QV_USE_FREE), need = 0;
	uint64_t mem = 0;
	char who[512] = "", whomem[512] = "";
	enum emu_mode mode = core0 ? EMU_CORE0 : EMU_OWN;
	int ek = -1;

	for (size_t i = 0; i < c->rq->n_vnfs; i++) {
		const struct qv_place_vnf *v = &c->rq->vnfs[i];

		if (c->vnf_node[i] != node)
			continue;
		need += cores_for(t, node, v->vcpus);
		mem += v->memory_mib;
		append(who, sizeof(who), v->name, cores_for(t, node, v->vcpus));
		append(whomem, sizeof(whomem), v->name, v->memory_mib);
	}
	if (who[0] == '\0')
		return 0;
	memory_check(c, node, whomem, mem);
	if (need > free_ && !share) {
		short_error(c, node, free_, need, who, core0);
		return 0;
	}
	/* A node without core 0 keeps its last free core for emulator threads, unless the
	 * vCPUs need it: then emulators run on their own VNF's vCPU cores. */
	if (!core0 && need < free_) {
		ek = last_free(c, node);
		c->use[ek] = QV_USE_EMU;
		mode = EMU_RESERVED;
	}
	for (size_t i = 0; i < c->rq->n_vnfs; i++) {
		bool on0 = false;

		if (c->vnf_node[i] != node)
			continue;
		hwloc_bitmap_zero(cores);
		if (!take_vcpu_cores(c, i, cpus, cores)) {
			if (!share) { /* a node with cores of unequal size: the estimate was short
				       */
				short_error(c, node, free_, need, who, core0);
				return 0;
			}
			on0 = true;
			hwloc_bitmap_copy(cpus, c0->cpus);
			hwloc_bitmap_only(cores, c0->idx);
		}
		hwloc_bitmap_copy(emu, mode == EMU_CORE0      ? c0->cpus
		                       : mode == EMU_RESERVED ? t->cores[ek].cpus
		                                              : cpus);
		if (fill(c, i, cpus, on0, emu) < 0 || explain(c, i, why[i], cores, mode, emu) < 0)
			return -1;
		hwloc_bitmap_zero(cpus);
	}
	return 0;
}

int qv_place_vnfs(struct qv_place_ctx *c)
{
	char(*why)[WHY_LEN] = calloc(c->rq->n_vnfs + 1, WHY_LEN);
	hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), cores = hwloc_bitmap_alloc();
	hwloc_bitmap_t emu = hwloc_bitmap_alloc();
	int rc = 0;

	if (why == NULL || cpus == NULL || cores == NULL || emu == NULL)
		rc = -1;
	if (rc == 0)
		choose_nodes(c, why);
	for (size_t n = 0; rc == 0 && n < c->t->n_nodes; n++)
		rc = place_node(c, c->t->nodes[n].os, why, cpus, cores, emu);
	for (size_t i = 0; rc == 0 && c->n_err == 0 && i < c->rq->n_vnfs; i++)
		qv_place_line(c, "%s", c->p->vnfs[i].explain);
	free(why);
	hwloc_bitmap_free(cpus);
	hwloc_bitmap_free(cores);
	hwloc_bitmap_free(emu);
	if (rc < 0)
		c->oom = true;
	return rc;
}
