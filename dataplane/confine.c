/* qwikvirt: qv-switchd's confining directories and port.add's path checks (see confine.h):
 * the vdev drivers a request may name, with the keys each takes and which of them are files. */
#include "dataplane/confine.h"

#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "lib/pci.h"

struct qv_confine qv_capture_dir = {.what = "capture directory"};
struct qv_confine qv_vhost_dir = {.what = "vhost socket directory"};

int qv_switch_dirs_init(const char *capture_dir, const char *vhost_dir, char *err, size_t errlen)
{
	struct group *gr = getgrnam(QV_RPC_READ_GROUP);

	if (qv_confine_init(&qv_capture_dir, "capture directory", capture_dir, 02750,
	                    gr ? gr->gr_gid : (gid_t)-1, true, err, errlen) != 0)
		return -1;
	return qv_confine_init(&qv_vhost_dir, "vhost socket directory", vhost_dir, 0755, (gid_t)-1,
	                       false, err, errlen);
}

/* What a devargs key's value is. */
enum key_kind {
	K_VALUE,    /* a name, number or flag: no '/' */
	K_PCAP_IN,  /* a pcap file to read: an existing regular file in the capture directory */
	K_PCAP_OUT, /* a pcap file to write: a new file in the capture directory */
	K_SOCKET,   /* a Unix socket in the vhost socket directory */
};

/* Which of a device's queues a key opens something for (net_pcap): at most one of each. */
enum key_queue { Q_RX = 1, Q_TX = 2 };

struct drv_key {
	const char *key;
	enum key_kind kind;
	unsigned queue; /* enum key_queue bits, or 0 */
};

#define MAX_KEYS 12
struct vdev_driver {
	const char *name; /* the device name starts with it: net_pcap0, net_tap_up */
	struct drv_key keys[MAX_KEYS];
};

/* The vdevs port.add may create, with the keys DPDK 22.11 documents for each. Left out:
 * drivers that open files or programs of their own (net_af_xdp's xdp_prog, net_bonding's
 * slaves, crypto and event devices) and /dev/vhost-net through virtio_user (the vhost_kernel
 * port type does that). A PCI device takes no keys here: its driver options are eal-args. */
static const struct vdev_driver drivers[] = {
    {"net_ring", {{NULL}}},
    {"net_null", {{"size"}, {"copy"}, {"no-rx"}}},
    {"net_pcap",
     {{"rx_pcap", K_PCAP_IN, Q_RX},
      {"tx_pcap", K_PCAP_OUT, Q_TX},
      {"rx_iface", K_VALUE, Q_RX},
      {"rx_iface_in", K_VALUE, Q_RX},
      {"tx_iface", K_VALUE, Q_TX},
      {"iface", K_VALUE, Q_RX | Q_TX},
      {"phy_mac"},
      {"infinite_rx"}}},
    {"net_tap", {{"iface"}, {"mac"}, {"remote"}, {"persist"}}},
    {"net_tun", {{"iface"}, {"persist"}}},
    {"net_af_packet",
     {{"iface"}, {"qpairs"}, {"blocksz"}, {"framesz"}, {"framecnt"}, {"qdisc_bypass"}}},
    {"net_af_xdp",
     {{"iface"},
      {"start_queue"},
      {"queue_count"},
      {"shared_umem"},
      {"busy_budget"},
      {"force_copy"}}},
    {"net_memif",
     {{"id"},
      {"role"},
      {"bsize"},
      {"rsize"},
      {"socket", K_SOCKET},
      {"socket-abstract"},
      {"mac"},
      {"secret"},
      {"zero-copy"}}},
    {"net_vhost",
     {{"iface", K_SOCKET},
      {"queues"},
      {"client"},
      {"iommu-support"},
      {"postcopy-support"},
      {"tso"},
      {"linear-buffer"},
      {"ext-buffer"},
      {"legacy-ol-flags"}}},
    {"net_virtio_user",
     {{"path", K_SOCKET},
      {"queues"},
      {"cq"},
      {"queue_size"},
      {"mac"},
      {"server"},
      {"packed_vq"},
      {"mrg_rxbuf"},
      {"in_order"},
      {"speed"},
      {"vectorized"}}},
};
#define N_DRIVERS (sizeof(drivers) / sizeof(drivers[0]))

/* -32602 with msg: every refusal here is of a parameter. */
static int bad(struct qv_rpc_error *err, const char *msg)
{
	qv_rpc_fail(err, QV_RPC_INVALID_PARAMS, "%s", msg);
	return -1;
}

