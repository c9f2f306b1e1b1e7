/* qwikvirt: opening a libvirt connection that cannot hang its caller: libvirt's event loop in a
 * thread (keepalive needs it), and virConnectOpen in a thread the caller waits on with a deadline.
 */
#include "control/vm/vm_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

/* The one open in flight. A caller that gave up on it leaves it "abandoned": the thread then
 * closes whatever it gets. Only one at a time: a libvirtd that is stopped would otherwise
 * collect one blocked thread per retry. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool busy, done, abandoned;
	virConnectPtr conn;
	char uri[128];
	char msg[256];
	uint64_t since_ms;
} opener = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static char init_msg[256];

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			qv_vm_nap(); /* an error in one turn is libvirt's to report; keep running */
	return NULL;
}

/* libvirt's default event loop before the first open (virConnectSetKeepAlive refuses without
 * one), run by a detached thread for the life of the process; the open's condition variable
 * waits on the monotonic clock. */
static void init(void)
{
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t t;
	int rc;

	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&opener.done_cv, &ca) != 0) {
		snprintf(init_msg, sizeof(init_msg), "cannot make a condition variable");
		return;
	}
	pthread_condattr_destroy(&ca);
	if (virEventRegisterDefaultImpl() < 0) {
		snprintf(init_msg, sizeof(init_msg), "libvirt event loop: %s", qv_vm_lv_msg());
		return;
	}
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &ta, event_loop, NULL);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		snprintf(init_msg, sizeof(init_msg), "libvirt event loop thread: %s", strerror(rc));
		return;
	}
	init_rc = 0;
}

static void *open_thread(void *arg)
{
	virConnectPtr conn;
	char msg[sizeof(opener.msg)] = "";

	(void)arg;
	conn = virConnectOpen(opener.uri); /* uri is not written while busy */
	if (conn == NULL)
		snprintf(msg, sizeof(msg), "%s",
		         qv_vm_lv_msg()); /* libvirt's errors are per thread */
	pthread_mutex_lock(&opener.lock);
	if (opener.abandoned) {
		opener.busy = false;
		pthread_mutex_unlock(&opener.lock);
		if (conn != NULL)
			virConnectClose(conn);
		return NULL;
	}
	opener.conn = conn;
	snprintf(opener.msg, sizeof(opener.msg), "%s", msg);
	opener.done = true;
	pthread_cond_signal(&opener.done_cv);
	pthread_mutex_unlock(&opener.lock);
	return NULL;
}

static struct timespec deadline_after(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

virConnectPtr qv_vm_open_timed(const char *uri, unsigned timeout_ms, char *msg, size_t len)
{
	struct timespec until;
	pthread_attr_t ta;
	virConnectPtr conn;
	pthread_t t;
	int rc = 0;

	pthread_once(&init_once, init);
	if (init_rc != 0) {
		snprintf(msg, len, "%s", init_msg);
		return NULL;
	}
	pthread_mutex_lock(&opener.lock);
	if (opener.busy) {
		snprintf(msg, len, "libvirt at %s has not answered a connection opened %llu s ago",
		         opener.uri, (unsigned long long)(qv_vm_now_ms() - opener.since_ms) / 1000);
		pthread_mutex_unlock(&opener.lock);
		return NULL;
	}
	snprintf(opener.uri, sizeof(opener.uri), "%s", uri);
	opener.busy = true;
	opener.done = opener.abandoned = false;
	opener.conn = NULL;
	opener.since_ms = qv_vm_now_ms();
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &ta, open_thread, NULL);
	pthread_attr_destroy(&ta);
	if (rc != 0) {
		opener.busy = false;
		pthread_mutex_unlock(&opener.lock);
		snprintf(msg, len, "cannot start a thread to connect: %s", strerror(rc));
		return NULL;
	}
	until = deadline_after(timeout_ms);
	rc = 0;
	while (!opener.done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&opener.done_cv, &opener.lock, &until);
	if (!opener.done) {
		opener.abandoned = true; /* busy until the thread returns */
		pthread_mutex_unlock(&opener.lock);
		snprintf(msg, len, "no answer within %u ms", timeout_ms);
		return NULL;
	}
	conn = opener.conn;
	snprintf(msg, len, "%s", opener.msg);
	opener.busy = false;
	pthread_mutex_unlock(&opener.lock);
	return conn;
}
