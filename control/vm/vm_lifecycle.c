/* qwikvirt: libvirt connection, define/start/stop/destroy/undefine, state and look-ups (see
 * vm_lifecycle.h). Every wait polls the domain state against a deadline. */
#include "control/vm/vm_lifecycle.h"
#include "control/vm/vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

struct qv_vm_conn {
	virConnectPtr lv;
	char uri[128];
};

/* libvirt prints every error to stderr unless told otherwise; ours go back to the caller. */
static void quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

const char *qv_vm_lv_msg(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

virConnectPtr qv_vm_lv(struct qv_vm_conn *c)
{
	return c->lv;
}

const char *qv_vm_uri(struct qv_vm_conn *c)
{
	return c->uri;
}

uint64_t qv_vm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void qv_vm_nap(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *qv_vm_state_name(enum qv_vm_state s)
{
	static const char *const names[] = {"absent",   "shutoff", "running", "paused",
	                                    "shutdown", "crashed", "other"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "other";
}

struct qv_vm_conn *qv_vm_connect(const char *uri, struct qv_vm_err *err)
{
	struct qv_vm_conn *c = calloc(1, sizeof(*c));
	char msg[256];

	if (c == NULL) {
		qv_vm_fail(err, "libvirt connection: out of memory");
		return NULL;
	}
	snprintf(c->uri, sizeof(c->uri), "%s", uri ? uri : QV_VM_DEFAULT_URI);
	virSetErrorFunc(NULL, quiet_errors);
	c->lv = qv_vm_open_timed(c->uri, QV_VM_OPEN_TIMEOUT_MS, msg, sizeof(msg));
	if (c->lv == NULL) {
		qv_vm_fail(err,
		           "cannot connect to libvirt at %s: %s; is libvirtd running "
		           "(scripts/setup-libvirt.sh)?",
		           c->uri, msg);
		free(c);
		return NULL;
	}
	virConnSetErrorFunc(c->lv, NULL, quiet_errors);
	/* a libvirtd that stops answering (hung, SIGSTOPped) closes the connection after a few
	 * unanswered pings: a call waiting on it fails then instead of never returning. Drivers
	 * without a remote side (test:///) have no keepalive and cannot hang: -1 is fine there. */
	virConnectSetKeepAlive(c->lv, QV_VM_KEEPALIVE_S, QV_VM_KEEPALIVE_COUNT);
	return c;
}

bool qv_vm_alive(struct qv_vm_conn *c)
{
	return c != NULL && virConnectIsAlive(c->lv) == 1;
}

void qv_vm_disconnect(struct qv_vm_conn *c)
{
	if (c == NULL)
		return;
	virConnectClose(c->lv);
	free(c);
}

/* The domain, or NULL: *absent tells "no such domain" from a real error (then in err). */
virDomainPtr qv_vm_lookup(struct qv_vm_conn *c, const char *name, bool *absent,
                          struct qv_vm_err *err)
{
	virDomainPtr d = virDomainLookupByName(c->lv, name);
	virErrorPtr e;

	*absent = false;
	if (d != NULL)
		return d;
	e = virGetLastError();
	if (e != NULL && e->code == VIR_ERR_NO_DOMAIN)
		*absent = true;
	qv_vm_fail(err, "VM %s: %s", name,
	           *absent ? "no such domain (define it first)" : qv_vm_lv_msg());
	return NULL;
}

enum qv_vm_state qv_vm_dom_state(virDomainPtr d)
{
	int st, reason;

	if (virDomainGetState(d, &st, &reason, 0) < 0)
		return QV_VM_OTHER;
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		return QV_VM_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return QV_VM_PAUSED;
	case VIR_DOMAIN_SHUTDOWN:
		return QV_VM_SHUTDOWN;
	case VIR_DOMAIN_SHUTOFF:
		return QV_VM_SHUTOFF;
	case VIR_DOMAIN_CRASHED:
		return QV_VM_CRASHED;
	default:
		return QV_VM_OTHER;
	}
}

bool qv_vm_define(struct qv_vm_conn *c, const struct qv_vm_spec *s, struct qv_vm_err *err)
{
	char *xml = qv_vm_domain_xml(s, err);
	virDomainPtr d;

	if (xml == NULL)
		return false;
	d = virDomainDefineXML(c->lv, xml);
	free(xml);
	if (d == NULL)
		return qv_vm_fail(err, "VM %s: libvirt refused its definition: %s", s->name,
		                  qv_vm_lv_msg());
	virDomainFree(d);
	return true;
}

bool qv_vm_dom_start(virDomainPtr d, const char *name, struct qv_vm_err *err)
{
	if (virDomainIsActive(d) == 1)
		return true;
	if (virDomainCreate(d) < 0)
		return qv_vm_fail(err,
		                  "VM %s did not start: %s (QEMU's log: "
		                  "/var/log/libvirt/qemu/%s.log)",
		                  name, qv_vm_lv_msg(), name);
	return true;
}

bool qv_vm_start(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err)
{
	bool absent, ok;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);

	if (d == NULL)
		return false;
	ok = qv_vm_dom_start(d, name, err);
	virDomainFree(d);
	return ok;
}

bool qv_vm_ensure(struct qv_vm_conn *c, const struct qv_vm_spec *s, bool *adopted,
                  struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, s->name, &absent, err);

	*adopted = false;
	if (d == NULL && !absent)
		return false;
	if (d != NULL && virDomainIsActive(d) == 1) {
		/* a daemon restart finds its VMs running: keep them, do not start a duplicate */
		*adopted = true;
		virDomainFree(d);
		return true;
	}
	if (d == NULL)
		return qv_vm_define(c, s, err) && qv_vm_start(c, s->name, err);
	/* defined and shut off (vm stop, a crash): redefine it from the spec, which may have
	 * changed, under its own UUID, then start it */
	struct qv_vm_spec *again = malloc(sizeof(*again));
	bool ok = again != NULL;

	if (!ok)
		qv_vm_fail(err, "VM %s: out of memory", s->name);
	else if (virDomainGetUUIDString(d, again->uuid) < 0)
		ok = qv_vm_fail(err, "VM %s: cannot read its UUID: %s", s->name, qv_vm_lv_msg());
	if (ok) {
		char uuid[sizeof(again->uuid)];

		memcpy(uuid, again->uuid, sizeof(uuid));
		*again = *s;
		memcpy(again->uuid, uuid, sizeof(uuid));
		ok = qv_vm_define(c, again, err) && qv_vm_start(c, s->name, err);
	}
	free(again);
	virDomainFree(d);
	return ok;
}

