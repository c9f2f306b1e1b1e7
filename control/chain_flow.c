/* qwikvirt: chains as directed flows through the switch's ports, and the rule that keeps
 * chains apart: two flows meeting on a port must have disjoint matches, or nested ones that
 * enter at the same port (the narrower then takes its packets at the ingress already). */
#include "control/chain_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/match_rel.h"
#include "lib/rule_syntax.h"

static bool vnf_has_iface(const struct qv_model_vnf *v, const char *iface)
{
	for (size_t i = 0; iface && i < v->n_ifaces; i++) {
		if (strcmp(v->ifaces[i].name, iface) == 0)
			return true;
	}
	return false;
}

bool qv_chain_complete(const struct qv_model *m, const struct qv_model_chain *c)
{
	if (!c->name || !c->match_ok || !qv_model_port_find(m, c->from) ||
	    !qv_model_port_find(m, c->to))
		return false;
	for (size_t h = 0; h < c->n_hops; h++) {
		const struct qv_model_hop *hop = &c->hops[h];
		size_t instances = 0;
		if (hop->n_members == 0 || !hop->in || !hop->out || strcmp(hop->in, hop->out) == 0)
			return false;
		for (size_t k = 0; k < hop->n_members; k++) {
			const struct qv_model_vnf *v = qv_model_vnf_find(m, hop->members[k].name);
			char name[QV_PORT_NAME_MAX];
			if (!v || !vnf_has_iface(v, hop->in) || !vnf_has_iface(v, hop->out))
				return false;
			if (qv_model_vnf_port_name(v->name, v->instances - 1u, hop->in, name,
			                           sizeof(name)) < 0 ||
			    qv_model_vnf_port_name(v->name, v->instances - 1u, hop->out, name,
			                           sizeof(name)) < 0)
				return false;
			instances += v->instances;
			/* A VNF passed twice would need two rules on one port for one flow. */
			for (size_t h2 = 0; h2 <= h; h2++) {
				for (size_t k2 = 0; k2 < c->hops[h2].n_members; k2++) {
					if ((h2 < h || k2 < k) &&
					    strcmp(c->hops[h2].members[k2].name, v->name) == 0)
						return false;
				}
			}
		}
		if (instances > QV_MAX_ACTIONS)
			return false;
	}
	return true;
}

/* The switch ports of a hop's interface `iface`, every instance of every member in order. */
static void hop_ports(const struct qv_model *m, const struct qv_model_hop *hop, bool out_side,
                      struct qv_flow_port *ports, size_t *n)
{
	const char *iface = out_side ? hop->out : hop->in;

	*n = 0;
	for (size_t k = 0; k < hop->n_members; k++) {
		const struct qv_model_vnf *v = qv_model_vnf_find(m, hop->members[k].name);
		for (unsigned i = 0; i < v->instances; i++) {
			struct qv_flow_port *p = &ports[(*n)++];
			qv_model_vnf_port_name(v->name, i, iface, p->name, sizeof(p->name));
			p->vnf = v->name;
			p->iface = iface;
		}
	}
}

static void plain_port(const char *name, struct qv_flow_port *ports, size_t *n)
{
	memset(&ports[0], 0, sizeof(ports[0]));
	snprintf(ports[0].name, sizeof(ports[0].name), "%s", name);
	*n = 1;
}

static int build_flow(const struct qv_model *m, const struct qv_model_chain *c, bool reverse,
                      struct qv_flow *f)
{
	size_t h = c->n_hops;

	f->chain = c;
	f->reverse = reverse;
	if (reverse)
		qv_match_mirror(&c->match, &f->match);
	else
		f->match = c->match;
	f->n_stages = h + 1;
	f->stages = calloc(f->n_stages, sizeof(*f->stages));
	if (f->stages == NULL)
		return -1;
	for (size_t s = 0; s <= h; s++) {
		struct qv_flow_stage *st = &f->stages[s];
		/* Forward: hop s-1's out -> hop s's in. Reverse: hops taken from the end,
		 * entering by `out` and leaving by `in`. */
		if (s == 0)
			plain_port(reverse ? c->to : c->from, st->in, &st->n_in);
		else
			hop_ports(m, &c->hops[reverse ? h - s : s - 1], !reverse, st->in,
			          &st->n_in);
		if (s == h)
			plain_port(reverse ? c->from : c->to, st->out, &st->n_out);
		else
			hop_ports(m, &c->hops[reverse ? h - s - 1 : s], reverse, st->out,
			          &st->n_out);
	}
	return 0;
}

int qv_flows_build(const struct qv_model *m, struct qv_flows *out)
{
	out->n = 0;
	out->v = calloc(2 * m->n_chains + 1, sizeof(*out->v));
	if (out->v == NULL)
		return -1;
	for (size_t i = 0; i < m->n_chains; i++) {
		const struct qv_model_chain *c = &m->chains[i];
		if (!qv_chain_complete(m, c))
			continue;
		for (int rev = 0; rev <= (c->bidirectional ? 1 : 0); rev++) {
			if (build_flow(m, c, rev, &out->v[out->n]) < 0) {
				qv_flows_free(out);
				return -1;
			}
			out->n++;
		}
	}
	return 0;
}

