/* qwikvirt: whole-model checks of a service definition: unique names and devices, references
 * to ports, VNFs and interfaces, and chains that would take each other's packets. */
#include <stdio.h>
#include <string.h>

#include "control/chain_flow.h"
#include "control/model.h"

/* "uplink0, uplink1, ..." for "(declared: ...)" hints; "none" for an empty list. */
static void join_names(char *buf, size_t len, size_t n, const char *(*get)(const void *, size_t),
                       const void *arr)
{
	size_t pos = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < n && pos + 8 < len; i++) {
		const char *s = get(arr, i);
		if (s)
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", s);
	}
	if (pos >= len)
		snprintf(buf + len - 5, 5, "...");
}

static const char *port_name_at(const void *arr, size_t i)
{
	return ((const struct qv_model_port *)arr)[i].name;
}

static const char *vnf_name_at(const void *arr, size_t i)
{
	return ((const struct qv_model_vnf *)arr)[i].name;
}

static const char *iface_name_at(const void *arr, size_t i)
{
	return ((const struct qv_model_iface *)arr)[i].name;
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* ---- names and devices ---- */

static size_t check_ports(const struct qv_model *m, struct qv_diags *d)
{
	size_t errors = 0;

	for (size_t j = 0; j < m->n_ports; j++) {
		const struct qv_model_port *b = &m->ports[j];
		for (size_t i = 0; i < j; i++) {
			const struct qv_model_port *a = &m->ports[i];
			const char *what = NULL;
			if (same(a->name, b->name))
				what = "name";
			else if (a->type == b->type && same(a->pci, b->pci))
				what = "pci address";
			else if (a->type == b->type && same(a->pf, b->pf) && a->vf == b->vf)
				what = "pf and vf";
			else if (a->type == b->type && same(a->path, b->path))
				what = "socket path";
			if (what == NULL)
				continue;
			qv_diag_add(
			    d, m->file, b->mark,
			    "duplicate port %s: port '%s' has the same %s as port '%s' (line "
			    "%u); expected each port once",
			    what, b->name ? b->name : "?", what, a->name ? a->name : "?",
			    a->mark.line);
			errors++;
			break;
		}
	}
	return errors;
}

/* VNF interfaces become switch ports "<vnf>-<instance>-<iface>", which must fit the switch's
 * port names and not collide with another port. */
static size_t check_vnf_ports(const struct qv_model *m, struct qv_diags *d)
{
	size_t errors = 0;

	for (size_t j = 0; j < m->n_vnfs; j++) {
		const struct qv_model_vnf *v = &m->vnfs[j];
		for (size_t i = 0; i < j; i++) {
			if (same(m->vnfs[i].name, v->name)) {
				qv_diag_add(
				    d, m->file, v->mark,
				    "duplicate VNF name '%s' (first at line %u): expected each "
				    "VNF once (use 'instances' for copies)",
				    v->name, m->vnfs[i].mark.line);
				errors++;
			}
		}
		if (v->name == NULL)
			continue;
		for (size_t k = 0; k < v->n_ifaces; k++) {
			char name[64];
			int n = qv_model_vnf_port_name(v->name, qv_model_vnf_most(v) - 1u,
			                               v->ifaces[k].name, name, sizeof(name));
			if (n < 0 || n >= QV_PORT_NAME_MAX) {
				qv_diag_add(
				    d, m->file, v->ifaces[k].mark,
				    "VNF '%s' interface '%s' makes switch port '%s', longer than "
				    "%d characters: shorten the VNF or interface name",
				    v->name, v->ifaces[k].name, name, QV_PORT_NAME_MAX - 1);
				errors++;
				continue;
			}
			for (unsigned inst = 0; inst < qv_model_vnf_most(v); inst++) {
				qv_model_vnf_port_name(v->name, inst, v->ifaces[k].name, name,
				                       sizeof(name));
				const struct qv_model_port *p = qv_model_port_find(m, name);
				if (p == NULL)
					continue;
				qv_diag_add(
				    d, m->file, v->ifaces[k].mark,
				    "VNF '%s' instance %u interface '%s' makes switch port '%s', "
				    "which port '%s' (line %u) already names: rename one of them",
				    v->name, inst, v->ifaces[k].name, name, name, p->mark.line);
				errors++;
			}
		}
	}
	return errors;
}

/* ---- VFs handed to VNFs ---- */

/* A VNF's `vfs` must name ports of type vf, each taken by one VM: one VNF, one instance. */
static size_t check_vfs(const struct qv_model *m, struct qv_diags *d)
{
	char names[200];
	size_t errors = 0;

	for (size_t i = 0; i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];

		if (v->n_vfs && qv_model_vnf_most(v) > 1) {
			qv_diag_add(
			    d, m->file, v->vfs[0].mark,
			    "VNF '%s' has 'vfs' and instances: %u: a VF is one device and "
			    "goes to one VM; expected instances: 1 (declare one VNF per VF)",
			    v->name ? v->name : "?", qv_model_vnf_most(v));
			errors++;
		}
		for (size_t j = 0; j < v->n_vfs; j++) {
			const struct qv_model_ref *r = &v->vfs[j];
			const struct qv_model_port *p = qv_model_port_find(m, r->name);
			struct qv_mark first;
			const struct qv_model_vnf *owner = qv_model_vf_owner(m, r->name, &first);

			if (!p) {
				join_names(names, sizeof(names), m->n_ports, port_name_at,
				           m->ports);
				qv_diag_add(d, m->file, r->mark,
				            "unknown port '%s' in 'vfs' of VNF '%s' (declared: %s)",
				            r->name, v->name ? v->name : "?", names);
			} else if (p->type != QV_PORT_VF) {
				qv_diag_add(
				    d, m->file, r->mark,
				    "port '%s' in 'vfs' of VNF '%s' is of type %s, expected a "
				    "port of type vf: only an SR-IOV VF can be handed to a VM",
				    r->name, v->name ? v->name : "?", qv_port_type_name(p->type));
			} else if (first.line != r->mark.line || first.col != r->mark.col) {
				qv_diag_add(
				    d, m->file, r->mark,
				    "VF port '%s' is already handed to VNF '%s' (line %u): a VF "
				    "goes to one VM",
				    r->name, owner->name ? owner->name : "?", first.line);
			} else if (p->bw_mark.line) {
				qv_diag_add(
				    d, m->file, p->bw_mark,
				    "port '%s' has a 'bandwidth' but is the VF handed to VNF '%s' "
				    "(its 'vfs', line %u): its traffic does not cross the switch, "
				    "which cannot police it; limit the VF on its PF (ip link set "
				    "PF "
				    "vf N max_tx_rate) instead",
				    r->name, v->name ? v->name : "?", r->mark.line);
			} else {
				continue;
			}
			errors++;
		}
	}
	return errors;
}

