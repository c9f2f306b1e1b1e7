/* qwikvirt: unit tests of the scaling decision (control/controld/scale_policy.c) on a clock
 * the test moves: thresholds held for their `for`, hysteresis, cool-down, min..max, drain. */
#include <string.h>

#include "control/controld/scaling.h"
#include "qv_unit.h"

/* cpu: out over 80% for 30s, in under 20% for 60s, cooldown 60s, drain 10s, 1..3 */
static struct qv_model_scaling cfg(void)
{
	return (struct qv_model_scaling){
	    .on = true,
	    .min = 1,
	    .max = 3,
	    .metric = QV_SCALE_CPU,
	    .out = {.set = true, .threshold = 80, .for_ms = 30000},
	    .in = {.set = true, .threshold = 20, .for_ms = 60000},
	    .cooldown_ms = 60000,
	    .drain_ms = 10000,
	};
}

static enum qv_scale_action step(const struct qv_model_scaling *c, struct qv_scale_state *st,
                                 double load, long long now, struct qv_scale_decision *d)
{
	qv_scale_decide(c, st, true, load, now, d);
	return d->action;
}

static void test_out_after_for(void)
{
	struct qv_model_scaling c = cfg();
	struct qv_scale_state st;
	struct qv_scale_decision d;

	qv_scale_state_init(&st, 1);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 0, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_PENDING);
	CU_ASSERT_EQUAL(step(&c, &st, 95, 29999, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(step(&c, &st, 91, 30000, &d), QV_SCALE_OUT);
	CU_ASSERT_EQUAL(d.to, 2);
	CU_ASSERT_STRING_EQUAL(d.why, "load 91% over scale-out's 80% for 30s: 1 -> 2");
	/* a dip under the threshold starts the wait again */
	qv_scale_state_init(&st, 1);
	step(&c, &st, 90, 0, &d);
	step(&c, &st, 50, 20000, &d);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_BETWEEN);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 40000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 69999, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 70000, &d), QV_SCALE_OUT);
	/* exactly at the threshold is not over it */
	qv_scale_state_init(&st, 1);
	step(&c, &st, 80, 0, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 80, 100000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_BETWEEN);
}

static void test_cooldown_and_max(void)
{
	struct qv_model_scaling c = cfg();
	struct qv_scale_state st;
	struct qv_scale_decision d;

	qv_scale_state_init(&st, 1);
	step(&c, &st, 90, 0, &d);
	CU_ASSERT_EQUAL_FATAL(step(&c, &st, 90, 30000, &d), QV_SCALE_OUT);
	qv_scale_changed(&c, &st, d.to, 30000);
	CU_ASSERT_EQUAL(st.current, 2);
	/* still loaded: held by the cool-down, 60 s from the change */
	step(&c, &st, 90, 30001, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 60001, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_COOLDOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "cooling down (30s left)"));
	CU_ASSERT_EQUAL(step(&c, &st, 90, 90000, &d), QV_SCALE_OUT);
	qv_scale_changed(&c, &st, d.to, 90000);
	CU_ASSERT_EQUAL(st.current, 3);
	step(&c, &st, 99, 200000, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 99, 300000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_AT_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "but at max 3"));
}

static void test_in_hysteresis_and_drain(void)
{
	struct qv_model_scaling c = cfg();
	struct qv_scale_state st;
	struct qv_scale_decision d;

	qv_scale_state_init(&st, 2);
	/* between the thresholds: nothing, however long */
	step(&c, &st, 50, 0, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 50, 1000000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_BETWEEN);
	step(&c, &st, 10, 1000000, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 10, 1059999, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_PENDING);
	CU_ASSERT_EQUAL(step(&c, &st, 10, 1060000, &d), QV_SCALE_IN);
	CU_ASSERT_EQUAL(d.to, 1);
	qv_scale_changed(&c, &st, d.to, 1060000);
	/* the count stays until the drain ends: decisions wait for it */
	CU_ASSERT_EQUAL(st.current, 2);
	CU_ASSERT_EQUAL(st.drain_to, 1);
	CU_ASSERT_EQUAL(st.drain_until, 1070000);
	CU_ASSERT_EQUAL(step(&c, &st, 99, 1065000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_DRAINING);
	CU_ASSERT_STRING_EQUAL(d.why, "instances 1..1 draining (at most 5s more)");
	/* at min: no scale-in */
	qv_scale_state_init(&st, 1);
	step(&c, &st, 1, 0, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 1, 60000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_AT_LIMIT);
	/* one instance fewer would carry 3 x 19% / 2 = 28.5%: fine; with scale-out at 25%, the
	 * same load would flap (scale-in must stay under 25%, so 20 is allowed by the loader) */
	c.out.threshold = 25;
	qv_scale_state_init(&st, 3);
	step(&c, &st, 19, 0, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 19, 60000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_WOULD_FLAP);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "2 instances would carry 28%"));
	c.out.threshold = 80;
	CU_ASSERT_EQUAL(step(&c, &st, 19, 60001, &d), QV_SCALE_IN);
}

static void test_signal_manual_range(void)
{
	struct qv_model_scaling c = cfg();
	struct qv_scale_state st;
	struct qv_scale_decision d;

	qv_scale_state_init(&st, 1);
	step(&c, &st, 90, 0, &d);
	/* the signal is lost: the wait starts again when it is back */
	qv_scale_decide(&c, &st, false, 0, 20000, &d);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_NO_SIGNAL);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 30000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(step(&c, &st, 90, 60000, &d), QV_SCALE_OUT);
	/* outside min..max (the file changed): brought back into it, cool-down or not */
	qv_scale_state_init(&st, 5);
	st.last_change = 0;
	CU_ASSERT_EQUAL(step(&c, &st, 50, 1, &d), QV_SCALE_IN);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_RANGE);
	CU_ASSERT_EQUAL(d.to, 3);
	c.min = 2;
	qv_scale_state_init(&st, 1);
	CU_ASSERT_EQUAL(step(&c, &st, 50, 1, &d), QV_SCALE_OUT);
	CU_ASSERT_EQUAL(d.to, 2);
	/* no rule: only by hand */
	c = cfg();
	c.metric = QV_SCALE_MANUAL;
	c.out.set = c.in.set = false;
	qv_scale_state_init(&st, 1);
	CU_ASSERT_EQUAL(step(&c, &st, 100, 1000000, &d), QV_SCALE_HOLD);
	CU_ASSERT_EQUAL(d.reason, QV_WHY_MANUAL);
	/* pps thresholds print as rates */
	c = cfg();
	c.metric = QV_SCALE_PPS;
	c.out.threshold = 1000000;
	c.out.for_ms = 500;
	qv_scale_state_init(&st, 1);
	step(&c, &st, 2500000, 0, &d);
	CU_ASSERT_EQUAL(step(&c, &st, 2500000, 500, &d), QV_SCALE_OUT);
	CU_ASSERT_STRING_EQUAL(d.why, "load 2.5Mpps over scale-out's 1Mpps for 500ms: 1 -> 2");
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"scale-out after the load held for its 'for'", test_out_after_for},
	    {"cool-down after a change, nothing past max", test_cooldown_and_max},
	    {"scale-in: hysteresis, min, would-flap, drain", test_in_hysteresis_and_drain},
	    {"no signal, manual only, count outside min..max", test_signal_manual_range},
	};

	return QV_UNIT_RUN("scale_policy", tests);
}
