/* qwikvirt: packet capture to pcapng files. PMDs copy matching packets (BPF filter run on the
 * PMD) into a per-capture ring and never wait; a capture thread writes the files. */
#ifndef QV_CAPTURE_H
#define QV_CAPTURE_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>
#include <rte_mbuf.h>

#define QV_CAPTURE_RX 1
#define QV_CAPTURE_TX 2
#define QV_CAPTURE_MAX 16 /* running at once */

struct rte_bpf;
struct rte_ring;
struct rte_mempool;

struct qv_capture {
	uint32_t id;
	uint16_t port;
	char port_name[32];
	uint8_t dir; /* QV_CAPTURE_RX | QV_CAPTURE_TX */
	uint32_t snaplen;
	uint64_t count_limit;  /* 0: none */
	uint64_t duration_tsc; /* 0: none */
	uint64_t max_size;     /* bytes per file, 0: none */
	bool rotate;           /* at max_size: next file (PATH.1, PATH.2...) instead of stopping */
	char filter[256];
	char path[PATH_MAX]; /* resolved in the capture directory */
	int dirfd;           /* the directory holding it: rotated files are made beside it */
	char leaf[256];      /* its name there */
	bool force;          /* overwrite existing files (the first and the rotated ones) */
	uid_t owner;         /* who started it: a group member may stop only its own */
	struct rte_bpf *bpf; /* NULL: every packet */
	struct rte_mempool *mp;
	struct rte_ring *ring;

	/* written by PMDs (several at once) */
	_Atomic uint64_t matched, drop_ring, drop_nomem;
	_Atomic bool finished; /* PMDs stop copying; the capture thread drains and closes */

	/* capture thread only */
	FILE *f;
	uint64_t written, bytes, file_bytes, start_tsc, t0_ns;
	unsigned file_no;
	char end_reason[64];
	_Atomic bool closed;
};

/* What a port's PMDs consult: published through RCU like the flow table. */
struct qv_capture_set {
	uint16_t n;
	struct qv_capture *c[QV_CAPTURE_MAX];
};

/* ---- fast path ---- */

/* Copies the packets of a burst that the port's captures want (direction, filter, count).
 * Never blocks: a full ring or an empty pool is counted as the capture's drop. */
void qv_capture_burst(const struct qv_capture_set *cs, struct rte_mbuf **pkts, uint16_t n,
                      uint8_t dir);

/* ---- slow path (control thread, qv_sw.lock held) ---- */

struct qv_capture_params {
	const char *port, *file, *filter;
	uint8_t dir;
	uint32_t snaplen;
	uint64_t count, max_size;
	double duration_s;
	bool rotate, force;
};

/* Validates everything (port, path, filter) before anything starts; returns the id, or -1
 * with a message in err (libpcap's own message for a bad filter). cp->file is a name (or a
 * relative path, or an absolute one) inside qv_capture_dir, reached without following a link;
 * an existing file is refused unless cp->force, which truncates it. -2: the file parameter
 * itself is wrong (a JSON-RPC -32602). The capture belongs to owner. */
int qv_capture_start(const struct qv_capture_params *cp, uid_t owner, char *err, size_t errlen);
/* Stops capture id; when !any_owner only if owner started it (else -1 naming its owner). */
int qv_capture_stop(uint32_t id, uid_t owner, bool any_owner, char *err, size_t errlen);
/* Stops every capture on a port (it is being removed), leaving complete files. */
void qv_capture_stop_port(uint16_t port);
void qv_capture_stop_all(void);
/* Called regularly by the control loop: retires captures that hit their count, duration or
 * size limit. */
void qv_capture_reap(void);
json_t *qv_capture_list(void);

#endif
