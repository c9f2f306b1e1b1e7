/* qwikvirt: the directories qv-switchd confines request paths to (--capture-dir, --vhost-dir)
 * and port.add's checks of the paths a port names (vhost sockets, vdev devargs). */
#ifndef QV_DP_CONFINE_H
#define QV_DP_CONFINE_H

#include <stddef.h>

#include "control/rpc/rpc.h"
#include "lib/path_confine.h"
#include "qv/port.h"

/* Capture files, and net_pcap's rx_pcap/tx_pcap files. Private: root-owned, not writable by
 * group or others (created 02750, group qwikvirt, so members can read their captures). */
extern struct qv_confine qv_capture_dir;
/* vhost-user sockets, and the sockets of vdevs that take one (virtio_user, net_vhost,
 * net_memif). QEMU may create sockets there, so it may be group-writable. */
extern struct qv_confine qv_vhost_dir;

/* Resolves (and creates when missing) both directories; -1 with err naming the one at fault.
 * Until this has run every confined path is refused. */
int qv_switch_dirs_init(const char *capture_dir, const char *vhost_dir, char *err, size_t errlen);

/* port.add of class cls with cfg (its arguments read): a vhost socket path must lie in the
 * vhost directory; a dpdk port's devargs must name a known driver with only its known keys,
 * and their files and sockets must lie in their directories. Rewrites those cfg->str[] that
 * name a path to the resolved full path (kept in buf). -1 with err (-32602) naming the
 * parameter, the key and what is allowed; nothing is created. */
int qv_port_paths_check(const struct qv_port_class *cls, struct qv_port_config *cfg, char *buf,
                        size_t buflen, struct qv_rpc_error *err);

#endif
