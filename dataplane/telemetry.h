/* qwikvirt: the switch's views as DPDK telemetry endpoints (/qv/ports, /qv/pmds, /qv/drops,
 * /qv/flows), so that dpdk-telemetry.py and other DPDK tooling can read them. */
#ifndef QV_TELEMETRY_H
#define QV_TELEMETRY_H

int qv_telemetry_register(void);

#endif
