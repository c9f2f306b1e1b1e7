/* qwikvirt: qv-switchd's configuration file on libyaml's document API: every key checked,
 * every error with the node's FILE:LINE:COLUMN, ports and rules turned into RPC requests. */
#include "dataplane/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "control/rpc/rpc.h"
#include "dataplane/rpc_handlers.h"
#include "lib/num.h"

struct cfg_ctx {
	const char *file;
	yaml_document_t doc;
	FILE *errs;
	int n_err;
};

static const char *const top_keys[] = {"socket",    "pmd-cores",   "main-core",   "mbufs",
                                       "hugepages", "memory-mb",   "file-prefix", "eal-args",
                                       "log-level", "log-target",  "l2-aging",    "ports",
                                       "rules",     "capture-dir", "vhost-dir",   NULL};

__attribute__((format(printf, 3, 4))) static void err_at(struct cfg_ctx *x, yaml_mark_t m,
                                                         const char *fmt, ...)
{
	va_list ap;

	fprintf(x->errs, "%s:%zu:%zu: ", x->file, m.line + 1, m.column + 1);
	va_start(ap, fmt);
	vfprintf(x->errs, fmt, ap);
	va_end(ap);
	fputc('\n', x->errs);
	x->n_err++;
}

static yaml_node_t *node(struct cfg_ctx *x, int i)
{
	return yaml_document_get_node(&x->doc, i);
}

/* A plain or quoted scalar's text, or NULL. */
static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* "'abc'", "a list", "a mapping": what was found, for the message. */
static const char *found(const yaml_node_t *n, char *buf, size_t len)
{
	if (!n)
		return "nothing";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->data.scalar.length == 0)
		return "nothing";
	snprintf(buf, len, "'%.60s'", (const char *)n->data.scalar.value);
	return buf;
}

static bool get_uint(struct cfg_ctx *x, yaml_node_t *n, const char *key, unsigned lo, unsigned hi,
                     unsigned *out)
{
	char b[80];
	uint64_t v;

	if (!scalar(n) || !qv_parse_uint(scalar(n), 10, lo, hi, &v)) {
		err_at(x, n->start_mark, "'%s': found %s, expected a number %u..%u", key,
		       found(n, b, sizeof(b)), lo, hi);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool get_bool(struct cfg_ctx *x, yaml_node_t *n, const char *key, bool *out)
{
	const char *s = scalar(n);
	char b[80];

	if (s && strcmp(s, "true") == 0)
		*out = true;
	else if (s && strcmp(s, "false") == 0)
		*out = false;
	else {
		err_at(x, n->start_mark, "'%s': found %s, expected true or false", key,
		       found(n, b, sizeof(b)));
		return false;
	}
	return true;
}

static bool get_str(struct cfg_ctx *x, yaml_node_t *n, const char *key, bool abs_path, char **out)
{
	const char *s = scalar(n);
	char b[80];

	if (!s || !*s || (abs_path && s[0] != '/')) {
		err_at(x, n->start_mark, "'%s': found %s, expected %s", key, found(n, b, sizeof(b)),
		       abs_path ? "an absolute path" : "a text");
		return false;
	}
	free(*out);
	*out = strdup(s);
	return true;
}

static void read_cores(struct cfg_ctx *x, yaml_node_t *n, struct qv_switchd_config *c)
{
	char b[80];

	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.start == n->data.sequence.items.top) {
		err_at(
		    x, n->start_mark,
		    "'pmd-cores': found %s, expected a list of CPU numbers such as [1] or [1, 3]",
		    found(n, b, sizeof(b)));
		return;
	}
	c->n_pmd = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *cpu = node(x, *it);
		uint64_t v;
		bool dup = false;

		if (!scalar(cpu) || !qv_parse_uint(scalar(cpu), 10, 0, 1023, &v)) {
			err_at(x, cpu->start_mark,
			       "'pmd-cores': found %s, expected a CPU number 0..1023",
			       found(cpu, b, sizeof(b)));
			continue;
		}
		for (unsigned i = 0; i < c->n_pmd; i++)
			dup |= c->pmd[i] == v;
		if (dup) {
			err_at(x, cpu->start_mark, "'pmd-cores': CPU %u is in the list twice",
			       (unsigned)v);
		} else if (c->n_pmd == QV_MAX_PMDS) {
			err_at(x, cpu->start_mark, "'pmd-cores': more than %d CPUs", QV_MAX_PMDS);
			return;
		} else {
			c->pmd[c->n_pmd++] = (unsigned)v;
		}
	}
	c->has_pmd = c->n_pmd > 0;
}

