/* qwikvirt: load-balancing groups as the PMDs read them — one Maglev table per rule with
 * group actions, built with the flow table — and the per-PMD flow-affinity tables. */
#ifndef QV_LB_H
#define QV_LB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/lb/affinity.h"
#include "dataplane/lb/maglev.h"
#include "qv/rule.h"

/* A flow not seen for this long forgets its member (a new flow with its hash is balanced
 * afresh): longer than any sane gap inside a stateful session of a firewall. The default of
 * qv_lb_idle_s (qv-switchd --group-idle), which a table takes when it is built. */
#define QV_LB_IDLE_S 60
extern unsigned qv_lb_idle_s;

struct qv_lb_group {
	/* Stable across table rebuilds (a hash of the rule's match and priority, not its id), so
	 * a rule replaced with more or fewer members keeps its flows' affinity entries. */
	uint32_t id;
	uint32_t rule; /* rule index: classifier result - 1 (qv_flow_table_rule(t, rule + 1)) */
	uint16_t n;
	uint16_t members[QV_MAGLEV_MAX_MEMBERS]; /* port indexes (QV_PORT_NONE: missing) */
	struct qv_maglev mg;                     /* built over member ordinals 0..n-1 */
};

struct qv_lb_groups {
	uint32_t n;
	uint64_t idle_cycles;
	const uint32_t *of_rule; /* of_rule[rule index]: index in g[], or UINT32_MAX */
	struct qv_lb_group g[];
};

/* Per PMD (index): written once by the control thread (release) when the first table with a
 * group is built, never freed before exit; NULL until then. */
extern struct qv_lb_affinity *_Atomic qv_lb_affinity_of[];

/* Draining members (a scale-in, control/controld/scaling.c): qv_lb_draining[port index] set,
 * that port takes no new flow in any group (the Maglev choice skips it while another member
 * is usable), and the flows it already has (fresh affinity entries) stay on it until they go
 * idle or qv-controld removes it. Written by the control thread (group.drain), cleared when
 * the port is removed; qv_lb_n_draining counts the ports set, so that a switch with none
 * never looks at the array. The PMDs read both relaxed: a drain starting a burst late only
 * lets a few more new flows in. */
extern _Atomic uint8_t qv_lb_draining[QV_MAX_PORTS];
extern _Atomic uint32_t qv_lb_n_draining;

/* ---- slow path (control thread) ---- */

/* Marks port index draining (on) or not; returns whether it was. */
bool qv_lb_set_draining(uint16_t index, bool on);

/* The groups of rules[0..n) (NULL with *err empty when there is none; NULL with err on
 * failure), and the affinity tables of n_pmds PMDs made sure of. */
struct qv_lb_groups *qv_lb_groups_build(const struct qv_rule *rules, uint32_t n, uint16_t n_pmds,
                                        char *err, size_t errlen);
/* The same over two arrays taken as one, a[0..na) then b[0..nb) (rule index i < na is a[i],
 * else b[i - na]): a flow table's big part and its delta, in result order. Bit i of a_skip
 * (NULL: none) set: a[i] is deleted, and gets no group. a_groups false: a holds no group
 * rule (its builder counted them, qv_lb_group_rules), so a is not scanned: a publish of one
 * rule beside a big table then costs the delta, not a pass over every rule of a. */
struct qv_lb_groups *qv_lb_groups_build_parts(const struct qv_rule *a, uint32_t na,
                                              const uint64_t *a_skip, bool a_groups,
                                              const struct qv_rule *b, uint32_t nb, uint16_t n_pmds,
                                              char *err, size_t errlen);
/* How many of rules[0..n) output through a group. */
uint32_t qv_lb_group_rules(const struct qv_rule *rules, uint32_t n);
void qv_lb_groups_free(struct qv_lb_groups *gs);

/* group.show's view of the groups of the live table: members, usable, flows per member
 * (fresh affinity entries), and each PMD's affinity-table use. */
struct json_t *qv_lb_show(void);

#endif
