/* qwikvirt: qvctl's aligned tables: columns as wide as their widest cell, numbers
 * right-aligned, free-form lines under a row; views declare their columns (struct column). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

/* Columns are given as "NAME" or ">NAME" for right alignment. */
void table_init(struct table *t, const char *indent, int ncols, const char *const *cols)
{
	memset(t, 0, sizeof(*t));
	t->indent = indent;
	t->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		t->right[i] = cols[i][0] == '>';
		t->head[i] = cols[i] + t->right[i];
	}
}

void table_init_columns(struct table *t, const char *indent, const struct column *cols)
{
	const char *heads[MAX_COLS];
	int n = 0;

	while (n < MAX_COLS && cols[n].head) {
		heads[n] = cols[n].head;
		n++;
	}
	table_init(t, indent, n, heads);
	t->columns = cols;
}

struct row *table_add(struct table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (t->rows == NULL) {
			fprintf(stderr, "qvctl: out of memory\n");
			exit(EXIT_RPC);
		}
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	return &t->rows[t->n++];
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (d == NULL) {
		fprintf(stderr, "qvctl: out of memory\n");
		exit(EXIT_RPC);
	}
	return d;
}

void cell(struct row *r, int col, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(r->cell[col]);
	r->cell[col] = xstrdup(buf);
}

void jcell(struct row *r, int col, const json_t *obj, const char *key)
{
	char buf[64];
	cell(r, col, "%s", jtext(obj, key, buf, sizeof(buf)));
}

struct row *table_add_item(struct table *t, const json_t *item, const json_t *ctx)
{
	struct row *r = table_add(t);

	for (int c = 0; c < t->ncols; c++) {
		if (t->columns[c].fill)
			t->columns[c].fill(r, c, item, ctx);
		else
			jcell(r, c, item, t->columns[c].key);
	}
	return r;
}

void table_view(const json_t *items, const char *indent, const struct column *cols,
                const json_t *ctx)
{
	const json_t *item;
	struct table t;
	size_t i;

	table_init_columns(&t, indent, cols);
	json_array_foreach(items, i, item) table_add_item(&t, item, ctx);
	table_print(&t);
	table_free(&t);
}

void table_line(struct table *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_add(t)->line = xstrdup(buf);
}

static void print_cells(const struct table *t, const size_t *w, const char *const *cells)
{
	fputs(t->indent, stdout);
	for (int c = 0; c < t->ncols; c++) {
		const char *s = cells[c] ? cells[c] : "";
		bool last = c == t->ncols - 1;
		if (t->right[c])
			printf("%*s", (int)w[c], s);
		else if (last)
			fputs(s, stdout); /* no trailing blanks */
		else
			printf("%-*s", (int)w[c], s);
		if (!last)
			fputs("  ", stdout);
	}
	putchar('\n');
}

void table_print(struct table *t)
{
	size_t w[MAX_COLS];

	for (int c = 0; c < t->ncols; c++)
		w[c] = strlen(t->head[c]);
	for (size_t i = 0; i < t->n; i++) {
		for (int c = 0; c < t->ncols && !t->rows[i].line; c++) {
			size_t l = t->rows[i].cell[c] ? strlen(t->rows[i].cell[c]) : 0;
			if (l > w[c])
				w[c] = l;
		}
	}
	print_cells(t, w, t->head);
	for (size_t i = 0; i < t->n; i++) {
		if (t->rows[i].line)
			printf("%s%s\n", t->indent, t->rows[i].line);
		else
			print_cells(t, w, (const char *const *)t->rows[i].cell);
	}
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (int c = 0; c < MAX_COLS; c++)
			free(t->rows[i].cell[c]);
		free(t->rows[i].line);
	}
	free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}
