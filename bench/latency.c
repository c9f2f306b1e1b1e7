/* qv-bench latency histogram: log-linear buckets (as HdrHistogram, 6 sub-bucket bits), so one
 * fixed 21 KB array covers 1 cycle to hours with < 1.6 % error and adding a sample is O(1). */
#include "latency.h"

#include <string.h>

void lat_init(struct lat_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int lat_bucket(uint64_t v)
{
	if (v < LAT_SUB)
		return (unsigned int)v;
	unsigned int e = 63u - (unsigned int)__builtin_clzll(v); /* >= LAT_SUB_BITS */
	if (e > LAT_MAX_EXP)
		return LAT_NBUCKETS - 1;
	unsigned int sub = (unsigned int)(v >> (e - LAT_SUB_BITS)) & (LAT_SUB - 1);
	return (e - LAT_SUB_BITS + 1) * LAT_SUB + sub;
}

void lat_bucket_range(unsigned int b, uint64_t *lo, uint64_t *hi)
{
	if (b < LAT_SUB) {
		*lo = *hi = b;
		return;
	}
	unsigned int e = b / LAT_SUB + LAT_SUB_BITS - 1, sub = b % LAT_SUB;
	uint64_t width = 1ull << (e - LAT_SUB_BITS);
	*lo = (1ull << e) + sub * width;
	*hi = *lo + width - 1;
}

void lat_add(struct lat_hist *h, uint64_t cycles)
{
	h->bucket[lat_bucket(cycles)]++;
	h->count++;
	h->sum += (double)cycles;
	if (cycles < h->min)
		h->min = cycles;
	if (cycles > h->max)
		h->max = cycles;
}

void lat_merge(struct lat_hist *into, const struct lat_hist *from)
{
	if (!from->count)
		return;
	for (unsigned int i = 0; i < LAT_NBUCKETS; i++)
		into->bucket[i] += from->bucket[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

uint64_t lat_quantile(const struct lat_hist *h, double q)
{
	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++; /* ceil without libm */
	if (rank == 0)
		rank = 1;
	uint64_t cum = 0;
	for (unsigned int b = 0; b < LAT_NBUCKETS; b++) {
		cum += h->bucket[b];
		if (cum < rank)
			continue;
		uint64_t lo, hi;
		lat_bucket_range(b, &lo, &hi);
		uint64_t v = lo + (hi - lo) / 2;
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}
