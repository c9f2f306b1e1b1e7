/* qwikvirt: fast-path packet parser, reduces an Ethernet frame to a struct qv_flow_key.
 * Inline because it runs once per packet in the PMD loop; it never reads past len. */
#ifndef QV_PARSE_H
#define QV_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "lib/proto.h"
#include "qv/flow_key.h"

#define QV_ETH_HLEN 14u
#define QV_VLAN_HLEN 4u
/* QinQ in the wild is 2 tags; 4 leaves room for provider stacks while bounding the loop. */
#define QV_MAX_VLAN_TAGS 4u
/* RFC 8200 chains are short; a cap stops a crafted chain from burning PMD cycles. */
#define QV_MAX_IPV6_EXT 8u

/* Defined in parse.c; bumped when the key a given frame produces changes. */
extern const int qv_parse_abi_version;

/* Host-order read of a big-endian 16-bit field: byte loads cannot be misaligned. */
static inline uint16_t qv_parse_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline int qv_parse_is_vlan_tpid(uint16_t et)
{
	return et == QV_ETHERTYPE_VLAN || et == QV_ETHERTYPE_QINQ || et == QV_ETHERTYPE_QINQ_OLD;
}

/* Only these protocols start with a 16-bit source and destination port pair. */
static inline int qv_parse_has_ports(uint8_t proto)
{
	return proto == QV_IPPROTO_TCP || proto == QV_IPPROTO_UDP || proto == QV_IPPROTO_SCTP ||
	       proto == QV_IPPROTO_UDPLITE;
}

/* The parser reads headers from a buffer of `avail` bytes (the frame's first segment, or a
 * linearised copy of its head: see qv_parse_mbuf) and checks lengths against the frame's
 * `len` on the wire, so that a jumbo frame in chained mbufs parses as it would whole. A
 * header cut by the end of the buffer but not of the frame is reported as bad too: the
 * copy is long enough for every header a real frame carries before L4. */

/* Every function below takes `fill`, a compile-time constant in each instance: true, the key
 * is written; false (qv_parse_mbuf_valid), key may be NULL and only the checks remain. gcc 12
 * kept the memset and the field stores when the key was merely unused: in V2V runs at 64 B
 * the check cost 12 busy cycles per packet that way (of about 200), 7 without them. */

/* Fills the ports when proto carries them; l4 and end (offsets in p) delimit the L3 payload
 * as far as it can be read, so Ethernet padding is never taken for a port. */
static __rte_always_inline int qv_parse_l4(const uint8_t *p, uint32_t l4, uint32_t end,
                                           uint8_t proto, struct qv_flow_key *key, const bool fill)
{
	if (!qv_parse_has_ports(proto))
		return 0;
	/* A rule on ports must not match garbage, so a cut port pair is a bad header. */
	if (end < l4 + 4)
		return -1;
	if (fill) {
		memcpy(&key->src_port, p + l4, 2);
		memcpy(&key->dst_port, p + l4 + 2, 2);
	}
	return 0;
}

static inline uint32_t qv_parse_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* p: the IPv4 header, avail bytes of it readable, rem bytes of frame from it on the wire. */
static __rte_always_inline int qv_parse_ipv4(const uint8_t *p, uint32_t avail, uint32_t rem,
                                             struct qv_flow_key *key, const bool fill)
{
	/* The fixed header must be readable before any field in it is trusted. */
	if (avail < 20 || rem < 20)
		return -1;
	/* Ethertype and version disagreeing means a corrupt or spoofed frame. */
	if ((p[0] >> 4) != 4)
		return -1;
	uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4;
	uint32_t tot = qv_parse_rd16(p + 2);
	/* IHL < 5 would overlap the fixed header; options must fit in what was received. */
	if (hlen < 20 || hlen > rem || hlen > avail)
		return -1;
	/* total_length bounds L4; a frame shorter than it was truncated on the wire. Longer is
	 * just Ethernet minimum-size padding. */
	if (tot < hlen || tot > rem)
		return -1;
	if (fill) {
		key->ip_version = 4;
		key->proto = p[9];
		memcpy(&key->src_ip[0], p + 12, 4);
		memcpy(&key->dst_ip[0], p + 16, 4);
	}
	/* Only the first fragment carries the L4 header; later ones keep proto for ACLs. */
	if ((qv_parse_rd16(p + 6) & 0x1fff) != 0)
		return 0;
	return qv_parse_l4(p, hlen, qv_parse_min(tot, avail), p[9], key, fill);
}

