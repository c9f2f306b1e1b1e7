/* qwikvirt: the Prometheus text exposition format (see metrics.h): one growing buffer, names
 * validated before they are written, so a scrape never carries a line Prometheus rejects. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/exporter/metrics.h"

void qv_metrics_init(struct qv_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void qv_metrics_free(struct qv_metrics *m)
{
	free(m->buf);
	qv_metrics_init(m);
}

const char *qv_metrics_error(const struct qv_metrics *m)
{
	return m->error[0] ? m->error : NULL;
}

static void fail(struct qv_metrics *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct qv_metrics *m, const char *fmt, ...)
{
	va_list ap;

	if (m->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
}

static void put(struct qv_metrics *m, const char *s, size_t n)
{
	if (m->error[0])
		return;
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *b;

		while (cap < m->len + n + 1)
			cap *= 2;
		b = realloc(m->buf, cap);
		if (!b) {
			fail(m, "out of memory formatting %zu bytes of metrics", m->len + n);
			return;
		}
		m->buf = b;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void puts_(struct qv_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

static bool name_valid(const char *name, bool colon)
{
	if (!name || !*name)
		return false;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
		             (colon && *c == ':');

		if (!alpha && !(c != name && *c >= '0' && *c <= '9'))
			return false;
	}
	return true;
}

bool qv_metric_name_valid(const char *name)
{
	return name_valid(name, true);
}

bool qv_label_name_valid(const char *name)
{
	return name_valid(name, false) && strncmp(name, "__", 2) != 0;
}

/* HELP text escapes backslash and newline; a label value also escapes the double quote. */
static void escape(struct qv_metrics *m, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(m, "\\\\");
		else if (*s == '\n')
			puts_(m, "\\n");
		else if (quote && *s == '"')
			puts_(m, "\\\"");
		else
			put(m, s, 1);
	}
}

void qv_metrics_escape_label(struct qv_metrics *m, const char *s)
{
	escape(m, s, true);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

void qv_metrics_family(struct qv_metrics *m, const char *name, enum qv_metric_type type,
                       const char *help)
{
	if (!qv_metric_name_valid(name) || strlen(name) >= sizeof(m->family)) {
		fail(m, "metric name '%s' is not [a-zA-Z_:][a-zA-Z0-9_:]* (under %zu bytes)",
		     name ? name : "(null)", sizeof(m->family));
		return;
	}
	if (type == QV_METRIC_COUNTER && !ends_with(name, "_total")) {
		fail(m, "counter '%s' must be named *_total", name);
		return;
	}
	if (type == QV_METRIC_GAUGE && ends_with(name, "_total")) {
		fail(m, "gauge '%s' must not be named *_total (that means a counter)", name);
		return;
	}
	/* samples of a family must be contiguous: a second start would split it (TYPE lines
	 * always follow their HELP line's newline) */
	if (m->buf) {
		char line[160];

		snprintf(line, sizeof(line), "\n# TYPE %s ", name);
		if (strstr(m->buf, line)) {
			fail(m, "metric family '%s' started twice", name);
			return;
		}
	}
	snprintf(m->family, sizeof(m->family), "%s", name);
	m->type = type;
	puts_(m, "# HELP ");
	puts_(m, name);
	puts_(m, " ");
	escape(m, help, false);
	puts_(m, "\n# TYPE ");
	puts_(m, name);
	puts_(m, type == QV_METRIC_COUNTER ? " counter\n" : " gauge\n");
}

static void put_value(struct qv_metrics *m, double v)
{
	char num[64];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact as an integer */
		snprintf(num, sizeof(num), "%.0f", v);
	else /* the shortest text that reads back as v: 0.144, not 0.14399999999999999 */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, v);
			if (strtod(num, NULL) == v)
				break;
		}
	puts_(m, num);
}

void qv_metrics_sample(struct qv_metrics *m, const struct qv_label *labels, double value)
{
	if (!m->family[0]) {
		fail(m, "a sample was written before any metric family was started");
		return;
	}
	if (m->type == QV_METRIC_COUNTER && value < 0) {
		fail(m, "counter '%s' given a negative value %g", m->family, value);
		return;
	}
	for (const struct qv_label *l = labels; l && l->name; l++)
		if (!qv_label_name_valid(l->name)) {
			fail(m, "label name '%s' of '%s' is not [a-zA-Z_][a-zA-Z0-9_]*", l->name,
			     m->family);
			return;
		}
	puts_(m, m->family);
	if (labels && labels->name) {
		puts_(m, "{");
		for (const struct qv_label *l = labels; l->name; l++) {
			if (l != labels)
				puts_(m, ",");
			puts_(m, l->name);
			puts_(m, "=\"");
			escape(m, l->value ? l->value : "", true);
			puts_(m, "\"");
		}
		puts_(m, "}");
	}
	puts_(m, " ");
	put_value(m, value);
	puts_(m, "\n");
}
