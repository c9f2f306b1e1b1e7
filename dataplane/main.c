/* qwikvirt: qv-switchd — options, EAL start-up, the control loop serving JSON-RPC, clean
 * shutdown. The PMD threads live in pmd.c; everything here is slow path. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "control/rpc/rpc.h"
#include "dataplane/config.h"
#include "dataplane/confine.h"
#include "dataplane/lb/lb.h"
#include "dataplane/events.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"
#include "dataplane/telemetry.h"
#include "lib/log.h"
#include "lib/num.h"
#include "pmd-glue/mempool.h"
#include "qv/sd_notify.h"

#define DEFAULT_SOCKET "/run/qwikvirt/switchd.sock"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Who may do what beyond the method's access (capture.c, trace.c enforce it). */
#define QV_SWITCH_HELP_OWNERS                                                                      \
	"A group member may capture (into --capture-dir only, never over an existing file\n"       \
	"without force) and stop only the captures it started; it may start a trace\n"             \
	"unless another user's trace is still filling. Root (and --admin-group) may stop\n"        \
	"or replace any. vdev devargs are limited to known drivers and keys, their files\n"        \
	"to --capture-dir and their sockets to --vhost-dir.\n"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: qv-switchd [OPTIONS] [-- EAL-ARGS]\n"
	    "\n"
	    "The qwikvirt polling vswitch: vhost-user and DPDK ports, a flow table, one PMD\n"
	    "thread per core. It starts with no ports and no rules; program it with qvctl\n"
	    "(or --startup FILE) over its control socket.\n"
	    "\n"
	    "Options (each overrides the --config file's setting of the same name):\n"
	    "  --config FILE       settings, startup ports and rules from a YAML file\n"
	    "                      (/etc/qwikvirt/switchd.yaml; errors as FILE:LINE:COLUMN,\n"
	    "                      exit 2); --config-if-exists FILE: the same, if FILE exists.\n"
	    "                      Keys: the options below by their names (hugepages: false\n"
	    "                      for --no-huge, memory-mb for --mem), eal-args (a list),\n"
	    "                      ports (port.add parameters), rules (flow text)\n"
	    "  --log-level LEVEL   error, warning, notice, info (default) or debug; DPDK's own\n"
	    "                      lines go through the same log\n"
	    "  --log-target T      stderr (default: one timestamped line per event, for the\n"
	    "                      journal) or syslog\n"
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
	    "  --group-idle S      a load-balancing group's flow not seen for S seconds\n"
	    "                      forgets its member (default 60); a draining member is\n"
	    "                      free once its flows have been idle that long\n"
	    "  --rpc-idle-timeout S  control connections with nothing pending are closed\n"
	    "                      after S seconds (default 60)\n"
	    "  --max-rules N       most rules the switch holds (default 200000); a change that\n"
	    "                      would pass it is refused, naming the limit\n"
	    "  --max-acl-mb N      most rte_acl memory a rule set may take (default 0: no\n"
	    "                      limit); rules needing more are served by the slower tuple\n"
	    "                      space part, and qvctl show flows --summary says why\n"
	    "  --check-rxq-owner   debugging: count rx queues polled by two PMDs at once\n"
	    "                      (rxq_conflicts in pmd.show; costs cycles)\n"
	    "  --admin-group GROUP members of GROUP may call every method too (default: root\n"
	    "                      only); they must be able to open the socket as well\n"
	    "  --capture-dir DIR   capture files (capture.start file=NAME) and net_pcap's\n"
	    "                      rx_pcap/tx_pcap files must lie in DIR (default: capture/\n"
	    "                      beside the socket; created 2750, group " QV_RPC_READ_GROUP ");\n"
	    "                      it must be root's and not writable by group or others\n"
	    "  --vhost-dir DIR     vhost-user sockets (port.add path=) and the sockets of\n"
	    "                      virtio_user, net_vhost and net_memif devargs must lie in\n"
	    "                      DIR (default: the socket's directory)\n"
	    "  -h, --help          this text\n"
	    "\n" QV_RPC_HELP_ACCESS QV_SWITCH_HELP_OWNERS "\n"
	    "EAL-ARGS after -- are passed to DPDK as they are (e.g. -a 0000:03:00.0).\n"
	    "\n"
	    "Example:\n"
	    "  qv-switchd --pmd-cores 1 --socket /run/qwikvirt/switchd.sock &\n"
	    "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock\n"
	    "  qvctl flow add 'in=vm1 actions=output:uplink'\n");
}

