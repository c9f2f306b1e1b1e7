/* qwikvirt: tuple space search over the rules added since the last rte_acl build (see
 * classifier_delta.h). Must agree with qv_match_covers() and "highest priority, then lowest
 * id"; tests/unit/test_classifier.c checks it against brute force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "dataplane/classifier_delta.h"
#include "dataplane/emc.h"

#define NO_ENTRY UINT32_MAX

/* One rule inside its tuple: the masked key it wants, and the port ranges checked apart
 * (a range that is neither one port nor every port is not a mask). */
struct delta_entry {
	uint64_t want[7];
	uint32_t rule; /* index in the rules given to build */
	uint32_t next; /* next entry of the same hash bucket, in rank order */
	uint16_t sp_lo, sp_hi, dp_lo, dp_hi;
	uint8_t ranges; /* bit 0: check src port range, bit 1: dst */
};

struct delta_tuple {
	uint64_t mask[7];
	uint32_t max_priority; /* of its rules: tuples are searched best first, and skipped */
	uint32_t n, cap;       /* entries, buckets (a power of two) */
	uint32_t *bucket;      /* first entry of each bucket */
};

struct qv_delta_cls {
	const struct qv_rule *rules;
	uint32_t n_tuples;
	struct delta_tuple *tuples;
	struct delta_entry *entries;
	size_t bytes;
};

/* Mask and value of a match in the key's layout (network order), or false when the match is
 * unsatisfiable (qv_match_covers is false for every key). */
static bool match_mask(const struct qv_match *m, struct qv_flow_key *mask, struct qv_flow_key *val,
                       struct delta_entry *e)
{
	uint32_t f = m->fields;

	memset(mask, 0, sizeof(*mask));
	memset(val, 0, sizeof(*val));
	e->ranges = 0;
	if (f & QV_M_IN_PORT) {
		mask->in_port = 0xffff;
		val->in_port = rte_cpu_to_be_16(m->in_port);
	}
	if ((f & QV_M_VLAN) && ((f & QV_M_NO_VLAN) || m->vlan_id > QV_VLAN_VID_MASK))
		return false;
	if (f & QV_M_VLAN) {
		mask->vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | QV_VLAN_VID_MASK);
		val->vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | m->vlan_id);
	}
	if (f & QV_M_NO_VLAN)
		mask->vlan_tci = 0xffff;
	if (f & QV_M_ETHERTYPE) {
		mask->ethertype = 0xffff;
		val->ethertype = rte_cpu_to_be_16(m->ethertype);
	}
	if (f & QV_M_DST_MAC) {
		memset(mask->dst_mac_hi, 0xff, 4), memset(mask->dst_mac_lo, 0xff, 2);
		memcpy(val->dst_mac_hi, m->dst_mac, 4), memcpy(val->dst_mac_lo, m->dst_mac + 4, 2);
	}
	if (f & QV_M_SRC_MAC) {
		memset(mask->src_mac_hi, 0xff, 4), memset(mask->src_mac_lo, 0xff, 2);
		memcpy(val->src_mac_hi, m->src_mac, 4), memcpy(val->src_mac_lo, m->src_mac + 4, 2);
	}
	if (f & (QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP)) {
		mask->ip_version = 0xff;
		val->ip_version = m->ip_version;
	}
	for (int side = 0; side < 2; side++) {
		uint32_t bit = side ? QV_M_DST_IP : QV_M_SRC_IP;
		uint8_t plen = side ? m->dst_plen : m->src_plen;
		const uint8_t *addr = side ? m->dst_ip : m->src_ip;
		uint8_t *mk = (uint8_t *)(side ? mask->dst_ip : mask->src_ip);
		uint8_t *vk = (uint8_t *)(side ? val->dst_ip : val->src_ip);

		if (!(f & bit))
			continue;
		if (!((m->ip_version == 4 && plen <= 32) || (m->ip_version == 6 && plen <= 128)))
			return false;
		for (unsigned b = 0; b < 16; b++) {
			unsigned bits = plen > 8 * b ? (plen - 8 * b >= 8 ? 8 : plen - 8 * b) : 0;

			mk[b] = (uint8_t)(0xff00u >> bits);
			vk[b] = addr[b] & mk[b];
		}
	}
	if (f & QV_M_PROTO) {
		mask->proto = 0xff;
		val->proto = m->proto;
	}
	for (int side = 0; side < 2; side++) {
		uint32_t bit = side ? QV_M_DST_PORT : QV_M_SRC_PORT;
		uint16_t lo = side ? m->dst_port_lo : m->src_port_lo;
		uint16_t hi = side ? m->dst_port_hi : m->src_port_hi;

		if (!(f & bit) || (lo == 0 && hi == UINT16_MAX))
			continue;
		if (lo > hi)
			return false;
		if (lo == hi) {
			*(side ? &mask->dst_port : &mask->src_port) = 0xffff;
			*(side ? &val->dst_port : &val->src_port) = rte_cpu_to_be_16(lo);
			continue;
		}
		e->ranges |= (uint8_t)(1u << side);
		if (side)
			e->dp_lo = lo, e->dp_hi = hi;
		else
			e->sp_lo = lo, e->sp_hi = hi;
	}
	return true;
}

