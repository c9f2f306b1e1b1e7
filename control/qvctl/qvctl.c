/* qwikvirt: qvctl, the operator CLI of qv-switchd: turns commands into JSON-RPC calls on the
 * switch's control socket (control/rpc/METHODS.md) and prints the results as tables. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <jansson.h>

#include "control/rpc/rpc.h"
#include "qv/drop_reason.h"

#define DEFAULT_SOCKET "/run/qwikvirt/switchd.sock"
#define DEFAULT_TIMEOUT_MS 5000
#define VM_TIMEOUT_MS 180000 /* apply and vm commands: VMs boot and shut down slowly */

#define EXIT_RPC 1   /* the switch refused, or could not be reached */
#define EXIT_USAGE 2 /* the command line is wrong */

static struct {
	const char *sock;     /* qv-switchd */
	const char *controld; /* qv-controld: apply, show chains */
	bool to_controld;     /* the current command talks to qv-controld */
	bool json;
	int timeout_ms;
	bool timeout_set; /* --timeout given: VM commands keep it instead of their longer wait */
} opt;

/* Drop reasons and their meanings, from the same X-macro as the switch's counters (only the
 * header: qvctl does not link the dataplane library). */
static const struct {
	const char *name, *help;
} drop_reasons[] = {
#define QV_DROP_ENTRY(sym, name, help) {name, help},
    QV_FOREACH_DROP_REASON(QV_DROP_ENTRY)
#undef QV_DROP_ENTRY
};
#define N_DROP_REASONS (sizeof(drop_reasons) / sizeof(drop_reasons[0]))

/* ---- help ---- */

#define MATCH_SYNTAX                                                                               \
	"A rule is 'MATCH actions=ACTIONS' (quote it: it contains a space).\n"                     \
	"\n"                                                                                       \
	"MATCH is 'any' (or nothing) or comma-separated key=value fields, all of which must\n"     \
	"hold; a key not given matches anything:\n"                                                \
	"  in=PORT              packets received on PORT (see qvctl show ports)\n"                 \
	"  priority=N           0..65535, default 32768; the highest matching priority wins,\n"    \
	"                       ties go to the older rule\n"                                       \
	"  vlan=VID|none        tagged with VLAN id 0..4095, or untagged only\n"                   \
	"  eth-type=TYPE        ipv4, ipv6, arp or a number (0x88cc); the type after VLAN tags\n"  \
	"  eth-src=MAC          source MAC, aa:bb:cc:dd:ee:ff\n"                                   \
	"  eth-dst=MAC          destination MAC\n"                                                 \
	"  ip-src=ADDR[/LEN]    IPv4 or IPv6 source address or prefix; bits past LEN must be 0\n"  \
	"  ip-dst=ADDR[/LEN]    destination address or prefix\n"                                   \
	"  proto=P              tcp, udp, icmp, icmpv6, sctp or 0..255\n"                          \
	"  src-port=N[-M]       L4 source port or inclusive range; needs proto=tcp|udp|sctp\n"     \
	"  dst-port=N[-M]       L4 destination port or range; needs proto=tcp|udp|sctp\n"          \
	"An IP address, or eth-type ipv4/ipv6, restricts the rule to that IP version; a rule\n"    \
	"cannot mix IPv4 and IPv6. Each key may appear once.\n"                                    \
	"\n"                                                                                       \
	"ACTIONS, comma-separated, at most 8:\n"                                                   \
	"  output:PORT          send a copy out of PORT (repeat for several ports)\n"              \
	"  group:P1+P2+...      load-balance: send to ONE live member, picked by a hash of the\n"  \
	"                       flow that is the same for its reply (symmetric); last action\n"    \
	"  drop                 drop the packet (must be the only action)\n"                       \
	"  push-vlan:VID        add a VLAN tag with id VID\n"                                      \
	"  pop-vlan             remove the outer VLAN tag\n"                                       \
	"VLAN actions come before the outputs and apply to every copy.\n"

