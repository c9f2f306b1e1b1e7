/* qwikvirt: NUMA placement (control/placement) on hwloc synthetic and XML topologies: this
 * 1 node x 2 cores machine, 2 nodes x 8 cores x 2 threads, 4 nodes, shortages and the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/placement/placement.h"
#include "control/placement/topo.h"
#include "tests/unit/qv_unit.h"

#ifndef QV_SOURCE_ROOT
#define QV_SOURCE_ROOT "."
#endif

static char err[2048];
static char sysfs[64]; /* fake /sys for numa_node lookups */

static struct qv_topo *topo(const char *spec)
{
	struct qv_topo *t = NULL;

	if (qv_topo_load(spec, &t, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void dump(const struct qv_placement *p)
{
	if (getenv("QV_TEST_VERBOSE") == NULL)
		return;
	for (size_t i = 0; i < p->n_lines; i++)
		printf("  %s\n", p->lines[i]);
}

static bool has(const char *s, const char *needle)
{
	if (strstr(s, needle) != NULL)
		return true;
	fprintf(stderr, "\nexpected \"%s\" in:\n  %s\n", needle, s);
	return false;
}

/* Core (in t) of each CPU in a libvirt cpuset string. */
static hwloc_bitmap_t cpus_of(const char *list)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();

	CU_ASSERT_FATAL(hwloc_bitmap_list_sscanf(b, list) == 0);
	return b;
}

/* The rules DESIGN.md states, checked on any placement: no PMD on core 0, no vCPU or
 * emulator on a PMD's core (siblings included), no two VNFs on one core unless both share
 * core 0, vCPUs on the VNF's node. */
static void check_rules(const struct qv_topo *t, const struct qv_placement *p)
{
	hwloc_bitmap_t pmd = hwloc_bitmap_alloc(), seen = hwloc_bitmap_alloc();

	for (size_t i = 0; i < p->n_pmd; i++) {
		int k = qv_topo_cpu_core(t, p->pmd_cpus[i]);

		CU_ASSERT(k >= 0 && (size_t)k != t->core0);
		hwloc_bitmap_or(pmd, pmd, t->cores[k].cpus);
	}
	for (size_t i = 0; i < p->n_vnfs; i++) {
		const struct qv_place_vnf_result *v = &p->vnfs[i];
		hwloc_bitmap_t mine = hwloc_bitmap_alloc(), e = cpus_of(v->emulator_cpuset);

		CU_ASSERT(!hwloc_bitmap_intersects(e, pmd));
		for (unsigned j = 0; j < v->vcpus; j++) {
			hwloc_bitmap_t b = cpus_of(v->vcpu_cpuset[j]);
			int k = qv_topo_cpu_core(t, (unsigned)hwloc_bitmap_first(b));

			CU_ASSERT(!hwloc_bitmap_intersects(b, pmd));
			CU_ASSERT(t->cores[k].node == v->node);
			CU_ASSERT(v->on_core0 == ((size_t)k == t->core0));
			hwloc_bitmap_or(mine, mine, t->cores[k].cpus);
			hwloc_bitmap_free(b);
		}
		if (!v->on_core0) {
			CU_ASSERT(!hwloc_bitmap_intersects(mine, seen));
			hwloc_bitmap_or(seen, seen, mine);
		}
		hwloc_bitmap_free(mine);
		hwloc_bitmap_free(e);
	}
	hwloc_bitmap_free(pmd);
	hwloc_bitmap_free(seen);
}

static struct qv_placement *place(const struct qv_topo *t, const struct qv_place_request *rq)
{
	struct qv_placement *p = NULL;

	if (qv_place(t, rq, &p, err, sizeof(err)) < 0)
		fprintf(stderr, "\nunexpected error: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	dump(p);
	check_rules(t, p);
	return p;
}

static int place_fails(const struct qv_topo *t, const struct qv_place_request *rq)
{
	struct qv_placement *p = NULL;
	int rc = qv_place(t, rq, &p, err, sizeof(err));

	CU_ASSERT_PTR_NULL(p);
	qv_placement_free(p);
	if (getenv("QV_TEST_VERBOSE"))
		printf("  error: %s\n", err);
	return rc;
}

static const char *const up0[] = {"uplink0"}, *const up1[] = {"uplink1"};
static const char *const both[] = {"uplink0", "uplink1", "uplink2"};

/* This machine: 1 node, 2 cores, no threads. The PMD takes core 1; VNFs can only share core 0
 * with the control plane, which share_core0 allows (the system tests run two VNFs here). */
static void test_one_node_two_cores(void)
{
	struct qv_topo *t = topo("numa:1 core:2 pu:1");
	struct qv_place_nic nic = {"uplink0", "0000:03:00.0", QV_PLACE_NUMA_AUTO};
	struct qv_place_vnf vnfs[] = {{"fw1", 1, 512, up0, 1, QV_PLACE_NUMA_AUTO},
	                              {"fw2", 2, 256, NULL, 0, QV_PLACE_NUMA_AUTO}};
	struct qv_place_request rq = {.nics = &nic,
	                              .n_nics = 1,
	                              .n_pmd = 1,
	                              .vnfs = vnfs,
	                              .n_vnfs = 2,
	                              .share_core0 = true,
	                              .sysfs_root = sysfs};
	struct qv_placement *p = place(t, &rq);

	CU_ASSERT_EQUAL(p->n_pmd, 1);
	CU_ASSERT_EQUAL(p->pmd_cpus[0], 1);
	CU_ASSERT_STRING_EQUAL(p->pmd_list, "1");
	CU_ASSERT_EQUAL(p->nics[0].node, 0);
	CU_ASSERT(p->vnfs[0].on_core0 && p->vnfs[1].on_core0);
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[0], "0");
	CU_ASSERT_STRING_EQUAL(p->vnfs[1].vcpu_cpuset[1], "0");
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].emulator_cpuset, "0");
	CU_ASSERT(has(p->vnfs[0].explain,
	              "fw1: node 0, because its port uplink0 (0000:03:00.0) is "
	              "on node 0; 1 vCPU shares core 0 (CPU 0) with the control plane"));
	CU_ASSERT(has(p->vnfs[1].explain, "it uses no NIC"));
	qv_placement_free(p);

