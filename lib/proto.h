/* qwikvirt: the ethertype and IP protocol numbers every program uses (parser, rule syntax,
 * chain compiler, test tools, generator), in one place instead of one copy per program. */
#ifndef QV_LIB_PROTO_H
#define QV_LIB_PROTO_H

#define QV_ETHERTYPE_IPV4 0x0800u
#define QV_ETHERTYPE_ARP 0x0806u
#define QV_ETHERTYPE_IPV6 0x86ddu
/* VLAN tag types (TPIDs): 802.1Q, 802.1ad, and the pre-standard QinQ value still seen. */
#define QV_ETHERTYPE_VLAN 0x8100u
#define QV_ETHERTYPE_QINQ 0x88a8u
#define QV_ETHERTYPE_QINQ_OLD 0x9100u

/* IP protocols, and the IPv6 extension headers the parser walks over. */
#define QV_IPPROTO_HOPOPTS 0u
#define QV_IPPROTO_ICMP 1u
#define QV_IPPROTO_TCP 6u
#define QV_IPPROTO_UDP 17u
#define QV_IPPROTO_ROUTING 43u
#define QV_IPPROTO_FRAGMENT 44u
#define QV_IPPROTO_AH 51u
#define QV_IPPROTO_ICMPV6 58u
#define QV_IPPROTO_NONE 59u
#define QV_IPPROTO_DSTOPTS 60u
#define QV_IPPROTO_SCTP 132u
#define QV_IPPROTO_MH 135u
#define QV_IPPROTO_UDPLITE 136u

#include <stddef.h>
#include <stdint.h>

/* The protocol names the rule syntax knows (tcp, udp, icmp, icmpv6, sctp): the name of num, or
 * NULL; the number of the name s[0..len), or -1. */
const char *qv_proto_name(uint8_t num);
int qv_proto_by_name(const char *s, size_t len);

#endif
