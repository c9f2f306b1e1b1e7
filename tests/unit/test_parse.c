/* qwikvirt: unit tests for the fast-path packet parser (dataplane/parse.h).
 * Frames are built byte by byte so each test states exactly what is on the wire. Long because
 * it is a flat list of cases, one per header shape; no logic beyond the cases. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "dataplane/parse.h"
#include "tests/unit/qv_unit.h"

/* ---- frame builder ---- */

struct fb {
	uint8_t b[512];
	uint32_t len;
	uint32_t l3; /* where the IP header starts, to patch its length fields at the end */
};

static const uint8_t DST_MAC[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t SRC_MAC[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const uint8_t V6_DST[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 10, 11, 12, 13, 14, 15, 1, 9};

static void u8(struct fb *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void u16(struct fb *f, uint16_t v)
{
	u8(f, (uint8_t)(v >> 8));
	u8(f, (uint8_t)v);
}

static void u32(struct fb *f, uint32_t v)
{
	u16(f, (uint16_t)(v >> 16));
	u16(f, (uint16_t)v);
}

static void bytes(struct fb *f, const uint8_t *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void fill(struct fb *f, uint8_t v, uint32_t n)
{
	memset(f->b + f->len, v, n);
	f->len += n;
}

/* MACs only; the caller writes the ethertype (or the first TPID). */
static void eth(struct fb *f)
{
	memset(f, 0, sizeof(*f));
	bytes(f, DST_MAC, 6);
	bytes(f, SRC_MAC, 6);
}

static void vlan(struct fb *f, uint16_t tpid, uint16_t tci)
{
	u16(f, tpid);
	u16(f, tci);
}

/* IPv4 header with (ihl-5) words of NOP options; total length patched by ip4_end(). */
static void ip4(struct fb *f, uint8_t ihl, uint16_t frag, uint8_t proto)
{
	u16(f, 0x0800);
	f->l3 = f->len;
	u8(f, (uint8_t)(0x40 | ihl));
	u8(f, 0);
	u16(f, 0); /* total length, patched */
	u16(f, 0x1234);
	u16(f, frag);
	u8(f, 64);
	u8(f, proto);
	u16(f, 0);
	u32(f, 0x0a000001);
	u32(f, 0xc0a80102);
	if (ihl > 5)
		fill(f, 0x01, (uint32_t)(ihl - 5) * 4);
}

static void ip4_end(struct fb *f)
{
	uint32_t tot = f->len - f->l3;

	f->b[f->l3 + 2] = (uint8_t)(tot >> 8);
	f->b[f->l3 + 3] = (uint8_t)tot;
}

static void ip6(struct fb *f, uint8_t nh)
{
	u16(f, 0x86dd);
	f->l3 = f->len;
	u32(f, 0x60000000);
	u16(f, 0); /* payload length, patched */
	u8(f, nh);
	u8(f, 64);
	bytes(f, V6_SRC, 16);
	bytes(f, V6_DST, 16);
}

static void ip6_end(struct fb *f)
{
	uint32_t plen = f->len - f->l3 - 40;

	f->b[f->l3 + 4] = (uint8_t)(plen >> 8);
	f->b[f->l3 + 5] = (uint8_t)plen;
}

/* Generic extension header of (hdrlen+1)*8 bytes. */
static void ext(struct fb *f, uint8_t nh, uint8_t hdrlen)
{
	u8(f, nh);
	u8(f, hdrlen);
	fill(f, 0, (uint32_t)(hdrlen + 1) * 8 - 2);
}

static void frag6(struct fb *f, uint8_t nh, uint16_t off_units, int more)
{
	u8(f, nh);
	u8(f, 0);
	u16(f, (uint16_t)((off_units << 3) | (more ? 1 : 0)));
	u32(f, 0xdeadbeef);
}

/* Ports plus enough bytes to look like a real L4 header. */
static void l4(struct fb *f, uint16_t sport, uint16_t dport, uint32_t extra)
{
	u16(f, sport);
	u16(f, dport);
	fill(f, 0x5a, extra);
}

/* ---- helpers on keys ---- */

/* Parses from an exact-size heap copy so AddressSanitizer sees any over-read. */
static int parse_exact(const uint8_t *p, uint32_t len, uint16_t port, struct qv_flow_key *k)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	CU_ASSERT_FATAL(copy != NULL);
	if (len)
		memcpy(copy, p, len);
	rc = qv_parse_frame(copy, len, port, k);
	free(copy);
	return rc;
}

static int parse(const struct fb *f, struct qv_flow_key *k)
{
	return parse_exact(f->b, f->len, 7, k);
}

static uint16_t port_s(const struct qv_flow_key *k)
{
	return ntohs(k->src_port);
}

static uint16_t port_d(const struct qv_flow_key *k)
{
	return ntohs(k->dst_port);
}

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void check_macs(const struct qv_flow_key *k)
{
	uint8_t d[6], s[6];

	qv_flow_key_get_macs(k, d, s);
	CU_ASSERT(memcmp(d, DST_MAC, 6) == 0);
	CU_ASSERT(memcmp(s, SRC_MAC, 6) == 0);
}

static void check_v4_addrs(const struct qv_flow_key *k)
{
	CU_ASSERT_EQUAL(ntohl(k->src_ip[0]), 0x0a000001);
	CU_ASSERT_EQUAL(ntohl(k->dst_ip[0]), 0xc0a80102);
	CU_ASSERT(is_zero(&k->src_ip[1], 12));
	CU_ASSERT(is_zero(&k->dst_ip[1], 12));
}

static void check_v6_addrs(const struct qv_flow_key *k)
{
	CU_ASSERT(memcmp(k->src_ip, V6_SRC, 16) == 0);
	CU_ASSERT(memcmp(k->dst_ip, V6_DST, 16) == 0);
}

/* ---- L2 ---- */

static void test_ipv4_tcp_all_fields(void)
{
	struct fb f;
	struct qv_flow_key k;
	const uint8_t *raw = (const uint8_t *)&k;

	eth(&f);
	ip4(&f, 5, 0x4000 /* DF */, 6);
	l4(&f, 40000, 443, 16);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse_exact(f.b, f.len, 0x1234, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 6);
	CU_ASSERT_EQUAL(k.ip_version, 4);
	/* in_port is stored big-endian: first byte is the high one. */
	CU_ASSERT_EQUAL(raw[2], 0x12);
	CU_ASSERT_EQUAL(raw[3], 0x34);
	CU_ASSERT_EQUAL(k.vlan_tci, 0);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x0800);
	CU_ASSERT(memcmp(k.dst_mac_hi, DST_MAC, 4) == 0);
	CU_ASSERT(memcmp(k.dst_mac_lo, DST_MAC + 4, 2) == 0);
	CU_ASSERT(memcmp(k.src_mac_hi, SRC_MAC, 4) == 0);
	CU_ASSERT(memcmp(k.src_mac_lo, SRC_MAC + 4, 2) == 0);
	CU_ASSERT_EQUAL(port_s(&k), 40000);
	CU_ASSERT_EQUAL(port_d(&k), 443);
	check_v4_addrs(&k);
	check_macs(&k);
}

static void test_arp(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	u16(&f, 0x0806);
	u16(&f, 1);
	u16(&f, 0x0800);
	u8(&f, 6);
	u8(&f, 4);
	u16(&f, 1);
	fill(&f, 0x33, 20);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x0806);
	CU_ASSERT_EQUAL(k.ip_version, 0);
	CU_ASSERT_EQUAL(k.proto, 0);
	CU_ASSERT_EQUAL(k.src_port, 0);
	CU_ASSERT_EQUAL(k.dst_port, 0);
	CU_ASSERT(is_zero(k.src_ip, 32));
	CU_ASSERT_EQUAL(k.vlan_tci, 0);
	check_macs(&k);
}

static void test_vlan_single(void)
{
	struct fb f;
	struct qv_flow_key k, untagged;

	/* PCP 7, DEI 1, vid 100: PCP and DEI are dropped, PRESENT set. */
	eth(&f);
	vlan(&f, 0x8100, 0xf064);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.vlan_tci), QV_VLAN_PRESENT | 100);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x0806);
	check_macs(&k);

	/* Priority tag: vid 0 but a tag was there, so it must differ from untagged. */
	eth(&f);
	vlan(&f, 0x8100, 0xa000);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.vlan_tci), QV_VLAN_PRESENT);
	CU_ASSERT_EQUAL(k.vlan_tci & htons(QV_VLAN_VID_MASK), 0);

	eth(&f);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &untagged), 0);
	CU_ASSERT_EQUAL(untagged.vlan_tci, 0);
	CU_ASSERT(memcmp(&k, &untagged, sizeof(k)) != 0);

	/* Old QinQ TPID is a tag too. */
	eth(&f);
	vlan(&f, 0x9100, 0x0fff);
	u16(&f, 0x88cc);
	fill(&f, 0, 28);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.vlan_tci), QV_VLAN_PRESENT | 0xfff);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x88cc);
}

