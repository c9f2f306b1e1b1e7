/* qwikvirt: the switch's services to its features (see dp.h) — the one publish function, the
 * grace period, port lookup for features, the feature registry. Slow path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_debug.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/dp.h"
#include "dataplane/switch.h"

static struct qv_dp_feature *features;

void qv_dp_quiesce(void)
{
	if (qv_sw.qsbr)
		rte_rcu_qsbr_synchronize(qv_sw.qsbr, RTE_QSBR_THRID_INVALID);
}

void qv_dp_publish_n(unsigned n, void *_Atomic *const *slots, void *const *next,
                     qv_dp_free_fn *free_old, void *ctx)
{
	void *old[QV_DP_PUBLISH_MAX];

	RTE_VERIFY(n <= QV_DP_PUBLISH_MAX);

	for (unsigned i = 0; i < n; i++)
		old[i] = atomic_exchange(slots[i], next[i]);
	qv_dp_quiesce(); /* no PMD holds an old value any more */
	for (unsigned i = 0; free_old && i < n; i++)
		if (old[i])
			free_old(old[i], ctx);
}

void qv_dp_free(void *old, void *ctx)
{
	(void)ctx;
	free(old);
}

struct qv_port *qv_dp_port_by_name(const char *name)
{
	return qv_switch_port_by_name(name);
}

struct qv_port *qv_dp_port_at(uint16_t idx)
{
	return qv_switch_port_at(idx);
}

const char *qv_dp_port_name(uint16_t idx)
{
	return qv_switch_port_name(idx);
}

const char *qv_dp_rule_text(uint32_t id, char *buf, size_t len)
{
	int f = qv_switch_flow_find(id);
	char text[400];

	if (f < 0) {
		snprintf(buf, len, "rule %u (deleted since)", id);
		return buf;
	}
	qv_switch_flow_format((uint32_t)f, NULL, 0, NULL, 0, text, sizeof(text));
	snprintf(buf, len, "rule %u: %s", id, text);
	return buf;
}

void qv_dp_lock(void)
{
	pthread_mutex_lock(&qv_sw.lock);
}

void qv_dp_unlock(void)
{
	pthread_mutex_unlock(&qv_sw.lock);
}

void qv_dp_feature_register(struct qv_dp_feature *f)
{
	struct qv_dp_feature **at = &features;

	while (*at && strcmp((*at)->name, f->name) < 0)
		at = &(*at)->next;
	f->next = *at;
	*at = f;
}

struct qv_dp_feature *qv_dp_features(void)
{
	return features;
}
