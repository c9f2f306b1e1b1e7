/* qwikvirt: the loader's error list (see diag.h). Allocation failures are counted, never
 * fatal: the caller still learns that the file was wrong. */
#include "control/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qv_diags_init(struct qv_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void qv_diags_free(struct qv_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	qv_diags_init(d);
}

size_t qv_diags_count(const struct qv_diags *d)
{
	return d->n + d->lost;
}

void qv_diag_add(struct qv_diags *d, const char *file, struct qv_mark at, const char *fmt, ...)
{
	char msg[1024], *text = NULL;
	va_list ap;

	if (d->n >= QV_DIAGS_MAX) {
		d->lost++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct qv_diag *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL) {
			d->lost++;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int rc = at.line ? asprintf(&text, "%s:%u:%u: %s", file, at.line, at.col, msg)
	                 : asprintf(&text, "%s: %s", file, msg);
	if (rc < 0) {
		d->lost++;
		return;
	}
	d->v[d->n].mark = at;
	d->v[d->n].text = text;
	d->n++;
}

static int mark_cmp(struct qv_mark a, struct qv_mark b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.col != b.col)
		return a.col < b.col ? -1 : 1;
	return 0;
}

void qv_diags_sort(struct qv_diags *d, size_t from)
{
	/* Insertion sort: stable, and error lists are short. */
	for (size_t i = from + 1; i < d->n; i++) {
		struct qv_diag x = d->v[i];
		size_t j = i;
		while (j > from && mark_cmp(d->v[j - 1].mark, x.mark) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}