static const struct help {
	const char *key;   /* the command words: "" for qvctl itself, "port add"... */
	const char *usage; /* usage lines, without the "usage: " */
	const char *text;  /* what it does, with an example */
} helps[] = {
    {"", "qvctl [--switch SOCKET] [--json] [--timeout MS] COMMAND [ARGS...]",
     "Controls a running qv-switchd through its control socket.\n"
     "\n"
     "Options (before the command):\n"
     "  --controld SOCKET socket of qv-controld, for apply and show chains (default\n"
     "                    $QV_CONTROLD_SOCK, else /run/qwikvirt/controld.sock)\n"
     "  --switch SOCKET   control socket of the switch (default $QV_SWITCH_SOCK, else\n"
     "                    " DEFAULT_SOCKET ")\n"
     "  --json            print the switch's result as JSON, for scripts\n"
     "  --timeout MS      how long to wait for the switch (default 5000)\n"
     "  -h, --help        this help; 'qvctl COMMAND --help' for a command's help\n"
     "\n"
     "Commands:\n"
     "  show ports|pmd|flows|drops|l2   show the switch's state\n"
     "  port add|del|set                manage ports\n"
     "  flow add|del                    manage flow rules\n"
     "  stats [clear]                   traffic and drop counters\n"
     "  apply [--check] FILE            apply a YAML service definition (qv-controld)\n"
     "  show chains                     chains hop by hop with counters (qv-controld)\n"
     "  show placement                  NUMA placement of PMDs and VMs, explained (qv-controld)\n"
     "  vm list|start|stop|restart|console|snapshot|revert|clone|delete\n"
     "                                  the VNF VMs (qv-controld)\n"
     "  capture start|list|stop         capture a port's packets to a pcapng file\n"
     "  trace PORT [--count N]          what the switch does with the next packets\n"
     "  call METHOD [JSON-PARAMS]       raw JSON-RPC call\n"
     "\n"
     "Example:\n"
     "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock\n"
     "  qvctl flow add 'in=vm1,proto=tcp,dst-port=80 actions=output:uplink'\n"
     "  qvctl show flows\n"
     "\n"
     "Exit status: 0 done, 1 the switch refused or could not be reached, 2 bad usage.\n"},
    {"show", "qvctl show ports|pmd|flows|drops|l2|chains|controld|placement",
     "Shows the switch's state:\n"
     "  ports   ports with queues, default action and traffic counters\n"
     "  pmd     per PMD thread and rx queue: load and cycles per packet\n"
     "  flows   flow rules with their hit counts\n"
     "  drops   dropped packets per reason, with what each reason means\n"
     "  l2      learned MAC addresses\n"
     "  chains  (from qv-controld) each chain hop by hop with the counters of its ports\n"
     "  controld (from qv-controld) its desired state and whether the switch matches it\n"
     "  placement (from qv-controld) where the PMDs and each VM's vCPUs, emulator threads\n"
     "          and memory go, and why\n"
     "\n"
     "Example:\n"
     "  qvctl show ports\n"},
    {"show ports", "qvctl show ports",
     "Lists the ports: name, index, type, link state, NUMA node, rx/tx queues, default action\n"
     "for packets no rule matches, packet counters and drops (with one line per drop reason\n"
     "under each port that dropped packets it received).\n"
     "\n"
     "Example:\n"
     "  qvctl show ports\n"},
    {"show pmd", "qvctl show pmd",
     "For each PMD thread: its core and NUMA node, the share of cycles spent on packets,\n"
     "packets received and cycles per packet; then each rx queue it polls with its packets,\n"
     "cycles per packet and share of the thread's busy cycles.\n"
     "\n"
     "Example:\n"
     "  qvctl show pmd\n"},
    {"show flows", "qvctl show flows",
     "Lists the flow rules: id (for 'qvctl flow del'), priority, packets matched, match and\n"
     "actions.\n"
     "\n"
     "Example:\n"
     "  qvctl show flows\n"},
    {"show drops", "qvctl show drops",
     "Total dropped packets per reason, with what each reason means.\n"
     "\n"
     "Example:\n"
     "  qvctl show drops\n"},
    {"show l2", "qvctl show l2",
     "Lists the MAC addresses learned on ports whose default is l2, with the port and the\n"
     "seconds since the address was last seen.\n"
     "\n"
     "Example:\n"
     "  qvctl show l2\n"},
    {"port", "qvctl port add|del|set ...",
     "Manages ports:\n"
     "  port add NAME vhost PATH [--client] [--queues N] [--default drop|l2]\n"
     "  port add NAME dpdk DEVARGS [--rxq N] [--txq N] [--default drop|l2]\n"
     "  port del NAME\n"
     "  port set NAME [--default drop|l2] [--up|--down]\n"
     "\n"
     "Example:\n"
     "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock --queues 2\n"},
    {"port add",
     "qvctl port add NAME vhost PATH [--client] [--queues N] [--default drop|l2]\n"
     "       qvctl port add NAME dpdk DEVARGS [--rxq N] [--txq N] [--default drop|l2]",
     "Adds a port named NAME (1..31 characters: letters, digits, '_', '.', '-').\n"
     "\n"
     "vhost: a vhost-user socket at PATH for a VM. The switch creates the socket (server),\n"
     "  or with --client connects to the VM's socket and reconnects when it goes away.\n"
     "  --queues N    queue pairs (default 1)\n"
     "dpdk: a DPDK device, by PCI address or vdev string.\n"
     "  --rxq N, --txq N   receive and transmit queues (default 1)\n"
     "Both:\n"
     "  --default drop|l2  what happens to packets no flow rule matches: drop them (default)\n"
     "                     or switch them by learned MAC address\n"
     "  --down             add the port administratively down: not polled, and output to\n"
     "                     it counted as port-down, until 'qvctl port set NAME --up' (add\n"
     "                     the rules first, then let a pcap replay start)\n"
     "\n"
     "Prints the port's index.\n"
     "\n"
     "Examples:\n"
     "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock --queues 2\n"
     "  qvctl port add uplink dpdk 0000:3b:00.0 --rxq 4 --txq 4 --default l2\n"
     "  qvctl port add cap0 dpdk net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\n"},
    {"port del", "qvctl port del NAME",
     "Removes a port. Rules that name it stay, inert, and apply again when a port of\n"
     "that name is added back.\n"
     "\n"
     "Example:\n"
     "  qvctl port del vm1\n"},
    {"port set", "qvctl port set NAME [--default drop|l2] [--up|--down]",
     "--default: what happens to packets received on NAME that no flow rule matches: drop\n"
     "them, or switch them by learned MAC address (l2).\n"
     "--up/--down: the administrative state; a down port is not polled and output to it is\n"
     "counted as port-down.\n"
     "\n"
     "Examples:\n"
     "  qvctl port set vm1 --default l2\n"
     "  qvctl port set replay0 --up\n"},
    {"flow", "qvctl flow add 'MATCH actions=ACTIONS' | flow del ID | flow del --all",
     "Manages flow rules; 'qvctl flow add --help' describes the rule syntax.\n"
     "\n"
     "Example:\n"
     "  qvctl flow add 'in=vm1,proto=tcp,dst-port=80 actions=output:uplink'\n"},
    {"flow add", "qvctl flow add 'MATCH actions=ACTIONS'",
     "Adds a flow rule and prints its id.\n"
     "\n" MATCH_SYNTAX "\n"
     "Examples:\n"
     "  qvctl flow add 'in=vhost0,vlan=100,ip-dst=10.0.0.0/8,proto=tcp,dst-port=80 "
     "actions=output:vhost1'\n"
     "  qvctl flow add 'in=uplink,vlan=100 actions=pop-vlan,output:vm1'\n"
     "  qvctl flow add 'in=vm1 actions=push-vlan:100,output:uplink'\n"
     "  qvctl flow add 'ip-src=2001:db8::/32,priority=40000 actions=drop'\n"},
    {"flow del", "qvctl flow del ID | qvctl flow del --all",
     "Deletes the rule with id ID (see 'qvctl show flows'), or every rule.\n"
     "\n"
     "Example:\n"
     "  qvctl flow del 12\n"},
    {"stats", "qvctl stats [clear]",
     "Without argument: traffic per port and drops per reason. 'clear' zeroes every counter\n"
     "(ports, drops, PMD cycles and flow hits).\n"
     "\n"
     "Example:\n"
     "  qvctl stats clear\n"},
    {"stats clear", "qvctl stats clear",
     "Zeroes every counter: ports, drops, PMD cycles and flow hits.\n"
     "\n"
     "Example:\n"
     "  qvctl stats clear\n"},
    {"capture", "qvctl capture start|list|stop ...",
     "Captures packets of a port into a pcapng file that Wireshark and tshark read, while\n"
     "traffic keeps flowing (the PMD copies matching packets; a full capture queue drops the\n"
     "copy, never the packet):\n"
     "  capture start PORT --file PATH [--dir rx|tx|both] [--filter 'BPF'] [--snaplen N]\n"
     "                [--count N] [--duration S] [--max-size BYTES [--rotate]] [--force]\n"
     "  capture list\n"
     "  capture stop ID\n"
     "\n"
     "Example:\n"
     "  qvctl capture start vm1 --dir rx --filter 'tcp port 80' --count 1000 --file "
     "/tmp/vm1.pcapng\n"},
    {"capture start",
     "qvctl capture start PORT --file PATH [--dir rx|tx|both] [--filter 'BPF'] [--snaplen N]\n"
     "                   [--count N] [--duration S] [--max-size BYTES [--rotate]] [--force]",
     "Starts capturing PORT's packets into PATH (pcapng; the interface is named after the\n"
     "port, each packet records its direction, the end of the file records the drops).\n"
     "  --file PATH        absolute path in an existing directory; not an existing file\n"
     "                     unless --force; never through a symbolic link; created 0640\n"
     "  --dir rx|tx|both   packets received on the port, sent out of it, or both (default)\n"
     "  --filter 'BPF'     a tcpdump/libpcap filter expression, e.g. 'udp and port 53'\n"
     "  --snaplen N        bytes kept per packet, 64..65535 (default 65535)\n"
     "  --count N          stop after N packets; --duration S: after S seconds\n"
     "  --max-size BYTES   at this size stop, or with --rotate continue in PATH.1, PATH.2...\n"
     "Prints the capture's id.\n"
     "\n"
     "Example:\n"
     "  qvctl capture start uplink --filter 'vlan 100' --duration 30 --file /var/tmp/up.pcapng\n"},
    {"capture list", "qvctl capture list",
     "Lists running and finished captures: port, direction, filter, file, packets written,\n"
     "copies dropped (queue full or no buffer), and why a finished one ended.\n"
     "\n"
     "Example:\n"
     "  qvctl capture list\n"},
    {"capture stop", "qvctl capture stop ID",
     "Stops a capture; its file is complete and readable when this returns.\n"
     "\n"
     "Example:\n"
     "  qvctl capture stop 3\n"},
    {"trace", "qvctl trace PORT [--count N] [--timeout S]",
     "Records what the switch does with the next N packets (default 10, at most 1024)\n"
     "arriving on PORT: the parsed key, the cache hit or the rule matched, the outputs or\n"
     "the drop reason. Prints them once N packets were seen or S seconds passed (default\n"
     "10). Tracing costs nothing when off.\n"
     "\n"
     "Example:\n"
     "  qvctl trace vm1 --count 5\n"},
    {"apply", "qvctl apply [--check] FILE",
     "Sends the YAML service definition FILE (configs/README.md is the schema) to qv-controld,\n"
     "which validates it, compiles its chains into switch ports and rules, and applies only\n"
     "what differs from what is running (new ports and rules first, old ones removed last, so\n"
     "chains that did not change lose no packet). With --check: print the plan, change\n"
     "nothing. Every error in the file is reported as FILE:LINE:COLUMN, and nothing from a\n"
     "file with an error is applied. Talks to qv-controld (--controld SOCKET).\n"
     "\n"
     "Examples:\n"
     "  qvctl apply --check configs/web.yaml\n"
     "  qvctl apply configs/web.yaml\n"},
    {"show placement", "qvctl show placement",
     "Asks qv-controld where the switch's PMD cores and every VNF VM of the applied file go on\n"
     "this host (or on its --topology): the host, each NIC's NUMA node, the PMD CPUs, and per\n"
     "VM its vCPU pins, emulator pin and memory node, one line per decision. When the host\n"
     "cannot fit the file, says which resource is short, on which node, and by how much.\n"
     "\n"
     "Example:\n"
     "  qvctl show placement\n"},
    {"vm", "qvctl vm list|start|stop|restart|console|snapshot|revert|clone|delete|xml ...",
     "The VNF VMs qv-controld runs: one libvirt domain per VNF instance of the applied file\n"
     "(named PREFIX<vnf>-<instance>, prefix qv- by default), and clones made with vm clone.\n"
     "  list                          state, vCPUs, memory, pinning, serial log\n"
     "  start|stop|restart NAME       lifecycle; a stopped VM stays stopped until vm start\n"
     "  console NAME                  the tail of its serial console log\n"
     "  snapshot NAME [TAG]           snapshot (TAG defaults to a timestamp)\n"
     "  revert NAME TAG               back to a snapshot\n"
     "  clone NAME NEW                a new VM from NAME: new overlay, MACs, switch ports\n"
     "  delete NAME                   remove a clone\n"
     "  xml NAME                      its libvirt domain XML\n"
     "Talks to qv-controld (--controld SOCKET); waits up to 3 minutes unless --timeout.\n"
     "\n"
     "Example:\n"
     "  qvctl vm list\n"},
    {"vm list", "qvctl vm list",
     "Lists the VMs of qv-controld: name, state (running, shutoff, absent...), vCPUs, memory,\n"
     "pinning (vCPU:CPUs, emulator CPUs, memory node), the VNF it belongs to (and the VF it\n"
     "takes as a host device, if any) and where its serial console is logged. 'held' means stopped "
     "by vm stop: not restarted by itself.\n"
     "\n"
     "Example:\n"
     "  qvctl vm list\n"},
    {"vm start", "qvctl vm start NAME",
     "Starts VM NAME (defining it first when it is not defined) and lets qv-controld keep it\n"
     "running again.\n"
     "\n"
     "Example:\n"
     "  qvctl vm start qv-fw-0\n"},
    {"vm stop", "qvctl vm stop NAME [--timeout-s S]",
     "Shuts VM NAME down: ACPI power button, then destroy after S seconds (default: the\n"
     "daemon's --vm-stop-timeout). It stays stopped (qv-controld does not restart it) until\n"
     "qvctl vm start NAME. Its switch ports stay; their chains drop packets meanwhile.\n"
     "\n"
     "Example:\n"
     "  qvctl vm stop qv-fw-0 --timeout-s 5\n"},
    {"vm restart", "qvctl vm restart NAME [--timeout-s S]",
     "Stops VM NAME (graceful, then destroy after S seconds) and starts it again.\n"
     "\n"
     "Example:\n"
     "  qvctl vm restart qv-fw-0\n"},
    {"vm console", "qvctl vm console NAME [--bytes N]",
     "Prints the last N bytes (default 4096) of VM NAME's serial console log.\n"
     "\n"
     "Example:\n"
     "  qvctl vm console qv-fw-0\n"},
    {"vm snapshot", "qvctl vm snapshot NAME [TAG]",
     "Snapshots running VM NAME as TAG (default snap-DATE-TIME): with a disk, memory and disk\n"
     "inside its qcow2 overlay; without one (kernel + initrd), its memory into a file under\n"
     "the daemon's state directory. Prints the tag.\n"
     "\n"
     "Example:\n"
     "  qvctl vm snapshot qv-fw-0 before-upgrade\n"},
    {"vm revert", "qvctl vm revert NAME TAG",
     "Brings VM NAME back to snapshot TAG; it runs afterwards.\n"
     "\n"
     "Example:\n"
     "  qvctl vm revert qv-fw-0 before-upgrade\n"},
    {"vm clone", "qvctl vm clone NAME NEW",
     "Makes VM NEW from VM NAME: the same VNF spec and placement, a new qcow2 overlay on the\n"
     "same base image (when it has a disk), new MACs, and new switch ports NEW-without-prefix-\n"
     "<interface> with their own sockets. NEW must start with the daemon's prefix. The clone\n"
     "goes when its VNF leaves the file, or with vm delete. Add rules for its ports yourself.\n"
     "\n"
     "Example:\n"
     "  qvctl vm clone qv-fw-0 qv-fwcopy\n"},
    {"vm xml", "qvctl vm xml NAME",
     "Prints VM NAME's libvirt domain XML: the one libvirt holds when the VM is defined, else\n"
     "the one qv-controld would define (vhost-user NICs, pinning, VFs as <hostdev>).\n"
     "\n"
     "Example:\n"
     "  qvctl vm xml qv-fw-0 | grep -A3 hostdev\n"},
    {"vm delete", "qvctl vm delete NAME",
     "Removes clone NAME: stopped, undefined, its overlay and switch ports removed. VMs of the\n"
     "file go by editing the file and applying it.\n"
     "\n"
     "Example:\n"
     "  qvctl vm delete qv-fwcopy\n"},
    {"call", "qvctl call METHOD [JSON-PARAMS]",
     "Calls any method of the switch (rpc.list lists them) with params given as a JSON\n"
     "object, and prints the result as JSON.\n"
     "\n"
     "Examples:\n"
     "  qvctl call rpc.list\n"
     "  qvctl call port.set '{\"name\": \"vm1\", \"default\": \"l2\"}'\n"},
};
#define N_HELPS (sizeof(helps) / sizeof(helps[0]))

