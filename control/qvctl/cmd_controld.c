/* qwikvirt: qvctl's commands for qv-controld: apply a service definition, the VNF VMs, and
 * the views of its chains, placement and state. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

#define VM_TIMEOUT_MS 180000 /* apply and vm commands: VMs boot and shut down slowly */

/* ---- service definitions (qv-controld) ---- */

static void print_plan(const json_t *plan, bool applied)
{
	static const struct {
		const char *key, *verb;
	} parts[] = {{"ports_replace", "replace port"},
	             {"ports_set", "set port mtu"},
	             {"ports_add", "add port"},
	             {"rules_add", "add rule"},
	             {"rules_del", "delete rule"},
	             {"ports_del", "delete port"},
	             {"vms_start", "start VM"},
	             {"vms_remove", "remove VM"},
	             {"vfs", "VF"}};
	size_t total = 0, i;
	const json_t *v;

	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		json_array_foreach(json_object_get(plan, parts[k].key), i, v)
		{
			const char *what = json_is_string(v) ? json_string_value(v)
			                   : json_object_get(v, "text")
			                       ? json_string_value(json_object_get(v, "text"))
			                       : json_string_value(json_object_get(v, "name"));
			char verb[64];

			snprintf(verb, sizeof(verb), "%s", parts[k].verb);
			if (strcmp(parts[k].key, "ports_set") ==
			    0) { /* what it sets: mtu,default */
				const char *key;
				json_t *x;

				snprintf(verb, sizeof(verb), "set port");
				json_object_foreach((json_t *)v, key, x) if (strcmp(key, "name"))
				    snprintf(
				        verb + strlen(verb), sizeof(verb) - strlen(verb), "%s%s",
				        strchr(verb, ' ') == strrchr(verb, ' ') ? " " : ",", key);
			}
			printf("  %-13s %s\n", verb, what ? what : "?");
			total++;
		}
	}
	if (total == 0)
		printf("  nothing to change: the switch already matches\n");
	else
		printf("%zu change(s) %s\n", total,
		       applied ? "applied" : "planned, nothing changed");
}

/* What apply did to the VMs; errors (a VM that did not start) make the exit status 1. */
static int print_vm_sync(const json_t *vms)
{
	static const char *const kinds[] = {"started", "running", "held", "removed"};
	const json_t *v;
	size_t i;

	if (!json_is_object(vms))
		return 0;
	if (!opt.json)
		for (size_t k = 0; k < 4; k++)
			json_array_foreach(json_object_get(vms, kinds[k]), i, v)
			    printf("  VM %-20s %s%s\n", json_string_value(v), kinds[k],
			           k == 2 ? " (stopped by vm stop; qvctl vm start NAME)" : "");
	if (!opt.json)
		json_array_foreach(json_object_get(vms, "outdated"), i, v)
		    printf("  %s\n", json_string_value(v));
	json_array_foreach(json_object_get(vms, "errors"), i, v)
	    fprintf(stderr, "qvctl: %s\n", json_string_value(v));
	if (json_array_size(json_object_get(vms, "errors")) == 0)
		return 0;
	fprintf(stderr, "qvctl: the switch was changed, but not every VM is as wanted; "
	                "qv-controld retries by itself (qvctl show controld, qvctl vm list)\n");
	return EXIT_RPC;
}

int cmd_apply(int argc, char **argv)
{
	bool check = false;
	const char *file = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (argv[i][0] == '-' || file)
			return usage_error("apply", "unexpected argument '%s'", argv[i]);
		else
			file = argv[i];
	}
	if (file == NULL)
		return usage_error("apply", "apply needs a FILE");
	size_t len;
	char *yaml = read_whole_file(file, &len);
	if (yaml == NULL) {
		fprintf(stderr, "qvctl: cannot read %s: %s\n", file, strerror(errno));
		return EXIT_RPC;
	}
	json_t *result;
	opt.to_controld = true;
	if (!opt.timeout_set)
		opt.timeout_ms = VM_TIMEOUT_MS; /* VMs start, old ones shut down */
	int rc = rpc("apply",
	             json_pack("{s:s, s:s%, s:b}", "name", file, "yaml", yaml, len, "check", check),
	             &result);
	free(yaml);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(result, "ok"))) {
		const json_t *e;
		size_t i;
		if (opt.json)
			print_json(result);
		else {
			json_array_foreach(json_object_get(result, "errors"), i, e)
			    fprintf(stderr, "%s\n", json_string_value(e));
			fprintf(stderr, "qvctl: %s\n",
			        json_string_value(json_object_get(result, "message")));
		}
		json_decref(result);
		return EXIT_RPC;
	}
	if (!json_out(result)) {
		const json_t *w;
		size_t i;

		printf("%s: %s\n", file, check ? "valid; the plan:" : "applied:");
		print_plan(json_object_get(result, "plan"), !check);
		json_array_foreach(json_object_get(json_object_get(result, "plan"), "warnings"), i,
		                   w) fprintf(stderr, "qvctl: warning: %s\n", json_string_value(w));
	}
	rc = print_vm_sync(json_object_get(result, "vms"));
	json_decref(result);
	return rc;
}

