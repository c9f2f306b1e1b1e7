/* qwikvirt: placement's output side: explanation lines, accumulated errors, cpuset strings,
 * and freeing a placement. */
#include "control/placement/place_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qv_place_line(struct qv_place_ctx *c, const char *fmt, ...)
{
	struct qv_placement *p = c->p;
	char **v, *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		c->oom = true;
		return;
	}
	v = realloc(p->lines, (p->n_lines + 1) * sizeof(*v));
	if (v == NULL) {
		free(s);
		c->oom = true;
		return;
	}
	p->lines = v;
	p->lines[p->n_lines++] = s;
}

void qv_place_err(struct qv_place_ctx *c, const char *fmt, ...)
{
	size_t used = strlen(c->err);
	va_list ap;

	if (c->n_err++ > 0 && used + 2 < c->errlen) {
		memcpy(c->err + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + used, c->errlen - used, fmt, ap);
	va_end(ap);
}

char *qv_place_list(hwloc_const_bitmap_t b)
{
	char *s = NULL;

	if (hwloc_bitmap_list_asprintf(&s, b) < 0)
		return NULL;
	return s;
}

unsigned qv_place_count(const struct qv_place_ctx *c, int node, enum qv_core_use use)
{
	unsigned n = 0;

	for (size_t i = 0; i < c->t->n_cores; i++)
		if (c->t->cores[i].node == node && c->use[i] == use)
			n++;
	return n;
}

int qv_place_nic_index(const struct qv_place_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->rq->n_nics; i++)
		if (strcmp(c->rq->nics[i].name, name) == 0)
			return (int)i;
	return -1;
}

void qv_placement_free(struct qv_placement *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_nics; i++) {
		free(p->nics[i].name);
		free(p->nics[i].pci);
	}
	free(p->nics);
	for (size_t i = 0; i < p->n_vnfs; i++) {
		struct qv_place_vnf_result *v = &p->vnfs[i];

		for (unsigned j = 0; v->vcpu_cpuset != NULL && j < v->vcpus; j++)
			free(v->vcpu_cpuset[j]);
		free(v->vcpu_cpuset);
		free(v->emulator_cpuset);
		free(v->explain);
		free(v->name);
	}
	free(p->vnfs);
	free(p->pmd_cpus);
	free(p->pmd_list);
	for (size_t i = 0; i < p->n_lines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p);
}
