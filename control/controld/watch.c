/* qwikvirt: qv-controld's watch on qv-switchd — one connection to the switch's socket held open
 * and never written to, so the daemon learns at once that the switch died and when it is back. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/controld/controld.h"

/* How often connect() is tried while the switch is away: a restarted switch opens its socket
 * a few hundred ms after it starts, and its ports should be back well under a second later. */
#define WATCH_RETRY_MS 10

void qv_watch_init(struct qv_switch_watch *w, const char *sock)
{
	*w = (struct qv_switch_watch){.fd = -1, .sock = sock};
}

static int watch_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a Unix stream connect completes at once or fails (ENOENT, ECONNREFUSED, EAGAIN when
	 * the backlog is full): never EINPROGRESS worth waiting for */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The held connection hung up (the switch process is gone: the kernel closed its end)? Data
 * the switch might send is read and ignored; only EOF or an error count. */
static bool watch_hung_up(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[256];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
		return false;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
	}
}

enum qv_watch_event qv_watch_poll(struct qv_switch_watch *w)
{
	long long now;

	if (w->fd >= 0) {
		if (!watch_hung_up(w->fd))
			return QV_WATCH_NONE;
		close(w->fd);
		/* a switch that only closed this connection (an idle timeout) still answers; a
		 * killed one's socket refuses at once, and no switch restarts in no time */
		w->fd = watch_connect(w->sock);
		if (w->fd >= 0)
			return QV_WATCH_NONE;
		w->next_try_ms = qv_cd_mono_ms() + WATCH_RETRY_MS;
		return QV_WATCH_GONE;
	}
	now = qv_cd_mono_ms();
	if (now < w->next_try_ms)
		return QV_WATCH_NONE;
	w->fd = watch_connect(w->sock);
	if (w->fd < 0) {
		w->next_try_ms = now + WATCH_RETRY_MS;
		return QV_WATCH_NONE;
	}
	return QV_WATCH_BACK;
}

void qv_watch_close(struct qv_switch_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
