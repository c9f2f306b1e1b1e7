/* qwikvirt: qv-exporter, the Prometheus exporter: serves /metrics on a loopback HTTP port,
 * each scrape one round of JSON-RPC calls to qv-switchd and qv-controld. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/exporter/collect.h"
#include "control/exporter/http.h"

#define DEFAULT_LISTEN "127.0.0.1:9482"
#define DEFAULT_SWITCH "/run/qwikvirt/switchd.sock"
#define DEFAULT_CONTROLD "/run/qwikvirt/controld.sock"

static const char usage_text[] =
    "Usage: qv-exporter [options]\n"
    "\n"
    "Serves qwikvirt's counters to Prometheus: GET http://ADDR:PORT/metrics answers in the\n"
    "Prometheus text format, asking the daemons over their control sockets on every scrape\n"
    "(nothing is cached). A daemon that does not answer is reported as qv_up{daemon=...} 0;\n"
    "the exporter keeps serving.\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT  where to serve (default " DEFAULT_LISTEN "). ':PORT' or 'PORT' mean\n"
    "                      127.0.0.1; IPv6 as [::1]:PORT; port 0 picks a free one (printed).\n"
    "                      Only an address named here may be non-loopback: the counters\n"
    "                      then go to anyone who can reach it, so firewall it.\n"
    "  --switch SOCKET     qv-switchd's control socket (default " DEFAULT_SWITCH ")\n"
    "  --controld SOCKET   qv-controld's control socket (default " DEFAULT_CONTROLD "),\n"
    "                      or 'none' to ask only the switch\n"
    "  --timeout MS        how long each daemon has to answer a scrape's calls (default\n"
    "                      2000; keep the sum under Prometheus' scrape_timeout)\n"
    "  -h, --help          this text\n"
    "\n"
    "What it exports (qvctl shows the same figures):\n"
    "  qv_up, qv_scrape_duration_seconds             per daemon\n"
    "  qv_port_{rx,tx}_{packets,bytes}_total         per port\n"
    "  qv_port_drops_total{port,reason}              per port and drop reason\n"
    "  qv_drops_total{reason}                        the whole switch\n"
    "  qv_port_up, qv_port_admin_up, qv_port_info    per port\n"
    "  qv_pmd_{busy,idle}_cycles_total               per PMD core\n"
    "  qv_pmd_packets_total, qv_pmd_cycles_per_packet  per PMD core\n"
    "  qv_pmd_tsc_hertz, qv_pmd_lookups_total{how}   per PMD core\n"
    "  qv_pmd_rxq_{packets,busy_cycles}_total        per rx queue\n"
    "  qv_rule_hits_total{id,rule}                   per switch rule\n"
    "  qv_chain_hits_total, qv_chain_rules           per chain (qv-controld)\n"
    "  qv_chain_port_up{chain,hop,port}              per port on a chain's path\n"
    "  qv_vm_state{vm,state}, qv_vm_vcpus            per VM (qv-controld)\n"
    "  qv_vm_memory_bytes                            per VM\n"
    "  qv_vm_cpu_seconds_total                       per VM: all of QEMU's CPU time\n"
    "  qv_vm_vcpu_seconds_total                      per VM: its vCPU threads' CPU time\n"
    "\n"
    "Runs as any user that may read the sockets: root, or a member of the qwikvirt group\n"
    "(the daemons give it their read methods only). As a service: qv-exporter.service, a\n"
    "throw-away user in the qwikvirt group, options from QV_EXPORTER_OPTS in\n"
    "/etc/default/qwikvirt (systemctl enable --now qv-exporter).\n"
    "\n"
    "Examples:\n"
    "  qv-exporter                                   # 127.0.0.1:9482, the default sockets\n"
    "  qv-exporter --listen 127.0.0.1:9100 --controld none\n"
    "  curl -s http://127.0.0.1:9482/metrics | promtool check metrics\n"
    "  # prometheus.yml:\n"
    "  scrape_configs:\n"
    "    - job_name: qwikvirt\n"
    "      static_configs: [{targets: ['127.0.0.1:9482']}]\n"
    "\n"
    "Exit status: 0 after SIGTERM or SIGINT, 1 on a bad option, 2 when it cannot listen.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct exporter {
	struct qv_collect_conf conf;
	struct qv_collect_status last; /* to log a daemon going away or coming back once */
	bool scraped;
};

