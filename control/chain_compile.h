/* qwikvirt: the chain compiler: a validated service model -> the ports qv-switchd needs and
 * the ordered flow rules, in the switch's text syntax (`qvctl flow add`, RPC flow.add). */
#ifndef QV_CHAIN_COMPILE_H
#define QV_CHAIN_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/model.h"

/* Chain rules use priorities QV_CHAIN_PRIORITY_BASE + nesting level (0, 1, ...): a chain whose
 * match lies strictly inside another's on a shared port gets the higher one. */
#define QV_CHAIN_PRIORITY_BASE 1000

/* A port for RPC port.add. Ports of `ports:` come first in file order, then every interface of
 * every instance of every VNF (VNF order, instance, interface order), named
 * "<vnf>-<instance>-<iface>" and served at SOCKET_DIR/<name>.sock. */
struct qv_switch_port {
	char name[QV_PORT_NAME_MAX];
	enum qv_port_type type; /* VNF interfaces are vhost */
	bool vhost;             /* port.add type: "vhost" (path, client) or "dpdk" (devargs) */
	char *path;             /* vhost */
	bool client;            /* vhost: the switch connects instead of listening */
	bool vring_stats_off;   /* vhost: port.add vring_stats=false */
	char *devargs;          /* dpdk: PCI address or vdev string; NULL for a VF, see pf/vf */
	char *pf;               /* vf: the daemon resolves the VF's PCI address */
	uint16_t vf;
	char *vf_mac; /* vf: settings for the PF to apply (NULL, QV_MODEL_UNSET: keep) */
	int vf_vlan, vf_spoofchk, vf_trust;
	uint16_t queues;
	uint16_t mtu; /* 0: the switch's default */
	enum qv_port_default dflt;
	/* policers (RPC port.police), [enum qv_police_dir]; rate 0: none. A VNF interface takes
	 * its own bandwidth: when it has one, else its VNF's */
	struct qv_police police[QV_POLICE_NDIR];
	char *vnf, *iface; /* VNF interfaces: owner and interface; NULL for ports of `ports:`;
	                      a hostdev: the VNF whose VM takes the VF (iface NULL) */
	unsigned instance;
};

/* One flow rule. Rules come in chain order (file order), forward before reverse, and along the
 * path: stage 0 takes the packets at the ingress, stage k after the k-th hop. */
struct qv_switch_rule {
	char *text; /* "in=uplink0,vlan=100,priority=1000 actions=output:fw-0-in" */
	uint32_t priority;
	char *chain;
	bool reverse;
	unsigned stage;
	char in_port[QV_PORT_NAME_MAX];
};

struct qv_switch_plan {
	struct qv_switch_port *ports;
	size_t n_ports;
	/* VF ports of `ports:` that a VNF's `vfs` hands to its VM (a libvirt hostdev): the daemon
	 * resolves them like the switch's VFs, but they never become switch ports. */
	struct qv_switch_port *hostdevs;
	size_t n_hostdevs;
	struct qv_switch_rule *rules;
	size_t n_rules;
};

/* Compiles a model that loaded (and so validated) without error. Deterministic: the same model
 * gives the same ports and rules in the same order, so two plans can be diffed. The plan owns
 * all its memory (the model may be freed). Returns 0 and *out, or -1 with a message in err
 * (out of memory, or a model that does not validate). */
int qv_chain_compile(const struct qv_model *m, struct qv_switch_plan **out, char *err,
                     size_t errlen);

void qv_switch_plan_free(struct qv_switch_plan *p);

/* Index of the port called name in the plan, or -1. */
int qv_switch_plan_port(const struct qv_switch_plan *p, const char *name);

#endif
