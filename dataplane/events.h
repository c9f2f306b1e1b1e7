/* qwikvirt: qv-switchd's event log lines for ports (added, removed, up and down with the
 * reason, admin up and down) and flow tables (published with their size). */
#ifndef QV_SWITCHD_EVENTS_H
#define QV_SWITCHD_EVENTS_H

#include <stdbool.h>

#include "qv/port.h"

/* The port's link (or guest) went up or down, for `reason`: logs one line and records the
 * time in p->link_changed_ns. The ports call it (qv_port_config.link_event) at the moment
 * they see the change, from any thread, so a port that goes down and up again between two
 * turns of the control loop still has both lines. Takes no lock but the log's. */
void qv_events_port_link(struct qv_port *p, bool up, const char *reason);

/* The operator set the port admin up or down (control thread). */
void qv_events_port_admin(const struct qv_port *p, bool up);

/* Logs what the control loop's turn finds changed since the last one: ports added and
 * removed, flow tables published. Called with qv_sw.lock held, at most 200 ms apart. */
void qv_events_tick(void);

#endif
