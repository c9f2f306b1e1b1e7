/* qwikvirt: qv_place(): checks the request, finds the NICs' nodes, then places PMDs and VNFs
 * (place_pmd.c, place_vnf.c), gathering every error before giving up. */
#include "control/placement/place_int.h"
#include "control/placement/nic_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_request(struct qv_place_ctx *c)
{
	const struct qv_place_request *rq = c->rq;

	for (size_t i = 0; i < rq->n_nics; i++) {
		const char *name = rq->nics[i].name;

		if (name == NULL || name[0] == '\0')
			qv_place_err(c, "NIC %zu has no name: give every NIC its port name", i);
		else if (qv_place_nic_index(c, name) != (int)i)
			qv_place_err(c, "NIC %s is given twice: list each port once", name);
	}
	for (size_t i = 0; i < rq->n_vnfs; i++) {
		const struct qv_place_vnf *v = &rq->vnfs[i];

		if (v->name == NULL || v->name[0] == '\0') {
			qv_place_err(c, "VNF %zu has no name: give every VNF instance its name", i);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (rq->vnfs[j].name && strcmp(rq->vnfs[j].name, v->name) == 0)
				qv_place_err(c, "VNF %s is given twice: name each instance once",
				             v->name);
		if (v->vcpus == 0)
			qv_place_err(c, "VNF %s has 0 vCPUs: give it at least 1", v->name);
		if (v->memory_mib == 0)
			qv_place_err(c, "VNF %s has no memory: give it at least 1 MiB", v->name);
		for (size_t j = 0; j < v->n_ports; j++)
			if (v->ports[j] == NULL || qv_place_nic_index(c, v->ports[j]) < 0)
				qv_place_err(
				    c,
				    "VNF %s uses port %s, which is not among the NICs given "
				    "to placement: pass only NIC and VF ports, and all of them",
				    v->name, v->ports[j] ? v->ports[j] : "(null)");
	}
}

static int nic_nodes(struct qv_place_ctx *c)
{
	const char *root = c->rq->sysfs_root ? c->rq->sysfs_root : "/sys";
	char why[640], one[512];

	for (size_t i = 0; i < c->rq->n_nics; i++) {
		const struct qv_place_nic *n = &c->rq->nics[i];
		struct qv_place_nic_result *r = &c->p->nics[i];

		one[0] = '\0';
		if (qv_nic_node(c->t, n, root, &r->node, why, sizeof(why), one, sizeof(one)) < 0) {
			qv_place_err(c, "%s", one);
			continue;
		}
		qv_place_line(c, "NIC %s%s%s%s: node %d, %s", n->name, n->pci ? " (" : "",
		              n->pci ? n->pci : "", n->pci ? ")" : "", r->node, why);
	}
	return c->n_err ? -1 : 0;
}

static int copy_names(struct qv_place_ctx *c)
{
	struct qv_placement *p = c->p;

	p->nics = calloc(c->rq->n_nics + 1, sizeof(*p->nics));
	p->vnfs = calloc(c->rq->n_vnfs + 1, sizeof(*p->vnfs));
	if (p->nics == NULL || p->vnfs == NULL)
		return -1;
	p->n_nics = c->rq->n_nics;
	p->n_vnfs = c->rq->n_vnfs;
	for (size_t i = 0; i < p->n_nics; i++) {
		const struct qv_place_nic *n = &c->rq->nics[i];

		p->nics[i].name = strdup(n->name);
		p->nics[i].pci = n->pci ? strdup(n->pci) : NULL;
		if (p->nics[i].name == NULL || (n->pci && p->nics[i].pci == NULL))
			return -1;
	}
	for (size_t i = 0; i < p->n_vnfs; i++)
		if ((p->vnfs[i].name = strdup(c->rq->vnfs[i].name)) == NULL)
			return -1;
	return 0;
}

static void core0_line(struct qv_place_ctx *c)
{
	const struct qv_core *c0 = &c->t->cores[c->t->core0];
	char *l = qv_place_list(c0->cpus);

	c->use[c->t->core0] = QV_USE_HOUSE;
	qv_place_line(c,
	              "core %u (CPU%s %s, node %d): the control plane's and node %d's emulator "
	              "threads; never a PMD%s",
	              c0->idx, l && strpbrk(l, ",-") ? "s" : "", l ? l : "?", c0->node, c0->node,
	              c->rq->share_core0 ? "; vCPUs only when their node has no free core left"
	                                 : " nor a vCPU");
	free(l);
}

int qv_place(const struct qv_topo *t, const struct qv_place_request *rq, struct qv_placement **out,
             char *err, size_t errlen)
{
	struct qv_place_ctx c = {.t = t, .rq = rq, .err = err, .errlen = errlen};
	char sum[512];

	*out = NULL;
	err[0] = '\0';
	c.p = calloc(1, sizeof(*c.p));
	c.use = calloc(t->n_cores, sizeof(*c.use));
	c.vnf_node = calloc(rq->n_vnfs + 1, sizeof(*c.vnf_node));
	if (c.p == NULL || c.use == NULL || c.vnf_node == NULL)
		goto oom;
	check_request(&c);
	if (c.n_err)
		goto fail;
	if (copy_names(&c) < 0)
		goto oom;
	qv_topo_summary(t, sum, sizeof(sum));
	qv_place_line(&c, "host: %s", sum);
	if (nic_nodes(&c) < 0)
		goto fail;
	core0_line(&c);
	if (qv_place_pmds(&c) < 0 || qv_place_vnfs(&c) < 0 || c.oom)
		goto oom;
	if (c.n_err)
		goto fail;
	free(c.use);
	free(c.vnf_node);
	*out = c.p;
	return 0;
oom:
	snprintf(err, errlen, "placement: out of memory");
fail:
	qv_placement_free(c.p);
	free(c.use);
	free(c.vnf_node);
	return -1;
}
