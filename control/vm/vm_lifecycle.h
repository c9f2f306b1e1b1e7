/* qwikvirt: VNF VM lifecycle through the libvirt C API: define, start, stop, destroy, snapshot,
 * revert, clone. Domains are found by name, so a restarted daemon adopts what already runs. */
#ifndef QV_VM_LIFECYCLE_H
#define QV_VM_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control/vm/domain_xml.h"

#define QV_VM_DEFAULT_URI "qemu:///system"

struct qv_vm_conn; /* one libvirt connection; not thread-safe: one per thread */

enum qv_vm_state {
	QV_VM_ABSENT, /* no domain of that name */
	QV_VM_SHUTOFF,
	QV_VM_RUNNING,
	QV_VM_PAUSED,
	QV_VM_SHUTDOWN, /* shutting down */
	QV_VM_CRASHED,
	QV_VM_OTHER,
};

const char *qv_vm_state_name(enum qv_vm_state s);

/* A libvirtd that stops answering: the open gives up after QV_VM_OPEN_TIMEOUT_MS, and an open
 * connection is closed after QV_VM_KEEPALIVE_COUNT pings QV_VM_KEEPALIVE_S apart go unanswered
 * (a call in flight then fails, and every later one at once, until qv_vm_alive is false). */
#define QV_VM_OPEN_TIMEOUT_MS 5000
#define QV_VM_KEEPALIVE_S 2
#define QV_VM_KEEPALIVE_COUNT 3

/* uri NULL: QV_VM_DEFAULT_URI. NULL with err when libvirtd does not answer. */
struct qv_vm_conn *qv_vm_connect(const char *uri, struct qv_vm_err *err);
/* False once libvirt closed the connection (keepalive, libvirtd gone): connect again. */
bool qv_vm_alive(struct qv_vm_conn *c);
void qv_vm_disconnect(struct qv_vm_conn *c);

/* Defines (or redefines: a running domain gets the new config at its next start). */
bool qv_vm_define(struct qv_vm_conn *c, const struct qv_vm_spec *s, struct qv_vm_err *err);
/* Starts a defined domain; already running is success. */
bool qv_vm_start(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err);
/* Adopt-or-create: defines the spec and starts it unless a domain of that name already runs
 * (then it is left alone: no duplicate, no restart). *adopted says which happened. */
bool qv_vm_ensure(struct qv_vm_conn *c, const struct qv_vm_spec *s, bool *adopted,
                  struct qv_vm_err *err);
/* ACPI shutdown, wait up to timeout_ms for shutoff, then destroy. *forced: destroy was needed.
 * Not running is success. */
bool qv_vm_stop(struct qv_vm_conn *c, const char *name, unsigned timeout_ms, bool *forced,
                struct qv_vm_err *err);
/* Hard power-off; not running is success. */
bool qv_vm_destroy(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err);
/* Removes the definition and its snapshot metadata (snapshot files stay); absent is success.
 * A running domain is destroyed first. */
bool qv_vm_undefine(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err);
/* stop (with timeout) + start */
bool qv_vm_restart(struct qv_vm_conn *c, const char *name, unsigned timeout_ms,
                   struct qv_vm_err *err);

bool qv_vm_get_state(struct qv_vm_conn *c, const char *name, enum qv_vm_state *state,
                     struct qv_vm_err *err);
/* Names of all domains starting with prefix ("" for all), defined or running. *names is a
 * malloc'd array of malloc'd strings: free with qv_vm_names_free. Returns the count or -1. */
int qv_vm_list(struct qv_vm_conn *c, const char *prefix, char ***names, struct qv_vm_err *err);
void qv_vm_names_free(char **names, int n);
/* The domain's live XML (malloc'd), e.g. to read back placement or socket paths. */
char *qv_vm_xml(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err);
/* The serial console log file named in the domain's XML. */
bool qv_vm_serial_log(struct qv_vm_conn *c, const char *name, char *path, size_t len,
                      struct qv_vm_err *err);
