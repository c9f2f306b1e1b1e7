/* qwikvirt: qvctl's commands for the switch: show, port, flow, stats and call. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

int cmd_show(int argc, char **argv)
{
	static const struct {
		const char *name, *method;
		void (*view)(const json_t *);
	} views[] = {
	    {"ports", "port.list", view_ports}, {"pmd", "pmd.show", view_pmd},
	    {"flows", "flow.list", view_flows}, {"drops", "stats.get", view_drops_result},
	    {"l2", "l2.show", view_l2},
	};

	if (argc < 1)
		return usage_error("show", "show what?");
	if (strcmp(argv[0], "chains") == 0) {
		if (argc > 1)
			return usage_error("show", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("chains.show", view_chains);
	}
	if (strcmp(argv[0], "placement") == 0) {
		if (argc > 1)
			return usage_error("show placement", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("placement.show", view_placement);
	}
	if (strcmp(argv[0], "controld") == 0) {
		if (argc > 1)
			return usage_error("show", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("state.show", view_controld);
	}
	if (strcmp(argv[0], "port") == 0) { /* show port NAME: its queue pairs */
		json_t *result;
		int rc;

		if (argc != 2)
			return usage_error("show port", "show port needs one NAME");
		rc = rpc("port.queues", json_pack("{s:s}", "name", argv[1]), &result);
		if (rc)
			return rc;
		if (!json_out(result)) {
			printf("port %s\n", argv[1]);
			view_port_queues(result);
		}
		json_decref(result);
		return 0;
	}
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		if (strcmp(argv[0], views[i].name) != 0)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "show %s", views[i].name);
		if (argc > 1)
			return usage_error(key, "unexpected argument '%s'", argv[1]);
		return call_and_view(views[i].method, views[i].view);
	}
	return usage_error("show", "unknown view '%s'", argv[0]);
}

