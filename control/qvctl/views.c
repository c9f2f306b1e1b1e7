/* qwikvirt: qvctl's views of the switch: ports, PMD threads, flows, drops, learned MACs
 * and statistics, printed as tables from the switch's results. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control/qvctl/qvctl.h"
#include "qv/drop_reason.h"

/* Drop reasons and their meanings, from the same X-macro as the switch's counters (only the
 * header: qvctl does not link the dataplane library). */
static const struct {
	const char *name, *help;
} drop_reasons[] = {
#define QV_DROP_ENTRY(sym, name, help) {name, help},
    QV_FOREACH_DROP_REASON(QV_DROP_ENTRY)
#undef QV_DROP_ENTRY
};
#define N_DROP_REASONS (sizeof(drop_reasons) / sizeof(drop_reasons[0]))

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

static const char *drop_help(const char *reason)
{
	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		if (strcmp(drop_reasons[i].name, reason) == 0)
			return drop_reasons[i].help;
	}
	return NULL;
}

/* One line per reason with a non-zero count, under the port's row: known reasons in their
 * usual order, then any the switch knows and this qvctl does not. */
static void port_drop_lines(struct table *t, const json_t *drops)
{
	const char *reason;
	json_t *v;

	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		long long n = jint(drops, drop_reasons[i].name);
		if (n)
			table_line(t, "    %-10s %8lld", drop_reasons[i].name, n);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (!drop_help(reason) && json_is_integer(v) && json_integer_value(v))
			table_line(t, "    %-10s %8lld", reason, (long long)json_integer_value(v));
	}
}

void view_ports(const json_t *result)
{
	static const char *const cols[] = {"NAME",     ">INDEX",   "TYPE",  "STATE",
	                                   ">NUMA",    ">RXQ",     ">TXQ",  "DEFAULT",
	                                   ">RX-PKTS", ">TX-PKTS", ">DROPS"};
	const json_t *ports = jarray(result, "ports");
	const json_t *p;
	size_t i;
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0) {
		printf("no ports (add one with 'qvctl port add')\n");
		return;
	}
	table_init(&t, "", 11, cols);
	json_array_foreach(ports, i, p)
	{
		const json_t *drops = json_object_get(p, "drops");
		long long dropped = drops_total(drops);
		struct row *r = table_add(&t);
		jcell(r, 0, p, "name");
		jcell(r, 1, p, "index");
		jcell(r, 2, p, "type");
		jcell(r, 3, p, "state");
		jcell(r, 4, p, "numa");
		jcell(r, 5, p, "rxq");
		jcell(r, 6, p, "txq");
		jcell(r, 7, p, "default");
		jcell(r, 8, p, "rx_packets");
		jcell(r, 9, p, "tx_packets");
		cell(r, 10, "%lld", dropped);
		if (dropped)
			port_drop_lines(&t, drops);
	}
	table_print(&t);
	table_free(&t);
}

void view_pmd(const json_t *result)
{
	static const char *const cols[] = {"PORT", ">QUEUE", ">PACKETS", ">CYCLES/PKT", ">SHARE"};
	const json_t *pmds = jarray(result, "pmds");
	const json_t *pmd, *q;
	size_t i, j;
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
			printf("  rule lookups: %.1f%% same key as the previous packet, %.1f%% "
			       "exact-match cache, %.1f%% classifier (%.0f cache misses)\n",
			       100 * same / all, 100 * emc / all, 100 * cls / all, cls);
		const json_t *rxqs = jarray(pmd, "rxqs");
		if (rxqs == NULL || json_array_size(rxqs) == 0) {
			printf("  no rx queues\n");
			continue;
		}
		/* Share of the thread's busy cycles: which queue to move when a PMD is
		 * overloaded. */
		double busy = jreal(pmd, "busy_cycles");
		struct table t;
		table_init(&t, "  ", 5, cols);
		json_array_foreach(rxqs, j, q)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, q, "port");
			jcell(r, 1, q, "queue");
			jcell(r, 2, q, "packets");
			jcell(r, 3, q, "cycles_per_packet");
			if (busy > 0)
				cell(r, 4, "%.1f%%", 100.0 * jreal(q, "busy_cycles") / busy);
			else
				cell(r, 4, "-");
		}
		table_print(&t);
		table_free(&t);
	}
}

