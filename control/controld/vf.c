/* qwikvirt: ports of type vf: the VF is looked up (and created through sysfs when the PF has
 * too few), its settings (MAC, VLAN, spoof check, trust) applied through the PF's netdev, and
 * its PCI address given to the switch (a DPDK port) or to the VM of the VNF that takes it (a
 * libvirt hostdev). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/controld/controld.h"
#include "control/sriov/sriov.h"
#include "lib/pci.h"

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

/* Is VF index (below the PF's current count) a port of the applied plan, the switch's or a
 * VM's? Then the VF is in use even where sysfs shows no driver (a VM not started yet, a test's
 * tree): *who names the port. */
static bool applied_uses(const struct qv_controld *c, const struct qv_sriov_pf *pf, unsigned below,
                         const char **who, unsigned *vf)
{
	const struct qv_switch_plan *cur = c->desired.plan;
	const struct qv_switch_port *lists[2] = {cur ? cur->ports : NULL,
	                                         cur ? cur->hostdevs : NULL};
	size_t counts[2] = {cur ? cur->n_ports : 0, cur ? cur->n_hostdevs : 0};
	struct qv_pci_addr a;
	char pci[QV_PCI_TEXT_SIZE];

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const struct qv_switch_port *p = &lists[l][i];

			if (p->type != QV_PORT_VF || !p->pf || p->vf >= below ||
			    !qv_pci_parse(p->pf, &a) || strcmp(qv_pci_format(&a, pci), pf->pci))
				continue;
			*who = p->name;
			*vf = p->vf;
			return true;
		}
	return false;
}

/* The PF needs `want` VFs and has fewer: raised through sysfs (check: only said). From a
 * non-zero count that means through 0, refused while the applied plan uses one of them. */
static int raise_count(const struct qv_controld *c, const struct qv_switch_port *p,
                       struct qv_sriov_pf *pf, unsigned want, bool check, json_t *notes, char *err,
                       size_t errlen)
{
	const char *who;
	unsigned vf;
	char e[400];

	if (pf->num_vfs && applied_uses(c, pf, pf->num_vfs, &who, &vf)) {
		snprintf(err, errlen,
		         "port %s: VF %u of PF %s needs %u VFs and the PF has %u: the kernel "
		         "changes the count only through 0, which would remove every VF, and VF %u "
		         "is in use by port %s of the applied service; use a VF below %u, or free "
		         "the PF's VFs first",
		         p->name, p->vf, pf->pci, want, pf->num_vfs, vf, who, pf->num_vfs);
		return -1;
	}
	if (check) {
		json_array_append_new(notes,
		                      json_sprintf("port %s: PF %s would get %u VFs "
		                                   "(sriov_numvfs %u -> %u)",
		                                   p->name, pf->pci, want, pf->num_vfs, want));
		return 0;
	}
	if (qv_sriov_set_numvfs(pf, want, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "port %s: VF %u of PF %s: %s", p->name, p->vf, pf->pci, e);
		return -1;
	}
	return 0;
}

static int resolve(const struct qv_controld *c, struct qv_switch_port *p, bool check, json_t *notes,
                   char *err, size_t errlen)
{
	struct qv_sriov_pf pf;
	char pci[QV_PCI_LEN], e[400];

	if (p->type != QV_PORT_VF || p->devargs || !p->pf)
		return 0;
	if (qv_sriov_pf_open(c->vm.sysfs_root, p->pf, &pf, e, sizeof(e)) != 0) {
		snprintf(err, errlen,
		         "port %s: VF %u of PF %s: %s (check the PF address and that its driver "
		         "supports SR-IOV)",
		         p->name, p->vf, p->pf, e);
		return -1;
	}
	if (pf.num_vfs <= p->vf) {
		if (p->vf >= pf.total_vfs) {
			snprintf(err, errlen,
			         "port %s: VF %u of PF %s: the PF supports at most %u VFs "
			         "(sriov_totalvfs): use a VF below %u",
			         p->name, p->vf, pf.pci, pf.total_vfs, pf.total_vfs);
			return -1;
		}
		if (raise_count(c, p, &pf, p->vf + 1u, check, notes, err, errlen) != 0)
			return -1;
		if (check) /* the VF does not exist yet: its address is not known */
			return 0;
	}
	if (qv_sriov_vf_pci(&pf, p->vf, pci, e, sizeof(e)) != 0) {
		snprintf(err, errlen,
		         "port %s: VF %u of PF %s: %s (check the PF address and that its driver "
		         "supports SR-IOV)",
		         p->name, p->vf, p->pf, e);
		return -1;
	}
	if (has_settings(p) && check)
		json_array_append_new(
		    notes, json_sprintf("port %s: VF %u's settings (mac, vlan, spoof-check, "
		                        "trust) would be set through PF %s's netdev %s",
		                        p->name, p->vf, pf.pci, pf.netdev));
	else if (has_settings(p) && configure(p, &pf, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "port %s: %s", p->name, e); /* e names the PF and VF */
		return -1;
	}
	if (!(p->devargs = strdup(pci))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int qv_vf_resolve(const struct qv_controld *c, struct qv_switch_plan *plan, bool check,
                  json_t *notes, char *err, size_t errlen)
{
	for (size_t i = 0; plan && i < plan->n_ports; i++)
		if (resolve(c, &plan->ports[i], check, notes, err, errlen) != 0)
			return -1;
	for (size_t i = 0; plan && i < plan->n_hostdevs; i++)
		if (resolve(c, &plan->hostdevs[i], check, notes, err, errlen) != 0)
			return -1;
	return 0;
}
