/* qv-peer: the test suite's traffic peer, a one-lcore DPDK program on the far side of a switch's
 * ports that sends pcap files or generated UDP frames and counts or captures what comes back.
 * Over 700 lines as one file on purpose: one test tool whose modes share its option table and
 * port set-up; frames come from lib/frame.c, so what is left here is the tool itself. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "lib/frame.h"
#include "lib/mac.h"
#include "lib/num.h"
#include "lib/proto.h"

#define BURST 32
#define NB_MBUF 8192
#define MBUF_CACHE 256
#define NB_RXD 1024
#define NB_TXD 1024
/* mbuf data_len is 16 bits and the data room shares buf_len with the headroom. */
#define MAX_PKT 16000

/* Exit codes, documented in --help. */
#define EXIT_USAGE 1
#define EXIT_RUNTIME 2
#define EXIT_TIMEOUT 3

/* Generated frames' seq carries libqv's QV_FRAME_SEQ_MAGIC, as qv-mkpcap's 'seq' token does,
 * so qv-mkpcap --dump shows it. */

enum src_kind { SRC_NONE, SRC_PCAP, SRC_GEN };

struct pkt {
	size_t off; /* into port_state.data */
	uint32_t len;
};

struct port_state {
	/* What this port sends. */
	enum src_kind src;
	const char *files[16];
	int nfiles;
	uint8_t *data;
	struct pkt *pkts;
	uint64_t npkts;
	uint64_t next_pkt;
	uint64_t reps_done;
	uint32_t gen_size;
	uint32_t gen_flows;
	uint64_t gen_next; /* index of the next generated frame: picks its flow and seq */
	uint8_t *gen_tmpl;
	bool src_done;
	struct rte_mbuf *pend[BURST]; /* built but not yet accepted by the PMD */
	unsigned int npend;

	/* What this port receives. */
	bool rx;
	const char *rx_file;
	pcap_t *rx_pcap;
	pcap_dumper_t *dumper;

	uint64_t tx, rx_pkts, tx_bytes, rx_bytes;
	uint64_t last_tx, last_rx; /* for --stats */

	/* Queues: --queues N each way; bursts go to them in turn. --requeue: once AFTER packets
	 * were sent in all, the port is reconfigured to requeue_n queues (requeue_after 0: no). */
	uint16_t nq, next_txq, next_rxq;
	uint64_t requeue_after;
	uint16_t requeue_n;

	/* --restart: restart_left more stop/start cycles, one every restart_ms, the next at TSC
	 * next_restart (0 until the links are up); restarts counts those done. */
	uint64_t restart_ms, restart_left, next_restart, restarts;
};

static struct {
	uint64_t repeat;
	uint64_t count;
	bool count_set;
	double duration;
	bool duration_set;
	uint64_t window;
	uint64_t expect;
	double timeout;
	bool timeout_set;
	double wait_link;
	double settle_ms;
	double rate;
	double stats;
	double linger_ms;
	bool reconnect;
	const char *json;
	uint8_t gen_src[6], gen_dst[6];
	uint64_t queues;
	const char *requeue_wait;
	const char *stop_file;
} opt = {
    .queues = 1,
    .repeat = 1,
    .timeout = 30,
    .wait_link = 10,
    .settle_ms = 200,
    .linger_ms = 200,
    .gen_src = {2, 0, 0, 0, 0, 1},
    .gen_dst = {2, 0, 0, 0, 0, 2},
};

static struct port_state ports[RTE_MAX_ETHPORTS];
static volatile sig_atomic_t quit_signal;

