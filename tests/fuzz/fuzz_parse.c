/* qwikvirt: libFuzzer target for the packet parser (dataplane/parse.h), on whole frames and on
 * frames split into a chain of segments. Exact-size copies let ASan catch any read past len.
 * Input: byte 0 = length of the first segment (0: not split), then the frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* assert() vanishes under NDEBUG (buildtype=release); a fuzz oracle must not. */
#define check(c) ((c) ? (void)0 : abort())

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

/* The PMD (burst_parse in dataplane/pmd.c) parses the first segment of an mbuf chain: its data
 * and data_len. The chain here is exact-size heap copies of the frame's pieces, so a read past
 * the first segment is an ASan error, not a read of the next piece. */
struct seg {
	uint8_t *data;
	uint32_t data_len;
};

static void parse_chained(const uint8_t *frame, uint32_t len, uint32_t first_len,
                          const struct qv_flow_key *flat, int flat_rc)
{
	struct seg chain[3];
	uint32_t rest = len - first_len, second = rest / 2;
	uint32_t lens[3] = {first_len, second, rest - second};
	uint32_t off = 0;
	struct qv_flow_key k;
	int rc;

	for (int i = 0; i < 3; i++) {
		chain[i].data_len = lens[i];
		chain[i].data = malloc(lens[i] ? lens[i] : 1);
		if (chain[i].data == NULL)
			abort();
		memcpy(chain[i].data, frame + off, lens[i]);
		off += lens[i];
	}
	memset(&k, 0x55, sizeof(k));
	rc = qv_parse_frame(chain[0].data, chain[0].data_len, 7, &k);
	check(rc == 0 || rc == -1);
	/* What parses from the first segment is what the whole frame says: the parser never
	 * takes padding or a cut header for a field. (The converse does not hold: a frame whose
	 * L3 length runs past the first segment is refused; see tests/fuzz/README.md.) */
	if (rc == 0) {
		check(flat_rc == 0);
		check(memcmp(&k, flat, sizeof(k)) == 0);
	}
	for (int i = 0; i < 3; i++)
		free(chain[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Port ids at both ends of the range, to catch byte-order slips in in_port. */
	static const uint16_t ports[] = {0, 1, 0x1234, 0xffff, 7};
	struct qv_flow_key first, k;
	uint32_t first_len;
	uint8_t *buf;
	int rc = -1;

	if (size < 1 || size > UINT32_MAX)
		return 0;
	first_len = data[0];
	data++;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		/* Pre-fill with junk: the parser must overwrite every byte. */
		memset(&k, 0xaa, sizeof(k));
		rc = qv_parse_frame(buf, (uint32_t)size, ports[i], &k);

		check(rc == 0 || rc == -1);
		check(k.in_port == rte_cpu_to_be_16(ports[i]));
		if (rc != 0)
			continue;
		check(k.ip_version == 0 || k.ip_version == 4 || k.ip_version == 6);
		if (k.ip_version == 0) {
			check(k.proto == 0 && k.src_port == 0 && k.dst_port == 0);
			check(all_zero(k.src_ip, sizeof(k.src_ip)));
			check(all_zero(k.dst_ip, sizeof(k.dst_ip)));
		}
		if (k.ip_version == 4) {
			check(all_zero(&k.src_ip[1], 12) && all_zero(&k.dst_ip[1], 12));
		}
		/* Ports only ever come from port-carrying protocols. */
		if (k.src_port || k.dst_port)
			check(k.proto == 6 || k.proto == 17 || k.proto == 132 || k.proto == 136);
		/* Zero means untagged; otherwise PRESENT is always set. */
		if (k.vlan_tci)
			check(rte_be_to_cpu_16(k.vlan_tci) & QV_VLAN_PRESENT);
		/* Only in_port may depend on in_port. */
		if (i == 0) {
			first = k;
		} else {
			struct qv_flow_key same = k;

			same.in_port = first.in_port;
			check(memcmp(&same, &first, sizeof(same)) == 0);
		}
	}
	/* The port-rule path (burst_port_rule in dataplane/pmd.c) drops what the parser refuses
	 * and nothing else: its check on a one-segment mbuf of the frame says as the parse did. */
	if (size <= UINT16_MAX) {
		struct rte_mbuf m;
		uint8_t scratch[QV_PARSE_HEAD];

		memset(&m, 0, sizeof(m));
		m.buf_addr = buf;
		m.nb_segs = 1;
		m.pkt_len = (uint32_t)size;
		m.data_len = (uint16_t)size;
		check(qv_parse_mbuf_valid(&m, scratch) == (rc == 0));
	}
	/* k, rc: the whole frame parsed on port 7, as the chain is. */
	if (first_len > 0 && first_len < size)
		parse_chained(buf, (uint32_t)size, first_len, &k, rc);
	free(buf);
	return 0;
}
