/* qwikvirt: JSON-RPC server on a Unix stream socket, one request per line. poll()-based,
 * single-threaded, non-blocking; per-method authorisation and per-client limits, so that no
 * client can crash, block, starve or hold the daemon. Socket set-up is in rpc_socket.c. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/rpc/rpc_internal.h"

/* Bound on accepts per poll round so a connect storm cannot starve served clients; what is
 * over the limits is refused (answered and closed) right away, never left pending. */
#define ACCEPT_BURST 64
/* Requests served per client per round: a client that pipelines a thousand flow.add lines
 * takes turns with the others instead of holding the thread for all of them. */
#define LINES_PER_ROUND 16

struct conn {
	int fd;
	uid_t uid;
	enum qv_rpc_role role; /* decided at accept from the credentials of connect() */
	char *in; /* QV_RPC_MAX_REQUEST bytes: at most one (partial) request line at a time */
	size_t in_len;
	char *out;
	size_t out_off, out_len, out_cap;
	long long line_start_ms; /* when the pending partial line began; 0: none */
	long long last_rx_ms;    /* last byte received: the idle clock */
	long long tx_moved_ms;   /* when pending output last moved or became pending */
	bool backlog;   /* complete request lines left for the next round (LINES_PER_ROUND) */
	bool read_done; /* EOF seen or request refused: flush what is pending, then close */
	bool dead;      /* I/O error, overflow or timeout: close without flushing */
};

struct qv_rpc_server {
	struct qv_rpc_listener l;
	char *path;
	struct qv_rpc_policy policy;
	char *admin_group;   /* name, for messages */
	char read_group[64]; /* the socket group's name (or "gid N"), for messages */
	const struct qv_rpc_method *methods;
	void *ctx;
	int spare_fd;      /* given up to accept-and-refuse when out of descriptors (EMFILE) */
	long long idle_ms; /* QV_RPC_IDLE_TIMEOUT_MS unless set */
	struct conn *conns[QV_RPC_MAX_CLIENTS];
	size_t nconns;
	struct pollfd pfds[1 + QV_RPC_MAX_CLIENTS];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The socket's group is re-read at each accept: an operator may chgrp the socket after the
 * daemon opened it, and the file's group is what the kernel lets connect. */
static void refresh_read_group(struct qv_rpc_server *srv)
{
	struct stat st;
	struct group *gr;

	if (stat(srv->path, &st) != 0 || st.st_dev != srv->l.dev || st.st_ino != srv->l.ino)
		return;
	if (st.st_gid == srv->policy.read_gid && srv->read_group[0] != '\0')
		return;
	/* The name only for messages, looked up when the group changes: NSS may be slow. */
	srv->policy.read_gid = st.st_gid;
	gr = getgrgid(st.st_gid);
	if (gr != NULL)
		snprintf(srv->read_group, sizeof(srv->read_group), "%s", gr->gr_name);
	else
		snprintf(srv->read_group, sizeof(srv->read_group), "gid %ld", (long)st.st_gid);
}

struct qv_rpc_server *qv_rpc_server_open(const char *path, const struct qv_rpc_method *methods,
                                         void *ctx, char *err, size_t errlen)
{
	struct qv_rpc_listener l;
	struct qv_rpc_server *srv;

	if (qv_rpc_listen(path, SOMAXCONN, &l, err, errlen) != 0)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->path = strdup(path)) == NULL) {
		free(srv);
		qv_rpc_unlisten(&l, path);
		qv_rpc_set_err(err, errlen, "out of memory");
		return NULL;
	}
	srv->l = l;
	srv->policy = (struct qv_rpc_policy){
	    .owner_uid = geteuid(), .read_gid = srv->l.gid, .admin_gid = QV_RPC_NO_GROUP};
	srv->methods = methods;
	srv->ctx = ctx;
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->idle_ms = QV_RPC_IDLE_TIMEOUT_MS;
	refresh_read_group(srv);
	return srv;
}

void qv_rpc_server_set_idle_timeout(struct qv_rpc_server *srv, unsigned ms)
{
	srv->idle_ms = ms;
}

