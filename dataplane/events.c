/* qwikvirt: port and flow-table events for the log. Link changes and admin edits are reported
 * by hooks when they happen; ports added and removed and tables published are found by
 * comparing the switch's state with the previous turn's (the publisher need not log). */
#include "dataplane/events.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "dataplane/flow_table.h"
#include "dataplane/switch.h"
#include "lib/log.h"

static struct seen_port {
	const struct qv_port *p; /* NULL: empty slot */
	char name[QV_PORT_NAME_MAX];
} seen[QV_MAX_PORTS];
static uint32_t seen_gen;

void qv_events_port_link(struct qv_port *p, bool up, const char *reason)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	atomic_store(&p->link_changed_ns, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	if (up)
		qv_log(QV_LOG_NOTICE, "port", p->name, "up (%s)", reason);
	else
		qv_log(QV_LOG_WARNING, "port", p->name, "down (%s)", reason);
}

void qv_events_port_admin(const struct qv_port *p, bool up)
{
	if (up)
		qv_log(QV_LOG_NOTICE, "port", p->name, "admin up: polled again, link %s",
		       atomic_load(&p->up) ? "up" : "down");
	else
		qv_log(QV_LOG_WARNING, "port", p->name,
		       "admin down: not polled, output counted as port-down (qvctl port set %s "
		       "--up)",
		       p->name);
}

static void port_events(void)
{
	for (unsigned i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);
		struct seen_port *s = &seen[i];

		if (s->p && (s->p != p || !p || strcmp(s->name, p->name) != 0)) {
			qv_log(QV_LOG_INFO, "port", s->name, "removed");
			s->p = NULL;
		}
		if (!p || s->p)
			continue;
		qv_log(QV_LOG_INFO, "port", p->name, "added (%s, slot %u), %s%s", p->cls->name, i,
		       atomic_load(&p->up) ? "up" : "down",
		       atomic_load(&p->admin_up) ? "" : ", admin down");
		s->p = p;
		snprintf(s->name, sizeof(s->name), "%s", p->name);
	}
}

static void table_events(void)
{
	struct qv_flow_table *t = atomic_load(&qv_sw.table);

	if (!t || t->gen == seen_gen)
		return;
	qv_log(QV_LOG_INFO, "flow-table", NULL, "generation %u published: %u rule(s) of %u", t->gen,
	       t->base->n_rules - t->n_deleted + t->n_added, qv_sw.n_live);
	seen_gen = t->gen;
}

void qv_events_tick(void)
{
	port_events();
	table_events();
}
