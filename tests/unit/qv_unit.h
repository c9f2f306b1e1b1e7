/* qwikvirt: the shared main() of the CUnit suites — register tables of tests as suites, run
 * them verbosely, and turn failures into the exit status meson test reads. */
#ifndef QV_UNIT_H
#define QV_UNIT_H

#include <stdbool.h>
#include <stddef.h>

#include <CUnit/Basic.h>

struct qv_unit_test {
	const char *name;
	CU_TestFunc fn;
};

/* A suite with set-up and tear-down (either may be NULL) around its tests. */
struct qv_unit_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc clean;
	const struct qv_unit_test *tests;
	size_t n_tests;
};

/* Returns 0 when every assertion passed and every suite set up, 1 otherwise (or when CUnit
 * could not start). */
static inline int qv_unit_run_suites(const struct qv_unit_suite *suites, size_t n)
{
	unsigned failures;
	bool ok = true;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (size_t s = 0; ok && s < n; s++) {
		CU_pSuite suite = CU_add_suite(suites[s].name, suites[s].init, suites[s].clean);

		ok = suite != NULL;
		for (size_t i = 0; ok && i < suites[s].n_tests; i++)
			ok = CU_add_test(suite, suites[s].tests[i].name, suites[s].tests[i].fn) !=
			     NULL;
	}
	if (!ok) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures(); /* read before cleanup resets it */
	/* A suite whose init failed runs no test and records no assertion failure. */
	failures += CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

/* One suite without set-up. */
static inline int qv_unit_run(const char *suite_name, const struct qv_unit_test *tests, size_t n)
{
	const struct qv_unit_suite suite = {suite_name, NULL, NULL, tests, n};

	return qv_unit_run_suites(&suite, 1);
}

#define QV_UNIT_RUN(name, tests) qv_unit_run(name, tests, sizeof(tests) / sizeof(tests[0]))
#define QV_UNIT_SUITE(name, init, clean, tests)                                                    \
	{                                                                                          \
		name, init, clean, tests, sizeof(tests) / sizeof(tests[0])                         \
	}

#endif
