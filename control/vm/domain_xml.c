/* qwikvirt: libvirt domain XML for one VNF instance (see domain_xml.h). Every value from the spec
 * goes through xml_esc(): names and paths come from an operator's YAML. */
#include "control/vm/domain_xml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mac.h"
#include "lib/pci.h"

bool qv_vm_fail(struct qv_vm_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

void qv_vm_spec_init(struct qv_vm_spec *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	s->type = QV_VM_DOM_QEMU;
	s->vcpus = 1;
	s->memory_mib = 256;
	s->backing = QV_VM_MEM_MEMFD;
	s->numa_node = -1;
}

static bool fits(const char *v, size_t cap)
{
	return v != NULL && strlen(v) < cap;
}

bool qv_vm_spec_add_iface(struct qv_vm_spec *s, const char *socket, const char *mac,
                          enum qv_vm_vhost_mode mode, struct qv_vm_err *err)
{
	struct qv_vm_iface *f;

	if (s->n_ifaces >= QV_VM_MAX_IFACES)
		return qv_vm_fail(err,
		                  "VM %s: more than %d NICs; split the VNF or raise "
		                  "QV_VM_MAX_IFACES",
		                  s->name, QV_VM_MAX_IFACES);
	if (!fits(socket, sizeof(f->socket)))
		return qv_vm_fail(err,
		                  "VM %s: NIC %u socket path longer than %zu bytes; use a "
		                  "shorter run directory",
		                  s->name, s->n_ifaces, sizeof(f->socket) - 1);
	f = &s->ifaces[s->n_ifaces];
	memset(f, 0, sizeof(*f));
	snprintf(f->socket, sizeof(f->socket), "%s", socket);
	if (mac != NULL && mac[0] != '\0')
		snprintf(f->mac, sizeof(f->mac), "%s", mac);
	else
		qv_vm_mac_for(s->name, s->n_ifaces, f->mac);
	f->mode = mode;
	s->n_ifaces++;
	return true;
}

void qv_vm_mac_for(const char *name, unsigned idx, char out[18])
{
	uint32_t h = 2166136261u; /* FNV-1a: stable across runs and hosts */

	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ (idx & 0xff)) * 16777619u;
	/* low byte = NIC index, so a VM's MACs differ in the last byte, easy to read */
	snprintf(out, 18, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, idx & 0xff);
}

static bool mac_ok(const char *m)
{
	uint8_t mac[6];

	/* a multicast MAC on a NIC breaks learning switches and the guest's bridge */
	return qv_mac_parse(m, mac) && qv_mac_is_unicast(mac);
}

static bool cpuset_ok(const char *c)
{
	if (c[0] == '\0')
		return true;
	for (const char *p = c; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) && strchr(",-^", *p) == NULL)
			return false;
	}
	return isdigit((unsigned char)c[0]) || c[0] == '^';
}

static bool pci_parse(const char *a, unsigned *dom, unsigned *bus, unsigned *slot, unsigned *fn)
{
	struct qv_pci_addr p;

	/* The full form only: it is written into the XML as it is. */
	if (strlen(a) != QV_PCI_TEXT_LEN || !qv_pci_parse(a, &p))
		return false;
	*dom = p.domain, *bus = p.bus, *slot = p.slot, *fn = p.fn;
	return true;
}

