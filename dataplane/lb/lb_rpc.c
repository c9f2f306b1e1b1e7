/* qwikvirt: the load-balancing feature's JSON-RPC method (group.show) and its registration
 * with the switch. */
#include <jansson.h>

#include "control/rpc/rpc.h"
#include "dataplane/dp.h"
#include "dataplane/lb/lb.h"

static json_t *m_group_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0)
		return NULL;
	return qv_lb_show();
}

QV_DP_LOCKED(m_group_show)

static const struct qv_rpc_method lb_methods[] = {
    {"group.show", m_group_show_locked,
     "load-balancing groups: members, flows per member, affinity-table use per PMD"},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature lb_feature = {.name = "lb", .methods = lb_methods};
QV_DP_FEATURE(lb_feature)
