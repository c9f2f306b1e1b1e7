/* qwikvirt: the compact flow syntax ("in=vhost0,proto=tcp,dst-port=80 actions=output:vhost1"),
 * text <-> struct qv_rule. Slow path: used by the switch's RPC handlers and by tests. */
#ifndef QV_RULE_SYNTAX_H
#define QV_RULE_SYNTAX_H

#include <stddef.h>
#include <stdint.h>

#include "qv/rule.h"

/* Port names are resolved by the caller (the switch's port table), so this module stays free of
 * switch state and can be unit-tested and fuzzed alone. */
typedef int (*qv_port_lookup_fn)(const char *name, void *ctx);     /* index or -1 */
typedef const char *(*qv_port_name_fn)(uint16_t index, void *ctx); /* NULL if none */

/* Longest rule text accepted by qv_rule_parse (bytes, without the terminating NUL). */
#define QV_RULE_TEXT_MAX 4096

/* Parses "MATCH actions=ACTIONS". Returns 0, or -1 with err naming the offending token, its
 * column (1-based), and what was expected ("column 4: unknown port 'x' (see qvctl show
 * ports)"). rule->id is left 0. On error *rule holds a partial parse and must not be used.
 * lookup may be NULL: every port name is then unknown. */
int qv_rule_parse(const char *text, qv_port_lookup_fn lookup, void *ctx, struct qv_rule *rule,
                  char *err, size_t errlen);

/* The formatters return the length of the text written, or -1 if it did not fit in len bytes
 * (buf then holds a truncated, NUL-terminated prefix when len > 0). A port without a name
 * (name NULL, or returning NULL) is written as its decimal index, which does not parse back.
 * The output of qv_rule_format() parses back to an equal rule. */

/* "in=vhost0,vlan=100,proto=tcp,dst-port=80" (plus ",priority=N" when it is not the default),
 * or "any". */
int qv_rule_format_match(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf,
                         size_t len);

/* "pop-vlan,output:vhost1" */
int qv_rule_format_actions(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf,
                           size_t len);

/* The whole rule: "MATCH actions=ACTIONS". */
int qv_rule_format(const struct qv_rule *r, qv_port_name_fn name, void *ctx, char *buf, size_t len);

#endif
