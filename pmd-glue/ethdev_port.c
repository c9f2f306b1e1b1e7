/* qwikvirt: ethdev ports (see ethdev_port.h).
 * The rx/tx path is a thin wrapper over rte_eth_rx_burst / rte_eth_tx_burst. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "pmd-glue/ethdev_port.h"

#define QV_ETHDEV_DESC 1024

/* ethdevs owned by a qwikvirt port; a device EAL probed at start-up (a PCI NIC on the
 * allow-list) is free to be adopted by the first port that names it. */
static bool port_id_used[RTE_MAX_ETHPORTS];

/* Arguments of port.add for an ethdev port, in qv_port_config.str order. */
enum { ETH_ARG_DEVARGS, ETH_ARG_RXQ, ETH_ARG_TXQ, ETH_N_ARGS };

struct qv_ethdev_port {
	struct qv_port base;
	char devargs[256];
	struct rte_mempool *(*pool)(int numa, char *err, size_t errlen);
	uint16_t port_id;
	char devname[RTE_DEV_NAME_MAX_LEN];
	char bus[16];
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

/* ---- slow path ---- */

static void eth_unplug(struct qv_ethdev_port *e)
{
	port_id_used[e->port_id] = false;
	rte_eth_dev_stop(e->port_id);
	rte_eth_dev_close(e->port_id);
	rte_eal_hotplug_remove(e->bus, e->devname);
}

static void eth_close(struct qv_port *p)
{
	struct qv_ethdev_port *e = to_eth(p);

	eth_unplug(e);
	free(e);
}

static const struct qv_port_ops eth_ops = {
    .rx_burst = eth_rx,
    .tx_burst = eth_tx,
    .close = eth_close,
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

static int setup_queues(struct qv_ethdev_port *e, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nrx = QV_ETHDEV_DESC, ntx = QV_ETHDEV_DESC;
	struct rte_mempool *mp;
	uint16_t pid = e->port_id;
	int rc, socket;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", e->base.name,
		         rte_strerror(-rc));
		return -1;
	}
	if (e->base.n_rxq > info.max_rx_queues || e->base.n_txq > info.max_tx_queues) {
		snprintf(err, errlen,
		         "port %s: device %s supports at most %u rx and %u tx queues (asked %u/%u)",
		         e->base.name, e->devname, info.max_rx_queues, info.max_tx_queues,
		         e->base.n_rxq, e->base.n_txq);
		return -1;
	}
	socket = rte_eth_dev_socket_id(pid);
	e->base.numa = socket;
	mp = e->pool(socket, err, errlen);
	if (!mp)
		return -1;
	rc = rte_eth_dev_configure(pid, e->base.n_rxq, e->base.n_txq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot configure %s: %s", e->base.name, e->devname,
		         rte_strerror(-rc));
		return -1;
	}
	for (uint16_t q = 0; q < e->base.n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrx, socket, NULL, mp);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: rx queue %u setup failed: %s", e->base.name,
			         q, rte_strerror(-rc));
			return -1;
		}
	}
	for (uint16_t q = 0; q < e->base.n_txq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, ntx, socket, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: tx queue %u setup failed: %s", e->base.name,
			         q, rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_dev_start(pid);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot start %s: %s", e->base.name, e->devname,
		         rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(pid); /* not every vdev supports it; a switch port wants it */
	atomic_store(&e->base.up, true); /* a NIC with its link down drops in hardware */
	return 0;
}

static struct qv_port *eth_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	const char *name = cfg->name, *devargs = cfg->str[ETH_ARG_DEVARGS];
	uint16_t nrxq = cfg->rxq, ntxq = cfg->txq;
	struct qv_ethdev_port *e;
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
	e->base.cls = &qv_ethdev_port_class;
	e->pool = cfg->pool;
	snprintf(e->base.name, sizeof(e->base.name), "%s", name);
	snprintf(e->devargs, sizeof(e->devargs), "%s", devargs);
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
	if (setup_queues(e, err, errlen) != 0) {
		eth_unplug(e);
		free(e);
		return NULL;
	}
	return &e->base;
}

/* ---- the class ---- */

static unsigned eth_describe(const struct qv_port *p, struct qv_port_field *out)
{
	const struct qv_ethdev_port *e = (const struct qv_ethdev_port *)p;

	out[0] = (struct qv_port_field){.key = "devargs", .str = e->devargs};
	/* port.list has always carried "client" for every port; readers rely on it */
	out[1] = (struct qv_port_field){.key = "client", .type = QV_PORT_FIELD_BOOL};
	return 2;
}

static const struct qv_port_arg eth_args[ETH_N_ARGS] = {
    [ETH_ARG_DEVARGS] = {"devargs", QV_PORT_ARG_STR, true},
    [ETH_ARG_RXQ] = {"rxq", QV_PORT_ARG_RXQ, false},
    [ETH_ARG_TXQ] = {"txq", QV_PORT_ARG_TXQ, false},
};

/* No conflicts hook: opening finds a device already owned by another port itself. */
const struct qv_port_class qv_ethdev_port_class = {
    .kind = QV_PORT_KIND_DPDK,
    .name = "dpdk",
    .args = eth_args,
    .n_args = ETH_N_ARGS,
    .open = eth_open,
    .describe = eth_describe,
};
