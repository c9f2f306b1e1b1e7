/* qwikvirt: ethdev ports (see ethdev_port.h). The rx/tx path is a thin wrapper over
 * rte_eth_rx_burst / rte_eth_tx_burst; the slow path configures queues, RSS, MTU and buffers,
 * follows the link and reads the device's own counters. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "pmd-glue/ethdev_port.h"
#include "pmd-glue/mempool.h"
#include "pmd-glue/netdev_link.h"

#define QV_ETHDEV_DESC 1024
/* A frame's bytes beyond its MTU: Ethernet header and room for two VLAN tags (QinQ). */
#define FRAME_OVERHEAD (RTE_ETHER_HDR_LEN + 8u)

/* ethdevs owned by a qwikvirt port; a device EAL probed at start-up (a PCI NIC on the
 * allow-list) is free to be adopted by the first port that names it. */
static bool port_id_used[RTE_MAX_ETHPORTS];

/* Arguments of port.add for an ethdev port, in qv_port_config.str order. */
enum { ETH_ARG_DEVARGS, ETH_ARG_RXQ, ETH_ARG_TXQ, ETH_N_ARGS };

struct qv_ethdev_port {
	struct qv_port base;
	char devargs[512];
	struct rte_mempool *(*pool)(int numa, char *err, size_t errlen);
	struct rte_mempool *(*pool_sized)(int numa, uint32_t room, char *err, size_t errlen);
	struct rte_mempool *(*pool_private)(const char *port, int numa, unsigned n, uint32_t room,
	                                    char *err, size_t errlen);
	struct rte_mempool *own_pool; /* its private pool, NULL: the shared ones do */
	struct rte_mempool *rx_pool;  /* where its rx queues take buffers from */
	uint16_t port_id;
	char devname[RTE_DEV_NAME_MAX_LEN];
	char bus[16];
	char iface[64];         /* Linux netdev whose carrier is part of the link; "" none */
	bool self_spread;       /* spreads over rx queues without RSS offloads (af_packet fanout) */
	uint16_t class_max_mtu; /* qv_ethdev_opts.max_mtu */
	uint32_t class_rx_room; /* qv_ethdev_opts.rx_room */
	uint16_t class_rx_desc; /* qv_ethdev_opts.rx_desc */
	bool lsc;               /* link-state interrupt registered */
	struct qv_netdev_watch *watch; /* iface's link changes from rtnetlink, NULL: polled */
	/* The link as last reported through link_event (base.up is also cleared by the switch
	 * while it edits the port): who changes it first reports the change, under link_lock. */
	bool link_up;
	pthread_mutex_t link_lock;
	void (*link_event)(struct qv_port *p, bool up, const char *reason);
	bool scatter;    /* receives frames over 2 KiB into chained mbufs */
	bool jumbo_pool; /* ... or into one jumbo buffer each */
	uint64_t rss_hf; /* 0: one rx queue, or spread without RSS */
	char reta_text[160];
};

static inline struct qv_ethdev_port *to_eth(struct qv_port *p)
{
	return (struct qv_ethdev_port *)p;
}

/* ---- fast path ---- */

static uint16_t eth_rx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(to_eth(p)->port_id, q, pkts, n);
}

static uint16_t eth_tx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(to_eth(p)->port_id, q, pkts, n);
}

/* ---- link state (slow path: control thread, or the EAL interrupt thread) ---- */

/* The link now and, in why, what says so. */
static bool eth_link_now(struct qv_ethdev_port *e, const char *how, char *why, size_t len)
{
	struct rte_eth_link l;
	bool up = true;

	memset(&l, 0, sizeof(l));
	if (rte_eth_link_get_nowait(e->port_id, &l) == 0)
		up = l.link_status == RTE_ETH_LINK_UP;
	if (!up || !e->iface[0])
		snprintf(why, len, "device %s, %s", e->devname, how);
	else if (!(up = qv_netdev_carrier(e->iface)))
		snprintf(why, len, "%s down or without carrier, %s", e->iface, how);
	else
		snprintf(why, len, "%s has carrier, %s", e->iface, how);
	return up;
}

