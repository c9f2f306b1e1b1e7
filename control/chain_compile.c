/* qwikvirt: chains -> switch ports and flow rules (see chain_compile.h). Rules are built as
 * struct qv_rule and printed by the switch's own formatter, so they always parse back. */
#include "control/chain_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/chain_flow.h"
#include "lib/rule_syntax.h"

static void ports_free(struct qv_switch_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ports[i].path);
		free(ports[i].devargs);
		free(ports[i].pf);
		free(ports[i].vf_mac);
		free(ports[i].vnf);
		free(ports[i].iface);
	}
	free(ports);
}

void qv_switch_plan_free(struct qv_switch_plan *p)
{
	if (p == NULL)
		return;
	ports_free(p->ports, p->n_ports);
	ports_free(p->hostdevs, p->n_hostdevs);
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].text);
		free(p->rules[i].chain);
	}
	free(p->rules);
	free(p);
}

int qv_switch_plan_port(const struct qv_switch_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_ports; i++) {
		if (strcmp(p->ports[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* strdup that keeps NULL, and notes failures in *ok. */
static char *dup_or_null(const char *s, bool *ok)
{
	if (s == NULL)
		return NULL;
	char *d = strdup(s);
	if (d == NULL)
		*ok = false;
	return d;
}

static bool declared_port(const struct qv_model_port *mp, struct qv_switch_port *p)
{
	bool ok = true;

	snprintf(p->name, sizeof(p->name), "%s", mp->name);
	p->type = mp->type;
	p->vhost = mp->type == QV_PORT_VHOST;
	p->path = dup_or_null(mp->path, &ok);
	p->client = mp->client;
	p->vring_stats_off = mp->vring_stats_off;
	p->devargs = dup_or_null(mp->type == QV_PORT_PHY ? mp->pci : mp->devargs, &ok);
	p->pf = dup_or_null(mp->pf, &ok);
	p->vf = mp->vf;
	p->vf_mac = dup_or_null(mp->vf_mac, &ok);
	p->vf_vlan = mp->vf_vlan;
	p->vf_spoofchk = mp->vf_spoofchk;
	p->vf_trust = mp->vf_trust;
	p->queues = mp->queues;
	p->mtu = mp->mtu;
	p->dflt = mp->dflt;
	memcpy(p->police, mp->bw, sizeof(p->police));
	return ok;
}

static bool vnf_port(const struct qv_model *m, const struct qv_model_vnf *v, unsigned inst,
                     const char *iface, struct qv_switch_port *p)
{
	bool ok = true;

	qv_model_vnf_port_name(v->name, inst, iface, p->name, sizeof(p->name));
	p->type = QV_PORT_VHOST;
	p->vhost = true;
	if (asprintf(&p->path, "%s/%s.sock", m->sw.socket_dir ? m->sw.socket_dir : "/run/qwikvirt",
	             p->name) < 0) {
		p->path = NULL;
		ok = false;
	}
	p->client = m->sw.vhost_client;
	p->queues = 1;
	p->mtu = v->mtu;
	p->vring_stats_off = v->vring_stats_off;
	p->dflt = QV_DEFAULT_DROP;
	p->vnf = dup_or_null(v->name, &ok);
	p->iface = dup_or_null(iface, &ok);
	p->instance = inst;
	return ok;
}

static int build_ports(const struct qv_model *m, struct qv_switch_plan *p)
{
	size_t n = m->n_ports;

	for (size_t i = 0; i < m->n_vnfs; i++)
		n += m->vnfs[i].instances * m->vnfs[i].n_ifaces;
	p->ports = calloc(n + 1, sizeof(*p->ports));
	p->hostdevs = calloc(m->n_ports + 1, sizeof(*p->hostdevs));
	if (p->ports == NULL || p->hostdevs == NULL)
		return -1;
	for (size_t i = 0; i < m->n_ports; i++) {
		const struct qv_model_vnf *owner = qv_model_vf_owner(m, m->ports[i].name, NULL);
		struct qv_switch_port *sp =
		    owner ? &p->hostdevs[p->n_hostdevs++] : &p->ports[p->n_ports++];
		bool ok = true;

		if (!declared_port(&m->ports[i], sp))
			return -1;
		if (owner && !(sp->vnf = dup_or_null(owner->name, &ok)))
			return -1;
	}
	for (size_t i = 0; i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];
		for (unsigned inst = 0; inst < v->instances; inst++) {
			for (size_t k = 0; k < v->n_ifaces; k++) {
				const struct qv_model_iface *mi = &v->ifaces[k];
				struct qv_switch_port *sp = &p->ports[p->n_ports++];

				if (!vnf_port(m, v, inst, mi->name, sp))
					return -1;
				memcpy(sp->police,
				       mi->bw[0].rate || mi->bw[1].rate ? mi->bw : v->bw,
				       sizeof(sp->police));
			}
		}
	}
	return 0;
}

static const char *plan_port_name(uint16_t index, void *ctx)
{
	const struct qv_switch_plan *p = ctx;
	return index < p->n_ports ? p->ports[index].name : NULL;
}

static int add_rule(const struct qv_model *m, struct qv_switch_plan *p, const struct qv_flow *f,
                    size_t stage, const struct qv_flow_port *in)
{
	const struct qv_flow_stage *st = &f->stages[stage];
	struct qv_switch_rule *out = &p->rules[p->n_rules];
	struct qv_rule r = {.priority = QV_CHAIN_PRIORITY_BASE + f->level, .match = f->match};
	char text[QV_RULE_TEXT_MAX + 1];

	r.match.fields |= QV_M_IN_PORT;
	r.match.in_port = (uint16_t)qv_switch_plan_port(p, in->name);
	/* One destination: output. Several (instances of a group): the switch picks one by the
	 * flow's symmetric hash, members listed in instance order in both directions. A VNF
	 * that scales is a group even alone, so that its flows are remembered (affinity) and
	 * stay where they are when an instance joins. */
	const struct qv_model_vnf *v1 =
	    st->out[0].vnf ? qv_model_vnf_find(m, st->out[0].vnf) : NULL;
	bool group = st->n_out > 1 || (v1 && v1->scaling.on && v1->scaling.max > 1);

	for (size_t i = 0; i < st->n_out; i++) {
		r.actions[r.n_actions].type = group ? QV_ACT_GROUP : QV_ACT_OUTPUT;
		r.actions[r.n_actions].arg = (uint16_t)qv_switch_plan_port(p, st->out[i].name);
		r.n_actions++;
	}
	if (qv_rule_format(&r, plan_port_name, p, text, sizeof(text)) < 0)
		return -1;
	out->text = strdup(text);
	out->chain = strdup(f->chain->name);
	out->priority = r.priority;
	out->reverse = f->reverse;
	out->stage = (unsigned)stage;
	snprintf(out->in_port, sizeof(out->in_port), "%s", in->name);
	p->n_rules++;
	return out->text && out->chain ? 0 : -1;
}

static int build_rules(const struct qv_model *m, struct qv_switch_plan *p,
                       const struct qv_flows *flows)
{
	size_t n = 0;

	for (size_t i = 0; i < flows->n; i++) {
		for (size_t s = 0; s < flows->v[i].n_stages; s++)
			n += flows->v[i].stages[s].n_in;
	}
	p->rules = calloc(n + 1, sizeof(*p->rules));
	if (p->rules == NULL)
		return -1;
	for (size_t i = 0; i < flows->n; i++) {
		const struct qv_flow *f = &flows->v[i];
		for (size_t s = 0; s < f->n_stages; s++) {
			for (size_t k = 0; k < f->stages[s].n_in; k++) {
				if (add_rule(m, p, f, s, &f->stages[s].in[k]) < 0)
					return -1;
			}
		}
	}
	return 0;
}

int qv_chain_compile(const struct qv_model *m, struct qv_switch_plan **out, char *err,
                     size_t errlen)
{
	struct qv_diags d;
	struct qv_flows flows = {0};
	struct qv_switch_plan *p;

	*out = NULL;
	qv_diags_init(&d);
	/* The compiler trusts the model's references; a model built in code may not have been
	 * through the loader, so check it here too. */
	if (qv_model_validate(m, &d) > 0 || qv_diags_count(&d) > 0) {
		snprintf(err, errlen, "the service definition has %zu errors, the first: %s",
		         qv_diags_count(&d), d.n ? d.v[0].text : "out of memory");
		qv_diags_free(&d);
		return -1;
	}
	qv_diags_free(&d);
	p = calloc(1, sizeof(*p));
	if (p == NULL || build_ports(m, p) < 0 || qv_flows_build(m, &flows) < 0)
		goto oom;
	qv_flows_level(&flows);
	if (build_rules(m, p, &flows) < 0)
		goto oom;
	qv_flows_free(&flows);
	*out = p;
	return 0;
oom:
	qv_flows_free(&flows);
	qv_switch_plan_free(p);
	snprintf(err, errlen, "out of memory compiling the chains");
	return -1;
}
