/* qwikvirt: pcapng blocks (see pcapng.h), written in host byte order as the format allows
 * (readers use the section's byte-order magic). Slow path: the capture thread only. */
#include <string.h>

#include "dataplane/capture/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define PAD4(n) (((n) + 3u) & ~3u)

struct opt_buf {
	uint8_t b[512];
	uint32_t len;
};

static void opt_add(struct opt_buf *o, uint16_t code, const void *val, uint16_t len)
{
	uint16_t hdr[2] = {code, len};

	if (o->len + 4 + PAD4(len) + 4 > sizeof(o->b))
		return; /* options are best effort; the packet data is what matters */
	memcpy(o->b + o->len, hdr, 4);
	memcpy(o->b + o->len + 4, val, len);
	memset(o->b + o->len + 4 + len, 0, PAD4(len) - len);
	o->len += 4 + PAD4(len);
}

static void opt_end(struct opt_buf *o)
{
	memset(o->b + o->len, 0, 4); /* opt_endofopt */
	o->len += 4;
}

static long write_block(FILE *f, uint32_t type, const void *body, uint32_t body_len,
                        const void *data, uint32_t data_len, const struct opt_buf *o)
{
	uint32_t total = 12 + body_len + PAD4(data_len) + (o ? o->len : 0);
	static const uint8_t zeros[4];

	if (fwrite(&type, 4, 1, f) != 1 || fwrite(&total, 4, 1, f) != 1 ||
	    (body_len && fwrite(body, body_len, 1, f) != 1) ||
	    (data_len && fwrite(data, data_len, 1, f) != 1) ||
	    (PAD4(data_len) != data_len && fwrite(zeros, PAD4(data_len) - data_len, 1, f) != 1) ||
	    (o && o->len && fwrite(o->b, o->len, 1, f) != 1) || fwrite(&total, 4, 1, f) != 1)
		return -1;
	return total;
}

long qv_pcapng_write_header(FILE *f, const char *ifname, uint32_t snaplen, const char *comment)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int64_t section_len;
	} shb = {0x1A2B3C4D, 1, 0, -1};
	struct {
		uint16_t linktype, reserved;
		uint32_t snaplen;
	} idb = {1 /* LINKTYPE_ETHERNET */, 0, snaplen};
	struct opt_buf so = {0}, io = {0};
	const char *app = "qwikvirt qv-switchd";
	uint8_t tsresol = 9; /* nanoseconds */
	long a, b;

	opt_add(&so, 4 /* shb_userappl */, app, (uint16_t)strlen(app));
	if (comment && *comment)
		opt_add(&so, 1 /* opt_comment */, comment, (uint16_t)strnlen(comment, 400));
	opt_end(&so);
	/* tsresol first: an option that does not fit is dropped, and without it every timestamp
	 * reads as microseconds; a too-long name can go. */
	opt_add(&io, 9 /* if_tsresol */, &tsresol, 1);
	opt_add(&io, 2 /* if_name */, ifname, (uint16_t)strlen(ifname));
	opt_end(&io);
	a = write_block(f, BT_SHB, &shb, sizeof(shb), NULL, 0, &so);
	b = write_block(f, BT_IDB, &idb, sizeof(idb), NULL, 0, &io);
	return a < 0 || b < 0 ? -1 : a + b;
}

long qv_pcapng_write_packet(FILE *f, uint64_t ts_ns, const void *data, uint32_t caplen,
                            uint32_t origlen, int direction)
{
	struct {
		uint32_t ifid, ts_hi, ts_lo, caplen, origlen;
	} epb = {0, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns, caplen, origlen};
	struct opt_buf o = {0};
	uint32_t flags = (uint32_t)direction & 3; /* epb_flags bits 0-1: 1 in, 2 out */

	opt_add(&o, 2 /* epb_flags */, &flags, 4);
	opt_end(&o);
	return write_block(f, BT_EPB, &epb, sizeof(epb), data, caplen, &o);
}

long qv_pcapng_write_stats(FILE *f, uint64_t ts_ns, uint64_t recv, uint64_t drop)
{
	struct {
		uint32_t ifid, ts_hi, ts_lo;
	} isb = {0, (uint32_t)(ts_ns >> 32), (uint32_t)ts_ns};
	struct opt_buf o = {0};

	opt_add(&o, 4 /* isb_ifrecv */, &recv, 8);
	opt_add(&o, 5 /* isb_ifdrop */, &drop, 8);
	opt_end(&o);
	return write_block(f, BT_ISB, &isb, sizeof(isb), NULL, 0, &o);
}