/* The driver named by devname ("net_pcap0": net_pcap; "virtio_user0" is DPDK's alias of
 * net_virtio_user), or NULL. The rest of the name is the instance: letters, digits, '_'. */
static const struct vdev_driver *find_driver(const char *devname)
{
	for (size_t i = 0; i < N_DRIVERS; i++) {
		const char *name = drivers[i].name;
		size_t n = strlen(name);

		if (strncmp(devname, name, n) != 0) {
			if (strcmp(name, "net_virtio_user") != 0 ||
			    strncmp(devname, "virtio_user", 11) != 0)
				continue;
			n = 11;
		}
		if (strspn(devname + n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                        "0123456789_") == strlen(devname + n))
			return &drivers[i];
	}
	return NULL;
}

static void list_drivers(char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < N_DRIVERS; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "",
		         drivers[i].name);
}

static void list_keys(const struct vdev_driver *d, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < MAX_KEYS && d->keys[i].key; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "",
		         d->keys[i].key);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* One key=value of driver d: the value checked (a file or socket resolved into its
 * directory), appended to out as DPDK is to see it. */
static int check_key(const struct vdev_driver *d, const char *devname, char *kv, char *out,
                     size_t outlen, int *key_index, struct qv_rpc_error *err)
{
	char *eq = strchr(kv, '='), msg[sizeof(err->message)], keys[256], param[96];
	const struct drv_key *k = NULL;
	const struct qv_confine *dir;
	struct qv_confined where;
	enum qv_confine_leaf leaf;

	if (!eq || eq == kv || !eq[1]) {
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': '%s' of device %s is not KEY=VALUE (e.g. "
		         "net_pcap0,rx_pcap=in.pcap)",
		         kv, devname);
		return bad(err, msg);
	}
	*eq = '\0';
	for (int i = 0; i < MAX_KEYS && d->keys[i].key && !k; i++)
		if (strcmp(d->keys[i].key, kv) == 0)
			k = &d->keys[i], *key_index = i;
	if (!k) {
		list_keys(d, keys, sizeof(keys));
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': driver %s takes no key '%s' here (it takes: %s)",
		         d->name, kv, keys);
		return bad(err, msg);
	}
	if (k->kind == K_VALUE) {
		if (strchr(eq + 1, '/') || strpbrk(eq + 1, "[]")) {
			snprintf(
			    msg, sizeof(msg),
			    "parameter 'devargs': key '%s' of %s takes a name or a number, not "
			    "'%s'",
			    kv, devname, eq + 1);
			return bad(err, msg);
		}
		snprintf(out + strlen(out), outlen - strlen(out), ",%s=%s", kv, eq + 1);
		return 0;
	}
	dir = k->kind == K_SOCKET ? &qv_vhost_dir : &qv_capture_dir;
	leaf = k->kind == K_PCAP_IN    ? QV_LEAF_REGULAR
	       : k->kind == K_PCAP_OUT ? QV_LEAF_NEW
	                               : QV_LEAF_NOT_LINK;
	snprintf(param, sizeof(param), "devargs' key '%s", kv);
	if (!dir->root[0]) {
		snprintf(msg, sizeof(msg), "parameter 'devargs': key '%s': no %s is set up", kv,
		         dir->what);
		return bad(err, msg);
	}
	if (qv_confine_resolve(dir, param, eq + 1, &where, msg, sizeof(msg)) != 0 ||
	    qv_confine_check_leaf(&where, param, leaf, msg, sizeof(msg)) != 0) {
		qv_confined_close(&where);
		return bad(err, msg);
	}
	qv_confined_close(&where);
	/* DPDK splits devargs at ',' and '=': a path holding either would reach it cut */
	if (strpbrk(where.full, ",=[]")) {
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': key '%s': %.300s has a ',', '=' or brackets, which "
		         "devargs cannot carry",
		         kv, where.full);
		return bad(err, msg);
	}
	snprintf(out + strlen(out), outlen - strlen(out), ",%s=%s", kv, where.full);
	return 0;
}

/* Key k of d given once more. A key given twice means nothing to most drivers (DPDK takes
 * one of the two); to net_pcap each rx_pcap/rx_iface and tx_pcap/tx_iface is one more queue,
 * opened at probe, while a pcap port is configured with one queue each way (it has no RSS)
 * and DPDK 22.11 closes only the configured queues' pcaps: the rest leaked with their
 * buffers (found by fuzz_switch_methods). So one of each direction. */
