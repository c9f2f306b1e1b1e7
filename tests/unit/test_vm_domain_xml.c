/* qwikvirt: unit tests for control/vm's domain XML: several VNF specs rendered and checked with
 * virt-xml-validate (libvirt's schema), their key elements, escaping, and spec errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/vm/domain_xml.h"
#include "tests/unit/qv_unit.h"

static char tmpdir[] = "/tmp/qv-vmxml.XXXXXX";
static bool have_validator;

/* virt-xml-validate on xml: true when libvirt's domain schema accepts it. Without the tool
 * (package libvirt-clients + libxml2-utils) the schema check is reported and skipped. */
static bool schema_ok(const char *xml, const char *tag)
{
	char path[128], cmd[256];
	FILE *f;
	int st;

	if (!have_validator)
		return true;
	snprintf(path, sizeof(path), "%s/%s.xml", tmpdir, tag);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(xml, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "virt-xml-validate %s domain >%s/%s.out 2>&1", path, tmpdir,
	         tag);
	st = system(cmd);
	if (st != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/%s.out %s >&2", tmpdir, tag, path);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot show %s\n", path);
	}
	return st == 0;
}

static void base_spec(struct qv_vm_spec *s, const char *name)
{
	struct qv_vm_err e;

	qv_vm_spec_init(s, name);
	snprintf(s->kernel, sizeof(s->kernel), "/var/cache/qwikvirt/guest/vmlinux");
	snprintf(s->initrd, sizeof(s->initrd), "/var/cache/qwikvirt/guest/initrd.img");
	snprintf(s->cmdline, sizeof(s->cmdline), "console=ttyS0 pci=nomsi");
	CU_ASSERT_FATAL(
	    qv_vm_spec_add_iface(s, "/run/qwikvirt/fw1-in.sock", NULL, QV_VM_VHOST_SERVER, &e));
	CU_ASSERT_FATAL(
	    qv_vm_spec_add_iface(s, "/run/qwikvirt/fw1-out.sock", NULL, QV_VM_VHOST_SERVER, &e));
}

static char *render(const struct qv_vm_spec *s)
{
	struct qv_vm_err e = {{0}};
	char *x = qv_vm_domain_xml(s, &e);

	if (x == NULL)
		fprintf(stderr, "unexpected error: %s\n", e.msg);
	CU_ASSERT_FATAL(x != NULL);
	return x;
}

#define HAS(x, s) CU_ASSERT_PTR_NOT_NULL(strstr((x), (s)))
#define HASNT(x, s) CU_ASSERT_PTR_NULL(strstr((x), (s)))

static void test_kernel_boot_memfd(void)
{
	struct qv_vm_spec s;
	char *x;

	base_spec(&s, "fw1");
	snprintf(s.vcpu_cpuset, sizeof(s.vcpu_cpuset), "0");
	snprintf(s.emulatorpin, sizeof(s.emulatorpin), "0");
	s.numa_node = 0;
	snprintf(s.serial_log, sizeof(s.serial_log), "/var/log/qwikvirt/fw1.serial");
	x = render(&s);
	CU_ASSERT(schema_ok(x, "kernel_memfd"));
	HAS(x, "<domain type='qemu'>");
	HAS(x, "<name>fw1</name>");
	HAS(x, "<memory unit='MiB'>256</memory>");
	HAS(x, "<source type='memfd'/>");
	HAS(x, "<access mode='shared'/>");
	HAS(x, "<vcpupin vcpu='0' cpuset='0'/>");
	HAS(x, "<emulatorpin cpuset='0'/>");
	HAS(x, "<memory mode='strict' nodeset='0'/>");
	HAS(x, "<kernel>/var/cache/qwikvirt/guest/vmlinux</kernel>");
	HAS(x, "<cmdline>console=ttyS0 pci=nomsi</cmdline>");
	HAS(x, "path='/run/qwikvirt/fw1-in.sock' mode='server'");
	HAS(x, "path='/run/qwikvirt/fw1-out.sock' mode='server'");
	HAS(x, "<source path='/var/log/qwikvirt/fw1.serial' append='off'/>");
	HASNT(x, "<disk");
	HASNT(x, "hugepages");
	HASNT(x, "qemu:override");
	free(x);
}

