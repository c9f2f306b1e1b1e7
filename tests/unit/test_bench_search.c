/* qwikvirt: unit tests for qv-bench's RFC 2544 search (bench/rfc2544.h), driven by simulated
 * devices with a known capacity: NDR and PDR converge to it within the resolution. */
#include <stdint.h>

#include "bench/rfc2544.h"
#include "tests/unit/qv_unit.h"

/* A device that forwards up to cap pps and drops the excess; the generator reaches gen_max. */
struct device {
	double cap, gen_max, base_loss;
};

static double run_search(const struct device *d, double loss_ratio, double ceiling, double res,
                         unsigned int max_trials, unsigned int *trials)
{
	struct r2544_search s;
	double rate;

	r2544_init(&s, 0, ceiling, res, loss_ratio, 0.99, max_trials);
	while ((rate = r2544_next(&s)) > 0) {
		double sent_rate = rate < d->gen_max ? rate : d->gen_max;
		uint64_t offered = (uint64_t)rate, sent = (uint64_t)sent_rate;
		double fwd = sent_rate < d->cap ? sent_rate : d->cap;
		uint64_t received = (uint64_t)(fwd * (1 - d->base_loss));
		r2544_report(&s, offered, sent, received);
	}
	*trials = s.trials;
	return s.best;
}

static void test_ndr_converges(void)
{
	struct device d = {.cap = 3.3e6, .gen_max = 10e6};
	unsigned int trials;
	double r = run_search(&d, 0, 10e6, 10e3, 32, &trials);

	CU_ASSERT(r <= d.cap);
	CU_ASSERT(r >= d.cap - 10e3);
	CU_ASSERT(trials <= 12); /* log2(10e6 / 10e3) + 1 */
}

static void test_ceiling_passes(void)
{
	struct device d = {.cap = 20e6, .gen_max = 20e6};
	unsigned int trials;

	CU_ASSERT_EQUAL(run_search(&d, 0, 5e6, 1e4, 32, &trials), 5e6);
	CU_ASSERT_EQUAL(trials, 1);
}

static void test_pdr_above_ndr(void)
{
	/* 0.05 % loss at any rate: NDR finds nothing, PDR at 0.1 % finds the capacity. */
	struct device d = {.cap = 2e6, .gen_max = 10e6, .base_loss = 0.0005};
	unsigned int trials;

	CU_ASSERT_EQUAL(run_search(&d, 0, 4e6, 1e4, 32, &trials), 0);
	double pdr = run_search(&d, 0.001, 4e6, 1e4, 32, &trials);
	CU_ASSERT(pdr >= 2e6 - 1e4 && pdr <= 2e6 * 1.001 + 1);
}

static void test_generator_limit_fails(void)
{
	/* The generator cannot offer more than gen_max: those trials fail although nothing is
	 * lost, so the result is the generator's limit, not a fantasy above it. */
	struct device d = {.cap = 50e6, .gen_max = 3e6};
	unsigned int trials;
	double r = run_search(&d, 0, 8e6, 1e4, 32, &trials);

	CU_ASSERT(r <= 3e6 / 0.99 + 1);
	CU_ASSERT(r >= 3e6 - 1e4);
}

static void test_trial_rules_and_limits(void)
{
	struct r2544_search s;
	unsigned int trials;
	struct device d = {.cap = 3.3e6, .gen_max = 10e6};

	r2544_init(&s, 0, 1e6, 1e3, 0.01, 0.99, 8);
	CU_ASSERT(r2544_trial_passes(&s, 1000, 1000, 990));
	CU_ASSERT_FALSE(r2544_trial_passes(&s, 1000, 1000, 989));
	CU_ASSERT_FALSE(r2544_trial_passes(&s, 1000, 980, 980)); /* not offered */
	CU_ASSERT_FALSE(r2544_trial_passes(&s, 1000, 0, 0));
	CU_ASSERT(r2544_trial_passes(&s, 1000, 1000, 1001)); /* duplicates are not loss */
	/* max_trials bounds the search even with a tiny resolution. */
	run_search(&d, 0, 10e6, 1, 5, &trials);
	CU_ASSERT_EQUAL(trials, 5);
	/* An empty range asks for no trial. */
	r2544_init(&s, 0, 0, 1, 0, 0.99, 8);
	CU_ASSERT_EQUAL(r2544_next(&s), 0);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"NDR converges to the capacity", test_ndr_converges},
	    {"a passing ceiling ends the search", test_ceiling_passes},
	    {"PDR vs NDR with background loss", test_pdr_above_ndr},
	    {"generator limit fails trials", test_generator_limit_fails},
	    {"trial rules and limits", test_trial_rules_and_limits},
	};
	int rc;

	rc = QV_UNIT_RUN("bench_search", tests);
	return rc;
}
