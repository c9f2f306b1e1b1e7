/* qwikvirt: binary size units for VM memory (see units.h). Kept apart so the loader's fuzz
 * target and unit tests exercise it alone. */
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