/* Records the link as `up` and reports a change (once, whoever sees it first: the control
 * loop's poll, the device's interrupt, rtnetlink) through link_event, which logs it. */
static void eth_link_apply(struct qv_ethdev_port *e, bool up, const char *why)
{
	char reason[192];
	bool changed;

	pthread_mutex_lock(&e->link_lock);
	atomic_store(&e->base.up, up);
	changed = e->link_up != up;
	e->link_up = up;
	if (changed && e->link_event) {
		snprintf(reason, sizeof(reason), "link %s: %s", up ? "up" : "down", why);
		e->link_event(&e->base, up, reason);
	}
	pthread_mutex_unlock(&e->link_lock);
}

static int eth_lsc_event(uint16_t port_id, enum rte_eth_event_type ev, void *arg, void *ret)
{
	struct qv_ethdev_port *e = arg;
	char why[128];
	bool up = eth_link_now(e, "interrupt", why, sizeof(why));

	(void)port_id, (void)ev, (void)ret;
	eth_link_apply(e, up, why);
	return 0;
}

/* rtnetlink said the netdev went up or down: the device's own link still counts. */
static void eth_netdev_event(void *arg, bool up, const char *what)
{
	struct qv_ethdev_port *e = arg;
	struct rte_eth_link l;
	char why[128];

	memset(&l, 0, sizeof(l));
	if (up && rte_eth_link_get_nowait(e->port_id, &l) == 0 && l.link_status != RTE_ETH_LINK_UP)
		up = false, snprintf(why, sizeof(why), "device %s, netlink", e->devname);
	else
		snprintf(why, sizeof(why), "%s, netlink", what);
	eth_link_apply(e, up, why);
}

static void eth_tick(struct qv_port *p)
{
	struct qv_ethdev_port *e = to_eth(p);
	char why[128];
	bool up = eth_link_now(e, "polled", why, sizeof(why));

	/* polled even with interrupts and netlink: a lost message, a device without LSC */
	eth_link_apply(e, up, why);
}

static int eth_nic_counters(struct qv_port *p, struct qv_nic_counters *out)
{
	struct rte_eth_stats s;

	if (rte_eth_stats_get(to_eth(p)->port_id, &s) != 0)
		return -1;
	*out = (struct qv_nic_counters){.imissed = s.imissed,
	                                .rx_nombuf = s.rx_nombuf,
	                                .ierrors = s.ierrors,
	                                .oerrors = s.oerrors};
	return 0;
}

