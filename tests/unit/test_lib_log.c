/* qwikvirt: unit tests of the daemons' log (lib/log.c): the line format, level filtering and
 * names, the per-object rate limit with its "suppressed" line (fake clock), the FILE stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/log.h"

#define SEC 1000000000ull
/* 2026-12-01T07:20:00.123Z */
static uint64_t fake_now = 1796109600ull * SEC + 123000000ull;
static uint64_t fake_clock(void)
{
	return fake_now;
}

static char *out;
static size_t out_len;
static FILE *mem;

static void start(enum qv_log_level level, unsigned burst, unsigned per_s)
{
	if (mem)
		fclose(mem);
	free(out);
	out = NULL;
	mem = open_memstream(&out, &out_len);
	qv_log_init(&(struct qv_log_config){.prog = "qv-test",
	                                    .level = level,
	                                    .stream = mem,
	                                    .burst = burst,
	                                    .per_s = per_s,
	                                    .now_ns = fake_clock});
}

static const char *text(void)
{
	fflush(mem);
	return out ? out : "";
}

static int count(const char *needle)
{
	int n = 0;

	for (const char *p = text(); (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_format(void)
{
	start(QV_LOG_INFO, 10, 1);
	qv_log(QV_LOG_INFO, "port", "vm1", "up (guest rings ready)");
	qv_log(QV_LOG_WARNING, NULL, NULL, "no kind, no name\n");
	qv_log(QV_LOG_ERR, "vm", "qv-fw-0", "stopped: %s", "crashed");
	CU_ASSERT_STRING_EQUAL(
	    text(), "2026-12-01T07:20:00.123Z info qv-test: port vm1: up (guest rings ready)\n"
	            "2026-12-01T07:20:00.123Z warning qv-test: no kind, no name\n"
	            "2026-12-01T07:20:00.123Z error qv-test: vm qv-fw-0: stopped: crashed\n");
}

static void test_levels(void)
{
	enum qv_log_level l;

	start(QV_LOG_WARNING, 10, 1);
	qv_log(QV_LOG_INFO, "port", "a", "hidden");
	qv_log(QV_LOG_DEBUG, "port", "a", "hidden");
	qv_log(QV_LOG_WARNING, "port", "a", "shown");
	qv_log(QV_LOG_ERR, "port", "a", "shown");
	CU_ASSERT_EQUAL(count("hidden"), 0);
	CU_ASSERT_EQUAL(count("shown"), 2);
	qv_log_set_level(QV_LOG_DEBUG);
	CU_ASSERT_TRUE(qv_log_enabled(QV_LOG_DEBUG));
	qv_log(QV_LOG_DEBUG, "port", "a", "debug now");
	CU_ASSERT_EQUAL(count("debug qv-test: port a: debug now"), 1);

	CU_ASSERT_TRUE(qv_log_level_parse("error", &l) && l == QV_LOG_ERR);
	CU_ASSERT_TRUE(qv_log_level_parse("warn", &l) && l == QV_LOG_WARNING);
	CU_ASSERT_TRUE(qv_log_level_parse("NOTICE", &l) && l == QV_LOG_NOTICE);
	CU_ASSERT_TRUE(qv_log_level_parse("debug", &l) && l == QV_LOG_DEBUG);
	CU_ASSERT_FALSE(qv_log_level_parse("verbose", &l));
	CU_ASSERT_FALSE(qv_log_level_parse("", &l));
	CU_ASSERT_FALSE(qv_log_level_parse(NULL, &l));
	CU_ASSERT_STRING_EQUAL(qv_log_level_name(QV_LOG_INFO), "info");
	enum qv_log_target t;
	CU_ASSERT_TRUE(qv_log_target_parse("syslog", &t) && t == QV_LOG_SYSLOG);
	CU_ASSERT_TRUE(qv_log_target_parse("stderr", &t) && t == QV_LOG_STDERR);
	CU_ASSERT_FALSE(qv_log_target_parse("journal", &t));
}

/* A flapping port: 3 lines pass (the burst), the rest are counted; a second later one more
 * passes, preceded by the count. Another object is not affected. */
static void test_rate_limit(void)
{
	start(QV_LOG_INFO, 3, 1);
	for (int i = 0; i < 10; i++)
		qv_log(QV_LOG_INFO, "port", "flap", "down %d", i);
	qv_log(QV_LOG_INFO, "port", "calm", "up");
	CU_ASSERT_EQUAL(count("port flap: down"), 3);
	CU_ASSERT_EQUAL(count("port calm: up"), 1);
	CU_ASSERT_EQUAL(count("suppressed"), 0);

	fake_now += SEC / 2; /* half a token: still nothing */
	qv_log(QV_LOG_INFO, "port", "flap", "down 10");
	CU_ASSERT_EQUAL(count("port flap: down"), 3);
	fake_now += SEC / 2; /* one token */
	qv_log(QV_LOG_INFO, "port", "flap", "down 11");
	CU_ASSERT_EQUAL(count("port flap: 8 messages suppressed (rate limit)\n"), 1);
	CU_ASSERT_EQUAL(count("port flap: down 11\n"), 1);
	CU_ASSERT_EQUAL(count("port flap: down"), 4);

	fake_now += 100 * SEC; /* the bucket refills to its burst, no more */
	for (int i = 0; i < 5; i++)
		qv_log(QV_LOG_INFO, "port", "flap", "again %d", i);
	CU_ASSERT_EQUAL(count("port flap: again"), 3);
}

static enum qv_log_level stream_level(void)
{
	return QV_LOG_WARNING;
}

static void test_stream(void)
{
	FILE *f;

	start(QV_LOG_INFO, 10, 1);
	f = qv_log_stream("dpdk", stream_level);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "VHOST_CONFIG: (/tmp/a.sock) new ");
	fprintf(f, "device, handle is 0\nEAL: two lines\nno prefix here\n");
	fprintf(f, "unterminated");
	fclose(f); /* flushes the partial line */
	CU_ASSERT_EQUAL(
	    count("warning qv-test: dpdk VHOST_CONFIG: (/tmp/a.sock) new device, handle is 0\n"),
	    1);
	CU_ASSERT_EQUAL(count("warning qv-test: dpdk EAL: two lines\n"), 1);
	CU_ASSERT_EQUAL(count("warning qv-test: dpdk: no prefix here\n"), 1);
	CU_ASSERT_EQUAL(count("dpdk: unterminated\n"), 1);
}

static enum qv_log_level info_level(void)
{
	return QV_LOG_INFO;
}

/* A daemon's own printf lines (stdout/stderr replaced by such a stream) */
static void test_own_lines(void)
{
	FILE *f;

	start(QV_LOG_INFO, 10, 1);
	f = qv_log_stream(NULL, info_level);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "qv-test: VM qv-fw-0 started\n");
	fprintf(f, "qv-test: warning: applied but not persisted\n");
	fprintf(f, "not ours: kept as it is\n");
	fclose(f);
	CU_ASSERT_EQUAL(count(" info qv-test: VM qv-fw-0 started\n"), 1);
	CU_ASSERT_EQUAL(count(" warning qv-test: warning: applied but not persisted\n"), 1);
	CU_ASSERT_EQUAL(count(" info qv-test: not ours: kept as it is\n"), 1);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"format", test_format},
	    {"levels", test_levels},
	    {"rate limit (fake clock)", test_rate_limit},
	    {"FILE stream (DPDK's log)", test_stream},
	    {"a daemon's own lines", test_own_lines},
	};
	int rc = QV_UNIT_RUN("lib_log", tests);

	if (mem)
		fclose(mem);
	free(out);
	return rc;
}
