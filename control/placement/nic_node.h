/* qwikvirt: which NUMA node a NIC or VF sits on: as configured, from hwloc's PCI tree, from
 * sysfs numa_node, or node 0 when nothing knows. Internal to control/placement. */
#ifndef QV_PLACEMENT_NIC_NODE_H
#define QV_PLACEMENT_NIC_NODE_H

#include <stddef.h>

#include "control/placement/placement.h"
#include "control/placement/topo.h"

/* Sets *node and `why` (how it was found, for the explanation). Returns -1 with err when the
 * node found does not exist in t (a topology that is not this host's, or a wrong setting). */
int qv_nic_node(const struct qv_topo *t, const struct qv_place_nic *nic, const char *sysfs_root,
                int *node, char *why, size_t whylen, char *err, size_t errlen);

#endif
