/* qwikvirt: unit tests for the JSON-RPC layer: framing rules (qv_rpc_handle_line) and a real
 * server + client over a Unix socket in a temporary directory, served from a pthread.
 * Long because it is a flat list of cases (framing, typed parameters, server behaviour). */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control/rpc/rpc.h"
#include "tests/unit/qv_unit.h"

/* Generous: only reached when something is broken, and a loaded CI box must not flake. */
#define DEADLINE_MS 5000

/* ---- method table used by every test ---- */

static json_t *m_echo(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)err;
	(void)ctx;
	return json_deep_copy(params);
}

static json_t *m_fail(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)params;
	(void)ctx;
	return qv_rpc_fail(err, QV_RPC_APP_ERROR, "port '%s' not found (see port.list)", "vhost9");
}

static json_t *m_null(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)params;
	(void)err;
	(void)ctx;
	return NULL;
}

/* Checks its params as a real handler would: a and b integers. */
static json_t *m_add(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	json_t *a = json_object_get(params, "a"), *b = json_object_get(params, "b");

	if (ctx != NULL)
		(*(int *)ctx)++;
	if (!json_is_integer(a) || !json_is_integer(b))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "\"a\" and \"b\" must be integers");
	return json_pack("{s:I}", "sum", json_integer_value(a) + json_integer_value(b));
}

/* Returns a string of params.n bytes: used to make a client's unread output grow. */
static json_t *m_big(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	size_t n = (size_t)json_integer_value(json_object_get(params, "n"));
	char *s = malloc(n + 1);
	json_t *r;

	(void)ctx;
	if (s == NULL)
		return qv_rpc_fail(err, QV_RPC_INTERNAL_ERROR, "out of memory");
	memset(s, 'x', n);
	s[n] = '\0';
	r = json_pack("{s:s}", "s", s);
	free(s);
	return r;
}

static const struct qv_rpc_method methods[] = {
    {"echo", m_echo, "returns its params"},
    {"fail", m_fail, "always fails"},
    {"null", m_null, "returns NULL without an error (a buggy handler)"},
    {"add", m_add, "adds a and b"},
    {"big", m_big, "returns a string of n bytes"},
    {NULL, NULL, NULL},
};

#define ECHO1 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}"
#define ANSWER5 "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}\n"

/* ---- framing helpers ---- */

static json_t *handle(const char *line)
{
	char *s = qv_rpc_handle_line(line, strlen(line), methods, NULL);
	json_t *r;

	if (s == NULL)
		return NULL;
	CU_ASSERT_PTR_NULL(strchr(s, '\n'));
	r = json_loads(s, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(r);
	free(s);
	return r;
}

/* Asserts r is an error response with code and a message containing every given word. */
static void check_error(json_t *r, int code, const char *w1, const char *w2)
{
	json_t *e = json_object_get(r, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	CU_ASSERT_PTR_NULL(json_object_get(r, "result"));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "code")), code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	if (w1 != NULL && strstr(msg, w1) == NULL) {
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", msg, w1);
		CU_FAIL("message lacks a key word");
	}
	if (w2 != NULL && strstr(msg, w2) == NULL) {
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", msg, w2);
		CU_FAIL("message lacks a key word");
	}
}

static void expect_error(const char *line, int code, bool id_null, const char *w1, const char *w2)
{
	json_t *r = handle(line);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	check_error(r, code, w1, w2);
	if (id_null)
		CU_ASSERT_TRUE(json_is_null(json_object_get(r, "id")));
	json_decref(r);
}

/* ---- framing tests ---- */

static void test_valid_call(void)
{
	json_t *r =
	    handle("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\",\"params\":{\"x\":1}}");
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 7);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "result"), "x")), 1);
	CU_ASSERT_PTR_NULL(json_object_get(r, "error"));
	json_decref(r);

	/* Exact bytes: compact, one line, the members a client expects. */
	s = qv_rpc_handle_line(ECHO1, strlen(ECHO1), methods, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
	free(s);
}

static void test_id_types(void)
{
	json_t *r = handle("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"echo\"}");

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "id")), "abc");
	json_decref(r);
	r = handle("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"echo\"}");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(r, "id")), 1.5, 1e-9);
	json_decref(r);
	r = handle("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"echo\"}");
	CU_ASSERT_TRUE(json_is_null(json_object_get(r, "id")));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"echo\"}", QV_RPC_INVALID_REQUEST,
	             true, "\"id\"", "string, a number or null");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"echo\"}", QV_RPC_INVALID_REQUEST,
	             true, "\"id\"", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"echo\"}",
	             QV_RPC_INVALID_REQUEST, true, "\"id\"", NULL);
}

static void test_notification(void)
{
	int calls = 0;
	const char *ok = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"b\":2}}";
	const char *bad = "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1}}";
	char *s;

	s = qv_rpc_handle_line(ok, strlen(ok), methods, &calls);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(calls, 1); /* run, just not answered */
	/* A failed notification is still reported (id null): silence would hide the error. */
	s = qv_rpc_handle_line(bad, strlen(bad), methods, &calls);
	CU_ASSERT_PTR_NOT_NULL(s);
	free(s);
}

static void test_parse_errors(void)
{
	char nul[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}";
	char *s;
	json_t *r;

	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,}", QV_RPC_PARSE_ERROR, true,
	             "parse error at line 1 column", "expected");
	expect_error("{\"jsonrpc\":", QV_RPC_PARSE_ERROR, true, "parse error", NULL);
	expect_error("hello", QV_RPC_PARSE_ERROR, true, "parse error", NULL);
	expect_error("{\"a\":1,\"a\":2}", QV_RPC_PARSE_ERROR, true, "duplicate", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"e\\u0000cho\"}",
	             QV_RPC_PARSE_ERROR, true, "parse error", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}", QV_RPC_PARSE_ERROR, true,
	             "parse error", NULL);

	/* A raw NUL inside the line (length passed explicitly). */
	nul[20] = '\0';
	s = qv_rpc_handle_line(nul, sizeof(nul) - 1, methods, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	r = json_loads(s, 0, NULL);
	check_error(r, QV_RPC_PARSE_ERROR, "NUL", "byte 21");
	json_decref(r);
	free(s);

	/* Only len bytes are read: trailing garbage past len is never looked at. */
	s = qv_rpc_handle_line(ECHO1 "garbage", strlen(ECHO1), methods, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"result\""));
	free(s);
}

