/* qwikvirt: a flow rule as the control side sees it (host byte order): match + priority + actions.
 * Parsed from the compact text syntax, compiled into rte_acl by the classifier. */
#ifndef QV_RULE_H
#define QV_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qv/flow_key.h"

/* The port index space: 0..QV_MAX_PORTS-1 can be slots of the switch's port table, which
 * grows as ports are added (so the real limit is memory; ethdevs are also bounded by DPDK's
 * RTE_MAX_ETHPORTS). Nothing is sized by it per port: it only keeps indexes clear of the
 * values below, which are not slots and never reach a PMD as one. A rule's in_port is one
 * index (a 16-bit exact field in the classifiers), so rules do not assume a port count. */
#define QV_MAX_PORTS 0xff00
#define QV_PORT_NONE 0xffff /* an output to a port that does not exist (now): port-down */
/* While a rule is formatted: "the name kept beside the rule" — its in-port's, or the k-th
 * port-naming action's — so a rule whose port is gone prints as the operator wrote it. */
#define QV_PORT_REF_IN 0xfffe
#define QV_PORT_REF_OUT(k) ((uint16_t)(0xff00 + (k)))
#define QV_PORT_NAME_MAX 32
#define QV_MAX_ACTIONS 8
#define QV_PRIORITY_MAX 65535
#define QV_PRIORITY_DEFAULT 32768

/* Which fields of struct qv_match are set; an unset field is a wildcard. */
enum qv_match_field {
	QV_M_IN_PORT = 1u << 0,
	QV_M_VLAN = 1u << 1,    /* vlan_id: packets tagged with this VLAN id */
	QV_M_NO_VLAN = 1u << 2, /* untagged packets only ("vlan=none") */
	QV_M_ETHERTYPE = 1u << 3,
	QV_M_SRC_MAC = 1u << 4,
	QV_M_DST_MAC = 1u << 5,
	QV_M_SRC_IP = 1u << 6, /* src_ip/src_plen; ip_version says 4 or 6 */
	QV_M_DST_IP = 1u << 7,
	QV_M_PROTO = 1u << 8,
	QV_M_SRC_PORT = 1u << 9, /* inclusive range src_port_lo..src_port_hi */
	QV_M_DST_PORT = 1u << 10,
	QV_M_IP_VERSION =
	    1u << 11, /* set whenever an IP field is given, or eth-type is ipv4/ipv6 */
};

struct qv_match {
	uint32_t fields; /* enum qv_match_field bits */
	uint16_t in_port;
	uint16_t vlan_id;
	uint16_t ethertype;
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t ip_version;
	uint8_t src_plen, dst_plen;
	uint8_t src_ip[16]; /* network order bytes; IPv4 uses the first 4 */
	uint8_t dst_ip[16];
	uint8_t proto;
	uint16_t src_port_lo, src_port_hi;
	uint16_t dst_port_lo, dst_port_hi;
};

enum qv_action_type {
	QV_ACT_OUTPUT = 1, /* arg = port index */
	QV_ACT_DROP,
	QV_ACT_PUSH_VLAN, /* arg = VLAN id */
	QV_ACT_POP_VLAN,
	/* One member of the rule's load-balancing group (arg = port index). All GROUP actions of
	 * a rule form one group; the packet goes to ONE live member chosen by a symmetric hash
	 * of its flow, so a flow and its reply pick the same member index. */
	QV_ACT_GROUP,
};

struct qv_action {
	uint8_t type;
	uint16_t arg;
};

struct qv_rule {
	uint32_t id;       /* unique, assigned by the switch when the rule is added */
	uint32_t priority; /* 0..QV_PRIORITY_MAX, higher wins; ties go to the lower id */
	struct qv_match match;
	uint8_t n_actions;
	struct qv_action actions[QV_MAX_ACTIONS];
};

/* Actions whose arg is a port index (resolved from a port name). */
static inline bool qv_action_names_port(uint8_t type)
{
	return type == QV_ACT_OUTPUT || type == QV_ACT_GROUP;
}

/* True when the rule's match covers the key. The reference semantics the classifier must
 * agree with (unit tests compare rte_acl against it on random rules and packets). */
bool qv_match_covers(const struct qv_match *m, const struct qv_flow_key *key);

#endif