bool qv_vm_spec_validate(const struct qv_vm_spec *s, struct qv_vm_err *err)
{
	unsigned d, b, sl, f;

	if (s->name[0] == '\0')
		return qv_vm_fail(err,
		                  "VM spec has no name; give every VNF instance a unique name");
	for (const char *p = s->name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("-_.", *p) == NULL)
			return qv_vm_fail(err,
			                  "VM name '%s' has '%c'; use letters, digits, '-', '_' "
			                  "and '.' (it names files and sockets too)",
			                  s->name, *p);
	}
	if (s->vcpus == 0 || s->vcpus > QV_VM_MAX_VCPUS)
		return qv_vm_fail(err, "VM %s: vcpus %u out of range 1..%d", s->name, s->vcpus,
		                  QV_VM_MAX_VCPUS);
	if (s->memory_mib < 64)
		return qv_vm_fail(err, "VM %s: memory %u MiB is too small; give at least 64 MiB",
		                  s->name, s->memory_mib);
	if (s->backing == QV_VM_MEM_HUGEPAGES) {
		unsigned pg = s->hugepage_kib ? s->hugepage_kib : 2048;
		if ((uint64_t)s->memory_mib * 1024 % pg != 0)
			return qv_vm_fail(err,
			                  "VM %s: memory %u MiB is not a multiple of the %u KiB "
			                  "hugepage size",
			                  s->name, s->memory_mib, pg);
	}
	if (s->kernel[0] == '\0' && (s->initrd[0] != '\0' || s->cmdline[0] != '\0'))
		return qv_vm_fail(err, "VM %s: initrd/cmdline given without a kernel", s->name);
	if (s->kernel[0] == '\0' && s->disk[0] == '\0')
		return qv_vm_fail(err,
		                  "VM %s: nothing to boot; set a kernel (+ initrd) or a qcow2 "
		                  "disk",
		                  s->name);
	if (s->n_ifaces > QV_VM_MAX_IFACES || s->n_hostdevs > QV_VM_MAX_HOSTDEVS)
		return qv_vm_fail(err, "VM %s: too many NICs or host devices", s->name);
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		const struct qv_vm_iface *f = &s->ifaces[i];
		if (f->socket[0] != '/')
			return qv_vm_fail(err, "VM %s: NIC %u socket '%s' is not an absolute path",
			                  s->name, i, f->socket);
		if (!mac_ok(f->mac))
			return qv_vm_fail(err,
			                  "VM %s: NIC %u MAC '%s' is not a unicast "
			                  "xx:xx:xx:xx:xx:xx address",
			                  s->name, i, f->mac);
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(f->socket, s->ifaces[j].socket) == 0)
				return qv_vm_fail(err,
				                  "VM %s: NICs %u and %u share socket %s; each "
				                  "NIC needs its own switch port",
				                  s->name, j, i, f->socket);
			if (strcasecmp(f->mac, s->ifaces[j].mac) == 0)
				return qv_vm_fail(err, "VM %s: NICs %u and %u share MAC %s",
				                  s->name, j, i, f->mac);
		}
	}
	if (!cpuset_ok(s->vcpu_cpuset) || !cpuset_ok(s->emulatorpin))
		return qv_vm_fail(err,
		                  "VM %s: bad cpuset '%s' / '%s'; use libvirt syntax like "
		                  "'0-3,^2'",
		                  s->name, s->vcpu_cpuset, s->emulatorpin);
	for (unsigned i = 0; i < QV_VM_MAX_VCPUS; i++) {
		if (!cpuset_ok(s->vcpupin[i]))
			return qv_vm_fail(err, "VM %s: bad cpuset '%s' for vCPU %u", s->name,
			                  s->vcpupin[i], i);
		if (i >= s->vcpus && s->vcpupin[i][0] != '\0')
			return qv_vm_fail(err, "VM %s: vcpupin for vCPU %u but the VM has %u vCPUs",
			                  s->name, i, s->vcpus);
	}
	for (unsigned i = 0; i < s->n_hostdevs; i++) {
		if (!pci_parse(s->hostdevs[i], &d, &b, &sl, &f))
			return qv_vm_fail(err,
			                  "VM %s: host device '%s' is not a PCI address "
			                  "DDDD:BB:SS.F",
			                  s->name, s->hostdevs[i]);
	}
	return true;
}

/* --- writer ---------------------------------------------------------------------------------- */

struct xw {
	FILE *f;
	int depth;
};

static void xml_esc(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*v, f);
		}
	}
}

