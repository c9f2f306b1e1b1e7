/* qwikvirt: rte_vhost 22.11 as the vhost ports see it beyond its plain calls (see
 * vhost_lib.h): the vhost-user message in hand, and per-vring counters by bare name. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_vhost.h>

#include "vhost/vhost_lib.h"

/* DPDK 22.11's vhost_user_msg_handler takes every vring's access_lock around these requests
 * (numbers from the vhost-user spec; its switch before the handler call), and then calls the
 * extern pre_msg_handle hook, the request's handler, the post_msg_handle hook and then, for
 * every vring whose readiness changed, vring_state_changed, all with the locks held. A PMD in
 * rte_vhost_enqueue_burst for that device meanwhile spins on a lock (a blocking lock; dequeue
 * only tries it): it cannot reach its quiescent point until the message is done, so a grace
 * period waited for inside such a message would never end (and the message never finish). */
enum {
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_SET_VRING_ENABLE = 18,
	VU_SEND_RARP = 19,
	VU_NET_SET_MTU = 20,
	VU_SET_SLAVE_REQ_FD = 21,
};

static bool request_locks_vrings(uint32_t request)
{
	switch (request) {
	case VU_SET_FEATURES:
	case VU_SET_OWNER:
	case VU_SET_MEM_TABLE:
	case VU_SET_LOG_BASE:
	case VU_SET_LOG_FD:
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_ADDR:
	case VU_SET_VRING_BASE:
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
	case VU_SET_VRING_ENABLE:
	case VU_SEND_RARP:
	case VU_NET_SET_MTU:
	case VU_SET_SLAVE_REQ_FD:
		return true;
	default:
		return false;
	}
}

/* The device whose message this thread is handling with its vrings locked (-1: none), and
 * the request. Thread-local: only rte_vhost's event thread handles messages, and a
 * destroy_device on another thread (rte_vhost_driver_unregister from port.del) holds no vring
 * lock. Set by the pre hook and kept until the next message's pre hook (or
 * qv_vh_msg_forget): no hook runs after the vring_state_changed calls, which come after
 * post_msg_handle (and rte_vhost skips that one when the handler failed). So it also says
 * "locked" between the unlock and the next message; the only destroy_device there is the
 * teardown of a broken connection, which then waits in destroy_connection instead, before
 * rte_vhost frees anything: late, never unsafe. */
static _Thread_local int msg_locked_vid = -1;
static _Thread_local uint32_t msg_locked_request;

static void (*before_unlocked_msg)(int vid);

static enum rte_vhost_msg_result vh_pre_msg(int vid, void *msg)
{
	/* struct vhost_user_msg is internal; its first member is the 32-bit request. */
	uint32_t request;

	memcpy(&request, msg, sizeof(request));
	msg_locked_vid = -1;
	if (request_locks_vrings(request)) {
		msg_locked_vid = vid;
		msg_locked_request = request;
	} else if (before_unlocked_msg) {
		before_unlocked_msg(vid);
	}
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops vh_msg_hooks = {
    .pre_msg_handle = vh_pre_msg,
};

int qv_vh_msg_hooks_register(int vid, void (*before_unlocked)(int vid))
{
	before_unlocked_msg = before_unlocked; /* the same function for every port */
	return rte_vhost_extern_callback_register(vid, &vh_msg_hooks, NULL) == 0 ? 0 : -1;
}

bool qv_vh_msg_locked(int vid, uint32_t *request)
{
	if (msg_locked_vid != vid)
		return false;
	*request = msg_locked_request;
	return true;
}

void qv_vh_msg_forget(int vid)
{
	if (msg_locked_vid == vid)
		msg_locked_vid = -1;
}

/* rte_vhost's per-virtqueue counter names ("rx_q0_good_packets") without the queue prefix:
 * the same for every virtqueue, read once (slow path). */
static pthread_mutex_t stat_names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rte_vhost_stat_name stat_names[QV_PORT_MAX_QSTATS];
static int n_stat_names = -1;

int qv_vh_vring_stats(int vid, uint16_t vring, const char *(*names)[QV_PORT_MAX_QSTATS],
                      uint64_t *values)
{
	struct rte_vhost_stat st[QV_PORT_MAX_QSTATS];
	int n;

	pthread_mutex_lock(&stat_names_lock);
	if (n_stat_names < 0 &&
	    rte_vhost_vring_stats_get_names(vid, vring, stat_names, QV_PORT_MAX_QSTATS) > 0) {
		n_stat_names = rte_vhost_vring_stats_get_names(vid, vring, NULL, 0);
		if (n_stat_names > QV_PORT_MAX_QSTATS)
			n_stat_names = -1; /* more than we hold: none */
		for (int i = 0; i < n_stat_names; i++) {
			char *bare = strchr(stat_names[i].name, '_');

			bare = bare ? strchr(bare + 1, '_') : NULL; /* after "rx_qN_" */
			if (bare)
				memmove(stat_names[i].name, bare + 1, strlen(bare + 1) + 1);
		}
	}
	n = n_stat_names;
	pthread_mutex_unlock(&stat_names_lock);
	if (n <= 0 || rte_vhost_vring_stats_get(vid, vring, st, QV_PORT_MAX_QSTATS) != n)
		return 0;
	for (int i = 0; i < n; i++) {
		(*names)[i] = stat_names[i].name;
		values[i] = st[i].value;
	}
	return n;
}
