/* qwikvirt: the shared main() of the CUnit suites — register a table of tests as one suite,
 * run it verbosely, and turn failures into the exit status meson test reads. */
#ifndef QV_UNIT_H
#define QV_UNIT_H

#include <stddef.h>

#include <CUnit/Basic.h>

struct qv_unit_test {
	const char *name;
	CU_TestFunc fn;
};

/* Returns 0 when every assertion passed, 1 otherwise (or when CUnit could not start). */
static inline int qv_unit_run(const char *suite_name, const struct qv_unit_test *tests, size_t n)
{
	CU_pSuite suite;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite(suite_name, NULL, NULL);
	for (size_t i = 0; suite && i < n; i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			suite = NULL;
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures(); /* read before cleanup resets it */
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

#define QV_UNIT_RUN(name, tests) qv_unit_run(name, tests, sizeof(tests) / sizeof(tests[0]))

#endif
