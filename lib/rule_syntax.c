/* qwikvirt: parser of the compact flow syntax (see rule_syntax.h; rule_format.c writes it back).
 * Strict on purpose: a typo in a rule must be an error that points at it, never a wider match.
 * About 750 lines as one file: one grammar whose keys share the parser's position and
 * seen-key state (its formatter is rule_format.c). */
#include "lib/rule_syntax.h"

#include "lib/mac.h"
#include "lib/proto.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values are copied out of the rule to be NUL-terminated for strtoul/inet_pton; the longest
 * legitimate one is an IPv6 address with a prefix (45 + 4 chars). */
#define VALUE_MAX 64

#define ACTION_LIST "output:PORT, group:PORT+PORT..., drop, push-vlan:VID or pop-vlan"
#define RULE_EXAMPLE "'in=vhost0,proto=tcp,dst-port=80 actions=output:vhost1'"

/* A piece of the rule text, kept as an offset so errors can give the column. */
struct span {
	size_t pos, len;
};

enum key {
	K_IN,
	K_PRIORITY,
	K_VLAN,
	K_ETH_TYPE,
	K_ETH_SRC,
	K_ETH_DST,
	K_IP_SRC,
	K_IP_DST,
	K_PROTO,
	K_SRC_PORT,
	K_DST_PORT,
	K_COUNT
};

static const char *const key_name[K_COUNT] = {
    [K_IN] = "in",
    [K_PRIORITY] = "priority",
    [K_VLAN] = "vlan",
    [K_ETH_TYPE] = "eth-type",
    [K_ETH_SRC] = "eth-src",
    [K_ETH_DST] = "eth-dst",
    [K_IP_SRC] = "ip-src",
    [K_IP_DST] = "ip-dst",
    [K_PROTO] = "proto",
    [K_SRC_PORT] = "src-port",
    [K_DST_PORT] = "dst-port",
};

/* What each key's value must look like; quoted in errors so the fix is obvious. */
static const char *const key_expect[K_COUNT] = {
    [K_IN] = "a port name (see qvctl show ports)",
    [K_PRIORITY] = "a number 0..65535",
    [K_VLAN] = "a VLAN id 0..4095 or none",
    [K_ETH_TYPE] = "ipv4, ipv6, arp or a number such as 0x88cc",
    [K_ETH_SRC] = "a MAC address such as aa:bb:cc:dd:ee:ff",
    [K_ETH_DST] = "a MAC address such as aa:bb:cc:dd:ee:ff",
    [K_IP_SRC] = "an IPv4 or IPv6 address with optional /prefix, such as 10.0.0.0/8",
    [K_IP_DST] = "an IPv4 or IPv6 address with optional /prefix, such as 10.0.0.0/8",
    [K_PROTO] = "tcp, udp, icmp, icmpv6, sctp or a number 0..255",
    [K_SRC_PORT] = "a port 0..65535 or a range such as 1024-2047",
    [K_DST_PORT] = "a port 0..65535 or a range such as 1024-2047",
};

#define KEY_LIST                                                                                   \
	"in, priority, vlan, eth-type, eth-src, eth-dst, ip-src, ip-dst, proto, src-port, "        \
	"dst-port"

struct parser {
	const char *text;
	qv_port_lookup_fn lookup;
	void *ctx;
	struct qv_rule *rule;
	char *err;
	size_t errlen;

	struct span key_field[K_COUNT]; /* whole "key=value" field of each key seen */
	bool key_seen[K_COUNT];

	/* The field that fixed the IP version (ip-src, ip-dst, eth-type ipv4/ipv6), so that a
	 * conflicting field can name it. */
	struct span ver_field;
	/* The eth-type field when it names a non-IP type: IP fields cannot match then. */
	struct span nonip_field;
	bool nonip;
};

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	if (p->err == NULL || p->errlen == 0)
		return -1;
	int n = snprintf(p->err, p->errlen, "column %zu: ", pos + 1);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* printf arguments for a span: "%.*s", SPAN(p, s). Long tokens are cut so that the message
 * stays readable and fits in an RPC error. */