static void test_invalid_requests(void)
{
	expect_error("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}]", QV_RPC_INVALID_REQUEST,
	             true, "batches are not supported", "one request per line");
	expect_error("[]", QV_RPC_INVALID_REQUEST, true, "batches", NULL);
	expect_error("42", QV_RPC_INVALID_REQUEST, true, "must be a JSON object", NULL);
	expect_error("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"echo\"}", QV_RPC_INVALID_REQUEST,
	             false, "\"jsonrpc\" must be \"2.0\"", NULL);
	expect_error("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"echo\"}", QV_RPC_INVALID_REQUEST,
	             false, "\"jsonrpc\" must be \"2.0\"", NULL);
	expect_error("{\"id\":1,\"method\":\"echo\"}", QV_RPC_INVALID_REQUEST, false, "\"jsonrpc\"",
	             "missing");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", QV_RPC_INVALID_REQUEST, false,
	             "\"method\" must be a string", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1}", QV_RPC_INVALID_REQUEST, false, "\"method\"",
	             "missing");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"param\":{}}",
	             QV_RPC_INVALID_REQUEST, false, "unknown member", "\"param\"");

	/* The error still carries the request's id when it could be read. */
	json_t *r = handle("{\"jsonrpc\":\"1.0\",\"id\":\"q\",\"method\":\"echo\"}");

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "id")), "q");
	json_decref(r);
}

static void test_params_not_object(void)
{
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1,2]}",
	             QV_RPC_INVALID_REQUEST, false, "\"params\" must be an object",
	             "named parameters");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":null}",
	             QV_RPC_INVALID_REQUEST, false, "\"params\" must be an object", NULL);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":\"x\"}",
	             QV_RPC_INVALID_REQUEST, false, "\"params\" must be an object", NULL);
}

static void test_unknown_method(void)
{
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ech\"}", QV_RPC_METHOD_NOT_FOUND,
	             false, "method not found: 'ech'", "did you mean 'echo'");
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.delete.everything\"}",
	             QV_RPC_METHOD_NOT_FOUND, false, "'port.delete.everything'",
	             "call rpc.list for the methods");

	/* A huge name is cut in the message rather than echoed whole. */
	size_t n = 10000;
	char *line = malloc(n + 64);
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	int off = sprintf(line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"");
	memset(line + off, 'm', n);
	strcpy(line + off + n, "\"}");
	s = qv_rpc_handle_line(line, strlen(line), methods, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(strlen(s) < 1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "-32601"));
	free(s);
	free(line);
}

static void test_rpc_list(void)
{
	json_t *r = handle("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\"}");
	json_t *arr = json_object_get(json_object_get(r, "result"), "methods");
	bool seen_echo = false, seen_list = false;
	size_t i;
	json_t *m;

	CU_ASSERT_TRUE_FATAL(json_is_array(arr));
	json_array_foreach(arr, i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *help = json_string_value(json_object_get(m, "help"));

		CU_ASSERT_PTR_NOT_NULL_FATAL(name);
		CU_ASSERT_PTR_NOT_NULL(help);
		if (strcmp(name, "echo") == 0) {
			seen_echo = true;
			CU_ASSERT_STRING_EQUAL(help, "returns its params");
		}
		seen_list = seen_list || strcmp(name, "rpc.list") == 0;
	}
	CU_ASSERT_EQUAL(json_array_size(arr), 6);
	CU_ASSERT_TRUE(seen_echo);
	CU_ASSERT_TRUE(seen_list);
	json_decref(r);
}

static void test_handler_errors(void)
{
	json_t *r = handle("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"fail\"}");

	check_error(r, QV_RPC_APP_ERROR, "port 'vhost9' not found (see port.list)", NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 3);
	json_decref(r);

	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"null\"}", QV_RPC_INTERNAL_ERROR,
	             false, "internal error", "'null'");
}

static void test_handler_params(void)
{
	int calls = 0;
	const char *line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":2,"
	                   "\"b\":40}}";
	char *s = qv_rpc_handle_line(line, strlen(line), methods, &calls);

	CU_ASSERT_STRING_EQUAL(s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"sum\":42}}");
	CU_ASSERT_EQUAL(calls, 1); /* ctx is passed through */
	free(s);
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":\"2\"}}",
	             QV_RPC_INVALID_PARAMS, false, "\"a\" and \"b\" must be integers", NULL);
	/* No params: the handler sees an empty object, not NULL. */
	expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\"}", QV_RPC_INVALID_PARAMS,
	             false, "integers", NULL);
}

static void test_fail_helper(void)
{
	struct qv_rpc_error err = {0};
	char longer[1000];

	CU_ASSERT_PTR_NULL(qv_rpc_fail(&err, QV_RPC_APP_ERROR, "x=%d", 5));
	CU_ASSERT_EQUAL(err.code, QV_RPC_APP_ERROR);
	CU_ASSERT_STRING_EQUAL(err.message, "x=5");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	qv_rpc_fail(&err, 1, "%s", longer);
	CU_ASSERT_EQUAL(strlen(err.message), sizeof(err.message) - 1);
}

/* ---- typed parameter helpers (rpc_params.c) ---- */

static json_t *P; /* the params of the test at hand */

