/* qwikvirt: ports of type vf: the VF is looked up (and created through sysfs when the PF has
 * too few) so that the switch gets it as a DPDK port at the VF's PCI address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/sriov/sriov.h"

int qv_vf_resolve(const struct qv_controld *c, struct qv_switch_plan *plan, char *err,
                  size_t errlen)
{
	for (size_t i = 0; plan && i < plan->n_ports; i++) {
		struct qv_switch_port *p = &plan->ports[i];
		struct qv_sriov_pf pf;
		char pci[QV_PCI_LEN], e[400];

		if (p->type != QV_PORT_VF || p->devargs || !p->pf)
			continue;
		if (qv_sriov_pf_open(c->vm.sysfs_root, p->pf, &pf, e, sizeof(e)) != 0 ||
		    (pf.num_vfs <= p->vf &&
		     qv_sriov_set_numvfs(&pf, p->vf + 1u, e, sizeof(e)) != 0) ||
		    qv_sriov_vf_pci(&pf, p->vf, pci, e, sizeof(e)) != 0) {
			snprintf(err, errlen,
			         "port %s: VF %u of PF %s: %s (check the PF address and that its "
			         "driver supports SR-IOV)",
			         p->name, p->vf, p->pf, e);
			return -1;
		}
		p->devargs = strdup(pci);
		if (!p->devargs) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}
