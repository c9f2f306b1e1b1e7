/* qwikvirt: vhost-user ports (see vhost_port.h).
 * Device callbacks run on rte_vhost's thread; the PMD sees `up`, `vid`, `vq_on` and `tx_map`,
 * all atomics (their rows are in dataplane/pmd.h's table). Over 700 lines: the fast path and
 * the callbacks share the port struct and its queue-state encoding (rte_vhost's message
 * bookkeeping and counter names are in vhost_lib.c). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_vhost.h>

#include "lib/num.h"
#include "vhost/vhost_lib.h"
#include "vhost/vhost_port.h"

/* Virtqueue numbering of a vhost-user net device: queue pair q is (2q: guest rx, 2q+1: guest
 * tx). We enqueue into the guest's rx ring and dequeue from its tx ring. */
#define VQ_GUEST_RX 0
#define VQ_GUEST_TX 1

/* Arguments of port.add for a vhost port, in qv_port_config.str/flag order. */
enum { VH_ARG_PATH, VH_ARG_CLIENT, VH_ARG_QUEUES, VH_ARG_MBUFS, VH_ARG_VRING_STATS, VH_N_ARGS };

/* mbufs=N: the port's rx takes buffers from a pool of N of its own instead of the shared one
 * (bounds what one guest can take). rte_vhost allocates a whole burst (up to 32) at once, so
 * under bursts a pool below that starves the port: its packets wait in the guest's ring,
 * counted as no-mbuf. */
#define VH_MBUFS_MIN 16u
#define VH_MBUFS_MAX (1u << 24)

/* The virtqueue layout a guest negotiated (VIRTIO_F_RING_PACKED or not). */
enum vh_ring { VH_RING_NONE, VH_RING_SPLIT, VH_RING_PACKED };

struct qv_vhost_port {
	struct qv_port base;
	char path[108];               /* the vhost-user socket (sun_path size) */
	bool client;                  /* the switch is the vhost-user client */
	bool vring_stats;             /* rte_vhost's per-virtqueue counters (vh_start) */
	_Atomic int vid;              /* -1 while no guest device is attached */
	struct rte_mempool *mp;       /* rx buffers: the shared pool, or own_pool */
	struct rte_mempool *own_pool; /* mbufs=N's pool, NULL: none */
	struct rte_mempool *(*pool_shared)(int numa, char *err, size_t errlen);
	struct rte_mempool *(*pool_private)(const char *port, int numa, unsigned n,
	                                    uint32_t data_room, char *err, size_t errlen);
	void (*pool_retire)(struct rte_mempool *mp);
	/* Which virtqueues the guest enabled (VQ_ON_* bits), kept by vring_state_changed from
	 * the first message on, whatever new_device saw. PMDs load it with acquire (it pairs
	 * with the callback's release: a vring enabled after new_device was allocated by
	 * rte_vhost before the callback ran). */
	_Atomic uint32_t vq_on;
	/* tx queue -> guest queue pair over the pairs whose guest rx ring is enabled (TX_MAP_*),
	 * recomputed with vq_on; loaded by vh_tx with acquire. */
	_Atomic uint64_t tx_map;
	/* Vrings whose guest notifications are off (rte_vhost re-applies that on re-enable). */
	uint32_t notif_off;
	pthread_mutex_t state_lock; /* serialises the writers of vq_on, tx_map, notif_off */
	/* Held by slow-path queries into rte_vhost (vh_queue) while they use the vid; taken
	 * once by destroy_device after unpublishing it, so none is left using a freed device. */
	pthread_mutex_t query_lock;
	/* When the guest enabled fewer queue pairs than the port has tx queues, several PMD tx
	 * queues land on one virtqueue: these serialise them (OVS does the same). */
	rte_spinlock_t vq_lock[QV_MAX_QUEUES];
	/* Teardown check (see vh_check): destroy_device calls that have returned, and PMD calls
	 * into rte_vhost during which one returned (each a use of a device being freed). */
	_Atomic uint32_t gone_seq;
	_Atomic uint64_t late_calls;
	void (*link_event)(struct qv_port *p, bool up, const char *reason); /* the switch's log */
	_Atomic uint16_t guest_mtu; /* VIRTIO_NET_F_MTU: what the front-end set; 0: none */
	_Atomic uint8_t ring;       /* the guest's virtqueue layout: enum vh_ring */
	/* destroy_device ran inside a message that holds the vrings' locks, so it could not wait
	 * for the grace period: owed at the next point where rte_vhost holds none (see
	 * vh_grace_defer). Written and read on rte_vhost's event thread only. */
	_Atomic bool grace_owed;
};

void (*qv_vhost_quiesce)(void);

