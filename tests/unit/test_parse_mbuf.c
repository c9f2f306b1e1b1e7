/* qwikvirt: unit tests for the parser on chained mbufs (qv_parse_mbuf, dataplane/parse.h): a
 * jumbo frame split over segments, wherever the cut falls, parses to the key of the whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/parse.h"
#include "lib/frame.h"
#include "tests/unit/qv_unit.h"

#define JUMBO 9018u

static uint8_t frame[JUMBO];

/* A 9018 B QinQ frame: 802.1ad 300, 802.1Q 301, IPv4 UDP 10.0.0.1:1234 -> 10.0.0.2:4789. */
static uint32_t build_qinq_udp(void)
{
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 1};
	static const uint8_t sip[4] = {10, 0, 0, 1}, dip[4] = {10, 0, 0, 2};
	uint16_t ip_len = (uint16_t)(JUMBO - 22);

	memset(frame, 0xa5, sizeof(frame));
	qv_frame_put_eth(frame, dst, src, QV_ETHERTYPE_QINQ);
	qv_put16(frame + 14, 300);
	qv_put16(frame + 16, QV_ETHERTYPE_VLAN);
	qv_put16(frame + 18, 301);
	qv_put16(frame + 20, QV_ETHERTYPE_IPV4);
	qv_frame_put_ipv4(frame + 22, ip_len, 1, QV_IPPROTO_UDP, sip, dip);
	qv_frame_put_udp(frame + 42, 1234, 4789, (uint16_t)(ip_len - 20));
	return JUMBO;
}

/* A 9000 B IPv6 TCP frame behind hop-by-hop and two destination-options headers. */
static uint32_t build_ipv6_ext(void)
{
	static const uint8_t dst[6] = {2, 0, 0, 0, 0, 2}, src[6] = {2, 0, 0, 0, 0, 1};
	uint32_t len = 9000;
	uint8_t *ip = frame + 14, *h = ip + 40;

	memset(frame, 0, sizeof(frame));
	qv_frame_put_eth(frame, dst, src, QV_ETHERTYPE_IPV6);
	ip[0] = 0x60;
	qv_put16(ip + 4, (uint16_t)(len - 14 - 40));
	ip[6] = QV_IPPROTO_HOPOPTS;
	ip[7] = 64;
	ip[8] = 0x20, ip[23] = 7, ip[24] = 0x20, ip[39] = 8;
	for (int e = 0; e < 3; e++, h += 8) {
		h[0] = e < 2 ? QV_IPPROTO_DSTOPTS : QV_IPPROTO_TCP;
		h[2] = 1, h[3] = 4;
	}
	qv_put16(h, 40000);
	qv_put16(h + 2, 179);
	return len;
}

/* segs[0..n) over frame[0..len): cut at the offsets given (ascending), like a device that
 * chains buffers. */
static struct rte_mbuf *chain(struct rte_mbuf *segs, const uint32_t *cuts, unsigned n_cuts,
                              uint32_t len)
{
	uint32_t from = 0;

	memset(segs, 0, sizeof(*segs) * (n_cuts + 1));
	for (unsigned i = 0; i <= n_cuts; i++) {
		uint32_t to = i < n_cuts ? cuts[i] : len;

		segs[i].buf_addr = frame + from;
		segs[i].buf_len = (uint16_t)(to - from);
		segs[i].data_off = 0;
		segs[i].data_len = (uint16_t)(to - from);
		segs[i].next = i < n_cuts ? &segs[i + 1] : NULL;
		from = to;
	}
	segs[0].pkt_len = len;
	segs[0].nb_segs = (uint16_t)(n_cuts + 1);
	return &segs[0];
}

/* Every cut of the head into two segments gives the whole frame's key. */
static void sweep(uint32_t len)
{
	struct qv_flow_key whole, part;
	uint8_t scratch[QV_PARSE_HEAD];
	struct rte_mbuf segs[3];

	CU_ASSERT_FATAL(qv_parse_frame(frame, len, 7, &whole) == 0);
	for (uint32_t cut = 1; cut < 300; cut++) {
		uint32_t cuts[2] = {cut, cut + 2000};
		struct rte_mbuf *m = chain(segs, cuts, 2, len);

		CU_ASSERT_EQUAL(qv_parse_mbuf(m, 7, &part, scratch), 0);
		CU_ASSERT(memcmp(&whole, &part, sizeof(whole)) == 0);
	}
}

static void test_qinq_jumbo_any_cut(void)
{
	sweep(build_qinq_udp());
}

static void test_ipv6_ext_jumbo_any_cut(void)
{
	struct qv_flow_key k;

	sweep(build_ipv6_ext());
	CU_ASSERT_EQUAL(qv_parse_frame(frame, 9000, 1, &k), 0);
	CU_ASSERT_EQUAL(k.proto, QV_IPPROTO_TCP);
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(k.dst_port), 179);
}

/* The first segment alone is no longer taken for the whole frame: the IP total length is
 * checked against the frame, not the segment. */
static void test_not_bad_header(void)
{
	uint8_t scratch[QV_PARSE_HEAD];
	struct rte_mbuf segs[2];
	uint32_t cut = 1920, len = build_qinq_udp();
	struct qv_flow_key k;

	CU_ASSERT_EQUAL(qv_parse_mbuf(chain(segs, &cut, 1, len), 1, &k, scratch), 0);
	CU_ASSERT_EQUAL(qv_parse_frame(frame, cut, 1, &k), -1); /* as the old parser saw it */
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"qinq jumbo, any cut", test_qinq_jumbo_any_cut},
	    {"ipv6 extension headers jumbo, any cut", test_ipv6_ext_jumbo_any_cut},
	    {"jumbo in segments is not a bad header", test_not_bad_header},
	};

	return QV_UNIT_RUN("parse_mbuf", tests);
}
