/* qwikvirt: qvctl's views of the switch: ports, PMD threads, flows, drops, learned MACs
 * and statistics, printed as tables (columns declared below) from the switch's results. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control/qvctl/qvctl.h"
#include "qv/drop_reason.h"

static long long drops_total(const json_t *drops)
{
	const char *reason;
	json_t *v;
	long long sum = 0;

	json_object_foreach((json_t *)drops, reason, v)
	{
		if (json_is_integer(v))
			sum += json_integer_value(v);
	}
	return sum;
}

/* A reason of the X-macro (qv/drop_reason.h): the switch may know reasons this qvctl does not. */
static bool drop_known(const char *reason)
{
	for (int i = 0; i < QV_DROP_MAX; i++) {
		if (strcmp(qv_drop_reason_name[i], reason) == 0)
			return true;
	}
	return false;
}

/* The sum of the item's "drops" object. */
static void fill_drops_total(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%lld", drops_total(json_object_get(item, "drops")));
}

/* One line per reason with a non-zero count, under the port's row: known reasons in their
 * usual order, then any the switch knows and this qvctl does not. */
static void port_drop_lines(struct table *t, const json_t *drops)
{
	const char *reason;
	json_t *v;

	for (int i = 0; i < QV_DROP_MAX; i++) {
		long long n = jint(drops, qv_drop_reason_name[i]);
		if (n)
			table_line(t, "    %-10s %8lld", qv_drop_reason_name[i], n);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (!drop_known(reason) && json_is_integer(v) && json_integer_value(v))
			table_line(t, "    %-10s %8lld", reason, (long long)json_integer_value(v));
	}
}

void view_ports(const json_t *result)
{
	static const struct column cols[] = {
	    {"NAME", "name"},
	    {">INDEX", "index"},
	    {"TYPE", "type"},
	    {"STATE", "state"},
	    {">MTU", "mtu"},
	    {">NUMA", "numa"},
	    {">RXQ", "rxq"},
	    {">TXQ", "txq"},
	    {"DEFAULT", "default"},
	    {">RX-PKTS", "rx_packets"},
	    {">TX-PKTS", "tx_packets"},
	    {">DROPS", NULL, fill_drops_total},
	    {"LINK-CHANGED", "link_changed"},
	    {NULL},
	};
	const json_t *ports = jarray(result, "ports");
	const json_t *p;
	size_t i;
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0) {
		printf("no ports (add one with 'qvctl port add')\n");
		return;
	}
	table_init_columns(&t, "", cols);
	json_array_foreach(ports, i, p)
	{
		const json_t *drops = json_object_get(p, "drops");

		table_add_item(&t, p, NULL);
		police_line(&t, p);
		if (drops_total(drops))
			port_drop_lines(&t, drops);
		if (jint(p, "rx_nombuf"))
			table_line(
			    &t,
			    "    no-mbuf    %8lld rx polls found packets waiting and no mbufs "
			    "(up to %lld at once; not drops)",
			    jint(p, "rx_nombuf"), jint(p, "rx_nombuf_peak"));
	}
	table_print(&t);
	table_free(&t);
}

/* Share of the thread's busy cycles (ctx: the PMD): which queue to move when a PMD is
 * overloaded. */
static void fill_rxq_share(struct row *r, int col, const json_t *q, const json_t *pmd)
{
	double busy = jreal(pmd, "busy_cycles");

	if (busy > 0)
		cell(r, col, "%.1f%%", 100.0 * jreal(q, "busy_cycles") / busy);
	else
		cell(r, col, "-");
}

