/* qwikvirt: PCI addresses as text ("0000:03:00.1", or "03:00.1" in domain 0): the one parser
 * behind the YAML loader's PFs, SR-IOV's sysfs paths and the domain XML's hostdevs. */
#ifndef QV_LIB_PCI_H
#define QV_LIB_PCI_H

#include <stdbool.h>

/* "dddd:bb:ss.f" and its NUL. */
#define QV_PCI_TEXT_LEN 12
#define QV_PCI_TEXT_SIZE (QV_PCI_TEXT_LEN + 1)

struct qv_pci_addr {
	unsigned domain; /* 0..0xffff */
	unsigned bus;    /* 0..0xff */
	unsigned slot;   /* 0..0x1f */
	unsigned fn;     /* 0..7 */
};

/* Parses DOMAIN:BUS:SLOT.FN (1..4, 1..2, 1..2 and 1 hex digits) or BUS:SLOT.FN (domain 0),
 * the whole string, nothing else (no sign, space or 0x). Returns false (a untouched) when s is
 * NULL or not such an address, or the slot or function is out of range. */
bool qv_pci_parse(const char *s, struct qv_pci_addr *a);

/* The canonical "dddd:bb:ss.f" (lower case) into buf; returns buf. */
char *qv_pci_format(const struct qv_pci_addr *a, char buf[QV_PCI_TEXT_SIZE]);

#endif