static unsigned eth_xstats(struct qv_port *p, struct qv_port_xstat *out, unsigned max)
{
	uint16_t pid = to_eth(p)->port_id;
	int n = rte_eth_xstats_get(pid, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *vals;
	unsigned k = 0;

	if (n <= 0)
		return 0;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (names && vals && rte_eth_xstats_get_names(pid, names, (unsigned)n) == n &&
	    rte_eth_xstats_get(pid, vals, (unsigned)n) == n)
		for (int i = 0; i < n && k < max; i++) {
			if (vals[i].value == 0 || vals[i].id >= (uint64_t)n)
				continue;
			snprintf(out[k].name, sizeof(out[k].name), "%s", names[vals[i].id].name);
			out[k++].value = vals[i].value;
		}
	free(names);
	free(vals);
	return k;
}

/* ---- slow path ---- */

static void eth_lsc_off(struct qv_ethdev_port *e)
{
	if (!e->lsc)
		return;
	/* -EAGAIN: the callback is running on the interrupt thread right now */
	while (rte_eth_dev_callback_unregister(e->port_id, RTE_ETH_EVENT_INTR_LSC, eth_lsc_event,
	                                       e) == -EAGAIN)
		;
	e->lsc = false;
}

/* DPDK 22.11's net_ring creates RTE_PMD_RING_MAX_RX_RINGS rings ("ETH_RXTX<i>_<device>") at
 * probe and frees, on close, only those of the rx queues configured (one here): each removal
 * left 16 rings' memzones behind, and port_churn's add/remove rounds ran out of memzones
 * (RTE_MAX_MEMZONE) after about 160 net_ring ports. What the device left is freed here, once
 * it is gone. */
static void ring_leftovers_free(const char *devname)
{
	char name[RTE_RING_NAMESIZE];

	if (strncmp(devname, "net_ring", 8) != 0)
		return;
	for (unsigned i = 0; i < RTE_PMD_RING_MAX_RX_RINGS; i++) {
		struct rte_ring *r;

		/* a name too long for a ring was never created */
		if (snprintf(name, sizeof(name), "ETH_RXTX%u_%.*s", i, (int)(sizeof(name) - 12),
		             devname) >= (int)sizeof(name))
			continue;
		if ((r = rte_ring_lookup(name)) != NULL)
			rte_ring_free(r);
	}
}

static void eth_unplug(struct qv_ethdev_port *e)
{
	eth_lsc_off(e);
	qv_netdev_watch_stop(e->watch); /* its callback has returned */
	e->watch = NULL;
	port_id_used[e->port_id] = false;
	rte_eth_dev_stop(e->port_id);
	rte_eth_dev_close(e->port_id);
	rte_eal_hotplug_remove(e->bus, e->devname);
	ring_leftovers_free(e->devname);
}

static void eth_close(struct qv_port *p)
{
	struct qv_ethdev_port *e = to_eth(p);

	eth_unplug(e);
	qv_mempool_retire(e->own_pool); /* freed once its buffers are all back */
	pthread_mutex_destroy(&e->link_lock);
	free(e);
}

static const struct qv_port_ops eth_ops = {
    .rx_burst = eth_rx,
    .tx_burst = eth_tx,
    .close = eth_close,
    .tick = eth_tick,
    .nic_counters = eth_nic_counters,
    .xstats = eth_xstats,
};

/* "0000:03:00.0" (or "03:00.0") is a PCI device; anything else is a vdev devargs string whose
 * device name is the part before the first comma. */
static bool is_pci_address(const char *s)
{
	unsigned a, b, c, d;
	char tail;

	return sscanf(s, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) == 4 ||
	       sscanf(s, "%x:%x.%x%c", &b, &c, &d, &tail) == 3;
}

/* What a configuration asks of the device: checked against its limits before anything is
 * touched, so that a refused request changes nothing. */
struct eth_plan {
	uint16_t nrxq, ntxq, mtu;
	struct rte_eth_conf conf;
	bool scatter, jumbo_pool;
};

/* The largest MTU the device takes: its max_mtu, and what its max_rx_pktlen leaves past the
 * header ethdev counts (as rte_eth_dev_configure checks it), and the switch's own limit. */
static unsigned device_max_mtu(const struct rte_eth_dev_info *info)
{
	unsigned overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN, m = info->max_mtu;

	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen > overhead && info->max_rx_pktlen - overhead < m)
		m = info->max_rx_pktlen - overhead;
	return RTE_MIN(m, QV_PORT_MAX_MTU);
}

