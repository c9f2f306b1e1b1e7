/* qwikvirt: the `chains:` section of the service definition: ingress, match, hops, egress.
 * Matches are checked by the switch's own rule parser, so YAML and `qvctl flow add` agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/yaml_load.h"
#include "lib/rule_syntax.h"

/* ---- match ---- */

enum { M_VLAN, M_ETH_TYPE, M_IP_SRC, M_IP_DST, M_PROTO, M_SRC_PORT, M_DST_PORT, M_COUNT };
static const char *const match_keys[] = {"vlan",  "eth-type", "ip-src",   "ip-dst",
                                         "proto", "src-port", "dst-port", NULL};
static const char *const match_expect[] = {
    [M_VLAN] = "a VLAN id 0..4095 or none",
    [M_ETH_TYPE] = "ipv4, ipv6, arp or a number such as 0x88cc",
    [M_IP_SRC] = "an IPv4 or IPv6 address with optional /prefix, such as 10.0.0.0/8",
    [M_IP_DST] = "an IPv4 or IPv6 address with optional /prefix, such as 10.0.0.0/8",
    [M_PROTO] = "tcp, udp, icmp, icmpv6, sctp or a number 0..255",
    [M_SRC_PORT] = "a port 0..65535 or a range such as 1024-2047",
    [M_DST_PORT] = "a port 0..65535 or a range such as 1024-2047",
};

/* The parser's message without its "column N: " prefix and " (column N)" references, which
 * point into text the operator never wrote. */
static void strip_columns(char *s)
{
	char *p;

	if (strncmp(s, "column ", 7) == 0 && (p = strstr(s, ": ")) != NULL)
		memmove(s, p + 2, strlen(p + 2) + 1);
	while ((p = strstr(s, " (column ")) != NULL) {
		char *end = strchr(p, ')');
		if (end == NULL)
			break;
		memmove(p, end + 1, strlen(end + 1) + 1);
	}
}

/* Offset of the parser's error column in the match text, or -1. */
static long error_offset(const char *err)
{
	unsigned long col;
	if (sscanf(err, "column %lu:", &col) != 1 || col == 0)
		return -1;
	return (long)col - 1;
}

static void load_match(struct yctx *c, yaml_node_t *n, struct qv_model_chain *ch, const char *what)
{
	char mwhat[120], text[QV_RULE_TEXT_MAX], err[512], found[64];
	struct yfields f;
	struct qv_rule rule;
	size_t start[M_COUNT] = {0}, len = 0;
	size_t errors = c->n_errors;

	snprintf(mwhat, sizeof(mwhat), "match of %s", what);
	ch->match_mark = ymark(n);
	if (!ymap(c, n, match_keys, (1u << M_COUNT) - 1, mwhat, &f))
		return;
	text[0] = '\0';
	for (int k = 0; k < M_COUNT; k++) {
		if (f.val[k] == NULL)
			continue;
		const char *v = ytext(f.val[k]);
		/* Separators of the rule syntax cannot be part of a value. */
		if (v == NULL || v[0] == '\0' || strpbrk(v, ", \t=") || strlen(v) > 64) {
			yerr(c, ymark(f.val[k]), "bad '%s' in %s: found %s, expected %s",
			     match_keys[k], mwhat, yfound(f.val[k], found, sizeof(found)),
			     match_expect[k]);
			continue;
		}
		/* Alone first, so a bad value is reported at its own line (ports need a
		 * protocol to parse at all; whether the real one allows ports is checked
		 * below). */
		char one[128];
		snprintf(one, sizeof(one), "%s%s=%s actions=drop",
		         k == M_SRC_PORT || k == M_DST_PORT ? "proto=tcp," : "", match_keys[k], v);
		if (qv_rule_parse(one, NULL, NULL, &rule, err, sizeof(err)) < 0) {
			strip_columns(err);
			yerr(c, ymark(f.val[k]), "%s: %s", mwhat, err);
			continue;
		}
		start[k] = len + (len ? 1 : 0);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s=%s", len ? "," : "",
		                        match_keys[k], v);
	}
	if (c->n_errors != errors)
		return;
	/* Then together, for what only the combination can get wrong (IPv4 with IPv6, ports
	 * without a protocol). */
	size_t mlen = len;
	snprintf(text + len, sizeof(text) - len, " actions=drop");
	if (qv_rule_parse(text, NULL, NULL, &rule, err, sizeof(err)) < 0) {
		long off = error_offset(err);
		struct qv_mark at = ch->match_mark;
		for (int k = 0; k < M_COUNT; k++) {
			if (f.val[k] && off >= (long)start[k] && off <= (long)mlen)
				at = ymark(f.val[k]);
		}
		strip_columns(err);
		yerr(c, at, "%s: %s", mwhat, err);
		return;
	}
	ch->match = rule.match;
	ch->match_ok = true;
}