static void test_qinq(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	vlan(&f, 0x88a8, 200);
	vlan(&f, 0x8100, 0x2000 | 300);
	ip4(&f, 5, 0, 17);
	l4(&f, 53, 5353, 4);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.vlan_tci), QV_VLAN_PRESENT | 200);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x0800);
	CU_ASSERT_EQUAL(k.ip_version, 4);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(port_s(&k), 53);
	CU_ASSERT_EQUAL(port_d(&k), 5353);
	check_v4_addrs(&k);
}

static void test_vlan_depth(void)
{
	struct fb f;
	struct qv_flow_key k;

	/* Four tags is the limit and still parses to the inner IP. */
	eth(&f);
	vlan(&f, 0x88a8, 10);
	vlan(&f, 0x8100, 20);
	vlan(&f, 0x9100, 30);
	vlan(&f, 0x8100, 40);
	ip4(&f, 5, 0, 6);
	l4(&f, 1, 2, 16);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(ntohs(k.vlan_tci), QV_VLAN_PRESENT | 10);
	CU_ASSERT_EQUAL(port_d(&k), 2);

	eth(&f);
	vlan(&f, 0x88a8, 10);
	vlan(&f, 0x8100, 20);
	vlan(&f, 0x8100, 30);
	vlan(&f, 0x8100, 40);
	vlan(&f, 0x8100, 50);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_short_ethernet(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	u8(&f, 0x08);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
	CU_ASSERT_EQUAL(parse_exact(f.b, 0, 0, &k), -1);
}

/* ---- IPv4 ---- */

static void test_ipv4_options(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip4(&f, 7, 0, 6);
	l4(&f, 1111, 2222, 16);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 6);
	CU_ASSERT_EQUAL(port_s(&k), 1111);
	CU_ASSERT_EQUAL(port_d(&k), 2222);
	check_v4_addrs(&k);
}