static void test_disk_hugepages_numa_hostdev(void)
{
	struct qv_vm_spec s;
	struct qv_vm_err e;
	char *x;

	qv_vm_spec_init(&s, "rtr-2");
	s.type = QV_VM_DOM_KVM;
	s.vcpus = 4;
	s.memory_mib = 1024;
	s.backing = QV_VM_MEM_HUGEPAGES;
	s.numa_node = 1;
	s.no_msix = true;
	snprintf(s.disk, sizeof(s.disk), "/var/lib/qwikvirt/rtr-2.qcow2");
	snprintf(s.disk_base, sizeof(s.disk_base), "/var/lib/qwikvirt/images/rtr.qcow2");
	for (unsigned i = 0; i < 4; i++)
		snprintf(s.vcpupin[i], sizeof(s.vcpupin[i]), "%u", 8 + i);
	snprintf(s.emulatorpin, sizeof(s.emulatorpin), "12-13");
	CU_ASSERT_FATAL(qv_vm_spec_add_iface(&s, "/run/qwikvirt/rtr-2-a.sock", "52:54:00:aa:bb:01",
	                                     QV_VM_VHOST_CLIENT, &e));
	s.ifaces[0].queues = 2;
	s.ifaces[0].mtu = 9000; /* the guest learns it through virtio-net's MTU feature */
	snprintf(s.hostdevs[0], sizeof(s.hostdevs[0]), "0000:03:10.3");
	s.n_hostdevs = 1;
	snprintf(s.uuid, sizeof(s.uuid), "2370b15f-1b66-4a38-867b-28f0c550e98d"); /* a redefine */
	x = render(&s);
	CU_ASSERT(schema_ok(x, "disk_huge"));
	HAS(x, "<name>rtr-2</name>\n  <uuid>2370b15f-1b66-4a38-867b-28f0c550e98d</uuid>");
	HAS(x, "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>");
	HAS(x, "<page size='2048' unit='KiB' nodeset='1'/>");
	HAS(x, "<vcpu placement='static'>4</vcpu>");
	HAS(x, "<vcpupin vcpu='3' cpuset='11'/>");
	HAS(x, "<emulatorpin cpuset='12-13'/>");
	HAS(x, "<memory mode='strict' nodeset='1'/>");
	HAS(x, "<boot dev='hd'/>");
	HAS(x, "<source file='/var/lib/qwikvirt/rtr-2.qcow2'/>");
	HAS(x, "base='/var/lib/qwikvirt/images/rtr.qcow2'");
	HAS(x, "mode='client'>");
	HAS(x, "<reconnect enabled='yes' timeout='1'/>");
	HAS(x, "<driver queues='2'");
	HAS(x, "<mtu size='9000'/>");
	HAS(x, "<address domain='0x0000' bus='0x03' slot='0x10' function='0x3'/>");
	HAS(x, "<qemu:device alias='ua-net0'>");
	HAS(x, "<qemu:property name='vectors' type='unsigned' value='0'/>");
	HAS(x, "<serial type='pty'>");
	HASNT(x, "<kernel>");
	free(x);
}

static void test_escaping(void)
{
	struct qv_vm_spec s;
	char *x;

	base_spec(&s, "esc");
	snprintf(s.cmdline, sizeof(s.cmdline), "a=<b> c='d' e=\"f\" g&h");
	snprintf(s.serial_log, sizeof(s.serial_log), "/tmp/it's & <here>.log");
	s.serial_append = true;
	x = render(&s);
	CU_ASSERT(schema_ok(x, "escaping"));
	HAS(x, "<cmdline>a=&lt;b&gt; c=&apos;d&apos; e=&quot;f&quot; g&amp;h</cmdline>");
	HAS(x, "path='/tmp/it&apos;s &amp; &lt;here&gt;.log' append='on'");
	free(x);
}

static void test_many_nics_no_pinning(void)
{
	struct qv_vm_spec s;
	struct qv_vm_err e;
	char sock[64];
	char *x;

	qv_vm_spec_init(&s, "big");
	snprintf(s.kernel, sizeof(s.kernel), "/k");
	for (unsigned i = 0; i < QV_VM_MAX_IFACES; i++) {
		snprintf(sock, sizeof(sock), "/run/q/big-%u.sock", i);
		CU_ASSERT_FATAL(qv_vm_spec_add_iface(&s, sock, NULL, QV_VM_VHOST_SERVER, &e));
	}
	CU_ASSERT_FALSE(
	    qv_vm_spec_add_iface(&s, "/run/q/one-more.sock", NULL, QV_VM_VHOST_SERVER, &e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "more than"));
	x = render(&s);
	CU_ASSERT(schema_ok(x, "many_nics"));
	HASNT(x, "<cputune>");
	HASNT(x, "<numatune>");
	HAS(x, "alias name='ua-net7'");
	free(x);
}

