/* qwikvirt: strict unsigned numbers from command lines, RPC parameters and specs: the one
 * parser behind qvctl's, qv-switchd's, qv-bench's and the test tools' options. */
#ifndef QV_LIB_NUM_H
#define QV_LIB_NUM_H

#include <stdbool.h>
#include <stdint.h>

/* Parses the whole of s as an unsigned number within min..max. base is 10 (decimal digits
 * only) or 0 (also 0x hex and leading-0 octal, as strtoull). No sign, no white space, no
 * empty string: "+5", " 5", "5 " and "" are refused, so a typo never becomes a number.
 * Returns false (and leaves *out alone) when s is NULL, not such a number or out of range. */
bool qv_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

/* Parses the whole of s as a number (strtod syntax: "2.5", "1e6") within 0..max. Returns false
 * (and leaves *out alone) when s is NULL or empty, has anything after the number, or is
 * negative, NaN or above max. */
bool qv_parse_double(const char *s, double max, double *out);

#endif
