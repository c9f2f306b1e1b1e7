/* qwikvirt: per-NUMA-node mbuf pools (see mempool.h).
 * One pool per node keeps buffers local to the PMD and the device that fill them. */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "pmd-glue/mempool.h"

unsigned qv_mempool_size = 16384;

enum { POOL_STD, POOL_JUMBO, POOL_KINDS };

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES][POOL_KINDS];

static struct rte_mempool *pool_get(int socket, int kind, char *err, size_t errlen)
{
	static const char *const kind_name[POOL_KINDS] = {"mbuf", "jumbo"};
	uint16_t room = kind == POOL_STD ? RTE_MBUF_DEFAULT_BUF_SIZE
	                                 : (uint16_t)(RTE_PKTMBUF_HEADROOM + QV_MEMPOOL_JUMBO_ROOM);
	unsigned n = kind == POOL_STD ? qv_mempool_size : RTE_MAX(qv_mempool_size / 4, 2048u);
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = (int)rte_socket_id();
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket][kind])
		return pools[socket][kind];
	snprintf(name, sizeof(name), "qv_%s_n%d", kind_name[kind], socket);
	mp = rte_pktmbuf_pool_create(name, n, 256, 0, room, socket);
	if (!mp) /* the node may have no hugepages: any node beats no port at all */
		mp = rte_pktmbuf_pool_create(name, n, 256, 0, room, SOCKET_ID_ANY);
	if (!mp) {
		snprintf(err, errlen,
		         "cannot create a pool of %u %s buffers (%u B each) on NUMA node %d: %s "
		         "(more hugepages, or a smaller --mbufs)",
		         n, kind_name[kind], room, socket, rte_strerror(rte_errno));
		return NULL;
	}
	pools[socket][kind] = mp;
	return mp;
}

struct rte_mempool *qv_mempool_get(int socket, char *err, size_t errlen)
{
	return pool_get(socket, POOL_STD, err, errlen);
}

struct rte_mempool *qv_mempool_get_sized(int socket, uint32_t data_room, char *err, size_t errlen)
{
	if (data_room <= RTE_MBUF_DEFAULT_DATAROOM)
		return pool_get(socket, POOL_STD, err, errlen);
	if (data_room > QV_MEMPOOL_JUMBO_ROOM) {
		snprintf(err, errlen, "no buffer pool holds %u B frames in one buffer (at most %u)",
		         data_room, QV_MEMPOOL_JUMBO_ROOM);
		return NULL;
	}
	return pool_get(socket, POOL_JUMBO, err, errlen);
}

#define MAX_RETIRED 64
static struct rte_mempool *retired[MAX_RETIRED];

static void sweep_retired(void)
{
	for (unsigned i = 0; i < MAX_RETIRED; i++)
		if (retired[i] && rte_mempool_full(retired[i])) {
			rte_mempool_free(retired[i]);
			retired[i] = NULL;
		}
}

void qv_mempool_retire(struct rte_mempool *mp)
{
	if (!mp)
		return;
	sweep_retired();
	if (rte_mempool_full(mp)) {
		rte_mempool_free(mp);
		return;
	}
	for (unsigned i = 0; i < MAX_RETIRED; i++)
		if (!retired[i]) {
			retired[i] = mp;
			return;
		}
	/* more than MAX_RETIRED pools with buffers out: keep this one for good (a leak beats
	 * a buffer freed into released memory) */
}

struct rte_mempool *qv_mempool_create_private(const char *port, int socket, unsigned n,
                                              uint32_t data_room, char *err, size_t errlen)
{
	static unsigned serial; /* pool names must be unique while they live */
	uint16_t room = (uint16_t)(RTE_PKTMBUF_HEADROOM + (data_room > RTE_MBUF_DEFAULT_DATAROOM
	                                                       ? QV_MEMPOOL_JUMBO_ROOM
	                                                       : RTE_MBUF_DEFAULT_DATAROOM));
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	sweep_retired();
	snprintf(name, sizeof(name), "qv_p%u_%.16s", serial++, port);
	/* A per-lcore cache must fit 1.5 times in the pool (rte_mempool_create): a small pool
	 * (a vhost port's mbufs=N) has none. */
	unsigned cache = n >= 384 ? 256 : 0;

	mp = rte_pktmbuf_pool_create(name, n, cache, 0, room, socket < 0 ? SOCKET_ID_ANY : socket);
	if (!mp && socket >= 0)
		mp = rte_pktmbuf_pool_create(name, n, cache, 0, room, SOCKET_ID_ANY);
	if (!mp)
		snprintf(err, errlen,
		         "cannot create a pool of %u buffers (%u B each) for port %s: %s (more "
		         "hugepages, or fewer queues)",
		         n, room, port, rte_strerror(rte_errno));
	return mp;
}

struct walk_ctx {
	struct qv_mempool_info *out;
	unsigned max, n;
};

static void walk_one(struct rte_mempool *mp, void *arg)
{
	struct walk_ctx *w = arg;

	/* the switch's: shared qv_mbuf_nN / qv_jumbo_nN, and ports' own qv_pN_PORT */
	if (w->n == w->max ||
	    (strncmp(mp->name, "qv_mbuf_", 8) != 0 && strncmp(mp->name, "qv_jumbo_", 9) != 0 &&
	     strncmp(mp->name, "qv_p", 4) != 0))
		return;
	snprintf(w->out[w->n].name, sizeof(w->out[w->n].name), "%s", mp->name);
	w->out[w->n].size = mp->size;
	w->out[w->n].in_use = rte_mempool_in_use_count(mp);
	w->out[w->n].data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	w->n++;
}

unsigned qv_mempool_list(struct qv_mempool_info *out, unsigned max)
{
	struct walk_ctx w = {out, max, 0};

	rte_mempool_walk(walk_one, &w);
	return w.n;
}

/* Resolves the node as qv_mempool_get does, without the calling thread's node: a view asks
 * for a PMD's node, and an unknown one (-1) is node 0's pool. */
int qv_mempool_stats(int socket, struct qv_mempool_stats *out)
{
	struct rte_mempool *mp;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	mp = pools[socket][POOL_STD];
	if (!mp)
		return -1;
	out->name = mp->name;
	out->size = mp->size;
	out->free = rte_mempool_avail_count(mp);
	out->in_use = rte_mempool_in_use_count(mp);
	return 0;
}
