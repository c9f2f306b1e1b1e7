/* qwikvirt: YAML service definition -> struct qv_model: the document, `switch:`, `ports:` and
 * `vnfs:` (chains are in yaml_chain.c). Every error is collected; a file with any is refused. */
#include "control/yaml_load.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/units.h"

#define DEFAULT_SOCKET_DIR "/run/qwikvirt"
#define PCI_EXPECT "a PCI address such as 0000:03:00.0"

static bool hex_at(const char *s, size_t from, size_t n)
{
	for (size_t i = from; i < from + n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

/* DDDD:BB:DD.F, the form sysfs and DPDK print. */
static bool pci_ok(const char *s)
{
	return s && strlen(s) == 12 && hex_at(s, 0, 4) && s[4] == ':' && hex_at(s, 5, 2) &&
	       s[7] == ':' && hex_at(s, 8, 2) && s[10] == '.' && s[11] >= '0' && s[11] <= '7';
}

static bool ypci(struct yctx *c, yaml_node_t *n, const char *key, const char *what, char **out)
{
	if (!pci_ok(ytext(n))) {
		char found[64];
		yerr(c, ymark(n), "bad '%s' in %s: found %s, expected " PCI_EXPECT, key, what,
		     yfound(n, found, sizeof(found)));
		return false;
	}
	return ystr(c, n, key, what, PCI_EXPECT, out);
}

/* ---- switch ---- */

enum { SW_PMD_CORES, SW_SOCKET_DIR, SW_CONTROL_SOCKET, SW_VHOST_MODE };
static const char *const switch_keys[] = {"pmd-cores", "socket-dir", "control-socket", "vhost-mode",
                                          NULL};

static void load_switch(struct yctx *c, yaml_node_t *n, struct qv_model_switch *sw)
{
	static const char *const modes[] = {"server", "client", NULL};
	struct yfields f;
	yaml_node_item_t *items;

	if (!ymap(c, n, switch_keys, 0xf, "switch", &f))
		return;
	if (f.val[SW_PMD_CORES]) {
		long cnt = ylist(c, f.val[SW_PMD_CORES], "pmd-cores", "switch", &items);
		if (cnt > 0 && (sw->pmd_cores = calloc((size_t)cnt, sizeof(uint16_t))) == NULL)
			yerr(c, ymark(n), "out of memory reading switch");
		for (long i = 0; sw->pmd_cores && i < cnt; i++) {
			yaml_node_t *it = ynode(c, items[i]);
			unsigned long cpu;
			if (!yuint(c, it, "pmd-cores", "switch", 0, QV_MODEL_MAX_CPU, &cpu))
				continue;
			bool dup = false;
			for (size_t j = 0; j < sw->n_pmd_cores; j++)
				dup |= sw->pmd_cores[j] == cpu;
			if (dup) {
				yerr(c, ymark(it), "CPU %lu is twice in 'pmd-cores' in switch",
				     cpu);
				continue;
			}
			sw->pmd_cores[sw->n_pmd_cores++] = (uint16_t)cpu;
		}
	}
	if (f.val[SW_SOCKET_DIR])
		yabs_path(c, f.val[SW_SOCKET_DIR], "socket-dir", "switch", &sw->socket_dir);
	if (f.val[SW_CONTROL_SOCKET])
		yabs_path(c, f.val[SW_CONTROL_SOCKET], "control-socket", "switch",
		          &sw->control_socket);
	unsigned mode;
	if (f.val[SW_VHOST_MODE] &&
	    yenum(c, f.val[SW_VHOST_MODE], "vhost-mode", "switch", modes, &mode))
		sw->vhost_client = mode == 1;
}

/* ---- ports ---- */

enum {
	P_NAME,
	P_TYPE,
	P_QUEUES,
	P_DEFAULT,
	P_PCI,
	P_PF,
	P_VF,
	P_DEVARGS,
	P_PATH,
	P_CLIENT,
	P_MAC,
	P_VLAN,
	P_SPOOF,
	P_TRUST,
	P_BW,
	P_MTU,
	P_VRING_STATS,
	P_NKEYS
};
_Static_assert(P_NKEYS <= QV_YAML_MAX_KEYS, "struct yfields holds every port key");
static const char *const port_keys[] = {
    "name",   "type", "queues", "default",     "pci",   "pf",        "vf",  "devargs",     "path",
    "client", "mac",  "vlan",   "spoof-check", "trust", "bandwidth", "mtu", "vring-stats", NULL};
#define B(k) (1u << (k))
#define PORT_COMMON (B(P_NAME) | B(P_TYPE) | B(P_QUEUES) | B(P_DEFAULT) | B(P_BW) | B(P_MTU))
static const uint32_t port_allowed[] = {
    [QV_PORT_PHY] = PORT_COMMON | B(P_PCI),
    [QV_PORT_VF] = PORT_COMMON | B(P_PF) | B(P_VF) | B(P_MAC) | B(P_VLAN) | B(P_SPOOF) | B(P_TRUST),
    [QV_PORT_VHOST] = PORT_COMMON | B(P_PATH) | B(P_CLIENT) | B(P_VRING_STATS),
    [QV_PORT_VDEV] = PORT_COMMON | B(P_DEVARGS),
};
static const char *const port_types[] = {"phy", "vf", "vhost", "vdev", NULL};

/* A unicast MAC written xx:xx:xx:xx:xx:xx (what `ip link set PF vf N mac` takes). */
static bool mac_ok(const char *s)
{
	unsigned b[6];
	char end;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
	           &end) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return false;
	return (b[0] & 1) == 0 && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) != 0;
}

