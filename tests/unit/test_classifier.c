/* qwikvirt: unit tests for the rule matcher, the rte_acl classifier and the exact-match cache.
 * The classifier is checked field by field and against brute force over qv_match_covers.
 * Long because it is a flat list of cases per field plus the brute-force comparison. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "dataplane/classifier.h"
#include "dataplane/classifier_delta.h"
#include "dataplane/emc.h"
#include "dataplane/flow_table.h"
#include "dataplane/lb/lb_fast.h"
#include "qv/rule.h"
#include "tests/unit/qv_unit.h"

/* ---- helpers ---------------------------------------------------------------------------- */

/* Dynamic failure messages: CU_FAIL only takes literals, CUnit copies this string. */
#define FAILF(...)                                                                                 \
	do {                                                                                       \
		char msg_[512];                                                                    \
		snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                         \
		fprintf(stderr, "\n  FAIL %s:%d: %s\n", __FILE__, __LINE__, msg_);                 \
		CU_assertImplementation(CU_FALSE, __LINE__, msg_, __FILE__, "", CU_FALSE);         \
	} while (0)

/* xorshift64*: fixed seeds only, so every failure reproduces. */
static uint64_t rng_state;

static void rng_seed(uint64_t s)
{
	rng_state = s * 0x9e3779b97f4a7c15ull + 1;
}

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rndn(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static bool chance(uint32_t num, uint32_t den)
{
	return rndn(den) < num;
}

static void set_mac(uint8_t hi[4], uint8_t lo[2], const uint8_t mac[6])
{
	memcpy(hi, mac, 4);
	memcpy(lo, mac + 4, 2);
}

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* A plain TCP/IPv4 packet key in network order, the base of the hand-written cases. */
static struct qv_flow_key base_key(void)
{
	struct qv_flow_key k;
	memset(&k, 0, sizeof(k));
	k.proto = 6;
	k.ip_version = 4;
	k.in_port = rte_cpu_to_be_16(1);
	k.ethertype = rte_cpu_to_be_16(0x0800);
	set_mac(k.dst_mac_hi, k.dst_mac_lo, MAC_A);
	set_mac(k.src_mac_hi, k.src_mac_lo, MAC_B);
	k.src_port = rte_cpu_to_be_16(1234);
	k.dst_port = rte_cpu_to_be_16(80);
	k.src_ip[0] = rte_cpu_to_be_32(0x0a000001); /* 10.0.0.1 */
	k.dst_ip[0] = rte_cpu_to_be_32(0x0a000102); /* 10.0.1.2 */
	return k;
}

static const uint8_t V6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10};

static struct qv_flow_key base_key6(void)
{
	struct qv_flow_key k = base_key();
	k.ip_version = 6;
	k.ethertype = rte_cpu_to_be_16(0x86dd);
	memcpy(k.src_ip, V6_A, 16);
	memcpy(k.dst_ip, V6_A, 16);
	return k;
}

static struct qv_rule mk_rule(uint32_t id, uint32_t prio)
{
	struct qv_rule r;
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.priority = prio;
	return r;
}

/* Brute-force winner: highest priority, then lowest id, among covering rules. */
static uint32_t brute_winner(const struct qv_rule *rules, uint32_t n, const struct qv_flow_key *k)
{
	uint32_t best = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!qv_match_covers(&rules[i].match, k))
			continue;
		const struct qv_rule *b = best ? &rules[best - 1] : NULL;
		if (b == NULL || rules[i].priority > b->priority ||
		    (rules[i].priority == b->priority && rules[i].id < b->id))
			best = i + 1;
	}
	return best;
}

static struct qv_classifier *build_or_fail(const struct qv_rule *rules, uint32_t n)
{
	char err[256] = "";
	struct qv_classifier *c = qv_classifier_build(rules, n, SOCKET_ID_ANY, err, sizeof(err));
	if (c == NULL)
		FAILF("qv_classifier_build(%u rules) failed: %s", n, err);
	return c;
}

static uint32_t classify1(const struct qv_classifier *c, const struct qv_flow_key *k)
{
	uint32_t res = UINT32_MAX;
	qv_classifier_classify(c, &k, 1, &res);
	return res;
}

/* Checks one key against an expected result, through both the classifier and the reference. */
static void check_at(int line, const struct qv_classifier *c, const struct qv_rule *rules,
                     uint32_t n, const struct qv_flow_key *k, uint32_t want)
{
	uint32_t got = classify1(c, k), ref = brute_winner(rules, n, k);
	if (got != want || ref != want)
		FAILF("line %d: classifier=%u reference=%u expected=%u", line, got, ref, want);
}
#define CHECK(c, rules, k, want) check_at(__LINE__, c, rules, RTE_DIM(rules), &(k), want)

/* ---- (a) hand-written cases ---------------------------------------------------------------- */

static void test_in_port(void)
{
	struct qv_rule rules[1] = {mk_rule(1, 10)};
	rules[0].match.fields = QV_M_IN_PORT;
	rules[0].match.in_port = 3;
	struct qv_classifier *c = build_or_fail(rules, 1);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	k.in_port = rte_cpu_to_be_16(3);
	CHECK(c, rules, k, 1);
	k.in_port = rte_cpu_to_be_16(4);
	CHECK(c, rules, k, 0);
	k.in_port = rte_cpu_to_be_16(0x0300); /* byte-swapped 3 must not match */
	CHECK(c, rules, k, 0);
	CU_ASSERT_EQUAL(qv_classifier_size(c), 1);
	qv_classifier_free(c);
}

static void test_vlan(void)
{
	struct qv_rule rules[3] = {mk_rule(1, 10), mk_rule(2, 10), mk_rule(3, 10)};
	rules[0].match.fields = QV_M_VLAN;
	rules[0].match.vlan_id = 100;
	rules[1].match.fields = QV_M_NO_VLAN;
	rules[2].match.fields = QV_M_VLAN;
	rules[2].match.vlan_id = 0; /* priority tag: tagged, vid 0, distinct from untagged */
	struct qv_classifier *c = build_or_fail(rules, 3);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 2); /* untagged */
	k.vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | 100);
	CHECK(c, rules, k, 1);
	k.vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | 100 | 0xe000); /* PCP is not matched */
	CHECK(c, rules, k, 1);
	k.vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | 101);
	CHECK(c, rules, k, 0);
	k.vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT);
	CHECK(c, rules, k, 3);
	k.vlan_tci = rte_cpu_to_be_16(100); /* vid bits without the present marker: not tagged */
	CHECK(c, rules, k, 0);
	qv_classifier_free(c);
}

static void test_ethertype(void)
{
	struct qv_rule rules[1] = {mk_rule(1, 10)};
	rules[0].match.fields = QV_M_ETHERTYPE;
	rules[0].match.ethertype = 0x0806;
	struct qv_classifier *c = build_or_fail(rules, 1);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 0);
	k.ethertype = rte_cpu_to_be_16(0x0806);
	CHECK(c, rules, k, 1);
	qv_classifier_free(c);
}