/* QEMU's pid (running domains of the local qemu driver), or -1. */
pid_t qv_vm_qemu_pid(const char *name);

/* The operator's hold (vm_hold.c): a mark in the domain's persistent definition that it was
 * stopped on purpose. Unmarking an absent VM succeeds; qv_vm_hold_get is false for an absent
 * or unmarked VM, and when libvirt cannot say. */
bool qv_vm_hold_set(struct qv_vm_conn *c, const char *name, bool held, struct qv_vm_err *err);
bool qv_vm_hold_get(struct qv_vm_conn *c, const char *name);

/* What a VM is now (vm_info.c). state QV_VM_ABSENT (and true) when there is no such domain. */
struct qv_vm_info {
	enum qv_vm_state state;
	unsigned vcpus;
	unsigned memory_mib;
	char vcpupin[256];                  /* "0:1,1:1" (vCPU:cpuset), "" when not pinned */
	char emulatorpin[QV_VM_CPUSET_MAX]; /* "" when not pinned */
	char nodeset[QV_VM_CPUSET_MAX];     /* numatune memory nodeset, "" when none */
	char serial_log[QV_VM_PATH_MAX];    /* "" when the serial port is not a file */
	pid_t pid;                          /* QEMU, -1 when not running */
	/* CPU time since QEMU started, 0 when not running: cpu_time_ns all of QEMU's threads
	 * (virDomainGetInfo), vcpu_time_ns the guest's vCPU threads (virDomainGetVcpus; the
	 * scaling load signal) */
	unsigned long long cpu_time_ns, vcpu_time_ns;
};
bool qv_vm_info_get(struct qv_vm_conn *c, const char *name, struct qv_vm_info *out,
                    struct qv_vm_err *err);

/* Snapshot TAG of a running VM. No disk: an external memory-only snapshot into dir/NAME/TAG.mem
 * (the VM keeps running). With a qcow2 disk: an internal full-system snapshot (memory + disk,
 * inside the qcow2). dir may be NULL with a disk. */
bool qv_vm_snapshot(struct qv_vm_conn *c, const char *name, const char *tag, const char *dir,
                    struct qv_vm_err *err);
/* Back to TAG: internal snapshots through libvirt; external memory snapshots (which libvirt 9.0
 * cannot revert) by destroying the VM and restoring its memory file. The VM runs afterwards. */
bool qv_vm_revert(struct qv_vm_conn *c, const char *name, const char *tag, struct qv_vm_err *err);
/* The memory files of VM name's external snapshots, as libvirt recorded them (malloc'd array
 * of malloc'd paths, qv_vm_names_free): the count (0 for an absent VM), or -1 with err. Read
 * them before undefining the VM, which forgets its snapshots. */
int qv_vm_snapshot_files(struct qv_vm_conn *c, const char *name, char ***files,
                         struct qv_vm_err *err);
/* Removes exactly those files, then the .mem files left in dir/NAME/ and that directory:
 * never another VM's, whatever the names (qv-a-0 and qv-a-0-0). */
void qv_vm_snapshot_files_remove(char **files, int n, const char *dir, const char *name);
bool qv_vm_snapshot_delete(struct qv_vm_conn *c, const char *name, const char *tag,
                           struct qv_vm_err *err);

/* qemu-img create -f qcow2 -F qcow2 -b base overlay (fails if overlay exists). */
bool qv_vm_overlay_create(const char *base, const char *overlay, struct qv_vm_err *err);
/* A new instance from src: name new_name, new MACs (qv_vm_mac_for), socket and serial paths with
 * src's name replaced by new_name (or "-new_name" added before the extension when they do not
 * contain it), and with a disk a new overlay in overlay_dir (NULL: the directory of src's disk)
 * on src->disk_base. Nothing is defined: pass *out to qv_vm_define. */
bool qv_vm_clone_spec(const struct qv_vm_spec *src, const char *new_name, const char *overlay_dir,
                      struct qv_vm_spec *out, struct qv_vm_err *err);

#endif
