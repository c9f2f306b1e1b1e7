/* qwikvirt: JSON-RPC 2.0 framing: turns one request line into one response line.
 * Pure functions (no I/O) so the protocol rules are unit-tested and fuzzed in isolation. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/rpc/rpc.h"

/* Method names are echoed in error messages; cap them so a hostile 60 KiB name cannot bloat
 * every error line (and the message stays readable). */
#define NAME_SHOWN_MAX 64

json_t *qv_rpc_fail(struct qv_rpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return NULL;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return NULL;
}

/* Serialises a response object (consumed). Falls back to a hand-written internal error if
 * jansson cannot encode it (only on allocation failure or absurd nesting in a result), so the
 * client always gets an answer it can parse. */
static char *dump_response(json_t *resp)
{
	char *s = NULL;

	if (resp != NULL)
		s = json_dumps(resp, JSON_COMPACT);
	json_decref(resp);
	if (s == NULL)
		s = strdup(
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":"
		    "\"internal error: the response could not be encoded\"}}");
	return s;
}

/* id is borrowed (NULL means "unknown": sent as null, as JSON-RPC requires). */
static char *error_response(json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *error_response(json_t *id, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dump_response(json_pack("{s:s, s:O?, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id,
	                               "error", "code", code, "message", msg));
}

/* result is consumed. */
static char *result_response(json_t *id, json_t *result)
{
	return dump_response(
	    json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "result", result));
}

/* Levenshtein distance, bounded to short names: used only to suggest the method the user
 * probably meant ("port.ad" -> "port.add"), so a typo costs one look instead of rpc.list. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[NAME_SHOWN_MAX + 1];

	if (la > NAME_SHOWN_MAX || lb > NAME_SHOWN_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static json_t *list_methods(const struct qv_rpc_method *methods)
{
	json_t *arr = json_array();

	json_array_append_new(arr,
	                      json_pack("{s:s, s:s, s:s}", "name", "rpc.list", "help",
	                                "list the methods this server answers", "access", "read"));
	for (const struct qv_rpc_method *m = methods; m != NULL && m->name != NULL; m++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", m->name, "help",
		                                     m->help != NULL ? m->help : "", "access",
		                                     m->access == QV_RPC_READ ? "read" : "admin"));
	return json_pack("{s:o}", "methods", arr);
}

static char *method_not_found(json_t *id, const char *name, const struct qv_rpc_method *methods)
{
	const char *best = NULL;
	size_t best_d = 3; /* suggest only close typos: distance 1 or 2 */
	bool cut = strlen(name) > NAME_SHOWN_MAX;

	for (const struct qv_rpc_method *m = methods; m != NULL && m->name != NULL; m++) {
		size_t d = edit_distance(name, m->name);

		if (d < best_d) {
			best_d = d;
			best = m->name;
		}
	}
	if (best != NULL)
		return error_response(
		    id, QV_RPC_METHOD_NOT_FOUND,
		    "method not found: '%.*s%s' (did you mean '%s'? call rpc.list "
		    "for the methods)",
		    NAME_SHOWN_MAX, name, cut ? "..." : "", best);
	return error_response(id, QV_RPC_METHOD_NOT_FOUND,
	                      "method not found: '%.*s%s' (call rpc.list for the methods)",
	                      NAME_SHOWN_MAX, name, cut ? "..." : "");
}

/* Members JSON-RPC 2.0 defines for a request; anything else is most likely a typo ("param",
 * "methods") whose silent acceptance would run the method with the wrong arguments. */
static const char *const known_members[] = {"jsonrpc", "method", "params", "id"};

static char *check_members(json_t *req, json_t *id)
{
	const char *key;
	json_t *val;

	json_object_foreach(req, key, val)
	{
		bool known = false;

		for (size_t i = 0; i < sizeof(known_members) / sizeof(known_members[0]); i++)
			known = known || strcmp(key, known_members[i]) == 0;
		if (!known)
			return error_response(
			    id, QV_RPC_INVALID_REQUEST,
			    "invalid request: unknown member \"%.*s%s\" (a request "
			    "has only \"jsonrpc\", \"method\", \"params\" and "
			    "\"id\")",
			    NAME_SHOWN_MAX, key, strlen(key) > NAME_SHOWN_MAX ? "..." : "");
	}
	return NULL;
}

/* The refusal of a method the caller's role does not allow. */
static char *permission_denied(json_t *id, const struct qv_rpc_method *m,
                               const struct qv_rpc_caller *caller)
{
	char who[160];

	if (caller->role == QV_RPC_ROLE_NONE)
		return error_response(id, QV_RPC_PERMISSION_DENIED,
		                      "permission denied: uid %ld may call no method of %s (not "
		                      "root, not in the socket's group)",
		                      (long)caller->uid, program_invocation_short_name);
	if (caller->admin_group != NULL)
		snprintf(who, sizeof(who), "root or members of group %s", caller->admin_group);
	else
		snprintf(who, sizeof(who), "root");
	return error_response(id, QV_RPC_PERMISSION_DENIED,
	                      "permission denied: %s changes %s; only %s may call it (uid %ld "
	                      "may call the read methods only: rpc.list shows each method's "
	                      "access)",
	                      m->name, program_invocation_short_name, who, (long)caller->uid);
}

