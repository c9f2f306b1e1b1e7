/* qwikvirt: JSON-RPC client for qvctl: one call per connection, one line out, one line back.
 * Every failure names the socket path, since "connection refused" alone does not say where. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/rpc/rpc.h"
#include "control/rpc/rpc_internal.h"

/* The server drops clients with more than 16 MiB pending, so a longer line is not from it. */
#define MAX_RESPONSE (64u * 1024 * 1024)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline (-1: none). Returns >0 ready, 0 timed out,
 * -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int timeout = -1, rc;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			timeout = left <= 0 ? 0 : (left > 1000000 ? 1000000 : (int)left);
		}
		rc = poll(&pfd, 1, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0 && deadline >= 0 && now_ms() < deadline)
			continue;
		return rc;
	}
}

static int connect_to(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		qv_rpc_set_err(err, errlen, "socket path %s is too long (at most %zu bytes)", path,
		               sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Non-blocking: a server with a full backlog gives EAGAIN instead of hanging qvctl. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		qv_rpc_set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		if (e == EAGAIN)
			qv_rpc_set_err(err, errlen,
			               "cannot connect to %s: the server is busy (backlog full), "
			               "try again",
			               path);
		else if (e == EACCES)
			qv_rpc_set_err(err, errlen,
			               "cannot connect to %s: %s (run as root or as a member of "
			               "the socket's group)",
			               path, strerror(e));
		else
			qv_rpc_set_err(err, errlen,
			               "cannot connect to %s: %s (is the daemon running?)", path,
			               strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

/* Returns 0, -1 with err set, or -2 (err set too) when the server closed the connection: it
 * may have said why first (a refusal at accept), and that is worth reading. */
static int send_all(int fd, const char *buf, size_t len, long long deadline, const char *path,
                    char *err, size_t errlen)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n >= 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int e = errno;

			qv_rpc_set_err(err, errlen, "cannot send the request to %s: %s", path,
			               strerror(e));
			return e == EPIPE || e == ECONNRESET ? -2 : -1;
		}
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			qv_rpc_set_err(err, errlen, "timed out sending the request to %s", path);
			return -1;
		}
	}
	return 0;
}

/* Reads up to the first newline. Returns a malloc'd NUL-terminated line (without the
 * newline) or NULL with err set. */