static int eth_plan(struct qv_ethdev_port *e, uint16_t nrxq, uint16_t ntxq, uint16_t mtu,
                    struct eth_plan *pl, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	uint32_t frame = (uint32_t)mtu + FRAME_OVERHEAD;
	unsigned max_mtu;
	int rc;

	memset(pl, 0, sizeof(*pl));
	pl->nrxq = nrxq, pl->ntxq = ntxq, pl->mtu = mtu;
	rc = rte_eth_dev_info_get(e->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", e->base.name,
		         rte_strerror(-rc));
		return -1;
	}
	max_mtu = e->class_max_mtu ? RTE_MIN((unsigned)e->class_max_mtu, QV_PORT_MAX_MTU)
	                           : device_max_mtu(&info);
	if (nrxq > info.max_rx_queues || ntxq > info.max_tx_queues) {
		snprintf(err, errlen,
		         "port %s: device %s supports at most %u rx and %u tx queues (asked %u/%u)",
		         e->base.name, e->devname, info.max_rx_queues, info.max_tx_queues, nrxq,
		         ntxq);
		return -1;
	}
	/* DPDK 22.11's net_tap hands its queue fds to secondary processes in one message of at
	 * most 8 fds and overruns its stack with more (seen: "stack smashing detected") */
	if (info.driver_name && strcmp(info.driver_name, "net_tap") == 0 && nrxq + ntxq > 8) {
		snprintf(err, errlen,
		         "port %s: device %s (net_tap) takes at most 8 queues in all, rx and tx "
		         "(asked %u/%u)",
		         e->base.name, e->devname, nrxq, ntxq);
		return -1;
	}
	if (nrxq > 1 && info.flow_type_rss_offloads == 0 && !e->self_spread) {
		snprintf(err, errlen,
		         "port %s: device %s has no RSS (no flow types to hash): it cannot spread "
		         "frames over %u rx queues; give it 1",
		         e->base.name, e->devname, nrxq);
		return -1;
	}
	if (mtu < info.min_mtu || mtu > max_mtu) {
		snprintf(err, errlen, "port %s: device %s takes an MTU of %u..%u, not %u",
		         e->base.name, e->devname, info.min_mtu, max_mtu, mtu);
		return -1;
	}
	if (nrxq > 1 && info.flow_type_rss_offloads) {
		uint64_t hf = info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
		                                             RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP);

		pl->conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		pl->conf.rx_adv_conf.rss_conf.rss_hf = hf ? hf : info.flow_type_rss_offloads;
	}
	/* what ethdev lets the device be told; the class may know it carries more */
	pl->conf.rxmode.mtu = (uint16_t)RTE_MIN((unsigned)mtu, device_max_mtu(&info));
	if (e->class_rx_room > RTE_MBUF_DEFAULT_DATAROOM) {
		pl->jumbo_pool = true; /* the device fills whole buffers of its own size */
	} else if (frame > RTE_MBUF_DEFAULT_DATAROOM) {
		/* A device that chains buffers takes the standard pool; one that cannot gets
		 * buffers that hold a whole frame. */
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
			pl->conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
			pl->scatter = true;
		} else {
			pl->jumbo_pool = true;
		}
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		pl->conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (info.dev_flags && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		pl->conf.intr_conf.lsc = 1;
	return 0;
}

/* Buffers in flight besides the ones in rx rings: PMD bursts, tx rings, per-lcore caches. */
#define POOL_SLACK 2048u

/* The pool the rx queues fill their rings from: the shared one while it has room for them
 * (and traffic), else a pool of the port's own sized from its queues and descriptors, kept
 * for the port's life. NULL with err when even that cannot be made. */
static struct rte_mempool *own_pool_if_short(struct qv_ethdev_port *e, struct rte_mempool *shared,
                                             int socket, unsigned ring_bufs, uint32_t room,
                                             char *err, size_t errlen)
{
	if (e->own_pool && e->own_pool->size >= ring_bufs + POOL_SLACK)
		return e->own_pool;
	if (!e->own_pool && rte_mempool_avail_count(shared) >= ring_bufs + POOL_SLACK)
		return shared;
	if (e->own_pool || !e->pool_private) { /* a running port's pool cannot grow */
		snprintf(err, errlen,
		         "its rx rings take %u buffers, pool %s has %u of %u free (raise --mbufs, "
		         "or give the port fewer queues)",
		         ring_bufs, e->own_pool ? e->own_pool->name : shared->name,
		         rte_mempool_avail_count(e->own_pool ? e->own_pool : shared),
		         (e->own_pool ? e->own_pool : shared)->size);
		return NULL;
	}
	e->own_pool =
	    e->pool_private(e->base.name, socket, ring_bufs + POOL_SLACK, room, err, errlen);
	if (e->own_pool)
		RTE_LOG(NOTICE, USER1,
		        "qv-switchd: port %s: pool %s of %u buffers of its own (the shared pool %s "
		        "has %u free, its rx rings take %u)\n",
		        e->base.name, e->own_pool->name, e->own_pool->size, shared->name,
		        rte_mempool_avail_count(shared), ring_bufs);
	return e->own_pool;
}

