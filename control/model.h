/* qwikvirt: the service model (switch settings, ports, VNFs, chains) as loaded from YAML, with
 * the file position of every value so that validation errors can point at the line. */
#ifndef QV_MODEL_H
#define QV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/diag.h"
#include "qv/limits.h"
#include "qv/police.h"
#include "qv/rule.h"

/* Limits the schema enforces (configs/README.md documents them); those the switch or the VM
 * layer also enforce come from include/qv/limits.h. */
#define QV_MODEL_MAX_QUEUES QV_LIMIT_QUEUES
#define QV_MODEL_MAX_MTU QV_LIMIT_MTU
#define QV_MODEL_MAX_VCPUS QV_LIMIT_VM_VCPUS
#define QV_MODEL_MAX_INSTANCES QV_LIMIT_VNF_INSTANCES
#define QV_MODEL_MAX_IFACES QV_LIMIT_VM_IFACES
#define QV_MODEL_MAX_NUMA 63
#define QV_MODEL_MAX_CPU 1023
#define QV_MODEL_MAX_VF 255
#define QV_MODEL_MIN_MEMORY (16ull << 20) /* 16 MiB */
#define QV_MODEL_MAX_MEMORY (1ull << 40)  /* 1 TiB */
#define QV_MODEL_NUMA_AUTO (-1)
#define QV_MODEL_UNSET (-1)
#define QV_MODEL_MAX_VFS QV_LIMIT_VM_HOSTDEVS

enum qv_port_type { QV_PORT_PHY, QV_PORT_VF, QV_PORT_VHOST, QV_PORT_VDEV };

/* What the switch does with packets no rule takes on a port. */
enum qv_port_default { QV_DEFAULT_DROP, QV_DEFAULT_L2 };

struct qv_model_switch {
	uint16_t *pmd_cores; /* CPU ids; none given: the switch's default */
	size_t n_pmd_cores;
	char *socket_dir;     /* VNF vhost-user sockets: SOCKET_DIR/PORT.sock */
	char *control_socket; /* qv-switchd's JSON-RPC socket; NULL: not given (qv-controld's
	                         --switch is the one used; a different one here is warned about) */
	bool vhost_client;    /* the switch connects to the VNFs' sockets (QEMU is the server) */
};

struct qv_model_port {
	char *name;
	struct qv_mark mark; /* the port's mapping */
	enum qv_port_type type;
	char *pci;            /* phy: "0000:03:00.0" */
	char *pf;             /* vf: PCI address of the physical function */
	uint16_t vf;          /* vf: VF index on pf */
	char *devargs;        /* vdev: "net_pcap0,rx_pcap=in.pcap" */
	char *path;           /* vhost: socket path */
	bool client;          /* vhost: the switch connects (and reconnects) instead of listening */
	bool vring_stats_off; /* vhost: vring-stats: false (port.add vring_stats=false) */
	uint16_t queues;
	uint16_t mtu; /* mtu: the L3 MTU, 68..QV_MODEL_MAX_MTU; 0: the switch's default (1500) */
	enum qv_port_default dflt;
	/* vf: what the PF sets on the VF through netlink; QV_MODEL_UNSET: left as it is */
	char *vf_mac;    /* "02:00:00:00:00:01" */
	int vf_vlan;     /* 0 (none) .. 4094 */
	int vf_spoofchk; /* 0 / 1 */
	int vf_trust;    /* 0 / 1 */
	/* bandwidth: policers, [enum qv_police_dir] (ingress: what the switch receives from
	 * the port); rate 0: none */
	struct qv_police bw[QV_POLICE_NDIR];
	struct qv_mark bw_mark; /* where `bandwidth:` was written (line 0: not) */
};

struct qv_model_iface {
	char *name;
	struct qv_mark mark;
	/* bandwidth: of this interface (ingress: what the VNF sends into the switch); rate 0
	 * in both: the VNF's own bandwidth: applies */
	struct qv_police bw[QV_POLICE_NDIR];
};

/* A name and where it was written: a VNF in a hop (alone, or as a group
 * member), a VF port in a VNF's `vfs`. */
struct qv_model_ref {
	char *name;
	struct qv_mark mark;
};

/* instances: {min, max, scale-out, scale-in, cooldown, drain}: how many instances a VNF runs
 * follows a load signal that qv-controld reads (control/controld/scaling.c). */
enum qv_scale_metric {
	QV_SCALE_MANUAL, /* no rule: the count changes only by `qvctl vnf scale` */
	QV_SCALE_CPU,    /* percent of the instances' vCPU time (libvirt), averaged */
	QV_SCALE_PPS,    /* packets/s the switch hands one instance (its ports), averaged */
};

struct qv_scale_rule {
	bool set;            /* written in the file */
	uint64_t threshold;  /* CPU: percent 1..100; PPS: packets/s */
	uint32_t for_ms;     /* the load is past the threshold this long before it counts */
	struct qv_mark mark; /* of the rule (its mapping) */
};

struct qv_model_scaling {
	bool on; /* instances: was a mapping */
	uint16_t min, max;
	enum qv_scale_metric metric;
	struct qv_scale_rule out, in;
	uint32_t cooldown_ms; /* after a change, no decision for this long */
	uint32_t drain_ms;    /* the longest a member drains (keeps its flows) before removal */
	struct qv_mark mark;
};

