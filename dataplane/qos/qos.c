/* qwikvirt: building per-port policers (see qos.h): the checks and rte_meter profiles. Slow
 * path only; no switch state, so the unit tests build policers alone (publishing is in
 * qos_rpc.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/qos/qos.h"

_Atomic(struct qv_qos_policer *) qv_qos_policer_of[QV_POLICE_NDIR][QV_MAX_PORTS];

static const char *unit_name(uint8_t unit)
{
	return unit == QV_POLICE_PACKETS ? "pps" : "bit/s";
}

/* One direction's figures as checked, into per-PMD meter rates; 0 or -1 with err. */
static int check(struct qv_police *p, uint16_t n_pmds, uint64_t *cir, uint64_t *pir, char *err,
                 size_t errlen)
{
	const bool pkts = p->unit == QV_POLICE_PACKETS;
	const uint64_t min = pkts ? n_pmds : QV_POLICE_MIN_RATE_BITS * n_pmds;
	const uint64_t max = pkts ? QV_POLICE_MAX_RATE_PKTS : QV_POLICE_MAX_RATE_BITS;
	const uint64_t min_burst = pkts ? 1 : QV_POLICE_MIN_BURST_BYTES;
	const char *bu = pkts ? "packets" : "bytes";

	if (p->unit > QV_POLICE_PACKETS || p->mode > QV_POLICE_TRTCM)
		return snprintf(err, errlen, "unknown policer unit or mode"), -1;
	if (p->rate < min || p->rate > max) {
		snprintf(err, errlen,
		         "rate %" PRIu64 " %s is out of range: give %" PRIu64 " to %" PRIu64
		         " %s (%u PMD(s) each meter a share)",
		         p->rate, unit_name(p->unit), min, max, unit_name(p->unit), n_pmds);
		return -1;
	}
	if (p->burst == 0) { /* rate over 10 ms */
		p->burst = pkts ? p->rate / 100 : p->rate / 8 / 100;
		p->burst = p->burst < (pkts ? 8 : QV_POLICE_MIN_BURST_BYTES)
		               ? (pkts ? 8 : QV_POLICE_MIN_BURST_BYTES)
		               : p->burst;
	}
	if (p->burst < min_burst || p->burst > UINT32_MAX) {
		snprintf(err, errlen, "burst %" PRIu64 " %s is %s: give %" PRIu64 " to %u %s%s",
		         p->burst, bu,
		         p->burst < min_burst ? "smaller than one full-size frame" : "too large",
		         min_burst, UINT32_MAX, bu,
		         pkts ? "" : " (jumbo frames need at least their own size)");
		return -1;
	}
	*cir = pkts ? p->rate / n_pmds : p->rate / 8 / n_pmds;
	if (p->mode == QV_POLICE_SRTCM) {
		if (p->peak_rate || p->peak_burst)
			return snprintf(err, errlen,
			                "a peak rate or burst needs the trtcm mode (two rates)"),
			       -1;
		return 0;
	}
	if (p->peak_rate < p->rate || p->peak_rate > max) {
		snprintf(err, errlen,
		         "peak rate %" PRIu64 " %s must be at least the rate (%" PRIu64
		         ") and at most %" PRIu64,
		         p->peak_rate, unit_name(p->unit), p->rate, max);
		return -1;
	}
	if (p->peak_burst == 0)
		p->peak_burst = p->burst;
	if (p->peak_burst < p->burst || p->peak_burst > UINT32_MAX) {
		snprintf(err, errlen,
		         "peak burst %" PRIu64 " %s must be at least the burst (%" PRIu64 ")",
		         p->peak_burst, bu, p->burst);
		return -1;
	}
	*pir = pkts ? p->peak_rate / n_pmds : p->peak_rate / 8 / n_pmds;
	return 0;
}

struct qv_qos_policer *qv_qos_policer_new(struct qv_police *p, uint16_t n_pmds, char *err,
                                          size_t errlen)
{
	struct qv_qos_policer *pl;
	uint64_t cir = 0, pir = 0;
	int rc;

	if (n_pmds == 0)
		n_pmds = 1;
	if (check(p, n_pmds, &cir, &pir, err, errlen) != 0)
		return NULL;
	pl = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*pl));
	if (!pl) {
		snprintf(err, errlen, "out of memory for a policer");
		return NULL;
	}
	memset(pl, 0, sizeof(*pl));
	pl->p = *p;
	if (p->mode == QV_POLICE_TRTCM) {
		struct rte_meter_trtcm_params tp = {
		    .cir = cir, .pir = pir, .cbs = p->burst, .pbs = p->peak_burst};

		rc = rte_meter_trtcm_profile_config(&pl->profile.tr, &tp);
		for (uint16_t i = 0; rc == 0 && i < QV_MAX_PMDS; i++)
			rc = rte_meter_trtcm_config(&pl->pmd[i].tr, &pl->profile.tr);
	} else {
		struct rte_meter_srtcm_params sp = {.cir = cir, .cbs = p->burst, .ebs = 0};

		rc = rte_meter_srtcm_profile_config(&pl->profile.sr, &sp);
		for (uint16_t i = 0; rc == 0 && i < QV_MAX_PMDS; i++)
			rc = rte_meter_srtcm_config(&pl->pmd[i].sr, &pl->profile.sr);
	}
	if (rc != 0) {
		snprintf(err, errlen, "rte_meter refused the policer (rate %" PRIu64 " %s): %s",
		         p->rate, unit_name(p->unit), strerror(-rc));
		free(pl);
		return NULL;
	}
	return pl;
}
