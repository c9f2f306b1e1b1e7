/* qwikvirt: unit tests for qv-bench's latency histogram (bench/latency.h): bucket bounds,
 * relative error, percentiles against a sorted reference, ordering, merging. */
#include <stdint.h>
#include <stdlib.h>

#include "bench/latency.h"
#include "tests/unit/qv_unit.h"

static struct lat_hist h, h2;

static void test_empty(void)
{
	lat_init(&h);
	CU_ASSERT_EQUAL(h.count, 0);
	CU_ASSERT_EQUAL(lat_quantile(&h, 0.5), 0);
	CU_ASSERT_EQUAL(lat_quantile(&h, 1), 0);
}

static void test_buckets(void)
{
	/* Every value falls inside its bucket's range, and buckets are ordered and contiguous. */
	uint64_t prev_hi = 0;
	for (unsigned int b = 0; b < LAT_NBUCKETS; b++) {
		uint64_t lo, hi;
		lat_bucket_range(b, &lo, &hi);
		CU_ASSERT(lo <= hi);
		if (b)
			CU_ASSERT_EQUAL(lo, prev_hi + 1);
		prev_hi = hi;
		if (hi - lo > 0)
			CU_ASSERT((double)(hi - lo) / (double)lo <= 1.0 / 64);
	}
	uint64_t vals[] = {0, 1, 63, 64, 65, 127, 128, 1000, 123456, 1ull << 40, (1ull << 47) + 5};
	for (unsigned int i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t lo, hi;
		lat_bucket_range(lat_bucket(vals[i]), &lo, &hi);
		CU_ASSERT(vals[i] >= lo && vals[i] <= hi);
	}
	/* Beyond the range: the last bucket, not an overflow. */
	CU_ASSERT_EQUAL(lat_bucket(UINT64_MAX), LAT_NBUCKETS - 1);
}

static void test_single_value(void)
{
	lat_init(&h);
	lat_add(&h, 5000);
	CU_ASSERT_EQUAL(h.min, 5000);
	CU_ASSERT_EQUAL(h.max, 5000);
	/* Clamped to [min, max]: a single sample is exact at every quantile. */
	CU_ASSERT_EQUAL(lat_quantile(&h, 0), 5000);
	CU_ASSERT_EQUAL(lat_quantile(&h, 0.5), 5000);
	CU_ASSERT_EQUAL(lat_quantile(&h, 0.999), 5000);
	CU_ASSERT_EQUAL(lat_quantile(&h, 1), 5000);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_against_sorted(void)
{
	enum { N = 100000 };
	static uint64_t v[N];
	uint32_t x = 12345;

	lat_init(&h);
	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u; /* spread over 100..~1e6 cycles with a long tail */
		uint64_t r = (x >> 8) % 1000;
		v[i] = 100 + r * r + (i % 1000 == 0 ? 5000000 : 0);
		lat_add(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	CU_ASSERT_EQUAL(lat_quantile(&h, 0), v[0]);
	CU_ASSERT_EQUAL(lat_quantile(&h, 1), v[N - 1]);
	const double qs[] = {0.5, 0.9, 0.99, 0.999};
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t exact = v[(size_t)(qs[i] * N) - 1];
		uint64_t got = lat_quantile(&h, qs[i]);
		double err = got > exact ? (double)(got - exact) : (double)(exact - got);
		CU_ASSERT(err <= (double)exact / 64 + 1);
	}
	/* Quantiles never decrease. */
	uint64_t prev = 0;
	for (int i = 0; i <= 1000; i++) {
		uint64_t q = lat_quantile(&h, i / 1000.0);
		CU_ASSERT(q >= prev);
		prev = q;
	}
	CU_ASSERT_EQUAL(h.count, N);
}

static void test_merge(void)
{
	lat_init(&h);
	lat_init(&h2);
	for (uint64_t i = 1; i <= 100; i++)
		lat_add(&h, i * 10);
	for (uint64_t i = 101; i <= 200; i++)
		lat_add(&h2, i * 10);
	lat_merge(&h, &h2);
	CU_ASSERT_EQUAL(h.count, 200);
	CU_ASSERT_EQUAL(h.min, 10);
	CU_ASSERT_EQUAL(h.max, 2000);
	uint64_t med = lat_quantile(&h, 0.5);
	CU_ASSERT(med >= 1000 - 16 && med <= 1000 + 16);
	lat_init(&h2);
	lat_merge(&h, &h2); /* merging an empty one changes nothing */
	CU_ASSERT_EQUAL(h.min, 10);
	CU_ASSERT_EQUAL(h.count, 200);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"empty", test_empty},
	    {"bucket bounds", test_buckets},
	    {"single value", test_single_value},
	    {"percentiles vs sorted samples", test_against_sorted},
	    {"merge", test_merge},
	};
	int rc;

	rc = QV_UNIT_RUN("bench_latency", tests);
	return rc;
}
