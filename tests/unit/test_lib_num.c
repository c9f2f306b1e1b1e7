/* qwikvirt: unit tests of libqv's strict number parser (lib/num.c): what every program's
 * options accept and refuse, integers and decimals. */
#include <stdint.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/num.h"

static void test_decimal(void)
{
	uint64_t v = 0;

	CU_ASSERT_TRUE(qv_parse_uint("0", 10, 0, 10, &v) && v == 0);
	CU_ASSERT_TRUE(qv_parse_uint("42", 10, 0, 100, &v) && v == 42);
	CU_ASSERT_TRUE(qv_parse_uint("007", 10, 0, 100, &v) && v == 7); /* base 10: not octal */
	CU_ASSERT_TRUE(qv_parse_uint("18446744073709551615", 10, 0, UINT64_MAX, &v) &&
	               v == UINT64_MAX);
}

static void test_range(void)
{
	uint64_t v = 99;

	CU_ASSERT_TRUE(qv_parse_uint("1", 10, 1, 3, &v) && v == 1);
	CU_ASSERT_TRUE(qv_parse_uint("3", 10, 1, 3, &v) && v == 3);
	v = 99;
	CU_ASSERT_FALSE(qv_parse_uint("0", 10, 1, 3, &v));
	CU_ASSERT_FALSE(qv_parse_uint("4", 10, 1, 3, &v));
	CU_ASSERT_FALSE(qv_parse_uint("18446744073709551616", 10, 0, UINT64_MAX, &v)); /* ERANGE */
	CU_ASSERT_EQUAL(v, 99); /* untouched on failure */
}

static void test_refused(void)
{
	static const char *const bad[] = {"", " 5", "5 ", "+5", "-1", "5x", "x5", "1.5", "0x10"};
	uint64_t v = 99;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(qv_parse_uint(bad[i], 10, 0, UINT64_MAX, &v));
	CU_ASSERT_FALSE(qv_parse_uint(NULL, 10, 0, UINT64_MAX, &v));
	CU_ASSERT_FALSE(qv_parse_uint("5", 16, 0, UINT64_MAX, &v)); /* only 10 or 0 */
	CU_ASSERT_EQUAL(v, 99);
}

static void test_base0(void)
{
	uint64_t v = 0;

	CU_ASSERT_TRUE(qv_parse_uint("0x10", 0, 0, 100, &v) && v == 16);
	CU_ASSERT_TRUE(qv_parse_uint("0X1f", 0, 0, 100, &v) && v == 31);
	CU_ASSERT_TRUE(qv_parse_uint("10", 0, 0, 100, &v) && v == 10);
	CU_ASSERT_TRUE(qv_parse_uint("0x86dd", 0, 0, 0xffff, &v) && v == 0x86dd);
	CU_ASSERT_FALSE(qv_parse_uint("0x", 0, 0, 100, &v));
	CU_ASSERT_FALSE(qv_parse_uint("0x10000", 0, 0, 0xffff, &v));
	CU_ASSERT_FALSE(qv_parse_uint("-0x1", 0, 0, 100, &v));
}

static void test_double(void)
{
	double v = -1;

	CU_ASSERT_TRUE(qv_parse_double("2.5", 10, &v) && v == 2.5);
	CU_ASSERT_TRUE(qv_parse_double("1e6", 1e6, &v) && v == 1e6);
	CU_ASSERT_TRUE(qv_parse_double("0", 10, &v) && v == 0);
	v = -1;
	CU_ASSERT_FALSE(qv_parse_double("", 10, &v));
	CU_ASSERT_FALSE(qv_parse_double(NULL, 10, &v));
	CU_ASSERT_FALSE(qv_parse_double("10.5", 10, &v));
	CU_ASSERT_FALSE(qv_parse_double("-1", 10, &v));
	CU_ASSERT_FALSE(qv_parse_double("nan", 10, &v));
	CU_ASSERT_FALSE(qv_parse_double("inf", 10, &v));
	CU_ASSERT_FALSE(qv_parse_double("2s", 10, &v));
	CU_ASSERT_EQUAL(v, -1);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"decimal", test_decimal},    {"range", test_range},   {"refused", test_refused},
	    {"base 0 (hex)", test_base0}, {"double", test_double},
	};
	return QV_UNIT_RUN("lib_num", tests);
}
