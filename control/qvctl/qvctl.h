/* qwikvirt: what qvctl's files share: the options, help and usage errors (help.c), the RPC call
 * and small helpers (util.c), aligned tables (table.c), and the views and commands (views.c,
 * cmd_switch.c, cmd_controld.c, cmd_debug.c, cmd_check.c) that main (qvctl.c) calls. */
#ifndef QV_QVCTL_H
#define QV_QVCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/run/qwikvirt/switchd.sock"

#define EXIT_RPC 1   /* the switch refused, or could not be reached */
#define EXIT_USAGE 2 /* the command line is wrong */

/* qvctl.c */
struct qvctl_opt {
	const char *sock;     /* qv-switchd */
	const char *controld; /* qv-controld: apply, show chains */
	bool to_controld;     /* the current command talks to qv-controld */
	bool json;
	int timeout_ms;
	bool timeout_set; /* --timeout given: VM commands keep it instead of their longer wait */
};
extern struct qvctl_opt opt;

/* help.c */
struct help;
const struct help *find_help(const char *cmd, const char *sub);
int print_help(const struct help *h);
/* Every command's help in turn, each under a "qvctl COMMAND" line (qvctl help --all). */
int print_all_help(void);
/* Prints what is wrong and the command's usage line; returns the usage exit status. */
int usage_error(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* util.c */
bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
void print_json(const json_t *v);
int rpc(const char *method, json_t *params, json_t **result);
bool json_out(const json_t *result);
long long jint(const json_t *obj, const char *key);
double jreal(const json_t *obj, const char *key);
const char *jtext(const json_t *obj, const char *key, char *buf, size_t len);
const json_t *jarray(const json_t *result, const char *key);
int call_and_view(const char *method, void (*view)(const json_t *));
const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing);
char *read_whole_file(const char *path, size_t *len);

/* table.c */
#define MAX_COLS 12

struct row {
	char *cell[MAX_COLS];
	char *line; /* a free-form line instead of cells (details under a row) */
};

/* One column of a view, declared in a table of them: its heading (">NAME": right-aligned)
 * and what a row shows there: the item's field `key` as text, or what `fill` writes for
 * cells that are computed (ctx: what the view passes along, e.g. the PMD of an rx queue). */
struct column {
	const char *head;
	const char *key;
	void (*fill)(struct row *r, int col, const json_t *item, const json_t *ctx);
};

struct table {
	const char *indent;
	int ncols;
	const char *head[MAX_COLS];
	bool right[MAX_COLS];         /* numbers are right-aligned */
	const struct column *columns; /* set by table_init_columns */
	struct row *rows;
	size_t n, cap;
};

void table_init(struct table *t, const char *indent, int ncols, const char *const *cols);
/* The columns are cols, up to the first with a NULL head. */
void table_init_columns(struct table *t, const char *indent, const struct column *cols);
/* A row for item, each cell as its column says. */
struct row *table_add_item(struct table *t, const json_t *item, const json_t *ctx);
/* Prints every item of the array items as a row of the columns cols. */
void table_view(const json_t *items, const char *indent, const struct column *cols,
                const json_t *ctx);
struct row *table_add(struct table *t);
void cell(struct row *r, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void jcell(struct row *r, int col, const json_t *obj, const char *key);
void table_line(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(struct table *t);
void table_free(struct table *t);

/* views.c: the switch's views, each given the result of its RPC */
void view_ports(const json_t *result);
void view_pmd(const json_t *result);
void view_port_queues(const json_t *result);
void view_flows(const json_t *result);
/* show flows: every page of flow.list, shown as one table (or one JSON answer). */
int show_flows(void);
void view_drops_result(const json_t *result);
void view_l2(const json_t *result);
/* police.c: port.police parameters from RATE[,BURST[,PEAK[,PEAK-BURST]]] or "off" (NULL
 * with err), and the line show ports prints under a policed port */
json_t *police_params(const char *port, const char *dir, const char *spec, char *err, size_t len);
void police_line(struct table *t, const json_t *port);
/* view_groups.c */
void view_groups(const json_t *result);
/* view_scaling.c (qv-controld's scaling.show) */
void view_scaling(const json_t *result);
void view_stats(const json_t *result);

/* cmd_controld.c: qv-controld's views */
void view_chains(const json_t *result);
void view_controld(const json_t *r);
void view_placement(const json_t *r);

/* The commands, called by main. argv here starts after the command words (e.g. after "show
 * ports"). */
/* cmd_switch.c */
int cmd_show(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_call(int argc, char **argv);
/* cmd_controld.c */
int cmd_apply(int argc, char **argv);
int cmd_vm(int argc, char **argv);
/* cmd_check.c */
int cmd_check(int argc, char **argv);
/* cmd_vnf.c */
int cmd_vnf(int argc, char **argv);
/* cmd_debug.c */
int cmd_capture(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
