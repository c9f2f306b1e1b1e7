/* qwikvirt: the switch's slow path — ports added and removed, rx queues spread over the PMDs,
 * flow tables rebuilt and published through RCU. Runs on the control thread under qv_sw.lock. */
#include <malloc.h>
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

#define PORT_TABLE_FIRST 64 /* slots of the first port table; it doubles when full */

static struct qv_port_table *port_table_alloc(uint32_t cap, const struct qv_port_table *from)
{
	struct qv_port_table *t = calloc(1, sizeof(*t) + cap * sizeof(t->slot[0]));

	if (!t)
		return NULL;
	t->cap = cap;
	for (uint32_t i = 0; from && i < from->cap; i++) {
		atomic_init(&t->slot[i].port, atomic_load(&from->slot[i].port));
		t->slot[i].state = from->slot[i].state;
	}
	return t;
}

static struct qv_port_table *ports(void)
{
	return atomic_load(&qv_sw.ports);
}

uint32_t qv_switch_port_slots(void)
{
	const struct qv_port_table *t = ports();

	return t ? t->cap : 0;
}

struct qv_port *qv_switch_port_at(uint32_t idx)
{
	const struct qv_port_table *t = ports();

	return t && idx < t->cap ? atomic_load(&t->slot[idx].port) : NULL;
}

struct qv_port_state *qv_switch_port_state(uint32_t idx)
{
	const struct qv_port_table *t = ports();

