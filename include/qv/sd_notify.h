/* qwikvirt: systemd readiness (Type=notify) without libsystemd: the daemons send "READY=1" to
 * $NOTIFY_SOCKET once their control socket answers; outside systemd it does nothing. */
#ifndef QV_SD_NOTIFY_H
#define QV_SD_NOTIFY_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Sends state ("READY=1", "STOPPING=1", ...) as sd_notify(3) does. Returns 0 when sent or when
 * there is no $NOTIFY_SOCKET, -1 when it could not be sent (the service manager then times the
 * start out, which says more than a message here would). */
static inline int qv_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = path ? strlen(path) : 0;
	int fd, rc;

	if (n == 0)
		return 0;
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@') /* an abstract socket */
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
	            (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0
	         ? -1
	         : 0;
	close(fd);
	return rc;
}

#endif