/* A string field for printing: dflt when the daemon sent none (or not a string), since
 * printf's %s must not be given NULL. */
static const char *jstr(const json_t *obj, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v ? v : dflt;
}

/* The hop's name on the row of its first port only (ctx: the hop). */
static void fill_hop(struct row *r, int col, const json_t *port, const json_t *hop)
{
	bool first = json_array_get(json_object_get(hop, "ports"), 0) == port;

	cell(r, col, "%s", first ? json_string_value(json_object_get(hop, "hop")) : "");
}

/* A group member's established flows (qvctl show groups), blank elsewhere. */
static void fill_flows(struct row *r, int col, const json_t *port, const json_t *hop)
{
	(void)hop;
	if (json_object_get(port, "flows"))
		cell(r, col, "%lld", jint(port, "flows"));
	else
		cell(r, col, "%s", "");
}

void view_chains(const json_t *result)
{
	static const struct column cols[] = {
	    {"HOP", NULL, fill_hop},      {"PORT", "port"},
	    {"STATE", "state"},           {">RX-PKTS", "rx_packets"},
	    {">TX-PKTS", "tx_packets"},   {">DROPS", "drops"},
	    {">FLOWS", NULL, fill_flows}, {NULL},
	};
	const json_t *chains = jarray(result, "chains"), *ch, *hop, *p;
	size_t i, j, k;

	if (chains == NULL || json_array_size(chains) == 0) {
		printf("no chains (qvctl apply FILE first)\n");
		return;
	}
	json_array_foreach(chains, i, ch)
	{
		if (i)
			putchar('\n');
		printf("chain %s: ", jstr(ch, "name", "-"));
		json_array_foreach(json_object_get(ch, "hops"), j, hop)
		    printf("%s%s%s", j ? " -> " : "", jstr(hop, "hop", "-"),
		           json_is_true(json_object_get(hop, "group")) ? " (group)" : "");
		printf("%s, %lld rule hits\n",
		       json_is_true(json_object_get(ch, "bidirectional")) ? ", bidirectional" : "",
		       jint(ch, "hits"));
		struct table t;
		table_init_columns(&t, "  ", cols);
		json_array_foreach(json_object_get(ch, "hops"), j, hop)
		{
			json_array_foreach(json_object_get(hop, "ports"), k, p)
			    table_add_item(&t, p, hop);
		}
		table_print(&t);
		table_free(&t);
	}
}

void view_controld(const json_t *r)
{
	const char *file = json_string_value(json_object_get(r, "file"));
	const char *last = json_string_value(json_object_get(r, "last_error"));

	printf("desired state: %s (%lld ports, %lld rules), kept in %s\n",
	       file ? file : "none yet (qvctl apply FILE)", jint(r, "ports"), jint(r, "rules"),
	       jstr(r, "state_dir", "-"));
	printf("switch %s: %s%s%s\n", jstr(r, "switch", "-"),
	       json_is_true(json_object_get(r, "switch_ok")) ? "matches it" : "not in sync",
	       last && *last ? ": " : "", last ? last : "");
	if (*jstr(r, "state_error", ""))
		printf("state files: %s\n", jstr(r, "state_error", ""));
}

/* ---- VNF VMs and placement (qv-controld) ---- */

void view_placement(const json_t *r)
{
	const json_t *v;
	size_t i;

	printf("host: %s\n", jstr(r, "host", "-"));
	printf("PMD CPUs: %s\n", *jstr(r, "pmd_list", "") ? jstr(r, "pmd_list", "") : "none");
	json_array_foreach(json_object_get(r, "lines"), i, v)
	    printf("  %s\n", json_is_string(v) ? json_string_value(v) : "-");
}

static void fill_vm_state(struct row *r, int col, const json_t *v, const json_t *ctx)
{
	char buf[32];

	(void)ctx;
	cell(r, col, "%s%s", jtext(v, "state", buf, sizeof(buf)),
	     json_is_true(json_object_get(v, "held")) ? " (held)" : "");
}

static void fill_vm_memory(struct row *r, int col, const json_t *v, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%lld MiB", jint(v, "memory_mib"));
}

static void fill_vm_pinning(struct row *r, int col, const json_t *v, const json_t *ctx)
{
	const char *pin = json_string_value(json_object_get(v, "vcpupin"));
	const char *emu = json_string_value(json_object_get(v, "emulatorpin"));
	const char *node = json_string_value(json_object_get(v, "numa"));

	(void)ctx;
	cell(r, col, "vcpu %s emu %s node %s", pin && *pin ? pin : "-", emu && *emu ? emu : "-",
	     node && *node ? node : "-");
}

/* Its VNF, whether it is a clone, and the first VF it takes. */
static void fill_vm_vnf(struct row *r, int col, const json_t *v, const json_t *ctx)
{
	const json_t *hd = json_object_get(v, "hostdevs");
	const char *vnf = json_string_value(json_object_get(v, "vnf"));
	char buf[32];

	(void)ctx;
	cell(r, col, "%s%s%s%s", vnf ? vnf : "-",
	     strcmp(jtext(v, "origin", buf, sizeof(buf)), "clone") == 0 ? " (clone)" : "",
	     json_array_size(hd) ? ", VF " : "",
	     json_array_size(hd) ? json_string_value(json_array_get(hd, 0)) : "");
}

