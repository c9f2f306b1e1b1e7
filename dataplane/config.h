/* qwikvirt: qv-switchd's configuration file (/etc/qwikvirt/switchd.yaml, --config FILE): the
 * settings its options also take, and startup ports and rules; errors as FILE:LINE:COLUMN. */
#ifndef QV_SWITCHD_CONFIG_H
#define QV_SWITCHD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "dataplane/pmd.h" /* QV_MAX_PMDS */
#include "lib/log.h"

/* One startup request (port.add or flow.add) and where the file wrote it. */
struct qv_config_request {
	char *line;      /* the JSON-RPC request */
	char where[320]; /* "FILE:LINE:COLUMN: port 'vm1'" */
};

/* What the file set; has_* says which (command-line options override only what they name). */
struct qv_switchd_config {
	char *socket, *file_prefix, *capture_dir, *vhost_dir;
	bool has_pmd, has_main_core, has_mbufs, has_hugepages, has_mem, has_l2_aging, has_level,
	    has_target;
	unsigned pmd[QV_MAX_PMDS], n_pmd, main_core, mbufs, mem_mb, l2_aging_s;
	bool hugepages;
	enum qv_log_level level;
	enum qv_log_target target;
	char **eal_args;
	unsigned n_eal;
	struct qv_config_request *req;
	unsigned n_req;
};

/* Reads path into *c (zeroed first). Every error is written to errs as one
 * "FILE:LINE:COLUMN: what was found, what was expected" line; returns how many (0: valid). */
int qv_switchd_config_load(const char *path, struct qv_switchd_config *c, FILE *errs);
void qv_switchd_config_free(struct qv_switchd_config *c);

/* Adds the file's ports, then its rules, through the switch's RPC methods (the control socket
 * is open, qv_sw.lock not held). Stops at the first failure and writes it to errs as
 * "FILE:LINE:COLUMN: port 'x': <the switch's message>"; returns -1 then. */
int qv_switchd_config_apply(const struct qv_switchd_config *c, FILE *errs);

#endif
