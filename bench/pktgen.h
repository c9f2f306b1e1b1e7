/* qv-bench packet builder: UDP/IPv4 test frames with per-flow addresses and a timestamp payload.
 * Pure functions on byte buffers (no DPDK), so frames can be checked byte by byte in unit tests. */
#ifndef QV_BENCH_PKTGEN_H
#define QV_BENCH_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frame sizes count the 4-byte FCS, as RFC 2544 does: a port is handed SIZE - 4 bytes (virtual
 * ports carry no CRC), so 64 is the minimum Ethernet frame and 1518 holds a 1500-byte IP packet,
 * which a switch port of MTU 1500 must forward. (Until 2026-12 qv-bench handed the port SIZE
 * bytes, as testpmd --txpkts: its "1518" carried 1504 bytes of IP, more than the MTU.) The
 * *_LEN values below are data lengths, the *_FRAME ones sizes with the FCS. */
#define PKTGEN_FCS_LEN 4
#define PKTGEN_HDR_LEN 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define PKTGEN_STAMP_LEN 16
#define PKTGEN_MIN_LEN (PKTGEN_HDR_LEN + PKTGEN_STAMP_LEN)
#define PKTGEN_MAX_LEN 9014 /* a 9000-byte IP packet */
#define PKTGEN_MIN_FRAME (PKTGEN_MIN_LEN + PKTGEN_FCS_LEN)
#define PKTGEN_MAX_FRAME (PKTGEN_MAX_LEN + PKTGEN_FCS_LEN)
#define PKTGEN_MAX_SIZES 16
/* The first three bytes of the payload say "this is ours"; the fourth is the trial number, so
 * packets left over from an earlier trial are told apart from this trial's. */
#define PKTGEN_MAGIC 0x51564200u /* "QVB" + trial */

/* The payload right after the UDP header. tsc 0 = not sampled for latency. */
struct pktgen_stamp {
	uint32_t magic; /* big-endian PKTGEN_MAGIC | trial */
	uint32_t seq;   /* host order: only this program reads it */
	uint64_t tsc;
};

struct pktgen_cfg {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip; /* host order; flow i adds i to both */
	uint16_t src_port, dst_port;
	uint32_t flows; /* >= 1 */
};

/* Frame sizes: one fixed size, a list (each size measured in turn) or a mix sent interleaved in
 * one stream (IMIX). */
struct pktgen_sizes {
	uint32_t len[PKTGEN_MAX_SIZES];    /* frame sizes, FCS included */
	uint32_t weight[PKTGEN_MAX_SIZES]; /* mix only */
	unsigned int n;
	bool mix;
	/* Mix: the repeating pattern of sizes, built by pktgen_sizes_parse. */
	uint16_t pattern[256];
	unsigned int pattern_len;
};

void pktgen_cfg_default(struct pktgen_cfg *c);

/* Parses "64", "64,512,1518" (a list) or "imix" (64:7,570:4,1518:1, the simple IMIX) or
 * "mix:64:7,1518:1". Returns 0, or -1 with a message for a person in err. */
int pktgen_sizes_parse(const char *s, struct pktgen_sizes *out, char *err, size_t errlen);

/* Bytes handed to the port for a frame of this size (the FCS is not in the buffer). */
static inline uint32_t pktgen_data_len(uint32_t frame)
{
	return frame - PKTGEN_FCS_LEN;
}

/* Frame length of the idx-th packet of a mix (interleaved so that no size comes in long runs). */
uint32_t pktgen_mix_len(const struct pktgen_sizes *z, uint64_t idx);

/* Average frame size of a mix, FCS included (for bit rates). */
double pktgen_mix_avg(const struct pktgen_sizes *z);

/* Writes a complete frame of len bytes (PKTGEN_MIN_LEN..PKTGEN_MAX_LEN) for flow (taken modulo
 * c->flows) into buf, with the stamp {trial, seq, tsc}. Returns len, or 0 if len is out of
 * range. */
uint32_t pktgen_build(uint8_t *buf, uint32_t len, const struct pktgen_cfg *c, uint32_t flow,
                      uint8_t trial, uint32_t seq, uint64_t tsc);

/* Rewrites only the per-flow fields (addresses, ports, IP checksum) of a frame built by
 * pktgen_build: the fast path copies a per-size template and patches it. */
void pktgen_set_flow(uint8_t *buf, const struct pktgen_cfg *c, uint32_t flow);

/* Sets the stamp of a frame built by pktgen_build. */
void pktgen_set_stamp(uint8_t *buf, uint8_t trial, uint32_t seq, uint64_t tsc);

/* Reads the stamp of a received frame. Returns false if the frame is not one of ours (too
 * short, not IPv4/UDP with 20-byte header, or wrong magic); else fills *trial and *st. */
bool pktgen_read_stamp(const uint8_t *buf, uint32_t len, uint8_t *trial, struct pktgen_stamp *st);

#endif