/* QV_VHOST_TEARDOWN_CHECK=1 in qv-switchd's environment: every PMD call into rte_vhost notes
 * gone_seq just after it reads the vid and again after the call; a change means a
 * destroy_device returned (and rte_vhost went on to free the device) while the PMD could still
 * use it. The count is in port.list as late_vhost_calls. Off: one predictable branch per call.
 *
 * After the vid, not before: a PMD that reads the vid of a device published by new_device
 * (release) also sees every gone_seq increment made before it, so the only increment it can
 * meet during its call is that of this very device's destroy, the bug looked for. Read
 * before the vid, gone_seq could be that of a destroy that completed while the PMD was
 * preempted between the two loads (its quiescent point was before them) and a new device
 * published since: a legal call into a live device counted as late. vhost_churn met it once
 * under ASan in CI (6acd553), with two PMDs time-sharing one CPU.
 * QV_VHOST_TEARDOWN_CHECK_SPIN_US=N (tests) holds each PMD N us between the two loads, which
 * makes that preemption the common case (the check must still count nothing), and N us more
 * between gone_seq and the call, which widens what the check is for: a destroy that does not
 * wait for the PMDs is then counted at once (vhost_churn's spin phase). */
static bool vh_check;
static unsigned vh_check_spin_us;

/* Read once before main(), so that PMDs only ever read it. */
__attribute__((constructor)) static void vh_check_init(void)
{
	const char *e = getenv("QV_VHOST_TEARDOWN_CHECK");

	vh_check = e && strcmp(e, "1") == 0;
	e = getenv("QV_VHOST_TEARDOWN_CHECK_SPIN_US");
	if (vh_check && e)
		vh_check_spin_us = (unsigned)RTE_MIN(strtoul(e, NULL, 10), 999ul); /* below 1 ms */
}

/* The PMD's read of the vid it calls rte_vhost with; *seq: gone_seq for check_end. */
static inline int vid_load(struct qv_vhost_port *v, uint32_t *seq)
{
	int vid = atomic_load_explicit(&v->vid, memory_order_acquire);

	*seq = 0;
	if (unlikely(vh_check)) {
		if (vh_check_spin_us)
			rte_delay_us_block(vh_check_spin_us);
		*seq = atomic_load_explicit(&v->gone_seq, memory_order_acquire);
		if (vh_check_spin_us)
			rte_delay_us_block(vh_check_spin_us);
	}
	return vid;
}

static inline void check_end(struct qv_vhost_port *v, uint32_t seq)
{
	if (unlikely(vh_check) && atomic_load_explicit(&v->gone_seq, memory_order_acquire) != seq)
		atomic_fetch_add_explicit(&v->late_calls, 1, memory_order_relaxed);
}

/* Callbacks find their port by socket path; ports register here. The lock is never held while
 * calling into rte_vhost (whose unregister may call destroy_device synchronously). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qv_vhost_port *registry[QV_MAX_PORTS];

static inline struct qv_vhost_port *to_vh(struct qv_port *p)
{
	return (struct qv_vhost_port *)p;
}

/* ---- the guest's queue state: vq_on and tx_map ----
 * vq_on bit q (VQ_ON_RX): pair q's guest tx vring (2q+1) is enabled: rx queue q is polled;
 * bit 8+q (VQ_ON_TX): pair q's guest rx vring (2q) is enabled: tx may enqueue into it;
 * bit 16+v (VQ_NOTIF_TODO): vring v was enabled after new_device and still has guest
 * notifications on; the PMD polling its pair turns them off (the callback cannot, see
 * vh_vring_state_changed), so that a guest does not kick (a VM exit) for every burst. */
#define VQ_ON_RX(q) (1u << (q))
#define VQ_ON_TX(q) (1u << (8 + (q)))
#define VQ_NOTIF_TODO(vring) (1u << (16 + (vring)))
#define VQ_NOTIF_TODO_PAIR(q) (VQ_NOTIF_TODO(2 * (q)) | VQ_NOTIF_TODO(2 * (q) + 1))
#define VQ_MAX_VRINGS (2 * QV_MAX_QUEUES)
_Static_assert(QV_MAX_QUEUES <= 8, "vq_on packs 8 queue pairs and 16 vrings");

/* tx_map: bits 4q..4q+3: the guest queue pair tx queue q enqueues into; bit 32+q: that pair
 * takes other tx queues too (take vq_lock); TX_MAP_NONE: no guest rx ring is enabled. */
#define TX_MAP_SHARED(q) (1ull << (32 + (q)))
#define TX_MAP_NONE (1ull << 63)
_Static_assert(QV_MAX_QUEUES <= 8, "tx_map packs 8 tx queues");

/* Slow path (state_lock held): tx queue q goes to the (q mod n)-th enabled guest rx ring, so
 * the PMDs' tx queues spread over whatever the guest enabled. */
static uint64_t tx_map_build(uint32_t on, uint16_t n_txq)
{
	uint16_t pairs[QV_MAX_QUEUES], n = 0, users[QV_MAX_QUEUES] = {0};
	uint64_t map = 0;

	for (uint16_t q = 0; q < QV_MAX_QUEUES; q++)
		if (on & VQ_ON_TX(q))
			pairs[n++] = q;
	if (n == 0)
		return TX_MAP_NONE;
	for (uint16_t t = 0; t < n_txq; t++) {
		map |= (uint64_t)pairs[t % n] << (4 * t);
		users[pairs[t % n]]++;
	}
	for (uint16_t t = 0; t < n_txq; t++)
		if (users[pairs[t % n]] > 1)
			map |= TX_MAP_SHARED(t);
	return map;
}

