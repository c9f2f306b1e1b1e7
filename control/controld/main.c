/* qwikvirt: qv-controld — holds the desired service (YAML), programs qv-switchd to match it,
 * persists it, and restores the switch after either daemon restarts. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/controld/controld.h"
#include "control/rpc/rpc.h"

#define DEFAULT_SOCKET "/run/qwikvirt/controld.sock"
#define DEFAULT_SWITCH "/run/qwikvirt/switchd.sock"
#define DEFAULT_STATE "/var/lib/qwikvirt"

struct qv_controld qv_cd;
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qv-controld [OPTIONS]\n"
		"\n"
		"The qwikvirt control daemon: takes a YAML service definition (qvctl apply FILE),\n"
		"compiles its chains into qv-switchd ports and rules, applies only what changed,\n"
		"keeps the desired state under --state-dir, and brings the switch back to it by\n"
		"itself whenever the switch (or this daemon) restarts.\n"
		"\n"
		"Options:\n"
		"  --socket PATH        its control socket (default " DEFAULT_SOCKET ")\n"
		"  --switch PATH        qv-switchd's control socket (default " DEFAULT_SWITCH ")\n"
		"  --state-dir DIR      where the desired state is kept (default " DEFAULT_STATE ")\n"
		"  --interval MS        how often the switch is checked against it (default 1000)\n"
		"  -h, --help           this text\n"
		"\n"
		"Example:\n"
		"  qv-controld --state-dir /var/lib/qwikvirt &\n"
		"  qvctl apply --check configs/web.yaml     # the plan, nothing changed\n"
		"  qvctl apply configs/web.yaml\n"
		"  qvctl show chains\n");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"socket", required_argument, NULL, 's'},
		{"switch", required_argument, NULL, 'w'},
		{"state-dir", required_argument, NULL, 'd'},
		{"interval", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = DEFAULT_SOCKET;
	long interval = 1000;
	struct qv_rpc_server *srv;
	char err[512];
	long long next = 0;
	int c;

	qv_cd.switch_sock = DEFAULT_SWITCH;
	qv_cd.state_dir = DEFAULT_STATE;
	qv_cd.rpc_timeout_ms = 5000;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 's': sock = optarg; break;
		case 'w': qv_cd.switch_sock = optarg; break;
		case 'd': qv_cd.state_dir = optarg; break;
		case 'i':
			interval = strtol(optarg, &end, 10);
			if (*end || interval < 50 || interval > 600000) {
				fprintf(stderr, "qv-controld: --interval '%s': expected 50..600000 ms\n",
					optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qv-controld: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (qv_desired_restore(&qv_cd, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-controld: cannot restore the desired state from %s: %s\n",
			qv_cd.state_dir, err);
		return 1;
	}
	srv = qv_rpc_server_open(sock, qv_controld_methods, NULL, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "qv-controld: control socket: %s\n", err);
		qv_desired_free(&qv_cd.desired);
		return 1;
	}
	printf("qv-controld: ready: socket %s, switch %s, state %s%s%s\n", sock, qv_cd.switch_sock,
	       qv_cd.state_dir, qv_cd.desired.name ? ", restored " : "",
	       qv_cd.desired.name ? qv_cd.desired.name : "");
	fflush(stdout);
	while (!stopping) {
		if (qv_rpc_server_poll(srv, 100) != 0)
			break;
		if (now_ms() >= next) {
			qv_reconcile(&qv_cd);
			next = now_ms() + interval;
		}
	}
	qv_rpc_server_close(srv);
	qv_desired_free(&qv_cd.desired);
	printf("qv-controld: stopped\n");
	return 0;
}