static void test_ipv4_fragments(void)
{
	struct fb f;
	struct qv_flow_key k;

	/* First fragment: MF set, offset 0, carries the L4 header. */
	eth(&f);
	ip4(&f, 5, 0x2000, 17);
	l4(&f, 5000, 6000, 4);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(port_s(&k), 5000);
	CU_ASSERT_EQUAL(port_d(&k), 6000);

	/* Later fragment (offset 185, MF clear): the bytes where ports would be are payload. */
	eth(&f);
	ip4(&f, 5, 185, 17);
	l4(&f, 5000, 6000, 4);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(k.ip_version, 4);
	CU_ASSERT_EQUAL(k.src_port, 0);
	CU_ASSERT_EQUAL(k.dst_port, 0);
	check_v4_addrs(&k);

	/* A later fragment may be shorter than a port pair and is still fine. */
	eth(&f);
	ip4(&f, 5, 0x2000 | 3, 6);
	u8(&f, 0xff);
	ip4_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), 0);
}

static void test_ipv4_bad_ihl(void)
{
	struct fb f;
	struct qv_flow_key k;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		eth(&f);
		ip4(&f, 5, 0, 6);
		l4(&f, 1, 2, 16);
		ip4_end(&f);
		f.b[f.l3] = (uint8_t)(0x40 | ihl);
		CU_ASSERT_EQUAL(parse(&f, &k), -1);
	}
	/* IHL larger than the whole datagram. */
	eth(&f);
	ip4(&f, 5, 0, 6);
	l4(&f, 1, 2, 4);
	ip4_end(&f);
	f.b[f.l3] = 0x4f;
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_ipv4_bad_version(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip4(&f, 5, 0, 6);
	l4(&f, 1, 2, 16);
	ip4_end(&f);
	f.b[f.l3] = 0x55;
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
	f.b[f.l3] = 0x65;
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_ipv4_total_length(void)
{
	struct fb f;
	struct qv_flow_key k, unpadded;

	eth(&f);
	ip4(&f, 5, 0, 6);
	l4(&f, 1, 2, 16);
	ip4_end(&f);
	f.b[f.l3 + 3]++; /* one byte more than the frame holds */
	CU_ASSERT_EQUAL(parse(&f, &k), -1);

	/* ICMP, so that no port check can hide a missing total_length check. */
	eth(&f);
	ip4(&f, 5, 0, 1);
	fill(&f, 0, 8);
	f.b[f.l3 + 2] = 0;
	f.b[f.l3 + 3] = 19; /* less than the header itself */
	CU_ASSERT_EQUAL(parse(&f, &k), -1);

	/* 28-byte UDP datagram padded to the 60-byte Ethernet minimum. */
	eth(&f);
	ip4(&f, 5, 0, 17);
	l4(&f, 67, 68, 4);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &unpadded), 0);
	fill(&f, 0, 60 - f.len);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT(memcmp(&k, &unpadded, sizeof(k)) == 0);
	CU_ASSERT_EQUAL(port_d(&k), 68);

	/* Padding must not be mistaken for ports: UDP cut to 2 bytes, then padded. */
	eth(&f);
	ip4(&f, 5, 0, 17);
	u16(&f, 67);
	ip4_end(&f);
	fill(&f, 0x44, 60 - f.len);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_short_l4(void)
{
	static const uint8_t protos[] = {6, 17, 132, 136};
	struct fb f;
	struct qv_flow_key k;

	for (unsigned int i = 0; i < sizeof(protos); i++) {
		eth(&f);
		ip4(&f, 5, 0, protos[i]);
		u16(&f, 1000);
		ip4_end(&f);
		CU_ASSERT_EQUAL(parse(&f, &k), -1);

		eth(&f);
		ip6(&f, protos[i]);
		u16(&f, 1000);
		ip6_end(&f);
		CU_ASSERT_EQUAL(parse(&f, &k), -1);

		/* Exactly the 4 port bytes is enough. */
		eth(&f);
		ip4(&f, 5, 0, protos[i]);
		l4(&f, 1000, 2000, 0);
		ip4_end(&f);
		CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
		CU_ASSERT_EQUAL(k.proto, protos[i]);
		CU_ASSERT_EQUAL(port_s(&k), 1000);
		CU_ASSERT_EQUAL(port_d(&k), 2000);
	}
}

