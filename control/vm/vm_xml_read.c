/* qwikvirt: reads single attributes back out of the XML libvirt returns (serial log path,
 * snapshot memory file), without pulling libxml2 into the control daemon. */
#include "control/vm/vm_internal.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *ent;
	char c;
} entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}, {"&quot;", '"'}};

bool qv_vm_xml_attr(const char *from, const char *elem, const char *attr, char *out, size_t len)
{
	const char *e = strstr(from, elem), *end, *a;
	char key[64];
	size_t n = 0;

	if (e == NULL || len == 0)
		return false;
	end = strchr(e, '>');
	snprintf(key, sizeof(key), " %s=", attr);
	a = strstr(e, key);
	if (a == NULL || end == NULL || a > end)
		return false;
	a += strlen(key);
	if (*a != '\'' && *a != '"')
		return false;
	for (const char q = *a++; *a != q && *a != '\0'; a++) {
		char c = *a;
		if (c == '&') {
			size_t k;
			for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
				size_t el = strlen(entities[k].ent);
				if (strncmp(a, entities[k].ent, el) == 0) {
					c = entities[k].c;
					a += el - 1;
					break;
				}
			}
		}
		if (n + 1 >= len)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return *a != '\0';
}
