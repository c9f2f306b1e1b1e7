/* qwikvirt: IP protocol names of the rule syntax (see proto.h), one table for the parser and the
 * formatter. */
#include "lib/proto.h"

#include <string.h>

static const struct {
	const char *name;
	uint8_t num;
} proto_names[] = {
    {"tcp", QV_IPPROTO_TCP},       {"udp", QV_IPPROTO_UDP},   {"icmp", QV_IPPROTO_ICMP},
    {"icmpv6", QV_IPPROTO_ICMPV6}, {"sctp", QV_IPPROTO_SCTP},
};

const char *qv_proto_name(uint8_t num)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (proto_names[i].num == num)
			return proto_names[i].name;
	return NULL;
}

int qv_proto_by_name(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strlen(proto_names[i].name) == len && memcmp(proto_names[i].name, s, len) == 0)
			return proto_names[i].num;
	return -1;
}
