/* qwikvirt: one scrape of qv-exporter: one round of JSON-RPC calls to each daemon under a
 * deadline, then the text. A daemon that does not answer becomes qv_up{daemon} 0. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control/exporter/collect.h"
#include "control/rpc/rpc.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Calls method if the daemon is still up and time is left. A daemon that cannot be reached
 * is down for the rest of the round; a JSON-RPC error leaves it up (it answered) and just
 * loses this method's families. */
static json_t *call(const char *sock, const char *method, long long deadline,
                    struct qv_daemon_status *st)
{
	json_t *r = NULL;
	int code = 0, rc;
	long long left = deadline - now_ms();
	char err[400];

	if (!st->up)
		return NULL;
	if (left <= 0) {
		snprintf(st->err, sizeof(st->err), "%s: no answer to %s within the scrape timeout",
		         sock, method);
		st->up = false;
		return NULL;
	}
	rc = qv_rpc_call(sock, method, NULL, (int)left, &r, &code, err, sizeof(err));
	if (rc < 0) {
		snprintf(st->err, sizeof(st->err), "%s", err);
		st->up = false;
		return NULL;
	}
	if (rc > 0)
		snprintf(st->err, sizeof(st->err), "%s on %s answered error %d: %s", method, sock,
		         code, err);
	return r;
}

static void up_sample(struct qv_metrics *m, const char *daemon, bool up)
{
	struct qv_label l[] = {{"daemon", daemon}, {NULL, NULL}};

	qv_metrics_sample(m, l, up);
}

static void duration_sample(struct qv_metrics *m, const char *daemon, long long ms)
{
	struct qv_label l[] = {{"daemon", daemon}, {NULL, NULL}};

	qv_metrics_sample(m, l, (double)ms / 1000.0);
}

int qv_collect(const struct qv_collect_conf *conf, struct qv_metrics *m,
               struct qv_collect_status *st)
{
	json_t *stats, *flows, *chains = NULL, *vms = NULL;
	long long t0 = now_ms(), sw_ms, cd_ms = 0;

	memset(st, 0, sizeof(*st));
	st->sw.asked = st->sw.up = true;
	/* each daemon gets its own budget: a hung switch does not hide the control daemon */
	stats = call(conf->switch_sock, "stats.get", t0 + conf->timeout_ms, &st->sw);
	flows = call(conf->switch_sock, "flow.list", t0 + conf->timeout_ms, &st->sw);
	sw_ms = now_ms() - t0;
	if (conf->controld_sock) {
		long long t1 = now_ms();

		st->cd.asked = st->cd.up = true;
		chains = call(conf->controld_sock, "chains.show", t1 + conf->timeout_ms, &st->cd);
		vms = call(conf->controld_sock, "vm.list", t1 + conf->timeout_ms, &st->cd);
		cd_ms = now_ms() - t1;
	}

	qv_metrics_family(m, "qv_up", QV_METRIC_GAUGE,
	                  "1 when the daemon answered this scrape's calls, 0 when it did not "
	                  "(not running, socket missing or not permitted, or too slow).");
	up_sample(m, "switchd", st->sw.up);
	if (st->cd.asked)
		up_sample(m, "controld", st->cd.up);
	qv_metrics_family(m, "qv_scrape_duration_seconds", QV_METRIC_GAUGE,
	                  "How long this scrape's calls to the daemon took.");
	duration_sample(m, "switchd", sw_ms);
	if (st->cd.asked)
		duration_sample(m, "controld", cd_ms);
	/* a daemon that stopped half way through the round gave a partial picture: leave it
	 * out rather than mix counters of two moments */
	if (st->sw.up)
		qv_export_switch(m, stats, flows);
	if (st->cd.up)
		qv_export_controld(m, chains, vms);
	json_decref(stats);
	json_decref(flows);
	json_decref(chains);
	json_decref(vms);
	return qv_metrics_error(m) ? -1 : 0;
}