static const struct help *find_help(const char *cmd, const char *sub)
{
	char key[64];

	if (cmd && sub) {
		snprintf(key, sizeof(key), "%s %s", cmd, sub);
		for (size_t i = 0; i < N_HELPS; i++) {
			if (strcmp(helps[i].key, key) == 0)
				return &helps[i];
		}
	}
	for (size_t i = 0; i < N_HELPS; i++) {
		if (strcmp(helps[i].key, cmd ? cmd : "") == 0)
			return &helps[i];
	}
	return NULL;
}

static int print_help(const struct help *h)
{
	printf("usage: %s\n\n%s", h->usage, h->text);
	return 0;
}

/* Prints what is wrong and the command's usage line; returns the usage exit status. */
static int usage_error(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *key, const char *fmt, ...)
{
	const struct help *h = NULL;
	va_list ap;

	for (size_t i = 0; i < N_HELPS; i++) {
		if (strcmp(helps[i].key, key) == 0)
			h = &helps[i];
	}
	fputs("qvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (h)
		fprintf(stderr, "usage: %s\n(see 'qvctl %s%s--help')\n", h->usage, key,
		        *key ? " " : "");
	return EXIT_USAGE;
}

/* ---- small helpers ---- */

/* Strict unsigned number: digits only, fully consumed, within min..max. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void print_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	putchar('\n');
}

/* Calls the switch. Returns 0 with *result (new reference), or the exit status after telling
 * the user what went wrong. params is consumed. */
static int rpc(const char *method, json_t *params, json_t **result)
{
	char err[1024] = "";
	int code = 0;

	const char *sock = opt.to_controld ? opt.controld : opt.sock;
	int rc = qv_rpc_call(sock, method, params, opt.timeout_ms, result, &code, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (rc == 1) {
		fprintf(stderr, "qvctl: %s\n", err);
		return EXIT_RPC;
	}
	if (opt.to_controld)
		fprintf(stderr,
		        "qvctl: %s\n"
		        "qvctl: no answer from the control daemon at %s: qv-controld may not be "
		        "running; if it listens elsewhere, use --controld SOCKET (or set "
		        "QV_CONTROLD_SOCK)\n",
		        err[0] ? err : "no answer", sock);
	else
		fprintf(
		    stderr,
		    "qvctl: %s\n"
		    "qvctl: no answer from the switch at %s: qv-switchd may not be running; if it "
		    "listens elsewhere, use --switch SOCKET (or set QV_SWITCH_SOCK)\n",
		    err[0] ? err : "no answer", sock);
	return EXIT_RPC;
}

/* For commands whose only output is a confirmation: with --json the result is printed
 * instead, so that every command's output can be scripted. */
static bool json_out(const json_t *result)
{
	if (opt.json)
		print_json(result);
	return opt.json;
}

static long long jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return 0;
}

static double jreal(const json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

/* Text of any scalar for a table cell; "-" when the switch did not send the field. */
static const char *jtext(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

static const json_t *jarray(const json_t *result, const char *key)
{
	const json_t *v = json_object_get(result, key);
	return json_is_array(v) ? v : NULL;
}

/* ---- aligned tables ---- */

#define MAX_COLS 12

struct row {
	char *cell[MAX_COLS];
	char *line; /* a free-form line instead of cells (details under a row) */
};

struct table {
	const char *indent;
	int ncols;
	const char *head[MAX_COLS];
	bool right[MAX_COLS]; /* numbers are right-aligned */
	struct row *rows;
	size_t n, cap;
};

/* Columns are given as "NAME" or ">NAME" for right alignment. */
static void table_init(struct table *t, const char *indent, int ncols, const char *const *cols)
{
	memset(t, 0, sizeof(*t));
	t->indent = indent;
	t->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		t->right[i] = cols[i][0] == '>';
		t->head[i] = cols[i] + t->right[i];
	}
}

static struct row *table_add(struct table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (t->rows == NULL) {
			fprintf(stderr, "qvctl: out of memory\n");
			exit(EXIT_RPC);
		}
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	return &t->rows[t->n++];
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d == NULL) {
		fprintf(stderr, "qvctl: out of memory\n");
		exit(EXIT_RPC);
	}
	return d;
}

static void cell(struct row *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cell(struct row *r, int col, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->cell[col]);
	r->cell[col] = xstrdup(buf);
}

static void jcell(struct row *r, int col, const json_t *obj, const char *key)
{
	char buf[64];
	cell(r, col, "%s", jtext(obj, key, buf, sizeof(buf)));
}

static void table_line(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void table_line(struct table *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t)->line = xstrdup(buf);
}

static void print_cells(const struct table *t, const size_t *w, const char *const *cells)
{
	fputs(t->indent, stdout);
	for (int c = 0; c < t->ncols; c++) {
		const char *s = cells[c] ? cells[c] : "";
		bool last = c == t->ncols - 1;
		if (t->right[c])
			printf("%*s", (int)w[c], s);
		else if (last)
			fputs(s, stdout); /* no trailing blanks */
		else
			printf("%-*s", (int)w[c], s);
		if (!last)
			fputs("  ", stdout);
	}
	putchar('\n');
}

static void table_print(struct table *t)
{
	size_t w[MAX_COLS];

	for (int c = 0; c < t->ncols; c++)
		w[c] = strlen(t->head[c]);
	for (size_t i = 0; i < t->n; i++) {
		for (int c = 0; c < t->ncols && !t->rows[i].line; c++) {
			size_t l = t->rows[i].cell[c] ? strlen(t->rows[i].cell[c]) : 0;
			if (l > w[c])
				w[c] = l;
		}
	}
	print_cells(t, w, t->head);
	for (size_t i = 0; i < t->n; i++) {
		if (t->rows[i].line)
			printf("%s%s\n", t->indent, t->rows[i].line);
		else
			print_cells(t, w, (const char *const *)t->rows[i].cell);
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (int c = 0; c < MAX_COLS; c++)
			free(t->rows[i].cell[c]);
		free(t->rows[i].line);
	}
	free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}

/* ---- views ---- */

static long long drops_total(const json_t *drops)
{
	const char *reason;
	json_t *v;
	long long sum = 0;

	json_object_foreach((json_t *)drops, reason, v)
	{
		if (json_is_integer(v))
			sum += json_integer_value(v);
	}
	return sum;
}

static const char *drop_help(const char *reason)
{
	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		if (strcmp(drop_reasons[i].name, reason) == 0)
			return drop_reasons[i].help;
	}
	return NULL;
}

