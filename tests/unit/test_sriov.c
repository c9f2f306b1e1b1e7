/* qwikvirt: SR-IOV (control/sriov) on a fake sysfs tree built in a temp dir, the test playing
 * the kernel; and VF settings through netlink on devices without SR-IOV (all of them here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/sriov/sriov.h"
#include "tests/unit/qv_unit.h"

#define PF_DIR "devices/pci0000:00/0000:03:00.1"

static char root[64];
static char err[1024];

static bool has(const char *s, const char *needle)
{
	if (strstr(s, needle) != NULL)
		return true;
	fprintf(stderr, "\nexpected \"%s\" in:\n  %s\n", needle, s);
	return false;
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
}

static void link_(const char *target, const char *rel)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
}

/* VF i's device, as a kernel would create it: 0000:03:02.i. */
static void vf_device(unsigned i)
{
	char rel[128], target[256];
	struct stat st;

	snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:03:02.%u", i);
	snprintf(target, sizeof(target), "%s/%s", root, rel);
	if (stat(target, &st) < 0)
		dir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/0000:03:02.%u", i);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/0000:03:02.%u", i);
	link_(target, rel);
}

/* The tree the real layout has: bus/pci/devices/ADDR -> ../../../devices/pci0000:00/ADDR,
 * a PF 0000:03:00.1 (4 VFs possible, 1 present, netdev eth3), and a device without SR-IOV. */
