/* qwikvirt: libFuzzer target for the pcapng writer (dataplane/capture/pcapng.c): a file of
 * fuzzed interface name, comment and packets must read back through libpcap with every packet,
 * byte for byte, as the capture thread wrote it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "dataplane/capture/pcapng.h"

/* Input: snaplen (2 bytes, 0: 65535), name length + name, comment length + comment, then
 * packets: length (2 bytes), direction and extra original length (1 byte each), data. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static size_t take(struct reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		n = r->left;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return n;
}

static unsigned take_u8(struct reader *r)
{
	const uint8_t *p;

	return take(r, 1, &p) ? p[0] : 0;
}

static unsigned take_u16(struct reader *r)
{
	return take_u8(r) | take_u8(r) << 8;
}

/* A C string of the input's next bytes (NULs end it early, as in a real port name). */
static char *take_str(struct reader *r, size_t n)
{
	const uint8_t *p;
	char *s;

	n = take(r, n, &p);
	s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

#define MAX_PKTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = {data, size};
	struct {
		const uint8_t *data;
		uint32_t caplen, origlen;
		uint64_t ts_ns;
	} pkts[MAX_PKTS];
	char errbuf[PCAP_ERRBUF_SIZE], *name, *comment, *file = NULL;
	size_t file_len = 0, n = 0;
	uint32_t snaplen = take_u16(&r);
	long total = 0, w;
	unsigned name_len;
	FILE *f;
	pcap_t *pc;

	if (snaplen == 0)
		snaplen = 65535;
	/* Up to 2 * 255 bytes, past what the block's option buffer holds. */
	name_len = take_u8(&r);
	name = take_str(&r, name_len * (name_len > 200 ? 2 : 1));
	comment = take_str(&r, take_u8(&r) * 2);
	f = open_memstream(&file, &file_len);
	if (f == NULL)
		abort();
	if ((w = qv_pcapng_write_header(f, name, snaplen, comment)) < 0)
		abort();
	total += w;
	while (r.left > 0 && n < MAX_PKTS) {
		unsigned len = take_u16(&r), dir = take_u8(&r), extra = take_u8(&r);
		const uint8_t *p;
		uint32_t got = (uint32_t)take(&r, len, &p);

		/* As capture.c does: caplen is at most snaplen, origlen the frame's length. */
		pkts[n].data = p;
		pkts[n].caplen = got < snaplen ? got : snaplen;
		pkts[n].origlen = got + extra;
		pkts[n].ts_ns = 1700000000000000000ull + (uint64_t)len * 1000003u + extra;
		if ((w = qv_pcapng_write_packet(f, pkts[n].ts_ns, p, pkts[n].caplen,
		                                pkts[n].origlen, (int)(dir % 3))) < 0)
			abort();
		total += w;
		n++;
	}
	if ((w = qv_pcapng_write_stats(f, 1700000000000000000ull, n, size)) < 0)
		abort();
	total += w;
	if (fclose(f) != 0 || (size_t)total != file_len)
		abort(); /* the byte counts returned are what was written */

	f = fmemopen(file, file_len, "rb");
	if (f == NULL)
		abort();
	pc = pcap_fopen_offline(f, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "fuzz_pcapng: libpcap refuses the file: %s\n", errbuf);
		abort();
	}
	if (pcap_datalink(pc) != DLT_EN10MB)
		abort();
	for (size_t i = 0; i <= n; i++) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(pc, &h, &d);

		if (i == n) {
			if (rc != PCAP_ERROR_BREAK) /* the end of the file, after the statistics */
				abort();
			break;
		}
		if (rc != 1) {
			fprintf(stderr, "fuzz_pcapng: packet %zu of %zu: %s\n", i, n,
			        pcap_geterr(pc));
			abort();
		}
		if (h->caplen != pkts[i].caplen || h->len != pkts[i].origlen ||
		    memcmp(d, pkts[i].data, h->caplen) != 0 ||
		    (uint64_t)h->ts.tv_sec != pkts[i].ts_ns / 1000000000u ||
		    (uint64_t)h->ts.tv_usec != pkts[i].ts_ns % 1000000000u / 1000u)
			abort();
	}
	pcap_close(pc);
	free(file);
	free(name);
	free(comment);
	return 0;
}
