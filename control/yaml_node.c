/* qwikvirt: typed, error-reporting access to libyaml document nodes (see yaml_node.h).
 * libyaml gives every node a 0-based start mark; errors show them 1-based, as editors do. */
#include "control/yaml_node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/num.h"

/* Longest scalar quoted back in a message: enough to recognise it, short enough to read. */
#define FOUND_MAX 40

void yerr(struct yctx *c, struct qv_mark at, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	qv_diag_add(c->d, c->file, at, "%s", msg);
	c->n_errors++;
}

yaml_node_t *ynode(struct yctx *c, int index)
{
	if (++c->visits > QV_YAML_MAX_VISITS) {
		if (!c->over_budget)
			yerr(c, (struct qv_mark){0, 0},
			     "the document expands to more than %d nodes (aliases?): expected a "
			     "service definition of reasonable size",
			     QV_YAML_MAX_VISITS);
		c->over_budget = true;
		return NULL;
	}
	return yaml_document_get_node(c->doc, index);
}

struct qv_mark ymark(const yaml_node_t *n)
{
	if (n == NULL)
		return (struct qv_mark){0, 0};
	return (struct qv_mark){(unsigned)n->start_mark.line + 1,
	                        (unsigned)n->start_mark.column + 1};
}

bool ynull(const yaml_node_t *n)
{
	if (n == NULL)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return strcmp(s, "") == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

const char *ytext(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE || ynull(n))
		return NULL;
	const char *s = (const char *)n->data.scalar.value;
	return strlen(s) == n->data.scalar.length ? s : NULL;
}

const char *yfound(const yaml_node_t *n, char *buf, size_t len)
{
	if (n == NULL || ynull(n))
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	const char *s = ytext(n);
	if (s == NULL)
		return "text with a NUL character";
	if (strlen(s) > FOUND_MAX)
		snprintf(buf, len, "'%.*s...'", FOUND_MAX, s);
	else
		snprintf(buf, len, "'%s'", s);
	return buf;
}

static void key_list(const char *const keys[], uint32_t allowed, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned i = 0; keys[i] && pos < len; i++) {
		if (allowed & (1u << i))
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "",
			                        keys[i]);
	}
}

bool ymap(struct yctx *c, yaml_node_t *map, const char *const keys[], uint32_t allowed,
          const char *what, struct yfields *f)
{
	char found[64], expect[300];

	memset(f, 0, sizeof(*f));
	if (map == NULL || map->type != YAML_MAPPING_NODE) {
		yerr(c, ymark(map), "bad %s: found %s, expected a mapping (key: value)", what,
		     yfound(map, found, sizeof(found)));
		return false;
	}
	key_list(keys, allowed, expect, sizeof(expect));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = ynode(c, p->key);
		if (k == NULL)
			return true;
		const char *name = ytext(k);
		if (name == NULL || k->type != YAML_SCALAR_NODE) {
			yerr(c, ymark(k), "bad key in %s: found %s, expected one of: %s", what,
			     yfound(k, found, sizeof(found)), expect);
			continue;
		}
		unsigned i = 0;
		while (keys[i] && strcmp(keys[i], name) != 0)
			i++;
		if (keys[i] == NULL) {
			yerr(c, ymark(k), "unknown key '%.*s' in %s (expected one of: %s)",
			     FOUND_MAX, name, what, expect);
			continue;
		}
		if (!(allowed & (1u << i))) {
			yerr(c, ymark(k), "key '%s' does not apply to %s (expected one of: %s)",
			     name, what, expect);
			continue;
		}
		if (f->key_mark[i].line) {
			yerr(c, ymark(k), "duplicate key '%s' in %s (first at line %u)", name, what,
			     f->key_mark[i].line);
			continue;
		}
		f->key_mark[i] = ymark(k);
		f->val[i] = ynode(c, p->value);
	}
	return true;
}

yaml_node_t *ymap_peek(struct yctx *c, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *name = ytext(ynode(c, p->key));
		if (name && strcmp(name, key) == 0)
			return ynode(c, p->value);
	}
	return NULL;
}