	/* Without share_core0 the same request is short of one core per VNF. */
	rq.share_core0 = false;
	rq.n_vnfs = 1;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "node 0 has 0 free cores for vCPUs (of 2: 1 PMD, core 0 for the control "
	                   "plane), VNFs placed there need 1 (fw1 1): 1 short"));
	CU_ASSERT(has(err, "share_core0"));

	/* Core 0 is never a PMD: a second PMD does not fit. */
	rq.share_core0 = true;
	rq.n_pmd = 2;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "PMD cores: 2 wanted, the NICs' node 0 has 1 free core (core 0 is kept "
	                   "for the control plane): 1 short"));
	CU_ASSERT(has(err, "1 short"));
	qv_topo_free(t);
}

/* 2 nodes x 8 cores x 2 threads; uplink0 on node 0 (given), uplink1 on node 1 (from sysfs). */
static void test_two_nodes_threads(void)
{
	struct qv_topo *t = topo("numa:2(memory=16GiB) core:8 pu:2");
	struct qv_place_nic nics[] = {{"uplink0", "0000:03:00.0", 0},
	                              {"uplink1", "0000:81:00.0", QV_PLACE_NUMA_AUTO},
	                              {"uplink2", "0000:81:00.1", 1}};
	struct qv_place_vnf vnfs[] = {{"fw1", 4, 2048, up1, 1, QV_PLACE_NUMA_AUTO},
	                              {"nat0", 3, 1024, up0, 1, QV_PLACE_NUMA_AUTO},
	                              {"mix", 1, 512, both, 3, QV_PLACE_NUMA_AUTO}};
	struct qv_place_request rq = {
	    .nics = nics, .n_nics = 3, .n_pmd = 2, .vnfs = vnfs, .n_vnfs = 3, .sysfs_root = sysfs};
	struct qv_placement *p = place(t, &rq), *again;

	CU_ASSERT_EQUAL(p->nics[1].node, 1);
	CU_ASSERT(has(p->lines[2], "from ") && has(p->lines[2], "/bus/pci/devices/0000:81:00.0/"
	                                                        "numa_node"));
	/* One PMD per NIC node, lowest free core, its sibling left idle. */
	CU_ASSERT_STRING_EQUAL(p->pmd_list, "2,16");
	CU_ASSERT(has(p->lines[5], "PMD on CPU 2 (core 1, node 0): the node of NIC uplink0"));
	CU_ASSERT(has(p->lines[5], "sibling CPU 3 stays idle"));
	/* fw1: 4 vCPUs fill cores 9-10 on node 1 (core 8 is the PMD's); emulator on the last. */
	CU_ASSERT_EQUAL(p->vnfs[0].node, 1);
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[0], "18");
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[3], "21");
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].emulator_cpuset, "30-31");
	CU_ASSERT(has(p->vnfs[0].explain,
	              "fw1: node 1, because its port uplink1 (0000:81:00.0) is "
	              "on node 1; 4 vCPUs on cores 9-10 (CPUs 18,19,20,21); emulator on core 15 "
	              "(CPUs 30-31)"));
	/* nat0 on node 0: emulator with the control plane on core 0. */
	CU_ASSERT_EQUAL(p->vnfs[1].node, 0);
	CU_ASSERT_STRING_EQUAL(p->vnfs[1].vcpu_cpuset[0], "4");
	CU_ASSERT_STRING_EQUAL(p->vnfs[1].emulator_cpuset, "0-1");
	/* mix: 2 of 3 ports on node 1. */
	CU_ASSERT_EQUAL(p->vnfs[2].node, 1);
	CU_ASSERT(has(p->vnfs[2].explain, "most of its ports are on node 1"));
	CU_ASSERT(has(p->vnfs[2].explain, "uplink0 (0000:03:00.0) crosses nodes"));

	/* Deterministic: the same input gives the same lines. */
	again = place(t, &rq);
	CU_ASSERT_EQUAL_FATAL(again->n_lines, p->n_lines);
	for (size_t i = 0; i < p->n_lines; i++)
		CU_ASSERT_STRING_EQUAL(again->lines[i], p->lines[i]);
	qv_placement_free(again);
	qv_placement_free(p);
	qv_topo_free(t);
}

