/* qwikvirt: qv-switchd — options, EAL start-up, the control loop serving JSON-RPC, clean
 * shutdown. The PMD threads live in pmd.c; everything here is slow path. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "control/rpc/rpc.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"
#include "dataplane/telemetry.h"
#include "lib/num.h"
#include "pmd-glue/mempool.h"

#define DEFAULT_SOCKET "/run/qwikvirt/switchd.sock"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: qv-switchd [OPTIONS] [-- EAL-ARGS]\n"
	       "\n"
	       "The qwikvirt polling vswitch: vhost-user and DPDK ports, a flow table, one PMD\n"
	       "thread per core. It starts with no ports and no rules; program it with qvctl\n"
	       "(or --startup FILE) over its control socket.\n"
	       "\n"
	       "Options:\n"
	       "  --socket PATH       control socket (default " DEFAULT_SOCKET ")\n"
	       "  --pmd-cores LIST    CPUs for PMD threads, comma separated (default: 1 when the\n"
	       "                      host has 2+ CPUs, else 0). Each PMD busy-polls its CPU.\n"
	       "  --main-core N       CPU for the control thread and DPDK's helper threads\n"
	       "                      (default 0); keep it off the PMD cores\n"
	       "  --mbufs N           packet buffers per NUMA node (default 16384)\n"
	       "  --no-huge           use 4 KB pages instead of hugepages (slower; for hosts\n"
	       "                      without hugepages)\n"
	       "  --mem MB            memory to use with --no-huge (default 1024)\n"
	       "  --file-prefix NAME  DPDK runtime name (default qvsw); dpdk-telemetry.py -f NAME\n"
	       "                      reads the /qv/... telemetry endpoints\n"
	       "  --startup FILE      JSON-RPC requests, one per line, run before serving; the\n"
	       "                      switch exits if one fails\n"
	       "  --l2-aging SECONDS  MAC learning entry lifetime (default 300)\n"
	       "  --max-rules N       most rules the switch holds (default 200000); a change that\n"
	       "                      would pass it is refused, naming the limit\n"
	       "  --max-acl-mb N      most rte_acl memory a rule set may take (default 0: no\n"
	       "                      limit); rules needing more are served by the slower tuple\n"
	       "                      space part, and qvctl show flows --summary says why\n"
	       "  --check-rxq-owner   debugging: count rx queues polled by two PMDs at once\n"
	       "                      (rxq_conflicts in pmd.show; costs cycles)\n"
	       "  -h, --help          this text\n"
	       "\n"
	       "EAL-ARGS after -- are passed to DPDK as they are (e.g. -a 0000:03:00.0).\n"
	       "\n"
	       "Example:\n"
	       "  qv-switchd --pmd-cores 1 --socket /run/qwikvirt/switchd.sock &\n"
	       "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock\n"
	       "  qvctl flow add 'in=vm1 actions=output:uplink'\n");
}

struct opts {
	const char *socket, *file_prefix, *startup;
	unsigned pmd[QV_MAX_PMDS], n_pmd, main_core, mem_mb;
	bool no_huge;
};

static int parse_cores(const char *s, struct opts *o)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int rc = 0;

	o->n_pmd = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;

		if (!qv_parse_uint(tok, 10, 0, 1023, &v) || o->n_pmd == QV_MAX_PMDS) {
			fprintf(stderr,
			        "qv-switchd: --pmd-cores '%s': '%s' is not a CPU number "
			        "(expected e.g. 1 or 1,2; at most %d)\n",
			        s, tok, QV_MAX_PMDS);
			rc = -1;
			break;
		}
		o->pmd[o->n_pmd++] = (unsigned)v;
	}
	free(copy);
	if (rc == 0 && o->n_pmd == 0) {
		fprintf(stderr, "qv-switchd: --pmd-cores needs at least one CPU\n");
		rc = -1;
	}
	return rc;
}

static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	uint64_t v;

	if (!qv_parse_uint(s, 10, lo, hi, &v)) {
		fprintf(stderr, "qv-switchd: %s '%s': expected a number %u..%u\n", opt, s, lo, hi);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, int *eal_start)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"pmd-cores", required_argument, NULL, 'p'},
	    {"main-core", required_argument, NULL, 'm'},
	    {"mbufs", required_argument, NULL, 'b'},
	    {"no-huge", no_argument, NULL, 'n'},
	    {"mem", required_argument, NULL, 'M'},
	    {"file-prefix", required_argument, NULL, 'f'},
	    {"startup", required_argument, NULL, 'S'},
	    {"l2-aging", required_argument, NULL, 'a'},
	    {"check-rxq-owner", no_argument, NULL, 'O'},
	    {"max-rules", required_argument, NULL, 'R'},
	    {"max-acl-mb", required_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			if (parse_cores(optarg, o))
				return -1;
			break;
		case 'm':
			if (parse_uint("--main-core", optarg, 0, 1023, &o->main_core))
				return -1;
			break;
		case 'b':
			if (parse_uint("--mbufs", optarg, 1024, 1u << 24, &qv_mempool_size))
				return -1;
			break;
		case 'n':
			o->no_huge = true;
			break;
		case 'M':
			if (parse_uint("--mem", optarg, 64, 1u << 20, &o->mem_mb))
				return -1;
			break;
		case 'f':
			o->file_prefix = optarg;
			break;
		case 'S':
			o->startup = optarg;
			break;
		case 'a':
			if (parse_uint("--l2-aging", optarg, 1, 86400, &qv_sw.l2_aging_s))
				return -1;
			break;
		case 'O':
			qv_sw.check_rxq_owner = true;
			break;
		case 'R':
			if (parse_uint("--max-rules", optarg, 1, 10000000, &qv_sw.max_rules))
				return -1;
			break;
		case 'A': {
			unsigned mb;

			if (parse_uint("--max-acl-mb", optarg, 0, 1u << 20, &mb))
				return -1;
			qv_sw.max_acl_bytes = (size_t)mb << 20;
			break;
		}
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	*eal_start = optind;
	for (unsigned i = 0; i < o->n_pmd; i++)
		if (o->pmd[i] == o->main_core)
			fprintf(stderr,
			        "qv-switchd: warning: PMD core %u is also the main core: the "
			        "control thread will compete with a busy-polling PMD\n",
			        o->pmd[i]);
	return 0;
}

static int run_startup(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	if (!f) {
		fprintf(stderr, "qv-switchd: --startup %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		char *resp;
		json_t *r;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0 || line[0] == '#')
			continue;
		resp = qv_rpc_handle_line(line, (size_t)len, qv_switch_methods, NULL);
		r = resp ? json_loads(resp, 0, NULL) : NULL;
		if (r && json_object_get(r, "error")) {
			fprintf(stderr, "qv-switchd: %s:%d: %s\n", path, lineno,
			        json_string_value(
			            json_object_get(json_object_get(r, "error"), "message")));
			rc = -1;
		}
		json_decref(r);
		free(resp);
		if (rc)
			break;
	}
	free(line);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {.socket = DEFAULT_SOCKET, .file_prefix = "qvsw", .mem_mb = 1024};
	char *eal[64 + 8], lcores[512], mem[16], err[512];
	int eal_start, n = 0, rc;
	struct qv_rpc_server *srv;
	size_t off;

	if (parse_opts(argc, argv, &o, &eal_start) != 0)
		return 2;
	if (o.n_pmd == 0) {
		o.pmd[0] = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
		o.n_pmd = 1;
	}
	/* lcore 0 is the main thread on --main-core; lcores 1.. are the PMDs on their CPUs. */
	off = (size_t)snprintf(lcores, sizeof(lcores), "0@%u", o.main_core);
	for (unsigned i = 0; i < o.n_pmd; i++)
		off +=
		    (size_t)snprintf(lcores + off, sizeof(lcores) - off, ",%u@%u", i + 1, o.pmd[i]);
	eal[n++] = argv[0];
	eal[n++] = "--lcores";
	eal[n++] = lcores;
	eal[n++] = "--file-prefix";
	eal[n++] = (char *)o.file_prefix;
	if (o.no_huge) {
		snprintf(mem, sizeof(mem), "%u", o.mem_mb);
		eal[n++] = "--no-huge";
		eal[n++] = "-m";
		eal[n++] = mem;
	} else {
		eal[n++] = "--in-memory"; /* no hugepage files left behind by a killed switch */
	}
	for (int i = eal_start; i < argc && n < 64 + 7; i++)
		eal[n++] = argv[i];
	eal[n] = NULL;

	rc = rte_eal_init(n, eal);
	if (rc < 0) {
		fprintf(stderr,
		        "qv-switchd: DPDK initialisation failed: %s (are hugepages "
		        "allocated? see scripts/setup-host.sh, or run with --no-huge)\n",
		        rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (qv_switch_init(o.pmd, (uint16_t)o.n_pmd, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-switchd: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	qv_telemetry_register();
	if (qv_switch_start_pmds() != 0) {
		fprintf(stderr, "qv-switchd: cannot start the PMD threads\n");
		return 1;
	}
	srv = qv_rpc_server_open(o.socket, qv_switch_methods, NULL, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "qv-switchd: control socket: %s\n", err);
		stopping = 1;
	} else if (o.startup && run_startup(o.startup) != 0) {
		stopping = 1;
		rc = 1;
	}
	if (!stopping) {
		printf("qv-switchd: ready: %u PMD(s) on CPU", o.n_pmd);
		for (unsigned i = 0; i < o.n_pmd; i++)
			printf("%s%u", i ? "," : " ", o.pmd[i]);
		printf(", control socket %s\n", o.socket);
		fflush(stdout);
		rc = 0;
	} else if (!srv) {
		rc = 1;
	}
	while (!stopping) {
		if (qv_rpc_server_poll(srv, 200) != 0)
			break;
		pthread_mutex_lock(&qv_sw.lock);
		qv_switch_tick(); /* e.g. captures that reached their count, duration or size */
		pthread_mutex_unlock(&qv_sw.lock);
	}
	if (srv)
		qv_rpc_server_close(srv);
	pthread_mutex_lock(&qv_sw.lock);
	qv_switch_stop();
	pthread_mutex_unlock(&qv_sw.lock);
	rte_eal_cleanup();
	printf("qv-switchd: stopped\n");
	return rc;
}