/* Slow path (state_lock held): publishes a new vq_on and the tx_map that goes with it. */
static void vq_state_store(struct qv_vhost_port *v, uint32_t on)
{
	atomic_store_explicit(&v->vq_on, on, memory_order_release);
	atomic_store_explicit(&v->tx_map, tx_map_build(on, v->base.n_txq), memory_order_release);
}

/* ---- fast path ---- */

/* Rarely: pair q's vrings were enabled after new_device with guest notifications still on.
 * Turned off here, by the PMD that polls the pair: rte_vhost takes the vring's access_lock,
 * which a PMD may take (the vring_state_changed callback holds it, so it cannot). */
static __rte_noinline void vh_notif_off(struct qv_vhost_port *v, int vid, uint16_t q, uint32_t on)
{
	for (uint16_t vr = 2 * q; vr <= 2 * q + 1; vr++)
		if (on & VQ_NOTIF_TODO(vr))
			rte_vhost_enable_guest_notification(vid, vr, 0);
	atomic_fetch_and_explicit(&v->vq_on, ~VQ_NOTIF_TODO_PAIR(q), memory_order_relaxed);
}

static uint16_t vh_rx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct qv_vhost_port *v = to_vh(p);
	uint32_t seq;
	int vid = vid_load(v, &seq);
	uint32_t on = atomic_load_explicit(&v->vq_on, memory_order_acquire);
	uint16_t got;

	/* A queue the guest disabled (or never enabled) is skipped, not dequeued from. */
	if (vid < 0 || (on & (VQ_ON_RX(q) | VQ_NOTIF_TODO_PAIR(q))) != VQ_ON_RX(q) ||
	    !atomic_load_explicit(&p->up, memory_order_relaxed)) {
		if (vid < 0 || !(on & VQ_ON_RX(q)) || !atomic_load(&p->up))
			return 0;
		vh_notif_off(v, vid, q, on);
	}
	got = rte_vhost_dequeue_burst(vid, q * 2 + VQ_GUEST_TX, v->mp, pkts, n);
	check_end(v, seq);
	return got;
}

static inline uint16_t vh_enqueue(struct qv_vhost_port *v, int vid, uint64_t map, uint16_t q,
                                  struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t pair = (uint16_t)((map >> (4 * q)) & 0xf), sent;

	if (likely(!(map & TX_MAP_SHARED(q))))
		return rte_vhost_enqueue_burst(vid, pair * 2 + VQ_GUEST_RX, pkts, n);
	rte_spinlock_lock(&v->vq_lock[pair]);
	sent = rte_vhost_enqueue_burst(vid, pair * 2 + VQ_GUEST_RX, pkts, n);
	rte_spinlock_unlock(&v->vq_lock[pair]);
	return sent;
}

static uint16_t vh_tx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct qv_vhost_port *v = to_vh(p);
	uint32_t seq;
	int vid = vid_load(v, &seq);
	uint64_t map = atomic_load_explicit(&v->tx_map, memory_order_acquire);
	uint16_t sent;

	if (vid < 0 || (map & TX_MAP_NONE) || !atomic_load_explicit(&p->up, memory_order_relaxed))
		return 0;
	/* rte_vhost copies into guest buffers: the mbufs it took are ours to free. While tx_map
	 * changes, a PMD with the old map may enqueue into a pair without vq_lock that another
	 * takes with it: still safe, as rte_vhost 22.11 takes the vring's access_lock in every
	 * enqueue (virtio_dev_rx); vq_lock only keeps those PMDs from spinning in there. */
	sent = vh_enqueue(v, vid, map, q, pkts, n);
	if (unlikely(sent < n)) {
		/* A PMD that loaded the map just before the guest disabled its pair waits on the
		 * vring's access_lock while rte_vhost disables it, then finds it disabled: the
		 * rest goes once more, by the map vring_state_changed has published since. */
		uint64_t now = atomic_load_explicit(&v->tx_map, memory_order_acquire);

		if (now != map && !(now & TX_MAP_NONE))
			sent += vh_enqueue(v, vid, now, q, pkts + sent, (uint16_t)(n - sent));
	}
	check_end(v, seq);
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

/* Slow path on the PMD (see qv_port_ops.rx_nombuf): rx queue q's dequeue returned nothing.
 * rte_vhost allocates a whole burst at once and takes nothing when that fails, leaving the
 * packets in the guest's ring where no counter sees them. The allocation can fail only if
 * this lcore's cache holds fewer than n mbufs (checked first: one load) and then the pool
 * has fewer than n left (rte_mempool_avail_count also counts other lcores' caches, which
 * this PMD cannot use: a PMD starved while another's cache hoards is missed; the pool's
 * ring count alone is not exported by DPDK 22.11). */