/* Attributes are NULL-terminated name/value pairs; a NULL value skips the pair. */
static void xw_vtag(struct xw *w, const char *tag, const char *text, int kind, va_list ap)
{
	const char *k, *v;

	fprintf(w->f, "%*s<%s", w->depth * 2, "", tag);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		fprintf(w->f, " %s='", k);
		xml_esc(w->f, v);
		fputc('\'', w->f);
	}
	if (kind == 0) { /* open */
		fputs(">\n", w->f);
		w->depth++;
	} else if (text != NULL) {
		fputc('>', w->f);
		xml_esc(w->f, text);
		fprintf(w->f, "</%s>\n", tag);
	} else {
		fputs("/>\n", w->f);
	}
}

static void xw_open(struct xw *w, const char *tag, ...)
{
	va_list ap;

	va_start(ap, tag);
	xw_vtag(w, tag, NULL, 0, ap);
	va_end(ap);
}

static void xw_leaf(struct xw *w, const char *tag, const char *text, ...)
{
	va_list ap;

	va_start(ap, text);
	xw_vtag(w, tag, text, 1, ap);
	va_end(ap);
}

static void xw_close(struct xw *w, const char *tag)
{
	w->depth--;
	fprintf(w->f, "%*s</%s>\n", w->depth * 2, "", tag);
}

/* --- domain ---------------------------------------------------------------------------------- */

static void write_memory(struct xw *w, const struct qv_vm_spec *s)
{
	char mem[16], pg[16], node[16];

	snprintf(mem, sizeof(mem), "%u", s->memory_mib);
	xw_leaf(w, "memory", mem, "unit", "MiB", NULL);
	xw_leaf(w, "currentMemory", mem, "unit", "MiB", NULL);
	/* vhost-user: the switch maps guest RAM, so it must be shared */
	xw_open(w, "memoryBacking", NULL);
	if (s->backing == QV_VM_MEM_HUGEPAGES) {
		snprintf(pg, sizeof(pg), "%u", s->hugepage_kib ? s->hugepage_kib : 2048);
		snprintf(node, sizeof(node), "%d", s->numa_node);
		xw_open(w, "hugepages", NULL);
		xw_leaf(w, "page", NULL, "size", pg, "unit", "KiB", "nodeset",
		        s->numa_node >= 0 ? node : NULL, NULL);
		xw_close(w, "hugepages");
	} else {
		xw_leaf(w, "source", NULL, "type", "memfd", NULL);
	}
	xw_leaf(w, "access", NULL, "mode", "shared", NULL);
	xw_close(w, "memoryBacking");
}

static void write_placement(struct xw *w, const struct qv_vm_spec *s)
{
	char n[16], idx[16];
	bool any = s->emulatorpin[0] != '\0' || s->vcpu_cpuset[0] != '\0';

	for (unsigned i = 0; i < s->vcpus; i++)
		any = any || s->vcpupin[i][0] != '\0';
	snprintf(n, sizeof(n), "%u", s->vcpus);
	xw_leaf(w, "vcpu", n, "placement", "static", NULL);
	if (any) {
		xw_open(w, "cputune", NULL);
		for (unsigned i = 0; i < s->vcpus; i++) {
			const char *set = s->vcpupin[i][0] ? s->vcpupin[i] : s->vcpu_cpuset;
			if (set[0] == '\0')
				continue;
			snprintf(idx, sizeof(idx), "%u", i);
			xw_leaf(w, "vcpupin", NULL, "vcpu", idx, "cpuset", set, NULL);
		}
		if (s->emulatorpin[0] != '\0')
			xw_leaf(w, "emulatorpin", NULL, "cpuset", s->emulatorpin, NULL);
		xw_close(w, "cputune");
	}
	if (s->numa_node >= 0) {
		snprintf(n, sizeof(n), "%d", s->numa_node);
		xw_open(w, "numatune", NULL);
		xw_leaf(w, "memory", NULL, "mode", "strict", "nodeset", n, NULL);
		xw_close(w, "numatune");
	}
}