#define SPAN_SHOW_MAX 80
#define SPAN(p, s) (int)((s).len > SPAN_SHOW_MAX ? SPAN_SHOW_MAX : (s).len), (p)->text + (s).pos

static bool span_eq(const struct parser *p, struct span s, const char *word)
{
	size_t n = strlen(word);
	return s.len == n && memcmp(p->text + s.pos, word, n) == 0;
}

static bool span_starts(const struct parser *p, struct span s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && memcmp(p->text + s.pos, prefix, n) == 0;
}

/* Finds c in s; returns its offset in s, or -1. */
static long span_find(const struct parser *p, struct span s, char c)
{
	const char *hit = memchr(p->text + s.pos, c, s.len);
	return hit ? hit - (p->text + s.pos) : -1;
}

static struct span span_sub(struct span s, size_t off, size_t len)
{
	return (struct span){s.pos + off, len};
}

/* Next comma-separated item of *rest; false when rest is exhausted. An empty rest still yields
 * one empty item, so "a," gives "a" then "" (caught as an empty field). */
static bool next_item(const struct parser *p, struct span *rest, bool *done, struct span *item)
{
	if (*done)
		return false;
	long comma = span_find(p, *rest, ',');
	if (comma < 0) {
		*item = *rest;
		*done = true;
	} else {
		*item = span_sub(*rest, 0, (size_t)comma);
		*rest = span_sub(*rest, (size_t)comma + 1, rest->len - (size_t)comma - 1);
	}
	return true;
}

/* NUL-terminated copy of a value, for the libc parsers. */
static int copy_value(struct parser *p, struct span v, char *out, const char *what)
{
	if (v.len >= VALUE_MAX)
		return fail(p, v.pos, "'%.*s' is too long for %s", SPAN(p, v), what);
	memcpy(out, p->text + v.pos, v.len);
	out[v.len] = '\0';
	return 0;
}

/* Unsigned number, fully consumed, no sign or spaces, at most max. Hex with 0x when allowed;
 * leading zeros are decimal, never octal. */
