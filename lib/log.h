/* qwikvirt: the daemons' log — one line per event with its level, a timestamp and the object it
 * concerns, to stderr (for the journal) or syslog, rate-limited per object. */
#ifndef QV_LOG_H
#define QV_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* syslog's numbers, so that a level is also a syslog priority */
enum qv_log_level {
	QV_LOG_ERR = 3,
	QV_LOG_WARNING = 4,
	QV_LOG_NOTICE = 5,
	QV_LOG_INFO = 6,
	QV_LOG_DEBUG = 7,
};

enum qv_log_target { QV_LOG_STDERR, QV_LOG_SYSLOG };

struct qv_log_config {
	const char *prog;        /* "qv-switchd": the line's prefix, the syslog ident */
	enum qv_log_level level; /* lines above it are dropped */
	enum qv_log_target target;
	FILE *stream; /* QV_LOG_STDERR: where to (NULL: stderr); tests use a memstream */
	/* The rate limit, per (kind, name): a bucket of `burst` lines refilled by `per_s` lines
	 * a second; a suppressed line is counted and the count printed with the next line that
	 * passes ("N messages suppressed"). burst 0: the defaults (50, 5). */
	unsigned burst, per_s;
	/* Nanoseconds since the epoch (NULL: CLOCK_REALTIME): timestamps and the rate limit. */
	uint64_t (*now_ns)(void);
};

/* Sets up the log (it starts as prog "qwikvirt", level info, stderr). Not thread-safe against
 * qv_log: call it before starting threads. */
void qv_log_init(const struct qv_log_config *cfg);
void qv_log_set_level(enum qv_log_level level);
enum qv_log_level qv_log_get_level(void);
bool qv_log_enabled(enum qv_log_level level);

/* "error", "warning", "notice", "info", "debug" (also "err", "warn"); false for anything else. */
bool qv_log_level_parse(const char *s, enum qv_log_level *out);
const char *qv_log_level_name(enum qv_log_level level);
#define QV_LOG_LEVEL_WORDS "error, warning, notice, info or debug"
bool qv_log_target_parse(const char *s, enum qv_log_target *out);

/* One event: "2026-12-01T07:20:00.123Z info qv-switchd: port vm1: up". kind and name say
 * which object (either may be NULL: a line about the daemon itself); they are also the rate
 * limit's key. Thread-safe. */
void qv_log(enum qv_log_level level, const char *kind, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A stdio stream whose lines go to qv_log(level_of(), kind, <text before the first ':'>, ...):
 * for libraries that print to a FILE (DPDK's rte_openlog_stream). level_of returns the
 * current line's level (NULL: info). The stream is line-assembled: partial writes are joined.
 * kind NULL: a daemon's own stdout/stderr lines; a leading "PROG: " is dropped and a
 * "warning: " or "error: " after it sets the level (and stays). */
FILE *qv_log_stream(const char *kind, enum qv_log_level (*level_of)(void));

#endif
