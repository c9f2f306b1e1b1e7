/* qwikvirt: strict unsigned number parsing (see num.h). */
#include "lib/num.h"

#include <errno.h>
#include <stdlib.h>

bool qv_parse_uint(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	/* strtoull skips white space and takes a sign (wrapping "-1" to the maximum): refuse
	 * both by asking for a digit first. */
	if (s == NULL || s[0] < '0' || s[0] > '9' || (base != 10 && base != 0))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

bool qv_parse_double(const char *s, double max, double *out)
{
	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	/* written so that NaN fails too */
	if (errno != 0 || *end != '\0' || !(v >= 0 && v <= max))
		return false;
	*out = v;
	return true;
}