/* The VF settings the PF applies (ip link set PF vf N mac/vlan/spoofchk/trust). */
static void load_vf_settings(struct yctx *c, const struct yfields *f, struct qv_model_port *p,
                             const char *what)
{
	unsigned long num;
	bool b;

	if (f->val[P_MAC]) {
		char found[64];
		if (mac_ok(ytext(f->val[P_MAC])))
			ystr(c, f->val[P_MAC], "mac", what, "a MAC address", &p->vf_mac);
		else
			yerr(c, ymark(f->val[P_MAC]),
			     "bad 'mac' in %s: found %s, expected a unicast MAC address "
			     "xx:xx:xx:xx:xx:xx (quote it)",
			     what, yfound(f->val[P_MAC], found, sizeof(found)));
	}
	if (f->val[P_VLAN] && yuint(c, f->val[P_VLAN], "vlan", what, 0, 4094, &num))
		p->vf_vlan = (int)num;
	if (f->val[P_SPOOF] && ybool(c, f->val[P_SPOOF], "spoof-check", what, &b))
		p->vf_spoofchk = b;
	if (f->val[P_TRUST] && ybool(c, f->val[P_TRUST], "trust", what, &b))
		p->vf_trust = b;
}

static void load_port(struct yctx *c, yaml_node_t *n, long index, struct qv_model_port *p)
{
	static const char *const defaults[] = {"drop", "l2", NULL};
	char what[80];
	struct yfields f;
	unsigned type = 0, dflt;
	unsigned long num;
	bool typed, b;

	ylabel(c, n, "port", index, what, sizeof(what));
	p->mark = ymark(n);
	p->queues = 1;
	p->vf_vlan = p->vf_spoofchk = p->vf_trust = QV_MODEL_UNSET;
	/* The type decides which keys apply, so it is read first. */
	yaml_node_t *tn = ymap_peek(c, n, "type");
	typed = tn && yenum(c, tn, "type", what, port_types, &type);
	if (typed) {
		char typed_what[100];
		snprintf(typed_what, sizeof(typed_what), "%s %s", port_types[type], what);
		p->type = (enum qv_port_type)type;
		if (!ymap(c, n, port_keys, port_allowed[type], typed_what, &f))
			return;
	} else if (!ymap(c, n, port_keys, 0xffffffffu >> (32 - P_NKEYS), what, &f)) {
		return;
	}

	if (f.val[P_NAME])
		yname(c, f.val[P_NAME], "name", what, &p->name);
	else
		ymissing(c, n, "name", what, "a name for the switch port, e.g. name: uplink0");
	if (!tn && f.key_mark[P_TYPE].line == 0)
		ymissing(c, n, "type", what, "phy, vf, vhost or vdev");
	if (f.val[P_QUEUES] &&
	    yuint(c, f.val[P_QUEUES], "queues", what, 1, QV_MODEL_MAX_QUEUES, &num))
		p->queues = (uint16_t)num;
	/* the switch checks the device's own limits when it opens the port */
	if (f.val[P_MTU] && yuint(c, f.val[P_MTU], "mtu", what, 68, QV_MODEL_MAX_MTU, &num))
		p->mtu = (uint16_t)num;
	if (f.val[P_DEFAULT] && yenum(c, f.val[P_DEFAULT], "default", what, defaults, &dflt))
		p->dflt = (enum qv_port_default)dflt;
	if (f.val[P_BW]) {
		p->bw_mark = f.key_mark[P_BW];
		qv_yaml_load_bandwidth(c, f.val[P_BW], what, p->bw);
	}
	if (!typed)
		return;

	switch (p->type) {
	case QV_PORT_PHY:
		if (f.val[P_PCI])
			ypci(c, f.val[P_PCI], "pci", what, &p->pci);
		else
			ymissing(c, n, "pci", what, "the NIC's " PCI_EXPECT);
		break;
	case QV_PORT_VF:
		if (f.val[P_PF])
			ypci(c, f.val[P_PF], "pf", what, &p->pf);
		else
			ymissing(c, n, "pf", what, "the physical function's " PCI_EXPECT);
		if (!f.val[P_VF])
			ymissing(c, n, "vf", what, "the VF index on pf, e.g. vf: 0");
		else if (yuint(c, f.val[P_VF], "vf", what, 0, QV_MODEL_MAX_VF, &num))
			p->vf = (uint16_t)num;
		load_vf_settings(c, &f, p, what);
		break;
	case QV_PORT_VHOST:
		if (f.val[P_PATH])
			yabs_path(c, f.val[P_PATH], "path", what, &p->path);
		else
			ymissing(c, n, "path", what, "the vhost-user socket's absolute path");
		if (f.val[P_CLIENT])
			ybool(c, f.val[P_CLIENT], "client", what, &p->client);
		if (f.val[P_VRING_STATS] && ybool(c, f.val[P_VRING_STATS], "vring-stats", what, &b))
			p->vring_stats_off = !b;
		break;
	case QV_PORT_VDEV:
		if (f.val[P_DEVARGS])
			ystr(c, f.val[P_DEVARGS], "devargs", what,
			     "a DPDK vdev string such as net_pcap0,rx_pcap=in.pcap", &p->devargs);
		else
			ymissing(c, n, "devargs", what,
			         "a DPDK vdev string such as net_pcap0,rx_pcap=in.pcap");
		break;
	}
}

