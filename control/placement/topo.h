/* qwikvirt: placement's flat view of an hwloc topology: cores with their node and CPUs, nodes
 * with their memory. Internal to control/placement. */
#ifndef QV_PLACEMENT_TOPO_H
#define QV_PLACEMENT_TOPO_H

#include <hwloc.h>
#include <stdint.h>

struct qv_core {
	unsigned idx;        /* hwloc logical index: "core N" in explanations */
	int node;            /* OS index of its NUMA node */
	hwloc_bitmap_t cpus; /* PU OS indexes: what libvirt and qv-switchd take */
	unsigned first_cpu;
	unsigned n_cpus;
};

struct qv_node {
	int os;             /* OS index: numatune nodeset, sysfs numa_node */
	uint64_t mem_bytes; /* 0 when hwloc does not know */
};

struct qv_topo {
	hwloc_topology_t h;
	char *source;          /* "host", "synthetic numa:2 core:8 pu:2", "XML /path" */
	struct qv_core *cores; /* by logical index */
	size_t n_cores;
	struct qv_node *nodes; /* by OS index, ascending */
	size_t n_nodes;
	size_t core0; /* the core holding CPU 0: the control plane's */
};

/* Position of node `os` in t->nodes, or -1 when the topology has no such node. */
int qv_topo_node_pos(const struct qv_topo *t, int os);

/* Position of the core holding CPU `cpu` in t->cores, or -1. */
int qv_topo_cpu_core(const struct qv_topo *t, unsigned cpu);

#endif
