/* qwikvirt: NUMA placement of PMD cores and VNF VMs (vCPUs, emulator threads, memory) on the
 * host topology read by hwloc. README.md in this folder states the rules and why. */
#ifndef QV_PLACEMENT_H
#define QV_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A node that placement chooses (VNF numa: auto) or looks up (NIC node). */
#define QV_PLACE_NUMA_AUTO (-1)

struct qv_topo;

/* The real host, with its PCI devices (so NIC nodes come from hwloc's PCI tree). */
int qv_topo_load_host(struct qv_topo **out, char *err, size_t errlen);

/* An hwloc synthetic description, "numa:2 core:8 pu:2" (nodes get 1 GiB unless given, as in
 * "numa:2(memory=16GiB) core:8 pu:2"). No PCI devices: NIC nodes come from sysfs or are given. */
int qv_topo_load_synthetic(const char *desc, struct qv_topo **out, char *err, size_t errlen);

/* A topology exported by `lstopo FILE.xml` (PCI devices included when the export had them). */
int qv_topo_load_xml(const char *path, struct qv_topo **out, char *err, size_t errlen);

/* NULL or "" or "host": the host; a spec ending in ".xml": that file; else synthetic. What
 * a daemon option such as --topology passes through. */
int qv_topo_load(const char *spec, struct qv_topo **out, char *err, size_t errlen);

void qv_topo_free(struct qv_topo *t);

/* "2 NUMA nodes, 16 cores, 32 CPUs (synthetic: numa:2 core:8 pu:2)". */
/* How many cores (not CPUs) the topology has: callers turn share_core0 on for small hosts. */
size_t qv_topo_n_cores(const struct qv_topo *t);

void qv_topo_summary(const struct qv_topo *t, char *buf, size_t len);

/* A physical NIC or VF port the switch polls or a VNF takes as a hostdev. */
struct qv_place_nic {
	const char *name; /* port name, "uplink0" */
	const char *pci;  /* "0000:81:00.0"; may be NULL when numa is given */
	int numa;         /* node, or QV_PLACE_NUMA_AUTO: hwloc PCI tree, then sysfs, then 0 */
};

struct qv_place_vnf {
	const char *name;         /* VNF instance, "fw1" */
	unsigned vcpus;           /* >= 1 */
	uint64_t memory_mib;      /* >= 1 */
	const char *const *ports; /* names of nics[] whose traffic this VNF handles */
	size_t n_ports;
	int numa; /* node, or QV_PLACE_NUMA_AUTO: the node of its ports */
};

struct qv_place_request {
	const struct qv_place_nic *nics;
	size_t n_nics;
	/* PMD cores: either explicit CPUs (checked against the rules), or a count chosen on the
	 * NICs' nodes. Both empty: no PMD (the switch is placed elsewhere). */
	const unsigned *pmd_cpus;
	size_t n_pmd_cpus;
	unsigned n_pmd;
	const struct qv_place_vnf *vnfs;
	size_t n_vnfs;
	/* When a VNF's node has no free core left, put its vCPUs on core 0, shared with the
	 * control plane and other such VNFs, instead of failing. Only for small hosts and labs
	 * (a 2-CPU machine has nothing else); the explanation says so. */
	bool share_core0;
	/* Root of the sysfs tree for NIC numa_node lookups (tests use a fake tree); NULL: /sys. */
	const char *sysfs_root;
};

struct qv_place_nic_result {
	char *name;
	char *pci; /* NULL when none was given */
	int node;
};

struct qv_place_vnf_result {
	char *name;
	int node; /* vCPUs, emulator and memory (libvirt numatune memory nodeset) */
	unsigned vcpus;
	char **vcpu_cpuset;    /* per vCPU, libvirt cpuset syntax: "18", or "0-1" on core 0 */
	char *emulator_cpuset; /* libvirt emulatorpin cpuset */
	bool on_core0;         /* vCPUs share core 0 (share_core0) */
	uint64_t memory_mib;
	char *explain; /* its line in `lines` */
};

struct qv_placement {
	struct qv_place_nic_result *nics;
	size_t n_nics;
	unsigned *pmd_cpus; /* one CPU (PU OS index) per PMD core, ascending */
	size_t n_pmd;
	char *pmd_list;                   /* "8,24": qv-switchd --pmd-cores; "" when no PMD */
	struct qv_place_vnf_result *vnfs; /* in request order */
	size_t n_vnfs;
	char **lines; /* one explanation per decision, for `qvctl show placement` */
	size_t n_lines;
};

/* Places PMDs and VNFs on t. Returns 0 and *out (free with qv_placement_free), or -1 with
 * err saying what is wrong or short and by how much; all shortages at once, "; "-separated.
 * Deterministic: the same topology and request give the same placement. */
int qv_place(const struct qv_topo *t, const struct qv_place_request *rq, struct qv_placement **out,
             char *err, size_t errlen);

void qv_placement_free(struct qv_placement *p);

#endif