static int cmd_port_add(int argc, char **argv)
{
	const char *key = "port add";

	if (argc < 3)
		return usage_error(key, "port add needs NAME, TYPE and %s",
		                   argc >= 2 && strcmp(argv[1], "dpdk") == 0 ? "DEVARGS" : "PATH");
	const char *name = argv[0], *type = argv[1];
	bool vhost = strcmp(type, "vhost") == 0, dpdk = strcmp(type, "dpdk") == 0;
	if (!vhost && !dpdk)
		return usage_error(key, "unknown port type '%s': expected vhost or dpdk", type);

	json_t *params = json_pack("{s:s, s:s, s:s}", "name", name, "type", type,
	                           vhost ? "path" : "devargs", argv[2]);
	for (int i = 3; i < argc; i++) {
		bool missing = false;
		const char *v;
		const char *numopt = NULL;

		if (vhost && strcmp(argv[i], "--client") == 0) {
			json_object_set_new(params, "client", json_true());
			continue;
		}
		if (strcmp(argv[i], "--down") == 0) {
			json_object_set_new(params, "admin", json_string("down"));
			continue;
		}
		if ((v = opt_value(argc, argv, &i, "--default", &missing))) {
			json_object_set_new(params, "default", json_string(v));
			continue;
		}
		if (!missing && vhost && (v = opt_value(argc, argv, &i, "--queues", &missing)))
			numopt = "queues";
		else if (!missing && dpdk && (v = opt_value(argc, argv, &i, "--rxq", &missing)))
			numopt = "rxq";
		else if (!missing && dpdk && (v = opt_value(argc, argv, &i, "--txq", &missing)))
			numopt = "txq";
		if (missing) {
			json_decref(params);
			return usage_error(key, "%s needs a value", argv[i]);
		}
		if (numopt) {
			unsigned long n;
			if (!parse_uint(v, 1, 65535, &n)) {
				json_decref(params);
				return usage_error(key, "--%s '%s': expected a number 1..65535",
				                   numopt, v);
			}
			json_object_set_new(params, numopt, json_integer((json_int_t)n));
			continue;
		}
		json_decref(params);
		if (vhost && (!strncmp(argv[i], "--rxq", 5) || !strncmp(argv[i], "--txq", 5)))
			return usage_error(key, "%s is for dpdk ports: vhost ports take --queues",
			                   argv[i]);
		if (dpdk && (!strncmp(argv[i], "--queues", 8) || !strcmp(argv[i], "--client")))
			return usage_error(key, "%s is for vhost ports", argv[i]);
		return usage_error(key, "unexpected argument '%s'", argv[i]);
	}

	json_t *result;
	int rc = rpc("port.add", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("port %s added (index %lld)\n", name, jint(result, "index"));
	json_decref(result);
	return 0;
}

static int cmd_port_del(int argc, char **argv)
{
	if (argc != 1)
		return usage_error("port del", argc ? "too many arguments" : "port del needs NAME");
	json_t *result;
	int rc = rpc("port.del", json_pack("{s:s}", "name", argv[0]), &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("port %s deleted\n", argv[0]);
	json_decref(result);
	return 0;
}

static int cmd_port_set(int argc, char **argv)
{
	const char *def = NULL, *admin = NULL;

	if (argc < 1)
		return usage_error("port set", "port set needs NAME");
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		if (strcmp(argv[i], "--up") == 0 || strcmp(argv[i], "--down") == 0) {
			admin = argv[i] + 2;
			continue;
		}
		const char *v = opt_value(argc, argv, &i, "--default", &missing);
		if (missing)
			return usage_error("port set", "--default needs drop or l2");
		if (v == NULL)
			return usage_error("port set", "unexpected argument '%s'", argv[i]);
		def = v;
	}
	if (def == NULL && admin == NULL)
		return usage_error("port set",
		                   "nothing to set: give --default drop|l2, --up or --down");
	json_t *result, *params = json_pack("{s:s}", "name", argv[0]);
	if (def)
		json_object_set_new(params, "default", json_string(def));
	if (admin)
		json_object_set_new(params, "admin", json_string(admin));
	int rc = rpc("port.set", params, &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (def)
			printf("port %s: default is now %s\n", argv[0], def);
		if (admin)
			printf("port %s: admin state is now %s\n", argv[0], admin);
	}
	json_decref(result);
	return 0;
}

int cmd_port(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("port", "port what?");
	if (strcmp(argv[0], "add") == 0)
		return cmd_port_add(argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return cmd_port_del(argc - 1, argv + 1);
	if (strcmp(argv[0], "set") == 0)
		return cmd_port_set(argc - 1, argv + 1);
	return usage_error("port", "unknown port command '%s'", argv[0]);
}

static int cmd_flow_add(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("flow add", "flow add needs a rule");
	/* An unquoted rule arrives as several words; the syntax separates the match from the
	 * actions by a space, so joining them back is what the user meant. */
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len);
	if (text == NULL) {
		fprintf(stderr, "qvctl: out of memory\n");
		return EXIT_RPC;
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	json_t *params = json_pack("{s:s}", "flow", text);
	free(text);

	json_t *result;
	int rc = rpc("flow.add", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("flow %lld added\n", jint(result, "id"));
	json_decref(result);
	return 0;
}

static int cmd_flow_del(int argc, char **argv)
{
	json_t *params;
	unsigned long id = 0;
	bool all = false;

	if (argc != 1)
		return usage_error("flow del",
		                   argc ? "too many arguments" : "flow del needs an ID or --all");
	if (strcmp(argv[0], "--all") == 0) {
		all = true;
		params = json_pack("{s:b}", "all", 1);
	} else if (parse_uint(argv[0], 0, UINT32_MAX, &id)) {
		params = json_pack("{s:I}", "id", (json_int_t)id);
	} else {
		return usage_error("flow del",
		                   "bad flow id '%s': expected a number (see qvctl "
		                   "show flows) or --all",
		                   argv[0]);
	}
	json_t *result;
	int rc = rpc("flow.del", params, &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (all)
			printf("%lld flow(s) deleted\n", jint(result, "deleted"));
		else
			printf("flow %lu deleted\n", id);
	}
	json_decref(result);
	return 0;
}

int cmd_flow(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("flow", "flow what?");
	if (strcmp(argv[0], "add") == 0)
		return cmd_flow_add(argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return cmd_flow_del(argc - 1, argv + 1);
	return usage_error("flow", "unknown flow command '%s'", argv[0]);
}

int cmd_stats(int argc, char **argv)
{
	if (argc == 0)
		return call_and_view("stats.get", view_stats);
	if (strcmp(argv[0], "clear") != 0)
		return usage_error("stats", "unknown stats command '%s'", argv[0]);
	if (argc > 1)
		return usage_error("stats clear", "unexpected argument '%s'", argv[1]);
	json_t *result;
	int rc = rpc("stats.clear", NULL, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("statistics cleared\n");
	json_decref(result);
	return 0;
}

int cmd_call(int argc, char **argv)
{
	json_t *params = NULL;

	if (argc < 1 || argc > 2)
		return usage_error("call", argc ? "too many arguments" : "call needs a METHOD");
	if (argc == 2) {
		json_error_t jerr;
		params = json_loads(argv[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return usage_error("call", "JSON-PARAMS is not valid JSON: %s (column %d)",
			                   jerr.text, jerr.column);
		if (!json_is_object(params)) {
			json_decref(params);
			return usage_error("call", "JSON-PARAMS must be a JSON object, like "
			                           "'{\"name\": \"vm1\"}'");
		}
	}
	json_t *result;
	int rc = rpc(argv[0], params, &result);
	if (rc)
		return rc;
	print_json(result);
	json_decref(result);
	return 0;
}
