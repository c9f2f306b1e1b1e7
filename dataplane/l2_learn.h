/* qwikvirt: the MAC learning table for ports whose default is L2 switching.
 * Shared by all PMDs without locks: each entry is two 64-bit words written atomically. */
#ifndef QV_L2_LEARN_H
#define QV_L2_LEARN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define QV_L2_ENTRIES 8192 /* power of two */
#define QV_L2_PROBE 4      /* slots looked at per MAC */

/* macport: the MAC in bits 63..16, port index + 1 in bits 15..0; 0 = a free entry. */
#define QV_L2_PORT_MASK 0xffffull

struct qv_l2_entry {
	_Atomic uint64_t macport; /* see QV_L2_PORT_MASK */
	_Atomic uint64_t seen;    /* TSC of the last packet from this MAC */
};

extern struct qv_l2_entry qv_l2_table[QV_L2_ENTRIES];
extern uint64_t qv_l2_aging_tsc;

static inline uint64_t qv_l2_mac_bits(const uint8_t mac[6])
{
	return (uint64_t)mac[0] << 56 | (uint64_t)mac[1] << 48 | (uint64_t)mac[2] << 40 |
	       (uint64_t)mac[3] << 32 | (uint64_t)mac[4] << 24 | (uint64_t)mac[5] << 16;
}

static inline uint64_t qv_l2_port_bits(uint16_t port)
{
	return (uint64_t)port + 1;
}

/* The port index of a used entry's macport. */
static inline uint16_t qv_l2_entry_port(uint64_t macport)
{
	return (uint16_t)((macport & QV_L2_PORT_MASK) - 1);
}

static inline uint32_t qv_l2_slot(uint64_t macbits)
{
	uint64_t h = macbits * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 40) & (QV_L2_ENTRIES - 1);
}

/* Fast path: remember that `mac` lives behind `port`. */
static inline void qv_l2_learn(const uint8_t mac[6], uint16_t port, uint64_t now)
{
	uint64_t bits = qv_l2_mac_bits(mac), want = bits | qv_l2_port_bits(port);
	uint32_t s = qv_l2_slot(bits), victim = s;
	uint64_t oldest = UINT64_MAX;

	for (uint32_t i = 0; i < QV_L2_PROBE; i++) {
		struct qv_l2_entry *e = &qv_l2_table[(s + i) & (QV_L2_ENTRIES - 1)];
		uint64_t mp = atomic_load_explicit(&e->macport, memory_order_relaxed);
		uint64_t seen = atomic_load_explicit(&e->seen, memory_order_relaxed);

		if ((mp & ~QV_L2_PORT_MASK) == bits && mp != 0) {
			if (mp != want) /* the MAC moved */
				atomic_store_explicit(&e->macport, want, memory_order_relaxed);
			if (now - seen > 1000) /* don't dirty the line on every packet */
				atomic_store_explicit(&e->seen, now, memory_order_relaxed);
			return;
		}
		if (mp == 0 || now - seen > qv_l2_aging_tsc) {
			victim = (s + i) & (QV_L2_ENTRIES - 1);
			oldest = 0;
			break;
		}
		if (seen < oldest) {
			oldest = seen;
			victim = (s + i) & (QV_L2_ENTRIES - 1);
		}
	}
	atomic_store_explicit(&qv_l2_table[victim].seen, now, memory_order_relaxed);
	atomic_store_explicit(&qv_l2_table[victim].macport, want, memory_order_relaxed);
}

/* Fast path: the port a MAC was learned on, or -1 (unknown or aged out). */
static inline int qv_l2_lookup(const uint8_t mac[6], uint64_t now)
{
	uint64_t bits = qv_l2_mac_bits(mac);
	uint32_t s = qv_l2_slot(bits);

	for (uint32_t i = 0; i < QV_L2_PROBE; i++) {
		struct qv_l2_entry *e = &qv_l2_table[(s + i) & (QV_L2_ENTRIES - 1)];
		uint64_t mp = atomic_load_explicit(&e->macport, memory_order_relaxed);

		if (mp != 0 && (mp & ~QV_L2_PORT_MASK) == bits) {
			if (now - atomic_load_explicit(&e->seen, memory_order_relaxed) >
			    qv_l2_aging_tsc)
				return -1;
			return qv_l2_entry_port(mp);
		}
	}
	return -1;
}

/* Slow path: forget every MAC learned on a port (it was removed). */
void qv_l2_flush_port(uint16_t port);

#endif
