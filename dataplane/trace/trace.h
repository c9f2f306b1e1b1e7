/* qwikvirt: packet trace — what the switch did with the next N packets arriving on a port
 * (parsed key, cache hit or rule, actions, outputs, drop reason), like VPP's packet trace.
 * Costs one load and one branch per burst while off. */
#ifndef QV_TRACE_H
#define QV_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "qv/flow_key.h"

#define QV_TRACE_MAX 1024 /* packets per trace */
#define QV_TRACE_OUTS 16  /* outputs recorded per packet (a flood may have more) */

enum qv_trace_l2 { QV_TRACE_L2_NONE, QV_TRACE_L2_UNICAST, QV_TRACE_L2_FLOOD };

struct qv_trace_rec {
	_Atomic uint32_t done; /* set last by the PMD, once the packet's fate is known */
	uint16_t port, pmd;
	uint32_t len;
	uint64_t tsc;
	struct qv_flow_key key;
	uint8_t parsed; /* 0: bad header, key incomplete */
	uint8_t emc_hit;
	uint8_t l2; /* enum qv_trace_l2 */
	uint8_t n_out;
	uint32_t rule_id; /* 0: no rule matched */
	int16_t drop;     /* enum qv_drop_reason, or -1 */
	uint16_t out[QV_TRACE_OUTS];
	int16_t out_drop[QV_TRACE_OUTS]; /* per output: -1 sent, else the drop reason */
	const void *mbuf;                /* PMD-private while the burst is processed */
};

struct qv_trace_buf {
	_Atomic uint32_t next;
	uint32_t cap;
	uint16_t port;
	uid_t owner; /* who started it: another group member may not replace it while it fills */
	struct qv_trace_rec rec[];
};

extern _Atomic(struct qv_trace_buf *) qv_trace_cur;

/* ---- slow path (control thread, qv_sw.lock held) ---- */
/* Starts a trace for owner, replacing the current one. Unless any_owner (root, admin), a trace
 * another uid started that is still filling is not replaced: -1, err naming its owner. */
int qv_trace_start(const char *port, uint32_t count, uid_t owner, bool any_owner, char *err,
                   size_t errlen);
/* Finished records, each with its human-readable lines. */
json_t *qv_trace_show(void);
void qv_trace_free(void);

#endif
