/* qwikvirt: unit tests for control/vm snapshot files: one directory per VM, and removing a VM's
 * snapshots takes exactly its own files, never those of a VM whose name starts with its name
 * (qv-a-0 and qv-a-0-0). Against libvirt's test driver (test:///default): no libvirtd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/vm/vm_lifecycle.h"
#include "tests/unit/qv_unit.h"

static char tmpdir[] = "/tmp/qv-vmsnap.XXXXXX";
static char snapdir[128];

static bool exists(const char *fmt, const char *a, const char *b)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, snapdir, a, b);
	return access(path, F_OK) == 0;
}

/* The test driver records a memory file but writes none: the test writes it as QEMU would. */
static void touch(const char *fmt, const char *a, const char *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), fmt, snapdir, a, b);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
}

static void vm_up(struct qv_vm_conn *c, const char *name)
{
	struct qv_vm_spec s;
	struct qv_vm_err e = {{0}};

	qv_vm_spec_init(&s, name);
	snprintf(s.kernel, sizeof(s.kernel), "%s/vmlinuz", tmpdir);
	CU_ASSERT_FATAL(qv_vm_define(c, &s, &e));
	CU_ASSERT_FATAL(qv_vm_start(c, name, &e));
}

static void test_exact_files(void)
{
	struct qv_vm_err e = {{0}};
	struct qv_vm_conn *c;
	char **files = NULL;
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	snprintf(snapdir, sizeof(snapdir), "%s/snapshots", tmpdir);
	CU_ASSERT_FATAL(mkdir(snapdir, 0750) == 0);
	c = qv_vm_connect("test:///default", &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	vm_up(c, "qv-a-0");
	vm_up(c, "qv-a-0-0");
	/* the two tags that made one file DIR/qv-a-0-0-x.mem before */
	CU_ASSERT_FATAL(qv_vm_snapshot(c, "qv-a-0", "0-x", snapdir, &e));
	CU_ASSERT_FATAL(qv_vm_snapshot(c, "qv-a-0-0", "x", snapdir, &e));
	touch("%s/%s/%s.mem", "qv-a-0", "0-x");
	touch("%s/%s/%s.mem", "qv-a-0-0", "x");
	/* a file of the old layout that belongs to qv-a-0-0 (the old prefix match took it) */
	touch("%s/%s-%s.mem", "qv-a-0-0", "old");

	n = qv_vm_snapshot_files(c, "qv-a-0", &files, &e);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(files[0], "/snapshots/qv-a-0/0-x.mem"));
	CU_ASSERT(qv_vm_undefine(c, "qv-a-0", &e));
	qv_vm_snapshot_files_remove(files, n, snapdir, "qv-a-0");
	qv_vm_names_free(files, n);
	CU_ASSERT_FALSE(exists("%s/%s/%s.mem", "qv-a-0", "0-x"));
	CU_ASSERT_FALSE(exists("%s/%s%s", "qv-a-0", "")); /* its directory too */
	CU_ASSERT(exists("%s/%s/%s.mem", "qv-a-0-0", "x"));
	CU_ASSERT(exists("%s/%s-%s.mem", "qv-a-0-0", "old"));
	/* an absent VM has no snapshot files */
	CU_ASSERT_EQUAL(qv_vm_snapshot_files(c, "qv-a-0", &files, &e), 0);

	n = qv_vm_snapshot_files(c, "qv-a-0-0", &files, &e);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(qv_vm_undefine(c, "qv-a-0-0", &e));
	qv_vm_snapshot_files_remove(files, n, snapdir, "qv-a-0-0");
	qv_vm_names_free(files, n);
	CU_ASSERT_FALSE(exists("%s/%s/%s.mem", "qv-a-0-0", "x"));
	qv_vm_disconnect(c);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"a VM's snapshot files, exactly", test_exact_files},
	};
	char cmd[256];
	int rc = QV_UNIT_RUN("vm_snapshot", tests);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (strstr(tmpdir, "XXXXXX") == NULL && system(cmd) != 0)
		rc = 1;
	return rc;
}
