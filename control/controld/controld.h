/* qwikvirt: qv-controld's shared state — the desired service (YAML text, model, compiled plan),
 * where it is persisted, and the switch it programs. */
#ifndef QV_CONTROLD_H
#define QV_CONTROLD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "control/chain_compile.h"
#include "control/model.h"
#include "control/rpc/rpc.h"
#include "control/vm/domain_xml.h"

struct qv_desired {
	char *name; /* the file name as the operator gave it (prefixes errors) */
	char *yaml; /* its text */
	struct qv_model *model;
	struct qv_switch_plan *plan;
};

struct qv_vm_conn;
struct qv_topo;
struct qv_placement;

/* How VNF VMs are made (vms.c): options of qv-controld. */
struct qv_vm_opts {
	bool enabled;         /* false (--no-vms): VNF ports only, something else connects */
	const char *uri;      /* libvirt */
	const char *prefix;   /* domain names: PREFIX<vnf>-<instance> */
	const char *images;   /* relative image/kernel/initrd paths are under it */
	const char *topology; /* placement input: NULL = the host */
	const char *sysfs_root;
	bool kvm;       /* domain type kvm instead of qemu (TCG) */
	bool hugepages; /* guest memory on hugepages instead of memfd */
	unsigned stop_timeout_ms;
};

struct qv_controld {
	const char *switch_sock;
	const char *state_dir;
	int rpc_timeout_ms;
	struct qv_desired desired; /* empty (all NULL) until the first apply */
	bool switch_ok;            /* last reconcile reached the switch */
	char last_error[512];      /* last reconcile problem, for state.show */
	size_t ports_failing; /* ports the last reconcile could not add (named in last_error) */
	struct qv_vm_opts vm;
	struct qv_vm_conn *lv;  /* libvirt, connected on first use */
	struct qv_topo *topo;   /* loaded on first use */
	json_t *vm_state;       /* persisted: {"managed": [NAME], "held": [NAME], "clones": [..]} */
	char vm_error[512];     /* last VM reconcile problem */
	char state_error[1024]; /* problems with the state files (a vms.json set aside, bad
	                           entries), for state.show */
	bool vm_state_frozen;   /* vms.json is bad and still in place: never written over */
};

/* One VM qv-controld wants: a VNF instance of the file, or a clone of one. */
struct qv_cd_vm {
	struct qv_vm_spec spec;
	char vnf[64];
	int instance;                                   /* -1 for a clone */
	char ports[QV_VM_MAX_IFACES][QV_PORT_NAME_MAX]; /* its switch ports, NIC order */
	char ifnames[QV_VM_MAX_IFACES][QV_PORT_NAME_MAX];
	bool client; /* the switch is the vhost-user client */
};

/* desired.c */
/* Loads and compiles; on error returns -1 with every message in *errors (new JSON array of
 * strings) or err. */
int qv_desired_build(const char *name, const char *yaml, size_t len, struct qv_desired *out,
                     json_t **errors, char *err, size_t errlen);
void qv_desired_free(struct qv_desired *d);
/* state_dir/desired.yaml + desired.name, written atomically. */
int qv_desired_save(const struct qv_controld *c, char *err, size_t errlen);
/* Loads the persisted state if any: 0 (possibly nothing there), -1 with err. */
int qv_desired_restore(struct qv_controld *c, char *err, size_t errlen);

/* sync.c */
/* What it takes to go from `old` (what we applied before; NULL: nothing) to `want` on the
 * switch as it is now. Returns {"ports_add":[...], "ports_del":[...], "rules_add":[...],
 * "rules_del":[...]} or NULL with err (switch unreachable). */
json_t *qv_sync_plan(const struct qv_controld *c, const struct qv_switch_plan *old,
                     const struct qv_switch_plan *want, char *err, size_t errlen);
/* Carries a plan out in the order that loses no packet on untouched chains: ports added, rules
 * added, rules deleted, ports deleted. 0, or -1 with err naming the step that failed. */