/* One line per reason with a non-zero count, under the port's row: known reasons in their
 * usual order, then any the switch knows and this qvctl does not. */
static void port_drop_lines(struct table *t, const json_t *drops)
{
	const char *reason;
	json_t *v;

	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		long long n = jint(drops, drop_reasons[i].name);
		if (n)
			table_line(t, "    %-10s %8lld", drop_reasons[i].name, n);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (!drop_help(reason) && json_is_integer(v) && json_integer_value(v))
			table_line(t, "    %-10s %8lld", reason, (long long)json_integer_value(v));
	}
}

static void view_ports(const json_t *result)
{
	static const char *const cols[] = {"NAME",     ">INDEX",   "TYPE",  "STATE",
	                                   ">NUMA",    ">RXQ",     ">TXQ",  "DEFAULT",
	                                   ">RX-PKTS", ">TX-PKTS", ">DROPS"};
	const json_t *ports = jarray(result, "ports");
	const json_t *p;
	size_t i;
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0) {
		printf("no ports (add one with 'qvctl port add')\n");
		return;
	}
	table_init(&t, "", 11, cols);
	json_array_foreach(ports, i, p)
	{
		const json_t *drops = json_object_get(p, "drops");
		long long dropped = drops_total(drops);
		struct row *r = table_add(&t);
		jcell(r, 0, p, "name");
		jcell(r, 1, p, "index");
		jcell(r, 2, p, "type");
		jcell(r, 3, p, "state");
		jcell(r, 4, p, "numa");
		jcell(r, 5, p, "rxq");
		jcell(r, 6, p, "txq");
		jcell(r, 7, p, "default");
		jcell(r, 8, p, "rx_packets");
		jcell(r, 9, p, "tx_packets");
		cell(r, 10, "%lld", dropped);
		if (dropped)
			port_drop_lines(&t, drops);
	}
	table_print(&t);
	table_free(&t);
}

static void view_pmd(const json_t *result)
{
	static const char *const cols[] = {"PORT", ">QUEUE", ">PACKETS", ">CYCLES/PKT", ">SHARE"};
	const json_t *pmds = jarray(result, "pmds");
	const json_t *pmd, *q;
	size_t i, j;
	char b1[64], b2[64], b3[64];

	if (pmds == NULL || json_array_size(pmds) == 0) {
		printf("no PMD threads\n");
		return;
	}
	json_array_foreach(pmds, i, pmd)
	{
		if (i)
			putchar('\n');
		printf("pmd core %s (numa %s): busy %.1f%%, %lld packets, %s cycles/packet\n",
		       jtext(pmd, "core", b1, sizeof(b1)), jtext(pmd, "numa", b2, sizeof(b2)),
		       jreal(pmd, "busy_pct"), jint(pmd, "packets"),
		       jtext(pmd, "cycles_per_packet", b3, sizeof(b3)));
		const json_t *rxqs = jarray(pmd, "rxqs");
		if (rxqs == NULL || json_array_size(rxqs) == 0) {
			printf("  no rx queues\n");
			continue;
		}
		/* Share of the thread's busy cycles: which queue to move when a PMD is
		 * overloaded. */
		double busy = jreal(pmd, "busy_cycles");
		struct table t;
		table_init(&t, "  ", 5, cols);
		json_array_foreach(rxqs, j, q)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, q, "port");
			jcell(r, 1, q, "queue");
			jcell(r, 2, q, "packets");
			jcell(r, 3, q, "cycles_per_packet");
			if (busy > 0)
				cell(r, 4, "%.1f%%", 100.0 * jreal(q, "busy_cycles") / busy);
			else
				cell(r, 4, "-");
		}
		table_print(&t);
		table_free(&t);
	}
}

static void view_flows(const json_t *result)
{
	static const char *const cols[] = {">ID", ">PRIO", ">HITS", "MATCH", "ACTIONS"};
	const json_t *flows = jarray(result, "flows");
	const json_t *f;
	size_t i;
	struct table t;

	if (flows == NULL || json_array_size(flows) == 0) {
		printf("no flows\n");
		return;
	}
	table_init(&t, "", 5, cols);
	json_array_foreach(flows, i, f)
	{
		struct row *r = table_add(&t);
		jcell(r, 0, f, "id");
		jcell(r, 1, f, "priority");
		jcell(r, 2, f, "hits");
		jcell(r, 3, f, "match");
		jcell(r, 4, f, "actions");
	}
	table_print(&t);
	table_free(&t);
}

/* Rows REASON PACKETS [MEANING]: every known reason in the usual order, then any the switch
 * reports that this qvctl does not know. */
static void add_drop_rows(struct table *t, const json_t *drops, bool meaning)
{
	const char *reason;
	json_t *v;

	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		struct row *r = table_add(t);
		cell(r, 0, "%s", drop_reasons[i].name);
		cell(r, 1, "%lld", jint(drops, drop_reasons[i].name));
		if (meaning)
			cell(r, 2, "%s", drop_reasons[i].help);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (drop_help(reason))
			continue;
		struct row *r = table_add(t);
		cell(r, 0, "%s", reason);
		cell(r, 1, "%lld", json_is_integer(v) ? (long long)json_integer_value(v) : 0);
		if (meaning)
			cell(r, 2, "(not known to this qvctl)");
	}
}

static void view_drops(const json_t *drops)
{
	static const char *const cols[] = {"REASON", ">PACKETS", "MEANING"};
	struct table t;

	table_init(&t, "", 3, cols);
	add_drop_rows(&t, drops, true);
	table_print(&t);
	table_free(&t);
}

