/* qwikvirt: what one VM is now, read from libvirt (state, vCPUs, memory, CPU time) and from its
 * live XML (vCPU and emulator pins, NUMA memory node, serial log): what `qvctl vm list` shows. */
#include "control/vm/vm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "0:1,1:1": vCPU:cpuset pairs of every <vcpupin> */
static void read_vcpupins(const char *x, char *out, size_t len)
{
	const char *p = strstr(x, "<cputune>"), *end = p ? strstr(p, "</cputune>") : NULL;
	char vcpu[16], set[QV_VM_CPUSET_MAX];
	size_t used = 0;

	out[0] = '\0';
	for (p = p ? strstr(p, "<vcpupin ") : NULL; p && p < end; p = strstr(p + 1, "<vcpupin ")) {
		if (!qv_vm_xml_attr(p, "<vcpupin ", "vcpu", vcpu, sizeof(vcpu)) ||
		    !qv_vm_xml_attr(p, "<vcpupin ", "cpuset", set, sizeof(set)))
			continue;
		int n = snprintf(out + used, len - used, "%s%s:%s", used ? "," : "", vcpu, set);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* Sum of the vCPU threads' CPU time (read from /proc by libvirt, no cgroup needed), 0 when
 * libvirt cannot say: a figure for a counter, not a reason to fail the whole listing. */
static unsigned long long vcpu_time(virDomainPtr d, unsigned nvcpus)
{
	virVcpuInfo v[QV_VM_MAX_VCPUS];
	unsigned long long sum = 0;
	int n;

	if (nvcpus > QV_VM_MAX_VCPUS)
		nvcpus = QV_VM_MAX_VCPUS;
	n = virDomainGetVcpus(d, v, (int)nvcpus, NULL, 0);
	for (int i = 0; i < n; i++)
		sum += v[i].cpuTime;
	return sum;
}

bool qv_vm_info_get(struct qv_vm_conn *c, const char *name, struct qv_vm_info *out,
                    struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);
	virDomainInfo info;
	char *x;
	const char *p;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->state = QV_VM_ABSENT;
	if (d == NULL)
		return absent;
	out->state = qv_vm_dom_state(d);
	if (virDomainGetInfo(d, &info) == 0) {
		out->vcpus = info.nrVirtCpu;
		out->memory_mib = (unsigned)(info.maxMem / 1024);
		out->cpu_time_ns = info.cpuTime;
		if (out->state == QV_VM_RUNNING || out->state == QV_VM_PAUSED)
			out->vcpu_time_ns = vcpu_time(d, info.nrVirtCpu);
	}
	x = virDomainGetXMLDesc(d, 0);
	virDomainFree(d);
	if (x == NULL)
		return qv_vm_fail(err, "VM %s: cannot read its XML: %s", name, qv_vm_lv_msg());
	read_vcpupins(x, out->vcpupin, sizeof(out->vcpupin));
	if ((p = strstr(x, "<emulatorpin ")) != NULL)
		qv_vm_xml_attr(p, "<emulatorpin ", "cpuset", out->emulatorpin,
		               sizeof(out->emulatorpin));
	if ((p = strstr(x, "<numatune>")) != NULL)
		qv_vm_xml_attr(p, "<memory ", "nodeset", out->nodeset, sizeof(out->nodeset));
	if ((p = strstr(x, "<serial type='file'>")) != NULL)
		qv_vm_xml_attr(p, "<source ", "path", out->serial_log, sizeof(out->serial_log));
	free(x);
	if (out->state == QV_VM_RUNNING || out->state == QV_VM_PAUSED)
		out->pid = qv_vm_qemu_pid(name);
	return true;
}
