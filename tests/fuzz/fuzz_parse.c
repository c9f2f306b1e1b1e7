/* qwikvirt: libFuzzer target for the packet parser (dataplane/parse.h); not built by meson.
 * Exact-size copies let AddressSanitizer catch any read past len; asserts check key invariants. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/parse.h"

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Port ids at both ends of the range, to catch byte-order slips in in_port. */
	static const uint16_t ports[] = {0, 1, 0x1234, 0xffff};
	struct qv_flow_key first, k;
	uint8_t *buf;

	if (size > UINT32_MAX)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		/* Pre-fill with junk: the parser must overwrite every byte. */
		memset(&k, 0xaa, sizeof(k));
		int rc = qv_parse_frame(buf, (uint32_t)size, ports[i], &k);

		assert(rc == 0 || rc == -1);
		assert(k.in_port == rte_cpu_to_be_16(ports[i]));
		if (rc != 0)
			continue;
		assert(k.ip_version == 0 || k.ip_version == 4 || k.ip_version == 6);
		if (k.ip_version == 0) {
			assert(k.proto == 0 && k.src_port == 0 && k.dst_port == 0);
			assert(all_zero(k.src_ip, sizeof(k.src_ip)));
			assert(all_zero(k.dst_ip, sizeof(k.dst_ip)));
		}
		if (k.ip_version == 4) {
			assert(all_zero(&k.src_ip[1], 12) && all_zero(&k.dst_ip[1], 12));
		}
		/* Ports only ever come from port-carrying protocols. */
		if (k.src_port || k.dst_port)
			assert(k.proto == 6 || k.proto == 17 || k.proto == 132 || k.proto == 136);
		/* Zero means untagged; otherwise PRESENT is always set. */
		if (k.vlan_tci)
			assert(rte_be_to_cpu_16(k.vlan_tci) & QV_VLAN_PRESENT);
		/* Only in_port may depend on in_port. */
		if (i == 0) {
			first = k;
		} else {
			k.in_port = first.in_port;
			assert(memcmp(&k, &first, sizeof(k)) == 0);
		}
	}
	free(buf);
	return 0;
}