static const char usage_text[] =
    "Usage: qv-peer [EAL args] -- [options]\n"
    "\n"
    "Traffic peer for the qwikvirt tests: sends packets on some ethdev ports and counts or\n"
    "captures what arrives on others. The ports are the EAL's ethdev ports in order (0, 1,\n"
    "...), typically net_virtio_user vdevs connected to the switch's vhost-user sockets.\n"
    "virtio-user needs --single-file-segments with hugepages (e.g. --in-memory\n"
    "--single-file-segments) or --no-huge -m 512; give each process its own --file-prefix.\n"
    "Runs on the main lcore only; every port gets --queues rx and tx queues (default 1),\n"
    "promiscuous mode.\n"
    "\n"
    "Sending (one source per port):\n"
    "  --tx PORT:FILE.pcap   send the packets of FILE on PORT (repeatable; several files for\n"
    "                        one port are sent one after the other)\n"
    "  --repeat N            send each port's files N times (default 1)\n"
    "  --gen PORT:SIZE:FLOWS send generated UDP frames of SIZE bytes (42..16000) on PORT, IPs\n"
    "                        10.0.0.1 -> 10.0.0.2, dst port 80, src port 1024 + i % FLOWS;\n"
    "                        frames of 50 bytes or more carry a sequence number (see\n"
    "                        qv-mkpcap --dump)\n"
    "  --gen-mac SRC,DST     MACs of generated frames (default 02:00:00:00:00:01,\n"
    "                        02:00:00:00:00:02)\n"
    "  --count N             --gen: send N packets per --gen port\n"
    "  --stop-file FILE      --gen: stop sending once FILE exists (checked every 10 ms);\n"
    "                        the run then ends as one whose --count was sent does, after\n"
    "                        --linger, with what was in flight received or counted. A test\n"
    "                        keeps a load on until something happened, and no longer\n"
    "  --duration S          --gen: send for S seconds (0 = until SIGINT/SIGTERM); without\n"
    "                        any sending option: receive for S seconds. --gen needs --count\n"
    "                        or --duration\n"
    "  --rate PPS            pace sending to PPS packets/s in total over all ports (TSC)\n"
    "  --window W            at most W packets in flight (sent but not yet received on the\n"
    "                        --rx ports; default 0 = no limit). If nothing arrives for 1 s\n"
    "                        while the window is full, the in-flight packets are counted\n"
    "                        as lost and sending goes on, so a run always ends. For zero\n"
    "                        loss keep W at most the rx ring size (virtio-user: 256 unless\n"
    "                        the vdev has queue_size=N)\n"
    "\n"
    "Receiving (every port is polled so the switch never backs up; only --rx ports count):\n"
    "  --rx PORT:FILE.pcap   write everything received on PORT to FILE (pcap, Ethernet)\n"
    "  --rx PORT             just count what PORT receives\n"
    "  --expect N            stop with success once N packets arrived on the --rx ports\n"
    "  --linger MS           without --expect: after sending everything, keep receiving\n"
    "                        until nothing arrived for MS ms (default 200)\n"
    "\n"
    "Timing and output:\n"
    "  --timeout S           give up after S seconds, link wait included (default 30; with\n"
    "                        --duration D > 0: D + wait-link + 30; with --duration 0: none)\n"
    "  --wait-link S         wait up to S seconds for every port's link before sending\n"
    "                        (default 10; a virtio-user link is up once the vhost backend\n"
    "                        accepted it)\n"
    "  --settle MS           once all links are up, wait MS ms more before sending\n"
    "                        (default 200): a virtio-user link is up as soon as the socket\n"
    "                        is connected, but the backend enables its queues a little\n"
    "                        later, and a switch drops what it cannot forward yet\n"
    "  --stats S             print tx-pps/rx-pps per port every S seconds\n"
    "  --reconnect           link-state interrupts on, for virtio-user ports in server\n"
    "                        mode (server=1): DPDK 22.11 accepts the new connection of a\n"
    "                        switch that restarted only from its link-state interrupt\n"
    "                        handler (or a link read), so without it traffic never comes\n"
    "                        back after a switch restart. Not for client ports: closing\n"
    "                        them can hang once the switch is gone\n"
    "  --json FILE           write the summary as JSON: {\"ports\":[{\"port\":0,\"tx\":N,\n"
    "                        \"rx\":N,\"tx_bytes\":N,\"rx_bytes\":N,\"restarts\":N}],\"tx\":N,\n"
    "                        \"rx\":N,\"elapsed_s\":F,\"rx_pps\":F,\"window_released\":N};\n"
    "                        top-level rx counts the --rx ports, elapsed_s runs from\n"
    "                        links-up to the last packet sent or received\n"
    "  --queues N            N rx and N tx queues per port (1..8; virtio-user needs the\n"
    "                        vdev's queues=N and cq=1); bursts are sent on them in turn,\n"
    "                        every queue is polled\n"
    "  --requeue PORT:AFTER:N  once AFTER packets were sent in all, stop sending until\n"
    "                        what is in flight came back (at most 2 s), then reconfigure\n"
    "                        PORT to N queues and go on (virtio: the guest disabling queue\n"
    "                        pairs, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)\n"
    "  --requeue-wait FILE   after --requeue, send nothing until FILE exists: virtio-user\n"
    "                        does not wait for the backend to process SET_VRING_ENABLE,\n"
    "                        so a test says when the switch has seen the change\n"
    "  --restart PORT:MS:N   every MS ms, stop PORT, reset its device and configure and\n"
    "                        start it again, N times, while the other ports go on\n"
    "                        (virtio-user: the guest driver resetting its device:\n"
    "                        SET_VRING_ENABLE 0 and GET_VRING_BASE, then SET_FEATURES\n"
    "                        and the vrings again; the driver logs a refused RSS\n"
    "                        configure, which is what resets the device)\n"
    "                        A receive-only run ends --linger ms after the last one,\n"
    "                        whatever still arrives\n"
    "  --help                this text\n"
    "\n"
    "The run ends when --expect is reached, or (without --expect) when everything was sent\n"
    "and the linger time passed, or at --timeout, or on SIGINT/SIGTERM; ports are then\n"
    "stopped and closed and pcap files completed. A human summary is always printed.\n"
    "Exit codes: 0 ok, 1 bad usage, 2 runtime error (EAL, port, file), 3 timeout, link\n"
    "down, or --expect not reached.\n"
    "\n"
    "Example (send in.pcap into the switch's port a, capture its port b):\n"
    "  qv-peer --no-pci --in-memory --single-file-segments --file-prefix p1 \\\n"
    "      --vdev net_virtio_user0,path=/tmp/x/a.sock \\\n"
    "      --vdev net_virtio_user1,path=/tmp/x/b.sock \\\n"
    "      -- --tx 0:in.pcap --rx 1:out.pcap --expect 100 --timeout 20\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("qv-peer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	return qv_parse_uint(s, 0, 0, max, out);
}

static bool parse_double(const char *s, double *out)
{
	double v;

	if (!qv_parse_double(s, 1e12, &v) || v == 1e12) /* below 1e12 */
		return false;
	*out = v;
	return true;
}

/* "PORT" or "PORT:REST"; returns the port and points *rest at REST (NULL if absent). */
static uint16_t parse_port(const char *optname, char *arg, char **rest)
{
	char *colon = strchr(arg, ':');
	uint64_t p;

	if (colon)
		*colon = '\0';
	if (!parse_u64(arg, RTE_MAX_ETHPORTS - 1, &p))
		die(EXIT_USAGE, "%s: '%s' is not a port number 0..%d", optname, arg,
		    RTE_MAX_ETHPORTS - 1);
	*rest = colon ? colon + 1 : NULL;
	return (uint16_t)p;
}