static void view_l2(const json_t *result)
{
	static const char *const cols[] = {"MAC", "PORT", ">AGE"};
	const json_t *entries = jarray(result, "entries");
	const json_t *e;
	size_t i;
	struct table t;

	if (entries == NULL || json_array_size(entries) == 0) {
		printf("no learned MAC addresses\n");
	} else {
		table_init(&t, "", 3, cols);
		json_array_foreach(entries, i, e)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, e, "mac");
			jcell(r, 1, e, "port");
			cell(r, 2, "%llds", jint(e, "age_s"));
		}
		table_print(&t);
		table_free(&t);
	}
	if (json_object_get(result, "aging_s"))
		printf("entries expire after %llds without traffic\n", jint(result, "aging_s"));
}

static void view_stats(const json_t *result)
{
	static const char *const cols[] = {"NAME",     ">RX-PKTS",  ">RX-BYTES",
	                                   ">TX-PKTS", ">TX-BYTES", ">DROPS"};
	const json_t *ports = jarray(result, "ports");
	const json_t *drops = json_object_get(result, "drops");
	const json_t *p;
	size_t i;
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0) {
		printf("no ports\n");
	} else {
		table_init(&t, "", 6, cols);
		json_array_foreach(ports, i, p)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, p, "name");
			jcell(r, 1, p, "rx_packets");
			jcell(r, 2, p, "rx_bytes");
			jcell(r, 3, p, "tx_packets");
			jcell(r, 4, p, "tx_bytes");
			cell(r, 5, "%lld", drops_total(json_object_get(p, "drops")));
		}
		table_print(&t);
		table_free(&t);
	}
	putchar('\n');
	printf("drops: %lld in total\n", drops_total(drops));
	static const char *const dcols[] = {"REASON", ">PACKETS"};
	table_init(&t, "  ", 2, dcols);
	add_drop_rows(&t, drops, false);
	table_print(&t);
	table_free(&t);
}

/* ---- commands ---- */

/* argv here starts after the command words (e.g. after "show ports"). */

