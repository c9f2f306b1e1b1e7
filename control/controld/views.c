/* qwikvirt: `qvctl show chains` — each chain hop by hop with the switch's counters for every
 * port on its path, and the hits of its rules. */
#include <stdio.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/rpc/rpc.h"

static json_t *port_entry(const json_t *have_ports, const char *name)
{
	size_t i;
	json_t *v, *drops;
	json_int_t d = 0;
	const char *k;

	json_array_foreach(have_ports, i, v)
	{
		const char *have = json_string_value(json_object_get(v, "name"));

		/* a port the switch lists without a name is not this one (and no crash) */
		if (have == NULL || strcmp(have, name) != 0)
			continue;
		drops = json_object_get(v, "drops");
		json_t *x;
		json_object_foreach(drops, k, x) d += json_integer_value(x);
		return json_pack("{s:s, s:O?, s:O?, s:O?, s:I}", "port", name, "state",
		                 json_object_get(v, "state"), "rx_packets",
		                 json_object_get(v, "rx_packets"), "tx_packets",
		                 json_object_get(v, "tx_packets"), "drops", d);
	}
	return json_pack("{s:s, s:s}", "port", name, "state", "missing");
}

/* The switch ports of VNF `vnf` (all instances) for interface `iface`. */
static void vnf_ports(const struct qv_switch_plan *plan, const char *vnf, const char *iface,
                      const json_t *have, json_t *out)
{
	for (size_t i = 0; i < plan->n_ports; i++) {
		const struct qv_switch_port *p = &plan->ports[i];

		if (p->vnf && strcmp(p->vnf, vnf) == 0 && strcmp(p->iface, iface) == 0)
			json_array_append_new(out, port_entry(have, p->name));
	}
}

/* Each VNF port of a hop gets "flows": the established flows the switch's load-balancing
 * groups (group.show) send it, summed over the groups naming it. */
static void add_group_flows(json_t *chains, const json_t *groups)
{
	size_t i, j, k, g, mi;
	json_t *ch, *hop, *port, *grp, *mem;

	json_array_foreach(chains, i, ch) json_array_foreach(json_object_get(ch, "hops"), j, hop)
	{
		if (!json_is_true(json_object_get(hop, "group")))
			continue;
		json_array_foreach(json_object_get(hop, "ports"), k, port)
		{
			const char *name = json_string_value(json_object_get(port, "port"));
			json_int_t flows = 0;
			bool member = false;

			json_array_foreach(groups, g, grp)
			    json_array_foreach(json_object_get(grp, "members"), mi, mem)
			{
				const char *mp = json_string_value(json_object_get(mem, "port"));

				if (name && mp && strcmp(name, mp) == 0) {
					flows += json_integer_value(json_object_get(mem, "flows"));
					member = true;
				}
			}
			if (member)
				json_object_set_new(port, "flows", json_integer(flows));
		}
	}
}