void qv_flows_free(struct qv_flows *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].stages);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static bool flow_has_in(const struct qv_flow *f, const char *port)
{
	for (size_t s = 0; s < f->n_stages; s++) {
		for (size_t i = 0; i < f->stages[s].n_in; i++) {
			if (strcmp(f->stages[s].in[i].name, port) == 0)
				return true;
		}
	}
	return false;
}

/* The first port of b's path that a also receives on, or NULL. */
static const struct qv_flow_port *shared_port(const struct qv_flow *a, const struct qv_flow *b)
{
	for (size_t s = 0; s < b->n_stages; s++) {
		for (size_t i = 0; i < b->stages[s].n_in; i++) {
			if (flow_has_in(a, b->stages[s].in[i].name))
				return &b->stages[s].in[i];
		}
	}
	return NULL;
}

static void flow_label(const struct qv_flow *f, char *buf, size_t len)
{
	if (f->chain->bidirectional)
		snprintf(buf, len, "chain '%s' (%s)", f->chain->name,
		         f->reverse ? "reverse" : "forward");
	else
		snprintf(buf, len, "chain '%s'", f->chain->name);
}

static void match_text(const struct qv_match *m, char *buf, size_t len)
{
	struct qv_rule r = {.priority = QV_PRIORITY_DEFAULT, .match = *m};
	if (qv_rule_format_match(&r, NULL, NULL, buf, len) < 0)
		snprintf(buf, len, "?");
}

static void port_label(const struct qv_flow_port *p, char *buf, size_t len)
{
	if (p->vnf)
		snprintf(buf, len, "'%s' (VNF '%s' interface '%s')", p->name, p->vnf, p->iface);
	else
		snprintf(buf, len, "'%s'", p->name);
}

static void report(const struct qv_model *m, const struct qv_flow *a, const struct qv_flow *b,
                   const struct qv_flow_port *port, enum qv_match_rel rel, struct qv_diags *d)
{
	char la[80], lb[80], ma[300], mb[300], pl[120];

	flow_label(a, la, sizeof(la));
	flow_label(b, lb, sizeof(lb));
	match_text(&a->match, ma, sizeof(ma));
	match_text(&b->match, mb, sizeof(mb));
	port_label(port, pl, sizeof(pl));
	if (a->chain == b->chain)
		qv_diag_add(d, m->file, b->chain->match_mark,
		            "the two directions of chain '%s' both take packets matching '%s' on "
		            "port %s and cannot be told apart: a bidirectional chain needs 'from' "
		            "and 'to' to differ, or a match that differs from its reply's",
		            b->chain->name, mb, pl);
	else if (rel == QV_REL_EQUAL)
		qv_diag_add(
		    d, m->file, b->chain->match_mark,
		    "%s and %s (line %u) both take packets matching '%s' on port %s and "
		    "cannot be told apart: give them different matches (for example another "
		    "vlan or dst-port)",
		    lb, la, a->chain->mark.line, mb, pl);
	else if (rel == QV_REL_OVERLAP)
		qv_diag_add(d, m->file, b->chain->match_mark,
		            "%s (match '%s') and %s (line %u, match '%s') overlap on port %s and "
		            "neither match contains the other: make the matches disjoint, or one "
		            "strictly inside the other with the same 'from'",
		            lb, mb, la, a->chain->mark.line, ma, pl);
	else
		qv_diag_add(
		    d, m->file, b->chain->match_mark,
		    "%s (match '%s') and %s (line %u, match '%s') meet on port %s, where the "
		    "narrower match would take the wider one's packets: they enter at "
		    "different ports ('%s' and '%s'); make the matches disjoint, or give the "
		    "chains their own VNFs",
		    lb, mb, la, a->chain->mark.line, ma, pl, b->stages[0].in[0].name,
		    a->stages[0].in[0].name);
}

size_t qv_flows_check(const struct qv_model *m, const struct qv_flows *f, struct qv_diags *d)
{
	size_t errors = 0;

	for (size_t j = 0; j < f->n; j++) {
		for (size_t i = 0; i < j; i++) {
			const struct qv_flow *a = &f->v[i], *b = &f->v[j];
			const struct qv_flow_port *port = shared_port(a, b);
			if (port == NULL)
				continue;
			enum qv_match_rel rel = qv_match_relation(&a->match, &b->match);
			bool same_ingress =
			    strcmp(a->stages[0].in[0].name, b->stages[0].in[0].name) == 0;
			if (rel == QV_REL_DISJOINT ||
			    (same_ingress && (rel == QV_REL_INSIDE || rel == QV_REL_CONTAINS)))
				continue;
			report(m, a, b, port, rel, d);
			errors++;
		}
	}
	return errors;
}

void qv_flows_level(struct qv_flows *f)
{
	bool changed = true;

	for (size_t i = 0; i < f->n; i++)
		f->v[i].level = 0;
	/* Strict nesting is acyclic, so this settles within n rounds. */
	for (size_t round = 0; changed && round <= f->n; round++) {
		changed = false;
		for (size_t j = 0; j < f->n; j++) {
			for (size_t i = 0; i < f->n; i++) {
				struct qv_flow *a = &f->v[i], *b = &f->v[j];
				if (i == j || b->level > a->level ||
				    qv_match_relation(&b->match, &a->match) != QV_REL_INSIDE ||
				    !shared_port(a, b))
					continue;
				b->level = a->level + 1;
				changed = true;
			}
		}
	}
}
