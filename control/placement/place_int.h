/* qwikvirt: state shared by the placement steps (NICs, PMDs, VNFs) while one request is
 * placed. Internal to control/placement. */
#ifndef QV_PLACEMENT_PLACE_INT_H
#define QV_PLACEMENT_PLACE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "control/placement/placement.h"
#include "control/placement/topo.h"

/* What a core is used for; one use per core, so no two uses ever share a core's CPUs. */
enum qv_core_use { QV_USE_FREE, QV_USE_HOUSE, QV_USE_PMD, QV_USE_VCPU, QV_USE_EMU };

struct qv_place_ctx {
	const struct qv_topo *t;
	const struct qv_place_request *rq;
	struct qv_placement *p;
	enum qv_core_use *use; /* per core of t */
	int *vnf_node;         /* per VNF: node OS index */
	char *err;
	size_t errlen;
	unsigned n_err;
	bool oom;
};

/* Appends an explanation line; sets ctx->oom when it cannot. */
void qv_place_line(struct qv_place_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends an error to c->err ("; " between errors) so that every shortage is told at once. */
void qv_place_err(struct qv_place_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "18-21" for a bitmap (libvirt cpuset syntax); NULL when out of memory. */
char *qv_place_list(hwloc_const_bitmap_t b);

/* Cores of node `node` in state `use`. */
unsigned qv_place_count(const struct qv_place_ctx *c, int node, enum qv_core_use use);

/* Index of the NIC named `name` in the request, or -1. */
int qv_place_nic_index(const struct qv_place_ctx *c, const char *name);

int qv_place_pmds(struct qv_place_ctx *c);
int qv_place_vnfs(struct qv_place_ctx *c);

#endif
