/* qwikvirt: unit tests of dataplane/lb — Maglev tables (balance, minimal disruption, order
 * independence, dead members) and the flow-affinity table; prints the fraction of established
 * flows that change instance on 2->3, 3->2 (one down) and 3->4, modulo vs Maglev + affinity. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

#include "dataplane/lb/lb_fast.h"
#include "qv_unit.h"

#define N_FLOWS 10000
#define IDLE 1000000ull

static uint32_t flow_hash(uint32_t i)
{
	return qv_maglev_mix32(i * 2654435761u + 12345u);
}

static void build_ordinals(struct qv_maglev *t, uint16_t n)
{
	uint64_t keys[QV_MAGLEV_MAX_MEMBERS];

	for (uint16_t k = 0; k < n; k++)
		keys[k] = k;
	CU_ASSERT_EQUAL_FATAL(qv_maglev_build(t, keys, n), 0);
}

static void test_balance(void)
{
	static struct qv_maglev t;

	for (uint16_t n = 1; n <= QV_MAGLEV_MAX_MEMBERS; n++) {
		unsigned slots[QV_MAGLEV_MAX_MEMBERS] = {0}, flows[QV_MAGLEV_MAX_MEMBERS] = {0};

		build_ordinals(&t, n);
		for (unsigned s = 0; s < QV_MAGLEV_SIZE; s++) {
			CU_ASSERT_FATAL(t.slot[s] < n);
			slots[t.slot[s]]++;
		}
		for (unsigned i = 0; i < 100000; i++)
			flows[qv_maglev_pick(&t, flow_hash(i), 0xff)]++;
		for (uint16_t m = 0; m < n; m++) {
			/* round-robin population: every member owns floor or ceil of M/n slots */
			CU_ASSERT(slots[m] * n >= QV_MAGLEV_SIZE - n &&
			          slots[m] * n <= QV_MAGLEV_SIZE + n);
			/* flows within 5% of their fair share */
			CU_ASSERT(flows[m] * n > 95000u && flows[m] * n < 105000u);
		}
	}
}

static void test_bad_input(void)
{
	static struct qv_maglev t;
	uint64_t keys[QV_MAGLEV_MAX_MEMBERS + 1] = {1, 2, 1};

	CU_ASSERT_EQUAL(qv_maglev_build(&t, keys, 0), -1);
	CU_ASSERT_EQUAL(qv_maglev_build(&t, keys, 3), -1); /* duplicate key */
	CU_ASSERT_EQUAL(qv_maglev_build(&t, keys, QV_MAGLEV_MAX_MEMBERS + 1), -1);
}

static void test_any_order(void)
{
	static struct qv_maglev a, b;
	uint64_t ka[5] = {11, 22, 33, 44, 55}, kb[5] = {44, 11, 55, 33, 22};

	CU_ASSERT_EQUAL_FATAL(qv_maglev_build(&a, ka, 5), 0);
	CU_ASSERT_EQUAL_FATAL(qv_maglev_build(&b, kb, 5), 0);
	for (unsigned s = 0; s < QV_MAGLEV_SIZE; s++)
		CU_ASSERT_EQUAL(ka[a.slot[s]], kb[b.slot[s]]);
}

/* Slots whose member changes when a member is added or removed: about the moved share only
 * (Maglev's bound: a few percent more than the ideal). */
static void test_minimal_disruption(void)
{
	static struct qv_maglev a, b;
	uint64_t keys[QV_MAGLEV_MAX_MEMBERS] = {0, 1, 2, 3, 4, 5, 6, 7};

	for (uint16_t n = 2; n < QV_MAGLEV_MAX_MEMBERS; n++) {
		unsigned changed = 0, removed_changed = 0;

		qv_maglev_build(&a, keys, n);
		qv_maglev_build(&b, keys, (uint16_t)(n + 1)); /* add member n */
		for (unsigned s = 0; s < QV_MAGLEV_SIZE; s++)
			changed += a.slot[s] != b.slot[s];
		CU_ASSERT((double)changed / QV_MAGLEV_SIZE < 1.0 / (n + 1) + 0.06);
		/* remove member 0: keys 1..n-1; slot values are positions in keys+1 */
		qv_maglev_build(&b, keys + 1, (uint16_t)(n - 1));
		for (unsigned s = 0; s < QV_MAGLEV_SIZE; s++)
			removed_changed += a.slot[s] != 0 && a.slot[s] != b.slot[s] + 1;
		printf(
		    "\n  %u -> %u members: %.1f%% of slots change owner (added), %u -> %u: %.1f%% "
		    "of the survivors' slots change",
		    n, n + 1, 100.0 * changed / QV_MAGLEV_SIZE, n, n - 1,
		    100.0 * removed_changed / QV_MAGLEV_SIZE);
		CU_ASSERT((double)removed_changed / QV_MAGLEV_SIZE < 0.03);
	}
}