struct opts {
	const char *socket, *file_prefix, *startup, *admin_group, *capture_dir, *vhost_dir;
	unsigned pmd[QV_MAX_PMDS], n_pmd, main_core, mem_mb, rpc_idle_s;
	bool no_huge;
	enum qv_log_level log_level;
	enum qv_log_target log_target;
	struct qv_switchd_config cfg; /* --config: read before the options, which override it */
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

/* long-only options: codes past any letter, so that options added beside them cannot clash */
enum {
	OPT_CONFIG = 0x100,
	OPT_CONFIG_IF_EXISTS,
	OPT_LOG_LEVEL,
	OPT_LOG_TARGET,
	OPT_CAPTURE_DIR,
	OPT_VHOST_DIR,
	OPT_GROUP_IDLE,
	OPT_RPC_IDLE
};

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
	    {"admin-group", required_argument, NULL, 'G'},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"config-if-exists", required_argument, NULL, OPT_CONFIG_IF_EXISTS},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"log-target", required_argument, NULL, OPT_LOG_TARGET},
	    {"capture-dir", required_argument, NULL, OPT_CAPTURE_DIR},
	    {"vhost-dir", required_argument, NULL, OPT_VHOST_DIR},
	    {"group-idle", required_argument, NULL, OPT_GROUP_IDLE},
	    {"rpc-idle-timeout", required_argument, NULL, OPT_RPC_IDLE},
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
		case 'G':
			o->admin_group = optarg;
			break;
		case OPT_CONFIG:
		case OPT_CONFIG_IF_EXISTS:
			break; /* read by load_config, before the options */
		case OPT_LOG_LEVEL:
			if (!qv_log_level_parse(optarg, &o->log_level)) {
				fprintf(stderr,
				        "qv-switchd: --log-level '%s': expected " QV_LOG_LEVEL_WORDS
				        "\n",
				        optarg);
				return -1;
			}
			break;
		case OPT_LOG_TARGET:
			if (!qv_log_target_parse(optarg, &o->log_target)) {
				fprintf(
				    stderr,
				    "qv-switchd: --log-target '%s': expected stderr or syslog\n",
				    optarg);
				return -1;
			}
			break;
		case OPT_CAPTURE_DIR:
			o->capture_dir = optarg;
			break;
		case OPT_VHOST_DIR:
			o->vhost_dir = optarg;
			break;
		case OPT_GROUP_IDLE:
			if (parse_uint("--group-idle", optarg, 1, 86400, &qv_lb_idle_s))
				return -1;
			break;
		case OPT_RPC_IDLE:
			if (parse_uint("--rpc-idle-timeout", optarg, 1, 86400, &o->rpc_idle_s))
				return -1;
			break;
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

/* --config FILE (or --config-if-exists FILE) is read first, into the defaults, so that every
 * option given on the command line overrides the file's value. Returns 0, or 2 after printing
 * the file's errors (FILE:LINE:COLUMN). */
