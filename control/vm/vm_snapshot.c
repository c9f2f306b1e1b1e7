/* qwikvirt: VM snapshots and revert. Diskless VNFs (kernel + initramfs) get external memory-only
 * snapshots, the kind libvirt 9.0 takes without a disk; VMs with a qcow2 disk internal ones. */
#include "control/vm/vm_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/virterror.h>

static bool tag_ok(const char *tag)
{
	if (tag == NULL || tag[0] == '\0' || strlen(tag) > 64)
		return false;
	for (const char *p = tag; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.", *p) != NULL))
			return false;
	}
	return tag[0] != '.';
}

static bool has_disk(virDomainPtr d)
{
	char *x = virDomainGetXMLDesc(d, 0);
	bool disk = x != NULL && strstr(x, "device='disk'") != NULL;

	free(x);
	return disk;
}

bool qv_vm_snapshot(struct qv_vm_conn *c, const char *name, const char *tag, const char *dir,
                    struct qv_vm_err *err)
{
	bool absent, disk;
	virDomainPtr d;
	virDomainSnapshotPtr snap;
	char xml[QV_VM_PATH_MAX * 2 + 256], file[QV_VM_PATH_MAX + 160];

	if (!tag_ok(tag))
		return qv_vm_fail(err,
		                  "VM %s: snapshot tag '%s' must be 1-64 letters, digits, "
		                  "'-', '_' or '.'",
		                  name, tag ? tag : "");
	/* the name makes a directory under dir: never one elsewhere */
	if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
		return qv_vm_fail(err, "VM name '%s' cannot name a snapshot directory", name);
	d = qv_vm_lookup(c, name, &absent, err);
	if (d == NULL)
		return false;
	if (virDomainIsActive(d) != 1) {
		virDomainFree(d);
		return qv_vm_fail(err, "VM %s is not running; start it before taking snapshot %s",
		                  name, tag);
	}
	disk = has_disk(d);
	if (disk) {
		/* internal: memory and disk state both go into the qcow2 */
		snprintf(xml, sizeof(xml), "<domainsnapshot><name>%s</name></domainsnapshot>", tag);
	} else {
		if (dir == NULL || dir[0] != '/') {
			virDomainFree(d);
			return qv_vm_fail(err,
			                  "VM %s has no disk: its snapshot %s needs an absolute "
			                  "directory for the memory file",
			                  name, tag);
		}
		/* DIR/NAME/TAG.mem: a directory per VM, as names and tags may both hold '-' (in
		 * DIR/NAME-TAG.mem, qv-a-0 + 0-x and qv-a-0-0 + x were one file) */
		snprintf(file, sizeof(file), "%s/%s", dir, name);
		if (mkdir(file, 0750) != 0 && errno != EEXIST) {
			virDomainFree(d);
			return qv_vm_fail(err, "VM %s: cannot create snapshot directory %s: %s",
			                  name, file, strerror(errno));
		}
		snprintf(file, sizeof(file), "%s/%s/%s.mem", dir, name, tag);
		if (access(file, F_OK) == 0) {
			virDomainFree(d);
			return qv_vm_fail(err,
			                  "VM %s: %s already exists; delete snapshot %s first or "
			                  "pick another tag",
			                  name, file, tag);
		}
		/* names and tags are checked to [A-Za-z0-9._-], dir must not need escaping */
		if (strpbrk(dir, "<>&'\"") != NULL) {
			virDomainFree(d);
			return qv_vm_fail(err,
			                  "snapshot directory '%s' has XML special characters; "
			                  "use a plain path",
			                  dir);
		}
		snprintf(xml, sizeof(xml),
		         "<domainsnapshot><name>%s</name>"
		         "<memory snapshot='external' file='%s'/></domainsnapshot>",
		         tag, file);
	}
	snap = virDomainSnapshotCreateXML(d, xml, 0);
	if (snap == NULL) {
		qv_vm_fail(err, "VM %s: snapshot %s failed: %s", name, tag, qv_vm_lv_msg());
		virDomainFree(d);
		return false;
	}
	virDomainSnapshotFree(snap);
	virDomainFree(d);
	return true;
}

/* The memory file of an external snapshot, or "" for an internal one. */
static bool snap_memfile(virDomainSnapshotPtr s, char *file, size_t len)
{
	char *x = virDomainSnapshotGetXMLDesc(s, 0);
	const char *m;
	bool ext;

	file[0] = '\0';
	if (x == NULL)
		return false;
	m = strstr(x, "<memory snapshot='external'");
	ext = m != NULL && qv_vm_xml_attr(m, "<memory ", "file", file, len);
	free(x);
	return ext;
}

static virDomainSnapshotPtr find_snap(virDomainPtr d, const char *name, const char *tag,
                                      struct qv_vm_err *err)
{
	virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, tag, 0);

	if (s == NULL)
		qv_vm_fail(err, "VM %s has no snapshot %s (%s)", name, tag, qv_vm_lv_msg());
	return s;
}