static void write_os(struct xw *w, const struct qv_vm_spec *s)
{
	xw_open(w, "os", NULL);
	xw_leaf(w, "type", "hvm", "arch", "x86_64", "machine", "pc", NULL);
	if (s->kernel[0] != '\0') {
		xw_leaf(w, "kernel", s->kernel, NULL);
		if (s->initrd[0] != '\0')
			xw_leaf(w, "initrd", s->initrd, NULL);
		if (s->cmdline[0] != '\0')
			xw_leaf(w, "cmdline", s->cmdline, NULL);
	} else {
		xw_leaf(w, "boot", NULL, "dev", "hd", NULL);
	}
	xw_close(w, "os");
	xw_open(w, "features", NULL);
	xw_leaf(w, "acpi", NULL, NULL);
	xw_close(w, "features");
	xw_leaf(w, "clock", NULL, "offset", "utc", NULL);
	/* a VNF that powers off or crashes stays off: the control daemon decides what next */
	xw_leaf(w, "on_poweroff", "destroy", NULL);
	xw_leaf(w, "on_reboot", "restart", NULL);
	xw_leaf(w, "on_crash", "destroy", NULL);
}

static void write_iface(struct xw *w, const struct qv_vm_spec *s, unsigned i)
{
	const struct qv_vm_iface *f = &s->ifaces[i];
	char q[16], alias[32], rc[16];

	snprintf(q, sizeof(q), "%u", f->queues ? f->queues : 1);
	snprintf(alias, sizeof(alias), "ua-net%u", i); /* user alias: <qemu:override> finds it */
	snprintf(rc, sizeof(rc), "%u", f->reconnect_s ? f->reconnect_s : 1);
	xw_open(w, "interface", "type", "vhostuser", NULL);
	xw_leaf(w, "mac", NULL, "address", f->mac, NULL);
	if (f->mode == QV_VM_VHOST_CLIENT) {
		xw_open(w, "source", "type", "unix", "path", f->socket, "mode", "client", NULL);
		xw_leaf(w, "reconnect", NULL, "enabled", "yes", "timeout", rc, NULL);
		xw_close(w, "source");
	} else {
		xw_leaf(w, "source", NULL, "type", "unix", "path", f->socket, "mode", "server",
		        NULL);
	}
	xw_leaf(w, "model", NULL, "type", "virtio", NULL);
	xw_leaf(w, "driver", NULL, "queues", q, "rx_queue_size", "256", "tx_queue_size", "256",
	        NULL);
	if (f->mtu) { /* QEMU's host_mtu: the guest sets its interface to it */
		char mtu[16];

		snprintf(mtu, sizeof(mtu), "%u", f->mtu);
		xw_leaf(w, "mtu", NULL, "size", mtu, NULL);
	}
	xw_leaf(w, "alias", NULL, "name", alias, NULL);
	xw_close(w, "interface");
}

static void write_hostdev(struct xw *w, const char *pci)
{
	unsigned d = 0, b = 0, sl = 0, f = 0; /* validated by qv_vm_spec_validate */
	char dom[8], bus[8], slot[8], fn[8];

	pci_parse(pci, &d, &b, &sl, &f);
	snprintf(dom, sizeof(dom), "0x%04x", d);
	snprintf(bus, sizeof(bus), "0x%02x", b);
	snprintf(slot, sizeof(slot), "0x%02x", sl);
	snprintf(fn, sizeof(fn), "0x%x", f);
	xw_open(w, "hostdev", "mode", "subsystem", "type", "pci", "managed", "yes", NULL);
	xw_open(w, "source", NULL);
	xw_leaf(w, "address", NULL, "domain", dom, "bus", bus, "slot", slot, "function", fn, NULL);
	xw_close(w, "source");
	xw_close(w, "hostdev");
}

