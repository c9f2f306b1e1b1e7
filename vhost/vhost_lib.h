/* qwikvirt: what the vhost ports need from rte_vhost 22.11 beyond its plain calls: which
 * vhost-user message rte_vhost's event thread is handling (and whether it holds the vring
 * locks while it does), and rte_vhost's per-vring counters under their bare names. */
#ifndef QV_VHOST_LIB_H
#define QV_VHOST_LIB_H

#include <stdbool.h>
#include <stdint.h>

#include "qv/port.h"

/* Puts the message hooks on a new connection's vid (call from new_connection, before its
 * first message). before_unlocked(vid) runs on rte_vhost's event thread before each message
 * of vid that takes no vring lock (GET_VRING_BASE, RESET_OWNER, ...), before rte_vhost acts
 * on it. Returns 0, or -1 if rte_vhost refused. */
int qv_vh_msg_hooks_register(int vid, void (*before_unlocked)(int vid));

/* Whether the calling thread is inside a message of vid that holds every vring's access_lock
 * (then *request is its vhost-user request number). False on any thread but rte_vhost's
 * event thread. Never false inside a locked message; may say true after one, until the next
 * message of any device or qv_vh_msg_forget(vid) (no hook runs once rte_vhost unlocks). */
bool qv_vh_msg_locked(int vid, uint32_t *request);

/* The connection of vid is gone (destroy_connection): nothing of it is locked any more. */
void qv_vh_msg_forget(int vid);

/* rte_vhost's counters of vring (RTE_VHOST_USER_NET_STATS_ENABLE) as names without the
 * "rx_qN_" prefix (static strings) and values; returns how many, 0 if none. Takes the
 * vring's access_lock: never from a device callback that runs with it held. */
int qv_vh_vring_stats(int vid, uint16_t vring, const char *(*names)[QV_PORT_MAX_QSTATS],
                      uint64_t *values);

#endif
