/* qwikvirt: libFuzzer target for the stream side of the JSON-RPC server (rpc_server.c, through
 * its public API): bytes sent in fuzzer-chosen chunks over a real connection must get exactly
 * the answers qv_rpc_handle_line gives line by line, the size limit and EOF included. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/rpc/rpc.h"

/* Input: ops. A byte b < 0x80 sends the next b bytes as one write (a chunk: the server may see
 * a partial line); 0x80..0xbf sends ((b & 0x3f) + 1) * 2 KiB of 'a' (past the 64 KiB limit in a
 * few ops); 0xc0..0xff sends (b & 0x3f) + 1 bytes of 'a'. The server is polled between ops.
 * The end of the input is EOF (shutdown of the write side). */

static json_t *m_echo(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	(void)err;
	(void)ctx;
	return json_deep_copy(params);
}

static json_t *m_fail(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	const char *name = json_string_value(json_object_get(params, "name"));

	(void)ctx;
	return qv_rpc_fail(err, QV_RPC_APP_ERROR, "port '%s' not found", name ? name : "?");
}

/* Stateless, so the expected answers can be computed from the bytes alone. */
static const struct qv_rpc_method methods[] = {
    {"echo", m_echo, "returns its params"},
    {"fail", m_fail, "fails naming params.name"},
    {NULL, NULL, NULL},
};

static struct qv_rpc_server *srv;
static char sock_path[108];
static char sock_dir[96];

static void close_server(void)
{
	char lock[sizeof(sock_path) + 8];

	qv_rpc_server_close(srv);
	snprintf(lock, sizeof(lock), "%s.lock", sock_path); /* the server keeps its lock file */
	unlink(lock);
	rmdir(sock_dir);
}

static void open_server(void)
{
	char err[512];
	const char *tmp = getenv("TMPDIR"); /* scripts/fuzz.sh: a folder it removes */

	/* a private directory: the server refuses a socket in a directory others may write */
	snprintf(sock_dir, sizeof(sock_dir), "%s/qv-fuzz-rpc-stream-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(sock_dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/rpc.sock", sock_dir);
	srv = qv_rpc_server_open(sock_path, methods, NULL, err, sizeof(err));
	if (srv == NULL) {
		fprintf(stderr, "fuzz_rpc_stream: %s\n", err);
		abort();
	}
	atexit(close_server);
}

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* The server's framing, as rpc.h documents it: lines end at '\n' (a '\r' before it is dropped),
 * blank lines are skipped, a last unterminated line is answered at EOF, and a line that reaches
 * QV_RPC_MAX_REQUEST bytes without its newline gets one error and the connection closes.
 * Appends the expected answers to want, one per line; returns true when the limit was hit. */
static bool expected(const char *s, size_t len, struct buf *want)
{
	size_t start = 0;

	while (start < len) {
		const char *nl = memchr(s + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - s) : len, n = end - start, i;
		char *resp;

		if (n >= QV_RPC_MAX_REQUEST)
			return true;
		if (n > 0 && s[start + n - 1] == '\r')
			n--;
		for (i = 0; i < n && (s[start + i] == ' ' || s[start + i] == '\t'); i++)
			;
		if (i < n && (resp = qv_rpc_handle_line(s + start, n, methods, NULL)) != NULL) {
			buf_add(want, resp, strlen(resp));
			buf_add(want, "\n", 1);
			free(resp);
		}
		start = end + 1;
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what the server sent so far; returns true at EOF (or reset: the server closed with
 * bytes of ours unread, after the size limit). */
static bool drain(int fd, struct buf *got)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (n > 0) {
			buf_add(got, tmp, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return true;
		return false;
	}
}

/* Sends all of p, serving the server (and reading its answers) while the socket is full. */
static bool send_all(int fd, const char *p, size_t n, struct buf *got, bool *eof)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return false; /* the server closed: after the size limit */
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
		if (qv_rpc_server_poll(srv, 0) != 0)
			abort();
		if (!*eof)
			*eof = drain(fd, got);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char fill[128 * 1024];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct buf sent = {0}, want = {0}, got = {0};
	bool eof = false, open = true, too_long;
	long long deadline;
	int fd;

	if (srv == NULL) {
		open_server();
		memset(fill, 'a', sizeof(fill));
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		abort();
	for (size_t i = 0; i < size && open;) {
		uint8_t op = data[i++];
		const char *p;
		size_t n;

		if (op < 0x80) {
			n = op < size - i ? op : size - i;
			p = (const char *)data + i;
			i += n;
		} else if (op < 0xc0) {
			n = ((size_t)(op & 0x3f) + 1) * 2048;
			p = fill;
		} else {
			n = (size_t)(op & 0x3f) + 1;
			p = fill;
		}
		buf_add(&sent, p, n);
		open = send_all(fd, p, n, &got, &eof);
		if (qv_rpc_server_poll(srv, 0) != 0)
			abort();
	}
	shutdown(fd, SHUT_WR);
	/* A server that never answers or never closes is a bug too; the deadline is far above
	 * any real cost so that only a hang trips it. */
	deadline = now_ms() + 10000;
	for (int spins = 0; !eof; spins++) {
		if (now_ms() > deadline) {
			fprintf(stderr,
			        "fuzz_rpc_stream: the server did not close the connection\n");
			abort();
		}
		/* the server has all it needs at once: wait only when it did not finish */
		if (qv_rpc_server_poll(srv, spins < 8 ? 0 : 1) != 0)
			abort();
		eof = drain(fd, &got);
	}
	close(fd);

	too_long = expected(sent.p ? sent.p : "", sent.len, &want);
	if (got.len < want.len || (want.len > 0 && memcmp(got.p, want.p, want.len) != 0)) {
		fprintf(stderr, "fuzz_rpc_stream: answers differ from qv_rpc_handle_line's\n");
		abort();
	}
	if (too_long) {
		/* then exactly one more line: the size-limit error, with a null id */
		json_t *r = json_loadb(got.p + want.len, got.len - want.len, 0, NULL);
		json_t *e = json_object_get(r, "error");

		if (got.len == want.len || got.p[got.len - 1] != '\n' ||
		    memchr(got.p + want.len, '\n', got.len - want.len - 1) != NULL ||
		    json_integer_value(json_object_get(e, "code")) != QV_RPC_INVALID_REQUEST ||
		    !json_is_null(json_object_get(r, "id")))
			abort();
		json_decref(r);
	} else if (got.len != want.len) {
		fprintf(stderr, "fuzz_rpc_stream: more answers than request lines\n");
		abort();
	}
	free(sent.p);
	free(want.p);
	free(got.p);
	return 0;
}
