/* qwikvirt: a measurement, not a test — TSC cycles per call of the fast-path pieces issue 14
 * added: a group's member pick (Maglev alone, and with the flow-affinity table over 1, 10,000
 * and 200,000 flows) and a policer's verdict (srTCM, trTCM). Minimum over repetitions, so a
 * loaded machine's preemptions fall out. Usage: qv-fastpath-cost [REPS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "dataplane/lb/lb_fast.h"
#include "dataplane/qos/qos_fast.h"

#define CALLS 2000000u

static volatile int sink;

static uint32_t flow_hash(uint32_t i)
{
	return qv_maglev_mix32(i * 2654435761u + 12345u);
}

/* Cycles per pick over `flows` distinct flows, hashes precomputed (a: affinity or NULL). */
static double pick_cost(struct qv_lb_affinity *a, const struct qv_lb_group *g, uint32_t flows,
                        int reps)
{
	uint32_t *h = malloc(flows * sizeof(*h));
	double best = 1e18;
	uint64_t now = rte_rdtsc();

	for (uint32_t i = 0; h && i < flows; i++)
		h[i] = flow_hash(i);
	for (int r = 0; h && r < reps; r++) {
		uint64_t t0 = rte_rdtsc();
		uint32_t k = 0;
		int acc = 0;

		for (uint32_t i = 0; i < CALLS; i++) {
			acc += qv_lb_pick(a, g, 0x7, h[k], now, UINT64_MAX / 2);
			k = k + 1 == flows ? 0 : k + 1;
		}
		sink = acc;
		double c = (double)(rte_rdtsc() - t0) / CALLS;
		best = c < best ? c : best;
	}
	free(h);
	return best;
}

static double meter_cost(struct qv_qos_policer *pl, int reps)
{
	double best = 1e18;

	for (int r = 0; r < reps; r++) {
		uint64_t t0 = rte_rdtsc(), now = t0;
		int acc = 0;

		for (uint32_t i = 0; i < CALLS; i++)
			acc += qv_qos_conform(pl, 0, now + i * 8, 64);
		sink = acc;
		double c = (double)(rte_rdtsc() - t0) / CALLS;
		best = c < best ? c : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	char prefix[64];
	static struct qv_lb_group g = {.id = 1, .n = 3, .members = {10, 11, 12}};
	uint64_t keys[3] = {0, 1, 2};
	struct qv_lb_affinity *a = aligned_alloc(64, sizeof(*a));
	struct qv_police sr = {QV_POLICE_BITS, QV_POLICE_SRTCM, 1000000000000ull, 1u << 26, 0, 0};
	struct qv_police tr = {QV_POLICE_BITS, QV_POLICE_TRTCM,  500000000000ull,
	                       1u << 26,       1000000000000ull, 1u << 27};
	char err[256];

	snprintf(prefix, sizeof(prefix), "--file-prefix=qvcost%d", (int)getpid());
	char *eal_argv[] = {argv[0],          "--no-huge",         "-m",  "64", "--no-pci",
	                    "--no-telemetry", "--log-level=error", prefix};
	if (reps < 1 || !a || rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "usage: qv-fastpath-cost [REPS >= 1] (and the EAL must start)\n");
		return 2;
	}
	qv_maglev_build(&g.mg, keys, 3);
	struct qv_qos_policer *ps = qv_qos_policer_new(&sr, 1, err, sizeof(err));
	struct qv_qos_policer *pt = qv_qos_policer_new(&tr, 1, err, sizeof(err));
	if (!ps || !pt) {
		fprintf(stderr, "qv-fastpath-cost: policer refused: %s\n", err);
		return 1;
	}
	printf("cycles per call (min of %d x %u calls, loop included):\n", reps, CALLS);
	printf("  group pick, Maglev only                      %6.1f\n",
	       pick_cost(NULL, &g, 10000, reps));
	const uint32_t flows[] = {1, 10000, 200000};
	const size_t n_flows = getenv("QV_COST_ONE") ? 1 : 3;
	for (size_t k = 0; k < n_flows; k++) {
		memset(a, 0, sizeof(*a));
		printf("  group pick, affinity + Maglev, %6u flows  %6.1f\n", flows[k],
		       pick_cost(a, &g, flows[k], reps));
	}
	printf("  policer verdict, srTCM (64 B)                %6.1f\n", meter_cost(ps, reps));
	printf("  policer verdict, trTCM (64 B)                %6.1f\n", meter_cost(pt, reps));
	free(ps);
	free(pt);
	free(a);
	rte_eal_cleanup();
	return 0;
}