static void params(const char *text)
{
	json_decref(P);
	P = json_loads(text, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(P);
}

/* Asserts err is an invalid-params error whose message contains want, and clears it. */
static void check_invalid(struct qv_rpc_error *err, const char *want)
{
	CU_ASSERT_EQUAL(err->code, QV_RPC_INVALID_PARAMS);
	if (strstr(err->message, want) == NULL) {
		fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", err->message, want);
		CU_FAIL("message lacks what it must say");
	}
	*err = (struct qv_rpc_error){0};
}

static void test_param_str(void)
{
	struct qv_rpc_error err = {0};

	params("{\"name\": \"fw-0\", \"n\": 5}");
	CU_ASSERT_STRING_EQUAL(qv_rpc_param_str(P, "name", true, &err), "fw-0");
	CU_ASSERT_EQUAL(err.code, 0);
	/* absent and optional: NULL with err untouched, so callers can tell it from a wrong type */
	CU_ASSERT_PTR_NULL(qv_rpc_param_str(P, "tag", false, &err));
	CU_ASSERT_EQUAL(err.code, 0);
	CU_ASSERT_PTR_NULL(qv_rpc_param_str(P, "tag", true, &err));
	check_invalid(&err, "missing parameter 'tag'");
	CU_ASSERT_PTR_NULL(qv_rpc_param_str(P, "n", false, &err));
	check_invalid(&err, "parameter 'n' must be a string");
}

static void test_param_int(void)
{
	struct qv_rpc_error err = {0};
	long long v = 77;

	params("{\"t\": 0, \"max\": 3600, \"neg\": -1, \"big\": 3601, \"s\": \"5\", \"f\": 1.5, "
	       "\"b\": true}");
	CU_ASSERT_EQUAL(qv_rpc_param_int(P, "absent", 0, 3600, &v, &err), 0);
	CU_ASSERT_EQUAL(v, 77); /* absent: the caller's default stays */
	CU_ASSERT_EQUAL(qv_rpc_param_int(P, "t", 0, 3600, &v, &err), 1);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(qv_rpc_param_int(P, "max", 0, 3600, &v, &err), 1);
	CU_ASSERT_EQUAL(v, 3600);
	CU_ASSERT_EQUAL(err.code, 0);
	/* vm.stop {"timeout_s": -1} once waited 2^32-1 ms, 49 days */
	v = 77;
	CU_ASSERT_EQUAL(qv_rpc_param_int(P, "neg", 0, 3600, &v, &err), -1);
	check_invalid(&err, "parameter 'neg' must be an integer 0..3600");
	CU_ASSERT_EQUAL(v, 77);
	CU_ASSERT_EQUAL(qv_rpc_param_int(P, "big", 0, 3600, &v, &err), -1);
	check_invalid(&err, "'big' must be an integer 0..3600");
	for (const char *const *k = (const char *const[]){"s", "f", "b", NULL}; *k; k++) {
		CU_ASSERT_EQUAL(qv_rpc_param_int(P, *k, 0, 3600, &v, &err), -1);
		check_invalid(&err, "must be an integer");
	}
	CU_ASSERT_EQUAL(v, 77);
}

static void test_param_bool(void)
{
	struct qv_rpc_error err = {0};
	bool b = false;

	params("{\"yes\": true, \"no\": false, \"s\": \"true\", \"one\": 1, \"nul\": null}");
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "absent", &b, &err), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "yes", &b, &err), 1);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "no", &b, &err), 1);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(err.code, 0);
	/* apply {"check": "true"} once applied the file instead of only planning */
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "s", &b, &err), -1);
	check_invalid(&err, "parameter 's' must be true or false");
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "one", &b, &err), -1);
	check_invalid(&err, "'one' must be true or false");
	CU_ASSERT_EQUAL(qv_rpc_param_bool(P, "nul", &b, &err), -1);
	check_invalid(&err, "'nul' must be true or false");
	CU_ASSERT_FALSE(b);
}

static void test_param_enum(void)
{
	static const char *const two[] = {"drop", "l2", NULL};
	static const char *const three[] = {"rx", "tx", "both", NULL};
	struct qv_rpc_error err = {0};
	int i = -5;

	params("{\"d\": \"l2\", \"bad\": \"flood\", \"num\": 2, \"dir\": \"up\"}");
	CU_ASSERT_EQUAL(qv_rpc_param_enum(P, "absent", two, &i, &err), 0);
	CU_ASSERT_EQUAL(i, -5);
	CU_ASSERT_EQUAL(qv_rpc_param_enum(P, "d", two, &i, &err), 1);
	CU_ASSERT_EQUAL(i, 1);
	CU_ASSERT_EQUAL(err.code, 0);
	CU_ASSERT_EQUAL(qv_rpc_param_enum(P, "bad", two, &i, &err), -1);
	check_invalid(&err, "parameter 'bad' must be \"drop\" or \"l2\", not \"flood\"");
	CU_ASSERT_EQUAL(qv_rpc_param_enum(P, "num", two, &i, &err), -1);
	check_invalid(&err, "parameter 'num' must be \"drop\" or \"l2\"");
	CU_ASSERT_EQUAL(qv_rpc_param_enum(P, "dir", three, &i, &err), -1);
	check_invalid(&err, "must be \"rx\", \"tx\" or \"both\", not \"up\"");
	CU_ASSERT_EQUAL(i, 1);
}

static int params_clean(void)
{
	json_decref(P);
	P = NULL;
	return 0;
}

/* ---- authorisation: the decision (pure) and its use per method ---- */

#define G_QWIKVIRT 990
#define G_ADMINS 991

static const struct qv_rpc_policy POLICY = {
    .owner_uid = 0, .read_gid = G_QWIKVIRT, .admin_gid = G_ADMINS};

static enum qv_rpc_role role_of(const struct qv_rpc_policy *pol, uid_t uid, gid_t gid,
                                const gid_t *groups, size_t n)
{
	struct qv_rpc_peer peer = {.uid = uid, .gid = gid, .groups = groups, .n_groups = n};

	return qv_rpc_peer_role(pol, &peer);
}

static bool may(const struct qv_rpc_policy *pol, uid_t uid, gid_t gid, const gid_t *groups,
                size_t n, enum qv_rpc_access access)
{
	struct qv_rpc_peer peer = {.uid = uid, .gid = gid, .groups = groups, .n_groups = n};

	return qv_rpc_peer_allowed(pol, &peer, access);
}

