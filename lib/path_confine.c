/* qwikvirt: paths a request names, confined to one directory (see path_confine.h). The walk
 * opens every directory below the root with O_NOFOLLOW, so a link planted anywhere is met. */
#include "lib/path_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int qv_confine_init(struct qv_confine *c, const char *what, const char *dir, mode_t mode, gid_t gid,
                    bool private_dir, char *err, size_t errlen)
{
	struct stat st;

	c->what = what;
	if (dir[0] != '/')
		return fail(err, errlen, "%s '%s' must be an absolute path", what, dir);
	if (mkdir(dir, mode & 0777) == 0) {
		/* mkdir's mode passes through the umask and drops S_ISGID: set both here. A daemon
		 * run by a user outside the group keeps its own group (EPERM): only members would
		 * lose read access to their captures, which they do not have then anyway. */
		if ((gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) != 0 && errno != EPERM) ||
		    chmod(dir, mode) != 0)
			return fail(err, errlen, "%s %s: cannot set its group and mode: %s", what,
			            dir, strerror(errno));
	} else if (errno != EEXIST) {
		return fail(err, errlen, "cannot create the %s %s: %s", what, dir, strerror(errno));
	}
	if (!realpath(dir, c->root) || stat(c->root, &st) != 0)
		return fail(err, errlen, "cannot resolve the %s %s: %s", what, dir,
		            strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, "the %s %s is not a directory", what, dir);
	if (private_dir && st.st_uid != 0 && st.st_uid != geteuid())
		return fail(err, errlen,
		            "unsafe %s %s: owned by uid %ld, not root or uid %ld (its owner could "
		            "link any file in under a name a request then overwrites)",
		            what, c->root, (long)st.st_uid, (long)geteuid());
	if (private_dir && (st.st_mode & (S_IWGRP | S_IWOTH)))
		return fail(err, errlen,
		            "unsafe %s %s: writable by %s (mode %04o), who could link any file in "
		            "under a name a request then overwrites; run chmod go-w %s",
		            what, c->root, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
		            (unsigned)(st.st_mode & 07777), c->root);
	return 0;
}

/* name, made relative to the root: "" when it is outside. An absolute name is accepted when
 * it spells the root itself, or when its directory resolves into the root (a test's /tmp/x
 * reached through a link to /tmp). */
static const char *relative_to_root(const struct qv_confine *c, const char *name, char *buf,
                                    size_t len)
{
	size_t n = strlen(c->root);
	const char *slash;
	char dir[PATH_MAX], real[PATH_MAX];

	if (name[0] != '/')
		return name;
	if (strncmp(name, c->root, n) == 0 && (name[n] == '/' || c->root[n - 1] == '/'))
		return name + n + (name[n] == '/');
	slash = strrchr(name, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash == name ? 1 : (int)(slash - name), name);
	if (!realpath(dir, real))
		return "";
	if (strcmp(real, c->root) == 0)
		return slash + 1;
	if (strncmp(real, c->root, n) != 0 || real[n] != '/')
		return "";
	snprintf(buf, len, "%s/%s", real + n + 1, slash + 1);
	return buf;
}

int qv_confine_resolve(const struct qv_confine *c, const char *param, const char *name,
                       struct qv_confined *out, char *err, size_t errlen)
{
	char buf[PATH_MAX], rel[PATH_MAX], *save = NULL, *comp, *next;
	const char *r;
	int fd;

