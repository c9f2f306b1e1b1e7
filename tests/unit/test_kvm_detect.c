/* qwikvirt: qv-controld's KVM probe (control/controld/kvm_detect.c) on fake module trees and
 * cpuinfo files built in a temp dir, on devices that are not KVM, and on this host's own. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/controld/kvm_detect.h"
#include "tests/unit/qv_unit.h"

static char root[64];
static char why[1024];

static bool has(const char *s, const char *needle)
{
	if (strstr(s, needle) != NULL)
		return true;
	fprintf(stderr, "\nexpected \"%s\" in:\n  %s\n", needle, s);
	return false;
}

static const char *path(const char *rel)
{
	static char p[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", root, rel);
	return p[k];
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(path(rel), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* A fresh tree: ROOT/sys/module with the given modules, ROOT/cpuinfo with the given flags. */
static void host(const char *modules, const char *flags)
{
	char cmd[256], line[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/sys && mkdir -p %s/sys/module", root, root);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	for (const char *m = modules; *m;) {
		size_t n = strcspn(m, " ");
		snprintf(cmd, sizeof(cmd), "sys/module/%.*s", (int)n, m);
		CU_ASSERT_EQUAL_FATAL(mkdir(path(cmd), 0755), 0);
		m += n + (m[n] == ' ');
	}
	snprintf(line, sizeof(line),
	         "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu pae %s sse4_2\n\n"
	         "processor\t: 1\nflags\t\t: fpu pae %s sse4_2\n",
	         flags, flags);
	put("cpuinfo", line);
}

static void test_intel_vmx_is_usable_host(void)
{
	host("kvm kvm_intel", "vmx");
	CU_ASSERT_TRUE(qv_kvm_host_virtualises(path("sys"), path("cpuinfo"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "kvm_intel, vmx"));
	host("kvm kvm_amd", "svm");
	CU_ASSERT_TRUE(qv_kvm_host_virtualises(path("sys"), path("cpuinfo"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "kvm_amd, svm"));
}

static void test_pvm_is_unusable_even_with_flags(void)
{
	host("kvm kvm_pvm", "");
	CU_ASSERT_FALSE(qv_kvm_host_virtualises(path("sys"), path("cpuinfo"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "PVM (module kvm_pvm)"));
	CU_ASSERT_TRUE(has(why, "stock kernels"));
	/* a PVM host may still pass vmx through to its own guests: PVM decides */
	host("kvm kvm_pvm kvm_intel", "vmx");
	CU_ASSERT_FALSE(qv_kvm_host_virtualises(path("sys"), path("cpuinfo"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "kvm_pvm"));
}

static void test_no_virt_flag_is_unusable(void)
{
	host("kvm", "vmxnot svmx");
	CU_ASSERT_FALSE(qv_kvm_host_virtualises(path("sys"), path("cpuinfo"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "no vmx or svm flag"));
	CU_ASSERT_TRUE(has(why, path("cpuinfo")));
	/* no cpuinfo at all: no evidence of hardware virtualisation either */
	CU_ASSERT_FALSE(qv_kvm_host_virtualises(path("sys"), path("missing"), why, sizeof(why)));
}

static void test_devices_that_are_not_kvm(void)
{
	CU_ASSERT_FALSE(qv_kvm_device_works(path("nokvm"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "cannot open"));
	CU_ASSERT_TRUE(has(why, "No such file"));
	put("regular", "");
	CU_ASSERT_FALSE(qv_kvm_device_works(path("regular"), why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "is not a character device"));
	CU_ASSERT_FALSE(qv_kvm_device_works("/dev/null", why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "/dev/null does not answer as KVM"));
}

/* The seam qv-controld's tests use: $QV_KVM_DEVICE names the device when the probe does not. */
static void test_env_names_the_device(void)
{
	host("kvm kvm_intel", "vmx");
	setenv("QV_KVM_DEVICE", path("nokvm"), 1);
	CU_ASSERT_FALSE(qv_kvm_usable(
	    &(struct qv_kvm_probe){.sysfs_root = path("sys"), .cpuinfo = path("cpuinfo")}, why,
	    sizeof(why)));
	CU_ASSERT_TRUE(has(why, path("nokvm")));
	unsetenv("QV_KVM_DEVICE");
	CU_ASSERT_FALSE(qv_kvm_usable(&(struct qv_kvm_probe){.dev = "/dev/null",
	                                                     .sysfs_root = path("sys"),
	                                                     .cpuinfo = path("cpuinfo")},
	                              why, sizeof(why)));
	CU_ASSERT_TRUE(has(why, "/dev/null"));
}

/* This host: a /dev/kvm backed by kvm_pvm opens and answers as KVM, yet must be refused. */
static void test_this_host(void)
{
	struct stat st;
	bool usable = qv_kvm_usable(NULL, why, sizeof(why));

	fprintf(stderr, "\nthis host: %s: %s\n", usable ? "kvm" : "qemu", why);
	if (stat("/sys/module/kvm_pvm", &st) == 0) {
		CU_ASSERT_FALSE(usable);
		CU_ASSERT_TRUE(strstr(why, "kvm_pvm") || strstr(why, "cannot open /dev/kvm"));
	} else if (stat("/dev/kvm", &st) != 0) {
		CU_ASSERT_FALSE(usable);
		CU_ASSERT_TRUE(has(why, "cannot open /dev/kvm"));
	}
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"intel vmx / amd svm: usable", test_intel_vmx_is_usable_host},
	    {"PVM: unusable even with vmx", test_pvm_is_unusable_even_with_flags},
	    {"no vmx/svm flag: unusable", test_no_virt_flag_is_unusable},
	    {"missing, regular file, /dev/null: not KVM", test_devices_that_are_not_kvm},
	    {"QV_KVM_DEVICE names the device", test_env_names_the_device},
	    {"this host's /dev/kvm", test_this_host},
	};
	int rc;

	snprintf(root, sizeof(root), "/tmp/qv-kvm-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	rc = QV_UNIT_RUN("kvm_detect", tests);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