static void parse_app_args(int argc, char **argv)
{
	enum {
		O_TX = 256,
		O_RX,
		O_REPEAT,
		O_GEN,
		O_GEN_MAC,
		O_COUNT,
		O_DURATION,
		O_WINDOW,
		O_EXPECT,
		O_TIMEOUT,
		O_WAIT_LINK,
		O_SETTLE,
		O_RATE,
		O_STATS,
		O_LINGER,
		O_JSON,
		O_RECONNECT,
		O_QUEUES,
		O_REQUEUE,
		O_REQUEUE_WAIT,
		O_STOP_FILE,
		O_RESTART,
		O_HELP
	};
	static const struct option longopts[] = {
	    {"tx", required_argument, NULL, O_TX},
	    {"rx", required_argument, NULL, O_RX},
	    {"repeat", required_argument, NULL, O_REPEAT},
	    {"gen", required_argument, NULL, O_GEN},
	    {"gen-mac", required_argument, NULL, O_GEN_MAC},
	    {"count", required_argument, NULL, O_COUNT},
	    {"duration", required_argument, NULL, O_DURATION},
	    {"window", required_argument, NULL, O_WINDOW},
	    {"expect", required_argument, NULL, O_EXPECT},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"wait-link", required_argument, NULL, O_WAIT_LINK},
	    {"settle", required_argument, NULL, O_SETTLE},
	    {"rate", required_argument, NULL, O_RATE},
	    {"stats", required_argument, NULL, O_STATS},
	    {"linger", required_argument, NULL, O_LINGER},
	    {"json", required_argument, NULL, O_JSON},
	    {"reconnect", no_argument, NULL, O_RECONNECT},
	    {"queues", required_argument, NULL, O_QUEUES},
	    {"requeue", required_argument, NULL, O_REQUEUE},
	    {"requeue-wait", required_argument, NULL, O_REQUEUE_WAIT},
	    {"stop-file", required_argument, NULL, O_STOP_FILE},
	    {"restart", required_argument, NULL, O_RESTART},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	bool any_tx = false, any_gen = false, any_rx = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *rest, *rest2;
		uint16_t p;
		uint64_t v;

		switch (c) {
		case O_TX:
			p = parse_port("--tx", optarg, &rest);
			if (!rest || !*rest)
				die(EXIT_USAGE, "--tx %u: missing file (--tx PORT:FILE.pcap)", p);
			if (ports[p].src == SRC_GEN)
				die(EXIT_USAGE,
				    "port %u: both --gen and --tx given; one source per port", p);
			if (ports[p].nfiles == (int)RTE_DIM(ports[p].files))
				die(EXIT_USAGE, "port %u: too many --tx files (max %zu)", p,
				    RTE_DIM(ports[p].files));
			ports[p].src = SRC_PCAP;
			ports[p].files[ports[p].nfiles++] = rest;
			any_tx = true;
			break;
		case O_GEN:
			p = parse_port("--gen", optarg, &rest);
			rest2 = rest ? strchr(rest, ':') : NULL;
			if (!rest2)
				die(EXIT_USAGE, "--gen %u: expected --gen PORT:SIZE:FLOWS", p);
			*rest2++ = '\0';
			if (ports[p].src != SRC_NONE)
				die(EXIT_USAGE, "port %u: more than one --gen/--tx source", p);
			if (!parse_u64(rest, MAX_PKT, &v) || v < 42)
				die(EXIT_USAGE, "--gen %u: SIZE '%s' must be 42..%d", p, rest,
				    MAX_PKT);
			ports[p].gen_size = (uint32_t)v;
			if (!parse_u64(rest2, 65536 - 1024, &v) || v == 0)
				die(EXIT_USAGE, "--gen %u: FLOWS '%s' must be 1..64512", p, rest2);
			ports[p].gen_flows = (uint32_t)v;
			ports[p].src = SRC_GEN;
			any_gen = true;
			break;
		case O_RX:
			p = parse_port("--rx", optarg, &rest);
			if (ports[p].rx)
				die(EXIT_USAGE, "--rx %u given twice", p);
			ports[p].rx = true;
			ports[p].rx_file = rest && *rest ? rest : NULL;
			any_rx = true;
			break;
		case O_GEN_MAC:
			rest = strchr(optarg, ',');
			if (rest)
				*rest++ = '\0';
			if (!rest || !qv_mac_parse(optarg, opt.gen_src) ||
			    !qv_mac_parse(rest, opt.gen_dst))
				die(EXIT_USAGE, "--gen-mac: expected SRC,DST as xx:xx:xx:xx:xx:xx");
			break;
		case O_REPEAT:
			if (!parse_u64(optarg, UINT32_MAX, &opt.repeat))
				die(EXIT_USAGE, "--repeat: '%s' is not a count", optarg);
			break;
		case O_COUNT:
			if (!parse_u64(optarg, UINT64_MAX, &opt.count))
				die(EXIT_USAGE, "--count: '%s' is not a count", optarg);
			opt.count_set = true;
			break;
		case O_WINDOW:
			if (!parse_u64(optarg, UINT32_MAX, &opt.window))
				die(EXIT_USAGE, "--window: '%s' is not a count", optarg);
			break;
		case O_EXPECT:
			if (!parse_u64(optarg, UINT64_MAX, &opt.expect))
				die(EXIT_USAGE, "--expect: '%s' is not a count", optarg);
			break;
		case O_DURATION:
			if (!parse_double(optarg, &opt.duration))
				die(EXIT_USAGE, "--duration: '%s' is not a number of seconds",
				    optarg);
			opt.duration_set = true;
			break;
		case O_TIMEOUT:
			if (!parse_double(optarg, &opt.timeout))
				die(EXIT_USAGE, "--timeout: '%s' is not a number of seconds",
				    optarg);
			opt.timeout_set = true;
			break;
		case O_WAIT_LINK:
			if (!parse_double(optarg, &opt.wait_link))
				die(EXIT_USAGE, "--wait-link: '%s' is not a number of seconds",
				    optarg);
			break;
		case O_SETTLE:
			if (!parse_double(optarg, &opt.settle_ms))
				die(EXIT_USAGE, "--settle: '%s' is not a number of ms", optarg);
			break;
		case O_RATE:
			if (!parse_double(optarg, &opt.rate))
				die(EXIT_USAGE, "--rate: '%s' is not a packet rate", optarg);
			break;
		case O_STATS:
			if (!parse_double(optarg, &opt.stats))
				die(EXIT_USAGE, "--stats: '%s' is not a number of seconds", optarg);
			break;
		case O_LINGER:
			if (!parse_double(optarg, &opt.linger_ms))
				die(EXIT_USAGE, "--linger: '%s' is not a number of ms", optarg);
			break;
		case O_JSON:
			opt.json = optarg;
			break;
		case O_RECONNECT:
			opt.reconnect = true;
			break;
		case O_REQUEUE_WAIT:
			opt.requeue_wait = optarg;
			break;
		case O_STOP_FILE:
			opt.stop_file = optarg;
			break;
		case O_QUEUES:
			if (!parse_u64(optarg, 8, &opt.queues) || opt.queues == 0)
				die(EXIT_USAGE, "--queues: '%s' is not 1..8", optarg);
			break;
		case O_REQUEUE: {
			char *rest, *colon;
			uint16_t rp = parse_port("--requeue", optarg, &rest);
			uint64_t n;

			colon = rest ? strchr(rest, ':') : NULL;
			if (colon)
				*colon = '\0';
			if (!colon || !parse_u64(rest, UINT64_MAX, &ports[rp].requeue_after) ||
			    ports[rp].requeue_after == 0 || !parse_u64(colon + 1, 8, &n) || n == 0)
				die(EXIT_USAGE,
				    "--requeue wants PORT:AFTER:N (AFTER >= 1, N 1..8)");
			ports[rp].requeue_n = (uint16_t)n;
			break;
		}
		case O_RESTART: {
			char *rest, *colon;
			uint16_t rp = parse_port("--restart", optarg, &rest);

			colon = rest ? strchr(rest, ':') : NULL;
			if (colon)
				*colon = '\0';
			if (!colon || !parse_u64(rest, 3600000, &ports[rp].restart_ms) ||
			    ports[rp].restart_ms == 0 ||
			    !parse_u64(colon + 1, 1000000, &ports[rp].restart_left) ||
			    ports[rp].restart_left == 0)
				die(EXIT_USAGE, "--restart wants PORT:MS:N (MS 1..3600000, N "
				                "1..1000000)");
			break;
		}
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die(EXIT_USAGE, "unknown option or missing argument: '%s' (see --help)",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);

	/* Reject combinations that would silently do something else than asked. */
	if (!any_tx && !any_gen && !any_rx)
		die(EXIT_USAGE, "nothing to do: give --tx, --gen and/or --rx (see --help)");
	if (any_gen && !opt.count_set && !opt.duration_set)
		die(EXIT_USAGE, "--gen needs --count N or --duration S");
	if ((opt.count_set && !any_gen))
		die(EXIT_USAGE, "--count applies to --gen only (--tx sends whole files)");
	if (opt.duration_set && any_tx)
		die(EXIT_USAGE, "--duration applies to --gen or receive-only runs, not --tx");
	if (opt.repeat != 1 && !any_tx)
		die(EXIT_USAGE, "--repeat applies to --tx only");
	if (opt.window && !any_rx)
		die(EXIT_USAGE, "--window needs --rx ports to see packets come back");
	if (opt.expect && !any_rx)
		die(EXIT_USAGE, "--expect counts packets on --rx ports; give at least one --rx");
	if (opt.stop_file && !any_gen)
		die(EXIT_USAGE, "--stop-file stops --gen sending; there is no --gen");
	if (opt.stop_file && opt.expect)
		die(EXIT_USAGE,
		    "--stop-file: the run then ends by --linger, which --expect turns off");
	if (opt.duration_set && !opt.timeout_set)
		opt.timeout = opt.duration > 0 ? opt.duration + opt.wait_link + 30 : 0;
}

/* Reads all of a port's --tx files into memory, so sending never waits for the disk. */
static void load_tx_files(uint16_t p, uint32_t *max_len)
{
	struct port_state *ps = &ports[p];
	size_t cap = 0, used = 0;
	uint64_t pcap_cap = 0;

	for (int i = 0; i < ps->nfiles; i++) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(ps->files[i], err);
		struct pcap_pkthdr *h;
		const u_char *d;
		uint64_t n = 0, truncated = 0;
		int rc;

		if (!pc)
			die(EXIT_RUNTIME, "--tx %u: cannot open %s: %s", p, ps->files[i], err);
		if (pcap_datalink(pc) != DLT_EN10MB)
			die(EXIT_RUNTIME, "--tx %u: %s: link type %d is not Ethernet (DLT_EN10MB)",
			    p, ps->files[i], pcap_datalink(pc));
		while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
			n++;
			if (h->caplen == 0)
				continue;
			if (h->caplen > MAX_PKT)
				die(EXIT_RUNTIME,
				    "--tx %u: %s: packet %" PRIu64 " is %u bytes, more than %d", p,
				    ps->files[i], n, h->caplen, MAX_PKT);
			truncated += h->caplen < h->len;
			if (used + h->caplen > cap) {
				cap = (cap + h->caplen) * 2;
				ps->data = realloc(ps->data, cap);
			}
			if (ps->npkts == pcap_cap) {
				pcap_cap = pcap_cap ? pcap_cap * 2 : 1024;
				ps->pkts = realloc(ps->pkts, pcap_cap * sizeof(*ps->pkts));
			}
			if (!ps->data || !ps->pkts)
				die(EXIT_RUNTIME, "--tx %u: %s: out of memory", p, ps->files[i]);
			memcpy(ps->data + used, d, h->caplen);
			ps->pkts[ps->npkts].off = used;
			ps->pkts[ps->npkts].len = h->caplen;
			ps->npkts++;
			used += h->caplen;
			if (h->caplen > *max_len)
				*max_len = h->caplen;
		}
		if (rc == PCAP_ERROR)
			die(EXIT_RUNTIME, "--tx %u: %s: read error after %" PRIu64 " packets: %s",
			    p, ps->files[i], n, pcap_geterr(pc));
		if (n == 0)
			fprintf(stderr, "qv-peer: warning: --tx %u: %s has no packets\n", p,
			        ps->files[i]);
		if (truncated)
			fprintf(stderr,
			        "qv-peer: warning: --tx %u: %s: %" PRIu64
			        " packets were cut by the capture's snaplen; sending what was "
			        "captured\n",
			        p, ps->files[i], truncated);
		pcap_close(pc);
	}
	if (ps->npkts == 0 || opt.repeat == 0)
		ps->src_done = true;
}

