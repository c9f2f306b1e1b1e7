/* qwikvirt: the one source of the limits the YAML loader, qv-controld, the VM layer and
 * qv-switchd all enforce, so a file the loader accepts is one the switch and libvirt take. */
#ifndef QV_LIMITS_H
#define QV_LIMITS_H

/* Queue pairs of one switch port (vhost queues, dpdk rxq/txq): the switch keeps one tx lock
 * per queue (include/qv/port.h QV_MAX_QUEUES); YAML `queues`. */
#define QV_LIMIT_QUEUES 8
/* The largest L3 MTU a port takes (10 KiB rx buffers less headers); YAML `mtu`. */
#define QV_LIMIT_MTU 9194
/* vCPUs of one VNF VM (the domain XML's cpuset text, vcpupin lists); YAML `vcpus`. */
#define QV_LIMIT_VM_VCPUS 16
/* Switch-facing interfaces of one VNF VM; YAML `interfaces`. */
#define QV_LIMIT_VM_IFACES 8
/* VF hostdevs of one VNF VM; YAML `vfs`. */
#define QV_LIMIT_VM_HOSTDEVS 4
/* Instances of one VNF (a load-balancing group has at most QV_MAX_ACTIONS members, one output
 * action each; include/qv/rule.h); YAML `instances`. */
#define QV_LIMIT_VNF_INSTANCES 8

/* ports in one port.add_batch request (qv-controld sends a larger restore in several) */
#define QV_LIMIT_PORT_BATCH 1024

#endif