static void test_macs(void)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct qv_rule rules[2] = {mk_rule(1, 10), mk_rule(2, 20)};
	rules[0].match.fields = QV_M_SRC_MAC;
	memcpy(rules[0].match.src_mac, mac, 6);
	rules[1].match.fields = QV_M_DST_MAC;
	memcpy(rules[1].match.dst_mac, mac, 6);
	struct qv_classifier *c = build_or_fail(rules, 2);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 0);
	set_mac(k.src_mac_hi, k.src_mac_lo, mac);
	CHECK(c, rules, k, 1);
	set_mac(k.dst_mac_hi, k.dst_mac_lo, mac);
	CHECK(c, rules, k, 2);
	/* Every byte of each address matters (covers both the 4-byte and the 2-byte piece). */
	for (int i = 0; i < 6; i++) {
		uint8_t other[6];
		memcpy(other, mac, 6);
		other[i] ^= 0x01;
		struct qv_flow_key s = base_key(), d = base_key();
		set_mac(s.src_mac_hi, s.src_mac_lo, other);
		set_mac(d.dst_mac_hi, d.dst_mac_lo, other);
		CHECK(c, rules, s, 0);
		CHECK(c, rules, d, 0);
	}
	qv_classifier_free(c);
}

static void test_ipv4_prefixes(void)
{
	struct qv_rule rules[3] = {mk_rule(1, 30), mk_rule(2, 20), mk_rule(3, 10)};
	static const uint8_t a[4] = {10, 0, 0, 1};
	for (int i = 0; i < 3; i++) {
		rules[i].match.fields = QV_M_SRC_IP | QV_M_IP_VERSION;
		rules[i].match.ip_version = 4;
		memcpy(rules[i].match.src_ip, a, 4);
	}
	rules[0].match.src_plen = 32;
	rules[1].match.src_plen = 24;
	rules[2].match.src_plen = 0;
	struct qv_classifier *c = build_or_fail(rules, 3);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 1); /* 10.0.0.1 */
	k.src_ip[0] = rte_cpu_to_be_32(0x0a0000fe);
	CHECK(c, rules, k, 2); /* 10.0.0.254: /24 */
	k.src_ip[0] = rte_cpu_to_be_32(0x0a000101);
	CHECK(c, rules, k, 3); /* 10.0.1.1: /0 */
	k.src_ip[0] = rte_cpu_to_be_32(0x8a000001);
	CHECK(c, rules, k, 3);
	struct qv_flow_key k6 = base_key6();
	CHECK(c, rules, k6, 0); /* /0 on IPv4 still requires IPv4 */
	struct qv_flow_key arp = base_key();
	arp.ip_version = 0;
	arp.proto = 0;
	memset(arp.src_ip, 0, sizeof(arp.src_ip));
	CHECK(c, rules, arp, 0);
	qv_classifier_free(c);

	/* Destination side, without the explicit IP_VERSION bit (the prefix implies it). */
	struct qv_rule d[1] = {mk_rule(1, 1)};
	d[0].match.fields = QV_M_DST_IP;
	d[0].match.ip_version = 4;
	d[0].match.dst_plen = 24;
	memcpy(d[0].match.dst_ip, (const uint8_t[]){10, 0, 1, 0}, 4);
	c = build_or_fail(d, 1);
	if (!c)
		return;
	k = base_key();
	CHECK(c, d, k, 1);
	k.dst_ip[0] = rte_cpu_to_be_32(0x0a000202);
	CHECK(c, d, k, 0);
	k6 = base_key6();
	memcpy(k6.dst_ip, (const uint8_t[]){10, 0, 1, 0}, 4);
	CHECK(c, d, k6, 0);
	qv_classifier_free(c);
}

static void test_ipv6_prefixes(void)
{
	struct qv_rule rules[2] = {mk_rule(1, 20), mk_rule(2, 10)};
	for (int i = 0; i < 2; i++) {
		rules[i].match.fields = QV_M_DST_IP | QV_M_IP_VERSION;
		rules[i].match.ip_version = 6;
		memcpy(rules[i].match.dst_ip, V6_A, 16);
	}
	rules[0].match.dst_plen = 128;
	rules[1].match.dst_plen = 64;
	struct qv_classifier *c = build_or_fail(rules, 2);
	if (!c)
		return;
	struct qv_flow_key k = base_key6();
	CHECK(c, rules, k, 1);
	((uint8_t *)k.dst_ip)[15] ^= 1;
	CHECK(c, rules, k, 2);
	((uint8_t *)k.dst_ip)[8] ^= 0x80; /* first bit after the /64 */
	CHECK(c, rules, k, 2);
	((uint8_t *)k.dst_ip)[7] ^= 1; /* last bit of the /64 */
	CHECK(c, rules, k, 0);
	k = base_key6();
	((uint8_t *)k.dst_ip)[0] ^= 0x80;
	CHECK(c, rules, k, 0);
	k = base_key6();
	k.ip_version = 4; /* same bytes, wrong version */
	CHECK(c, rules, k, 0);
	qv_classifier_free(c);
}

static void test_proto_and_ports(void)
{
	struct qv_rule rules[3] = {mk_rule(1, 10), mk_rule(2, 5), mk_rule(3, 1)};
	rules[0].match.fields = QV_M_PROTO | QV_M_DST_PORT;
	rules[0].match.proto = 6;
	rules[0].match.dst_port_lo = 1000;
	rules[0].match.dst_port_hi = 2000;
	rules[1].match.fields = QV_M_PROTO | QV_M_SRC_PORT;
	rules[1].match.proto = 17;
	rules[1].match.src_port_lo = 0;
	rules[1].match.src_port_hi = 10;
	rules[2].match.fields = QV_M_PROTO;
	rules[2].match.proto = 1;
	struct qv_classifier *c = build_or_fail(rules, 3);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	static const struct {
		uint16_t port;
		uint32_t want;
	} dst[] = {{999, 0}, {1000, 1}, {1500, 1}, {2000, 1}, {2001, 0}, {0x03e8, 1}, {0xe803, 0}};
	for (size_t i = 0; i < RTE_DIM(dst); i++) {
		k.dst_port = rte_cpu_to_be_16(dst[i].port);
		CHECK(c, rules, k, dst[i].want);
	}
	k = base_key();
	k.proto = 17;
	k.src_port = rte_cpu_to_be_16(10);
	CHECK(c, rules, k, 2);
	k.src_port = rte_cpu_to_be_16(11);
	CHECK(c, rules, k, 0);
	/* A key without ports (e.g. a non-first fragment) has port 0, inside 0..10. */
	k.src_port = 0;
	k.dst_port = 0;
	CHECK(c, rules, k, 2);
	k.proto = 1;
	CHECK(c, rules, k, 3);
	k.proto = 58;
	CHECK(c, rules, k, 0);
	qv_classifier_free(c);
}

