/* qwikvirt: the per-PMD flow-affinity table — FAST PATH, inline, no allocation: remembers
 * which member each flow of a group went to, so a membership change does not move it. */
#ifndef QV_LB_AFFINITY_H
#define QV_LB_AFFINITY_H

#include <stdbool.h>
#include <stdint.h>

/* 256K entries, 8-way set associative (32K sets of eight 16-byte entries, two cache lines:
 * 4 MiB per PMD). Both directions of a flow take an entry each when one PMD handles both.
 * 8 ways and 256K, not 2 ways and 64K: 10,000 flows over 64K 2-way entries overflow ~120
 * sets (1% of the flows lose their entry and may move on a membership change); 20,000
 * entries over 64K 8-way still overflow a few sets; over 256K 8-way, practically none. */
#define QV_LB_AFF_ENTRIES (1u << 18)
#define QV_LB_AFF_WAYS 8
#define QV_LB_AFF_SETS (QV_LB_AFF_ENTRIES / QV_LB_AFF_WAYS)
#define QV_LB_AFF_MEMBER_MASK 0xffffull

/* key: group id << 32 | the flow's symmetric hash (0: empty). val: the TSC it was last seen
 * at, its low 16 bits (65536 cycles, ~20 us) replaced by the member's port index. Two 64-bit words,
 * each written with one store, so a reader on another thread (stats) sees each word whole. */
struct qv_lb_aff_entry {
	uint64_t key;
	uint64_t val;
};

/* Written by its PMD only (counters read relaxed by the slow path). */
struct qv_lb_affinity {
	uint64_t hits;      /* a flow found, its member still in the group and usable */
	uint64_t misses;    /* not found, or found idle: picked by the Maglev table */
	uint64_t stale;     /* found, but its member left the group or is down: re-picked */
	uint64_t evictions; /* a live (not idle) entry overwritten by another flow */
	struct qv_lb_aff_entry e[QV_LB_AFF_ENTRIES];
};

static inline uint64_t qv_lb_aff_key(uint32_t group, uint32_t hash)
{
	uint64_t k = (uint64_t)group << 32 | hash;

	return k ? k : 1;
}

static inline struct qv_lb_aff_entry *qv_lb_aff_set(struct qv_lb_affinity *a, uint64_t key)
{
	uint32_t s = (uint32_t)(key ^ (key >> 32) * 0x9e3779b1u) & (QV_LB_AFF_SETS - 1);

	return &a->e[QV_LB_AFF_WAYS * s];
}

/* Brings the set of key into the cache (both of its lines) ahead of a find or store. */
static inline void qv_lb_aff_prefetch(struct qv_lb_affinity *a, uint64_t key)
{
	const struct qv_lb_aff_entry *s = qv_lb_aff_set(a, key);

	__builtin_prefetch(s, 1);
	__builtin_prefetch(s + QV_LB_AFF_WAYS / 2, 1);
}

/* An entry not seen for idle cycles (or never used) is free. */
static inline bool qv_lb_aff_fresh(const struct qv_lb_aff_entry *e, uint64_t now, uint64_t idle)
{
	return e->key != 0 && now - (e->val & ~QV_LB_AFF_MEMBER_MASK) < idle;
}

/* The entry of (group, hash) if present and fresh, else NULL. */
static inline struct qv_lb_aff_entry *qv_lb_aff_find(struct qv_lb_affinity *a, uint64_t key,
                                                     uint64_t now, uint64_t idle)
{
	struct qv_lb_aff_entry *s = qv_lb_aff_set(a, key);

	for (unsigned w = 0; w < QV_LB_AFF_WAYS; w++)
		if (s[w].key == key)
			return qv_lb_aff_fresh(&s[w], now, idle) ? &s[w] : NULL;
	return NULL;
}

/* Records (group, hash) -> member port at time now: its own entry if it has one, else a free
 * (or idle) way, else the way seen longest ago (counted as an eviction). */
static inline void qv_lb_aff_store(struct qv_lb_affinity *a, uint64_t key, uint16_t port,
                                   uint64_t now, uint64_t idle)
{
	struct qv_lb_aff_entry *s = qv_lb_aff_set(a, key), *e = NULL, *oldest = &s[0];

	for (unsigned w = 0; w < QV_LB_AFF_WAYS && e == NULL; w++)
		if (s[w].key == key)
			e = &s[w];
	for (unsigned w = 0; w < QV_LB_AFF_WAYS && e == NULL; w++) {
		if (!qv_lb_aff_fresh(&s[w], now, idle))
			e = &s[w];
		else if ((s[w].val & ~QV_LB_AFF_MEMBER_MASK) <
		         (oldest->val & ~QV_LB_AFF_MEMBER_MASK))
			oldest = &s[w];
	}
	if (e == NULL) {
		e = oldest;
		a->evictions++;
	}
	e->key = key;
	e->val = (now & ~QV_LB_AFF_MEMBER_MASK) | port;
}

#endif
