/* qwikvirt: qv-exporter's small HTTP/1.x server: one request at a time, GET and HEAD only,
 * bounded request size, read and write deadlines, one dynamic path, never files. */
#ifndef QV_EXPORTER_HTTP_H
#define QV_EXPORTER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define QV_HTTP_MAX_REQUEST 8192   /* request line + headers; longer gets 431 */
#define QV_HTTP_IO_TIMEOUT_MS 5000 /* to read a request, and again to write the answer */

/* A parsed --listen value. */
struct qv_listen {
	struct sockaddr_storage sa;
	socklen_t len;
	bool loopback;
};

/* Parses "ADDR:PORT", "[V6ADDR]:PORT", ":PORT" or "PORT" (the last two mean 127.0.0.1, not
 * every address), "localhost" for 127.0.0.1; no other host names (a name could resolve to a
 * non-loopback address). Port 0 asks the kernel for a free one. Returns 0, or -1 with err
 * saying what is wrong. */
int qv_listen_parse(const char *text, struct qv_listen *out, char *err, size_t errlen);

/* What the request line asked for: method and path (the target without its query). */
struct qv_http_request {
	char method[16];
	char path[256];
};

/* Parses the request in buf[0..len). Returns 1 when the headers are complete (req filled), 0
 * when more bytes are needed, -1 when it is not an HTTP/1.x request. */
int qv_http_parse(const char *buf, size_t len, struct qv_http_request *req);

/* Produces the body of the one dynamic path: 0 and a malloc'd body, or -1 and a malloc'd
 * message (sent as a 500). */
typedef int (*qv_http_body_fn)(void *ctx, char **body, size_t *len);

struct qv_http_server {
	int fd;
	char addr[80];    /* what it is bound to, as ADDR:PORT (the real port when 0 was asked) */
	const char *path; /* "/metrics" */
	const char *content_type; /* of path's body */
	qv_http_body_fn body;
	void *ctx;
};

/* Binds and listens. A non-loopback address is refused unless explicit (the operator named
 * it with --listen). Returns 0, or -1 with err naming the address and what to do. */
int qv_http_open(struct qv_http_server *s, const struct qv_listen *at, bool explicit, char *err,
                 size_t errlen);

/* Waits up to timeout_ms for a connection, then serves that one request to its end (reads it
 * within QV_HTTP_IO_TIMEOUT_MS, answers, closes). Returns 0 (served, timed out, interrupted
 * by a signal or a client that went away), or -1 when the listening socket fails. */
int qv_http_serve_one(struct qv_http_server *s, int timeout_ms);

void qv_http_close(struct qv_http_server *s);

#endif