static __rte_always_inline int qv_parse_ipv6(const uint8_t *p, uint32_t avail, uint32_t rem,
                                             struct qv_flow_key *key, const bool fill)
{
	/* The fixed 40-byte header must be readable before any field in it is trusted. */
	if (avail < 40 || rem < 40)
		return -1;
	if ((p[0] >> 4) != 6)
		return -1;
	uint32_t plen = qv_parse_rd16(p + 4);
	/* Payload beyond the received bytes means truncation; less is padding. */
	if (plen > rem - 40)
		return -1;
	if (fill) {
		key->ip_version = 6;
		memcpy(key->src_ip, p + 8, 16);
		memcpy(key->dst_ip, p + 24, 16);
	}

	const uint32_t end = 40 + plen;                 /* payload end on the wire */
	const uint32_t rend = qv_parse_min(end, avail); /* ... and as far as readable */
	uint32_t h = 40;
	uint8_t nh = p[6];
	unsigned int n_ext = 0;

	for (;;) {
		uint32_t elen;

		switch (nh) {
		case QV_IPPROTO_HOPOPTS:
		case QV_IPPROTO_ROUTING:
		case QV_IPPROTO_DSTOPTS:
		case QV_IPPROTO_MH:
			/* RFC 8200 layout: 8-octet units, not counting the first. */
			if (rend < h + 2)
				return -1;
			elen = ((uint32_t)p[h + 1] + 1) * 8;
			break;
		case QV_IPPROTO_AH:
			/* RFC 4302 counts AH in 4-octet units minus 2, unlike the other headers. */
			if (rend < h + 2)
				return -1;
			elen = ((uint32_t)p[h + 1] + 2) * 4;
			break;
		case QV_IPPROTO_FRAGMENT:
			elen = 8;
			break;
		default:
			/* Upper-layer (or 59, no next header): the chain is over. */
			if (fill)
				key->proto = nh;
			return qv_parse_l4(p, h, rend, nh, key, fill);
		}
		/* Bound the walk so a crafted chain cannot cost unbounded cycles per packet. */
		if (++n_ext > QV_MAX_IPV6_EXT)
			return -1;
		/* A header cut by the payload end would hide the real next header. */
		if (end - h < elen || rend < h + 4)
			return -1;
		/* Non-first fragments have no L4 header: report what the fragment says follows. */
		if (nh == QV_IPPROTO_FRAGMENT && (qv_parse_rd16(p + h + 2) & 0xfff8) != 0) {
			if (fill)
				key->proto = p[h];
			return 0;
		}
		nh = p[h];
		h += elen;
	}
}

/* Returns 0 with key filled (when fill), -1 for a malformed or truncated header
 * (QV_DROP_BAD_HEADER). frame: avail readable bytes of a frame of len bytes (avail <= len).
 * in_port is host order. The key is zeroed first: it is hashed and memcmp'd whole. */
static __rte_always_inline int qv_parse_frame_do(const uint8_t *frame, uint32_t avail, uint32_t len,
                                                 uint16_t in_port, struct qv_flow_key *key,
                                                 const bool fill)
{
	if (fill) {
		memset(key, 0, sizeof(*key));
		key->in_port = rte_cpu_to_be_16(in_port);
	}
	/* Without a full Ethernet header there is no ethertype to dispatch on. */
	if (avail < QV_ETH_HLEN || len < avail)
		return -1;
	if (fill) {
		memcpy(key->dst_mac_hi, frame, 4);
		memcpy(key->dst_mac_lo, frame + 4, 2);
		memcpy(key->src_mac_hi, frame + 6, 4);
		memcpy(key->src_mac_lo, frame + 10, 2);
	}

	uint32_t off = QV_ETH_HLEN;
	uint16_t et = qv_parse_rd16(frame + 12);
	unsigned int n_tags = 0;

	while (qv_parse_is_vlan_tpid(et)) {
		/* Deeper stacks are not legitimate traffic and would unbound the loop. */
		if (n_tags == QV_MAX_VLAN_TAGS)
			return -1;
		/* A cut tag leaves the inner ethertype unknown. */
		if (avail - off < QV_VLAN_HLEN)
			return -1;
		/* Only the outer tag is the switch's VLAN; PCP/DEI are not matchable, and PRESENT
		 * keeps a priority tag (vid 0) distinct from untagged. */
		if (fill && n_tags == 0)
			key->vlan_tci = rte_cpu_to_be_16(
			    (uint16_t)((qv_parse_rd16(frame + off) & QV_VLAN_VID_MASK) |
			               QV_VLAN_PRESENT));
		et = qv_parse_rd16(frame + off + 2);
		off += QV_VLAN_HLEN;
		n_tags++;
	}
	if (fill)
		key->ethertype = rte_cpu_to_be_16(et);

	if (et == QV_ETHERTYPE_IPV4)
		return qv_parse_ipv4(frame + off, avail - off, len - off, key, fill);
	if (et == QV_ETHERTYPE_IPV6)
		return qv_parse_ipv6(frame + off, avail - off, len - off, key, fill);
	/* ARP, LLDP and the like are switched on L2 fields alone. */
	return 0;
}

