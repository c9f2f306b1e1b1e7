/* qwikvirt: the switch's rules (qv_sw.flows) and the tables made of them — transactions, the
 * delta published at once, the rte_acl part rebuilt in the background and folded in. Control
 * thread, qv_sw.lock held (but the builder thread, which only builds).
 * Over 700 lines: the transaction, its publish and the background fold share the rule array's
 * state; the next split is the background builder (thread, fold) into a file of its own. */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_log.h>

#include "dataplane/dp.h"
#include "dataplane/flow_table.h"
#include "dataplane/switch.h"
#include "lib/rule_syntax.h"

/* A transaction of more changes than this is published on a new tuple space base over every
 * rule in force (O(n), see tss_rebuild), not as a delta: the delta is rebuilt on every
 * publish, so it must stay small; and each deletion of a base rule scans the base once. */
#define QV_TXN_INCREMENTAL_MAX 1024
/* A transaction nobody touched for this long gives way to a new one. */
#define QV_TXN_IDLE_S 5.0
/* The background builder's nice value: see builder_run. */
#define QV_BUILDER_NICE 0

struct qv_flow_txn {
	uint32_t id;
	bool replace;
	struct qv_flow_entry *adds;
	uint32_t n_add, cap_add;
	uint32_t *dels;
	uint32_t n_del, cap_del;
	double last_use;
};

/* What is published beside the current base: its deleted rules and the copies of the rules
 * they shadowed. A deleted base rule may hide lower-ranked base rules that cover the same
 * keys: rte_acl answers the deleted one, so every base rule it outranks and overlaps is put
 * in the delta, where the lookup finds it (flow_table.c). */
static struct {
	uint64_t *deleted;
	uint32_t n_deleted, n_words;
	/* masked[0..n_deleted): the base rules base_delete masked, in order, so that a failed
	 * change undoes exactly its own masks (delta_undo), not older ones of the same rules */
	uint32_t *masked;
	uint8_t *copied; /* copied[i]: base rule i is in copies[] */
	uint32_t *copies;
	uint32_t n_copies, cap_copies;
	/* Rules of the base whose ports changed since it was built (ids, sorted): masked in it,
	 * and in the delta as they resolve now (see qv_switch_flows_port_changed). */
	uint32_t *reres;
	uint32_t n_reres;
	bool dirty; /* changes not in the base yet: the background build has work */

	/* the background build */
	pthread_t thread;
	bool running;
	_Atomic bool done;
	uint32_t seq; /* bumped by every full build: an older background result is stale */
	uint32_t bg_seq, bg_epoch, bg_n;
	struct qv_rule *bg_rules;
	struct qv_flow_base *bg_base;
	char bg_err[256];
	uint64_t builds, folds, discarded;
	double last_build_s, last_snapshot_s, last_fold_s;
	char last_error[400];
	double last_port_change_s; /* the last port add/del's table update, grace included */

	struct qv_flow_txn *txn;
	uint32_t next_txn;
} fs;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct qv_flow_table *cur_table(void)
{
	return atomic_load(&qv_sw.table);
}

static uint32_t next_gen(void)
{
	uint32_t gen = qv_sw.table_gen + 1;

	return gen ? gen : 1;
}

/* ---- entries ---- */