/* A dead member: its flows (only) move, all to live members, spread over them. */
static void test_dead_member(void)
{
	static struct qv_maglev t;
	unsigned to[3] = {0};

	build_ordinals(&t, 3);
	for (unsigned i = 0; i < N_FLOWS; i++) {
		uint32_t h = flow_hash(i);
		int before = qv_maglev_pick(&t, h, 0x7), after = qv_maglev_pick(&t, h, 0x5);

		CU_ASSERT_FATAL(after == 0 || after == 2);
		if (before != 1) {
			CU_ASSERT_EQUAL(after, before);
		} else {
			to[after]++;
		}
	}
	CU_ASSERT(to[0] > to[2] / 2 && to[2] > to[0] / 2);
	CU_ASSERT_EQUAL(qv_maglev_pick(&t, 7, 0), -1);
}

static void test_affinity_table(void)
{
	struct qv_lb_affinity *a = calloc(1, sizeof(*a));
	uint64_t k1 = qv_lb_aff_key(7, 100), k2 = qv_lb_aff_key(7, 200);
	struct qv_lb_aff_entry *e;

	CU_ASSERT_PTR_NULL(qv_lb_aff_find(a, k1, 5, IDLE));
	qv_lb_aff_store(a, k1, 3, 1 << 20, IDLE);
	e = qv_lb_aff_find(a, k1, (1 << 20) + 10, IDLE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->val & QV_LB_AFF_MEMBER_MASK, 3);
	CU_ASSERT_PTR_NULL(qv_lb_aff_find(a, k2, (1 << 20) + 10, IDLE));
	CU_ASSERT_PTR_NULL(qv_lb_aff_find(a, k1, (1 << 20) + IDLE, IDLE)); /* idle: forgotten */
	CU_ASSERT_NOT_EQUAL(qv_lb_aff_key(0, 0), 0);
	free(a);
}

/* Group of n members with ports 10+k, group id 1. */
static void group_init(struct qv_lb_group *g, uint16_t n)
{
	memset(g, 0, sizeof(*g));
	g->id = 1;
	g->n = n;
	for (uint16_t k = 0; k < n; k++)
		g->members[k] = (uint16_t)(10 + k);
	build_ordinals(&g->mg, n);
}

/* Moves of N_FLOWS established flows from (n0 members, live0) to (n1, live1): today's
 * modulo over the live members, and Maglev + affinity. Returns the new scheme's moves and
 * how many flows were on the members that went down (*lost). */
static double measure(const char *what, uint16_t n0, uint32_t live0, uint16_t n1, uint32_t live1,
                      unsigned *moved_new, unsigned *on_dead)
{
	static struct qv_lb_group g0, g1;
	struct qv_lb_affinity *a = calloc(1, sizeof(*a));
	static uint16_t before[N_FLOWS];
	unsigned moved_mod = 0, moved_mg = 0;
	uint64_t now = 1 << 20;

	group_init(&g0, n0);
	group_init(&g1, n1);
	*moved_new = *on_dead = 0;
	for (unsigned i = 0; i < N_FLOWS; i++)
		before[i] = g0.members[qv_lb_pick(a, &g0, live0, flow_hash(i), now, IDLE)];
	for (unsigned i = 0; i < N_FLOWS; i++) {
		uint32_t h = flow_hash(i);
		uint16_t live_old[8], live_new[8], nl0 = 0, nl1 = 0;
		uint16_t after = g1.members[qv_lb_pick(a, &g1, live1, h, now + 1000, IDLE)];
		int mg = qv_maglev_pick(&g1.mg, h, live1);

		for (uint16_t k = 0; k < n0; k++)
			if (live0 & (1u << k))
				live_old[nl0++] = k;
		for (uint16_t k = 0; k < n1; k++)
			if (live1 & (1u << k))
				live_new[nl1++] = k;
		moved_mod += live_old[h % nl0] != live_new[h % nl1];
		moved_mg += g1.members[mg] != before[i];
		*moved_new += after != before[i];
		*on_dead += !(live1 & (1u << (before[i] - 10)));
	}
	printf("\n  %-22s modulo %5.1f%%  maglev alone %5.1f%%  maglev+affinity %5.1f%%"
	       "  (flows on the failed member %4.1f%%)",
	       what, 100.0 * moved_mod / N_FLOWS, 100.0 * moved_mg / N_FLOWS,
	       100.0 * *moved_new / N_FLOWS, 100.0 * *on_dead / N_FLOWS);
	free(a);
	return (double)moved_mod / N_FLOWS;
}

