/* qwikvirt: test frame building blocks (see frame.h). */
#include "lib/frame.h"

#include <string.h>

uint32_t qv_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

uint16_t qv_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t qv_ipv4_hdr_csum(const uint8_t *ip)
{
	/* Bytes 10..11 are the checksum itself: sum around them. */
	uint32_t sum = qv_csum_add(0, ip, 10);
	return qv_csum_fold(qv_csum_add(sum, ip + 12, QV_FRAME_IPV4_HLEN - 12));
}

void qv_frame_put_eth(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	qv_put16(buf + 12, ethertype);
}

void qv_frame_put_ipv4(uint8_t *ip, uint16_t total_len, uint16_t id, uint8_t proto,
                       const uint8_t src[4], const uint8_t dst[4])
{
	memset(ip, 0, QV_FRAME_IPV4_HLEN);
	ip[0] = 0x45;
	qv_put16(ip + 2, total_len);
	qv_put16(ip + 4, id);
	qv_put16(ip + 6, 0x4000); /* don't fragment */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	qv_put16(ip + 10, qv_ipv4_hdr_csum(ip));
}

void qv_frame_put_udp(uint8_t *udp, uint16_t sport, uint16_t dport, uint16_t len)
{
	qv_put16(udp, sport);
	qv_put16(udp + 2, dport);
	qv_put16(udp + 4, len);
	qv_put16(udp + 6, 0);
}