/* Index of the first entry whose id is >= id. */
static uint32_t lower_bound(uint32_t id)
{
	uint32_t lo = 0, hi = qv_sw.n_flows;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (qv_sw.flows[mid].rule.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int qv_switch_flow_find(uint32_t id)
{
	uint32_t i = lower_bound(id);

	if (i < qv_sw.n_flows && qv_sw.flows[i].rule.id == id && !qv_sw.flows[i].dead)
		return (int)i;
	return -1;
}

static int port_index(const char *name)
{
	struct qv_port *p = qv_switch_port_by_name(name);

	return p ? p->index : -1;
}

/* Port names to the indexes of now (only after a port change). */
static void resolve(struct qv_flow_entry *e)
{
	uint8_t o = 0;

	if (e->epoch == qv_sw.port_epoch)
		return;
	e->epoch = qv_sw.port_epoch;
	e->active = true;
	if (e->in_name[0]) {
		int idx = port_index(e->in_name);

		e->active = idx >= 0; /* inert until the port comes back */
		if (idx >= 0)
			e->rule.match.in_port = (uint16_t)idx;
	}
	for (uint8_t a = 0; a < e->rule.n_actions; a++) {
		if (!qv_action_names_port(e->rule.actions[a].type))
			continue;
		int idx = port_index(e->out_name[o++]);

		e->rule.actions[a].arg = idx < 0 ? QV_PORT_NONE : (uint16_t)idx;
	}
}

/* The rules in force, in id order, for a base. NULL on out of memory. */
static struct qv_rule *snapshot(uint32_t *n)
{
	struct qv_rule *rules = malloc(sizeof(*rules) * (qv_sw.n_live ? qv_sw.n_live : 1));
	uint32_t k = 0;

	if (!rules)
		return NULL;
	for (uint32_t f = 0; f < qv_sw.n_flows; f++) {
		struct qv_flow_entry *e = &qv_sw.flows[f];

		if (e->dead)
			continue;
		resolve(e);
		if (e->active)
			rules[k++] = e->rule;
	}
	*n = k;
	return rules;
}

/* Drops the tombstones once they are many (the base refers to rules by id, not index). */
static void compact(void)
{
	uint32_t k = 0;

	if (qv_sw.n_flows - qv_sw.n_live < 1024 || qv_sw.n_flows - qv_sw.n_live < qv_sw.n_flows / 4)
		return;
	for (uint32_t f = 0; f < qv_sw.n_flows; f++)
		if (!qv_sw.flows[f].dead)
			qv_sw.flows[k++] = qv_sw.flows[f];
	qv_sw.n_flows = k;
}

/* ---- hits: moved to the entries when a table (and its base) retires ---- */

static void retire_base(struct qv_flow_base *b)
{
	uint32_t f = 0;

	for (uint32_t i = 0; i < b->n_rules; i++) {
		uint64_t h = qv_flow_base_hits(b, qv_sw.n_pmds, i);

		if (h == 0)
			continue;
		while (f < qv_sw.n_flows && qv_sw.flows[f].rule.id < b->rules[i].id)
			f++;
		if (f < qv_sw.n_flows && qv_sw.flows[f].rule.id == b->rules[i].id)
			qv_sw.flows[f].hits += h;
	}
	qv_flow_base_free(b);
}

/* The free function of published tables. */
static void retire_table(void *old, void *ctx)
{
	struct qv_flow_table *t = old;
	struct qv_flow_base *b;

	(void)ctx;
	for (uint32_t i = 0; i < t->n_added; i++) {
		uint64_t h = qv_flow_table_delta_hits(t, i);
		int f = h ? qv_switch_flow_find(t->delta[i].id) : -1;

		if (f >= 0)
			qv_sw.flows[f].hits += h;
	}
	b = qv_flow_table_free(t);
	if (b)
		retire_base(b);
}

/* How long the last publish waited for the grace period (the PMDs' quiescent points): on a
 * PMD CPU shared with other busy threads that is their time slices, not our work. */
static double last_grace_s;

static void publish(struct qv_flow_table *t)
{
	double t0 = now_s();

	qv_sw.table_gen = t->gen;
	QV_DP_PUBLISH(&qv_sw.table, t, retire_table, NULL);
	last_grace_s = now_s() - t0;
}

/* ---- the delta beside the current base ---- */

static int delta_reset(uint32_t n_base)
{
	uint32_t words = (n_base + 63) / 64;
	uint64_t *del = calloc(words ? words : 1, sizeof(*del));
	uint8_t *copied = calloc(n_base ? n_base : 1, 1);
	uint32_t *masked = malloc(sizeof(*masked) * (n_base ? n_base : 1));

	if (!del || !copied || !masked) {
		free(del);
		free(copied);
		free(masked);
		return -1;
	}
	free(fs.deleted);
	free(fs.copied);
	free(fs.masked);
	fs.deleted = del;
	fs.copied = copied;
	fs.masked = masked;
	fs.n_words = words;
	fs.n_deleted = 0;
	fs.n_copies = 0;
	fs.n_reres = 0; /* a new base: every rule resolved as of its snapshot */
	return 0;
}

static int copies_push(uint32_t i, void *ctx)
{
	(void)ctx;
	if (fs.n_copies == fs.cap_copies) {
		uint32_t cap = fs.cap_copies ? fs.cap_copies * 2 : 256;
		uint32_t *nc = realloc(fs.copies, sizeof(*nc) * cap);

		if (!nc)
			return -1;
		fs.copies = nc;
		fs.cap_copies = cap;
	}
	fs.copies[fs.n_copies++] = i;
	fs.copied[i] = 1;
	return 0;
}

/* Base rule bi is deleted: mask it, and copy the rules it may hide into the delta (see fs). */
static int base_delete(const struct qv_flow_base *b, uint32_t bi)
{
	fs.deleted[bi / 64] |= 1ull << (bi % 64);
	fs.masked[fs.n_deleted++] = bi; /* at most one per base rule: callers skip masked ones */
	return qv_flow_base_shadowed(b, bi, fs.deleted, fs.copied, copies_push, NULL);
}

/* A change that failed half-way: its masks and copies (those since n_deleted == nd0 and
 * n_copies == nc0) are undone, and only those: a rule it found masked already (a port
 * change's re-resolved rule, say) stays masked, as the count says. */
static void delta_undo(uint32_t nd0, uint32_t nc0)
{
	for (uint32_t k = nd0; k < fs.n_deleted; k++)
		fs.deleted[fs.masked[k] / 64] &= ~(1ull << (fs.masked[k] % 64));
	for (uint32_t c = nc0; c < fs.n_copies; c++)
		fs.copied[fs.copies[c]] = 0;
	fs.n_deleted = nd0, fs.n_copies = nc0;
}

/* Publishes a table of the current base and the delta: the base rules whose ports changed, as
 * they resolve now, then the rules added since the base was built (the tail of the id order:
 * the delta's added rules stay in id order), and the live copies. */
static int publish_delta(struct qv_flow_base *b, char *err, size_t errlen)
{
	uint32_t start = lower_bound(b->upto_id + 1), n_added = 0, n_copies = 0;
	struct qv_rule *added = malloc(sizeof(*added) * (qv_sw.n_flows - start + fs.n_reres + 1));
	uint32_t *copies = malloc(sizeof(*copies) * (fs.n_copies + 1));
	struct qv_flow_table *t = NULL;

	if (added && copies) {
		for (uint32_t r = 0; r < fs.n_reres; r++) {
			int f = qv_switch_flow_find(fs.reres[r]);

			if (f < 0 || qv_sw.flows[f].dead)
				continue;
			resolve(&qv_sw.flows[f]);
			if (qv_sw.flows[f].active)
				added[n_added++] = qv_sw.flows[f].rule;
		}
		for (uint32_t f = start; f < qv_sw.n_flows; f++) {
			struct qv_flow_entry *e = &qv_sw.flows[f];

			if (e->dead)
				continue;
			resolve(e);
			if (e->active)
				added[n_added++] = e->rule;
		}
		for (uint32_t c = 0; c < fs.n_copies; c++)
			if (!qv_bit_test(fs.deleted, fs.copies[c]))
				copies[n_copies++] = fs.copies[c];
		t = qv_flow_table_new(b, next_gen(), fs.deleted, fs.n_deleted, added, n_added,
		                      copies, n_copies, qv_sw.n_pmds, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory publishing the flow table");
	}
	free(added);
	free(copies);
	if (!t)
		return -1;
	publish(t);
	fs.dirty = n_added || fs.n_deleted;
	return 0;
}

/* The rule names port `name` (its in-port or an output/group member). */
static bool names_port(const struct qv_flow_entry *e, const char *name)
{
	uint8_t o = 0;

	if (strcmp(e->in_name, name) == 0)
		return true;
	for (uint8_t a = 0; a < e->rule.n_actions; a++)
		if (qv_action_names_port(e->rule.actions[a].type) &&
		    strcmp(e->out_name[o++], name) == 0)
			return true;
	return false;
}

/* fs.reres gets the sorted ids[0..n) (sorted too) merged in, without duplicates; the array
 * it had is the caller's (*old), to free or to put back. */
static int reres_merge(const uint32_t *ids, uint32_t n, uint32_t **old)
{
	uint32_t *m = malloc(sizeof(*m) * (fs.n_reres + n + 1)), i = 0, j = 0, k = 0;

	if (!m)
		return -1;
	while (i < fs.n_reres || j < n) {
		uint32_t a = i < fs.n_reres ? fs.reres[i] : UINT32_MAX;
		uint32_t c = j < n ? ids[j] : UINT32_MAX;

		m[k++] = a <= c ? a : c;
		i += a <= c;
		j += c <= a;
	}
	*old = fs.reres;
	fs.reres = m;
	fs.n_reres = k;
	return 0;
}

/* The rules of the base that name port `name` are masked and re-resolved into the delta; the
 * rest keep their port indexes (a port's index never changes while it exists). -1: the delta
 * could not take them (the caller rebuilds). */
static int port_delta(const char *name, char *err, size_t errlen)
{
	struct qv_flow_table *t = cur_table();
	struct qv_flow_base *b = t ? t->base : NULL;
	uint32_t *ids = NULL, n = 0, nd0 = fs.n_deleted, nc0 = fs.n_copies;
	uint32_t *old_reres = NULL, n_old_reres = fs.n_reres;
	bool tail = false; /* a rule added since the base names it (publish_delta resolves it) */
	bool merged = false;
	int rc = 0;

	if (!b)
		return -1;
	for (uint32_t f = 0; f < qv_sw.n_flows; f++) {
		const struct qv_flow_entry *e = &qv_sw.flows[f];

		if (e->dead || !names_port(e, name))
			continue;
		if (e->rule.id > b->upto_id) {
			tail = true;
			continue;
		}
		/* too many for a delta (it is rebuilt on every publish until the next fold) */
		if (n == QV_TXN_INCREMENTAL_MAX || fs.n_reres + n >= 4 * QV_TXN_INCREMENTAL_MAX) {
			free(ids);
			return -1;
		}
		if (!ids && !(ids = malloc(sizeof(*ids) * QV_TXN_INCREMENTAL_MAX)))
			return -1;
		ids[n++] = e->rule.id;
	}
	if (n == 0 && !tail)
		return 0;   /* no rule names it: the table in force stays (and a build running) */
	qv_sw.port_epoch++; /* the rules naming it re-resolve when next read */
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		int64_t bi = qv_flow_base_find(b, ids[i]);

		if (bi >= 0 && !qv_bit_test(fs.deleted, (uint32_t)bi))
			rc = base_delete(b, (uint32_t)bi);
	}
	if (rc == 0 && n && (rc = reres_merge(ids, n, &old_reres)) == 0)
		merged = true;
	if (rc == 0)
		rc = publish_delta(b, err, errlen);
	if (rc != 0) { /* the delta as it was, for the rebuild the caller tries next */
		delta_undo(nd0, nc0);
		if (merged) {
			free(fs.reres);
			fs.reres = old_reres, fs.n_reres = n_old_reres;
			old_reres = NULL;
		}
	}
	free(old_reres);
	free(ids);
	return rc;
}

static int snapshot_failed(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory building a flow table of %u rules", qv_sw.n_live);
	return -1;
}

/* Puts base b (of n rules) in force: a table with an empty delta on top, published; a background
 * build still running is stale from here on. b is freed on failure. */
static int install_base(struct qv_flow_base *b, uint32_t n, char *err, size_t errlen)
{
	struct qv_flow_table *t =
	    qv_flow_table_new(b, next_gen(), NULL, 0, NULL, 0, NULL, 0, qv_sw.n_pmds, err, errlen);

	if (!t) {
		qv_flow_base_free(b);
		return -1;
	}
	if (delta_reset(n) != 0) {
		qv_flow_base_free(qv_flow_table_free(t));
		snprintf(err, errlen, "out of memory publishing a flow table of %u rules", n);
		return -1;
	}
	fs.seq++;
	publish(t);
	return 0;
}

/* The whole table built now, on this thread: after port changes, big transactions, or when
 * a transaction deletes many rules of the rte_acl part. */
static int full_rebuild(char *err, size_t errlen)
{
	struct qv_flow_base *b;
	struct qv_rule *rules;
	uint32_t n;

	rules = snapshot(&n);
	if (!rules)
		return snapshot_failed(err, errlen);
	b = qv_flow_base_build(rules, n, qv_sw.next_flow_id - 1, qv_sw.n_pmds, (int)rte_socket_id(),
	                       qv_sw.max_acl_bytes, err, errlen);
	if (!b || install_base(b, n, err, errlen) != 0)
		return -1;
	fs.dirty = false;
	fs.last_build_s = b->build_s;
	fs.builds++;
	return 0;
}

/* A big transaction: the rules in force in a tuple space base (built in O(n), no rte_acl), in
 * force at once; the background build replaces it by an rte_acl one, and changes meanwhile go
 * to a small delta on top as usual. */
static int tss_rebuild(char *err, size_t errlen)
{
	struct qv_flow_base *b;
	struct qv_rule *rules;
	uint32_t n;

	rules = snapshot(&n);
	if (!rules)
		return snapshot_failed(err, errlen);
	b = qv_flow_base_build_tss(rules, n, qv_sw.next_flow_id - 1, qv_sw.n_pmds, err, errlen);
	if (!b || install_base(b, n, err, errlen) != 0)
		return -1;
	fs.dirty = n > 0; /* the background build makes the rte_acl part */
	return 0;
}

int qv_switch_flows_port_changed(const char *name, char *err, size_t errlen)
{
	double t0 = now_s();

	err[0] = 0;
	if (port_delta(name, err, errlen) == 0) {
		fs.last_port_change_s = now_s() - t0;
		return 0;
	}
	/* more rules than a delta takes: a tuple space part (O(n), no rte_acl build here) */
	qv_sw.port_epoch++;
	if (tss_rebuild(err, errlen) == 0) {
		fs.last_port_change_s = now_s() - t0;
		return 0;
	}
	return qv_switch_publish_table(err, errlen);
}

int qv_switch_publish_table(char *err, size_t errlen)
{
	qv_sw.port_epoch++; /* every rule re-resolves its port names */
	err[0] = 0;
	if (full_rebuild(err, errlen) == 0)
		return 0;
	/* e.g. past --max-acl-mb: the port change still takes effect, on a tuple space part */
	RTE_LOG(WARNING, USER1, "qv-switchd: flow table: %s; serving it from a tuple space part\n",
	        err);
	snprintf(fs.last_error, sizeof(fs.last_error), "%s", err);
	return tss_rebuild(err, errlen);
}

/* ---- the background build ---- */

/* Background thread arguments are set before pthread_create and read back after the join,
 * so they need no atomics; the thread inherits the control thread's CPU (never a PMD's). */
static struct {
	uint32_t upto;
	uint16_t n_pmds;
	int socket;
	size_t acl_limit;
} bg_args;

static void *builder_run(void *arg)
{
	(void)arg;
	/* The builder shares the control CPU. A request's latency is not its time slice: the
	 * control thread sleeps between requests, so CFS lets it preempt the builder on wakeup
	 * (measured: the server's own work stays at tens of microseconds while a build runs;
	 * what varies is the grace period, i.e. the PMD CPU). Not nice 19: next to a busy-polling
	 * process on the same CPU (a traffic generator in the tests) the builder then got ~1% of
	 * it and no build finished in 100 s. Not SCHED_IDLE either: it takes DPDK's heap lock
	 * inside rte_acl_build, which a full build on the control thread may then spin on. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), QV_BUILDER_NICE);
	fs.bg_base =
	    qv_flow_base_build(fs.bg_rules, fs.bg_n, bg_args.upto, bg_args.n_pmds, bg_args.socket,
	                       bg_args.acl_limit, fs.bg_err, sizeof(fs.bg_err));
	atomic_store(&fs.done, true);
	return NULL;
}

static void builder_start(void)
{
	double t0 = now_s();

	fs.bg_rules = snapshot(&fs.bg_n);
	if (!fs.bg_rules)
		return;
	fs.last_snapshot_s = now_s() - t0;
	fs.bg_seq = fs.seq;
	fs.bg_epoch = qv_sw.port_epoch;
	bg_args.upto = qv_sw.next_flow_id - 1;
	bg_args.n_pmds = qv_sw.n_pmds;
	bg_args.socket = (int)rte_socket_id();
	bg_args.acl_limit = qv_sw.max_acl_bytes;
	fs.bg_base = NULL;
	fs.bg_err[0] = 0;
	atomic_store(&fs.done, false);
	if (pthread_create(&fs.thread, NULL, builder_run, NULL) != 0) {
		free(fs.bg_rules);
		return;
	}
	fs.running = true;
}

/* The finished base replaces the current one: the deletions since its snapshot are masked
 * (and their shadowed rules copied), the rules added since form the new delta. */
static void builder_fold(void)
{
	struct qv_flow_base *b = fs.bg_base;
	struct qv_flow_table *old = cur_table();
	char err[256] = "";
	uint32_t f = 0;
	double t0 = now_s();

	pthread_join(fs.thread, NULL);
	fs.running = false;
	fs.bg_base = NULL;
	if (!b) {
		snprintf(fs.last_error, sizeof(fs.last_error), "background rebuild: %s", fs.bg_err);
		RTE_LOG(WARNING, USER1, "qv-switchd: %s\n", fs.last_error);
		fs.dirty = false; /* retried on the next change */
		return;
	}
	if (fs.bg_seq != fs.seq || fs.bg_epoch != qv_sw.port_epoch || !old) {
		fs.discarded++; /* a full build or a port change came first */
		qv_flow_base_free(b);
		return;
	}
	/* keep the old delta state until the new table is out */
	uint64_t *o_del = fs.deleted;
	uint8_t *o_cop = fs.copied;
	uint32_t *o_masked = fs.masked, *o_copies = fs.copies;
	uint32_t o_nd = fs.n_deleted, o_nc = fs.n_copies, o_w = fs.n_words;
	uint32_t o_capc = fs.cap_copies, o_nr = fs.n_reres;

	/* the new base's copies go to a list of their own: the old one is the old state's */
	fs.deleted = NULL, fs.copied = NULL, fs.masked = NULL;
	fs.copies = NULL, fs.cap_copies = 0;
	if (delta_reset(b->n_rules) != 0)
		goto undo;
	for (uint32_t i = 0; i < b->n_rules; i++) {
		while (f < qv_sw.n_flows && qv_sw.flows[f].rule.id < b->rules[i].id)
			f++;
		if (f < qv_sw.n_flows && qv_sw.flows[f].rule.id == b->rules[i].id &&
		    !qv_sw.flows[f].dead)
			continue;
		if (base_delete(b, i) != 0)
			goto undo;
	}
	if (publish_delta(b, err, sizeof(err)) != 0)
		goto undo;
	free(o_del);
	free(o_cop);
	free(o_masked);
	free(o_copies);
	fs.folds++;
	fs.builds++;
	fs.last_error[0] = 0; /* the rte_acl part is current again */
	fs.last_build_s = b->build_s;
	fs.last_fold_s = now_s() - t0;
	compact();
	return;
undo:
	free(fs.deleted);
	free(fs.copied);
	free(fs.masked);
	free(fs.copies);
	fs.deleted = o_del, fs.copied = o_cop, fs.masked = o_masked, fs.copies = o_copies;
	fs.n_deleted = o_nd, fs.n_copies = o_nc, fs.n_words = o_w, fs.cap_copies = o_capc;
	fs.n_reres = o_nr; /* delta_reset emptied it for the new base */
	if (b->refs == 0)
		qv_flow_base_free(b);
	snprintf(fs.last_error, sizeof(fs.last_error), "folding the background rebuild: %s",
	         err[0] ? err : "out of memory");
}

void qv_switch_flows_tick(void)
{
	if (fs.running && atomic_load(&fs.done))
		builder_fold();
	if (!fs.running && fs.dirty)
		builder_start();
}

void qv_switch_flows_stop(void)
{
	if (!fs.running)
		return;
	pthread_join(fs.thread, NULL);
	fs.running = false;
	qv_flow_base_free(fs.bg_base);
	fs.bg_base = NULL;
}

/* ---- transactions ---- */

struct qv_flow_txn *qv_flow_txn_open(bool replace, char *err, size_t errlen)
{
	if (fs.txn && now_s() - fs.txn->last_use < QV_TXN_IDLE_S) {
		snprintf(
		    err, errlen,
		    "flow transaction %u of another client is open: retry when it is committed "
		    "(or in %.0f s, when it is given up)",
		    fs.txn->id, QV_TXN_IDLE_S);
		return NULL;
	}
	qv_flow_txn_abort(fs.txn);
	fs.txn = calloc(1, sizeof(*fs.txn));
	if (!fs.txn) {
		snprintf(err, errlen, "out of memory for a flow transaction");
		return NULL;
	}
	fs.txn->id = ++fs.next_txn;
	fs.txn->replace = replace;
	fs.txn->last_use = now_s();
	return fs.txn;
}

struct qv_flow_txn *qv_flow_txn_get(uint32_t id, char *err, size_t errlen)
{
	if (!fs.txn || fs.txn->id != id) {
		snprintf(err, errlen,
		         "no open flow transaction %u (committed, failed, or given up after %.0f s "
		         "idle): start again",
		         id, QV_TXN_IDLE_S);
		return NULL;
	}
	fs.txn->last_use = now_s();
	return fs.txn;
}

uint32_t qv_flow_txn_id(const struct qv_flow_txn *tx)
{
	return tx->id;
}

void qv_flow_txn_counts(const struct qv_flow_txn *tx, uint32_t *n_add, uint32_t *n_del)
{
	*n_add = tx->n_add;
	*n_del = tx->n_del;
}

void qv_flow_txn_abort(struct qv_flow_txn *tx)
{
	if (!tx)
		return;
	if (fs.txn == tx)
		fs.txn = NULL;
	free(tx->adds);
	free(tx->dels);
	free(tx);
}

static int parse_lookup(const char *name, void *ctx)
{
	(void)ctx;
	return port_index(name);
}

int qv_flow_txn_add(struct qv_flow_txn *tx, const char *text, char *err, size_t errlen)
{
	struct qv_flow_entry e = {0};
	char msg[400];
	uint8_t o = 0;

	if (qv_rule_parse(text, parse_lookup, NULL, &e.rule, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "add[%u]: %s", tx->n_add, msg);
		return -1;
	}
	if (tx->n_add == tx->cap_add) {
		uint32_t cap = tx->cap_add ? tx->cap_add * 2 : 64;
		void *na = realloc(tx->adds, sizeof(*tx->adds) * cap);

		if (!na) {
			snprintf(err, errlen, "add[%u]: out of memory staging the transaction",
			         tx->n_add);
			return -1;
		}
		tx->adds = na;
		tx->cap_add = cap;
	}
	if (e.rule.match.fields & QV_M_IN_PORT)
		snprintf(e.in_name, sizeof(e.in_name), "%s",
		         qv_switch_port_name(e.rule.match.in_port));
	for (uint8_t a = 0; a < e.rule.n_actions; a++)
		if (qv_action_names_port(e.rule.actions[a].type))
			snprintf(e.out_name[o++], QV_PORT_NAME_MAX, "%s",
			         qv_switch_port_name(e.rule.actions[a].arg));
	e.epoch = qv_sw.port_epoch;
	e.active = true; /* its ports exist: the parser resolved them */
	tx->adds[tx->n_add++] = e;
	return 0;
}

void qv_flow_txn_del(struct qv_flow_txn *tx, uint32_t id)
{
	if (tx->n_del == tx->cap_del) {
		uint32_t cap = tx->cap_del ? tx->cap_del * 2 : 64;
		void *nd = realloc(tx->dels, sizeof(*tx->dels) * cap);

		if (!nd)
			return; /* commit sees n_del short and refuses (see below) */
		tx->dels = nd;
		tx->cap_del = cap;
	}
	tx->dels[tx->n_del++] = id;
}

/* Marks dels[0..n-1] dead; on an unknown or repeated id, unmarks them and names its index. */
static int mark_dels(const uint32_t *dels, uint32_t n, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t f = lower_bound(dels[i]);
		bool there = f < qv_sw.n_flows && qv_sw.flows[f].rule.id == dels[i];

		if (!there || qv_sw.flows[f].dead) {
			bool twice = false;

			for (uint32_t k = 0; k < i; k++)
				twice |= dels[k] == dels[i];
			snprintf(err, errlen,
			         twice ? "del[%u]: flow %u is deleted twice"
			               : "del[%u]: no flow with id %u (see qvctl show flows)",
			         i, dels[i]);
			for (uint32_t k = 0; k < i; k++)
				qv_sw.flows[lower_bound(dels[k])].dead = false;
			return -1;
		}
		qv_sw.flows[f].dead = true;
	}
	return 0;
}

int qv_flow_txn_commit(struct qv_flow_txn *tx, struct qv_flow_txn_result *res, char *err,
                       size_t errlen)
{
	const uint32_t saved_n = qv_sw.n_flows, saved_id = qv_sw.next_flow_id;
	uint32_t n_del = tx->n_del, n_live, n_old = 0, cap_del = tx->cap_del;
	struct qv_flow_table *t = cur_table();
	uint32_t *dels = tx->dels;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	err[0] = 0;
	res->start_s = now_s();
	last_grace_s = 0;
	if (n_del > cap_del) {
		snprintf(err, errlen, "out of memory staging the transaction's deletions");
		goto out;
	}
	if (tx->replace) { /* every rule in force goes */
		if (n_del) {
			snprintf(err, errlen,
			         "a replace transaction takes no deletions: it deletes "
			         "every rule");
			goto out;
		}
		dels = malloc(sizeof(*dels) * (qv_sw.n_live + 1));
		if (!dels) {
			snprintf(err, errlen, "out of memory replacing the table");
			goto out;
		}
		for (uint32_t f = 0; f < qv_sw.n_flows; f++)
			if (!qv_sw.flows[f].dead)
				dels[n_old++] = qv_sw.flows[f].rule.id;
		n_del = n_old;
	}
	if (mark_dels(dels, n_del, err, errlen) != 0)
		goto out;
	n_live = qv_sw.n_live - n_del + tx->n_add;
	if (n_live > qv_sw.max_rules) {
		snprintf(err, errlen,
		         "the switch holds at most %u rules (qv-switchd --max-rules) and this "
		         "transaction would make %u: nothing was applied",
		         qv_sw.max_rules, n_live);
		goto unmark;
	}
	if (qv_sw.n_flows + tx->n_add > qv_sw.cap_flows) {
		uint32_t cap = qv_sw.cap_flows ? qv_sw.cap_flows : 64;
		void *nf;

		while (cap < qv_sw.n_flows + tx->n_add)
			cap *= 2;
		nf = realloc(qv_sw.flows, sizeof(*qv_sw.flows) * cap);
		if (!nf) {
			snprintf(err, errlen, "out of memory for %u flows", cap);
			goto unmark;
		}
		qv_sw.flows = nf;
		qv_sw.cap_flows = cap;
	}
	res->first_id = qv_sw.next_flow_id;
	for (uint32_t i = 0; i < tx->n_add; i++) {
		tx->adds[i].rule.id = qv_sw.next_flow_id++;
		qv_sw.flows[qv_sw.n_flows++] = tx->adds[i];
	}
	qv_sw.n_live = n_live;
	res->added = tx->n_add;
	res->deleted = n_del;

	/* small: a delta on the current base; big or replace: a new tuple space base. Either is
	 * in force at once, and the background build folds it into rte_acl. */
	if (t && (tx->replace || tx->n_add + n_del > QV_TXN_INCREMENTAL_MAX)) {
		rc = tss_rebuild(err, errlen);
	} else if (t) {
		struct qv_flow_base *b = t->base;
		uint32_t nd0 = fs.n_deleted, nc0 = fs.n_copies;

		rc = 0;
		for (uint32_t i = 0; rc == 0 && i < n_del; i++) {
			int64_t bi = dels[i] <= b->upto_id ? qv_flow_base_find(b, dels[i]) : -1;

			if (bi >= 0 && !qv_bit_test(fs.deleted, (uint32_t)bi))
				rc = base_delete(b, (uint32_t)bi);
		}
		if (rc == 0) {
			res->incremental = true;
			rc = publish_delta(b, err, errlen);
		}
		if (rc != 0) { /* the delta state as it was: this transaction's masks undone */
			delta_undo(nd0, nc0);
			res->incremental = false;
		}
	}
	if (rc != 0)
		rc = full_rebuild(err, errlen);
	if (rc == 0) {
		res->apply_s = now_s() - res->start_s;
		res->grace_s = last_grace_s;
		goto out;
	}
	/* nothing changed: the old table stays */
	qv_sw.n_flows = saved_n;
	qv_sw.next_flow_id = saved_id;
	qv_sw.n_live = qv_sw.n_live + n_del - tx->n_add;
unmark:
	for (uint32_t i = 0; i < n_del; i++)
		qv_sw.flows[lower_bound(dels[i])].dead = false;
out:
	if (dels != tx->dels)
		free(dels);
	qv_flow_txn_abort(tx);
	return rc;
}

/* ---- one change at a time: transactions of one ---- */

int qv_switch_flow_add(const char *text, uint32_t *id, char *err, size_t errlen)
{
	struct qv_flow_txn_result res;
	struct qv_flow_txn *tx = calloc(1, sizeof(*tx));
	char msg[512];

	if (!tx) {
		snprintf(err, errlen, "out of memory adding a flow");
		return -1;
	}
	if (qv_flow_txn_add(tx, text, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s", msg + strlen("add[0]: "));
		qv_flow_txn_abort(tx);
		return -1;
	}
	if (qv_flow_txn_commit(tx, &res, err, errlen) != 0)
		return -1;
	*id = res.first_id;
	return 0;
}

int qv_switch_flow_del(uint32_t id, char *err, size_t errlen)
{
	struct qv_flow_txn_result res;
	struct qv_flow_txn *tx = calloc(1, sizeof(*tx));

	if (!tx) {
		snprintf(err, errlen, "out of memory deleting flow %u", id);
		return -1;
	}
	if (qv_switch_flow_find(id) < 0) {
		free(tx);
		snprintf(err, errlen, "no flow with id %u (see qvctl show flows)", id);
		return -1;
	}
	qv_flow_txn_del(tx, id);
	return qv_flow_txn_commit(tx, &res, err, errlen);
}

uint32_t qv_switch_flow_flush(void)
{
	struct qv_flow_txn_result res;
	struct qv_flow_txn *tx = calloc(1, sizeof(*tx));
	char err[256];

	if (!tx)
		return 0;
	tx->replace = true;
	if (qv_flow_txn_commit(tx, &res, err, sizeof(err)) != 0)
		return 0; /* an empty table cannot fail to build short of memory */
	return res.deleted;
}

/* ---- reading ---- */

uint64_t qv_switch_flow_hits(uint32_t f)
{
	const struct qv_flow_table *t = cur_table();
	const struct qv_flow_entry *e = &qv_sw.flows[f];
	uint64_t h = e->hits;

	if (t) {
		int64_t i = qv_flow_base_find(t->base, e->rule.id);

		if (i >= 0)
			h += qv_flow_base_hits(t->base, qv_sw.n_pmds, (uint32_t)i);
		/* not in the base, or masked there and in the delta as it resolves now */
		if ((i < 0 || (t->n_deleted && qv_bit_test(t->deleted, (uint32_t)i))) &&
		    (i = qv_flow_table_find_added(t, e->rule.id)) >= 0)
			h += qv_flow_table_delta_hits(t, (uint32_t)i);
	}
	return h - e->hits_base;
}

/* Port references of a flow entry point at the names kept in the entry (QV_PORT_REF_IN, and
 * QV_PORT_REF_OUT(k) for the k-th port-naming action), so a rule whose port is gone still
 * prints as the operator wrote it. */
static const char *entry_name_at(uint16_t idx, void *ctx)
{
	const struct qv_flow_entry *e = ctx;

	if (idx == QV_PORT_REF_IN)
		return e->in_name;
	if (idx >= QV_PORT_REF_OUT(0) && idx < QV_PORT_REF_OUT(QV_MAX_ACTIONS))
		return e->out_name[idx - QV_PORT_REF_OUT(0)];
	return qv_switch_port_name(idx);
}

void qv_switch_flow_format(uint32_t f, char *match, size_t mlen, char *acts, size_t alen,
                           char *text, size_t tlen)
{
	const struct qv_flow_entry *e = &qv_sw.flows[f];
	struct qv_rule r = e->rule;
	uint8_t o = 0;

	if (r.match.fields & QV_M_IN_PORT)
		r.match.in_port = QV_PORT_REF_IN;
	for (uint8_t k = 0; k < r.n_actions; k++)
		if (qv_action_names_port(r.actions[k].type))
			r.actions[k].arg = QV_PORT_REF_OUT(o++);
	if (match)
		qv_rule_format_match(&r, entry_name_at, (void *)e, match, mlen);
	if (acts)
		qv_rule_format_actions(&r, entry_name_at, (void *)e, acts, alen);
	if (text)
		qv_rule_format(&r, entry_name_at, (void *)e, text, tlen);
}

json_t *qv_switch_flow_summary(void)
{
	const struct qv_flow_table *t = cur_table();
	const struct qv_flow_base *b = t ? t->base : NULL;

	json_t *o = json_pack(
	    "{s:i, s:i, s:I, s:i, s:{s:s, s:i, s:I, s:f, s:I}, s:{s:i, s:i, s:i, s:i, s:I}, "
	    "s:{s:b, s:I, s:I, s:I, s:f, s:f, s:f, s:s}}",
	    "rules", qv_sw.n_live, "max_rules", qv_sw.max_rules, "max_acl_bytes",
	    (json_int_t)qv_sw.max_acl_bytes, "generation", qv_sw.table_gen, "acl", "kind",
	    b && !b->cls && b->n_rules ? "tuple space (rte_acl build pending)" : "rte_acl", "rules",
	    b ? b->n_rules : 0, "bytes", (json_int_t)(b ? b->acl_bytes : 0), "build_s",
	    b ? b->build_s : 0.0, "upto_id", (json_int_t)(b ? b->upto_id : 0), "delta", "added",
	    t ? t->n_added : 0, "copies", t ? t->n_delta - t->n_added : 0, "deleted",
	    t ? t->n_deleted : 0, "tuples", t ? qv_delta_tuples(t->dcls) : 0, "bytes",
	    (json_int_t)(t ? qv_delta_memory(t->dcls) + sizeof(struct qv_rule) * t->n_delta +
	                         sizeof(uint64_t) * fs.n_words
	                   : 0),
	    "rebuild", "running", fs.running, "builds", (json_int_t)fs.builds, "folds",
	    (json_int_t)fs.folds, "discarded", (json_int_t)fs.discarded, "last_build_s",
	    fs.last_build_s, "last_snapshot_s", fs.last_snapshot_s, "last_fold_s", fs.last_fold_s,
	    "last_error", fs.last_error);
	/* how long the last port add/del took to re-resolve the rules naming it */
	json_object_set_new(json_object_get(o, "rebuild"), "last_port_change_s",
	                    json_real(fs.last_port_change_s));
	return o;
}
