/* qwikvirt: sizes with binary units ("512MiB", "2GiB") as the service definition writes VM
 * memory. Strict on purpose: "1G" or a bare number is refused rather than guessed. */
#ifndef QV_UNITS_H
#define QV_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* What qv_parse_size accepts, for error messages. */
#define QV_SIZE_EXPECT "a size with a unit, such as 512MiB or 2GiB (units: KiB, MiB, GiB, TiB)"

/* Parses DIGITS followed by KiB, MiB, GiB or TiB (B alone for bytes). False when the text is
 * not of that form or overflows 64 bits. */
bool qv_parse_size(const char *s, uint64_t *out);

/* "1GiB" for 1 << 30: the largest unit that divides the size exactly. */
void qv_format_size(uint64_t bytes, char *buf, unsigned long len);

/* Rates (bandwidth limits): bits per second or packets per second, decimal prefixes. */
#define QV_RATE_EXPECT                                                                             \
	"a rate with a unit, such as 2Gbit, 500Mbit, 2.5Gbit or 100kpps (units: bit, kbit, "       \
	"Mbit, Gbit, Tbit per second; pps, kpps, Mpps, Gpps)"
#define QV_BURST_EXPECT                                                                            \
	"a burst with a unit, such as 64KiB, 1500B or 32pkt (bytes: B, KiB, MiB; packets: pkt)"

/* Parses DIGITS[.DIGITS] followed by a rate unit: *out in bits/s (*packets false) or
 * packets/s (*packets true). False when not of that form, zero-free checks left to the
 * caller, or over 64 bits. */
bool qv_parse_rate(const char *s, uint64_t *out, bool *packets);
/* Parses a size (qv_parse_size) as bytes, or DIGITS "pkt" as packets. */
bool qv_parse_burst(const char *s, uint64_t *out, bool *packets);
/* "2Gbit" / "2.5Gbit" / "100kpps": the largest prefix that keeps it short. */
void qv_format_rate(uint64_t v, bool packets, char *buf, unsigned long len);

#endif
