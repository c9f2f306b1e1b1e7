/* qwikvirt: packet trace control and rendering (see trace.h). Slow path: the PMD side is
 * trace_fast.h, compiled into the traced variant of the PMD loop. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "dataplane/dp.h"
#include "dataplane/parse.h"
#include "dataplane/trace/trace.h"
#include "qv/drop_reason.h"

_Atomic(struct qv_trace_buf *) qv_trace_cur;

int qv_trace_start(const char *port, uint32_t count, uid_t owner, bool any_owner, char *err,
                   size_t errlen)
{
	struct qv_port *p = qv_dp_port_by_name(port);
	struct qv_trace_buf *b, *cur = atomic_load(&qv_trace_cur);

	if (!p) {
		snprintf(err, errlen, "no port named '%s' (see qvctl show ports)", port);
		return -1;
	}
	if (count == 0 || count > QV_TRACE_MAX) {
		snprintf(err, errlen, "count must be 1..%d", QV_TRACE_MAX);
		return -1;
	}
	if (!any_owner && cur && cur->owner != owner && atomic_load(&cur->next) < cur->cap) {
		snprintf(err, errlen,
		         "permission denied: the trace running on %s was started by uid %ld and "
		         "is still filling (%u of %u packets); wait for it, or ask root",
		         qv_dp_port_name(cur->port) ? qv_dp_port_name(cur->port) : "a removed port",
		         (long)cur->owner, atomic_load(&cur->next), cur->cap);
		return -1;
	}
	b = calloc(1, sizeof(*b) + count * sizeof(b->rec[0]));
	if (!b) {
		snprintf(err, errlen, "out of memory for %u trace records", count);
		return -1;
	}
	b->cap = count;
	b->port = p->index;
	b->owner = owner;
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) { /* one trace at a time */
		struct qv_port *o = qv_dp_port_at(i);

		if (o)
			atomic_store(&o->trace_left, 0);
	}
	/* after the grace period no PMD writes into the old buffer any more */
	QV_DP_PUBLISH(&qv_trace_cur, b, qv_dp_free, NULL);
	atomic_store(&p->trace_left, count);
	return 0;
}

void qv_trace_free(void)
{
	free(atomic_exchange(&qv_trace_cur, NULL));
}

static void describe_key(const struct qv_trace_rec *r, char *buf, size_t len)
{
	const struct qv_flow_key *k = &r->key;
	uint8_t dst[6], src[6];
	char s[INET6_ADDRSTRLEN] = "", d[INET6_ADDRSTRLEN] = "", vlan[16] = "";
	size_t o;

	qv_flow_key_get_macs(k, dst, src);
	if (k->vlan_tci)
		snprintf(vlan, sizeof(vlan), " vlan %u", ntohs(k->vlan_tci) & QV_VLAN_VID_MASK);
	o = (size_t)snprintf(buf, len,
	                     "%02x:%02x:%02x:%02x:%02x:%02x -> %02x:%02x:%02x:%02x:%02x:%02x%s "
	                     "type 0x%04x",
	                     src[0], src[1], src[2], src[3], src[4], src[5], dst[0], dst[1], dst[2],
	                     dst[3], dst[4], dst[5], vlan, ntohs(k->ethertype));
	if (k->ip_version == 4) {
		inet_ntop(AF_INET, k->src_ip, s, sizeof(s));
		inet_ntop(AF_INET, k->dst_ip, d, sizeof(d));
	} else if (k->ip_version == 6) {
		inet_ntop(AF_INET6, k->src_ip, s, sizeof(s));
		inet_ntop(AF_INET6, k->dst_ip, d, sizeof(d));
	}
	if (k->ip_version && o < len)
		snprintf(buf + o, len - o, ", ipv%u %s -> %s proto %u ports %u -> %u",
		         k->ip_version, s, d, k->proto, ntohs(k->src_port), ntohs(k->dst_port));
}

static json_t *render(const struct qv_trace_rec *r, uint32_t n)
{
	json_t *lines = json_array(), *outs = json_array();
	const char *pn = qv_dp_port_name(r->port);
	char buf[1024], rt[640];

	snprintf(buf, sizeof(buf), "packet %u: port %s (pmd %u), %u bytes", n, pn ? pn : "?",
	         r->pmd, r->len);
	json_array_append_new(lines, json_string(buf));
	if (r->parsed) {
		describe_key(r, rt, sizeof(rt));
		snprintf(buf, sizeof(buf), "  parse: %s", rt);
	} else {
		snprintf(buf, sizeof(buf), "  parse: malformed header");
	}
	json_array_append_new(lines, json_string(buf));
	if (r->parsed) {
		if (r->rule_id)
			snprintf(buf, sizeof(buf), "  lookup: %s: %s",
			         r->emc_hit ? "exact-match cache hit" : "classifier",
			         qv_dp_rule_text(r->rule_id, rt, sizeof(rt)));
		else
			snprintf(buf, sizeof(buf), "  lookup: %s: no rule matched%s",
			         r->emc_hit ? "exact-match cache hit" : "classifier",
			         r->l2 == QV_TRACE_L2_UNICAST
			             ? "; port default l2: unicast to the learned port"
			         : r->l2 == QV_TRACE_L2_FLOOD ? "; port default l2: flood"
			                                      : "");
		json_array_append_new(lines, json_string(buf));
	}
	for (uint8_t i = 0; i < r->n_out && i < QV_TRACE_OUTS; i++) {
		const char *on = qv_dp_port_name(r->out[i]);

		snprintf(buf, sizeof(buf), "  output: %s%s%s", on ? on : "(removed port)",
		         r->out_drop[i] >= 0 ? ": dropped, " : "",
		         r->out_drop[i] >= 0 ? qv_drop_reason_name[r->out_drop[i]] : "");
		json_array_append_new(lines, json_string(buf));
		json_array_append_new(
		    outs,
		    json_pack("{s:s, s:s?}", "port", on ? on : "?", "drop",
		              r->out_drop[i] >= 0 ? qv_drop_reason_name[r->out_drop[i]] : NULL));
	}
	if (r->drop >= 0) {
		snprintf(buf, sizeof(buf), "  drop: %s (%s)", qv_drop_reason_name[r->drop],
		         qv_drop_reason_help[r->drop]);
		json_array_append_new(lines, json_string(buf));
	}
	return json_pack("{s:s, s:i, s:i, s:b, s:b, s:i, s:s, s:o, s:s?, s:o}", "port",
	                 pn ? pn : "?", "pmd", r->pmd, "len", r->len, "parsed", r->parsed,
	                 "emc_hit", r->emc_hit, "rule", r->rule_id, "l2",
	                 r->l2 == QV_TRACE_L2_UNICAST ? "unicast"
	                 : r->l2 == QV_TRACE_L2_FLOOD ? "flood"
	                                              : "none",
	                 "outputs", outs, "drop",
	                 r->drop >= 0 ? qv_drop_reason_name[r->drop] : NULL, "lines", lines);
}

json_t *qv_trace_show(void)
{
	struct qv_trace_buf *b = atomic_load(&qv_trace_cur);
	json_t *recs = json_array();
	uint32_t n = 0;

	if (!b)
		return json_pack("{s:n, s:i, s:o}", "port", "want", 0, "records", recs);
	for (uint32_t i = 0; i < b->cap; i++)
		if (atomic_load_explicit(&b->rec[i].done, memory_order_acquire))
			json_array_append_new(recs, render(&b->rec[i], ++n));
	return json_pack("{s:s?, s:i, s:o}", "port", qv_dp_port_name(b->port), "want", b->cap,
	                 "records", recs);
}
