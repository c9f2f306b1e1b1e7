/* qwikvirt: qvctl's view of the switch's load-balancing groups (group.show): each group's
 * members with their Maglev share and established flows, then each PMD's affinity table. */
#include <stdio.h>

#include "control/qvctl/qvctl.h"

static void fill_usable(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%s",
	     !json_is_true(json_object_get(item, "usable"))    ? "no"
	     : json_is_true(json_object_get(item, "draining")) ? "draining"
	                                                       : "yes");
}

static void fill_share(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%.1f%%", 100.0 * jreal(item, "share"));
}

static void fill_used(struct row *r, int col, const json_t *item, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%lld (%.1f%%)", jint(item, "used"),
	     100.0 * (double)jint(item, "used") / (double)(jint(item, "entries") ?: 1));
}

void view_groups(const json_t *result)
{
	static const struct column member_cols[] = {
	    {"MEMBER", "port"},
	    {"USABLE", NULL, fill_usable},
	    {">SHARE", NULL, fill_share},
	    {">FLOWS", "flows"},
	    {NULL},
	};
	static const struct column pmd_cols[] = {
	    {">PMD", "pmd"},
	    {">ENTRIES", "entries"},
	    {">USED", NULL, fill_used},
	    {">HITS", "hits"},
	    {">MISSES", "misses"},
	    {">STALE", "stale"},
	    {">EVICTIONS", "evictions"},
	    {NULL},
	};
	const json_t *groups = jarray(result, "groups"), *pmds = jarray(result, "affinity");
	size_t i;
	json_t *g;

	if (groups == NULL || json_array_size(groups) == 0) {
		printf("no load-balancing groups (a rule with group:A+B actions makes one)\n");
		return;
	}
	json_array_foreach(groups, i, g)
	{
		char text[512];

		printf("%s\n", jtext(g, "text", text, sizeof(text)));
		table_view(jarray(g, "members"), "  ", member_cols, NULL);
	}
	if (pmds && json_array_size(pmds)) {
		printf("flow-affinity tables (flows idle for %llds are forgotten):\n",
		       jint(result, "idle_timeout_s"));
		table_view(pmds, "  ", pmd_cols, NULL);
	}
}