static void test_priorities(void)
{
	/* Array order, id order and priority order all disagree on purpose. */
	struct qv_rule rules[4] = {mk_rule(40, 100), mk_rule(10, 200), mk_rule(30, 300),
	                           mk_rule(20, 300)};
	rules[0].match.fields = 0; /* catch-all */
	rules[1].match.fields = QV_M_PROTO;
	rules[1].match.proto = 6;
	rules[2].match.fields = QV_M_PROTO | QV_M_IN_PORT;
	rules[2].match.proto = 6;
	rules[2].match.in_port = 1;
	rules[3].match.fields = QV_M_IN_PORT;
	rules[3].match.in_port = 1;
	struct qv_classifier *c = build_or_fail(rules, 4);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 4); /* rules 2 and 3 tie at 300: id 20 beats id 30 */
	k.proto = 17;
	CHECK(c, rules, k, 4);
	k.in_port = rte_cpu_to_be_16(2);
	CHECK(c, rules, k, 1);
	k.proto = 6;
	CHECK(c, rules, k, 2);
	qv_classifier_free(c);

	/* Same priority everywhere: lowest id wins whatever the array order. */
	struct qv_rule tie[3] = {mk_rule(9, 7), mk_rule(3, 7), mk_rule(5, 7)};
	c = build_or_fail(tie, 3);
	if (!c)
		return;
	k = base_key();
	CHECK(c, tie, k, 2);
	qv_classifier_free(c);
}

static void test_unsatisfiable(void)
{
	struct qv_rule rules[5] = {mk_rule(1, 50), mk_rule(2, 50), mk_rule(3, 50), mk_rule(4, 50),
	                           mk_rule(5, 1)};
	rules[0].match.fields = QV_M_VLAN | QV_M_NO_VLAN;
	rules[1].match.fields = QV_M_DST_PORT;
	rules[1].match.dst_port_lo = 90;
	rules[1].match.dst_port_hi = 10;
	rules[2].match.fields = QV_M_SRC_IP;
	rules[2].match.ip_version = 4;
	rules[2].match.src_plen = 33;
	rules[3].match.fields = QV_M_SRC_IP;
	rules[3].match.ip_version = 0;
	struct qv_classifier *c = build_or_fail(rules, 5);
	if (!c)
		return;
	struct qv_flow_key k = base_key();
	CHECK(c, rules, k, 5);
	k.ip_version = 0;
	memset(k.src_ip, 0, sizeof(k.src_ip));
	CHECK(c, rules, k, 5);
	qv_classifier_free(c);

	/* Only unsatisfiable rules: builds fine, everything misses. */
	c = build_or_fail(rules, 2);
	if (!c)
		return;
	CU_ASSERT_EQUAL(classify1(c, &k), 0);
	CU_ASSERT_EQUAL(qv_classifier_size(c), 2);
	qv_classifier_free(c);
}

/* ---- (c) zero rules --------------------------------------------------------------------- */

static void test_zero_rules(void)
{
	struct qv_classifier *c = build_or_fail(NULL, 0);
	if (!c)
		return;
	CU_ASSERT_EQUAL(qv_classifier_size(c), 0);
	struct qv_flow_key keys[100];
	const struct qv_flow_key *kp[100];
	uint32_t res[100];
	for (int i = 0; i < 100; i++) {
		keys[i] = base_key();
		keys[i].in_port = rte_cpu_to_be_16((uint16_t)i);
		kp[i] = &keys[i];
		res[i] = 77;
	}
	qv_classifier_classify(c, kp, 100, res);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(res[i], 0);
	qv_classifier_classify(c, kp, 0, res);
	qv_classifier_free(c);
	qv_classifier_free(NULL);
}

/* ---- (b) brute force --------------------------------------------------------------------- */

static const uint16_t PORT_POOL[] = {0, 1, 53, 80, 443, 1023, 1024, 8080, 65534, 65535};
static const uint16_t VID_POOL[] = {0, 1, 100, 4094, 4095};
static const uint16_t ETH_POOL[] = {0x0800, 0x86dd, 0x0806, 0x8100};
static const uint8_t PROTO_POOL[] = {6, 17, 1, 58, 132, 0};
static const uint8_t MAC_POOL[4][6] = {{0x02, 0, 0, 0, 0, 1},
                                       {0x02, 0, 0, 0, 0, 2},
                                       {0x02, 0, 0, 0, 1, 1},
                                       {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const uint8_t V4_POOL[4][4] = {{10, 0, 0, 1}, {10, 0, 1, 2}, {192, 168, 1, 1}, {0, 0, 0, 0}};
static const uint8_t V6_POOL[3][16] = {
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2},
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0xff, 0xfe, 0, 0, 1}};

#define PICK(pool) (pool[rndn(RTE_DIM(pool))])

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void rnd_mac(uint8_t mac[6])
{
	if (chance(3, 4))
		memcpy(mac, MAC_POOL[rndn(4)], 6);
	else
		rnd_bytes(mac, 6);
}

static void rnd_addr(uint8_t version, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (version == 4) {
		if (chance(3, 4))
			memcpy(addr, V4_POOL[rndn(4)], 4);
		else
			rnd_bytes(addr, 4);
	} else {
		if (chance(3, 4))
			memcpy(addr, V6_POOL[rndn(3)], 16);
		else
			rnd_bytes(addr, 16);
	}
}

static uint8_t rnd_plen(uint8_t version)
{
	uint8_t max = version == 4 ? 32 : 128;
	switch (rndn(4)) {
	case 0:
		return 0;
	case 1:
		return max;
	default:
		return (uint8_t)rndn(max + 1u);
	}
}

