/* qwikvirt: a minimal pcapng writer — one section, one Ethernet interface named after the
 * switch port, packets with their direction, and drop counts at the end (ISB). */
#ifndef QV_PCAPNG_H
#define QV_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

#define QV_PCAPNG_INBOUND 1
#define QV_PCAPNG_OUTBOUND 2

/* Section header + interface description; returns bytes written or -1. */
long qv_pcapng_write_header(FILE *f, const char *ifname, uint32_t snaplen, const char *comment);
/* One enhanced packet block; ts in nanoseconds since the epoch. Returns bytes or -1. */
long qv_pcapng_write_packet(FILE *f, uint64_t ts_ns, const void *data, uint32_t caplen,
                            uint32_t origlen, int direction);
/* Interface statistics: packets received by the capture and dropped before the file. */
long qv_pcapng_write_stats(FILE *f, uint64_t ts_ns, uint64_t recv, uint64_t drop);

#endif
