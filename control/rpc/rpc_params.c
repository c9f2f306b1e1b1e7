/* qwikvirt: typed JSON-RPC parameter helpers, shared by both daemons' method tables. Each
 * failure is a QV_RPC_INVALID_PARAMS error that names the parameter and what it must be. */
#include <stdio.h>
#include <string.h>

#include "control/rpc/rpc.h"

const char *qv_rpc_param_str(json_t *params, const char *key, bool required,
                             struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v) {
		if (required)
			qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "missing parameter '%s'", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

int qv_rpc_param_int(json_t *params, const char *key, long long lo, long long hi, long long *out,
                     struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		            "parameter '%s' must be an integer %lld..%lld", key, lo, hi);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

int qv_rpc_param_bool(json_t *params, const char *key, bool *out, struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be true or false",
		            key);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

int qv_rpc_param_enum(json_t *params, const char *key, const char *const *names, int *out,
                      struct qv_rpc_error *err)
{
	json_t *v = json_object_get(params, key);
	char list[256] = "";

	if (!v)
		return 0;
	if (json_is_string(v))
		for (int i = 0; names[i]; i++)
			if (strcmp(json_string_value(v), names[i]) == 0) {
				*out = i;
				return 1;
			}
	for (int i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
		         i == 0         ? ""
		         : names[i + 1] ? ", "
		                        : " or ",
		         names[i]);
	if (json_is_string(v))
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be %s, not \"%s\"",
		            key, list, json_string_value(v));
	else
		qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "parameter '%s' must be %s", key, list);
	return -1;
}