/* ---- VNFs ---- */

enum {
	V_NAME,
	V_IFACES,
	V_VCPUS,
	V_MEMORY,
	V_IMAGE,
	V_KERNEL,
	V_INITRD,
	V_CMDLINE,
	V_NUMA,
	V_INSTANCES,
	V_VFS,
	V_BW,
	V_MTU,
	V_VRING_STATS,
	V_NKEYS
};
_Static_assert(V_NKEYS <= QV_YAML_MAX_KEYS, "struct yfields holds every VNF key");
static const char *const vnf_keys[] = {
    "name", "interfaces", "vcpus", "memory",    "image", "kernel",      "initrd", "cmdline",
    "numa", "instances",  "vfs",   "bandwidth", "mtu",   "vring-stats", NULL};

static bool add_iface(struct yctx *c, struct qv_model_vnf *v, const char *name, struct qv_mark at,
                      const char *what)
{
	for (size_t j = 0; j < v->n_ifaces; j++) {
		if (strcmp(v->ifaces[j].name, name) == 0) {
			yerr(c, at, "duplicate interface '%s' in %s (first at line %u)", name, what,
			     v->ifaces[j].mark.line);
			return false;
		}
	}
	v->ifaces[v->n_ifaces].name = strdup(name);
	v->ifaces[v->n_ifaces].mark = at;
	if (v->ifaces[v->n_ifaces].name == NULL) {
		yerr(c, at, "out of memory reading %s", what);
		return false;
	}
	v->n_ifaces++;
	return true;
}