static void rnd_range(uint16_t *lo, uint16_t *hi)
{
	uint32_t a, b;
	switch (rndn(4)) {
	case 0: /* single port */
		a = b = PICK(PORT_POOL);
		break;
	case 1: /* small range above a pool port */
		a = PICK(PORT_POOL);
		b = RTE_MIN(a + rndn(2000), 65535u);
		break;
	case 2: /* from 0 */
		a = 0;
		b = rndn(65536);
		break;
	default:
		a = rndn(65536);
		b = rndn(65536);
		if (a > b) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		break;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
}

static void rnd_rule(struct qv_rule *r, uint32_t id)
{
	struct qv_match *m = &r->match;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->priority = chance(1, 2) ? rndn(8) : rndn(QV_PRIORITY_MAX + 1);
	if (chance(1, 4)) {
		m->fields |= QV_M_IN_PORT;
		m->in_port = (uint16_t)rndn(4);
	}
	if (chance(1, 5)) {
		m->fields |= QV_M_VLAN;
		m->vlan_id = chance(3, 4) ? PICK(VID_POOL) : (uint16_t)rndn(4096);
	} else if (chance(1, 8)) {
		m->fields |= QV_M_NO_VLAN;
	}
	if (chance(1, 5)) {
		m->fields |= QV_M_ETHERTYPE;
		m->ethertype = chance(3, 4) ? PICK(ETH_POOL) : (uint16_t)rnd();
	}
	if (chance(1, 6)) {
		m->fields |= QV_M_SRC_MAC;
		rnd_mac(m->src_mac);
	}
	if (chance(1, 6)) {
		m->fields |= QV_M_DST_MAC;
		rnd_mac(m->dst_mac);
	}
	if (chance(1, 2)) {
		m->ip_version = chance(1, 2) ? 4 : 6;
		if (chance(1, 2))
			m->fields |= QV_M_IP_VERSION;
		if (chance(1, 2)) {
			m->fields |= QV_M_SRC_IP;
			m->src_plen = rnd_plen(m->ip_version);
			rnd_addr(m->ip_version, m->src_ip);
		}
		if (chance(1, 2)) {
			m->fields |= QV_M_DST_IP;
			m->dst_plen = rnd_plen(m->ip_version);
			rnd_addr(m->ip_version, m->dst_ip);
		}
	}
	if (chance(1, 3)) {
		m->fields |= QV_M_PROTO;
		m->proto = chance(3, 4) ? PICK(PROTO_POOL) : (uint8_t)rnd();
	}
	if (chance(1, 4)) {
		m->fields |= QV_M_SRC_PORT;
		rnd_range(&m->src_port_lo, &m->src_port_hi);
	}
	if (chance(1, 4)) {
		m->fields |= QV_M_DST_PORT;
		rnd_range(&m->dst_port_lo, &m->dst_port_hi);
	}
}

/* A plausible packet key: IPv4, IPv6 or non-IP, fields drawn from the same pools as rules. */
static void rnd_key(struct qv_flow_key *k)
{
	uint8_t mac[6];

	memset(k, 0, sizeof(*k));
	k->in_port = rte_cpu_to_be_16((uint16_t)rndn(5));
	if (chance(1, 2))
		k->vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | PICK(VID_POOL));
	rnd_mac(mac);
	set_mac(k->dst_mac_hi, k->dst_mac_lo, mac);
	rnd_mac(mac);
	set_mac(k->src_mac_hi, k->src_mac_lo, mac);
	switch (rndn(5)) {
	case 0:
		k->ethertype = rte_cpu_to_be_16(PICK(ETH_POOL));
		return; /* non-IP: no L3/L4 fields */
	case 1:
	case 2:
		k->ip_version = 4;
		k->ethertype = rte_cpu_to_be_16(0x0800);
		break;
	default:
		k->ip_version = 6;
		k->ethertype = rte_cpu_to_be_16(0x86dd);
		break;
	}
	rnd_addr(k->ip_version, (uint8_t *)k->src_ip);
	rnd_addr(k->ip_version, (uint8_t *)k->dst_ip);
	k->proto = PICK(PROTO_POOL);
	if (chance(4, 5)) {
		k->src_port = rte_cpu_to_be_16(chance(1, 2) ? PICK(PORT_POOL) : (uint16_t)rnd());
		k->dst_port = rte_cpu_to_be_16(chance(1, 2) ? PICK(PORT_POOL) : (uint16_t)rnd());
	}
}

/* Copies the first plen bits of want into have, keeping have's other bits. */
static void apply_prefix(uint8_t *have, const uint8_t *want, uint8_t plen)
{
	for (unsigned int bit = 0; bit < plen; bit++) {
		uint8_t mask = (uint8_t)(0x80 >> (bit % 8));
		have[bit / 8] = (uint8_t)((have[bit / 8] & ~mask) | (want[bit / 8] & mask));
	}
}

static uint16_t rnd_in(uint16_t lo, uint16_t hi)
{
	switch (rndn(3)) {
	case 0:
		return lo;
	case 1:
		return hi;
	default:
		return (uint16_t)(lo + rndn((uint32_t)hi - lo + 1));
	}
}

/* A key the rule covers, built on a random key. */
static void key_for_rule(struct qv_flow_key *k, const struct qv_match *m)
{
	uint32_t f = m->fields;

	rnd_key(k);
	if (f & (QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP)) {
		if (k->ip_version != m->ip_version) {
			k->ip_version = m->ip_version;
			rnd_addr(m->ip_version, (uint8_t *)k->src_ip);
			rnd_addr(m->ip_version, (uint8_t *)k->dst_ip);
			k->proto = PICK(PROTO_POOL);
		}
	}
	if (f & QV_M_SRC_IP)
		apply_prefix((uint8_t *)k->src_ip, m->src_ip, m->src_plen);
	if (f & QV_M_DST_IP)
		apply_prefix((uint8_t *)k->dst_ip, m->dst_ip, m->dst_plen);
	if (f & QV_M_IN_PORT)
		k->in_port = rte_cpu_to_be_16(m->in_port);
	if (f & QV_M_VLAN)
		k->vlan_tci = rte_cpu_to_be_16(QV_VLAN_PRESENT | m->vlan_id);
	if (f & QV_M_NO_VLAN)
		k->vlan_tci = 0;
	if (f & QV_M_ETHERTYPE)
		k->ethertype = rte_cpu_to_be_16(m->ethertype);
	if (f & QV_M_SRC_MAC)
		set_mac(k->src_mac_hi, k->src_mac_lo, m->src_mac);
	if (f & QV_M_DST_MAC)
		set_mac(k->dst_mac_hi, k->dst_mac_lo, m->dst_mac);
	if (f & QV_M_PROTO)
		k->proto = m->proto;
	if (f & QV_M_SRC_PORT)
		k->src_port = rte_cpu_to_be_16(rnd_in(m->src_port_lo, m->src_port_hi));
	if (f & QV_M_DST_PORT)
		k->dst_port = rte_cpu_to_be_16(rnd_in(m->dst_port_lo, m->dst_port_hi));
}

/* Small changes that land right next to a rule's boundaries. */
static void perturb(struct qv_flow_key *k, const struct qv_match *m)
{
	uint8_t *b = (uint8_t *)k;

	switch (rndn(6)) {
	case 0: /* any byte, any value: the key need not even be well formed */
		b[rndn(sizeof(*k))] ^= (uint8_t)(1u << rndn(8));
		break;
	case 1: { /* the bit at or just before the end of a prefix */
		uint8_t plen = m->src_plen;
		uint8_t *addr = (uint8_t *)k->src_ip;
		if (chance(1, 2)) {
			plen = m->dst_plen;
			addr = (uint8_t *)k->dst_ip;
		}
		unsigned int bit = plen - (plen > 0 && chance(1, 2));
		if (bit < 128)
			addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
		break;
	}
	case 2: { /* one past a port range end */
		uint16_t lo = m->src_port_lo, hi = m->src_port_hi;
		uint16_t *port = &k->src_port;
		if (chance(1, 2)) {
			lo = m->dst_port_lo;
			hi = m->dst_port_hi;
			port = &k->dst_port;
		}
		*port = rte_cpu_to_be_16(chance(1, 2) ? (uint16_t)(lo - 1) : (uint16_t)(hi + 1));
		break;
	}
	case 3: /* tagged <-> untagged, or another VLAN */
		k->vlan_tci = k->vlan_tci ? 0 : rte_cpu_to_be_16(QV_VLAN_PRESENT | PICK(VID_POOL));
		break;
	case 4:
		k->ip_version = (uint8_t)(k->ip_version == 4 ? 6 : 4);
		break;
	default:
		k->in_port = rte_cpu_to_be_16((uint16_t)rndn(5));
		k->proto = PICK(PROTO_POOL);
		break;
	}
}

static void dump_key(const struct qv_flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	fprintf(stderr, "  key:");
	for (size_t i = 0; i < sizeof(*k); i++)
		fprintf(stderr, "%s%02x", i % 4 ? "" : " ", b[i]);
	fprintf(stderr, "\n");
}

