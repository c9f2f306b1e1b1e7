/* qv-bench latency histogram: log-linear buckets of TSC cycles (relative error < 1/64), exact
 * min/max/mean, percentiles. Pure C, no allocation: one per port, merged at the end. */
#ifndef QV_BENCH_LATENCY_H
#define QV_BENCH_LATENCY_H

#include <stdint.h>

/* 64 exact buckets below 64, then 64 buckets per power of two up to 2^47 cycles. */
#define LAT_SUB_BITS 6
#define LAT_SUB (1u << LAT_SUB_BITS)
#define LAT_MAX_EXP 47
#define LAT_NBUCKETS ((LAT_MAX_EXP - LAT_SUB_BITS + 2) * LAT_SUB)

struct lat_hist {
	uint64_t count;
	uint64_t min, max;
	double sum;
	uint64_t bucket[LAT_NBUCKETS];
};

void lat_init(struct lat_hist *h);
void lat_add(struct lat_hist *h, uint64_t cycles);
void lat_merge(struct lat_hist *into, const struct lat_hist *from);

/* Value at quantile q (0..1): the smallest bucket whose cumulative count reaches ceil(q*count),
 * reported as that bucket's midpoint clamped to [min, max], so q=0 -> min and q=1 -> max and
 * the result never decreases with q. 0 when empty. */
uint64_t lat_quantile(const struct lat_hist *h, double q);

/* Bucket index of a value, and the range [lo, hi] of values a bucket holds (for tests). */
unsigned int lat_bucket(uint64_t v);
void lat_bucket_range(unsigned int b, uint64_t *lo, uint64_t *hi);

#endif
