/* qwikvirt: unit tests of libqv's frame builder (lib/frame.c): header bytes as on the wire and
 * checksums that verify. */
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/frame.h"
#include "lib/proto.h"

static void test_fields(void)
{
	uint8_t b[4];

	qv_put16(b, 0x86dd);
	CU_ASSERT(b[0] == 0x86 && b[1] == 0xdd);
	CU_ASSERT_EQUAL(qv_get16(b), 0x86dd);
	qv_put32(b, 0x0a000001);
	CU_ASSERT(b[0] == 10 && b[1] == 0 && b[2] == 0 && b[3] == 1);
	CU_ASSERT_EQUAL(qv_get32(b), 0x0a000001u);
}

/* RFC 1071's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2, checksum 0x220d. */
static void test_csum(void)
{
	static const uint8_t words[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t odd[3] = {0x01, 0x02, 0x03}; /* 0x0102 + 0x0300 */

	CU_ASSERT_EQUAL(qv_csum_fold(qv_csum_add(0, words, 8)), 0x220d);
	CU_ASSERT_EQUAL(qv_csum_fold(qv_csum_add(0, odd, 3)), (uint16_t)~0x0402);
}

static void test_eth_ipv4_udp(void)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 2}, src[6] = {0x02, 0, 0, 0, 0, 1};
	static const uint8_t sip[4] = {10, 0, 0, 1}, dip[4] = {10, 0, 0, 2};
	uint8_t f[64];

	memset(f, 0xee, sizeof(f));
	qv_frame_put_eth(f, dst, src, QV_ETHERTYPE_IPV4);
	CU_ASSERT_EQUAL(memcmp(f, dst, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, src, 6), 0);
	CU_ASSERT_EQUAL(qv_get16(f + 12), 0x0800);

	uint8_t *ip = f + QV_FRAME_ETH_HLEN, *udp = ip + QV_FRAME_IPV4_HLEN;
	qv_frame_put_ipv4(ip, 50, 7, QV_IPPROTO_UDP, sip, dip);
	CU_ASSERT_EQUAL(ip[0], 0x45);
	CU_ASSERT_EQUAL(ip[1], 0);
	CU_ASSERT_EQUAL(qv_get16(ip + 2), 50);
	CU_ASSERT_EQUAL(qv_get16(ip + 4), 7);
	CU_ASSERT_EQUAL(qv_get16(ip + 6), 0x4000); /* DF */
	CU_ASSERT_EQUAL(ip[8], 64);
	CU_ASSERT_EQUAL(ip[9], 17);
	CU_ASSERT_EQUAL(memcmp(ip + 12, sip, 4), 0);
	CU_ASSERT_EQUAL(memcmp(ip + 16, dip, 4), 0);
	/* A header with its checksum sums to 0xffff, i.e. folds to 0. */
	CU_ASSERT_EQUAL(qv_csum_fold(qv_csum_add(0, ip, QV_FRAME_IPV4_HLEN)), 0);
	/* The checksum field does not count: summing again gives the same value. */
	CU_ASSERT_EQUAL(qv_ipv4_hdr_csum(ip), qv_get16(ip + 10));

	qv_frame_put_udp(udp, 1024, 80, 30);
	CU_ASSERT_EQUAL(qv_get16(udp), 1024);
	CU_ASSERT_EQUAL(qv_get16(udp + 2), 80);
	CU_ASSERT_EQUAL(qv_get16(udp + 4), 30);
	CU_ASSERT_EQUAL(qv_get16(udp + 6), 0);
	CU_ASSERT_EQUAL(udp[8], 0xee); /* nothing written past the header */
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"big-endian fields", test_fields},
	    {"RFC 1071 checksum", test_csum},
	    {"Ethernet, IPv4, UDP headers", test_eth_ipv4_udp},
	};
	return QV_UNIT_RUN("lib_frame", tests);
}