#define QV_SCALE_DEFAULT_OUT_FOR_MS 30000u
#define QV_SCALE_DEFAULT_IN_FOR_MS 60000u
#define QV_SCALE_DEFAULT_COOLDOWN_MS 60000u
#define QV_SCALE_DEFAULT_DRAIN_MS 60000u
#define QV_SCALE_MAX_DURATION_MS 3600000u /* 1h: longer is a mistake, not a policy */

struct qv_model_vnf {
	char *name;
	struct qv_mark mark;
	struct qv_model_iface *ifaces; /* default: in, out */
	size_t n_ifaces;
	uint16_t vcpus;
	uint64_t memory; /* bytes */
	char *image;     /* disk image; or kernel (+ initrd, cmdline) */
	char *kernel, *initrd, *cmdline;
	struct qv_mark image_mark, kernel_mark, initrd_mark; /* where each path was written */
	int numa;                                            /* node, or QV_MODEL_NUMA_AUTO */
	uint16_t instances; /* with scaling: the current count (the loader gives min) */
	struct qv_model_scaling scaling;
	uint16_t mtu;         /* of every interface (switch port and guest); 0: the default 1500 */
	bool vring_stats_off; /* vring-stats: false: every interface's port without them */
	struct qv_model_ref *vfs; /* ports of type vf handed to the VM as PCI devices (hostdev) */
	size_t n_vfs;
	struct qv_police bw[QV_POLICE_NDIR]; /* bandwidth: of every interface without its own */
};

/* One hop: a VNF (all its instances), or a group of VNFs (all instances of each), balanced by
 * a symmetric hash. Packets enter the hop on interface `in` and leave on `out`; the reverse
 * direction of a bidirectional chain goes out -> in. */
struct qv_model_hop {
	struct qv_mark mark;
	struct qv_model_ref *members;
	size_t n_members;
	bool group; /* written as {group: [...]} */
	char *in, *out;
	struct qv_mark in_mark, out_mark;
};

struct qv_model_chain {
	char *name;
	struct qv_mark mark;
	char *from, *to; /* ports */
	struct qv_mark from_mark, to_mark, match_mark;
	struct qv_match match; /* never has QV_M_IN_PORT */
	bool match_ok;         /* false when the match had an error: not compared to others */
	struct qv_model_hop *hops;
	size_t n_hops;
	bool bidirectional;
};

struct qv_model {
	char *file; /* as given to the loader; prefixes every error */
	struct qv_model_switch sw;
	struct qv_model_port *ports;
	size_t n_ports;
	struct qv_model_vnf *vnfs;
	size_t n_vnfs;
	struct qv_model_chain *chains;
	size_t n_chains;
};

/* Loads and validates a service definition. Returns 0 and *out, or -1 with every error found
 * (syntax, schema, references, chain conflicts) appended to d, "FILE:LINE:COL: message", in
 * file order; *out is then NULL: nothing from a file with an error is usable. Errors are only
 * appended: d must have been initialised by the caller (qv_diags_init). */
int qv_model_load_file(const char *path, struct qv_model **out, struct qv_diags *d);

/* The same on a buffer; name stands for the file in messages. */
int qv_model_load_buffer(const char *name, const char *buf, size_t len, struct qv_model **out,
                         struct qv_diags *d);

/* The checks that need the whole model (names, references, interfaces, chains that could take
 * each other's packets). Run by the loaders; exposed for models built in code. Returns the
 * number of errors it appended. */
size_t qv_model_validate(const struct qv_model *m, struct qv_diags *d);

void qv_model_free(struct qv_model *m);

/* Switch ports two VNFs would both make (qv_model_vnf_port_name: "a" + "0-in" and "a-0" +
 * "in"): one error per interface, at it, naming the other's position. Run by
 * qv_model_validate; returns the number of errors appended. */
size_t qv_model_check_port_names(const struct qv_model *m, struct qv_diags *d);

/* Lookups by name; NULL when absent. */
const struct qv_model_port *qv_model_port_find(const struct qv_model *m, const char *name);
const struct qv_model_vnf *qv_model_vnf_find(const struct qv_model *m, const char *name);

/* The first VNF whose `vfs` names port, a port of type vf (and, in *at when not NULL, where);
 * NULL when the switch owns the port. */
const struct qv_model_vnf *qv_model_vf_owner(const struct qv_model *m, const char *port,
                                             struct qv_mark *at);

/* The switch port of instance `instance` of VNF vnf's interface iface: "<vnf>-<instance>-<iface>"
 * (fw-0-in). Returns the length, or -1 if it does not fit in len bytes. */
int qv_model_vnf_port_name(const char *vnf, unsigned instance, const char *iface, char *buf,
                           size_t len);

const char *qv_port_type_name(enum qv_port_type t);

/* The most instances VNF v can have: its max when it scales, else its count. */
static inline unsigned qv_model_vnf_most(const struct qv_model_vnf *v)
{
	return v->scaling.on ? v->scaling.max : v->instances;
}

#endif
