/* qwikvirt: libFuzzer target for qv-controld's real method table (control/controld: apply,
 * chains.show, state.show and the vm.* / placement methods) on libvirt's test driver
 * (test:///default), a fixed 2-package topology and a state directory of its own. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "control/controld/scaling.h"
#include "control/rpc/rpc.h"

#include <pthread.h>

/* main.c (with main) is not linked: the daemon's state lives here. */
struct qv_controld qv_cd;

static struct qv_rpc_method methods[64];
static size_t n_methods;
static char state_dir[128];
static char switch_sock[64 + sizeof(state_dir)];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_state_dir(void)
{
	nftw(state_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the switch: a stand-in for qv-switchd's port and flow methods, in memory, served by a
 * thread over a real socket. With a hostile answer set, port.list and flow.list return it. ---- */
static json_t *sw_ports, *sw_flows, *sw_hostile;
static long long sw_next_id = 1;
static pthread_mutex_t sw_lock = PTHREAD_MUTEX_INITIALIZER;

static json_t *sw_list(json_t *list, const char *key)
{
	json_t *r;

	pthread_mutex_lock(&sw_lock);
	r = sw_hostile ? json_deep_copy(sw_hostile) : json_pack("{s:O}", key, list);
	pthread_mutex_unlock(&sw_lock);
	return r;
}

static json_t *sw_port_list(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)params, (void)err, (void)ctx;
	return sw_list(sw_ports, "ports");
}

static json_t *sw_flow_list(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)params, (void)err, (void)ctx;
	return sw_list(sw_flows, "flows");
}

static json_t *sw_port_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)ctx;
	if (!json_is_string(json_object_get(params, "name")))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter 'name'");
	json_array_append_new(sw_ports, json_deep_copy(params));
	return json_object();
}

static json_t *sw_del(json_t *list, const char *key, json_t *params)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
	{
		if (json_equal(json_object_get(v, key), json_object_get(params, key))) {
			json_array_remove(list, i);
			return json_object();
		}
	}
	return NULL;
}

static json_t *sw_port_del(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	json_t *r = sw_del(sw_ports, "name", params);

	(void)ctx;
	return r ? r : qv_rpc_fail(err, QV_RPC_APP_ERROR, "no such port");
}

static json_t *sw_flow_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	const char *text = json_string_value(json_object_get(params, "flow"));

	(void)ctx;
	if (text == NULL)
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter 'flow'");
	json_array_append_new(sw_flows, json_pack("{s:I, s:s, s:I, s:I}", "id",
	                                          (json_int_t)sw_next_id, "text", text, "packets",
	                                          (json_int_t)0, "bytes", (json_int_t)0));
	return json_pack("{s:I}", "id", (json_int_t)sw_next_id++);
}

static json_t *sw_flow_del(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	json_t *r = sw_del(sw_flows, "id", params);

	(void)ctx;
	return r ? r : qv_rpc_fail(err, QV_RPC_APP_ERROR, "no such flow");
}

static const struct qv_rpc_method sw_methods[] = {
    {"port.list", sw_port_list, NULL},
    {"flow.list", sw_flow_list, NULL},
    {"port.add", sw_port_add, NULL},
    {"port.del", sw_port_del, NULL},
    {"flow.add", sw_flow_add, NULL},
    {"flow.del", sw_flow_del, NULL},
    {NULL, NULL, NULL},
};

static void *sw_serve(void *srv)
{
	for (;;)
		qv_rpc_server_poll(srv, 1000);
	return NULL;
}

static void start(void)
{
	struct qv_rpc_server *srv;
	pthread_t t;
	char err[512];
	const char *tmp = getenv("TMPDIR"); /* scripts/fuzz.sh: a folder it removes */

	snprintf(state_dir, sizeof(state_dir), "%s/qv-fuzz-controld-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(state_dir) == NULL)
		abort();
	atexit(remove_state_dir);
	snprintf(switch_sock, sizeof(switch_sock), "%s/switchd.sock", state_dir);
	sw_ports = json_array();
	sw_flows = json_array();
	srv = qv_rpc_server_open(switch_sock, sw_methods, NULL, err, sizeof(err));
	if (srv == NULL || pthread_create(&t, NULL, sw_serve, srv) != 0) {
		fprintf(stderr, "fuzz_controld_methods: the switch: %s\n", err);
		abort();
	}
	qv_cd.switch_sock = switch_sock;
	qv_cd.state_dir = state_dir;
	qv_cd.rpc_timeout_ms = 200;
	qv_cd.vm =
	    (struct qv_vm_opts){.enabled = true,
	                        .uri = "test:///default",
	                        .prefix = "qvf-",
	                        .images = state_dir,
	                        .topology = QV_SOURCE_ROOT "/tests/data/topologies/2pkg-2nic.xml",
	                        .sysfs_root = state_dir,
	                        .stop_timeout_ms = 0};
	for (size_t i = 0; qv_controld_methods[i].name && n_methods < 62; i++)
		methods[n_methods++] = qv_controld_methods[i];
	for (size_t i = 0; qv_vm_methods[i].name && n_methods < 62; i++)
		methods[n_methods++] = qv_vm_methods[i];
	for (size_t i = 0; qv_scaling_methods[i].name && n_methods < 62; i++)
		methods[n_methods++] = qv_scaling_methods[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: byte 0 picks the method, byte 1 how the rest is given: bit 0 set and the method is
 * apply: {"name", "yaml": the rest, "check": bit 1}; otherwise the rest as the params JSON. A NUL
 * ends that part; JSON after it is what the switch answers port.list and flow.list with. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct qv_rpc_method *m;
	json_t *params, *req, *r, *hostile = NULL;
	const char *head, *nul;
	char *line, *resp;
	size_t head_len;

	if (n_methods == 0)
		start();
	if (size < 2)
		return 0;
	m = &methods[data[0] % n_methods];
	head = (const char *)data + 2;
	nul = memchr(head, '\0', size - 2);
	head_len = nul ? (size_t)(nul - head) : size - 2;
	if (nul != NULL)
		hostile = json_loadb(nul + 1, size - 2 - head_len - 1, JSON_DECODE_ANY, NULL);
	if ((data[1] & 1) && strcmp(m->name, "apply") == 0)
		params = json_pack("{s:s, s:s%, s:b}", "name", "fuzz.yaml", "yaml", head, head_len,
		                   "check", (data[1] & 2) != 0);
	else
		params = json_loadb(head, head_len, 0, NULL);
	if (params == NULL) {
		json_decref(hostile);
		return 0; /* not UTF-8, or not JSON: rpc_frame covers those bytes */
	}
	pthread_mutex_lock(&sw_lock);
	sw_hostile = hostile;
	pthread_mutex_unlock(&sw_lock);
	req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", m->name,
	                "params", params);
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (line == NULL)
		return 0;
	resp = qv_rpc_handle_line(line, strlen(line), methods, NULL);
	free(line);
	if (getenv("QV_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s -> %s\n", m->name, resp ? resp : "(nothing)");
	/* Every method answers: a result or an error a person can act on. */
	r = resp ? json_loads(resp, 0, NULL) : NULL;
	if (!json_is_object(r) ||
	    (json_object_get(r, "result") == NULL) == (json_object_get(r, "error") == NULL))
		abort();
	json_decref(r);
	free(resp);
	pthread_mutex_lock(&sw_lock);
	sw_hostile = NULL;
	pthread_mutex_unlock(&sw_lock);
	json_decref(hostile);
	return 0;
}
