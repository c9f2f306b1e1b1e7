/* qwikvirt: building Maglev lookup tables (see maglev.h). Slow path only: the permutation of
 * each member is (offset + j * skip) mod M, members take turns claiming their next free slot. */
#include <string.h>

#include "dataplane/lb/maglev.h"

/* splitmix64: two independent 64-bit hashes of a member key (offset and skip). */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int qv_maglev_build(struct qv_maglev *t, const uint64_t *keys, uint16_t n)
{
	uint16_t order[QV_MAGLEV_MAX_MEMBERS]; /* member positions, sorted by key */
	uint32_t offset[QV_MAGLEV_MAX_MEMBERS], skip[QV_MAGLEV_MAX_MEMBERS];
	uint32_t next[QV_MAGLEV_MAX_MEMBERS] = {0};
	uint32_t filled = 0;

	if (n == 0 || n > QV_MAGLEV_MAX_MEMBERS)
		return -1;
	for (uint16_t i = 0; i < n; i++) { /* insertion sort: n <= 8 */
		uint16_t j = i;

		for (; j > 0 && keys[order[j - 1]] > keys[i]; j--)
			order[j] = order[j - 1];
		if (j > 0 && keys[order[j - 1]] == keys[i])
			return -1;
		order[j] = i;
	}
	for (uint16_t r = 0; r < n; r++) {
		uint64_t k = keys[order[r]];

		offset[r] = (uint32_t)(mix64(k) % QV_MAGLEV_SIZE);
		skip[r] = (uint32_t)(mix64(k ^ 0x5851f42d4c957f2dull) % (QV_MAGLEV_SIZE - 1)) + 1;
	}
	memset(t->slot, 0xff, sizeof(t->slot));
	t->n_members = n;
	for (;;) {
		for (uint16_t r = 0; r < n; r++) {
			uint32_t c;

			do {
				c = (uint32_t)((offset[r] + (uint64_t)next[r] * skip[r]) %
				               QV_MAGLEV_SIZE);
				next[r]++;
			} while (t->slot[c] != 0xff);
			t->slot[c] = (uint8_t)order[r];
			if (++filled == QV_MAGLEV_SIZE)
				return 0;
		}
	}
}
