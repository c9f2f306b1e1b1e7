/* qwikvirt: a fake port class for unit tests — an in-memory rx source the test fills and a tx
 * sink it reads, with a settable room so that tx can run full. */
#ifndef QV_FAKE_PORT_H
#define QV_FAKE_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "qv/port.h"

#define QV_FAKE_DEPTH 256

extern const struct qv_port_class qv_fake_port_class;

/* Adds a fake port to the switch through qv_switch_port_add (one rx and one tx queue, up,
 * admin up, default drop). NULL with err. */
struct qv_port *qv_fake_port_add(const char *name, char *err, size_t errlen);
/* Queues m for the next rx_burst (the port owns it until then). */
void qv_fake_port_push(struct qv_port *p, struct rte_mbuf *m);
/* tx takes at most `room` more packets, then reports the rest unsent (tx-full). */
void qv_fake_port_set_room(struct qv_port *p, uint16_t room);
/* Packets sent so far, and the i-th of them (still owned by the sink). */
uint16_t qv_fake_port_sent(const struct qv_port *p);
struct rte_mbuf *qv_fake_port_sent_at(const struct qv_port *p, uint16_t i);
/* Frees what the sink holds and anything not yet received. */
void qv_fake_port_clear(struct qv_port *p);
/* What the port's device reports it dropped itself (port.list shows them as nic-*). */
void qv_fake_port_set_nic(struct qv_port *p, const struct qv_nic_counters *c);

#endif