/* ---- hops ---- */

enum { H_VNF, H_GROUP, H_BALANCE, H_IN, H_OUT };
static const char *const hop_keys[] = {"vnf", "group", "balance", "in", "out", NULL};

static bool add_member(struct yctx *c, struct qv_model_hop *h, yaml_node_t *n, const char *key,
                       const char *what)
{
	struct qv_model_ref *r = &h->members[h->n_members];
	r->name = NULL;
	if (!yname(c, n, key, what, &r->name))
		return false;
	r->mark = ymark(n);
	h->n_members++;
	return true;
}

static void load_hop(struct yctx *c, yaml_node_t *n, struct qv_model_hop *h, const char *what)
{
	static const char *const balances[] = {"symmetric", NULL};
	struct yfields f;
	yaml_node_item_t *items;
	long cnt = 1;

	h->mark = ymark(n);
	if (n && n->type == YAML_SCALAR_NODE) { /* just a VNF name */
		h->members = calloc(1, sizeof(*h->members));
		if (h->members)
			add_member(c, h, n, NULL, what);
		h->in_mark = h->out_mark = h->mark;
	} else {
		if (!ymap(c, n, hop_keys, 0x1f, what, &f))
			return;
		if (f.val[H_VNF] && f.key_mark[H_GROUP].line) {
			yerr(c, f.key_mark[H_GROUP],
			     "%s has both 'vnf' (line %u) and 'group': expected one of them", what,
			     f.key_mark[H_VNF].line);
			return;
		}
		if (f.val[H_GROUP]) {
			cnt = ylist(c, f.val[H_GROUP], "group", what, &items);
			if (cnt < 0)
				return;
			if (cnt == 0 || cnt > QV_MAX_ACTIONS) {
				yerr(c, ymark(f.val[H_GROUP]),
				     "bad 'group' in %s: found %ld VNFs, expected 1..%d", what, cnt,
				     QV_MAX_ACTIONS);
				return;
			}
			h->group = true;
		} else if (!f.val[H_VNF]) {
			ymissing(c, n, "vnf", what,
			         "a VNF name (vnf: fw1), or a group (group: [fw1, fw2])");
			return;
		}
		h->members = calloc((size_t)cnt, sizeof(*h->members));
		for (long i = 0; h->members && i < cnt; i++) {
			yaml_node_t *it = h->group ? ynode(c, items[i]) : f.val[H_VNF];
			add_member(c, h, it, h->group ? "group" : "vnf", what);
		}
		unsigned bal;
		if (f.val[H_BALANCE])
			yenum(c, f.val[H_BALANCE], "balance", what, balances, &bal);
		if (f.val[H_IN])
			yname(c, f.val[H_IN], "in", what, &h->in);
		if (f.val[H_OUT])
			yname(c, f.val[H_OUT], "out", what, &h->out);
		h->in_mark = f.val[H_IN] ? ymark(f.val[H_IN]) : h->mark;
		h->out_mark = f.val[H_OUT] ? ymark(f.val[H_OUT]) : h->mark;
	}
	if (h->members == NULL)
		yerr(c, h->mark, "out of memory reading %s", what);
	/* The interfaces a bump in the wire has by default. */
	if (h->in == NULL)
		h->in = strdup("in");
	if (h->out == NULL)
		h->out = strdup("out");
	if (h->in == NULL || h->out == NULL)
		yerr(c, h->mark, "out of memory reading %s", what);
}

