/* qwikvirt: per-PMD exact-match cache in front of the rte_acl classifier.
 * Each PMD thread owns one, so there are no locks; everything is inline for the fast path. */
#ifndef QV_EMC_H
#define QV_EMC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "qv/flow_key.h"

#define QV_EMC_ENTRIES 8192 /* power of two */
#define QV_EMC_MASK (QV_EMC_ENTRIES - 1)

/* gen 0 = empty. A zeroed struct qv_emc is an empty cache. */
struct qv_emc_entry {
	struct qv_flow_key key;
	uint32_t result; /* classifier result: rule index + 1, or 0 for "no rule" (cached too) */
	uint32_t gen;    /* flow table generation the result belongs to */
};

_Static_assert(sizeof(struct qv_emc_entry) == 64, "one EMC entry per cache line");
_Static_assert((QV_EMC_ENTRIES & QV_EMC_MASK) == 0, "QV_EMC_ENTRIES must be a power of two");

/* 512 KiB. Allocate it cache-line aligned (rte_zmalloc) so that each entry is one line. */
struct qv_emc {
	struct qv_emc_entry e[QV_EMC_ENTRIES];
};

static inline uint32_t qv_flow_key_hash(const struct qv_flow_key *k)
{
	return rte_hash_crc(k, sizeof(*k), 0);
}

/* The key is 56 bytes without holes: compare as 7 words. memcpy keeps it alias-safe and
 * compiles to plain loads. */
static inline bool qv_flow_key_equal(const struct qv_flow_key *a, const struct qv_flow_key *b)
{
	const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
	uint64_t diff = 0;

	for (unsigned int i = 0; i < sizeof(*a); i += 8) {
		uint64_t x, y;
		memcpy(&x, pa + i, 8);
		memcpy(&y, pb + i, 8);
		diff |= x ^ y;
	}
	return diff == 0;
}

/* 2-way set associative: the two candidate slots come from different hash bits, so keys that
 * collide on one slot usually do not on the other. */
static inline uint32_t qv_emc_slot0(uint32_t hash)
{
	return hash & QV_EMC_MASK;
}

static inline uint32_t qv_emc_slot1(uint32_t hash)
{
	return (hash >> 16) & QV_EMC_MASK;
}

/* gen is the current flow table generation (never 0): entries from older generations are misses,
 * so publishing a new table invalidates the whole cache without touching it. */
static inline bool qv_emc_lookup(const struct qv_emc *emc, const struct qv_flow_key *k,
                                 uint32_t hash, uint32_t gen, uint32_t *result)
{
	const struct qv_emc_entry *e0 = &emc->e[qv_emc_slot0(hash)];
	const struct qv_emc_entry *e1 = &emc->e[qv_emc_slot1(hash)];

	if (e0->gen == gen && qv_flow_key_equal(&e0->key, k)) {
		*result = e0->result;
		return true;
	}
	if (e1->gen == gen && qv_flow_key_equal(&e1->key, k)) {
		*result = e1->result;
		return true;
	}
	return false;
}

static inline void qv_emc_insert(struct qv_emc *emc, const struct qv_flow_key *k, uint32_t hash,
                                 uint32_t gen, uint32_t result)
{
	struct qv_emc_entry *e0 = &emc->e[qv_emc_slot0(hash)];
	struct qv_emc_entry *e1 = &emc->e[qv_emc_slot1(hash)];
	struct qv_emc_entry *victim;

	/* Reuse the slot already holding this key (any generation) so a key never sits in both;
	 * else take a free or stale slot; else evict one picked by a hash bit, which spreads
	 * evictions without keeping LRU state on the fast path. */
	if (qv_flow_key_equal(&e0->key, k))
		victim = e0;
	else if (qv_flow_key_equal(&e1->key, k))
		victim = e1;
	else if (e0->gen != gen)
		victim = e0;
	else if (e1->gen != gen)
		victim = e1;
	else
		victim = (hash & (1u << 31)) ? e1 : e0;

	victim->key = *k;
	victim->result = result;
	victim->gen = gen;
}

/* Empties the cache (e.g. at PMD start when the memory was not zeroed). */
static inline void qv_emc_clear(struct qv_emc *emc)
{
	memset(emc, 0, sizeof(*emc));
}

#endif