static uint32_t vh_rx_nombuf(struct qv_port *p, uint16_t q, uint16_t n)
{
	struct qv_vhost_port *v = to_vh(p);
	struct rte_mempool_cache *c = rte_mempool_default_cache(v->mp, rte_lcore_id());
	uint32_t seq, waiting;
	int vid;

	if (likely(c != NULL && c->len >= n) || rte_mempool_avail_count(v->mp) >= n)
		return 0;
	vid = vid_load(v, &seq);
	if (vid < 0 || !(atomic_load_explicit(&v->vq_on, memory_order_acquire) & VQ_ON_RX(q)))
		return 0;
	waiting = rte_vhost_rx_queue_count(vid, q * 2 + VQ_GUEST_TX);
	check_end(v, seq);
	return waiting;
}

/* ---- slow path ---- */

static struct qv_vhost_port *find_by_vid(int vid)
{
	char path[PATH_MAX];
	struct qv_vhost_port *found = NULL;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < QV_MAX_PORTS; i++)
		if (registry[i] && strcmp(registry[i]->path, path) == 0)
			found = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return found;
}

/* How rte_vhost 22.11 calls us (lib/vhost/vhost_user.c, vhost_user_msg_handler), all on its
 * event thread ("vhost-events", or the thread of rte_vhost_driver_unregister for
 * destroy_device):
 * - new_device once the FIRST queue pair is ready (virtio_is_ready checks vrings 0 and 1
 *   only, plus DRIVER_OK when the status protocol feature is on), after the message's
 *   queue locks are released. A QEMU guest sets its other pairs up and enables them later,
 *   so the vring count seen here is no queue count: queues come from vring_state_changed.
 * - vring_state_changed(vid, vring, enable) whenever a vring's readiness changes (rings,
 *   kick/call fds set, SET_VRING_ENABLE), before new_device for the first pair and for any
 *   pair enabled or disabled later (e.g. virtio's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: a
 *   virtio-user or guest driver going from 4 to 2 pairs sends SET_VRING_ENABLE 0 for
 *   vrings 4..7). It runs with EVERY vring's access_lock held
 *   (vhost_user_lock_all_queue_pairs) for the SET_VRING_* messages, so it must not call
 *   back into rte_vhost functions that take one (rte_vhost_enable_guest_notification,
 *   rx_queue_count, vring_stats_get: a self-deadlock), nor wait for a grace period: a PMD
 *   may be spinning on that lock inside rte_vhost_enqueue_burst and would never reach its
 *   quiescent point. Hence a mask the PMDs read, no republished poll list (which waits
 *   for grace periods): the poll lists hold every queue of the port (up to its configured
 *   count) and rx skips the ones the guest did not enable. Disabling needs no grace
 *   period either: the vring stays allocated, and rte_vhost's dequeue/enqueue check
 *   vq->enabled under the same access_lock. */
static void vh_vring_state_changed_locked(struct qv_vhost_port *v, int vid, uint16_t vring,
                                          bool enable)
{
	uint16_t q = vring / 2;
	uint32_t on = atomic_load(&v->vq_on);
	uint32_t bit = vring % 2 == VQ_GUEST_TX ? VQ_ON_RX(q) : VQ_ON_TX(q);

	if (enable) {
		on |= bit;
		if (!(v->notif_off & (1u << vring)) && atomic_load(&v->vid) >= 0)
			on |= VQ_NOTIF_TODO(vring); /* new_device did the earlier ones */
	} else {
		on &= ~(bit | VQ_NOTIF_TODO(vring));
	}
	vq_state_store(v, on);
	if (enable && q >= v->base.n_rxq && vring % 2 == VQ_GUEST_TX)
		RTE_LOG(WARNING, USER1,
		        "qv: port %s: vhost device %d enabled queue pair %u, but the port has %u "
		        "queue(s): what the guest sends on it is not received (port.add "
		        "queues=%u)\n",
		        v->base.name, vid, q, v->base.n_rxq, q + 1);
}

/* Whether the PMDs may use vring (a vring of pair 1 or up only with VIRTIO_NET_F_MQ). Without
 * it, rte_vhost 22.11 frees vrings 2 and up on SET_FEATURES even while the device runs (a
 * guest toggling VHOST_F_LOG_ALL, the one change it accepts then), under their own
 * access_locks and with no vring_state_changed: a PMD polling one would use freed memory. A
 * guest that enables such vrings without MQ is not a virtio driver; its extra pairs are
 * ignored. */
static bool vh_mq_allows(int vid, uint16_t vring)
{
	uint64_t features;

	return vring < 2 || (rte_vhost_get_negotiated_features(vid, &features) == 0 &&
	                     (features & (1ULL << VIRTIO_NET_F_MQ)));
}

static int vh_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct qv_vhost_port *v = find_by_vid(vid);

	if (!v)
		return -1;
	if (vring >= VQ_MAX_VRINGS) {
		RTE_LOG(WARNING, USER1,
		        "qv: port %s: vhost device %d: vring %u ignored (at most %d queue pairs)\n",
		        v->base.name, vid, vring, QV_MAX_QUEUES);
		return 0;
	}
	if (enable && !vh_mq_allows(vid, vring)) {
		RTE_LOG(WARNING, USER1,
		        "qv: port %s: vhost device %d enabled vring %u without negotiating "
		        "multi-queue (VIRTIO_NET_F_MQ): ignored\n",
		        v->base.name, vid, vring);
		return 0;
	}
	pthread_mutex_lock(&v->state_lock);
	vh_vring_state_changed_locked(v, vid, vring, enable != 0);
	pthread_mutex_unlock(&v->state_lock);
	RTE_LOG(INFO, USER1, "qv: port %s: vhost device %d vring %u %s\n", v->base.name, vid, vring,
	        enable ? "enabled" : "disabled");
	return 0;
}

