/* qwikvirt: qv-controld's files under the state directory: atomic writes, whole-file reads,
 * and vms.json (the VMs it manages, the ones the operator stopped, clones), which is set aside,
 * never emptied, when it cannot be read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/controld/controld.h"
#include "lib/log.h"

/* After a rename the new name is only durable once the directory itself is synced: without
 * it a power cut can bring back the old file (or none). */
static int sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0 || (rc = fsync(fd)) != 0) {
		snprintf(err, errlen, "cannot sync state directory %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return rc;
}

int qv_state_write(const char *dir, const char *file, const char *data, size_t len, char *err,
                   size_t errlen)
{
	char tmp[4096], path[4096];
	int fd;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return sync_dir(dir, err, errlen);
}

char *qv_state_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = 0;
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Notes a problem with a state file: logged now, shown by state.show until the daemon
 * restarts (several are joined). */
static void state_problem(struct qv_controld *c, const char *msg)
{
	size_t n = strlen(c->state_error);

	qv_log(QV_LOG_ERR, NULL, NULL, "%s", msg);
	snprintf(c->state_error + n, sizeof(c->state_error) - n, "%s%s", n ? "; " : "", msg);
}

/* An unreadable or malformed vms.json is renamed vms.json.bad-TIME, kept for the operator;
 * the daemon goes on with an empty state (it then removes no VM: none is known as its own).
 * Where it cannot be renamed, it is never written over either. */
static void set_aside(struct qv_controld *c, const char *path, const char *why)
{
	char bad[4200], msg[1000], stamp[32];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
	snprintf(bad, sizeof(bad), "%s.bad-%s", path, stamp);
	if (rename(path, bad) == 0) {
		snprintf(
		    msg, sizeof(msg),
		    "%.300s: %s; kept as %.300s, starting with no VM state (clones are not known "
		    "until it is fixed and put back; VMs stopped by vm stop stay stopped, by the "
		    "mark in their libvirt domain)",
		    path, why, bad);
	} else {
		snprintf(msg, sizeof(msg),
		         "%.300s: %s, and it cannot be set aside (%s): it is left as it is and not "
		         "written; fix or move it, then restart qv-controld",
		         path, why, strerror(errno));
		c->vm_state_frozen = true;
	}
	state_problem(c, msg);
}

/* Entries that cannot be used are kept (the file is written back with them) and skipped;
 * each is named once. A clone entry without a name stops VM removals (vms.c): the VM it
 * stood for cannot be told apart from one no longer wanted. */
static void check_entries(struct qv_controld *c, const char *path)
{
	static const char *const lists[] = {"managed", "held"};
	char msg[800], *text;
	size_t i;
	json_t *v;

	for (size_t l = 0; l < 2; l++)
		json_array_foreach(json_object_get(c->vm_state, lists[l]), i,
		                   v) if (!json_is_string(v))
		{
			text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			snprintf(msg, sizeof(msg),
			         "%.300s: %s[%zu] is %.200s, not a VM name: entry skipped", path,
			         lists[l], i, text ? text : "?");
			free(text);
			state_problem(c, msg);
		}
	json_array_foreach(json_object_get(c->vm_state, "clones"), i, v)
	{
		const char *what = !json_is_object(v)  ? "not an object"
		                   : !qv_clone_name(v) ? "no 'name' (a string)"
		                   : !json_is_string(json_object_get(v, "source"))
		                       ? "no 'source' (a string)"
		                       : NULL;

		if (!what)
			continue;
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(msg, sizeof(msg),
		         "%.300s: clones[%zu] %.200s has %s: entry kept but not used%s", path, i,
		         text ? text : "?", what,
		         qv_clone_name(v) ? " (the clone is kept as it is)"
		                          : "; no VM is removed until it is fixed");
		free(text);
		state_problem(c, msg);
	}
}

const char *qv_clone_name(const json_t *entry)
{
	const char *s = json_string_value(json_object_get(entry, "name"));

	return s && *s ? s : NULL;
}

json_t *qv_vmstate(struct qv_controld *c)
{
	char path[4096], why[300];
	json_error_t je;
	const char *lists[] = {"managed", "held", "clones"};

	if (c->vm_state)
		return c->vm_state;
	snprintf(path, sizeof(path), "%s/vms.json", c->state_dir);
	c->vm_state = json_load_file(path, 0, &je);
	why[0] = 0;
	if (!c->vm_state && access(path, F_OK) == 0)
		snprintf(why, sizeof(why), "unreadable (%s, line %d)", je.text, je.line);
	else if (c->vm_state && !json_is_object(c->vm_state))
		snprintf(why, sizeof(why), "not a JSON object");
	for (size_t i = 0; !why[0] && c->vm_state && i < 3; i++) {
		json_t *l = json_object_get(c->vm_state, lists[i]);

		if (l && !json_is_array(l))
			snprintf(why, sizeof(why), "'%s' is not an array", lists[i]);
	}
	if (why[0]) {
		set_aside(c, path, why);
		json_decref(c->vm_state);
		c->vm_state = NULL;
	}
	if (!c->vm_state)
		c->vm_state = json_object();
	for (size_t i = 0; i < 3; i++)
		if (!json_is_array(json_object_get(c->vm_state, lists[i])))
			json_object_set_new(c->vm_state, lists[i], json_array());
	check_entries(c, path);
	return c->vm_state;
}

int qv_vmstate_save(struct qv_controld *c, char *err, size_t errlen)
{
	char *text;
	int rc;

	if (c->vm_state_frozen) {
		snprintf(err, errlen,
		         "%s/vms.json is malformed and could not be set aside: not written over",
		         c->state_dir);
		return -1;
	}
	text = json_dumps(qv_vmstate(c), JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		snprintf(err, errlen, "vms.json: out of memory");
		return -1;
	}
	rc = qv_state_write(c->state_dir, "vms.json", text, strlen(text), err, errlen);
	free(text);
	return rc;
}

static size_t find(const json_t *arr, const char *name, bool *found)
{
	size_t i;
	json_t *v;

	*found = false;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_is_object(v) ? json_string_value(json_object_get(v, "name"))
		                                  : json_string_value(v);
		if (s && strcmp(s, name) == 0) {
			*found = true;
			return i;
		}
	}
	return 0;
}

bool qv_vmstate_has(struct qv_controld *c, const char *list, const char *name)
{
	bool found;

	find(json_object_get(qv_vmstate(c), list), name, &found);
	return found;
}

void qv_vmstate_set(struct qv_controld *c, const char *list, const char *name, bool on)
{
	json_t *arr = json_object_get(qv_vmstate(c), list);
	bool found;
	size_t i = find(arr, name, &found);
	char err[256];

	if (found == on)
		return;
	if (on)
		json_array_append_new(arr, json_string(name));
	else
		json_array_remove(arr, i);
	if (qv_vmstate_save(c, err, sizeof(err)) != 0)
		fprintf(stderr, "qv-controld: warning: %s\n", err);
}
