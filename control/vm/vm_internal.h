/* qwikvirt: helpers shared by the libvirt-facing files of control/vm (not a public API): the
 * connection's handle, domain look-up, deadlines and reading attributes out of libvirt's XML. */
#ifndef QV_VM_INTERNAL_H
#define QV_VM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvirt/libvirt.h>

#include "control/vm/vm_lifecycle.h"

virConnectPtr qv_vm_lv(struct qv_vm_conn *c);
const char *qv_vm_uri(struct qv_vm_conn *c);
const char *qv_vm_lv_msg(void);
virDomainPtr qv_vm_lookup(struct qv_vm_conn *c, const char *name, bool *absent,
                          struct qv_vm_err *err);
enum qv_vm_state qv_vm_dom_state(virDomainPtr d);
bool qv_vm_dom_start(virDomainPtr d, const char *name, struct qv_vm_err *err);
bool qv_vm_dom_destroy(virDomainPtr d, const char *name, struct qv_vm_err *err);
uint64_t qv_vm_now_ms(void);
/* virConnectOpen that gives up after timeout_ms (a stopped libvirtd accepts the socket and
 * never answers), with libvirt's event loop running in a thread from the first call on. NULL
 * with msg on failure; while an abandoned open is still pending, fails at once. */
virConnectPtr qv_vm_open_timed(const char *uri, unsigned timeout_ms, char *msg, size_t len);
void qv_vm_nap(void); /* 100 ms, between two polls of a condition */

/* In libvirt's own XML (single-quoted attributes): the first element starting with elem at or
 * after from, its attribute attr, unescaped into out. False when absent or too long. */
bool qv_vm_xml_attr(const char *from, const char *elem, const char *attr, char *out, size_t len);

#endif
