/* qwikvirt: per-PMD exact-match cache in front of the rte_acl classifier.
 * Each PMD thread owns one, so there are no locks; everything is inline for the fast path. */
#ifndef QV_EMC_H
#define QV_EMC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_hash_crc.h>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "qv/flow_key.h"

/* 131072 lines, 8 MiB per PMD: 100,000 flows fit (issue 16: with 32768 lines, 100,000 flows
 * sent 94 % of lookups to the classifier; before that, 8192 entries held a third of 10,000 flows
 * in each direction: 0.67x the one-flow rate with 1,000 rules, 0.95x with 32768). Past the L2
 * cache, so lookups are batched behind a prefetch (qv_emc_prefetch). */
#define QV_EMC_BITS 17
#define QV_EMC_ENTRIES (1u << QV_EMC_BITS)
#define QV_EMC_MASK (QV_EMC_ENTRIES - 1)

/* gen 0 = empty. A zeroed struct qv_emc is an empty cache. */
struct qv_emc_entry {
	struct qv_flow_key key;
	uint32_t result; /* classifier result: rule index + 1, or 0 for "no rule" (cached too) */
	uint32_t gen;    /* flow table generation the result belongs to */
};

_Static_assert(sizeof(struct qv_emc_entry) == 64, "one EMC entry per cache line");
_Static_assert((QV_EMC_ENTRIES & QV_EMC_MASK) == 0, "QV_EMC_ENTRIES must be a power of two");

/* 8 MiB. Allocate it cache-line aligned (rte_zmalloc) so that each entry is one line. */
struct qv_emc {
	struct qv_emc_entry e[QV_EMC_ENTRIES];
};

/* CRC32-C over the 7 words in two independent chains: the crc32 instruction has a 3-cycle
 * latency, so one chain of 7 costs ~21 cycles per packet and two interleaved ones ~12.
 * (rte_hash_crc also re-checks the CPU's CRC support on every word.) */
static inline uint32_t qv_flow_key_hash(const struct qv_flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t w[7];

	memcpy(w, p, sizeof(w));
#if defined(__SSE4_2__)
	uint64_t a = _mm_crc32_u64(0, w[0]), b = _mm_crc32_u64(0x9e3779b9, w[1]);

	a = _mm_crc32_u64(a, w[2]);
	b = _mm_crc32_u64(b, w[3]);
	a = _mm_crc32_u64(a, w[4]);
	b = _mm_crc32_u64(b, w[5]);
	a = _mm_crc32_u64(a, w[6]);
	return (uint32_t)(a ^ (b << 7 | b >> 25));
#else
	return rte_hash_crc(k, sizeof(*k), 0);
#endif
}

/* The key is 56 bytes without holes: compare as 7 words. memcpy keeps it alias-safe and
 * compiles to plain loads. */
static inline bool qv_flow_key_equal(const struct qv_flow_key *a, const struct qv_flow_key *b)
{
	uint64_t x[7], y[7];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	/* written out: the compiler kept the loop, and this is on every packet */
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]) |
	        (x[5] ^ y[5]) | (x[6] ^ y[6])) == 0;
}

/* 2-way set associative: the two candidate slots come from different hash bits, so keys that
 * collide on one slot usually do not on the other. */
static inline uint32_t qv_emc_slot0(uint32_t hash)
{
	return hash & QV_EMC_MASK;
}

static inline uint32_t qv_emc_slot1(uint32_t hash)
{
	return (hash >> (32 - QV_EMC_BITS)) & QV_EMC_MASK;
}

/* Starts loading both candidate slots of hash: a burst prefetches all its keys' slots before
 * the first lookup, so the cache misses of a many-flow workload overlap instead of stalling
 * one packet at a time. */
static inline void qv_emc_prefetch(const struct qv_emc *emc, uint32_t hash)
{
	__builtin_prefetch(&emc->e[qv_emc_slot0(hash)], 0, 3);
	__builtin_prefetch(&emc->e[qv_emc_slot1(hash)], 0, 3);
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