/* The device's RETA size when it has one this code can write and read (0: none). */
static unsigned reta_size_of(const struct qv_ethdev_port *e)
{
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(e->port_id, &info) != 0 ||
	    info.reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return 0;
	return info.reta_size;
}

/* The RETA written round-robin over the port's rx queues. Most NIC drivers fill it so at
 * configure, but not all: net_null (and drivers that keep their table across a
 * reconfiguration) leave every entry on queue 0, or on a queue a live edit just removed, so
 * RSS would hash into one queue, or into none that is polled. A device without a table, or
 * one that refuses the update, keeps its own (logged: the port still works). */
static void eth_spread_reta(struct qv_ethdev_port *e, uint16_t nrxq)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	const unsigned size = nrxq < 2 ? 0 : reta_size_of(e);
	int rc;

	if (size == 0)
		return;
	memset(reta, 0, sizeof(reta));
	for (unsigned i = 0; i < size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
		    (uint16_t)(i % nrxq);
	}
	rc = rte_eth_dev_rss_reta_update(e->port_id, reta, (uint16_t)size);
	if (rc != 0 && rc != -ENOTSUP)
		RTE_LOG(WARNING, USER1,
		        "qv-switchd: port %s: device %s refused a RETA of %u entries over %u rx "
		        "queues (%s); it keeps its own\n",
		        e->base.name, e->devname, size, nrxq, rte_strerror(-rc));
}

/* Configures, sets up and starts the (stopped) device as pl says. */
static int eth_apply(struct qv_ethdev_port *e, const struct eth_plan *pl, char *err, size_t errlen)
{
	uint16_t nrx = e->class_rx_desc ? e->class_rx_desc : QV_ETHDEV_DESC, ntx = QV_ETHDEV_DESC;
	uint16_t pid = e->port_id;
	struct rte_mempool *mp;
	int rc, socket;

	socket = rte_eth_dev_socket_id(pid);
	e->base.numa = socket;
	mp = pl->jumbo_pool ? e->pool_sized(socket, (uint32_t)pl->mtu + FRAME_OVERHEAD, err, errlen)
	                    : e->pool(socket, err, errlen);
	rc = rte_eth_dev_configure(pid, pl->nrxq, pl->ntxq, &pl->conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	if (rc == 0 && mp)
		mp = own_pool_if_short(
		    e, mp, socket, (unsigned)pl->nrxq * nrx,
		    pl->jumbo_pool ? RTE_MAX((uint32_t)pl->mtu + FRAME_OVERHEAD, e->class_rx_room)
		                   : 0,
		    err, errlen);
	if (!mp) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "port %s: no buffers for device %s: %s", e->base.name,
		         e->devname, why);
		return -1;
	}
	e->rx_pool = mp;
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot configure %s: %s", e->base.name, e->devname,
		         rte_strerror(-rc));
		return -1;
	}
	for (uint16_t q = 0; q < pl->nrxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, NULL, mp);
		if (rc == -ENOMEM) { /* the device fills its ring from the pool up front */
			snprintf(err, errlen,
			         "port %s: not enough packet buffers for rx queue %u of %s: it "
			         "takes %u, pool %s has %u of %u free (raise --mbufs, or give the "
			         "port fewer queues)",
			         e->base.name, q, e->devname, nrx, mp->name,
			         rte_mempool_avail_count(mp), mp->size);
			return -1;
		}
		if (rc != 0) {
			snprintf(err, errlen, "port %s: rx queue %u setup failed: %s", e->base.name,
			         q, rte_strerror(-rc));
			return -1;
		}
	}
	for (uint16_t q = 0; q < pl->ntxq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: tx queue %u setup failed: %s", e->base.name,
			         q, rte_strerror(-rc));
			return -1;
		}
	}
	if (pl->conf.intr_conf.lsc && !e->lsc &&
	    rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_INTR_LSC, eth_lsc_event, e) == 0)
		e->lsc = true;
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot start %s: %s", e->base.name, e->devname,
		         rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(pid); /* not every vdev supports it; a switch port wants it */
	if (pl->conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS)
		eth_spread_reta(e, pl->nrxq);
	e->base.n_rxq = pl->nrxq;
	e->base.n_txq = pl->ntxq;
	atomic_store(&e->base.mtu, pl->mtu);
	e->scatter = pl->scatter;
	e->jumbo_pool = pl->jumbo_pool;
	e->rss_hf = pl->conf.rx_adv_conf.rss_conf.rss_hf;
	return 0;
}

