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
#include "control/rpc/rpc.h"

/* main.c (with main) is not linked: the daemon's state lives here. */
struct qv_controld qv_cd;

static struct qv_rpc_method methods[64];
static size_t n_methods;
static char state_dir[] = "/tmp/qv-fuzz-controld-XXXXXX";
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

static void start(void)
{
	if (mkdtemp(state_dir) == NULL)
		abort();
	atexit(remove_state_dir);
	/* No switch answers here: every switch step takes its error path (see README). */
	snprintf(switch_sock, sizeof(switch_sock), "%s/no-switch.sock", state_dir);
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: byte 0 picks the method, byte 1 how the rest is given: bit 0 set and the method is
 * apply: {"name", "yaml": the rest, "check": bit 1}; otherwise the rest as the params JSON. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct qv_rpc_method *m;
	json_t *params, *req, *r;
	char *line, *resp;

	if (n_methods == 0)
		start();
	if (size < 2)
		return 0;
	m = &methods[data[0] % n_methods];
	if ((data[1] & 1) && strcmp(m->name, "apply") == 0)
		params = json_pack("{s:s, s:s%, s:b}", "name", "fuzz.yaml", "yaml",
		                   (const char *)data + 2, size - 2, "check", (data[1] & 2) != 0);
	else
		params = json_loadb((const char *)data + 2, size - 2, 0, NULL);
	if (params == NULL)
		return 0; /* not UTF-8, or not JSON: rpc_frame covers those bytes */
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
	return 0;
}
