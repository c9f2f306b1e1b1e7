/* qwikvirt: the switch's services to its features (see dp.h) — the one publish function, the
 * grace period, port lookup for features, the feature registry. Slow path. */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_log.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/dp.h"
#include "dataplane/switch.h"

static struct qv_dp_feature *features;

/* A grace period longer than this is not normal (a PMD iteration takes microseconds, a
 * preempted one milliseconds): the switch says which PMD holds it up, and keeps waiting. */
#define GRACE_REPORT_S 2
/* Spin this long before sleeping between checks: most grace periods end within it. */
#define GRACE_SPIN_US 1000

/* The Linux thread id of the EAL worker thread of lcore (named "rte-worker-N" by DPDK
 * 22.11's EAL), or -1. */
static long pmd_tid(unsigned lcore)
{
	char want[32], path[300], comm[32];
	long tid = -1;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	snprintf(want, sizeof(want), "rte-worker-%u\n", lcore);
	while (d && tid < 0 && (e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && strcmp(comm, want) == 0)
			tid = strtol(e->d_name, NULL, 10);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return tid;
}

/* One line of /proc/self/task/TID/FILE ("" if unreadable), newline stripped. */
static void task_file(long tid, const char *file, char *buf, size_t len)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/%s", tid, file);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* The grace period for token has lasted `waited` seconds: logs the RCU state and every PMD that
 * has not reported a quiescent state since, with its thread, so that it can be looked at with
 * gdb -p (its stack) while the switch still waits. */
static void grace_report(struct rte_rcu_qsbr *v, uint64_t token, double waited)
{
	char self[32] = "?";

	pthread_getname_np(pthread_self(), self, sizeof(self));
	RTE_LOG(WARNING, USER1,
	        "qv: a grace period has lasted %.1f s (waiting thread %s, token %" PRIu64
	        "); still waiting. RCU state:\n",
	        waited, self, token);
	rte_rcu_qsbr_dump(rte_log_get_stream(), v);
	for (uint16_t i = 0; i < qv_sw.n_pmds; i++) {
		const struct qv_pmd *pmd = qv_sw.pmds[i];
		uint64_t cnt = __atomic_load_n(&v->qsbr_cnt[pmd->index].cnt, __ATOMIC_ACQUIRE);
		char wchan[64], syscall[128], stat[256];
		long tid;

		if (cnt == 0 || cnt >= token) /* offline, or reported since */
			continue;
		tid = pmd_tid(pmd->lcore);
		task_file(tid, "wchan", wchan, sizeof(wchan));
		task_file(tid, "syscall", syscall, sizeof(syscall));
		task_file(tid, "stat", stat, sizeof(stat));
		RTE_LOG(
		    WARNING, USER1,
		    "qv: PMD %u (lcore %u, cpu %u, tid %ld) has not reported: its count %" PRIu64
		    " < token %" PRIu64 "; wchan '%s', syscall '%s', stat '%s'\n",
		    pmd->index, pmd->lcore, pmd->cpu, tid, cnt, token, wchan, syscall, stat);
	}
}

void qv_dp_quiesce(void)
{
	struct rte_rcu_qsbr *v = qv_sw.qsbr;
	uint64_t token, hz = rte_get_timer_hz(), start, next_report;

	if (!v)
		return;
	/* rte_rcu_qsbr_synchronize, but with a report when it lasts (no deadline: what was
	 * unpublished may only go once no PMD can hold it). */
	token = rte_rcu_qsbr_start(v);
	start = rte_get_timer_cycles();
	next_report = start + GRACE_REPORT_S * hz;
	while (rte_rcu_qsbr_check(v, token, false) != 1) {
		uint64_t now = rte_get_timer_cycles();

		if (now >= next_report) {
			grace_report(v, token, (double)(now - start) / (double)hz);
			next_report = now + 10 * GRACE_REPORT_S * hz;
		}
		if (now - start < GRACE_SPIN_US * hz / 1000000)
			rte_pause();
		else
			rte_delay_us_sleep(20); /* a long wait leaves the CPU to others */
	}
}

void qv_dp_publish_n(unsigned n, void *_Atomic *const *slots, void *const *next,
                     qv_dp_free_fn *free_old, void *ctx)
{
	void *old[QV_DP_PUBLISH_MAX];

	RTE_VERIFY(n <= QV_DP_PUBLISH_MAX);

	for (unsigned i = 0; i < n; i++)
		old[i] = atomic_exchange(slots[i], next[i]);
	qv_dp_quiesce(); /* no PMD holds an old value any more */
	for (unsigned i = 0; free_old && i < n; i++)
		if (old[i])
			free_old(old[i], ctx);
}

void qv_dp_free(void *old, void *ctx)
{
	(void)ctx;
	free(old);
}

struct qv_port *qv_dp_port_by_name(const char *name)
{
	return qv_switch_port_by_name(name);
}

struct qv_port *qv_dp_port_at(uint16_t idx)
{
	return qv_switch_port_at(idx);
}

const char *qv_dp_port_name(uint16_t idx)
{
	return qv_switch_port_name(idx);
}

const char *qv_dp_rule_text(uint32_t id, char *buf, size_t len)
{
	int f = qv_switch_flow_find(id);
	char text[400];

	if (f < 0) {
		snprintf(buf, len, "rule %u (deleted since)", id);
		return buf;
	}
	qv_switch_flow_format((uint32_t)f, NULL, 0, NULL, 0, text, sizeof(text));
	snprintf(buf, len, "rule %u: %s", id, text);
	return buf;
}

void qv_dp_lock(void)
{
	pthread_mutex_lock(&qv_sw.lock);
}

void qv_dp_unlock(void)
{
	pthread_mutex_unlock(&qv_sw.lock);
}

void qv_dp_feature_register(struct qv_dp_feature *f)
{
	struct qv_dp_feature **at = &features;

	while (*at && strcmp((*at)->name, f->name) < 0)
		at = &(*at)->next;
	f->next = *at;
	*at = f;
}

struct qv_dp_feature *qv_dp_features(void)
{
	return features;
}
