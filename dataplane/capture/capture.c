/* qwikvirt: capture control and the capture thread — starting (validating the path and the
 * filter first), writing pcapng files, limits (count, duration, size with rotation), stopping
 * with complete files. Slow path. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/capture/capture.h"
#include "dataplane/capture/capture_hdr.h"
#include "dataplane/capture/pcapng.h"
#include "dataplane/confine.h"
#include "dataplane/dp.h"

#define CAPTURE_MBUFS 4095
#define CAPTURE_RING 4096
#define FINISHED_KEPT 32

/* Running and finished captures. cap_lock guards the list against the capture thread; the
 * control thread additionally holds qv_sw.lock (qv_dp_lock). */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct qv_capture *caps[QV_CAPTURE_MAX];
static json_t *finished_list; /* summaries of retired captures, newest last */
static uint32_t next_id = 1;
static pthread_t thread;
static bool thread_started;
static _Atomic bool thread_stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t tsc_to_ns(const struct qv_capture *c, uint64_t tsc)
{
	return c->t0_ns + (uint64_t)((double)(tsc - c->start_tsc) * 1e9 / (double)rte_get_tsc_hz());
}

/* Opens the capture's file (or its LEAF.N for rotated ones) beside the first, in the capture
 * directory, never through a link; 0640 (the directory's group: members read their own). */
static FILE *open_capture_file(const struct qv_capture *c, const char *leaf, const char *shown,
                               char *err, size_t errlen)
{
	int fd = qv_confine_create(c->dirfd, leaf, shown, c->force, 0640, err, errlen);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", shown, strerror(errno));
		close(fd);
	}
	return f;
}

static int start_file(struct qv_capture *c, char *err, size_t errlen)
{
	char name[PATH_MAX + 16], leaf[sizeof(c->leaf) + 16], comment[512];
	long n;

	if (c->file_no == 0) {
		snprintf(name, sizeof(name), "%s", c->path);
		snprintf(leaf, sizeof(leaf), "%s", c->leaf);
	} else {
		snprintf(name, sizeof(name), "%s.%u", c->path, c->file_no);
		snprintf(leaf, sizeof(leaf), "%s.%u", c->leaf, c->file_no);
	}
	c->f = open_capture_file(c, leaf, name, err, errlen);
	if (!c->f)
		return -1;
	snprintf(comment, sizeof(comment), "port %s, %s%s%s", c->port_name,
	         c->dir == (QV_CAPTURE_RX | QV_CAPTURE_TX) ? "rx+tx"
	         : c->dir == QV_CAPTURE_RX                 ? "rx"
	                                                   : "tx",
	         c->filter[0] ? ", filter " : "", c->filter);
	n = qv_pcapng_write_header(c->f, c->port_name, c->snaplen, comment);
	c->file_bytes = n > 0 ? (uint64_t)n : 0;
	return 0;
}

static void close_file(struct qv_capture *c)
{
	if (!c->f)
		return;
	qv_pcapng_write_stats(c->f, now_ns(), atomic_load(&c->matched),
	                      atomic_load(&c->drop_ring) + atomic_load(&c->drop_nomem));
	fclose(c->f);
	c->f = NULL;
}

static void finish(struct qv_capture *c, const char *why)
{
	if (!atomic_load(&c->finished)) {
		snprintf(c->end_reason, sizeof(c->end_reason), "%s", why);
		atomic_store(&c->finished, true);
	}
}

