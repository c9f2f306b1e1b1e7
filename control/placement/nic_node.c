/* qwikvirt: a NIC's NUMA node. hwloc's PCI tree first (it knows the host's and an XML
 * export's devices), then sysfs numa_node (synthetic topologies have no PCI objects). */
#include "control/placement/nic_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The node hwloc attaches the device to; -1 when absent or not local to exactly one node. */
static int hwloc_pci_node(const struct qv_topo *t, const char *pci)
{
	hwloc_obj_t dev = hwloc_get_pcidev_by_busidstring(t->h, pci);
	hwloc_obj_t anc;

	if (dev == NULL)
		return -1;
	anc = hwloc_get_non_io_ancestor_obj(t->h, dev);
	if (anc == NULL || anc->nodeset == NULL || hwloc_bitmap_weight(anc->nodeset) != 1)
		return -1;
	return hwloc_bitmap_first(anc->nodeset);
}

/* 1 and *node when sysfs has a numa_node for the device, 0 when it has none (no file, or -1:
 * the kernel's "no NUMA information"), -1 on a read error. */
static int sysfs_pci_node(const char *root, const char *pci, int *node, char *path, size_t plen)
{
	FILE *f;
	int v, n;

	snprintf(path, plen, "%s/bus/pci/devices/%s/numa_node", root, pci);
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	errno = 0;
	n = fscanf(f, "%d", &v);
	fclose(f);
	if (n != 1)
		return -1;
	if (v < 0)
		return 0;
	*node = v;
	return 1;
}

int qv_nic_node(const struct qv_topo *t, const struct qv_place_nic *nic, const char *sysfs_root,
                int *node, char *why, size_t whylen, char *err, size_t errlen)
{
	char path[512];
	int r;

	if (nic->numa != QV_PLACE_NUMA_AUTO) {
		*node = nic->numa;
		snprintf(why, whylen, "as configured");
	} else if (nic->pci == NULL) {
		*node = t->nodes[0].os;
		snprintf(why, whylen, "no PCI address given: first node");
	} else if ((*node = hwloc_pci_node(t, nic->pci)) >= 0) {
		snprintf(why, whylen, "from hwloc's PCI tree");
	} else if ((r = sysfs_pci_node(sysfs_root, nic->pci, node, path, sizeof(path))) > 0) {
		snprintf(why, whylen, "from %s", path);
	} else if (r < 0) {
		snprintf(err, errlen, "NIC %s (%s): cannot read %s: %s; check the device exists",
		         nic->name, nic->pci, path, errno ? strerror(errno) : "not a number");
		return -1;
	} else {
		*node = t->nodes[0].os;
		snprintf(why, whylen, "no NUMA information in hwloc or %s: first node", path);
	}
	if (qv_topo_node_pos(t, *node) < 0) {
		snprintf(
		    err, errlen,
		    "NIC %s%s%s%s: node %d (%s) is not in the topology (%zu node%s, %s); fix the "
		    "port's numa or use this host's topology",
		    nic->name, nic->pci ? " (" : "", nic->pci ? nic->pci : "", nic->pci ? ")" : "",
		    *node, why, t->n_nodes, t->n_nodes == 1 ? "" : "s", t->source);
		return -1;
	}
	return 0;
}
