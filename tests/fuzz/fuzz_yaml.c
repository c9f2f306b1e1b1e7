/* qwikvirt: libFuzzer target for the YAML service loader and the chain compiler: loading must
 * never crash, and every model that loads must compile to a plan the switch can take: unique
 * port names and vhost socket paths, rules the switch's parser accepts on the plan's ports. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/chain_compile.h"
#include "control/model.h"
#include "lib/rule_syntax.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(const char *name, void *ctx)
{
	return qv_switch_plan_port(ctx, name);
}

/* The invariants port.add and flow.add rely on: the switch refuses a second port of a name or a
 * second vhost port on one socket, so a plan breaking them would fail half-applied. */
static void check_plan(const struct qv_switch_plan *p)
{
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct qv_switch_port *a = &p->ports[i];

		if (a->name[0] == '\0' || (a->vhost && (a->path == NULL || a->path[0] == '\0')))
			abort();
		for (size_t j = 0; j < i; j++) {
			const struct qv_switch_port *b = &p->ports[j];

			if (strcmp(a->name, b->name) == 0)
				abort(); /* two ports of one name */
			if (a->vhost && b->vhost && strcmp(a->path, b->path) == 0)
				abort(); /* two vhost ports on one socket */
		}
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		struct qv_rule r;
		char err[512];

		if (qv_switch_plan_port(p, p->rules[i].in_port) < 0)
			abort(); /* a rule on a port the plan does not add */
		/* lookup() fails for a port outside the plan, so this also checks every output */
		if (qv_rule_parse(p->rules[i].text, lookup, (void *)p, &r, err, sizeof(err)) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qv_diags d;
	struct qv_model *m;
	struct qv_switch_plan *p;
	char err[512];

	qv_diags_init(&d);
	if (qv_model_load_buffer("fuzz.yaml", (const char *)data, size, &m, &d) == 0) {
		if (d.n != 0 || qv_chain_compile(m, &p, err, sizeof(err)) != 0)
			abort(); /* a model that loads must compile */
		check_plan(p);
		qv_switch_plan_free(p);
		qv_model_free(m);
	} else if (d.n == 0 && d.lost == 0) {
		abort(); /* a refused file must say why */
	}
	qv_diags_free(&d);
	return 0;
}
