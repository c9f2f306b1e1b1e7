/* qwikvirt: the Prometheus text exposition format (version 0.0.4), built into one buffer:
 * HELP and TYPE once per family, then its samples, with names checked and labels escaped. */
#ifndef QV_EXPORTER_METRICS_H
#define QV_EXPORTER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

enum qv_metric_type { QV_METRIC_COUNTER, QV_METRIC_GAUGE };

/* One scrape's text. The first error (a bad name, out of memory) sticks: later calls do
 * nothing and qv_metrics_error() says what went wrong, so callers check once at the end. */
struct qv_metrics {
	char *buf;
	size_t len, cap;
	char family[128]; /* the family samples are being written for ("" before the first) */
	enum qv_metric_type type;
	char error[256];
};

/* A label of a sample: name=value. A NULL name ends a list. */
struct qv_label {
	const char *name;
	const char *value;
};

void qv_metrics_init(struct qv_metrics *m);
void qv_metrics_free(struct qv_metrics *m);
/* NULL when every call so far succeeded, else the first error. */
const char *qv_metrics_error(const struct qv_metrics *m);

/* Names: [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels (and not
 * starting with "__", which Prometheus keeps for itself). */
bool qv_metric_name_valid(const char *name);
bool qv_label_name_valid(const char *name);

/* Starts a family: writes "# HELP name help" and "# TYPE name type". A counter's name must
 * end in "_total" (the convention promtool checks); a family may be started only once. */
void qv_metrics_family(struct qv_metrics *m, const char *name, enum qv_metric_type type,
                       const char *help);

/* One sample of the current family: name{labels} value. labels may be NULL (none). A counter
 * must not be negative. Values print as integers when they are whole, NaN and +/-Inf as
 * Prometheus spells them. */
void qv_metrics_sample(struct qv_metrics *m, const struct qv_label *labels, double value);

/* Appends s to the text with backslash, double quote and newline escaped, as a label value
 * must be (exported for the unit test). */
void qv_metrics_escape_label(struct qv_metrics *m, const char *s);

#endif