/* A PMD given on a core's second thread: the whole core, first thread included, has no vCPU. */
static void test_sibling_rule(void)
{
	struct qv_topo *t = topo("numa:2 core:8 pu:2");
	struct qv_place_nic nic = {"uplink1", "0000:81:00.0", 1};
	unsigned pmd[] = {19};
	struct qv_place_vnf vnf = {"fw1", 3, 256, up1, 1, QV_PLACE_NUMA_AUTO};
	struct qv_place_request rq = {.nics = &nic,
	                              .n_nics = 1,
	                              .pmd_cpus = pmd,
	                              .n_pmd_cpus = 1,
	                              .vnfs = &vnf,
	                              .n_vnfs = 1,
	                              .sysfs_root = sysfs};
	struct qv_placement *p = place(t, &rq);

	CU_ASSERT_STRING_EQUAL(p->pmd_list, "19");
	CU_ASSERT(has(p->lines[3], "as configured"));
	CU_ASSERT(has(p->lines[3], "sibling CPU 18 stays idle"));
	/* Core 8 (CPUs 16-17) is free, core 9 (18-19) is the PMD's. */
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[0], "16");
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[1], "17");
	CU_ASSERT_STRING_EQUAL(p->vnfs[0].vcpu_cpuset[2], "20");
	qv_placement_free(p);

	/* Core 0 is the control plane's, both threads; unknown CPUs and repeats are refused. */
	pmd[0] = 1;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "PMD CPU 1 is on core 0, kept for the control plane"));
	pmd[0] = 64;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "PMD CPU 64 does not exist on this host (CPUs 0-31)"));
	qv_topo_free(t);
}

