/* qwikvirt: port and flow-table events for the log, found by comparing the switch's state
 * with the previous turn's (the port code and the publisher need not know about logging). */
#include "dataplane/events.h"

#include <stdatomic.h>
#include <string.h>

#include "dataplane/flow_table.h"
#include "dataplane/switch.h"
#include "lib/log.h"

static struct seen_port {
	const struct qv_port *p; /* NULL: empty slot */
	char name[QV_PORT_NAME_MAX];
	bool up, admin_up;
} seen[QV_MAX_PORTS];
static uint32_t seen_gen;

/* Why a port is down, as far as the switch knows. */
static const char *down_reason(const struct qv_port *p)
{
	if (!atomic_load(&p->admin_up))
		return "admin down (qvctl port set NAME --admin up)";
	if (p->cls->kind == QV_PORT_KIND_VHOST)
		return "no guest: the vhost-user peer is not connected or its rings are not ready";
	return "link down";
}

static const char *up_reason(const struct qv_port *p)
{
	return p->cls->kind == QV_PORT_KIND_VHOST ? "guest connected, rings ready" : "link up";
}

static void port_events(void)
{
	for (unsigned i = 0; i < qv_switch_port_slots(); i++) {
		struct qv_port *p = qv_switch_port_at(i);
		struct seen_port *s = &seen[i];
		bool up, admin;

		if (s->p && (s->p != p || !p || strcmp(s->name, p->name) != 0)) {
			qv_log(QV_LOG_INFO, "port", s->name, "removed");
			s->p = NULL;
		}
		if (!p)
			continue;
		up = atomic_load(&p->up) && atomic_load(&p->admin_up);
		admin = atomic_load(&p->admin_up);
		if (!s->p) {
			qv_log(QV_LOG_INFO, "port", p->name, "added (%s, slot %u), %s",
			       p->cls->name, i, up ? "up" : "down");
		} else if (up != s->up) {
			if (up)
				qv_log(QV_LOG_NOTICE, "port", p->name, "up (%s)", up_reason(p));
			else
				qv_log(QV_LOG_WARNING, "port", p->name, "down (%s)",
				       down_reason(p));
		} else if (admin != s->admin_up) {
			qv_log(QV_LOG_INFO, "port", p->name, "admin %s", admin ? "up" : "down");
		}
		s->p = p;
		snprintf(s->name, sizeof(s->name), "%s", p->name);
		s->up = up;
		s->admin_up = admin;
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
