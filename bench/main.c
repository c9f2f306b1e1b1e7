/* qv-bench: qwikvirt's testpmd-style traffic generator and sink. main() splits EAL and own
 * arguments, sets up ports, then runs each frame size (plain runs or RFC 2544 searches). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "opts.h"
#include "port.h"
#include "rfc2544.h"
#include "run.h"
#include "stats.h"

#define EXIT_USAGE 1
#define EXIT_RUNTIME 2
#define EXIT_SIGNAL 130
#define MAX_RUNS PKTGEN_MAX_SIZES
#define MAX_SEARCHES (2 * PKTGEN_MAX_SIZES)

static struct bench_opts opt;
static struct run_result runs[MAX_RUNS];
static struct search_result searches[MAX_SEARCHES];

static void on_signal(int sig)
{
	(void)sig;
	bench_quit = 1;
}

/* The final trial: the rate found by the short trials, held for --final s. A rate that passed
 * 1 s trials can still lose a packet over 30 s (a periodic stall): each failure steps the rate
 * down by the resolution, at most FINAL_TRIES times; s->rate ends at the rate that held. */
#define FINAL_TRIES 3
static void confirm(struct run_env *env, const struct pktgen_sizes *z, const char *label,
                    const char *kind, double step, const struct r2544_search *rs,
                    struct search_result *s)
{
	double rate = s->rate;

	for (int i = 0; i < FINAL_TRIES && rate > 0 && s->ntrials < BENCH_MAX_TRIALS && !bench_quit;
	     i++, rate -= step) {
		struct run_result *r = &s->trial[s->ntrials];
		if (bench_run(env, z, rate, opt.final, label, r))
			return;
		r->phase = PHASE_FINAL;
		r->pass = r2544_trial_passes(rs, r->offered, r->tx, r->rx);
		if (!opt.quiet)
			printf("qv-bench: %s %s: final trial (%.0f s) at %.3f Mpps: sent %lu lost "
			       "%lu -> "
			       "%s\n",
			       kind, label, opt.final, rate / 1e6, (unsigned long)r->tx,
			       (unsigned long)r->lost, r->pass ? "pass" : "fail");
		if (r->pass) {
			s->best = (int)s->ntrials++;
			s->rate = rate;
			s->confirmed = true;
			return;
		}
		s->ntrials++;
	}
}

/* One RFC 2544 search for one size spec: ceiling from a max-rate trial, then bisection. */
static void search(struct run_env *env, const struct pktgen_sizes *z, const char *label,
                   const char *kind, double loss_ratio, struct search_result *s)
{
	struct r2544_search rs;
	double ceiling = opt.search_max;

	memset(s, 0, sizeof(*s));
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->loss_ratio = loss_ratio;
	s->best = -1;
	if (ceiling <= 0) {
		/* The rate the ports take at full speed is the most the generator can offer. */
		struct run_result *r = &s->trial[s->ntrials++];
		if (bench_run(env, z, 0, opt.trial, label, r))
			return;
		ceiling = r->tx_pps;
		r->pass = false;
		r->phase = PHASE_CEILING;
		if (!opt.quiet)
			printf("qv-bench: %s %s: ceiling %.3f Mpps (max rate trial: lost %lu)\n",
			       kind, label, ceiling / 1e6, (unsigned long)r->lost);
	}
	r2544_init(&rs, 0, ceiling, opt.resolution * ceiling, loss_ratio, opt.min_sent,
	           opt.max_trials);
	double rate;
	while ((rate = r2544_next(&rs)) > 0 && s->ntrials < BENCH_MAX_TRIALS && !bench_quit) {
		struct run_result *r = &s->trial[s->ntrials];
		if (bench_run(env, z, rate, opt.trial, label, r))
			break;
		r->pass = r2544_report(&rs, r->offered, r->tx, r->rx);
		if (r->pass && (s->best < 0 || rate > s->rate)) {
			s->best = (int)s->ntrials;
			s->rate = rate;
		}
		if (!opt.quiet)
			printf("qv-bench: %s %s: trial %u at %.3f Mpps: sent %lu lost %lu -> %s\n",
			       kind, label, s->ntrials, rate / 1e6, (unsigned long)r->tx,
			       (unsigned long)r->lost, r->pass ? "pass" : "fail");
		s->ntrials++;
	}
	if (opt.final > 0 && s->best >= 0)
		confirm(env, z, label, kind, opt.resolution * ceiling, &rs, s);
}

/* Splits argv at "--"; --help anywhere after it (or with no "--") prints ours, not the EAL's. */
static int split_args(int argc, char **argv)
{
	int dd = -1;

	for (int i = 1; i < argc && dd < 0; i++)
		if (!strcmp(argv[i], "--"))
			dd = i;
	for (int i = dd < 0 ? 1 : dd + 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			opts_usage(stdout);
			exit(0);
		}
	if (dd < 0) {
		fprintf(stderr, "qv-bench: missing '--' between EAL args and qv-bench options "
		                "(see --help)\n");
		exit(EXIT_USAGE);
	}
	return dd;
}

