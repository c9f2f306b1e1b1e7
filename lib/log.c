/* qwikvirt: the daemons' log (see log.h): level filter, timestamped one-line format, stderr or
 * syslog, a token bucket per (kind, name) so that a flapping object cannot flood the journal. */
#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#define KEY_MAX 64     /* kind + name, truncated: only a key */
#define N_BUCKETS 128  /* objects tracked at once; the least recently used one is reused */
#define LINE_MAX_ 2048 /* one event; longer lines are cut */
#define NS 1000000000ull

struct bucket {
	char key[KEY_MAX];  /* "" unused */
	uint64_t tokens_ns; /* lines left, times NS: see take() */
	uint64_t last_ns;
	unsigned suppressed;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* The defaults are those of qv_log_init with an empty config: a line logged before it (a test
 * harness, a fuzz target driving the real handlers) must not find a NULL clock. */
static struct {
	pthread_mutex_t lock;
	struct qv_log_config cfg;
	struct bucket b[N_BUCKETS];
	bool syslog_open;
} lg = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cfg = {.prog = "qwikvirt",
            .level = QV_LOG_INFO,
            .target = QV_LOG_STDERR,
            .burst = 50,
            .per_s = 5,
            .now_ns = realtime_ns},
};

static const char *const level_names[8] = {"emerg",   "alert",  "crit", "error",
                                           "warning", "notice", "info", "debug"};

void qv_log_init(const struct qv_log_config *cfg)
{
	pthread_mutex_lock(&lg.lock);
	lg.cfg = *cfg;
	if (!lg.cfg.prog)
		lg.cfg.prog = "qwikvirt";
	if (lg.cfg.burst == 0) {
		lg.cfg.burst = 50;
		lg.cfg.per_s = 5;
	}
	if (lg.cfg.per_s == 0)
		lg.cfg.per_s = 1;
	if (!lg.cfg.now_ns)
		lg.cfg.now_ns = realtime_ns;
	memset(lg.b, 0, sizeof(lg.b));
	if (lg.cfg.target == QV_LOG_SYSLOG && !lg.syslog_open) {
		openlog(lg.cfg.prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		lg.syslog_open = true;
	}
	pthread_mutex_unlock(&lg.lock);
}

void qv_log_set_level(enum qv_log_level level)
{
	lg.cfg.level = level;
}
enum qv_log_level qv_log_get_level(void)
{
	return lg.cfg.level;
}
bool qv_log_enabled(enum qv_log_level level)
{
	return level <= lg.cfg.level;
}

bool qv_log_level_parse(const char *s, enum qv_log_level *out)
{
	static const struct {
		const char *word;
		enum qv_log_level level;
	} words[] = {{"error", QV_LOG_ERR},       {"err", QV_LOG_ERR},
	             {"warning", QV_LOG_WARNING}, {"warn", QV_LOG_WARNING},
	             {"notice", QV_LOG_NOTICE},   {"info", QV_LOG_INFO},
	             {"debug", QV_LOG_DEBUG}};

	for (size_t i = 0; s && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i].word) == 0) {
			*out = words[i].level;
			return true;
		}
	return false;
}

const char *qv_log_level_name(enum qv_log_level level)
{
	return (unsigned)level < 8 ? level_names[level] : "?";
}

bool qv_log_target_parse(const char *s, enum qv_log_target *out)
{
	if (s && strcmp(s, "stderr") == 0)
		*out = QV_LOG_STDERR;
	else if (s && strcmp(s, "syslog") == 0)
		*out = QV_LOG_SYSLOG;
	else
		return false;
	return true;
}

/* The bucket of key (a free or the least recently used one when it has none yet). */
static struct bucket *bucket_of(const char *key, uint64_t now)
{
	struct bucket *victim = NULL;

	for (size_t i = 0; i < N_BUCKETS; i++) {
		struct bucket *b = &lg.b[i];

		if (b->key[0] && strcmp(b->key, key) == 0)
			return b;
		if (!victim || (victim->key[0] && (!b->key[0] || b->last_ns < victim->last_ns)))
			victim = b;
	}
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->tokens_ns = (uint64_t)lg.cfg.burst * NS; /* a new key starts with a full bucket */
	victim->last_ns = now;
	return victim;
}

/* Token bucket in "token-nanoseconds": one line costs NS, time adds per_s per nanosecond,
 * capped at burst lines. Integer only, exact with a fake clock. */
static bool take(struct bucket *b, uint64_t now)
{
	uint64_t cap = (uint64_t)lg.cfg.burst * NS;

	if (now > b->last_ns) {
		uint64_t add = (now - b->last_ns) * lg.cfg.per_s;

		b->tokens_ns = add >= cap - b->tokens_ns ? cap : b->tokens_ns + add;
	}
	b->last_ns = now;
	if (b->tokens_ns < NS)
		return false;
	b->tokens_ns -= NS;
	return true;
}

