/* qwikvirt: paths a request names, confined to one directory (captures, vhost sockets, pcap
 * files): no "..", no symbolic link at any component (an openat walk with O_NOFOLLOW). */
#ifndef QV_PATH_CONFINE_H
#define QV_PATH_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A confining directory, as the daemon resolved it at start. */
struct qv_confine {
	const char *what; /* "capture directory": for messages */
	char root[4096];  /* realpath of the directory */
};

/* Resolves dir (creating it with mode when it is missing, and then giving it group gid unless
 * gid is (gid_t)-1) into c->root. With private_dir, refuses a directory not owned by root or
 * the daemon's uid, or writable by its group or others: whoever may write there could link
 * another file in under a name a request then overwrites. -1 with err naming the directory. */
int qv_confine_init(struct qv_confine *c, const char *what, const char *dir, mode_t mode, gid_t gid,
                    bool private_dir, char *err, size_t errlen);

/* Where a confined path leads: the open directory that holds it and its last component. */
struct qv_confined {
	int dirfd;       /* the directory holding the leaf (close it: qv_confined_close) */
	char leaf[256];  /* the last component */
	char full[4096]; /* root/relative path: what is shown and what DPDK is given */
};

/* Resolves name (relative to the root, or absolute and inside it) without following a symbolic
 * link anywhere below the root. Refuses an empty name, "." or ".." components, a name ending
 * in "/", an absolute path outside the root, a missing directory and a link in the way. Does
 * not look at the leaf itself. -1 with err naming the parameter (param) and why. */
int qv_confine_resolve(const struct qv_confine *c, const char *param, const char *name,
                       struct qv_confined *out, char *err, size_t errlen);
void qv_confined_close(struct qv_confined *p);

/* How the leaf may be. */
enum qv_confine_leaf {
	QV_LEAF_NEW,      /* must not exist yet */
	QV_LEAF_REGULAR,  /* must be an existing regular file (to read) */
	QV_LEAF_NOT_LINK, /* may exist, but not as a symbolic link (a socket) */
};

/* Checks the leaf of p as kind says, with the same error style. */
int qv_confine_check_leaf(const struct qv_confined *p, const char *param, enum qv_confine_leaf kind,
                          char *err, size_t errlen);

/* Creates leaf in the directory dirfd (a qv_confined's: rotated capture files are made beside
 * the first) as a new file (O_EXCL), or with overwrite truncates an existing one, which must
 * be a regular file with one link (a hard link to a file elsewhere is refused). Never follows
 * a link, never blocks on a FIFO. shown names the file in messages. Returns the fd (write
 * only), or -1 with err. */
int qv_confine_create(int dirfd, const char *leaf, const char *shown, bool overwrite, mode_t mode,
                      char *err, size_t errlen);

#endif