static void read_eal(struct cfg_ctx *x, yaml_node_t *n, struct qv_switchd_config *c)
{
	char b[80];

	if (n->type != YAML_SEQUENCE_NODE) {
		err_at(x, n->start_mark,
		       "'eal-args': found %s, expected a list of texts such as "
		       "[\"-a\", \"0000:03:00.0\"]",
		       found(n, b, sizeof(b)));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *a = node(x, *it);
		char **grown;

		if (!scalar(a)) {
			err_at(x, a->start_mark, "'eal-args': found %s, expected a text",
			       found(a, b, sizeof(b)));
			continue;
		}
		grown = realloc(c->eal_args, (c->n_eal + 1) * sizeof(*grown));
		if (!grown)
			return;
		c->eal_args = grown;
		c->eal_args[c->n_eal++] = strdup(scalar(a));
	}
}

static void add_request(struct qv_switchd_config *c, yaml_mark_t m, const char *file,
                        const char *what, const char *method, json_t *params)
{
	struct qv_config_request *grown = realloc(c->req, (c->n_req + 1) * sizeof(*grown));
	json_t *r = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", (int)c->n_req + 1,
	                      "method", method, "params", params);

	if (!grown || !r) {
		json_decref(r);
		return;
	}
	c->req = grown;
	c->req[c->n_req].line = json_dumps(r, JSON_COMPACT);
	snprintf(c->req[c->n_req].where, sizeof(c->req[c->n_req].where), "%s:%zu:%zu: %s", file,
	         m.line + 1, m.column + 1, what);
	c->n_req++;
	json_decref(r);
}

/* A port: a mapping of scalars, given to port.add as they are (the switch checks them, as
 * for qvctl port add): plain numbers become numbers, true/false booleans, the rest text. */
static void read_port(struct cfg_ctx *x, yaml_node_t *n, struct qv_switchd_config *c)
{
	json_t *params = json_object();
	char b[80], what[80];
	bool ok = true;

	if (n->type != YAML_MAPPING_NODE) {
		err_at(x, n->start_mark,
		       "'ports': found %s, expected a port such as {name: vm1, type: vhost, path: "
		       "/run/qwikvirt/vm1.sock}",
		       found(n, b, sizeof(b)));
		json_decref(params);
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		const char *s = scalar(v);
		uint64_t num;
		json_t *j;

		if (!scalar(k) || !s) {
			err_at(x, (s ? k : v)->start_mark,
			       "port: found %s, expected 'key: value' with a text, number or "
			       "true/false value",
			       found(s ? k : v, b, sizeof(b)));
			ok = false;
			continue;
		}
		if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			j = json_string(s);
		else if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
			j = json_boolean(strcmp(s, "true") == 0);
		else if (qv_parse_uint(s, 10, 0, UINT32_MAX, &num))
			j = json_integer((json_int_t)num);
		else
			j = json_string(s);
		if (json_object_get(params, scalar(k))) {
			err_at(x, k->start_mark, "port: key '%s' given twice", scalar(k));
			ok = false;
		}
		json_object_set_new(params, scalar(k), j);
	}
	if (!json_is_string(json_object_get(params, "name"))) {
		err_at(x, n->start_mark, "port: missing 'name' (expected e.g. name: vm1)");
		ok = false;
	}
	if (!ok) {
		json_decref(params);
		return;
	}
	snprintf(what, sizeof(what), "port '%s'",
	         json_string_value(json_object_get(params, "name")));
	add_request(c, n->start_mark, x->file, what, "port.add", params);
}

static void read_list(struct cfg_ctx *x, yaml_node_t *n, const char *key,
                      struct qv_switchd_config *c)
{
	char b[80];

	if (n->type != YAML_SEQUENCE_NODE) {
		err_at(x, n->start_mark, "'%s': found %s, expected a list", key,
		       found(n, b, sizeof(b)));
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = node(x, *it);

		if (strcmp(key, "ports") == 0) {
			read_port(x, item, c);
		} else if (!scalar(item) || !*scalar(item)) {
			err_at(x, item->start_mark,
			       "'rules': found %s, expected a rule such as 'in=vm1 "
			       "actions=output:vm2' (qvctl flow add --help)",
			       found(item, b, sizeof(b)));
		} else {
			char what[80];

			snprintf(what, sizeof(what), "rule %ld",
			         (long)(it - n->data.sequence.items.start) + 1);
			add_request(c, item->start_mark, x->file, what, "flow.add",
			            json_pack("{s:s}", "flow", scalar(item)));
		}
	}
}

static void read_key(struct cfg_ctx *x, const char *key, yaml_node_t *v,
                     struct qv_switchd_config *c)
{
	char b[80];

