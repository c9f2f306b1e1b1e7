/* qwikvirt: qv-switchd's counters as Prometheus families: ports (packets, bytes, drops by
 * reason), switch-wide drops, PMD cycles and lookups, rx queues, rule hits. */
#include <stdio.h>
#include <string.h>

#include "control/exporter/collect.h"

/* A JSON value as a label value: strings as they are, integers in decimal. */
static const char *label_of(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return "";
}

/* One family with a sample per port: field of each port object, labelled port=name. Ports
 * without the field (an older switch) are left out rather than reported as 0. */
static void per_port(struct qv_metrics *m, json_t *ports, const char *name,
                     enum qv_metric_type type, const char *field, const char *help)
{
	size_t i;
	json_t *p;

	qv_metrics_family(m, name, type, help);
	json_array_foreach(ports, i, p)
	{
		json_t *v = json_object_get(p, field);
		struct qv_label l[] = {{"port", json_string_value(json_object_get(p, "name"))},
		                       {NULL, NULL}};

		if (json_is_number(v))
			qv_metrics_sample(m, l, json_number_value(v));
	}
}

static void port_state(struct qv_metrics *m, json_t *ports, const char *name, const char *field,
                       const char *help)
{
	size_t i;
	json_t *p;

	qv_metrics_family(m, name, QV_METRIC_GAUGE, help);
	json_array_foreach(ports, i, p)
	{
		const char *s = json_string_value(json_object_get(p, field));
		struct qv_label l[] = {{"port", json_string_value(json_object_get(p, "name"))},
		                       {NULL, NULL}};

		if (s)
			qv_metrics_sample(m, l, strcmp(s, "up") == 0);
	}
}

static void ports_families(struct qv_metrics *m, json_t *ports)
{
	size_t i;
	json_t *p;

	per_port(m, ports, "qv_port_rx_packets_total", QV_METRIC_COUNTER, "rx_packets",
	         "Packets received on the port.");
	per_port(m, ports, "qv_port_rx_bytes_total", QV_METRIC_COUNTER, "rx_bytes",
	         "Bytes received on the port.");
	per_port(m, ports, "qv_port_tx_packets_total", QV_METRIC_COUNTER, "tx_packets",
	         "Packets sent out of the port.");
	per_port(m, ports, "qv_port_tx_bytes_total", QV_METRIC_COUNTER, "tx_bytes",
	         "Bytes sent out of the port.");
	qv_metrics_family(m, "qv_port_drops_total", QV_METRIC_COUNTER,
	                  "Packets that arrived on the port and were dropped, by reason (qvctl "
	                  "show drops explains each reason).");
	json_array_foreach(ports, i, p)
	{
		const char *reason;
		json_t *n;

		json_object_foreach(json_object_get(p, "drops"), reason, n)
		{
			struct qv_label l[] = {
			    {"port", json_string_value(json_object_get(p, "name"))},
			    {"reason", reason},
			    {NULL, NULL}};

			qv_metrics_sample(m, l, json_number_value(n));
		}
	}
	port_state(m, ports, "qv_port_up", "state",
	           "1 when the port's link is up (a vhost port: its guest is connected).");
	port_state(m, ports, "qv_port_admin_up", "admin",
	           "1 when the port is administratively up (polled), 0 when set down.");
	qv_metrics_family(
	    m, "qv_port_info", QV_METRIC_GAUGE,
	    "Always 1: the port's kind, NUMA node and default for unmatched packets.");
	json_array_foreach(ports, i, p)
	{
		char numa[24];
		struct qv_label l[] = {
		    {"port", json_string_value(json_object_get(p, "name"))},
		    {"type", json_string_value(json_object_get(p, "type"))},
		    {"numa", label_of(json_object_get(p, "numa"), numa, sizeof(numa))},
		    {"default", json_string_value(json_object_get(p, "default"))},
		    {NULL, NULL}};

		qv_metrics_sample(m, l, 1);
	}
}

static void drops_family(struct qv_metrics *m, json_t *drops)
{
	const char *reason;
	json_t *n;

	qv_metrics_family(m, "qv_drops_total", QV_METRIC_COUNTER,
	                  "Packets the switch dropped, by reason, over all ports.");
	json_object_foreach(drops, reason, n)
	{
		struct qv_label l[] = {{"reason", reason}, {NULL, NULL}};

		qv_metrics_sample(m, l, json_number_value(n));
	}
}

/* One family with a sample per PMD, labelled core=N. */
static void per_pmd(struct qv_metrics *m, json_t *pmds, const char *name, enum qv_metric_type type,
                    const char *field, const char *help)
{
	size_t i;
	json_t *p;

	qv_metrics_family(m, name, type, help);
	json_array_foreach(pmds, i, p)
	{
		char core[24];
		json_t *v = json_object_get(p, field);
		struct qv_label l[] = {
		    {"core", label_of(json_object_get(p, "core"), core, sizeof(core))},
		    {NULL, NULL}};

		if (json_is_number(v))
			qv_metrics_sample(m, l, json_number_value(v));
	}
}