static bool parse_num(const char *s, size_t len, unsigned long max, bool allow_hex,
                      unsigned long *out)
{
	char buf[24];
	int base = 10;

	if (len == 0 || len >= sizeof(buf))
		return false;
	if (allow_hex && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (base == 16 ? !isxdigit(c) : !isdigit(c))
			return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	char *end;
	unsigned long v = strtoul(buf, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_num_span(const struct parser *p, struct span s, unsigned long max, bool allow_hex,
                           unsigned long *out)
{
	return parse_num(p->text + s.pos, s.len, max, allow_hex, out);
}

static int bad_value(struct parser *p, enum key k, struct span v)
{
	return fail(p, v.pos, "bad %s '%.*s': expected %s", key_name[k], SPAN(p, v), key_expect[k]);
}

/* ---- match keys ---- */

static int set_ip_version(struct parser *p, struct span field, uint8_t version)
{
	struct qv_match *m = &p->rule->match;

	if (p->nonip)
		return fail(p, field.pos,
		            "'%.*s' needs IP packets but '%.*s' (column %zu) is not IP",
		            SPAN(p, field), SPAN(p, p->nonip_field), p->nonip_field.pos + 1);
	if ((m->fields & QV_M_IP_VERSION) && m->ip_version != version)
		return fail(p, field.pos,
		            "'%.*s' is IPv%u but '%.*s' (column %zu) is IPv%u: a rule matches one "
		            "IP version",
		            SPAN(p, field), version, SPAN(p, p->ver_field), p->ver_field.pos + 1,
		            m->ip_version);
	if (!(m->fields & QV_M_IP_VERSION)) {
		m->fields |= QV_M_IP_VERSION;
		m->ip_version = version;
		p->ver_field = field;
	}
	return 0;
}

static int parse_in(struct parser *p, struct span v)
{
	char name[VALUE_MAX];
	if (copy_value(p, v, name, "a port name") < 0)
		return -1;
	int idx = p->lookup ? p->lookup(name, p->ctx) : -1;
	if (idx < 0 || idx > UINT16_MAX)
		return fail(p, v.pos, "unknown port '%s' (see qvctl show ports)", name);
	p->rule->match.fields |= QV_M_IN_PORT;
	p->rule->match.in_port = (uint16_t)idx;
	return 0;
}

static int parse_vlan(struct parser *p, struct span v)
{
	struct qv_match *m = &p->rule->match;
	unsigned long vid;

	if (span_eq(p, v, "none")) {
		m->fields |= QV_M_NO_VLAN;
		return 0;
	}
	if (!parse_num_span(p, v, QV_VLAN_VID_MASK, false, &vid))
		return bad_value(p, K_VLAN, v);
	m->fields |= QV_M_VLAN;
	m->vlan_id = (uint16_t)vid;
	return 0;
}

static int parse_eth_type(struct parser *p, struct span field, struct span v)
{
	struct qv_match *m = &p->rule->match;
	unsigned long t;

	if (span_eq(p, v, "ipv4"))
		t = QV_ETHERTYPE_IPV4;
	else if (span_eq(p, v, "ipv6"))
		t = QV_ETHERTYPE_IPV6;
	else if (span_eq(p, v, "arp"))
		t = QV_ETHERTYPE_ARP;
	else if (!parse_num_span(p, v, 0xffff, true, &t))
		return bad_value(p, K_ETH_TYPE, v);

	/* The key holds the type after the VLAN tags, so a tag type would never match. */
	if (t == QV_ETHERTYPE_VLAN || t == QV_ETHERTYPE_QINQ || t == QV_ETHERTYPE_QINQ_OLD)
		return fail(p, v.pos,
		            "eth-type '%.*s' is a VLAN tag type, which the switch strips before "
		            "matching eth-type: use vlan=VID",
		            SPAN(p, v));
	m->fields |= QV_M_ETHERTYPE;
	m->ethertype = (uint16_t)t;
	if (t == QV_ETHERTYPE_IPV4)
		return set_ip_version(p, field, 4);
	if (t == QV_ETHERTYPE_IPV6)
		return set_ip_version(p, field, 6);

	if (m->fields & QV_M_IP_VERSION)
		return fail(p, field.pos, "'%.*s' is not IP but '%.*s' (column %zu) needs IPv%u",
		            SPAN(p, field), SPAN(p, p->ver_field), p->ver_field.pos + 1,
		            m->ip_version);
	if (m->fields & QV_M_PROTO)
		return fail(p, field.pos, "'%.*s' is not IP but '%.*s' (column %zu) needs IP",
		            SPAN(p, field), SPAN(p, p->key_field[K_PROTO]),
		            p->key_field[K_PROTO].pos + 1);
	p->nonip = true;
	p->nonip_field = field;
	return 0;
}

static int parse_mac(struct parser *p, enum key k, struct span v, uint8_t mac[6])
{
	if (!qv_mac_parse_n(p->text + v.pos, v.len, mac))
		return bad_value(p, k, v);
	p->rule->match.fields |= k == K_ETH_SRC ? QV_M_SRC_MAC : QV_M_DST_MAC;
	return 0;
}

static int parse_ip(struct parser *p, enum key k, struct span field, struct span v)
{
	struct qv_match *m = &p->rule->match;
	char buf[VALUE_MAX];
	uint8_t addr[16] = {0};
	unsigned long plen;

	if (copy_value(p, v, buf, "an IP address") < 0)
		return -1;
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	int af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	unsigned max = af == AF_INET6 ? 128 : 32;
	if (inet_pton(af, buf, addr) != 1)
		return bad_value(p, k, v);
	plen = max;
	if (slash && !parse_num(slash + 1, strlen(slash + 1), max, false, &plen))
		return fail(p, v.pos, "bad prefix length in %s '%.*s': expected /0../%u",
		            key_name[k], SPAN(p, v), max);

	/* Host bits set usually mean a typo in the address or the length; refuse rather than
	 * guess which, but show the prefix the rule would otherwise have matched. */
	uint8_t canon[16];
	memcpy(canon, addr, sizeof(canon));
	for (unsigned bit = (unsigned)plen; bit < max; bit++)
		canon[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	if (memcmp(canon, addr, sizeof(addr)) != 0) {
		char shown[INET6_ADDRSTRLEN];
		inet_ntop(af, canon, shown, sizeof(shown));
		return fail(p, v.pos, "%.*s has host bits set; did you mean %s/%lu?", SPAN(p, v),
		            shown, plen);
	}

	if (set_ip_version(p, field, af == AF_INET6 ? 6 : 4) < 0)
		return -1;
	if (k == K_IP_SRC) {
		m->fields |= QV_M_SRC_IP;
		memcpy(m->src_ip, addr, sizeof(m->src_ip));
		m->src_plen = (uint8_t)plen;
	} else {
		m->fields |= QV_M_DST_IP;
		memcpy(m->dst_ip, addr, sizeof(m->dst_ip));
		m->dst_plen = (uint8_t)plen;
	}
	return 0;
}

static int parse_proto(struct parser *p, struct span field, struct span v)
{
	struct qv_match *m = &p->rule->match;
	int named = qv_proto_by_name(p->text + v.pos, v.len);
	unsigned long num = named >= 0 ? (unsigned long)named : 0;

	if (named < 0 && !parse_num_span(p, v, 255, false, &num))
		return bad_value(p, K_PROTO, v);
	if (p->nonip)
		return fail(p, field.pos,
		            "'%.*s' needs IP packets but '%.*s' (column %zu) is not IP",
		            SPAN(p, field), SPAN(p, p->nonip_field), p->nonip_field.pos + 1);
	m->fields |= QV_M_PROTO;
	m->proto = (uint8_t)num;
	return 0;
}

static int parse_l4_port(struct parser *p, enum key k, struct span v)
{
	struct qv_match *m = &p->rule->match;
	unsigned long lo, hi;
	long dash = span_find(p, v, '-');

	if (dash < 0) {
		if (!parse_num_span(p, v, UINT16_MAX, false, &lo))
			return bad_value(p, k, v);
		hi = lo;
	} else {
		struct span a = span_sub(v, 0, (size_t)dash);
		struct span b = span_sub(v, (size_t)dash + 1, v.len - (size_t)dash - 1);
		if (!parse_num_span(p, a, UINT16_MAX, false, &lo) ||
		    !parse_num_span(p, b, UINT16_MAX, false, &hi))
			return bad_value(p, k, v);
		if (lo > hi)
			return fail(p, v.pos, "%s range '%.*s' is backwards: expected LOW-HIGH",
			            key_name[k], SPAN(p, v));
	}
	if (k == K_SRC_PORT) {
		m->fields |= QV_M_SRC_PORT;
		m->src_port_lo = (uint16_t)lo;
		m->src_port_hi = (uint16_t)hi;
	} else {
		m->fields |= QV_M_DST_PORT;
		m->dst_port_lo = (uint16_t)lo;
		m->dst_port_hi = (uint16_t)hi;
	}
	return 0;
}

static int parse_field(struct parser *p, struct span f)
{
	if (f.len == 0)
		return fail(p, f.pos, "empty field: expected key=value (remove the extra ',')");

	long eq = span_find(p, f, '=');
	if (eq < 0) {
		if (span_eq(p, f, "any"))
			return fail(
			    p, f.pos,
			    "'any' must be alone: it matches every packet (remove it or the "
			    "other fields)");
		return fail(p, f.pos, "'%.*s' is not key=value: expected one of the keys " KEY_LIST,
		            SPAN(p, f));
	}
	struct span ks = span_sub(f, 0, (size_t)eq);
	struct span v = span_sub(f, (size_t)eq + 1, f.len - (size_t)eq - 1);

	enum key k = K_COUNT;
	for (int i = 0; i < K_COUNT; i++) {
		if (span_eq(p, ks, key_name[i]))
			k = (enum key)i;
	}
	if (k == K_COUNT) {
		if (span_eq(p, ks, "actions"))
			return fail(p, f.pos,
			            "'actions=' must be separated from the match by a space, not "
			            "a ','");
		return fail(p, f.pos, "unknown key '%.*s': expected one of " KEY_LIST, SPAN(p, ks));
	}
	if (p->key_seen[k])
		return fail(p, f.pos, "'%s' given twice (first at column %zu)", key_name[k],
		            p->key_field[k].pos + 1);
	p->key_seen[k] = true;
	p->key_field[k] = f;
	if (v.len == 0)
		return fail(p, v.pos, "'%.*s' needs a value: expected %s", SPAN(p, f),
		            key_expect[k]);

	switch (k) {
	case K_IN:
		return parse_in(p, v);
	case K_PRIORITY: {
		unsigned long prio;
		if (!parse_num_span(p, v, QV_PRIORITY_MAX, false, &prio))
			return bad_value(p, k, v);
		p->rule->priority = (uint32_t)prio;
		return 0;
	}
	case K_VLAN:
		return parse_vlan(p, v);
	case K_ETH_TYPE:
		return parse_eth_type(p, f, v);
	case K_ETH_SRC:
		return parse_mac(p, k, v, p->rule->match.src_mac);
	case K_ETH_DST:
		return parse_mac(p, k, v, p->rule->match.dst_mac);
	case K_IP_SRC:
	case K_IP_DST:
		return parse_ip(p, k, f, v);
	case K_PROTO:
		return parse_proto(p, f, v);
	case K_SRC_PORT:
	case K_DST_PORT:
		return parse_l4_port(p, k, v);
	case K_COUNT:
		break;
	}
	return -1;
}

static int parse_match(struct parser *p, struct span m)
{
	const struct qv_match *mt = &p->rule->match;

	if (m.len == 0 || span_eq(p, m, "any"))
		return 0;

	struct span rest = m, f;
	bool done = false;
	while (next_item(p, &rest, &done, &f)) {
		if (parse_field(p, f) < 0)
			return -1;
	}

	/* Checked once the whole match is read, since proto may come after the ports. */
	bool l4 = (mt->fields & QV_M_PROTO) &&
	          (mt->proto == QV_IPPROTO_TCP || mt->proto == QV_IPPROTO_UDP ||
	           mt->proto == QV_IPPROTO_SCTP);
	for (enum key k = K_SRC_PORT; k <= K_DST_PORT; k++) {
		if (p->key_seen[k] && !l4)
			return fail(p, p->key_field[k].pos,
			            "'%.*s' needs proto=tcp, udp or sctp in the same rule",
			            SPAN(p, p->key_field[k]));
	}
	return 0;
}

/* ---- actions ---- */

/* "a+b+c": one QV_ACT_GROUP action per member, in order (the order is what makes a flow and
 * its reply pick the same member index on the two directions' groups). */
static int parse_group(struct parser *p, struct span arg)
{
	struct qv_rule *r = p->rule;
	size_t start = 0;

	while (start <= arg.len) {
		long plus = span_find(p, span_sub(arg, start, arg.len - start), '+');
		size_t len = plus < 0 ? arg.len - start : (size_t)plus;
		struct span m = span_sub(arg, start, len);
		char port[VALUE_MAX];
		int idx;

		if (m.len == 0)
			return fail(p, m.pos, "empty group member: expected group:PORT+PORT...");
		if (r->n_actions == QV_MAX_ACTIONS)
			return fail(p, m.pos,
			            "too many actions at group member '%.*s': at most %d per "
			            "rule",
			            SPAN(p, m), QV_MAX_ACTIONS);
		if (copy_value(p, m, port, "a port name") < 0)
			return -1;
		idx = p->lookup ? p->lookup(port, p->ctx) : -1;
		if (idx < 0 || idx > UINT16_MAX)
			return fail(p, m.pos, "unknown port '%s' (see qvctl show ports)", port);
		for (unsigned i = 0; i < r->n_actions; i++)
			if (r->actions[i].type == QV_ACT_GROUP && r->actions[i].arg == idx)
				return fail(p, m.pos, "port '%s' is twice in the group", port);
		r->actions[r->n_actions].type = QV_ACT_GROUP;
		r->actions[r->n_actions].arg = (uint16_t)idx;
		r->n_actions++;
		if (plus < 0)
			break;
		start += len + 1;
	}
	return 0;
}

static int parse_actions(struct parser *p, struct span a)
{
	struct qv_rule *r = p->rule;
	size_t out_col[QV_MAX_ACTIONS];
	bool had_output = false, had_drop = false, had_group = false;

	if (a.len == 0)
		return fail(p, a.pos, "'actions=' is empty: expected at least one of " ACTION_LIST);

	struct span rest = a, t;
	bool done = false;
	while (next_item(p, &rest, &done, &t)) {
		if (t.len == 0)
			return fail(p, t.pos,
			            "empty action: expected " ACTION_LIST
			            " (remove the extra ',')");
		if (had_drop)
			return fail(p, t.pos, "'%.*s' after drop: drop must be the only action",
			            SPAN(p, t));
		if (had_group)
			return fail(p, t.pos,
			            "'%.*s' after group: a group must be the last action (it picks "
			            "one output for the packet)",
			            SPAN(p, t));
		if (r->n_actions == QV_MAX_ACTIONS)
			return fail(p, t.pos, "too many actions at '%.*s': at most %d per rule",
			            SPAN(p, t), QV_MAX_ACTIONS);

		long colon = span_find(p, t, ':');
		struct span name = colon < 0 ? t : span_sub(t, 0, (size_t)colon);
		struct span arg = colon < 0
		                      ? span_sub(t, t.len, 0)
		                      : span_sub(t, (size_t)colon + 1, t.len - (size_t)colon - 1);
		struct qv_action *act = &r->actions[r->n_actions];

		if (span_eq(p, name, "drop") || span_eq(p, name, "pop-vlan")) {
			if (colon >= 0)
				return fail(p, t.pos, "'%.*s' takes no argument", SPAN(p, name));
		} else if (span_eq(p, name, "output") || span_eq(p, name, "push-vlan") ||
		           span_eq(p, name, "group")) {
			if (arg.len == 0)
				return fail(
				    p, t.pos, "'%.*s' needs an argument: expected %s", SPAN(p, t),
				    span_eq(p, name, "output")  ? "output:PORT"
				    : span_eq(p, name, "group") ? "group:PORT+PORT..."
				                                : "push-vlan:VID (0..4095)");
		} else {
			return fail(p, t.pos, "unknown action '%.*s': expected " ACTION_LIST,
			            SPAN(p, t));
		}

		if (span_eq(p, name, "group")) {
			if (had_output)
				return fail(
				    p, t.pos,
				    "group after output: a rule either outputs to fixed ports "
				    "or balances over a group, not both");
			if (parse_group(p, arg) < 0)
				return -1;
			had_group = had_output = true;
			continue; /* parse_group added the members */
		}
		if (span_eq(p, name, "drop")) {
			if (r->n_actions > 0)
				return fail(p, t.pos, "'drop' must be the only action");
			act->type = QV_ACT_DROP;
			had_drop = true;
		} else if (span_eq(p, name, "output")) {
			char port[VALUE_MAX];
			if (copy_value(p, arg, port, "a port name") < 0)
				return -1;
			int idx = p->lookup ? p->lookup(port, p->ctx) : -1;
			if (idx < 0 || idx > UINT16_MAX)
				return fail(p, arg.pos, "unknown port '%s' (see qvctl show ports)",
				            port);
			for (unsigned i = 0; i < r->n_actions; i++) {
				if (r->actions[i].type == QV_ACT_OUTPUT && r->actions[i].arg == idx)
					return fail(p, t.pos,
					            "duplicate '%.*s' (first at column %zu): each "
					            "port is output once",
					            SPAN(p, t), out_col[i] + 1);
			}
			act->type = QV_ACT_OUTPUT;
			act->arg = (uint16_t)idx;
			out_col[r->n_actions] = t.pos;
			had_output = true;
		} else {
			/* The dataplane applies VLAN edits once and then copies the packet to
			 * each output, so edits between outputs cannot be expressed. */
			if (had_output)
				return fail(p, t.pos,
				            "%.*s after output is not supported: put VLAN actions "
				            "first",
				            SPAN(p, name));
			if (span_eq(p, name, "pop-vlan")) {
				act->type = QV_ACT_POP_VLAN;
			} else {
				unsigned long vid;
				if (!parse_num_span(p, arg, QV_VLAN_VID_MASK, false, &vid))
					return fail(p, arg.pos,
					            "bad push-vlan '%.*s': expected a VLAN id "
					            "0..4095",
					            SPAN(p, arg));
				act->type = QV_ACT_PUSH_VLAN;
				act->arg = (uint16_t)vid;
			}
		}
		r->n_actions++;
	}
	/* A VLAN edit with nowhere to send the packet is a drop in disguise; make it explicit. */
	if (!had_output && !had_drop)
		return fail(p, a.pos,
		            "'%.*s' sends the packet nowhere: add output:PORT after the VLAN "
		            "actions, or use drop",
		            SPAN(p, a));
	return 0;
}

/* ---- the whole rule ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next whitespace-separated word starting at *pos; false at the end of the text. */
static bool next_word(const struct parser *p, size_t *pos, size_t end, struct span *w)
{
	size_t i = *pos;
	while (i < end && is_space(p->text[i]))
		i++;
	if (i == end)
		return false;
	size_t start = i;
	while (i < end && !is_space(p->text[i]))
		i++;
	*w = (struct span){start, i - start};
	*pos = i;
	return true;
}

int qv_rule_parse(const char *text, qv_port_lookup_fn lookup, void *ctx, struct qv_rule *rule,
                  char *err, size_t errlen)
{
	struct parser p = {
	    .text = text, .lookup = lookup, .ctx = ctx, .rule = rule, .err = err, .errlen = errlen};

	if (err && errlen)
		err[0] = '\0';
	/* Zeroed whole, padding included, so that equal rules compare equal with memcmp. */
	memset(rule, 0, sizeof(*rule));
	rule->priority = QV_PRIORITY_DEFAULT;
	if (text == NULL) {
		p.text = "";
		return fail(&p, 0, "no rule given: expected 'MATCH actions=ACTIONS'");
	}

	size_t end = strnlen(text, QV_RULE_TEXT_MAX + 1);
	if (end > QV_RULE_TEXT_MAX)
		return fail(&p, QV_RULE_TEXT_MAX, "rule longer than %d characters",
		            QV_RULE_TEXT_MAX);

	struct span w1, w2, w3, match = {0, 0}, acts;
	size_t pos = 0;
	if (!next_word(&p, &pos, end, &w1))
		return fail(&p, 0,
		            "empty rule: expected 'MATCH actions=ACTIONS', e.g. " RULE_EXAMPLE);
	if (span_starts(&p, w1, "actions=")) {
		acts = w1;
	} else {
		match = w1;
		if (!next_word(&p, &pos, end, &w2)) {
			const char *inner = memmem(text + w1.pos, w1.len, "actions=", 8);
			if (inner)
				return fail(&p, (size_t)(inner - text),
				            "'actions=' must be separated from the match by a "
				            "space");
			return fail(&p, w1.pos + w1.len,
			            "missing 'actions=' after '%.*s': expected 'MATCH "
			            "actions=ACTIONS', e.g. " RULE_EXAMPLE,
			            SPAN(&p, w1));
		}
		if (!span_starts(&p, w2, "actions="))
			return fail(&p, w2.pos,
			            "unexpected '%.*s': expected 'actions=ACTIONS' after the match "
			            "(no spaces inside the match)",
			            SPAN(&p, w2));
		acts = w2;
	}
	if (next_word(&p, &pos, end, &w3))
		return fail(&p, w3.pos,
		            "unexpected '%.*s' after the actions: expected the end of the rule (no "
		            "spaces inside the actions)",
		            SPAN(&p, w3));

	if (parse_match(&p, match) < 0)
		return -1;
	return parse_actions(&p, span_sub(acts, 8, acts.len - 8));
}
