/* qwikvirt: qvctl's help: the usage and text of every command, and the usage error that
 * quotes them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

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
     "  show ports|pmd|flows|drops|l2|groups\n"
     "                                  show the switch's state\n"
     "  show port NAME  a port's queue pairs: enabled by the guest, per-queue counters\n"
     "  port add|del|set                manage ports\n"
     "  flow add|del|add-file|replace-file  manage flow rules\n"
     "  stats [clear]                   traffic and drop counters\n"
     "  apply [--check] FILE            apply a YAML service definition (qv-controld)\n"
     "  check FILE                      validate a service definition offline, print its plan\n"
     "  show chains                     chains hop by hop with counters (qv-controld)\n"
     "  show placement                  NUMA placement of PMDs and VMs, explained (qv-controld)\n"
     "  show scaling                    VNFs that scale on load: signal, decisions (qv-controld)\n"
     "  vnf scale NAME N                run N instances of a scaling VNF now (qv-controld)\n"
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
    {"show", "qvctl show ports|pmd|flows|drops|l2|groups|chains|controld|placement|scaling",
     "Shows the switch's state:\n"
     "  ports   ports with queues, default action and traffic counters\n"
     "  pmd     per PMD thread and rx queue: load and cycles per packet\n"
     "  flows   flow rules with their hit counts\n"
     "  drops   dropped packets per reason, with what each reason means\n"
     "  l2      learned MAC addresses\n"
     "  groups  load-balancing groups: members, flows per member, affinity tables\n"
     "  chains  (from qv-controld) each chain hop by hop with the counters of its ports\n"
     "  controld (from qv-controld) its desired state and whether the switch matches it\n"
     "  placement (from qv-controld) where the PMDs and each VM's vCPUs, emulator threads\n"
     "          and memory go, and why\n"
     "  scaling (from qv-controld) VNFs whose instances follow load: signal, thresholds,\n"
     "          instances, last decision and why\n"
     "\n"
     "Example:\n"
     "  qvctl show ports\n"},
    {"show ports", "qvctl show ports",
     "Lists the ports: name, index, type, link state, NUMA node, rx/tx queues, default action\n"
     "for packets no rule matches, packet counters and drops (with one line per drop reason\n"
     "under each port that dropped packets it received), and a line per policer (qvctl port\n"
     "set --police) with its rate, burst and the packets it dropped. A no-mbuf line under a port "
     "counts\n"
     "rx polls that found packets waiting in its queue and no mbuf to take them (not drops:\n"
     "the pool is too small for the load; see the pool in qvctl show pmd).\n"
     "\n"
     "Example:\n"
     "  qvctl show ports\n"},
    {"show port", "qvctl show port NAME",
     "A vhost port's queue pairs: whether the guest enabled each direction, and rte_vhost's\n"
     "counters of each virtqueue (non-zero ones; rx is what the switch received).\n"
     "\n"
     "Example:\n"
     "  qvctl show port vm1-in\n"},
    {"show pmd", "qvctl show pmd",
     "For each PMD thread: its core and NUMA node, the share of cycles spent on packets,\n"
     "packets received and cycles per packet; the mbuf pool of its NUMA node (in use, free);\n"
     "then each rx queue it polls with its packets,\n"
     "cycles per packet and share of the thread's busy cycles.\n"
     "\n"
     "Example:\n"
     "  qvctl show pmd\n"},
    {"show flows", "qvctl show flows [--summary]",
     "Lists the flow rules: id (for 'qvctl flow del'), priority, packets matched, match and\n"
     "actions. --summary: no rules, but how the table is made: the rte_acl part (rules,\n"
     "memory, build time), the delta beside it (rules added since it was built, copies of\n"
     "rules a deleted one shadowed, deletions masked; tuples and memory), and the background\n"
     "rebuilds that fold the delta into a new rte_acl part.\n"
     "\n"
     "Examples:\n"
     "  qvctl show flows\n"
     "  qvctl show flows --summary\n"},
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
    {"show groups", "qvctl show groups",
     "Lists the load-balancing groups (rules with group:A+B+... actions): for each, its\n"
     "members, whether each is usable, its share of the group's Maglev table (the share of\n"
     "new flows it gets) and the established flows it has (entries of the PMDs' flow-affinity\n"
     "tables). Then each PMD's affinity table: entries used, hits (a flow kept its member),\n"
     "misses (a new or idle flow, placed by the Maglev table), stale (its member left the\n"
     "group or went down: placed again) and evictions (a full set dropped a live flow).\n"
     "\n"
     "Example:\n"
     "  qvctl show groups\n"},
    {"show scaling", "qvctl show scaling",
     "Asks qv-controld about the VNFs whose instances follow load (instances: {min, max,\n"
     "scale-out, scale-in} in the file): per VNF its load (per instance: cpu percent or\n"
     "packets/s) and where it comes from, the scale-out and scale-in thresholds with how long\n"
     "each must hold, the instances it runs (min..max; current->target while some drain),\n"
     "the decision of the last round and why, and the last change of count.\n"
     "\n"
     "Example:\n"
     "  qvctl show scaling\n"},
    {"vnf", "qvctl vnf scale NAME N",
     "VNFs of qv-controld's applied file:\n"
     "  vnf scale NAME N   run N instances of scaling VNF NAME (within its min..max) now\n"
     "\n"
     "Example:\n"
     "  qvctl vnf scale fw 3\n"},
    {"vnf scale", "qvctl vnf scale NAME N",
     "Runs N instances of VNF NAME, which must scale (instances: {min, max, ...}) and N be\n"
     "within its min..max. More: the new instances start at once (clones of instance 0) and\n"
     "join its groups for new flows only; fewer: the instances above N drain (no new flows,\n"
     "established ones stay) and are removed when their flows end or the drain deadline\n"
     "passes. Counts as a change for the cool-down; the count survives restarts. Admin only.\n"
     "\n"
     "Example:\n"
     "  qvctl vnf scale fw 3\n"},
    {"port", "qvctl port add|del|set ...",
     "Manages ports:\n"
     "  port add NAME vhost PATH [--client] [--queues N] [--mbufs N] [--no-vring-stats]\n"
     "                           [--default drop|l2]\n"
     "  port add NAME dpdk DEVARGS [--rxq N] [--txq N] [--default drop|l2]\n"
     "  port add NAME af_packet|af_xdp NETDEV [--queues N] [--mtu N]\n"
     "  port add NAME vhost_kernel TAPNAME [--queues N] [--mtu N]\n"
     "  port del NAME\n"
     "  port set NAME [--default drop|l2] [--up|--down] [--mtu N] [--queues N]\n"
     "               [--mbufs N] [--police P] [--egress-police P]\n"
     "\n"
     "Example:\n"
     "  qvctl port add vm1 vhost /run/qwikvirt/vm1.sock --queues 2\n"},
    {"port add",
     "qvctl port add NAME vhost PATH [--client] [--queues N] [--mbufs N] [--no-vring-stats]\n"
     "                                [--default drop|l2]\n"
     "       qvctl port add NAME dpdk DEVARGS [--rxq N] [--txq N] [--default drop|l2]",
     "Adds a port named NAME (1..31 characters: letters, digits, '_', '.', '-').\n"
     "\n"
     "vhost: a vhost-user socket at PATH for a VM. The switch creates the socket (server),\n"
     "  or with --client connects to the VM's socket and reconnects when it goes away.\n"
     "  --queues N    queue pairs (default 1)\n"
     "  --mbufs N     the guest's packets go into a pool of N buffers of the port's own\n"
     "                (16..16777216) instead of the shared one: a guest that floods\n"
     "                cannot starve the other ports of buffers (0: the shared pool)\n"
     "  --no-vring-stats  no per-virtqueue counters in 'show port' (sizes, multicast,\n"
     "                broadcast, notifications): rte_vhost then does not count every packet\n"
     "                a second time (2 to 5 % of a forward at 64 B). The port's own\n"
     "                counters in 'show ports' and 'show pmd' count either way\n"
     "dpdk: a DPDK device, by PCI address or vdev string.\n"
     "  --rxq N, --txq N   receive and transmit queues (default 1; several rx queues are\n"
     "                     hashed by the device's RSS)\n"
     "af_packet, af_xdp: an existing Linux interface NETDEV (a veth end, a NIC the kernel\n"
     "  keeps); the port's link follows the interface's carrier.\n"
     "vhost_kernel: a tap interface TAPNAME the port creates for the kernel's stack (virtio-\n"
     "  user on /dev/vhost-net) and removes with it.\n"
     "  --queues N    queue pairs (default 1)\n"
     "All:\n"
     "  --mtu N            the largest L3 payload the port sends and receives (68..9194,\n"
     "                     default 1500; within the device's own limits); a larger frame\n"
     "                     sent to it is dropped as mtu-exceeded\n"
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
     "  qvctl port add cap0 dpdk net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\n"
     "  qvctl port add p0 af_packet veth0 --mtu 9000\n"},
    {"port del", "qvctl port del NAME",
     "Removes a port. Rules that name it stay, inert, and apply again when a port of\n"
     "that name is added back.\n"
     "\n"
     "Example:\n"
     "  qvctl port del vm1\n"},
    {"port set",
     "qvctl port set NAME [--default drop|l2] [--up|--down] [--mtu N] [--queues N] [--mbufs N] "
     "[--police P] [--egress-police P]",
     "--default: what happens to packets received on NAME that no flow rule matches: drop\n"
     "them, or switch them by learned MAC address (l2).\n"
     "--up/--down: the administrative state; a down port is not polled and output to it is\n"
     "counted as port-down.\n"
     "--mtu N: a new MTU, checked against the device's limits (the error names them).\n"
     "--queues N (--rxq N, --txq N for dpdk ports): new queue counts. A device is\n"
     "reconfigured while its traffic counts as port-down; other ports are not touched.\n"
     "A request the device refuses changes nothing.\n"
     "--mbufs N (vhost ports): the guest's packets go into a pool of N buffers of the port's\n"
     "own from now on (0: back to the shared pool); the old pool is freed once its buffers\n"
     "are all back.\n"
     "--police P, --egress-police P: limit what NAME receives (ingress) or sends (egress);\n"
     "packets over the limit are dropped and counted as 'policed'. P is RATE[,BURST]\n"
     "(srTCM: one rate and its burst) or RATE,BURST,PEAK[,PEAK-BURST] (trTCM: packets over\n"
     "the peak rate are dropped), or off. RATE in bit/s (kbit, Mbit, Gbit, Tbit) or packets/s\n"
     "(pps, kpps, Mpps); BURST in bytes (B, KiB, MiB; at least one full frame, 1522B) or\n"
     "packets (pkt); default burst: 10 ms at RATE. Each PMD meters its share, RATE / PMDs.\n"
     "\n"
     "Examples:\n"
     "  qvctl port set vm1 --default l2\n"
     "  qvctl port set uplink --mtu 9000\n"
     "  qvctl port set replay0 --up\n"
     "  qvctl port set vm1 --police 2Gbit,256KiB --egress-police 1Gbit\n"
     "  qvctl port set vm1 --police off\n"},
    {"flow",
     "qvctl flow add 'MATCH actions=ACTIONS' | flow del ID | flow del --all | flow add-file "
     "FILE | flow replace-file FILE",
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
    {"flow add-file", "qvctl flow add-file FILE",
     "Adds every rule of FILE (one per line in the 'flow add' syntax; blank lines and lines\n"
     "starting with '#' are skipped) as one transaction: the whole file is checked first, and\n"
     "if one rule is wrong nothing is applied and the error names its FILE:LINE. The rules\n"
     "take effect together, in one table update. See 'qvctl flow add --help' for the syntax.\n"
     "\n"
     "Example:\n"
     "  qvctl flow add-file /etc/qwikvirt/acl.rules\n"},
    {"flow replace-file", "qvctl flow replace-file FILE",
     "Makes the rules of FILE the whole table, in one transaction: every rule in force is\n"
     "deleted and FILE's rules added at once (packets see the old table or the new one, never\n"
     "a mix). A wrong rule changes nothing and is named by FILE:LINE.\n"
     "\n"
     "Example:\n"
     "  qvctl flow replace-file /etc/qwikvirt/acl.rules\n"},
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
     "vm1.pcapng\n"},
    {"capture start",
     "qvctl capture start PORT --file PATH [--dir rx|tx|both] [--filter 'BPF'] [--snaplen N]\n"
     "                   [--count N] [--duration S] [--max-size BYTES [--rotate]] [--force]",
     "Starts capturing PORT's packets into PATH (pcapng; the interface is named after the\n"
     "port, each packet records its direction, the end of the file records the drops).\n"
     "  --file PATH        a name in the switch's --capture-dir (or a path inside it); not\n"
     "                     an existing file unless --force (which overwrites it); never\n"
     "                     through a symbolic link; created 0640\n"
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
     "Stops a capture; its file is complete and readable when this returns. A member of\n"
     "the qwikvirt group may stop only the captures it started; root any.\n"
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
    {"check", "qvctl check FILE",
     "Validates the YAML service definition FILE (qwikvirt.yaml(5), configs/README.md) with no\n"
     "daemon running, through the same loader, validator and chain compiler as 'qvctl apply\n"
     "--check', and prints the plan onto an empty switch: ports, rules, VMs (named with\n"
     "qv-controld's default prefix qv-). Every error is reported as FILE:LINE:COLUMN, as apply\n"
     "reports it. Not checked here: VFs on their PF and NUMA placement, which depend on the\n"
     "daemon's host ('qvctl apply --check' does them).\n"
     "Exit status: 0 valid, 1 invalid or unreadable, 2 bad usage.\n"
     "\n"
     "Example:\n"
     "  qvctl check /usr/share/doc/qwikvirt/examples/web.yaml\n"},
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

const struct help *find_help(const char *cmd, const char *sub)
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

int print_help(const struct help *h)
{
	printf("usage: %s\n\n%s", h->usage, h->text);
	return 0;
}

int print_all_help(void)
{
	for (size_t i = 0; i < N_HELPS; i++)
		printf("%sqvctl%s%s\nusage: %s\n\n%s", i ? "\n" : "", *helps[i].key ? " " : "",
		       helps[i].key, helps[i].usage, helps[i].text);
	return 0;
}

int usage_error(const char *key, const char *fmt, ...)
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