static int key_seen(const struct vdev_driver *d, const char *devname, int k, unsigned *seen,
                    unsigned *queues, struct qv_rpc_error *err)
{
	char msg[sizeof(err->message)];
	unsigned q = d->keys[k].queue;

	if (*seen & (1u << k)) {
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': key '%s' of device %s is given twice",
		         d->keys[k].key, devname);
		return bad(err, msg);
	}
	if (*queues & q) {
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': key '%s' gives device %s a second %s queue: a pcap "
		         "port has one rx and one tx queue (one of rx_pcap, rx_iface, rx_iface_in "
		         "or iface; one of tx_pcap, tx_iface or iface)",
		         d->keys[k].key, devname, (*queues & q & Q_RX) ? "rx" : "tx");
		return bad(err, msg);
	}
	*seen |= 1u << k, *queues |= q;
	return 0;
}

static int check_devargs(const char *devargs, char *out, size_t outlen, struct qv_rpc_error *err)
{
	char copy[512], msg[sizeof(err->message)], names[256], *save = NULL, *kv;
	const char *devname;
	const struct vdev_driver *d;
	struct qv_pci_addr pci;
	unsigned seen = 0, queues = 0;

	if (strlen(devargs) >= sizeof(copy))
		return bad(err, "parameter 'devargs' is too long (at most 511 characters)");
	snprintf(copy, sizeof(copy), "%s", devargs);
	devname = strtok_r(copy, ",", &save);
	if (!devname || devargs[0] == ',')
		return bad(err, "parameter 'devargs' must start with a device name (net_ring0, "
		                "net_pcap0,rx_pcap=in.pcap, 0000:03:00.0)");
	if (qv_pci_parse(devname, &pci)) {
		if (strchr(devargs, ',')) {
			snprintf(msg, sizeof(msg),
			         "parameter 'devargs': PCI device %s takes no keys here; give its "
			         "driver's options in eal-args (-a %s,KEY=VALUE)",
			         devname, devname);
			return bad(err, msg);
		}
		snprintf(out, outlen, "%s", devargs);
		return 0;
	}
	d = find_driver(devname);
	if (!d) {
		list_drivers(names, sizeof(names));
		snprintf(msg, sizeof(msg),
		         "parameter 'devargs': '%s' is not a PCI address or a device of an allowed "
		         "vdev driver (%s)",
		         devname, names);
		return bad(err, msg);
	}
	snprintf(out, outlen, "%s", devname);
	while ((kv = strtok_r(NULL, ",", &save))) {
		int k = -1;

		if (check_key(d, devname, kv, out, outlen, &k, err) != 0)
			return -1;
		if (key_seen(d, devname, k, &seen, &queues, err) != 0)
			return -1;
	}
	if (strlen(out) >= 511)
		return bad(err, "parameter 'devargs': too long once its paths are resolved");
	return 0;
}

static int arg_index(const struct qv_port_class *cls, const char *key)
{
	for (uint8_t i = 0; i < cls->n_args; i++)
		if (strcmp(cls->args[i].key, key) == 0)
			return i;
	return -1;
}

int qv_port_paths_check(const struct qv_port_class *cls, struct qv_port_config *cfg, char *buf,
                        size_t buflen, struct qv_rpc_error *err)
{
	struct qv_confined where;
	char msg[sizeof(err->message)];
	int i;

	if (cls->kind == QV_PORT_KIND_DPDK && (i = arg_index(cls, "devargs")) >= 0 && cfg->str[i]) {
		if (check_devargs(cfg->str[i], buf, buflen, err) != 0)
			return -1;
		cfg->str[i] = buf;
	} else if (cls->kind == QV_PORT_KIND_VHOST && (i = arg_index(cls, "path")) >= 0 &&
	           cfg->str[i]) {
		if (!qv_vhost_dir.root[0])
			return bad(err, "parameter 'path': no vhost socket directory is set up");
		if (qv_confine_resolve(&qv_vhost_dir, "path", cfg->str[i], &where, msg,
		                       sizeof(msg)) != 0 ||
		    qv_confine_check_leaf(&where, "path", QV_LEAF_NOT_LINK, msg, sizeof(msg)) !=
		        0) {
			qv_confined_close(&where);
			return bad(err, msg);
		}
		qv_confined_close(&where);
		snprintf(buf, buflen, "%s", where.full);
		cfg->str[i] = buf;
	}
	return 0;
}
