/* qwikvirt: Maglev consistent-hashing lookup tables (Eisenbud et al., NSDI 2016) — pure C, no
 * DPDK: built on the slow path from member keys, read on the fast path by a flow hash. */
#ifndef QV_LB_MAGLEV_H
#define QV_LB_MAGLEV_H

#include <stdbool.h>
#include <stdint.h>

/* Table size: a prime (Maglev needs M prime so every skip is coprime with it), large enough
 * that each of up to QV_MAGLEV_MAX_MEMBERS members gets ~M/N slots (balance within ~1%), small
 * enough (4 KiB) to build in microseconds and to stay warm in a PMD's cache. */
#define QV_MAGLEV_SIZE 4093u
#define QV_MAGLEV_MAX_MEMBERS 8
/* Fallback probes before a linear scan, when the slot's member is down. */
#define QV_MAGLEV_PROBES 16

struct qv_maglev {
	uint16_t n_members;
	/* slot[i]: the member (index into the key array the table was built from) owning hash
	 * values with hash % QV_MAGLEV_SIZE == i */
	uint8_t slot[QV_MAGLEV_SIZE];
};

/* Builds t over n members (1..QV_MAGLEV_MAX_MEMBERS) identified by keys[] (distinct). The
 * table depends on the set of keys only, not their order: members are populated in key order
 * and each slot names the member by its position in keys[]. Returns 0, or -1 when n is out of
 * range or two keys are equal. */
int qv_maglev_build(struct qv_maglev *t, const uint64_t *keys, uint16_t n);

/* A 32-bit mix (murmur3's finalizer): spreads a flow hash over the probes. */
static inline uint32_t qv_maglev_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* FAST PATH. The member for flow hash h among the live ones (bit j of live_mask: member j is
 * usable), or -1 when none is. A flow whose slot names a live member gets it; a flow whose
 * member is down probes other slots with re-mixed hashes (the table's own distribution, so a
 * dead member's flows spread over the survivors by their share and no live member's flow
 * moves), then falls back to the lowest live member. Deterministic in (h, live_mask): both
 * directions of a flow, with the same hash, get the same answer on any PMD. */
static inline int qv_maglev_pick(const struct qv_maglev *t, uint32_t h, uint32_t live_mask)
{
	uint32_t x = h;
	int m = t->slot[h % QV_MAGLEV_SIZE];

	if (live_mask & (1u << m))
		return m;
	live_mask &= (1u << t->n_members) - 1;
	if (live_mask == 0)
		return -1;
	for (int i = 0; i < QV_MAGLEV_PROBES; i++) {
		x = qv_maglev_mix32(x + 0x9e3779b9u);
		m = t->slot[x % QV_MAGLEV_SIZE];
		if (live_mask & (1u << m))
			return m;
	}
	return __builtin_ctz(live_mask);
}

#endif
