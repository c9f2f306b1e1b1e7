/* qwikvirt: what a port's edit in the service file takes on the switch: the settings port.set
 * changes live (mtu, default, a dpdk port's queue counts), or a re-add (a vhost port's queues). */
#include <string.h>

#include "control/controld/controld.h"

static json_int_t have_int(const json_t *have, const char *key)
{
	const json_t *v = json_object_get(have, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

bool qv_port_needs_readd(const json_t *have, const struct qv_switch_port *p)
{
	const json_t *stats = json_object_get(have, "vring_stats");

	if (!p->vhost)
		return false;
	/* a vhost port's queue pairs are the device's, negotiated with its peer: not live */
	if (have_int(have, "rxq") >= 0 && have_int(have, "rxq") != (p->queues ? p->queues : 1))
		return true;
	/* rte_vhost's per-virtqueue counters are chosen when its socket is registered */
	return json_is_boolean(stats) && json_is_true(stats) == p->vring_stats_off;
}

json_t *qv_port_edits(const json_t *have, const struct qv_switch_port *p)
{
	const char *dflt = json_string_value(json_object_get(have, "default"));
	const char *want_dflt = p->dflt == QV_DEFAULT_L2 ? "l2" : "drop";
	json_int_t queues = p->queues ? p->queues : 1, mtu = p->mtu ? p->mtu : 1500;
	json_t *o = json_object();

	if (have_int(have, "mtu") >= 0 && have_int(have, "mtu") != mtu)
		json_object_set_new(o, "mtu", json_integer(mtu));
	if (dflt && strcmp(dflt, want_dflt) != 0)
		json_object_set_new(o, "default", json_string(want_dflt));
	if (!p->vhost && have_int(have, "rxq") >= 0 && have_int(have, "rxq") != queues)
		json_object_set_new(o, "rxq", json_integer(queues));
	if (!p->vhost && have_int(have, "txq") >= 0 && have_int(have, "txq") != queues)
		json_object_set_new(o, "txq", json_integer(queues));
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "name", json_string(p->name));
	return o;
}
