/* qwikvirt: the loader's sections that live in a file of their own: yaml_load.c (the document)
 * calls yaml_chain.c (chains) and yaml_bandwidth.c (bandwidth:); all use yaml_node.c, never each
 * other's helpers. Internal. */
#ifndef QV_YAML_LOAD_H
#define QV_YAML_LOAD_H

#include "control/model.h"
#include "control/yaml_node.h"

/* Reads a `bandwidth:` value of `what` into bw[QV_POLICE_NDIR] (yaml_bandwidth.c): a rate or
 * {rate, burst, peak, peak-burst} for both directions, or {ingress: ..., egress: ...}; a
 * direction not given keeps rate 0 (no policer). Errors go to c. */
void qv_yaml_load_bandwidth(struct yctx *c, yaml_node_t *n, const char *what, struct qv_police *bw);

/* Reads a VNF's `instances:` (yaml_scaling.c): a count, or {min, max, scale-out, scale-in,
 * cooldown, drain} into v->scaling (v->instances then min). Errors go to c. */
void qv_yaml_load_instances(struct yctx *c, yaml_node_t *n, const char *what,
                            struct qv_model_vnf *v);

/* Reads the `chains:` list into m->chains. Errors go to c. */
void qv_yaml_load_chains(struct yctx *c, yaml_node_t *list, struct qv_model *m);

#endif
