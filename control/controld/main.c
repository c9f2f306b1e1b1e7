/* qwikvirt: qv-controld — holds the desired service (YAML), programs qv-switchd to match it,
 * persists it, and restores the switch after either daemon restarts. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "control/controld/kvm_detect.h"
#include "control/controld/scaling.h"
#include "control/placement/placement.h"
#include "control/rpc/rpc.h"
#include "control/vm/vm_lifecycle.h"
#include "lib/log.h"
#include "qv/sd_notify.h"

#define DEFAULT_SOCKET "/run/qwikvirt/controld.sock"
#define DEFAULT_SWITCH "/run/qwikvirt/switchd.sock"
#define DEFAULT_STATE "/var/lib/qwikvirt"
#define DEFAULT_IMAGES "/var/lib/qwikvirt/images"
/* The main loop's longest wait: the switch watch (watch.c) is polled this often, so a
 * restarted switch is seen within it; 100 cheap wake-ups a second. */
#define WATCH_TICK_MS 10

/* long-only options: codes past any letter, so that options added beside them cannot clash */
enum { OPT_LOG_LEVEL = 0x100, OPT_LOG_TARGET, OPT_LOAD_SIGNAL_DIR };

struct qv_controld qv_cd;
static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
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
	    "  --interval MS        how often the switch is checked against it (default 1000);\n"
	    "                       a switch that dies and comes back is seen at once and\n"
	    "                       restored then, whatever the interval\n"
	    "  --admin-group GROUP  members of GROUP may call every method too (default: root\n"
	    "                       only); they must be able to open the socket as well\n"
	    "  --log-level LEVEL    error, warning, notice, info (default) or debug\n"
	    "  --log-target T       stderr (default: one timestamped line per event, for the\n"
	    "                       journal) or syslog\n"
	    "\n" QV_RPC_HELP_ACCESS "\n"
	    "VNF VMs (each VNF instance of the file runs as a libvirt domain PREFIX<vnf>-<n>,\n"
	    "started after its vhost-user ports exist, adopted when already running, removed\n"
	    "when it leaves the file; overlays, serial logs, snapshots under --state-dir):\n"
	    "  --no-vms             launch no VMs: VNF ports are vhost-user ports that something\n"
	    "                       else connects to (the integration tests' testpmd stand-ins)\n"
	    "  --libvirt-uri URI    libvirt connection (default " QV_VM_DEFAULT_URI ")\n"
	    "  --vm-prefix PREFIX   domain name prefix (default qv-)\n"
	    "  --images DIR         VM boot files (image, kernel, initrd) must be under DIR,\n"
	    "                       symbolic links resolved; relative paths of the file are\n"
	    "                       taken from it (default " DEFAULT_IMAGES ")\n"
	    "  --domain-type T      auto (default): kvm where /dev/kvm runs stock guest kernels\n"
	    "                       (not PVM), else qemu with a warning; qemu (software\n"
	    "                       emulation) or kvm force one ($QV_KVM_DEVICE: the device)\n"
	    "  --vm-memory M        memfd (default) or hugepages: shared guest memory for "
	    "vhost-user\n"
	    "  --vm-stop-timeout S  graceful shutdown wait before destroy (default 10)\n"
	    "  --topology SPEC      placement input: host (default), an lstopo FILE.xml, or an\n"
	    "                       hwloc synthetic topology such as 'numa:2 core:8 pu:2'\n"
	    "  --sysfs-root DIR     sysfs for SR-IOV VFs and NIC nodes (default /sys; tests)\n"
	    "  --load-signal-dir DIR  the load of a scaling VNF (instances: {min, max, ...}) is\n"
	    "                       read from file DIR/VNF (its per-instance average: 85%% or\n"
	    "                       1.2Mpps) instead of measured (tests, external monitors)\n"
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

static enum qv_log_level info_level(void)
{
	return QV_LOG_INFO;
}
static enum qv_log_level warning_level(void)
{
	return QV_LOG_WARNING;
}

/* From here on every line the daemon prints (here, in the reconcile, in libvirt's error
 * handler) is a log event with a level and a timestamp, to the real stderr or syslog. */
static FILE *real_stdout, *real_stderr;

/* At exit: the real streams back, the log streams closed (their last partial line logged). */
static void log_stop(void)
{
	FILE *out = stdout, *err = stderr;

	stdout = real_stdout;
	stderr = real_stderr;
	fclose(out);
	fclose(err);
}

static void log_start(struct qv_log_config *log)
{
	FILE *out, *err;

	log->stream = fdopen(dup(STDERR_FILENO), "w");
	qv_log_init(log);
	out = qv_log_stream(NULL, info_level);
	err = qv_log_stream(NULL, warning_level);
	if (log->stream && out && err) {
		real_stdout = stdout;
		real_stderr = stderr;
		stdout = out;
		stderr = err;
		atexit(log_stop);
	} else {
		if (out)
			fclose(out);
		if (err)
			fclose(err);
	}
}

