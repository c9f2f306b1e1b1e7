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
#include "control/controld/scaling.h"
#include "lib/log.h"

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
	qv_scaling_adjust_model(m); /* scaled VNFs keep their count (scaling.c) */
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

/* desired.yaml is the applied text under one header line that names the file it came from
 * (JSON-quoted, so any name fits on it): text and name in one file, written atomically, so a
 * crash can never pair one apply's text with another's name. */
#define HEADER "# qv-controld: desired state, applied as "

int qv_desired_save(const struct qv_controld *c, char *err, size_t errlen)
{
	const struct qv_desired *d = &c->desired;
	json_t *name = json_string(d->name);
	char *quoted = name ? json_dumps(name, JSON_ENCODE_ANY) : NULL, *text = NULL;
	int rc = -1;

	json_decref(name);
	if (quoted && asprintf(&text, "%s%s\n%s", HEADER, quoted, d->yaml) < 0)
		text = NULL;
	if (!text)
		snprintf(err, errlen, "desired.yaml: out of memory");
	else
		rc = qv_state_write(c->state_dir, "desired.yaml", text, strlen(text), err, errlen);
	free(quoted);
	free(text);
	if (rc == 0) {
		/* the name's own file, from before the header line, is stale now */
		char path[4096];

		snprintf(path, sizeof(path), "%s/desired.name", c->state_dir);
		unlink(path);
	}
	return rc;
}

/* Splits a saved desired.yaml: *name (malloc'd) from its header line, *yaml just after it.
 * A file without the header (written before it existed) takes its name from desired.name. */
static void split_saved(const struct qv_controld *c, char *text, char **name, char **yaml)
{
	char path[4096], *nl;
	size_t nlen = 0;
	json_t *q;

	*yaml = text;
	*name = NULL;
	if (strncmp(text, HEADER, strlen(HEADER)) == 0 && (nl = strchr(text, '\n'))) {
		*nl = 0;
		q = json_loads(text + strlen(HEADER), JSON_DECODE_ANY, NULL);
		if (json_is_string(q))
			*name = strdup(json_string_value(q));
		json_decref(q);
		*yaml = nl + 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/desired.name", c->state_dir);
	*name = qv_state_read(path, &nlen);
}

/* The saved state no longer loads (edited by hand, or a key this version refuses): what is
 * wrong and where, every error on the log, and the way out. Positions are those of the
 * service file as it was applied (the saved copy's text, below its header line). Not "move
 * it aside": an apply journal still on disk (the last apply's, until the next reconcile)
 * would then have its additions taken off the switch, as those of an apply cut short with no
 * desired state wanting them; a service file in its place keeps whatever that file wants. */
static void restore_failed(const char *path, const char *name, bool header, const json_t *errors,
                           char *err, size_t errlen)
{
	size_t i;
	const json_t *e;

	json_array_foreach(errors, i, e)
	    qv_log(QV_LOG_ERR, NULL, NULL, "%s: %s", path, json_string_value(e));
	/* the way out before the first error, so that a long one cuts only itself short (each
	 * is on the log in full) */
	snprintf(err, errlen,
	         "%s (the copy of %s applied last) does not load, nothing was applied: fix it, or "
	         "copy the service file over it (cp FILE %s: qv-controld starts from that); the "
	         "first error: %s%s",
	         path, name ? name : "the service file", path,
	         json_string_value(json_array_get(errors, 0)),
	         header ? " (one line lower in the copy, below its header line)" : "");
}

int qv_desired_restore(struct qv_controld *c, char *err, size_t errlen)
{
	char path[4096];
	size_t len = 0;
	char *text, *yaml, *name;
	json_t *errors = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/desired.yaml", c->state_dir);
	text = qv_state_read(path, &len);
	if (!text)
		return errno == ENOENT
		           ? 0
		           : (snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)),
		              -1);
	split_saved(c, text, &name, &yaml);
	rc = qv_desired_build(name ? name : "desired.yaml", yaml, len - (size_t)(yaml - text),
	                      &c->desired, &errors, err, errlen);
	if (rc != 0 && json_array_size(errors) > 0)
		restore_failed(path, name, yaml != text, errors, err, errlen);
	json_decref(errors);
	free(text);
	free(name);
	if (rc == 0 && qv_vf_resolve(c, c->desired.plan, false, NULL, err, errlen) != 0)
		fprintf(stderr, "qv-controld: warning: %s (the port will not come up)\n", err);
	return rc;
}