/* Capture thread: one pass over one capture. Returns true when it wrote something. */
static bool drain(struct qv_capture *c)
{
	struct rte_mbuf *pkts[64];
	unsigned n = rte_ring_dequeue_burst(c->ring, (void **)pkts, 64, NULL);
	char err[256];

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct qv_capture_hdr h = *rte_pktmbuf_mtod(m, struct qv_capture_hdr *);
		static uint8_t buf[65536]; /* capture thread only */
		const void *data;
		uint32_t caplen;
		long w;

		rte_pktmbuf_adj(m, sizeof(h));
		caplen = m->pkt_len < sizeof(buf) ? m->pkt_len : (uint32_t)sizeof(buf);
		data = rte_pktmbuf_read(m, 0, caplen, buf);
		if (c->f && (!c->count_limit || c->written < c->count_limit)) {
			/* block overhead (~48 bytes) and the statistics block written at
			 * close (~56) must fit too */
			if (c->max_size && c->file_bytes + caplen + 128 > c->max_size) {
				close_file(c);
				if (c->rotate) {
					c->file_no++;
					if (start_file(c, err, sizeof(err)) != 0)
						finish(c, "rotation failed");
				} else {
					finish(c, "size limit");
				}
			}
			if (c->f) {
				w = qv_pcapng_write_packet(
				    c->f, tsc_to_ns(c, h.tsc), data, caplen, h.origlen,
				    h.dir == QV_CAPTURE_RX ? QV_PCAPNG_INBOUND
				                           : QV_PCAPNG_OUTBOUND);
				if (w < 0)
					finish(c, "write error");
				else {
					c->file_bytes += (uint64_t)w;
					c->bytes += caplen;
					c->written++;
				}
			}
		}
		rte_pktmbuf_free(m);
	}
	if (c->count_limit && c->written >= c->count_limit)
		finish(c, "count reached");
	if (c->duration_tsc && rte_rdtsc() - c->start_tsc >= c->duration_tsc)
		finish(c, "duration reached");
	if (atomic_load(&c->finished) && n == 0 && !atomic_load(&c->closed)) {
		if (c->f)
			fflush(c->f);
		close_file(c);
		atomic_store(&c->closed, true);
	}
	return n > 0;
}

static void *capture_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&thread_stop)) {
		bool busy = false;

		pthread_mutex_lock(&cap_lock);
		for (int i = 0; i < QV_CAPTURE_MAX; i++)
			if (caps[i] && !atomic_load(&caps[i]->closed))
				busy |= drain(caps[i]);
		pthread_mutex_unlock(&cap_lock);
		if (!busy)
			usleep(1000); /* nothing queued: this thread must not poll a core */
	}
	return NULL;
}

/* ---- publication on the port ---- */

static void republish_port(uint16_t port)
{
	struct qv_port *p = qv_dp_port_at(port);
	struct qv_capture_set *set = NULL;

	for (int i = 0; i < QV_CAPTURE_MAX; i++) {
		struct qv_capture *c = caps[i];

		if (!c || c->port != port || atomic_load(&c->finished))
			continue;
		if (!set)
			set = calloc(1, sizeof(*set));
		if (set)
			set->c[set->n++] = c;
	}
	if (!p) {
		free(set);
		return;
	}
	/* after the grace period no PMD holds the old set (or a retired capture) any more */
	QV_DP_PUBLISH(&p->capture, set, qv_dp_free, NULL);
}

static json_t *summary(const struct qv_capture *c)
{
	return json_pack(
	    "{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}", "id", c->id,
	    "port", c->port_name, "dir",
	    c->dir == 3               ? "both"
	    : c->dir == QV_CAPTURE_RX ? "rx"
	                              : "tx",
	    "filter", c->filter, "file", c->path, "state",
	    atomic_load(&c->closed) ? "done" : "running", "packets", (json_int_t)c->written,
	    "bytes", (json_int_t)c->bytes, "drops_ring", (json_int_t)atomic_load(&c->drop_ring),
	    "drops_nomem", (json_int_t)atomic_load(&c->drop_nomem), "files",
	    (json_int_t)(c->file_no + 1), "end", c->end_reason, "owner", (json_int_t)c->owner);
}

static void free_capture(struct qv_capture *c)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(c->ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(c->ring);
	rte_mempool_free(c->mp);
	if (c->bpf)
		rte_bpf_destroy(c->bpf);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c);
}

