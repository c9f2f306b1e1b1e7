/* qwikvirt: the desired service of qv-controld — built from YAML (all errors collected),
 * persisted under the state directory, restored at start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/controld/controld.h"

int qv_desired_build(const char *name, const char *yaml, size_t len, struct qv_desired *out,
		     json_t **errors, char *err, size_t errlen)
{
	struct qv_diags d;
	struct qv_model *m = NULL;
	struct qv_switch_plan *plan = NULL;

	memset(out, 0, sizeof(*out));
	*errors = NULL;
	qv_diags_init(&d);
	if (qv_model_load_buffer(name, yaml, len, &m, &d) != 0) {
		*errors = json_array();
		for (size_t i = 0; i < d.n; i++)
			json_array_append_new(*errors, json_string(d.v[i].text));
		if (d.lost)
			json_array_append_new(*errors, json_sprintf("... and %zu more errors", d.lost));
		snprintf(err, errlen, "%s: %zu error(s); nothing was applied", name,
			 qv_diags_count(&d));
		qv_diags_free(&d);
		return -1;
	}
	qv_diags_free(&d);
	if (qv_chain_compile(m, &plan, err, errlen) != 0) {
		qv_model_free(m);
		return -1;
	}
	out->name = strdup(name);
	out->yaml = strndup(yaml, len);
	out->model = m;
	out->plan = plan;
	if (!out->name || !out->yaml) {
		qv_desired_free(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void qv_desired_free(struct qv_desired *d)
{
	free(d->name);
	free(d->yaml);
	qv_model_free(d->model);
	qv_switch_plan_free(d->plan);
	memset(d, 0, sizeof(*d));
}

static int write_atomic(const char *dir, const char *file, const char *data, size_t len,
			char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	int fd;

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

int qv_desired_save(const struct qv_controld *c, char *err, size_t errlen)
{
	const struct qv_desired *d = &c->desired;

	if (mkdir(c->state_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", c->state_dir,
			 strerror(errno));
		return -1;
	}
	/* the YAML first: a crash between the two writes leaves the old name on the new text,
	 * which only affects error prefixes */
	if (write_atomic(c->state_dir, "desired.yaml", d->yaml, strlen(d->yaml), err, errlen) != 0)
		return -1;
	return write_atomic(c->state_dir, "desired.name", d->name, strlen(d->name), err, errlen);
}

static char *read_file(const char *path, size_t *len)
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

int qv_desired_restore(struct qv_controld *c, char *err, size_t errlen)
{
	char path[4096];
	size_t len = 0, nlen = 0;
	char *yaml, *name;
	json_t *errors = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/desired.yaml", c->state_dir);
	yaml = read_file(path, &len);
	if (!yaml)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "cannot read %s: %s", path,
						       strerror(errno)),
					      -1);
	snprintf(path, sizeof(path), "%s/desired.name", c->state_dir);
	name = read_file(path, &nlen);
	rc = qv_desired_build(name ? name : "desired.yaml", yaml, len, &c->desired, &errors, err,
			      errlen);
	json_decref(errors);
	free(yaml);
	free(name);
	return rc;
}