int qv_sync_apply(const struct qv_controld *c, const struct qv_switch_plan *want, json_t *plan,
                  char *err, size_t errlen);
/* Brings the switch to the desired state (after either daemon restarted). A port the switch
 * refuses does not stop it: the other chains are restored, and last_error names the port,
 * its chains and the reason until a later reconcile succeeds. */
void qv_reconcile(struct qv_controld *c);
/* CLOCK_MONOTONIC in ms (the watch's retry deadlines, the time a restore took). */
long long qv_cd_mono_ms(void);

/* port_edit.c: the switch's port (a port.list entry) against the plan's. Edits port.set makes
 * live (mtu, default, a dpdk port's rxq/txq): its params {name, ...}, or NULL when none
 * differs. A vhost port whose queue count differs is re-added instead (needs_readd). */
json_t *qv_port_edits(const json_t *have, const struct qv_switch_port *p);
bool qv_port_needs_readd(const json_t *have, const struct qv_switch_port *p);

/* watch.c: a connection to qv-switchd held open so its death and its return are seen at once
 * (the reconcile runs then, not at the next --interval). */
struct qv_switch_watch {
	int fd;                /* connected to the switch, or -1 while it is away */
	const char *sock;      /* the switch's control socket */
	long long next_try_ms; /* CLOCK_MONOTONIC: next connect() attempt while away */
};
enum qv_watch_event { QV_WATCH_NONE, QV_WATCH_GONE, QV_WATCH_BACK };
void qv_watch_init(struct qv_switch_watch *w, const char *sock);
/* Never blocks: GONE when the held connection hung up, BACK when a connect() succeeded (the
 * first time too: the switch was found), NONE otherwise. Call it often (every few ms). */
enum qv_watch_event qv_watch_poll(struct qv_switch_watch *w);
void qv_watch_close(struct qv_switch_watch *w);

/* views.c */
json_t *qv_view_chains(const struct qv_controld *c, char *err, size_t errlen);
/* "chain a, chain b" (or "no chain"): the chains whose path goes through plan port p. */
void qv_view_port_chains(const struct qv_controld *c, const struct qv_switch_port *p, char *out,
                         size_t len);

/* state.c: files under the state directory */
int qv_state_write(const char *dir, const char *file, const char *data, size_t len, char *err,
                   size_t errlen);
char *qv_state_read(const char *path, size_t *len);
/* vms.json: loaded once (empty when absent), saved after every change. */
json_t *qv_vmstate(struct qv_controld *c);
int qv_vmstate_save(struct qv_controld *c, char *err, size_t errlen);
bool qv_vmstate_has(struct qv_controld *c, const char *list, const char *name);
void qv_vmstate_set(struct qv_controld *c, const char *list, const char *name, bool on);
/* The name of a clone entry of vms.json; NULL when it has none (a malformed entry). */
const char *qv_clone_name(const json_t *entry);

/* vf.c: VF ports (the switch's and those handed to VMs) get the PCI address of their VF
 * (created through sysfs when missing) after its netlink settings are applied. check: nothing
 * is written (no sysfs, no netlink); what would be is appended to notes (strings), and a VF
 * that does not exist yet keeps devargs NULL. Raising a PF's non-zero VF count goes through 0
 * and is refused while the applied plan uses one of its VFs. */
int qv_vf_resolve(const struct qv_controld *c, struct qv_switch_plan *plan, bool check,
                  json_t *notes, char *err, size_t errlen);

/* place.c: placement of the switch's PMDs and of every VNF instance; NULL with err (what is
 * short) when the host cannot fit the model. */
struct qv_placement *qv_cd_place(struct qv_controld *c, const struct qv_model *m, char *err,
                                 size_t errlen);

/* vm_spec.c: a VM's boot file (kernel, initrd, disk image) p, relative to the images
 * directory (--images) or absolute, as its real path in out; -1 with why (for the caller to
 * prefix with the file position or the VM) when it is not a regular file under that
 * directory once symbolic links and '..' are resolved: QEMU runs as root, so a file
 * elsewhere (/etc/shadow) is never handed to a VM. */