bool qv_vm_dom_destroy(virDomainPtr d, const char *name, struct qv_vm_err *err)
{
	if (virDomainIsActive(d) != 1)
		return true;
	/* GRACEFUL lets QEMU flush its disk caches; QEMU still gets SIGKILL if it hangs */
	if (virDomainDestroyFlags(d, VIR_DOMAIN_DESTROY_GRACEFUL) < 0 &&
	    virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0)
		return qv_vm_fail(err, "VM %s: destroy failed: %s", name, qv_vm_lv_msg());
	return true;
}

bool qv_vm_destroy(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err)
{
	bool absent, ok;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);

	if (d == NULL)
		return absent;
	ok = qv_vm_dom_destroy(d, name, err);
	virDomainFree(d);
	return ok;
}

bool qv_vm_stop(struct qv_vm_conn *c, const char *name, unsigned timeout_ms, bool *forced,
                struct qv_vm_err *err)
{
	bool absent, ok;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);
	uint64_t deadline = qv_vm_now_ms() + timeout_ms;

	*forced = false;
	if (d == NULL)
		return absent;
	if (virDomainIsActive(d) != 1) {
		virDomainFree(d);
		return true;
	}
	/* a guest without an ACPI handler ignores this: the deadline then ends in destroy */
	if (virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0) {
		while (virDomainIsActive(d) == 1 && qv_vm_now_ms() < deadline)
			qv_vm_nap();
	}
	ok = true;
	if (virDomainIsActive(d) == 1) {
		*forced = true;
		ok = qv_vm_dom_destroy(d, name, err);
	}
	virDomainFree(d);
	return ok;
}

