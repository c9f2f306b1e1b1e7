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

#endif
