/* qv-bench options: --help text (what each mode measures and how), and strict parsing: a wrong
 * value is refused with what was expected rather than silently replaced by a default. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mac.h"
#include "lib/num.h"

static const char usage_text[] =
    "Usage: qv-bench [EAL args] -- [options]\n"
    "\n"
    "qwikvirt's traffic generator and sink, in the manner of testpmd: EAL arguments first,\n"
    "then qv-bench's own. It runs on the main lcore alone: on a 2-CPU host start it with\n"
    "`taskset -c 0 qv-bench --lcores 0@0 ...` so the switch's PMD keeps CPU 1 to itself.\n"
    "\n"
    "Ports are the EAL's ethdev ports in order (0, 1, ...): --vdev arguments, PCI devices,\n"
    "or the --port shortcuts below (added after the EAL's own --vdev ports).\n"
    "  --port virtio:PATH   a virtio-user port on a switch's vhost-user socket PATH (as a VM's\n"
    "                       virtio-net would be); queue_size 1024 (--desc), split\n"
    "                       virtqueues unless --packed offers packed ones (packed_vq=1:\n"
    "                       the switch takes them if its vhost-user side supports them)\n"
    "  --port vhost:PATH    a vhost-user server socket at PATH (sit where a VM would: the\n"
    "                       switch connects to it as a client)\n"
    "virtio-user shares memory with the switch: give the EAL --single-file-segments with\n"
    "hugepages (e.g. --in-memory --single-file-segments) or --no-huge -m 512, and a\n"
    "--file-prefix of its own.\n"
    "\n"
    "Modes (--mode, default gen):\n"
    "  gen     send on the --tx ports, receive on the --rx ports, measure rate, loss and\n"
    "          latency. Defaults: tx 0, rx 1 (with one port: tx 0, rx 0)\n"
    "  txonly  only send (on --tx, default all ports); what comes back is freed uncounted\n"
    "  rxonly  only receive and count (on --rx, default all ports); latency is measured on\n"
    "          frames stamped by a qv-bench txonly on the same host (same TSC)\n"
    "  io      reflect: what arrives on port 2k goes out on 2k+1 and back (a single port\n"
    "          reflects to itself), like testpmd io forwarding; with --tx-first N it first\n"
    "          injects N bursts per port, so the packets circulate through the device\n"
    "          under test at the fastest rate the loop allows (the anchors' method)\n"
    "\n"
    "Traffic:\n"
    "  --tx LIST, --rx LIST  ports that send / whose receptions count, e.g. 0 or 0,1\n"
    "  --size SPEC    frame size in bytes, the 4-byte FCS included as RFC 2544 counts it (the\n"
    "                 port is handed SIZE-4 bytes: virtual ports carry no CRC), 62..9018:\n"
    "                 64 (default, the minimum Ethernet frame); 1518 holds a 1500-byte IP\n"
    "                 packet, 9018 a 9000-byte one; a list 64,512,1518 measured one after\n"
    "                 the other; imix = 64:7,570:4,1518:1 interleaved in one stream; or\n"
    "                 mix:LEN:WEIGHT,... for another mix\n"
    "  --flows N      vary source/destination IPv4 addresses (10.0.0.1+i -> 10.128.0.1+i) and\n"
    "                 UDP ports (1024+i, 5000+i%1000) over N flows, round robin (default 1)\n"
    "  --rate R       total packets/s over the tx ports: 2.5M, 500k, 100000, or max (default:\n"
    "                 as fast as the ports accept; a full ring holds packets back, it does\n"
    "                 not drop them, so max measures the device's forwarding rate)\n"
    "  --mac SRC,DST  Ethernet addresses (default 02:00:00:00:00:01,02:00:00:00:00:02)\n"
    "  --duration S   seconds measured per run (default 10)\n"
    "  --warmup S     seconds of traffic before each measured run, not counted (default 1):\n"
    "                 fills the device's caches and learning tables\n"
    "  --drain MS     after sending: keep receiving until nothing came for MS ms (default\n"
    "                 100, at most 3 s); packets still missing then are lost\n"
    "\n"
    "Measurement:\n"
    "  --latency N    stamp 1 packet in N with the TSC at send time and histogram the delay\n"
    "                 at reception: min/p50/p99/p99.9/max (default 16; 0 = off). The\n"
    "                 stamp is in the UDP payload (magic, run number, seq, TSC), so packets\n"
    "                 of an earlier run arriving late are counted apart, as 'stale'\n"
    "  --stats S      print a line with tx/rx Mpps and latency every S s (default 1; 0 off)\n"
    "  --ndr          RFC 2544 search for the no-drop rate of each size: binary search over\n"
    "                 --rate, one trial of --trial s per step. The ceiling is the rate\n"
    "                 reached at max (or --search-max); a trial passes if it sent >= 99 % of\n"
    "                 the offered packets and lost none\n"
    "  --pdr RATIO    the same for the partial-drop rate: loss <= RATIO of the sent packets\n"
    "                 (e.g. 0.001 = 0.1 %); --ndr and --pdr may be combined\n"
    "  --trial S      seconds per search trial (default 2)\n"
    "  --final S      then one trial of S s at the rate found, which must pass too (else the\n"
    "                 rate steps down by the resolution, at most 3 times): short trials find\n"
    "                 the rate, the final one confirms it (default 0 = none)\n"
    "  --resolution F stop when the passing and failing rates are within F x ceiling\n"
    "                 (default 0.02)\n"
    "  --search-max R search ceiling in packets/s instead of the measured maximum\n"
    "  --max-trials N at most N trials per search (default 16, at most 32)\n"
    "  --min-sent F   a trial passes only if it sent >= F x the offered packets (default\n"
    "                 0.99): a generator that fell behind did not offer the rate\n"
    "  --json FILE    write everything as JSON: {mode, tx_ports, rx_ports, sizes, flows,\n"
    "                 runs:[{label, size, tx, rx, lost, stale, tx_pps, rx_pps, rx_bps,\n"
    "                 loss_ratio, pass, phase, gen_busy_pct, gen_busy_cycles_per_pkt,\n"
    "                 latency_us:{samples,min,p50,p90,p99,p99_9,max,mean}}],\n"
    "                 search:[{kind, label, loss_ratio, rate_pps, confirmed, best,\n"
    "                 trials:[...]}]} (a trial's phase: ceiling, search or final;\n"
    "                 gen_busy_*: qv-bench's own load while sending, the share of its time\n"
    "                 in loop iterations that moved a packet and those TSC cycles per\n"
    "                 packet received: near 100 %, the generator may be what limits)\n"
    "\n"
    "Tuning: --burst N (default 32), --desc N ring descriptors (default 1024), --mbufs N\n"
    "(default 16384), --wait-link S to wait for links (default 10), --quiet (no periodic\n"
    "lines). --help: this text.\n"
    "\n"
    "Counting: sent = received + lost for every gen run (lost = sent - received once the\n"
    "ports are quiet); rx Gbit/s counts each frame (FCS included) plus 20 bytes of preamble\n"
    "and gap.\n"
    "Exit codes: 0 ok, 1 bad usage, 2 runtime error (EAL, ports, link down, file), 130\n"
    "stopped by a signal (results so far are still printed and written).\n"
    "\n"
    "Examples (a switch with vhost-user ports a.sock and b.sock forwarding a -> b):\n"
    "  taskset -c 0 qv-bench --lcores 0@0 --no-pci --in-memory --single-file-segments \\\n"
    "      --file-prefix qvb -- --port virtio:/tmp/a.sock --port virtio:/tmp/b.sock \\\n"
    "      --size 64,1518 --duration 5 --json out.json\n"
    "  ... -- --port virtio:/tmp/a.sock --port virtio:/tmp/b.sock --size imix --flows 1000 \\\n"
    "      --ndr --pdr 0.001 --trial 1\n"
    "  ... -- --port virtio:/tmp/a.sock --port virtio:/tmp/b.sock --mode io --tx-first 32\n";

void opts_usage(FILE *f)
{
	fputs(usage_text, f);
}

const char *opts_mode_name(enum bench_mode m)
{
	static const char *const names[] = {"gen", "txonly", "rxonly", "io"};
	return names[m];
}

static int parse_double(const char *s, double max, double *out)
{
	return qv_parse_double(s, max, out) ? 0 : -1;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	uint64_t v;

	if (!qv_parse_uint(s, 10, min, max, &v))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int opts_parse_rate(const char *s, double *pps)
{
	char *end;

	if (!strcmp(s, "max")) {
		*pps = 0;
		return 0;
	}
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M' || *end == 'm')
		v *= 1e6, end++;
	else if (*end == 'G' || *end == 'g')
		v *= 1e9, end++;
	if (*end || v > 1e10)
		return -1;
	*pps = v;
	return 0;
}

static int parse_ports(const char *s, uint32_t *mask)
{
	char buf[128], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*mask = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned int p;
		if (parse_uint(t, 0, BENCH_MAX_PORTS - 1, &p))
			return -1;
		*mask |= 1u << p;
	}
	return *mask ? 0 : -1;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -1;                                                                         \
	} while (0)

int opts_parse(int argc, char **argv, struct bench_opts *o, char *err, size_t errlen)
{
	enum {
		O_MODE = 256,
		O_PORT,
		O_TX,
		O_RX,
		O_SIZE,
		O_FLOWS,
		O_RATE,
		O_MAC,
		O_DURATION,
		O_WARMUP,
		O_DRAIN,
		O_LATENCY,
		O_STATS,
		O_TX_FIRST,
		O_NDR,
		O_PDR,
		O_TRIAL,
		O_FINAL,
		O_RESOLUTION,
		O_SEARCH_MAX,
		O_MAX_TRIALS,
		O_MIN_SENT,
		O_JSON,
		O_BURST,
		O_DESC,
		O_PACKED,
		O_MBUFS,
		O_WAIT_LINK,
		O_QUIET,
		O_HELP
	};
	static const struct option lo[] = {
	    {"mode", required_argument, NULL, O_MODE},
	    {"port", required_argument, NULL, O_PORT},
	    {"tx", required_argument, NULL, O_TX},
	    {"rx", required_argument, NULL, O_RX},
	    {"size", required_argument, NULL, O_SIZE},
	    {"flows", required_argument, NULL, O_FLOWS},
	    {"rate", required_argument, NULL, O_RATE},
	    {"mac", required_argument, NULL, O_MAC},
	    {"duration", required_argument, NULL, O_DURATION},
	    {"warmup", required_argument, NULL, O_WARMUP},
	    {"drain", required_argument, NULL, O_DRAIN},
	    {"latency", required_argument, NULL, O_LATENCY},
	    {"stats", required_argument, NULL, O_STATS},
	    {"tx-first", required_argument, NULL, O_TX_FIRST},
	    {"ndr", no_argument, NULL, O_NDR},
	    {"pdr", required_argument, NULL, O_PDR},
	    {"trial", required_argument, NULL, O_TRIAL},
	    {"final", required_argument, NULL, O_FINAL},
	    {"resolution", required_argument, NULL, O_RESOLUTION},
	    {"search-max", required_argument, NULL, O_SEARCH_MAX},
	    {"max-trials", required_argument, NULL, O_MAX_TRIALS},
	    {"min-sent", required_argument, NULL, O_MIN_SENT},
	    {"json", required_argument, NULL, O_JSON},
	    {"burst", required_argument, NULL, O_BURST},
	    {"desc", required_argument, NULL, O_DESC},
	    {"packed", no_argument, NULL, O_PACKED},
	    {"mbufs", required_argument, NULL, O_MBUFS},
	    {"wait-link", required_argument, NULL, O_WAIT_LINK},
	    {"quiet", no_argument, NULL, O_QUIET},
	    {"help", no_argument, NULL, O_HELP},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	pktgen_cfg_default(&o->pkt);
	o->mode = MODE_GEN;
	o->duration = 10;
	o->warmup = 1;
	o->drain_ms = 100;
	o->lat_every = 16;
	o->stats = 1;
	o->pdr = -1;
	o->trial = 2;
	o->resolution = 0.02;
	o->max_trials = 16;
	o->min_sent = 0.99;
	o->wait_link = 10;
	o->burst = 32;
	o->nb_desc = 1024;
	o->mbufs = 16384;
	o->sizes_arg = "64";

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case O_MODE:
			if (!strcmp(a, "gen"))
				o->mode = MODE_GEN;
			else if (!strcmp(a, "txonly"))
				o->mode = MODE_TXONLY;
			else if (!strcmp(a, "rxonly"))
				o->mode = MODE_RXONLY;
			else if (!strcmp(a, "io"))
				o->mode = MODE_IO;
			else
				BAD("--mode '%s': expected gen, txonly, rxonly or io", a);
			break;
		case O_PORT:
			if (o->nvdev == BENCH_MAX_VDEVS)
				BAD("--port: at most %d", BENCH_MAX_VDEVS);
			if (strncmp(a, "virtio:", 7) && strncmp(a, "vhost:", 6))
				BAD("--port '%s': expected virtio:PATH or vhost:PATH", a);
			o->vdev[o->nvdev++] = a;
			break;
		case O_TX:
			if (parse_ports(a, &o->tx_mask))
				BAD("--tx '%s': expected port numbers 0..%d, comma separated", a,
				    BENCH_MAX_PORTS - 1);
			o->tx_set = true;
			break;
		case O_RX:
			if (parse_ports(a, &o->rx_mask))
				BAD("--rx '%s': expected port numbers 0..%d, comma separated", a,
				    BENCH_MAX_PORTS - 1);
			o->rx_set = true;
			break;
		case O_SIZE:
			if (pktgen_sizes_parse(a, &o->sizes, err, errlen))
				return -1;
			o->sizes_arg = a;
			break;
		case O_FLOWS:
			if (parse_uint(a, 1, 16u << 20, &o->pkt.flows))
				BAD("--flows '%s': expected 1..16777216", a);
			break;
		case O_RATE:
			if (opts_parse_rate(a, &o->rate))
				BAD("--rate '%s': expected packets/s such as 2.5M, 500k, 100000, "
				    "or max",
				    a);
			break;
		case O_MAC: {
			char buf[64];
			snprintf(buf, sizeof(buf), "%s", a);
			char *comma = strchr(buf, ',');
			if (!comma || (*comma++ = '\0', !qv_mac_parse(buf, o->pkt.src_mac)) ||
			    !qv_mac_parse(comma, o->pkt.dst_mac))
				BAD("--mac '%s': expected SRC,DST as xx:xx:xx:xx:xx:xx", a);
			break;
		}
		case O_DURATION:
			if (parse_double(a, 1e6, &o->duration) || o->duration <= 0)
				BAD("--duration '%s': expected seconds > 0", a);
			break;
		case O_WARMUP:
			if (parse_double(a, 1e6, &o->warmup))
				BAD("--warmup '%s': expected seconds", a);
			break;
		case O_DRAIN:
			if (parse_double(a, 3000, &o->drain_ms))
				BAD("--drain '%s': expected milliseconds 0..3000", a);
			break;
		case O_LATENCY:
			if (parse_uint(a, 0, 1u << 30, &o->lat_every))
				BAD("--latency '%s': expected N (1 packet in N), 0 = off", a);
			break;
		case O_STATS:
			if (parse_double(a, 1e6, &o->stats))
				BAD("--stats '%s': expected seconds", a);
			break;
		case O_TX_FIRST:
			if (parse_uint(a, 1, 1024, &o->tx_first))
				BAD("--tx-first '%s': expected bursts 1..1024", a);
			break;
		case O_NDR:
			o->ndr = true;
			break;
		case O_PDR:
			if (parse_double(a, 1, &o->pdr) || o->pdr <= 0)
				BAD("--pdr '%s': expected a loss ratio, 0 < RATIO <= 1 (0.001 = "
				    "0.1 %%)",
				    a);
			break;
		case O_TRIAL:
			if (parse_double(a, 1e5, &o->trial) || o->trial <= 0)
				BAD("--trial '%s': expected seconds > 0", a);
			break;
		case O_FINAL:
			if (parse_double(a, 1e5, &o->final) || o->final < 0)
				BAD("--final '%s': expected seconds >= 0", a);
			break;
		case O_RESOLUTION:
			if (parse_double(a, 0.5, &o->resolution) || o->resolution <= 0)
				BAD("--resolution '%s': expected a share of the ceiling, 0 < F <= "
				    "0.5",
				    a);
			break;
		case O_SEARCH_MAX:
			if (opts_parse_rate(a, &o->search_max) || o->search_max <= 0)
				BAD("--search-max '%s': expected packets/s such as 5M", a);
			break;
		case O_MIN_SENT:
			if (parse_double(a, 1, &o->min_sent) || o->min_sent <= 0)
				BAD("--min-sent '%s': expected a share 0 < F <= 1", a);
			break;
		case O_MAX_TRIALS:
			if (parse_uint(a, 1, BENCH_MAX_TRIALS, &o->max_trials))
				BAD("--max-trials '%s': expected 1..%d", a, BENCH_MAX_TRIALS);
			break;
		case O_JSON:
			o->json = a;
			break;
		case O_BURST:
			if (parse_uint(a, 1, 64, &o->burst))
				BAD("--burst '%s': expected 1..64", a);
			break;
		case O_PACKED:
			o->packed = true;
			break;
		case O_DESC:
			if (parse_uint(a, 64, 4096, &o->nb_desc))
				BAD("--desc '%s': expected 64..4096", a);
			break;
		case O_MBUFS:
			if (parse_uint(a, 1024, 1u << 22, &o->mbufs))
				BAD("--mbufs '%s': expected 1024..4194304", a);
			break;
		case O_WAIT_LINK:
			if (parse_double(a, 3600, &o->wait_link))
				BAD("--wait-link '%s': expected seconds", a);
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case O_HELP:
		case 'h':
			opts_usage(stdout);
			exit(0);
		default:
			BAD("unknown option or missing value: '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		BAD("unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->sizes.n)
		pktgen_sizes_parse("64", &o->sizes, err, errlen);
	if ((o->ndr || o->pdr >= 0) && o->mode != MODE_GEN)
		BAD("--ndr/--pdr need --mode gen: a search must both send and count");
	if (o->tx_first && o->mode != MODE_IO)
		BAD("--tx-first applies to --mode io");
	if (o->mode == MODE_RXONLY && o->tx_set)
		BAD("--mode rxonly sends nothing: drop --tx");
	if (o->mode == MODE_TXONLY && o->rx_set)
		BAD("--mode txonly counts no receptions: drop --rx (use gen to count)");
	if (o->quiet)
		o->stats = 0;
	return 0;
}

int opts_resolve_ports(struct bench_opts *o, unsigned int nports, char *err, size_t errlen)
{
	uint32_t all = nports >= 32 ? UINT32_MAX : (1u << nports) - 1;

	if (nports == 0)
		BAD("no ports: add --port virtio:PATH, --port vhost:PATH or an EAL --vdev");
	if (nports > BENCH_MAX_PORTS)
		BAD("%u ports: at most %d", nports, BENCH_MAX_PORTS);
	switch (o->mode) {
	case MODE_GEN:
		if (!o->tx_set)
			o->tx_mask = 1;
		if (!o->rx_set)
			o->rx_mask = nports > 1 ? 2 : 1;
		break;
	case MODE_TXONLY:
		if (!o->tx_set)
			o->tx_mask = all;
		o->rx_mask = 0;
		break;
	case MODE_RXONLY:
		o->tx_mask = 0;
		if (!o->rx_set)
			o->rx_mask = all;
		break;
	case MODE_IO:
		o->tx_mask = o->rx_mask = all;
		break;
	}
	if ((o->tx_mask | o->rx_mask) & ~all)
		BAD("--tx/--rx name a port >= %u, but there are %u port(s)", nports, nports);
	return 0;
}
