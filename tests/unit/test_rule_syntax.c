/* qwikvirt: unit tests of the compact flow syntax (lib/rule_syntax.c): every key and
 * action, every error class with its column and hint, and format/parse round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/rule_syntax.h"

/* ---- a fake port table: vhost0=0, vhost1=1, uplink=5 ---- */

static const struct {
	const char *name;
	int index;
} ports[] = {{"vhost0", 0}, {"vhost1", 1}, {"uplink", 5}};

static int lookup(const char *name, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (strcmp(ports[i].name, name) == 0)
			return ports[i].index;
	}
	return -1;
}

static const char *port_name(uint16_t index, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (ports[i].index == index)
			return ports[i].name;
	}
	return NULL;
}

/* ---- helpers ---- */

static char err[512];

/* Parses text that must be valid; shows the error when it is not, to make failures readable. */
static int parse_ok(const char *text, struct qv_rule *r)
{
	int rc = qv_rule_parse(text, lookup, NULL, r, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "\n  unexpected error for \"%s\": %s\n", text, err);
	CU_ASSERT_EQUAL(rc, 0);
	return rc;
}

/* Parses text that must fail at column `column`, with a message containing `tok` and `hint`. */
static void expect_err_col(const char *text, size_t column, const char *tok, const char *hint)
{
	struct qv_rule r;
	int rc = qv_rule_parse(text, lookup, NULL, &r, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -1);
	if (rc != -1) {
		fprintf(stderr, "\n  \"%s\" parsed but should not have\n", text);
		return;
	}
	char col[32];
	snprintf(col, sizeof(col), "column %zu: ", column);
	bool ok = strncmp(err, col, strlen(col)) == 0 && (!tok || strstr(err, tok)) &&
	          (!hint || strstr(err, hint));
	if (!ok)
		fprintf(stderr, "\n  \"%s\": got \"%s\", wanted \"%s\" + '%s' + '%s'\n", text, err,
		        col, tok ? tok : "", hint ? hint : "");
	CU_ASSERT_TRUE(ok);
}

/* As expect_err_col, the column being that of the first occurrence of `at` in text (NULL: just
 * past the end), which saves counting characters by hand. */
