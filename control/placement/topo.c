/* qwikvirt: loads the host, synthetic or XML topology through hwloc and flattens it into
 * cores and nodes (topo.h), the only shapes placement reasons about. */
#include "control/placement/placement.h"
#include "control/placement/topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int node_cmp(const void *a, const void *b)
{
	const struct qv_node *x = a, *y = b;

	return (x->os > y->os) - (x->os < y->os);
}

/* The node whose CPUs hold the core's; hwloc 2 hangs NUMA nodes beside cores, not above. */
static int core_node(const struct qv_topo *t, hwloc_const_bitmap_t cpus)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		hwloc_obj_t n = hwloc_get_numanode_obj_by_os_index(t->h, (unsigned)t->nodes[i].os);

		if (n != NULL && hwloc_bitmap_isincluded(cpus, n->cpuset))
			return t->nodes[i].os;
	}
	return t->nodes[0].os;
}

static int flatten(struct qv_topo *t, char *err, size_t errlen)
{
	int nn = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_NUMANODE);
	hwloc_obj_type_t ct = HWLOC_OBJ_CORE;
	int nc = hwloc_get_nbobjs_by_type(t->h, ct);

	if (nc <= 0) { /* some hypervisors report bare PUs: each is then its own core */
		ct = HWLOC_OBJ_PU;
		nc = hwloc_get_nbobjs_by_type(t->h, ct);
	}
	if (nn <= 0 || nc <= 0) {
		snprintf(err, errlen, "topology %s has no %s: cannot place anything on it",
		         t->source, nn <= 0 ? "NUMA node" : "CPU");
		return -1;
	}
	t->nodes = calloc((size_t)nn, sizeof(*t->nodes));
	t->cores = calloc((size_t)nc, sizeof(*t->cores));
	if (t->nodes == NULL || t->cores == NULL)
		goto oom;
	for (int i = 0; i < nn; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, (unsigned)i);

		t->nodes[i].os = (int)o->os_index;
		t->nodes[i].mem_bytes = o->attr->numanode.local_memory;
	}
	t->n_nodes = (size_t)nn;
	qsort(t->nodes, t->n_nodes, sizeof(*t->nodes), node_cmp);
	t->core0 = 0;
	for (int i = 0; i < nc; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t->h, ct, (unsigned)i);
		struct qv_core *c = &t->cores[i];

		c->cpus = hwloc_bitmap_dup(o->cpuset);
		if (c->cpus == NULL)
			goto oom;
		t->n_cores = (size_t)i + 1;
		c->idx = o->logical_index;
		c->first_cpu = (unsigned)hwloc_bitmap_first(c->cpus);
		c->n_cpus = (unsigned)hwloc_bitmap_weight(c->cpus);
		c->node = core_node(t, c->cpus);
		if (hwloc_bitmap_isset(c->cpus, 0))
			t->core0 = (size_t)i;
	}
	return 0;
oom:
	snprintf(err, errlen, "topology %s: out of memory", t->source);
	return -1;
}

/* Shared by the three sources: `set` points hwloc at the source before loading. */
static int load(const char *what, const char *arg, int (*set)(hwloc_topology_t h, const char *arg),
                struct qv_topo **out, char *err, size_t errlen)
{
	struct qv_topo *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL || asprintf(&t->source, "%s%s%s", what, arg ? " " : "", arg ? arg : "") < 0) {
		free(t);
		snprintf(err, errlen, "topology %s: out of memory", what);
		return -1;
	}
	if (hwloc_topology_init(&t->h) < 0) {
		snprintf(err, errlen, "topology %s: hwloc_topology_init: %s", t->source,
		         strerror(errno));
		t->h = NULL;
		goto fail;
	}
	/* PCI objects are how hwloc tells a NIC's node; XML sources keep theirs only when asked. */
	hwloc_topology_set_io_types_filter(t->h, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	if (set != NULL && set(t->h, arg) < 0) {
		snprintf(err, errlen, "topology %s: hwloc refuses it (%s)%s", t->source,
		         strerror(errno),
		         what[0] == 'X' ? ": export one with `lstopo FILE.xml`"
		                        : ": write levels as \"numa:2 core:8 pu:2\"");
		goto fail;
	}
	if (hwloc_topology_load(t->h) < 0) {
		snprintf(err, errlen, "topology %s: hwloc cannot load it: %s", t->source,
		         strerror(errno));
		goto fail;
	}
	if (flatten(t, err, errlen) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	qv_topo_free(t);
	return -1;
}

int qv_topo_load_host(struct qv_topo **out, char *err, size_t errlen)
{
	return load("host", NULL, NULL, out, err, errlen);
}

int qv_topo_load_synthetic(const char *desc, struct qv_topo **out, char *err, size_t errlen)
{
	return load("synthetic", desc, hwloc_topology_set_synthetic, out, err, errlen);
}

int qv_topo_load_xml(const char *path, struct qv_topo **out, char *err, size_t errlen)
{
	return load("XML", path, hwloc_topology_set_xml, out, err, errlen);
}

int qv_topo_load(const char *spec, struct qv_topo **out, char *err, size_t errlen)
{
	size_t n = spec ? strlen(spec) : 0;

	if (n == 0 || strcmp(spec, "host") == 0)
		return qv_topo_load_host(out, err, errlen);
	if (n > 4 && strcmp(spec + n - 4, ".xml") == 0)
		return qv_topo_load_xml(spec, out, err, errlen);
	return qv_topo_load_synthetic(spec, out, err, errlen);
}

void qv_topo_free(struct qv_topo *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_cores; i++)
		hwloc_bitmap_free(t->cores[i].cpus);
	free(t->cores);
	free(t->nodes);
	if (t->h != NULL)
		hwloc_topology_destroy(t->h);
	free(t->source);
	free(t);
}

void qv_topo_summary(const struct qv_topo *t, char *buf, size_t len)
{
	unsigned cpus = 0;

	for (size_t i = 0; i < t->n_cores; i++)
		cpus += t->cores[i].n_cpus;
	snprintf(buf, len, "%zu NUMA node%s, %zu cores, %u CPUs (%s)", t->n_nodes,
	         t->n_nodes == 1 ? "" : "s", t->n_cores, cpus, t->source);
}

size_t qv_topo_n_cores(const struct qv_topo *t)
{
	return t->n_cores;
}

int qv_topo_node_pos(const struct qv_topo *t, int os)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].os == os)
			return (int)i;
	return -1;
}

int qv_topo_cpu_core(const struct qv_topo *t, unsigned cpu)
{
	for (size_t i = 0; i < t->n_cores; i++)
		if (hwloc_bitmap_isset(t->cores[i].cpus, cpu))
			return (int)i;
	return -1;
}
