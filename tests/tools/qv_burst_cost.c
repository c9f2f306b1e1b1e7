/* qwikvirt: a measurement, not a test — TSC cycles per packet of the whole fast path (rx of a
 * fake port, parse, lookup, act, tx), 32-packet bursts p0 -> p1 through a rule, with PORTS fake
 * ports in the switch and FLOWS flows (UDP source ports) taken in turn, packet by packet: one
 * flow is the same-key path, more the exact-match cache (each packet its own lookup), more
 * than it holds the classifier. MATCH is the rule's match (default in=p0,proto=udp; in=p0
 * alone is a port rule: no key, no lookup). Minimum and median over bursts, so that a loaded
 * machine's preemptions fall out of the minimum.
 * Usage: qv-burst-cost [BURSTS] [PORTS] [FLOWS] [MATCH] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dataplane/switch.h"
#include "pmd-glue/mempool.h"
#include "tests/unit/fake_port.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A 64-byte IPv4/UDP frame 10.0.0.1 -> 10.0.0.2, (1000 + flow) -> 2000. */
static struct rte_mbuf *frame(struct rte_mempool *mp, unsigned flow)
{
	static const uint8_t head[] = {0x02, 0,    0,    0,    0,    0x0b, 0x02, 0,    0, 0,
	                               0,    0x0a, 0x08, 0x00, 0x45, 0,    0,    28,   0, 0,
	                               0,    0,    64,   17,   0,    0,    10,   0,    0, 1,
	                               10,   0,    0,    2,    0x03, 0xe8, 0x07, 0xd0, 0, 8};
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *d = m ? (uint8_t *)rte_pktmbuf_append(m, 64) : NULL;

	if (!d)
		return NULL;
	memset(d, 0, 64);
	memcpy(d, head, sizeof(head));
	d[34] = (uint8_t)((1000 + flow) >> 8);
	d[35] = (uint8_t)(1000 + flow);
	return m;
}

int main(int argc, char **argv)
{
	char *eal[] = {"qv-burst-cost", "--no-huge",    "--no-pci", "--no-shconf", "-m",
	               "128",           "-l",           "0",        "--log-level", "lib.eal:error",
	               "--file-prefix", "qv_burst_cost"};
	unsigned bursts = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	unsigned n_ports = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
	unsigned flows = argc > 3 ? (unsigned)atoi(argv[3]) : 1, next = 0;
	const char *match = argc > 4 ? argv[4] : "in=p0,proto=udp";
	const unsigned cpus[1] = {0};
	struct qv_port *in = NULL, *out = NULL;
	struct rte_mempool *mp;
	uint64_t *cost = calloc(bursts, sizeof(*cost)), sent = 0;
	char err[256], name[16];
	uint32_t id;

	if (!cost || n_ports < 2 || flows < 1 || flows > 64000 ||
	    rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	qv_mempool_size = 4096;
	if (qv_switch_init(cpus, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "qv-burst-cost: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < n_ports; i++) {
		struct qv_port *p;

		snprintf(name, sizeof(name), "p%u", i);
		if (!(p = qv_fake_port_add(name, err, sizeof(err)))) {
			fprintf(stderr, "qv-burst-cost: %s\n", err);
			return 1;
		}
		in = i == 0 ? p : in;
		out = p; /* the last one: the highest index */
	}
	snprintf(name, sizeof(name), "p%u", n_ports - 1);
	char rule[256];
	snprintf(rule, sizeof(rule), "%s actions=output:%s", match, name);
	if (qv_switch_flow_add(rule, &id, err, sizeof(err)) != 0 ||
	    !(mp = qv_mempool_get(-1, err, sizeof(err)))) {
		fprintf(stderr, "qv-burst-cost: %s\n", err);
		return 1;
	}
	for (unsigned b = 0; b < bursts; b++) {
		struct rte_mbuf *pkts[QV_BURST];
		uint64_t t0;
		uint16_t n;

		for (int i = 0; i < QV_BURST; i++)
			qv_fake_port_push(in, frame(mp, next++ % flows));
		/* room for the whole burst: a fake port's room only counts down (it is how the
		 * unit tests fill a port), and after 65,535 packets every burst would be measured
		 * as tx-full drops */
		qv_fake_port_set_room(out, QV_BURST);
		t0 = rte_rdtsc_precise();
		n = qv_port_rx(in, 0, pkts, QV_BURST);
		qv_pmd_process_burst(qv_sw.pmds[0], in, pkts, n);
		cost[b] = rte_rdtsc_precise() - t0;
		sent += qv_fake_port_sent(out);
		qv_fake_port_clear(out);
	}
	if (sent != (uint64_t)bursts * QV_BURST) { /* then it measured something else */
		fprintf(stderr, "qv-burst-cost: %" PRIu64 " of %" PRIu64 " packets sent\n", sent,
		        (uint64_t)bursts * QV_BURST);
		return 1;
	}
	qsort(cost, bursts, sizeof(*cost), cmp_u64);
	printf("ports %u, flows %u: cycles per packet: min %.1f, median %.1f (%u bursts of %d)\n",
	       n_ports, flows, (double)cost[0] / QV_BURST, (double)cost[bursts / 2] / QV_BURST,
	       bursts, QV_BURST);
	return 0;
}
