/* qwikvirt: binary size units for VM memory, and rate units for bandwidth limits (see
 * units.h). Kept apart so the loader's fuzz target, unit tests and qvctl use it alone. */
#include "control/units.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned shift;
} units[] = {{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}};

bool qv_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (s == NULL)
		return false;
	while (s[i] >= '0' && s[i] <= '9') {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		i++;
	}
	if (i == 0)
		return false;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (strcmp(s + i, units[u].name) != 0)
			continue;
		if (units[u].shift && v > (UINT64_MAX >> units[u].shift))
			return false;
		*out = v << units[u].shift;
		return true;
	}
	return false;
}

void qv_format_size(uint64_t bytes, char *buf, unsigned long len)
{
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		uint64_t unit = 1ull << units[u].shift;
		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(bytes / unit),
			         units[u].name);
			return;
		}
	}
	snprintf(buf, len, "%lluB", (unsigned long long)bytes);
}

static const struct {
	const char *name;
	uint64_t mult;
	bool packets;
} rate_units[] = {
    {"bit", 1, false},           {"kbit", 1000, false},          {"Mbit", 1000000, false},
    {"Gbit", 1000000000, false}, {"Tbit", 1000000000000, false}, {"pps", 1, true},
    {"kpps", 1000, true},        {"Mpps", 1000000, true},        {"Gpps", 1000000000, true},
};

bool qv_parse_rate(const char *s, uint64_t *out, bool *packets)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	size_t i = 0, nd = 0;

	if (s == NULL)
		return false;
	for (; s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (nd == 0)
		return false;
	if (s[i] == '.') {
		size_t nf = 0;

		for (i++; s[i] >= '0' && s[i] <= '9'; i++, nf++) {
			if (nf == 9)
				return false; /* more precision than any unit needs */
			frac = frac * 10 + (uint64_t)(s[i] - '0');
			scale *= 10;
		}
		if (nf == 0)
			return false;
	}
	for (size_t u = 0; u < sizeof(rate_units) / sizeof(rate_units[0]); u++) {
		uint64_t m = rate_units[u].mult;

		if (strcmp(s + i, rate_units[u].name) != 0)
			continue;
		if (whole > UINT64_MAX / m)
			return false;
		*out = whole * m + frac * m / scale;
		*packets = rate_units[u].packets;
		return true;
	}
	return false;
}

bool qv_parse_burst(const char *s, uint64_t *out, bool *packets)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n > 3 && strcmp(s + n - 3, "pkt") == 0) {
		uint64_t v = 0;

		for (size_t i = 0; i < n - 3; i++) {
			if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(s[i] - '0');
		}
		*out = v;
		*packets = true;
		return true;
	}
	*packets = false;
	return qv_parse_size(s, out);
}

void qv_format_rate(uint64_t v, bool packets, char *buf, unsigned long len)
{
	for (size_t k = sizeof(rate_units) / sizeof(rate_units[0]); k-- > 0;) {
		uint64_t m = rate_units[k].mult;

		if (rate_units[k].packets != packets || (v < m && m > 1))
			continue;
		if (v % m == 0)
			snprintf(buf, len, "%llu%s", (unsigned long long)(v / m),
			         rate_units[k].name);
		else
			snprintf(buf, len, "%.3g%s", (double)v / (double)m, rate_units[k].name);
		return;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)v, packets ? "pps" : "bit");
}
