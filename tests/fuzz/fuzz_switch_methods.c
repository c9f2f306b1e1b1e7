/* qwikvirt: libFuzzer target for qv-switchd's real method table (rpc_handlers.c and every
 * feature's: port, flow, stats, capture, trace, group, police) in-process: EAL without
 * hugepages or PCI, the switch with one PMD that is never launched, dirs of its own. */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_eal.h>
#include <rte_memory.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QV_LSAN 1
#endif
#endif
#ifdef QV_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "control/rpc/rpc.h"
#include "dataplane/capture/capture.h"
#include "dataplane/confine.h"
#include "dataplane/dp.h"
#include "dataplane/port_classes.h"
#include "dataplane/rpc_handlers.h"
#include "dataplane/switch.h"
#include "pmd-glue/mempool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char work[128], cap_dir[160], vhost_dir[160];
static size_t n_methods;
static const char *const base_ports[] = {"r0", "r1", "v0"};
#define N_BASE (sizeof(base_ports) / sizeof(base_ports[0]))

/* The caller of an input: trusted (a startup file), root, or a group member. */
static const struct qv_rpc_caller reader = {.role = QV_RPC_ROLE_READER, .uid = 4242};
static const struct qv_rpc_caller admin = {.role = QV_RPC_ROLE_ADMIN, .uid = 0};

static void call(const char *line)
{
	free(qv_rpc_handle_line(line, strlen(line), qv_switch_methods, NULL));
}

static void add_base_ports(void);

#ifdef QV_LSAN
/* The switch keeps malloc'd objects (poll lists, tables) behind pointers in rte_malloc'd
 * structs (its PMDs, ports): DPDK memory, which LeakSanitizer does not scan. Scanned as roots,
 * those objects are reachable, and a leak report means a real leak. */
static int register_memseg_list(const struct rte_memseg_list *msl, void *arg)
{
	(void)arg;
	__lsan_register_root_region(msl->base_va, msl->len);
	return 0;
}
#endif

