/* qv-bench RFC 2544 throughput search: binary search over the offered rate for the highest rate
 * whose trial passes (NDR: no loss; PDR: loss ratio at most a bound). Pure: the caller runs the
 * trials. */
#ifndef QV_BENCH_RFC2544_H
#define QV_BENCH_RFC2544_H

#include <stdbool.h>
#include <stdint.h>

struct r2544_search {
	double loss_ratio; /* 0 = NDR */
	double min_sent;   /* a trial must send this share of the offered packets, e.g. 0.99 */
	double resolution; /* stop when hi - lo <= resolution (pps) */
	unsigned int max_trials;
	double lo, hi; /* lo passed (or the floor), hi failed (or the ceiling, untried) */
	double best;   /* highest passing rate, 0 if none */
	double next;   /* rate of the next trial, 0 when done */
	unsigned int trials;
	bool hi_tried;
};

/* Starts a search in [floor, ceiling] pps. The first trial runs at the ceiling: if that passes,
 * the search ends there at once (the generator, not the device, is the limit). */
void r2544_init(struct r2544_search *s, double floor, double ceiling, double resolution,
                double loss_ratio, double min_sent, unsigned int max_trials);

/* Rate for the next trial in pps, or 0 when the search is over. */
double r2544_next(const struct r2544_search *s);

/* Whether a trial passes: it sent at least min_sent x offered packets (a generator held back by
 * a full ring did not offer the rate) and lost at most loss_ratio of what it sent. */
bool r2544_trial_passes(const struct r2544_search *s, uint64_t offered, uint64_t sent,
                        uint64_t received);

/* Records the outcome of the trial run at r2544_next(); returns whether it passed. */
bool r2544_report(struct r2544_search *s, uint64_t offered, uint64_t sent, uint64_t received);

#endif
