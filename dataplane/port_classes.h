/* qwikvirt: the registry of port classes, one per enum qv_port_kind: what port.add accepts
 * as "type". A new kind of port adds its class here and nowhere else in the dataplane. */
#ifndef QV_PORT_CLASSES_H
#define QV_PORT_CLASSES_H

#include "qv/port.h"

extern const struct qv_port_class *const qv_port_classes[QV_PORT_KIND_MAX];

/* The class whose name is `name`, or NULL. */
const struct qv_port_class *qv_port_class_find(const char *name);

#endif