static void dump_rule(const char *what, const struct qv_rule *rules, uint32_t res)
{
	if (res == 0) {
		fprintf(stderr, "  %s: none\n", what);
		return;
	}
	const struct qv_rule *r = &rules[res - 1];
	const struct qv_match *m = &r->match;
	fprintf(stderr,
	        "  %s: index %u id %u prio %u fields 0x%x in_port %u vid %u eth 0x%04x ipv%u "
	        "src/%u dst/%u proto %u sport %u-%u dport %u-%u\n",
	        what, res - 1, r->id, r->priority, m->fields, m->in_port, m->vlan_id, m->ethertype,
	        m->ip_version, m->src_plen, m->dst_plen, m->proto, m->src_port_lo, m->src_port_hi,
	        m->dst_port_lo, m->dst_port_hi);
}

#define BF_KEYS 20000

static void brute_force_one(uint64_t seed, uint32_t n_rules)
{
	struct qv_rule *rules = calloc(n_rules, sizeof(*rules));
	uint32_t *ids = calloc(n_rules, sizeof(*ids));
	struct qv_flow_key *keys = calloc(BF_KEYS, sizeof(*keys));
	const struct qv_flow_key **kp = calloc(BF_KEYS, sizeof(*kp));
	uint32_t *want = calloc(BF_KEYS, sizeof(*want));
	uint32_t *got = calloc(BF_KEYS, sizeof(*got));
	CU_ASSERT_FATAL(rules && ids && keys && kp && want && got);

	rng_seed(seed * 1000003u + n_rules);
	/* Unique but shuffled ids, so array order says nothing about the tie-break. */
	for (uint32_t i = 0; i < n_rules; i++)
		ids[i] = 3 * i + 1;
	for (uint32_t i = n_rules; i > 1; i--) {
		uint32_t j = rndn(i), t = ids[i - 1];
		ids[i - 1] = ids[j];
		ids[j] = t;
	}
	for (uint32_t i = 0; i < n_rules; i++)
		rnd_rule(&rules[i], ids[i]);

	uint32_t hits = 0;
	for (uint32_t i = 0; i < BF_KEYS; i++) {
		if (chance(1, 10)) {
			rnd_key(&keys[i]);
		} else {
			const struct qv_match *m = &rules[rndn(n_rules)].match;
			key_for_rule(&keys[i], m);
			if (chance(1, 2))
				perturb(&keys[i], m);
		}
		kp[i] = &keys[i];
		want[i] = brute_winner(rules, n_rules, &keys[i]);
		hits += want[i] != 0;
	}

	struct qv_classifier *c = build_or_fail(rules, n_rules);
	if (c != NULL) {
		CU_ASSERT_EQUAL(qv_classifier_size(c), n_rules);
		static const uint32_t batches[] = {1, 7, 32, 64, BF_KEYS};
		for (size_t b = 0; b < RTE_DIM(batches); b++) {
			uint32_t bs = batches[b], mismatches = 0, first = UINT32_MAX;
			memset(got, 0xff, sizeof(*got) * BF_KEYS);
			for (uint32_t off = 0; off < BF_KEYS; off += bs)
				qv_classifier_classify(c, kp + off, RTE_MIN(bs, BF_KEYS - off),
				                       got + off);
			for (uint32_t i = 0; i < BF_KEYS; i++) {
				if (got[i] != want[i]) {
					if (mismatches++ == 0)
						first = i;
				}
			}
			if (mismatches) {
				FAILF("seed %lu, %u rules, batch %u: %u/%u mismatches; first key "
				      "#%u: classifier %u, brute force %u",
				      (unsigned long)seed, n_rules, bs, mismatches, BF_KEYS, first,
				      got[first], want[first]);
				dump_key(&keys[first]);
				dump_rule("classifier", rules, got[first]);
				dump_rule("brute force", rules, want[first]);
				break; /* the other batch sizes would say the same */
			}
		}
		qv_classifier_free(c);
	}
	/* The key generator must actually exercise the rules, not just miss. */
	if (hits < BF_KEYS / 4)
		FAILF("seed %lu, %u rules: only %u/%u keys hit a rule", (unsigned long)seed,
		      n_rules, hits, BF_KEYS);

	free(rules);
	free(ids);
	free(keys);
	free(kp);
	free(want);
	free(got);
}

static void test_brute_force(void)
{
	static const uint32_t sizes[] = {1, 10, 100, 1000};
	for (uint64_t seed = 1; seed <= 4; seed++)
		for (size_t s = 0; s < RTE_DIM(sizes); s++)
			brute_force_one(seed, sizes[s]);
}

/* Same check with rules spread over many rte_acl contexts (priority bands), the fallback used
 * when one context cannot hold the rule set. */
static void test_brute_force_bands(void)
{
	qv_classifier_band_limit = 64; /* 1000 rules -> 16 bands */
	brute_force_one(5, 100);
	brute_force_one(6, 1000);
	qv_classifier_band_limit = 0;
}

/* ---- (c2) the delta classifier and flow tables (rte_acl part + delta) ---------------------- */

/* Keys that exercise rules[0..n-1]: a tenth random, the rest made for a rule, half perturbed. */
static void keys_for(const struct qv_rule *rules, uint32_t n, struct qv_flow_key *keys,
                     const struct qv_flow_key **kp, uint32_t n_keys)
{
	for (uint32_t i = 0; i < n_keys; i++) {
		if (n == 0 || chance(1, 10)) {
			rnd_key(&keys[i]);
		} else {
			const struct qv_match *m = &rules[rndn(n)].match;

			key_for_rule(&keys[i], m);
			if (chance(1, 2))
				perturb(&keys[i], m);
		}
		kp[i] = &keys[i];
	}
}

static void delta_brute_force_one(uint64_t seed, uint32_t n)
{
	struct qv_rule *rules = calloc(n ? n : 1, sizeof(*rules));
	struct qv_flow_key *keys = calloc(BF_KEYS, sizeof(*keys));
	const struct qv_flow_key **kp = calloc(BF_KEYS, sizeof(*kp));
	char err[256] = "";
	uint32_t bad = 0;

	CU_ASSERT_FATAL(rules && keys && kp);
	rng_seed(seed * 7919u + n);
	for (uint32_t i = 0; i < n; i++) /* unique ids, in reverse of the array order */
		rnd_rule(&rules[i], 2 * (n - i) + 1);
	keys_for(rules, n, keys, kp, BF_KEYS);
	struct qv_delta_cls *d = qv_delta_build(rules, n, err, sizeof(err));
	if (!d) {
		FAILF("qv_delta_build(%u): %s", n, err);
		goto out;
	}
	for (uint32_t i = 0; i < BF_KEYS; i++) {
		uint32_t got = qv_delta_classify(d, kp[i]), want = brute_winner(rules, n, kp[i]);

		if (got != want && bad++ == 0) {
			FAILF("seed %lu, %u rules: key #%u: delta %u, brute force %u",
			      (unsigned long)seed, n, i, got, want);
			dump_key(&keys[i]);
			dump_rule("delta", rules, got);
			dump_rule("brute force", rules, want);
		}
	}
	qv_delta_free(d);
out:
	free(rules);
	free(keys);
	free(kp);
}

