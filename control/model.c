/* qwikvirt: ownership and lookups of the service model (see model.h). The loader fills it;
 * everything here is plain data handling. */
#include "control/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_hop(struct qv_model_hop *h)
{
	for (size_t i = 0; i < h->n_members; i++)
		free(h->members[i].name);
	free(h->members);
	free(h->in);
	free(h->out);
}

void qv_model_free(struct qv_model *m)
{
	if (m == NULL)
		return;
	free(m->file);
	free(m->sw.pmd_cores);
	free(m->sw.socket_dir);
	free(m->sw.control_socket);
	for (size_t i = 0; i < m->n_ports; i++) {
		struct qv_model_port *p = &m->ports[i];
		free(p->name);
		free(p->pci);
		free(p->pf);
		free(p->devargs);
		free(p->path);
		free(p->vf_mac);
	}
	free(m->ports);
	for (size_t i = 0; i < m->n_vnfs; i++) {
		struct qv_model_vnf *v = &m->vnfs[i];
		free(v->name);
		for (size_t j = 0; j < v->n_ifaces; j++)
			free(v->ifaces[j].name);
		free(v->ifaces);
		free(v->image);
		free(v->kernel);
		free(v->initrd);
		free(v->cmdline);
		for (size_t j = 0; j < v->n_vfs; j++)
			free(v->vfs[j].name);
		free(v->vfs);
	}
	free(m->vnfs);
	for (size_t i = 0; i < m->n_chains; i++) {
		struct qv_model_chain *c = &m->chains[i];
		free(c->name);
		free(c->from);
		free(c->to);
		for (size_t j = 0; j < c->n_hops; j++)
			free_hop(&c->hops[j]);
		free(c->hops);
	}
	free(m->chains);
	free(m);
}

const struct qv_model_port *qv_model_port_find(const struct qv_model *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_ports; i++) {
		if (m->ports[i].name && strcmp(m->ports[i].name, name) == 0)
			return &m->ports[i];
	}
	return NULL;
}

const struct qv_model_vnf *qv_model_vnf_find(const struct qv_model *m, const char *name)
{
	for (size_t i = 0; name && i < m->n_vnfs; i++) {
		if (m->vnfs[i].name && strcmp(m->vnfs[i].name, name) == 0)
			return &m->vnfs[i];
	}
	return NULL;
}

const struct qv_model_vnf *qv_model_vf_owner(const struct qv_model *m, const char *port,
                                             struct qv_mark *at)
{
	const struct qv_model_port *p = qv_model_port_find(m, port);

	for (size_t i = 0; p && p->type == QV_PORT_VF && i < m->n_vnfs; i++)
		for (size_t j = 0; j < m->vnfs[i].n_vfs; j++)
			if (m->vnfs[i].vfs[j].name && strcmp(m->vnfs[i].vfs[j].name, port) == 0) {
				if (at)
					*at = m->vnfs[i].vfs[j].mark;
				return &m->vnfs[i];
			}
	return NULL;
}

int qv_model_vnf_port_name(const char *vnf, unsigned instance, const char *iface, char *buf,
                           size_t len)
{
	int n = snprintf(buf, len, "%s-%u-%s", vnf, instance, iface);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* Does a VNF before vnfs[j] (another name) make switch port `port`? Then *a, *inst, *f say how. */
static bool made_before(const struct qv_model *m, size_t j, const char *port,
                        const struct qv_model_vnf **a, unsigned *inst,
                        const struct qv_model_iface **f)
{
	char name[64];

	for (size_t i = 0; i < j; i++) {
		*a = &m->vnfs[i];
		if (!(*a)->name || strcmp((*a)->name, m->vnfs[j].name) == 0)
			continue; /* a duplicate VNF: said elsewhere */
		for (size_t x = 0; x < (*a)->n_ifaces; x++)
			for (*inst = 0; *inst < (*a)->instances; (*inst)++) {
				*f = &(*a)->ifaces[x];
				if ((*f)->name &&
				    qv_model_vnf_port_name((*a)->name, *inst, (*f)->name, name,
				                           sizeof(name)) >= 0 &&
				    strcmp(name, port) == 0)
					return true;
			}
	}
	return false;
}

/* Names are joined with '-' and may hold '-' themselves, so two VNFs can make one port: VNF
 * "a" interface "0-in" and VNF "a-0" interface "in" both make "a-0-0-in". */
size_t qv_model_check_port_names(const struct qv_model *m, struct qv_diags *d)
{
	const struct qv_model_vnf *a;
	const struct qv_model_iface *f;
	char port[64];
	size_t errors = 0;
	unsigned ai;

	for (size_t j = 0; j < m->n_vnfs; j++) {
		const struct qv_model_vnf *b = &m->vnfs[j];

		for (size_t y = 0; b->name && y < b->n_ifaces; y++)
			for (unsigned bi = 0; b->ifaces[y].name && bi < b->instances; bi++) {
				if (qv_model_vnf_port_name(b->name, bi, b->ifaces[y].name, port,
				                           sizeof(port)) < 0 ||
				    !made_before(m, j, port, &a, &ai, &f))
					continue;
				qv_diag_add(d, m->file, b->ifaces[y].mark,
				            "VNF '%s' instance %u interface '%s' makes switch port "
				            "'%s', which VNF '%s' instance %u interface '%s' "
				            "(%s:%u:%u) makes too: rename a VNF or an interface",
				            b->name, bi, b->ifaces[y].name, port, a->name, ai,
				            f->name, m->file, f->mark.line, f->mark.col);
				errors++;
				break; /* one error per interface */
			}
	}
	return errors;
}

const char *qv_port_type_name(enum qv_port_type t)
{
	static const char *const names[] = {[QV_PORT_PHY] = "phy",
	                                    [QV_PORT_VF] = "vf",
	                                    [QV_PORT_VHOST] = "vhost",
	                                    [QV_PORT_VDEV] = "vdev"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}