static int load_config(int argc, char **argv, struct opts *o)
{
	const char *path = NULL;
	bool must_exist = true;
	struct qv_switchd_config *c = &o->cfg;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9, must_exist = true;
		else if (strncmp(argv[i], "--config-if-exists=", 19) == 0)
			path = argv[i] + 19, must_exist = false;
		else if (i + 1 < argc && strcmp(argv[i], "--config") == 0)
			path = argv[++i], must_exist = true;
		else if (i + 1 < argc && strcmp(argv[i], "--config-if-exists") == 0)
			path = argv[++i], must_exist = false;
	}
	if (!path || (!must_exist && access(path, F_OK) != 0))
		return 0;
	if (qv_switchd_config_load(path, c, stderr) != 0) {
		fprintf(stderr, "qv-switchd: %s has errors (see above): not started\n", path);
		qv_switchd_config_free(c);
		return 2;
	}
	if (c->socket)
		o->socket = c->socket;
	if (c->file_prefix)
		o->file_prefix = c->file_prefix;
	if (c->capture_dir)
		o->capture_dir = c->capture_dir;
	if (c->vhost_dir)
		o->vhost_dir = c->vhost_dir;
	if (c->has_pmd) {
		memcpy(o->pmd, c->pmd, sizeof(o->pmd));
		o->n_pmd = c->n_pmd;
	}
	if (c->has_main_core)
		o->main_core = c->main_core;
	if (c->has_mbufs)
		qv_mempool_size = c->mbufs;
	if (c->has_hugepages)
		o->no_huge = !c->hugepages;
	if (c->has_mem)
		o->mem_mb = c->mem_mb;
	if (c->has_l2_aging)
		qv_sw.l2_aging_s = c->l2_aging_s;
	if (c->has_level)
		o->log_level = c->level;
	if (c->has_target)
		o->log_target = c->target;
	return 0;
}

/* --capture-dir and --vhost-dir, defaulting beside the control socket (its directory exists:
 * the server made it). */
static int open_dirs(const struct opts *o, char *err, size_t errlen)
{
	char sockdir[PATH_MAX], real[PATH_MAX], capture[PATH_MAX + 16];
	const char *slash = strrchr(o->socket, '/');

	if (!slash || slash == o->socket)
		snprintf(sockdir, sizeof(sockdir), "%s", slash ? "/" : ".");
	else
		snprintf(sockdir, sizeof(sockdir), "%.*s", (int)(slash - o->socket), o->socket);
	if (!realpath(sockdir, real)) {
		snprintf(err, errlen, "cannot resolve the directory of the socket %s", o->socket);
		return -1;
	}
	snprintf(capture, sizeof(capture), "%s/capture", strcmp(real, "/") ? real : "");
	return qv_switch_dirs_init(o->capture_dir ? o->capture_dir : capture,
	                           o->vhost_dir ? o->vhost_dir : real, err, errlen);
}

static FILE *dpdk_log; /* DPDK's log stream (lib/log), closed at exit */

static void dpdk_log_close(void)
{
	rte_openlog_stream(NULL);
	fclose(dpdk_log);
}

/* DPDK's levels are syslog's plus one (RTE_LOG_ERR 4 = LOG_ERR 3). */
static enum qv_log_level dpdk_line_level(void)
{
	int l = rte_log_cur_msg_loglevel(), err = RTE_LOG_ERR, debug = RTE_LOG_DEBUG;

	return l <= err ? QV_LOG_ERR : l >= debug ? QV_LOG_DEBUG : (enum qv_log_level)(l - 1);
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
	struct opts o = {.socket = DEFAULT_SOCKET,
	                 .file_prefix = "qvsw",
	                 .mem_mb = 1024,
	                 .log_level = QV_LOG_INFO,
	                 .log_target = QV_LOG_STDERR};
	char *eal[64 + 8], lcores[512], mem[16], err[512];
	int eal_start, n = 0, rc;
	struct qv_rpc_server *srv;
	size_t off;

