/* qwikvirt: JSON-RPC 2.0 over Unix stream sockets, one request per line (as ovs-appctl does).
 * Shared by qv-switchd, qv-controld (server side) and qvctl (client side). */
#ifndef QV_RPC_H
#define QV_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

/* Requests longer than this (bytes up to and including the newline) are refused with
 * QV_RPC_INVALID_REQUEST and the connection is closed. */
#define QV_RPC_MAX_REQUEST (64 * 1024)

/* JSON-RPC 2.0 error codes. */
#define QV_RPC_PARSE_ERROR (-32700)
#define QV_RPC_INVALID_REQUEST (-32600)
#define QV_RPC_METHOD_NOT_FOUND (-32601)
#define QV_RPC_INVALID_PARAMS (-32602)
#define QV_RPC_INTERNAL_ERROR (-32603)
/* Application errors: the request was well formed but cannot be carried out
 * (unknown port, name taken, device failed to probe...). */
#define QV_RPC_APP_ERROR (-32000)

/* Filled by a method handler that fails: code + a message a person can act on. */
struct qv_rpc_error {
	int code;
	char message[512];
};

/* Sets err and returns NULL: lets handlers write `return qv_rpc_fail(err, CODE, "fmt", ...)`. */
json_t *qv_rpc_fail(struct qv_rpc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For handlers: fails with QV_RPC_INVALID_PARAMS naming the first parameter not in `allowed`
 * (NULL-terminated) and listing the valid ones ("takes no parameters" when there are none).
 * Returns 0 when every parameter is known. */
int qv_rpc_check_keys(json_t *params, const char *const *allowed, struct qv_rpc_error *err);

/* ---- typed parameters (rpc_params.c), for every method of both daemons ---- */

/* A string parameter. NULL when absent (err untouched; an error if required) or not a string
 * (err set): callers that must tell the two apart test err->code. */
const char *qv_rpc_param_str(json_t *params, const char *key, bool required,
                             struct qv_rpc_error *err);
/* An integer lo..hi. 1 = present and valid (*out set), 0 = absent (*out untouched), -1 = wrong
 * type or out of range (err names the parameter and the range). */
int qv_rpc_param_int(json_t *params, const char *key, long long lo, long long hi, long long *out,
                     struct qv_rpc_error *err);
/* A boolean (true/false, not "true"): 1, 0 or -1 as qv_rpc_param_int. */
int qv_rpc_param_bool(json_t *params, const char *key, bool *out, struct qv_rpc_error *err);
/* One of the strings in names (NULL-terminated): *out is its index. 1, 0 or -1. */
int qv_rpc_param_enum(json_t *params, const char *key, const char *const *names, int *out,
                      struct qv_rpc_error *err);

/* A method handler: params is the request's "params" (an object, or an empty object when the
 * request had none; borrowed). Returns a new reference to the result, or NULL with err set. */
typedef json_t *(*qv_rpc_handler_fn)(json_t *params, struct qv_rpc_error *err, void *ctx);

struct qv_rpc_method {
	const char *name; /* "port.add" */
	qv_rpc_handler_fn fn;
	const char *help; /* one line, listed by the built-in "rpc.list" method */
};

/* ---- framing (pure functions, unit-tested) ---- */

/* Handles one request line (without the newline): parses it, validates JSON-RPC 2.0
 * (jsonrpc == "2.0", method a string, params absent or an object, id a string, number or
 * null), dispatches to the method table (NULL-name terminated), and returns the response
 * line to send, as a malloc'd string without the newline. Returns NULL for a notification
 * (no "id") that succeeded: nothing is sent back. Never fails: every problem becomes a JSON-RPC
 * error response naming what is wrong. Built-in method "rpc.list" lists the methods. */
char *qv_rpc_handle_line(const char *line, size_t len, const struct qv_rpc_method *methods,
                         void *ctx);

/* ---- server ---- */

struct qv_rpc_server;

/* Creates the listening socket at path (removing a stale socket file first, refusing if the
 * path exists and is not a socket, or if another server answers on it), mode 0660.
 * Peers are accepted when their uid (SO_PEERCRED) is 0, the server's uid, or their gid is the
 * socket's group. Returns NULL with a message in err on failure. */
struct qv_rpc_server *qv_rpc_server_open(const char *path, const struct qv_rpc_method *methods,
                                         void *ctx, char *err, size_t errlen);

/* Waits up to timeout_ms for activity, then accepts connections and serves every complete
 * request line that has arrived (handlers run in the calling thread). Returns 0, or -1 on a
 * fatal error of the listening socket. */
int qv_rpc_server_poll(struct qv_rpc_server *srv, int timeout_ms);

/* Closes all connections and the listening socket and unlinks the socket file. */
void qv_rpc_server_close(struct qv_rpc_server *srv);

/* ---- client ---- */

/* Calls method with params (a new reference that is consumed; NULL for none) on the server at
 * sock_path and waits up to timeout_ms for the response.
 * Returns 0 and *result (new reference) on success; 1 on a JSON-RPC error (err holds the
 * server's message, *code its code); -1 when the server cannot be reached or answered garbage
 * (err says which, naming the socket path). */
int qv_rpc_call(const char *sock_path, const char *method, json_t *params, int timeout_ms,
                json_t **result, int *code, char *err, size_t errlen);

#endif