int qv_rpc_server_set_admin_group(struct qv_rpc_server *srv, const char *group, char *err,
                                  size_t errlen)
{
	struct group *gr;
	char *name;

	/* NULL is both "no such group" and a failed lookup (an unreadable /etc/group, an NSS
	 * module's error): errno tells them apart, and an operator needs to know which. */
	errno = 0;
	gr = getgrnam(group);
	if (gr == NULL && errno != 0 && errno != ENOENT && errno != ESRCH && errno != EBADF &&
	    errno != EPERM) {
		qv_rpc_set_err(err, errlen,
		               "--admin-group %s: cannot look the group up: %s (check /etc/group "
		               "and /etc/nsswitch.conf)",
		               group, strerror(errno));
		return -1;
	}
	if (gr == NULL) {
		qv_rpc_set_err(
		    err, errlen,
		    "--admin-group %s: no such group (create it with groupadd %s, or leave "
		    "the option out: then only root may change anything)",
		    group, group);
		return -1;
	}
	name = strdup(group);
	if (name == NULL) {
		qv_rpc_set_err(err, errlen, "out of memory");
		return -1;
	}
	free(srv->admin_group);
	srv->admin_group = name;
	srv->policy.admin_gid = gr->gr_gid;
	return 0;
}

static char *error_line(int code, const char *msg)
{
	json_t *resp = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
	                         "code", code, "message", msg);
	char *s = resp != NULL ? json_dumps(resp, JSON_COMPACT) : NULL;

	json_decref(resp);
	return s;
}

/* Best-effort one-shot write of a whole error line to a connection we are about to close:
 * the line is short, and a fresh socket's buffer always has room for it. */