static void vh_grace(struct qv_vhost_port *v);

static int vh_new_device(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);
	uint16_t nr = (uint16_t)rte_vhost_get_vring_num(vid);
	uint32_t on;

	if (!v)
		return -1;
	/* rte_vhost calls this after unlocking: a grace period still owed by an earlier device
	 * (vh_grace_defer) ends here, before the new vid is published, so that no PMD using the
	 * new device meets the old one's gone_seq (nor the check a false late call). */
	if (v->grace_owed)
		vh_grace(v);
	if (nr > VQ_MAX_VRINGS)
		nr = VQ_MAX_VRINGS;
	v->base.numa = rte_vhost_get_numa_node(vid);
	pthread_mutex_lock(&v->state_lock);
	/* PMDs poll: guest kicks would only cost VM exits. Vrings that exist now (enabled or
	 * not: rte_vhost re-applies the setting when one is enabled); later ones are left to
	 * the PMDs (VQ_NOTIF_TODO). No access_lock is held while new_device runs. */
	for (uint16_t i = 0; i < nr; i++)
		if (rte_vhost_enable_guest_notification(vid, i, 0) == 0)
			v->notif_off |= 1u << i;
	/* Only vrings that exist: a bit left from a device whose vrings rte_vhost has freed
	 * since must not send a PMD to them. */
	on = atomic_load(&v->vq_on);
	for (uint16_t q = 0; q < QV_MAX_QUEUES; q++)
		if (2 * q + 1 >= nr || !vh_mq_allows(vid, 2 * q))
			on &= ~(VQ_ON_RX(q) | VQ_ON_TX(q));
	on &= ~(uint32_t)(v->notif_off << 16);
	vq_state_store(v, on);
	pthread_mutex_unlock(&v->state_lock);
	uint16_t mtu = 0;
	if (rte_vhost_get_mtu(vid, &mtu) != 0) /* -ENOTSUP: VIRTIO_NET_F_MTU not negotiated */
		mtu = 0;
	atomic_store(&v->guest_mtu, mtu);
	uint64_t features = 0;
	atomic_store(&v->ring, rte_vhost_get_negotiated_features(vid, &features) != 0 ? VH_RING_NONE
	                       : features & (1ULL << VIRTIO_F_RING_PACKED) ? VH_RING_PACKED
	                                                                   : VH_RING_SPLIT);
	atomic_store_explicit(&v->vid, vid, memory_order_release);
	atomic_store_explicit(&v->base.up, true, memory_order_release);
	if (v->link_event)
		v->link_event(&v->base, true, "guest connected, rings ready");
	RTE_LOG(INFO, USER1,
	        "qv: port %s: vhost device %d ready, %u vring(s) so far, rx on pairs 0x%x, tx "
	        "on pairs 0x%x\n",
	        v->base.name, vid, nr, on & 0xff, (on >> 8) & 0xff);
	return 0;
}

/* ---- destroy_device inside a message that holds the vring locks (see vhost_lib.h) ---- */

static void vh_grace(struct qv_vhost_port *v)
{
	if (qv_vhost_quiesce)
		qv_vhost_quiesce();
	v->grace_owed = false;
	atomic_fetch_add_explicit(&v->gone_seq, 1, memory_order_release);
}

/* destroy_device inside a message that holds the vrings' locks (rte_vhost 22.11 never does
 * this: it calls destroy_device from GET_VRING_BASE and RESET_OWNER, which take no vring lock,
 * and from connection teardown, after the handler unlocked; this keeps a later DPDK, or a
 * path missed here, from deadlocking the event thread and a PMD). The device is unpublished
 * already, so no PMD enters rte_vhost for it any more; the ones inside are blocked on a vring
 * lock, or about to take one, and will see what the message did once it unlocks, as with
 * any locked message. What they must not meet is memory freed without the locks: the device
 * (freed at connection teardown), the rings GET_VRING_BASE invalidates, RESET_OWNER's
 * cleanup. Each of those starts on this thread with a message without locks or with
 * destroy_connection, and the owed grace period is waited for there first
 * (vh_before_unlocked_msg, vh_destroy_connection). Not covered, by DPDK design: memory freed under
 * the locks, as SET_FEATURES without VIRTIO_NET_F_MQ frees vrings 2 and up (see vh_mq_allows), or
 * SET_VRING_ADDR's NUMA reallocation of a vring not ready (one NUMA node here: none). */
static void vh_grace_defer(struct qv_vhost_port *v, int vid, uint32_t request)
{
	v->grace_owed = true;
	RTE_LOG(WARNING, USER1,
	        "qv: port %s: vhost device %d destroyed inside vhost-user request %u, which "
	        "holds the vring locks: its grace period is waited for once they are released\n",
	        v->base.name, vid, request);
}

