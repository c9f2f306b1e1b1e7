/* qwikvirt: formatter of the compact flow syntax (see rule_syntax.h): the text qv_rule_parse
 * (rule_syntax.c) reads back into the same rule, as `show flows` and the chain compiler print it.
 */
#include "lib/rule_syntax.h"

#include "lib/mac.h"
#include "lib/proto.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- formatting ---- */

struct writer {
	char *buf;
	size_t len, pos;
	bool overflow;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	size_t room = w->pos < w->len ? w->len - w->pos : 0;

	va_start(ap, fmt);
	int n = vsnprintf(room ? w->buf + w->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		w->overflow = true;
	if (n > 0)
		w->pos += (size_t)n;
}

static int finish(struct writer *w)
{
	if (w->len > 0 && w->pos >= w->len)
		w->buf[w->len - 1] = '\0';
	if (w->len > 0 && w->pos == 0)
		w->buf[0] = '\0';
	return w->overflow ? -1 : (int)w->pos;
}

static void put_port(struct writer *w, uint16_t idx, qv_port_name_fn name, void *ctx)
{
	const char *n = name ? name(idx, ctx) : NULL;
	if (n)
		put(w, "%s", n);
	else
		put(w, "%u", idx);
}

/* Separator before every field but the first. */
static void put_sep(struct writer *w, bool *first)
{
	if (!*first)
		put(w, ",");
	*first = false;
}

static void put_ip(struct writer *w, const char *key, uint8_t version, const uint8_t *addr,
                   uint8_t plen)
{
	char shown[INET6_ADDRSTRLEN];
	int af = version == 6 ? AF_INET6 : AF_INET;
	unsigned max = version == 6 ? 128 : 32;

	inet_ntop(af, addr, shown, sizeof(shown));
	if (plen < max)
		put(w, "%s=%s/%u", key, shown, plen);
	else
		put(w, "%s=%s", key, shown);
}

static void put_range(struct writer *w, const char *key, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		put(w, "%s=%u", key, lo);
	else
		put(w, "%s=%u-%u", key, lo, hi);
}

static void format_match(struct writer *w, const struct qv_rule *r, qv_port_name_fn name, void *ctx)
{
	const struct qv_match *m = &r->match;
	bool first = true;

	if (m->fields & QV_M_IN_PORT) {
		put_sep(w, &first);
		put(w, "in=");
		put_port(w, m->in_port, name, ctx);
	}
	if (m->fields & QV_M_VLAN) {
		put_sep(w, &first);
		put(w, "vlan=%u", m->vlan_id);
	} else if (m->fields & QV_M_NO_VLAN) {
		put_sep(w, &first);
		put(w, "vlan=none");
	}
	if (m->fields & QV_M_ETHERTYPE) {
		put_sep(w, &first);
		if (m->ethertype == QV_ETHERTYPE_IPV4)
			put(w, "eth-type=ipv4");
		else if (m->ethertype == QV_ETHERTYPE_IPV6)
			put(w, "eth-type=ipv6");
		else if (m->ethertype == QV_ETHERTYPE_ARP)
			put(w, "eth-type=arp");
		else
			put(w, "eth-type=0x%04x", m->ethertype);
	} else if ((m->fields & QV_M_IP_VERSION) && !(m->fields & (QV_M_SRC_IP | QV_M_DST_IP))) {
		/* Only a rule built outside the parser gets here; keep its version visible. */
		put_sep(w, &first);
		put(w, "eth-type=%s", m->ip_version == 6 ? "ipv6" : "ipv4");
	}
	const uint8_t *macs[2] = {m->src_mac, m->dst_mac};
	const uint32_t mac_bits[2] = {QV_M_SRC_MAC, QV_M_DST_MAC};
	for (int i = 0; i < 2; i++) {
		if (!(m->fields & mac_bits[i]))
			continue;
		char text[QV_MAC_TEXT_SIZE];
		put_sep(w, &first);
		put(w, "%s=%s", i ? "eth-dst" : "eth-src", qv_mac_format(macs[i], text));
	}
	if (m->fields & QV_M_SRC_IP) {
		put_sep(w, &first);
		put_ip(w, "ip-src", m->ip_version, m->src_ip, m->src_plen);
	}
	if (m->fields & QV_M_DST_IP) {
		put_sep(w, &first);
		put_ip(w, "ip-dst", m->ip_version, m->dst_ip, m->dst_plen);
	}
	if (m->fields & QV_M_PROTO) {
		const char *pn = qv_proto_name(m->proto);

		put_sep(w, &first);
		if (pn)
			put(w, "proto=%s", pn);
		else
			put(w, "proto=%u", m->proto);
	}
	if (m->fields & QV_M_SRC_PORT) {
		put_sep(w, &first);
		put_range(w, "src-port", m->src_port_lo, m->src_port_hi);
	}
	if (m->fields & QV_M_DST_PORT) {
		put_sep(w, &first);
		put_range(w, "dst-port", m->dst_port_lo, m->dst_port_hi);
	}
	if (r->priority != QV_PRIORITY_DEFAULT) {
		put_sep(w, &first);
		put(w, "priority=%u", r->priority);
	}
	if (first)
		put(w, "any");
}

static void format_actions(struct writer *w, const struct qv_rule *r, qv_port_name_fn name,
                           void *ctx)
{
	bool first = true;

	for (unsigned i = 0; i < r->n_actions && i < QV_MAX_ACTIONS; i++) {
		const struct qv_action *a = &r->actions[i];
		put_sep(w, &first);
		switch (a->type) {
		case QV_ACT_OUTPUT:
			put(w, "output:");
			put_port(w, a->arg, name, ctx);
			break;
		case QV_ACT_DROP:
			put(w, "drop");
			break;
		case QV_ACT_PUSH_VLAN:
			put(w, "push-vlan:%u", a->arg);
			break;
		case QV_ACT_POP_VLAN:
			put(w, "pop-vlan");
			break;
		case QV_ACT_GROUP:
			put(w, "group:");
			put_port(w, a->arg, name, ctx);
			while (i + 1 < r->n_actions && r->actions[i + 1].type == QV_ACT_GROUP) {
				put(w, "+");
				put_port(w, r->actions[++i].arg, name, ctx);
			}
			break;
		default:
			put(w, "unknown-%u", a->type);
			break;
		}
	}
}

int qv_rule_format_match(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf,
                         size_t len)
{
	struct writer w = {buf, len, 0, false};
	format_match(&w, r, name, ctx);
	return finish(&w);
}

int qv_rule_format_actions(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf,
                           size_t len)
{
	struct writer w = {buf, len, 0, false};
	format_actions(&w, r, name, ctx);
	return finish(&w);
}

int qv_rule_format(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf, size_t len)
{
	struct writer w = {buf, len, 0, false};
	format_match(&w, r, name, ctx);
	put(&w, " actions=");
	format_actions(&w, r, name, ctx);
	return finish(&w);
}
