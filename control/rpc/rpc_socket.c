/* qwikvirt: creating a control socket safely: trusted directories, one daemon per socket (a
 * lock file), never wider than 0660 at any moment, and a live server's socket never removed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/rpc/rpc_internal.h"

void qv_rpc_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* mkdir -p of dir; /run/qwikvirt does not exist after a reboot. 0755: clients must reach the
 * socket inside, and the socket's own mode (0660) is what keeps them out. */
static int make_dirs(const char *dir, const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1;; p++) {
		bool last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
			qv_rpc_set_err(err, errlen,
			               "cannot create directory %s for the socket %s: %s", buf,
			               path, strerror(errno));
			return -1;
		}
		if (last)
			return 0;
		*p = '/';
	}
}

/* Who could swap the socket (or its lock) under us decides whether clients talk to us:
 * - the directory holding the socket must be owned by root or the daemon's uid and writable
 *   by nobody else, sticky or not: in a shared sticky directory (/tmp itself) anyone may
 *   create the socket's name first and clients could not tell a squatter from the daemon;
 * - every directory above it must be owned by root or the daemon's uid and not writable by
 *   others unless sticky (/tmp above a private mktemp directory): the sticky bit stops others
 *   renaming or removing our directory, which is all that matters above it.
 * Checked on the resolved path, so a symlink in the way is judged by what it points to. */
static int check_dirs(const char *dir, const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX];
	size_t len;
	uid_t me = geteuid();

	if (realpath(dir, real) == NULL) {
		qv_rpc_set_err(err, errlen, "cannot resolve %s, the directory of the socket %s: %s",
		               dir, path, strerror(errno));
		return -1;
	}
	len = strlen(real);
	/* "/", then each prefix of the resolved path, ending with the socket's directory */
	for (size_t end = 0; end <= len; end++) {
		bool last = (end == len);
		char prefix[PATH_MAX];
		struct stat st;
		mode_t wr;

		if (!last && real[end] != '/')
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s", end == 0 ? 1 : (int)end, real);
		if (stat(prefix, &st) != 0) {
			qv_rpc_set_err(err, errlen, "cannot check %s (for the socket %s): %s",
			               prefix, path, strerror(errno));
			return -1;
		}
		wr = st.st_mode & (S_IWGRP | S_IWOTH);
		if (st.st_uid != 0 && st.st_uid != me) {
			qv_rpc_set_err(
			    err, errlen,
			    "unsafe socket directory: %s is owned by uid %ld, not root or uid "
			    "%ld, and its owner could replace the socket %s; use a directory "
			    "such as /run/qwikvirt",
			    prefix, (long)st.st_uid, (long)me, path);
			return -1;
		}
		if (wr != 0 && (last || !(st.st_mode & S_ISVTX))) {
			qv_rpc_set_err(
			    err, errlen,
			    "unsafe socket directory: %s is writable by %s (mode %04o), who "
			    "could replace the socket %s; run chmod go-w %s or use a directory "
			    "such as /run/qwikvirt",
			    prefix, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
			    (unsigned)(st.st_mode & 07777), path, prefix);
			return -1;
		}
	}
	return 0;
}

/* flock(), not fcntl() locks: those belong to the process, so a second server opened by the
 * same process (a test) would be let in. The file is left in place when the daemon stops:
 * unlinking it would let a starting daemon lock the old inode while another creates and
 * locks a new one. After locking, the path is checked to still name the locked inode in case
 * someone removed it by hand. */
static int take_lock(const char *path, int *lock_fd, char *err, size_t errlen)
{
	char lock[PATH_MAX + 8];

	snprintf(lock, sizeof(lock), "%s.lock", path);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct stat fst, pst;
		char pid[32];
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0) {
			qv_rpc_set_err(err, errlen, "cannot open the lock file %s: %s", lock,
			               strerror(errno));
			return -1;
		}
		if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) ||
		    (fst.st_uid != 0 && fst.st_uid != geteuid())) {
			qv_rpc_set_err(
			    err, errlen,
			    "the lock file %s is not a regular file owned by root or uid %ld; "
			    "remove it",
			    lock, (long)geteuid());
			close(fd);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(fd);
			if (e == EWOULDBLOCK) {
				qv_rpc_set_err(
				    err, errlen,
				    "another server is running on %s (pid %s holds the lock "
				    "%s); stop it first",
				    path, pid[0] ? pid : "?", lock);
				return -1;
			}
			qv_rpc_set_err(err, errlen, "cannot lock %s: %s", lock, strerror(e));
			return -1;
		}
		if (stat(lock, &pst) == 0 && pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino) {
			int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

			/* Only for the refusal message of the next daemon: best effort. */
			if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
				pid[0] = '\0';
			*lock_fd = fd;
			return 0;
		}
		close(fd); /* removed or replaced while we locked it: lock what is there now */
	}
	qv_rpc_set_err(err, errlen,
	               "the lock file %s.lock keeps being replaced; is something removing it?",
	               path);
	return -1;
}