static void load_ifaces(struct yctx *c, yaml_node_t *n, struct qv_model_vnf *v, const char *what)
{
	yaml_node_item_t *items;
	long cnt = 2;

	if (n) {
		cnt = ylist(c, n, "interfaces", what, &items);
		if (cnt < 0)
			return;
		if (cnt == 0 || cnt > QV_MODEL_MAX_IFACES) {
			yerr(c, ymark(n),
			     "bad 'interfaces' in %s: found %ld interfaces, expected 1..%d names",
			     what, cnt, QV_MODEL_MAX_IFACES);
			return;
		}
	}
	v->ifaces = calloc((size_t)cnt, sizeof(*v->ifaces));
	if (v->ifaces == NULL) {
		yerr(c, ymark(n), "out of memory reading %s", what);
		return;
	}
	if (n == NULL) { /* the default: a bump in the wire */
		add_iface(c, v, "in", v->mark, what);
		add_iface(c, v, "out", v->mark, what);
		return;
	}
	for (long i = 0; i < cnt; i++) {
		yaml_node_t *it = ynode(c, items[i]);
		yaml_node_t *bw = NULL;
		char *name = NULL;

		if (it && it->type == YAML_MAPPING_NODE) { /* {name: in, bandwidth: 1Gbit} */
			static const char *const iface_keys[] = {"name", "bandwidth", NULL};
			struct yfields f;

			if (!ymap(c, it, iface_keys, 0x3, what, &f))
				continue;
			if (!f.val[0]) {
				ymissing(c, it, "name", what,
				         "the interface's name, e.g. name: in");
				continue;
			}
			bw = f.val[1];
			it = f.val[0];
		}
		if (yname(c, it, "interfaces", what, &name) &&
		    add_iface(c, v, name, ymark(it), what) && bw) {
			char w[160];

			snprintf(w, sizeof(w), "interface '%s' of %s", name, what);
			qv_yaml_load_bandwidth(c, bw, w, v->ifaces[v->n_ifaces - 1].bw);
		}
		free(name);
	}
}

static void load_memory(struct yctx *c, yaml_node_t *n, struct qv_model_vnf *v, const char *what)
{
	char found[64], lo[16], hi[16];
	uint64_t bytes;

	if (!qv_parse_size(ytext(n), &bytes)) {
		yerr(c, ymark(n), "bad 'memory' in %s: found %s, expected " QV_SIZE_EXPECT, what,
		     yfound(n, found, sizeof(found)));
		return;
	}
	qv_format_size(QV_MODEL_MIN_MEMORY, lo, sizeof(lo));
	qv_format_size(QV_MODEL_MAX_MEMORY, hi, sizeof(hi));
	if (bytes < QV_MODEL_MIN_MEMORY || bytes > QV_MODEL_MAX_MEMORY || bytes % (1u << 20)) {
		yerr(c, ymark(n),
		     "bad 'memory' in %s: found %s, expected a whole number of MiB, %s..%s", what,
		     yfound(n, found, sizeof(found)), lo, hi);
		return;
	}
	v->memory = bytes;
}

/* vfs: [PORT, ...]: ports of type vf the VM gets as PCI devices; checked against ports: by
 * qv_model_validate. */
static void load_vfs(struct yctx *c, yaml_node_t *n, struct qv_model_vnf *v, const char *what)
{
	yaml_node_item_t *items;
	long cnt = ylist(c, n, "vfs", what, &items);

	if (cnt <= 0)
		return;
	if (cnt > QV_MODEL_MAX_VFS) {
		yerr(c, ymark(n), "bad 'vfs' in %s: found %ld ports, expected at most %d", what,
		     cnt, QV_MODEL_MAX_VFS);
		return;
	}
	if (!(v->vfs = calloc((size_t)cnt, sizeof(*v->vfs)))) {
		yerr(c, ymark(n), "out of memory reading %s", what);
		return;
	}
	for (long i = 0; i < cnt; i++) {
		yaml_node_t *it = ynode(c, items[i]);

		if (yname(c, it, "vfs", what, &v->vfs[v->n_vfs].name))
			v->vfs[v->n_vfs++].mark = ymark(it);
	}
}