/* Removes capture slot i once its file is closed; the caller made sure no PMD sees it. */
static void retire(int i)
{
	struct qv_capture *c = caps[i];

	if (!finished_list)
		finished_list = json_array();
	json_array_append_new(finished_list, summary(c));
	while (json_array_size(finished_list) > FINISHED_KEPT)
		json_array_remove(finished_list, 0);
	caps[i] = NULL;
	free_capture(c);
}

static void wait_closed(struct qv_capture *c)
{
	/* The capture thread drains the ring and closes the file; it never takes qv_sw.lock. */
	for (int i = 0; i < 10000 && !atomic_load(&c->closed); i++)
		usleep(1000);
}

static void stop_where(bool (*pred)(const struct qv_capture *, const void *), const void *arg,
                       const char *why)
{
	bool ports[QV_MAX_PORTS] = {false};

	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < QV_CAPTURE_MAX; i++)
		if (caps[i] && pred(caps[i], arg)) {
			finish(caps[i], why);
			ports[caps[i]->port] = true;
		}
	pthread_mutex_unlock(&cap_lock);
	for (uint16_t p = 0; p < QV_MAX_PORTS; p++)
		if (ports[p])
			republish_port(p);
	for (int i = 0; i < QV_CAPTURE_MAX; i++)
		if (caps[i] && pred(caps[i], arg))
			wait_closed(caps[i]);
	pthread_mutex_lock(&cap_lock);
	for (int i = 0; i < QV_CAPTURE_MAX; i++)
		if (caps[i] && pred(caps[i], arg) && atomic_load(&caps[i]->closed))
			retire(i);
	pthread_mutex_unlock(&cap_lock);
}

static bool by_id(const struct qv_capture *c, const void *arg)
{
	return c->id == *(const uint32_t *)arg;
}

static bool by_port(const struct qv_capture *c, const void *arg)
{
	return c->port == *(const uint16_t *)arg;
}

static bool any(const struct qv_capture *c, const void *arg)
{
	(void)c, (void)arg;
	return true;
}

static bool closed_now(const struct qv_capture *c, const void *arg)
{
	(void)arg;
	return atomic_load(&c->finished);
}

int qv_capture_stop(uint32_t id, uid_t owner, bool any_owner, char *err, size_t errlen)
{
	for (int i = 0; i < QV_CAPTURE_MAX; i++)
		if (caps[i] && caps[i]->id == id) {
			if (!any_owner && caps[i]->owner != owner) {
				snprintf(err, errlen,
				         "permission denied: capture %u was started by uid %ld; "
				         "only it or root may stop it",
				         id, (long)caps[i]->owner);
				return -1;
			}
			stop_where(by_id, &id, "stopped");
			return 0;
		}
	snprintf(err, errlen, "no running capture with id %u (see qvctl capture list)", id);
	return -1;
}

void qv_capture_stop_port(uint16_t port)
{
	stop_where(by_port, &port, "port removed");
}

void qv_capture_stop_all(void)
{
	stop_where(any, NULL, "switch stopped");
	if (thread_started) {
		atomic_store(&thread_stop, true);
		pthread_join(thread, NULL);
		thread_started = false;
	}
	json_decref(finished_list);
	finished_list = NULL;
}

void qv_capture_reap(void)
{
	stop_where(closed_now, NULL, "done");
}

json_t *qv_capture_list(void)
{
	json_t *a = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(finished_list, i, v) json_array_append(a, v);
	pthread_mutex_lock(&cap_lock);
	for (int k = 0; k < QV_CAPTURE_MAX; k++)
		if (caps[k])
			json_array_append_new(a, summary(caps[k]));
	pthread_mutex_unlock(&cap_lock);
	return a;
}

/* ---- start ---- */