static void expect_err(const char *text, const char *at, const char *tok, const char *hint)
{
	const char *hit = at ? strstr(text, at) : text + strlen(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
	expect_err_col(text, (size_t)(hit - text) + 1, tok, hint);
}

/* format(parse(text)) must parse back to the same rule, and format to the same text. */
static void round_trip(const char *text)
{
	struct qv_rule a, b;
	char s1[1024], s2[1024];

	if (parse_ok(text, &a) != 0)
		return;
	CU_ASSERT_TRUE(qv_rule_format(&a, port_name, NULL, s1, sizeof(s1)) > 0);
	if (parse_ok(s1, &b) != 0)
		return;
	bool same = memcmp(&a, &b, sizeof(a)) == 0;
	if (!same)
		fprintf(stderr, "\n  round trip changed \"%s\" (formatted \"%s\")\n", text, s1);
	CU_ASSERT_TRUE(same);
	CU_ASSERT_TRUE(qv_rule_format(&b, port_name, NULL, s2, sizeof(s2)) > 0);
	CU_ASSERT_STRING_EQUAL(s1, s2);
}

static void check_match_text(const char *text, const char *want_match, const char *want_actions)
{
	struct qv_rule r;
	char buf[512];

	if (parse_ok(text, &r) != 0)
		return;
	CU_ASSERT_EQUAL(qv_rule_format_match(&r, port_name, NULL, buf, sizeof(buf)),
	                (int)strlen(want_match));
	CU_ASSERT_STRING_EQUAL(buf, want_match);
	if (want_actions) {
		CU_ASSERT_EQUAL(qv_rule_format_actions(&r, port_name, NULL, buf, sizeof(buf)),
		                (int)strlen(want_actions));
		CU_ASSERT_STRING_EQUAL(buf, want_actions);
	}
}

/* ---- valid rules ---- */

static void test_example(void)
{
	struct qv_rule r;
	if (parse_ok("in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80 "
	             "actions=output:vhost1",
	             &r) != 0)
		return;
	const struct qv_match *m = &r.match;
	CU_ASSERT_EQUAL(r.id, 0);
	CU_ASSERT_EQUAL(r.priority, QV_PRIORITY_DEFAULT);
	CU_ASSERT_EQUAL(m->fields, QV_M_IN_PORT | QV_M_VLAN | QV_M_DST_IP | QV_M_IP_VERSION |
	                               QV_M_PROTO | QV_M_DST_PORT);
	CU_ASSERT_EQUAL(m->in_port, 0);
	CU_ASSERT_EQUAL(m->vlan_id, 100);
	CU_ASSERT_EQUAL(m->ip_version, 4);
	CU_ASSERT_EQUAL(m->dst_plen, 8);
	CU_ASSERT_EQUAL(m->dst_ip[0], 10);
	CU_ASSERT_EQUAL(m->dst_ip[1], 0);
	CU_ASSERT_EQUAL(m->proto, 6);
	CU_ASSERT_EQUAL(m->dst_port_lo, 80);
	CU_ASSERT_EQUAL(m->dst_port_hi, 80);
	CU_ASSERT_EQUAL(r.n_actions, 1);
	CU_ASSERT_EQUAL(r.actions[0].type, QV_ACT_OUTPUT);
	CU_ASSERT_EQUAL(r.actions[0].arg, 1);
	check_match_text("in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80 "
	                 "actions=output:vhost1",
	                 "in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80",
	                 "output:vhost1");
}

static void test_in_priority_vlan(void)
{
	struct qv_rule r;
	if (parse_ok("in=uplink actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_IN_PORT);
		CU_ASSERT_EQUAL(r.match.in_port, 5);
	}
	if (parse_ok("priority=0 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.priority, 0);
		CU_ASSERT_EQUAL(r.match.fields, 0);
	}
	if (parse_ok("priority=65535 actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.priority, 65535);
	if (parse_ok("priority=007 actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.priority, 7); /* leading zeros are decimal, not octal */
	if (parse_ok("vlan=0 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_VLAN);
		CU_ASSERT_EQUAL(r.match.vlan_id, 0);
	}
	if (parse_ok("vlan=4095 actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.match.vlan_id, 4095);
	if (parse_ok("vlan=none actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.match.fields, QV_M_NO_VLAN);
}

static void test_eth(void)
{
	struct qv_rule r;
	if (parse_ok("eth-type=ipv4 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_ETHERTYPE | QV_M_IP_VERSION);
		CU_ASSERT_EQUAL(r.match.ethertype, 0x0800);
		CU_ASSERT_EQUAL(r.match.ip_version, 4);
	}
	if (parse_ok("eth-type=ipv6 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_ETHERTYPE | QV_M_IP_VERSION);
		CU_ASSERT_EQUAL(r.match.ethertype, 0x86dd);
		CU_ASSERT_EQUAL(r.match.ip_version, 6);
	}
	if (parse_ok("eth-type=arp actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_ETHERTYPE);
		CU_ASSERT_EQUAL(r.match.ethertype, 0x0806);
	}
	if (parse_ok("eth-type=0x88CC actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.match.ethertype, 0x88cc);
	if (parse_ok("eth-type=2054 actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.match.ethertype, 0x0806);
	if (parse_ok("eth-type=0x86dd actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_ETHERTYPE | QV_M_IP_VERSION);
		CU_ASSERT_EQUAL(r.match.ip_version, 6);
	}
	if (parse_ok("eth-src=00:11:22:aa:BB:ff,eth-dst=ff:ff:ff:ff:ff:ff actions=drop", &r) == 0) {
		const uint8_t src[6] = {0x00, 0x11, 0x22, 0xaa, 0xbb, 0xff};
		const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		CU_ASSERT_EQUAL(r.match.fields, QV_M_SRC_MAC | QV_M_DST_MAC);
		CU_ASSERT_EQUAL(memcmp(r.match.src_mac, src, 6), 0);
		CU_ASSERT_EQUAL(memcmp(r.match.dst_mac, dst, 6), 0);
	}
	check_match_text("eth-type=0x88cc,eth-src=00:11:22:aa:BB:ff actions=drop",
	                 "eth-type=0x88cc,eth-src=00:11:22:aa:bb:ff", "drop");
}

static void test_ip(void)
{
	struct qv_rule r;
	if (parse_ok("ip-src=192.168.1.7 actions=drop", &r) == 0) {
		const uint8_t a[16] = {192, 168, 1, 7};
		CU_ASSERT_EQUAL(r.match.fields, QV_M_SRC_IP | QV_M_IP_VERSION);
		CU_ASSERT_EQUAL(r.match.ip_version, 4);
		CU_ASSERT_EQUAL(r.match.src_plen, 32);
		CU_ASSERT_EQUAL(memcmp(r.match.src_ip, a, 16), 0);
	}
	if (parse_ok("ip-src=0.0.0.0/0,ip-dst=10.1.0.0/16 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.src_plen, 0);
		CU_ASSERT_EQUAL(r.match.dst_plen, 16);
	}
	if (parse_ok("ip-dst=2001:db8::/32,ip-src=fe80::1 actions=drop", &r) == 0) {
		const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
		const uint8_t b[16] = {0xfe, 0x80, [15] = 1};
		CU_ASSERT_EQUAL(r.match.fields, QV_M_SRC_IP | QV_M_DST_IP | QV_M_IP_VERSION);
		CU_ASSERT_EQUAL(r.match.ip_version, 6);
		CU_ASSERT_EQUAL(r.match.dst_plen, 32);
		CU_ASSERT_EQUAL(r.match.src_plen, 128);
		CU_ASSERT_EQUAL(memcmp(r.match.dst_ip, a, 16), 0);
		CU_ASSERT_EQUAL(memcmp(r.match.src_ip, b, 16), 0);
	}
	if (parse_ok("ip-dst=2001:db8:0:8000::/49 actions=drop", &r) == 0)
		CU_ASSERT_EQUAL(r.match.dst_plen, 49);
	if (parse_ok("ip-dst=::/0 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.ip_version, 6);
		CU_ASSERT_EQUAL(r.match.dst_plen, 0);
	}
	parse_ok("eth-type=ipv6,ip-src=2001:db8::/64 actions=drop", &r);
	parse_ok("ip-src=2001:db8::/64,eth-type=ipv6 actions=drop", &r);
	parse_ok("ip-src=10.0.0.0/8,eth-type=ipv4,ip-dst=10.0.0.1 actions=drop", &r);
	check_match_text("ip-dst=2001:DB8:0:0::0/48 actions=drop", "ip-dst=2001:db8::/48", NULL);
}

static void test_proto_ports(void)
{
	struct qv_rule r;
	static const struct {
		const char *text;
		uint8_t proto;
	} protos[] = {
	    {"proto=tcp actions=drop", 6},    {"proto=udp actions=drop", 17},
	    {"proto=icmp actions=drop", 1},   {"proto=icmpv6 actions=drop", 58},
	    {"proto=sctp actions=drop", 132}, {"proto=0 actions=drop", 0},
	    {"proto=255 actions=drop", 255},  {"proto=47 actions=drop", 47},
	};
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (parse_ok(protos[i].text, &r) == 0) {
			/* proto alone says nothing about the IP version */
			CU_ASSERT_EQUAL(r.match.fields, QV_M_PROTO);
			CU_ASSERT_EQUAL(r.match.proto, protos[i].proto);
		}
	}
	if (parse_ok("proto=udp,src-port=0,dst-port=65535 actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, QV_M_PROTO | QV_M_SRC_PORT | QV_M_DST_PORT);
		CU_ASSERT_EQUAL(r.match.src_port_lo, 0);
		CU_ASSERT_EQUAL(r.match.src_port_hi, 0);
		CU_ASSERT_EQUAL(r.match.dst_port_lo, 65535);
		CU_ASSERT_EQUAL(r.match.dst_port_hi, 65535);
	}
	/* ports before proto are fine: the check is on the whole rule */
	if (parse_ok("dst-port=1024-2047,proto=sctp actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.dst_port_lo, 1024);
		CU_ASSERT_EQUAL(r.match.dst_port_hi, 2047);
	}
	parse_ok("proto=tcp,src-port=0-65535 actions=drop", &r);
	parse_ok("proto=tcp,src-port=7-7 actions=drop", &r);
	check_match_text("proto=tcp,src-port=7-7,dst-port=1-2 actions=drop",
	                 "proto=tcp,src-port=7,dst-port=1-2", NULL);
	check_match_text("proto=99,priority=10 actions=drop", "proto=99,priority=10", NULL);
}

static void test_any_and_spacing(void)
{
	struct qv_rule r;
	if (parse_ok("any actions=drop", &r) == 0) {
		CU_ASSERT_EQUAL(r.match.fields, 0);
		CU_ASSERT_EQUAL(r.n_actions, 1);
		CU_ASSERT_EQUAL(r.actions[0].type, QV_ACT_DROP);
	}
	parse_ok("actions=drop", &r);
	parse_ok("  \tactions=drop\n", &r);
	parse_ok("\tin=vhost0   actions=output:vhost1  ", &r);
	check_match_text("actions=output:uplink", "any", "output:uplink");
	check_match_text("any actions=drop", "any", "drop");
}

static void test_actions(void)
{
	struct qv_rule r;
	if (parse_ok("in=vhost0 actions=pop-vlan,push-vlan:4095,output:vhost1,output:uplink", &r) ==
	    0) {
		CU_ASSERT_EQUAL(r.n_actions, 4);
		CU_ASSERT_EQUAL(r.actions[0].type, QV_ACT_POP_VLAN);
		CU_ASSERT_EQUAL(r.actions[1].type, QV_ACT_PUSH_VLAN);
		CU_ASSERT_EQUAL(r.actions[1].arg, 4095);
		CU_ASSERT_EQUAL(r.actions[2].type, QV_ACT_OUTPUT);
		CU_ASSERT_EQUAL(r.actions[2].arg, 1);
		CU_ASSERT_EQUAL(r.actions[3].type, QV_ACT_OUTPUT);
		CU_ASSERT_EQUAL(r.actions[3].arg, 5);
	}
	if (parse_ok("actions=push-vlan:0,output:vhost0", &r) == 0)
		CU_ASSERT_EQUAL(r.actions[0].arg, 0);
	/* output back to the input port is the dataplane's business (loop drop), not a syntax
	 * error */
	parse_ok("in=vhost0 actions=output:vhost0", &r);
	/* exactly QV_MAX_ACTIONS */
	if (parse_ok("actions=push-vlan:1,push-vlan:2,push-vlan:3,push-vlan:4,pop-vlan,output:"
	             "vhost0,output:vhost1,output:uplink",
	             &r) == 0)
		CU_ASSERT_EQUAL(r.n_actions, QV_MAX_ACTIONS);
	check_match_text("actions=pop-vlan,output:vhost1", "any", "pop-vlan,output:vhost1");
}

/* ---- errors ---- */

static void test_err_structure(void)
{
	expect_err("", "", NULL, "expected 'MATCH actions=ACTIONS'");
	expect_err("   ", "", NULL, "expected 'MATCH actions=ACTIONS'");
	expect_err("in=vhost0", NULL, "'in=vhost0'", "expected 'MATCH actions=ACTIONS'");
	expect_err("in=vhost0,actions=drop", "actions=", NULL,
	           "separated from the match by a space");
	expect_err("in=vhost0 ,vlan=1 actions=drop", ",vlan", "',vlan=1'",
	           "no spaces inside the match");
	expect_err("in=vhost0, vlan=1 actions=drop", "vlan", "'vlan=1'",
	           "expected 'actions=ACTIONS'");
	expect_err("in=vhost0 action=drop", "action=", "'action=drop'",
	           "expected 'actions=ACTIONS'");
	expect_err("in=vhost0 actions=drop junk", "junk", "'junk'", "expected the end of the rule");
	expect_err("actions=drop actions=output:vhost0", "actions=output",
	           "'actions=output:vhost0'", "end of the rule");
	expect_err("in=vhost0 actions=output:vhost1, output:uplink", "output:uplink",
	           "'output:uplink'", "no spaces inside the actions");
	expect_err("in=vhost0 actions=", NULL, "'actions=' is empty", "output:PORT");
	expect_err("in=vhost0,,vlan=1 actions=drop", ",vlan", "empty field", "key=value");
	expect_err("in=vhost0, actions=drop", " actions", "empty field", "remove the extra ','");
	expect_err(",in=vhost0 actions=drop", ",in", "empty field", "key=value");
	expect_err("any,in=vhost0 actions=drop", "any", "'any' must be alone", NULL);
	expect_err("in=vhost0,any actions=drop", "any", "'any' must be alone", NULL);
	expect_err("vhost0 actions=drop", "vhost0", "'vhost0'", "not key=value");
	expect_err("colour=red actions=drop", "colour", "unknown key 'colour'",
	           "in, priority, vlan, eth-type, eth-src, eth-dst, ip-src, ip-dst, proto, "
	           "src-port, dst-port");
	expect_err("in=vhost0,vlan=1,in=vhost1 actions=drop", "in=vhost1", "'in' given twice",
	           "first at column 1");
	expect_err("vlan=none,vlan=3 actions=drop", "vlan=3", "'vlan' given twice", NULL);
	expect_err("vlan= actions=drop", " actions", "'vlan='", "needs a value");
	expect_err("=5 actions=drop", "=5", "unknown key ''", "expected one of");

	char big[QV_RULE_TEXT_MAX + 64];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct qv_rule r;
	CU_ASSERT_EQUAL(qv_rule_parse(big, lookup, NULL, &r, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than"));
	CU_ASSERT_EQUAL(qv_rule_parse(NULL, lookup, NULL, &r, err, sizeof(err)), -1);
}

static void test_err_ports(void)
{
	expect_err("in=eth9 actions=drop", "eth9", "unknown port 'eth9'", "(see qvctl show ports)");
	expect_err("in=vhost0 actions=output:nope", "nope", "unknown port 'nope'",
	           "(see qvctl show ports)");
	expect_err("in=VHOST0 actions=drop", "VHOST0", "unknown port 'VHOST0'", NULL);
	/* without a lookup every name is unknown */
	struct qv_rule r;
	CU_ASSERT_EQUAL(qv_rule_parse("in=vhost0 actions=drop", NULL, NULL, &r, err, sizeof(err)),
	                -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown port 'vhost0'"));
}

static void test_err_numbers(void)
{
	expect_err("priority=65536 actions=drop", "65536", "bad priority '65536'", "0..65535");
	expect_err("priority=-1 actions=drop", "-1", "bad priority '-1'", "0..65535");
	expect_err("priority=+1 actions=drop", "+1", "'+1'", "0..65535");
	expect_err("priority=1x actions=drop", "1x", "'1x'", "0..65535");
	expect_err("priority=0x10 actions=drop", "0x10", "'0x10'", "0..65535");
	expect_err("priority=99999999999999999999999 actions=drop", "9999", "'9999", "0..65535");
	expect_err("vlan=4096 actions=drop", "4096", "bad vlan '4096'", "0..4095 or none");
	expect_err("vlan=-1 actions=drop", "-1", "bad vlan '-1'", "0..4095");
	expect_err("vlan=ten actions=drop", "ten", "bad vlan 'ten'", "0..4095");
	expect_err("eth-type=0x10000 actions=drop", "0x1", "bad eth-type '0x10000'",
	           "ipv4, ipv6, arp");
	expect_err("eth-type=0x actions=drop", "0x", "bad eth-type '0x'", NULL);
	expect_err("eth-type=0x0x12 actions=drop", "0x0x", "bad eth-type '0x0x12'", NULL);
	expect_err("eth-type=IPv4 actions=drop", "IPv4", "bad eth-type 'IPv4'", NULL);
	expect_err("eth-type=0x8100 actions=drop", "0x8100", "'0x8100'", "use vlan=VID");
	expect_err("eth-type=0x88a8 actions=drop", "0x88a8", "'0x88a8'", "use vlan=VID");
	expect_err("proto=256 actions=drop", "256", "bad proto '256'", "tcp, udp, icmp");
	expect_err("proto=TCP actions=drop", "TCP", "bad proto 'TCP'", "tcp, udp");
	expect_err("proto=tcp,dst-port=65536 actions=drop", "65536", "bad dst-port '65536'",
	           "0..65535");
	expect_err("proto=tcp,src-port=-80 actions=drop", "-80", "bad src-port '-80'", "1024-2047");
	expect_err("proto=tcp,src-port=80- actions=drop", "80-", "bad src-port '80-'", NULL);
	expect_err("proto=tcp,src-port=1-2-3 actions=drop", "1-2-3", "'1-2-3'", NULL);
	expect_err("proto=tcp,dst-port=90-80 actions=drop", "90-80", "'90-80' is backwards",
	           "LOW-HIGH");
	expect_err("actions=push-vlan:4096,output:vhost0", "4096", "bad push-vlan '4096'",
	           "0..4095");
	expect_err("actions=push-vlan:x,output:vhost0", "x,", "'x'", "0..4095");
}

static void test_err_addresses(void)
{
	expect_err("eth-src=00:11:22:33:44 actions=drop", "00:", "bad eth-src '00:11:22:33:44'",
	           "aa:bb:cc:dd:ee:ff");
	expect_err("eth-dst=00-11-22-33-44-55 actions=drop", "00-", "bad eth-dst", "aa:bb:cc");
	expect_err("eth-dst=00:11:22:33:44:5g actions=drop", "00:", "'00:11:22:33:44:5g'", NULL);
	expect_err("eth-dst=00:11:22:33:44:55:66 actions=drop", "00:", "bad eth-dst", NULL);
	expect_err("ip-src=10.0.0.256 actions=drop", "10.", "bad ip-src '10.0.0.256'",
	           "10.0.0.0/8");
	expect_err("ip-src=10.0.0 actions=drop", "10.", "bad ip-src '10.0.0'", NULL);
	expect_err("ip-dst=2001:db8::g actions=drop", "2001", "bad ip-dst '2001:db8::g'", NULL);
	expect_err("ip-dst=10.0.0.0/33 actions=drop", "10.", "'10.0.0.0/33'", "/0../32");
	expect_err("ip-dst=2001:db8::/129 actions=drop", "2001", "'2001:db8::/129'", "/0../128");
	expect_err("ip-dst=10.0.0.0/ actions=drop", "10.", "'10.0.0.0/'", "prefix length");
	expect_err("ip-dst=10.0.0.0/-1 actions=drop", "10.", "'10.0.0.0/-1'", "prefix length");
	expect_err("ip-dst=10.0.0.0/8/8 actions=drop", "10.", "'10.0.0.0/8/8'", NULL);
	expect_err("in=vhost0,ip-dst=10.1.2.3/8 actions=drop", "10.",
	           "10.1.2.3/8 has host bits set", "did you mean 10.0.0.0/8?");
	expect_err("ip-src=192.168.1.1/24 actions=drop", "192", "192.168.1.1/24 has host bits set",
	           "did you mean 192.168.1.0/24?");
	expect_err("ip-src=10.0.0.1/0 actions=drop", "10.", "has host bits", "0.0.0.0/0?");
	expect_err("ip-dst=2001:db8::1/32 actions=drop", "2001", "2001:db8::1/32 has host bits set",
	           "did you mean 2001:db8::/32?");
	expect_err("ip-dst=2001:db8:ffff::/47 actions=drop", "2001", "has host bits set",
	           "did you mean 2001:db8:fffe::/47?");
}

static void test_err_consistency(void)
{
	expect_err("ip-src=10.0.0.1,ip-dst=2001:db8::1 actions=drop", "ip-dst",
	           "'ip-dst=2001:db8::1' is IPv6", "'ip-src=10.0.0.1' (column 1) is IPv4");
	expect_err("eth-type=ipv4,ip-dst=2001:db8::1 actions=drop", "ip-dst", "is IPv6",
	           "'eth-type=ipv4' (column 1)");
	expect_err("ip-dst=2001:db8::1,eth-type=ipv4 actions=drop", "eth-type",
	           "'eth-type=ipv4' is IPv4", "one IP version");
	expect_err("eth-type=ipv6,ip-src=1.2.3.4 actions=drop", "ip-src",
	           "'ip-src=1.2.3.4' is IPv4", NULL);
	expect_err("eth-type=arp,ip-dst=10.0.0.1 actions=drop", "ip-dst",
	           "'ip-dst=10.0.0.1' needs IP", "'eth-type=arp' (column 1) is not IP");
	expect_err("ip-dst=10.0.0.1,eth-type=arp actions=drop", "eth-type",
	           "'eth-type=arp' is not IP", "needs IPv4");
	expect_err("eth-type=arp,proto=tcp actions=drop", "proto", "'proto=tcp' needs IP", NULL);
	expect_err("proto=udp,eth-type=0x88cc actions=drop", "eth-type",
	           "'eth-type=0x88cc' is not IP", "needs IP");
	expect_err("dst-port=80 actions=drop", "dst-port", "'dst-port=80'",
	           "needs proto=tcp, udp or sctp");
	expect_err("proto=icmp,src-port=1 actions=drop", "src-port", "'src-port=1'",
	           "needs proto=tcp, udp or sctp");
	expect_err("proto=50,dst-port=1 actions=drop", "dst-port", "'dst-port=1'", "proto=tcp");
}

static void test_err_actions(void)
{
	expect_err("in=vhost0 actions=forward:vhost1", "forward", "unknown action 'forward:vhost1'",
	           "output:PORT, group:PORT+PORT..., drop, push-vlan:VID or pop-vlan");
	expect_err("actions=drop,output:vhost1", "output", "'output:vhost1' after drop",
	           "drop must be the only action");
	expect_err("actions=output:vhost1,drop", "drop", "'drop' must be the only action", NULL);
	expect_err("actions=drop:1", "drop", "'drop' takes no argument", NULL);
	expect_err("actions=pop-vlan:1,output:vhost0", "pop-vlan", "'pop-vlan' takes no argument",
	           NULL);
	expect_err("actions=output", "output", "'output'", "output:PORT");
	expect_err("actions=output:", "output", "'output:'", "output:PORT");
	expect_err("actions=push-vlan,output:vhost0", "push-vlan", "'push-vlan'", "push-vlan:VID");
	expect_err_col("actions=output:vhost1,output:uplink,output:vhost1", 37,
	               "duplicate 'output:vhost1'", "first at column 9");
	expect_err("actions=output:vhost1,push-vlan:5", "push",
	           "push-vlan after output is not "
	           "supported",
	           "put VLAN actions first");
	expect_err("actions=output:vhost1,pop-vlan", "pop",
	           "pop-vlan after output is not supported", "put VLAN actions first");
	expect_err("actions=output:vhost1,,output:uplink", ",output:u", "empty action",
	           "remove the extra ','");
	expect_err("actions=output:vhost1,", NULL, "empty action", NULL);
	expect_err("actions=pop-vlan", "pop-vlan", "'pop-vlan' sends the packet nowhere",
	           "add output:PORT");
	expect_err("actions=push-vlan:1,push-vlan:2,push-vlan:3,push-vlan:4,push-vlan:5,pop-vlan,"
	           "output:vhost0,output:vhost1,output:uplink",
	           "output:uplink", "too many actions at 'output:uplink'", "at most 8");
}

static void test_group(void)
{
	struct qv_rule r;

	if (parse_ok("in=uplink,proto=tcp actions=pop-vlan,group:vhost0+vhost1", &r) != 0)
		return;
	CU_ASSERT_EQUAL(r.n_actions, 3);
	CU_ASSERT_EQUAL(r.actions[1].type, QV_ACT_GROUP);
	CU_ASSERT_EQUAL(r.actions[1].arg, 0);
	CU_ASSERT_EQUAL(r.actions[2].type, QV_ACT_GROUP);
	CU_ASSERT_EQUAL(r.actions[2].arg, 1);
	check_match_text("in=uplink actions=group:vhost1+vhost0+uplink", "in=uplink",
	                 "group:vhost1+vhost0+uplink");
	round_trip("in=uplink actions=group:vhost1+vhost0");
	round_trip("actions=push-vlan:5,group:uplink");
	expect_err("actions=group:", "group", "'group:'", "group:PORT+PORT...");
	expect_err("actions=group:vhost0++vhost1", "+vhost1", "empty group member", NULL);
	expect_err("actions=group:vhost0+nope", "nope", "unknown port 'nope'", NULL);
	expect_err_col("actions=group:vhost0+vhost0", 22, "twice in the group", NULL);
	expect_err("actions=output:uplink,group:vhost0", "group", "group after output", NULL);
	expect_err("actions=group:vhost0,output:uplink", "output", "after group",
	           "must be the last action");
}

static void test_err_buffer(void)
{
	struct qv_rule r;
	char small[8];
	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(
	    qv_rule_parse("in=nowhere actions=drop", lookup, NULL, &r, small, sizeof(small)), -1);
	CU_ASSERT_EQUAL(small[sizeof(small) - 1], '\0');
	CU_ASSERT_EQUAL(qv_rule_parse("in=nowhere actions=drop", lookup, NULL, &r, NULL, 0), -1);
	/* a long token is shown cut, and the message still fits */
	char text[300] = "in=";
	memset(text + 3, 'p', 200);
	strcat(text, " actions=drop");
	CU_ASSERT_EQUAL(qv_rule_parse(text, lookup, NULL, &r, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "too long"));
}

/* ---- formatting ---- */

static void test_format(void)
{
	struct qv_rule r;
	char buf[256];

	/* a port without a name is shown by index */
	if (parse_ok("in=uplink actions=output:vhost1", &r) == 0) {
		r.match.in_port = 9;
		CU_ASSERT_EQUAL(qv_rule_format(&r, port_name, NULL, buf, sizeof(buf)),
		                (int)strlen("in=9 actions=output:vhost1"));
		CU_ASSERT_STRING_EQUAL(buf, "in=9 actions=output:vhost1");
		CU_ASSERT_TRUE(qv_rule_format(&r, NULL, NULL, buf, sizeof(buf)) > 0);
		CU_ASSERT_STRING_EQUAL(buf, "in=9 actions=output:1");
	}
	/* truncation: -1 and a terminated prefix */
	if (parse_ok("in=vhost0,vlan=100 actions=output:vhost1", &r) == 0) {
		CU_ASSERT_EQUAL(qv_rule_format_match(&r, port_name, NULL, buf, 10), -1);
		CU_ASSERT_STRING_EQUAL(buf, "in=vhost0");
		CU_ASSERT_EQUAL(qv_rule_format_match(&r, port_name, NULL, buf, 19), 18);
		CU_ASSERT_EQUAL(qv_rule_format_match(&r, port_name, NULL, buf, 18), -1);
		CU_ASSERT_EQUAL(qv_rule_format_actions(&r, port_name, NULL, buf, 3), -1);
		CU_ASSERT_STRING_EQUAL(buf, "ou");
		CU_ASSERT_EQUAL(qv_rule_format_match(&r, port_name, NULL, NULL, 0), -1);
	}
	/* a rule built by hand with only an IP version keeps it visible */
	memset(&r, 0, sizeof(r));
	r.priority = QV_PRIORITY_DEFAULT;
	r.match.fields = QV_M_IP_VERSION;
	r.match.ip_version = 6;
	qv_rule_format_match(&r, port_name, NULL, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "eth-type=ipv6");
	r.match.fields = 0;
	r.priority = 1;
	qv_rule_format_match(&r, port_name, NULL, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "priority=1");
}

static void test_round_trips(void)
{
	static const char *const texts[] = {
	    "in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80 actions=output:vhost1",
	    "in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80,priority=100 "
	    "actions=output:vhost1",
	    "any actions=drop",
	    "actions=drop",
	    "priority=0 actions=drop",
	    "priority=65535,vlan=4095 actions=pop-vlan,output:uplink",
	    "vlan=none actions=push-vlan:7,output:vhost0,output:vhost1",
	    "eth-type=arp,eth-src=02:00:00:00:00:01 actions=output:uplink",
	    "eth-type=0x88cc actions=drop",
	    "eth-type=ipv4 actions=drop",
	    "eth-type=0x86dd,ip-src=2001:db8::/32 actions=drop",
	    "eth-dst=ff:ff:ff:ff:ff:ff,in=uplink actions=output:vhost0,output:vhost1",
	    "ip-src=0.0.0.0/0,ip-dst=255.255.255.255 actions=drop",
	    "ip-src=::/0,ip-dst=2001:db8:0:1::/64,proto=udp,src-port=0-1023,dst-port=53 "
	    "actions=drop",
	    "ip-dst=::ffff:10.0.0.1 actions=drop",
	    "ip-dst=fe80::/10,proto=icmpv6 actions=drop",
	    "proto=sctp,src-port=65535,dst-port=0-65535 actions=drop",
	    "proto=253 actions=drop",
	    "proto=0 actions=drop",
	    "dst-port=443,proto=tcp,ip-src=192.0.2.0/24,in=vhost1,priority=9 "
	    "actions=push-vlan:0,output:uplink",
	    "actions=push-vlan:1,push-vlan:2,push-vlan:3,push-vlan:4,pop-vlan,output:vhost0,"
	    "output:vhost1,output:uplink",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		round_trip(texts[i]);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"example rule", test_example},
	    {"in, priority, vlan", test_in_priority_vlan},
	    {"eth-type, eth-src, eth-dst", test_eth},
	    {"ip-src, ip-dst", test_ip},
	    {"proto and ports", test_proto_ports},
	    {"any and spacing", test_any_and_spacing},
	    {"actions", test_actions},
	    {"errors: structure", test_err_structure},
	    {"errors: ports", test_err_ports},
	    {"errors: numbers", test_err_numbers},
	    {"errors: addresses", test_err_addresses},
	    {"errors: consistency", test_err_consistency},
	    {"errors: actions", test_err_actions},
	    {"errors: buffer", test_err_buffer},
	    {"group", test_group},
	    {"format", test_format},
	    {"round trips", test_round_trips},
	};

	return QV_UNIT_RUN("rule_syntax", tests);
}
