/* qwikvirt: unit tests of libqv's PCI address text (lib/pci.c): full and short forms, ranges,
 * and the canonical form written back. */
#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/pci.h"

static void test_forms(void)
{
	struct qv_pci_addr a;
	char text[QV_PCI_TEXT_SIZE];

	CU_ASSERT_TRUE_FATAL(qv_pci_parse("0000:03:00.1", &a));
	CU_ASSERT(a.domain == 0 && a.bus == 3 && a.slot == 0 && a.fn == 1);
	CU_ASSERT_TRUE_FATAL(qv_pci_parse("ABCD:ff:1f.7", &a));
	CU_ASSERT(a.domain == 0xabcd && a.bus == 0xff && a.slot == 0x1f && a.fn == 7);
	CU_ASSERT_STRING_EQUAL(qv_pci_format(&a, text), "abcd:ff:1f.7");
	/* the short form is domain 0; short groups are padded when written back */
	CU_ASSERT_TRUE_FATAL(qv_pci_parse("03:00.1", &a));
	CU_ASSERT_STRING_EQUAL(qv_pci_format(&a, text), "0000:03:00.1");
	CU_ASSERT_TRUE_FATAL(qv_pci_parse("1:3:0.2", &a));
	CU_ASSERT_STRING_EQUAL(qv_pci_format(&a, text), "0001:03:00.2");
}

static void test_refused(void)
{
	static const char *const bad[] = {
	    "",
	    "0000:03:00",
	    "0000:03:00.",
	    "0000:03:20.0", /* slot > 0x1f */
	    "03:00.8",
	    "00000:03:00.1",
	    "0000:003:00.1",
	    "0000:03:00.10",
	    " 03:00.1",
	    "03:00.1 ",
	    "+3:00.1",
	    "0x3:00.1",
	    "0000:03:00:1",
	    "03.00.1",
	    "0:0:03:00.1",
	    "net_ring0",
	};
	struct qv_pci_addr a = {.domain = 99};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(qv_pci_parse(bad[i], &a));
	CU_ASSERT_FALSE(qv_pci_parse(NULL, &a));
	CU_ASSERT_EQUAL(a.domain, 99); /* untouched on failure */
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"full and short forms", test_forms},
	    {"refused", test_refused},
	};
	return QV_UNIT_RUN("lib_pci", tests);
}
