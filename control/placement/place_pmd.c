/* qwikvirt: PMD cores: whole cores on the NICs' nodes (a remote NIC costs a node crossing per
 * packet), never core 0, siblings idle so no vCPU shares a PMD's core. */
#include "control/placement/place_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "uplink1 (0000:81:00.0), uplink2" for the NICs on `node`; "" when none. */
static void nics_on(const struct qv_place_ctx *c, int node, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->p->n_nics && used + 1 < len; i++) {
		const struct qv_place_nic_result *n = &c->p->nics[i];

		if (n->node != node)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s%s", used ? ", " : "",
		                         n->name, n->pci ? " (" : "", n->pci ? n->pci : "",
		                         n->pci ? ")" : "");
	}
}

static int add_pmd(struct qv_place_ctx *c, unsigned cpu)
{
	struct qv_placement *p = c->p;
	unsigned *v = realloc(p->pmd_cpus, (p->n_pmd + 1) * sizeof(*v));
	size_t i;

	if (v == NULL) {
		c->oom = true;
		return -1;
	}
	p->pmd_cpus = v;
	for (i = p->n_pmd; i > 0 && v[i - 1] > cpu; i--)
		v[i] = v[i - 1];
	v[i] = cpu;
	p->n_pmd++;
	return 0;
}

static int explicit_pmds(struct qv_place_ctx *c)
{
	const struct qv_topo *t = c->t;
	char *all = NULL;

	for (size_t i = 0; i < c->rq->n_pmd_cpus; i++) {
		unsigned cpu = c->rq->pmd_cpus[i];
		int k = qv_topo_cpu_core(t, cpu);
		bool dup = false;

		for (size_t j = 0; j < i; j++)
			dup |= c->rq->pmd_cpus[j] == cpu;
		if (k < 0) {
			hwloc_bitmap_t b = hwloc_bitmap_alloc();

			for (size_t j = 0; b != NULL && j < t->n_cores; j++)
				hwloc_bitmap_or(b, b, t->cores[j].cpus);
			all = b ? qv_place_list(b) : NULL;
			hwloc_bitmap_free(b);
			qv_place_err(
			    c,
			    "PMD CPU %u does not exist on this host (CPUs %s): choose one of "
			    "them",
			    cpu, all ? all : "?");
			free(all);
			all = NULL;
		} else if ((size_t)k == t->core0) {
			qv_place_err(c,
			             "PMD CPU %u is on core %u, kept for the control plane: choose "
			             "a CPU on another core",
			             cpu, t->cores[k].idx);
		} else if (dup) {
			qv_place_err(c, "PMD CPU %u is given twice: list each CPU once", cpu);
		} else {
			c->use[k] = QV_USE_PMD;
			if (add_pmd(c, cpu) < 0)
				return -1;
		}
	}
	return 0;
}

/* Takes the lowest free core of `node` (not core 0, which is never free); -1 when none. */
static int take_core(struct qv_place_ctx *c, int node)
{
	for (size_t i = 0; i < c->t->n_cores; i++) {
		if (c->t->cores[i].node == node && c->use[i] == QV_USE_FREE) {
			c->use[i] = QV_USE_PMD;
			return add_pmd(c, c->t->cores[i].first_cpu) < 0 ? -2 : (int)i;
		}
	}
	return -1;
}

