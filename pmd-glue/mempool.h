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

#endif