static int call_and_view(const char *method, void (*view)(const json_t *))
{
	json_t *result;
	int rc = rpc(method, NULL, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		view(result);
	json_decref(result);
	return 0;
}

static void view_drops_result(const json_t *result)
{
	view_drops(json_object_get(result, "drops"));
}

static void view_chains(const json_t *result);
static void view_placement(const json_t *result);

static void view_controld(const json_t *r)
{
	const char *file = json_string_value(json_object_get(r, "file"));
	const char *last = json_string_value(json_object_get(r, "last_error"));

	printf("desired state: %s (%lld ports, %lld rules), kept in %s\n",
	       file ? file : "none yet (qvctl apply FILE)", jint(r, "ports"), jint(r, "rules"),
	       json_string_value(json_object_get(r, "state_dir")));
	printf("switch %s: %s%s%s\n", json_string_value(json_object_get(r, "switch")),
	       json_is_true(json_object_get(r, "switch_ok")) ? "matches it" : "not in sync",
	       last && *last ? ": " : "", last ? last : "");
}

static int cmd_show(int argc, char **argv)
{
	static const struct {
		const char *name, *method;
		void (*view)(const json_t *);
	} views[] = {
	    {"ports", "port.list", view_ports}, {"pmd", "pmd.show", view_pmd},
	    {"flows", "flow.list", view_flows}, {"drops", "stats.get", view_drops_result},
	    {"l2", "l2.show", view_l2},
	};

	if (argc < 1)
		return usage_error("show", "show what?");
	if (strcmp(argv[0], "chains") == 0) {
		if (argc > 1)
			return usage_error("show", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("chains.show", view_chains);
	}
	if (strcmp(argv[0], "placement") == 0) {
		if (argc > 1)
			return usage_error("show placement", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("placement.show", view_placement);
	}
	if (strcmp(argv[0], "controld") == 0) {
		if (argc > 1)
			return usage_error("show", "unexpected argument '%s'", argv[1]);
		opt.to_controld = true;
		return call_and_view("state.show", view_controld);
	}
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		if (strcmp(argv[0], views[i].name) != 0)
			continue;
		char key[32];
		snprintf(key, sizeof(key), "show %s", views[i].name);
		if (argc > 1)
			return usage_error(key, "unexpected argument '%s'", argv[1]);
		return call_and_view(views[i].method, views[i].view);
	}
	return usage_error("show", "unknown view '%s'", argv[0]);
}

/* Value of an option that takes one: "--opt VALUE" or "--opt=VALUE". Advances *i past it.
 * Returns NULL if argv[*i] is not this option; sets *missing when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	*i += 1;
	return argv[*i];
}

static int cmd_port_add(int argc, char **argv)
{
	const char *key = "port add";

	if (argc < 3)
		return usage_error(key, "port add needs NAME, TYPE and %s",
		                   argc >= 2 && strcmp(argv[1], "dpdk") == 0 ? "DEVARGS" : "PATH");
	const char *name = argv[0], *type = argv[1];
	bool vhost = strcmp(type, "vhost") == 0, dpdk = strcmp(type, "dpdk") == 0;
	if (!vhost && !dpdk)
		return usage_error(key, "unknown port type '%s': expected vhost or dpdk", type);

	json_t *params = json_pack("{s:s, s:s, s:s}", "name", name, "type", type,
	                           vhost ? "path" : "devargs", argv[2]);
	for (int i = 3; i < argc; i++) {
		bool missing = false;
		const char *v;
		const char *numopt = NULL;

		if (vhost && strcmp(argv[i], "--client") == 0) {
			json_object_set_new(params, "client", json_true());
			continue;
		}
		if (strcmp(argv[i], "--down") == 0) {
			json_object_set_new(params, "admin", json_string("down"));
			continue;
		}
		if ((v = opt_value(argc, argv, &i, "--default", &missing))) {
			json_object_set_new(params, "default", json_string(v));
			continue;
		}
		if (!missing && vhost && (v = opt_value(argc, argv, &i, "--queues", &missing)))
			numopt = "queues";
		else if (!missing && dpdk && (v = opt_value(argc, argv, &i, "--rxq", &missing)))
			numopt = "rxq";
		else if (!missing && dpdk && (v = opt_value(argc, argv, &i, "--txq", &missing)))
			numopt = "txq";
		if (missing) {
			json_decref(params);
			return usage_error(key, "%s needs a value", argv[i]);
		}
		if (numopt) {
			unsigned long n;
			if (!parse_uint(v, 1, 65535, &n)) {
				json_decref(params);
				return usage_error(key, "--%s '%s': expected a number 1..65535",
				                   numopt, v);
			}
			json_object_set_new(params, numopt, json_integer((json_int_t)n));
			continue;
		}
		json_decref(params);
		if (vhost && (!strncmp(argv[i], "--rxq", 5) || !strncmp(argv[i], "--txq", 5)))
			return usage_error(key, "%s is for dpdk ports: vhost ports take --queues",
			                   argv[i]);
		if (dpdk && (!strncmp(argv[i], "--queues", 8) || !strcmp(argv[i], "--client")))
			return usage_error(key, "%s is for vhost ports", argv[i]);
		return usage_error(key, "unexpected argument '%s'", argv[i]);
	}

	json_t *result;
	int rc = rpc("port.add", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("port %s added (index %lld)\n", name, jint(result, "index"));
	json_decref(result);
	return 0;
}

static int cmd_port_del(int argc, char **argv)
{
	if (argc != 1)
		return usage_error("port del", argc ? "too many arguments" : "port del needs NAME");
	json_t *result;
	int rc = rpc("port.del", json_pack("{s:s}", "name", argv[0]), &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("port %s deleted\n", argv[0]);
	json_decref(result);
	return 0;
}

static int cmd_port_set(int argc, char **argv)
{
	const char *def = NULL, *admin = NULL;

	if (argc < 1)
		return usage_error("port set", "port set needs NAME");
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		if (strcmp(argv[i], "--up") == 0 || strcmp(argv[i], "--down") == 0) {
			admin = argv[i] + 2;
			continue;
		}
		const char *v = opt_value(argc, argv, &i, "--default", &missing);
		if (missing)
			return usage_error("port set", "--default needs drop or l2");
		if (v == NULL)
			return usage_error("port set", "unexpected argument '%s'", argv[i]);
		def = v;
	}
	if (def == NULL && admin == NULL)
		return usage_error("port set",
		                   "nothing to set: give --default drop|l2, --up or --down");
	json_t *result, *params = json_pack("{s:s}", "name", argv[0]);
	if (def)
		json_object_set_new(params, "default", json_string(def));
	if (admin)
		json_object_set_new(params, "admin", json_string(admin));
	int rc = rpc("port.set", params, &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (def)
			printf("port %s: default is now %s\n", argv[0], def);
		if (admin)
			printf("port %s: admin state is now %s\n", argv[0], admin);
	}
	json_decref(result);
	return 0;
}

static int cmd_port(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("port", "port what?");
	if (strcmp(argv[0], "add") == 0)
		return cmd_port_add(argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return cmd_port_del(argc - 1, argv + 1);
	if (strcmp(argv[0], "set") == 0)
		return cmd_port_set(argc - 1, argv + 1);
	return usage_error("port", "unknown port command '%s'", argv[0]);
}

static int cmd_flow_add(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("flow add", "flow add needs a rule");
	/* An unquoted rule arrives as several words; the syntax separates the match from the
	 * actions by a space, so joining them back is what the user meant. */
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *text = calloc(1, len);
	if (text == NULL) {
		fprintf(stderr, "qvctl: out of memory\n");
		return EXIT_RPC;
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(text, " ");
		strcat(text, argv[i]);
	}
	json_t *params = json_pack("{s:s}", "flow", text);
	free(text);

	json_t *result;
	int rc = rpc("flow.add", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("flow %lld added\n", jint(result, "id"));
	json_decref(result);
	return 0;
}

static int cmd_flow_del(int argc, char **argv)
{
	json_t *params;
	unsigned long id = 0;
	bool all = false;

	if (argc != 1)
		return usage_error("flow del",
		                   argc ? "too many arguments" : "flow del needs an ID or --all");
	if (strcmp(argv[0], "--all") == 0) {
		all = true;
		params = json_pack("{s:b}", "all", 1);
	} else if (parse_uint(argv[0], 0, UINT32_MAX, &id)) {
		params = json_pack("{s:I}", "id", (json_int_t)id);
	} else {
		return usage_error("flow del",
		                   "bad flow id '%s': expected a number (see qvctl "
		                   "show flows) or --all",
		                   argv[0]);
	}
	json_t *result;
	int rc = rpc("flow.del", params, &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (all)
			printf("%lld flow(s) deleted\n", jint(result, "deleted"));
		else
			printf("flow %lu deleted\n", id);
	}
	json_decref(result);
	return 0;
}

static int cmd_flow(int argc, char **argv)
{
	if (argc < 1)
		return usage_error("flow", "flow what?");
	if (strcmp(argv[0], "add") == 0)
		return cmd_flow_add(argc - 1, argv + 1);
	if (strcmp(argv[0], "del") == 0)
		return cmd_flow_del(argc - 1, argv + 1);
	return usage_error("flow", "unknown flow command '%s'", argv[0]);
}

static int cmd_stats(int argc, char **argv)
{
	if (argc == 0)
		return call_and_view("stats.get", view_stats);
	if (strcmp(argv[0], "clear") != 0)
		return usage_error("stats", "unknown stats command '%s'", argv[0]);
	if (argc > 1)
		return usage_error("stats clear", "unexpected argument '%s'", argv[1]);
	json_t *result;
	int rc = rpc("stats.clear", NULL, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("statistics cleared\n");
	json_decref(result);
	return 0;
}

static int cmd_call(int argc, char **argv)
{
	json_t *params = NULL;

	if (argc < 1 || argc > 2)
		return usage_error("call", argc ? "too many arguments" : "call needs a METHOD");
	if (argc == 2) {
		json_error_t jerr;
		params = json_loads(argv[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return usage_error("call", "JSON-PARAMS is not valid JSON: %s (column %d)",
			                   jerr.text, jerr.column);
		if (!json_is_object(params)) {
			json_decref(params);
			return usage_error("call", "JSON-PARAMS must be a JSON object, like "
			                           "'{\"name\": \"vm1\"}'");
		}
	}
	json_t *result;
	int rc = rpc(argv[0], params, &result);
	if (rc)
		return rc;
	print_json(result);
	json_decref(result);
	return 0;
}

/* ---- service definitions (qv-controld) ---- */

static char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void print_plan(const json_t *plan, bool applied)
{
	static const struct {
		const char *key, *verb;
	} parts[] = {{"ports_replace", "replace port"}, {"ports_add", "add port"},
	             {"rules_add", "add rule"},         {"rules_del", "delete rule"},
	             {"ports_del", "delete port"},      {"vms_start", "start VM"},
	             {"vms_remove", "remove VM"}};
	size_t total = 0, i;
	const json_t *v;

	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		json_array_foreach(json_object_get(plan, parts[k].key), i, v)
		{
			const char *what = json_is_string(v) ? json_string_value(v)
			                   : json_object_get(v, "text")
			                       ? json_string_value(json_object_get(v, "text"))
			                       : json_string_value(json_object_get(v, "name"));
			printf("  %-13s %s\n", parts[k].verb, what ? what : "?");
			total++;
		}
	}
	if (total == 0)
		printf("  nothing to change: the switch already matches\n");
	else
		printf("%zu change(s) %s\n", total,
		       applied ? "applied" : "planned, nothing changed");
}

/* What apply did to the VMs; errors (a VM that did not start) make the exit status 1. */
static int print_vm_sync(const json_t *vms)
{
	static const char *const kinds[] = {"started", "running", "held", "removed"};
	const json_t *v;
	size_t i;

	if (!json_is_object(vms))
		return 0;
	if (!opt.json)
		for (size_t k = 0; k < 4; k++)
			json_array_foreach(json_object_get(vms, kinds[k]), i, v)
			    printf("  VM %-20s %s%s\n", json_string_value(v), kinds[k],
			           k == 2 ? " (stopped by vm stop; qvctl vm start NAME)" : "");
	if (!opt.json)
		json_array_foreach(json_object_get(vms, "outdated"), i, v)
		    printf("  %s\n", json_string_value(v));
	json_array_foreach(json_object_get(vms, "errors"), i, v)
	    fprintf(stderr, "qvctl: %s\n", json_string_value(v));
	if (json_array_size(json_object_get(vms, "errors")) == 0)
		return 0;
	fprintf(stderr, "qvctl: the switch was changed, but not every VM is as wanted; "
	                "qv-controld retries by itself (qvctl show controld, qvctl vm list)\n");
	return EXIT_RPC;
}

static int cmd_apply(int argc, char **argv)
{
	bool check = false;
	const char *file = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			check = true;
		else if (argv[i][0] == '-' || file)
			return usage_error("apply", "unexpected argument '%s'", argv[i]);
		else
			file = argv[i];
	}
	if (file == NULL)
		return usage_error("apply", "apply needs a FILE");
	size_t len;
	char *yaml = read_whole_file(file, &len);
	if (yaml == NULL) {
		fprintf(stderr, "qvctl: cannot read %s: %s\n", file, strerror(errno));
		return EXIT_RPC;
	}
	json_t *result;
	opt.to_controld = true;
	if (!opt.timeout_set)
		opt.timeout_ms = VM_TIMEOUT_MS; /* VMs start, old ones shut down */
	int rc = rpc("apply",
	             json_pack("{s:s, s:s%, s:b}", "name", file, "yaml", yaml, len, "check", check),
	             &result);
	free(yaml);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(result, "ok"))) {
		const json_t *e;
		size_t i;
		if (opt.json)
			print_json(result);
		else {
			json_array_foreach(json_object_get(result, "errors"), i, e)
			    fprintf(stderr, "%s\n", json_string_value(e));
			fprintf(stderr, "qvctl: %s\n",
			        json_string_value(json_object_get(result, "message")));
		}
		json_decref(result);
		return EXIT_RPC;
	}
	if (!json_out(result)) {
		printf("%s: %s\n", file, check ? "valid; the plan:" : "applied:");
		print_plan(json_object_get(result, "plan"), !check);
	}
	rc = print_vm_sync(json_object_get(result, "vms"));
	json_decref(result);
	return rc;
}

static void view_chains(const json_t *result)
{
	static const char *const cols[] = {"HOP",      "PORT",     "STATE",
	                                   ">RX-PKTS", ">TX-PKTS", ">DROPS"};
	const json_t *chains = jarray(result, "chains"), *ch, *hop, *p;
	size_t i, j, k;

	if (chains == NULL || json_array_size(chains) == 0) {
		printf("no chains (qvctl apply FILE first)\n");
		return;
	}
	json_array_foreach(chains, i, ch)
	{
		if (i)
			putchar('\n');
		printf("chain %s: ", json_string_value(json_object_get(ch, "name")));
		json_array_foreach(json_object_get(ch, "hops"), j, hop) printf(
		    "%s%s%s", j ? " -> " : "", json_string_value(json_object_get(hop, "hop")),
		    json_is_true(json_object_get(hop, "group")) ? " (group)" : "");
		printf("%s, %lld rule hits\n",
		       json_is_true(json_object_get(ch, "bidirectional")) ? ", bidirectional" : "",
		       jint(ch, "hits"));
		struct table t;
		table_init(&t, "  ", 6, cols);
		json_array_foreach(json_object_get(ch, "hops"), j, hop)
		{
			json_array_foreach(json_object_get(hop, "ports"), k, p)
			{
				struct row *r = table_add(&t);
				cell(r, 0, "%s",
				     k ? "" : json_string_value(json_object_get(hop, "hop")));
				jcell(r, 1, p, "port");
				jcell(r, 2, p, "state");
				jcell(r, 3, p, "rx_packets");
				jcell(r, 4, p, "tx_packets");
				jcell(r, 5, p, "drops");
			}
		}
		table_print(&t);
		table_free(&t);
	}
}

/* ---- VNF VMs and placement (qv-controld) ---- */

static void view_placement(const json_t *r)
{
	const json_t *v;
	size_t i;

	printf("host: %s\n", json_string_value(json_object_get(r, "host")));
	printf("PMD CPUs: %s\n", *json_string_value(json_object_get(r, "pmd_list"))
	                             ? json_string_value(json_object_get(r, "pmd_list"))
	                             : "none");
	json_array_foreach(json_object_get(r, "lines"), i, v)
	    printf("  %s\n", json_string_value(v));
}

static void view_vms(const json_t *r)
{
	static const char *const cols[] = {"NAME",    "STATE", ">VCPUS",    ">MEMORY",
	                                   "PINNING", "VNF",   "SERIAL LOG"};
	const json_t *v;
	size_t i;
	struct table t;
	char buf[32];

	if (json_array_size(json_object_get(r, "vms")) == 0) {
		printf("no VMs (qvctl apply FILE with vnfs first)\n");
		return;
	}
	table_init(&t, "", 7, cols);
	json_array_foreach(json_object_get(r, "vms"), i, v)
	{
		struct row *row = table_add(&t);
		const char *pin = json_string_value(json_object_get(v, "vcpupin"));
		const char *emu = json_string_value(json_object_get(v, "emulatorpin"));
		const char *node = json_string_value(json_object_get(v, "numa"));

		jcell(row, 0, v, "name");
		cell(row, 1, "%s%s", jtext(v, "state", buf, sizeof(buf)),
		     json_is_true(json_object_get(v, "held")) ? " (held)" : "");
		jcell(row, 2, v, "vcpus");
		cell(row, 3, "%lld MiB", jint(v, "memory_mib"));
		cell(row, 4, "vcpu %s emu %s node %s", pin && *pin ? pin : "-",
		     emu && *emu ? emu : "-", node && *node ? node : "-");
		const json_t *hd = json_object_get(v, "hostdevs");
		cell(row, 5, "%s%s%s%s",
		     json_string_value(json_object_get(v, "vnf"))
		         ? json_string_value(json_object_get(v, "vnf"))
		         : "-",
		     strcmp(jtext(v, "origin", buf, sizeof(buf)), "clone") == 0 ? " (clone)" : "",
		     json_array_size(hd) ? ", VF " : "",
		     json_array_size(hd) ? json_string_value(json_array_get(hd, 0)) : "");
		jcell(row, 6, v, "serial_log");
	}
	table_print(&t);
	table_free(&t);
}

static int cmd_vm(int argc, char **argv)
{
	static const struct {
		const char *verb, *method;
		int min, max;        /* positional arguments */
		const char *p1, *p2; /* their parameter names */
	} verbs[] = {
	    {"list", "vm.list", 0, 0, NULL, NULL},
	    {"start", "vm.start", 1, 1, "name", NULL},
	    {"stop", "vm.stop", 1, 1, "name", NULL},
	    {"restart", "vm.restart", 1, 1, "name", NULL},
	    {"console", "vm.console", 1, 1, "name", NULL},
	    {"snapshot", "vm.snapshot", 1, 2, "name", "tag"},
	    {"revert", "vm.revert", 2, 2, "name", "tag"},
	    {"clone", "vm.clone", 2, 2, "name", "new"},
	    {"delete", "vm.delete", 1, 1, "name", NULL},
	    {"xml", "vm.xml", 1, 1, "name", NULL},
	};
	char key[32];
	size_t k;
	int npos = 0;

	if (argc < 1)
		return usage_error("vm", "vm what? (list, start, stop, ...)");
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (strcmp(argv[0], verbs[k].verb) == 0)
			break;
	if (k == sizeof(verbs) / sizeof(verbs[0]))
		return usage_error("vm", "unknown vm command '%s'", argv[0]);
	snprintf(key, sizeof(key), "vm %s", verbs[k].verb);
	json_t *params = json_object();
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v, *num = NULL;
		unsigned long n;

		if ((!strcmp(argv[0], "stop") || !strcmp(argv[0], "restart")) &&
		    (v = opt_value(argc, argv, &i, "--timeout-s", &missing)))
			num = "timeout_s";
		else if (!missing && !strcmp(argv[0], "console") &&
		         (v = opt_value(argc, argv, &i, "--bytes", &missing)))
			num = "bytes";
		if (missing) {
			json_decref(params);
			return usage_error(key, "%s needs a value", argv[i]);
		}
		if (num) {
			if (!parse_uint(v, strcmp(num, "bytes") == 0, 1 << 20, &n)) {
				json_decref(params);
				return usage_error(key, "'%s': expected a number", v);
			}
			json_object_set_new(params, num, json_integer((json_int_t)n));
			continue;
		}
		if (argv[i][0] == '-' || npos >= verbs[k].max) {
			json_decref(params);
			return usage_error(key, "unexpected argument '%s'", argv[i]);
		}
		json_object_set_new(params, npos ? verbs[k].p2 : verbs[k].p1, json_string(argv[i]));
		npos++;
	}
	if (npos < verbs[k].min) {
		json_decref(params);
		return usage_error(key, "vm %s needs %s", verbs[k].verb,
		                   verbs[k].min == 2 ? "two arguments" : "the VM's NAME");
	}
	opt.to_controld = true;
	if (!opt.timeout_set)
		opt.timeout_ms = VM_TIMEOUT_MS;
	json_t *r;
	int rc = rpc(verbs[k].method, params, &r);
	if (rc)
		return rc;
	if (!json_out(r)) {
		const char *name = json_string_value(json_object_get(r, "name"));
		if (k == 0)
			view_vms(r);
		else if (!strcmp(argv[0], "console"))
			fputs(json_string_value(json_object_get(r, "text")), stdout);
		else if (!strcmp(argv[0], "xml"))
			fputs(json_string_value(json_object_get(r, "xml")), stdout);
		else if (!strcmp(argv[0], "snapshot") || !strcmp(argv[0], "revert"))
			printf("VM %s: %s %s\n", name,
			       !strcmp(argv[0], "revert") ? "reverted to" : "snapshot",
			       json_string_value(json_object_get(r, "tag")));
		else if (!strcmp(argv[0], "clone"))
			printf("VM %s cloned from %s\n", name,
			       json_string_value(json_object_get(r, "source")));
		else
			printf("VM %s: %s%s\n", name, json_string_value(json_object_get(r, "done")),
			       json_is_true(json_object_get(r, "forced"))
			           ? " (did not shut down in time: destroyed)"
			           : "");
	}
	json_decref(r);
	return 0;
}