static void test_icmp(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip4(&f, 5, 0, 1);
	u8(&f, 8);
	u8(&f, 0);
	u16(&f, 0xabcd);
	u32(&f, 0x00010002);
	ip4_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 1);
	CU_ASSERT_EQUAL(k.src_port, 0);
	CU_ASSERT_EQUAL(k.dst_port, 0);

	/* ICMP with no body at all is still not a bad header. */
	eth(&f);
	ip4(&f, 5, 0, 1);
	ip4_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), 0);

	eth(&f);
	ip6(&f, 58);
	u8(&f, 128);
	u8(&f, 0);
	u16(&f, 0xabcd);
	u32(&f, 0x00010002);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 58);
	CU_ASSERT_EQUAL(k.ip_version, 6);
	CU_ASSERT_EQUAL(k.src_port, 0);
	CU_ASSERT_EQUAL(k.dst_port, 0);
}

/* ---- IPv6 ---- */

static void test_ipv6_udp(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip6(&f, 17);
	l4(&f, 546, 547, 4);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.ip_version, 6);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(ntohs(k.ethertype), 0x86dd);
	CU_ASSERT_EQUAL(port_s(&k), 546);
	CU_ASSERT_EQUAL(port_d(&k), 547);
	check_v6_addrs(&k);
	check_macs(&k);

	/* Version field must say 6. */
	f.b[f.l3] = 0x40;
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_ipv6_payload_length(void)
{
	struct fb f;
	struct qv_flow_key k, unpadded;

	eth(&f);
	ip6(&f, 17);
	l4(&f, 1, 2, 4);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &unpadded), 0);
	f.b[f.l3 + 5]++;
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
	f.b[f.l3 + 5]--;
	fill(&f, 0, 16);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT(memcmp(&k, &unpadded, sizeof(k)) == 0);

	/* No next header: fine, no ports. */
	eth(&f);
	ip6(&f, 59);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 59);
	CU_ASSERT_EQUAL(k.src_port, 0);
}

static void test_ipv6_ext_chain(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip6(&f, 0);
	ext(&f, 60, 0);
	ext(&f, 43, 1);
	ext(&f, 6, 2);
	l4(&f, 22, 65000, 16);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 6);
	CU_ASSERT_EQUAL(port_s(&k), 22);
	CU_ASSERT_EQUAL(port_d(&k), 65000);
	check_v6_addrs(&k);

	/* AH counts in 4-octet units (+2); hdrlen 4 -> 24 bytes. Mobility uses 8-octet units. */
	eth(&f);
	ip6(&f, 51);
	u8(&f, 135);
	u8(&f, 4);
	fill(&f, 0, 22);
	ext(&f, 17, 0);
	l4(&f, 4500, 4501, 4);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(port_s(&k), 4500);
	CU_ASSERT_EQUAL(port_d(&k), 4501);
}

