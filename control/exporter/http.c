/* qwikvirt: qv-exporter's HTTP server (see http.h). Deliberately small: one connection at a
 * time, Connection: close, nothing read from disk, every wait bounded. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/exporter/http.h"

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- --listen ---- */

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int qv_listen_parse(const char *text, struct qv_listen *out, char *err, size_t errlen)
{
	char host[64];
	const char *port_s, *colon;
	unsigned port;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->sa;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') { /* [V6]:PORT */
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		port_s = close + 2;
	} else if ((colon = strrchr(text, ':'))) {
		if (strchr(text, ':') != colon) {
			set_err(err, errlen,
			        "--listen %s: write an IPv6 address in brackets, e.g. [::1]:9482",
			        text);
			return -1;
		}
		if ((size_t)(colon - text) >= sizeof(host))
			goto bad;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_s = colon + 1;
	} else { /* just a port */
		host[0] = '\0';
		port_s = text;
	}
	if (parse_port(port_s, &port) != 0)
		goto bad;
	/* no host means loopback here, not every address as some exporters read it */
	if (!host[0] || strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*v4);
		out->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*v6);
		out->loopback =
		    IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127);
	} else {
		set_err(err, errlen,
		        "--listen %s: '%s' is not an IP address (give an address such as 127.0.0.1 "
		        "or [::1], or localhost: a host name could resolve to a non-loopback "
		        "address)",
		        text, host);
		return -1;
	}
	return 0;
bad:
	set_err(err, errlen,
	        "--listen %s: expected ADDR:PORT, [IPV6]:PORT, :PORT or PORT (port 0..65535), e.g. "
	        "127.0.0.1:9482",
	        text);
	return -1;
}

/* ---- request parsing ---- */

int qv_http_parse(const char *buf, size_t len, struct qv_http_request *req)
{
	const char *end = NULL, *eol, *sp1, *sp2, *q;
	size_t mlen, tlen, vlen;

	/* the headers end at an empty line (CRLF CRLF, or bare LF LF from lax clients) */
	for (size_t i = 0; i + 1 < len && !end; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n')
			end = buf + i;
		else if (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0)
			end = buf + i;
	}
	if (!end)
		return 0;
	/* end is at the first byte of CRLF CRLF or LF LF: the request line's LF is within 2 */
	eol = memchr(buf, '\n', (size_t)(end - buf) + 2);
	if (!eol)
		return -1;
	if (eol > buf && eol[-1] == '\r')
		eol--;
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1)
		return -1;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2)
		return -1;
	mlen = (size_t)(sp1 - buf);
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = (size_t)(eol - sp2 - 1);
	if (mlen == 0 || mlen >= sizeof(req->method) || tlen == 0)
		return -1;
	for (size_t i = 0; i < mlen; i++)
		if (!isupper((unsigned char)buf[i]))
			return -1;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	if (vlen != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.1", 8) != 0))
		return -1;
	memcpy(req->method, buf, mlen);
	req->method[mlen] = '\0';
	q = memchr(sp1 + 1, '?', tlen);
	if (q)
		tlen = (size_t)(q - sp1 - 1);
	if (tlen >= sizeof(req->path))
		tlen = sizeof(req->path) - 1; /* too long for any path we serve: still a 404 */
	memcpy(req->path, sp1 + 1, tlen);
	req->path[tlen] = '\0';
	return 1;
}

/* ---- server ---- */

static void addr_text(const struct sockaddr_storage *sa, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, ntohs(v6->sin6_port));
	} else {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof(a));
		snprintf(out, len, "%s:%u", a, ntohs(v4->sin_port));
	}
}

