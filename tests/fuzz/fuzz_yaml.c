/* qwikvirt: libFuzzer target for the YAML service loader and the chain compiler: loading must
 * never crash, and every model that loads must compile to rules the switch's parser accepts.
 * Not built by meson; build by hand, for example:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -I. \
 *     tests/fuzz/fuzz_yaml.c control/diag.c control/units.c control/yaml_node.c \
 *     control/yaml_load.c control/yaml_chain.c control/yaml_bandwidth.c control/model.c \
 *     control/validate.c \
 *     control/match_rel.c control/chain_flow.c control/chain_compile.c \
 *     lib/rule_syntax.c lib/mac.c lib/name.c lib/num.c -lyaml -o fuzz_yaml
 *   ./fuzz_yaml -max_total_time=60 configs/ */
#include <stdint.h>
#include <stdlib.h>

#include "control/chain_compile.h"
#include "control/model.h"
#include "lib/rule_syntax.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(const char *name, void *ctx)
{
	return qv_switch_plan_port(ctx, name);
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
		for (size_t i = 0; i < p->n_rules; i++) {
			struct qv_rule r;
			if (qv_rule_parse(p->rules[i].text, lookup, p, &r, err, sizeof(err)) != 0)
				abort();
		}
		qv_switch_plan_free(p);
		qv_model_free(m);
	} else if (d.n == 0 && d.lost == 0) {
		abort(); /* a refused file must say why */
	}
	qv_diags_free(&d);
	return 0;
}
