/* qwikvirt: qvctl's `show scaling` (qv-controld's scaling.show): each scaling VNF's load
 * signal, thresholds, current/min/max instances, drain, and its last decision and why. */
#include <stdio.h>

#include "control/qvctl/qvctl.h"

/* "cpu 80% for 30s", or "-" for a rule the file does not have */
static void fill_rule(struct row *r, int col, const json_t *rule, const json_t *vnf)
{
	char text[32], metric[16];

	if (!json_is_object(rule)) {
		cell(r, col, "-");
		return;
	}
	long long ms = jint(rule, "for_ms");
	if (ms % 1000)
		cell(r, col, "%s %s for %lldms", jtext(vnf, "metric", metric, sizeof(metric)),
		     jtext(rule, "text", text, sizeof(text)), ms);
	else
		cell(r, col, "%s %s for %llds", jtext(vnf, "metric", metric, sizeof(metric)),
		     jtext(rule, "text", text, sizeof(text)), ms / 1000);
}

static void fill_out(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	fill_rule(r, col, json_object_get(item, "scale_out"), item);
}

static void fill_in(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	fill_rule(r, col, json_object_get(item, "scale_in"), item);
}

static void fill_load(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	const json_t *s = json_object_get(item, "signal");
	char text[32];

	(void)ctx;
	if (!json_is_true(json_object_get(s, "valid")))
		cell(r, col, "-");
	else
		cell(r, col, "%s", jtext(s, "text", text, sizeof(text)));
}

static void fill_instances(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	if (jint(item, "target") < jint(item, "current"))
		cell(r, col, "%lld->%lld (%lld..%lld)", jint(item, "current"), jint(item, "target"),
		     jint(item, "min"), jint(item, "max"));
	else
		cell(r, col, "%lld (%lld..%lld)", jint(item, "current"), jint(item, "min"),
		     jint(item, "max"));
}

void view_scaling(const json_t *result)
{
	static const struct column cols[] = {
	    {"VNF", "vnf"},
	    {">LOAD", NULL, fill_load},
	    {"SCALE-OUT", NULL, fill_out},
	    {"SCALE-IN", NULL, fill_in},
	    {"INSTANCES (MIN..MAX)", NULL, fill_instances},
	    {"DECISION", "decision"},
	    {NULL},
	};
	const json_t *vnfs = jarray(result, "vnfs");
	char buf[512];
	size_t i;
	json_t *v;
	struct table t;

	if (vnfs == NULL || json_array_size(vnfs) == 0) {
		printf("no VNF scales (give one instances: {min: 1, max: N, scale-out: ...})\n");
		return;
	}
	table_init_columns(&t, "", cols);
	json_array_foreach(vnfs, i, v)
	{
		const json_t *s = json_object_get(v, "signal");

		table_add_item(&t, v, NULL);
		table_line(&t, "  why: %s", jtext(v, "why", buf, sizeof(buf)));
		table_line(&t, "  signal: %s", jtext(s, "source", buf, sizeof(buf)));
		if (jint(v, "target") < jint(v, "current"))
			table_line(&t,
			           "  draining: instances %lld..%lld take no new flows (at most "
			           "%llds more)",
			           jint(v, "target"), jint(v, "current") - 1,
			           (jint(v, "drain_left_ms") + 999) / 1000);
		if (jtext(v, "last_change", buf, sizeof(buf))[0])
			table_line(&t, "  last change: %s", buf);
		table_line(&t, "  cooldown %llds, drain at most %llds",
		           jint(v, "cooldown_ms") / 1000, jint(v, "drain_ms") / 1000);
	}
	table_print(&t);
	table_free(&t);
}