static char *dispatch(json_t *req, const struct qv_rpc_method *methods, void *ctx,
                      const struct qv_rpc_caller *caller)
{
	json_t *id = json_object_get(req, "id");
	bool notification = (id == NULL);
	json_t *version, *method, *params, *result;
	const struct qv_rpc_method *m;
	const struct qv_rpc_caller *prev_caller;
	struct qv_rpc_error err = {0};
	const char *name;
	char *resp;

	/* Check id first so every later error can be matched to its request by the client. */
	if (id != NULL && !json_is_string(id) && !json_is_number(id) && !json_is_null(id))
		return error_response(NULL, QV_RPC_INVALID_REQUEST,
		                      "invalid request: \"id\" must be a string, a number or null");

	version = json_object_get(req, "jsonrpc");
	if (version == NULL)
		return error_response(
		    id, QV_RPC_INVALID_REQUEST,
		    "invalid request: \"jsonrpc\" is missing; it must be \"2.0\"");
	if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
		return error_response(id, QV_RPC_INVALID_REQUEST,
		                      "invalid request: \"jsonrpc\" must be \"2.0\"");

	method = json_object_get(req, "method");
	if (method == NULL)
		return error_response(id, QV_RPC_INVALID_REQUEST,
		                      "invalid request: \"method\" is missing; it must be a string "
		                      "naming the method (call rpc.list for the methods)");
	if (!json_is_string(method))
		return error_response(id, QV_RPC_INVALID_REQUEST,
		                      "invalid request: \"method\" must be a string");
	name = json_string_value(method);

	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params))
		return error_response(id, QV_RPC_INVALID_REQUEST,
		                      "invalid request: \"params\" must be an object (qv-switchd "
		                      "methods take named parameters)");

	resp = check_members(req, id);
	if (resp != NULL)
		return resp;

	if (strcmp(name, "rpc.list") == 0) {
		if (notification)
			return NULL;
		return result_response(id, list_methods(methods));
	}

	for (m = methods; m != NULL && m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			break;
	if (m == NULL || m->name == NULL)
		return method_not_found(id, name, methods);
	/* Before the handler runs, so a refused method changes nothing. Answered even for a
	 * notification, as every other error here is: a silent refusal would look like success. */
	if (caller != NULL && !qv_rpc_role_allows(caller->role, m->access))
		return permission_denied(id, m, caller);

	if (params == NULL)
		params = json_object();
	else
		json_incref(params);
	prev_caller = qv_rpc_caller_swap(caller);
	result = m->fn(params, &err, ctx);
	qv_rpc_caller_swap(prev_caller);
	json_decref(params);

	if (result == NULL) {
		if (err.code == 0)
			return error_response(
			    id, QV_RPC_INTERNAL_ERROR,
			    "internal error: method '%s' failed without saying why "
			    "(a bug in the server; please report it)",
			    m->name);
		if (err.message[0] == '\0')
			return error_response(id, err.code, "method '%s' failed (no details given)",
			                      m->name);
		/* Make sure an over-long message from a handler is still a C string. */
		err.message[sizeof(err.message) - 1] = '\0';
		return error_response(id, err.code, "%s", err.message);
	}
	if (notification) {
		json_decref(result);
		return NULL;
	}
	return result_response(id, result);
}

char *qv_rpc_handle_line(const char *line, size_t len, const struct qv_rpc_method *methods,
                         void *ctx)
{
	return qv_rpc_handle_line_as(line, len, methods, ctx, NULL);
}

char *qv_rpc_handle_line_as(const char *line, size_t len, const struct qv_rpc_method *methods,
                            void *ctx, const struct qv_rpc_caller *caller)
{
	const char *nul = memchr(line, '\0', len);
	json_error_t jerr;
	json_t *req;
	char *resp;

	/* jansson would stop at the NUL or report it obscurely; name the byte instead. */
	if (nul != NULL)
		return error_response(
		    NULL, QV_RPC_PARSE_ERROR,
		    "parse error at byte %zu: NUL byte in the request (send UTF-8 "
		    "JSON text, one request per line)",
		    (size_t)(nul - line) + 1);

	/* Duplicate keys are rejected: with {"name":"a","name":"b"} either choice would surprise
	 * someone. JSON_DECODE_ANY lets us say "must be an object" rather than a token error. */
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req == NULL)
		return error_response(NULL, QV_RPC_PARSE_ERROR,
		                      "parse error at line %d column %d: %s", jerr.line,
		                      jerr.column, jerr.text);

	if (json_is_array(req))
		resp =
		    error_response(NULL, QV_RPC_INVALID_REQUEST,
		                   "invalid request: batches are not supported, send one request "
		                   "per line");
	else if (!json_is_object(req))
		resp = error_response(NULL, QV_RPC_INVALID_REQUEST,
		                      "invalid request: a request must be a JSON object such as "
		                      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\"}");
	else
		resp = dispatch(req, methods, ctx, caller);
	json_decref(req);
	return resp;
}

int qv_rpc_check_keys(json_t *params, const char *const *allowed, struct qv_rpc_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(params, key, v)
	{
		bool ok = false;
		char list[256] = "";

		for (int i = 0; allowed[i]; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (ok)
			continue;
		for (int i = 0; allowed[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			         i ? ", " : "", allowed[i]);
		if (list[0])
			qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			            "unknown parameter '%s' (expected one of: %s)", key, list);
		else
			qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
			            "unknown parameter '%s' (this method takes no parameters)",
			            key);
		return -1;
	}
	return 0;
}