static void test_disruption_figures(void)
{
	unsigned moved, dead;

	printf("\n  established flows (of %d) that change instance:", N_FLOWS);
	CU_ASSERT(measure("2 -> 3 (add)", 2, 0x3, 3, 0x7, &moved, &dead) > 0.3);
	CU_ASSERT_EQUAL(moved, 0);
	CU_ASSERT(measure("3 -> 2 (one down)", 3, 0x7, 3, 0x5, &moved, &dead) > 0.3);
	CU_ASSERT_EQUAL(moved, dead); /* exactly the failed member's flows */
	CU_ASSERT(dead > N_FLOWS / 4 && dead < N_FLOWS * 2 / 5);
	CU_ASSERT(measure("3 -> 4 (add)", 3, 0x7, 4, 0xf, &moved, &dead) > 0.3);
	CU_ASSERT_EQUAL(moved, 0);
	printf("\n");
}

/* New flows after an add go to the new member too, by its Maglev share. */
static void test_new_flows_reach_new_member(void)
{
	static struct qv_lb_group g;
	struct qv_lb_affinity *a = calloc(1, sizeof(*a));
	unsigned on_new = 0;

	group_init(&g, 3);
	for (unsigned i = N_FLOWS; i < 2 * N_FLOWS; i++)
		on_new += g.members[qv_lb_pick(a, &g, 0x7, flow_hash(i), 1 << 20, IDLE)] == 12;
	CU_ASSERT(on_new > N_FLOWS / 4 && on_new < N_FLOWS * 2 / 5);
	CU_ASSERT_EQUAL(a->misses, N_FLOWS);
	free(a);
}

/* A draining member (scale-in) keeps its flows and takes no new one; when every usable member
 * drains, new flows still go somewhere; undrained, it takes new flows again. */
static void test_draining_member(void)
{
	static struct qv_lb_group g;
	struct qv_lb_affinity *a = calloc(1, sizeof(*a));
	uint16_t first[N_FLOWS];
	unsigned on_drained = 0, kept = 0, new_on_drained = 0, all_draining = 0;

	group_init(&g, 2);
	for (unsigned i = 0; i < N_FLOWS; i++) {
		first[i] = g.members[qv_lb_pick(a, &g, 0x3, flow_hash(i), 1 << 20, IDLE)];
		on_drained += first[i] == g.members[1];
	}
	CU_ASSERT(on_drained > N_FLOWS / 3);
	CU_ASSERT_FALSE(qv_lb_set_draining(g.members[1], true));
	for (unsigned i = 0; i < N_FLOWS; i++)
		kept += g.members[qv_lb_pick(a, &g, 0x3, flow_hash(i), (1 << 20) + 1000, IDLE)] ==
		        first[i];
	CU_ASSERT_EQUAL(kept, N_FLOWS);
	for (unsigned i = N_FLOWS; i < 2 * N_FLOWS; i++)
		new_on_drained +=
		    g.members[qv_lb_pick(a, &g, 0x3, flow_hash(i), (1 << 20) + 1000, IDLE)] ==
		    g.members[1];
	CU_ASSERT_EQUAL(new_on_drained, 0);
	/* member 0 down: the draining member is the only usable one and takes new flows */
	for (unsigned i = 2 * N_FLOWS; i < 2 * N_FLOWS + 100; i++)
		all_draining += qv_lb_pick(a, &g, 0x2, flow_hash(i), (1 << 20) + 1000, IDLE) == 1;
	CU_ASSERT_EQUAL(all_draining, 100);
	CU_ASSERT_TRUE(qv_lb_set_draining(g.members[1], false));
	CU_ASSERT_EQUAL(atomic_load(&qv_lb_n_draining), 0);
	CU_ASSERT_EQUAL(qv_lb_new_flow_mask(&g, 0x3), 0x3);
	free(a);
}

/* A rule: priority prio, in-port in, and the given actions (type, arg pairs). */
static struct qv_rule rule(uint32_t prio, uint16_t in, unsigned n, const uint16_t (*acts)[2])
{
	struct qv_rule r;

	memset(&r, 0, sizeof(r));
	r.priority = prio;
	r.match.fields = QV_M_IN_PORT;
	r.match.in_port = in;
	r.n_actions = (uint8_t)n;
	for (unsigned a = 0; a < n; a++)
		r.actions[a] = (struct qv_action){(uint8_t)acts[a][0], acts[a][1]};
	return r;
}

/* Groups of a flow table: only the rules with group actions get one, in rule order, wherever
 * they are; the id follows the match and priority, not the members. */