static struct rte_bpf *compile_filter(const char *filter, uint32_t snaplen, char *err,
                                      size_t errlen)
{
	pcap_t *pc = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	struct bpf_program prog;
	struct rte_bpf_prm *prm;
	struct rte_bpf *bpf = NULL;

	if (!pc) {
		snprintf(err, errlen, "libpcap: cannot set up a filter compiler");
		return NULL;
	}
	if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter '%s': %s", filter, pcap_geterr(pc));
		pcap_close(pc);
		return NULL;
	}
	prm = rte_bpf_convert(&prog);
	if (prm) {
		bpf = rte_bpf_load(prm);
		rte_free(prm);
	}
	if (!bpf)
		snprintf(err, errlen, "filter '%s' cannot run on the PMD: %s", filter,
		         rte_strerror(rte_errno));
	pcap_freecode(&prog);
	pcap_close(pc);
	return bpf;
}

int qv_capture_start(const struct qv_capture_params *cp, uid_t owner, char *err, size_t errlen)
{
	struct qv_port *p = qv_dp_port_by_name(cp->port);
	struct qv_confined where;
	struct qv_capture *c;
	char name[RTE_RING_NAMESIZE];
	int slot = -1;

	if (!p) {
		snprintf(err, errlen, "no port named '%s' (see qvctl show ports)", cp->port);
		return -1;
	}
	for (int i = 0; i < QV_CAPTURE_MAX && slot < 0; i++)
		if (!caps[i])
			slot = i;
	if (slot < 0) {
		snprintf(err, errlen, "%d captures are running already (qvctl capture stop ID)",
		         QV_CAPTURE_MAX);
		return -1;
	}
	if (!qv_capture_dir.root[0]) {
		snprintf(err, errlen, "no capture directory is set up (--capture-dir)");
		return -1;
	}
	if (qv_confine_resolve(&qv_capture_dir, "file", cp->file, &where, err, errlen) != 0)
		return -2;
	c = calloc(1, sizeof(*c));
	if (!c) {
		qv_confined_close(&where);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->dirfd = where.dirfd;
	snprintf(c->leaf, sizeof(c->leaf), "%s", where.leaf);
	snprintf(c->path, sizeof(c->path), "%s", where.full);
	c->force = cp->force;
	c->owner = owner;
	c->id = next_id++;
	c->port = p->index;
	snprintf(c->port_name, sizeof(c->port_name), "%s", p->name);
	c->dir = cp->dir;
	c->snaplen = cp->snaplen;
	c->count_limit = cp->count;
	c->duration_tsc = (uint64_t)(cp->duration_s * (double)rte_get_tsc_hz());
	c->max_size = cp->max_size;
	c->rotate = cp->rotate;
	snprintf(c->filter, sizeof(c->filter), "%s", cp->filter ? cp->filter : "");
	if (c->filter[0] && !(c->bpf = compile_filter(c->filter, c->snaplen, err, errlen))) {
		close(c->dirfd);
		free(c);
		return -1;
	}
	snprintf(name, sizeof(name), "qvcap%u", c->id);
	c->mp = rte_pktmbuf_pool_create(name, CAPTURE_MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                p->numa >= 0 ? p->numa : (int)rte_socket_id());
	c->ring = rte_ring_create(name, CAPTURE_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (!c->mp || !c->ring) {
		snprintf(err, errlen, "cannot allocate the capture's buffers: %s",
		         rte_strerror(rte_errno));
		goto fail;
	}
	c->start_tsc = rte_rdtsc();
	c->t0_ns = now_ns();
	if (start_file(c, err, errlen) != 0)
		goto fail;
	if (!thread_started) {
		atomic_store(&thread_stop, false);
		if (pthread_create(&thread, NULL, capture_thread, NULL) != 0) {
			snprintf(err, errlen, "cannot start the capture thread");
			goto fail_file;
		}
		pthread_setname_np(thread, "qv-capture");
		thread_started = true;
	}
	pthread_mutex_lock(&cap_lock);
	caps[slot] = c;
	pthread_mutex_unlock(&cap_lock);
	republish_port(c->port);
	return (int)c->id;
fail_file:
	fclose(c->f);
	unlinkat(c->dirfd, c->leaf, 0);
fail:
	rte_ring_free(c->ring);
	rte_mempool_free(c->mp);
	if (c->bpf)
		rte_bpf_destroy(c->bpf);
	close(c->dirfd);
	free(c);
	return -1;
}
