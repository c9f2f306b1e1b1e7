/* qwikvirt: the error list of the YAML loader and validator: every error of a file is kept,
 * each as "FILE:LINE:COL: message", so an operator fixes them all in one round. */
#ifndef QV_DIAG_H
#define QV_DIAG_H

#include <stdbool.h>
#include <stddef.h>

/* A position in the file, 1-based; line 0 means "no position" (the message then starts with
 * "FILE: "). */
struct qv_mark {
	unsigned line, col;
};

struct qv_diag {
	struct qv_mark mark;
	char *text; /* the whole line: "configs/web.yaml:14:9: unknown key 'hopz' in chain ..." */
};

struct qv_diags {
	struct qv_diag *v;
	size_t n, cap;
	size_t lost; /* errors that could not be stored (out of memory, or past QV_DIAGS_MAX) */
};

/* Past this many errors the rest are only counted: one mistake repeated all over a big file
 * should not bury the first ones. */
#define QV_DIAGS_MAX 200

void qv_diags_init(struct qv_diags *d);
void qv_diags_free(struct qv_diags *d);

/* Appends "FILE:LINE:COL: message". */
void qv_diag_add(struct qv_diags *d, const char *file, struct qv_mark at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Errors stored plus errors lost. */
size_t qv_diags_count(const struct qv_diags *d);

/* Orders the errors by position (stable: errors at one position keep their order), from
 * index `from` on. */
void qv_diags_sort(struct qv_diags *d, size_t from);

#endif