/* 4 nodes x 4 cores x 2 threads: NICs on nodes 2 and 3, one VNF pinned by numa, one without
 * ports (goes where most cores are free), one asking for a node that does not exist. */
static void test_four_nodes_explicit_numa(void)
{
	struct qv_topo *t = topo("numa:4(memory=4GiB) core:4 pu:2");
	struct qv_place_nic nics[] = {{"uplink0", "0000:41:00.0", 2}, {"uplink1", NULL, 3}};
	struct qv_place_vnf vnfs[] = {{"a", 2, 1024, up0, 1, QV_PLACE_NUMA_AUTO},
	                              {"b", 2, 1024, up1, 1, 1},
	                              {"c", 4, 1024, NULL, 0, QV_PLACE_NUMA_AUTO}};
	struct qv_place_request rq = {
	    .nics = nics, .n_nics = 2, .n_pmd = 2, .vnfs = vnfs, .n_vnfs = 3, .sysfs_root = sysfs};
	struct qv_placement *p = place(t, &rq);

	CU_ASSERT_STRING_EQUAL(p->pmd_list, "16,24");
	CU_ASSERT_EQUAL(p->vnfs[0].node, 2);
	CU_ASSERT_EQUAL(p->vnfs[1].node, 1);
	CU_ASSERT(has(p->vnfs[1].explain, "as its numa setting says; its port uplink1 is on "
	                                  "another node"));
	/* Node 0 has 3 free cores (core 0 is the control plane's), node 1 has 4 minus b and the
	 * emulator core: c goes to node 0. */
	CU_ASSERT_EQUAL(p->vnfs[2].node, 0);
	CU_ASSERT_STRING_EQUAL(p->vnfs[2].vcpu_cpuset[0], "2");
	qv_placement_free(p);

	vnfs[1].numa = 7;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "VNF b: numa 7 does not exist: the host has 4 nodes (0 to 3)"));
	qv_topo_free(t);
}

/* Shortages: cores and memory, each naming the node, the need and how much is missing. */
static void test_shortages(void)
{
	struct qv_topo *t = topo("numa:2(memory=16GiB) core:8 pu:2");
	struct qv_place_nic nics[] = {{"uplink0", NULL, 0}, {"uplink1", NULL, 1}};
	struct qv_place_vnf vnfs[] = {{"fw1", 8, 8192, up1, 1, QV_PLACE_NUMA_AUTO},
	                              {"fw2", 8, 12288, up1, 1, QV_PLACE_NUMA_AUTO}};
	struct qv_place_request rq = {
	    .nics = nics, .n_nics = 2, .n_pmd = 2, .vnfs = vnfs, .n_vnfs = 2, .sysfs_root = sysfs};

	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "node 1 has 7 free cores for vCPUs (of 8: 1 PMD), VNFs placed there "
	                   "need 8 (fw1 4, fw2 4): 1 short"));
	CU_ASSERT(has(err, "node 1 has 16384 MiB of memory, VNFs placed there need 20480 MiB (fw1 "
	                   "8192, fw2 12288): 4096 MiB short"));
	/* 7 cores needed out of 7: it fits, emulators then run on their own vCPU cores. */
	vnfs[1].vcpus = 6;
	vnfs[1].memory_mib = 1024;
	{
		struct qv_placement *p = place(t, &rq);

		CU_ASSERT_STRING_EQUAL(p->vnfs[1].emulator_cpuset, "26-31");
		CU_ASSERT(has(p->vnfs[1].explain, "node 1 has no core to spare for emulator"));
		qv_placement_free(p);
	}
	qv_topo_free(t);
}

