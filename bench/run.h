/* qv-bench traffic loop: one run (trial) of a given frame-size spec and rate on the main lcore,
 * sending, receiving, reflecting and timestamping, then draining and filling a run_result. */
#ifndef QV_BENCH_RUN_H
#define QV_BENCH_RUN_H

#include <signal.h>
#include <stdbool.h>

#include <rte_mempool.h>

#include "bench.h"

extern volatile sig_atomic_t bench_quit;

struct run_env {
	const struct bench_opts *o;
	struct rte_mempool *mp;
	uint16_t nports;
	uint8_t trial; /* increments per run so late packets of earlier runs are told apart */
};

/* Runs traffic for duration seconds at rate pps (0 = max) with sizes z; with out == NULL the
 * run is a warm-up whose packets are not counted. Returns 0, or -1 if stopped by a signal. */
int bench_run(struct run_env *env, const struct pktgen_sizes *z, double rate, double duration,
              const char *label, struct run_result *out);

#endif
