/* qwikvirt: unit tests for qv-bench's packet builder (bench/pktgen.h): frame bytes, per-flow
 * fields and checksums, the stamp round trip, and the frame-size specs (list, IMIX). */
#include <stdint.h>
#include <string.h>

#include "bench/pktgen.h"
#include "tests/unit/qv_unit.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A valid IPv4 header sums to 0xffff including its checksum. */
static int ip_header_ok(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static void test_build_64(void)
{
	struct pktgen_cfg c;
	uint8_t b[64];

	pktgen_cfg_default(&c);
	CU_ASSERT_EQUAL(pktgen_build(b, 64, &c, 0, 7, 42, 123456789), 64);
	CU_ASSERT(memcmp(b, c.dst_mac, 6) == 0);
	CU_ASSERT(memcmp(b + 6, c.src_mac, 6) == 0);
	CU_ASSERT_EQUAL(be16(b + 12), 0x0800);
	CU_ASSERT_EQUAL(b[14], 0x45);
	CU_ASSERT_EQUAL(be16(b + 16), 64 - 14); /* IP total length */
	CU_ASSERT_EQUAL(b[23], 17);
	CU_ASSERT_EQUAL(be32(b + 26), 0x0a000001);
	CU_ASSERT_EQUAL(be32(b + 30), 0x0a800001);
	CU_ASSERT_EQUAL(be16(b + 34), 1024);
	CU_ASSERT_EQUAL(be16(b + 36), 5000);
	CU_ASSERT_EQUAL(be16(b + 38), 64 - 34); /* UDP length */
	CU_ASSERT(ip_header_ok(b + 14));
}

static void test_sizes_rejected(void)
{
	struct pktgen_cfg c;
	uint8_t b[PKTGEN_MAX_LEN + 1];

	pktgen_cfg_default(&c);
	CU_ASSERT_EQUAL(pktgen_build(b, PKTGEN_MIN_LEN - 1, &c, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(pktgen_build(b, PKTGEN_MAX_LEN + 1, &c, 0, 0, 0, 0), 0);
	CU_ASSERT_EQUAL(pktgen_build(b, PKTGEN_MIN_LEN, &c, 0, 0, 0, 0), PKTGEN_MIN_LEN);
	CU_ASSERT_EQUAL(pktgen_build(b, 1518, &c, 0, 0, 0, 0), 1518);
	CU_ASSERT_EQUAL(be16(b + 16), 1518 - 14);
}

static void test_flows(void)
{
	struct pktgen_cfg c;
	uint8_t a[128], b[128];

	pktgen_cfg_default(&c);
	c.flows = 1000;
	pktgen_build(a, 128, &c, 5, 0, 0, 0);
	CU_ASSERT_EQUAL(be32(a + 26), 0x0a000001 + 5);
	CU_ASSERT_EQUAL(be32(a + 30), 0x0a800001 + 5);
	CU_ASSERT_EQUAL(be16(a + 34), 1024 + 5);
	CU_ASSERT_EQUAL(be16(a + 36), 5000 + 5);
	CU_ASSERT(ip_header_ok(a + 14));
	/* Flow numbers wrap at the flow count. */
	pktgen_build(b, 128, &c, 1005, 0, 0, 0);
	CU_ASSERT(memcmp(a, b, 128) == 0);
	/* Patching a template for another flow gives the same bytes as building it. */
	pktgen_build(a, 128, &c, 0, 0, 0, 0);
	pktgen_set_flow(a, &c, 999);
	pktgen_build(b, 128, &c, 999, 0, 0, 0);
	CU_ASSERT(memcmp(a, b, 128) == 0);
	CU_ASSERT(ip_header_ok(a + 14));
	CU_ASSERT_EQUAL(be16(a + 36), 5000 + 999);
}

static void test_stamp_round_trip(void)
{
	struct pktgen_cfg c;
	struct pktgen_stamp st;
	uint8_t b[100], trial = 0;

	pktgen_cfg_default(&c);
	pktgen_build(b, 100, &c, 0, 3, 1, 2);
	pktgen_set_stamp(b, 200, 0xdeadbeef, 0x1122334455667788ull);
	CU_ASSERT(pktgen_read_stamp(b, 100, &trial, &st));
	CU_ASSERT_EQUAL(trial, 200);
	CU_ASSERT_EQUAL(st.seq, 0xdeadbeef);
	CU_ASSERT_EQUAL(st.tsc, 0x1122334455667788ull);
	/* Not ours: too short, another ethertype, other payload. */
	CU_ASSERT_FALSE(pktgen_read_stamp(b, PKTGEN_MIN_LEN - 1, &trial, &st));
	b[12] = 0x86, b[13] = 0xdd;
	CU_ASSERT_FALSE(pktgen_read_stamp(b, 100, &trial, &st));
	b[12] = 0x08, b[13] = 0x00;
	b[PKTGEN_HDR_LEN] ^= 0xff;
	CU_ASSERT_FALSE(pktgen_read_stamp(b, 100, &trial, &st));
}

static void test_size_specs(void)
{
	struct pktgen_sizes z;
	char err[200];

	CU_ASSERT_EQUAL(pktgen_sizes_parse("64", &z, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(z.n, 1);
	CU_ASSERT_FALSE(z.mix);
	CU_ASSERT_EQUAL(pktgen_mix_len(&z, 12345), 64);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("64,512,1518", &z, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(z.n, 3);
	CU_ASSERT_EQUAL(z.len[2], 1518);
	CU_ASSERT_FALSE(z.mix);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("32", &z, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "62..9018") != NULL);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("64,", &z, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("64x", &z, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("mix:64", &z, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(pktgen_sizes_parse("mix:64:0", &z, err, sizeof(err)), -1);
}

static void test_imix(void)
{
	struct pktgen_sizes z;
	char err[200];
	unsigned int n64 = 0, n570 = 0, n1518 = 0, run = 0, maxrun = 0;
	uint32_t prev = 0;

	CU_ASSERT_EQUAL(pktgen_sizes_parse("imix", &z, err, sizeof(err)), 0);
	CU_ASSERT(z.mix);
	CU_ASSERT_EQUAL(z.pattern_len, 12);
	for (uint64_t i = 0; i < 1200; i++) {
		uint32_t l = pktgen_mix_len(&z, i);
		n64 += l == 64;
		n570 += l == 570;
		n1518 += l == 1518;
		run = l == prev ? run + 1 : 1;
		maxrun = run > maxrun ? run : maxrun;
		prev = l;
	}
	/* Exactly 7:4:1, and interleaved: 64 B frames never come in long runs. */
	CU_ASSERT_EQUAL(n64, 700);
	CU_ASSERT_EQUAL(n570, 400);
	CU_ASSERT_EQUAL(n1518, 100);
	CU_ASSERT(maxrun <= 2);
	double avg = pktgen_mix_avg(&z);
	CU_ASSERT(avg > 353.8 && avg < 353.9); /* (7*64 + 4*570 + 1518) / 12 */
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"64-byte frame", test_build_64},
	    {"length limits", test_sizes_rejected},
	    {"flows vary addresses and ports", test_flows},
	    {"stamp round trip", test_stamp_round_trip},
	    {"size specs", test_size_specs},
	    {"imix", test_imix},
	};
	int rc;

	rc = QV_UNIT_RUN("bench_pktgen", tests);
	return rc;
}