static void load_vnf(struct yctx *c, yaml_node_t *n, long index, struct qv_model_vnf *v)
{
	static const char *const auto_word[] = {"auto", NULL};
	char what[80];
	struct yfields f;
	unsigned long num;
	bool b;

	ylabel(c, n, "VNF", index, what, sizeof(what));
	v->mark = ymark(n);
	v->vcpus = 1;
	v->memory = 1ull << 30;
	v->numa = QV_MODEL_NUMA_AUTO;
	v->instances = 1;
	if (!ymap(c, n, vnf_keys, (1u << V_NKEYS) - 1, what, &f))
		return;

	if (f.val[V_NAME])
		yname(c, f.val[V_NAME], "name", what, &v->name);
	else
		ymissing(c, n, "name", what, "a name for the VNF, e.g. name: fw1");
	load_ifaces(c, f.val[V_IFACES], v, what);
	if (f.val[V_VCPUS] && yuint(c, f.val[V_VCPUS], "vcpus", what, 1, QV_MODEL_MAX_VCPUS, &num))
		v->vcpus = (uint16_t)num;
	if (f.val[V_MEMORY])
		load_memory(c, f.val[V_MEMORY], v, what);
	if (f.val[V_INSTANCES])
		qv_yaml_load_instances(c, f.val[V_INSTANCES], what, v);
	if (f.val[V_VFS])
		load_vfs(c, f.val[V_VFS], v, what);
	if (f.val[V_BW])
		qv_yaml_load_bandwidth(c, f.val[V_BW], what, v->bw);
	/* every interface's: the switch port's MTU and the guest's (<mtu> in its domain XML) */
	if (f.val[V_MTU] && yuint(c, f.val[V_MTU], "mtu", what, 68, QV_MODEL_MAX_MTU, &num))
		v->mtu = (uint16_t)num;
	if (f.val[V_VRING_STATS] && ybool(c, f.val[V_VRING_STATS], "vring-stats", what, &b))
		v->vring_stats_off = !b;
	if (f.val[V_NUMA]) {
		unsigned dummy;
		const char *s = ytext(f.val[V_NUMA]);
		if (s && strcmp(s, "auto") == 0)
			(void)yenum(c, f.val[V_NUMA], "numa", what, auto_word, &dummy);
		else if (s && s[0] >= '0' && s[0] <= '9')
			v->numa = yuint(c, f.val[V_NUMA], "numa", what, 0, QV_MODEL_MAX_NUMA, &num)
			              ? (int)num
			              : QV_MODEL_NUMA_AUTO;
		else
			yerr(c, ymark(f.val[V_NUMA]),
			     "bad 'numa' in %s: found '%.40s', expected a NUMA node 0..%d or auto",
			     what, s ? s : "nothing", QV_MODEL_MAX_NUMA);
	}

	/* Boot source: a disk image, or a kernel with optional initrd and command line. */
	if (f.val[V_IMAGE] &&
	    ystr(c, f.val[V_IMAGE], "image", what, "a disk image path", &v->image))
		v->image_mark = ymark(f.val[V_IMAGE]);
	if (f.val[V_KERNEL] &&
	    ystr(c, f.val[V_KERNEL], "kernel", what, "a kernel image path", &v->kernel))
		v->kernel_mark = ymark(f.val[V_KERNEL]);
	if (f.val[V_INITRD] &&
	    ystr(c, f.val[V_INITRD], "initrd", what, "an initrd path", &v->initrd))
		v->initrd_mark = ymark(f.val[V_INITRD]);
	if (f.val[V_CMDLINE])
		ystr(c, f.val[V_CMDLINE], "cmdline", what, "a kernel command line", &v->cmdline);
	if (f.key_mark[V_IMAGE].line && f.key_mark[V_KERNEL].line)
		yerr(c, f.key_mark[V_KERNEL],
		     "%s has both 'image' (line %u) and 'kernel': expected one boot source", what,
		     f.key_mark[V_IMAGE].line);
	else if (!f.key_mark[V_IMAGE].line && !f.key_mark[V_KERNEL].line)
		ymissing(c, n, "image", what,
		         "a boot source: image: PATH, or kernel: PATH with "
		         "optional initrd and cmdline");
	for (int k = V_INITRD; k <= V_CMDLINE; k++) {
		if (f.key_mark[k].line && !f.key_mark[V_KERNEL].line)
			yerr(c, f.key_mark[k], "'%s' in %s needs 'kernel' (it boots from %s)",
			     vnf_keys[k], what, f.key_mark[V_IMAGE].line ? "'image'" : "nothing");
	}
}

/* ---- the document ---- */

enum { T_SWITCH, T_PORTS, T_VNFS, T_CHAINS };
static const char *const top_keys[] = {"switch", "ports", "vnfs", "chains", NULL};

static void load_ports(struct yctx *c, yaml_node_t *n, struct qv_model *m)
{
	yaml_node_item_t *items;
	long cnt = ylist(c, n, "ports", "the file", &items);
	if (cnt <= 0)
		return;
	if ((m->ports = calloc((size_t)cnt, sizeof(*m->ports))) == NULL) {
		yerr(c, ymark(n), "out of memory reading ports");
		return;
	}
	for (long i = 0; i < cnt; i++)
		load_port(c, ynode(c, items[i]), i, &m->ports[m->n_ports++]);
}