static void test_access_decision(void)
{
	const gid_t supp_member[] = {1001, 27, G_QWIKVIRT};
	const gid_t supp_other[] = {1002, 27, 100};
	const gid_t supp_admin[] = {G_QWIKVIRT, G_ADMINS};
	const gid_t only_admin[] = {G_ADMINS};
	struct qv_rpc_policy no_admin = POLICY, owner = POLICY;

	no_admin.admin_gid = QV_RPC_NO_GROUP;
	owner.owner_uid = 1000;

	/* root: everything, whatever its groups */
	CU_ASSERT_TRUE(may(&POLICY, 0, 0, NULL, 0, QV_RPC_ADMIN));
	CU_ASSERT_TRUE(may(&POLICY, 0, 0, NULL, 0, QV_RPC_READ));
	/* the daemon's own uid is as trusted as root */
	CU_ASSERT_EQUAL(role_of(&owner, 1000, 1000, NULL, 0), QV_RPC_ROLE_ADMIN);
	CU_ASSERT_EQUAL(role_of(&POLICY, 1000, 1000, NULL, 0), QV_RPC_ROLE_NONE);
	/* a member by primary group reads, does not change */
	CU_ASSERT_TRUE(may(&POLICY, 1001, G_QWIKVIRT, NULL, 0, QV_RPC_READ));
	CU_ASSERT_FALSE(may(&POLICY, 1001, G_QWIKVIRT, NULL, 0, QV_RPC_ADMIN));
	/* a member whose primary group is not qwikvirt (usermod -aG): the same */
	CU_ASSERT_EQUAL(role_of(&POLICY, 1001, 1001, supp_member, 3), QV_RPC_ROLE_READER);
	CU_ASSERT_TRUE(may(&POLICY, 1001, 1001, supp_member, 3, QV_RPC_READ));
	CU_ASSERT_FALSE(may(&POLICY, 1001, 1001, supp_member, 3, QV_RPC_ADMIN));
	/* a non-member: nothing */
	CU_ASSERT_EQUAL(role_of(&POLICY, 1002, 1002, supp_other, 3), QV_RPC_ROLE_NONE);
	CU_ASSERT_FALSE(may(&POLICY, 1002, 1002, supp_other, 3, QV_RPC_READ));
	CU_ASSERT_FALSE(may(&POLICY, 1002, 1002, supp_other, 3, QV_RPC_ADMIN));
	/* --admin-group: its members change, by supplementary or primary group, even when not
	 * in the read group */
	CU_ASSERT_TRUE(may(&POLICY, 1003, 1003, supp_admin, 2, QV_RPC_ADMIN));
	CU_ASSERT_TRUE(may(&POLICY, 1003, 1003, only_admin, 1, QV_RPC_READ));
	CU_ASSERT_TRUE(may(&POLICY, 1003, G_ADMINS, NULL, 0, QV_RPC_ADMIN));
	/* without --admin-group, being in "group -1" grants nothing */
	CU_ASSERT_FALSE(may(&no_admin, 1003, 1003, supp_admin, 2, QV_RPC_ADMIN));
	CU_ASSERT_EQUAL(role_of(&no_admin, 1004, QV_RPC_NO_GROUP, NULL, 0), QV_RPC_ROLE_NONE);
	/* the role table itself */
	CU_ASSERT_FALSE(qv_rpc_role_allows(QV_RPC_ROLE_NONE, QV_RPC_READ));
	CU_ASSERT_TRUE(qv_rpc_role_allows(QV_RPC_ROLE_READER, QV_RPC_READ));
	CU_ASSERT_FALSE(qv_rpc_role_allows(QV_RPC_ROLE_READER, QV_RPC_ADMIN));
	CU_ASSERT_TRUE(qv_rpc_role_allows(QV_RPC_ROLE_ADMIN, QV_RPC_ADMIN));
}

static const struct qv_rpc_method access_methods[] = {
    {"show", m_echo, "a read method", QV_RPC_READ},
    {"add", m_add, "a method left unmarked: admin only"},
    {NULL, NULL, NULL},
};

static json_t *handle_as(const char *line, const struct qv_rpc_caller *caller, int *calls)
{
	char *s = qv_rpc_handle_line_as(line, strlen(line), access_methods, calls, caller);
	json_t *r = s != NULL ? json_loads(s, 0, NULL) : NULL;

	free(s);
	CU_ASSERT_PTR_NOT_NULL(r);
	return r;
}

