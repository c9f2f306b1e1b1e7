/* qwikvirt: Ethernet MAC addresses as text ("02:00:00:00:00:01"): the one parser and formatter
 * behind the rule syntax, the YAML loader, domain XML, qv-bench and the test tools. */
#ifndef QV_LIB_MAC_H
#define QV_LIB_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "xx:xx:xx:xx:xx:xx": six groups of exactly two hex digits. */
#define QV_MAC_TEXT_LEN 17
#define QV_MAC_TEXT_SIZE (QV_MAC_TEXT_LEN + 1)

/* Parses exactly len bytes of s (which need not be NUL-terminated) as xx:xx:xx:xx:xx:xx, hex
 * digits in either case. Returns false (mac untouched) for anything else, so "2:0:0:0:0:1"
 * or a trailing character is an error rather than a guess. */
bool qv_mac_parse_n(const char *s, size_t len, uint8_t mac[6]);

/* The same for a NUL-terminated string (false for NULL). */
bool qv_mac_parse(const char *s, uint8_t mac[6]);

/* Lower-case "xx:xx:xx:xx:xx:xx" into buf (QV_MAC_TEXT_SIZE bytes); returns buf. */
char *qv_mac_format(const uint8_t mac[6], char buf[QV_MAC_TEXT_SIZE]);

/* A unicast address has the group bit (bit 0 of the first byte) clear. */
static inline bool qv_mac_is_unicast(const uint8_t mac[6])
{
	return (mac[0] & 1) == 0;
}

static inline bool qv_mac_is_zero(const uint8_t mac[6])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

#endif