static void test_delta_brute_force(void)
{
	static const uint32_t sizes[] = {0, 1, 10, 100, 1000, 5000};
	for (uint64_t seed = 1; seed <= 3; seed++)
		for (size_t s = 0; s < RTE_DIM(sizes); s++)
			delta_brute_force_one(seed, sizes[s]);
}

/* A model of the switch's rules: the table under test must always answer what brute force
 * over the live rules says (as flows.c composes it: base + deleted bits + added + copies). */
struct model {
	struct qv_rule *rules; /* every rule ever added, id order; live[i] says if in force */
	bool *live;
	uint32_t n, cap, next_id;
	struct qv_flow_base *base;
	uint64_t *deleted;
	uint8_t *copied;
	uint32_t *copies, n_copies, n_deleted;
	unsigned port_wide; /* 1 in port_wide new rules match on the port alone, or nothing */
	uint32_t port_keys; /* keys model_check found a port rule for */
};

static int model_push(uint32_t j, void *ctx)
{
	struct model *m = ctx;

	m->copies[m->n_copies++] = j;
	m->copied[j] = 1;
	return 0;
}

static void model_add(struct model *m)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->rules = realloc(m->rules, sizeof(*m->rules) * m->cap);
		m->live = realloc(m->live, sizeof(*m->live) * m->cap);
	}
	rnd_rule(&m->rules[m->n], m->next_id++);
	if (m->port_wide && chance(1, m->port_wide)) {
		struct qv_match *mt = &m->rules[m->n].match;

		mt->fields &= QV_M_IN_PORT;
		if (chance(1, 4))
			mt->fields = 0;
	}
	m->live[m->n++] = true;
}

/* A new base over the live rules: rte_acl (what a background build and fold do), or a tuple
 * space stand-in (what a big transaction publishes at once). */
static bool model_fold_as(struct model *m, bool tss)
{
	struct qv_rule *snap = malloc(sizeof(*snap) * (m->n + 1));
	uint32_t k = 0;
	char err[256] = "";

	for (uint32_t i = 0; i < m->n; i++)
		if (m->live[i])
			snap[k++] = m->rules[i];
	if (m->base && m->base->refs == 0)
		qv_flow_base_free(m->base);
	m->base = tss ? qv_flow_base_build_tss(snap, k, m->next_id - 1, 1, err, sizeof(err))
	              : qv_flow_base_build(snap, k, m->next_id - 1, 1, SOCKET_ID_ANY, 0, err,
	                                   sizeof(err));
	if (!m->base) {
		FAILF("qv_flow_base_build(%u): %s", k, err);
		return false;
	}
	free(m->deleted);
	free(m->copied);
	free(m->copies);
	m->deleted = calloc((k + 63) / 64 + 1, sizeof(uint64_t));
	m->copied = calloc(k + 1, 1);
	m->copies = calloc(k + 1, sizeof(uint32_t));
	m->n_copies = m->n_deleted = 0;
	return true;
}

static bool model_fold(struct model *m)
{
	return model_fold_as(m, false);
}

static void model_del(struct model *m, uint32_t i)
{
	int64_t bi = qv_flow_base_find(m->base, m->rules[i].id);

	m->live[i] = false;
	if (bi < 0)
		return; /* an added rule: it just leaves the delta */
	m->deleted[bi / 64] |= 1ull << (bi % 64);
	m->n_deleted++;
	qv_flow_base_shadowed(m->base, (uint32_t)bi, m->deleted, m->copied, model_push, m);
}

/* The table of now, checked against brute force on n_keys keys. Returns the mismatches. */
static uint32_t model_check(struct model *m, uint32_t n_keys, const char *when)
{
	struct qv_rule *added = malloc(sizeof(*added) * (m->n + 1)), *live;
	uint32_t *copies = malloc(sizeof(*copies) * (m->n_copies + 1));
	struct qv_flow_key *keys = calloc(n_keys, sizeof(*keys));
	const struct qv_flow_key **kp = calloc(n_keys, sizeof(*kp));
	uint32_t *got = calloc(n_keys, sizeof(*got));
	uint32_t n_added = 0, n_copies = 0, n_live = 0, bad = 0;
	char err[256] = "";

	live = malloc(sizeof(*live) * (m->n + 1));
	for (uint32_t i = 0; i < m->n; i++) {
		if (!m->live[i])
			continue;
		live[n_live++] = m->rules[i];
		if (m->rules[i].id > m->base->upto_id)
			added[n_added++] = m->rules[i];
	}
	for (uint32_t c = 0; c < m->n_copies; c++)
		if (!qv_bit_test(m->deleted, m->copies[c]))
			copies[n_copies++] = m->copies[c];
	struct qv_flow_table *t = qv_flow_table_new(m->base, 7, m->deleted, m->n_deleted, added,
	                                            n_added, copies, n_copies, 1, err, sizeof(err));
	if (!t) {
		FAILF("%s: qv_flow_table_new: %s", when, err);
		bad = 1;
		goto out;
	}
	keys_for(live, n_live, keys, kp, n_keys);
	qv_flow_table_classify(t, kp, n_keys, got);
	for (uint32_t i = 0; i < n_keys; i++) {
		uint32_t want = brute_winner(live, n_live, kp[i]);
		uint32_t want_id = want ? live[want - 1].id : 0;
		uint32_t got_id = got[i] ? qv_flow_table_rule(t, got[i])->id : 0;

		/* a port rule (the PMD's answer without a lookup) must be the same answer */
		uint32_t pr = qv_flow_table_port_rule(t, rte_be_to_cpu_16(kp[i]->in_port));
		uint32_t pr_id = pr ? qv_flow_table_rule(t, pr)->id : want_id;

		m->port_keys += pr != 0;
		if ((got_id != want_id || pr_id != want_id) && bad++ == 0) {
			FAILF(
			    "%s: key #%u: table says rule id %u, its port rule %u, brute force %u "
			    "(%u live, %u added, %u copies, %u deleted)",
			    when, i, got_id, pr_id, want_id, n_live, n_added, n_copies,
			    m->n_deleted);
			dump_key(&keys[i]);
		}
	}
	qv_flow_table_free(t); /* the model keeps its base */
out:
	free(added);
	free(copies);
	free(live);
	free(keys);
	free(kp);
	free(got);
	return bad;
}

static void model_free(struct model *m)
{
	if (m->base && m->base->refs == 0)
		qv_flow_base_free(m->base);
	free(m->rules);
	free(m->live);
	free(m->deleted);
	free(m->copied);
	free(m->copies);
}

/* A transaction of 10,000 rules applied at once (one base build, as flows.c does for a big
 * transaction): the table answers what brute force says on random packets. */
static void test_table_transaction_10k(void)
{
	struct model m = {.next_id = 1};

	rng_seed(42);
	for (uint32_t i = 0; i < 10000; i++)
		model_add(&m);
	if (model_fold_as(&m, true)) /* in force at once: the tuple space part */
		model_check(&m, 4000, "10,000 rules in one transaction, tuple space part");
	if (model_fold(&m)) /* then the background build's rte_acl part */
		model_check(&m, 4000, "10,000 rules in one transaction, rte_acl part");
	model_free(&m);
}