static void log_change(const char *daemon, const struct qv_daemon_status *was,
                       const struct qv_daemon_status *now, bool first)
{
	if (!now->asked)
		return;
	if (!now->up && (first || was->up || strcmp(was->err, now->err) != 0))
		fprintf(stderr, "qv-exporter: %s does not answer (qv_up 0): %s\n", daemon,
		        now->err);
	else if (now->up && !first && !was->up)
		fprintf(stderr, "qv-exporter: %s answers again\n", daemon);
	else if (now->up && now->err[0] && (first || strcmp(was->err, now->err) != 0))
		fprintf(stderr, "qv-exporter: %s: %s\n", daemon, now->err);
}

static int metrics_body(void *ctx, char **body, size_t *len)
{
	struct exporter *e = ctx;
	struct qv_metrics m;
	struct qv_collect_status st;
	int rc;

	qv_metrics_init(&m);
	rc = qv_collect(&e->conf, &m, &st);
	log_change("qv-switchd", &e->last.sw, &st.sw, !e->scraped);
	log_change("qv-controld", &e->last.cd, &st.cd, !e->scraped);
	e->last = st;
	e->scraped = true;
	if (rc != 0) {
		const char *why = qv_metrics_error(&m);

		fprintf(stderr,
		        "qv-exporter: cannot format the metrics: %s (a bug: please report)\n", why);
		*body = strdup(why);
		*len = *body ? strlen(*body) : 0;
		qv_metrics_free(&m);
		return -1;
	}
	*body = m.buf; /* handed over: freed by the server */
	*len = m.len;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},   {"switch", required_argument, NULL, 's'},
	    {"controld", required_argument, NULL, 'c'}, {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
	struct exporter e = {.conf = {DEFAULT_SWITCH, DEFAULT_CONTROLD, 2000}};
	struct qv_http_server srv = {.fd = -1,
	                             .path = "/metrics",
	                             .content_type = "text/plain; version=0.0.4; charset=utf-8",
	                             .body = metrics_body,
	                             .ctx = &e};
	const char *listen_at = DEFAULT_LISTEN;
	bool explicit = false;
	struct qv_listen at;
	struct sigaction sa = {.sa_handler = on_signal};
	char err[512], *end;
	int c;
	long v;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			explicit = true;
			break;
		case 's':
			e.conf.switch_sock = optarg;
			break;
		case 'c':
			e.conf.controld_sock = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 10 || v > 60000) {
				fprintf(stderr,
				        "qv-exporter: --timeout %s: give milliseconds, 10..60000\n",
				        optarg);
				return 1;
			}
			e.conf.timeout_ms = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "qv-exporter: see qv-exporter --help for the options\n");
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qv-exporter: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return 1;
	}
	if (qv_listen_parse(listen_at, &at, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-exporter: %s\n", err);
		return 1;
	}
	if (qv_http_open(&srv, &at, explicit, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-exporter: %s\n", err);
		return 2;
	}
	if (!at.loopback)
		fprintf(
		    stderr,
		    "qv-exporter: warning: serving on %s, not a loopback address: anyone who can "
		    "reach it reads the switch's counters\n",
		    srv.addr);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "qv-exporter: listening on http://%s/metrics (switch %s, controld %s)\n",
	        srv.addr, e.conf.switch_sock, e.conf.controld_sock ? e.conf.controld_sock : "none");
	fprintf(stderr, "qv-exporter: ready\n");
	while (!stop) {
		if (qv_http_serve_one(&srv, 500) != 0) {
			fprintf(stderr, "qv-exporter: the listening socket on %s failed; exiting\n",
			        srv.addr);
			qv_http_close(&srv);
			return 2;
		}
	}
	qv_http_close(&srv);
	return 0;
}