static __rte_always_inline int qv_parse_frame_part(const uint8_t *frame, uint32_t avail,
                                                   uint32_t len, uint16_t in_port,
                                                   struct qv_flow_key *key)
{
	return qv_parse_frame_do(frame, avail, len, in_port, key, true);
}

/* A whole frame of len bytes in one buffer. */
static inline int qv_parse_frame(const uint8_t *frame, uint32_t len, uint16_t in_port,
                                 struct qv_flow_key *key)
{
	return qv_parse_frame_part(frame, len, len, in_port, key);
}

/* How much of a chained frame's head is copied for the parser when its first segment is
 * shorter: every header before L4 of any frame the switch takes (4 tags, IPv4 options, a
 * few IPv6 extension headers). */
#define QV_PARSE_HEAD 256u

/* Parses the frame in mbuf m, chained or not: from its first segment when that holds the
 * whole frame or at least QV_PARSE_HEAD bytes, else from a copy of its head in scratch
 * (QV_PARSE_HEAD bytes, the caller's stack). The frame itself is never modified. */
static __rte_always_inline int qv_parse_mbuf_do(const struct rte_mbuf *m, uint16_t in_port,
                                                struct qv_flow_key *key, uint8_t *scratch,
                                                const bool fill)
{
	uint32_t len = m->pkt_len, seg = m->data_len;
	const uint8_t *h;

	if (likely(seg == len || seg >= QV_PARSE_HEAD))
		return qv_parse_frame_do(rte_pktmbuf_mtod(m, const uint8_t *), seg, len, in_port,
		                         key, fill);
	seg = len < QV_PARSE_HEAD ? len : QV_PARSE_HEAD;
	h = (const uint8_t *)rte_pktmbuf_read(m, 0, seg, scratch);
	if (h == NULL) { /* cannot happen (seg <= pkt_len); a key must be set all the same */
		if (fill)
			memset(key, 0, sizeof(*key));
		return -1;
	}
	return qv_parse_frame_do(h, seg, len, in_port, key, fill);
}

static __rte_always_inline int qv_parse_mbuf(const struct rte_mbuf *m, uint16_t in_port,
                                             struct qv_flow_key *key, uint8_t *scratch)
{
	return qv_parse_mbuf_do(m, in_port, key, scratch, true);
}

/* Whether qv_parse_mbuf would parse m: the same checks, by the same code, with no key written.
 * For a port whose every packet takes one rule, where the key is not needed but a bad header
 * is still a drop. tests/fuzz/fuzz_parse.c holds the two to the same answer on every input. */
static __rte_always_inline bool qv_parse_mbuf_valid(const struct rte_mbuf *m, uint8_t *scratch)
{
	return qv_parse_mbuf_do(m, 0, NULL, scratch, false) == 0;
}

/* Undoes the rte_acl-friendly split of the MACs, for L2 learning and forwarding. */
static inline void qv_flow_key_get_macs(const struct qv_flow_key *k, uint8_t dst[6], uint8_t src[6])
{
	memcpy(dst, k->dst_mac_hi, 4);
	memcpy(dst + 4, k->dst_mac_lo, 2);
	memcpy(src, k->src_mac_hi, 4);
	memcpy(src + 4, k->src_mac_lo, 2);
}

#endif