static void test_access_per_method(void)
{
	const char *add = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":1,"
	                  "\"b\":2}}";
	const char *show = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"show\"}";
	const char *list = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"rpc.list\"}";
	struct qv_rpc_caller reader = {.role = QV_RPC_ROLE_READER, .uid = 1001};
	struct qv_rpc_caller reader_g = {
	    .role = QV_RPC_ROLE_READER, .uid = 1001, .admin_group = "qvadmin"};
	struct qv_rpc_caller admin = {.role = QV_RPC_ROLE_ADMIN, .uid = 1003};
	struct qv_rpc_caller nobody = {.role = QV_RPC_ROLE_NONE, .uid = 1002};
	struct qv_rpc_method unmarked = {"x", m_echo, "x"};
	int calls = 0;
	size_t i;
	json_t *r, *m;

	/* The zero value is the safe default. */
	CU_ASSERT_EQUAL(unmarked.access, QV_RPC_ADMIN);

	/* A reader calling an admin method: refused, the handler never ran. */
	r = handle_as(add, &reader, &calls);
	check_error(r, QV_RPC_PERMISSION_DENIED, "permission denied: add changes",
	            "only root may call it");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	CU_ASSERT_EQUAL(calls, 0);
	r = handle_as(add, &reader_g, &calls);
	check_error(r, QV_RPC_PERMISSION_DENIED,
	            "only root or members of group qvadmin may call it", "uid 1001");
	json_decref(r);
	CU_ASSERT_EQUAL(calls, 0);
	/* ... and as a notification: still refused, still not run. */
	r = handle_as("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":1,\"b\":2}}",
	              &reader, &calls);
	check_error(r, QV_RPC_PERMISSION_DENIED, "permission denied", NULL);
	json_decref(r);
	CU_ASSERT_EQUAL(calls, 0);

	/* A reader calling a read method, and rpc.list, which marks each method's access. */
	r = handle_as(show, &reader, &calls);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	r = handle_as(list, &reader, &calls);
	json_array_foreach(json_object_get(json_object_get(r, "result"), "methods"), i, m)
	{
		const char *name = json_string_value(json_object_get(m, "name"));
		const char *access = json_string_value(json_object_get(m, "access"));

		CU_ASSERT_PTR_NOT_NULL_FATAL(access);
		CU_ASSERT_STRING_EQUAL(access, strcmp(name, "add") == 0 ? "admin" : "read");
	}
	CU_ASSERT_EQUAL(i, 3);
	json_decref(r);

	/* An admin, and a trusted caller (NULL: a startup file), call anything. */
	r = handle_as(add, &admin, &calls);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(r, "result"), "sum")),
	                3);
	json_decref(r);
	r = handle_as(add, NULL, &calls);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	CU_ASSERT_EQUAL(calls, 2);

	/* No role at all (the server refuses such peers at accept): not even reads. */
	r = handle_as(show, &nobody, &calls);
	check_error(r, QV_RPC_PERMISSION_DENIED, "permission denied", NULL);
	json_decref(r);
}

/* ---- server fixture ---- */

static char tmpdir[64];
static char sock_path[100];
static struct qv_rpc_server *srv;
static pthread_t srv_thread;
static atomic_bool srv_stop;

static void *serve(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv_stop))
		if (qv_rpc_server_poll(srv, 20) != 0)
			break;
	return NULL;
}

static int server_suite_init(void)
{
	char err[256];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/qv-rpc-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* A subdirectory that does not exist yet: the server must create it. */
	snprintf(sock_path, sizeof(sock_path), "%s/run/switchd.sock", tmpdir);
	srv = qv_rpc_server_open(sock_path, methods, NULL, err, sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "server_open: %s\n", err);
		return -1;
	}
	atomic_store(&srv_stop, false);
	return pthread_create(&srv_thread, NULL, serve, NULL) == 0 ? 0 : -1;
}

static int server_suite_clean(void)
{
	char cmd[128];

	atomic_store(&srv_stop, true);
	pthread_join(srv_thread, NULL);
	qv_rpc_server_close(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the server may close early (oversized request): fine */
		buf += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/* Reads until EOF, nlines newlines (-1: until EOF), or timeout_ms. Returns a malloc'd buffer;
 * *eof tells whether the server closed the connection. */
static char *read_lines_within(int fd, int nlines, int timeout_ms, bool *eof, size_t *lenp)
{
	long long deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int seen = 0;

	*eof = false;
	while (buf != NULL && (nlines < 0 || seen < nlines)) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		if (len + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (buf == NULL)
				break;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0) {
			*eof = true;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			seen += buf[len + i] == '\n';
		len += (size_t)n;
	}
	if (buf != NULL)
		buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static char *read_lines(int fd, int nlines, bool *eof, size_t *lenp)
{
	return read_lines_within(fd, nlines, DEADLINE_MS, eof, lenp);
}

/* ---- server/client tests ---- */

static void test_call_success(void)
{
	json_t *result = NULL;
	char err[256] = "";
	int code = 0;
	int rc = qv_rpc_call(sock_path, "add", json_pack("{s:i, s:i}", "a", 20, "b", 22),
	                     DEADLINE_MS, &result, &code, err, sizeof(err));

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(result, "sum")), 42);
	json_decref(result);

	/* No params at all. */
	rc =
	    qv_rpc_call(sock_path, "rpc.list", NULL, DEADLINE_MS, &result, &code, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_TRUE(json_is_array(json_object_get(result, "methods")));
	json_decref(result);
}

static void test_call_method_error(void)
{
	json_t *result = NULL;
	char err[256] = "";
	int code = 0;
	int rc =
	    qv_rpc_call(sock_path, "fail", NULL, DEADLINE_MS, &result, &code, err, sizeof(err));

	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL(code, QV_RPC_APP_ERROR);
	CU_ASSERT_STRING_EQUAL(err, "port 'vhost9' not found (see port.list)");
	CU_ASSERT_PTR_NULL(result);

	rc = qv_rpc_call(sock_path, "port.ad", NULL, DEADLINE_MS, &result, &code, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL(code, QV_RPC_METHOD_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "port.ad"));

	rc = qv_rpc_call(sock_path, "echo", json_pack("[i]", 1), DEADLINE_MS, &result, &code, err,
	                 sizeof(err));
	CU_ASSERT_EQUAL(rc, 1);
	CU_ASSERT_EQUAL(code, QV_RPC_INVALID_REQUEST);
}

static void test_two_requests_one_write(void)
{
	const char *reqs = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":1,"
	                   "\"b\":1}}\r\n\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\","
	                   "\"params\":{\"a\":2,\"b\":2}}\n";
	int fd = raw_connect(sock_path);
	bool eof;
	char *out;

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	write_all(fd, reqs, strlen(reqs));
	out = read_lines(fd, 2, &eof, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"sum\":2}}\n"
	                            "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"sum\":4}}\n");
	free(out);
	/* The connection stays usable for more requests. */
	send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\"}\n");
	out = read_lines(fd, 1, &eof, NULL);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n");
	free(out);
	close(fd);
}

static void test_split_request(void)
{
	const char *req =
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"echo\",\"params\":{\"k\":\"v\"}}\n";
	size_t len = strlen(req);
	struct pollfd pfd;
	int fd = raw_connect(sock_path);
	bool eof;
	char *out;

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	write_all(fd, req, 10);
	/* Nothing may come back for half a request (a short poll, not a sleep: it only has to
	 * give the server a chance to misbehave). */
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&pfd, 1, 100), 0);
	write_all(fd, req + 10, 20);
	write_all(fd, req + 30, len - 30);
	out = read_lines(fd, 1, &eof, NULL);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"k\":\"v\"}}\n");
	free(out);
	close(fd);
}

