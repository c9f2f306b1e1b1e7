/* qwikvirt: unit tests of libqv's name rule (lib/name.c), shared by the switch's port.add and
 * the YAML loader. */
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/name.h"

static void test_names(void)
{
	char longest[QV_NAME_LEN_MAX + 2];

	CU_ASSERT_TRUE(qv_name_ok("vhost0"));
	CU_ASSERT_TRUE(qv_name_ok("fw-1.in_A"));
	CU_ASSERT_FALSE(qv_name_ok(""));
	CU_ASSERT_FALSE(qv_name_ok(NULL));
	CU_ASSERT_FALSE(qv_name_ok("a b"));
	CU_ASSERT_FALSE(qv_name_ok("a/b"));
	CU_ASSERT_FALSE(qv_name_ok("caf\xc3\xa9"));

	memset(longest, 'x', QV_NAME_LEN_MAX);
	longest[QV_NAME_LEN_MAX] = '\0';
	CU_ASSERT_TRUE(qv_name_ok(longest));
	longest[QV_NAME_LEN_MAX] = 'x';
	longest[QV_NAME_LEN_MAX + 1] = '\0';
	CU_ASSERT_FALSE(qv_name_ok(longest));
	CU_ASSERT_EQUAL(QV_NAME_LEN_MAX, 31);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"names", test_names},
	};
	return QV_UNIT_RUN("lib_name", tests);
}
