/* qv-bench shared types: the parsed options, and the measured result of one run (trial), which
 * the traffic loop fills and the output module prints. No DPDK types here. */
#ifndef QV_BENCH_BENCH_H
#define QV_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "latency.h"
#include "pktgen.h"

#define BENCH_MAX_PORTS 8
#define BENCH_MAX_VDEVS 8

enum bench_mode { MODE_GEN, MODE_TXONLY, MODE_RXONLY, MODE_IO };

struct bench_opts {
	enum bench_mode mode;
	uint32_t tx_mask, rx_mask; /* ports that send / whose receptions count */
	bool tx_set, rx_set;
	struct pktgen_sizes sizes;
	const char *sizes_arg;
	struct pktgen_cfg pkt;
	double rate;           /* packets/s over all tx ports, 0 = as fast as the ports take */
	double duration;       /* s per run (trial) */
	double warmup;         /* s of traffic before each measured run, not counted */
	double drain_ms;       /* after sending: receive until quiet this long */
	uint32_t lat_every;    /* stamp 1 of N packets with the TSC; 0 = no latency */
	double stats;          /* periodic line every S seconds, 0 = none */
	unsigned int tx_first; /* io: bursts injected per port at start (loop mode) */
	bool ndr;
	double pdr;        /* loss ratio for PDR, < 0 = no PDR */
	double trial;      /* s per search trial */
	double final;      /* s of the confirming trial at the found rate, 0 = none */
	double resolution; /* search resolution as a share of the ceiling */
	double search_max; /* pps ceiling of the search, 0 = measured at max rate */
	unsigned int max_trials;
	double min_sent; /* a trial must send this share of the offered packets */
	const char *json;
	double wait_link; /* s */
	unsigned int burst;
	unsigned int nb_desc;
	bool packed; /* virtio-user ports offer packed virtqueues */
	unsigned int mbufs;
	const char *vdev[BENCH_MAX_VDEVS];
	unsigned int nvdev;
	bool quiet;
};

struct run_result {
	char label[32]; /* "64", "imix", "ndr 64" ... */
	uint32_t size;  /* frame length, 0 for a mix */
	double avg_len;
	double offered_pps; /* 0 = max */
	uint64_t offered;   /* packets the rate asked for over the run (0 at max rate) */
	uint64_t tx, rx, lost, stale, tx_bytes, rx_bytes;
	uint64_t io_fwd, io_drop; /* io mode */
	double elapsed;           /* s from first send to end of the sending phase */
	double tx_pps, rx_pps, rx_bps;
	struct lat_hist lat; /* cycles */
	double tsc_hz;
	uint64_t busy_cycles; /* this process's iterations that moved packets, while sending */
	double busy_share;    /* busy_cycles / the sending phase's cycles */
	bool pass;            /* search trials */
	uint8_t phase;        /* search trials: enum trial_phase */
};

/* What a search trial was for: the max-rate ceiling, a bisection step, or the full-length
 * trial that confirms the rate found (MLRsearch's final trial). */
enum trial_phase { PHASE_SEARCH, PHASE_CEILING, PHASE_FINAL };

#define BENCH_MAX_TRIALS 32

/* One RFC 2544 search: its trials and the best passing one. */
struct search_result {
	char kind[8]; /* "ndr" or "pdr" */
	char label[24];
	double loss_ratio;
	double rate;    /* highest passing offered rate, 0 if none passed; with a final trial, the
	                 * rate whose final trial passed */
	bool confirmed; /* a final trial passed at rate */
	int best;       /* index into trial[] of that trial, -1 if none */
	unsigned int ntrials;
	struct run_result trial[BENCH_MAX_TRIALS];
};

#endif
