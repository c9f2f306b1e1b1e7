/* qwikvirt: unit tests for control/vm clones (new name, MACs, socket and log paths, a qcow2
 * overlay on the shared base) and for reading attributes back from libvirt's XML. No libvirtd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/vm/vm_internal.h"
#include "control/vm/vm_lifecycle.h"
#include "tests/unit/qv_unit.h"

static char tmpdir[] = "/tmp/qv-vmclone.XXXXXX";

static void spec(struct qv_vm_spec *s)
{
	struct qv_vm_err e;

	qv_vm_spec_init(s, "fw1");
	snprintf(s->kernel, sizeof(s->kernel), "/k");
	snprintf(s->serial_log, sizeof(s->serial_log), "/var/log/qv/fw1.serial");
	CU_ASSERT_FATAL(
	    qv_vm_spec_add_iface(s, "/run/qv/fw1-in.sock", NULL, QV_VM_VHOST_SERVER, &e));
	CU_ASSERT_FATAL(
	    qv_vm_spec_add_iface(s, "/run/qv/port7.sock", NULL, QV_VM_VHOST_SERVER, &e));
}

static void test_clone_diskless(void)
{
	struct qv_vm_spec s, c;
	struct qv_vm_err e = {{0}};

	spec(&s);
	CU_ASSERT_FATAL(qv_vm_clone_spec(&s, "fw1-b", NULL, &c, &e));
	CU_ASSERT_STRING_EQUAL(c.name, "fw1-b");
	CU_ASSERT_STRING_EQUAL(c.ifaces[0].socket, "/run/qv/fw1-b-in.sock");
	/* no old name in the path: the new name goes before the extension */
	CU_ASSERT_STRING_EQUAL(c.ifaces[1].socket, "/run/qv/port7-fw1-b.sock");
	CU_ASSERT_STRING_EQUAL(c.serial_log, "/var/log/qv/fw1-b.serial");
	CU_ASSERT_STRING_NOT_EQUAL(c.ifaces[0].mac, s.ifaces[0].mac);
	CU_ASSERT_STRING_NOT_EQUAL(c.ifaces[1].mac, s.ifaces[1].mac);
	CU_ASSERT_STRING_EQUAL(c.kernel, "/k");
	CU_ASSERT_FALSE(qv_vm_clone_spec(&s, "fw1", NULL, &c, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "needs a different name"));
}

static void test_clone_disk(void)
{
	struct qv_vm_spec s, c;
	struct qv_vm_err e = {{0}};
	char base[128], cmd[256];

	if (system("command -v qemu-img >/dev/null 2>&1") != 0) {
		fprintf(stderr, "qemu-img missing (qemu-utils): overlay test skipped\n");
		return;
	}
	snprintf(base, sizeof(base), "%s/base.qcow2", tmpdir);
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 %s 16M", base);
	CU_ASSERT_FATAL(system(cmd) == 0);
	spec(&s);
	snprintf(s.disk, sizeof(s.disk), "%s/fw1.qcow2", tmpdir);
	CU_ASSERT_FALSE(qv_vm_clone_spec(&s, "fw2", NULL, &c, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no disk_base"));
	snprintf(s.disk_base, sizeof(s.disk_base), "%s", base);
	CU_ASSERT_FATAL(qv_vm_clone_spec(&s, "fw2", NULL, &c, &e));
	snprintf(cmd, sizeof(cmd), "%s/fw2.qcow2", tmpdir);
	CU_ASSERT_STRING_EQUAL(c.disk, cmd);
	CU_ASSERT_STRING_EQUAL(c.disk_base, base);
	snprintf(cmd, sizeof(cmd), "qemu-img info %s/fw2.qcow2 | grep -q 'backing file: %s'",
	         tmpdir, base);
	CU_ASSERT(system(cmd) == 0);
	/* the overlay exists now: a second clone of the same name must not overwrite it */
	CU_ASSERT_FALSE(qv_vm_clone_spec(&s, "fw2", NULL, &c, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "already exists"));
	CU_ASSERT_FALSE(qv_vm_overlay_create("/nonexistent/base.qcow2", "/tmp/x.qcow2", &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "base image /nonexistent/base.qcow2"));
}

static void test_xml_attr(void)
{
	char out[64];
	const char *x = "<domain><serial type='pty'><source path='/dev/pts/3'/></serial>"
	                "<serial type='file'><source path='/tmp/a&apos;b &amp; c.log'/>"
	                "<target port='0'/></serial></domain>";
	const char *f = strstr(x, "<serial type='file'>");

	CU_ASSERT_FATAL(qv_vm_xml_attr(f, "<source ", "path", out, sizeof(out)));
	CU_ASSERT_STRING_EQUAL(out, "/tmp/a'b & c.log");
	CU_ASSERT_FALSE(qv_vm_xml_attr(f, "<source ", "nope", out, sizeof(out)));
	CU_ASSERT_FALSE(qv_vm_xml_attr(f, "<source ", "path", out, 5));
	CU_ASSERT_FALSE(qv_vm_xml_attr(x, "<memory ", "file", out, sizeof(out)));
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"clone without a disk", test_clone_diskless},
	    {"clone with a qcow2 overlay", test_clone_disk},
	    {"attributes from libvirt XML", test_xml_attr},
	};
	int rc;
	char cmd[128];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = QV_UNIT_RUN("vm_clone", tests);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
