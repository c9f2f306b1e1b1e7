/* qwikvirt: qvctl's commands for the switch: show, port, flow, stats and call. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/qvctl/qvctl.h"
#include "control/rpc/rpc.h"

/* show flows --summary: the two parts of the table, their memory and build times. */
static void view_flow_summary(const json_t *r)
{
	const json_t *acl = json_object_get(r, "acl"), *d = json_object_get(r, "delta");
	const json_t *rb = json_object_get(r, "rebuild");
	char e[400];

	printf("rules in force   %lld (limit %lld, --max-rules)\n", jint(r, "rules"),
	       jint(r, "max_rules"));
	printf("rte_acl part     %lld rules, %.1f MiB, built in %.3f s (%s)\n", jint(acl, "rules"),
	       (double)jint(acl, "bytes") / (1 << 20), jreal(acl, "build_s"),
	       jtext(acl, "kind", e, sizeof(e)));
	printf("delta            %lld added, %lld copies, %lld deleted; %lld tuples, %.1f KiB\n",
	       jint(d, "added"), jint(d, "copies"), jint(d, "deleted"), jint(d, "tuples"),
	       (double)jint(d, "bytes") / 1024);
	printf("rebuilds         %lld (%lld folded in, %lld discarded)%s; last %.3f s\n",
	       jint(rb, "builds"), jint(rb, "folds"), jint(rb, "discarded"),
	       json_is_true(json_object_get(rb, "running")) ? ", one running" : "",
	       jreal(rb, "last_build_s"));
	if (jtext(rb, "last_error", e, sizeof(e))[0])
		printf("last error       %s\n", e);
}

/* show port NAME: every field the switch reports for one port (RSS, RETA, MTU, link...),
 * then its queue pairs as the guest enabled them and rte_vhost's counters (port.queues),
 * for the kinds that have them. */
