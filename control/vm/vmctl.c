/* qwikvirt: qv-vmctl, a thin CLI over control/vm (spec options -> domain XML -> libvirt). The
 * system tests drive VMs with it; qv-controld will make the same calls from its YAML model. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/vm/vm_lifecycle.h"

static const char usage[] =
    "usage: qv-vmctl [--uri URI] COMMAND [ARGS]\n"
    "  xml SPEC                 print the domain XML of SPEC\n"
    "  up SPEC                  define + start, or adopt a running domain of that name\n"
    "  define SPEC              define (or redefine) only\n"
    "  clone SPEC --as NEW [--overlay-dir D]   define + start a clone of SPEC\n"
    "  start|destroy|undefine|state|serial|pid|xml-of NAME\n"
    "  stop NAME [--timeout S]  ACPI shutdown, destroy after S seconds (default 10)\n"
    "  restart NAME [--timeout S]\n"
    "  list [PREFIX]            domains whose names start with PREFIX, with their state\n"
    "  snapshot NAME TAG [--dir D]  |  revert NAME TAG  |  snapshot-delete NAME TAG\n"
    "SPEC options:\n"
    "  --name N --vcpus N --memory MIB --type qemu|kvm --hugepages[=KIB]\n"
    "  --guest DIR (kernel DIR/vmlinux or vmlinuz, DIR/initrd.img, cmdline from DIR/cmdline)\n"
    "  --kernel F --initrd F --cmdline S --append S (added to the cmdline)\n"
    "  --disk F --disk-base F --iface SOCK[,mac=M][,client][,queues=N] (repeat per NIC)\n"
    "  --vcpu-cpuset C --vcpupin VCPU:C --emulatorpin C --numa-node N\n"
    "  --serial-log F --serial-append --no-msix --hostdev DDDD:BB:SS.F\n";

enum {
	O_URI = 256,
	O_NAME,
	O_VCPUS,
	O_MEM,
	O_TYPE,
	O_HUGE,
	O_GUEST,
	O_KERNEL,
	O_INITRD,
	O_CMDLINE,
	O_APPEND,
	O_DISK,
	O_BASE,
	O_IFACE,
	O_VCPUSET,
	O_VCPUPIN,
	O_EMU,
	O_NODE,
	O_SERIAL,
	O_SERAPP,
	O_NOMSIX,
	O_HOSTDEV,
	O_AS,
	O_ODIR,
	O_TIMEOUT,
	O_DIR,
};

static const struct option opts[] = {
    {"uri", required_argument, 0, O_URI},
    {"name", required_argument, 0, O_NAME},
    {"vcpus", required_argument, 0, O_VCPUS},
    {"memory", required_argument, 0, O_MEM},
    {"type", required_argument, 0, O_TYPE},
    {"hugepages", optional_argument, 0, O_HUGE},
    {"guest", required_argument, 0, O_GUEST},
    {"kernel", required_argument, 0, O_KERNEL},
    {"initrd", required_argument, 0, O_INITRD},
    {"cmdline", required_argument, 0, O_CMDLINE},
    {"append", required_argument, 0, O_APPEND},
    {"disk", required_argument, 0, O_DISK},
    {"disk-base", required_argument, 0, O_BASE},
    {"iface", required_argument, 0, O_IFACE},
    {"vcpu-cpuset", required_argument, 0, O_VCPUSET},
    {"vcpupin", required_argument, 0, O_VCPUPIN},
    {"emulatorpin", required_argument, 0, O_EMU},
    {"numa-node", required_argument, 0, O_NODE},
    {"serial-log", required_argument, 0, O_SERIAL},
    {"serial-append", no_argument, 0, O_SERAPP},
    {"no-msix", no_argument, 0, O_NOMSIX},
    {"hostdev", required_argument, 0, O_HOSTDEV},
    {"as", required_argument, 0, O_AS},
    {"overlay-dir", required_argument, 0, O_ODIR},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"dir", required_argument, 0, O_DIR},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

struct args {
	const char *uri, *as, *odir, *dir;
	unsigned timeout_s;
	struct qv_vm_spec spec;
	char append[QV_VM_CMDLINE_MAX];
};

static int die(const char *what, const struct qv_vm_err *e)
{
	fprintf(stderr, "qv-vmctl: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	return 1;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static int set_guest(struct qv_vm_spec *s, const char *dir)
{
	char p[QV_VM_PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/vmlinux", dir);
	if (access(p, R_OK) != 0)
		snprintf(p, sizeof(p), "%s/vmlinuz", dir);
	copy(s->kernel, sizeof(s->kernel), p);
	snprintf(s->initrd, sizeof(s->initrd), "%s/initrd.img", dir);
	snprintf(p, sizeof(p), "%s/cmdline", dir);
	f = fopen(p, "r");
	if (f == NULL) {
		fprintf(stderr, "qv-vmctl: %s: no cmdline; run scripts/build-guest.sh %s\n", p,
		        dir);
		return -1;
	}
	if (fgets(s->cmdline, sizeof(s->cmdline), f) != NULL)
		s->cmdline[strcspn(s->cmdline, "\n")] = '\0';
	fclose(f);
	return 0;
}

static int add_iface(struct qv_vm_spec *s, char *arg)
{
	char *save = NULL, *sock = strtok_r(arg, ",", &save), *o;
	const char *mac = NULL;
	enum qv_vm_vhost_mode mode = QV_VM_VHOST_SERVER;
	unsigned queues = 1;
	struct qv_vm_err e;

	while ((o = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(o, "mac=", 4) == 0)
			mac = o + 4;
		else if (strcmp(o, "client") == 0)
			mode = QV_VM_VHOST_CLIENT;
		else if (strncmp(o, "queues=", 7) == 0)
			queues = (unsigned)atoi(o + 7);
		else
			return fprintf(stderr, "qv-vmctl: --iface: unknown option '%s'\n", o), -1;
	}
	if (sock == NULL || !qv_vm_spec_add_iface(s, sock, mac, mode, &e))
		return die("--iface", sock ? &e : NULL), -1;
	s->ifaces[s->n_ifaces - 1].queues = queues;
	return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
	int c;
	unsigned v;
	char *colon;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		struct qv_vm_spec *s = &a->spec;
		switch (c) {
		case O_URI:
			a->uri = optarg;
			break;
		case O_NAME:
			copy(s->name, sizeof(s->name), optarg);
			break;
		case O_VCPUS:
			s->vcpus = (unsigned)atoi(optarg);
			break;
		case O_MEM:
			s->memory_mib = (unsigned)atoi(optarg);
			break;
		case O_TYPE:
			s->type = strcmp(optarg, "kvm") == 0 ? QV_VM_DOM_KVM : QV_VM_DOM_QEMU;
			break;
		case O_HUGE:
			s->backing = QV_VM_MEM_HUGEPAGES;
			s->hugepage_kib = optarg ? (unsigned)atoi(optarg) : 0;
			break;
		case O_GUEST:
			if (set_guest(s, optarg) < 0)
				return -1;
			break;
		case O_KERNEL:
			copy(s->kernel, sizeof(s->kernel), optarg);
			break;
		case O_INITRD:
			copy(s->initrd, sizeof(s->initrd), optarg);
			break;
		case O_CMDLINE:
			copy(s->cmdline, sizeof(s->cmdline), optarg);
			break;
		case O_APPEND:
			copy(a->append, sizeof(a->append), optarg);
			break;
		case O_DISK:
			copy(s->disk, sizeof(s->disk), optarg);
			break;
		case O_BASE:
			copy(s->disk_base, sizeof(s->disk_base), optarg);
			break;
		case O_IFACE:
			if (add_iface(s, optarg) < 0)
				return -1;
			break;
		case O_VCPUSET:
			copy(s->vcpu_cpuset, sizeof(s->vcpu_cpuset), optarg);
			break;
		case O_VCPUPIN:
			colon = strchr(optarg, ':');
			v = (unsigned)atoi(optarg);
			if (colon == NULL || v >= QV_VM_MAX_VCPUS)
				return fprintf(stderr, "qv-vmctl: --vcpupin wants VCPU:CPUSET\n"),
				       -1;
			copy(s->vcpupin[v], sizeof(s->vcpupin[v]), colon + 1);
			break;
		case O_EMU:
			copy(s->emulatorpin, sizeof(s->emulatorpin), optarg);
			break;
		case O_NODE:
			s->numa_node = atoi(optarg);
			break;
		case O_SERIAL:
			copy(s->serial_log, sizeof(s->serial_log), optarg);
			break;
		case O_SERAPP:
			s->serial_append = true;
			break;
		case O_NOMSIX:
			s->no_msix = true;
			break;
		case O_HOSTDEV:
			if (s->n_hostdevs >= QV_VM_MAX_HOSTDEVS)
				return fprintf(stderr, "qv-vmctl: too many --hostdev\n"), -1;
			copy(s->hostdevs[s->n_hostdevs++], sizeof(s->hostdevs[0]), optarg);
			break;
		case O_AS:
			a->as = optarg;
			break;
		case O_ODIR:
			a->odir = optarg;
			break;
		case O_TIMEOUT:
			a->timeout_s = (unsigned)atoi(optarg);
			break;
		case O_DIR:
			a->dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (a->append[0] != '\0') {
		size_t l = strlen(a->spec.cmdline);
		snprintf(a->spec.cmdline + l, sizeof(a->spec.cmdline) - l, "%s%s", l ? " " : "",
		         a->append);
	}
	return 0;
}

static int list(struct qv_vm_conn *c, const char *prefix)
{
	char **names;
	struct qv_vm_err e;
	enum qv_vm_state st;
	int n = qv_vm_list(c, prefix, &names, &e);

	if (n < 0)
		return die("list", &e);
	for (int i = 0; i < n; i++) {
		if (!qv_vm_get_state(c, names[i], &st, &e))
			st = QV_VM_OTHER;
		printf("%s %s\n", names[i], qv_vm_state_name(st));
	}
	qv_vm_names_free(names, n);
	return 0;
}

static int run(struct qv_vm_conn *c, const char *cmd, char **pos, int npos, struct args *a)
{
	struct qv_vm_err e = {{0}};
	const char *name = npos > 0 ? pos[0] : a->spec.name;
	unsigned tmo = (a->timeout_s ? a->timeout_s : 10) * 1000;
	bool flag;
	enum qv_vm_state st;
	char buf[QV_VM_PATH_MAX], *x;
	struct qv_vm_spec clone;

	if (strcmp(cmd, "up") == 0) {
		if (!qv_vm_ensure(c, &a->spec, &flag, &e))
			return die("up", &e);
		printf("%s %s\n", a->spec.name, flag ? "adopted" : "started");
	} else if (strcmp(cmd, "define") == 0) {
		if (!qv_vm_define(c, &a->spec, &e))
			return die("define", &e);
	} else if (strcmp(cmd, "clone") == 0) {
		if (a->as == NULL)
			return die("clone needs --as NEW", NULL);
		if (!qv_vm_clone_spec(&a->spec, a->as, a->odir, &clone, &e) ||
		    !qv_vm_define(c, &clone, &e) || !qv_vm_start(c, clone.name, &e))
			return die("clone", &e);
		printf("%s started%s%s\n", clone.name, clone.disk[0] ? " disk=" : "", clone.disk);
	} else if (npos < 1 && strcmp(cmd, "list") != 0) {
		return die("this command needs a domain NAME (see --help)", NULL);
	} else if (strcmp(cmd, "list") == 0) {
		return list(c, npos > 0 ? pos[0] : "");
	} else if (strcmp(cmd, "start") == 0) {
		if (!qv_vm_start(c, name, &e))
			return die("start", &e);
	} else if (strcmp(cmd, "stop") == 0) {
		if (!qv_vm_stop(c, name, tmo, &flag, &e))
			return die("stop", &e);
		printf("%s stopped%s\n", name, flag ? " (destroyed after the timeout)" : "");
	} else if (strcmp(cmd, "restart") == 0) {
		if (!qv_vm_restart(c, name, tmo, &e))
			return die("restart", &e);
	} else if (strcmp(cmd, "destroy") == 0) {
		if (!qv_vm_destroy(c, name, &e))
			return die("destroy", &e);
	} else if (strcmp(cmd, "undefine") == 0) {
		if (!qv_vm_undefine(c, name, &e))
			return die("undefine", &e);
	} else if (strcmp(cmd, "state") == 0) {
		if (!qv_vm_get_state(c, name, &st, &e))
			return die("state", &e);
		printf("%s\n", qv_vm_state_name(st));
	} else if (strcmp(cmd, "serial") == 0) {
		if (!qv_vm_serial_log(c, name, buf, sizeof(buf), &e))
			return die("serial", &e);
		printf("%s\n", buf);
	} else if (strcmp(cmd, "pid") == 0) {
		printf("%ld\n", (long)qv_vm_qemu_pid(name));
	} else if (strcmp(cmd, "xml-of") == 0) {
		x = qv_vm_xml(c, name, &e);
		if (x == NULL)
			return die("xml-of", &e);
		fputs(x, stdout);
		free(x);
	} else if (strcmp(cmd, "snapshot") == 0 || strcmp(cmd, "revert") == 0 ||
	           strcmp(cmd, "snapshot-delete") == 0) {
		if (npos < 2)
			return die("snapshot commands need NAME TAG", NULL);
		if (cmd[0] == 's' && cmd[8] == '\0' ? !qv_vm_snapshot(c, name, pos[1], a->dir, &e)
		    : cmd[0] == 'r'                 ? !qv_vm_revert(c, name, pos[1], &e)
		                                    : !qv_vm_snapshot_delete(c, name, pos[1], &e))
			return die(cmd, &e);
	} else {
		fprintf(stderr, "qv-vmctl: unknown command '%s'\n%s", cmd, usage);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct qv_vm_err e;
	struct qv_vm_conn *c;
	char *pos[4], *x;
	int npos = 0, rc;
	const char *cmd;

	qv_vm_spec_init(&a.spec, "");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	/* options may come before or after the command and its positional arguments */
	while (optind < argc) {
		if (parse(argc, argv, &a) < 0)
			return 2;
		if (optind < argc) {
			if (npos == 4)
				return die("too many arguments", NULL);
			pos[npos++] = argv[optind++];
		}
	}
	if (npos == 0)
		return die("no command (see --help)", NULL);
	cmd = pos[0];
	if (strcmp(cmd, "xml") == 0) {
		x = qv_vm_domain_xml(&a.spec, &e);
		if (x == NULL)
			return die("xml", &e);
		fputs(x, stdout);
		free(x);
		return 0;
	}
	c = qv_vm_connect(a.uri, &e);
	if (c == NULL)
		return die("connect", &e);
	rc = run(c, cmd, pos + 1, npos - 1, &a);
	qv_vm_disconnect(c);
	return rc;
}