/* The daemon's methods, then the VM ones, in one table for the RPC server. */
static const struct qv_rpc_method *all_methods(void)
{
	static struct qv_rpc_method all[64];
	size_t n = 0;

	for (size_t i = 0; qv_controld_methods[i].name && n < 62; i++)
		all[n++] = qv_controld_methods[i];
	for (size_t i = 0; qv_vm_methods[i].name && n < 62; i++)
		all[n++] = qv_vm_methods[i];
	for (size_t i = 0; qv_scaling_methods[i].name && n < 62; i++)
		all[n++] = qv_scaling_methods[i];
	return all;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"switch", required_argument, NULL, 'w'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"interval", required_argument, NULL, 'i'},
	    {"no-vms", no_argument, NULL, 'n'},
	    {"libvirt-uri", required_argument, NULL, 'u'},
	    {"vm-prefix", required_argument, NULL, 'p'},
	    {"images", required_argument, NULL, 'I'},
	    {"domain-type", required_argument, NULL, 'T'},
	    {"vm-memory", required_argument, NULL, 'M'},
	    {"vm-stop-timeout", required_argument, NULL, 'S'},
	    {"topology", required_argument, NULL, 't'},
	    {"sysfs-root", required_argument, NULL, 'r'},
	    {"admin-group", required_argument, NULL, 'G'},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"log-target", required_argument, NULL, OPT_LOG_TARGET},
	    {"load-signal-dir", required_argument, NULL, OPT_LOAD_SIGNAL_DIR},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = DEFAULT_SOCKET, *domain_type = "auto", *admin_group = NULL;
	long interval = 1000, interval_s;
	static char state_abs[PATH_MAX];
	struct qv_rpc_server *srv;
	char err[512];
	struct qv_switch_watch watch;
	bool switch_gone = false;
	long long next = 0, retry_ms = 0;
	int c;
	struct qv_log_config log = {.prog = "qv-controld", .level = QV_LOG_INFO};

	qv_cd.switch_sock = DEFAULT_SWITCH;
	qv_cd.state_dir = DEFAULT_STATE;
	qv_cd.rpc_timeout_ms = 5000;
	qv_cd.vm = (struct qv_vm_opts){.enabled = true,
	                               .uri = QV_VM_DEFAULT_URI,
	                               .prefix = "qv-",
	                               .images = DEFAULT_IMAGES,
	                               .stop_timeout_ms = 10000};
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'w':
			qv_cd.switch_sock = optarg;
			break;
		case 'd':
			qv_cd.state_dir = optarg;
			break;
		case 'i':
			interval = strtol(optarg, &end, 10);
			if (*end || interval < 50 || interval > 600000) {
				fprintf(stderr,
				        "qv-controld: --interval '%s': expected 50..600000 ms\n",
				        optarg);
				return 2;
			}
			break;
		case 'n':
			qv_cd.vm.enabled = false;
			break;
		case 'u':
			qv_cd.vm.uri = optarg;
			break;
		case 'p':
			qv_cd.vm.prefix = optarg;
			break;
		case 'I':
			qv_cd.vm.images = optarg;
			break;
		case 't':
			qv_cd.vm.topology = optarg;
			break;
		case 'r':
			qv_cd.vm.sysfs_root = optarg;
			break;
		case 'T':
			if (strcmp(optarg, "qemu") != 0 && strcmp(optarg, "kvm") != 0 &&
			    strcmp(optarg, "auto") != 0) {
				fprintf(
				    stderr,
				    "qv-controld: --domain-type '%s': expected auto, qemu or kvm\n",
				    optarg);
				return 2;
			}
			domain_type = optarg;
			qv_cd.vm.kvm = strcmp(optarg, "kvm") == 0;
			break;
		case 'M':
			if (strcmp(optarg, "memfd") != 0 && strcmp(optarg, "hugepages") != 0) {
				fprintf(
				    stderr,
				    "qv-controld: --vm-memory '%s': expected memfd or hugepages\n",
				    optarg);
				return 2;
			}
			qv_cd.vm.hugepages = strcmp(optarg, "hugepages") == 0;
			break;
		case 'S':
			interval_s = strtol(optarg, &end, 10);
			if (*end || interval_s < 0 || interval_s > 3600) {
				fprintf(stderr,
				        "qv-controld: --vm-stop-timeout '%s': expected 0..3600 "
				        "seconds\n",
				        optarg);
				return 2;
			}
			qv_cd.vm.stop_timeout_ms = (unsigned)interval_s * 1000u;
			break;
		case 'G':
			admin_group = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (!qv_log_level_parse(optarg, &log.level)) {
				fprintf(
				    stderr,
				    "qv-controld: --log-level '%s': expected " QV_LOG_LEVEL_WORDS
				    "\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_LOG_TARGET:
			if (!qv_log_target_parse(optarg, &log.target)) {
				fprintf(
				    stderr,
				    "qv-controld: --log-target '%s': expected stderr or syslog\n",
				    optarg);
				return 2;
			}
			break;
		case OPT_LOAD_SIGNAL_DIR:
			qv_scaling_set_signal_dir(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qv-controld: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return 2;
	}
	log_start(&log);
	if (strcmp(domain_type, "auto") == 0 && qv_cd.vm.enabled) {
		char why[768];

		qv_cd.vm.kvm = qv_kvm_usable(
		    &(struct qv_kvm_probe){.sysfs_root = qv_cd.vm.sysfs_root}, why, sizeof(why));
		if (qv_cd.vm.kvm)
			printf("qv-controld: VMs: domain type kvm: %s\n", why);
		else
			fprintf(stderr,
			        "qv-controld: warning: VMs: domain type qemu (software emulation, "
			        "slow): %s; --domain-type kvm forces KVM\n",
			        why);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	/* libvirt needs absolute paths (overlays, serial logs) */
	if (mkdir(qv_cd.state_dir, 0750) != 0 && errno != EEXIST) {
		qv_log(QV_LOG_ERR, NULL, NULL, "cannot create state directory %s: %s",
		       qv_cd.state_dir, strerror(errno));
		return 1;
	}
	if (realpath(qv_cd.state_dir, state_abs))
		qv_cd.state_dir = state_abs;
	if (qv_scaling_restore(&qv_cd, err, sizeof(err)) != 0 ||
	    qv_desired_restore(&qv_cd, err, sizeof(err)) != 0) {
		qv_log(QV_LOG_ERR, NULL, NULL, "cannot restore the desired state from %s: %s",
		       qv_cd.state_dir, err);
		return 1;
	}
	/* vms.json read now, so that a bad one is reported at start (and set aside) */
	qv_vmstate(&qv_cd);
	srv = qv_rpc_server_open(sock, all_methods(), NULL, err, sizeof(err));
	if (!srv) {
		qv_log(QV_LOG_ERR, NULL, NULL, "control socket: %s", err);
		qv_desired_free(&qv_cd.desired);
		return 1;
	}
	if (admin_group && qv_rpc_server_set_admin_group(srv, admin_group, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-controld: %s\n", err);
		qv_rpc_server_close(srv);
		qv_desired_free(&qv_cd.desired);
		return 1;
	}
	qv_log(QV_LOG_NOTICE, NULL, NULL, "ready: socket %s, switch %s, state %s, VMs %s%s%s", sock,
	       qv_cd.switch_sock, qv_cd.state_dir, qv_cd.vm.enabled ? qv_cd.vm.uri : "off",
	       qv_cd.desired.name ? ", restored " : "",
	       qv_cd.desired.name ? qv_cd.desired.name : "");
	fflush(stdout);
	qv_sd_notify("READY=1"); /* systemd Type=notify: the socket answers now */
	qv_watch_init(&watch, qv_cd.switch_sock);
	while (!stopping) {
		/* short waits: the switch watch is looked at between them */
		if (qv_rpc_server_poll(srv, WATCH_TICK_MS) != 0)
			break;
		switch (qv_watch_poll(&watch)) {
		case QV_WATCH_GONE:
			printf("qv-controld: qv-switchd (%s) went away; restoring it as soon as it "
			       "is back\n",
			       qv_cd.switch_sock);
			fflush(stdout);
			qv_cd.switch_ok = false;
			snprintf(qv_cd.last_error, sizeof(qv_cd.last_error),
			         "qv-switchd (%s) went away; waiting for it to come back",
			         qv_cd.switch_sock);
			switch_gone = true;
			break;
		case QV_WATCH_BACK:
			if (switch_gone)
				printf("qv-controld: qv-switchd (%s) is back: reconciling now\n",
				       qv_cd.switch_sock);
			fflush(stdout);
			switch_gone = false;
			next = 0; /* now, not at the next interval */
			retry_ms = 0;
			break;
		case QV_WATCH_NONE:
			break;
		}
		if (now_ms() >= next) {
			qv_reconcile(&qv_cd);
			if (qv_cd.switch_ok)
				qv_scaling_tick(&qv_cd);
			/* a switch that is back but not yet taking everything (a port that fails
			 * once): try again soon, backing off to the interval */
			if (qv_cd.last_error[0] && !switch_gone)
				retry_ms = retry_ms ? retry_ms * 2 : 20;
			else
				retry_ms = 0;
			next = now_ms() + (retry_ms && retry_ms < interval ? retry_ms : interval);
		}
	}
	qv_watch_close(&watch);
	qv_rpc_server_close(srv);
	qv_desired_free(&qv_cd.desired);
	/* the VMs keep running: a restarted daemon adopts them */
	qv_vm_disconnect(qv_cd.lv);
	if (qv_cd.topo)
		qv_topo_free(qv_cd.topo);
	json_decref(qv_cd.vm_state);
	qv_log(QV_LOG_NOTICE, NULL, NULL, "stopped");
	return 0;
}
