/* qwikvirt: placement for qv-controld: the model's NIC/VF ports, the switch's PMD cores and
 * every VNF instance become a placement request on the host topology (or --topology). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/placement/placement.h"
#include "control/rpc/rpc.h"

/* Hosts with this many cores or fewer let VNF vCPUs share core 0 (placement.h). */
#define SMALL_HOST_CORES 4

static bool is_nic(const struct qv_model *m, const char *port)
{
	const struct qv_model_port *p = qv_model_port_find(m, port);

	return p && (p->type == QV_PORT_PHY || p->type == QV_PORT_VF);
}

static bool chain_uses(const struct qv_model_chain *ch, const char *vnf)
{
	for (size_t j = 0; j < ch->n_hops; j++)
		for (size_t k = 0; k < ch->hops[j].n_members; k++)
			if (strcmp(ch->hops[j].members[k].name, vnf) == 0)
				return true;
	return false;
}

/* PMD CPUs: the file's switch.pmd-cores, else what the running switch polls on. */
static size_t pmd_cpus(struct qv_controld *c, const struct qv_model *m, unsigned *out, size_t max)
{
	json_t *r = NULL, *v;
	size_t n = 0, i;
	int code;
	char err[256];

	for (i = 0; i < m->sw.n_pmd_cores && n < max; i++)
		out[n++] = m->sw.pmd_cores[i];
	if (n)
		return n;
	if (qv_rpc_call(c->switch_sock, "pmd.show", NULL, c->rpc_timeout_ms, &r, &code, err,
	                sizeof(err)) != 0)
		return 0;
	json_array_foreach(json_object_get(r, "pmds"), i,
	                   v) if (n < max && json_is_integer(json_object_get(v, "core"))) out[n++] =
	    (unsigned)json_integer_value(json_object_get(v, "core"));
	json_decref(r);
	return n;
}

struct qv_placement *qv_cd_place(struct qv_controld *c, const struct qv_model *m, char *err,
                                 size_t errlen)
{
	struct qv_place_nic nics[64];
	struct qv_place_vnf *vnfs;
	const char **names;
	char(*vname)[QV_VM_NAME_MAX];
	unsigned pmds[64];
	size_t n_nics = 0, n_vnfs = 0, total = 0;
	struct qv_place_request rq = {0};
	struct qv_placement *p = NULL;

	if (!c->topo && qv_topo_load(c->vm.topology, &c->topo, err, errlen) != 0)
		return NULL;
	for (size_t i = 0; i < m->n_ports && n_nics < 64; i++)
		if (m->ports[i].type == QV_PORT_PHY || m->ports[i].type == QV_PORT_VF)
			nics[n_nics++] = (struct qv_place_nic){
			    m->ports[i].name,
			    m->ports[i].type == QV_PORT_PHY ? m->ports[i].pci : m->ports[i].pf,
			    QV_PLACE_NUMA_AUTO};
	for (size_t i = 0; i < m->n_vnfs; i++)
		total += m->vnfs[i].instances;
	vnfs = calloc(total + 1, sizeof(*vnfs));
	vname = calloc(total + 1, sizeof(*vname));
	names = calloc(m->n_vnfs * (m->n_chains * 2 + QV_MODEL_MAX_VFS) + 1, sizeof(*names));
	if (!vnfs || !vname || !names) {
		snprintf(err, errlen, "placement: out of memory");
		goto out;
	}
	for (size_t i = 0, k = 0; i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];
		const char **ports = names + k;
		size_t np = 0;

		for (size_t j = 0; j < m->n_chains; j++) {
			if (!chain_uses(&m->chains[j], v->name))
				continue;
			if (is_nic(m, m->chains[j].from))
				ports[np++] = m->chains[j].from;
			if (is_nic(m, m->chains[j].to))
				ports[np++] = m->chains[j].to;
		}
		for (size_t j = 0; j < v->n_vfs; j++) /* its own VFs: the VM is their user */
			ports[np++] = v->vfs[j].name;
		/* a port named twice is one port */
		for (size_t a = 0; a < np; a++)
			for (size_t b = a + 1; b < np; b++)
				if (strcmp(ports[a], ports[b]) == 0)
					ports[b--] = ports[--np];
		k += np;
		for (unsigned inst = 0; inst < v->instances; inst++, n_vnfs++) {
			snprintf(vname[n_vnfs], sizeof(vname[0]), "%s%s-%u", c->vm.prefix, v->name,
			         inst);
			vnfs[n_vnfs] = (struct qv_place_vnf){
			    vname[n_vnfs], v->vcpus, v->memory >> 20, ports, np, v->numa};
		}
	}
	rq.nics = nics;
	rq.n_nics = n_nics;
	rq.pmd_cpus = pmds;
	rq.n_pmd_cpus = pmd_cpus(c, m, pmds, 64);
	rq.n_pmd = rq.n_pmd_cpus ? 0 : 1;
	rq.vnfs = vnfs;
	rq.n_vnfs = n_vnfs;
	rq.share_core0 = qv_topo_n_cores(c->topo) <= SMALL_HOST_CORES;
	rq.sysfs_root = c->vm.sysfs_root;
	if (qv_place(c->topo, &rq, &p, err, errlen) != 0)
		p = NULL;
out:
	free(vnfs);
	free(vname);
	free(names);
	return p;
}
