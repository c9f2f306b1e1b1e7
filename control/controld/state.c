/* qwikvirt: qv-controld's files under the state directory: atomic writes, whole-file reads,
 * and vms.json (the VMs it manages, the ones the operator stopped, clones). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/controld/controld.h"

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
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		return -1;
	}
	return 0;
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

json_t *qv_vmstate(struct qv_controld *c)
{
	char path[4096];
	json_error_t je;
	const char *lists[] = {"managed", "held", "clones"};

	if (c->vm_state)
		return c->vm_state;
	snprintf(path, sizeof(path), "%s/vms.json", c->state_dir);
	c->vm_state = json_load_file(path, 0, &je);
	if (!json_is_object(c->vm_state)) {
		if (access(path, F_OK) == 0)
			fprintf(stderr,
			        "qv-controld: warning: %s unreadable (%s); starting empty\n", path,
			        je.text);
		json_decref(c->vm_state);
		c->vm_state = json_object();
	}
	for (size_t i = 0; i < 3; i++)
		if (!json_is_array(json_object_get(c->vm_state, lists[i])))
			json_object_set_new(c->vm_state, lists[i], json_array());
	return c->vm_state;
}

int qv_vmstate_save(struct qv_controld *c, char *err, size_t errlen)
{
	char *text = json_dumps(qv_vmstate(c), JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

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