/* in.pcap in the capture directory, for rx_pcap=in.pcap: a pcap header and no packets. */
static void write_empty_pcap(void)
{
	static const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
	char path[200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/in.pcap", cap_dir);
	f = fopen(path, "wb");
	if (!f || fwrite(hdr, sizeof(hdr), 1, f) != 1)
		abort();
	fclose(f);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* At exit: the work directory goes (the switch's sockets and files in it with it). */
static void remove_work(void)
{
	nftw(work, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void start(void)
{
	char prefix[64], err[512];
	char *eal[] = {"fuzz_switch_methods",
	               "--no-huge",
	               "--no-pci",
	               "--no-shconf",
	               "-m",
	               "256",
	               "-l",
	               "0",
	               "--log-level",
	               "lib.eal:error",
	               "--file-prefix",
	               prefix};
	const unsigned cpus[1] = {1}; /* lcore 1, never launched */
	const char *tmp = getenv("TMPDIR");

	snprintf(prefix, sizeof(prefix), "qvfuzzsw%ld", (long)getpid());
	snprintf(work, sizeof(work), "%s/qv-fuzz-sw.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(work) || atexit(remove_work) != 0 ||
	    rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		abort();
#ifdef QV_LSAN
	rte_memseg_list_walk(register_memseg_list, NULL);
#endif
	snprintf(cap_dir, sizeof(cap_dir), "%s/cap", work);
	snprintf(vhost_dir, sizeof(vhost_dir), "%s/vh", work);
	qv_mempool_size = 1024;
	qv_sw.max_rules = 2000; /* bounded: inputs add rules, and they stay */
	if (qv_switch_init(cpus, 1, err, sizeof(err)) != 0 ||
	    qv_switch_dirs_init(cap_dir, vhost_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_switch_methods: %s\n", err);
		abort();
	}
	for (n_methods = 0; qv_switch_methods[n_methods].name; n_methods++)
		;
	write_empty_pcap();
	add_base_ports();
}

/* The ports the inputs can name (the seeds do), kept from one input to the next; those an
 * input removed come back (the others' port.add fails: the name is taken). */
static void add_base_ports(void)
{
	call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.add\",\"params\":{\"name\":\"r0\","
	     "\"type\":\"dpdk\",\"devargs\":\"net_ring0\"}}");
	call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.add\",\"params\":{\"name\":\"r1\","
	     "\"type\":\"dpdk\",\"devargs\":\"net_null1\"}}");
	call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"port.add\",\"params\":{\"name\":\"v0\","
	     "\"type\":\"vhost\",\"path\":\"v0.sock\"}}");
}

/* Kinds the harness does not let an input create: they reach the host itself (a tap netdev,
 * an XDP program or a socket on a real interface, packets onto a real link). Their devargs
 * are still checked, through the same allow-list, without probing. */
static bool reaches_host(json_t *params)
{
	const char *type = json_string_value(json_object_get(params, "type"));
	const char *dev = json_string_value(json_object_get(params, "devargs"));

	if (type && strcmp(type, "vhost") != 0 && strcmp(type, "dpdk") != 0)
		return true;
	return dev && (strncmp(dev, "net_ring", 8) != 0 && strncmp(dev, "net_null", 8) != 0 &&
	               (strncmp(dev, "net_pcap", 8) != 0 || strstr(dev, "iface")));
}

static void check_only(json_t *params)
{
	const struct qv_port_class *cls = qv_port_class_find("dpdk");
	struct qv_port_config cfg = {0};
	struct qv_rpc_error err = {0};
	char buf[1024];

	cfg.str[0] = json_string_value(json_object_get(params, "devargs"));
	if (cls && cfg.str[0] && cls->args[0].key && strcmp(cls->args[0].key, "devargs") == 0)
		qv_port_paths_check(cls, &cfg, buf, sizeof(buf), &err);
}

/* Back to the base state: captures stopped, files gone, ports beyond the base ones removed,
 * so that millions of inputs neither fill the capture slots, the port table nor the disk. */
static void reset(void)
{
	json_t *list, *c;
	size_t i;
	DIR *d;
	struct dirent *e;
	char msg[256];

	pthread_mutex_lock(&qv_sw.lock);
	list = qv_capture_list();
	json_array_foreach(
	    list, i, c) if (strcmp(json_string_value(json_object_get(c, "state")), "running") == 0)
	    qv_capture_stop((uint32_t)json_integer_value(json_object_get(c, "id")), 0, true, msg,
	                    sizeof(msg));
	json_decref(list);
	for (uint16_t p = 0; p < QV_MAX_PORTS; p++) {
		struct qv_port *port = qv_dp_port_at(p);
		bool base = false;

		for (size_t k = 0; port && k < N_BASE; k++)
			base = base || strcmp(port->name, base_ports[k]) == 0;
		if (port && !base)
			qv_switch_port_del(port->name, msg, sizeof(msg));
	}
	pthread_mutex_unlock(&qv_sw.lock);
	if ((d = opendir(cap_dir))) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && strcmp(e->d_name, "in.pcap") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	add_base_ports();
}

/* Input: byte 0 picks the caller (0: trusted, 1: root, 2: a group member); then the method's
 * name, a NUL, and the params JSON. A name that is no method picks one by its first byte (so
 * the seeds stay readable and mutations still reach every method). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct qv_rpc_method *m = NULL;
	const struct qv_rpc_caller *callers[] = {NULL, &admin, &reader};
	const char *name = (const char *)data + 1, *nul;
	json_t *params, *req, *r;
	char *line, *resp;

	if (n_methods == 0)
		start();
	if (size < 3 || !(nul = memchr(name, '\0', size - 1)))
		return 0;
	for (size_t i = 0; i < n_methods && !m; i++)
		if (strcmp(qv_switch_methods[i].name, name) == 0)
			m = &qv_switch_methods[i];
	if (!m)
		m = &qv_switch_methods[(uint8_t)name[0] % n_methods];
	params = json_loadb(nul + 1, size - (size_t)(nul + 1 - (const char *)data), 0, NULL);
	if (!params)
		return 0; /* not JSON: rpc_frame covers those bytes */
	if (strcmp(m->name, "port.add") == 0 && json_is_object(params) && reaches_host(params)) {
		check_only(params);
		json_decref(params);
		return 0;
	}
	req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", m->name,
	                "params", params);
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!line)
		return 0;
	resp = qv_rpc_handle_line_as(line, strlen(line), qv_switch_methods, NULL,
	                             callers[data[0] % 3]);
	free(line);
	if (getenv("QV_FUZZ_VERBOSE"))
		fprintf(stderr, "%s -> %s\n", m->name, resp ? resp : "(nothing)");
	/* Every method answers: a result or an error a person can act on. */
	r = resp ? json_loads(resp, 0, NULL) : NULL;
	if (!json_is_object(r) ||
	    (json_object_get(r, "result") == NULL) == (json_object_get(r, "error") == NULL))
		abort();
	json_decref(r);
	free(resp);
	reset();
	return 0;
}