static void refuse(int fd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void refuse(int fd, int code, const char *fmt, ...)
{
	char msg[512], *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s = error_line(code, msg);
	if (s != NULL) {
		size_t n = strlen(s);

		s[n] = '\n'; /* overwrite the terminator: we send exactly n + 1 bytes */
		(void)send(fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(s);
	}
	close(fd);
}

static size_t conns_of_uid(const struct qv_rpc_server *srv, uid_t uid)
{
	size_t n = 0;

	for (size_t i = 0; i < srv->nconns; i++)
		n += srv->conns[i]->uid == uid;
	return n;
}

/* Accepts one connection and refuses it when out of descriptors: with the listening socket
 * still readable, poll() would otherwise wake at once, every round, for nothing. */
static void refuse_without_fds(struct qv_rpc_server *srv)
{
	int fd;

	if (srv->spare_fd < 0)
		return;
	close(srv->spare_fd);
	fd = accept4(srv->l.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		refuse(fd, QV_RPC_INTERNAL_ERROR,
		       "server busy: %s is out of file descriptors on %s; retry later",
		       program_invocation_short_name, srv->path);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Judges one accepted connection: added, or refused (and closed). Returns false when it was
 * refused because every slot it could take is in use. */
static bool admit(struct qv_rpc_server *srv, int fd)
{
	struct qv_rpc_peer peer;
	gid_t *groups = NULL;
	enum qv_rpc_role role;
	bool trusted;
	struct conn *c;

	if (qv_rpc_peer_get(fd, &peer, &groups) != 0) {
		refuse(fd, QV_RPC_PERMISSION_DENIED,
		       "permission denied: cannot read the credentials of this connection to %s",
		       srv->path);
		return true;
	}
	refresh_read_group(srv);
	role = qv_rpc_peer_role(&srv->policy, &peer);
	free(groups);
	trusted = peer.uid == 0 || peer.uid == srv->policy.owner_uid;
	if (role == QV_RPC_ROLE_NONE) {
		const char *group = srv->read_group;

		refuse(fd, QV_RPC_PERMISSION_DENIED,
		       "permission denied: uid %ld is not allowed on %s (allowed: root, uid %ld, "
		       "members of the socket's group %s%s%s; ask an administrator to add you "
		       "to %s)",
		       (long)peer.uid, srv->path, (long)srv->policy.owner_uid, group,
		       srv->admin_group != NULL ? " or of " : "",
		       srv->admin_group != NULL ? srv->admin_group : "", group);
		return true;
	}
	if (srv->nconns >= QV_RPC_MAX_CLIENTS ||
	    (!trusted && srv->nconns >= QV_RPC_MAX_CLIENTS - QV_RPC_ROOT_RESERVED)) {
		refuse(fd, QV_RPC_APP_ERROR,
		       "server busy: too many clients connected to %s (at most %d, the last %d "
		       "kept for root); retry later",
		       srv->path, QV_RPC_MAX_CLIENTS, QV_RPC_ROOT_RESERVED);
		return false;
	}
	if (!trusted && conns_of_uid(srv, peer.uid) >= QV_RPC_MAX_PER_UID) {
		refuse(fd, QV_RPC_APP_ERROR,
		       "server busy: uid %ld already has %d connections to %s (at most %d per "
		       "user); close some and retry",
		       (long)peer.uid, QV_RPC_MAX_PER_UID, srv->path, QV_RPC_MAX_PER_UID);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->in = malloc(QV_RPC_MAX_REQUEST)) == NULL) {
		free(c);
		refuse(fd, QV_RPC_INTERNAL_ERROR, "server out of memory");
		return true;
	}
	c->fd = fd;
	c->uid = peer.uid;
	c->role = role;
	c->last_rx_ms = now_ms();
	srv->conns[srv->nconns++] = c;
	return true;
}

static void accept_clients(struct qv_rpc_server *srv)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(srv->l.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				refuse_without_fds(srv);
			return; /* EAGAIN, or a transient error: retried next round */
		}
		/* Full: stop this round after refusing one. Clients that hung up since poll()
		 * free their slots in the next round, which comes at once (the listening socket
		 * is still readable), before the next pending connection is judged. */
		if (!admit(srv, fd))
			return;
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
		c->tx_moved_ms = now_ms();
	}
	if (c->out_len == 0)
		c->out_off = 0;
}

/* Queues s plus a newline and sends what the socket takes now. A client that asks for more
 * while over QV_RPC_MAX_OUTPUT of earlier answers sit unread is not reading them: dropped.
 * (Judged before the new answer is added, so one large answer to a client that reads is
 * always delivered.) */
static void conn_queue(struct conn *c, const char *s, size_t n)
{
	if (c->dead)
		return;
	if (c->out_len > QV_RPC_MAX_OUTPUT) {
		c->dead = true;
		return;
	}
	if (c->out_len == 0)
		c->tx_moved_ms = now_ms();
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
}

/* Queues an error for the client and closes the connection once it is sent. */
static void conn_close_with(struct conn *c, int code, const char *msg)
{
	char *s = error_line(code, msg);

	if (s != NULL)
		conn_queue(c, s, strlen(s));
	free(s);
	c->in_len = 0;
	c->read_done = true;
}

static void serve_line(struct qv_rpc_server *srv, struct conn *c, const char *line, size_t len)
{
	struct qv_rpc_caller caller = {
	    .role = c->role, .uid = c->uid, .admin_group = srv->admin_group};
	char *resp;
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			break;
	if (i == len)
		return; /* blank line: a person typing into socat, not a request */
	resp = qv_rpc_handle_line_as(line, len, srv->methods, srv->ctx, &caller);
	if (resp != NULL) {
		conn_queue(c, resp, strlen(resp));
		free(resp);
	}
}

/* Serves up to LINES_PER_ROUND complete lines of the input buffer and keeps the rest; sets
 * c->backlog when complete lines are left. Restarts the line clock when a line was served. */
static void serve_lines(struct qv_rpc_server *srv, struct conn *c)
{
	size_t start = 0;
	int served = 0;
	char *nl;

	c->backlog = false;
	while (!c->dead && (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));

		if (served == LINES_PER_ROUND) {
			c->backlog = true;
			break;
		}
		serve_line(srv, c, c->in + start, len);
		start += len + 1;
		served++;
	}
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		c->line_start_ms = 0;
	}
	if (c->in_len > 0 && c->line_start_ms == 0)
		c->line_start_ms = now_ms();
}