/* "'key' in WHAT", or WHAT alone when the value is not under a key. */
static const char *label(const char *key, const char *what, char *buf, size_t len)
{
	if (key == NULL)
		return what;
	snprintf(buf, len, "'%s' in %s", key, what);
	return buf;
}

static void bad(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
                const char *expect)
{
	char found[64], lab[200];
	yerr(c, ymark(n), "bad %s: found %s, expected %s", label(key, what, lab, sizeof(lab)),
	     yfound(n, found, sizeof(found)), expect);
}

long ylist(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
           yaml_node_item_t **items)
{
	if (n == NULL || n->type != YAML_SEQUENCE_NODE) {
		bad(c, n, key, what, "a list");
		return -1;
	}
	*items = n->data.sequence.items.start;
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

bool ystr(struct yctx *c, yaml_node_t *n, const char *key, const char *what, const char *expect,
          char **out)
{
	const char *s = ytext(n);
	if (s == NULL || s[0] == '\0') {
		bad(c, n, key, what, expect);
		return false;
	}
	free(*out);
	*out = strdup(s);
	if (*out == NULL) {
		yerr(c, ymark(n), "out of memory reading %s", what);
		return false;
	}
	return true;
}

bool yabs_path(struct yctx *c, yaml_node_t *n, const char *key, const char *what, char **out)
{
	const char *s = ytext(n);
	if (s && s[0] != '/') {
		char lab[200];
		yerr(c, ymark(n), "bad %s: found '%.40s', expected an absolute path",
		     label(key, what, lab, sizeof(lab)), s);
		return false;
	}
	return ystr(c, n, key, what, "an absolute path", out);
}

void ylabel(struct yctx *c, yaml_node_t *map, const char *kind, long index, char *buf, size_t len)
{
	const char *name = ytext(ymap_peek(c, map, "name"));
	if (name && qv_name_ok(name))
		snprintf(buf, len, "%s '%s'", kind, name);
	else
		snprintf(buf, len, "%s #%ld", kind, index + 1);
}

#define NAME_EXPECT "a name of 1..31 letters, digits, '_', '.' or '-'"

bool yname(struct yctx *c, yaml_node_t *n, const char *key, const char *what, char **out)
{
	const char *s = ytext(n);
	if (s == NULL || !qv_name_ok(s)) {
		bad(c, n, key, what, NAME_EXPECT);
		return false;
	}
	return ystr(c, n, key, what, NAME_EXPECT, out);
}

bool yuint(struct yctx *c, yaml_node_t *n, const char *key, const char *what, unsigned long min,
           unsigned long max, unsigned long *out)
{
	char expect[64];
	uint64_t v;

	snprintf(expect, sizeof(expect), "a number %lu..%lu", min, max);
	/* Decimal digits only: no sign, no spaces, no octal or hex surprises. */
	if (!qv_parse_uint(ytext(n), 10, min, max, &v)) {
		bad(c, n, key, what, expect);
		return false;
	}
	*out = (unsigned long)v;
	return true;
}

bool ybool(struct yctx *c, yaml_node_t *n, const char *key, const char *what, bool *out)
{
	static const char *const words[] = {"true", "false", NULL};
	unsigned i;

	if (!yenum(c, n, key, what, words, &i))
		return false;
	*out = i == 0;
	return true;
}

bool yenum(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
           const char *const words[], unsigned *out)
{
	char expect[200];
	size_t pos = 0;
	const char *s = ytext(n);

	for (unsigned i = 0; words[i]; i++) {
		if (s && strcmp(s, words[i]) == 0) {
			*out = i;
			return true;
		}
	}
	for (unsigned i = 0; words[i] && pos < sizeof(expect); i++)
		pos += (size_t)snprintf(expect + pos, sizeof(expect) - pos, "%s%s",
		                        i == 0         ? ""
		                        : words[i + 1] ? ", "
		                                       : " or ",
		                        words[i]);
	bad(c, n, key, what, expect);
	return false;
}

void ymissing(struct yctx *c, yaml_node_t *map, const char *key, const char *what, const char *hint)
{
	yerr(c, ymark(map), "missing '%s' in %s (expected %s)", key, what, hint);
}
