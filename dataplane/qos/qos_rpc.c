/* qwikvirt: the QoS feature's JSON-RPC method (port.police), its fields in port.list, and its
 * registration with the switch (hooks: port removal, port description). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "control/rpc/rpc.h"
#include "dataplane/dp.h"
#include "dataplane/qos/qos.h"
#include "dataplane/switch.h"

void qv_qos_publish(uint16_t index, enum qv_police_dir dir, struct qv_qos_policer *pl)
{
	QV_DP_PUBLISH(&qv_qos_policer_of[dir][index], pl, qv_dp_free, NULL);
}

static const char *const dir_names[] = {"ingress", "egress", NULL};
static const char *const unit_names[] = {"bit", "packet", NULL};
static const char *const mode_names[] = {"srtcm", "trtcm", NULL};

/* The number parameter key (0 when absent) into *out; -1 with err when it is not 0..2^62. */
static int get_u64(json_t *params, const char *key, uint64_t *out, struct qv_rpc_error *err)
{
	long long v = 0;

	if (qv_rpc_param_int(params, key, 0, 1LL << 62, &v, err) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static json_t *m_port_police(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"name", "dir",  "off",       "rate",       "burst",
	                                   "unit", "mode", "peak_rate", "peak_burst", NULL};
	struct qv_police p = {0};
	struct qv_qos_policer *pl = NULL;
	const char *name;
	struct qv_port *port;
	int dir = QV_POLICE_INGRESS, unit = QV_POLICE_BITS, mode = QV_POLICE_SRTCM;
	bool off = false;
	char msg[256];

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "name", true, err)) ||
	    qv_rpc_param_enum(params, "dir", dir_names, &dir, err) < 0 ||
	    qv_rpc_param_enum(params, "unit", unit_names, &unit, err) < 0 ||
	    qv_rpc_param_enum(params, "mode", mode_names, &mode, err) < 0 ||
	    qv_rpc_param_bool(params, "off", &off, err) < 0 ||
	    get_u64(params, "rate", &p.rate, err) || get_u64(params, "burst", &p.burst, err) ||
	    get_u64(params, "peak_rate", &p.peak_rate, err) ||
	    get_u64(params, "peak_burst", &p.peak_burst, err))
		return NULL;
	port = qv_switch_port_by_name(name);
	if (!port)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "no port named '%s' (see qvctl show ports)", name);
	if (off != !json_object_get(params, "rate"))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "give either 'rate' (with its unit) or 'off': true");
	p.unit = (uint8_t)unit;
	p.mode = (uint8_t)mode;
	if (!off) {
		pl = qv_qos_policer_new(&p, qv_sw.n_pmds, msg, sizeof(msg));
		if (!pl)
			return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "port %s, %s policer: %s",
			                   name, dir_names[dir], msg);
	}
	qv_qos_publish(port->index, (enum qv_police_dir)dir, pl);
	return json_pack("{s:I,s:I}", "rate", (json_int_t)p.rate, "burst", (json_int_t)p.burst);
}

QV_DP_LOCKED(m_port_police)

/* port.list's "police": {"ingress": {...}, "egress": {...}} for a port with a policer. */
static void qos_port_json(uint16_t index, json_t *port)
{
	json_t *o = NULL;

	for (int d = 0; d < QV_POLICE_NDIR; d++) {
		struct qv_qos_policer *pl = atomic_load(&qv_qos_policer_of[d][index]);
		uint64_t policed = 0;
		json_t *j;

		if (!pl)
			continue;
		for (uint16_t i = 0; i < QV_MAX_PMDS; i++)
			policed += __atomic_load_n(&pl->pmd[i].policed, __ATOMIC_RELAXED);
		j = json_pack("{s:s,s:s,s:I,s:I,s:I}", "mode", mode_names[pl->p.mode], "unit",
		              unit_names[pl->p.unit], "rate", (json_int_t)pl->p.rate, "burst",
		              (json_int_t)pl->p.burst, "policed", (json_int_t)policed);
		if (pl->p.mode == QV_POLICE_TRTCM) {
			json_object_set_new(j, "peak_rate",
			                    json_integer((json_int_t)pl->p.peak_rate));
			json_object_set_new(j, "peak_burst",
			                    json_integer((json_int_t)pl->p.peak_burst));
		}
		if (!o)
			o = json_object();
		json_object_set_new(o, dir_names[d], j);
	}
	if (o)
		json_object_set_new(port, "police", o);
}

/* A removed port's slot may be reused by a port that has no policer. */
static void qos_port_removing(uint16_t index)
{
	for (int d = 0; d < QV_POLICE_NDIR; d++)
		if (atomic_load(&qv_qos_policer_of[d][index]))
			qv_qos_publish(index, (enum qv_police_dir)d, NULL);
}

static const struct qv_rpc_method qos_methods[] = {
    {"port.police", m_port_police_locked,
     "police a port's ingress or egress: rate (bit/s or packet/s), burst, srtcm|trtcm"},
    {NULL, NULL, NULL},
};

static struct qv_dp_feature qos_feature = {.name = "qos",
                                           .port_removing = qos_port_removing,
                                           .port_json = qos_port_json,
                                           .methods = qos_methods};
QV_DP_FEATURE(qos_feature)
