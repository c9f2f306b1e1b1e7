/* qwikvirt: new VNF instances from an existing spec: a qcow2 overlay on the shared base image,
 * new MACs, new vhost-user socket and log paths. Libvirt is not involved until define. */
#include "control/vm/vm_lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool qv_vm_overlay_create(const char *base, const char *overlay, struct qv_vm_err *err)
{
	pid_t pid;
	int st;

	if (access(base, R_OK) != 0)
		return qv_vm_fail(err, "base image %s: %s; build or copy it first", base,
		                  strerror(errno));
	if (access(overlay, F_OK) == 0)
		return qv_vm_fail(err, "overlay %s already exists; remove it or pick another name",
		                  overlay);
	/* fork + exec, not system(): paths are passed as they are, no shell quoting */
	pid = fork();
	if (pid < 0)
		return qv_vm_fail(err, "overlay %s: fork: %s", overlay, strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execlp("qemu-img", "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
		       base, overlay, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return qv_vm_fail(err, "overlay %s: waitpid: %s", overlay, strerror(errno));
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return qv_vm_fail(err, "qemu-img create of overlay %s on %s failed (status %d%s)",
		                  overlay, base, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		                  WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": install qemu-utils"
		                                                          : "");
	return true;
}

/* path with old replaced by new (last occurrence in the file name part), else "-new" inserted
 * before the extension. */
static bool rename_path(const char *path, const char *old, const char *new, char *out, size_t len)
{
	const char *base = strrchr(path, '/'), *hit = NULL, *p, *dot;
	int n;

	base = base ? base + 1 : path;
	for (p = strstr(base, old); p != NULL; p = strstr(p + 1, old))
		hit = p;
	if (hit != NULL) {
		n = snprintf(out, len, "%.*s%s%s", (int)(hit - path), path, new, hit + strlen(old));
	} else {
		dot = strrchr(base, '.');
		if (dot == NULL || dot == base)
			dot = path + strlen(path);
		n = snprintf(out, len, "%.*s-%s%s", (int)(dot - path), path, new, dot);
	}
	return n > 0 && (size_t)n < len;
}

bool qv_vm_clone_spec(const struct qv_vm_spec *src, const char *new_name, const char *overlay_dir,
                      struct qv_vm_spec *out, struct qv_vm_err *err)
{
	char dir[QV_VM_PATH_MAX], *slash;
	int n;

	if (!qv_vm_spec_validate(src, err))
		return false;
	if (new_name == NULL || strcmp(new_name, src->name) == 0)
		return qv_vm_fail(err, "clone of VM %s needs a different name", src->name);
	*out = *src;
	n = snprintf(out->name, sizeof(out->name), "%s", new_name);
	if (n <= 0 || (size_t)n >= sizeof(out->name))
		return qv_vm_fail(err, "clone name '%s' is longer than %zu bytes", new_name,
		                  sizeof(out->name) - 1);
	for (unsigned i = 0; i < out->n_ifaces; i++) {
		qv_vm_mac_for(new_name, i, out->ifaces[i].mac);
		if (!rename_path(src->ifaces[i].socket, src->name, new_name, out->ifaces[i].socket,
		                 sizeof(out->ifaces[i].socket)))
			return qv_vm_fail(err, "clone %s: socket path for NIC %u is too long",
			                  new_name, i);
	}
	if (src->serial_log[0] != '\0' && !rename_path(src->serial_log, src->name, new_name,
	                                               out->serial_log, sizeof(out->serial_log)))
		return qv_vm_fail(err, "clone %s: serial log path is too long", new_name);
	if (!qv_vm_spec_validate(out, err))
		return false;
	if (src->disk[0] == '\0')
		return true;
	if (src->disk_base[0] == '\0')
		return qv_vm_fail(err,
		                  "VM %s has a disk but no disk_base: clones need the shared "
		                  "base image its overlay was made from",
		                  src->name);
	if (overlay_dir == NULL) {
		snprintf(dir, sizeof(dir), "%s", src->disk);
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		overlay_dir = slash != NULL ? dir : ".";
	}
	n = snprintf(out->disk, sizeof(out->disk), "%s/%s.qcow2", overlay_dir, new_name);
	if (n <= 0 || (size_t)n >= sizeof(out->disk))
		return qv_vm_fail(err, "clone %s: overlay path in %s is too long", new_name,
		                  overlay_dir);
	return qv_vm_overlay_create(src->disk_base, out->disk, err);
}