static char *recv_line(int fd, long long deadline, int timeout_ms, const char *path, char *err,
                       size_t errlen, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (buf == NULL) {
		qv_rpc_set_err(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		ssize_t n;
		char *nl;

		if (len + 1 >= cap) {
			char *p = cap * 2 <= MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;

			if (p == NULL) {
				qv_rpc_set_err(err, errlen,
				               "response from %s is too large (over %u bytes)",
				               path, MAX_RESPONSE);
				goto fail;
			}
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			if (nl != NULL) {
				*nl = '\0';
				*lenp = (size_t)(nl - buf);
				return buf;
			}
			continue;
		}
		if (n == 0) {
			if (len == 0)
				qv_rpc_set_err(err, errlen,
				               "%s closed the connection without answering", path);
			else
				qv_rpc_set_err(err, errlen,
				               "%s closed the connection in the middle of a "
				               "response",
				               path);
			goto fail;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			qv_rpc_set_err(err, errlen, "cannot read the response from %s: %s", path,
			               strerror(errno));
			goto fail;
		}
		if (wait_fd(fd, POLLIN, deadline) <= 0) {
			qv_rpc_set_err(err, errlen, "no response from %s within %d ms", path,
			               timeout_ms);
			goto fail;
		}
	}
fail:
	free(buf);
	return NULL;
}

/* Maps a parsed response to qv_rpc_call's return convention. */
static int decode_response(json_t *resp, const char *path, json_t **result, int *code, char *err,
                           size_t errlen)
{
	json_t *version = json_object_get(resp, "jsonrpc");
	json_t *id = json_object_get(resp, "id");
	json_t *res = json_object_get(resp, "result");
	json_t *error = json_object_get(resp, "error");

	if (!json_is_object(resp) || !json_is_string(version) ||
	    strcmp(json_string_value(version), "2.0") != 0) {
		qv_rpc_set_err(err, errlen, "invalid response from %s: not a JSON-RPC 2.0 response",
		               path);
		return -1;
	}
	if (error != NULL) {
		json_t *c = json_object_get(error, "code");
		json_t *m = json_object_get(error, "message");

		if (!json_is_integer(c) || !json_is_string(m)) {
			qv_rpc_set_err(err, errlen, "invalid response from %s: malformed \"error\"",
			               path);
			return -1;
		}
		/* id is null when the server could not read our request (parse error, too
		 * large, refused at accept): still its answer, as only one call is in flight. */
		if (code != NULL)
			*code = (int)json_integer_value(c);
		if (json_string_value(m)[0] == '\0') /* a failed call must still say something */
			qv_rpc_set_err(err, errlen,
			               "%s answered error %" JSON_INTEGER_FORMAT " with no message",
			               path, json_integer_value(c));
		else
			qv_rpc_set_err(err, errlen, "%s", json_string_value(m));
		return 1;
	}
	if (res == NULL) {
		qv_rpc_set_err(err, errlen,
		               "invalid response from %s: neither \"result\" nor \"error\"", path);
		return -1;
	}
	if (!json_is_integer(id) || json_integer_value(id) != 1) {
		qv_rpc_set_err(err, errlen, "invalid response from %s: answers another request id",
		               path);
		return -1;
	}
	if (result != NULL)
		*result = json_incref(res);
	return 0;
}

int qv_rpc_call(const char *sock_path, const char *method, json_t *params, int timeout_ms,
                json_t **result, int *code, char *err, size_t errlen)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	json_t *req, *resp;
	json_error_t jerr;
	char *line = NULL;
	size_t len;
	int fd = -1, rc = -1, sent;

	if (result != NULL)
		*result = NULL;
	if (code != NULL)
		*code = 0;
	req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method",
	                method != NULL ? method : "");
	if (req == NULL || (params != NULL && json_object_set(req, "params", params) != 0)) {
		qv_rpc_set_err(err, errlen, "cannot build the request for %s", sock_path);
		goto out;
	}
	line = json_dumps(req, JSON_COMPACT);
	if (line == NULL) {
		qv_rpc_set_err(err, errlen, "cannot encode the request for %s", sock_path);
		goto out;
	}
	len = strlen(line);
	if (len + 1 > QV_RPC_MAX_REQUEST) {
		qv_rpc_set_err(err, errlen, "request too large for %s (%zu bytes, the limit is %d)",
		               sock_path, len + 1, QV_RPC_MAX_REQUEST);
		goto out;
	}
	line[len] = '\n'; /* replaces the terminator: exactly len + 1 bytes are sent */

	fd = connect_to(sock_path, err, errlen);
	if (fd < 0)
		goto out;
	sent = send_all(fd, line, len + 1, deadline, sock_path, err, errlen);
	if (sent == -1)
		goto out;
	free(line);
	if (sent == -2) {
		/* The server hung up on us: show its refusal if it sent one, else the send
		 * error already in err. */
		char why[512];

		line = recv_line(fd, deadline, timeout_ms, sock_path, why, sizeof(why), &len);
	} else {
		line = recv_line(fd, deadline, timeout_ms, sock_path, err, errlen, &len);
	}
	if (line == NULL)
		goto out;
	resp = json_loadb(line, len, 0, &jerr);
	if (resp == NULL) {
		qv_rpc_set_err(err, errlen, "invalid response from %s: %s", sock_path, jerr.text);
		goto out;
	}
	rc = decode_response(resp, sock_path, result, code, err, errlen);
	json_decref(resp);
out:
	if (fd >= 0)
		close(fd);
	free(line);
	json_decref(req);
	json_decref(params);
	return rc;
}