/* ---- capture and trace ---- */

static int cmd_capture_start(int argc, char **argv)
{
	static const char *const nums[][2] = {
	    {"--snaplen", "snaplen"}, {"--count", "count"}, {"--max-size", "max_size"}};
	const char *key = "capture start";
	bool have_file = false;

	if (argc < 1 || argv[0][0] == '-')
		return usage_error(key, "capture start needs PORT");
	json_t *params = json_pack("{s:s}", "port", argv[0]);
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v = NULL;
		unsigned long n;

		if (strcmp(argv[i], "--rotate") == 0 || strcmp(argv[i], "--force") == 0) {
			json_object_set_new(params, argv[i] + 2, json_true());
			continue;
		}
		if ((v = opt_value(argc, argv, &i, "--file", &missing))) {
			json_object_set_new(params, "file", json_string(v));
			have_file = true;
		} else if (!missing && (v = opt_value(argc, argv, &i, "--dir", &missing))) {
			json_object_set_new(params, "dir", json_string(v));
		} else if (!missing && (v = opt_value(argc, argv, &i, "--filter", &missing))) {
			json_object_set_new(params, "filter", json_string(v));
		} else if (!missing && (v = opt_value(argc, argv, &i, "--duration", &missing))) {
			char *end;
			double d = strtod(v, &end);
			if (*end || end == v || d <= 0) {
				json_decref(params);
				return usage_error(key, "--duration '%s': expected seconds > 0", v);
			}
			json_object_set_new(params, "duration", json_real(d));
		}
		for (size_t k = 0; k < 3 && !v && !missing; k++) {
			v = opt_value(argc, argv, &i, nums[k][0], &missing);
			if (v && !parse_uint(v, 1, 1ul << 40, &n)) {
				json_decref(params);
				return usage_error(key, "%s '%s': expected a positive number",
				                   nums[k][0], v);
			}
			if (v)
				json_object_set_new(params, nums[k][1],
				                    json_integer((json_int_t)n));
		}
		if (missing || !v) {
			json_decref(params);
			return usage_error(
			    key, missing ? "%s needs a value" : "unexpected argument '%s'",
			    argv[i]);
		}
	}
	if (!have_file) {
		json_decref(params);
		return usage_error(key, "--file PATH is required");
	}
	json_t *result;
	int rc = rpc("capture.start", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("capture %lld started on %s -> %s\n", jint(result, "id"), argv[0],
		       json_string_value(json_object_get(result, "file")));
	json_decref(result);
	return 0;
}

