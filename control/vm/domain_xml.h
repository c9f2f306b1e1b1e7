/* qwikvirt: one VNF instance as a plain spec (vhost-user NICs, pinning, NUMA, memory backing,
 * boot source) and its libvirt domain XML. Pure: no libvirt calls, so it is unit-tested alone. */
#ifndef QV_VM_DOMAIN_XML_H
#define QV_VM_DOMAIN_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "qv/limits.h"

#define QV_VM_NAME_MAX 64
#define QV_VM_PATH_MAX 256
#define QV_VM_CPUSET_MAX 64
#define QV_VM_CMDLINE_MAX 1024
#define QV_VM_MAX_IFACES QV_LIMIT_VM_IFACES
#define QV_VM_MAX_VCPUS QV_LIMIT_VM_VCPUS
#define QV_VM_MAX_HOSTDEVS QV_LIMIT_VM_HOSTDEVS

/* Errors: a sentence naming the object and what to do about it. */
struct qv_vm_err {
	char msg[512];
};

enum qv_vm_domtype {
	QV_VM_DOM_QEMU, /* TCG: the only choice where /dev/kvm cannot run stock kernels */
	QV_VM_DOM_KVM,
};

/* Which side of the vhost-user socket QEMU takes. DESIGN: QEMU is the server and the switch
 * the reconnecting client, so either can restart without the other. */
enum qv_vm_vhost_mode {
	QV_VM_VHOST_SERVER,
	QV_VM_VHOST_CLIENT, /* QEMU connects (and reconnects) to a socket the switch created */
};

enum qv_vm_backing {
	QV_VM_MEM_MEMFD,     /* shared memfd: vhost-user without hugepages */
	QV_VM_MEM_HUGEPAGES, /* shared hugepages of hugepage_kib */
};

struct qv_vm_iface {
	char socket[QV_VM_PATH_MAX];
	char mac[18]; /* "52:54:00:12:34:56" */
	enum qv_vm_vhost_mode mode;
	unsigned queues;      /* 0 means 1 */
	unsigned reconnect_s; /* QEMU as client: retry every N s after the switch goes (0: 1) */
	unsigned mtu;         /* told to the guest (virtio-net's MTU feature); 0: not told */
};

struct qv_vm_spec {
	char name[QV_VM_NAME_MAX];
	enum qv_vm_domtype type;
	unsigned vcpus;
	unsigned memory_mib;
	enum qv_vm_backing backing;
	unsigned hugepage_kib; /* 0: 2048 */

	/* Boot: direct kernel boot when kernel is set; the qcow2 disk (if any) is then a plain
	 * data disk. Without a kernel the disk boots. disk_base is the shared base the disk is an
	 * overlay of: clones get a new overlay on it. */
	char kernel[QV_VM_PATH_MAX];
	char initrd[QV_VM_PATH_MAX];
	char cmdline[QV_VM_CMDLINE_MAX];
	char disk[QV_VM_PATH_MAX];
	char disk_base[QV_VM_PATH_MAX];

	struct qv_vm_iface ifaces[QV_VM_MAX_IFACES];
	unsigned n_ifaces;

	/* Placement (libvirt cpuset syntax "0-3,^2"). vcpupin[i] empty: vcpu_cpuset applies;
	 * both empty: no <vcpupin>. numa_node < 0: no <numatune>. */
	char vcpu_cpuset[QV_VM_CPUSET_MAX];
	char vcpupin[QV_VM_MAX_VCPUS][QV_VM_CPUSET_MAX];
	char emulatorpin[QV_VM_CPUSET_MAX];
	int numa_node;

	char serial_log[QV_VM_PATH_MAX]; /* empty: a pty */
	bool serial_append;              /* keep earlier boots' lines in the log */

	/* QEMU 7.2 + TCG + vhost-user crashes when the guest enables MSI-X: guests we boot get
	 * pci=nomsi on their cmdline; for disk images we cannot change, no_msix takes the vectors
	 * away on the host side (<qemu:override>). */
	bool no_msix;

	char hostdevs[QV_VM_MAX_HOSTDEVS][16]; /* VF PCI addresses "0000:03:10.2" */
	unsigned n_hostdevs;

	/* Empty: libvirt picks one. Set to a defined domain's UUID to redefine it (libvirt refuses
	 * a second definition of a name under another UUID). */
	char uuid[40];
};

/* A spec with the defaults: type qemu, 1 vCPU, 256 MiB, memfd, no NUMA node. */
void qv_vm_spec_init(struct qv_vm_spec *s, const char *name);

/* Appends a vhost-user NIC; false (and err) when the spec is full or a string does not fit. */
bool qv_vm_spec_add_iface(struct qv_vm_spec *s, const char *socket, const char *mac,
                          enum qv_vm_vhost_mode mode, struct qv_vm_err *err);

/* Checks a spec before it reaches libvirt, so the error names the field. */
bool qv_vm_spec_validate(const struct qv_vm_spec *s, struct qv_vm_err *err);

/* The domain XML (malloc'd, caller frees) or NULL with err. Validates first. */
char *qv_vm_domain_xml(const struct qv_vm_spec *s, struct qv_vm_err *err);

/* A locally administered, stable MAC for NIC idx of VM name: 52:54:00 + 24 bits of a hash. */
void qv_vm_mac_for(const char *name, unsigned idx, char out[18]);

/* Writes "FMT" into err (printf style); returns false for "return qv_vm_fail(...)". */
bool qv_vm_fail(struct qv_vm_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
