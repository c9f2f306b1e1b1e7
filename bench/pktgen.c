/* qv-bench packet builder: UDP/IPv4 frames per flow with a trial/seq/TSC stamp in the payload,
 * and the frame-size specs (fixed, list, IMIX). No DPDK here: unit-tested on plain buffers. */
#include "pktgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/frame.h"
#include "lib/proto.h"

void pktgen_cfg_default(struct pktgen_cfg *c)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};

	memset(c, 0, sizeof(*c));
	memcpy(c->src_mac, src, 6);
	memcpy(c->dst_mac, dst, 6);
	c->src_ip = 0x0a000001; /* 10.0.0.1 */
	c->dst_ip = 0x0a800001; /* 10.128.0.1 */
	c->src_port = 1024;
	c->dst_port = 5000;
	c->flows = 1;
}

void pktgen_set_flow(uint8_t *buf, const struct pktgen_cfg *c, uint32_t flow)
{
	uint8_t *ip = buf + 14, *udp = buf + 34;
	uint32_t f = flow % (c->flows ? c->flows : 1);

	/* Addresses and ports all vary, so every field a classifier or cache may key on does. */
	qv_put32(ip + 12, c->src_ip + f);
	qv_put32(ip + 16, c->dst_ip + f);
	qv_put16(udp, (uint16_t)(c->src_port + f % 50000));
	qv_put16(udp + 2, (uint16_t)(c->dst_port + f % 1000));
	qv_put16(ip + 10, qv_ipv4_hdr_csum(ip));
}

void pktgen_set_stamp(uint8_t *buf, uint8_t trial, uint32_t seq, uint64_t tsc)
{
	struct pktgen_stamp st = {.seq = seq, .tsc = tsc};

	qv_put32((uint8_t *)&st.magic, PKTGEN_MAGIC | trial);
	memcpy(buf + PKTGEN_HDR_LEN, &st, sizeof(st));
}

uint32_t pktgen_build(uint8_t *buf, uint32_t len, const struct pktgen_cfg *c, uint32_t flow,
                      uint8_t trial, uint32_t seq, uint64_t tsc)
{
	if (len < PKTGEN_MIN_LEN || len > PKTGEN_MAX_LEN)
		return 0;
	static const uint8_t no_ip[4] = {0}; /* pktgen_set_flow writes the flow's addresses */

	memset(buf, 0, len);
	qv_frame_put_eth(buf, c->dst_mac, c->src_mac, QV_ETHERTYPE_IPV4);
	qv_frame_put_ipv4(buf + 14, (uint16_t)(len - 14), 0, QV_IPPROTO_UDP, no_ip, no_ip);
	/* UDP checksum 0 = none: the stamp changes per packet and nobody verifies it. Ports are
	 * the flow's, written by pktgen_set_flow. */
	qv_frame_put_udp(buf + 34, 0, 0, (uint16_t)(len - 34));
	pktgen_set_flow(buf, c, flow);
	pktgen_set_stamp(buf, trial, seq, tsc);
	return len;
}

bool pktgen_read_stamp(const uint8_t *buf, uint32_t len, uint8_t *trial, struct pktgen_stamp *st)
{
	if (len < PKTGEN_MIN_LEN || qv_get16(buf + 12) != QV_ETHERTYPE_IPV4 || buf[14] != 0x45 ||
	    buf[23] != QV_IPPROTO_UDP)
		return false;
	uint32_t magic = qv_get32(buf + PKTGEN_HDR_LEN);
	if ((magic & 0xffffff00u) != PKTGEN_MAGIC)
		return false;
	memcpy(st, buf + PKTGEN_HDR_LEN, sizeof(*st));
	*trial = (uint8_t)magic;
	return true;
}

static int parse_len(const char *s, char **end, uint32_t *out)
{
	errno = 0;
	unsigned long v = strtoul(s, end, 10);
	if (errno || *end == s || v < PKTGEN_MIN_FRAME || v > PKTGEN_MAX_FRAME)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Smooth weighted round robin: each size appears spread out over the pattern, not in runs. */
static void build_pattern(struct pktgen_sizes *z)
{
	int32_t cur[PKTGEN_MAX_SIZES] = {0};
	uint32_t total = 0;

	for (unsigned int i = 0; i < z->n; i++)
		total += z->weight[i];
	z->pattern_len = total;
	for (uint32_t k = 0; k < total; k++) {
		unsigned int best = 0;
		for (unsigned int i = 0; i < z->n; i++) {
			cur[i] += (int32_t)z->weight[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int32_t)total;
		z->pattern[k] = (uint16_t)best;
	}
}

int pktgen_sizes_parse(const char *s, struct pktgen_sizes *out, char *err, size_t errlen)
{
	const char *p;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "imix"))
		s = "mix:64:7,570:4,1518:1";
	out->mix = !strncmp(s, "mix:", 4);
	p = out->mix ? s + 4 : s;
	uint32_t total = 0;
	for (;;) {
		if (out->n == PKTGEN_MAX_SIZES) {
			snprintf(err, errlen, "size '%s': at most %d sizes", s, PKTGEN_MAX_SIZES);
			return -1;
		}
		if (parse_len(p, &end, &out->len[out->n])) {
			snprintf(err, errlen,
			         "size '%s': expected frame sizes %d..%d, FCS included (e.g. 64, "
			         "64,1518, imix, mix:64:7,1518:1)",
			         s, PKTGEN_MIN_FRAME, PKTGEN_MAX_FRAME);
			return -1;
		}
		out->weight[out->n] = 1;
		if (out->mix) {
			unsigned long w = 0;
			if (*end == ':') {
				p = end + 1;
				errno = 0;
				w = strtoul(p, &end, 10);
				if (errno || end == p)
					w = 0;
			}
			if (w == 0 || w > 255) {
				snprintf(err, errlen,
				         "size '%s': mix entries are LEN:WEIGHT, weight "
				         "1..255",
				         s);
				return -1;
			}
			out->weight[out->n] = (uint32_t)w;
			total += (uint32_t)w;
		}
		out->n++;
		if (*end == '\0')
			break;
		if (*end != ',') {
			snprintf(err, errlen, "size '%s': unexpected '%s'", s, end);
			return -1;
		}
		p = end + 1;
	}
	if (out->mix) {
		if (total > 256) {
			snprintf(err, errlen, "size '%s': mix weights add up to more than 256", s);
			return -1;
		}
		build_pattern(out);
	}
	return 0;
}

uint32_t pktgen_mix_len(const struct pktgen_sizes *z, uint64_t idx)
{
	if (!z->mix)
		return z->len[0];
	return z->len[z->pattern[idx % z->pattern_len]];
}

double pktgen_mix_avg(const struct pktgen_sizes *z)
{
	double sum = 0, w = 0;

	for (unsigned int i = 0; i < z->n; i++) {
		sum += (double)z->len[i] * (z->mix ? z->weight[i] : 1);
		w += z->mix ? z->weight[i] : 1;
	}
	return w > 0 ? sum / w : 0;
}
