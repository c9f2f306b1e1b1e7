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
/* The caller may not call this method (a reader calling an admin method); nothing was done. */
#define QV_RPC_PERMISSION_DENIED (-32001)

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

/* Who may call a method. The zero value is the safe default: a method nobody marked is admin
 * only, so a new method added to a table without thought cannot be called by a reader. */
enum qv_rpc_access {
	QV_RPC_ADMIN = 0, /* changes what the daemon runs: root, the daemon's uid, --admin-group */
	QV_RPC_READ,      /* shows state (show, stats, trace, capture): also the socket's group */
};

struct qv_rpc_method {
	const char *name; /* "port.add" */
	qv_rpc_handler_fn fn;
	const char *help; /* one line, listed by the built-in "rpc.list" method */
	enum qv_rpc_access access;
};

/* ---- authorisation (rpc_access.c; pure functions, unit-tested) ---- */

/* What a connected peer may do, decided once at accept from SO_PEERCRED + SO_PEERGROUPS. */
enum qv_rpc_role {
	QV_RPC_ROLE_NONE = 0, /* refused at accept */
	QV_RPC_ROLE_READER,   /* read methods only */
	QV_RPC_ROLE_ADMIN,    /* every method */
};

/* The server's side of the decision. */
struct qv_rpc_policy {
	uid_t owner_uid; /* the daemon's effective uid: as trusted as root (it owns the daemon) */
	gid_t read_gid;  /* the socket's group (qwikvirt): readers */
	gid_t admin_gid; /* --admin-group, or QV_RPC_NO_GROUP */
};
#define QV_RPC_NO_GROUP ((gid_t)-1)

/* The peer's side: its effective uid and gid and its supplementary groups at connect(). */
struct qv_rpc_peer {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
};

/* root and owner_uid: admin; a member of admin_gid (primary or supplementary): admin; a member
 * of read_gid (primary or supplementary): reader; anyone else: none. */
enum qv_rpc_role qv_rpc_peer_role(const struct qv_rpc_policy *policy,
                                  const struct qv_rpc_peer *peer);
/* Whether a peer of this role may call a method of this access. */
bool qv_rpc_role_allows(enum qv_rpc_role role, enum qv_rpc_access access);
/* Both in one: uid, gids, method access -> allowed? */
bool qv_rpc_peer_allowed(const struct qv_rpc_policy *policy, const struct qv_rpc_peer *peer,
                         enum qv_rpc_access access);

/* Who sent a request line, for the per-method check in qv_rpc_handle_line_as(). */
struct qv_rpc_caller {
	enum qv_rpc_role role;
	uid_t uid;
	const char *admin_group; /* --admin-group's name for messages, or NULL: root only */
};

/* The caller of the method handler running on this thread, for handlers whose rule depends on
 * who asks (a reader may stop only the captures it started): NULL when the request came from
 * a trusted source (a startup file), which counts as admin. qv_rpc_caller_swap sets it (the
 * dispatcher, around each handler) and returns the previous one. */
const struct qv_rpc_caller *qv_rpc_caller_swap(const struct qv_rpc_caller *caller);
const struct qv_rpc_caller *qv_rpc_current_caller(void);
/* NULL (trusted) or an admin role. */
bool qv_rpc_caller_is_admin(const struct qv_rpc_caller *caller);
/* Its uid; the daemon's own for NULL. */
uid_t qv_rpc_caller_uid(const struct qv_rpc_caller *caller);

/* ---- framing (pure functions, unit-tested) ---- */

/* Handles one request line (without the newline): parses it, validates JSON-RPC 2.0
 * (jsonrpc == "2.0", method a string, params absent or an object, id a string, number or
 * null), dispatches to the method table (NULL-name terminated), and returns the response
 * line to send, as a malloc'd string without the newline. Returns NULL for a notification
 * (no "id") that succeeded: nothing is sent back. Never fails: every problem becomes a JSON-RPC
 * error response naming what is wrong. Built-in method "rpc.list" lists the methods. */
char *qv_rpc_handle_line(const char *line, size_t len, const struct qv_rpc_method *methods,
                         void *ctx);