bool qv_vm_undefine(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);
	unsigned flags = VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
	                 VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;

	if (d == NULL)
		return absent;
	if (!qv_vm_dom_destroy(d, name, err)) {
		virDomainFree(d);
		return false;
	}
	/* drivers without checkpoints (libvirt's test driver) refuse their flag: without it, a
	 * domain that has checkpoints is still refused */
	if (virDomainIsPersistent(d) == 1 && virDomainUndefineFlags(d, flags) < 0 &&
	    virDomainUndefineFlags(d, flags & ~VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA) < 0) {
		qv_vm_fail(err, "VM %s: undefine failed: %s", name, qv_vm_lv_msg());
		virDomainFree(d);
		return false;
	}
	virDomainFree(d);
	return true;
}

bool qv_vm_restart(struct qv_vm_conn *c, const char *name, unsigned timeout_ms,
                   struct qv_vm_err *err)
{
	bool forced;

	return qv_vm_stop(c, name, timeout_ms, &forced, err) && qv_vm_start(c, name, err);
}

bool qv_vm_get_state(struct qv_vm_conn *c, const char *name, enum qv_vm_state *state,
                     struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);

	*state = QV_VM_ABSENT;
	if (d == NULL)
		return absent;
	*state = qv_vm_dom_state(d);
	virDomainFree(d);
	return true;
}

int qv_vm_list(struct qv_vm_conn *c, const char *prefix, char ***names, struct qv_vm_err *err)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(c->lv, &doms, 0), k = 0;
	size_t plen = prefix ? strlen(prefix) : 0;

	*names = NULL;
	if (n < 0) {
		qv_vm_fail(err, "cannot list libvirt domains at %s: %s", c->uri, qv_vm_lv_msg());
		return -1;
	}
	*names = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		const char *nm = virDomainGetName(doms[i]);
		if (*names != NULL && nm != NULL && strncmp(nm, prefix ? prefix : "", plen) == 0)
			(*names)[k++] = strdup(nm);
		virDomainFree(doms[i]);
	}
	free(doms);
	if (*names == NULL) {
		qv_vm_fail(err, "listing libvirt domains: out of memory");
		return -1;
	}
	return k;
}

void qv_vm_names_free(char **names, int n)
{
	for (int i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

char *qv_vm_xml(struct qv_vm_conn *c, const char *name, struct qv_vm_err *err)
{
	bool absent;
	virDomainPtr d = qv_vm_lookup(c, name, &absent, err);
	char *x;

	if (d == NULL)
		return NULL;
	x = virDomainGetXMLDesc(d, 0);
	if (x == NULL)
		qv_vm_fail(err, "VM %s: cannot read its XML: %s", name, qv_vm_lv_msg());
	virDomainFree(d);
	return x;
}

bool qv_vm_serial_log(struct qv_vm_conn *c, const char *name, char *path, size_t len,
                      struct qv_vm_err *err)
{
	char *x = qv_vm_xml(c, name, err);
	const char *ser;
	bool ok;

	if (x == NULL)
		return false;
	ser = strstr(x, "<serial type='file'>");
	ok = ser != NULL && qv_vm_xml_attr(ser, "<source ", "path", path, len);
	free(x);
	if (!ok)
		return qv_vm_fail(err,
		                  "VM %s has no serial log file (its serial port is not "
		                  "type='file')",
		                  name);
	return true;
}

pid_t qv_vm_qemu_pid(const char *name)
{
	char p[QV_VM_PATH_MAX + 32];
	FILE *f;
	long pid = -1;

	snprintf(p, sizeof(p), "/run/libvirt/qemu/%s.pid", name);
	f = fopen(p, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}