static int show_port(int argc, char **argv)
{
	json_t *result, *p, *found = NULL;
	size_t i;

	if (argc != 1)
		return usage_error("show port",
		                   argc ? "too many arguments" : "show port needs NAME");
	int rc = rpc("port.list", json_object(), &result);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(result, "ports"), i, p)
	{
		if (json_is_string(json_object_get(p, "name")) &&
		    strcmp(json_string_value(json_object_get(p, "name")), argv[0]) == 0)
			found = p;
	}
	if (!found) {
		json_decref(result);
		fprintf(stderr, "qvctl: no port named '%s' (see qvctl show ports)\n", argv[0]);
		return EXIT_RPC;
	}
	json_t *queues = NULL;
	char qerr[256];
	int qcode;

	/* a kind without queue pairs answers an error: then there is no such section */
	if (qv_rpc_call(opt.sock, "port.queues", json_pack("{s:s}", "name", argv[0]),
	                opt.timeout_ms, &queues, &qcode, qerr, sizeof(qerr)) != 0)
		queues = NULL;
	if (queues && json_array_size(json_object_get(queues, "queues")))
		json_object_set(found, "queue_pairs", json_object_get(queues, "queues"));
	if (!json_out(found)) {
		const char *k;
		json_t *v;

		json_object_foreach(found, k, v)
		{
			char *text = json_is_string(v)
			                 ? NULL
			                 : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

			if (strcmp(k, "queue_pairs") != 0)
				printf("%-14s %s\n", k, text ? text : json_string_value(v));
			free(text);
		}
		if (queues && json_array_size(json_object_get(queues, "queues")))
			view_port_queues(queues);
	}
	json_decref(queues);
	json_decref(result);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	static const struct {
		const char *name, *method;
		void (*view)(const json_t *);
	} views[] = {
	    {"ports", "port.list", view_ports}, {"pmd", "pmd.show", view_pmd},
	    {"flows", "flow.list", view_flows}, {"drops", "stats.get", view_drops_result},
	    {"l2", "l2.show", view_l2},         {"groups", "group.show", view_groups},
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
	if (strcmp(argv[0], "flows") == 0 && argc == 2 && strcmp(argv[1], "--summary") == 0)
		return call_and_view("flow.summary", view_flow_summary);
	if (strcmp(argv[0], "flows") == 0 && argc == 1)
		return show_flows();
	if (strcmp(argv[0], "port") == 0)
		return show_port(argc - 1, argv + 1);
	if (strcmp(argv[0], "scaling") == 0) {
		if (argc > 1)
			return usage_error("show scaling", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("scaling.show", view_scaling);
	}
	if (strcmp(argv[0], "controld") == 0) {
		if (argc > 1)
			return usage_error("show", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("state.show", view_controld);
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

/* Port types qvctl knows, with what their third argument is (the RPC key and its name). */
static const struct {
	const char *type, *key, *what;
	bool queues; /* --queues (else --rxq/--txq) */
} port_types[] = {
    {"vhost", "path", "PATH", true},
    {"dpdk", "devargs", "DEVARGS", false},
    {"af_packet", "iface", "NETDEV", true},
    {"af_xdp", "iface", "NETDEV", true},
    {"vhost_kernel", "iface", "TAPNAME", true},
};

/* A numeric option NAME VALUE (1..max) into params[key]; 1 if taken, 0 if not it, -1 bad.
 */
static int num_option(int argc, char **argv, int *i, const char *opt, const char *key,
                      unsigned long max, json_t *params, const char *cmd)
{
	bool missing = false;
	const char *v = opt_value(argc, argv, i, opt, &missing);
	unsigned long n;

	if (missing) {
		usage_error(cmd, "%s needs a value", opt);
		return -1;
	}
	if (!v)
		return 0;
	if (!parse_uint(v, 1, max, &n)) {
		usage_error(cmd, "%s '%s': expected a number 1..%lu", opt, v, max);
		return -1;
	}
	json_object_set_new(params, key, json_integer((json_int_t)n));
	return 1;
}

static int cmd_port_add(int argc, char **argv)
{
	const char *key = "port add";
	int t = -1;

	for (size_t k = 0; argc >= 2 && k < sizeof(port_types) / sizeof(port_types[0]); k++)
		if (strcmp(argv[1], port_types[k].type) == 0)
			t = (int)k;
	if (argc < 3)
		return usage_error(key, "port add needs NAME, TYPE and %s",
		                   t >= 0 ? port_types[t].what : "PATH");
	const char *name = argv[0], *type = argv[1];
	if (t < 0)
		return usage_error(
		    key,
		    "unknown port type '%s': expected vhost, dpdk, af_packet, af_xdp "
		    "or vhost_kernel",
		    type);
	bool vhost = strcmp(type, "vhost") == 0, queues = port_types[t].queues;

	json_t *params =
	    json_pack("{s:s, s:s, s:s}", "name", name, "type", type, port_types[t].key, argv[2]);
	for (int i = 3; i < argc; i++) {
		bool missing = false;
		const char *v;
		int rc;

		if (vhost && strcmp(argv[i], "--client") == 0) {
			json_object_set_new(params, "client", json_true());
			continue;
		}
		if (vhost && strcmp(argv[i], "--no-vring-stats") == 0) {
			json_object_set_new(params, "vring_stats", json_false());
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
		if (vhost && !missing && (v = opt_value(argc, argv, &i, "--mbufs", &missing))) {
			/* a count, or 0 for the shared pool: the switch checks it */
			json_object_set_new(params, "mbufs", json_string(v));
			continue;
		}
		rc = missing ? -1 : num_option(argc, argv, &i, "--mtu", "mtu", 65535, params, key);
		if (rc == 0 && queues)
			rc = num_option(argc, argv, &i, "--queues", "queues", 65535, params, key);
		if (rc == 0 && !queues)
			rc = num_option(argc, argv, &i, "--rxq", "rxq", 65535, params, key);
		if (rc == 0 && !queues)
			rc = num_option(argc, argv, &i, "--txq", "txq", 65535, params, key);
		if (missing)
			usage_error(key, "%s needs a value", argv[i]);
		if (rc != 0) {
			if (rc < 0 || missing) {
				json_decref(params);
				return 2;
			}
			continue;
		}
		json_decref(params);
		if (queues && (!strncmp(argv[i], "--rxq", 5) || !strncmp(argv[i], "--txq", 5)))
			return usage_error(key, "%s is for dpdk ports: %s ports take --queues",
			                   argv[i], type);
		if (!queues && (!strncmp(argv[i], "--queues", 8) || !strcmp(argv[i], "--client")))
			return usage_error(key, "%s is for vhost ports", argv[i]);
		if (!vhost && !strcmp(argv[i], "--no-vring-stats"))
			return usage_error(key, "--no-vring-stats is for vhost ports");
		if (!vhost && !strncmp(argv[i], "--mbufs", 7))
			return usage_error(key,
			                   "--mbufs is for vhost ports (%s ports take the "
			                   "switch's pools)",
			                   type);
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

/* port.police for one direction; 0 or the rpc status. */
static int port_police(const char *port, const char *dir, const char *spec)
{
	char err[256];
	json_t *result, *params = police_params(port, dir, spec, err, sizeof(err));

	if (!params)
		return usage_error("port set", "--%spolice: %s",
		                   strcmp(dir, "egress") == 0 ? "egress-" : "", err);
	int rc = rpc("port.police", params, &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (strcmp(spec, "off") == 0)
			printf("port %s: no %s policer\n", port, dir);
		else
			printf("port %s: %s policed at %s (burst %lld)\n", port, dir, spec,
			       jint(result, "burst"));
	}
	json_decref(result);
	return 0;
}

static int cmd_port_set(int argc, char **argv)
{
	const char *def = NULL, *admin = NULL, *key = "port set", *police[2] = {NULL, NULL};
	static const char *const police_opt[2] = {"--police", "--egress-police"};

	if (argc < 1)
		return usage_error(key, "port set needs NAME");
	json_t *result, *params = json_pack("{s:s}", "name", argv[0]);
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		int rc = 0;

		if (strcmp(argv[i], "--up") == 0 || strcmp(argv[i], "--down") == 0) {
			admin = argv[i] + 2;
			continue;
		}
		const char *v = NULL;
		for (int d = 0; d < 2 && !v && !missing; d++)
			if ((v = opt_value(argc, argv, &i, police_opt[d], &missing)))
				police[d] = v;
			else if (missing) {
				json_decref(params);
				return usage_error(key, "%s needs RATE[,BURST] or off",
				                   police_opt[d]);
			}
		if (v)
			continue;
		v = opt_value(argc, argv, &i, "--default", &missing);
		if (missing) {
			json_decref(params);
			return usage_error(key, "--default needs drop or l2");
		}
		if (v) {
			def = v;
			continue;
		}
		if ((v = opt_value(argc, argv, &i, "--mbufs", &missing))) {
			/* vhost ports only: the switch checks it and the port kind */
			json_object_set_new(params, "mbufs", json_string(v));
			continue;
		}
		if (missing) {
			json_decref(params);
			return usage_error(key, "--mbufs needs N (0: the shared pool)");
		}
		static const char *const nums[][2] = {
		    {"--mtu", "mtu"}, {"--queues", "queues"}, {"--rxq", "rxq"}, {"--txq", "txq"}};
		for (size_t k = 0; rc == 0 && k < sizeof(nums) / sizeof(nums[0]); k++)
			rc = num_option(argc, argv, &i, nums[k][0], nums[k][1], 65535, params, key);
		if (rc < 0) {
			json_decref(params);
			return 2;
		}
		if (rc == 0) {
			json_decref(params);
			return usage_error(key, "unexpected argument '%s'", argv[i]);
		}
	}
	if (def == NULL && admin == NULL && json_object_size(params) == 1 && !police[0] &&
	    !police[1]) {
		json_decref(params);
		return usage_error(key, "nothing to set: give --default drop|l2, --up, --down, "
		                        "--mtu N, --queues N (--rxq/--txq N for dpdk ports), "
		                        "--mbufs N (vhost), --police or --egress-police");
	}
	for (int d = 0; d < 2; d++) {
		int rc = police[d] ? port_police(argv[0], d ? "egress" : "ingress", police[d]) : 0;
		if (rc) {
			json_decref(params);
			return rc;
		}
	}
	if (def == NULL && admin == NULL && json_object_size(params) == 1) {
		json_decref(params);
		return 0;
	}
	if (def)
		json_object_set_new(params, "default", json_string(def));
	if (admin)
		json_object_set_new(params, "admin", json_string(admin));
	json_incref(params); /* rpc consumes it; the summary below reads it */
	int rc = rpc("port.set", params, &result);
	if (rc) {
		json_decref(params);
		return rc;
	}
	if (!json_out(result)) {
		const char *k;
		json_t *v;

		json_object_foreach(params, k, v)
		{
			if (strcmp(k, "name") == 0)
				continue;
			if (json_is_string(v))
				printf("port %s: %s is now %s\n", argv[0],
				       strcmp(k, "admin") == 0 ? "admin state" : k,
				       json_string_value(v));
			else
				printf("port %s: %s is now %lld\n", argv[0], k,
				       (long long)json_integer_value(v));
		}
	}
	json_decref(params);
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
	/* An unquoted rule arrives as several words; the syntax separates the match from
	 * the actions by a space, so joining them back is what the user meant. */
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

/* One request of a transaction stays under the switch's request limit with room to spare. */
#define FLOW_CHUNK_BYTES (QV_RPC_MAX_REQUEST - 8192)

/* Sends rules[from..to) as one flow.apply request of transaction *txn (0: the first one,
 * which opens it); commit on the last. Prints an error naming FILE:LINE for a refused rule.
 */
static int flow_apply_chunk(const char *path, char **rules, const int *lines, size_t from,
                            size_t to, bool replace, bool commit, long long *txn, json_t **out)
{
	json_t *params = json_object(), *add = json_array(), *result = NULL;
	char err[1024] = "";
	int code = 0, rc;
	/* the commit builds the whole table: give it time unless --timeout says otherwise
	 */
	int timeout =
	    commit && !opt.timeout_set && opt.timeout_ms < 120000 ? 120000 : opt.timeout_ms;

	for (size_t i = from; i < to; i++)
		json_array_append_new(add, json_string(rules[i]));
	json_object_set_new(params, "add", add);
	json_object_set_new(params, "commit", json_boolean(commit));
	if (*txn)
		json_object_set_new(params, "txn", json_integer(*txn));
	else if (replace)
		json_object_set_new(params, "replace", json_true());
	rc = qv_rpc_call(opt.sock, "flow.apply", params, timeout, &result, &code, err, sizeof(err));
	if (rc != 0) {
		unsigned idx;

		if (rc == 1 && sscanf(err, "add[%u]", &idx) == 1 && idx < to)
			fprintf(stderr, "qvctl: %s:%d: %s\n", path, lines[idx], err);
		else
			fprintf(stderr, "qvctl: %s: %s\n", path, err);
		return EXIT_RPC;
	}
	if (!commit)
		*txn = jint(result, "txn");
	*out = result;
	return 0;
}

/* flow add-file / replace-file: every rule of FILE (one per line; blank lines and lines
 * starting with '#' skipped) as ONE transaction: all applied, or none. */
static int cmd_flow_file(int argc, char **argv, bool replace)
{
	const char *key = replace ? "flow replace-file" : "flow add-file";
	size_t len = 0, n = 0, cap = 0, from = 0, bytes = 0;
	char *text, *line, **rules = NULL;
	int *lines = NULL, lineno = 0, rc = 0;
	long long txn = 0;
	json_t *result = NULL;

	if (argc != 1)
		return usage_error(key, argc ? "too many arguments" : "%s needs a FILE", key);
	text = read_whole_file(argv[0], &len);
	if (!text) {
		fprintf(stderr, "qvctl: %s: cannot read it\n", argv[0]);
		return EXIT_RPC;
	}
	/* strsep, not strtok: empty lines still count for the line numbers */
	for (char *p = text; (line = strsep(&p, "\n")) != NULL;) {
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		size_t l = strlen(line);
		while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
			line[--l] = 0;
		if (l == 0 || line[0] == '#')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			rules = realloc(rules, cap * sizeof(*rules));
			lines = realloc(lines, cap * sizeof(*lines));
			if (!rules || !lines) {
				fprintf(stderr, "qvctl: out of memory reading %s\n", argv[0]);
				return EXIT_RPC;
			}
		}
		rules[n] = line;
		lines[n++] = lineno;
	}
	for (size_t i = 0; i <= n && rc == 0; i++) {
		size_t l = i < n ? strlen(rules[i]) + 8 : 0;

		if (i < n && (bytes + l < FLOW_CHUNK_BYTES || i == from)) {
			bytes += l;
			continue;
		}
		/* rules[from..i) fill a request; the last one commits */
		rc = flow_apply_chunk(argv[0], rules, lines, from, i, replace, i == n, &txn,
		                      &result);
		if (rc == 0 && i < n)
			json_decref(result);
		from = i;
		bytes = l;
	}
	if (rc == 0) {
		if (!json_out(result))
			printf("%lld flow(s) added, %lld deleted, in one transaction: %lld "
			       "rules in "
			       "force\n",
			       jint(result, "added"), jint(result, "deleted"),
			       jint(result, "rules"));
		json_decref(result);
	}
	free(rules);
	free(lines);
	free(text);
	return rc;
}

int cmd_flow(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("flow", "flow what?");
	if (strcmp(argv[0], "add") == 0)
		return cmd_flow_add(argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return cmd_flow_del(argc - 1, argv + 1);
	if (strcmp(argv[0], "add-file") == 0)
		return cmd_flow_file(argc - 1, argv + 1, false);
	if (strcmp(argv[0], "replace-file") == 0)
		return cmd_flow_file(argc - 1, argv + 1, true);
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
