/* qwikvirt: wildcard rule classifier on rte_acl (one ACL field per flow key member).
 * Must agree with qv_match_covers() plus "highest priority, then lowest id"; tests check it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>

#include "dataplane/classifier.h"

/* ACL field indexes. rte_acl feeds its trie the first input byte alone (from the first field's
 * offset), then 4 bytes at a time from the offset of the first field of each later input group,
 * so every group after the first must cover exactly 4 consecutive bytes of the key. Word 0 holds
 * proto + ip_version + in_port: proto is the mandatory 1-byte first field, and word 0 is read a
 * second time as input group 1 through a never-matched alias of byte 0 (F_WORD0_PAD) so that
 * ip_version and in_port stay in a properly aligned 4-byte group. Without the alias the trie and
 * the input drift one byte apart for every later field (verified: nothing matches then).
 *
 * Groups need not follow key order. Prefixes go early and the port ranges last: ranges split
 * into many byte ranges, and testing them at the leaves keeps tries far smaller (random
 * 1000-rule sets build 3-10x faster than in key order). */
enum {
	F_PROTO,
	F_WORD0_PAD,
	F_IP_VERSION,
	F_IN_PORT,
	F_VLAN_TCI,
	F_ETHERTYPE,
	F_DST_MAC_HI,
	F_DST_MAC_LO,
	F_SRC_MAC_LO,
	F_SRC_MAC_HI,
	F_SRC_PORT,
	F_DST_PORT,
	F_SRC_IP0,
	F_DST_IP0 = F_SRC_IP0 + 4,
	F_NUM = F_DST_IP0 + 4,
};

RTE_ACL_RULE_DEF(qv_acl_rule, F_NUM);

#define KEY_OFS(m) ((uint32_t)offsetof(struct qv_flow_key, m))

#define FDEF(t, sz, idx, in, ofs)                                                                  \
	{                                                                                          \
		.type = RTE_ACL_FIELD_TYPE_##t, .size = (sz), .field_index = (idx),                \
		.input_index = (in), .offset = (ofs)                                               \
	}

static const struct rte_acl_field_def qv_acl_defs[F_NUM] = {
    FDEF(BITMASK, 1, F_PROTO, 0, KEY_OFS(proto)),
    FDEF(BITMASK, 1, F_WORD0_PAD, 1, KEY_OFS(proto)),
    FDEF(BITMASK, 1, F_IP_VERSION, 1, KEY_OFS(ip_version)),
    FDEF(BITMASK, 2, F_IN_PORT, 1, KEY_OFS(in_port)),
    FDEF(MASK, 4, F_SRC_IP0 + 0, 2, KEY_OFS(src_ip[0])),
    FDEF(MASK, 4, F_SRC_IP0 + 1, 3, KEY_OFS(src_ip[1])),
    FDEF(MASK, 4, F_SRC_IP0 + 2, 4, KEY_OFS(src_ip[2])),
    FDEF(MASK, 4, F_SRC_IP0 + 3, 5, KEY_OFS(src_ip[3])),
    FDEF(MASK, 4, F_DST_IP0 + 0, 6, KEY_OFS(dst_ip[0])),
    FDEF(MASK, 4, F_DST_IP0 + 1, 7, KEY_OFS(dst_ip[1])),
    FDEF(MASK, 4, F_DST_IP0 + 2, 8, KEY_OFS(dst_ip[2])),
    FDEF(MASK, 4, F_DST_IP0 + 3, 9, KEY_OFS(dst_ip[3])),
    FDEF(BITMASK, 2, F_VLAN_TCI, 10, KEY_OFS(vlan_tci)),
    FDEF(BITMASK, 2, F_ETHERTYPE, 10, KEY_OFS(ethertype)),
    FDEF(BITMASK, 4, F_DST_MAC_HI, 11, KEY_OFS(dst_mac_hi)),
    FDEF(BITMASK, 2, F_DST_MAC_LO, 12, KEY_OFS(dst_mac_lo)),
    FDEF(BITMASK, 2, F_SRC_MAC_LO, 12, KEY_OFS(src_mac_lo)),
    FDEF(BITMASK, 4, F_SRC_MAC_HI, 13, KEY_OFS(src_mac_hi)),
    FDEF(RANGE, 2, F_SRC_PORT, 14, KEY_OFS(src_port)),
    FDEF(RANGE, 2, F_DST_PORT, 14, KEY_OFS(dst_port)),
};

