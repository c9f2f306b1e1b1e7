/* qwikvirt: typed access to a libyaml document for the service loader: every getter checks the
 * node's type and value and appends "FILE:LINE:COL: found X, expected Y" errors itself. */
#ifndef QV_YAML_NODE_H
#define QV_YAML_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include <yaml.h>

#include "control/diag.h"
#include "lib/name.h" /* qv_name_ok: names are port names in the switch */

/* Node visits allowed per document: aliases can make a small file expand exponentially. */
#define QV_YAML_MAX_VISITS 200000

/* Most keys any one mapping of the schema has. */
#define QV_YAML_MAX_KEYS 24

struct yctx {
	const char *file;
	yaml_document_t *doc;
	struct qv_diags *d;
	size_t visits;
	bool over_budget;
	size_t n_errors; /* errors this loader appended */
};

void yerr(struct yctx *c, struct qv_mark at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The node with that index, or NULL (index 0, or the visit budget is spent). */
yaml_node_t *ynode(struct yctx *c, int index);
struct qv_mark ymark(const yaml_node_t *n);
bool ynull(const yaml_node_t *n);
/* A scalar's text, or NULL for anything else (including null and text with a NUL byte). */
const char *ytext(const yaml_node_t *n);
/* What a node is, for "found ...": "'abc'", "a mapping", "a list", "nothing". */
const char *yfound(const yaml_node_t *n, char *buf, size_t len);

/* The values of a mapping's keys, by the key's index in the schema's key list. */
struct yfields {
	yaml_node_t *val[QV_YAML_MAX_KEYS];
	struct qv_mark key_mark[QV_YAML_MAX_KEYS];
};

/* Reads mapping `map` whose keys must be among keys[] (NULL-terminated) and allowed by the bit
 * mask `allowed` (bit i for keys[i]); a key of the list that is not allowed is reported as not
 * applying to `what`. Reports non-scalar, unknown and duplicate keys. Returns false (and
 * reports it) when map is not a mapping. */
bool ymap(struct yctx *c, yaml_node_t *map, const char *const keys[], uint32_t allowed,
          const char *what, struct yfields *f);

/* The value of `key` in mapping map, without checks (to name an object before reading it). */
yaml_node_t *ymap_peek(struct yctx *c, yaml_node_t *map, const char *key);

/* Items of a list: returns the count and sets *items, or -1 after reporting that n is not a
 * list (`key` and `what` name it). */
long ylist(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
           yaml_node_item_t **items);

/* Typed values. Each reports "wrong type"/"bad value" errors at the value and returns false;
 * `key` and `what` name the value in the message. `expect` describes what is accepted. */
bool ystr(struct yctx *c, yaml_node_t *n, const char *key, const char *what, const char *expect,
          char **out);
bool yname(struct yctx *c, yaml_node_t *n, const char *key, const char *what, char **out);
bool yuint(struct yctx *c, yaml_node_t *n, const char *key, const char *what, unsigned long min,
           unsigned long max, unsigned long *out);
bool ybool(struct yctx *c, yaml_node_t *n, const char *key, const char *what, bool *out);
/* One of words[] (NULL-terminated); *out is its index. */
bool yenum(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
           const char *const words[], unsigned *out);

/* Reports "missing 'key' in WHAT (expected HINT)" at the mapping. */
void ymissing(struct yctx *c, yaml_node_t *map, const char *key, const char *what,
              const char *hint);

/* An absolute path, as the daemon and the switch do not share a working directory. */
bool yabs_path(struct yctx *c, yaml_node_t *n, const char *key, const char *what, char **out);

/* "chain 'web'" (KIND and the mapping's name), or "chain #2" (1-based INDEX) when the item has
 * no usable name: what messages about one item of a list call it. */
void ylabel(struct yctx *c, yaml_node_t *map, const char *kind, long index, char *buf, size_t len);

#endif
