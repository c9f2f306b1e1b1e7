/* qwikvirt: vhost-user ports (see vhost_port.h).
 * Device callbacks run on rte_vhost's thread; the PMD sees only `up` and `vid`, both atomics. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <rte_branch_prediction.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_vhost.h>

#include "vhost/vhost_port.h"

/* Virtqueue numbering of a vhost-user net device: queue pair q is (2q: guest rx, 2q+1: guest
 * tx). We enqueue into the guest's rx ring and dequeue from its tx ring. */
#define VQ_GUEST_RX 0
#define VQ_GUEST_TX 1

/* Arguments of port.add for a vhost port, in qv_port_config.str/flag order. */
enum { VH_ARG_PATH, VH_ARG_CLIENT, VH_ARG_QUEUES, VH_N_ARGS };

struct qv_vhost_port {
	struct qv_port base;
	char path[108];             /* the vhost-user socket (sun_path size) */
	bool client;                /* the switch is the vhost-user client */
	_Atomic int vid;            /* -1 while no guest device is attached */
	_Atomic uint16_t nr_qpairs; /* queue pairs the guest set up (<= base.n_rxq) */
	struct rte_mempool *mp;
	/* When the guest set up fewer queue pairs than the port has tx queues, several PMD tx
	 * queues land on one virtqueue: these serialise them (OVS does the same). */
	rte_spinlock_t vq_lock[QV_MAX_QUEUES];
	/* Teardown check (see vh_check): destroy_device calls that have returned, and PMD calls
	 * into rte_vhost during which one returned (each a use of a device being freed). */
	_Atomic uint32_t gone_seq;
	_Atomic uint64_t late_calls;
};

void (*qv_vhost_quiesce)(void);

/* QV_VHOST_TEARDOWN_CHECK=1 in qv-switchd's environment: every PMD call into rte_vhost notes
 * gone_seq before it reads the vid and again after the call; a change means destroy_device
 * returned (and rte_vhost went on to free the device) while the PMD could still use it. The
 * count is in port.list as late_vhost_calls. Off: one predictable branch per call. */
static bool vh_check;

/* Read once before main(), so that PMDs only ever read it. */
__attribute__((constructor)) static void vh_check_init(void)
{
	const char *e = getenv("QV_VHOST_TEARDOWN_CHECK");

	vh_check = e && strcmp(e, "1") == 0;
}

static inline uint32_t check_begin(struct qv_vhost_port *v)
{
	return unlikely(vh_check) ? atomic_load_explicit(&v->gone_seq, memory_order_acquire) : 0;
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

/* ---- fast path ---- */

static uint16_t vh_rx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct qv_vhost_port *v = to_vh(p);
	uint32_t seq = check_begin(v);
	int vid = atomic_load_explicit(&v->vid, memory_order_acquire);
	uint16_t got;

	if (vid < 0 || q >= atomic_load_explicit(&v->nr_qpairs, memory_order_relaxed) ||
	    !atomic_load_explicit(&p->up, memory_order_relaxed))
		return 0;
	got = rte_vhost_dequeue_burst(vid, q * 2 + VQ_GUEST_TX, v->mp, pkts, n);
	check_end(v, seq);
	return got;
}

static uint16_t vh_tx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct qv_vhost_port *v = to_vh(p);
	uint32_t seq = check_begin(v);
	int vid = atomic_load_explicit(&v->vid, memory_order_acquire);
	uint16_t nq = atomic_load_explicit(&v->nr_qpairs, memory_order_relaxed);
	uint16_t sent;

	if (vid < 0 || nq == 0 || !atomic_load_explicit(&p->up, memory_order_relaxed))
		return 0;
	/* rte_vhost copies into guest buffers: the mbufs it took are ours to free. */
	if (likely(nq >= p->n_txq)) {
		sent = rte_vhost_enqueue_burst(vid, q * 2 + VQ_GUEST_RX, pkts, n);
	} else {
		uint16_t eq = q % nq;

		rte_spinlock_lock(&v->vq_lock[eq]);
		sent = rte_vhost_enqueue_burst(vid, eq * 2 + VQ_GUEST_RX, pkts, n);
		rte_spinlock_unlock(&v->vq_lock[eq]);
	}
	check_end(v, seq);
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
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

static int vh_new_device(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);
	uint16_t nq;

	if (!v)
		return -1;
	nq = rte_vhost_get_vring_num(vid) / 2;
	if (nq > v->base.n_rxq)
		nq = v->base.n_rxq;
	/* PMDs poll: guest kicks would only cost syscalls. */
	for (uint16_t i = 0; i < nq * 2; i++)
		rte_vhost_enable_guest_notification(vid, i, 0);
	v->base.numa = rte_vhost_get_numa_node(vid);
	atomic_store(&v->nr_qpairs, nq);
	atomic_store_explicit(&v->vid, vid, memory_order_release);
	atomic_store_explicit(&v->base.up, true, memory_order_release);
	RTE_LOG(INFO, USER1, "qv: port %s: vhost device %d ready, %u queue pair(s)\n", v->base.name,
	        vid, nq);
	return 0;
}

static void vh_destroy_device(int vid)
{
	struct qv_vhost_port *v = find_by_vid(vid);

	if (!v)
		return;
	/* Unpublish first: a PMD that reads the port from here on leaves rte_vhost alone. */
	atomic_store_explicit(&v->vid, -1, memory_order_release);
	atomic_store(&v->nr_qpairs, 0);
	atomic_store_explicit(&v->base.up, false, memory_order_release);
	/* A PMD that read the vid before may still be inside enqueue/dequeue with it: wait, with
	 * no deadline, until every PMD has passed a quiescent point. Only then may rte_vhost free
	 * the device (it does once we return). */
	if (qv_vhost_quiesce)
		qv_vhost_quiesce();
	atomic_fetch_add_explicit(&v->gone_seq, 1, memory_order_release);
	RTE_LOG(INFO, USER1, "qv: port %s: vhost device %d gone, port down\n", v->base.name, vid);
}

static const struct rte_vhost_device_ops vh_dev_ops = {
    .new_device = vh_new_device,
    .destroy_device = vh_destroy_device,
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
	free(v);
}

static int vh_start(struct qv_port *p, char *err, size_t errlen);

static const struct qv_port_ops vh_ops = {
    .start = vh_start,
    .rx_burst = vh_rx,
    .tx_burst = vh_tx,
    .close = vh_close,
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
	v->base.n_rxq = v->base.n_txq = queues;
	v->base.numa = -1;
	atomic_init(&v->vid, -1);
	for (int i = 0; i < QV_MAX_QUEUES; i++)
		rte_spinlock_init(&v->vq_lock[i]);
	v->mp = cfg->pool(-1, err, errlen);
	if (!v->mp) {
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
	const struct qv_vhost_port *v = (const struct qv_vhost_port *)p;

	out[0] = (struct qv_port_field){.key = "path", .str = v->path};
	out[1] =
	    (struct qv_port_field){.key = "client", .type = QV_PORT_FIELD_BOOL, .flag = v->client};
	if (!vh_check)
		return 2;
	out[2] = (struct qv_port_field){.key = "late_vhost_calls",
	                                .type = QV_PORT_FIELD_UINT,
	                                .num = atomic_load(&v->late_calls)};
	return 3;
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
};

const struct qv_port_class qv_vhost_port_class = {
    .kind = QV_PORT_KIND_VHOST,
    .name = "vhost",
    .args = vh_args,
    .n_args = VH_N_ARGS,
    .open = vh_open,
    .describe = vh_describe,
    .conflicts = vh_conflicts,
};
