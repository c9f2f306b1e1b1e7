/* qwikvirt: unit tests of dataplane/qos — the limits a policer refuses, and the meter
 * arithmetic on a fake clock (times passed to the meter, never read from it). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "dataplane/qos/qos_fast.h"
#include "qv_unit.h"

static uint64_t hz;

static struct qv_qos_policer *make(uint8_t unit, uint8_t mode, uint64_t rate, uint64_t burst,
                                   uint64_t peak, uint64_t peak_burst, uint16_t n_pmds)
{
	struct qv_police p = {unit, mode, rate, burst, peak, peak_burst};
	char err[256];
	struct qv_qos_policer *pl = qv_qos_policer_new(&p, n_pmds, err, sizeof(err));

	if (!pl)
		fprintf(stderr, "policer refused: %s\n", err);
	return pl;
}

/* How many packets of len pass at time t, stopping at the first that does not. */
static unsigned pass_run(struct qv_qos_policer *pl, uint16_t pmd, uint64_t t, uint32_t len)
{
	unsigned n = 0;

	while (n < 1000000 && qv_qos_conform(pl, pmd, t, len))
		n++;
	return n;
}

static void test_refused(void)
{
	struct {
		struct qv_police p;
		uint16_t n_pmds;
		const char *msg;
	} bad[] = {
	    {{QV_POLICE_BITS, QV_POLICE_SRTCM, 0, 0, 0, 0}, 1, "give 8000 to"},
	    {{QV_POLICE_BITS, QV_POLICE_SRTCM, 8000, 0, 0, 0}, 2, "give 16000 to"},
	    {{QV_POLICE_BITS, QV_POLICE_SRTCM, 2000000000000ull, 0, 0, 0}, 1, "1000000000000"},
	    {{QV_POLICE_BITS, QV_POLICE_SRTCM, 1000000, 1000, 0, 0}, 1, "give 1522 to"},
	    {{QV_POLICE_PACKETS, QV_POLICE_SRTCM, 3, 0, 0, 0}, 4, "give 4 to"},
	    {{QV_POLICE_BITS, QV_POLICE_SRTCM, 1000000, 0, 2000000, 0}, 1, "needs the trtcm mode"},
	    {{QV_POLICE_BITS, QV_POLICE_TRTCM, 2000000, 0, 1000000, 0}, 1, "at least the rate"},
	    {{QV_POLICE_BITS, QV_POLICE_TRTCM, 1000000, 4000, 2000000, 2000},
	     1,
	     "at least the burst"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct qv_qos_policer *pl =
		    qv_qos_policer_new(&bad[i].p, bad[i].n_pmds, err, sizeof(err));

		CU_ASSERT_PTR_NULL(pl);
		if (strstr(err, bad[i].msg) == NULL)
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err, bad[i].msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].msg));
		free(pl);
	}
}

static void test_default_burst(void)
{
	struct qv_police p = {QV_POLICE_BITS, QV_POLICE_SRTCM, 8000000000ull, 0, 0, 0};
	char err[256];
	struct qv_qos_policer *pl = qv_qos_policer_new(&p, 1, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	CU_ASSERT_EQUAL(pl->p.burst, 10000000); /* 10 ms at 1 GB/s */
	free(pl);
	p = (struct qv_police){QV_POLICE_BITS, QV_POLICE_SRTCM, 100000, 0, 0, 0};
	pl = qv_qos_policer_new(&p, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	CU_ASSERT_EQUAL(pl->p.burst, QV_POLICE_MIN_BURST_BYTES); /* at least one frame */
	free(pl);
}

/* srTCM, 8 Mbit/s = 1,000,000 B/s, burst 10,000 B, frames of 1000 B. */
static void test_srtcm_bits(void)
{
	struct qv_qos_policer *pl = make(QV_POLICE_BITS, QV_POLICE_SRTCM, 8000000, 10000, 0, 0, 1);
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	t0 = pl->pmd[0].sr.time;
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0, 1000), 10);            /* the full bucket */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 1000, 1000), 1); /* 1 ms: 1000 B more */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 1000 + hz / 2000, 1000), 0); /* 500 B */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + 2 * hz / 1000, 1000), 1);
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + 10 * hz, 1000), 10); /* capped at the burst */
	CU_ASSERT_EQUAL(pl->pmd[0].policed, 5);                   /* one red per run */
	CU_ASSERT_EQUAL(pl->pmd[1].policed, 0);
	free(pl);
}

/* Packets/s: 100 pps, burst 5 packets, whatever their size. */
static void test_srtcm_packets(void)
{
	struct qv_qos_policer *pl = make(QV_POLICE_PACKETS, QV_POLICE_SRTCM, 100, 5, 0, 0, 1);
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	t0 = pl->pmd[0].sr.time;
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0, 9000), 5);
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 100, 64), 1); /* 10 ms: one packet */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 100 + hz / 20, 64), 5);
	free(pl);
}

/* Four PMDs: each meters a quarter of the rate, on its own bucket. */
static void test_rate_split(void)
{
	struct qv_qos_policer *pl = make(QV_POLICE_BITS, QV_POLICE_SRTCM, 8000000, 2000, 0, 0, 4);
	uint64_t t0, t1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	t0 = pl->pmd[0].sr.time;
	t1 = pl->pmd[1].sr.time;
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0, 1000), 2);
	CU_ASSERT_EQUAL(pass_run(pl, 1, t1, 1000), 2);             /* PMD 1 has its own burst */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 1000, 1000), 0); /* 250 B in 1 ms */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + 4 * hz / 1000, 1000), 1);
	free(pl);
}

/* trTCM: committed 8 Mbit/s burst 2000 B, peak 16 Mbit/s burst 4000 B: yellow passes, red
 * (over the peak) does not. */
static void test_trtcm(void)
{
	struct qv_qos_policer *pl =
	    make(QV_POLICE_BITS, QV_POLICE_TRTCM, 8000000, 2000, 16000000, 4000, 1);
	uint64_t t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	t0 = pl->pmd[0].tr.time_tp;
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0, 1000), 4);             /* the peak bucket */
	CU_ASSERT_EQUAL(pass_run(pl, 0, t0 + hz / 1000, 1000), 2); /* 2000 B of peak in 1 ms */
	free(pl);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"nonsense refused with the limit", test_refused},
	    {"default burst", test_default_burst},
	    {"srTCM in bit/s", test_srtcm_bits},
	    {"srTCM in packets/s", test_srtcm_packets},
	    {"rate split over PMDs", test_rate_split},
	    {"trTCM: over the peak is red", test_trtcm},
	};
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "--file-prefix=qvtest_qos_%d", (int)getpid());
	char *eal_argv[] = {
	    "test_qos_meter", "--no-huge",         "-m",  "64", "--no-pci", "--no-shconf",
	    "--no-telemetry", "--log-level=error", prefix};
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	hz = rte_get_tsc_hz();
	return QV_UNIT_RUN("qos_meter", tests);
}
