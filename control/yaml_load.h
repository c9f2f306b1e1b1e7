/* qwikvirt: the loader's sections, shared between yaml_load.c (switch, ports, VNFs, the
 * document) and yaml_chain.c (chains). Internal to control/. */
#ifndef QV_YAML_LOAD_H
#define QV_YAML_LOAD_H

#include "control/model.h"
#include "control/yaml_node.h"

/* Reads the `chains:` list into m->chains. Errors go to c. */
void qv_yaml_load_chains(struct yctx *c, yaml_node_t *list, struct qv_model *m);

/* "chain 'web'", or "chain #2" when the item has no usable name. */
void qv_yaml_label(struct yctx *c, yaml_node_t *map, const char *kind, long index, char *buf,
                   size_t len);

/* An absolute path, as the daemon and the switch do not share a working directory. */
bool qv_yaml_abs_path(struct yctx *c, yaml_node_t *n, const char *key, const char *what,
                      char **out);

#endif
