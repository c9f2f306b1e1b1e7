/* qwikvirt: what the RPC files share (socket set-up, peer credentials, error text) and no
 * other part of the tree needs; programs use rpc.h. */
#ifndef QV_RPC_INTERNAL_H
#define QV_RPC_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "control/rpc/rpc.h"

/* printf into err (when err is not NULL): the messages the server, client and socket set-up
 * hand back (rpc_socket.c). */
void qv_rpc_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A listening control socket and the lock that makes it ours. */
struct qv_rpc_listener {
	int fd;
	int lock_fd; /* flock(LOCK_EX) on PATH.lock, held until qv_rpc_unlisten() */
	dev_t dev;   /* identity of the socket file we created, so unlisten never unlinks */
	ino_t ino;   /* a socket that another server has since put at the same path */
	gid_t gid;   /* the socket file's group once set up */
};

/* Checks the directories, takes the lock, clears a stale socket, binds (0660, group
 * QV_RPC_READ_GROUP when it exists) and listens (rpc_socket.c). */
int qv_rpc_listen(const char *path, int backlog, struct qv_rpc_listener *l, char *err,
                  size_t errlen);
/* Closes the socket, unlinks its file if it is still ours, releases the lock. */
void qv_rpc_unlisten(struct qv_rpc_listener *l, const char *path);

/* The peer of a connected socket (rpc_peer.c): uid, gid and supplementary groups as they were
 * at connect(). *groups is malloc'd (free it); 0, or -1 when the kernel will not say. */
int qv_rpc_peer_get(int fd, struct qv_rpc_peer *peer, gid_t **groups);

#endif