/* Before a message that takes no vring lock (see qv_vh_msg_hooks_register). */
static void vh_before_unlocked_msg(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);

	if (v && v->grace_owed)
		vh_grace(v); /* before this message can invalidate or free anything */
}

/* A connection's first callback, before any of its messages: the hooks go on its vid. */
static int vh_new_connection(int vid)
{
	if (qv_vh_msg_hooks_register(vid, vh_before_unlocked_msg) != 0) {
		RTE_LOG(ERR, USER1,
		        "qv: vhost device %d: cannot register the message hooks; connection "
		        "refused\n",
		        vid);
		return -1;
	}
	return 0;
}

/* The connection is gone (rte_vhost frees the device next), with no vring lock held. */
static void vh_destroy_connection(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);

	qv_vh_msg_forget(vid);
	if (v && v->grace_owed)
		vh_grace(v);
}

static void vh_destroy_device(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);
	uint32_t request;

	if (!v)
		return;
	/* Unpublish first: a PMD that reads the port from here on leaves rte_vhost alone. */
	atomic_store_explicit(&v->vid, -1, memory_order_release);
	atomic_store_explicit(&v->base.up, false, memory_order_release);
	atomic_store(&v->guest_mtu, 0);
	atomic_store(&v->ring, VH_RING_NONE);
	if (v->link_event)
		v->link_event(&v->base, false,
		              "no guest: the vhost-user peer is not connected or its rings are not "
		              "ready");
	/* The next device starts from nothing: its vrings announce themselves again. */
	pthread_mutex_lock(&v->state_lock);
	v->notif_off = 0;
	vq_state_store(v, 0);
	pthread_mutex_unlock(&v->state_lock);
	pthread_mutex_lock(&v->query_lock); /* a stats query that read the old vid is done */
	pthread_mutex_unlock(&v->query_lock);
	if (qv_vh_msg_locked(vid, &request)) {
		vh_grace_defer(v, vid, request);
		return;
	}
	/* A PMD that read the vid before may still be inside enqueue/dequeue with it: wait, with
	 * no deadline, until every PMD has passed a quiescent point. Only then may rte_vhost free
	 * the device (it does once we return). */
	vh_grace(v);
	RTE_LOG(INFO, USER1, "qv: port %s: vhost device %d gone, port down\n", v->base.name, vid);
}

static const struct rte_vhost_device_ops vh_dev_ops = {
    .new_device = vh_new_device,
    .destroy_device = vh_destroy_device,
    .vring_state_changed = vh_vring_state_changed,
    .new_connection = vh_new_connection,
    .destroy_connection = vh_destroy_connection,
};

static void registry_set(struct qv_vhost_port *v, struct qv_vhost_port *val)
{
	pthread_mutex_lock(&registry_lock);
	registry[v->base.index] = val;
	pthread_mutex_unlock(&registry_lock);
}

static void vh_close(struct qv_port *p)
{
	struct qv_vhost_port *v = to_vh(p);

	rte_vhost_driver_unregister(v->path); /* calls destroy_device if a guest is attached */
	registry_set(v, NULL);
	if (!v->client)
		unlink(v->path);
	if (v->own_pool && v->pool_retire)
		v->pool_retire(v->own_pool); /* freed once its buffers are all back */
	free(v);
}

static int vh_start(struct qv_port *p, char *err, size_t errlen);

static const struct qv_port_ops vh_ops = {
    .start = vh_start,
    .rx_burst = vh_rx,
    .tx_burst = vh_tx,
    .close = vh_close,
    .rx_nombuf = vh_rx_nombuf,
};

/* Offloads we do not implement in the switch: the guest must hand us whole, checksummed
 * frames. */
static const uint64_t vh_disabled_features =
    1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
    1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_HOST_UFO | 1ULL << VIRTIO_NET_F_CSUM |
    1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
    1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_ECN |
    1ULL << VIRTIO_NET_F_GUEST_UFO;

static int check_socket_path(const char *name, const char *path, bool client, char *err,
                             size_t errlen)
{
	struct stat st;

	if (path[0] != '/') {
		snprintf(err, errlen, "port %s: vhost socket path '%s' must be absolute", name,
		         path);
		return -1;
	}
	if (strlen(path) >= 108) {
		snprintf(err, errlen, "port %s: vhost socket path is longer than 107 bytes", name);
		return -1;
	}
	if (client)
		return 0;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
			         "port %s: %s exists and is not a socket; choose another path",
			         name, path);
			return -1;
		}
		unlink(path); /* stale socket of an earlier run */
	}
	return 0;
}

/* The rx pool mbufs (NULL or "0": the shared one) says; the old own pool is given back. The
 * port is not polled meanwhile (open, or port.set, which takes it out of the poll lists and
 * waits for a grace period first): no PMD holds v->mp. */