/* EAL argv plus one --vdev per --port shortcut, numbered after nothing else uses the names. */
static char **eal_argv(int dd, char **argv, int *eal_argc)
{
	char **ea = calloc((size_t)dd + 2 * BENCH_MAX_VDEVS + 1, sizeof(char *));
	int n = 0;

	if (!ea)
		return NULL;
	for (int i = 0; i < dd; i++)
		ea[n++] = argv[i];
	for (unsigned int i = 0; i < opt.nvdev; i++) {
		char *v = malloc(4200);
		if (!v)
			return NULL;
		if (!strncmp(opt.vdev[i], "virtio:", 7))
			snprintf(v, 4200, "net_virtio_user_qvb%u,path=%s,queues=1,queue_size=%u%s",
			         i, opt.vdev[i] + 7, opt.nb_desc, opt.packed ? ",packed_vq=1" : "");
		else
			snprintf(v, 4200, "net_vhost_qvb%u,iface=%s,queues=1", i, opt.vdev[i] + 6);
		ea[n++] = (char *)"--vdev";
		ea[n++] = v;
	}
	*eal_argc = n;
	return ea;
}

int main(int argc, char **argv)
{
	char err[256];
	int dd = split_args(argc, argv);

	/* Our options first: a typo must not cost an EAL (hugepage) initialisation. */
	argv[dd] = argv[0];
	if (opts_parse(argc - dd, argv + dd, &opt, err, sizeof(err))) {
		fprintf(stderr, "qv-bench: %s\n", err);
		return EXIT_USAGE;
	}
	int eac;
	char **ea = eal_argv(dd, argv, &eac);
	if (!ea || rte_eal_init(eac, ea) < 0) {
		fprintf(stderr, "qv-bench: EAL init failed: %s (check the EAL args before '--')\n",
		        rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint16_t nports = rte_eth_dev_count_avail();
	if (opts_resolve_ports(&opt, nports, err, sizeof(err))) {
		fprintf(stderr, "qv-bench: %s\n", err);
		rte_eal_cleanup();
		return EXIT_USAGE;
	}
	uint32_t max_len = 0;
	for (unsigned int i = 0; i < opt.sizes.n; i++)
		max_len = RTE_MAX(max_len, opt.sizes.len[i]);
	uint32_t room = RTE_MAX(max_len, (uint32_t)RTE_MBUF_DEFAULT_DATAROOM);
	struct rte_mempool *mp =
	    rte_pktmbuf_pool_create("qv_bench_pool", opt.mbufs, 256, 0,
	                            (uint16_t)(room + RTE_PKTMBUF_HEADROOM), (int)rte_socket_id());
	if (!mp) {
		fprintf(stderr,
		        "qv-bench: cannot create the mbuf pool (%u mbufs of %u bytes): %s\n",
		        opt.mbufs, room, rte_strerror(rte_errno));
		rte_eal_cleanup();
		return EXIT_RUNTIME;
	}
	int code = 0;
	for (uint16_t p = 0; p < nports && !code; p++)
		if (bench_port_setup(p, mp, opt.nb_desc, max_len))
			code = EXIT_RUNTIME;
	if (!code && bench_ports_wait_up(nports, opt.wait_link, 200))
		code = EXIT_RUNTIME;

	struct run_env env = {.o = &opt, .mp = mp, .nports = nports};
	unsigned int nruns = 0, nsearch = 0;
	unsigned int nspec = opt.sizes.mix ? 1 : opt.sizes.n;
	for (unsigned int i = 0; i < nspec && !code && !bench_quit; i++) {
		struct pktgen_sizes z = opt.sizes;
		char label[24];
		if (!z.mix) {
			z.n = 1;
			z.len[0] = opt.sizes.len[i];
			snprintf(label, sizeof(label), "%u", z.len[0]);
		} else {
			snprintf(label, sizeof(label), "%s",
			         strcmp(opt.sizes_arg, "imix") ? "mix" : "imix");
		}
		if (opt.warmup > 0 && opt.mode != MODE_RXONLY &&
		    bench_run(&env, &z, opt.rate, opt.warmup, label, NULL))
			break;
		if (opt.ndr)
			search(&env, &z, label, "ndr", 0, &searches[nsearch++]);
		if (opt.pdr > 0 && !bench_quit)
			search(&env, &z, label, "pdr", opt.pdr, &searches[nsearch++]);
		if (!opt.ndr && opt.pdr < 0)
			bench_run(&env, &z, opt.rate, opt.duration, label, &runs[nruns++]);
	}

	printf("\nqv-bench: mode %s, %u port(s), flows %u, sizes %s, %s\n",
	       opts_mode_name(opt.mode), nports, opt.pkt.flows, opt.sizes_arg,
	       opt.rate > 0 ? "fixed rate" : "max rate");
	stats_table(stdout, runs, nruns);
	stats_search_table(stdout, searches, nsearch);
	fflush(stdout);
	if (opt.json &&
	    stats_json(opt.json, &opt, opts_mode_name(opt.mode), runs, nruns, searches, nsearch)) {
		perror("qv-bench: cannot write --json file");
		code = EXIT_RUNTIME;
	}
	bench_ports_close(nports);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	if (!code && bench_quit)
		code = EXIT_SIGNAL;
	return code;
}
