/* qwikvirt: qv-switchd's event log lines for state the control loop can see — ports added,
 * removed, up and down with the reason, flow tables published with their size. */
#ifndef QV_SWITCHD_EVENTS_H
#define QV_SWITCHD_EVENTS_H

/* Compares the switch with what the last call saw and logs one line per change. Called by the
 * control loop (qv_sw.lock held) at every turn, at most 200 ms apart: a port that goes down
 * and up again between two turns is not seen. */
void qv_events_tick(void);

#endif