static void load_hops(struct yctx *c, yaml_node_t *n, struct qv_model_chain *ch, const char *what)
{
	yaml_node_item_t *items;
	long cnt = ylist(c, n, "hops", what, &items);

	if (cnt <= 0)
		return;
	if ((ch->hops = calloc((size_t)cnt, sizeof(*ch->hops))) == NULL) {
		yerr(c, ymark(n), "out of memory reading %s", what);
		return;
	}
	for (long i = 0; i < cnt; i++) {
		char hwhat[120];
		snprintf(hwhat, sizeof(hwhat), "hop %ld of %s", i + 1, what);
		load_hop(c, ynode(c, items[i]), &ch->hops[ch->n_hops++], hwhat);
	}
}

/* ---- chains ---- */

enum { C_NAME, C_FROM, C_MATCH, C_HOPS, C_TO, C_BIDIR };
static const char *const chain_keys[] = {"name", "from",          "match", "hops",
                                         "to",   "bidirectional", NULL};

static void load_chain(struct yctx *c, yaml_node_t *n, long index, struct qv_model_chain *ch)
{
	char what[80];
	struct yfields f;

	ylabel(c, n, "chain", index, what, sizeof(what));
	ch->mark = ymark(n);
	if (!ymap(c, n, chain_keys, 0x3f, what, &f))
		return;
	if (f.val[C_NAME])
		yname(c, f.val[C_NAME], "name", what, &ch->name);
	else
		ymissing(c, n, "name", what, "a name for the chain, e.g. name: web");
	if (f.val[C_FROM] && yname(c, f.val[C_FROM], "from", what, &ch->from))
		ch->from_mark = ymark(f.val[C_FROM]);
	else if (!f.val[C_FROM])
		ymissing(c, n, "from", what, "the ingress port, e.g. from: uplink0");
	if (f.val[C_TO] && yname(c, f.val[C_TO], "to", what, &ch->to))
		ch->to_mark = ymark(f.val[C_TO]);
	else if (!f.val[C_TO])
		ymissing(c, n, "to", what, "the egress port, e.g. to: uplink1");
	if (f.val[C_MATCH] && !ynull(f.val[C_MATCH])) {
		load_match(c, f.val[C_MATCH], ch, what);
	} else {
		ch->match_ok = true; /* no match: every packet from the ingress */
		ch->match_mark = f.key_mark[C_MATCH].line ? f.key_mark[C_MATCH] : ch->mark;
	}
	if (f.val[C_HOPS])
		load_hops(c, f.val[C_HOPS], ch, what);
	else
		ymissing(
		    c, n, "hops", what,
		    "the VNFs in order, e.g. hops: [fw1, rtr1], or hops: [] for a direct path");
	if (f.val[C_BIDIR])
		ybool(c, f.val[C_BIDIR], "bidirectional", what, &ch->bidirectional);
}

void qv_yaml_load_chains(struct yctx *c, yaml_node_t *list, struct qv_model *m)
{
	yaml_node_item_t *items;
	long cnt = ylist(c, list, "chains", "the file", &items);

	if (cnt <= 0)
		return;
	if ((m->chains = calloc((size_t)cnt, sizeof(*m->chains))) == NULL) {
		yerr(c, ymark(list), "out of memory reading chains");
		return;
	}
	for (long i = 0; i < cnt; i++)
		load_chain(c, ynode(c, items[i]), i, &m->chains[m->n_chains++]);
}
