/* qv-bench output: the final table and the JSON file, from run results (pure stdio, so the
 * format can be checked without a DPDK run). */
#ifndef QV_BENCH_STATS_H
#define QV_BENCH_STATS_H

#include <stdio.h>

#include "bench.h"

/* Latency quantile of a run in microseconds (0 without samples). */
double stats_lat_us(const struct run_result *r, double q);

void stats_table(FILE *f, const struct run_result *runs, unsigned int n);
void stats_search_table(FILE *f, const struct search_result *s, unsigned int n);

/* Writes the whole result as one JSON object; returns 0 or -1 (errno set). */
int stats_json(const char *path, const struct bench_opts *o, const char *mode_name,
               const struct run_result *runs, unsigned int nruns, const struct search_result *s,
               unsigned int ns);

#endif