/* The same, for a request from caller (NULL: trusted, as qv_rpc_handle_line: a startup file).
 * A method the caller's role does not allow is refused with QV_RPC_PERMISSION_DENIED before
 * its handler runs, so it changes nothing. */
char *qv_rpc_handle_line_as(const char *line, size_t len, const struct qv_rpc_method *methods,
                            void *ctx, const struct qv_rpc_caller *caller);

/* ---- server ---- */

/* The group the control sockets belong to: its members may call the read methods. */
#define QV_RPC_READ_GROUP "qwikvirt"

/* Limits that keep any one client from holding the control thread (constants, listed in the
 * daemons' --help):
 * - at most QV_RPC_MAX_CLIENTS connections; the last QV_RPC_ROOT_RESERVED of them only root
 *   (or the daemon's uid) may take, so root can always get in; beyond, refused at accept;
 * - at most QV_RPC_MAX_PER_UID connections per non-root uid;
 * - a request line must be complete within QV_RPC_LINE_TIMEOUT_MS of its first byte;
 * - a connection with nothing pending is closed after QV_RPC_IDLE_TIMEOUT_MS (or what
 *   qv_rpc_server_set_idle_timeout says);
 * - a client is closed when a response is due while more than QV_RPC_MAX_OUTPUT bytes of
 *   earlier responses are still unread, or when its pending output has not moved for
 *   QV_RPC_SEND_TIMEOUT_MS. */
#define QV_RPC_MAX_CLIENTS 256
#define QV_RPC_ROOT_RESERVED 16
#define QV_RPC_MAX_PER_UID 16
#define QV_RPC_LINE_TIMEOUT_MS 5000
#define QV_RPC_IDLE_TIMEOUT_MS 60000
#define QV_RPC_MAX_OUTPUT (1024 * 1024)
#define QV_RPC_SEND_TIMEOUT_MS 10000

/* For the daemons' --help: the paragraph above, for people. */
#define QV_RPC_HELP_ACCESS                                                                         \
	"Access, checked per method from the caller's credentials: root (and members of\n"         \
	"--admin-group) may call every method; members of the socket's group\n"                    \
	"(" QV_RPC_READ_GROUP ", primary or supplementary) may call the read methods (show,\n"     \
	"stats, trace, capture; rpc.list marks each); anyone else is refused.\n"                   \
	"Limits: 16 connections per non-root uid, 256 in all (the last 16 for root); a\n"          \
	"request line must be complete within 5 s; idle connections are closed at 60 s;\n"         \
	"a client is closed when it asks for more with over 1 MiB of answers unread, or\n"         \
	"when its answers have waited 10 s without it reading any.\n"

struct qv_rpc_server;

/* Creates the listening socket at path, mode 0660, group QV_RPC_READ_GROUP when that group
 * exists (else the daemon's group). Refuses a parent directory (or any directory above it)
 * that is not owned by root or the daemon's uid, or that others may write to without the
 * sticky bit; takes an exclusive lock on path.lock (a second daemon on the same path is
 * refused); removes a stale socket file, refusing if the path exists and is not a socket or
 * if another server answers on it.
 * Peers are authorised from SO_PEERCRED (qv_rpc_peer_role): root, the daemon's uid and members
 * of the admin group may call everything, members of the socket's group the read methods,
 * anyone else is refused at accept. Returns NULL with a message in err on failure. */
struct qv_rpc_server *qv_rpc_server_open(const char *path, const struct qv_rpc_method *methods,
                                         void *ctx, char *err, size_t errlen);

/* --admin-group GROUP: members of GROUP may call every method too. They must also be able to
 * connect: in the socket's group as well, or GROUP is that group. Returns -1 with err naming
 * the group when there is no such group. */
int qv_rpc_server_set_admin_group(struct qv_rpc_server *srv, const char *group, char *err,
                                  size_t errlen);

/* A connection with nothing pending is closed after ms (qv-switchd --rpc-idle-timeout). */
void qv_rpc_server_set_idle_timeout(struct qv_rpc_server *srv, unsigned ms);

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
