/* qwikvirt: MAC learning table storage and slow-path maintenance (see l2_learn.h). */
#include <stdatomic.h>

#include "dataplane/l2_learn.h"

struct qv_l2_entry qv_l2_table[QV_L2_ENTRIES];
uint64_t qv_l2_aging_tsc = UINT64_MAX;

void qv_l2_flush_port(uint16_t port)
{
	for (uint32_t i = 0; i < QV_L2_ENTRIES; i++) {
		uint64_t mp = atomic_load(&qv_l2_table[i].macport);

		if (mp != 0 && (mp & QV_L2_PORT_MASK) == qv_l2_port_bits(port))
			atomic_store(&qv_l2_table[i].macport, 0);
	}
}