static void make_tree(void)
{
	strcpy(root, "/tmp/qv-sriov-sysfs.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	dir("devices");
	dir("devices/pci0000:00");
	dir(PF_DIR);
	dir(PF_DIR "/net");
	dir(PF_DIR "/net/eth3");
	dir("devices/pci0000:00/0000:00:1f.0");
	dir("bus");
	dir("bus/pci");
	dir("bus/pci/devices");
	put(PF_DIR "/sriov_totalvfs", "4\n");
	put(PF_DIR "/sriov_numvfs", "1\n");
	link_("../../../" PF_DIR, "bus/pci/devices/0000:03:00.1");
	link_("../../../devices/pci0000:00/0000:00:1f.0", "bus/pci/devices/0000:00:1f.0");
	vf_device(0);
	link_("../0000:03:02.0", PF_DIR "/virtfn0");
}

/* Writes seen by the "kernel", and whether it creates the VF links. */
struct kernel {
	unsigned writes[8];
	unsigned n;
	bool broken;
};

static int play_kernel(const struct qv_sriov_pf *pf, unsigned numvfs, void *arg)
{
	struct kernel *k = arg;
	char rel[640], target[64];

	if (k->n < 8)
		k->writes[k->n++] = numvfs;
	for (unsigned i = 0; i < 8; i++) { /* the kernel removes every VF, then adds the new */
		snprintf(rel, sizeof(rel), "%s/virtfn%u", pf->dir, i);
		unlink(rel);
	}
	for (unsigned i = 0; i < numvfs && !k->broken; i++) {
		vf_device(i);
		snprintf(rel, sizeof(rel), PF_DIR "/virtfn%u", i);
		snprintf(target, sizeof(target), "../0000:03:02.%u", i);
		link_(target, rel);
	}
	return 0;
}

static void test_open_and_list(void)
{
	struct qv_sriov_pf pf;
	struct qv_sriov_vf vfs[4];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(qv_sriov_pf_open(root, "03:00.1", &pf, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(pf.pci, "0000:03:00.1");
	CU_ASSERT(has(pf.dir, "/" PF_DIR));
	CU_ASSERT_STRING_EQUAL(pf.netdev, "eth3");
	CU_ASSERT_EQUAL(pf.total_vfs, 4);
	CU_ASSERT_EQUAL(pf.num_vfs, 1);
	CU_ASSERT_EQUAL(qv_sriov_list(&pf, vfs, 4, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(vfs[0].index, 0);
	CU_ASSERT_STRING_EQUAL(vfs[0].pci, "0000:03:02.0");
}

static void test_create(void)
{
	struct kernel k = {0};
	struct qv_sriov_pf pf;
	struct qv_sriov_vf vfs[4];
	char pci[QV_PCI_LEN];
	size_t n;

	CU_ASSERT_EQUAL_FATAL(qv_sriov_pf_open(root, "0000:03:00.1", &pf, err, sizeof(err)), 0);
	pf.hook = play_kernel;
	pf.hook_arg = &k;
	/* 1 -> 3 goes through 0, as the kernel requires. */
	CU_ASSERT_EQUAL_FATAL(qv_sriov_set_numvfs(&pf, 3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.n, 2);
	CU_ASSERT_EQUAL(k.writes[0], 0);
	CU_ASSERT_EQUAL(k.writes[1], 3);
	CU_ASSERT_EQUAL(qv_sriov_list(&pf, vfs, 4, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(vfs[2].pci, "0000:03:02.2");
	CU_ASSERT_EQUAL(qv_sriov_vf_pci(&pf, 1, pci, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(pci, "0000:03:02.1");
	/* Already 3: nothing written. */
	CU_ASSERT_EQUAL(qv_sriov_set_numvfs(&pf, 3, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.n, 2);
	/* The list refuses to overflow the caller's array. */
	CU_ASSERT_EQUAL(qv_sriov_list(&pf, vfs, 2, &n, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.1 has 3 VFs, more than the 2 asked for"));
	/* 0 removes them all, in one write. */
	CU_ASSERT_EQUAL(qv_sriov_set_numvfs(&pf, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.n, 3);
	CU_ASSERT_EQUAL(qv_sriov_list(&pf, vfs, 4, &n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(qv_sriov_vf_pci(&pf, 0, pci, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.1: VF 0 has no link"));
	/* A driver that does not create the VFs is caught. */
	k.broken = true;
	CU_ASSERT_EQUAL(qv_sriov_set_numvfs(&pf, 2, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.1: VF 0 has no link"));
}

/* VF 0 bound to a driver (a VM's vfio-pci): 1 -> 3 would go through 0 and take it away, so it
 * is refused with the reason, nothing written; unbound, the same change goes through. */
static void test_reset_refused_in_use(void)
{
	struct kernel k = {0};
	struct qv_sriov_pf pf;
	char path[320], text[16] = "";
	FILE *f;

	link_("../../../bus/pci/drivers/vfio-pci", "devices/pci0000:00/0000:03:02.0/driver");
	CU_ASSERT_EQUAL_FATAL(qv_sriov_pf_open(root, "0000:03:00.1", &pf, err, sizeof(err)), 0);
	pf.hook = play_kernel;
	pf.hook_arg = &k;
	CU_ASSERT_EQUAL(qv_sriov_set_numvfs(&pf, 3, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.1: going from 1 to 3 VFs means removing all 1 first"));
	CU_ASSERT(has(err, "VF 0 (0000:03:02.0) is in use, bound to vfio-pci"));
	CU_ASSERT_EQUAL(k.n, 0);
	snprintf(path, sizeof(path), "%s/" PF_DIR "/sriov_numvfs", root);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(text, sizeof(text), f));
	fclose(f);
	CU_ASSERT_STRING_EQUAL(text, "1\n");
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:03:02.0/driver", root);
	CU_ASSERT_EQUAL(unlink(path), 0);
}

static void test_bad_counts_and_devices(void)
{
	struct qv_sriov_pf pf;

	CU_ASSERT_EQUAL_FATAL(qv_sriov_pf_open(root, "0000:03:00.1", &pf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(qv_sriov_set_numvfs(&pf, 5, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.1 supports at most 4 VFs (sriov_totalvfs), 5 asked"));

	CU_ASSERT_EQUAL(qv_sriov_pf_open(root, "0000:03:00.7", &pf, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:03:00.7: no such PCI device ("));
	CU_ASSERT(has(err, "No such file or directory); check the address with `lspci -D`"));
	CU_ASSERT_EQUAL(qv_sriov_pf_open(root, "0000:00:1f.0", &pf, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF 0000:00:1f.0: cannot do SR-IOV ("));
	CU_ASSERT_EQUAL(qv_sriov_pf_open(root, "03:00", &pf, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF '03:00': not a PCI address"));
	CU_ASSERT_EQUAL(qv_sriov_pf_open(root, "0000:03:00.1x", &pf, err, sizeof(err)), -1);
}

/* No device here does SR-IOV: the kernel's refusal comes back naming the PF, VF and setting. */
static void test_netlink_errors(void)
{
	struct qv_sriov_vf_config c = {.set_mac = true,
	                               .mac = {2, 0, 0, 0, 0, 1},
	                               .vlan = QV_VF_KEEP,
	                               .qos = QV_VF_KEEP,
	                               .spoofchk = QV_VF_KEEP,
	                               .trust = QV_VF_KEEP};

	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", "0000:00:03.0", 0, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF lo (0000:00:03.0) VF 0: setting MAC 02:00:00:00:00:01 failed: "));
	if (geteuid() == 0)
		CU_ASSERT(has(err, "Operation not supported (errno 95); the PF's driver cannot"));
	c.set_mac = false;
	c.vlan = 100;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 2, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF lo VF 2: setting VLAN 100 qos 0 failed: "));
	c.vlan = QV_VF_KEEP;
	c.spoofchk = 0;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 0, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "setting spoof check off failed: "));
	c.spoofchk = QV_VF_KEEP;
	c.trust = 1;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 0, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "setting trust on failed: "));

	CU_ASSERT_EQUAL(qv_sriov_vf_configure("qvnosuch0", "0000:03:00.1", 1, &c, err, sizeof(err)),
	                -1);
	CU_ASSERT(has(err, "PF qvnosuch0 (0000:03:00.1): no network device named 'qvnosuch0' (No "
	                   "such device); the PF must be on its kernel driver"));
	c.trust = QV_VF_KEEP;
	c.set_mac = true;
	c.mac[0] = 1;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 0, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "PF lo VF 0: MAC is a multicast address"));
	c.set_mac = false;
	c.vlan = 4095;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 0, &c, err, sizeof(err)), -1);
	CU_ASSERT(has(err, "vlan must be 0 (none) to 4094"));
	/* Nothing asked: nothing sent, even on a device without SR-IOV. */
	c.vlan = QV_VF_KEEP;
	CU_ASSERT_EQUAL(qv_sriov_vf_configure("lo", NULL, 0, &c, err, sizeof(err)), 0);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"fake tree", make_tree},
	    {"no reset through 0 while a VF is in use", test_reset_refused_in_use},
	    {"open PF, list VFs", test_open_and_list},
	    {"create VFs (0 first), remove", test_create},
	    {"bad counts, missing PF", test_bad_counts_and_devices},
	    {"netlink errors", test_netlink_errors},
	};
	int rc;
	char cmd[128];

	rc = QV_UNIT_RUN("sriov", tests);
	/* The tree is ours alone, under a name mkdtemp made. */
	if (root[0] != '\0' && strncmp(root, "/tmp/qv-sriov-sysfs.", 20) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "test_sriov: could not remove %s\n", root);
	}
	return rc;
}