json_t *qv_view_chains(const struct qv_controld *c, char *err, size_t errlen)
{
	const struct qv_model *m = c->desired.model;
	const struct qv_switch_plan *plan = c->desired.plan;
	json_t *ports = NULL, *flows = NULL, *chains = json_array();
	int code;

	if (!m)
		return json_pack("{s:o, s:n}", "chains", chains, "file");
	if (qv_rpc_call(c->switch_sock, "port.list", NULL, c->rpc_timeout_ms, &ports, &code, err,
	                errlen) != 0 ||
	    qv_rpc_call(c->switch_sock, "flow.list", NULL, c->rpc_timeout_ms, &flows, &code, err,
	                errlen) != 0) {
		json_decref(ports);
		json_decref(chains);
		return NULL;
	}
	for (size_t k = 0; k < m->n_chains; k++) {
		const struct qv_model_chain *ch = &m->chains[k];
		json_t *hops = json_array(), *rules = json_array(), *h;
		json_int_t hits = 0;

		h = json_array();
		json_array_append_new(h, port_entry(json_object_get(ports, "ports"), ch->from));
		json_array_append_new(hops, json_pack("{s:s, s:s, s:o}", "hop", ch->from, "kind",
		                                      "port", "ports", h));
		for (size_t j = 0; j < ch->n_hops; j++) {
			const struct qv_model_hop *hop = &ch->hops[j];
			char label[256] = "";

			h = json_array();
			for (size_t mi = 0; mi < hop->n_members; mi++) {
				vnf_ports(plan, hop->members[mi].name, hop->in,
				          json_object_get(ports, "ports"), h);
				vnf_ports(plan, hop->members[mi].name, hop->out,
				          json_object_get(ports, "ports"), h);
				snprintf(label + strlen(label), sizeof(label) - strlen(label),
				         "%s%s", mi ? "+" : "", hop->members[mi].name);
			}
			json_array_append_new(hops, json_pack("{s:s, s:s, s:b, s:o}", "hop", label,
			                                      "kind", "vnf", "group",
			                                      hop->group || json_array_size(h) > 2,
			                                      "ports", h));
		}
		h = json_array();
		json_array_append_new(h, port_entry(json_object_get(ports, "ports"), ch->to));
		json_array_append_new(
		    hops, json_pack("{s:s, s:s, s:o}", "hop", ch->to, "kind", "port", "ports", h));
		for (size_t r = 0; r < plan->n_rules; r++) {
			size_t i;
			json_t *f;
			json_int_t n = 0;

			if (strcmp(plan->rules[r].chain, ch->name) != 0)
				continue;
			json_array_foreach(
			    json_object_get(flows, "flows"), i,
			    f) if (json_is_string(json_object_get(f, "text")) &&
			           strcmp(json_string_value(json_object_get(f, "text")),
			                  plan->rules[r].text) == 0) n =
			    json_integer_value(json_object_get(f, "hits"));
			hits += n;
			json_array_append_new(rules, json_pack("{s:s, s:b, s:I}", "text",
			                                       plan->rules[r].text, "reverse",
			                                       plan->rules[r].reverse, "hits", n));
		}
		json_array_append_new(chains,
		                      json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:I}", "name",
		                                ch->name, "from", ch->from, "to", ch->to,
		                                "bidirectional", ch->bidirectional, "hops", hops,
		                                "rules", rules, "hits", hits));
	}
	json_decref(ports);
	json_decref(flows);
	/* optional: a switch without group.show (older) just shows no FLOWS */
	char gerr[256];
	json_t *groups = NULL;
	if (qv_rpc_call(c->switch_sock, "group.show", NULL, c->rpc_timeout_ms, &groups, &code, gerr,
	                sizeof(gerr)) == 0)
		add_group_flows(chains, json_object_get(groups, "groups"));
	json_decref(groups);
	return json_pack("{s:o, s:s}", "chains", chains, "file", c->desired.name);
}

/* For `qvctl show controld`: "chain a, chain b" of the chains whose path goes through switch
 * port p of the plan (its own port, or an interface of a VNF on a hop), or "no chain". */
void qv_view_port_chains(const struct qv_controld *c, const struct qv_switch_port *p, char *out,
                         size_t len)
{
	const struct qv_model *m = c->desired.model;
	size_t n = 0;

	out[0] = '\0';
	for (size_t k = 0; m && k < m->n_chains; k++) {
		const struct qv_model_chain *ch = &m->chains[k];
		bool uses = strcmp(ch->from, p->name) == 0 || strcmp(ch->to, p->name) == 0;

		for (size_t j = 0; !uses && p->vnf && j < ch->n_hops; j++)
			for (size_t mi = 0; mi < ch->hops[j].n_members; mi++)
				uses = uses || strcmp(ch->hops[j].members[mi].name, p->vnf) == 0;
		if (uses)
			snprintf(out + strlen(out), len - strlen(out), "%schain %s",
			         n++ ? ", " : "", ch->name);
	}
	if (n == 0)
		snprintf(out, len, "no chain");
}
