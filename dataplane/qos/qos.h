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
#include "qv/rule.h"

/* The largest standard frame with a VLAN tag (1500-byte MTU): a byte burst smaller than this
 * would never let such a frame through. */
#define QV_QOS_MIN_BURST_BYTES 1522u
#define QV_QOS_MIN_RATE_BITS 8000ull          /* 1 kB/s: rte_meter counts whole bytes */
#define QV_QOS_MAX_RATE_BITS 1000000000000ull /* 1 Tbit/s */
#define QV_QOS_MAX_RATE_PKTS 10000000000ull   /* 10 Gpps */

enum qv_qos_dir { QV_QOS_INGRESS, QV_QOS_EGRESS, QV_QOS_NDIR };
enum qv_qos_unit { QV_QOS_BITS, QV_QOS_PACKETS };
enum qv_qos_mode { QV_QOS_SRTCM, QV_QOS_TRTCM };

/* A policer as the operator gives it, for the whole port. rate/peak_rate: bits/s or
 * packets/s; burst/peak_burst: bytes or packets (0: the default, rate over 10 ms and at least
 * QV_QOS_MIN_BURST_BYTES or 8 packets). peak_*: trTCM only (packets over the peak rate are
 * dropped; between the committed and the peak rate they pass, unmarked). */
struct qv_qos_params {
	uint8_t unit; /* enum qv_qos_unit */
	uint8_t mode; /* enum qv_qos_mode */
	uint64_t rate, burst;
	uint64_t peak_rate, peak_burst;
};

/* Published per port and direction (qv_qos_policer_of), immutable but for each PMD's own
 * meter. Every PMD meters what it handles against rate / n_pmds (rte_meter is not thread
 * safe, and any PMD may send to a port, or poll one of its rx queues): the port never gets
 * more than its rate in total; a port whose traffic only some PMDs handle gets less (the
 * price of no lock and no shared cache line per packet). The burst is not divided: each
 * meter must hold at least one full frame. */
struct qv_qos_policer {
	struct qv_qos_params p; /* as configured, whole-port figures (burst defaulted) */
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

extern _Atomic(struct qv_qos_policer *) qv_qos_policer_of[QV_QOS_NDIR][QV_MAX_PORTS];

/* ---- slow path ---- */

/* Checks p (defaulting its bursts) and builds a policer for n_pmds PMDs. NULL with a message
 * naming the limit on nonsense: zero or out-of-range rates, a burst under one full frame, a
 * peak under the committed figures. */
struct qv_qos_policer *qv_qos_policer_new(struct qv_qos_params *p, uint16_t n_pmds, char *err,
                                          size_t errlen);

/* Publishes pl (NULL: no policer) on port index's direction dir; frees the old one after the
 * grace period. */
void qv_qos_publish(uint16_t index, enum qv_qos_dir dir, struct qv_qos_policer *pl);

#endif
