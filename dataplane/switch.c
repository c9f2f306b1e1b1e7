/* qwikvirt: the switch's slow path — ports added and removed, rx queues spread over the PMDs,
 * flow tables rebuilt and published through RCU. Runs on the control thread under qv_sw.lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_pause.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/dp.h"
#include "dataplane/events.h"
#include "dataplane/flow_table.h"
#include "dataplane/l2_learn.h"
#include "lib/rule_syntax.h"
#include "dataplane/switch.h"
#include "pmd-glue/mempool.h"
#include "vhost/vhost_port.h"

struct qv_switch qv_sw = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* qv_vhost_quiesce, for rte_vhost's destroy_device callback, run after the device was unpublished:
 * a full grace period, with no deadline. It always ends: rte_vhost (22.11) never calls
 * destroy_device while it holds a virtqueue's access_lock (GET_VRING_BASE and RESET_OWNER are
 * handled without the queue locks, a broken connection is torn down after the message handler
 * unlocked them, unregister holds only socket mutexes), so a PMD waiting in rte_vhost_enqueue_burst
 * for a vq lock (a blocking lock; dequeue only tries it) gets it and reaches its quiescent point.
 */
int qv_switch_init(const unsigned *cpus, uint16_t n, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(QV_MAX_PMDS);

	qv_sw.qsbr = rte_zmalloc("qv_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!qv_sw.qsbr || rte_rcu_qsbr_init(qv_sw.qsbr, QV_MAX_PMDS) != 0) {
		snprintf(err, errlen, "cannot set up RCU state: %s", rte_strerror(rte_errno));
		return -1;
	}
	qv_vhost_quiesce = qv_dp_quiesce;
	for (uint16_t i = 0; i < n; i++) {
		struct qv_pmd *pmd;
		unsigned lcore = i + 1u;
		int numa = (int)rte_lcore_to_socket_id(lcore);

		pmd = rte_zmalloc_socket("qv_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE, numa);
		if (pmd)
			pmd->emc = rte_zmalloc_socket("qv_emc", sizeof(*pmd->emc),
			                              RTE_CACHE_LINE_SIZE, numa);
		if (!pmd || !pmd->emc) {
			snprintf(err, errlen, "out of memory for PMD on CPU %u", cpus[i]);
			return -1;
		}
		pmd->lcore = lcore;
		pmd->cpu = cpus[i];
		pmd->numa = numa;
		pmd->index = i;
		qv_sw.pmds[i] = pmd;
	}
	qv_sw.n_pmds = n;
	qv_sw.table_gen = 1;
	qv_sw.next_flow_id = 1;
	if (qv_sw.max_rules == 0)
		qv_sw.max_rules = QV_MAX_RULES_DEFAULT;
	if (qv_sw.l2_aging_s == 0)
		qv_sw.l2_aging_s = 300;
	qv_l2_aging_tsc = (uint64_t)qv_sw.l2_aging_s * rte_get_tsc_hz();
	return qv_switch_publish_table(err, errlen);
}

int qv_switch_start_pmds(void)
{
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		int rc = rte_eal_remote_launch(qv_pmd_main, qv_sw.pmds[i], qv_sw.pmds[i]->lcore);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- rx queue placement ---- */

static struct qv_poll_list *poll_list_alloc(unsigned n)
{
	return calloc(1,
	              sizeof(struct qv_poll_list) + n * sizeof(((struct qv_poll_list *)0)->rxq[0]));
}

static bool poll_list_has(const struct qv_poll_list *pl, const struct qv_port *p, uint16_t q)
{
	for (uint16_t k = 0; pl && k < pl->n; k++)
		if (pl->rxq[k].port == p && pl->rxq[k].queue == q)
			return true;
	return false;
}

/* Spreads every rx queue of every port over the PMDs into lists[]: a PMD on the port's NUMA
 * node first, the least loaded one among those; any PMD when the node has none. */
static void place_rx_queues(struct qv_poll_list **lists, uint16_t n)
{
	uint16_t load[QV_MAX_PMDS] = {0};

	for (uint16_t pi = 0; pi < QV_MAX_PORTS; pi++) {
		struct qv_port *p = atomic_load(&qv_sw.ports[pi]);

		if (!p || p->unpolled)
			continue;
		for (uint16_t q = 0; q < p->n_rxq; q++) {
			int best = -1;

			for (int local = 1; local >= 0 && best < 0; local--)
				for (uint16_t i = 0; i < n; i++) {
					if (local && p->numa >= 0 && qv_sw.pmds[i]->numa != p->numa)
						continue;
					if (local && p->numa < 0)
						continue;
					if (best < 0 || load[i] < load[best])
						best = i;
				}
			if (best < 0)
				continue;
			lists[best]->rxq[lists[best]->n].port = p;
			lists[best]->rxq[lists[best]->n++].queue = q;
			load[best]++;
		}
	}
}

/* Publishes a new placement of the rx queues in two phases. rte_eth_rx_burst is not
 * thread-safe per queue, and a PMD polls with the list it loaded until its quiescent point:
 * swapping the lists at once could let the PMD a queue moves to poll it while the PMD it
 * leaves still does. So first every PMD gets the queues it keeps (those leaving it, and the
 * ports gone, removed), a grace period passes, and only then the full new lists (queues
 * arriving added). A moved queue is polled by no PMD for one grace period. */
static int publish_poll_lists(void)
{
	struct qv_poll_list *lists[QV_MAX_PMDS], *keep[QV_MAX_PMDS];
	void *_Atomic *slots[QV_MAX_PMDS];
	uint16_t n = qv_sw.n_pmds, i;
	bool removes = false;

	for (i = 0; i < n; i++) {
		const struct qv_poll_list *cur = atomic_load(&qv_sw.pmds[i]->poll);

		lists[i] = poll_list_alloc(QV_MAX_PORTS * QV_MAX_QUEUES);
		keep[i] = poll_list_alloc(cur ? cur->n : 0);
		if (!lists[i] || !keep[i]) {
			for (uint16_t k = 0; k <= i; k++)
				free(lists[k]), free(keep[k]);
			return -1;
		}
		slots[i] = QV_DP_SLOT(&qv_sw.pmds[i]->poll);
	}
	place_rx_queues(lists, n);
	for (i = 0; i < n; i++) {
		const struct qv_poll_list *cur = atomic_load(&qv_sw.pmds[i]->poll);

		for (uint16_t k = 0; cur && k < cur->n; k++)
			if (poll_list_has(lists[i], cur->rxq[k].port, cur->rxq[k].queue))
				keep[i]->rxq[keep[i]->n++] = cur->rxq[k];
		removes |= cur && keep[i]->n != cur->n;
	}
	if (removes) /* phase 1: remove, then the grace period */
		qv_dp_publish_n(n, slots, (void *const *)keep, qv_dp_free, NULL);
	else
		for (i = 0; i < n; i++)
			free(keep[i]);
	qv_dp_publish_n(n, slots, (void *const *)lists, qv_dp_free, NULL); /* phase 2: add */
	return 0;
}

/* ---- ports ---- */

struct qv_port *qv_switch_port_by_name(const char *name)
{
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) {
		struct qv_port *p = atomic_load(&qv_sw.ports[i]);

		if (p && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static int alloc_index(void)
{
	for (uint16_t k = 0; k < QV_MAX_PORTS; k++) {
		uint16_t i = (uint16_t)((qv_sw.next_index + k) % QV_MAX_PORTS);

		if (!atomic_load(&qv_sw.ports[i])) {
			qv_sw.next_index = (uint16_t)((i + 1) % QV_MAX_PORTS);
			return i;
		}
	}
	return -1;
}

static void reset_port_counters(uint16_t idx)
{
	/* No PMD writes these while the slot is empty (see qv_switch_port_del). */
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		memset(&qv_sw.pmds[i]->port[idx], 0, sizeof(qv_sw.pmds[i]->port[idx]));
		memset(qv_sw.pmds[i]->rxq[idx], 0, sizeof(qv_sw.pmds[i]->rxq[idx]));
		memset(qv_sw.rxq_base[i][idx], 0, sizeof(qv_sw.rxq_base[i][idx]));
	}
	memset(&qv_sw.port_base[idx], 0, sizeof(qv_sw.port_base[idx]));
}

int qv_switch_port_add(const struct qv_port_params *pp, char *err, size_t errlen)
{
	struct qv_port_config cfg = pp->cfg;
	struct qv_port *p;
	int idx;

	if (qv_switch_port_by_name(cfg.name)) {
		snprintf(err, errlen, "port %s already exists (qvctl port del %s first)", cfg.name,
		         cfg.name);
		return -1;
	}
	idx = alloc_index();
	if (idx < 0) {
		snprintf(err, errlen, "port %s: the switch already has %d ports", cfg.name,
		         QV_MAX_PORTS);
		return -1;
	}
	for (uint16_t i = 0; pp->cls->conflicts && i < QV_MAX_PORTS; i++) {
		struct qv_port *o = atomic_load(&qv_sw.ports[i]);

		if (o && o->cls == pp->cls && pp->cls->conflicts(o, &cfg, err, errlen) != 0)
			return -1;
	}
	cfg.pool = qv_mempool_get;
	cfg.pool_sized = qv_mempool_get_sized;
	cfg.pool_private = qv_mempool_create_private;
	cfg.link_event = qv_events_port_link;
	cfg.pool_retire = qv_mempool_retire;
	if (cfg.mtu > QV_PORT_MAX_MTU || (cfg.mtu && cfg.mtu < RTE_ETHER_MIN_MTU)) {
		snprintf(err, errlen, "port %s: the switch takes an MTU of %u..%u, not %u",
		         cfg.name, RTE_ETHER_MIN_MTU, QV_PORT_MAX_MTU, cfg.mtu);
		return -1;
	}
	p = pp->cls->open(&cfg, err, errlen);
	if (!p)
		return -1;
	if (atomic_load(&p->mtu) == 0) /* a class that has no device MTU: the switch keeps it */
		atomic_store(&p->mtu, cfg.mtu ? cfg.mtu : (uint16_t)QV_PORT_DEFAULT_MTU);
	p->index = (uint16_t)idx;
	atomic_store(&p->default_action, (uint8_t)pp->dflt);
	atomic_store(&p->admin_up, pp->admin_up);
	p->tx_shared = qv_sw.n_pmds > p->n_txq;
	for (uint16_t q = 0; q < QV_MAX_QUEUES; q++)
		rte_spinlock_init(&p->tx_lock[q]);
	reset_port_counters(p->index);
	if (p->ops->start && p->ops->start(p, err, errlen) != 0) {
		p->ops->close(p);
		return -1;
	}
	atomic_store(&qv_sw.ports[idx], p);
	if (qv_sw.publish_deferred) { /* a batch: not polled, its rules inert, until its end */
		qv_sw.publish_due = true;
		return 0;
	}
	if (publish_poll_lists() != 0 || qv_switch_publish_table(err, errlen) != 0) {
		/* The port works; only rules naming it could not be re-attached. */
		return 0;
	}
	return 0;
}

int qv_switch_ports_publish(char *err, size_t errlen)
{
	bool due = qv_sw.publish_due;

	qv_sw.publish_deferred = qv_sw.publish_due = false;
	err[0] = 0;
	if (!due)
		return 0;
	publish_poll_lists(); /* fails only out of memory: the old lists stay, as in port.add */
	return qv_switch_publish_table(err, errlen);
}

int qv_switch_port_del(const char *name, char *err, size_t errlen)
{
	struct qv_port *p = qv_switch_port_by_name(name);

	if (!p) {
		snprintf(err, errlen, "no port named '%s' (see qvctl show ports)", name);
		return -1;
	}
	for (struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->port_removing)
			f->port_removing(p->index); /* e.g. its captures' files end complete */
	/* Unpublish first: out of the port table (outputs to it become port-down), out of every
	 * poll list; once every PMD has passed a quiescent point nothing can touch it. */
	QV_DP_PUBLISH(&qv_sw.ports[p->index], NULL, NULL, NULL);
	publish_poll_lists();
	qv_switch_publish_table(err, errlen); /* rules on it go inert */
	qv_l2_flush_port(p->index);
	p->ops->close(p);
	return 0;
}

int qv_switch_port_set_admin(struct qv_port *p, bool up)
{
	if (atomic_exchange(&p->admin_up, up) != up)
		qv_events_port_admin(p, up);
	return 0;
}

int qv_switch_port_edit(struct qv_port *p, qv_switch_port_edit_fn *fn, const void *arg, char *err,
                        size_t errlen)
{
	bool was_up = atomic_exchange(&p->up, false);
	int rc;

	/* Out of every poll list and unusable as an output (port-down meanwhile); once a grace
	 * period has passed no PMD polls it or sends to it, so the device may stop. The other
	 * ports' queues stay where they are. */
	p->unpolled = true;
	publish_poll_lists();
	qv_dp_quiesce();
	rc = fn(p, arg, err, errlen);
	p->tx_shared = qv_sw.n_pmds > p->n_txq;
	p->unpolled = false;
	if (p->ops->tick)
		p->ops->tick(p); /* the link as it is now */
	else
		atomic_store(&p->up, was_up);
	publish_poll_lists();
	return rc;
}

static int edit_mtu(struct qv_port *p, const void *arg, char *err, size_t errlen)
{
	return p->cls->set_mtu(p, *(const uint16_t *)arg, err, errlen);
}

int qv_switch_port_set_mtu(struct qv_port *p, uint16_t mtu, char *err, size_t errlen)
{
	if (mtu < RTE_ETHER_MIN_MTU || mtu > QV_PORT_MAX_MTU) {
		snprintf(err, errlen, "port %s: the switch takes an MTU of %u..%u, not %u", p->name,
		         RTE_ETHER_MIN_MTU, QV_PORT_MAX_MTU, mtu);
		return -1;
	}
	if (mtu == atomic_load(&p->mtu))
		return 0;
	if (!p->cls->set_mtu) { /* the peer is told another way (a guest: its domain XML) */
		atomic_store(&p->mtu, mtu);
		return 0;
	}
	return qv_switch_port_edit(p, edit_mtu, &mtu, err, errlen);
}

/* ---- flows ---- */

const char *qv_switch_port_name(uint16_t idx)
{
	struct qv_port *p;

	if (idx >= QV_MAX_PORTS)
		return NULL;
	p = atomic_load(&qv_sw.ports[idx]);
	return p ? p->name : NULL;
}

void qv_switch_stop(void)
{
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++)
		atomic_store(&qv_sw.pmds[i]->stop, true);
	rte_eal_mp_wait_lcore();
	/* after the PMDs: nothing is queued behind a capture file's end */
	for (struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->stopped)
			f->stopped();
	/* PMDs are offline now: closing ports needs no grace period. */
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) {
		struct qv_port *p = atomic_exchange(&qv_sw.ports[i], NULL);

		if (p)
			p->ops->close(p);
	}
	qv_switch_flows_stop();
	qv_flow_base_free(qv_flow_table_free(atomic_exchange(&qv_sw.table, NULL)));
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		free(atomic_load(&qv_sw.pmds[i]->poll));
		rte_free(qv_sw.pmds[i]->emc);
		rte_free(qv_sw.pmds[i]);
	}
	free(qv_sw.flows);
	rte_free(qv_sw.qsbr);
}

void qv_switch_tick(void)
{
	qv_switch_flows_tick(); /* a background rte_acl build folded in, the next started */
	for (uint16_t i = 0; i < QV_MAX_PORTS; i++) { /* link states nothing interrupts for */
		struct qv_port *p = atomic_load(&qv_sw.ports[i]);

		if (p && p->ops->tick && !p->unpolled)
			p->ops->tick(p);
	}
	for (struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->tick)
			f->tick();
}
