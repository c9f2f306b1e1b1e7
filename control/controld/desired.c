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
			json_array_append_new(*errors,
			                      json_sprintf("... and %zu more errors", d.lost));
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

int qv_desired_save(const struct qv_controld *c, char *err, size_t errlen)
{
	const struct qv_desired *d = &c->desired;

	/* the YAML first: a crash between the two writes leaves the old name on the new text,
	 * which only affects error prefixes */
	if (qv_state_write(c->state_dir, "desired.yaml", d->yaml, strlen(d->yaml), err, errlen) !=
	    0)
		return -1;
	return qv_state_write(c->state_dir, "desired.name", d->name, strlen(d->name), err, errlen);
}

int qv_desired_restore(struct qv_controld *c, char *err, size_t errlen)
{
	char path[4096];
	size_t len = 0, nlen = 0;
	char *yaml, *name;
	json_t *errors = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/desired.yaml", c->state_dir);
	yaml = qv_state_read(path, &len);
	if (!yaml)
		return errno == ENOENT
		           ? 0
		           : (snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)),
		              -1);
	snprintf(path, sizeof(path), "%s/desired.name", c->state_dir);
	name = qv_state_read(path, &nlen);
	rc = qv_desired_build(name ? name : "desired.yaml", yaml, len, &c->desired, &errors, err,
	                      errlen);
	json_decref(errors);
	free(yaml);
	free(name);
	if (rc == 0 && qv_vf_resolve(c, c->desired.plan, false, NULL, err, errlen) != 0)
		fprintf(stderr, "qv-controld: warning: %s (the port will not come up)\n", err);
	return rc;
}