/* Cap on rte_acl run-time tables. A non-zero cap also makes rte_acl split big rule sets into
 * several tries instead of building one huge trie. */
#define QV_CLS_MAX_SIZE (64u << 20)

/* rte_acl_classify handles any count, but we stage the key pointers in a small stack array (the
 * ACL wants const uint8_t **), so classify in chunks of this many. */
#define QV_CLS_CHUNK 64

/* rte_acl gives up (-ENOMEM) when a rule set needs more than RTE_ACL_MAX_TRIES tries, which
 * happens with a few hundred rules mixing many different wildcard shapes. We then split the
 * ranked rule list into priority bands, one ACL context each: every rule of band b outranks
 * every rule of band b+1, so the first band that matches a key holds the winner. */
#define QV_CLS_MAX_BANDS 32

struct qv_classifier {
	uint32_t n_rules;
	uint32_t n_bands; /* 0 when no rule can match */
	struct rte_acl_ctx *band[QV_CLS_MAX_BANDS];
};

static atomic_uint qv_cls_seq;

uint32_t qv_classifier_band_limit;

/* Rule values go to rte_acl in host order (it compares them against big-endian input). */
static void set_bitmask(struct qv_acl_rule *r, int f, uint32_t size, uint32_t value, uint32_t mask)
{
	switch (size) {
	case 1:
		r->field[f].value.u8 = (uint8_t)value;
		r->field[f].mask_range.u8 = (uint8_t)mask;
		break;
	case 2:
		r->field[f].value.u16 = (uint16_t)value;
		r->field[f].mask_range.u16 = (uint16_t)mask;
		break;
	default:
		r->field[f].value.u32 = value;
		r->field[f].mask_range.u32 = mask;
		break;
	}
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Prefix over 1 (IPv4) or 4 (IPv6) words, each word a MASK field with its share of the prefix. */
static void set_prefix(struct qv_acl_rule *r, int f0, uint8_t version, uint8_t plen,
                       const uint8_t *addr)
{
	uint32_t words = version == 4 ? 1 : 4;

	for (uint32_t w = 0; w < words; w++) {
		uint32_t bits = plen > 32 * w ? RTE_MIN(32u, plen - 32u * w) : 0;
		r->field[f0 + w].value.u32 = bits ? be32_at(addr + 4 * w) : 0;
		r->field[f0 + w].mask_range.u32 = bits;
	}
}

static bool ip_match_ok(const struct qv_match *m, uint32_t bit, uint8_t plen)
{
	if (!(m->fields & bit))
		return true;
	return (m->ip_version == 4 && plen <= 32) || (m->ip_version == 6 && plen <= 128);
}

/* Matches qv_match_covers() declares unsatisfiable cannot be expressed as one ACL rule; since
 * they cover nothing they are simply not added. */
static bool match_satisfiable(const struct qv_match *m)
{
	uint32_t f = m->fields;

	if ((f & QV_M_VLAN) && ((f & QV_M_NO_VLAN) || m->vlan_id > QV_VLAN_VID_MASK))
		return false;
	if ((f & QV_M_SRC_PORT) && m->src_port_lo > m->src_port_hi)
		return false;
	if ((f & QV_M_DST_PORT) && m->dst_port_lo > m->dst_port_hi)
		return false;
	return ip_match_ok(m, QV_M_SRC_IP, m->src_plen) && ip_match_ok(m, QV_M_DST_IP, m->dst_plen);
}

static void fill_acl_rule(struct qv_acl_rule *r, const struct qv_match *m)
{
	uint32_t f = m->fields;

	memset(r, 0, sizeof(*r)); /* BITMASK/MASK value 0 mask 0 = wildcard */
	r->field[F_SRC_PORT].mask_range.u16 = UINT16_MAX;
	r->field[F_DST_PORT].mask_range.u16 = UINT16_MAX;

	if (f & QV_M_PROTO)
		set_bitmask(r, F_PROTO, 1, m->proto, 0xff);
	if (f & (QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP))
		set_bitmask(r, F_IP_VERSION, 1, m->ip_version, 0xff);
	if (f & QV_M_IN_PORT)
		set_bitmask(r, F_IN_PORT, 2, m->in_port, 0xffff);
	if (f & QV_M_VLAN)
		set_bitmask(r, F_VLAN_TCI, 2, m->vlan_id | QV_VLAN_PRESENT,
		            QV_VLAN_PRESENT | QV_VLAN_VID_MASK);
	if (f & QV_M_NO_VLAN)
		set_bitmask(r, F_VLAN_TCI, 2, 0, 0xffff); /* untagged keys store tci 0 */
	if (f & QV_M_ETHERTYPE)
		set_bitmask(r, F_ETHERTYPE, 2, m->ethertype, 0xffff);
	if (f & QV_M_DST_MAC) {
		set_bitmask(r, F_DST_MAC_HI, 4, be32_at(m->dst_mac), UINT32_MAX);
		set_bitmask(r, F_DST_MAC_LO, 2, (uint32_t)m->dst_mac[4] << 8 | m->dst_mac[5],
		            0xffff);
	}
	if (f & QV_M_SRC_MAC) {
		set_bitmask(r, F_SRC_MAC_HI, 4, be32_at(m->src_mac), UINT32_MAX);
		set_bitmask(r, F_SRC_MAC_LO, 2, (uint32_t)m->src_mac[4] << 8 | m->src_mac[5],
		            0xffff);
	}
	if (f & QV_M_SRC_PORT) {
		r->field[F_SRC_PORT].value.u16 = m->src_port_lo;
		r->field[F_SRC_PORT].mask_range.u16 = m->src_port_hi;
	}
	if (f & QV_M_DST_PORT) {
		r->field[F_DST_PORT].value.u16 = m->dst_port_lo;
		r->field[F_DST_PORT].mask_range.u16 = m->dst_port_hi;
	}
	if (f & QV_M_SRC_IP)
		set_prefix(r, F_SRC_IP0, m->ip_version, m->src_plen, m->src_ip);
	if (f & QV_M_DST_IP)
		set_prefix(r, F_DST_IP0, m->ip_version, m->dst_plen, m->dst_ip);
}

/* Best rule first: higher priority, then lower id, then lower index (ids should be unique, the
 * index only keeps the order total). */
static int rank_cmp(const void *a, const void *b, void *arg)
{
	const struct qv_rule *rules = arg;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;
	const struct qv_rule *ra = &rules[ia], *rb = &rules[ib];

	if (ra->priority != rb->priority)
		return ra->priority > rb->priority ? -1 : 1;
	if (ra->id != rb->id)
		return ra->id < rb->id ? -1 : 1;
	return ia < ib ? -1 : (ia > ib);
}

/* Builds one ACL context over rules[0..n-1] (already in rank order) into *out.
 * Returns 0, or a negative errno with err filled in. */
static int build_ctx(const struct qv_acl_rule *rules, uint32_t n, int socket_id,
                     struct rte_acl_ctx **out, char *err, size_t errlen)
{
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_ctx *ctx;
	int rc;

	/* rte_acl_create hands back an existing context for a known name, so never reuse one. */
	snprintf(name, sizeof(name), "qv_cls_%u", atomic_fetch_add(&qv_cls_seq, 1));
	struct rte_acl_param param = {
	    .name = name,
	    .socket_id = socket_id,
	    .rule_size = RTE_ACL_RULE_SZ(F_NUM),
	    .max_rule_num = n,
	};
	ctx = rte_acl_create(&param);
	if (ctx == NULL) {
		rc = rte_errno ? -rte_errno : -ENOMEM;
		snprintf(err, errlen, "classifier: rte_acl_create(%s): %s", name,
		         rte_strerror(-rc));
		return rc;
	}
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rules, n);
	if (rc != 0) {
		snprintf(err, errlen, "classifier: rte_acl_add_rules(%u rules): %s", n,
		         strerror(-rc));
		rte_acl_free(ctx);
		return rc;
	}
	struct rte_acl_config cfg = {
	    .num_categories = 1,
	    .num_fields = F_NUM,
	    .max_size = QV_CLS_MAX_SIZE,
	};
	memcpy(cfg.defs, qv_acl_defs, sizeof(qv_acl_defs));
	rc = rte_acl_build(ctx, &cfg);
	if (rc != 0) {
		snprintf(err, errlen, "classifier: rte_acl_build(%u rules): %s", n, strerror(-rc));
		rte_acl_free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

/* Builds rules[0..n-1] as one band, or, when rte_acl runs out of tries or memory, as two
 * halves (recursively) while bands are left. Bands are appended in rank order. */
static int build_bands(struct qv_classifier *c, const struct qv_acl_rule *rules, uint32_t n,
                       int socket_id, char *err, size_t errlen)
{
	struct rte_acl_ctx *ctx = NULL;
	int rc;

	if (c->n_bands == QV_CLS_MAX_BANDS) {
		snprintf(err, errlen, "classifier: rule set needs more than %u rte_acl contexts",
		         QV_CLS_MAX_BANDS);
		return -ENOSPC;
	}
	if (qv_classifier_band_limit != 0 && n > qv_classifier_band_limit)
		rc = -ENOMEM; /* as if rte_acl had given up */
	else
		rc = build_ctx(rules, n, socket_id, &ctx, err, errlen);
	if (rc == 0) {
		c->band[c->n_bands++] = ctx;
		return 0;
	}
	if (rc != -ENOMEM || n < 2)
		return rc;
	uint32_t half = n / 2;
	rc = build_bands(c, rules, half, socket_id, err, errlen);
	if (rc == 0)
		rc = build_bands(c, rules + half, n - half, socket_id, err, errlen);
	return rc;
}

struct qv_classifier *qv_classifier_build(const struct qv_rule *rules, uint32_t n, int socket_id,
                                          char *err, size_t errlen)
{
	struct qv_classifier *c;
	struct qv_acl_rule *acl_rules = NULL;
	uint32_t *order = NULL;
	uint32_t n_acl = 0;

	if (n > RTE_ACL_MAX_PRIORITY) {
		snprintf(err, errlen, "classifier: %u rules exceed the rte_acl priority range", n);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "classifier: out of memory for the classifier");
		return NULL;
	}
	c->n_rules = n;
	if (n == 0)
		return c;

	order = malloc(sizeof(*order) * n);
	acl_rules = malloc(sizeof(*acl_rules) * n);
	if (order == NULL || acl_rules == NULL) {
		snprintf(err, errlen, "classifier: out of memory for %u ACL rules", n);
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), rank_cmp, (void *)rules);
	/* Unique ACL priorities by rank (best rule n, worst 1), ACL rules in rank order. */
	for (uint32_t rank = 0; rank < n; rank++) {
		uint32_t i = order[rank];
		if (!match_satisfiable(&rules[i].match))
			continue;
		struct qv_acl_rule *r = &acl_rules[n_acl++];
		fill_acl_rule(r, &rules[i].match);
		r->data.category_mask = 1;
		r->data.priority = (int32_t)(n - rank);
		r->data.userdata = i + 1;
	}
	/* With no satisfiable rule there is no context at all; classify answers 0. */
	if (n_acl != 0 && build_bands(c, acl_rules, n_acl, socket_id, err, errlen) != 0)
		goto fail;
	free(order);
	free(acl_rules);
	return c;
fail:
	free(order);
	free(acl_rules);
	qv_classifier_free(c);
	return NULL;
}