/* A request line of exactly total bytes including the newline. */
static char *request_of_size(size_t total)
{
	const char *head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"s\":\"";
	const char *tail = "\"}}\n";
	char *s = malloc(total + 1);
	size_t hl = strlen(head), tl = strlen(tail);

	memcpy(s, head, hl);
	memset(s + hl, 'y', total - hl - tl);
	memcpy(s + total - tl, tail, tl + 1);
	return s;
}

static void test_request_size_limit(void)
{
	char *req = request_of_size(QV_RPC_MAX_REQUEST);
	int fd = raw_connect(sock_path);
	json_t *r;
	bool eof;
	char *out;

	/* Exactly at the limit (newline included): served. */
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	write_all(fd, req, QV_RPC_MAX_REQUEST);
	out = read_lines(fd, 1, &eof, NULL);
	CU_ASSERT_FALSE(eof);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"result\""));
	free(out);
	close(fd);
	free(req);

	/* One byte over, preceded by a good request in the same stream: the good one is
	 * answered, then the error, then the connection is closed. */
	req = request_of_size(QV_RPC_MAX_REQUEST + 1);
	fd = raw_connect(sock_path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\"}\n");
	write_all(fd, req, QV_RPC_MAX_REQUEST + 1);
	out = read_lines(fd, -1, &eof, NULL);
	CU_ASSERT_TRUE(eof);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(strncmp(out, ANSWER5, strlen(ANSWER5)), 0);
	r = json_loads(out + strlen(ANSWER5), JSON_DISABLE_EOF_CHECK, NULL);
	check_error(r, QV_RPC_INVALID_REQUEST, "request larger than 65536 bytes", NULL);
	json_decref(r);
	free(out);
	close(fd);
	free(req);

	/* A flood with no newline at all (bigger than the socket buffers). */
	req = malloc(1 << 20);
	memset(req, '{', 1 << 20);
	fd = raw_connect(sock_path);
	write_all(fd, req, 1 << 20);
	out = read_lines(fd, -1, &eof, NULL);
	CU_ASSERT_TRUE(eof);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "larger than 65536"));
	free(out);
	close(fd);
	free(req);
}

static void test_silent_client(void)
{
	json_t *result = NULL;
	char err[256];
	int code, fd;

	fd = raw_connect(sock_path);
	CU_ASSERT_TRUE(fd >= 0);
	close(fd);
	/* Half a request, then gone. */
	fd = raw_connect(sock_path);
	send_str(fd, "{\"jsonrpc\":");
	close(fd);
	/* A request, then gone before the answer: the server's send must not SIGPIPE it. */
	fd = raw_connect(sock_path);
	send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\"}\n");
	close(fd);
	CU_ASSERT_EQUAL(
	    qv_rpc_call(sock_path, "echo", NULL, DEADLINE_MS, &result, &code, err, sizeof(err)), 0);
	json_decref(result);
}

static void test_half_closed_client(void)
{
	int fd = raw_connect(sock_path);
	bool eof;
	char *out;

	/* printf '...' | socat: no final newline, write side shut. */
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"echo\"}");
	shutdown(fd, SHUT_WR);
	out = read_lines(fd, -1, &eof, NULL);
	CU_ASSERT_TRUE(eof);
	CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n");
	free(out);
	close(fd);
}

static void test_non_reading_client_dropped(void)
{
	/* 24 answers of 1 MiB each, never read: more than the 16 MiB the server will hold. */
	const char *req =
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"big\",\"params\":{\"n\":1048576}}\n";
	size_t rl = strlen(req), got;
	char *batch = malloc(rl * 24);
	json_t *result = NULL;
	char err[256], *out;
	int fd = raw_connect(sock_path), code;
	bool eof;

	for (int i = 0; i < 24; i++)
		memcpy(batch + i * rl, req, rl);
	write_all(fd, batch, rl * 24);
	free(batch);
	/* This call is the synchronisation point: the single-threaded server answers it only
	 * after handling the batch, which it read first. Encoding 16 MiB of answers takes
	 * jansson most of a second, hence a generous deadline for loaded machines. */
	CU_ASSERT_EQUAL(
	    qv_rpc_call(sock_path, "echo", NULL, 60000, &result, &code, err, sizeof(err)), 0);
	json_decref(result);
	out = read_lines(fd, -1, &eof, &got);
	CU_ASSERT_TRUE(eof);
	CU_ASSERT_TRUE(got < 24u * 1048576);
	free(out);
	close(fd);
	/* The server is unharmed. */
	CU_ASSERT_EQUAL(
	    qv_rpc_call(sock_path, "echo", NULL, DEADLINE_MS, &result, &code, err, sizeof(err)), 0);
	json_decref(result);
}

static void test_too_many_clients(void)
{
	static int fds[QV_RPC_MAX_CLIENTS];
	int extra, n = 0;
	json_t *result = NULL;
	char err[256], *out;
	bool eof;
	int code;

	/* Root may fill every slot (no per-uid cap, the reserve is its own); making sure each
	 * one is really accepted (answered). */
	for (n = 0; n < QV_RPC_MAX_CLIENTS; n++) {
		fds[n] = raw_connect(sock_path);
		if (fds[n] < 0)
			break;
		send_str(fds[n], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}\n");
		out = read_lines(fds[n], 1, &eof, NULL);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "result"));
		free(out);
	}
	CU_ASSERT_EQUAL_FATAL(n, QV_RPC_MAX_CLIENTS);
	/* One more is refused at accept, with a reason, not left pending. */
	extra = raw_connect(sock_path);
	CU_ASSERT_TRUE_FATAL(extra >= 0);
	out = read_lines(extra, -1, &eof, NULL);
	CU_ASSERT_TRUE(eof);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "too many clients"));
	free(out);
	close(extra);
	/* Freeing one slot lets the next client in. */
	close(fds[0]);
	if (qv_rpc_call(sock_path, "echo", NULL, DEADLINE_MS, &result, &code, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "\n%s\n", err);
		CU_FAIL("a freed slot was not reused");
	}
	json_decref(result);
	for (int i = 1; i < n; i++)
		close(fds[i]);
}

