/* qwikvirt: qv-controld's view as Prometheus families: per chain (rule hits, rules, whether
 * each port on its path is up) and per VM (state, vCPUs, memory, CPU time). */
#include <string.h>

#include "control/exporter/collect.h"

static void chains_families(struct qv_metrics *m, json_t *chains)
{
	size_t i, j, k;
	json_t *c, *h, *p;

	qv_metrics_family(m, "qv_chain_hits_total", QV_METRIC_COUNTER,
	                  "Packets that matched the chain's rules (both directions).");
	json_array_foreach(chains, i, c)
	{
		struct qv_label l[] = {{"chain", json_string_value(json_object_get(c, "name"))},
		                       {NULL, NULL}};

		qv_metrics_sample(m, l, json_number_value(json_object_get(c, "hits")));
	}
	qv_metrics_family(m, "qv_chain_rules", QV_METRIC_GAUGE,
	                  "Switch rules the chain compiles to.");
	json_array_foreach(chains, i, c)
	{
		struct qv_label l[] = {{"chain", json_string_value(json_object_get(c, "name"))},
		                       {NULL, NULL}};

		qv_metrics_sample(m, l, (double)json_array_size(json_object_get(c, "rules")));
	}
	qv_metrics_family(m, "qv_chain_port_up", QV_METRIC_GAUGE,
	                  "1 when a switch port on the chain's path is up, 0 when it is down or "
	                  "missing from the switch.");
	json_array_foreach(chains, i, c)
	{
		json_array_foreach(json_object_get(c, "hops"), j, h)
		{
			json_array_foreach(json_object_get(h, "ports"), k, p)
			{
				const char *st = json_string_value(json_object_get(p, "state"));
				struct qv_label l[] = {
				    {"chain", json_string_value(json_object_get(c, "name"))},
				    {"hop", json_string_value(json_object_get(h, "hop"))},
				    {"port", json_string_value(json_object_get(p, "port"))},
				    {NULL, NULL}};

				qv_metrics_sample(m, l, st && strcmp(st, "up") == 0);
			}
		}
	}
}

/* The states qv-controld reports (control/vm: qv_vm_state_name), plus "unknown" when libvirt
 * could not say. One series per state, 1 for the current one, as Prometheus does enums. */
static const char *const vm_states[] = {"absent",   "shutoff", "running", "paused",
                                        "shutdown", "crashed", "other",   "unknown"};

/* A per-VM counter in seconds from a nanosecond field of vm.list; VMs without it are left out. */
static void vm_counter_ns(struct qv_metrics *m, json_t *vms, const char *name, const char *key,
                          const char *help)
{
	size_t i;
	json_t *v;

	qv_metrics_family(m, name, QV_METRIC_COUNTER, help);
	json_array_foreach(vms, i, v)
	{
		json_t *ns = json_object_get(v, key);
		struct qv_label l[] = {{"vm", json_string_value(json_object_get(v, "name"))},
		                       {NULL, NULL}};

		if (json_is_number(ns) && json_number_value(ns) >= 0)
			qv_metrics_sample(m, l, json_number_value(ns) / 1e9);
	}
}

static void vms_families(struct qv_metrics *m, json_t *vms)
{
	size_t i;
	json_t *v;

	qv_metrics_family(m, "qv_vm_state", QV_METRIC_GAUGE,
	                  "1 for the VM's current state (libvirt's, as qvctl vm list shows it), 0 "
	                  "for the others.");
	json_array_foreach(vms, i, v)
	{
		const char *st = json_string_value(json_object_get(v, "state"));

		for (size_t k = 0; k < sizeof(vm_states) / sizeof(vm_states[0]); k++) {
			struct qv_label l[] = {
			    {"vm", json_string_value(json_object_get(v, "name"))},
			    {"state", vm_states[k]},
			    {NULL, NULL}};

			qv_metrics_sample(m, l, st && strcmp(st, vm_states[k]) == 0);
		}
	}
	qv_metrics_family(m, "qv_vm_vcpus", QV_METRIC_GAUGE, "vCPUs of the VM.");
	json_array_foreach(vms, i, v)
	{
		json_t *n = json_object_get(v, "vcpus");
		struct qv_label l[] = {{"vm", json_string_value(json_object_get(v, "name"))},
		                       {NULL, NULL}};

		if (json_is_number(n))
			qv_metrics_sample(m, l, json_number_value(n));
	}
	vm_counter_ns(m, vms, "qv_vm_cpu_seconds_total", "cpu_time_ns",
	              "CPU time of the VM's QEMU process (vCPUs, emulator and I/O threads) since "
	              "it started (libvirt's cpuTime); starts again from 0 when the VM restarts.");
	vm_counter_ns(m, vms, "qv_vm_vcpu_seconds_total", "vcpu_time_ns",
	              "CPU time of the VM's vCPU threads (the guest running) since it started.");
	qv_metrics_family(m, "qv_vm_memory_bytes", QV_METRIC_GAUGE, "Memory of the VM.");
	json_array_foreach(vms, i, v)
	{
		json_t *n = json_object_get(v, "memory_mib");
		struct qv_label l[] = {{"vm", json_string_value(json_object_get(v, "name"))},
		                       {NULL, NULL}};

		if (json_is_number(n))
			qv_metrics_sample(m, l, json_number_value(n) * 1024 * 1024);
	}
}

void qv_export_controld(struct qv_metrics *m, json_t *chains, json_t *vms)
{
	json_t *c = json_object_get(chains, "chains"), *v = json_object_get(vms, "vms");

	if (json_is_array(c))
		chains_families(m, c);
	if (json_is_array(v))
		vms_families(m, v);
}
