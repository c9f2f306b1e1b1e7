/* qwikvirt: a policer's verdict for one packet — FAST PATH, inline: this PMD's meter, blind
 * to any earlier colour; red is over the limit. */
#ifndef QV_QOS_FAST_H
#define QV_QOS_FAST_H

#include <stdbool.h>

#include "dataplane/qos/qos.h"

/* True when a packet of len bytes at TSC now is within pl's limit for PMD pmd; counts the
 * ones that are not. */
static inline bool qv_qos_conform(struct qv_qos_policer *pl, uint16_t pmd, uint64_t now,
                                  uint32_t len)
{
	uint32_t tokens = pl->p.unit == QV_POLICE_PACKETS ? 1 : len;
	enum rte_color c =
	    pl->p.mode == QV_POLICE_TRTCM
	        ? rte_meter_trtcm_color_blind_check(&pl->pmd[pmd].tr, &pl->profile.tr, now, tokens)
	        : rte_meter_srtcm_color_blind_check(&pl->pmd[pmd].sr, &pl->profile.sr, now, tokens);

	if (likely(c != RTE_COLOR_RED))
		return true;
	pl->pmd[pmd].policed++;
	return false;
}

#endif