/* In a child as uid 65534 with the socket's group (a reader): QV_RPC_MAX_PER_UID connections
 * are served, the next is refused naming the cap, and root still gets in meanwhile. */
static void test_per_uid_cap(void)
{
	struct stat st;
	pid_t pid;
	int status = -1, ready[2], go[2];
	json_t *result = NULL;
	char err[256], c;
	int code;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: needs root to connect as another uid) ");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(stat(sock_path, &st), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(tmpdir, 0711), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		int fds[QV_RPC_MAX_PER_UID], extra, fail = 0;
		bool eof;
		char *out;

		if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 || setuid(65534) != 0)
			_exit(2);
		for (int i = 0; i < QV_RPC_MAX_PER_UID; i++) {
			fds[i] = raw_connect(sock_path);
			if (fds[i] < 0)
				_exit(3);
			/* a reader: rpc.list answers, echo (unmarked: admin) is refused */
			send_str(fds[i], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.list\"}\n"
			                 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\"}\n");
			out = read_lines(fds[i], 2, &eof, NULL);
			fail |= out == NULL || strstr(out, "\"methods\"") == NULL ||
			        strstr(out, "permission denied: echo changes") == NULL;
			free(out);
		}
		extra = raw_connect(sock_path);
		out = read_lines(extra, -1, &eof, NULL);
		fail |= !eof || out == NULL || strstr(out, "already has 16 connections") == NULL;
		free(out);
		/* hold the 16 while the parent checks that root gets in */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(fail ? 4 : 0);
	}
	CU_ASSERT_TRUE_FATAL(pid > 0);
	CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
	CU_ASSERT_EQUAL(
	    qv_rpc_call(sock_path, "echo", NULL, DEADLINE_MS, &result, &code, err, sizeof(err)), 0);
	json_decref(result);
	CU_ASSERT_EQUAL(write(go[1], "g", 1), 1);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "\nchild exit status %d\n", WEXITSTATUS(status));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	chmod(tmpdir, 0700);
}

static void test_peer_not_allowed(void)
{
	pid_t pid;
	int status = -1;

	if (geteuid() != 0) {
		fprintf(stderr, "(skipped: needs root to connect as another uid) ");
		return;
	}
	/* Let the kernel's permission checks pass so ours is the one that refuses. */
	CU_ASSERT_EQUAL_FATAL(chmod(tmpdir, 0711), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(sock_path, 0666), 0);
	pid = fork();
	if (pid == 0) {
		char buf[512];
		ssize_t n, len = 0;
		int fd;

		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		fd = raw_connect(sock_path);
		if (fd < 0)
			_exit(3);
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
			len += n;
		buf[len] = '\0';
		_exit(strstr(buf, "permission denied: uid 65534 is not allowed on") != NULL &&
		              strstr(buf, sock_path) != NULL
		          ? 0
		          : 4);
	}
	CU_ASSERT_TRUE_FATAL(pid > 0);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	chmod(sock_path, 0660);
	chmod(tmpdir, 0700);
}

static void test_socket_mode(void)
{
	struct stat st;
	char dir[160];
	mode_t um = umask(0);

	umask(um);
	CU_ASSERT_EQUAL_FATAL(stat(sock_path, &st), 0);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0660);
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	CU_ASSERT_EQUAL_FATAL(stat(dir, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0755 & ~um);
}

static void test_second_server_refused(void)
{
	char err[256] = "";
	struct qv_rpc_server *s2 = qv_rpc_server_open(sock_path, methods, NULL, err, sizeof(err));

	CU_ASSERT_PTR_NULL(s2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another server is running on"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, sock_path));
	/* The running server's socket is untouched. */
	CU_ASSERT_EQUAL(access(sock_path, F_OK), 0);
	qv_rpc_server_close(s2);
}

/* The lock file, not the connect probe, keeps a second server out: even with the first one's
 * socket file gone (removed by hand), a second server on the same path is refused. */
static void test_lock_refuses_second(void)
{
	char path[100], err[256] = "";
	struct qv_rpc_server *s2, *s3;

	snprintf(path, sizeof(path), "%s/locked/sw.sock", tmpdir);
	s2 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	s3 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s3);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "another server is running on"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "holds the lock"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "sw.sock.lock"));
	CU_ASSERT_EQUAL(unlink(path), 0);
	err[0] = '\0';
	s3 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s3);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "holds the lock"));
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* the refused one created nothing */
	qv_rpc_server_close(s2);
	/* Once the first has stopped, the lock is free (its file stays, harmlessly). */
	s3 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(s3);
	qv_rpc_server_close(s3);
}

/* Opens a server at DIR/sw.sock after setting DIR's mode; returns whether it opened, err set. */
static bool open_in_dir(const char *dir, mode_t mode, char *err, size_t errlen)
{
	char path[160];
	struct qv_rpc_server *s2;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return false;
	if (chmod(dir, mode) != 0)
		return false;
	snprintf(path, sizeof(path), "%s/sw.sock", dir);
	err[0] = '\0';
	s2 = qv_rpc_server_open(path, methods, NULL, err, errlen);
	qv_rpc_server_close(s2);
	return s2 != NULL;
}