static void build_gen_template(struct port_state *ps)
{
	static const uint8_t src_ip[4] = {10, 0, 0, 1}, dst_ip[4] = {10, 0, 0, 2};
	uint8_t *b = calloc(1, ps->gen_size);
	uint16_t ip_len = (uint16_t)(ps->gen_size - QV_FRAME_ETH_HLEN);

	if (!b)
		die(EXIT_RUNTIME, "out of memory");
	qv_frame_put_eth(b, opt.gen_dst, opt.gen_src, QV_ETHERTYPE_IPV4);
	uint8_t *ip = b + QV_FRAME_ETH_HLEN;
	qv_frame_put_ipv4(ip, ip_len, 0, QV_IPPROTO_UDP, src_ip, dst_ip);
	/* The UDP checksum stays 0 (none): the source port and seq change per frame. */
	uint8_t *udp = ip + QV_FRAME_IPV4_HLEN;
	qv_frame_put_udp(udp, 0, 80, (uint16_t)(ip_len - QV_FRAME_IPV4_HLEN));
	if (ps->gen_size >= 50)
		memcpy(udp + 12, QV_FRAME_SEQ_MAGIC, QV_FRAME_SEQ_MAGIC_LEN);
	ps->gen_tmpl = b;
}

static struct rte_mbuf *make_pkt(struct rte_mempool *mp, const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (!m)
		return NULL;
	/* The pool's data room fits the largest packet loaded, so one segment always suffices. */
	char *d = rte_pktmbuf_append(m, (uint16_t)len);
	if (!d) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	rte_memcpy(d, src, len);
	return m;
}