static int vh_set_pool(struct qv_vhost_port *v, const char *mbufs, char *err, size_t errlen)
{
	uint64_t n = 0;
	struct rte_mempool *mp;

	if (mbufs &&
	    (!qv_parse_uint(mbufs, 10, 0, VH_MBUFS_MAX, &n) || (n != 0 && n < VH_MBUFS_MIN))) {
		snprintf(err, errlen,
		         "port %s: mbufs '%s' is not 0 (the shared pool) or %u..%u buffers",
		         v->base.name, mbufs, VH_MBUFS_MIN, VH_MBUFS_MAX);
		return -1;
	}
	if (n && !v->pool_private) {
		snprintf(err, errlen, "port %s: mbufs: the switch lends no pools of a port's own",
		         v->base.name);
		return -1;
	}
	mp = n ? v->pool_private(v->base.name, v->base.numa, (unsigned)n, 0, err, errlen)
	       : v->pool_shared(v->base.numa, err, errlen);
	if (!mp)
		return -1;
	if (v->own_pool && v->pool_retire)
		v->pool_retire(v->own_pool);
	v->own_pool = n ? mp : NULL;
	v->mp = mp;
	return 0;
}

static struct qv_port *vh_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	const char *name = cfg->name, *path = cfg->str[VH_ARG_PATH];
	bool client = cfg->flag[VH_ARG_CLIENT];
	uint16_t queues = cfg->rxq;
	struct qv_vhost_port *v;

	if (queues == 0 || queues > QV_MAX_QUEUES) {
		snprintf(err, errlen, "port %s: queues must be 1..%d", name, QV_MAX_QUEUES);
		return NULL;
	}
	if (check_socket_path(name, path, client, err, errlen) != 0)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "port %s: out of memory", name);
		return NULL;
	}
	v->base.ops = &vh_ops;
	v->base.cls = &qv_vhost_port_class;
	snprintf(v->base.name, sizeof(v->base.name), "%s", name);
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->client = client;
	v->vring_stats = cfg->flag[VH_ARG_VRING_STATS];
	v->link_event = cfg->link_event;
	v->base.n_rxq = v->base.n_txq = queues;
	v->base.numa = -1;
	atomic_init(&v->vid, -1);
	atomic_init(&v->vq_on, 0);
	atomic_init(&v->tx_map, TX_MAP_NONE);
	pthread_mutex_init(&v->state_lock, NULL);
	pthread_mutex_init(&v->query_lock, NULL);
	for (int i = 0; i < QV_MAX_QUEUES; i++)
		rte_spinlock_init(&v->vq_lock[i]);
	v->pool_shared = cfg->pool;
	v->pool_private = cfg->pool_private;
	v->pool_retire = cfg->pool_retire;
	if (vh_set_pool(v, cfg->str[VH_ARG_MBUFS], err, errlen) != 0) {
		free(v);
		return NULL;
	}
	return &v->base;
}

/* Second half of opening, once the switch has given the port its index: from here on the
 * device callbacks may fire. */
static int vh_start(struct qv_port *p, char *err, size_t errlen)
{
	struct qv_vhost_port *v = to_vh(p);
	const char *path = v->path;
	uint64_t flags = v->client ? RTE_VHOST_USER_CLIENT : 0;

	/* rte_vhost's per-virtqueue counters (vh_queue) walk every burst once more in each
	 * direction, inside the vring's lock: packets, bytes, a size bin and the multicast and
	 * broadcast test, per packet. vring_stats=false leaves them out; the switch's own port
	 * and rx-queue counters count either way. 2 to 5 % of a V2V forward at 64 B (measured):
	 * work testpmd's net_vhost cannot shed (DPDK 22.11's always enables it). */
	if (v->vring_stats)
		flags |= RTE_VHOST_USER_NET_STATS_ENABLE;

	registry_set(v, v);
	if (rte_vhost_driver_register(path, flags) != 0) {
		snprintf(err, errlen,
		         "port %s: cannot register vhost-user socket %s (in use by "
		         "another port?)",
		         p->name, path);
		registry_set(v, NULL);
		return -1;
	}
	if (rte_vhost_driver_disable_features(path, vh_disabled_features) != 0 ||
	    rte_vhost_driver_callback_register(path, &vh_dev_ops) != 0 ||
	    rte_vhost_driver_start(path) != 0) {
		snprintf(err, errlen,
		         "port %s: cannot start vhost-user %s on %s (does the directory exist?)",
		         p->name, v->client ? "client" : "server", path);
		rte_vhost_driver_unregister(path);
		registry_set(v, NULL);
		return -1;
	}
	return 0;
}

/* ---- the class ---- */

