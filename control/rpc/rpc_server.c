/* qwikvirt: JSON-RPC server on a Unix stream socket, one request per line.
 * poll()-based, single-threaded, non-blocking: no client can crash, block or starve the daemon. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/rpc/rpc.h"

#define MAX_CLIENTS 64
/* A client that sends requests but does not read the answers would make us buffer without
 * bound; past this much pending output it is dropped. */
#define MAX_OUTPUT (16u * 1024 * 1024)
/* Bound on accepts per poll round so a connect storm cannot starve served clients. */
#define ACCEPT_BURST 16

struct conn {
	int fd;
	char *in; /* QV_RPC_MAX_REQUEST bytes: at most one (partial) request line at a time */
	size_t in_len;
	char *out;
	size_t out_off, out_len, out_cap;
	bool read_done; /* EOF seen or request refused: flush what is pending, then close */
	bool dead;      /* I/O error or overflow: close without flushing */
};

struct qv_rpc_server {
	int lfd;
	char *path;
	dev_t dev; /* identity of the socket file we created, so close() never unlinks */
	ino_t ino; /* a socket that another server has since put at the same path */
	gid_t gid; /* group of the socket file at open time (fallback if stat fails later) */
	const struct qv_rpc_method *methods;
	void *ctx;
	struct conn *conns[MAX_CLIENTS];
	size_t nconns;
	struct pollfd pfds[1 + MAX_CLIENTS];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* mkdir -p of the directory holding path; /run/qwikvirt does not exist after a reboot. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			set_err(err, errlen, "cannot create directory %s for the socket %s: %s",
			        dir, path, strerror(errno));
			return -1;
		}
		if (last)
			return 0;
		*p = '/';
	}
}

/* Something already at path: refuse unless it is a socket nobody answers on (a crashed
 * server's leftover), which is removed. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, errlen,
		        "%s exists and is not a socket; remove it or choose another "
		        "socket path",
		        path);
		return -1;
	}
	/* Non-blocking so a live server with a full backlog (EAGAIN) cannot hang us. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		set_err(err, errlen, "another server is running on %s; stop it first", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		set_err(err, errlen,
		        "cannot tell whether a server is running on %s (%s); remove "
		        "the socket by hand if none is",
		        path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		set_err(err, errlen, "cannot remove the stale socket %s: %s", path,
		        strerror(errno));
		return -1;
	}
	return 0;
}

struct qv_rpc_server *qv_rpc_server_open(const char *path, const struct qv_rpc_method *methods,
                                         void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct qv_rpc_server *srv;
	struct stat st;
	int fd;

	if (path == NULL || path[0] == '\0') {
		set_err(err, errlen, "no socket path given");
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_err(err, errlen, "socket path %s is too long (at most %zu bytes)", path,
		        sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	if (make_parent_dirs(path, err, errlen) != 0 || clear_path(path, &sa, err, errlen) != 0)
		return NULL;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/* On Linux the mode of a socket inode set before bind() is what bind() creates the file
	 * with (minus umask), so there is no window where the file is wider than 0660. */
	(void)fchmod(fd, 0660);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		set_err(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (chmod(path, 0660) != 0 || stat(path, &st) != 0) {
		set_err(err, errlen, "cannot set the mode of %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (listen(fd, MAX_CLIENTS) != 0) {
		set_err(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail_unlink;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->path = strdup(path)) == NULL) {
		free(srv);
		set_err(err, errlen, "out of memory");
		goto fail_unlink;
	}
	srv->lfd = fd;
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	srv->gid = st.st_gid;
	srv->methods = methods;
	srv->ctx = ctx;
	return srv;

fail_unlink:
	unlink(path);
	close(fd);
	return NULL;
}

/* Best-effort one-shot write of a whole error line to a connection we are about to close:
 * the line is short, and a fresh socket's buffer always has room for it. */
static void refuse(int fd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void refuse(int fd, int code, const char *fmt, ...)
{
	char msg[512];
	json_t *resp;
	char *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error", "code", code,
	                 "message", msg);
	s = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	if (s != NULL) {
		size_t n = strlen(s);

		s[n] = '\n'; /* overwrite the terminator: we send exactly n + 1 bytes */
		(void)send(fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(s);
	}
	close(fd);
}

static bool peer_allowed(struct qv_rpc_server *srv, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct stat st;
	gid_t gid = srv->gid;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	*uid = cred.uid;
	/* Re-read the group: an init script may chgrp the socket after the daemon opened it. */
	if (stat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		gid = st.st_gid;
	return cred.uid == 0 || cred.uid == geteuid() || cred.gid == gid;
}

static void accept_clients(struct qv_rpc_server *srv)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		uid_t uid = (uid_t)-1;

		/* EAGAIN, or a transient error such as EMFILE: retried next round. */
		if (fd < 0)
			return;
		if (!peer_allowed(srv, fd, &uid)) {
			refuse(
			    fd, QV_RPC_APP_ERROR,
			    "permission denied: uid %ld is not allowed on %s (allowed: root, uid "
			    "%ld, or members of the socket's group %ld)",
			    (long)(int)uid, srv->path, (long)geteuid(), (long)srv->gid);
			continue;
		}
		if (srv->nconns >= MAX_CLIENTS) {
			refuse(fd, QV_RPC_APP_ERROR,
			       "server busy: too many clients connected to %s (at most %d); retry "
			       "later",
			       srv->path, MAX_CLIENTS);
			/* Stop here: clients that hung up since poll() free their slot in the
			 * next round, before the next pending connection is judged. */
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || (c->in = malloc(QV_RPC_MAX_REQUEST)) == NULL) {
			free(c);
			refuse(fd, QV_RPC_INTERNAL_ERROR, "server out of memory");
			continue;
		}
		c->fd = fd;
		srv->conns[srv->nconns++] = c;
	}
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Sends as much pending output as the socket takes without blocking. */
static void conn_flush(struct conn *c)
{
	while (c->out_len > 0 && !c->dead) {
		ssize_t n =
		    send(c->fd, c->out + c->out_off, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true; /* EPIPE, ECONNRESET: the client has gone */
			break;
		}
		c->out_off += (size_t)n;
		c->out_len -= (size_t)n;
	}
	if (c->out_len == 0)
		c->out_off = 0;
}

/* Queues s plus a newline and sends what the socket takes now; drops a client whose unread
 * output has grown past MAX_OUTPUT. */
static void conn_queue(struct conn *c, const char *s, size_t n)
{
	if (c->dead)
		return;
	if (c->out_off > 0 && c->out_off + c->out_len + n + 1 > c->out_cap) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + n + 1)
			cap *= 2;
		p = realloc(c->out, cap);
		if (p == NULL) {
			c->dead = true;
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_off + c->out_len, s, n);
	c->out[c->out_off + c->out_len + n] = '\n';
	c->out_len += n + 1;
	conn_flush(c);
	if (c->out_len > MAX_OUTPUT)
		c->dead = true;
}

static void serve_line(struct qv_rpc_server *srv, struct conn *c, const char *line, size_t len)
{
	char *resp;
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			break;
	if (i == len)
		return; /* blank line: a person typing into socat, not a request */
	resp = qv_rpc_handle_line(line, len, srv->methods, srv->ctx);
	if (resp != NULL) {
		conn_queue(c, resp, strlen(resp));
		free(resp);
	}
}

/* Serves every complete line in the input buffer and keeps the partial tail. */
static void serve_lines(struct qv_rpc_server *srv, struct conn *c)
{
	size_t start = 0;
	char *nl;

	while (!c->dead && (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));

		serve_line(srv, c, c->in + start, len);
		start += len + 1;
	}
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
}

