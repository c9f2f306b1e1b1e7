/* qv-bench ports: queue set-up on any ethdev (virtio-user, net_vhost, PCI, other vdevs) and the
 * link wait, which sleeps rather than spins because the switch under test may share our CPU. */
#include "port.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

int bench_port_setup(uint16_t p, struct rte_mempool *mp, unsigned int nb_desc, uint32_t max_len)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = (uint16_t)nb_desc, nb_txd = (uint16_t)nb_desc;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p, &info);
	if (rc) {
		fprintf(stderr, "qv-bench: port %u: cannot get device info: %s\n", p,
		        rte_strerror(-rc));
		return rc;
	}
	/* max_len is a frame size, FCS included, as RTE_ETHER_MAX_LEN (1518) is */
	if (max_len > RTE_ETHER_MAX_LEN) {
		uint32_t mtu = max_len - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
		if (mtu <= info.max_mtu)
			conf.rxmode.mtu = mtu;
		else
			fprintf(stderr, "qv-bench: warning: port %u (%s): max MTU %u < %u\n", p,
			        info.driver_name, info.max_mtu, mtu);
		/* a frame plus the device's own header (virtio-net's 12 bytes) may not fit one
		 * mbuf: let it arrive in several, as a switch's jumbo frames do */
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	rc = rte_eth_dev_configure(p, 1, 1, &conf);
	if (!rc)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(p, &nb_rxd, &nb_txd);
	int sock = rte_eth_dev_socket_id(p);
	unsigned int socket = sock < 0 ? rte_socket_id() : (unsigned int)sock;
	if (!rc)
		rc = rte_eth_rx_queue_setup(p, 0, nb_rxd, socket, NULL, mp);
	if (!rc)
		rc = rte_eth_tx_queue_setup(p, 0, nb_txd, socket, NULL);
	if (!rc)
		rc = rte_eth_dev_start(p);
	if (rc) {
		fprintf(stderr, "qv-bench: port %u (%s): set-up failed: %s\n", p, info.driver_name,
		        rte_strerror(-rc));
		return rc;
	}
	/* Best effort: virtio without a control queue cannot, and does not need to. */
	rc = rte_eth_promiscuous_enable(p);
	if (rc && rc != -ENOTSUP)
		fprintf(stderr, "qv-bench: warning: port %u: promiscuous mode: %s\n", p,
		        rte_strerror(-rc));
	return 0;
}

int bench_ports_wait_up(uint16_t nports, double wait_s, double settle_ms)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t end = rte_get_tsc_cycles() + (uint64_t)(wait_s * (double)hz);

	for (;;) {
		int down = -1;
		for (uint16_t p = 0; p < nports && down < 0; p++) {
			struct rte_eth_link link;
			if (rte_eth_link_get_nowait(p, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_DOWN)
				down = p;
		}
		if (down < 0)
			break;
		if (rte_get_tsc_cycles() >= end) {
			fprintf(stderr,
			        "qv-bench: port %d link still down after %.1f s: is the switch up "
			        "and its vhost-user socket at the --vdev path?\n",
			        down, wait_s);
			return -1;
		}
		rte_delay_us_sleep(10000);
	}
	if (settle_ms > 0)
		rte_delay_us_sleep((unsigned int)(settle_ms * 1000));
	return 0;
}

void bench_ports_close(uint16_t nports)
{
	for (uint16_t p = 0; p < nports; p++) {
		int rc = rte_eth_dev_stop(p);
		if (rc)
			fprintf(stderr, "qv-bench: warning: port %u: stop: %s\n", p,
			        rte_strerror(-rc));
		rte_eth_dev_close(p);
	}
}