static void load_vnfs(struct yctx *c, yaml_node_t *n, struct qv_model *m)
{
	yaml_node_item_t *items;
	long cnt = ylist(c, n, "vnfs", "the file", &items);
	if (cnt <= 0)
		return;
	if ((m->vnfs = calloc((size_t)cnt, sizeof(*m->vnfs))) == NULL) {
		yerr(c, ymark(n), "out of memory reading vnfs");
		return;
	}
	for (long i = 0; i < cnt; i++)
		load_vnf(c, ynode(c, items[i]), i, &m->vnfs[m->n_vnfs++]);
}

static void load_document(struct yctx *c, struct qv_model *m)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	struct yfields f;

	if (root == NULL || ynull(root)) {
		yerr(c, (struct qv_mark){1, 1},
		     "empty file: expected a mapping with keys switch, ports, vnfs, chains");
		return;
	}
	if (!ymap(c, root, top_keys, 0xf, "the file", &f))
		return;
	if (f.val[T_SWITCH])
		load_switch(c, f.val[T_SWITCH], &m->sw);
	if (f.val[T_PORTS])
		load_ports(c, f.val[T_PORTS], m);
	if (f.val[T_VNFS])
		load_vnfs(c, f.val[T_VNFS], m);
	if (f.val[T_CHAINS])
		qv_yaml_load_chains(c, f.val[T_CHAINS], m);
}

static void syntax_error(struct yctx *c, const yaml_parser_t *p)
{
	const yaml_mark_t *at = p->problem ? &p->problem_mark : &p->mark;
	struct qv_mark mk = {(unsigned)at->line + 1, (unsigned)at->column + 1};

	if (p->error == YAML_MEMORY_ERROR)
		yerr(c, mk, "out of memory reading the file");
	else if (p->context)
		yerr(c, mk, "YAML syntax error: %s %s (line %zu)",
		     p->problem ? p->problem : "error", p->context, p->context_mark.line + 1);
	else
		yerr(c, mk, "YAML syntax error: %s", p->problem ? p->problem : "bad document");
}

static int set_defaults(struct qv_model *m)
{
	if (m->sw.socket_dir == NULL && (m->sw.socket_dir = strdup(DEFAULT_SOCKET_DIR)) == NULL)
		return -1;
	return 0;
}

int qv_model_load_buffer(const char *name, const char *buf, size_t len, struct qv_model **out,
                         struct qv_diags *d)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	size_t first = d->n;
	struct yctx c = {.file = name, .doc = &doc, .d = d};
	struct qv_model *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL || (m->file = strdup(name)) == NULL || !yaml_parser_initialize(&parser)) {
		qv_diag_add(d, name, (struct qv_mark){0, 0}, "out of memory loading the file");
		qv_model_free(m);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&c, &parser);
	} else {
		load_document(&c, m);
		yaml_document_delete(&doc);
		/* A second document would be silently ignored: refuse it. */
		if (c.n_errors == 0 && yaml_parser_load(&parser, &extra)) {
			if (yaml_document_get_root_node(&extra))
				yerr(&c, (struct qv_mark){(unsigned)extra.start_mark.line + 1, 1},
				     "a second YAML document ('---'): expected one service "
				     "definition per file");
			yaml_document_delete(&extra);
		} else if (c.n_errors == 0) {
			syntax_error(&c, &parser);
		}
	}
	yaml_parser_delete(&parser);

	if (c.n_errors == 0 && set_defaults(m) < 0)
		yerr(&c, (struct qv_mark){0, 0}, "out of memory loading the file");
	/* Cross-checks only on a model that loaded cleanly would hide errors; run them anyway,
	 * they skip what failed to load. */
	if (!c.over_budget)
		c.n_errors += qv_model_validate(m, d);
	qv_diags_sort(d, first);
	if (c.n_errors || qv_diags_count(d) > first) {
		qv_model_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

int qv_model_load_file(const char *path, struct qv_model **out, struct qv_diags *d)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (f == NULL) {
		qv_diag_add(d, path, (struct qv_mark){0, 0}, "cannot open: %s", strerror(errno));
		return -1;
	}
	FILE *mem = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	int rc = mem ? 0 : -1;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = fwrite(chunk, 1, n, mem) == n ? 0 : -1;
	if (rc == 0 && ferror(f))
		rc = -1;
	if (mem)
		fclose(mem);
	fclose(f);
	if (rc < 0) {
		qv_diag_add(d, path, (struct qv_mark){0, 0}, "cannot read: %s", strerror(errno));
		free(buf);
		return -1;
	}
	rc = qv_model_load_buffer(path, buf, len, out, d);
	free(buf);
	return rc;
}
