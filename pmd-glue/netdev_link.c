/* qwikvirt: a Linux netdev's link (see netdev_link.h): sysfs for the state now, an RTMGRP_LINK
 * netlink socket read on the EAL interrupt thread for each change in order. */
#include "pmd-glue/netdev_link.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_interrupts.h>

#ifndef IFF_LOWER_UP /* linux/if.h has it, but clashes with net/if.h */
#define IFF_LOWER_UP (1 << 16)
#endif

struct qv_netdev_watch {
	char iface[IF_NAMESIZE];
	unsigned ifindex;
	int fd;
	struct rte_intr_handle *intr;
	qv_netdev_link_fn *fn;
	void *arg;
};

bool qv_netdev_carrier(const char *iface)
{
	char path[128], c = '0';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", iface);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

/* One RTM_NEWLINK/RTM_DELLINK: up is IFF_UP with carrier (IFF_LOWER_UP, what sysfs's carrier
 * reads; IFF_RUNNING follows later, when the kernel's linkwatch has run). */
static void link_message(struct qv_netdev_watch *w, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	char why[64];
	bool up = false;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || (unsigned)ifi->ifi_index != w->ifindex)
		return;
	if (h->nlmsg_type == RTM_DELLINK)
		snprintf(why, sizeof(why), "%s removed", w->iface);
	else if (!(ifi->ifi_flags & IFF_UP))
		snprintf(why, sizeof(why), "%s set down", w->iface);
	else if (!(ifi->ifi_flags & IFF_LOWER_UP))
		snprintf(why, sizeof(why), "%s has no carrier", w->iface);
	else
		up = true, snprintf(why, sizeof(why), "%s up with carrier", w->iface);
	w->fn(w->arg, up, why);
}

/* EAL interrupt thread: every queued message, then back to epoll (level-triggered). */
static void watch_readable(void *arg)
{
	struct qv_netdev_watch *w = arg;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		struct sockaddr_nl from;
		socklen_t fromlen = sizeof(from);
		ssize_t got = recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT,
		                       (struct sockaddr *)&from, &fromlen);
		int n = (int)got;

		if (got < 0 && errno == ENOBUFS) { /* the kernel dropped messages: resync */
			bool up = qv_netdev_carrier(w->iface);

			w->fn(w->arg, up,
			      up ? "carrier (read after lost netlink messages)"
			         : "no carrier (read after lost netlink messages)");
			continue;
		}
		if (got <= 0)
			return;
		if (from.nl_pid != 0) /* only the kernel's word counts */
			continue;
		/* NLMSG_OK spelled out: with an int length clang's -Wsign-compare rejects the
		 * macro's unsigned nlmsg_len <= len (and an unsigned length would wrap) */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		     n >= (int)sizeof(*h) && h->nlmsg_len >= sizeof(*h) && (int)h->nlmsg_len <= n;
		     h = NLMSG_NEXT(h, n))
			link_message(w, h);
	}
}

struct qv_netdev_watch *qv_netdev_watch_start(const char *iface, qv_netdev_link_fn *fn, void *arg,
                                              char *err, size_t errlen)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	struct qv_netdev_watch *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "netdev %s: out of memory for its link watch", iface);
		return NULL;
	}
	snprintf(w->iface, sizeof(w->iface), "%s", iface);
	w->fn = fn, w->arg = arg;
	w->ifindex = if_nametoindex(iface);
	w->fd = w->ifindex
	            ? socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE)
	            : -1;
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, "netdev %s: cannot watch its link on rtnetlink: %s", iface,
		         w->ifindex == 0 ? "no such interface" : strerror(errno));
		goto fail;
	}
	w->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (!w->intr || rte_intr_fd_set(w->intr, w->fd) != 0 ||
	    rte_intr_type_set(w->intr, RTE_INTR_HANDLE_EXT) != 0 ||
	    rte_intr_callback_register(w->intr, watch_readable, w) != 0) {
		snprintf(err, errlen,
		         "netdev %s: cannot watch its link on the EAL interrupt thread", iface);
		goto fail;
	}
	return w;
fail:
	rte_intr_instance_free(w->intr);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return NULL;
}

void qv_netdev_watch_stop(struct qv_netdev_watch *w)
{
	if (!w)
		return;
	rte_intr_callback_unregister_sync(w->intr, watch_readable, w);
	rte_intr_instance_free(w->intr);
	close(w->fd);
	free(w);
}