static void test_macs(void)
{
	char a[18], b[18], c[18];

	qv_vm_mac_for("fw1", 0, a);
	qv_vm_mac_for("fw1", 1, b);
	qv_vm_mac_for("fw2", 0, c);
	CU_ASSERT_STRING_EQUAL(a, (qv_vm_mac_for("fw1", 0, c), c));
	qv_vm_mac_for("fw2", 0, c);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_EQUAL(strncmp(a, "52:54:00:", 9), 0);
	CU_ASSERT_STRING_EQUAL(b + 15, "01");
}

/* every spec error names the VM and the field */
static void expect_error(struct qv_vm_spec *s, const char *needle)
{
	struct qv_vm_err e = {{0}};
	char *x = qv_vm_domain_xml(s, &e);

	CU_ASSERT_PTR_NULL(x);
	free(x);
	if (strstr(e.msg, needle) == NULL)
		fprintf(stderr, "expected '%s' in: %s\n", needle, e.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, needle));
}

static void test_errors(void)
{
	struct qv_vm_spec s;

	base_spec(&s, "bad name");
	expect_error(&s, "VM name 'bad name' has ' '");
	base_spec(&s, "");
	expect_error(&s, "has no name");
	base_spec(&s, "e1");
	s.kernel[0] = '\0';
	expect_error(&s, "VM e1: initrd/cmdline given without a kernel");
	s.initrd[0] = s.cmdline[0] = '\0';
	expect_error(&s, "VM e1: nothing to boot");
	base_spec(&s, "e2");
	snprintf(s.ifaces[1].mac, sizeof(s.ifaces[1].mac), "53:54:00:00:00:01");
	expect_error(&s, "VM e2: NIC 1 MAC '53:54:00:00:00:01' is not a unicast");
	base_spec(&s, "e3");
	snprintf(s.ifaces[1].socket, sizeof(s.ifaces[1].socket), "%s", s.ifaces[0].socket);
	expect_error(&s, "VM e3: NICs 0 and 1 share socket");
	base_spec(&s, "e4");
	snprintf(s.ifaces[0].socket, sizeof(s.ifaces[0].socket), "relative.sock");
	expect_error(&s, "not an absolute path");
	base_spec(&s, "e5");
	snprintf(s.vcpupin[2], sizeof(s.vcpupin[2]), "1");
	expect_error(&s, "VM e5: vcpupin for vCPU 2 but the VM has 1 vCPUs");
	base_spec(&s, "e6");
	snprintf(s.emulatorpin, sizeof(s.emulatorpin), "0;reboot");
	expect_error(&s, "bad cpuset");
	base_spec(&s, "e7");
	snprintf(s.hostdevs[0], sizeof(s.hostdevs[0]), "03:10.2");
	s.n_hostdevs = 1;
	expect_error(&s, "host device '03:10.2' is not a PCI address");
	base_spec(&s, "e8");
	s.backing = QV_VM_MEM_HUGEPAGES;
	s.hugepage_kib = 1048576;
	expect_error(&s, "not a multiple of the 1048576 KiB hugepage size");
	base_spec(&s, "e9");
	s.vcpus = 0;
	expect_error(&s, "vcpus 0 out of range");
	base_spec(&s, "e10");
	s.memory_mib = 16;
	expect_error(&s, "at least 64 MiB");
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"kernel boot, memfd, pinning", test_kernel_boot_memfd},
	    {"disk, hugepages, NUMA 1, hostdev, no MSI-X", test_disk_hugepages_numa_hostdev},
	    {"escaping", test_escaping},
	    {"eight NICs, no pinning", test_many_nics_no_pinning},
	    {"stable MACs", test_macs},
	    {"spec errors", test_errors},
	};
	int rc;
	char cmd[128];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	have_validator = system("command -v virt-xml-validate >/dev/null 2>&1 && "
	                        "command -v xmllint >/dev/null 2>&1") == 0;
	if (!have_validator)
		fprintf(stderr, "test_vm_domain_xml: virt-xml-validate/xmllint missing (packages "
		                "libvirt-clients, libxml2-utils; scripts/setup-libvirt.sh installs "
		                "them): schema checks skipped\n");
	rc = QV_UNIT_RUN("vm_domain_xml", tests);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