	out->dirfd = -1;
	if (!name || !name[0])
		return fail(err, errlen, "parameter '%s' must name a file in the %s %s", param,
		            c->what, c->root);
	if (strlen(name) >= PATH_MAX - 16)
		return fail(err, errlen, "parameter '%s': path too long", param);
	r = relative_to_root(c, name, buf, sizeof(buf));
	if (!r[0] || r[strlen(r) - 1] == '/')
		return fail(err, errlen,
		            "parameter '%s': '%s' is %s; give a file name (or a relative path) "
		            "inside the %s %s",
		            param, name, r[0] ? "a directory" : "outside", c->what, c->root);
	snprintf(rel, sizeof(rel), "%s", r);
	fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "cannot open the %s %s: %s", c->what, c->root,
		            strerror(errno));
	snprintf(out->full, sizeof(out->full), "%s", c->root);
	for (comp = strtok_r(rel, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			close(fd);
			return fail(err, errlen,
			            "parameter '%s': '%s' has a '%s' component; give a path inside "
			            "the %s %s without . or ..",
			            param, name, comp, c->what, c->root);
		}
		if (strlen(comp) >= sizeof(out->leaf)) {
			close(fd);
			return fail(err, errlen, "parameter '%s': component '%.40s...' too long",
			            param, comp);
		}
		snprintf(out->full + strlen(out->full), sizeof(out->full) - strlen(out->full),
		         "/%s", comp);
		if (!next) {
			snprintf(out->leaf, sizeof(out->leaf), "%s", comp);
			out->dirfd = fd;
			return 0;
		}
		int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (sub < 0) {
			int e = errno;
			bool link =
			    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);

			close(fd);
			return fail(err, errlen, "parameter '%s': %s %s", param, out->full,
			            link           ? "is a symbolic link: refusing to go through it"
			            : e == ENOENT  ? "does not exist (create the directory first)"
			            : e == ENOTDIR ? "is not a directory"
			                           : strerror(e));
		}
		close(fd);
		fd = sub;
	}
	close(fd);
	return fail(err, errlen, "parameter '%s': '%s' names no file", param, name);
}

void qv_confined_close(struct qv_confined *p)
{
	if (p->dirfd >= 0)
		close(p->dirfd);
	p->dirfd = -1;
}

int qv_confine_check_leaf(const struct qv_confined *p, const char *param, enum qv_confine_leaf kind,
                          char *err, size_t errlen)
{
	struct stat st;
	bool exists = fstatat(p->dirfd, p->leaf, &st, AT_SYMLINK_NOFOLLOW) == 0;

	if (!exists && errno != ENOENT)
		return fail(err, errlen, "parameter '%s': cannot check %s: %s", param, p->full,
		            strerror(errno));
	if (exists && S_ISLNK(st.st_mode))
		return fail(err, errlen,
		            "parameter '%s': %s is a symbolic link: refusing to go through it",
		            param, p->full);
	switch (kind) {
	case QV_LEAF_NEW:
		if (exists)
			return fail(err, errlen,
			            "parameter '%s': %s already exists (it would be overwritten: "
			            "remove it or pick another name)",
			            param, p->full);
		break;
	case QV_LEAF_REGULAR:
		if (!exists)
			return fail(err, errlen, "parameter '%s': %s does not exist", param,
			            p->full);
		if (!S_ISREG(st.st_mode))
			return fail(err, errlen, "parameter '%s': %s is not a regular file", param,
			            p->full);
		break;
	case QV_LEAF_NOT_LINK:
		break;
	}
	return 0;
}

int qv_confine_create(int dirfd, const char *leaf, const char *shown, bool overwrite, mode_t mode,
                      char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct stat st;
	int fd;

	/* No O_TRUNC in the open: what an existing name holds is checked first, on the fd. */
	fd = openat(dirfd, leaf, flags | (overwrite ? 0 : O_EXCL), mode);
	if (fd < 0)
		return fail(err, errlen, "cannot create %s: %s", shown,
		            errno == ELOOP    ? "it is a symbolic link"
		            : errno == EEXIST ? "it already exists (--force to overwrite it)"
		                              : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return fail(err, errlen,
		            "%s is not a regular file with one link: not overwriting it", shown);
	}
	if ((overwrite && ftruncate(fd, 0) != 0) || fchmod(fd, mode) != 0 ||
	    fcntl(fd, F_SETFL, O_WRONLY) != 0) {
		int e = errno;

		close(fd);
		return fail(err, errlen, "cannot prepare %s: %s", shown, strerror(e));
	}
	return fd;
}
