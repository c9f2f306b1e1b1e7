/* qwikvirt: qvctl check FILE: validates a service definition and prints its plan with no daemon
 * running, through the same loader, validator and chain compiler as qv-controld's apply. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/chain_compile.h"
#include "control/diag.h"
#include "control/model.h"
#include "control/qvctl/qvctl.h"

/* qv-controld's default --vm-prefix: the domain names apply would start */
#define CHECK_VM_PREFIX "qv-"

/* One port as the switch would be asked to add it: for the plan's human line and JSON. */
static json_t *port_json(const struct qv_switch_port *p)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "name", p->name, "type",
	                      qv_port_type_name(p->type), "queues", p->queues ? p->queues : 1,
	                      "default", p->dflt == QV_DEFAULT_L2 ? "l2" : "drop");

	if (p->vhost) {
		json_object_set_new(o, "path", json_string(p->path));
		json_object_set_new(o, "client", json_boolean(p->client));
	} else if (p->pf) {
		json_object_set_new(o, "pf", json_string(p->pf));
		json_object_set_new(o, "vf", json_integer(p->vf));
	} else {
		json_object_set_new(o, "devargs", json_string(p->devargs ? p->devargs : ""));
	}
	if (p->vnf)
		json_object_set_new(o, "vnf", json_string(p->vnf));
	return o;
}

/* The plan of an apply onto a switch that has nothing yet: every port, rule and VM. */
static json_t *plan_json(const struct qv_model *m, const struct qv_switch_plan *plan)
{
	json_t *ports = json_array(), *rules = json_array(), *vms = json_array();
	json_t *hostdevs = json_array();
	size_t i;

	for (i = 0; i < plan->n_ports; i++)
		json_array_append_new(ports, port_json(&plan->ports[i]));
	for (i = 0; i < plan->n_rules; i++)
		json_array_append_new(rules, json_string(plan->rules[i].text));
	for (i = 0; i < plan->n_hostdevs; i++)
		json_array_append_new(hostdevs, port_json(&plan->hostdevs[i]));
	for (i = 0; i < m->n_vnfs; i++)
		for (unsigned k = 0; k < m->vnfs[i].instances; k++)
			json_array_append_new(
			    vms, json_sprintf(CHECK_VM_PREFIX "%s-%u", m->vnfs[i].name, k));
	return json_pack("{s:o, s:o, s:o, s:o}", "ports_add", ports, "rules_add", rules,
	                 "vms_start", vms, "hostdevs", hostdevs);
}

/* owner: name the VNF whose VM takes the port (a VF handed over as a PCI device) */
static void print_port(const char *verb, const json_t *p, bool owner)
{
	const char *type = json_string_value(json_object_get(p, "type"));

	printf("  %-13s %s (%s", verb, json_string_value(json_object_get(p, "name")), type);
	if (json_object_get(p, "path"))
		printf(" %s%s", json_string_value(json_object_get(p, "path")),
		       json_is_true(json_object_get(p, "client")) ? ", client" : "");
	else if (json_object_get(p, "pf"))
		printf(" %lld of PF %s", jint(p, "vf"),
		       json_string_value(json_object_get(p, "pf")));
	else
		printf(" %s", json_string_value(json_object_get(p, "devargs")));
	if (owner && json_object_get(p, "vnf"))
		printf(", to VNF %s's VM", json_string_value(json_object_get(p, "vnf")));
	if (jint(p, "queues") > 1)
		printf(", %lld queues", jint(p, "queues"));
	printf(")\n");
}

static void print_plan(const char *file, const json_t *plan)
{
	const json_t *v;
	size_t i, total = 0;

	printf("%s: valid; the plan onto an empty switch:\n", file);
	json_array_foreach(json_object_get(plan, "ports_add"), i, v)
	{
		print_port("add port", v, false);
		total++;
	}
	json_array_foreach(json_object_get(plan, "hostdevs"), i, v)
	{
		print_port("pass VF", v, true);
		total++;
	}
	json_array_foreach(json_object_get(plan, "rules_add"), i, v)
	{
		printf("  %-13s %s\n", "add rule", json_string_value(v));
		total++;
	}
	json_array_foreach(json_object_get(plan, "vms_start"), i, v)
	{
		printf("  %-13s %s\n", "start VM", json_string_value(v));
		total++;
	}
	printf("%zu change(s) planned, nothing changed\n"
	       "not checked offline: VFs on their PF and NUMA placement ('qvctl apply --check' "
	       "checks them on qv-controld's host)\n",
	       total);
}

/* The errors, as apply --check reports them: each FILE:LINE:COLUMN line, then what became of
 * the file. Returns the exit status. */
static int report_errors(const char *file, const struct qv_diags *d, const char *message)
{
	if (opt.json) {
		json_t *errors = json_array();

		for (size_t i = 0; i < d->n; i++)
			json_array_append_new(errors, json_string(d->v[i].text));
		if (d->lost)
			json_array_append_new(errors,
			                      json_sprintf("... and %zu more errors", d->lost));
		json_t *r = json_pack("{s:b, s:s, s:s, s:o}", "ok", 0, "file", file, "message",
		                      message, "errors", errors);
		print_json(r);
		json_decref(r);
		return EXIT_RPC;
	}
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s\n", d->v[i].text);
	if (d->lost)
		fprintf(stderr, "... and %zu more errors\n", d->lost);
	fprintf(stderr, "qvctl: %s\n", message);
	return EXIT_RPC;
}

int cmd_check(int argc, char **argv)
{
	const char *file = NULL;
	struct qv_switch_plan *plan = NULL;
	struct qv_model *m = NULL;
	struct qv_diags d;
	char msg[512];
	size_t len;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (argv[i][0] == '-' || file)
			return usage_error("check", "unexpected argument '%s'", argv[i]);
		file = argv[i];
	}
	if (file == NULL)
		return usage_error("check", "check needs a FILE");
	char *yaml = read_whole_file(file, &len);
	if (yaml == NULL) {
		fprintf(stderr, "qvctl: cannot read %s: %s\n", file, strerror(errno));
		return EXIT_RPC;
	}
	qv_diags_init(&d);
	if (qv_model_load_buffer(file, yaml, len, &m, &d) != 0) {
		/* the same summary as qv-controld's apply (control/controld/desired.c) */
		snprintf(msg, sizeof(msg), "%s: %zu error(s); nothing was applied", file,
		         qv_diags_count(&d));
		rc = report_errors(file, &d, msg);
	} else if (qv_chain_compile(m, &plan, msg, sizeof(msg)) != 0) {
		rc = report_errors(file, &d, msg);
	} else {
		json_t *p = plan_json(m, plan);

		if (opt.json) {
			json_t *r = json_pack("{s:b, s:b, s:s, s:O}", "ok", 1, "applied", 0, "file",
			                      file, "plan", p);
			print_json(r);
			json_decref(r);
		} else {
			print_plan(file, p);
		}
		json_decref(p);
		rc = 0;
	}
	if (plan)
		qv_switch_plan_free(plan);
	if (m)
		qv_model_free(m);
	qv_diags_free(&d);
	free(yaml);
	return rc;
}
