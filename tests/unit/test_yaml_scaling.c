/* qwikvirt: unit tests of a VNF's `instances:` (control/yaml_scaling.c): the fixed count, the
 * scaling mapping and its defaults, and every error at FILE:LINE:COL. */
#include <stdio.h>
#include <string.h>

#include "control/chain_compile.h"
#include "control/model.h"
#include "qv_unit.h"

#define HEAD                                                                                       \
	"ports: [{name: p1, type: vhost, path: /a}, {name: p2, type: vhost, path: /b}]\n"          \
	"vnfs:\n"                                                                                  \
	"  - name: fw\n"                                                                           \
	"    image: x\n"
#define TAIL "chains: [{name: c, from: p1, hops: [fw], to: p2}]\n"

static struct qv_model *load(const char *text, struct qv_diags *d)
{
	struct qv_model *m = NULL;

	qv_diags_init(d);
	qv_model_load_buffer("t.yaml", text, strlen(text), &m, d);
	return m;
}

/* text must fail with exactly the one error want. */
static void expect_error(const char *text, const char *want)
{
	struct qv_diags d;
	struct qv_model *m = load(text, &d);

	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(d.n, 1);
	if (d.n != 1 || strcmp(d.v[0].text, want) != 0) {
		fprintf(stderr, "\n  for:\n%s  got %zu errors:\n", text, d.n);
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "    %s\n", d.v[i].text);
		fprintf(stderr, "  wanted: %s\n", want);
		CU_FAIL("not the expected error");
	}
	qv_model_free(m);
	qv_diags_free(&d);
}

