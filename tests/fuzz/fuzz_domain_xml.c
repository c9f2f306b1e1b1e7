/* qwikvirt: libFuzzer target for the libvirt domain XML writer (control/vm/domain_xml.c): a spec
 * of hostile strings is either refused or written as well-formed XML in which every string comes
 * back, through libxml2, exactly where it was put: nothing breaks out of its attribute or text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "control/vm/domain_xml.h"

/* Input: 6 bytes of numbers and flags, then NUL-separated strings in the order of fields[]
 * below, then one socket, MAC, vhost mode for each NIC, then the host devices' PCI addresses. */
struct reader {
	const char *p;
	size_t left;
};

static unsigned take_u8(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return (uint8_t)*r->p++;
}

/* The next string into dst (cap bytes), cut to fit as the spec's setters would refuse it. */
static void take_str(struct reader *r, char *dst, size_t cap)
{
	size_t n = strnlen(r->p, r->left);

	snprintf(dst, cap, "%.*s", (int)n, r->p);
	r->p += n < r->left ? n + 1 : n;
	r->left -= n < r->left ? n + 1 : n;
}

/* The XPath expression's string value in doc ("" when it selects nothing). */
static char *xpath_str(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
	char *s = o && o->type == XPATH_STRING ? strdup((const char *)o->stringval) : NULL;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	if (s == NULL)
		abort();
	return s;
}

static void expect(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = xpath_str(doc, expr);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "fuzz_domain_xml: %s is \"%s\", the spec said \"%s\"\n", expr, got,
		        want);
		abort();
	}
	free(got);
}

/* In the unit test (QV_FUZZ_XML_VALIDATE set) each accepted spec's XML is also checked
 * against libvirt's schema; too slow for the fuzzer's millions of runs. */
static void schema_check(const char *xml)
{
	static int have = -1;
	char path[] = "/tmp/qv-fuzz-domain-XXXXXX", cmd[256];
	FILE *f;
	int fd;

	if (getenv("QV_FUZZ_XML_VALIDATE") == NULL)
		return;
	if (have < 0)
		have = system("command -v virt-xml-validate >/dev/null 2>&1") == 0;
	if (!have)
		return;
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		abort();
	fputs(xml, f);
	if (fclose(f) != 0)
		abort();
	snprintf(cmd, sizeof(cmd), "virt-xml-validate %s domain >/dev/null 2>&1", path);
	if (system(cmd) != 0) {
		fprintf(stderr, "fuzz_domain_xml: libvirt's schema refuses:\n%s\n", xml);
		abort();
	}
	unlink(path);
}

static void check_xml(const struct qv_vm_spec *s, const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	char expr[128], n[16];

	if (doc == NULL) {
		fprintf(stderr, "fuzz_domain_xml: not well-formed XML:\n%s\n", xml);
		abort();
	}
	expect(doc, "string(/domain/name)", s->name);
	expect(doc, "string(/domain/uuid)", s->uuid);
	expect(doc, "string(/domain/os/kernel)", s->kernel);
	if (s->kernel[0]) {
		expect(doc, "string(/domain/os/initrd)", s->initrd);
		expect(doc, "string(/domain/os/cmdline)", s->cmdline);
	}
	expect(doc, "string(/domain/devices/disk/source/@file)", s->disk);
	expect(doc, "string(/domain/metadata/*[local-name()='vnf']/@base)", s->disk_base);
	expect(doc, "string(/domain/devices/serial/source/@path)", s->serial_log);
	snprintf(n, sizeof(n), "%u", s->n_ifaces);
	expect(doc, "string(count(/domain/devices/interface))", n);
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		snprintf(expr, sizeof(expr), "string(/domain/devices/interface[%u]/source/@path)",
		         i + 1);
		expect(doc, expr, s->ifaces[i].socket);
		snprintf(expr, sizeof(expr), "string(/domain/devices/interface[%u]/mac/@address)",
		         i + 1);
		expect(doc, expr, s->ifaces[i].mac);
	}
	snprintf(n, sizeof(n), "%u", s->n_hostdevs);
	expect(doc, "string(count(/domain/devices/hostdev))", n);
	xmlFreeDoc(doc);
	schema_check(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {(const char *)data, size};
	struct qv_vm_spec *s = malloc(sizeof(*s));
	struct qv_vm_err err;
	unsigned flags, nics, hostdevs;
	char name[QV_VM_NAME_MAX + 8];
	char *xml;

	if (s == NULL)
		abort();
	flags = take_u8(&r);
	nics = take_u8(&r) % (QV_VM_MAX_IFACES + 2);
	hostdevs = take_u8(&r) % (QV_VM_MAX_HOSTDEVS + 1);
	take_str(&r, name, sizeof(name));
	qv_vm_spec_init(s, name);
	s->type = flags & 1 ? QV_VM_DOM_KVM : QV_VM_DOM_QEMU;
	s->backing = flags & 2 ? QV_VM_MEM_HUGEPAGES : QV_VM_MEM_MEMFD;
	s->no_msix = flags & 4;
	s->serial_append = flags & 8;
	s->numa_node = flags & 16 ? (int)(flags >> 5) : -1;
	s->vcpus = take_u8(&r) % 20;
	s->memory_mib = take_u8(&r) * 64u;
	s->hugepage_kib = take_u8(&r) & 1 ? 1048576 : 0;
	take_str(&r, s->kernel, sizeof(s->kernel));
	take_str(&r, s->initrd, sizeof(s->initrd));
	take_str(&r, s->cmdline, sizeof(s->cmdline));
	take_str(&r, s->disk, sizeof(s->disk));
	take_str(&r, s->disk_base, sizeof(s->disk_base));
	take_str(&r, s->serial_log, sizeof(s->serial_log));
	take_str(&r, s->uuid, sizeof(s->uuid));
	take_str(&r, s->vcpu_cpuset, sizeof(s->vcpu_cpuset));
	take_str(&r, s->emulatorpin, sizeof(s->emulatorpin));
	take_str(&r, s->vcpupin[0], sizeof(s->vcpupin[0]));
	for (unsigned i = 0; i < nics; i++) {
		char sock[QV_VM_PATH_MAX + 8], mac[24];
		enum qv_vm_vhost_mode mode =
		    take_u8(&r) & 1 ? QV_VM_VHOST_CLIENT : QV_VM_VHOST_SERVER;

		take_str(&r, sock, sizeof(sock));
		take_str(&r, mac, sizeof(mac));
		if (!qv_vm_spec_add_iface(s, sock, mac, mode, &err))
			break;
		s->ifaces[s->n_ifaces - 1].queues = take_u8(&r) % 5;
		s->ifaces[s->n_ifaces - 1].reconnect_s = take_u8(&r) % 5;
	}
	for (unsigned i = 0; i < hostdevs; i++)
		take_str(&r, s->hostdevs[s->n_hostdevs++], sizeof(s->hostdevs[0]));

	xml = qv_vm_domain_xml(s, &err);
	if (xml != NULL)
		check_xml(s, xml);
	else if (err.msg[0] == '\0')
		abort(); /* a refusal names the field */
	free(xml);
	free(s);
	return 0;
}