void qv_classifier_classify(const struct qv_classifier *c, const struct qv_flow_key *const *keys,
                            uint32_t n, uint32_t *results)
{
	const uint8_t *data[QV_CLS_CHUNK];
	uint32_t more[QV_CLS_CHUNK];

	if (c->n_bands == 0) {
		memset(results, 0, sizeof(*results) * n);
		return;
	}
	for (uint32_t off = 0; off < n; off += QV_CLS_CHUNK) {
		uint32_t cnt = RTE_MIN(n - off, (uint32_t)QV_CLS_CHUNK);
		uint32_t *res = results + off;
		for (uint32_t i = 0; i < cnt; i++)
			data[i] = (const uint8_t *)keys[off + i];
		/* Only fails on invalid arguments, which a built context never gives. */
		rte_acl_classify(c->band[0], data, res, cnt, 1);
		for (uint32_t b = 1; b < c->n_bands; b++) {
			uint32_t misses = 0;
			for (uint32_t i = 0; i < cnt; i++)
				misses += res[i] == 0;
			if (misses == 0)
				break;
			rte_acl_classify(c->band[b], data, more, cnt, 1);
			for (uint32_t i = 0; i < cnt; i++)
				if (res[i] == 0)
					res[i] = more[i];
		}
	}
}

void qv_classifier_free(struct qv_classifier *c)
{
	if (c == NULL)
		return;
	for (uint32_t b = 0; b < c->n_bands; b++)
		rte_acl_free(c->band[b]);
	free(c);
}

uint32_t qv_classifier_size(const struct qv_classifier *c)
{
	return c->n_rules;
}
