/* qwikvirt: unit tests of libqv's path confinement (lib/path_confine.c), which the switch's
 * captures, vhost sockets and devargs files go through: escapes refused, nothing created. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "lib/path_confine.h"

static char top[64];
static struct qv_confine dir;

static int setup(void)
{
	char err[512], sub[96];

	snprintf(top, sizeof(top), "/tmp/qv-confine.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(sub, sizeof(sub), "%s/cap", top);
	if (qv_confine_init(&dir, "capture directory", sub, 0750, (gid_t)-1, true, err,
	                    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* Resolves name: 0 and the full path in full, or -1 with the message in msg. */
static int resolve(const char *name, char *full, char *msg)
{
	struct qv_confined p;
	int rc = qv_confine_resolve(&dir, "file", name, &p, msg, 512);

	if (rc == 0)
		snprintf(full, 512, "%.500s", p.full);
	qv_confined_close(&p);
	return rc;
}

static void test_init(void)
{
	struct qv_confine c;
	char err[512], path[96];
	struct stat st;

	CU_ASSERT_EQUAL(stat(dir.root, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/open", top);
	CU_ASSERT_EQUAL(mkdir(path, 0777), 0);
	CU_ASSERT_EQUAL(chmod(path, 0777), 0);
	CU_ASSERT_EQUAL(
	    qv_confine_init(&c, "capture directory", path, 0750, (gid_t)-1, true, err, sizeof(err)),
	    -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by everyone"));
	/* not private (a vhost socket directory QEMU writes to): accepted */
	CU_ASSERT_EQUAL(qv_confine_init(&c, "vhost socket directory", path, 0755, (gid_t)-1, false,
	                                err, sizeof(err)),
	                0);
	CU_ASSERT_EQUAL(qv_confine_init(&c, "capture directory", "rel", 0750, (gid_t)-1, true, err,
	                                sizeof(err)),
	                -1);
}

static void test_resolve(void)
{
	char full[512], msg[512], want[4200], path[4200];

	CU_ASSERT_EQUAL(resolve("a.pcapng", full, msg), 0);
	snprintf(want, sizeof(want), "%s/a.pcapng", dir.root);
	CU_ASSERT_STRING_EQUAL(full, want);
	CU_ASSERT_EQUAL(resolve(want, full, msg), 0); /* absolute, inside */
	CU_ASSERT_STRING_EQUAL(full, want);

	CU_ASSERT_EQUAL(resolve("../x", full, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'..' component"));
	CU_ASSERT_EQUAL(resolve("./x", full, msg), -1);
	CU_ASSERT_EQUAL(resolve("/etc/passwd", full, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "is outside"));
	CU_ASSERT_EQUAL(resolve("", full, msg), -1);
	CU_ASSERT_EQUAL(resolve("sub/", full, msg), -1);
	CU_ASSERT_EQUAL(resolve("nodir/x", full, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "does not exist"));

	snprintf(path, sizeof(path), "%s/esc", dir.root);
	CU_ASSERT_EQUAL(symlink(top, path), 0);
	CU_ASSERT_EQUAL(resolve("esc/x", full, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "symbolic link"));
	snprintf(path, sizeof(path), "%s/esc/x", dir.root); /* the same, spelt absolute */
	CU_ASSERT_EQUAL(resolve(path, full, msg), -1);

	snprintf(path, sizeof(path), "%s/sub", dir.root);
	CU_ASSERT_EQUAL(mkdir(path, 0750), 0);
	CU_ASSERT_EQUAL(resolve("sub//b.pcapng", full, msg), 0);
	snprintf(want, sizeof(want), "%s/sub/b.pcapng", dir.root);
	CU_ASSERT_STRING_EQUAL(full, want);
}

/* Creates name (overwrite or not): the fd's result, and the message. */
static int create(const char *name, bool overwrite, char *msg)
{
	struct qv_confined p;
	int fd;

	if (qv_confine_resolve(&dir, "file", name, &p, msg, 512) != 0)
		return -2;
	fd = qv_confine_create(p.dirfd, p.leaf, p.full, overwrite, 0640, msg, 512);
	qv_confined_close(&p);
	if (fd >= 0) {
		CU_ASSERT_EQUAL(write(fd, "new", 3), 3);
		close(fd);
	}
	return fd >= 0 ? 0 : -1;
}

static void test_create(void)
{
	char msg[512], path[4200], victim[128], buf[16] = "";
	struct stat st;
	int fd;

	CU_ASSERT_EQUAL(create("c.pcapng", false, msg), 0);
	snprintf(path, sizeof(path), "%s/c.pcapng", dir.root);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
	CU_ASSERT_EQUAL(create("c.pcapng", false, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "already exists"));

	/* overwrite really truncates: a long file becomes the 3 new bytes */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "old old old old", 15), 15);
	close(fd);
	CU_ASSERT_EQUAL(create("c.pcapng", true, msg), 0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 3);

	/* a link to a file outside: neither followed nor overwritten */
	snprintf(victim, sizeof(victim), "%s/victim", top);
	fd = open(victim, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_EQUAL(write(fd, "precious", 8), 8);
	close(fd);
	snprintf(path, sizeof(path), "%s/l.pcapng", dir.root);
	CU_ASSERT_EQUAL(symlink(victim, path), 0);
	CU_ASSERT_EQUAL(create("l.pcapng", true, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "symbolic link"));
	CU_ASSERT_EQUAL(create("l.pcapng", false, msg), -1);
	snprintf(path, sizeof(path), "%s/h.pcapng", dir.root);
	CU_ASSERT_EQUAL(link(victim, path), 0);
	CU_ASSERT_EQUAL(create("h.pcapng", true, msg), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "one link"));
	fd = open(victim, O_RDONLY);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof(buf) - 1), 8);
	close(fd);
	CU_ASSERT_STRING_EQUAL(buf, "precious");

	/* a FIFO: refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/f.pcapng", dir.root);
	CU_ASSERT_EQUAL(mkfifo(path, 0600), 0);
	CU_ASSERT_EQUAL(create("f.pcapng", true, msg), -1);
}

static void test_leaf(void)
{
	struct qv_confined p;
	char msg[512];

	CU_ASSERT_EQUAL(qv_confine_resolve(&dir, "tx_pcap", "c.pcapng", &p, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(qv_confine_check_leaf(&p, "tx_pcap", QV_LEAF_NEW, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(qv_confine_check_leaf(&p, "rx_pcap", QV_LEAF_REGULAR, msg, sizeof(msg)), 0);
	qv_confined_close(&p);
	CU_ASSERT_EQUAL(qv_confine_resolve(&dir, "path", "l.pcapng", &p, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(qv_confine_check_leaf(&p, "path", QV_LEAF_NOT_LINK, msg, sizeof(msg)), -1);
	qv_confined_close(&p);
	CU_ASSERT_EQUAL(qv_confine_resolve(&dir, "rx_pcap", "none", &p, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(qv_confine_check_leaf(&p, "rx_pcap", QV_LEAF_REGULAR, msg, sizeof(msg)),
	                -1);
	CU_ASSERT_EQUAL(qv_confine_check_leaf(&p, "tx_pcap", QV_LEAF_NEW, msg, sizeof(msg)), 0);
	qv_confined_close(&p);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"init: made, private or refused", test_init},
	    {"resolve: escapes refused", test_resolve},
	    {"create: no clobber, overwrite truncates, links refused", test_create},
	    {"leaf kinds", test_leaf},
	};
	static const struct qv_unit_suite suites[] = {
	    {"lib_path_confine", setup, teardown, tests, sizeof(tests) / sizeof(tests[0])},
	};
	return qv_unit_run_suites(suites, 1);
}