void view_flows(const json_t *result)
{
	static const char *const cols[] = {">ID", ">PRIO", ">HITS", "MATCH", "ACTIONS"};
	const json_t *flows = jarray(result, "flows");
	const json_t *f;
	size_t i;
	struct table t;

	if (flows == NULL || json_array_size(flows) == 0) {
		printf("no flows\n");
		return;
	}
	table_init(&t, "", 5, cols);
	json_array_foreach(flows, i, f)
	{
		struct row *r = table_add(&t);
		jcell(r, 0, f, "id");
		jcell(r, 1, f, "priority");
		jcell(r, 2, f, "hits");
		jcell(r, 3, f, "match");
		jcell(r, 4, f, "actions");
	}
	table_print(&t);
	table_free(&t);
}

/* Rows REASON PACKETS [MEANING]: every known reason in the usual order, then any the switch
 * reports that this qvctl does not know. */
static void add_drop_rows(struct table *t, const json_t *drops, bool meaning)
{
	const char *reason;
	json_t *v;

	for (size_t i = 0; i < N_DROP_REASONS; i++) {
		struct row *r = table_add(t);
		cell(r, 0, "%s", drop_reasons[i].name);
		cell(r, 1, "%lld", jint(drops, drop_reasons[i].name));
		if (meaning)
			cell(r, 2, "%s", drop_reasons[i].help);
	}
	json_object_foreach((json_t *)drops, reason, v)
	{
		if (drop_help(reason))
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
	static const char *const cols[] = {"REASON", ">PACKETS", "MEANING"};
	struct table t;

	table_init(&t, "", 3, cols);
	add_drop_rows(&t, drops, true);
	table_print(&t);
	table_free(&t);
}

void view_l2(const json_t *result)
{
	static const char *const cols[] = {"MAC", "PORT", ">AGE"};
	const json_t *entries = jarray(result, "entries");
	const json_t *e;
	size_t i;
	struct table t;

	if (entries == NULL || json_array_size(entries) == 0) {
		printf("no learned MAC addresses\n");
	} else {
		table_init(&t, "", 3, cols);
		json_array_foreach(entries, i, e)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, e, "mac");
			jcell(r, 1, e, "port");
			cell(r, 2, "%llds", jint(e, "age_s"));
		}
		table_print(&t);
		table_free(&t);
	}
	if (json_object_get(result, "aging_s"))
		printf("entries expire after %llds without traffic\n", jint(result, "aging_s"));
}

void view_stats(const json_t *result)
{
	static const char *const cols[] = {"NAME",     ">RX-PKTS",  ">RX-BYTES",
	                                   ">TX-PKTS", ">TX-BYTES", ">DROPS"};
	const json_t *ports = jarray(result, "ports");
	const json_t *drops = json_object_get(result, "drops");
	const json_t *p;
	size_t i;
	struct table t;

	if (ports == NULL || json_array_size(ports) == 0) {
		printf("no ports\n");
	} else {
		table_init(&t, "", 6, cols);
		json_array_foreach(ports, i, p)
		{
			struct row *r = table_add(&t);
			jcell(r, 0, p, "name");
			jcell(r, 1, p, "rx_packets");
			jcell(r, 2, p, "rx_bytes");
			jcell(r, 3, p, "tx_packets");
			jcell(r, 4, p, "tx_bytes");
			cell(r, 5, "%lld", drops_total(json_object_get(p, "drops")));
		}
		table_print(&t);
		table_free(&t);
	}
	putchar('\n');
	printf("drops: %lld in total\n", drops_total(drops));
	static const char *const dcols[] = {"REASON", ">PACKETS"};
	table_init(&t, "  ", 2, dcols);
	add_drop_rows(&t, drops, false);
	table_print(&t);
	table_free(&t);
}

void view_drops_result(const json_t *result)
{
	view_drops(json_object_get(result, "drops"));
}