static void test_scaling_loaded(void)
{
	struct qv_diags d;
	struct qv_model *m = load(HEAD "    instances:\n"
	                               "      min: 1\n"
	                               "      max: 4\n"
	                               "      scale-out: {cpu: 80%, for: 30s}\n"
	                               "      scale-in: {cpu: 20%}\n"
	                               "      cooldown: 2m\n"
	                               "      drain: 500ms\n" TAIL,
	                          &d);
	const struct qv_model_scaling *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	s = &m->vnfs[0].scaling;
	CU_ASSERT_TRUE(s->on);
	CU_ASSERT_EQUAL(m->vnfs[0].instances, 1);
	CU_ASSERT_EQUAL(s->min, 1);
	CU_ASSERT_EQUAL(s->max, 4);
	CU_ASSERT_EQUAL(s->metric, QV_SCALE_CPU);
	CU_ASSERT_EQUAL(s->out.threshold, 80);
	CU_ASSERT_EQUAL(s->out.for_ms, 30000);
	CU_ASSERT_EQUAL(s->in.threshold, 20);
	CU_ASSERT_EQUAL(s->in.for_ms, QV_SCALE_DEFAULT_IN_FOR_MS);
	CU_ASSERT_EQUAL(s->cooldown_ms, 120000);
	CU_ASSERT_EQUAL(s->drain_ms, 500);
	CU_ASSERT_EQUAL(qv_model_vnf_most(&m->vnfs[0]), 4);
	qv_model_free(m);
	qv_diags_free(&d);

	m = load(HEAD "    instances: {min: 2, max: 3, scale-out: {pps: 1Mpps, for: 1h}}\n" TAIL,
	         &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	s = &m->vnfs[0].scaling;
	CU_ASSERT_EQUAL(m->vnfs[0].instances, 2);
	CU_ASSERT_EQUAL(s->metric, QV_SCALE_PPS);
	CU_ASSERT_EQUAL(s->out.threshold, 1000000);
	CU_ASSERT_FALSE(s->in.set);
	CU_ASSERT_EQUAL(s->cooldown_ms, QV_SCALE_DEFAULT_COOLDOWN_MS);
	CU_ASSERT_EQUAL(s->drain_ms, QV_SCALE_DEFAULT_DRAIN_MS);
	qv_model_free(m);
	qv_diags_free(&d);

	/* no rule: manual scaling only (qvctl vnf scale), within min..max */
	m = load(HEAD "    instances: {max: 2}\n" TAIL, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->vnfs[0].scaling.metric, QV_SCALE_MANUAL);
	CU_ASSERT_EQUAL(m->vnfs[0].scaling.min, 1);
	qv_model_free(m);
	qv_diags_free(&d);

	/* a count stays a count */
	m = load(HEAD "    instances: 3\n" TAIL, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_FALSE(m->vnfs[0].scaling.on);
	CU_ASSERT_EQUAL(qv_model_vnf_most(&m->vnfs[0]), 3);
	qv_model_free(m);
	qv_diags_free(&d);
}

static void test_scaling_errors(void)
{
	expect_error(HEAD "    instances: {min: 1}\n" TAIL,
	             "t.yaml:5:16: missing 'max' in the instances of VNF 'fw' (expected the most "
	             "instances it may run, e.g. max: 4)");
	expect_error(HEAD "    instances: {min: 3, max: 2}\n" TAIL,
	             "t.yaml:5:30: bad 'max' in the instances of VNF 'fw': found 2, expected at "
	             "least 'min' (3)");
	expect_error(HEAD "    instances: {max: 9}\n" TAIL,
	             "t.yaml:5:22: bad 'max' in the instances of VNF 'fw': found '9', expected a "
	             "number 1..8");
	expect_error(HEAD "    instances: {max: 2, step: 1}\n" TAIL,
	             "t.yaml:5:25: unknown key 'step' in the instances of VNF 'fw' (expected one "
	             "of: min, max, scale-out, scale-in, cooldown, drain)");
	expect_error(HEAD "    instances: {max: 2, scale-out: {cpu: 180%}}\n" TAIL,
	             "t.yaml:5:42: bad 'cpu' in 'scale-out' of the instances of VNF 'fw': found "
	             "'180%', expected a percent of vCPU time, 1%..100%");
	expect_error(HEAD "    instances: {max: 2, scale-out: {cpu: 80}}\n" TAIL,
	             "t.yaml:5:42: bad 'cpu' in 'scale-out' of the instances of VNF 'fw': found "
	             "'80', expected a percent of vCPU time, 1%..100%");
	expect_error(HEAD "    instances: {max: 2, scale-out: {pps: 1Gbit}}\n" TAIL,
	             "t.yaml:5:42: bad 'pps' in 'scale-out' of the instances of VNF 'fw': found "
	             "'1Gbit', expected a packet rate per instance such as 500kpps or 1Mpps "
	             "(units: pps, kpps, Mpps)");
	expect_error(HEAD "    instances: {max: 2, scale-out: {for: 10s}}\n" TAIL,
	             "t.yaml:5:36: missing 'cpu' in 'scale-out' of the instances of VNF 'fw' "
	             "(expected a load signal and its threshold: cpu: 80% or pps: 1Mpps)");
	expect_error(HEAD "    instances: {max: 2, scale-out: {cpu: 80%, pps: 1Mpps}}\n" TAIL,
	             "t.yaml:5:47: 'scale-out' of the instances of VNF 'fw' has both 'cpu' (line "
	             "5) and 'pps': expected one load signal");
	expect_error(HEAD "    instances: {max: 2, scale-out: {cpu: 80%, for: 30}}\n" TAIL,
	             "t.yaml:5:52: bad 'for' in 'scale-out' of the instances of VNF 'fw': found "
	             "'30', expected a duration such as 30s, 500ms, 5m or 1h, at most 1h");
	expect_error(HEAD "    instances: {max: 2, cooldown: 2h}\n" TAIL,
	             "t.yaml:5:35: bad 'cooldown' in the instances of VNF 'fw': found '2h', "
	             "expected a duration such as 30s, 500ms, 5m or 1h, at most 1h");
	expect_error(HEAD "    instances:\n"
	                  "      max: 2\n"
	                  "      scale-out: {cpu: 80%}\n"
	                  "      scale-in: {pps: 10kpps}\n" TAIL,
	             "t.yaml:8:18: 'scale-in' of the instances of VNF 'fw' measures pps, but "
	             "'scale-out' measures cpu: expected one load signal for both");
	expect_error(
	    HEAD "    instances:\n"
	         "      max: 2\n"
	         "      scale-out: {cpu: 50%}\n"
	         "      scale-in: {cpu: 50%}\n" TAIL,
	    "t.yaml:8:17: bad 'scale-in' in the instances of VNF 'fw': its threshold (50%) "
	    "must be below scale-out's (50%), or the count would flap");
	/* validated at the most it may run: a group of 4 (at max) + 5 is over the switch's 8 */
	expect_error(
	    "ports: [{name: p1, type: vhost, path: /a}, {name: p2, type: vhost, path: /b}]\n"
	    "vnfs: [{name: a, image: x, instances: {max: 4}}, {name: b, image: x, "
	    "instances: 5}]\n"
	    "chains: [{name: c, from: p1, hops: [{group: [a, b]}], to: p2}]\n",
	    "t.yaml:3:37: hop 1 of chain 'c' balances over 9 VNF instances, expected at "
	    "most 8");
}

/* configs/autoscale.yaml loads, and its one scaling VNF compiles to a group of one */
static void test_example(void)
{
	struct qv_diags d;
	struct qv_model *m = NULL;
	struct qv_switch_plan *p = NULL;
	char err[512];

	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_file(QV_SOURCE_ROOT "/configs/autoscale.yaml", &m, &d), 0);
	for (size_t k = 0; k < d.n; k++)
		fprintf(stderr, "\n  %s", d.v[k].text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->vnfs[0].scaling.max, 4);
	CU_ASSERT_EQUAL_FATAL(qv_chain_compile(m, &p, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->rules[0].text, "actions=group:fw-0-in"));
	m->vnfs[0].instances = 2;
	qv_switch_plan_free(p);
	CU_ASSERT_EQUAL_FATAL(qv_chain_compile(m, &p, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->rules[0].text, "actions=group:fw-0-in+fw-1-in"));
	qv_switch_plan_free(p);
	qv_model_free(m);
	qv_diags_free(&d);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"instances: a count or a scaling mapping", test_scaling_loaded},
	    {"instances: errors at FILE:LINE:COL", test_scaling_errors},
	    {"configs/autoscale.yaml: a group of one that grows", test_example},
	};

	return QV_UNIT_RUN("yaml_scaling", tests);
}