int qv_cd_image_path(const struct qv_controld *c, const char *p, char *out, size_t len, char *why,
                     size_t whylen);
/* vm_spec.c: the VMs wanted for the desired model (instances, then clones). Returns the count
 * (*out malloc'd) or -1 with err. */
int qv_cd_vms_wanted(struct qv_controld *c, struct qv_cd_vm **out, char *err, size_t errlen);
/* Where placement failed, the VMs are still listed (so nothing is removed by mistake) without
 * pins, and *place_err says why; they must not be started. A clone of vms.json whose spec
 * cannot be rebuilt (its source left the file) is not listed; problems (NULL: not wanted)
 * gets a line for each. */
int qv_cd_vms_wanted2(struct qv_controld *c, struct qv_cd_vm **out, char *place_err,
                      size_t place_errlen, char *err, size_t errlen, json_t *problems);
const struct qv_cd_vm *qv_cd_vm_find(const struct qv_cd_vm *v, int n, const char *name);
/* The spec of a clone NEW of wanted VM src (new MACs, sockets, ports, overlay path). */
int qv_cd_clone_of(const struct qv_controld *c, const struct qv_cd_vm *src, const char *new_name,
                   struct qv_cd_vm *out, char *err, size_t errlen);
void qv_cd_vm_paths(const struct qv_controld *c, const char *name, const char *ext, char *out,
                    size_t len);

/* vms.c: brings libvirt to the wanted VMs: starts missing ones (adopting running domains, and
 * leaving alone the ones the operator stopped), removes managed ones no longer wanted.
 * apply: the operator applied a file: also list the running VMs whose size it changed (one
 * libvirt XML read per VM, not worth doing every reconcile). Result {"started", "running",
 * "held", "removed", "outdated", "errors"}; NULL when VMs are off. */
json_t *qv_vms_sync(struct qv_controld *c, bool apply);
/* Removes the clone entry of name (the clone was deleted) and saves. */
void qv_cd_clone_forget(struct qv_controld *c, const char *name);
/* The clone entry of vms.json named name, or NULL. Recorded clones are only ever removed by
 * vm.delete: never because their spec can no longer be rebuilt. */
json_t *qv_cd_clone_entry(struct qv_controld *c, const char *name);
/* Logs what a sync did (errors once until they change) and frees res. */
void qv_vms_report(struct qv_controld *c, json_t *res);
struct qv_vm_conn *qv_cd_lv(struct qv_controld *c, char *err, size_t errlen);
/* The operator's hold on VM name (vm stop: an apply does not start it; vm start, restart and
 * revert end it), kept in vms.json and as a mark in the libvirt domain's definition. Held
 * when either says so: the mark outlives a vms.json that had to be set aside, and a sync
 * copies it back into the new one. Ending a hold fails (err) when libvirt cannot clear the
 * mark; setting one warns only (vms.json has it). qv_cd_held changes nothing. */
bool qv_cd_hold(struct qv_controld *c, const char *name, bool on, char *err, size_t errlen);
bool qv_cd_held(struct qv_controld *c, const char *name);
/* Stops (graceful, then destroy) and undefines VM name, removes its overlay and ports. */
int qv_vm_remove(struct qv_controld *c, const char *name, const char *const *ports, size_t n,
                 char *err, size_t errlen);
/* Adds the switch ports of a clone that the switch lacks. */
int qv_cd_ports_ensure(struct qv_controld *c, const struct qv_cd_vm *v, char *err, size_t errlen);

/* vm_plan.c: {"vms_start": [NAME], "vms_remove": [NAME]} for model m */
json_t *qv_vms_plan(struct qv_controld *c, const struct qv_model *m);

/* vm_rpc.c */
extern const struct qv_rpc_method qv_vm_methods[];

/* handlers.c */
extern const struct qv_rpc_method qv_controld_methods[];

#endif