/* Builds up to n more packets of port ps into its pending burst; returns how many. */
static unsigned int fill(struct port_state *ps, struct rte_mempool *mp, unsigned int n,
                         uint64_t now, uint64_t gen_end)
{
	unsigned int made = 0;

	while (made < n && !ps->src_done) {
		struct rte_mbuf *m;

		if (ps->src == SRC_PCAP) {
			const struct pkt *k = &ps->pkts[ps->next_pkt];
			m = make_pkt(mp, ps->data + k->off, k->len);
			if (!m)
				break;
			if (++ps->next_pkt == ps->npkts) {
				ps->next_pkt = 0;
				if (++ps->reps_done == opt.repeat)
					ps->src_done = true;
			}
		} else {
			if ((opt.count_set && ps->gen_next >= opt.count) ||
			    (gen_end && now >= gen_end)) {
				ps->src_done = true;
				break;
			}
			m = make_pkt(mp, ps->gen_tmpl, ps->gen_size);
			if (!m)
				break;
			uint8_t *udp = rte_pktmbuf_mtod_offset(m, uint8_t *, 34);
			qv_put16(udp, (uint16_t)(1024 + ps->gen_next % ps->gen_flows));
			if (ps->gen_size >= 50)
				qv_put32(udp + 8, (uint32_t)ps->gen_next);
			ps->gen_next++;
		}
		ps->pend[ps->npend++] = m;
		made++;
	}
	return made;
}

/* --restart on a virtio port: rte_eth_dev_stop leaves the virtio device running, and virtio
 * resets it (virtio_init_device) only in a configure whose requested features differ from
 * the last. A configure asking for RSS, which the vhost backend does not offer, does that
 * and then fails (-ENOTSUP): the device is reset (virtio-user sends SET_VRING_ENABLE 0 and
 * GET_VRING_BASE) and the normal configure after it negotiates the features once more.
 * Other drivers may reject it earlier or take it: either way setup_port configures again. */
static void reset_device(uint16_t p)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	(void)rte_eth_dev_configure(p, ports[p].nq, ports[p].nq, &conf);
}

static void setup_port(uint16_t p, struct rte_mempool *mp, uint32_t max_len)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p, &info);
	if (rc)
		die(EXIT_RUNTIME, "port %u: cannot get device info: %s", p, rte_strerror(-rc));
	/* the handler runs in the interrupt thread: no second thread reading links meanwhile */
	if (opt.reconnect && info.dev_flags && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	/* Only raise the MTU when a --tx file needs it: not every PMD supports setting it. */
	if (max_len > RTE_ETHER_MAX_LEN) {
		uint32_t mtu = max_len - RTE_ETHER_HDR_LEN - 8; /* room for two VLAN tags */
		if (mtu > info.max_mtu)
			fprintf(stderr,
			        "qv-peer: warning: port %u: max MTU %u < %u needed by the "
			        "largest --tx packet\n",
			        p, info.max_mtu, mtu);
		else
			conf.rxmode.mtu = mtu;
		/* Frames above the mbuf data room arrive in several segments. */
		if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	rc = rte_eth_dev_configure(p, ports[p].nq, ports[p].nq, &conf);
	if (rc)
		die(EXIT_RUNTIME, "port %u (%s): configure failed: %s", p, info.driver_name,
		    rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p, &nb_rxd, &nb_txd);
	if (rc)
		die(EXIT_RUNTIME, "port %u: cannot adjust descriptor counts: %s", p,
		    rte_strerror(-rc));
	int sock = rte_eth_dev_socket_id(p);
	unsigned int socket = sock < 0 ? rte_socket_id() : (unsigned int)sock;
	for (uint16_t q = 0; q < ports[p].nq; q++) {
		rc = rte_eth_rx_queue_setup(p, q, nb_rxd, socket, NULL, mp);
		if (rc)
			die(EXIT_RUNTIME, "port %u: rx queue %u setup failed (MTU %u): %s", p, q,
			    conf.rxmode.mtu ? conf.rxmode.mtu : RTE_ETHER_MTU, rte_strerror(-rc));
		rc = rte_eth_tx_queue_setup(p, q, nb_txd, socket, NULL);
		if (rc)
			die(EXIT_RUNTIME, "port %u: tx queue %u setup failed: %s", p, q,
			    rte_strerror(-rc));
	}
	/* A window larger than the ring the switch delivers into lets the switch drop packets on a
	 * full ring, which defeats zero-loss tests: say so instead of letting a test flake. */
	struct rte_eth_rxq_info qinfo;
	if (ports[p].rx && opt.window && rte_eth_rx_queue_info_get(p, 0, &qinfo) == 0 &&
	    qinfo.nb_desc && opt.window > qinfo.nb_desc)
		fprintf(stderr,
		        "qv-peer: warning: --window %" PRIu64 " exceeds port %u's rx ring (%u "
		        "descriptors): the switch may drop on a full ring (virtio-user: raise it "
		        "with the queue_size=N devarg)\n",
		        opt.window, p, qinfo.nb_desc);
	rc = rte_eth_dev_start(p);
	if (rc)
		die(EXIT_RUNTIME, "port %u (%s): start failed: %s", p, info.driver_name,
		    rte_strerror(-rc));
	/* Best effort: some PMDs (virtio without the ctrl queue, null) cannot do it. */
	rc = rte_eth_promiscuous_enable(p);
	if (rc && rc != -ENOTSUP)
		fprintf(stderr, "qv-peer: warning: port %u: promiscuous mode: %s\n", p,
		        rte_strerror(-rc));
}

static void on_signal(int sig)
{
	quit_signal = sig;
}

static void write_json(uint16_t nports, uint64_t tx, uint64_t rx, double elapsed, uint64_t released)
{
	FILE *f = fopen(opt.json, "w");

	if (!f) {
		fprintf(stderr, "qv-peer: cannot write --json %s: %s\n", opt.json, strerror(errno));
		return;
	}
	fprintf(f, "{\"ports\":[");
	for (uint16_t p = 0; p < nports; p++)
		fprintf(f,
		        "%s{\"port\":%u,\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
		        ",\"rx_bytes\":%" PRIu64 ",\"restarts\":%" PRIu64 "}",
		        p ? "," : "", p, ports[p].tx, ports[p].rx_pkts, ports[p].tx_bytes,
		        ports[p].rx_bytes, ports[p].restarts);
	fprintf(f,
	        "],\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"elapsed_s\":%.6f,\"rx_pps\":%.1f,"
	        "\"window_released\":%" PRIu64 "}\n",
	        tx, rx, elapsed, elapsed > 0 ? (double)rx / elapsed : 0.0, released);
	if (fclose(f) != 0)
		fprintf(stderr, "qv-peer: error writing --json %s: %s\n", opt.json,
		        strerror(errno));
}

/* Splits argv at "--" and handles --help before the EAL sees it (the EAL would print its own
 * help and exit). */
static int split_args(int argc, char **argv)
{
	int dd = -1;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dd = i;
			break;
		}
	for (int i = dd < 0 ? 1 : dd + 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		}
	if (dd < 0) {
		for (int i = 1; i < argc; i++)
			if (!strncmp(argv[i], "--tx", 4) || !strncmp(argv[i], "--rx", 4) ||
			    !strncmp(argv[i], "--gen", 5) || !strncmp(argv[i], "--expect", 8))
				die(EXIT_USAGE,
				    "'%s': qv-peer options go after '--' (EAL args come "
				    "first, see --help)",
				    argv[i]);
		die(EXIT_USAGE, "missing '--' and qv-peer options (see --help)");
	}
	return dd;
}

