/* qwikvirt: per-NUMA-node mbuf pools (see mempool.h).
 * One pool per node keeps buffers local to the PMD and the device that fill them. */
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "pmd-glue/mempool.h"

unsigned qv_mempool_size = 16384;

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];

struct rte_mempool *qv_mempool_get(int socket, char *err, size_t errlen)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = (int)rte_socket_id();
	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	if (pools[socket])
		return pools[socket];
	snprintf(name, sizeof(name), "qv_mbuf_n%d", socket);
	mp = rte_pktmbuf_pool_create(name, qv_mempool_size, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                             socket);
	if (!mp) /* the node may have no hugepages: any node beats no port at all */
		mp = rte_pktmbuf_pool_create(name, qv_mempool_size, 256, 0,
		                             RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!mp) {
		snprintf(err, errlen,
		         "cannot create a pool of %u mbufs on NUMA node %d: %s (more hugepages, "
		         "or a smaller --mbufs)",
		         qv_mempool_size, socket, rte_strerror(rte_errno));
		return NULL;
	}
	pools[socket] = mp;
	return mp;
}

/* Resolves the node as qv_mempool_get does, without the calling thread's node: a view asks
 * for a PMD's node, and an unknown one (-1) is node 0's pool. */
int qv_mempool_stats(int socket, struct qv_mempool_stats *out)
{
	struct rte_mempool *mp;

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES)
		socket = 0;
	mp = pools[socket];
	if (!mp)
		return -1;
	out->name = mp->name;
	out->size = mp->size;
	out->free = rte_mempool_avail_count(mp);
	out->in_use = rte_mempool_in_use_count(mp);
	return 0;
}
