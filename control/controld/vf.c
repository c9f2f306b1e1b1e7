/* qwikvirt: ports of type vf: the VF is looked up (and created through sysfs when the PF has
 * too few), its settings (MAC, VLAN, spoof check, trust) applied through the PF's netdev, and
 * its PCI address given to the switch (a DPDK port) or to the VM of the VNF that takes it (a
 * libvirt hostdev). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/sriov/sriov.h"

static bool has_settings(const struct qv_switch_port *p)
{
	return p->vf_mac || p->vf_vlan != QV_MODEL_UNSET || p->vf_spoofchk != QV_MODEL_UNSET ||
	       p->vf_trust != QV_MODEL_UNSET;
}

static int configure(const struct qv_switch_port *p, const struct qv_sriov_pf *pf, char *err,
                     size_t errlen)
{
	struct qv_sriov_vf_config cfg = {.vlan = p->vf_vlan,
	                                 .qos = QV_VF_KEEP,
	                                 .spoofchk = p->vf_spoofchk,
	                                 .trust = p->vf_trust};
	unsigned b[6];

	if (!pf->netdev[0]) {
		snprintf(err, errlen,
		         "PF %s VF %u: the PF has no network interface (is it bound to its kernel "
		         "driver?), so mac, vlan, spoof-check and trust cannot be set",
		         pf->pci, p->vf);
		return -1;
	}
	if (p->vf_mac) {
		/* the loader checked the form */
		sscanf(p->vf_mac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
		cfg.set_mac = true;
		for (int i = 0; i < 6; i++)
			cfg.mac[i] = (uint8_t)b[i];
	}
	return qv_sriov_vf_configure(pf->netdev, pf->pci, p->vf, &cfg, err, errlen);
}

static int resolve(const struct qv_controld *c, struct qv_switch_port *p, char *err, size_t errlen)
{
	struct qv_sriov_pf pf;
	char pci[QV_PCI_LEN], e[400];

	if (p->type != QV_PORT_VF || p->devargs || !p->pf)
		return 0;
	if (qv_sriov_pf_open(c->vm.sysfs_root, p->pf, &pf, e, sizeof(e)) != 0 ||
	    (pf.num_vfs <= p->vf && qv_sriov_set_numvfs(&pf, p->vf + 1u, e, sizeof(e)) != 0) ||
	    qv_sriov_vf_pci(&pf, p->vf, pci, e, sizeof(e)) != 0) {
		snprintf(err, errlen,
		         "port %s: VF %u of PF %s: %s (check the PF address and that its driver "
		         "supports SR-IOV)",
		         p->name, p->vf, p->pf, e);
		return -1;
	}
	if (has_settings(p) && configure(p, &pf, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "port %s: %s", p->name, e); /* e names the PF and VF */
		return -1;
	}
	if (!(p->devargs = strdup(pci))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int qv_vf_resolve(const struct qv_controld *c, struct qv_switch_plan *plan, char *err,
                  size_t errlen)
{
	for (size_t i = 0; plan && i < plan->n_ports; i++)
		if (resolve(c, &plan->ports[i], err, errlen) != 0)
			return -1;
	for (size_t i = 0; plan && i < plan->n_hostdevs; i++)
		if (resolve(c, &plan->hostdevs[i], err, errlen) != 0)
			return -1;
	return 0;
}