static void write_devices(struct xw *w, const struct qv_vm_spec *s)
{
	xw_open(w, "devices", NULL);
	xw_leaf(w, "emulator", "/usr/bin/qemu-system-x86_64", NULL);
	if (s->disk[0] != '\0') {
		xw_open(w, "disk", "type", "file", "device", "disk", NULL);
		xw_leaf(w, "driver", NULL, "name", "qemu", "type", "qcow2", NULL);
		xw_leaf(w, "source", NULL, "file", s->disk, NULL);
		xw_leaf(w, "target", NULL, "dev", "vda", "bus", "virtio", NULL);
		xw_close(w, "disk");
	}
	for (unsigned i = 0; i < s->n_ifaces; i++)
		write_iface(w, s, i);
	for (unsigned i = 0; i < s->n_hostdevs; i++)
		write_hostdev(w, s->hostdevs[i]);
	if (s->serial_log[0] != '\0') {
		xw_open(w, "serial", "type", "file", NULL);
		xw_leaf(w, "source", NULL, "path", s->serial_log, "append",
		        s->serial_append ? "on" : "off", NULL);
		xw_leaf(w, "target", NULL, "port", "0", NULL);
		xw_close(w, "serial");
	} else {
		xw_open(w, "serial", "type", "pty", NULL);
		xw_leaf(w, "target", NULL, "port", "0", NULL);
		xw_close(w, "serial");
	}
	xw_leaf(w, "controller", NULL, "type", "usb", "model", "none", NULL);
	xw_leaf(w, "memballoon", NULL, "model", "none", NULL);
	xw_close(w, "devices");
}

static void write_overrides(struct xw *w, const struct qv_vm_spec *s)
{
	char alias[32];

	xw_open(w, "qemu:override", NULL);
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		snprintf(alias, sizeof(alias), "ua-net%u", i);
		xw_open(w, "qemu:device", "alias", alias, NULL);
		xw_open(w, "qemu:frontend", NULL);
		xw_leaf(w, "qemu:property", NULL, "name", "vectors", "type", "unsigned", "value",
		        "0", NULL);
		xw_close(w, "qemu:frontend");
		xw_close(w, "qemu:device");
	}
	xw_close(w, "qemu:override");
}

char *qv_vm_domain_xml(const struct qv_vm_spec *s, struct qv_vm_err *err)
{
	struct xw w = {0};
	char *buf = NULL;
	size_t len = 0;
	bool ovr = s->no_msix && s->n_ifaces > 0;

	if (!qv_vm_spec_validate(s, err))
		return NULL;
	w.f = open_memstream(&buf, &len);
	if (w.f == NULL) {
		qv_vm_fail(err, "VM %s: out of memory writing its domain XML", s->name);
		return NULL;
	}
	xw_open(&w, "domain", "type", s->type == QV_VM_DOM_KVM ? "kvm" : "qemu", "xmlns:qemu",
	        ovr ? "http://libvirt.org/schemas/domain/qemu/1.0" : NULL, NULL);
	xw_leaf(&w, "name", s->name, NULL);
	if (s->uuid[0])
		xw_leaf(&w, "uuid", s->uuid, NULL);
	xw_open(&w, "metadata", NULL);
	xw_leaf(&w, "qv:vnf", NULL, "xmlns:qv", "https://qwikvirt.invalid/vm/1", "base",
	        s->disk_base[0] ? s->disk_base : NULL, NULL);
	xw_close(&w, "metadata");
	write_memory(&w, s);
	write_placement(&w, s);
	write_os(&w, s);
	write_devices(&w, s);
	if (ovr)
		write_overrides(&w, s);
	xw_close(&w, "domain");
	if (fclose(w.f) != 0 || buf == NULL) {
		free(buf);
		qv_vm_fail(err, "VM %s: out of memory writing its domain XML", s->name);
		return NULL;
	}
	return buf;
}