/* Churn: adds go to the delta, deletes mask the base (copying what they shadow) or leave the
 * delta, folds start a new base; after every step the table is exact. */
static void test_table_churn(void)
{
	struct model m = {.next_id = 1};
	uint32_t bad = 0;

	rng_seed(4242);
	for (uint32_t i = 0; i < 1500; i++)
		model_add(&m);
	if (!model_fold(&m))
		goto out;
	for (uint32_t step = 0; step < 60 && !bad; step++) {
		char when[64];

		for (uint32_t k = 0; k < 10; k++) {
			uint32_t i = rndn(m.n);

			if (chance(1, 2))
				model_add(&m);
			else if (m.live[i])
				model_del(&m, i);
		}
		/* now and then a very general rule of high priority goes: it shadows many */
		if (step % 7 == 3) {
			model_add(&m);
			memset(&m.rules[m.n - 1].match, 0, sizeof(m.rules[0].match));
			m.rules[m.n - 1].priority = QV_PRIORITY_MAX;
			if (!model_fold(&m))
				goto out;
			model_del(&m, m.n - 1);
		}
		snprintf(when, sizeof(when), "churn step %u", step);
		bad += model_check(&m, 1500, when);
		if (step % 20 == 19 && !model_fold_as(&m, step % 40 == 19))
			goto out;
	}
out:
	model_free(&m);
}

/* Port rules (a port whose every packet takes one rule, found without a lookup) under churn,
 * with rules on the port alone (or on nothing) among the others: after every step, a key
 * whose port has a port rule gets that rule from brute force too. Tables stay under
 * QV_PORT_RULE_SCAN_MAX rules, so port rules exist; the test says how many keys had one. */
static void test_table_port_rules(void)
{
	struct model m = {.next_id = 1, .port_wide = 3};
	uint32_t bad = 0;

	rng_seed(777);
	for (uint32_t i = 0; i < 40; i++)
		model_add(&m);
	if (!model_fold(&m))
		goto out;
	for (uint32_t step = 0; step < 300 && !bad; step++) {
		char when[64];
		uint32_t i = rndn(m.n);

		if (chance(1, 2) || m.n < 20)
			model_add(&m);
		else if (m.live[i])
			model_del(&m, i);
		snprintf(when, sizeof(when), "port rules, step %u", step);
		bad += model_check(&m, 200, when);
		if (step % 50 == 49 && !model_fold_as(&m, step % 100 == 49))
			goto out;
	}
	/* the check above must have been put to work, and not on every key */
	CU_ASSERT(m.port_keys > 1000);
	CU_ASSERT(m.port_keys < 300u * 200u);
	printf("(%u of %u keys had a port rule) ", m.port_keys, 300u * 200u);
out:
	model_free(&m);
}

/* ---- (d) exact-match cache -------------------------------------------------------------- */

static struct qv_emc *emc_new(void)
{
	struct qv_emc *emc = aligned_alloc(64, sizeof(*emc));
	if (emc != NULL)
		qv_emc_clear(emc);
	return emc;
}

static void test_emc_basic(void)
{
	struct qv_emc *emc = emc_new();
	CU_ASSERT_FATAL(emc != NULL);
	struct qv_flow_key k = base_key(), k2 = base_key6();
	uint32_t h = qv_flow_key_hash(&k), res = 0;

	CU_ASSERT_EQUAL(h, qv_flow_key_hash(&k)); /* deterministic */
	CU_ASSERT_FALSE(qv_emc_lookup(emc, &k, h, 1, &res));
	qv_emc_insert(emc, &k, h, 1, 42);
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k, h, 1, &res));
	CU_ASSERT_EQUAL(res, 42);
	CU_ASSERT_FALSE(qv_emc_lookup(emc, &k2, qv_flow_key_hash(&k2), 1, &res));

	/* Updating a key overwrites, it does not duplicate. */
	qv_emc_insert(emc, &k, h, 1, 43);
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k, h, 1, &res));
	CU_ASSERT_EQUAL(res, 43);

	/* "No rule" is a result worth caching. */
	uint32_t h2 = qv_flow_key_hash(&k2);
	qv_emc_insert(emc, &k2, h2, 1, 0);
	res = 99;
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k2, h2, 1, &res));
	CU_ASSERT_EQUAL(res, 0);

	/* An all-zero key is a valid key, not "empty". */
	struct qv_flow_key z;
	memset(&z, 0, sizeof(z));
	uint32_t hz = qv_flow_key_hash(&z);
	CU_ASSERT_FALSE(qv_emc_lookup(emc, &z, hz, 1, &res));
	qv_emc_insert(emc, &z, hz, 1, 5);
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &z, hz, 1, &res));
	CU_ASSERT_EQUAL(res, 5);
	free(emc);
}

static void test_emc_generation(void)
{
	struct qv_emc *emc = emc_new();
	CU_ASSERT_FATAL(emc != NULL);
	struct qv_flow_key k = base_key();
	uint32_t h = qv_flow_key_hash(&k), res;

	qv_emc_insert(emc, &k, h, 1, 7);
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k, h, 1, &res));
	CU_ASSERT_FALSE(qv_emc_lookup(emc, &k, h, 2, &res)); /* new table published */
	qv_emc_insert(emc, &k, h, 2, 8);
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k, h, 2, &res));
	CU_ASSERT_EQUAL(res, 8);
	CU_ASSERT_FALSE(qv_emc_lookup(emc, &k, h, 1, &res));

	/* Many keys of the old generation all turn into misses at once. */
	struct qv_flow_key keys[500];
	rng_seed(77);
	for (int i = 0; i < 500; i++) {
		rnd_key(&keys[i]);
		qv_emc_insert(emc, &keys[i], qv_flow_key_hash(&keys[i]), 3, (uint32_t)i);
	}
	for (int i = 0; i < 500; i++)
		CU_ASSERT_FALSE(qv_emc_lookup(emc, &keys[i], qv_flow_key_hash(&keys[i]), 4, &res));
	free(emc);
}

static void test_emc_one_byte(void)
{
	struct qv_emc *emc = emc_new();
	CU_ASSERT_FATAL(emc != NULL);
	struct qv_flow_key k = base_key();
	uint32_t h = qv_flow_key_hash(&k), res;
	qv_emc_insert(emc, &k, h, 1, 11);

	for (size_t i = 0; i < sizeof(k); i++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			struct qv_flow_key o = k;
			((uint8_t *)&o)[i] ^= (uint8_t)(1u << bit);
			/* Same slots as k (forced hash): only the key compare can reject it. */
			if (qv_emc_lookup(emc, &o, h, 1, &res))
				FAILF("EMC false hit: byte %zu bit %u differs", i, bit);
			uint32_t ho = qv_flow_key_hash(&o);
			if (ho == h)
				FAILF("hash ignores byte %zu bit %u", i, bit);
			if (qv_emc_lookup(emc, &o, ho, 1, &res))
				FAILF("EMC false hit with own hash: byte %zu bit %u", i, bit);
		}
	}
	CU_ASSERT_TRUE(qv_emc_lookup(emc, &k, h, 1, &res));
	free(emc);
}

