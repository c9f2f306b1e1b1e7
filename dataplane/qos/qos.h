/* qwikvirt: per-port policers (ingress and egress) on rte_meter, srTCM or trTCM, in bits/s or
 * packets/s: the published configuration with each PMD's meter state, and the slow path. */
#ifndef QV_QOS_H
#define QV_QOS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_meter.h>

#include "dataplane/pmd.h"
#include "qv/police.h"
#include "qv/rule.h"

/* Published per port and direction (qv_qos_policer_of), immutable but for each PMD's own
 * meter. Every PMD meters what it handles against rate / n_pmds (rte_meter is not thread
 * safe, and any PMD may send to a port, or poll one of its rx queues): the port never gets
 * more than its rate in total; a port whose traffic only some PMDs handle gets less (the
 * price of no lock and no shared cache line per packet). The burst is not divided: each
 * meter must hold at least one full frame. */
struct qv_qos_policer {
	struct qv_police p; /* as configured, whole-port figures (burst defaulted) */
	union {
		struct rte_meter_srtcm_profile sr;
		struct rte_meter_trtcm_profile tr;
	} profile;
	struct {
		union {
			struct rte_meter_srtcm sr;
			struct rte_meter_trtcm tr;
		};
		uint64_t policed; /* packets this PMD dropped on this policer */
	} __rte_cache_aligned pmd[QV_MAX_PMDS];
};

extern _Atomic(struct qv_qos_policer *) qv_qos_policer_of[QV_POLICE_NDIR][QV_MAX_PORTS];

/* ---- slow path ---- */

/* Checks p (defaulting its bursts) and builds a policer for n_pmds PMDs. NULL with a message
 * naming the limit on nonsense: zero or out-of-range rates, a burst under one full frame, a
 * peak under the committed figures. */
struct qv_qos_policer *qv_qos_policer_new(struct qv_police *p, uint16_t n_pmds, char *err,
                                          size_t errlen);

/* Publishes pl (NULL: no policer) on port index's direction dir; frees the old one after the
 * grace period. */
void qv_qos_publish(uint16_t index, enum qv_police_dir dir, struct qv_qos_policer *pl);

#endif