int main(int argc, char **argv)
{
	int dd = split_args(argc, argv);
	uint32_t max_len = 0;
	int code = 0;

	/* Options and files first: a typo must not cost an EAL (hugepage) initialisation. */
	char **app_argv = calloc((size_t)(argc - dd + 1), sizeof(char *));
	if (!app_argv)
		die(EXIT_RUNTIME, "out of memory");
	app_argv[0] = argv[0];
	for (int i = dd + 1; i < argc; i++)
		app_argv[i - dd] = argv[i];
	parse_app_args(argc - dd, app_argv);

	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct port_state *ps = &ports[p];

		if (ps->src == SRC_PCAP)
			load_tx_files(p, &max_len);
		if (ps->src == SRC_GEN) {
			build_gen_template(ps);
			if (ps->gen_size > max_len)
				max_len = ps->gen_size;
			ps->src_done = opt.count_set && opt.count == 0;
		}
	}

	int rc = rte_eal_init(dd, argv);
	if (rc < 0)
		die(EXIT_RUNTIME, "EAL init failed: %s (check the EAL args before '--')",
		    rte_strerror(rte_errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint16_t nports = 0;
	uint16_t pid;
	RTE_ETH_FOREACH_DEV(pid) nports = (uint16_t)(pid + 1);
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if ((ports[p].src != SRC_NONE || ports[p].rx) && !rte_eth_dev_is_valid_port(p))
			die(EXIT_USAGE,
			    "port %u does not exist: the EAL has %u ethdev port(s) "
			    "(add a --vdev per port)",
			    p, rte_eth_dev_count_avail());
	}
	for (uint16_t p = 0; p < nports; p++) {
		struct port_state *ps = &ports[p];
		char err[PCAP_ERRBUF_SIZE];

		if (!ps->rx_file)
			continue;
		ps->rx_pcap = pcap_open_dead(DLT_EN10MB, 65535);
		if (!ps->rx_pcap)
			die(EXIT_RUNTIME, "--rx %u: pcap_open_dead failed", p);
		ps->dumper = pcap_dump_open(ps->rx_pcap, ps->rx_file);
		if (!ps->dumper) {
			snprintf(err, sizeof(err), "%s", pcap_geterr(ps->rx_pcap));
			die(EXIT_RUNTIME, "--rx %u: cannot create %s: %s", p, ps->rx_file, err);
		}
	}

	uint32_t room = RTE_MAX(max_len, (uint32_t)RTE_MBUF_DEFAULT_DATAROOM);
	/* Every rx ring is filled with mbufs up front: room for them on top of what is sent. */
	unsigned int nb_mbuf = NB_MBUF + (unsigned int)(nports * opt.queues * NB_RXD);
	struct rte_mempool *mp =
	    rte_pktmbuf_pool_create("qv_peer_pool", nb_mbuf, MBUF_CACHE, 0,
	                            (uint16_t)(room + RTE_PKTMBUF_HEADROOM), (int)rte_socket_id());
	if (!mp)
		die(EXIT_RUNTIME, "cannot create the mbuf pool (%u mbufs of %u bytes): %s", nb_mbuf,
		    room, rte_strerror(rte_errno));
	for (uint16_t p = 0; p < nports; p++) {
		ports[p].nq = (uint16_t)opt.queues;
		if (rte_eth_dev_is_valid_port(p))
			setup_port(p, mp, max_len);
	}

	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = rte_get_tsc_cycles();
	const uint64_t deadline = opt.timeout > 0 ? t0 + (uint64_t)(opt.timeout * (double)hz) : 0;
	enum { RES_RUN, RES_OK, RES_TIMEOUT, RES_LINK, RES_SIGNAL } result = RES_RUN;

	/* Wait for links without spinning: the switch may share our CPUs. */
	const uint64_t link_end = t0 + (uint64_t)(opt.wait_link * (double)hz);
	for (;;) {
		uint16_t down = UINT16_MAX;
		for (uint16_t p = 0; p < nports && down == UINT16_MAX; p++) {
			struct rte_eth_link link;
			if (rte_eth_dev_is_valid_port(p) &&
			    rte_eth_link_get_nowait(p, &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_DOWN)
				down = p;
		}
		uint64_t now = rte_get_tsc_cycles();
		if (down == UINT16_MAX)
			break;
		if (quit_signal) {
			result = RES_SIGNAL;
			break;
		}
		if (now >= link_end || (deadline && now >= deadline)) {
			fprintf(
			    stderr,
			    "qv-peer: port %u link still down after %.1f s (is the switch up and "
			    "its vhost-user socket at the --vdev path?)\n",
			    down, (double)(now - t0) / (double)hz);
			result = RES_LINK;
			break;
		}
		rte_delay_us_sleep(10000);
	}

	if (result == RES_RUN && opt.settle_ms > 0) {
		uint64_t settle_end =
		    rte_get_tsc_cycles() + (uint64_t)(opt.settle_ms / 1000.0 * (double)hz);
		while (!quit_signal && rte_get_tsc_cycles() < settle_end &&
		       !(deadline && rte_get_tsc_cycles() >= deadline))
			rte_delay_us_sleep(10000);
	}

	bool has_src = false;
	for (uint16_t p = 0; p < nports; p++)
		has_src |= ports[p].src != SRC_NONE;
	const uint64_t start = rte_get_tsc_cycles();
	const uint64_t dur_end = opt.duration_set && opt.duration > 0
	                             ? start + (uint64_t)(opt.duration * (double)hz)
	                             : 0;
	const uint64_t linger = (uint64_t)(opt.linger_ms / 1000.0 * (double)hz);
	const uint64_t stats_every = (uint64_t)(opt.stats * (double)hz);
	const double tsc_per_pkt = opt.rate > 0 ? (double)hz / opt.rate : 0;
	double next_send = (double)start; /* --rate: TSC at which the next packet may go */
	uint64_t next_stats = start + stats_every, last_stats = start;
	uint64_t tx_total = 0, rx_counted = 0, released = 0, pend_total = 0;
	uint64_t last_rx = start, last_activity = start, done_at = 0;
	struct rte_mbuf *rxb[BURST];
	bool resume_wait = false;         /* --requeue-wait: sending paused until the file exists */
	uint64_t next_stop_check = start; /* --stop-file: when to look for it next */
	static uint8_t linear[MAX_PKT > 65536 ? MAX_PKT : 65536];

	uint64_t restarts_left = 0, restarts_done_at = 0;
	uint16_t first_src = 0; /* the port that sends first in this turn (see --rate) */
	for (uint16_t p = 0; p < nports; p++) {
		ports[p].next_restart = start + ports[p].restart_ms * hz / 1000;
		restarts_left += ports[p].restart_left;
	}
	while (result == RES_RUN) {
		uint64_t now = rte_get_tsc_cycles();
		bool all_done = true;

		for (uint16_t p = 0; p < nports && restarts_left; p++) {
			struct port_state *ps = &ports[p];

			if (!ps->restart_left || now < ps->next_restart)
				continue;
			rc = rte_eth_dev_stop(p);
			if (rc)
				die(EXIT_RUNTIME, "port %u: stop for --restart %" PRIu64 ": %s", p,
				    ps->restarts + 1, rte_strerror(-rc));
			reset_device(p);
			setup_port(p, mp, max_len);
			ps->restarts++;
			ps->restart_left--;
			restarts_left--;
			now = rte_get_tsc_cycles();
			ps->next_restart = now + ps->restart_ms * hz / 1000;
			if (!restarts_left)
				restarts_done_at = now;
		}

		for (uint16_t p = 0; p < nports; p++) {
			struct port_state *ps = &ports[p];

			if (!ps->requeue_after || tx_total < ps->requeue_after)
				continue;
			/* Only once what is in flight came back (or 2 s passed): packets still on
			 * their way to queues about to go would be lost to this test, not to the
			 * switch. Until then sending pauses (see the n = 0 below). */
			if (tx_total + pend_total > rx_counted + released &&
			    now - last_rx < 2 * hz && !quit_signal)
				continue;
			printf("qv-peer: port %u: %" PRIu64 " sent, %" PRId64
			       " in flight, going from %u to %u queues\n",
			       p, tx_total,
			       (int64_t)(tx_total + pend_total) - (int64_t)(rx_counted + released),
			       ps->nq, ps->requeue_n);
			fflush(stdout);
			rc = rte_eth_dev_stop(p);
			if (rc)
				die(EXIT_RUNTIME, "port %u: stop before --requeue: %s", p,
				    rte_strerror(-rc));
			ps->nq = ps->requeue_n;
			ps->next_txq = ps->next_rxq = 0;
			ps->requeue_after = 0;
			setup_port(p, mp, max_len);
			resume_wait = opt.requeue_wait != NULL;
		}
		if (resume_wait && access(opt.requeue_wait, F_OK) == 0)
			resume_wait = false;
		if (opt.stop_file && now >= next_stop_check) {
			next_stop_check = now + hz / 100;
			if (access(opt.stop_file, F_OK) == 0) {
				/* what was generated and not yet sent still goes */
				for (uint16_t p = 0; p < nports; p++)
					ports[p].src_done |= ports[p].src == SRC_GEN;
				opt.stop_file = NULL;
			}
		}
		bool requeue_pending = resume_wait;
		for (uint16_t p = 0; p < nports; p++)
			requeue_pending |=
			    ports[p].requeue_after && tx_total >= ports[p].requeue_after;

		/* --rate's budget is shared: the port served first takes what has accrued, so the
		 * first one rotates. Fixed, a loop fast enough to accrue about one packet per turn
		 * gave it all to the lowest port (chaos.sh --vnf vm: 4000 pps on port 0, 0 on 2).
		 */
		first_src = (uint16_t)((first_src + 1) % nports);
		for (uint16_t k = 0; k < nports; k++) {
			const uint16_t p = (uint16_t)((first_src + k) % nports);
			struct port_state *ps = &ports[p];

			if (ps->src == SRC_NONE)
				continue;
			unsigned int n = requeue_pending ? 0 : BURST - ps->npend;
			if (opt.window) {
				int64_t inflight = (int64_t)(tx_total + pend_total) -
				                   (int64_t)(rx_counted + released);
				int64_t free_slots = (int64_t)opt.window - RTE_MAX(inflight, 0);
				n = (unsigned int)RTE_MIN((int64_t)n, RTE_MAX(free_slots, 0));
			}
			if (tsc_per_pkt > 0) {
				/* Catch up after short preemptions (a loaded test machine), but not
				 * after a long stall (window, full ring): that would be a burst. */
				if ((double)now - next_send > (double)hz / 10)
					next_send = (double)now;
				/* No libm: the value is >= 0 here, so truncation is floor. */
				double allowed = 0;
				if ((double)now >= next_send)
					allowed = (double)(uint64_t)(((double)now - next_send) /
					                             tsc_per_pkt) +
					          1;
				n = (unsigned int)RTE_MIN((double)n, allowed);
			}
			unsigned int made = n ? fill(ps, mp, n, now, dur_end) : 0;
			pend_total += made;
			next_send += made * tsc_per_pkt;
			if (ps->npend) {
				uint64_t bytes = 0;
				uint16_t sent = rte_eth_tx_burst(p, ps->next_txq, ps->pend,
				                                 (uint16_t)ps->npend);
				ps->next_txq = (uint16_t)((ps->next_txq + 1) % ps->nq);
				for (uint16_t i = 0; i < sent; i++)
					bytes += ps->pend[i]->pkt_len;
				/* Unsent packets stay queued, in order, for the next burst. */
				memmove(ps->pend, ps->pend + sent,
				        (ps->npend - sent) * sizeof(ps->pend[0]));
				ps->npend -= sent;
				pend_total -= sent;
				tx_total += sent;
				ps->tx += sent;
				ps->tx_bytes += bytes;
				if (sent)
					last_activity = now;
			}
			if (!ps->src_done || ps->npend)
				all_done = false;
		}

		for (uint16_t p = 0; p < nports; p++) {
			struct port_state *ps = &ports[p];
			uint16_t n = 0;
			struct timeval tv;

			for (uint16_t q = 0; q < ps->nq && n == 0; q++)
				n = rte_eth_rx_burst(p, (uint16_t)((ps->next_rxq + q) % ps->nq),
				                     rxb, BURST);
			ps->next_rxq = (uint16_t)((ps->next_rxq + 1) % ps->nq);
			if (!n)
				continue;
			if (ps->dumper)
				gettimeofday(&tv, NULL);
			for (uint16_t i = 0; i < n; i++) {
				struct rte_mbuf *m = rxb[i];
				ps->rx_bytes += m->pkt_len;
				if (ps->dumper) {
					struct pcap_pkthdr h = {.ts = tv};
					h.caplen = h.len = m->pkt_len;
					const void *d = rte_pktmbuf_read(m, 0, m->pkt_len, linear);
					if (d)
						pcap_dump((u_char *)ps->dumper, &h, d);
				}
				rte_pktmbuf_free(m);
			}
			ps->rx_pkts += n;
			last_activity = now;
			if (ps->rx) {
				rx_counted += n;
				last_rx = now;
			}
		}

		if (opt.expect && rx_counted >= opt.expect) {
			result = RES_OK;
			break;
		}
		if (quit_signal) {
			result = RES_SIGNAL;
			break;
		}
		if (deadline && now >= deadline) {
			result = RES_TIMEOUT;
			break;
		}
		if (opt.window) {
			int64_t inflight =
			    (int64_t)(tx_total + pend_total) - (int64_t)(rx_counted + released);
			if (inflight >= (int64_t)opt.window && now - last_rx >= hz) {
				fprintf(
				    stderr,
				    "qv-peer: window full and nothing received for 1 s: counting "
				    "%" PRId64 " in-flight packets as lost\n",
				    inflight);
				released += (uint64_t)inflight;
				last_rx = now;
			}
		}
		if (has_src && all_done && !done_at)
			done_at = now;
		if (!opt.expect) {
			if (has_src && done_at && now - RTE_MAX(last_rx, done_at) >= linger)
				result = RES_OK;
			if (!has_src && dur_end && now >= dur_end)
				result = RES_OK;
			if (!has_src && !dur_end && restarts_done_at &&
			    now - restarts_done_at >= linger)
				result = RES_OK;
		}
		if (stats_every && now >= next_stats) {
			double dt = (double)(now - last_stats) / (double)hz;
			printf("qv-peer: %7.1fs", (double)(now - start) / (double)hz);
			for (uint16_t p = 0; p < nports; p++) {
				struct port_state *ps = &ports[p];
				printf("  p%u tx-pps %.0f rx-pps %.0f", p,
				       (double)(ps->tx - ps->last_tx) / dt,
				       (double)(ps->rx_pkts - ps->last_rx) / dt);
				ps->last_tx = ps->tx;
				ps->last_rx = ps->rx_pkts;
			}
			putchar('\n');
			fflush(stdout);
			last_stats = now;
			next_stats = now + stats_every;
		}
	}

	uint64_t end = rte_get_tsc_cycles();
	double elapsed =
	    (double)((last_activity > start ? last_activity : end) - start) / (double)hz;
	if (result == RES_SIGNAL && opt.expect && rx_counted < opt.expect)
		code = EXIT_TIMEOUT;
	else if (result == RES_TIMEOUT || result == RES_LINK)
		code = EXIT_TIMEOUT;

	for (uint16_t p = 0; p < nports; p++) {
		struct port_state *ps = &ports[p];

		rte_pktmbuf_free_bulk(ps->pend, ps->npend);
		ps->npend = 0;
		if (!rte_eth_dev_is_valid_port(p))
			continue;
		rc = rte_eth_dev_stop(p);
		if (rc)
			fprintf(stderr, "qv-peer: warning: port %u: stop: %s\n", p,
			        rte_strerror(-rc));
		rte_eth_dev_close(p);
	}
	for (uint16_t p = 0; p < nports; p++) {
		struct port_state *ps = &ports[p];

		if (!ps->dumper)
			continue;
		if (pcap_dump_flush(ps->dumper) != 0) {
			fprintf(stderr, "qv-peer: --rx %u: write error on %s\n", p, ps->rx_file);
			code = EXIT_RUNTIME;
		}
		pcap_dump_close(ps->dumper);
		pcap_close(ps->rx_pcap);
	}

	for (uint16_t p = 0; p < nports; p++) {
		struct port_state *ps = &ports[p];
		char what[300] = "";

		if (ps->rx_file)
			snprintf(what, sizeof(what), " (counted, -> %s)", ps->rx_file);
		else if (ps->rx)
			snprintf(what, sizeof(what), " (counted)");
		if (ps->restarts)
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
			         ", restarted %" PRIu64 " times", ps->restarts);
		printf("qv-peer: port %u: tx %" PRIu64 " pkts %" PRIu64 " bytes, rx %" PRIu64
		       " pkts %" PRIu64 " bytes%s\n",
		       p, ps->tx, ps->tx_bytes, ps->rx_pkts, ps->rx_bytes, what);
	}
	printf("qv-peer: total tx %" PRIu64 " rx %" PRIu64 " in %.3f s (%.0f rx pps)", tx_total,
	       rx_counted, elapsed, elapsed > 0 ? (double)rx_counted / elapsed : 0.0);
	if (opt.expect)
		printf(", expected %" PRIu64, opt.expect);
	if (released)
		printf(", %" PRIu64 " released from the window as lost", released);
	static const char *const names[] = {"running", "ok", "timeout", "link down", "signal"};
	printf(": %s\n",
	       code == 0 ? (result == RES_SIGNAL ? "stopped by signal" : "ok") : names[result]);
	fflush(stdout);
	if (opt.json)
		write_json(nports, tx_total, rx_counted, elapsed, released);

	rte_mempool_free(mp);
	rte_eal_cleanup();
	return code;
}
