/* qwikvirt: PCI address text parsing and formatting (see pci.h). */
#include "lib/pci.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Reads 1..max hex digits at *p, then the separator sep ('\0': end of string). */
static bool hex_field(const char **p, int max, char sep, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	while (n < max && isxdigit((unsigned char)(*p)[n])) {
		char c = (char)tolower((unsigned char)(*p)[n]);
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
		n++;
	}
	if (n == 0 || (*p)[n] != sep)
		return false;
	*p += n + (sep != '\0');
	*out = v;
	return true;
}

bool qv_pci_parse(const char *s, struct qv_pci_addr *a)
{
	struct qv_pci_addr r = {0};
	const char *p = s;

	if (s == NULL)
		return false;
	/* Two colons: the domain is given; one: it is 0. */
	const char *colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL && !hex_field(&p, 4, ':', &r.domain))
		return false;
	if (!hex_field(&p, 2, ':', &r.bus) || !hex_field(&p, 2, '.', &r.slot) ||
	    !hex_field(&p, 1, '\0', &r.fn))
		return false;
	if (r.slot > 0x1f || r.fn > 7)
		return false;
	*a = r;
	return true;
}

char *qv_pci_format(const struct qv_pci_addr *a, char buf[QV_PCI_TEXT_SIZE])
{
	snprintf(buf, QV_PCI_TEXT_SIZE, "%04x:%02x:%02x.%x", a->domain & 0xffff, a->bus & 0xff,
	         a->slot & 0x1f, a->fn & 7);
	return buf;
}