/* ---- chains ---- */

static size_t check_endpoint(const struct qv_model *m, const struct qv_model_chain *c,
                             const char *key, const char *name, struct qv_mark at,
                             struct qv_diags *d)
{
	char names[200];
	struct qv_mark given;
	const struct qv_model_vnf *owner;

	if (name && qv_model_port_find(m, name) && (owner = qv_model_vf_owner(m, name, &given))) {
		qv_diag_add(d, m->file, at,
		            "port '%s' in '%s' of chain '%s' is the VF handed to VNF '%s' (its "
		            "'vfs', line %u): the VM owns that device, not the switch",
		            name, key, c->name ? c->name : "?", owner->name ? owner->name : "?",
		            given.line);
		return 1;
	}
	if (name == NULL || qv_model_port_find(m, name))
		return 0;
	join_names(names, sizeof(names), m->n_ports, port_name_at, m->ports);
	if (qv_model_vnf_find(m, name))
		qv_diag_add(d, m->file, at,
		            "'%s' of chain '%s' is VNF '%s', expected a port (declared: %s): VNFs "
		            "go in 'hops'",
		            key, c->name ? c->name : "?", name, names);
	else
		qv_diag_add(d, m->file, at,
		            "unknown port '%s' in '%s' of chain '%s' (declared: %s)", name, key,
		            c->name ? c->name : "?", names);
	return 1;
}

static size_t check_iface(const struct qv_model *m, const struct qv_model_chain *c, size_t h,
                          const struct qv_model_vnf *v, const char *iface, struct qv_mark at,
                          struct qv_diags *d)
{
	char names[200];

	for (size_t i = 0; i < v->n_ifaces; i++) {
		if (same(v->ifaces[i].name, iface))
			return 0;
	}
	join_names(names, sizeof(names), v->n_ifaces, iface_name_at, v->ifaces);
	qv_diag_add(d, m->file, at,
	            "VNF '%s' has no interface '%s' (hop %zu of chain '%s' enters by '%s' and "
	            "leaves by '%s'; its interfaces: %s): name them with {vnf: %s, in: IFACE, "
	            "out: IFACE}, or declare '%s'",
	            v->name, iface, h + 1, c->name ? c->name : "?", c->hops[h].in, c->hops[h].out,
	            names, v->name, iface);
	return 1;
}

