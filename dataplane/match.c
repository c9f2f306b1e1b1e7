/* qwikvirt: reference semantics of a rule match against a flow key.
 * Deliberately simple: the rte_acl classifier is tested against this function. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "qv/rule.h"

/* MAC layout in the key (see flow_key.h): "hi" is the first 4 bytes of the address on the
 * wire, "lo" the last 2, for both addresses. The split only exists to keep rte_acl words
 * 4-byte aligned. */
static bool mac_equal(const uint8_t mac[6], const uint8_t hi[4], const uint8_t lo[2])
{
	return memcmp(mac, hi, 4) == 0 && memcmp(mac + 4, lo, 2) == 0;
}

/* Prefix compare over network-order bytes. An IP match only makes sense for version 4 or 6 and
 * a prefix no longer than the address; anything else is unsatisfiable (matches nothing), which
 * the classifier mirrors by leaving such rules out. */
static bool prefix_covers(uint8_t version, uint8_t plen, const uint8_t *want, const uint32_t *have)
{
	const uint8_t *h = (const uint8_t *)have;
	unsigned int max_bits;

	if (version == 4)
		max_bits = 32;
	else if (version == 6)
		max_bits = 128;
	else
		return false;
	if (plen > max_bits)
		return false;

	unsigned int full = plen / 8, rest = plen % 8;
	if (memcmp(want, h, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((want[full] & mask) != (h[full] & mask))
			return false;
	}
	return true;
}

/* A key without L4 ports carries port 0, so a range containing 0 also covers such packets
 * (ARP, ICMP, non-first fragments). The rule syntax only emits port ranges together with an
 * IP protocol, which keeps this from surprising users. An empty range (lo > hi) covers nothing. */
static bool range_covers(uint16_t lo, uint16_t hi, uint16_t port_be)
{
	uint16_t p = rte_be_to_cpu_16(port_be);
	return lo <= p && p <= hi;
}

bool qv_match_covers(const struct qv_match *m, const struct qv_flow_key *key)
{
	uint32_t f = m->fields;
	uint16_t tci = rte_be_to_cpu_16(key->vlan_tci);

	if ((f & QV_M_IN_PORT) && rte_be_to_cpu_16(key->in_port) != m->in_port)
		return false;
	if ((f & QV_M_VLAN) && (!(tci & QV_VLAN_PRESENT) || (tci & QV_VLAN_VID_MASK) != m->vlan_id))
		return false;
	if ((f & QV_M_NO_VLAN) && tci != 0)
		return false;
	if ((f & QV_M_ETHERTYPE) && rte_be_to_cpu_16(key->ethertype) != m->ethertype)
		return false;
	if ((f & QV_M_SRC_MAC) && !mac_equal(m->src_mac, key->src_mac_hi, key->src_mac_lo))
		return false;
	if ((f & QV_M_DST_MAC) && !mac_equal(m->dst_mac, key->dst_mac_hi, key->dst_mac_lo))
		return false;
	if ((f & (QV_M_IP_VERSION | QV_M_SRC_IP | QV_M_DST_IP)) && key->ip_version != m->ip_version)
		return false;
	if ((f & QV_M_SRC_IP) && !prefix_covers(m->ip_version, m->src_plen, m->src_ip, key->src_ip))
		return false;
	if ((f & QV_M_DST_IP) && !prefix_covers(m->ip_version, m->dst_plen, m->dst_ip, key->dst_ip))
		return false;
	if ((f & QV_M_PROTO) && key->proto != m->proto)
		return false;
	if ((f & QV_M_SRC_PORT) && !range_covers(m->src_port_lo, m->src_port_hi, key->src_port))
		return false;
	if ((f & QV_M_DST_PORT) && !range_covers(m->dst_port_lo, m->dst_port_hi, key->dst_port))
		return false;
	return true;
}