/* Applies a new queue count or MTU to a running port the switch stopped polling: a plan
 * checked first (nothing changes if the device refuses it), then stop, reconfigure, start;
 * if that fails the old configuration is put back. */
static int eth_reconfigure(struct qv_ethdev_port *e, uint16_t nrxq, uint16_t ntxq, uint16_t mtu,
                           char *err, size_t errlen)
{
	struct eth_plan pl, old;
	char ignored[256];

	if (eth_plan(e, nrxq, ntxq, mtu, &pl, err, errlen) != 0)
		return -1;
	if (eth_plan(e, e->base.n_rxq, e->base.n_txq, atomic_load(&e->base.mtu), &old, ignored,
	             sizeof(ignored)) != 0)
		old = pl;
	rte_eth_dev_stop(e->port_id);
	if (eth_apply(e, &pl, err, errlen) == 0)
		return 0;
	if (eth_apply(e, &old, ignored, sizeof(ignored)) != 0) {
		RTE_LOG(ERR, USER1, "qv-switchd: port %s: old configuration not restored: %s\n",
		        e->base.name, ignored);
		return -1;
	}
	snprintf(err + strlen(err), errlen - strlen(err),
	         " (device %s refused %u rx/%u tx queues at MTU %u; it keeps %u/%u at MTU %u)",
	         e->devname, nrxq, ntxq, mtu, old.nrxq, old.ntxq, old.mtu);
	return -1;
}