static void conn_read(struct qv_rpc_server *srv, struct conn *c)
{
	ssize_t n;

	if (c->in_len == QV_RPC_MAX_REQUEST)
		goto too_long; /* cannot happen after serve_lines(), kept as a guard */
	n = recv(c->fd, c->in + c->in_len, QV_RPC_MAX_REQUEST - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->dead = true;
		return;
	}
	if (n == 0) {
		/* Half-closed client (printf ... | socat): answer a last unterminated line too. */
		if (c->in_len > 0)
			serve_line(srv, c, c->in, c->in_len);
		c->in_len = 0;
		c->read_done = true;
		return;
	}
	c->in_len += (size_t)n;
	serve_lines(srv, c);
	if (c->in_len < QV_RPC_MAX_REQUEST)
		return;
too_long:
	/* The buffer is full and holds no newline: this line cannot be a valid request. Close
	 * rather than resynchronise, since we cannot know where the client meant it to end. */
	{
		char msg[256];
		json_t *resp;
		char *s;

		snprintf(msg, sizeof(msg),
		         "invalid request: request larger than %d bytes (the limit, newline "
		         "included); the connection is closed",
		         QV_RPC_MAX_REQUEST);
		resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
		                 "code", QV_RPC_INVALID_REQUEST, "message", msg);
		s = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;
		json_decref(resp);
		if (s != NULL)
			conn_queue(c, s, strlen(s));
		free(s);
		c->in_len = 0;
		c->read_done = true;
	}
}

int qv_rpc_server_poll(struct qv_rpc_server *srv, int timeout_ms)
{
	size_t n = srv->nconns, i, kept;
	int rc;

	srv->pfds[0] = (struct pollfd){.fd = srv->lfd, .events = POLLIN};
	for (i = 0; i < n; i++) {
		struct conn *c = srv->conns[i];
		short ev = 0;

		if (!c->read_done)
			ev |= POLLIN;
		if (c->out_len > 0)
			ev |= POLLOUT;
		srv->pfds[1 + i] = (struct pollfd){.fd = c->fd, .events = ev};
	}
	rc = poll(srv->pfds, 1 + n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;

	/* Connections first: a slot freed by a client that closed is then available to a client
	 * that connected in the same round. */
	for (i = 0; i < n; i++) {
		struct conn *c = srv->conns[i];
		short re = srv->pfds[1 + i].revents;

		if (re & POLLNVAL)
			c->dead = true;
		/* POLLHUP/POLLERR: read anyway, recv() reports the data left, EOF or the error. */
		if (!c->dead && !c->read_done && (re & (POLLIN | POLLHUP | POLLERR)))
			conn_read(srv, c);
		if (!c->dead && c->out_len > 0)
			conn_flush(c);
		if (!c->dead && c->read_done && c->out_len == 0)
			c->dead = true;
	}
	for (i = 0, kept = 0; i < n; i++) {
		if (srv->conns[i]->dead)
			conn_free(srv->conns[i]);
		else
			srv->conns[kept++] = srv->conns[i];
	}
	srv->nconns = kept;

	if (srv->pfds[0].revents & (POLLERR | POLLNVAL))
		return -1;
	if (srv->pfds[0].revents & POLLIN)
		accept_clients(srv);
	return 0;
}

void qv_rpc_server_close(struct qv_rpc_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->nconns; i++)
		conn_free(srv->conns[i]);
	close(srv->lfd);
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv->path);
	free(srv);
}
