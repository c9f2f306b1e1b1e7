/* qwikvirt: per-NUMA-node mbuf pools shared by every port on that node.
 * Created on first use by the control thread; never freed while the switch runs. */
#ifndef QV_MEMPOOL_H
#define QV_MEMPOOL_H

#include <rte_mempool.h>

/* Number of mbufs per pool (set before the first port is added; --mbufs). */
extern unsigned qv_mempool_size;

/* Returns the pool for NUMA node `socket` (SOCKET_ID_ANY or -1: the caller's node), creating
 * it on first use and falling back to any node if that node has no memory. NULL with err. */
struct rte_mempool *qv_mempool_get(int socket, char *err, size_t errlen);

/* What a pool holds now, for the views (slow path: walks every lcore's cache). */
struct qv_mempool_stats {
	const char *name;
	unsigned size, in_use, free; /* mbufs; free counts the lcores' caches too */
};

/* The pool of NUMA node `socket` (as qv_mempool_get resolves it) if one was made: 0 and
 * *out filled, or -1 when none exists yet (it is not created here). */
int qv_mempool_stats(int socket, struct qv_mempool_stats *out);

#endif
