/* qwikvirt: what a PMD prepends to each captured copy for the capture thread: when, how long
 * the packet really was, and which way it went. */
#ifndef QV_CAPTURE_HDR_H
#define QV_CAPTURE_HDR_H

#include <stdint.h>

struct qv_capture_hdr {
	uint64_t tsc;
	uint32_t origlen;
	uint32_t dir; /* QV_CAPTURE_RX or QV_CAPTURE_TX */
};

#endif
