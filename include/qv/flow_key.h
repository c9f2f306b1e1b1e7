/* qwikvirt: the flow key a parsed packet is reduced to.
 * Shared by the parser (fills it), the exact-match cache (hashes it) and rte_acl (classifies it).
 */
#ifndef QV_FLOW_KEY_H
#define QV_FLOW_KEY_H

#include <stdint.h>

/* Layout rules, imposed by rte_acl:
 *  - the first field is one byte long (proto);
 *  - fields are grouped in 4-byte words, each word is one ACL "input index";
 *  - multi-byte fields are stored in NETWORK byte order (rte_acl reads input as big-endian,
 *    while rule values are given in host order).
 * Absent fields are zero: no VLAN -> vlan_tci 0, non-IP -> ip_version 0, addresses 0, ports 0.
 * The key is 56 bytes and fully initialised (no padding holes), so it can be hashed and
 * compared with memcmp. */
struct qv_flow_key {
	/* word 0 */
	uint8_t proto;      /* IP protocol (after IPv6 extension headers); 0 if not IP */
	uint8_t ip_version; /* 4, 6 or 0 */
	uint16_t in_port;   /* switch port index (network order) */
	/* word 1 */
	uint16_t vlan_tci; /* outer 802.1Q/802.1ad TCI with QV_VLAN_PRESENT set, network order; 0 if
	                      untagged */
	uint16_t ethertype; /* ethertype after VLAN tags, network order */
	/* words 2..4: MAC addresses split on 4-byte boundaries */
	uint8_t dst_mac_hi[4];
	uint8_t dst_mac_lo[2];
	uint8_t src_mac_lo[2];
	uint8_t src_mac_hi[4];
	/* word 5 */
	uint16_t src_port; /* L4 ports (TCP, UDP, SCTP), network order; 0 for fragments after the
	                      first */
	uint16_t dst_port;
	/* words 6..13: IPv6 addresses, or IPv4 address in word 0 and zeros after */
	uint32_t src_ip[4];
	uint32_t dst_ip[4];
};

/* Bit 12 of the TCI is the CFI/DEI bit; we use a separate marker for "a tag is present" so that
 * VLAN id 0 (priority tag) and "untagged" differ: bit 12 of the *stored* tci is forced to 1 when
 * a tag is present and the real DEI is dropped (DEI is not matchable). */
#define QV_VLAN_PRESENT 0x1000u
#define QV_VLAN_VID_MASK 0x0fffu

_Static_assert(sizeof(struct qv_flow_key) == 56, "flow key must stay 56 bytes without holes");

#endif