/* The domain name and its snapshot tag, both referenced (free both), or false with err set. */
static bool open_snap(struct qv_vm_conn *c, const char *name, const char *tag, virDomainPtr *d,
                      virDomainSnapshotPtr *s, struct qv_vm_err *err)
{
	bool absent;

	if (!(*d = qv_vm_lookup(c, name, &absent, err)))
		return false;
	if (!(*s = find_snap(*d, name, tag, err))) {
		virDomainFree(*d);
		return false;
	}
	return true;
}

bool qv_vm_revert(struct qv_vm_conn *c, const char *name, const char *tag, struct qv_vm_err *err)
{
	bool ok = true;
	virDomainPtr d;
	virDomainSnapshotPtr s;
	char file[QV_VM_PATH_MAX + 160];

	if (!open_snap(c, name, tag, &d, &s, err))
		return false;
	if (snap_memfile(s, file, sizeof(file))) {
		/* libvirt 9.0 cannot revert to external snapshots; the memory file is a save image:
		 * the domain goes down and comes back from it (no disk, so nothing else to roll).
		 */
		ok = qv_vm_dom_destroy(d, name, err);
		if (ok && virDomainRestore(qv_vm_lv(c), file) < 0)
			ok = qv_vm_fail(err, "VM %s: restoring snapshot %s from %s failed: %s",
			                name, tag, file, qv_vm_lv_msg());
	} else if (virDomainRevertToSnapshot(s, VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING) < 0) {
		ok = qv_vm_fail(err, "VM %s: revert to snapshot %s failed: %s", name, tag,
		                qv_vm_lv_msg());
	}
	virDomainSnapshotFree(s);
	virDomainFree(d);
	return ok;
}

bool qv_vm_snapshot_delete(struct qv_vm_conn *c, const char *name, const char *tag,
                           struct qv_vm_err *err)
{
	bool ext, ok = true;
	virDomainPtr d;
	virDomainSnapshotPtr s;
	char file[QV_VM_PATH_MAX + 160];

	if (!open_snap(c, name, tag, &d, &s, err))
		return false;
	ext = snap_memfile(s, file, sizeof(file));
	/* libvirt 9.0 deletes external snapshots only as metadata: the file is ours to remove */
	if (virDomainSnapshotDelete(s, ext ? VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY : 0) < 0)
		ok = qv_vm_fail(err, "VM %s: deleting snapshot %s failed: %s", name, tag,
		                qv_vm_lv_msg());
	else if (ext && unlink(file) != 0 && errno != ENOENT)
		ok = qv_vm_fail(err, "VM %s: snapshot %s deleted, but not its file %s: %s", name,
		                tag, file, strerror(errno));
	virDomainSnapshotFree(s);
	virDomainFree(d);
	return ok;
}

int qv_vm_snapshot_files(struct qv_vm_conn *c, const char *name, char ***files,
                         struct qv_vm_err *err)
{
	virDomainSnapshotPtr *snaps = NULL;
	char file[QV_VM_PATH_MAX + 160];
	virDomainPtr d;
	bool absent;
	int n, k = 0;

	*files = NULL;
	if (!(d = qv_vm_lookup(c, name, &absent, err)))
		return absent ? 0 : -1;
	n = virDomainListAllSnapshots(d, &snaps, 0);
	if (n < 0) {
		qv_vm_fail(err, "VM %s: cannot list its snapshots: %s", name, qv_vm_lv_msg());
		virDomainFree(d);
		return -1;
	}
	*files = calloc((size_t)n + 1, sizeof(**files));
	for (int i = 0; i < n; i++) {
		if (*files && snap_memfile(snaps[i], file, sizeof(file)) && file[0] &&
		    ((*files)[k] = strdup(file)))
			k++;
		virDomainSnapshotFree(snaps[i]);
	}
	free(snaps);
	virDomainFree(d);
	if (!*files)
		return qv_vm_fail(err, "VM %s: out of memory listing its snapshots", name), -1;
	return k;
}

void qv_vm_snapshot_files_remove(char **files, int n, const char *dir, const char *name)
{
	char path[QV_VM_PATH_MAX + 160];
	struct dirent *e;
	DIR *dd;

	for (int i = 0; i < n; i++)
		unlink(files[i]);
	/* what is left in the VM's own directory (a snapshot whose metadata is gone) */
	if (!dir || !name[0] || strchr(name, '/') || name[0] == '.')
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(dd = opendir(path)))
		return;
	while ((e = readdir(dd))) {
		size_t l = strlen(e->d_name);

		if (l > 4 && strcmp(e->d_name + l - 4, ".mem") == 0) {
			snprintf(path, sizeof(path), "%s/%s/%s", dir, name, e->d_name);
			unlink(path);
		}
	}
	closedir(dd);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rmdir(path);
}
