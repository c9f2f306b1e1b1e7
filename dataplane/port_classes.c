/* qwikvirt: the registry of port classes (see port_classes.h). Each class lives with its
 * implementation (vhost/, pmd-glue/); this table only says which ones the switch offers. */
#include <string.h>

#include "dataplane/port_classes.h"
#include "pmd-glue/ethdev_port.h"
#include "pmd-glue/kernel_port.h"
#include "vhost/vhost_port.h"

const struct qv_port_class *const qv_port_classes[QV_PORT_KIND_MAX] = {
    [QV_PORT_KIND_VHOST] = &qv_vhost_port_class,
    [QV_PORT_KIND_DPDK] = &qv_ethdev_port_class,
    [QV_PORT_KIND_AF_PACKET] = &qv_af_packet_port_class,
    [QV_PORT_KIND_AF_XDP] = &qv_af_xdp_port_class,
    [QV_PORT_KIND_VHOST_KERNEL] = &qv_vhost_kernel_port_class,
};

const struct qv_port_class *qv_port_class_find(const char *name)
{
	for (int k = 0; k < QV_PORT_KIND_MAX; k++)
		if (qv_port_classes[k] && strcmp(qv_port_classes[k]->name, name) == 0)
			return qv_port_classes[k];
	return NULL;
}