static void test_ipv6_fragments(void)
{
	struct fb f;
	struct qv_flow_key k;

	eth(&f);
	ip6(&f, 0);
	ext(&f, 44, 0);
	frag6(&f, 6, 0, 1);
	l4(&f, 8080, 80, 16);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 6);
	CU_ASSERT_EQUAL(port_s(&k), 8080);
	CU_ASSERT_EQUAL(port_d(&k), 80);

	/* Non-first: the fragment's next header is the proto; ports are unknowable. */
	eth(&f);
	ip6(&f, 44);
	frag6(&f, 17, 100, 0);
	l4(&f, 8080, 80, 16);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(k.proto, 17);
	CU_ASSERT_EQUAL(k.ip_version, 6);
	CU_ASSERT_EQUAL(k.src_port, 0);
	CU_ASSERT_EQUAL(k.dst_port, 0);
	check_v6_addrs(&k);

	/* Truncated fragment header (next header 59: only the length check can reject it). */
	eth(&f);
	ip6(&f, 44);
	u32(&f, 0x3b000000);
	ip6_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_ipv6_ext_limit(void)
{
	struct fb f;
	struct qv_flow_key k;

	/* 8 extension headers: accepted. */
	eth(&f);
	ip6(&f, 60);
	for (int i = 0; i < 7; i++)
		ext(&f, 60, 0);
	ext(&f, 17, 0);
	l4(&f, 1, 2, 4);
	ip6_end(&f);
	CU_ASSERT_EQUAL_FATAL(parse(&f, &k), 0);
	CU_ASSERT_EQUAL(port_d(&k), 2);

	/* 9: rejected. */
	eth(&f);
	ip6(&f, 60);
	for (int i = 0; i < 8; i++)
		ext(&f, 60, 0);
	ext(&f, 17, 0);
	l4(&f, 1, 2, 4);
	ip6_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

static void test_ipv6_truncated_ext(void)
{
	struct fb f;
	struct qv_flow_key k;

	/* Routing header claims 16 bytes, payload holds 8. Next header 59, so no port check can
	 * hide a missing length check. */
	eth(&f);
	ip6(&f, 43);
	u8(&f, 59);
	u8(&f, 1);
	fill(&f, 0, 6);
	ip6_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);

	/* The extension header lies in Ethernet padding beyond payload_length. */
	eth(&f);
	ip6(&f, 0);
	ip6_end(&f);
	ext(&f, 59, 0);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);

	/* Only one byte of the extension header. */
	eth(&f);
	ip6(&f, 60);
	u8(&f, 6);
	ip6_end(&f);
	CU_ASSERT_EQUAL(parse(&f, &k), -1);
}

/* ---- whole-key properties ---- */

static void test_no_stray_bytes(void)
{
	struct fb frames[3];
	struct qv_flow_key expect, k;

	eth(&frames[0]);
	u16(&frames[0], 0x0806);
	fill(&frames[0], 0, 28);

	eth(&frames[1]);
	ip4(&frames[1], 6, 0, 1);
	fill(&frames[1], 0, 8);
	ip4_end(&frames[1]);

	eth(&frames[2]);
	ip6(&frames[2], 44);
	frag6(&frames[2], 6, 9, 1);
	fill(&frames[2], 0, 8);
	ip6_end(&frames[2]);

	for (int i = 0; i < 3; i++) {
		memset(&expect, 0, sizeof(expect));
		expect.in_port = htons(3);
		expect.ethertype = htons(i == 0 ? 0x0806 : i == 1 ? 0x0800 : 0x86dd);
		memcpy(expect.dst_mac_hi, DST_MAC, 4);
		memcpy(expect.dst_mac_lo, DST_MAC + 4, 2);
		memcpy(expect.src_mac_hi, SRC_MAC, 4);
		memcpy(expect.src_mac_lo, SRC_MAC + 4, 2);
		if (i == 1) {
			expect.ip_version = 4;
			expect.proto = 1;
			expect.src_ip[0] = htonl(0x0a000001);
			expect.dst_ip[0] = htonl(0xc0a80102);
		} else if (i == 2) {
			expect.ip_version = 6;
			expect.proto = 6;
			memcpy(expect.src_ip, V6_SRC, 16);
			memcpy(expect.dst_ip, V6_DST, 16);
		}
		memset(&k, 0xaa, sizeof(k));
		CU_ASSERT_EQUAL_FATAL(parse_exact(frames[i].b, frames[i].len, 3, &k), 0);
		CU_ASSERT(memcmp(&k, &expect, sizeof(k)) == 0);
	}

	/* Even a rejected frame leaves no 0xaa behind. */
	memset(&k, 0xaa, sizeof(k));
	CU_ASSERT_EQUAL(parse_exact(frames[0].b, 5, 3, &k), -1);
	CU_ASSERT(is_zero(k.src_ip, 32));
	CU_ASSERT_EQUAL(k.vlan_tci, 0);
}