static void test_groups_build(void)
{
	static const uint16_t out[][2] = {{QV_ACT_OUTPUT, 5}};
	static const uint16_t grp2[][2] = {{QV_ACT_GROUP, 1}, {QV_ACT_GROUP, 2}};
	static const uint16_t grp3[][2] = {
	    {QV_ACT_PUSH_VLAN, 7}, {QV_ACT_GROUP, 3}, {QV_ACT_GROUP, 4}, {QV_ACT_GROUP, 6}};
	struct qv_rule rules[] = {rule(10, 0, 1, out), rule(10, 1, 2, grp2), rule(10, 2, 1, out),
	                          rule(20, 3, 4, grp3), rule(10, 4, 1, out)};
	char err[128];
	struct qv_lb_groups *gs = qv_lb_groups_build(rules, 5, 2, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(gs);
	CU_ASSERT_EQUAL_FATAL(gs->n, 2);
	CU_ASSERT_PTR_NULL(qv_lb_group_of(gs, 0));
	CU_ASSERT_PTR_NULL(qv_lb_group_of(gs, 2));
	CU_ASSERT_PTR_NULL(qv_lb_group_of(gs, 4));
	const struct qv_lb_group *a = qv_lb_group_of(gs, 1), *b = qv_lb_group_of(gs, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(a->n == 2 && a->members[0] == 1 && a->members[1] == 2 && a->rule == 1);
	CU_ASSERT(b->n == 3 && b->members[2] == 6 && b->rule == 3 && b->mg.n_members == 3);
	CU_ASSERT_NOT_EQUAL(a->id, b->id);
	CU_ASSERT_PTR_NOT_NULL(atomic_load(&qv_lb_affinity_of[0]));
	CU_ASSERT_PTR_NOT_NULL(atomic_load(&qv_lb_affinity_of[1]));
	/* the same rule with a member more keeps its id (its flows keep their entries) */
	struct qv_rule more[] = {rule(10, 1, 4, grp3)};
	struct qv_lb_groups *gm = qv_lb_groups_build(more, 1, 2, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(gm);
	CU_ASSERT_EQUAL(gm->g[0].id, a->id);
	qv_lb_groups_free(gm);
	qv_lb_groups_free(gs);
	/* no group: NULL, and no error */
	err[0] = 'x';
	CU_ASSERT_PTR_NULL(qv_lb_groups_build(rules, 1, 2, err, sizeof(err)));
	CU_ASSERT_EQUAL(err[0], 0);
	/* two parts, a big one its builder counted no group rule in (not scanned) and a delta
	 * with one: the delta's rule gets its group at its result index, a's rules none */
	CU_ASSERT_EQUAL(qv_lb_group_rules(rules, 5), 2);
	struct qv_rule plain[] = {rule(10, 0, 1, out), rule(10, 2, 1, out), rule(10, 4, 1, out)};
	CU_ASSERT_EQUAL_FATAL(qv_lb_group_rules(plain, 3), 0);
	struct qv_lb_groups *gp =
	    qv_lb_groups_build_parts(plain, 3, NULL, false, more, 1, 2, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
	CU_ASSERT_EQUAL(gp->n, 1);
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT_PTR_NULL(qv_lb_group_of(gp, i));
	CU_ASSERT(qv_lb_group_of(gp, 3) && qv_lb_group_of(gp, 3)->rule == 3);
	qv_lb_groups_free(gp);
	/* a base with group rules is scanned, its deleted ones skipped */
	uint64_t skip = 1u << 1; /* rules[1] deleted: only rules[3]'s group, then the delta's */
	gp = qv_lb_groups_build_parts(rules, 5, &skip, true, more, 1, 2, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
	CU_ASSERT_EQUAL(gp->n, 2);
	CU_ASSERT_PTR_NULL(qv_lb_group_of(gp, 1));
	CU_ASSERT(qv_lb_group_of(gp, 3) && qv_lb_group_of(gp, 3)->rule == 3);
	CU_ASSERT(qv_lb_group_of(gp, 5) && qv_lb_group_of(gp, 5)->rule == 5);
	qv_lb_groups_free(gp);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"balance over members", test_balance},
	    {"bad input refused", test_bad_input},
	    {"same table from members in any order", test_any_order},
	    {"minimal disruption on add and remove", test_minimal_disruption},
	    {"a dead member's flows only move", test_dead_member},
	    {"affinity table find/store/idle", test_affinity_table},
	    {"disruption figures: modulo vs maglev+affinity", test_disruption_figures},
	    {"new flows reach an added member", test_new_flows_reach_new_member},
	    {"a draining member keeps its flows, takes no new one", test_draining_member},
	    {"a flow table's groups", test_groups_build},
	};
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "--file-prefix=qvtest_lb_%d", (int)getpid());
	char *eal_argv[] = {
	    "test_lb_maglev", "--no-huge",         "-m",  "64", "--no-pci", "--no-shconf",
	    "--no-telemetry", "--log-level=error", prefix};
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	return QV_UNIT_RUN("lb_maglev", tests);
}