static void conn_read(struct qv_rpc_server *srv, struct conn *c)
{
	char msg[256];
	ssize_t n;

	if (c->in_len < QV_RPC_MAX_REQUEST) {
		n = recv(c->fd, c->in + c->in_len, QV_RPC_MAX_REQUEST - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				c->dead = true;
			return;
		}
		c->last_rx_ms = now_ms();
		if (n == 0) {
			/* Half-closed client (printf ... | socat): answer a last unterminated line
			 * too. */
			if (c->in_len > 0)
				serve_line(srv, c, c->in, c->in_len);
			c->in_len = 0;
			c->read_done = true;
			return;
		}
		c->in_len += (size_t)n;
		serve_lines(srv, c);
	}
	if (c->backlog || c->in_len < QV_RPC_MAX_REQUEST)
		return;
	/* The buffer is full and holds no newline: this line cannot be a valid request. Close
	 * rather than resynchronise, since we cannot know where the client meant it to end. */
	snprintf(msg, sizeof(msg),
	         "invalid request: request larger than %d bytes (the limit, newline "
	         "included); the connection is closed",
	         QV_RPC_MAX_REQUEST);
	conn_close_with(c, QV_RPC_INVALID_REQUEST, msg);
}

/* The clocks of one connection (see the limits in rpc.h). */
static void conn_check_time(struct conn *c, long long now, long long idle_ms)
{
	if (c->dead)
		return;
	if (c->out_len > 0 && now - c->tx_moved_ms > QV_RPC_SEND_TIMEOUT_MS) {
		c->dead = true; /* not reading its answers: nothing more can be said to it */
		return;
	}
	if (c->read_done || c->backlog)
		return;
	if (c->in_len > 0 && c->line_start_ms != 0 &&
	    now - c->line_start_ms > QV_RPC_LINE_TIMEOUT_MS) {
		char msg[256];

		snprintf(msg, sizeof(msg),
		         "invalid request: no complete request line within %d s (a request is "
		         "one line ending with a newline); the connection is closed",
		         QV_RPC_LINE_TIMEOUT_MS / 1000);
		conn_close_with(c, QV_RPC_INVALID_REQUEST, msg);
		return;
	}
	/* Idle: nothing asked, nothing owed. Closed without a word: a client that reuses its
	 * connection later reconnects, and an unsolicited line could be taken for an answer. */
	if (c->in_len == 0 && c->out_len == 0 && now - c->last_rx_ms > idle_ms)
		c->dead = true;
}

int qv_rpc_server_poll(struct qv_rpc_server *srv, int timeout_ms)
{
	size_t n = srv->nconns, i, kept;
	long long now;
	int rc;

	srv->pfds[0] = (struct pollfd){.fd = srv->l.fd, .events = POLLIN};
	for (i = 0; i < n; i++) {
		struct conn *c = srv->conns[i];
		short ev = 0;

		if (!c->read_done && !c->backlog)
			ev |= POLLIN;
		if (c->out_len > 0)
			ev |= POLLOUT;
		if (c->backlog)
			timeout_ms = 0; /* requests already here: serve them, do not wait */
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
		if (!c->dead && c->backlog)
			serve_lines(srv, c);
		/* POLLHUP/POLLERR: read anyway, recv() reports the data left, EOF or the error. */
		else if (!c->dead && !c->read_done && (re & (POLLIN | POLLHUP | POLLERR)))
			conn_read(srv, c);
		if (!c->dead && c->out_len > 0)
			conn_flush(c);
		if (!c->dead && c->read_done && c->out_len == 0)
			c->dead = true;
	}
	now = now_ms();
	for (i = 0, kept = 0; i < n; i++) {
		conn_check_time(srv->conns[i], now, srv->idle_ms);
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
	if (srv == NULL)
		return;
	for (size_t i = 0; i < srv->nconns; i++)
		conn_free(srv->conns[i]);
	qv_rpc_unlisten(&srv->l, srv->path);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	free(srv->admin_group);
	free(srv->path);
	free(srv);
}