static void test_unsafe_dirs(void)
{
	char dir[160], sub[200], err[512], lock[220];

	/* Writable by others: refused, nothing created in it. */
	snprintf(dir, sizeof(dir), "%s/open", tmpdir);
	CU_ASSERT_FALSE(open_in_dir(dir, 0777, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsafe socket directory"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by everyone"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
	snprintf(lock, sizeof(lock), "%s/sw.sock.lock", dir);
	CU_ASSERT_NOT_EQUAL(access(lock, F_OK), 0);
	CU_ASSERT_FALSE(open_in_dir(dir, 0770, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by its group"));
	/* Sticky (like /tmp) is not enough for the socket's own directory: anyone could take
	 * the socket's name first... */
	CU_ASSERT_FALSE(open_in_dir(dir, 01777, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unsafe socket directory"));
	/* ...but is fine above it, with a private directory in between. */
	snprintf(sub, sizeof(sub), "%s/private", dir);
	CU_ASSERT_TRUE(open_in_dir(sub, 0755, err, sizeof(err)));
	if (err[0] != '\0')
		fprintf(stderr, "\n%s\n", err);
	/* A group-writable directory above, not sticky: refused, naming that directory. */
	CU_ASSERT_EQUAL(chmod(dir, 0775), 0);
	CU_ASSERT_FALSE(open_in_dir(sub, 0755, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
	CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
	/* Owned by someone else (root can make one): refused. */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(sub, 65534, 65534), 0);
		CU_ASSERT_FALSE(open_in_dir(sub, 0755, err, sizeof(err)));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "owned by uid 65534"));
	}
}

static void test_stale_socket_replaced(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[100], err[256] = "";
	struct qv_rpc_server *s2;
	json_t *result = NULL;
	int fd, code;

	/* A socket file nobody listens on, as a crashed server leaves behind. */
	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	s2 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);

	/* Serve one call from this thread: the client's request sits in the socket, so the
	 * server's poll() calls below are bounded by that, not by timing. */
	fd = raw_connect(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}\n");
	{
		long long deadline = now_ms() + DEADLINE_MS;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		while (poll(&pfd, 1, 0) == 0 && now_ms() < deadline)
			qv_rpc_server_poll(s2, 50);
		char *out = read_lines(fd, 1, &(bool){false}, NULL);
		CU_ASSERT_STRING_EQUAL(out, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n");
		free(out);
	}
	close(fd);
	qv_rpc_server_close(s2);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* unlinked on close */
	CU_ASSERT_EQUAL(qv_rpc_call(path, "echo", NULL, 500, &result, &code, err, sizeof(err)), -1);
}

static void test_non_socket_refused(void)
{
	char path[100], err[256] = "";
	struct qv_rpc_server *s2;
	FILE *f;

	snprintf(path, sizeof(path), "%s/plain-file", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("precious\n", f);
	fclose(f);
	s2 = qv_rpc_server_open(path, methods, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NULL(s2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a socket"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_EQUAL(access(path, F_OK), 0); /* not removed */
	qv_rpc_server_close(s2);
	unlink(path);
}

static void test_call_missing_socket(void)
{
	char path[100], err[256] = "";
	json_t *result = (json_t *)1;
	int code = 0;

	snprintf(path, sizeof(path), "%s/nobody-here.sock", tmpdir);
	CU_ASSERT_EQUAL(
	    qv_rpc_call(path, "echo", json_object(), 500, &result, &code, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(result);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is the daemon running?"));
}

/* A server that accepts but never answers: the client gives up at its deadline. */
static void test_call_timeout(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[100], err[256] = "";
	json_t *result = NULL;
	int lfd, code;
	long long t0;

	snprintf(path, sizeof(path), "%s/mute.sock", tmpdir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(lfd, 4), 0);
	t0 = now_ms();
	CU_ASSERT_EQUAL(qv_rpc_call(path, "echo", NULL, 200, &result, &code, err, sizeof(err)), -1);
	CU_ASSERT_TRUE(now_ms() - t0 >= 190);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no response"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	close(lfd);
	unlink(path);
}

int main(void)
{
	static const struct qv_unit_test frame_tests[] = {
	    {"valid call", test_valid_call},
	    {"id types", test_id_types},
	    {"notification", test_notification},
	    {"parse errors", test_parse_errors},
	    {"invalid requests", test_invalid_requests},
	    {"params not object", test_params_not_object},
	    {"unknown method", test_unknown_method},
	    {"rpc.list", test_rpc_list},
	    {"handler errors", test_handler_errors},
	    {"handler params", test_handler_params},
	    {"qv_rpc_fail", test_fail_helper},
	    {"access decision", test_access_decision},
	    {"access per method", test_access_per_method},
	};
	static const struct qv_unit_test typed_tests[] = {
	    {"string", test_param_str},
	    {"integer and range", test_param_int},
	    {"boolean", test_param_bool},
	    {"one of", test_param_enum},
	};
	static const struct qv_unit_test server_tests[] = {
	    {"socket mode", test_socket_mode},
	    {"call success", test_call_success},
	    {"call method error", test_call_method_error},
	    {"two requests in one write", test_two_requests_one_write},
	    {"split request", test_split_request},
	    {"request size limit", test_request_size_limit},
	    {"silent client", test_silent_client},
	    {"half-closed client", test_half_closed_client},
	    {"non-reading client dropped", test_non_reading_client_dropped},
	    {"too many clients", test_too_many_clients},
	    {"per-uid cap", test_per_uid_cap},
	    {"peer not allowed", test_peer_not_allowed},
	    {"second server refused", test_second_server_refused},
	    {"lock refuses a second server", test_lock_refuses_second},
	    {"unsafe directories", test_unsafe_dirs},
	    {"stale socket replaced", test_stale_socket_replaced},
	    {"non-socket refused", test_non_socket_refused},
	    {"call missing socket", test_call_missing_socket},
	    {"call timeout", test_call_timeout},
	};
	static const struct qv_unit_suite suites[] = {
	    QV_UNIT_SUITE("rpc_frame", NULL, NULL, frame_tests),
	    QV_UNIT_SUITE("rpc_params", NULL, params_clean, typed_tests),
	    QV_UNIT_SUITE("rpc_server", server_suite_init, server_suite_clean, server_tests),
	};

	return qv_unit_run_suites(suites, sizeof(suites) / sizeof(suites[0]));
}
