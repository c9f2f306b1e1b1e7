/* qwikvirt: kernel-facing port classes over the ethdev one: af_packet and af_xdp on a Linux
 * netdev, and vhost_kernel (a tap the switch creates, virtio-user on /dev/vhost-net: DPDK's
 * exception path). Each builds the vdev devargs from the netdev name and checks it first. */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ether.h>

#include "pmd-glue/ethdev_port.h"
#include "pmd-glue/kernel_port.h"
#include "pmd-glue/mempool.h"

/* af_packet rings. The PMD needs every rx mbuf to hold a whole ring frame past its TPACKET2
 * header (frame size - 32 B), so the frame size follows the MTU the port opens with: DPDK's
 * default 2048 B frames (standard buffers) up to MTU 1500, else 10 KiB frames (jumbo
 * buffers). The PMD walks the ring as if frames were contiguous, so a block (a page
 * multiple) must hold a whole number of frames with nothing left over: 2 here. */
#define AFP_HDR_LESS 32u /* TPACKET2_HDRLEN - sizeof(struct sockaddr_ll) */
#define AFP_HDR 64u      /* what a ring frame gives to headers before the frame */
#define AFP_FRAMESZ_STD 2048u
#define AFP_FRAMESZ_JUMBO 10240u
#define AFP_FRAMECNT 512u

/* af_xdp rx ring: twice the PMD's fill ring (ETH_AF_XDP_DFLT_NUM_DESCS), see afxdp_open. */
#define AFXDP_RX_DESC 4096u

static unsigned afp_max_mtu(unsigned framesz)
{
	return framesz - AFP_HDR - RTE_ETHER_HDR_LEN - 8;
}

enum { K_ARG_IFACE, K_ARG_QUEUES, K_N_ARGS };

static const struct qv_port_arg kernel_args[K_N_ARGS] = {
    [K_ARG_IFACE] = {"iface", QV_PORT_ARG_STR, true},
    [K_ARG_QUEUES] = {"queues", QV_PORT_ARG_QUEUES, false},
};

static const struct qv_port_arg kernel_set_args[] = {
    {"queues", QV_PORT_ARG_QUEUES, false},
};

/* The netdev name is a Linux interface name (it goes into devargs, so no commas). */
static int check_iface_name(const char *port, const char *iface, char *err, size_t errlen)
{
	size_t n = strlen(iface);

	if (n == 0 || n >= IF_NAMESIZE || strpbrk(iface, ",=/ \t\n") != NULL) {
		snprintf(err, errlen,
		         "port %s: '%s' is not a Linux interface name (1..%d characters, no , = / "
		         "or spaces)",
		         port, iface, IF_NAMESIZE - 1);
		return -1;
	}
	return 0;
}

/* The netdev exists (af_packet and af_xdp attach to an existing one). */
static int check_iface_exists(const char *port, const char *iface, char *err, size_t errlen)
{
	if (check_iface_name(port, iface, err, errlen) != 0)
		return -1;
	if (if_nametoindex(iface) == 0) {
		snprintf(err, errlen, "port %s: no network interface '%s' (see ip link show)", port,
		         iface);
		return -1;
	}
	return 0;
}

static struct qv_port *afp_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	const char *iface = cfg->str[K_ARG_IFACE];
	char devargs[256];
	unsigned qpairs = cfg->rxq > cfg->txq ? cfg->rxq : cfg->txq;

	if (check_iface_exists(cfg->name, iface, err, errlen) != 0)
		return NULL;
	unsigned framesz = cfg->mtu > QV_PORT_DEFAULT_MTU ? AFP_FRAMESZ_JUMBO : AFP_FRAMESZ_STD;
	unsigned blocksz = 2 * framesz;

	snprintf(devargs, sizeof(devargs),
	         "net_af_packet_%s,iface=%s,qpairs=%u,framesz=%u,blocksz=%u,framecnt=%u", cfg->name,
	         iface, qpairs, framesz, blocksz, AFP_FRAMECNT);
	/* With several queue pairs the kernel spreads frames by flow hash (PACKET_FANOUT). The
	 * PMD reports a 1518 B max_rx_pktlen whatever its rings hold: what they hold is the
	 * limit. */
	const struct qv_ethdev_opts o = {.iface = iface,
	                                 .self_spread = true,
	                                 .max_mtu = (uint16_t)afp_max_mtu(framesz),
	                                 .rx_room = framesz - AFP_HDR_LESS};

	return qv_ethdev_open_as(cfg, devargs, &o, &qv_af_packet_port_class, err, errlen);
}