static inline void mask_key(const uint64_t *k, const uint64_t *mask, uint64_t *out)
{
	for (int w = 0; w < 7; w++)
		out[w] = k[w] & mask[w];
}

static inline uint32_t words_hash(const uint64_t *w)
{
	struct qv_flow_key k;

	memcpy(&k, w, sizeof(k));
	return qv_flow_key_hash(&k);
}

/* Best first: rules are inserted into their tuples in rank order, so the first covering entry
 * of a bucket is the tuple's winner. */
static int rank_cmp(const void *a, const void *b, void *arg)
{
	const struct qv_rule *rules = arg;
	uint32_t ia = *(const uint32_t *)a, ib = *(const uint32_t *)b;

	if (qv_rule_outranks(&rules[ia], &rules[ib]))
		return -1;
	if (qv_rule_outranks(&rules[ib], &rules[ia]))
		return 1;
	return ia < ib ? -1 : (ia > ib);
}

static int tuple_cmp(const void *a, const void *b)
{
	const struct delta_tuple *x = a, *y = b;

	return x->max_priority > y->max_priority ? -1 : x->max_priority < y->max_priority;
}

struct qv_delta_cls *qv_delta_build(const struct qv_rule *rules, uint32_t n, char *err,
                                    size_t errlen)
{
	struct qv_delta_cls *d = calloc(1, sizeof(*d));
	uint32_t *order = malloc(sizeof(*order) * (n ? n : 1));
	uint32_t *tuple_of = malloc(sizeof(*tuple_of) * (n ? n : 1));
	uint32_t n_entries = 0, cap_tuples = 0;

	if (!d || !order || !tuple_of)
		goto nomem;
	d->rules = rules;
	d->entries = calloc(n ? n : 1, sizeof(*d->entries));
	if (!d->entries)
		goto nomem;
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), rank_cmp, (void *)rules);
	/* pass 1: each satisfiable rule's entry and tuple (tuples found by a linear search over
	 * the distinct masks: a delta holds few shapes) */
	for (uint32_t k = 0; k < n; k++) {
		struct delta_entry *e = &d->entries[n_entries];
		struct qv_flow_key mask, val;
		uint32_t t;

		if (!match_mask(&rules[order[k]].match, &mask, &val, e))
			continue;
		memcpy(e->want, &val, sizeof(e->want));
		e->rule = order[k];
		for (t = 0; t < d->n_tuples; t++)
			if (memcmp(d->tuples[t].mask, &mask, sizeof(mask)) == 0)
				break;
		if (t == d->n_tuples) {
			if (t == cap_tuples) {
				uint32_t cap = cap_tuples ? 2 * cap_tuples : 8;
				struct delta_tuple *nt = realloc(d->tuples, sizeof(*nt) * cap);

				if (!nt)
					goto nomem;
				memset(nt + cap_tuples, 0, sizeof(*nt) * (cap - cap_tuples));
				d->tuples = nt;
				cap_tuples = cap;
			}
			memcpy(d->tuples[t].mask, &mask, sizeof(mask));
			d->tuples[t].max_priority =
			    rules[order[k]].priority; /* the best comes first */
			d->n_tuples++;
		}
		d->tuples[t].n++;
		tuple_of[n_entries++] = t;
	}
	d->bytes = sizeof(*d) + n * sizeof(*d->entries) + cap_tuples * sizeof(*d->tuples);
	for (uint32_t t = 0; t < d->n_tuples; t++) {
		struct delta_tuple *tp = &d->tuples[t];

		tp->cap = 4;
		while (tp->cap < 2 * tp->n)
			tp->cap *= 2;
		tp->bucket = malloc(sizeof(*tp->bucket) * tp->cap);
		if (!tp->bucket)
			goto nomem;
		memset(tp->bucket, 0xff, sizeof(*tp->bucket) * tp->cap);
		d->bytes += sizeof(*tp->bucket) * tp->cap;
	}
	/* pass 2: into the buckets, worst first at the head, so each chain is in rank order */
	for (uint32_t k = n_entries; k-- > 0;) {
		struct delta_tuple *tp = &d->tuples[tuple_of[k]];
		uint32_t h = words_hash(d->entries[k].want) & (tp->cap - 1);

		d->entries[k].next = tp->bucket[h];
		tp->bucket[h] = k;
	}
	/* search order: best priority first (the entries keep their tuple's bucket arrays) */
	if (d->n_tuples > 1) /* qsort's array may not be NULL, even for none */
		qsort(d->tuples, d->n_tuples, sizeof(*d->tuples), tuple_cmp);
	free(order);
	free(tuple_of);
	return d;
