/* qwikvirt: libFuzzer target for qvctl's side of a response: the bytes a daemon answers go
 * through the real client (qv_rpc_call, from a fake server on a Unix socket), and whatever JSON
 * comes out, or the input itself as JSON, is rendered by every one of qvctl's views. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/qvctl/qvctl.h"
#include "control/rpc/rpc.h"

/* qvctl.c (with main) is not linked: its options live here. */
struct qvctl_opt opt = {.sock = DEFAULT_SOCKET, .timeout_ms = 2000};

static void (*const views[])(const json_t *) = {
    view_ports, view_pmd,    view_flows,    view_drops_result, view_l2,
    view_stats, view_chains, view_controld, view_placement,
};

static char sock_path[108];
static int listen_fd = -1;
static const uint8_t *answer;
static size_t answer_len;
static sem_t answered;

/* The fake daemon: reads the request line, answers the fuzzer's bytes, closes. */
static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		char c;

		if (fd < 0)
			continue;
		for (ssize_t n;
		     ((n = read(fd, &c, 1)) == 1 && c != '\n') || (n < 0 && errno == EINTR);)
			;
		for (size_t off = 0; off < answer_len;) {
			ssize_t n = send(fd, answer + off, answer_len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		close(fd);
		sem_post(&answered);
	}
	return NULL;
}

static void cleanup(void)
{
	unlink(sock_path);
}

static void start(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *tmp = getenv("TMPDIR"); /* scripts/fuzz.sh: a folder it removes */
	pthread_t t;

	/* The views print tables; only crashes and sanitizer reports matter here. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/qv-fuzz-qvctl-%d.sock",
	         tmp && *tmp ? tmp : "/tmp", (int)getpid());
	unlink(sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 4) != 0 || sem_init(&answered, 0, 0) != 0 ||
	    pthread_create(&t, NULL, serve, NULL) != 0)
		abort();
	atexit(cleanup);
	opt.sock = sock_path;
}

static void render(const json_t *v)
{
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		views[i](v);
	opt.json = true;
	json_out(v);
	opt.json = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *result = NULL, *direct;
	char err[1024];
	int code = 0, rc;

	if (listen_fd < 0)
		start();
	answer = data;
	answer_len = size;
	rc = qv_rpc_call(sock_path, "port.list", NULL, opt.timeout_ms, &result, &code, err,
	                 sizeof(err));
	/* The server is done with data before it is freed; libFuzzer's -timeout alarm (SIGALRM
	 * every second) interrupts the wait. */
	while (sem_wait(&answered) != 0)
		;
	if (rc == 0) {
		if (result == NULL)
			abort();
		render(result);
		json_decref(result);
	} else if (err[0] == '\0') {
		abort(); /* a failed call must say why */
	}
	/* The views take any JSON a daemon could send, not only what a well-formed answer holds. */
	direct = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (direct != NULL) {
		render(direct);
		json_decref(direct);
	}
	return 0;
}