struct qv_port *qv_ethdev_open_as(const struct qv_port_config *cfg, const char *devargs,
                                  const struct qv_ethdev_opts *opts,
                                  const struct qv_port_class *cls, char *err, size_t errlen)
{
	const char *name = cfg->name;
	uint16_t nrxq = cfg->rxq, ntxq = cfg->txq, mtu = cfg->mtu ? cfg->mtu : QV_PORT_DEFAULT_MTU;
	struct qv_ethdev_port *e;
	struct eth_plan pl;
	size_t n;
	int rc;

	if (nrxq == 0 || ntxq == 0 || nrxq > QV_MAX_QUEUES || ntxq > QV_MAX_QUEUES) {
		snprintf(err, errlen, "port %s: rxq and txq must be 1..%d", name, QV_MAX_QUEUES);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "port %s: out of memory", name);
		return NULL;
	}
	e->base.ops = &eth_ops;
	e->base.cls = cls;
	e->pool = cfg->pool;
	e->pool_sized = cfg->pool_sized;
	e->pool_private = cfg->pool_private;
	e->link_event = cfg->link_event;
	pthread_mutex_init(&e->link_lock, NULL);
	e->self_spread = opts->self_spread;
	e->class_max_mtu = opts->max_mtu;
	e->class_rx_room = opts->rx_room;
	e->class_rx_desc = opts->rx_desc;
	snprintf(e->base.name, sizeof(e->base.name), "%s", name);
	snprintf(e->devargs, sizeof(e->devargs), "%s", devargs);
	snprintf(e->iface, sizeof(e->iface), "%s", opts->iface ? opts->iface : "");
	e->base.n_rxq = nrxq;
	e->base.n_txq = ntxq;
	n = strcspn(devargs, ",");
	if (n == 0 || n >= sizeof(e->devname)) {
		snprintf(err, errlen, "port %s: devargs '%s' do not start with a device name", name,
		         devargs);
		free(e);
		return NULL;
	}
	memcpy(e->devname, devargs, n);
	snprintf(e->bus, sizeof(e->bus), "%s", is_pci_address(e->devname) ? "pci" : "vdev");

	if (rte_eth_dev_get_port_by_name(e->devname, &e->port_id) == 0) {
		if (port_id_used[e->port_id]) {
			snprintf(err, errlen, "port %s: device %s is already used by another port",
			         name, e->devname);
			free(e);
			return NULL;
		}
		rc = 0; /* probed at start-up: adopt it */
	} else if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
		snprintf(
		    err, errlen,
		    "port %s: every ethdev port of this DPDK is taken (RTE_MAX_ETHPORTS is %d); "
		    "vhost-user ports (type vhost) do not count against it",
		    name, RTE_MAX_ETHPORTS);
		free(e);
		return NULL;
	} else {
		rc = rte_dev_probe(devargs);
	}
	if (rc != 0) {
		snprintf(err, errlen,
		         "port %s: cannot probe '%s': %s (check the devargs: a PCI address bound "
		         "to vfio-pci, or a vdev such as net_pcap0,rx_pcap=FILE)",
		         name, devargs, rte_strerror(-rc));
		free(e);
		return NULL;
	}
	if (rte_eth_dev_get_port_by_name(e->devname, &e->port_id) != 0) {
		snprintf(err, errlen, "port %s: '%s' probed but is not an ethdev", name, devargs);
		rte_eal_hotplug_remove(e->bus, e->devname);
		free(e);
		return NULL;
	}
	port_id_used[e->port_id] = true;
	if (eth_plan(e, nrxq, ntxq, mtu, &pl, err, errlen) != 0 ||
	    eth_apply(e, &pl, err, errlen) != 0) {
		eth_unplug(e);
		qv_mempool_retire(e->own_pool);
		pthread_mutex_destroy(&e->link_lock);
		free(e);
		return NULL;
	}
	/* the state it opens in, then its changes (polled too: a lost message, no LSC) */
	{
		char why[256];
		bool up = eth_link_now(e, "polled", why, sizeof(why));

		pthread_mutex_lock(&e->link_lock);
		e->link_up = up;
		atomic_store(&e->base.up, up);
		pthread_mutex_unlock(&e->link_lock);
		if (e->iface[0] && !(e->watch = qv_netdev_watch_start(e->iface, eth_netdev_event, e,
		                                                      why, sizeof(why))))
			RTE_LOG(WARNING, USER1, "qv-switchd: port %s: %s; its link is polled\n",
			        name, why);
	}
	return &e->base;
}

static struct qv_port *eth_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	static const struct qv_ethdev_opts none = {0};

	return qv_ethdev_open_as(cfg, cfg->str[ETH_ARG_DEVARGS], &none, &qv_ethdev_port_class, err,
	                         errlen);
}

int qv_ethdev_set(struct qv_port *p, const struct qv_port_config *cfg, char *err, size_t errlen)
{
	struct qv_ethdev_port *e = to_eth(p);

	/* cfg's queue counts are 1 unless given: 0 there means keep (see rpc_handlers.c) */
	return eth_reconfigure(e, cfg->rxq ? cfg->rxq : p->n_rxq, cfg->txq ? cfg->txq : p->n_txq,
	                       atomic_load(&p->mtu), err, errlen);
}

