/* qwikvirt: reading the per-PMD counters — summed over PMDs, minus the baselines taken by
 * stats.clear. Slow path; callers hold qv_sw.lock. */
#ifndef QV_STATS_H
#define QV_STATS_H

#include <stdint.h>

#include "dataplane/switch.h"

/* Sum of every PMD's counters for port slot idx, minus the baseline. */
void qv_stats_port(uint16_t idx, struct qv_port_counters *out);
/* Busy/idle cycles of PMD i, minus the baseline. */
void qv_stats_pmd(uint16_t i, uint64_t *busy, uint64_t *idle);
/* Lookup counters of PMD i, minus the baseline. */
void qv_stats_lookups(uint16_t i, struct qv_lookup_counters *out);
void qv_stats_rxq(uint16_t pmd, uint16_t port, uint16_t q, struct qv_rxq_counters *out);
/* Drops by reason over all ports. */
void qv_stats_drops(uint64_t totals[QV_DROP_MAX]);
/* stats.clear: takes the current values as the new zero. */
void qv_stats_clear(void);

#endif
