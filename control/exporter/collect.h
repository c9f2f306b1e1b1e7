/* qwikvirt: what qv-exporter asks the daemons on each scrape (one round of JSON-RPC calls)
 * and how their JSON answers become Prometheus metric families. */
#ifndef QV_EXPORTER_COLLECT_H
#define QV_EXPORTER_COLLECT_H

#include <stdbool.h>

#include <jansson.h>

#include "control/exporter/metrics.h"

struct qv_collect_conf {
	const char *switch_sock;   /* qv-switchd's control socket */
	const char *controld_sock; /* qv-controld's, or NULL: not asked, not reported */
	int timeout_ms;            /* per daemon, for its whole round of calls */
};

/* Whether a daemon answered this scrape, and if not (or if a call failed), why. */
struct qv_daemon_status {
	bool asked, up;
	char err[512];
};

struct qv_collect_status {
	struct qv_daemon_status sw, cd;
};

/* One scrape: calls qv-switchd (stats.get, flow.list) and qv-controld (chains.show, vm.list),
 * then writes qv_up{daemon} (1 = answered, 0 = not) for each daemon asked, and the families of
 * whatever came back. A daemon that does not answer is a 0, not a failure. Returns 0, or -1
 * when the text itself could not be made (qv_metrics_error says why). */
int qv_collect(const struct qv_collect_conf *conf, struct qv_metrics *m,
               struct qv_collect_status *st);

/* The switch's families from the results of stats.get and flow.list (either may be NULL:
 * its families are left out). Pure: unit-tested on canned JSON. */
void qv_export_switch(struct qv_metrics *m, json_t *stats, json_t *flows);

/* The control daemon's families from chains.show and vm.list (either may be NULL). */
void qv_export_controld(struct qv_metrics *m, json_t *chains, json_t *vms);

#endif
