/* qwikvirt: MAC address text parsing and formatting (see mac.h). */
#include "lib/mac.h"

#include <stdio.h>
#include <string.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool qv_mac_parse_n(const char *s, size_t len, uint8_t mac[6])
{
	uint8_t b[6];

	if (s == NULL || len != QV_MAC_TEXT_LEN)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *g = s + 3 * i;
		int hi = hex_digit(g[0]), lo = hex_digit(g[1]);
		if (hi < 0 || lo < 0 || (i < 5 && g[2] != ':'))
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, b, 6);
	return true;
}

bool qv_mac_parse(const char *s, uint8_t mac[6])
{
	return s != NULL && qv_mac_parse_n(s, strlen(s), mac);
}

char *qv_mac_format(const uint8_t mac[6], char buf[QV_MAC_TEXT_SIZE])
{
	snprintf(buf, QV_MAC_TEXT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
	         mac[3], mac[4], mac[5]);
	return buf;
}
