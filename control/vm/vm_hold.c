/* qwikvirt: the operator's hold on a VM (qvctl vm stop: it stays stopped across applies) as a
 * mark in the domain's persistent definition, an element of its own namespace in <metadata>.
 * qv-controld keeps the same mark in its vms.json; this copy is what is left when that file
 * has to be set aside (unreadable), so a stopped VM is not started again by the next apply.
 * A redefinition from the spec (vm start, restart) drops it, as it should: those end the hold.
 */
#include <stdio.h>
#include <stdlib.h>

#include "control/vm/vm_internal.h"

#define HOLD_NS "https://qwikvirt.invalid/vm/held/1"
#define HOLD_KEY "qvheld"

bool qv_vm_hold_set(struct qv_vm_conn *c, const char *name, bool held, struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);
	int rc;

	if (d == NULL)
		return absent && !held; /* nothing to unmark */
	rc = virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, held ? "<held/>" : NULL,
	                          held ? HOLD_KEY : NULL, HOLD_NS, VIR_DOMAIN_AFFECT_CONFIG);
	virDomainFree(d);
	if (rc < 0) {
		qv_vm_fail(err, "VM %s: cannot %s its hold mark in the domain's metadata: %s", name,
		           held ? "write" : "remove", qv_vm_lv_msg());
		return false;
	}
	return true;
}

bool qv_vm_hold_get(struct qv_vm_conn *c, const char *name)
{
	struct qv_vm_err err;
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, &err);
	char *xml;
	bool held;

	if (d == NULL)
		return false;
	/* NULL with VIR_ERR_NO_DOMAIN_METADATA when unmarked */
	xml =
	    virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, HOLD_NS, VIR_DOMAIN_AFFECT_CONFIG);
	virDomainFree(d);
	held = xml != NULL;
	free(xml);
	return held;
}
