/* qwikvirt: the credentials of a control client: uid and gid from SO_PEERCRED, supplementary
 * groups from SO_PEERGROUPS, all as the kernel recorded them when the client connected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/rpc/rpc_internal.h"

/* Where the supplementary groups come from, and why:
 * - SO_PEERGROUPS (Linux 4.13+), first choice: the kernel's own snapshot taken at connect(),
 *   with SO_PEERCRED's. It is what the kernel itself used to let the client open the 0660
 *   socket, it cannot race (no pid that might exit and be reused), and it costs no lookup.
 * - /proc/PID/status "Groups:" would read the process's groups now, not at connect(), and the
 *   pid may have been reused by another process by then (checkable, not closable).
 * - getgrouplist(uid) reads /etc/group (or LDAP through NSS: a slow directory would stall the
 *   one control thread at every accept), and grants a process groups it does not have: one
 *   that dropped them (setpriv --clear-groups) or a session started before `usermod -aG`.
 * So: SO_PEERGROUPS, then /proc/PID/status on an older kernel (with the pid's uid checked
 * against SO_PEERCRED's), and with neither, the primary group only (fails closed). */
static int groups_from_proc(pid_t pid, uid_t uid, gid_t **groups, size_t *n)
{
	char path[64], line[4096];
	size_t cap = 0;
	FILE *f;
	bool uid_ok = false;

	if (pid <= 0)
		return -1; /* a peer in another pid namespace: no pid we can read */
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	*n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long r, e;

		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			uid_ok = (uid_t)e == uid;
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (char *p = line + 7, *end;; p = end) {
			unsigned long g = strtoul(p, &end, 10);
			gid_t *grown;

			if (end == p)
				break;
			if (*n == cap) {
				cap = cap ? cap * 2 : 32;
				grown = realloc(*groups, cap * sizeof(**groups));
				if (grown == NULL)
					break;
				*groups = grown;
			}
			(*groups)[(*n)++] = (gid_t)g;
		}
	}
	fclose(f);
	if (!uid_ok) /* not the process that connected (exited, pid reused): trust none */
		*n = 0;
	return uid_ok ? 0 : -1;
}

int qv_rpc_peer_get(int fd, struct qv_rpc_peer *peer, gid_t **groups)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t n = 0;

	*groups = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return -1;
	*peer = (struct qv_rpc_peer){.uid = cred.uid, .gid = cred.gid};
#ifdef SO_PEERGROUPS
	/* The size is not known in advance: ERANGE reports the size needed. */
	len = 32 * sizeof(gid_t);
	for (int attempt = 0; attempt < 3; attempt++) {
		gid_t *buf = realloc(*groups, len > 0 ? len : sizeof(gid_t));

		if (buf == NULL)
			break;
		*groups = buf;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) == 0) {
			n = len / sizeof(gid_t);
			goto done;
		}
		if (errno != ERANGE)
			break;
	}
#endif
	if (groups_from_proc(cred.pid, cred.uid, groups, &n) != 0)
		n = 0;
#ifdef SO_PEERGROUPS
done:
#endif
	peer->groups = *groups;
	peer->n_groups = n;
	return 0;
}