static void view_captures(const json_t *result)
{
	static const char *const cols[] = {">ID",    "PORT", "DIR",    "STATE", ">PACKETS",
	                                   ">DROPS", "FILE", "FILTER", "END"};
	const json_t *caps = jarray(result, "captures"), *c;
	size_t i;
	struct table t;

	if (caps == NULL || json_array_size(caps) == 0) {
		printf("no captures\n");
		return;
	}
	table_init(&t, "", 9, cols);
	json_array_foreach(caps, i, c)
	{
		struct row *r = table_add(&t);
		jcell(r, 0, c, "id");
		jcell(r, 1, c, "port");
		jcell(r, 2, c, "dir");
		jcell(r, 3, c, "state");
		jcell(r, 4, c, "packets");
		cell(r, 5, "%lld", jint(c, "drops_ring") + jint(c, "drops_nomem"));
		jcell(r, 6, c, "file");
		jcell(r, 7, c, "filter");
		jcell(r, 8, c, "end");
	}
	table_print(&t);
	table_free(&t);
}

static int cmd_capture(int argc, char **argv)
{
	if (argc == 0)
		return usage_error("capture", "capture needs start, list or stop");
	if (strcmp(argv[0], "start") == 0)
		return cmd_capture_start(argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0) {
		if (argc > 1)
			return usage_error("capture list", "unexpected argument '%s'", argv[1]);
		return call_and_view("capture.list", view_captures);
	}
	if (strcmp(argv[0], "stop") == 0) {
		unsigned long id;
		if (argc != 2 || !parse_uint(argv[1], 1, UINT32_MAX, &id))
			return usage_error("capture stop", "capture stop needs one capture ID");
		json_t *result;
		int rc = rpc("capture.stop", json_pack("{s:I}", "id", (json_int_t)id), &result);
		if (rc)
			return rc;
		if (!json_out(result))
			printf("capture %lu stopped: %lld packets in %s\n", id,
			       jint(result, "packets"),
			       json_string_value(json_object_get(result, "file")));
		json_decref(result);
		return 0;
	}
	return usage_error("capture", "unknown capture command '%s'", argv[0]);
}

static void print_trace(const json_t *result)
{
	const json_t *rec, *line;
	size_t i, j;

	json_array_foreach(json_object_get(result, "records"), i, rec)
	{
		json_array_foreach(json_object_get(rec, "lines"), j, line)
		    printf("%s\n", json_string_value(line));
	}
}

static int cmd_trace(int argc, char **argv)
{
	unsigned long count = 10, timeout_s = 10;

	if (argc < 1 || argv[0][0] == '-')
		return usage_error("trace", "trace needs PORT");
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--count", &missing))) {
			if (!parse_uint(v, 1, 1024, &count))
				return usage_error("trace", "--count '%s': expected 1..1024", v);
		} else if (!missing && (v = opt_value(argc, argv, &i, "--timeout", &missing))) {
			if (!parse_uint(v, 1, 3600, &timeout_s))
				return usage_error("trace", "--timeout '%s': expected seconds", v);
		} else {
			return usage_error(
			    "trace", missing ? "%s needs a value" : "unexpected argument '%s'",
			    argv[i]);
		}
	}
	json_t *result;
	int rc = rpc("trace.start",
	             json_pack("{s:s, s:I}", "port", argv[0], "count", (json_int_t)count), &result);
	if (rc)
		return rc;
	json_decref(result);
	/* The switch records in the background: poll for the records until a deadline. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = rpc("trace.show", NULL, &result);
		if (rc)
			return rc;
		size_t got = json_array_size(json_object_get(result, "records"));
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (got >= count || now.tv_sec - t0.tv_sec >= (time_t)timeout_s) {
			if (!json_out(result)) {
				print_trace(result);
				if (got < count)
					printf("(%zu of %lu packets arrived on %s within %lu s)\n",
					       got, count, argv[0], timeout_s);
			}
			json_decref(result);
			return 0;
		}
		json_decref(result);
		usleep(100 * 1000);
	}
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {"show", cmd_show},   {"port", cmd_port},   {"flow", cmd_flow},
    {"stats", cmd_stats}, {"call", cmd_call},   {"capture", cmd_capture},
    {"trace", cmd_trace}, {"apply", cmd_apply}, {"vm", cmd_vm},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("QV_SWITCH_SOCK");
	int i = 1;

	opt.sock = env && *env ? env : DEFAULT_SOCKET;
	env = getenv("QV_CONTROLD_SOCK");
	opt.controld = env && *env ? env : "/run/qwikvirt/controld.sock";
	opt.timeout_ms = DEFAULT_TIMEOUT_MS;

	for (; i < argc && argv[i][0] == '-'; i++) {
		bool missing = false;
		const char *v;
		if (is_help(argv[i]))
			return print_help(find_help(NULL, NULL));
		if (strcmp(argv[i], "--json") == 0) {
			opt.json = true;
		} else if ((v = opt_value(argc, argv, &i, "--switch", &missing))) {
			if (*v == '\0')
				return usage_error("", "--switch needs a socket path");
			opt.sock = v;
		} else if (!missing && (v = opt_value(argc, argv, &i, "--controld", &missing))) {
			if (*v == '\0')
				return usage_error("", "--controld needs a socket path");
			opt.controld = v;
		} else if ((v = opt_value(argc, argv, &i, "--timeout", &missing))) {
			unsigned long ms;
			if (!parse_uint(v, 1, 3600 * 1000, &ms))
				return usage_error("",
				                   "--timeout '%s': expected milliseconds, "
				                   "1..3600000",
				                   v);
			opt.timeout_ms = (int)ms;
			opt.timeout_set = true;
		} else if (missing) {
			return usage_error("", "%s needs a value", argv[i]);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			return usage_error("", "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return usage_error("", "no command given");

	/* "qvctl help port add" is "qvctl port add --help". */
	bool help = false;
	if (strcmp(argv[i], "help") == 0) {
		help = true;
		i++;
		if (i >= argc)
			return print_help(find_help(NULL, NULL));
	}
	const struct command *cmd = find_command(argv[i]);
	if (cmd == NULL)
		return usage_error("", "unknown command '%s'", argv[i]);

	/* --help anywhere after the command wins; --json is also accepted there, since users
	 * tend to append it. Both are removed before the command sees its arguments. */
	int n = 0;
	char **args = calloc((size_t)argc, sizeof(*args));
	if (args == NULL)
		return EXIT_RPC;
	for (int j = i + 1; j < argc; j++) {
		if (is_help(argv[j]))
			help = true;
		else if (strcmp(argv[j], "--json") == 0)
			opt.json = true;
		else
			args[n++] = argv[j];
	}
	int rc;
	if (help)
		rc = print_help(find_help(cmd->name, n ? args[0] : NULL));
	else
		rc = cmd->fn(n, args);
	free(args);
	return rc;
}
