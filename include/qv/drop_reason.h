/* qwikvirt: every reason the switch drops a packet, as an X-macro so that counters, names and
 * help texts stay in one place (VPP's error-counter style). */
#ifndef QV_DROP_REASON_H
#define QV_DROP_REASON_H

#define QV_FOREACH_DROP_REASON(_)                                                                  \
	_(NO_MATCH, "no-match", "no rule matched and the port's default is drop")                  \
	_(RULE_DROP, "rule-drop", "a rule's action was drop")                                      \
	_(BAD_HEADER, "bad-header", "truncated or malformed Ethernet/VLAN/IP/L4 header")           \
	_(TX_FULL, "tx-full", "the output queue (or guest ring) had no room")                      \
	_(PORT_DOWN, "port-down", "the output port is down, removed, or its guest not ready")      \
	_(NO_MBUF, "no-mbuf", "no buffer left to copy or re-tag the packet")                       \
	_(LOOP, "loop", "the packet would go back out of the port it came in on")                  \
	_(POLICED, "policed", "over a port's ingress or egress rate limit (qvctl show ports)")     \
	_(MTU_EXCEEDED, "mtu-exceeded", "the packet is larger than the output port's MTU")         \
	_(NIC_MISSED, "nic-missed", "the NIC dropped it: its rx ring was full (imissed)")          \
	_(NIC_NO_MBUF, "nic-no-mbuf", "the NIC dropped it: no buffer to receive into")             \
	_(NIC_RX_ERROR, "nic-rx-error", "the NIC received it in error (ierrors)")                  \
	_(NIC_TX_ERROR, "nic-tx-error", "the NIC failed to send it (oerrors)")

enum qv_drop_reason {
#define QV_DROP_ENUM(sym, name, help) QV_DROP_##sym,
	QV_FOREACH_DROP_REASON(QV_DROP_ENUM)
#undef QV_DROP_ENUM
	    QV_DROP_MAX
};

extern const char *const qv_drop_reason_name[QV_DROP_MAX];
extern const char *const qv_drop_reason_help[QV_DROP_MAX];

#endif