/* Something already at path: refuse unless it is a socket nobody answers on (a crashed
 * server's leftover), which is removed. A socket that answers is never unlinked. */
static int clear_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		qv_rpc_set_err(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		qv_rpc_set_err(err, errlen,
		               "%s exists and is not a socket; remove it or choose another "
		               "socket path",
		               path);
		return -1;
	}
	/* Non-blocking so a live server with a full backlog (EAGAIN) cannot hang us. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		qv_rpc_set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		qv_rpc_set_err(err, errlen, "another server is running on %s; stop it first", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		qv_rpc_set_err(err, errlen,
		               "cannot tell whether a server is running on %s (%s); remove "
		               "the socket by hand if none is",
		               path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		qv_rpc_set_err(err, errlen, "cannot remove the stale socket %s: %s", path,
		               strerror(errno));
		return -1;
	}
	return 0;
}

/* bind() creates the socket file with mode 0777 & ~umask, and fchmod() on a socket fd changes
 * the socket's own inode, never the file: the umask is the only way to have the file born
 * 0660. It is process-wide, so it is set for the bind() alone; another thread creating a file
 * in that instant gets a stricter mode, never a wider one. The group comes after, by path
 * (there is no fd for the file): at that point the file is 0660 with the daemon's group, so
 * the window only keeps members out a moment longer, never lets anyone else in; and the path
 * cannot be redirected in between because check_dirs() made sure nobody else can write any
 * directory on it (lchown so a symlink is never followed anyway). */
static int bind_socket(int fd, const struct sockaddr_un *sa, const char *path, struct stat *st,
                       char *err, size_t errlen)
{
	struct group *gr;
	mode_t old = umask(0117);
	int rc = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;

	umask(old);
	if (rc != 0) {
		qv_rpc_set_err(err, errlen, "cannot bind %s: %s", path, strerror(e));
		return -1;
	}
	/* getgrnam once at start-up; per-connection checks never ask NSS (see rpc_peer.c). */
	gr = getgrnam(QV_RPC_READ_GROUP);
	if (gr != NULL && lchown(path, (uid_t)-1, gr->gr_gid) != 0) {
		qv_rpc_set_err(err, errlen, "cannot give %s to group %s: %s", path,
		               QV_RPC_READ_GROUP, strerror(errno));
		unlink(path);
		return -1;
	}
	if (lstat(path, st) != 0 || !S_ISSOCK(st->st_mode)) {
		qv_rpc_set_err(err, errlen,
		               "the socket %s vanished while it was set up; is another "
		               "program removing it?",
		               path);
		return -1;
	}
	return 0;
}

int qv_rpc_listen(const char *path, int backlog, struct qv_rpc_listener *l, char *err,
                  size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;

	*l = (struct qv_rpc_listener){.fd = -1, .lock_fd = -1};
	if (path == NULL || path[0] == '\0') {
		qv_rpc_set_err(err, errlen, "no socket path given");
		return -1;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		qv_rpc_set_err(err, errlen, "socket path %s is too long (at most %zu bytes)", path,
		               sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	slash = strrchr(path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	if ((strcmp(dir, ".") != 0 && strcmp(dir, "/") != 0 &&
	     make_dirs(dir, path, err, errlen) != 0) ||
	    check_dirs(dir, path, err, errlen) != 0 ||
	    take_lock(path, &l->lock_fd, err, errlen) != 0)
		return -1;
	if (clear_path(path, &sa, err, errlen) != 0)
		goto fail;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0) {
		qv_rpc_set_err(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	if (bind_socket(l->fd, &sa, path, &st, err, errlen) != 0)
		goto fail;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->gid = st.st_gid;
	if (listen(l->fd, backlog) != 0) {
		qv_rpc_set_err(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return 0;
fail:
	if (l->fd >= 0)
		close(l->fd);
	close(l->lock_fd);
	*l = (struct qv_rpc_listener){.fd = -1, .lock_fd = -1};
	return -1;
}

void qv_rpc_unlisten(struct qv_rpc_listener *l, const char *path)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	if (lstat(path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(path);
	if (l->lock_fd >= 0)
		close(l->lock_fd); /* releases the lock; the file stays (see take_lock) */
	*l = (struct qv_rpc_listener){.fd = -1, .lock_fd = -1};
}
