/* qwikvirt: unit tests of libqv's MAC address text (lib/mac.c): the one format every program
 * accepts, and the formatter that writes it back. */
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/mac.h"

static void test_parse(void)
{
	static const uint8_t want[6] = {0x02, 0x00, 0x5e, 0xab, 0xCD, 0xff};
	uint8_t mac[6];

	CU_ASSERT_TRUE_FATAL(qv_mac_parse("02:00:5e:ab:CD:ff", mac));
	CU_ASSERT_EQUAL(memcmp(mac, want, 6), 0);
	/* a span inside a longer text, as the rule syntax hands it */
	CU_ASSERT_TRUE_FATAL(qv_mac_parse_n("02:00:5e:ab:cd:ff,proto=tcp", QV_MAC_TEXT_LEN, mac));
	CU_ASSERT_EQUAL(memcmp(mac, want, 6), 0);
}

static void test_refused(void)
{
	static const char *const bad[] = {
	    "",
	    "2:0:0:0:0:1",        /* short groups: refused, not guessed */
	    "02:00:00:00:00",     /* five groups */
	    "02:00:00:00:00:01:", /* trailing separator */
	    "02:00:00:00:00:010",
	    "02-00-00-00-00-01",
	    "02:00:00:00:00:0g",
	    " 02:00:00:00:00:01",
	    "02:00:00:00:00:01 ",
	};
	uint8_t mac[6] = {9, 9, 9, 9, 9, 9};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(qv_mac_parse(bad[i], mac));
	CU_ASSERT_FALSE(qv_mac_parse(NULL, mac));
	CU_ASSERT_FALSE(qv_mac_parse_n("02:00:00:00:00:01", 16, mac));
	CU_ASSERT_EQUAL(mac[0], 9); /* untouched on failure */
}

static void test_format_round_trip(void)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xAB, 0x0c, 0x01};
	char text[QV_MAC_TEXT_SIZE];
	uint8_t back[6];

	CU_ASSERT_STRING_EQUAL(qv_mac_format(mac, text), "52:54:00:ab:0c:01");
	CU_ASSERT_TRUE(qv_mac_parse(text, back) && memcmp(back, mac, 6) == 0);
}

static void test_kinds(void)
{
	static const uint8_t uni[6] = {0x02, 0, 0, 0, 0, 1}, multi[6] = {0x01, 0, 0x5e, 0, 0, 1};
	static const uint8_t zero[6] = {0};

	CU_ASSERT_TRUE(qv_mac_is_unicast(uni));
	CU_ASSERT_FALSE(qv_mac_is_unicast(multi));
	CU_ASSERT_TRUE(qv_mac_is_zero(zero));
	CU_ASSERT_FALSE(qv_mac_is_zero(uni));
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"parse", test_parse},
	    {"refused", test_refused},
	    {"format round trip", test_format_round_trip},
	    {"unicast and zero", test_kinds},
	};
	return QV_UNIT_RUN("lib_mac", tests);
}