static unsigned vh_describe(const struct qv_port *p, struct qv_port_field *out)
{
	static const char *const rings[] = {
	    [VH_RING_NONE] = "", [VH_RING_SPLIT] = "split", [VH_RING_PACKED] = "packed"};
	const struct qv_vhost_port *v = (const struct qv_vhost_port *)p;

	out[0] = (struct qv_port_field){.key = "path", .str = v->path};
	out[1] =
	    (struct qv_port_field){.key = "client", .type = QV_PORT_FIELD_BOOL, .flag = v->client};
	unsigned n = 2;

	/* the MTU the guest's device negotiated (host_mtu=), 0: none or no guest */
	out[n++] = (struct qv_port_field){
	    .key = "guest_mtu", .type = QV_PORT_FIELD_UINT, .num = atomic_load(&v->guest_mtu)};
	/* split or packed virtqueues, as the guest negotiated them; "": no guest */
	out[n++] =
	    (struct qv_port_field){.key = "virtio_ring", .str = rings[atomic_load(&v->ring)]};
	out[n++] = (struct qv_port_field){
	    .key = "vring_stats", .type = QV_PORT_FIELD_BOOL, .flag = v->vring_stats};

	if (v->own_pool)
		out[n++] = (struct qv_port_field){.key = "rx_pool", .str = v->own_pool->name};
	if (!vh_check)
		return n;
	out[n++] = (struct qv_port_field){.key = "late_vhost_calls",
	                                  .type = QV_PORT_FIELD_UINT,
	                                  .num = atomic_load(&v->late_calls)};
	/* destroy_device calls whose grace period is over: what the check watched */
	out[n++] = (struct qv_port_field){.key = "destroyed_devices",
	                                  .type = QV_PORT_FIELD_UINT,
	                                  .num = atomic_load(&v->gone_seq)};
	if (vh_check_spin_us) /* the check's PMDs held in their reads (see vid_load) */
		out[n++] = (struct qv_port_field){.key = "teardown_check_spin_us",
		                                  .type = QV_PORT_FIELD_UINT,
		                                  .num = vh_check_spin_us};
	return n;
}

/* port.list "queues": per queue pair, whether the guest enabled each direction and
 * rte_vhost's counters of the vring (RTE_VHOST_USER_NET_STATS_ENABLE). */
static bool vh_queue(struct qv_port *p, uint16_t q, struct qv_port_queue *out)
{
	struct qv_vhost_port *v = to_vh(p);
	uint32_t on = atomic_load(&v->vq_on);
	const char *names[QV_PORT_MAX_QSTATS];
	uint64_t values[QV_PORT_MAX_QSTATS];
	int vid, n;

	pthread_mutex_lock(&v->query_lock);
	vid = atomic_load(&v->vid);
	if (vid < 0) {
		pthread_mutex_unlock(&v->query_lock);
		return false;
	}
	out->rx_enabled = on & VQ_ON_RX(q);
	out->tx_enabled = on & VQ_ON_TX(q);
	/* without vring_stats rte_vhost keeps none: the pairs' state alone */
	n = out->rx_enabled && v->vring_stats
	        ? qv_vh_vring_stats(vid, q * 2 + VQ_GUEST_TX, &names, values)
	        : 0;
	for (int i = 0; i < n; i++)
		out->rx[i].name = names[i], out->rx[i].value = values[i];
	out->n_rx = (unsigned)n;
	n = out->tx_enabled && v->vring_stats
	        ? qv_vh_vring_stats(vid, q * 2 + VQ_GUEST_RX, &names, values)
	        : 0;
	for (int i = 0; i < n; i++)
		out->tx[i].name = names[i], out->tx[i].value = values[i];
	out->n_tx = (unsigned)n;
	pthread_mutex_unlock(&v->query_lock);
	return true;
}

/* Two ports on one socket would steal each other's guest. */
static int vh_conflicts(const struct qv_port *other, const struct qv_port_config *cfg, char *err,
                        size_t errlen)
{
	const struct qv_vhost_port *o = (const struct qv_vhost_port *)other;

	if (strcmp(o->path, cfg->str[VH_ARG_PATH]) != 0)
		return 0;
	snprintf(err, errlen, "port %s: socket %s is already used by port %s", cfg->name, o->path,
	         other->name);
	return -1;
}

static const struct qv_port_arg vh_args[VH_N_ARGS] = {
    [VH_ARG_PATH] = {"path", QV_PORT_ARG_STR, true},
    [VH_ARG_CLIENT] = {"client", QV_PORT_ARG_BOOL, false},
    [VH_ARG_QUEUES] = {"queues", QV_PORT_ARG_QUEUES, false},
    [VH_ARG_MBUFS] = {"mbufs", QV_PORT_ARG_STR, false},
    [VH_ARG_VRING_STATS] = {"vring_stats", QV_PORT_ARG_BOOL, false, true},
};

/* port.set of a vhost port: mbufs, str[0]. */
static const struct qv_port_arg vh_set_args[] = {{"mbufs", QV_PORT_ARG_STR, false}};

static int vh_set(struct qv_port *p, const struct qv_port_config *cfg, char *err, size_t errlen)
{
	return cfg->str[0] ? vh_set_pool(to_vh(p), cfg->str[0], err, errlen) : 0;
}

const struct qv_port_class qv_vhost_port_class = {
    .kind = QV_PORT_KIND_VHOST,
    .name = "vhost",
    .args = vh_args,
    .n_args = VH_N_ARGS,
    .open = vh_open,
    .describe = vh_describe,
    .conflicts = vh_conflicts,
    .queue = vh_queue,
    .set_args = vh_set_args,
    .n_set_args = 1,
    .set = vh_set,
};