static size_t check_hop(const struct qv_model *m, const struct qv_model_chain *c, size_t h,
                        struct qv_diags *d)
{
	const struct qv_model_hop *hop = &c->hops[h];
	const char *cname = c->name ? c->name : "?";
	size_t errors = 0, instances = 0;
	char names[200];

	if (same(hop->in, hop->out)) {
		qv_diag_add(d, m->file, hop->out_mark,
		            "hop %zu of chain '%s' enters and leaves by the same interface '%s': "
		            "expected two different interfaces ('in' and 'out')",
		            h + 1, cname, hop->in);
		errors++;
	}
	for (size_t k = 0; k < hop->n_members; k++) {
		const struct qv_model_ref *r = &hop->members[k];
		const struct qv_model_vnf *v = qv_model_vnf_find(m, r->name);
		if (v == NULL) {
			join_names(names, sizeof(names), m->n_vnfs, vnf_name_at, m->vnfs);
			qv_diag_add(d, m->file, r->mark,
			            "unknown VNF '%s' in hop %zu of chain '%s' (declared: %s)",
			            r->name, h + 1, cname, names);
			errors++;
			continue;
		}
		instances += qv_model_vnf_most(v); /* a scaling VNF's group may grow to max */
		/* Defaulted interfaces are reported at the VNF's name. */
		bool in_given = memcmp(&hop->in_mark, &hop->mark, sizeof(hop->mark)) != 0;
		bool out_given = memcmp(&hop->out_mark, &hop->mark, sizeof(hop->mark)) != 0;
		errors += check_iface(m, c, h, v, hop->in, in_given ? hop->in_mark : r->mark, d);
		if (!same(hop->in, hop->out))
			errors += check_iface(m, c, h, v, hop->out,
			                      out_given ? hop->out_mark : r->mark, d);
		for (size_t h2 = 0; h2 <= h; h2++) {
			for (size_t k2 = 0; k2 < c->hops[h2].n_members; k2++) {
				if ((h2 == h && k2 >= k) ||
				    !same(c->hops[h2].members[k2].name, r->name))
					continue;
				qv_diag_add(
				    d, m->file, r->mark,
				    "VNF '%s' is twice in chain '%s' (first in hop %zu): a chain "
				    "passes each VNF once",
				    r->name, cname, h2 + 1);
				errors++;
				h2 = h + 1;
				break;
			}
		}
	}
	if (instances > QV_MAX_ACTIONS) {
		qv_diag_add(
		    d, m->file, hop->mark,
		    "hop %zu of chain '%s' balances over %zu VNF instances, expected at most "
		    "%d",
		    h + 1, cname, instances, QV_MAX_ACTIONS);
		errors++;
	}
	return errors;
}

static size_t check_chains(const struct qv_model *m, struct qv_diags *d)
{
	size_t errors = 0;

	for (size_t j = 0; j < m->n_chains; j++) {
		const struct qv_model_chain *c = &m->chains[j];
		for (size_t i = 0; i < j; i++) {
			if (same(m->chains[i].name, c->name)) {
				qv_diag_add(
				    d, m->file, c->mark,
				    "duplicate chain name '%s' (first at line %u): expected each "
				    "chain once",
				    c->name, m->chains[i].mark.line);
				errors++;
			}
		}
		errors += check_endpoint(m, c, "from", c->from, c->from_mark, d);
		errors += check_endpoint(m, c, "to", c->to, c->to_mark, d);
		for (size_t h = 0; h < c->n_hops; h++)
			errors += check_hop(m, c, h, d);
	}
	return errors;
}

size_t qv_model_validate(const struct qv_model *m, struct qv_diags *d)
{
	size_t errors = check_ports(m, d) + check_vnf_ports(m, d) +
	                qv_model_check_port_names(m, d) + check_vfs(m, d) + check_chains(m, d);
	struct qv_flows flows;

	if (qv_flows_build(m, &flows) < 0) {
		qv_diag_add(d, m->file, (struct qv_mark){0, 0}, "out of memory checking chains");
		return errors + 1;
	}
	errors += qv_flows_check(m, &flows, d);
	qv_flows_free(&flows);
	return errors;
}
