/* qwikvirt: per-NUMA-node mbuf pools shared by every port on that node: one of standard
 * buffers (2 KiB of data) and, for devices that cannot chain buffers, one of jumbo buffers. */
#ifndef QV_MEMPOOL_H
#define QV_MEMPOOL_H

#include <rte_mempool.h>

/* Number of mbufs per pool (set before the first port is added; --mbufs). */
extern unsigned qv_mempool_size;

/* Data room (past the headroom) of the jumbo pool's buffers: 10 KiB, more than the 9216 B
 * frame of the largest MTU any port takes (9194 + Ethernet header and two VLAN tags), as an
 * af_packet ring frame of 10 KiB (a block of 5 pages holds exactly two) needs. */
#define QV_MEMPOOL_JUMBO_ROOM 10240u

/* Returns the pool for NUMA node `socket` (SOCKET_ID_ANY or -1: the caller's node), creating
 * it on first use and falling back to any node if that node has no memory. NULL with err. */
struct rte_mempool *qv_mempool_get(int socket, char *err, size_t errlen);

/* The pool whose buffers hold `data_room` bytes in one segment: the standard pool up to
 * its 2 KiB, else the jumbo pool (a quarter as many buffers, at least 2048). NULL with err
 * when data_room is over QV_MEMPOOL_JUMBO_ROOM or no memory is left. */
struct rte_mempool *qv_mempool_get_sized(int socket, uint32_t data_room, char *err, size_t errlen);

/* A pool of n buffers (data_room bytes each) for port `port` alone, on NUMA node socket (or
 * any node): the port's private pool when the shared one is too small for its rx rings. */
struct rte_mempool *qv_mempool_create_private(const char *port, int socket, unsigned n,
                                              uint32_t data_room, char *err, size_t errlen);

/* Frees a private pool once every buffer is back in it: buffers may still sit in another
 * port's tx ring, so one that is not full is kept and freed by a later call (as OVS does). */
void qv_mempool_retire(struct rte_mempool *mp);

/* One of the switch's packet-buffer pools (shared or a port's own), for show pmd. */
struct qv_mempool_info {
	char name[32];
	unsigned size, in_use;
	uint32_t data_room;
};

/* Up to max of the switch's pools; returns how many. */
unsigned qv_mempool_list(struct qv_mempool_info *out, unsigned max);
/* What a pool holds now, for the views (slow path: walks every lcore's cache). */
struct qv_mempool_stats {
	const char *name;
	unsigned size, in_use, free; /* mbufs; free counts the lcores' caches too */
};

/* The pool of NUMA node `socket` (as qv_mempool_get resolves it) if one was made: 0 and
 * *out filled, or -1 when none exists yet (it is not created here). */
int qv_mempool_stats(int socket, struct qv_mempool_stats *out);

#endif