	if ((rc = load_config(argc, argv, &o)) != 0)
		return rc;
	if (parse_opts(argc, argv, &o, &eal_start) != 0) {
		qv_switchd_config_free(&o.cfg);
		return 2;
	}
	qv_log_init(&(struct qv_log_config){
	    .prog = "qv-switchd", .level = o.log_level, .target = o.log_target});
	/* RTE_LOG lines (EAL, vhost, drivers) get levels and timestamps, and the rate limit */
	dpdk_log = qv_log_stream("dpdk", dpdk_line_level);
	if (dpdk_log) {
		rte_openlog_stream(dpdk_log);
		atexit(dpdk_log_close);
	}
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
	for (unsigned i = 0; i < o.cfg.n_eal && n < 64 + 7; i++)
		eal[n++] = o.cfg.eal_args[i]; /* the file's eal-args, then the command line's */
	for (int i = eal_start; i < argc && n < 64 + 7; i++)
		eal[n++] = argv[i];
	eal[n] = NULL;

	rc = rte_eal_init(n, eal);
	if (rc < 0) {
		qv_log(QV_LOG_ERR, NULL, NULL,
		       "DPDK initialisation failed: %s (are hugepages allocated? see "
		       "scripts/setup-host.sh, or run with --no-huge)",
		       rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (qv_switch_init(o.pmd, (uint16_t)o.n_pmd, err, sizeof(err)) != 0) {
		qv_log(QV_LOG_ERR, NULL, NULL, "%s", err);
		rte_eal_cleanup();
		return 1;
	}
	qv_telemetry_register();
	if (qv_switch_start_pmds() != 0) {
		qv_log(QV_LOG_ERR, NULL, NULL, "cannot start the PMD threads");
		return 1;
	}
	srv = qv_rpc_server_open(o.socket, qv_switch_methods, NULL, err, sizeof(err));
	if (srv && o.rpc_idle_s)
		qv_rpc_server_set_idle_timeout(srv, o.rpc_idle_s * 1000);
	if (!srv) {
		qv_log(QV_LOG_ERR, NULL, NULL, "control socket: %s", err);
		stopping = 1;
	} else if (o.admin_group &&
	           qv_rpc_server_set_admin_group(srv, o.admin_group, err, sizeof(err)) != 0) {
		qv_log(QV_LOG_ERR, NULL, NULL, "%s", err);
		stopping = 1;
		rc = 1;
	} else if (open_dirs(&o, err, sizeof(err)) != 0) {
		qv_log(QV_LOG_ERR, NULL, NULL, "%s", err);
		stopping = 1;
		rc = 1;
	} else if (o.cfg.n_req && qv_switchd_config_apply(&o.cfg, stderr) != 0) {
		stopping = 1;
		rc = 1;
	} else if (o.startup && run_startup(o.startup) != 0) {
		stopping = 1;
		rc = 1;
	}
	if (!stopping) {
		char cpus[QV_MAX_PMDS * 6] = "";

		for (unsigned i = 0, k = 0; i < o.n_pmd; i++)
			k += (unsigned)snprintf(cpus + k, sizeof(cpus) - k, "%s%u", i ? "," : "",
			                        o.pmd[i]);
		qv_events_tick(); /* the startup ports and rules, before "ready" */
		qv_log(QV_LOG_NOTICE, NULL, NULL, "ready: %u PMD(s) on CPU %s, control socket %s",
		       o.n_pmd, cpus, o.socket);
		qv_sd_notify("READY=1"); /* systemd Type=notify: the socket answers now */
		rc = 0;
	} else if (!srv) {
		rc = 1;
	}
	while (!stopping) {
		if (qv_rpc_server_poll(srv, 200) != 0)
			break;
		pthread_mutex_lock(&qv_sw.lock);
		qv_switch_tick(); /* e.g. captures that reached their count, duration or size */
		qv_events_tick(); /* port up/down, tables published: one log line each */
		pthread_mutex_unlock(&qv_sw.lock);
	}
	if (srv)
		qv_rpc_server_close(srv);
	pthread_mutex_lock(&qv_sw.lock);
	qv_switch_stop();
	pthread_mutex_unlock(&qv_sw.lock);
	rte_eal_cleanup();
	qv_log(QV_LOG_NOTICE, NULL, NULL, "stopped");
	qv_switchd_config_free(&o.cfg);
	return rc;
}
