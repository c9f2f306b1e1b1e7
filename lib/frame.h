/* qwikvirt: building test frames byte by byte (big-endian fields, Internet checksum, Ethernet,
 * IPv4 and UDP headers): the one builder behind qv-bench, qv-peer and qv-mkpcap. No DPDK. */
#ifndef QV_LIB_FRAME_H
#define QV_LIB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define QV_FRAME_ETH_HLEN 14
#define QV_FRAME_VLAN_HLEN 4
#define QV_FRAME_IPV4_HLEN 20
#define QV_FRAME_IPV6_HLEN 40
#define QV_FRAME_UDP_HLEN 8

/* A test frame's sequence number is 4 bytes followed by this marker, so that readers (qv-mkpcap
 * --dump) report a seq only for frames that carry one, whichever tool wrote them. */
#define QV_FRAME_SEQ_MAGIC "QVSQ"
#define QV_FRAME_SEQ_MAGIC_LEN 4

static inline void qv_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void qv_put32(uint8_t *p, uint32_t v)
{
	qv_put16(p, (uint16_t)(v >> 16));
	qv_put16(p + 2, (uint16_t)v);
}

static inline uint16_t qv_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t qv_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071: adds n bytes as big-endian 16-bit words (an odd last byte padded with zero) to a
 * running sum; qv_csum_fold turns the sum into the checksum to store. */
uint32_t qv_csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t qv_csum_fold(uint32_t sum);

/* Checksum of a 20-byte IPv4 header as it lies in the frame, its checksum field counted as
 * zero (so a header can be patched and summed again). */
uint16_t qv_ipv4_hdr_csum(const uint8_t *ip);

/* Destination and source MAC (12 bytes), then the ethertype at buf + 12: a frame without tags. */
void qv_frame_put_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype);

/* A 20-byte IPv4 header at ip: version 4, no options, total_len (IP header included), id,
 * don't-fragment, TTL 64, proto, addresses (network order bytes) and its checksum. */
void qv_frame_put_ipv4(uint8_t *ip, uint16_t total_len, uint16_t id, uint8_t proto,
                       const uint8_t src[4], const uint8_t dst[4]);

/* An 8-byte UDP header with checksum 0 (none: allowed for IPv4, left to the caller for IPv6). */
void qv_frame_put_udp(uint8_t *udp, uint16_t sport, uint16_t dport, uint16_t len);

#endif
