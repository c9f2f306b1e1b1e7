/* qv-bench ports: every EAL ethdev gets one rx and one tx queue; links are awaited with a
 * deadline (a virtio-user port is up once the vhost-user side accepted it). */
#ifndef QV_BENCH_PORT_H
#define QV_BENCH_PORT_H

#include <stdint.h>

#include <rte_mempool.h>

/* Configures and starts port p; returns 0 or a negative errno with a message printed. */
int bench_port_setup(uint16_t p, struct rte_mempool *mp, unsigned int nb_desc, uint32_t max_len);

/* Waits up to wait_s for every port < nports to be up, then settle_ms more (the vhost side
 * enables its queues a little after the link comes up). Returns 0, or -1 naming the port. */
int bench_ports_wait_up(uint16_t nports, double wait_s, double settle_ms);

void bench_ports_close(uint16_t nports);

#endif