	return t && idx < t->cap && atomic_load(&t->slot[idx].port) ? t->slot[idx].state : NULL;
}

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
	if (n > QV_MAX_PMDS) {
		snprintf(err, errlen, "%u PMDs: DPDK here has lcores for %d (RTE_MAX_LCORE %d)", n,
		         QV_MAX_PMDS, RTE_MAX_LCORE);
		return -1;
	}
	atomic_store(&qv_sw.ports, port_table_alloc(PORT_TABLE_FIRST, NULL));
	if (!ports()) {
		snprintf(err, errlen, "out of memory for a port table of %d slots",
		         PORT_TABLE_FIRST);
		return -1;
	}
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

	for (uint32_t pi = 0; pi < qv_switch_port_slots(); pi++) {
		struct qv_port *p = qv_switch_port_at(pi);

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
	unsigned n_rxq = 0; /* every rx queue could land on one PMD */
	bool removes = false;

	for (uint32_t pi = 0; pi < qv_switch_port_slots(); pi++)
		if (qv_switch_port_at(pi))
			n_rxq += qv_switch_port_at(pi)->n_rxq;
	for (i = 0; i < n; i++) {
		const struct qv_poll_list *cur = atomic_load(&qv_sw.pmds[i]->poll);

		lists[i] = poll_list_alloc(n_rxq);
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
	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);

		if (p && strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* A free slot of the port table (its state freed too), after the last one handed out; when
 * every slot is taken, a table twice the size is published first. -1 with err when the index
 * space or memory is exhausted. */
static int alloc_index(const char *name, char *err, size_t errlen)
{
	struct qv_port_table *t = ports(), *bigger;
	uint32_t cap = t->cap;

	for (uint32_t k = 0; k < cap; k++) {
		uint32_t i = (qv_sw.next_index + k) % cap;

		if (!atomic_load(&t->slot[i].port) && !t->slot[i].state) {
			qv_sw.next_index = (uint16_t)((i + 1) % cap);
			return (int)i;
		}
	}
	if (cap >= QV_MAX_PORTS) {
		snprintf(err, errlen, "port %s: the switch already has %u ports, all it can index",
		         name, cap);
		return -1;
	}
	bigger = port_table_alloc(cap * 2 > QV_MAX_PORTS ? QV_MAX_PORTS : cap * 2, t);
	if (!bigger) {
		snprintf(err, errlen, "port %s: out of memory for a port table of %u slots", name,
		         cap * 2);
		return -1;
	}
	/* PMDs holding the old table see the same ports and states until their quiescent point */
	QV_DP_PUBLISH(&qv_sw.ports, bigger, qv_dp_free, NULL);
	qv_sw.next_index = (uint16_t)(cap + 1);
	return (int)cap;
}

/* Heap in use, malloc's and DPDK's: how much opening a port takes (measured around it). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	size_t dpdk = 0;

	for (unsigned s = 0; s < rte_socket_count(); s++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0)
			dpdk += st.heap_allocsz_bytes;
	}
	return mi.uordblks + mi.hblkhd + dpdk;
}

/* The port's state: a zeroed row per PMD, on the port's node. */
static struct qv_port_state *port_state_alloc(const struct qv_port *p)
{
	size_t sz = sizeof(struct qv_port_state) + qv_sw.n_pmds * sizeof(struct qv_port_pmd);
	struct qv_port_state *st =
	    rte_zmalloc_socket("qv_port_state", sz, RTE_CACHE_LINE_SIZE, p->numa);

	if (!st && p->numa >= 0)
		st = rte_zmalloc("qv_port_state", sz, RTE_CACHE_LINE_SIZE);
	if (st) {
		st->bytes = sz;
		st->n_pmds = qv_sw.n_pmds;
	}
	return st;
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
	for (uint32_t i = 0; pp->cls->conflicts && i < qv_switch_port_slots(); i++) {
		struct qv_port *o = qv_switch_port_at(i);

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
	idx = alloc_index(cfg.name, err, errlen);
	if (idx < 0)
		return -1;
	/* The node's shared pool is the switch's, not the port's: made before the measure (the
	 * first port on a node would otherwise count its 20 MB); a port's own pool counts. */
	char pool_err[128];

	(void)qv_mempool_get(-1, pool_err, sizeof(pool_err));
	size_t heap0 = heap_in_use();

	p = pp->cls->open(&cfg, err, errlen);
	if (!p)
		return -1;
	struct qv_port_state *st = port_state_alloc(p);

	if (!st) {
		snprintf(err, errlen, "port %s: out of memory for its counters and tx buffers",
		         cfg.name);
		p->ops->close(p);
		return -1;
	}
	size_t heap1 = heap_in_use();

	st->open_bytes = heap1 > heap0 ? heap1 - heap0 : 0;
	if (atomic_load(&p->mtu) == 0) /* a class that has no device MTU: the switch keeps it */
		atomic_store(&p->mtu, cfg.mtu ? cfg.mtu : (uint16_t)QV_PORT_DEFAULT_MTU);
	p->index = (uint16_t)idx;
	atomic_store(&p->default_action, (uint8_t)pp->dflt);
	atomic_store(&p->admin_up, pp->admin_up);
	p->tx_shared = qv_sw.n_pmds > p->n_txq;
	for (uint16_t q = 0; q < QV_MAX_QUEUES; q++)
		rte_spinlock_init(&p->tx_lock[q]);
	if (p->ops->start && p->ops->start(p, err, errlen) != 0) {
		p->ops->close(p);
		rte_free(st);
		return -1;
	}
	/* the state first: a PMD reads it only once it loaded the port (acquire) */
	ports()->slot[idx].state = st;
	atomic_store_explicit(&ports()->slot[idx].port, p, memory_order_release);
	qv_sw.n_ports++;
	if (qv_sw.publish_deferred) { /* a batch: not polled, its rules inert, until its end */
		qv_sw.publish_due = true;
		return 0;
	}
	if (publish_poll_lists() != 0 || qv_switch_flows_port_changed(p->name, err, errlen) != 0) {
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
	QV_DP_PUBLISH(&ports()->slot[p->index].port, NULL, NULL, NULL);
	publish_poll_lists();
	qv_switch_flows_port_changed(p->name, err, errlen); /* rules on it go inert */
	qv_l2_flush_port(p->index);
	/* grace periods have passed since the slot was emptied: no PMD holds the state */
	rte_free(ports()->slot[p->index].state);
	ports()->slot[p->index].state = NULL;
	qv_sw.n_ports--;
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
	/* Unusable as an output (port-down meanwhile) through admin_up, the control thread's
	 * own flag (port.set runs here too, so nothing else writes it during the edit), and out
	 * of every poll list; once a grace period has passed no PMD polls it or sends to it, so
	 * the device may stop. The other ports' queues stay where they are. Not through `up`:
	 * that one is the port's (link, vhost device callbacks), and storing the old value
	 * back lost what a guest did meanwhile: one that connected during the edit left the
	 * port down for good, one that left showed it up with no device (port_edit_link).
	 * Memory order: PMDs load admin_up relaxed; the store below is sequenced before
	 * publish_poll_lists' release stores, and each PMD acquire-loads its poll list at the
	 * start of every iteration, so once qv_dp_quiesce has seen every PMD pass a quiescent
	 * point, every PMD's later iterations see admin_up false. The same holds for the store
	 * that gives it back: it comes before the last publish_poll_lists. */
	bool was_admin = atomic_exchange(&p->admin_up, false);
	int rc;

	p->unpolled = true;
	publish_poll_lists();
	qv_dp_quiesce();
	rc = fn(p, arg, err, errlen);
	p->tx_shared = qv_sw.n_pmds > p->n_txq;
	p->unpolled = false;
	if (p->ops->tick)
		p->ops->tick(p); /* the link as it is now (a restarted device) */
	atomic_store(&p->admin_up, was_admin);
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
	struct qv_port *p = qv_switch_port_at(idx);

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
	for (uint32_t i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = atomic_exchange(&ports()->slot[i].port, NULL);

		if (p)
			p->ops->close(p);
		rte_free(ports()->slot[i].state);
		ports()->slot[i].state = NULL;
	}
	qv_switch_flows_stop();
	qv_flow_base_free(qv_flow_table_free(atomic_exchange(&qv_sw.table, NULL)));
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		free(atomic_load(&qv_sw.pmds[i]->poll));
		rte_free(qv_sw.pmds[i]->emc);
		rte_free(qv_sw.pmds[i]);
	}
	free(qv_sw.flows);
	free(atomic_exchange(&qv_sw.ports, NULL));
	rte_free(qv_sw.qsbr);
}

void qv_switch_tick(void)
{
	qv_switch_flows_tick(); /* a background rte_acl build folded in, the next started */
	for (uint32_t i = 0; i < qv_switch_port_slots();
	     i++) { /* link states nothing interrupts for */
		struct qv_port *p = qv_switch_port_at(i);

		if (p && p->ops->tick && !p->unpolled)
			p->ops->tick(p);
	}
	for (struct qv_dp_feature *f = qv_dp_features(); f; f = f->next)
		if (f->tick)
			f->tick();
}
