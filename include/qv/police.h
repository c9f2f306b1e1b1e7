/* qwikvirt: a port policer's settings as every program passes them (YAML model, plan, RPC
 * port.police, switch), and the limits they must keep. */
#ifndef QV_POLICE_H
#define QV_POLICE_H

#include <stdint.h>

/* The largest standard frame with a VLAN tag (1500-byte MTU): a byte burst smaller than this
 * would never let such a frame through. */
#define QV_POLICE_MIN_BURST_BYTES 1522u
#define QV_POLICE_MIN_RATE_BITS 8000ull          /* 1 kB/s: rte_meter counts whole bytes */
#define QV_POLICE_MAX_RATE_BITS 1000000000000ull /* 1 Tbit/s */
#define QV_POLICE_MAX_RATE_PKTS 10000000000ull   /* 10 Gpps */
#define QV_POLICE_MAX_BURST 4294967295ull        /* rte_meter's 32-bit packet length */

enum qv_police_dir { QV_POLICE_INGRESS, QV_POLICE_EGRESS, QV_POLICE_NDIR };
enum qv_police_unit { QV_POLICE_BITS, QV_POLICE_PACKETS };
enum qv_police_mode { QV_POLICE_SRTCM, QV_POLICE_TRTCM };

/* One direction of one port. rate 0: no policer. rate/peak_rate in bits/s or packets/s;
 * burst/peak_burst in bytes or packets (0: the switch's default, 10 ms at the rate). With
 * peak_rate (trTCM), packets over the peak are dropped; between rate and peak_rate they pass. */
struct qv_police {
	uint8_t unit; /* enum qv_police_unit */
	uint8_t mode; /* enum qv_police_mode */
	uint64_t rate, burst;
	uint64_t peak_rate, peak_burst;
};

#endif