int qv_ethdev_set_mtu(struct qv_port *p, uint16_t mtu, char *err, size_t errlen)
{
	return eth_reconfigure(to_eth(p), p->n_rxq, p->n_txq, mtu, err, errlen);
}

/* ---- the class ---- */

/* "q0:32 q1:32 ..." : how many RETA entries send frames to each rx queue. */
static void reta_summary(struct qv_ethdev_port *e, char *buf, size_t len)
{
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	const unsigned size = reta_size_of(e);
	unsigned count[QV_MAX_QUEUES] = {0};

	buf[0] = '\0';
	if (size == 0)
		return;
	memset(reta, 0, sizeof(reta));
	for (unsigned g = 0; g < (size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;
	     g++)
		reta[g].mask = UINT64_MAX;
	if (rte_eth_dev_rss_reta_query(e->port_id, reta, (uint16_t)size) != 0)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint16_t q = reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];

		if (q < QV_MAX_QUEUES)
			count[q]++;
	}
	for (uint16_t q = 0; q < e->base.n_rxq; q++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sq%u:%u", q ? " " : "", q,
		         count[q]);
}

unsigned qv_ethdev_describe(const struct qv_port *p, struct qv_port_field *out)
{
	struct qv_ethdev_port *e = (struct qv_ethdev_port *)(uintptr_t)p;
	unsigned n = 0;

	out[n++] = (struct qv_port_field){.key = "devargs", .str = e->devargs};
	/* port.list has always carried "client" for every port; readers rely on it */
	out[n++] = (struct qv_port_field){.key = "client", .type = QV_PORT_FIELD_BOOL};
	out[n++] = (struct qv_port_field){.key = "link_detect",
	                                  .str = e->lsc     ? "interrupt"
	                                         : e->watch ? "netlink"
	                                                    : "polled"};
	out[n++] =
	    (struct qv_port_field){.key = "rss_hf", .type = QV_PORT_FIELD_UINT, .num = e->rss_hf};
	out[n++] = (struct qv_port_field){.key = "rx_buffers",
	                                  .str = e->scatter      ? "chained"
	                                         : e->jumbo_pool ? "jumbo"
	                                                         : "standard"};
	if (e->base.n_rxq > 1) {
		reta_summary(e, e->reta_text, sizeof(e->reta_text));
		if (e->reta_text[0])
			out[n++] = (struct qv_port_field){.key = "reta", .str = e->reta_text};
	}
	if (e->iface[0])
		out[n++] = (struct qv_port_field){.key = "iface", .str = e->iface};
	if (e->rx_pool)
		out[n++] = (struct qv_port_field){.key = "rx_pool", .str = e->rx_pool->name};
	return n;
}

static const struct qv_port_arg eth_args[ETH_N_ARGS] = {
    [ETH_ARG_DEVARGS] = {"devargs", QV_PORT_ARG_STR, true},
    [ETH_ARG_RXQ] = {"rxq", QV_PORT_ARG_RXQ, false},
    [ETH_ARG_TXQ] = {"txq", QV_PORT_ARG_TXQ, false},
};

static const struct qv_port_arg eth_set_args[] = {
    {"rxq", QV_PORT_ARG_RXQ, false},
    {"txq", QV_PORT_ARG_TXQ, false},
};

/* No conflicts hook: opening finds a device already owned by another port itself. */
const struct qv_port_class qv_ethdev_port_class = {
    .kind = QV_PORT_KIND_DPDK,
    .name = "dpdk",
    .args = eth_args,
    .n_args = ETH_N_ARGS,
    .open = eth_open,
    .describe = qv_ethdev_describe,
    .set_args = eth_set_args,
    .n_set_args = 2,
    .set = qv_ethdev_set,
    .set_mtu = qv_ethdev_set_mtu,
};