nomem:
	snprintf(err, errlen, "out of memory building the incremental classifier of %u rules", n);
	free(order);
	free(tuple_of);
	qv_delta_free(d);
	return NULL;
}

static inline bool in_range(uint16_t port_be, uint16_t lo, uint16_t hi)
{
	uint16_t p = rte_be_to_cpu_16(port_be);

	return lo <= p && p <= hi;
}

uint32_t qv_delta_classify(const struct qv_delta_cls *d, const struct qv_flow_key *k)
{
	const struct qv_rule *best = NULL;
	uint32_t best_idx = 0;
	uint64_t key[7];

	memcpy(key, k, sizeof(key));
	for (uint32_t t = 0; t < d->n_tuples; t++) {
		const struct delta_tuple *tp = &d->tuples[t];
		uint64_t mk[7];

		/* equal priority may still win on a lower id */
		if (best && tp->max_priority < best->priority)
			break;
		mask_key(key, tp->mask, mk);
		for (uint32_t e = tp->bucket[words_hash(mk) & (tp->cap - 1)]; e != NO_ENTRY;
		     e = d->entries[e].next) {
			const struct delta_entry *en = &d->entries[e];

			if (memcmp(en->want, mk, sizeof(mk)) != 0)
				continue;
			if ((en->ranges & 1) && !in_range(k->src_port, en->sp_lo, en->sp_hi))
				continue;
			if ((en->ranges & 2) && !in_range(k->dst_port, en->dp_lo, en->dp_hi))
				continue;
			if (!best || qv_rule_outranks(&d->rules[en->rule], best)) {
				best = &d->rules[en->rule];
				best_idx = en->rule + 1;
			}
			break; /* the rest of the chain ranks lower */
		}
	}
	return best_idx;
}

void qv_delta_free(struct qv_delta_cls *d)
{
	if (!d)
		return;
	for (uint32_t t = 0; d->tuples && t < d->n_tuples; t++)
		free(d->tuples[t].bucket);
	free(d->tuples);
	free(d->entries);
	free(d);
}

size_t qv_delta_memory(const struct qv_delta_cls *d)
{
	return d ? d->bytes : 0;
}

uint32_t qv_delta_tuples(const struct qv_delta_cls *d)
{
	return d ? d->n_tuples : 0;
}

static bool prefixes_overlap(const uint8_t *a, uint8_t alen, const uint8_t *b, uint8_t blen)
{
	unsigned plen = alen < blen ? alen : blen, full = plen / 8, rest = plen % 8;

	if (full > 16)
		return true;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest && full < 16) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[full] & mask) == (b[full] & mask);
	}
	return true;
}

bool qv_match_overlaps(const struct qv_match *a, const struct qv_match *b)
{
	uint32_t both = a->fields & b->fields;
	const uint32_t ipv = QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP;

	if ((both & QV_M_IN_PORT) && a->in_port != b->in_port)
		return false;
	if ((both & QV_M_VLAN) && a->vlan_id != b->vlan_id)
		return false;
	if (((a->fields & QV_M_VLAN) && (b->fields & QV_M_NO_VLAN)) ||
	    ((a->fields & QV_M_NO_VLAN) && (b->fields & QV_M_VLAN)))
		return false;
	if ((both & QV_M_ETHERTYPE) && a->ethertype != b->ethertype)
		return false;
	if ((both & QV_M_SRC_MAC) && memcmp(a->src_mac, b->src_mac, 6) != 0)
		return false;
	if ((both & QV_M_DST_MAC) && memcmp(a->dst_mac, b->dst_mac, 6) != 0)
		return false;
	if ((a->fields & ipv) && (b->fields & ipv) && a->ip_version != b->ip_version)
		return false;
	if ((both & QV_M_SRC_IP) &&
	    !prefixes_overlap(a->src_ip, a->src_plen, b->src_ip, b->src_plen))
		return false;
	if ((both & QV_M_DST_IP) &&
	    !prefixes_overlap(a->dst_ip, a->dst_plen, b->dst_ip, b->dst_plen))
		return false;
	if ((both & QV_M_PROTO) && a->proto != b->proto)
		return false;
	if ((both & QV_M_SRC_PORT) &&
	    (a->src_port_hi < b->src_port_lo || b->src_port_hi < a->src_port_lo))
		return false;
	if ((both & QV_M_DST_PORT) &&
	    (a->dst_port_hi < b->dst_port_lo || b->dst_port_hi < a->dst_port_lo))
		return false;
	return true;
}