int qv_http_open(struct qv_http_server *s, const struct qv_listen *at, bool explicit, char *err,
                 size_t errlen)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int one = 1;

	addr_text(&at->sa, s->addr, sizeof(s->addr));
	if (!at->loopback && !explicit) {
		set_err(
		    err, errlen,
		    "%s is not a loopback address: the metrics would be readable from the network; "
		    "name it with --listen to mean it",
		    s->addr);
		return -1;
	}
	s->fd = socket(at->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		set_err(err, errlen, "socket for %s: %s", s->addr, strerror(errno));
		return -1;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (at->sa.ss_family == AF_INET6) /* [::]:P means IPv6 only, as written */
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (const struct sockaddr *)&at->sa, at->len) != 0) {
		set_err(err, errlen, "cannot listen on %s: %s%s", s->addr, strerror(errno),
		        errno == EADDRINUSE ? " (another qv-exporter? pick a port with --listen)"
		        : errno == EADDRNOTAVAIL ? " (not an address of this host)"
		                                 : "");
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	if (listen(s->fd, 16) != 0 || getsockname(s->fd, (struct sockaddr *)&bound, &blen) != 0) {
		set_err(err, errlen, "cannot listen on %s: %s", s->addr, strerror(errno));
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	addr_text(&bound, s->addr, sizeof(s->addr));
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline. 1 ready, 0 timed out, -1 error. */
static int wait_until(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc < 0 ? -1 : rc > 0;
	}
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_until(fd, POLLOUT, deadline) != 1)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static void respond(int fd, int status, const char *reason, const char *type, const char *extra,
                    const char *body, size_t len, bool head)
{
	char hdr[512];
	long long deadline = now_ms() + QV_HTTP_IO_TIMEOUT_MS;
	int n = snprintf(hdr, sizeof(hdr),
	                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
	                 "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
	                 status, reason, type, len, extra);

	if (send_all(fd, hdr, (size_t)n, deadline) == 0 && !head)
		send_all(fd, body, len, deadline);
}

static void respond_text(int fd, int status, const char *reason, const char *extra,
                         const char *text, bool head)
{
	respond(fd, status, reason, "text/plain; charset=utf-8", extra, text, strlen(text), head);
}

static void handle(struct qv_http_server *s, int fd, const struct qv_http_request *req)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	char *body = NULL;
	size_t len = 0;

	if (!head && strcmp(req->method, "GET") != 0) {
		respond_text(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
		             "only GET and HEAD are served\n", false);
		return;
	}
	if (strcmp(req->path, "/") == 0) {
		char text[256];

		snprintf(text, sizeof(text),
		         "qv-exporter: qwikvirt's Prometheus metrics are at %s\n", s->path);
		respond_text(fd, 200, "OK", "", text, head);
		return;
	}
	if (strcmp(req->path, s->path) != 0) {
		char text[256];

		snprintf(text, sizeof(text), "not found: only %s is served here\n", s->path);
		respond_text(fd, 404, "Not Found", "", text, head);
		return;
	}
	if (s->body(s->ctx, &body, &len) == 0)
		respond(fd, 200, "OK", s->content_type, "", body ? body : "", len, head);
	else
		respond(fd, 500, "Internal Server Error", "text/plain; charset=utf-8", "",
		        body ? body : "", len, head);
	free(body);
}

/* Reads one request from a fresh connection and answers it. */
static void serve_conn(struct qv_http_server *s, int fd)
{
	char buf[QV_HTTP_MAX_REQUEST];
	size_t len = 0;
	long long deadline = now_ms() + QV_HTTP_IO_TIMEOUT_MS;
	struct qv_http_request req;

	for (;;) {
		ssize_t n;
		int rc = qv_http_parse(buf, len, &req);

		if (rc > 0)
			break;
		if (rc < 0) {
			respond_text(fd, 400, "Bad Request", "", "not an HTTP/1.x request\n",
			             false);
			return;
		}
		if (len == sizeof(buf)) {
			respond_text(fd, 431, "Request Header Fields Too Large", "",
			             "request headers too large\n", false);
			return;
		}
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n > 0) {
			len += (size_t)n;
		} else if (n == 0) {
			return; /* the client went away before finishing its request */
		} else if (errno == EAGAIN || errno == EINTR) {
			rc = wait_until(fd, POLLIN, deadline);
			if (rc == 0)
				respond_text(fd, 408, "Request Timeout", "",
				             "the request did not arrive in time\n", false);
			if (rc != 1)
				return;
		} else {
			return;
		}
	}
	handle(s, fd, &req);
}

/* Closing a socket with unread input resets the connection, and the client may then lose
 * the answer (a 431 to an oversized request, say): read what is left until the client closes
 * its side, for at most QV_HTTP_DRAIN_MS and 64 KiB. */
#define QV_HTTP_DRAIN_MS 1000
static void drain(int fd)
{
	long long deadline = now_ms() + QV_HTTP_DRAIN_MS;
	size_t total = 0;
	char buf[4096];

	while (total < 64 * 1024) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0)
			total += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR) ||
		         wait_until(fd, POLLIN, deadline) != 1)
			return;
	}
}

int qv_http_serve_one(struct qv_http_server *s, int timeout_ms)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	int rc = poll(&p, 1, timeout_ms), fd;

	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	if (rc == 0)
		return 0;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) /* the client gave up, or out of descriptors for now: not fatal */
		return errno == EBADF || errno == EINVAL || errno == ENOTSOCK ? -1 : 0;
	serve_conn(s, fd);
	shutdown(fd, SHUT_WR);
	drain(fd);
	close(fd);
	return 0;
}

void qv_http_close(struct qv_http_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