/* Every prefix shorter than `need` must be rejected; from `need` on, the key must be the one
 * the full frame gives (the remaining bytes are padding or payload the parser ignores). */
static void sweep(const struct fb *f, uint32_t need)
{
	struct qv_flow_key full, k;

	CU_ASSERT_EQUAL_FATAL(parse(f, &full), 0);
	for (uint32_t n = 0; n < f->len; n++) {
		int rc = parse_exact(f->b, n, 7, &k);

		if (n < need) {
			CU_ASSERT_EQUAL(rc, -1);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT(memcmp(&k, &full, sizeof(k)) == 0);
		}
	}
}

static void test_truncation_sweep(void)
{
	struct fb f;
	uint32_t need;

	/* ARP: only the Ethernet header is required. */
	eth(&f);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	sweep(&f, 14);

	/* Tagged ARP: the tag must be whole too. */
	eth(&f);
	vlan(&f, 0x8100, 5);
	u16(&f, 0x0806);
	fill(&f, 0, 28);
	sweep(&f, 18);

	/* QinQ IPv4/TCP with options, padded: the whole datagram is needed. */
	eth(&f);
	vlan(&f, 0x88a8, 7);
	vlan(&f, 0x8100, 8);
	ip4(&f, 6, 0, 6);
	l4(&f, 1, 2, 16);
	ip4_end(&f);
	need = f.len;
	fill(&f, 0, 12);
	sweep(&f, need);

	/* IPv4 later fragment (no ports). */
	eth(&f);
	ip4(&f, 5, 77, 17);
	fill(&f, 0x12, 10);
	ip4_end(&f);
	need = f.len;
	fill(&f, 0, 6);
	sweep(&f, need);

	/* IPv6 with an extension chain and UDP, padded. */
	eth(&f);
	vlan(&f, 0x8100, 9);
	ip6(&f, 0);
	ext(&f, 51, 0);
	u8(&f, 17);
	u8(&f, 1);
	fill(&f, 0, 10);
	l4(&f, 3, 4, 4);
	ip6_end(&f);
	need = f.len;
	fill(&f, 0, 9);
	sweep(&f, need);

	/* IPv6 non-first fragment. */
	eth(&f);
	ip6(&f, 44);
	frag6(&f, 6, 3, 0);
	fill(&f, 0, 3);
	ip6_end(&f);
	sweep(&f, f.len);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"ipv4 tcp all fields", test_ipv4_tcp_all_fields},
	    {"arp", test_arp},
	    {"single vlan and priority tag", test_vlan_single},
	    {"qinq", test_qinq},
	    {"vlan depth limit", test_vlan_depth},
	    {"short ethernet", test_short_ethernet},
	    {"ipv4 options", test_ipv4_options},
	    {"ipv4 fragments", test_ipv4_fragments},
	    {"ipv4 bad ihl", test_ipv4_bad_ihl},
	    {"ipv4 bad version", test_ipv4_bad_version},
	    {"ipv4 total length and padding", test_ipv4_total_length},
	    {"short l4 header", test_short_l4},
	    {"icmp has no ports", test_icmp},
	    {"ipv6 udp", test_ipv6_udp},
	    {"ipv6 payload length", test_ipv6_payload_length},
	    {"ipv6 extension chain", test_ipv6_ext_chain},
	    {"ipv6 fragments", test_ipv6_fragments},
	    {"ipv6 extension limit", test_ipv6_ext_limit},
	    {"ipv6 truncated extension", test_ipv6_truncated_ext},
	    {"no stray bytes", test_no_stray_bytes},
	    {"truncation sweep", test_truncation_sweep},
	};
	int rc;

	rc = QV_UNIT_RUN("parse", tests);
	return rc;
}