	if (strcmp(key, "socket") == 0) {
		get_str(x, v, key, true, &c->socket);
	} else if (strcmp(key, "capture-dir") == 0) {
		get_str(x, v, key, true, &c->capture_dir);
	} else if (strcmp(key, "vhost-dir") == 0) {
		get_str(x, v, key, true, &c->vhost_dir);
	} else if (strcmp(key, "file-prefix") == 0) {
		get_str(x, v, key, false, &c->file_prefix);
	} else if (strcmp(key, "pmd-cores") == 0) {
		read_cores(x, v, c);
	} else if (strcmp(key, "main-core") == 0) {
		c->has_main_core = get_uint(x, v, key, 0, 1023, &c->main_core);
	} else if (strcmp(key, "mbufs") == 0) {
		c->has_mbufs = get_uint(x, v, key, 1024, 1u << 24, &c->mbufs);
	} else if (strcmp(key, "hugepages") == 0) {
		c->has_hugepages = get_bool(x, v, key, &c->hugepages);
	} else if (strcmp(key, "memory-mb") == 0) {
		c->has_mem = get_uint(x, v, key, 64, 1u << 20, &c->mem_mb);
	} else if (strcmp(key, "l2-aging") == 0) {
		c->has_l2_aging = get_uint(x, v, key, 1, 86400, &c->l2_aging_s);
	} else if (strcmp(key, "log-level") == 0) {
		c->has_level = qv_log_level_parse(scalar(v), &c->level);
		if (!c->has_level)
			err_at(x, v->start_mark,
			       "'log-level': found %s, expected " QV_LOG_LEVEL_WORDS,
			       found(v, b, sizeof(b)));
	} else if (strcmp(key, "log-target") == 0) {
		c->has_target = qv_log_target_parse(scalar(v), &c->target);
		if (!c->has_target)
			err_at(x, v->start_mark,
			       "'log-target': found %s, expected stderr or syslog",
			       found(v, b, sizeof(b)));
	} else if (strcmp(key, "eal-args") == 0) {
		read_eal(x, v, c);
	} else {
		read_list(x, v, key, c); /* ports, rules */
	}
}

static void read_top(struct cfg_ctx *x, yaml_node_t *root, struct qv_switchd_config *c)
{
	char b[80];
	bool seen[sizeof(top_keys) / sizeof(top_keys[0])] = {false};

	if (!root) /* an empty file, or only comments: all defaults */
		return;
	if (root->type != YAML_MAPPING_NODE) {
		err_at(x, root->start_mark,
		       "found %s, expected a mapping of settings (socket, "
		       "pmd-cores, ...)",
		       found(root, b, sizeof(b)));
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(x, p->key), *v = node(x, p->value);
		const char *key = scalar(k);
		size_t i;

		for (i = 0; key && top_keys[i] && strcmp(top_keys[i], key) != 0; i++)
			;
		if (!key || !top_keys[i]) {
			err_at(
			    x, k->start_mark,
			    "unknown key %s (expected one of: socket, pmd-cores, main-core, mbufs, "
			    "hugepages, memory-mb, file-prefix, eal-args, log-level, log-target, "
			    "l2-aging, capture-dir, vhost-dir, ports, rules)",
			    found(k, b, sizeof(b)));
			continue;
		}
		if (seen[i]) {
			err_at(x, k->start_mark, "key '%s' given twice", key);
			continue;
		}
		seen[i] = true;
		read_key(x, key, v, c);
	}
}

int qv_switchd_config_load(const char *path, struct qv_switchd_config *c, FILE *errs)
{
	struct cfg_ctx x = {.file = path, .errs = errs};
	yaml_parser_t parser;
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(path, "r");
	if (!f) {
		fprintf(errs, "%s: cannot read the configuration file: %s\n", path,
		        strerror(errno));
		return 1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &x.doc)) {
		err_at(&x, parser.problem_mark, "YAML syntax error: %s",
		       parser.problem ? parser.problem : "unreadable");
	} else {
		read_top(&x, yaml_document_get_root_node(&x.doc), c);
		yaml_document_delete(&x.doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return x.n_err;
}

void qv_switchd_config_free(struct qv_switchd_config *c)
{
	free(c->socket);
	free(c->file_prefix);
	free(c->capture_dir);
	free(c->vhost_dir);
	for (unsigned i = 0; i < c->n_eal; i++)
		free(c->eal_args[i]);
	free(c->eal_args);
	for (unsigned i = 0; i < c->n_req; i++)
		free(c->req[i].line);
	free(c->req);
	memset(c, 0, sizeof(*c));
}

int qv_switchd_config_apply(const struct qv_switchd_config *c, FILE *errs)
{
	for (unsigned i = 0; i < c->n_req; i++) {
		char *resp = qv_rpc_handle_line(c->req[i].line, strlen(c->req[i].line),
		                                qv_switch_methods, NULL);
		json_t *r = resp ? json_loads(resp, 0, NULL) : NULL;
		json_t *e = r ? json_object_get(r, "error") : NULL;
		int rc = 0;

		if (!r || e) {
			fprintf(errs, "%s: %s\n", c->req[i].where,
			        e ? json_string_value(json_object_get(e, "message"))
			          : "no answer from the switch");
			rc = -1;
		}
		json_decref(r);
		free(resp);
		if (rc)
			return -1;
	}
	return 0;
}