static void pmd_lookups(struct qv_metrics *m, json_t *pmds)
{
	static const char *const how[] = {"same_key", "emc_hit", "classifier"};
	size_t i;
	json_t *p;

	qv_metrics_family(m, "qv_pmd_lookups_total", QV_METRIC_COUNTER,
	                  "How each parsed packet's rule was found: same_key (no lookup: the "
	                  "previous packet's key, or its port's rule on the port alone), emc_hit "
	                  "(exact-match cache), classifier (cache miss).");
	json_array_foreach(pmds, i, p)
	{
		char core[24];

		for (size_t k = 0; k < sizeof(how) / sizeof(how[0]); k++) {
			json_t *v = json_object_get(json_object_get(p, "lookups"), how[k]);
			struct qv_label l[] = {
			    {"core", label_of(json_object_get(p, "core"), core, sizeof(core))},
			    {"how", how[k]},
			    {NULL, NULL}};

			if (json_is_number(v))
				qv_metrics_sample(m, l, json_number_value(v));
		}
	}
}

/* One family with a sample per rx queue of each PMD: core, port, queue. */
static void per_rxq(struct qv_metrics *m, json_t *pmds, const char *name, enum qv_metric_type type,
                    const char *field, const char *help)
{
	size_t i, j;
	json_t *p, *q;

	qv_metrics_family(m, name, type, help);
	json_array_foreach(pmds, i, p)
	{
		json_array_foreach(json_object_get(p, "rxqs"), j, q)
		{
			char core[24], queue[24];
			json_t *v = json_object_get(q, field);
			struct qv_label l[] = {
			    {"core", label_of(json_object_get(p, "core"), core, sizeof(core))},
			    {"port", json_string_value(json_object_get(q, "port"))},
			    {"queue", label_of(json_object_get(q, "queue"), queue, sizeof(queue))},
			    {NULL, NULL}};

			if (json_is_number(v))
				qv_metrics_sample(m, l, json_number_value(v));
		}
	}
}

static void pmds_families(struct qv_metrics *m, json_t *pmds)
{
	per_pmd(m, pmds, "qv_pmd_busy_cycles_total", QV_METRIC_COUNTER, "busy_cycles",
	        "TSC cycles the PMD spent on polls that received packets.");
	per_pmd(m, pmds, "qv_pmd_idle_cycles_total", QV_METRIC_COUNTER, "idle_cycles",
	        "TSC cycles the PMD spent on polls that received nothing.");
	per_pmd(m, pmds, "qv_pmd_packets_total", QV_METRIC_COUNTER, "packets",
	        "Packets the PMD received from its rx queues.");
	per_pmd(m, pmds, "qv_pmd_cycles_per_packet", QV_METRIC_GAUGE, "cycles_per_packet",
	        "Busy cycles per packet since the counters were last cleared (for a recent "
	        "figure use rate(qv_pmd_busy_cycles_total) / rate(qv_pmd_packets_total)).");
	per_pmd(m, pmds, "qv_pmd_tsc_hertz", QV_METRIC_GAUGE, "tsc_hz",
	        "TSC frequency of the PMD's core: cycles per second, to turn cycles into time.");
	pmd_lookups(m, pmds);
	per_rxq(m, pmds, "qv_pmd_rxq_packets_total", QV_METRIC_COUNTER, "packets",
	        "Packets received from the rx queue by the PMD that polls it.");
	per_rxq(m, pmds, "qv_pmd_rxq_busy_cycles_total", QV_METRIC_COUNTER, "busy_cycles",
	        "Busy TSC cycles the PMD spent on the rx queue.");
}

static void rules_family(struct qv_metrics *m, json_t *flows)
{
	size_t i;
	json_t *f;

	qv_metrics_family(m, "qv_rule_hits_total", QV_METRIC_COUNTER,
	                  "Packets that matched the rule (id, and the rule in qvctl's syntax).");
	json_array_foreach(flows, i, f)
	{
		char id[24];
		struct qv_label l[] = {{"id", label_of(json_object_get(f, "id"), id, sizeof(id))},
		                       {"rule", json_string_value(json_object_get(f, "text"))},
		                       {NULL, NULL}};

		qv_metrics_sample(m, l, json_number_value(json_object_get(f, "hits")));
	}
}

void qv_export_switch(struct qv_metrics *m, json_t *stats, json_t *flows)
{
	json_t *ports = json_object_get(stats, "ports"), *drops = json_object_get(stats, "drops"),
	       *pmds = json_object_get(stats, "pmds"), *rules = json_object_get(flows, "flows");

	if (json_is_array(ports))
		ports_families(m, ports);
	if (json_is_object(drops))
		drops_family(m, drops);
	if (json_is_array(pmds))
		pmds_families(m, pmds);
	if (json_is_array(rules))
		rules_family(m, rules);
}