void view_pmd(const json_t *result)
{
	static const struct column rxq_cols[] = {
	    {"PORT", "port"},
	    {">QUEUE", "queue"},
	    {">PACKETS", "packets"},
	    {">CYCLES/PKT", "cycles_per_packet"},
	    {">SHARE", NULL, fill_rxq_share},
	    {NULL},
	};
	const json_t *pmds = jarray(result, "pmds");
	const json_t *pmd;
	size_t i;
	char b1[64], b2[64], b3[64];

	if (pmds == NULL || json_array_size(pmds) == 0) {
		printf("no PMD threads\n");
		return;
	}
	json_array_foreach(pmds, i, pmd)
	{
		if (i)
			putchar('\n');
		printf("pmd core %s (numa %s): busy %.1f%%, %lld packets, %s cycles/packet\n",
		       jtext(pmd, "core", b1, sizeof(b1)), jtext(pmd, "numa", b2, sizeof(b2)),
		       jreal(pmd, "busy_pct"), jint(pmd, "packets"),
		       jtext(pmd, "cycles_per_packet", b3, sizeof(b3)));
		const json_t *lk = json_object_get(pmd, "lookups");
		double same = jreal(lk, "same_key"), emc = jreal(lk, "emc_hit"),
		       cls = jreal(lk, "classifier"), all = same + emc + cls;
		if (all > 0)
			printf(
			    "  rule lookups: %.1f%% none needed (same key as the previous packet, "
			    "or a port rule), %.1f%% exact-match cache, %.1f%% classifier (%.0f "
			    "cache misses)\n",
			    100 * same / all, 100 * emc / all, 100 * cls / all, cls);
		const json_t *pool = json_object_get(pmd, "pool");
		if (pool)
			printf("  mbuf pool %s: %lld in use, %lld free of %lld\n",
			       jtext(pool, "name", b1, sizeof(b1)), jint(pool, "in_use"),
			       jint(pool, "free"), jint(pool, "size"));
		const json_t *rxqs = jarray(pmd, "rxqs");
		if (rxqs == NULL || json_array_size(rxqs) == 0) {
			printf("  no rx queues\n");
			continue;
		}
		table_view(rxqs, "  ", rxq_cols, pmd);
	}
	const json_t *pool;
	json_array_foreach(json_object_get(result, "pools"), i, pool)
	{
		printf("pool %s: %lld of %lld buffers in use, %lld B each\n",
		       json_string_value(json_object_get(pool, "name")), jint(pool, "in_use"),
		       jint(pool, "size"), jint(pool, "data_room"));
	}
}

void view_flows(const json_t *result)
{
	static const struct column cols[] = {
	    {">ID", "id"},      {">PRIO", "priority"},  {">HITS", "hits"},
	    {"MATCH", "match"}, {"ACTIONS", "actions"}, {NULL},
	};
	const json_t *flows = jarray(result, "flows");

	if (flows == NULL || json_array_size(flows) == 0) {
		printf("no flows\n");
		return;
	}
	table_view(flows, "", cols, NULL);
}

/* show flows: flow.list page after page (a page is at most 4,000 rules, flow.list's limit:
 * 100,000 rules are 15-40 MB in one answer), then one table or one JSON answer
 * {"flows": [...], "total": N} as a single call gave. */
int show_flows(void)
{
	json_t *all = json_array(), *result;
	long long offset = 0, total = 0;

	for (;;) {
		int rc = rpc("flow.list", json_pack("{s:I, s:i}", "offset", offset, "limit", 4000),
		             &result);
		const json_t *next;

		if (rc) {
			json_decref(all);
			return rc;
		}
		json_array_extend(all, json_object_get(result, "flows"));
		total = jint(result, "total");
		next = json_object_get(result, "next_offset");
		/* the next page, unless this was the last (or rules went away meanwhile) */
		if (!json_is_integer(next) || json_integer_value(next) <= offset) {
			json_decref(result);
			break;
		}
		offset = json_integer_value(next);
		json_decref(result);
	}
	result = json_pack("{s:o, s:I}", "flows", all, "total", total);
	if (!json_out(result))
		view_flows(result);
	json_decref(result);
	return 0;
}

/* Rows REASON PACKETS [MEANING]: every known reason in the usual order, then any the switch
 * reports that this qvctl does not know. */