static void view_vms(const json_t *r)
{
	static const struct column cols[] = {
	    {"NAME", "name"},
	    {"STATE", NULL, fill_vm_state},
	    {">VCPUS", "vcpus"},
	    {">MEMORY", NULL, fill_vm_memory},
	    {"PINNING", NULL, fill_vm_pinning},
	    {"VNF", NULL, fill_vm_vnf},
	    {"SERIAL LOG", "serial_log"},
	    {NULL},
	};

	if (json_array_size(json_object_get(r, "vms")) == 0) {
		printf("no VMs (qvctl apply FILE with vnfs first)\n");
		return;
	}
	table_view(json_object_get(r, "vms"), "", cols, NULL);
}

int cmd_vm(int argc, char **argv)
{
	static const struct {
		const char *verb, *method;
		int min, max;        /* positional arguments */
		const char *p1, *p2; /* their parameter names */
	} verbs[] = {
	    {"list", "vm.list", 0, 0, NULL, NULL},
	    {"start", "vm.start", 1, 1, "name", NULL},
	    {"stop", "vm.stop", 1, 1, "name", NULL},
	    {"restart", "vm.restart", 1, 1, "name", NULL},
	    {"console", "vm.console", 1, 1, "name", NULL},
	    {"snapshot", "vm.snapshot", 1, 2, "name", "tag"},
	    {"revert", "vm.revert", 2, 2, "name", "tag"},
	    {"clone", "vm.clone", 2, 2, "name", "new"},
	    {"delete", "vm.delete", 1, 1, "name", NULL},
	    {"xml", "vm.xml", 1, 1, "name", NULL},
	};
	char key[32];
	size_t k;
	int npos = 0;

	if (argc < 1)
		return usage_error("vm", "vm what? (list, start, stop, ...)");
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strcmp(argv[0], verbs[k].verb) == 0)
			break;
	if (k == sizeof(verbs) / sizeof(verbs[0]))
		return usage_error("vm", "unknown vm command '%s'", argv[0]);
	snprintf(key, sizeof(key), "vm %s", verbs[k].verb);
	json_t *params = json_object();
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v, *num = NULL;
		unsigned long n;

		if ((!strcmp(argv[0], "stop") || !strcmp(argv[0], "restart")) &&
		    (v = opt_value(argc, argv, &i, "--timeout-s", &missing)))
			num = "timeout_s";
		else if (!missing && !strcmp(argv[0], "console") &&
		         (v = opt_value(argc, argv, &i, "--bytes", &missing)))
			num = "bytes";
		if (missing) {
			json_decref(params);
			return usage_error(key, "%s needs a value", argv[i]);
		}
		if (num) {
			if (!parse_uint(v, strcmp(num, "bytes") == 0, 1 << 20, &n)) {
				json_decref(params);
				return usage_error(key, "'%s': expected a number", v);
			}
			json_object_set_new(params, num, json_integer((json_int_t)n));
			continue;
		}
		if (argv[i][0] == '-' || npos >= verbs[k].max) {
			json_decref(params);
			return usage_error(key, "unexpected argument '%s'", argv[i]);
		}
		json_object_set_new(params, npos ? verbs[k].p2 : verbs[k].p1, json_string(argv[i]));
		npos++;
	}
	if (npos < verbs[k].min) {
		json_decref(params);
		return usage_error(key, "vm %s needs %s", verbs[k].verb,
		                   verbs[k].min == 2 ? "two arguments" : "the VM's NAME");
	}
	opt.to_controld = true;
	if (!opt.timeout_set)
		opt.timeout_ms = VM_TIMEOUT_MS;
	json_t *r;
	int rc = rpc(verbs[k].method, params, &r);
	if (rc)
		return rc;
	if (!json_out(r)) {
		const char *name = json_string_value(json_object_get(r, "name"));
		if (k == 0)
			view_vms(r);
		else if (!strcmp(argv[0], "console"))
			fputs(json_string_value(json_object_get(r, "text")), stdout);
		else if (!strcmp(argv[0], "xml"))
			fputs(json_string_value(json_object_get(r, "xml")), stdout);
		else if (!strcmp(argv[0], "snapshot") || !strcmp(argv[0], "revert"))
			printf("VM %s: %s %s\n", name,
			       !strcmp(argv[0], "revert") ? "reverted to" : "snapshot",
			       json_string_value(json_object_get(r, "tag")));
		else if (!strcmp(argv[0], "clone"))
			printf("VM %s cloned from %s\n", name,
			       json_string_value(json_object_get(r, "source")));
		else
			printf("VM %s: %s%s\n", name, json_string_value(json_object_get(r, "done")),
			       json_is_true(json_object_get(r, "forced"))
			           ? " (did not shut down in time: destroyed)"
			           : "");
	}
	json_decref(r);
	return 0;
}
