/* qwikvirt: libFuzzer target for the JSON-RPC framing (qv_rpc_handle_line): any input bytes
 * give one line of valid JSON-RPC response (or none, for a notification), without crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/rpc/rpc.h"

static json_t *f_echo(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)err;
	(void)ctx;
	return json_deep_copy(params);
}

/* Fails with a message built from the params, as real handlers quote user input back. */
static json_t *f_fail(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	const char *name = json_string_value(json_object_get(params, "name"));

	(void)ctx;
	return qv_rpc_fail(err, QV_RPC_APP_ERROR, "port '%s' not found", name ? name : "?");
}

/* The buggy handler case: NULL without an error code. */
static json_t *f_null(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)params;
	(void)err;
	(void)ctx;
	return NULL;
}

static const struct qv_rpc_method methods[] = {
    {"port.add", f_echo, "echo"},
    {"port.del", f_fail, "fail"},
    {"null", f_null, NULL},
    {NULL, NULL, NULL},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *resp = qv_rpc_handle_line((const char *)data, size, methods, NULL);
	json_t *r;

	if (resp == NULL)
		return 0; /* a successful notification */
	/* The contract the server relies on: one line of valid JSON, a 2.0 response object. */
	if (strchr(resp, '\n') != NULL)
		abort();
	r = json_loads(resp, 0, NULL);
	if (!json_is_object(r) || json_object_get(r, "id") == NULL ||
	    (json_object_get(r, "result") == NULL) == (json_object_get(r, "error") == NULL))
		abort();
	json_decref(r);
	free(resp);
	return 0;
}