static void add_drop_rows(struct table *t, const json_t *drops, bool meaning)
{
	const char *reason;
	json_t *v;

	for (int i = 0; i < QV_DROP_MAX; i++) {
		struct row *r = table_add(t);
		cell(r, 0, "%s", qv_drop_reason_name[i]);
		cell(r, 1, "%lld", jint(drops, qv_drop_reason_name[i]));
		if (meaning)
			cell(r, 2, "%s", qv_drop_reason_help[i]);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (drop_known(reason))
			continue;
		struct row *r = table_add(t);
		cell(r, 0, "%s", reason);
		cell(r, 1, "%lld", json_is_integer(v) ? (long long)json_integer_value(v) : 0);
		if (meaning)
			cell(r, 2, "(not known to this qvctl)");
	}
}

static void view_drops(const json_t *drops)
{
	static const struct column cols[] = {{"REASON"}, {">PACKETS"}, {"MEANING"}, {NULL}};
	struct table t;

	table_init_columns(&t, "", cols);
	add_drop_rows(&t, drops, true);
	table_print(&t);
	table_free(&t);
}

static void fill_age(struct row *r, int col, const json_t *entry, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%llds", jint(entry, "age_s"));
}

void view_l2(const json_t *result)
{
	static const struct column cols[] = {
	    {"MAC", "mac"},
	    {"PORT", "port"},
	    {">AGE", NULL, fill_age},
	    {NULL},
	};
	const json_t *entries = jarray(result, "entries");

	if (entries == NULL || json_array_size(entries) == 0)
		printf("no learned MAC addresses\n");
	else
		table_view(entries, "", cols, NULL);
	if (json_object_get(result, "aging_s"))
		printf("entries expire after %llds without traffic\n", jint(result, "aging_s"));
}

void view_stats(const json_t *result)
{
	static const struct column cols[] = {
	    {"NAME", "name"},
	    {">RX-PKTS", "rx_packets"},
	    {">RX-BYTES", "rx_bytes"},
	    {">TX-PKTS", "tx_packets"},
	    {">TX-BYTES", "tx_bytes"},
	    {">DROPS", NULL, fill_drops_total},
	    {NULL},
	};
	static const struct column drop_cols[] = {{"REASON"}, {">PACKETS"}, {NULL}};
	const json_t *ports = jarray(result, "ports");
	const json_t *drops = json_object_get(result, "drops");
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0)
		printf("no ports\n");
	else
		table_view(ports, "", cols, NULL);
	putchar('\n');
	printf("drops: %lld in total\n", drops_total(drops));
	table_init_columns(&t, "  ", drop_cols);
	add_drop_rows(&t, drops, false);
	table_print(&t);
	table_free(&t);
}

void view_drops_result(const json_t *result)
{
	view_drops(json_object_get(result, "drops"));
}

/* show port NAME's queue pairs: enabled by the guest or not, then each non-zero device
 * counter per direction. */
void view_port_queues(const json_t *result)
{
	const json_t *queues = jarray(result, "queues"), *q;
	size_t i;
	char b[64];

	if (queues == NULL || json_array_size(queues) == 0) {
		printf("  no per-queue state (no guest attached, or not a vhost port)\n");
		return;
	}
	json_array_foreach(queues, i, q)
	{
		static const char *const dirs[] = {"rx", "tx"};

		printf("  queue %s: rx %s, tx %s\n", jtext(q, "queue", b, sizeof(b)),
		       json_is_true(json_object_get(q, "rx_enabled")) ? "enabled" : "disabled",
		       json_is_true(json_object_get(q, "tx_enabled")) ? "enabled" : "disabled");
		for (int d = 0; d < 2; d++) {
			const json_t *c = json_object_get(q, dirs[d]);
			const char *key;
			json_t *v;

			json_object_foreach((json_t *)c, key, v)
			{
				if (json_is_integer(v) && json_integer_value(v))
					printf("    %s %-24s %12lld\n", dirs[d], key,
					       (long long)json_integer_value(v));
			}
		}
	}
}
