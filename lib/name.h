/* qwikvirt: the names a person gives ports, VNFs and chains, checked by the same rule in the
 * switch's RPC handlers and the YAML loader (they name sockets and files, so no '/' or space). */
#ifndef QV_LIB_NAME_H
#define QV_LIB_NAME_H

#include <stdbool.h>

#include "qv/rule.h"

/* Longest name, in bytes: a port name and its NUL fit QV_PORT_NAME_MAX. */
#define QV_NAME_LEN_MAX (QV_PORT_NAME_MAX - 1)

/* True for 1..QV_NAME_LEN_MAX ASCII letters, digits, '_', '.' or '-'. */
bool qv_name_ok(const char *s);

#endif
