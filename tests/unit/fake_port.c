/* qwikvirt: the fake port class of the unit tests (see fake_port.h). Single-threaded: the test
 * is both the PMD and the peer. */
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/switch.h"
#include "tests/unit/fake_port.h"

struct fake_port {
	struct qv_port base;
	struct rte_mbuf *rx[QV_FAKE_DEPTH];
	uint16_t rx_head, rx_n;
	struct rte_mbuf *tx[QV_FAKE_DEPTH];
	uint16_t tx_n, room;
	struct qv_nic_counters nic; /* what the "device" says it dropped */
};

static struct fake_port *to_fake(struct qv_port *p)
{
	return (struct fake_port *)p;
}

static uint16_t fake_rx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct fake_port *f = to_fake(p);
	uint16_t k = 0;

	(void)q;
	while (k < n && f->rx_head < f->rx_n)
		pkts[k++] = f->rx[f->rx_head++];
	if (f->rx_head == f->rx_n)
		f->rx_head = f->rx_n = 0;
	return k;
}

/* Takes what fits in the room and the sink; the mbufs taken are the sink's (port.h). */
static uint16_t fake_tx(struct qv_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct fake_port *f = to_fake(p);
	uint16_t k = 0;

	(void)q;
	while (k < n && f->room > 0 && f->tx_n < QV_FAKE_DEPTH) {
		f->tx[f->tx_n++] = pkts[k++];
		f->room--;
	}
	return k;
}

static void fake_close(struct qv_port *p)
{
	qv_fake_port_clear(p);
	free(p);
}

static int fake_nic_counters(struct qv_port *p, struct qv_nic_counters *out)
{
	*out = to_fake(p)->nic;
	return 0;
}

void qv_fake_port_set_nic(struct qv_port *p, const struct qv_nic_counters *c)
{
	to_fake(p)->nic = *c;
}

static const struct qv_port_ops fake_ops = {
    .rx_burst = fake_rx,
    .tx_burst = fake_tx,
    .close = fake_close,
    .nic_counters = fake_nic_counters,
};

static struct qv_port *fake_open(const struct qv_port_config *cfg, char *err, size_t errlen)
{
	struct fake_port *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "port %s: out of memory", cfg->name);
		return NULL;
	}
	f->base.ops = &fake_ops;
	f->base.cls = &qv_fake_port_class;
	snprintf(f->base.name, sizeof(f->base.name), "%s", cfg->name);
	f->base.n_rxq = cfg->rxq;
	f->base.n_txq = cfg->txq;
	f->base.numa = -1;
	f->room = UINT16_MAX;
	atomic_store(&f->base.up, true);
	return &f->base;
}

const struct qv_port_class qv_fake_port_class = {
    .kind = QV_PORT_KIND_MAX, /* not offered by port.add */
    .name = "fake",
    .open = fake_open,
};

struct qv_port *qv_fake_port_add(const char *name, char *err, size_t errlen)
{
	struct qv_port_params pp = {
	    .cls = &qv_fake_port_class,
	    .cfg = {.name = name, .rxq = 1, .txq = 1},
	    .dflt = QV_PORT_DEFAULT_DROP,
	    .admin_up = true,
	};

	if (qv_switch_port_add(&pp, err, errlen) != 0)
		return NULL;
	return qv_switch_port_by_name(name);
}

void qv_fake_port_push(struct qv_port *p, struct rte_mbuf *m)
{
	struct fake_port *f = to_fake(p);

	if (f->rx_n < QV_FAKE_DEPTH)
		f->rx[f->rx_n++] = m;
	else
		rte_pktmbuf_free(m);
}

void qv_fake_port_set_room(struct qv_port *p, uint16_t room)
{
	to_fake(p)->room = room;
}

uint16_t qv_fake_port_sent(const struct qv_port *p)
{
	return ((const struct fake_port *)p)->tx_n;
}

struct rte_mbuf *qv_fake_port_sent_at(const struct qv_port *p, uint16_t i)
{
	const struct fake_port *f = (const struct fake_port *)p;

	return i < f->tx_n ? f->tx[i] : NULL;
}

void qv_fake_port_clear(struct qv_port *p)
{
	struct fake_port *f = to_fake(p);

	for (uint16_t i = 0; i < f->tx_n; i++)
		rte_pktmbuf_free(f->tx[i]);
	for (uint16_t i = f->rx_head; i < f->rx_n; i++)
		rte_pktmbuf_free(f->rx[i]);
	f->tx_n = f->rx_head = f->rx_n = 0;
}
