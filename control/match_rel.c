/* qwikvirt: match set relations for the chain validator and compiler (see match_rel.h).
 * A match is a product of per-field sets, so two matches relate field by field. */
#include "control/match_rel.h"

#include <stdbool.h>
#include <string.h>

#include "lib/proto.h"

/* VLAN values: ids 0..4095, and one more value for "untagged". */
#define VLAN_NONE 4096

/* Per-field relation, accumulated: both "a inside b" and "b inside a" start true. */
struct rel {
	bool disjoint, a_in_b, b_in_a;
};

static void range(struct rel *r, unsigned alo, unsigned ahi, unsigned blo, unsigned bhi)
{
	if (ahi < blo || bhi < alo) {
		r->disjoint = true;
		return;
	}
	if (!(blo <= alo && ahi <= bhi))
		r->a_in_b = false;
	if (!(alo <= blo && bhi <= ahi))
		r->b_in_a = false;
}

static void vlan_range(const struct qv_match *m, unsigned *lo, unsigned *hi)
{
	if (m->fields & QV_M_VLAN)
		*lo = *hi = m->vlan_id;
	else if (m->fields & QV_M_NO_VLAN)
		*lo = *hi = VLAN_NONE;
	else
		*lo = 0, *hi = VLAN_NONE;
}

/* The ethertype a match needs: explicit, implied by an IP field, or any. */
static void eth_range(const struct qv_match *m, unsigned *lo, unsigned *hi)
{
	if (m->fields & QV_M_ETHERTYPE)
		*lo = *hi = m->ethertype;
	else if (m->fields & (QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP))
		*lo = *hi = m->ip_version == 6 ? QV_ETHERTYPE_IPV6 : QV_ETHERTYPE_IPV4;
	else
		*lo = 0, *hi = 0xffff;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Prefixes nest or are disjoint; an absent address is the /0 prefix. Different IP versions
 * are already disjoint through the ethertype. */
static void prefix(struct rel *r, bool aset, const uint8_t *a, unsigned alen, bool bset,
                   const uint8_t *b, unsigned blen)
{
	if (!aset)
		alen = 0;
	if (!bset)
		blen = 0;
	unsigned common = alen < blen ? alen : blen;
	if (!prefix_equal(a, b, common)) {
		r->disjoint = true;
		return;
	}
	if (alen < blen)
		r->a_in_b = false;
	if (blen < alen)
		r->b_in_a = false;
}

static void port_range(const struct qv_match *m, bool src, unsigned *lo, unsigned *hi)
{
	uint32_t bit = src ? QV_M_SRC_PORT : QV_M_DST_PORT;
	if (!(m->fields & bit)) {
		*lo = 0, *hi = 0xffff;
		return;
	}
	*lo = src ? m->src_port_lo : m->dst_port_lo;
	*hi = src ? m->src_port_hi : m->dst_port_hi;
}

enum qv_match_rel qv_match_relation(const struct qv_match *a, const struct qv_match *b)
{
	struct rel r = {false, true, true};
	unsigned alo, ahi, blo, bhi;

	vlan_range(a, &alo, &ahi);
	vlan_range(b, &blo, &bhi);
	range(&r, alo, ahi, blo, bhi);
	eth_range(a, &alo, &ahi);
	eth_range(b, &blo, &bhi);
	range(&r, alo, ahi, blo, bhi);
	if (r.disjoint)
		return QV_REL_DISJOINT;
	/* Same ethertype from here on, so the same IP version where addresses are set. */
	prefix(&r, a->fields & QV_M_SRC_IP, a->src_ip, a->src_plen, b->fields & QV_M_SRC_IP,
	       b->src_ip, b->src_plen);
	prefix(&r, a->fields & QV_M_DST_IP, a->dst_ip, a->dst_plen, b->fields & QV_M_DST_IP,
	       b->dst_ip, b->dst_plen);
	alo = a->fields & QV_M_PROTO ? a->proto : 0;
	ahi = a->fields & QV_M_PROTO ? a->proto : 255;
	blo = b->fields & QV_M_PROTO ? b->proto : 0;
	bhi = b->fields & QV_M_PROTO ? b->proto : 255;
	range(&r, alo, ahi, blo, bhi);
	for (int src = 0; src < 2; src++) {
		port_range(a, src, &alo, &ahi);
		port_range(b, src, &blo, &bhi);
		range(&r, alo, ahi, blo, bhi);
	}
	if (r.disjoint)
		return QV_REL_DISJOINT;
	if (r.a_in_b && r.b_in_a)
		return QV_REL_EQUAL;
	if (r.a_in_b)
		return QV_REL_INSIDE;
	if (r.b_in_a)
		return QV_REL_CONTAINS;
	return QV_REL_OVERLAP;
}

void qv_match_mirror(const struct qv_match *m, struct qv_match *out)
{
	struct qv_match r = *m;
	uint32_t f = m->fields & ~(QV_M_SRC_IP | QV_M_DST_IP | QV_M_SRC_PORT | QV_M_DST_PORT);

	if (m->fields & QV_M_SRC_IP)
		f |= QV_M_DST_IP;
	if (m->fields & QV_M_DST_IP)
		f |= QV_M_SRC_IP;
	if (m->fields & QV_M_SRC_PORT)
		f |= QV_M_DST_PORT;
	if (m->fields & QV_M_DST_PORT)
		f |= QV_M_SRC_PORT;
	r.fields = f;
	memcpy(r.src_ip, m->dst_ip, sizeof(r.src_ip));
	memcpy(r.dst_ip, m->src_ip, sizeof(r.dst_ip));
	r.src_plen = m->dst_plen;
	r.dst_plen = m->src_plen;
	r.src_port_lo = m->dst_port_lo;
	r.src_port_hi = m->dst_port_hi;
	r.dst_port_lo = m->src_port_lo;
	r.dst_port_hi = m->src_port_hi;
	*out = r;
}