static void emit(enum qv_log_level level, uint64_t now, const char *obj, const char *msg)
{
	char ts[40];
	struct tm tm;
	time_t sec = (time_t)(now / NS);

	if (lg.cfg.target == QV_LOG_SYSLOG) {
		syslog((int)level, "%s%s", obj, msg);
		return;
	}
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(lg.cfg.stream ? lg.cfg.stream : stderr, "%s.%03uZ %s %s: %s%s\n", ts,
	        (unsigned)(now % NS / 1000000), qv_log_level_name(level), lg.cfg.prog, obj, msg);
	fflush(lg.cfg.stream ? lg.cfg.stream : stderr);
}

static void vlog(enum qv_log_level level, const char *kind, const char *name, const char *fmt,
                 va_list ap)
{
	char msg[LINE_MAX_], obj[KEY_MAX + 8], key[KEY_MAX];
	struct bucket *b;
	uint64_t now;
	size_t n;

	if (!qv_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0; /* one line per event, whatever the caller's habit */
	snprintf(obj, sizeof(obj), "%s%s%s%s", kind ? kind : "", kind && name ? " " : "",
	         name ? name : "", kind || name ? ": " : "");
	/* a line about no object is limited with the lines that start alike */
	if (kind || name)
		snprintf(key, sizeof(key), "%s/%s", kind ? kind : "", name ? name : "");
	else
		snprintf(key, sizeof(key), "/%.24s", msg);
	pthread_mutex_lock(&lg.lock);
	now = lg.cfg.now_ns();
	b = bucket_of(key, now);
	if (!take(b, now)) {
		b->suppressed++;
	} else {
		if (b->suppressed) {
			char note[64];

			snprintf(note, sizeof(note), "%u messages suppressed (rate limit)",
			         b->suppressed);
			emit(level, now, obj, note);
			b->suppressed = 0;
		}
		emit(level, now, obj, msg);
	}
	pthread_mutex_unlock(&lg.lock);
}

void qv_log(enum qv_log_level level, const char *kind, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, kind, name, fmt, ap);
	va_end(ap);
}

/* ---- a FILE whose lines become events (DPDK's log stream) ---- */
struct log_cookie {
	const char *kind;
	enum qv_log_level (*level_of)(void);
	char buf[LINE_MAX_];
	size_t len;
};

static void cookie_line(struct log_cookie *c)
{
	char *line = c->buf, *colon;
	enum qv_log_level level = c->level_of ? c->level_of() : QV_LOG_INFO;

	c->buf[c->len] = 0;
	c->len = 0;
	if (!c->kind) { /* the daemon's own printf lines: "qv-controld: warning: ..." */
		size_t n = strlen(lg.cfg.prog);

		if (strncmp(line, lg.cfg.prog, n) == 0 && line[n] == ':' && line[n + 1] == ' ')
			line += n + 2;
		/* the word stays: "qv-controld: warning: ..." is what people and scripts grep */
		if (strncmp(line, "warning: ", 9) == 0)
			level = QV_LOG_WARNING;
		else if (strncmp(line, "error: ", 7) == 0)
			level = QV_LOG_ERR;
		if (line[0])
			qv_log(level, NULL, NULL, "%s", line);
		return;
	}
	if (!line[0])
		return;
	/* "VHOST_CONFIG: (...) new device": the library's prefix names the object */
	colon = strchr(line, ':');
	if (colon && colon - line < 24 && colon[1] == ' ' &&
	    !memchr(line, ' ', (size_t)(colon - line))) {
		*colon = 0;
		qv_log(level, c->kind, line, "%s", colon + 2);
	} else {
		qv_log(level, c->kind, NULL, "%s", line);
	}
}

static ssize_t cookie_write(void *cookie, const char *data, size_t size)
{
	struct log_cookie *c = cookie;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' || c->len == sizeof(c->buf) - 1)
			cookie_line(c);
		if (data[i] != '\n')
			c->buf[c->len++] = data[i];
	}
	return (ssize_t)size;
}

static int cookie_close(void *cookie)
{
	struct log_cookie *c = cookie;

	if (c->len)
		cookie_line(c);
	free(c);
	return 0;
}

FILE *qv_log_stream(const char *kind, enum qv_log_level (*level_of)(void))
{
	struct log_cookie *c = calloc(1, sizeof(*c));
	FILE *f;

	if (!c)
		return NULL;
	c->kind = kind;
	c->level_of = level_of;
	f = fopencookie(c, "w",
	                (cookie_io_functions_t){.write = cookie_write, .close = cookie_close});
	if (!f) {
		free(c);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0); /* every write reaches the cookie; lines are joined there */
	return f;
}