/* n_pmd cores spread round-robin over the NICs' nodes (every node when there is no NIC). */
static int counted_pmds(struct qv_place_ctx *c)
{
	const struct qv_topo *t = c->t;
	int *nodes = calloc(t->n_nodes, sizeof(*nodes));
	size_t nn = 0;
	unsigned placed = 0;
	char list[256] = "";

	if (nodes == NULL) {
		c->oom = true;
		return -1;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		bool has = c->p->n_nics == 0;

		for (size_t j = 0; j < c->p->n_nics; j++)
			has |= c->p->nics[j].node == t->nodes[i].os;
		if (has) {
			nodes[nn++] = t->nodes[i].os;
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
			         nn > 1 ? "," : "", t->nodes[i].os);
		}
	}
	while (placed < c->rq->n_pmd) {
		unsigned before = placed;

		for (size_t i = 0; i < nn && placed < c->rq->n_pmd; i++) {
			int k = take_core(c, nodes[i]);

			if (k == -2) {
				free(nodes);
				return -1;
			}
			placed += k >= 0;
		}
		if (placed == before)
			break;
	}
	free(nodes);
	if (placed < c->rq->n_pmd)
		qv_place_err(c,
		             "PMD cores: %u wanted, %s%s %s %s %u free core%s (core 0 is kept "
		             "for the control plane): %u short; ask for fewer PMD cores",
		             c->rq->n_pmd, c->p->n_nics ? "the NICs' node" : "node",
		             nn > 1 ? "s" : "", list, nn > 1 ? "have" : "has", placed,
		             placed == 1 ? "" : "s", c->rq->n_pmd - placed);
	return 0;
}

static void explain(struct qv_place_ctx *c)
{
	const struct qv_topo *t = c->t;
	char nics[512], why[600];

	for (size_t i = 0; i < c->p->n_pmd; i++) {
		unsigned cpu = c->p->pmd_cpus[i];
		const struct qv_core *core = &t->cores[qv_topo_cpu_core(t, cpu)];
		hwloc_bitmap_t idle = hwloc_bitmap_dup(core->cpus);
		char *sib = NULL;

		for (size_t j = 0; idle != NULL && j < c->p->n_pmd; j++)
			hwloc_bitmap_clr(idle, c->p->pmd_cpus[j]);
		if (idle != NULL && !hwloc_bitmap_iszero(idle))
			sib = qv_place_list(idle);
		hwloc_bitmap_free(idle);
		nics_on(c, core->node, nics, sizeof(nics));
		if (c->rq->n_pmd_cpus)
			snprintf(why, sizeof(why), "as configured%s%s", nics[0] ? "; NIC " : "",
			         nics);
		else if (nics[0])
			snprintf(why, sizeof(why), "the node of NIC %s", nics);
		else
			snprintf(why, sizeof(why), "no NIC given: lowest free core");
		qv_place_line(c, "PMD on CPU %u (core %u, node %d): %s%s%s%s", cpu, core->idx,
		              core->node, why, sib ? "; its sibling CPU " : "", sib ? sib : "",
		              sib ? " stays idle, so no vCPU shares the PMD's core" : "");
		free(sib);
	}
	/* A NIC node without a PMD still works, at a node crossing per packet: say so. */
	for (size_t i = 0; i < t->n_nodes && c->p->n_pmd > 0; i++) {
		bool has = false;

		for (size_t j = 0; j < c->p->n_pmd; j++)
			has |=
			    t->cores[qv_topo_cpu_core(t, c->p->pmd_cpus[j])].node == t->nodes[i].os;
		nics_on(c, t->nodes[i].os, nics, sizeof(nics));
		if (!has && nics[0])
			qv_place_line(c,
			              "no PMD on node %d: NIC %s is polled across nodes; add a PMD "
			              "core on node %d",
			              t->nodes[i].os, nics, t->nodes[i].os);
	}
}

int qv_place_pmds(struct qv_place_ctx *c)
{
	size_t len = 1, used = 0;

	if ((c->rq->n_pmd_cpus ? explicit_pmds(c) : counted_pmds(c)) < 0)
		return -1;
	len += c->p->n_pmd * 11;
	c->p->pmd_list = malloc(len);
	if (c->p->pmd_list == NULL) {
		c->oom = true;
		return -1;
	}
	c->p->pmd_list[0] = '\0';
	for (size_t i = 0; i < c->p->n_pmd; i++)
		used += (size_t)snprintf(c->p->pmd_list + used, len - used, "%s%u", i ? "," : "",
		                         c->p->pmd_cpus[i]);
	explain(c);
	return 0;
}