static void test_emc_eviction(void)
{
	struct qv_emc *emc = emc_new();
	CU_ASSERT_FATAL(emc != NULL);
	uint32_t res;

	/* Three keys forced onto the same two slots: one is evicted, the survivors stay right. */
	struct qv_flow_key c3[3];
	for (int i = 0; i < 3; i++) {
		c3[i] = base_key();
		c3[i].in_port = rte_cpu_to_be_16((uint16_t)(100 + i));
		qv_emc_insert(emc, &c3[i], 0x12345678u, 1, 100u + (uint32_t)i);
		CU_ASSERT_TRUE(qv_emc_lookup(emc, &c3[i], 0x12345678u, 1, &res));
		CU_ASSERT_EQUAL(res, 100u + (uint32_t)i);
	}
	int survivors = 0;
	for (int i = 0; i < 3; i++) {
		if (qv_emc_lookup(emc, &c3[i], 0x12345678u, 1, &res)) {
			survivors++;
			CU_ASSERT_EQUAL(res, 100u + (uint32_t)i);
		}
	}
	CU_ASSERT_EQUAL(survivors, 2);

	/* Far more keys than entries: whatever is still cached must carry its own result. */
	enum { N = 4 * QV_EMC_ENTRIES };
	struct qv_flow_key *keys = calloc(N, sizeof(*keys));
	CU_ASSERT_FATAL(keys != NULL);
	rng_seed(99);
	for (uint32_t i = 0; i < N; i++) {
		rnd_key(&keys[i]);
		keys[i].src_ip[3] = i; /* make every key distinct */
		uint32_t h = qv_flow_key_hash(&keys[i]);
		qv_emc_insert(emc, &keys[i], h, 2, i + 1);
		if (!qv_emc_lookup(emc, &keys[i], h, 2, &res) || res != i + 1)
			FAILF("EMC lost key %u right after inserting it", i);
	}
	uint32_t hits = 0, wrong = 0;
	for (uint32_t i = 0; i < N; i++) {
		if (qv_emc_lookup(emc, &keys[i], qv_flow_key_hash(&keys[i]), 2, &res)) {
			hits++;
			wrong += res != i + 1;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* 2-way associativity should keep the cache well used. */
	if (hits < QV_EMC_ENTRIES / 2 || hits > QV_EMC_ENTRIES)
		FAILF("EMC holds %u of %u keys after overflow", hits, (unsigned)N);
	free(keys);
	free(emc);
}

/* ---- load-balancing groups over a composed table ------------------------------------------ */

static struct qv_rule group_rule(uint32_t id, uint32_t prio, uint16_t in, uint16_t m0, uint16_t m1)
{
	struct qv_rule r = mk_rule(id, prio);

	r.match.fields = QV_M_IN_PORT;
	r.match.in_port = in;
	r.n_actions = 2;
	r.actions[0].type = r.actions[1].type = QV_ACT_GROUP;
	r.actions[0].arg = m0;
	r.actions[1].arg = m1;
	return r;
}

/* Result r of a table is big-part rule r-1, then delta rule r-1-n_base; the PMD finds a rule's
 * group as qv_lb_group_of(t->lb, r - 1), so the groups must follow that order: a deleted
 * big-part rule has none, an added rule has its own, a copy the same id as its original. */
static void test_table_groups(void)
{
	struct qv_rule *base_rules = malloc(3 * sizeof(*base_rules));
	struct qv_rule added[1];
	uint64_t deleted[1] = {1u << 2}; /* base rule 2 (id 3) deleted */
	uint32_t copies[1] = {1};        /* base rule 1 (id 2) copied into the delta */
	const struct qv_lb_group *g;
	char err[256] = "";

	base_rules[0] = mk_rule(1, 10);
	base_rules[0].n_actions = 1;
	base_rules[0].actions[0].type = QV_ACT_OUTPUT;
	base_rules[1] = group_rule(2, 20, 1, 3, 4);
	base_rules[2] = group_rule(3, 30, 2, 5, 6);
	added[0] = group_rule(4, 40, 9, 7, 8);
	struct qv_flow_base *b =
	    qv_flow_base_build(base_rules, 3, 3, 1, SOCKET_ID_ANY, 0, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct qv_flow_table *t =
	    qv_flow_table_new(b, 5, deleted, 1, added, 1, copies, 1, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->lb);
	CU_ASSERT_EQUAL(t->lb->n, 3); /* id 2, id 4, the copy of id 2; not the deleted id 3 */
	CU_ASSERT_PTR_NULL(qv_lb_group_of(t->lb, 0));
	CU_ASSERT_PTR_NULL(qv_lb_group_of(t->lb, 2));
	g = qv_lb_group_of(t->lb, 1);
	CU_ASSERT_FATAL(g != NULL && g->n == 2);
	CU_ASSERT(g->members[0] == 3 && g->members[1] == 4 && g->rule == 1);
	uint32_t id2 = g->id;
	g = qv_lb_group_of(t->lb, 4); /* the copy: delta index 1 */
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT_EQUAL(g->id, id2);
	CU_ASSERT_EQUAL(qv_flow_table_rule(t, g->rule + 1)->id, 2);

	/* what the PMD does: classify, then the group of the result */
	struct qv_flow_key k = base_key();
	const struct qv_flow_key *kp = &k;
	uint32_t r = 0;

	k.in_port = rte_cpu_to_be_16(9);
	qv_flow_table_classify(t, &kp, 1, &r);
	CU_ASSERT_EQUAL_FATAL(r, 4); /* 3 base rules, then delta index 0 */
	g = qv_lb_group_of(t->lb, r - 1);
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT(g->members[0] == 7 && g->members[1] == 8);
	qv_flow_base_free(qv_flow_table_free(t));
}

/* ---- main -------------------------------------------------------------------------------- */

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"in_port", test_in_port},
	    {"vlan", test_vlan},
	    {"ethertype", test_ethertype},
	    {"macs", test_macs},
	    {"ipv4 prefixes", test_ipv4_prefixes},
	    {"ipv6 prefixes", test_ipv6_prefixes},
	    {"proto and ports", test_proto_and_ports},
	    {"priorities", test_priorities},
	    {"unsatisfiable rules", test_unsatisfiable},
	    {"zero rules", test_zero_rules},
	    {"brute force", test_brute_force},
	    {"brute force, banded", test_brute_force_bands},
	    {"delta brute force", test_delta_brute_force},
	    {"table: 10,000 rules in one transaction", test_table_transaction_10k},
	    {"table: churn", test_table_churn},
	    {"table: port rules agree with brute force under churn", test_table_port_rules},
	    {"table: load-balancing groups by result index", test_table_groups},
	    {"emc basic", test_emc_basic},
	    {"emc generation", test_emc_generation},
	    {"emc one byte", test_emc_one_byte},
	    {"emc eviction", test_emc_eviction},
	};
	int rc;
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=qvtest_cls_%d", (int)getpid());
	char *eal_argv[] = {
	    "test_classifier", "--no-huge",         "-m",  "256", "--no-pci", "--no-shconf",
	    "--no-telemetry",  "--log-level=error", prefix};
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}

	rc = QV_UNIT_RUN("classifier", tests);
	rte_eal_cleanup();
	return rc;
}
