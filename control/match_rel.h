/* qwikvirt: set relations between two chain matches (disjoint, equal, nested, overlapping)
 * and the mirrored match of a chain's reverse direction. Pure functions, no allocation. */
#ifndef QV_MATCH_REL_H
#define QV_MATCH_REL_H

#include "qv/rule.h"

enum qv_match_rel {
	QV_REL_DISJOINT, /* no packet matches both */
	QV_REL_EQUAL,    /* the same packets */
	QV_REL_INSIDE,   /* every packet of a matches b, not the other way round */
	QV_REL_CONTAINS, /* every packet of b matches a, not the other way round */
	QV_REL_OVERLAP,  /* some packets match both, and each has packets the other lacks */
};

/* Relation of a to b over the fields a chain can match (VLAN, eth-type/IP version, addresses,
 * protocol, L4 ports; in_port is ignored: the caller compares rules on the same port). */
enum qv_match_rel qv_match_relation(const struct qv_match *a, const struct qv_match *b);

/* The reply's match: source and destination addresses and ports swapped. */
void qv_match_mirror(const struct qv_match *m, struct qv_match *out);

#endif