static struct qv_port *afxdp_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	const char *iface = cfg->str[K_ARG_IFACE];
	char devargs[256];

	if (check_iface_exists(cfg->name, iface, err, errlen) != 0)
		return NULL;
	/* af_xdp binds one socket per queue of the netdev: its own RSS spreads the frames */
	snprintf(devargs, sizeof(devargs), "net_af_xdp_%s,iface=%s,start_queue=0,queue_count=%u",
	         cfg->name, iface, cfg->rxq);
	/* The PMD gives the kernel 2048 buffers (its fill ring). With an rx ring of that size or
	 * less, frames the PMD does not take in time are lost on a full rx ring, which DPDK
	 * 22.11 does not report (XDP_STATISTICS rx_ring_full); with a larger one the fill ring
	 * runs out first and the kernel counts them as rx_dropped: imissed, nic-missed here. */
	const struct qv_ethdev_opts o = {
	    .iface = iface, .self_spread = true, .rx_desc = AFXDP_RX_DESC};

	return qv_ethdev_open_as(cfg, devargs, &o, &qv_af_xdp_port_class, err, errlen);
}

static struct qv_port *vk_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	const char *iface = cfg->str[K_ARG_IFACE];
	char devargs[256];

	if (check_iface_name(cfg->name, iface, err, errlen) != 0)
		return NULL;
	if (if_nametoindex(iface) != 0) {
		snprintf(err, errlen,
		         "port %s: interface '%s' already exists: a vhost_kernel port creates its "
		         "own tap (pick a new name)",
		         cfg->name, iface);
		return NULL;
	}
	if (access("/dev/vhost-net", R_OK | W_OK) != 0) {
		snprintf(
		    err, errlen,
		    "port %s: /dev/vhost-net is missing or not usable: a vhost_kernel port needs "
		    "the kernel's vhost-net (modprobe vhost_net)",
		    cfg->name);
		return NULL;
	}
	snprintf(devargs, sizeof(devargs),
	         "net_virtio_user_%s,path=/dev/vhost-net,iface=%s,queues=%u,queue_size=1024",
	         cfg->name, iface, cfg->rxq > cfg->txq ? cfg->rxq : cfg->txq);
	const struct qv_ethdev_opts o = {.iface = iface};

	return qv_ethdev_open_as(cfg, devargs, &o, &qv_vhost_kernel_port_class, err, errlen);
}

/* Two ports on one netdev would each see half of its frames. */
static int kernel_conflicts(const struct qv_port *other, const struct qv_port_config *cfg,
                            char *err, size_t errlen)
{
	struct qv_port_field f[QV_PORT_MAX_FIELDS];
	unsigned n = qv_ethdev_describe(other, f);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(f[i].key, "iface") == 0 &&
		    strcmp(f[i].str, cfg->str[K_ARG_IFACE]) == 0) {
			snprintf(err, errlen, "port %s: interface %s is already port %s's",
			         cfg->name, f[i].str, other->name);
			return -1;
		}
	return 0;
}

#define KERNEL_CLASS(sym, kind_, name_, open_)                                                     \
	const struct qv_port_class sym = {                                                         \
	    .kind = kind_,                                                                         \
	    .name = name_,                                                                         \
	    .args = kernel_args,                                                                   \
	    .n_args = K_N_ARGS,                                                                    \
	    .open = open_,                                                                         \
	    .describe = qv_ethdev_describe,                                                        \
	    .set_args = kernel_set_args,                                                           \
	    .n_set_args = 1,                                                                       \
	    .set = qv_ethdev_set,                                                                  \
	    .conflicts = kernel_conflicts,                                                         \
	    .set_mtu = qv_ethdev_set_mtu,                                                          \
	}

KERNEL_CLASS(qv_af_packet_port_class, QV_PORT_KIND_AF_PACKET, "af_packet", afp_open);
KERNEL_CLASS(qv_af_xdp_port_class, QV_PORT_KIND_AF_XDP, "af_xdp", afxdp_open);
KERNEL_CLASS(qv_vhost_kernel_port_class, QV_PORT_KIND_VHOST_KERNEL, "vhost_kernel", vk_open);
