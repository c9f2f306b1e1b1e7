/* qwikvirt: the loader's sections that live in a file of their own: yaml_load.c (the document)
 * calls yaml_chain.c (chains); both use yaml_node.c, never each other's helpers. Internal. */
#ifndef QV_YAML_LOAD_H
#define QV_YAML_LOAD_H

#include "control/model.h"
#include "control/yaml_node.h"

/* Reads the `chains:` list into m->chains. Errors go to c. */
void qv_yaml_load_chains(struct yctx *c, yaml_node_t *list, struct qv_model *m);

#endif