/* NIC nodes from hwloc's PCI tree (an XML export), the host topology, and bad input. */
static void test_xml_host_and_errors(void)
{
	struct qv_topo *t = topo(QV_SOURCE_ROOT "/tests/data/topologies/2pkg-2nic.xml");
	struct qv_place_nic nics[] = {{"uplink0", "0000:03:00.0", QV_PLACE_NUMA_AUTO},
	                              {"uplink1", "0000:81:00.0", QV_PLACE_NUMA_AUTO}};
	const char *const bad[] = {"vhost9"};
	struct qv_place_vnf vnf = {"fw1", 2, 1024, up1, 1, QV_PLACE_NUMA_AUTO};
	struct qv_place_request rq = {
	    .nics = nics, .n_nics = 2, .n_pmd = 2, .vnfs = &vnf, .n_vnfs = 1, .sysfs_root = sysfs};
	struct qv_placement *p = place(t, &rq);

	CU_ASSERT_EQUAL(p->nics[0].node, 0);
	CU_ASSERT_EQUAL(p->nics[1].node, 1);
	CU_ASSERT(has(p->lines[2], "node 1, from hwloc's PCI tree"));
	CU_ASSERT_EQUAL(p->vnfs[0].node, 1);
	qv_placement_free(p);

	vnf.ports = bad;
	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "VNF fw1 uses port vhost9, which is not among the NICs"));
	qv_topo_free(t);

	CU_ASSERT_EQUAL(qv_topo_load("bogus:3", &t, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "topology synthetic bogus:3: hwloc refuses it"));
	CU_ASSERT_EQUAL(qv_topo_load("/nonexistent/t.xml", &t, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "/nonexistent/t.xml"));

	/* The real host: whatever it is, a placement with no VNF and no PMD works. */
	t = topo("host");
	rq.n_nics = 0;
	rq.n_vnfs = 0;
	rq.n_pmd = 0;
	p = place(t, &rq);
	CU_ASSERT(has(p->lines[0], "(host)"));
	qv_placement_free(p);
	qv_topo_free(t);
}

/* A NIC whose sysfs node is not in the topology (a synthetic topology with another host's
 * sysfs) is an error, not a silent node 0. */
static void test_sysfs_node_out_of_topology(void)
{
	struct qv_topo *t = topo("numa:1 core:4 pu:1");
	struct qv_place_nic nic = {"uplink1", "0000:81:00.0", QV_PLACE_NUMA_AUTO};
	struct qv_place_request rq = {.nics = &nic, .n_nics = 1, .n_pmd = 1, .sysfs_root = sysfs};

	CU_ASSERT_EQUAL(place_fails(t, &rq), -1);
	CU_ASSERT(has(err, "NIC uplink1 (0000:81:00.0): node 1 (from "));
	CU_ASSERT(has(err, "is not in the topology (1 node, synthetic numa:1 core:4 pu:1)"));
	qv_topo_free(t);
}

static int make_sysfs(void)
{
	char path[256];
	FILE *f;

	strcpy(sysfs, "/tmp/qv-place-sysfs.XXXXXX");
	if (mkdtemp(sysfs) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/bus", sysfs);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci", sysfs);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:81:00.0", sysfs);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:81:00.0/numa_node", sysfs);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs("1\n", f);
	return fclose(f);
}

static void remove_sysfs(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:81:00.0/numa_node", sysfs);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:81:00.0", sysfs);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/bus/pci", sysfs);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/bus", sysfs);
	rmdir(path);
	rmdir(sysfs);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"1 node x 2 cores (this machine)", test_one_node_two_cores},
	    {"2 nodes x 8 cores x 2 threads", test_two_nodes_threads},
	    {"PMD sibling rule and core 0", test_sibling_rule},
	    {"4 nodes, explicit numa", test_four_nodes_explicit_numa},
	    {"shortages", test_shortages},
	    {"XML with PCI, host, errors", test_xml_host_and_errors},
	    {"sysfs node outside the topology", test_sysfs_node_out_of_topology},
	};
	int rc;

	if (make_sysfs() < 0) {
		perror("test_placement: fake sysfs under /tmp");
		return 1;
	}
	rc = QV_UNIT_RUN("placement", tests);
	remove_sysfs();
	return rc;
}
