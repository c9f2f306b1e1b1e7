/* qwikvirt: qv-controld's instances that follow load — reads each scaling VNF's load, decides
 * (scale_policy.c), adds an instance or drains one off its groups, keeps the counts on disk. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/controld/controld.h"
#include "control/controld/scaling.h"
#include "control/units.h"
#include "control/vm/vm_lifecycle.h"
#include "lib/num.h"

#define STATE_FILE "scaling.json"
#define MAX_SCALED 64
#define DRAIN_CHECK_MS 1000

/* One scaling VNF as qv-controld runs it. */
struct scaled {
	char name[64];
	struct qv_scale_state st;
	bool have_load;
	double load;
	char source[512];              /* where the load comes from, or why there is none */
	long long prev_ms;             /* the previous sample (measured signals) */
	double prev_counter;           /* packets sent to its ports, or ns of vCPU time */
	unsigned prev_n;               /* instances the previous sample covered */
	struct qv_scale_decision last; /* the last change (or the hold now) */
	char last_change[400];         /* the last change of count, as logged */
	long long last_change_wall;    /* time(NULL) of it; 0: none */
	enum qv_scale_reason logged;   /* the reason of the last hold logged */
	long long drain_checked;       /* the last look at a drain's flows (ms) */
	bool logged_any;
};

static struct scaled scaled[MAX_SCALED];
static size_t n_scaled;
static const char *signal_dir;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void qv_scaling_set_signal_dir(const char *dir)
{
	signal_dir = dir;
}

static struct scaled *find(const char *name, bool add)
{
	for (size_t i = 0; i < n_scaled; i++)
		if (strcmp(scaled[i].name, name) == 0)
			return &scaled[i];
	if (!add || n_scaled == MAX_SCALED || strlen(name) >= sizeof(scaled[0].name))
		return NULL;
	memset(&scaled[n_scaled], 0, sizeof(scaled[0]));
	snprintf(scaled[n_scaled].name, sizeof(scaled[0].name), "%s", name);
	qv_scale_state_init(&scaled[n_scaled].st, 0);
	return &scaled[n_scaled++];
}

/* ---- persisted counts ---- */

static void save(const struct qv_controld *c)
{
	json_t *o = json_object();
	char err[512], *text;

	for (size_t i = 0; i < n_scaled; i++)
		if (scaled[i].st.current)
			json_object_set_new(o, scaled[i].name,
			                    json_pack("{s:i, s:i}", "instances",
			                              scaled[i].st.current, "drain_to",
			                              scaled[i].st.drain_to));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text ||
	    qv_state_write(c->state_dir, STATE_FILE, text, strlen(text), err, sizeof(err)) != 0)
		fprintf(stderr,
		        "qv-controld: warning: scaled instance counts not saved (%s): a restart "
		        "goes back to each VNF's min\n",
		        text ? err : "out of memory");
	free(text);
	json_decref(o);
}

int qv_scaling_restore(struct qv_controld *c, char *err, size_t errlen)
{
	char path[4096], *text;
	size_t len;
	json_t *o, *v;
	const char *name;

	snprintf(path, sizeof(path), "%s/%s", c->state_dir, STATE_FILE);
	text = qv_state_read(path, &len);
	if (!text)
		return 0;
	o = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen,
		         "%s is not a JSON object: remove it to start from each VNF's min", path);
		return -1;
	}
	json_object_foreach(o, name, v)
	{
		struct scaled *s = find(name, true);
		json_int_t n = json_integer_value(json_object_get(v, "instances"));
		json_int_t to = json_integer_value(json_object_get(v, "drain_to"));

		if (!s || n < 1 || n > QV_MODEL_MAX_INSTANCES)
			continue;
		s->st.current = (unsigned)n;
		/* a drain cut short by the restart starts again, with a full deadline (set by
		 * the first round: drain_until 0) */
		s->st.drain_to = to >= 1 && to < n ? (unsigned)to : (unsigned)n;
		s->st.drain_until = 0;
	}
	json_decref(o);
	return 0;
}

void qv_scaling_adjust_model(struct qv_model *m)
{
	for (size_t i = 0; m && i < m->n_vnfs; i++) {
		struct qv_model_vnf *v = &m->vnfs[i];
		const struct scaled *s = v->name ? find(v->name, false) : NULL;
		unsigned n = s && s->st.current ? s->st.current : v->scaling.min;

		if (!v->scaling.on)
			continue;
		if (n < v->scaling.min)
			n = v->scaling.min;
		if (n > v->scaling.max)
			n = v->scaling.max;
		v->instances = (uint16_t)n;
	}
}

/* ---- the switch ---- */

static json_t *sw(const struct qv_controld *c, const char *method, json_t *params, char *err,
                  size_t errlen)
{
	json_t *r = NULL;
	int code = 0;
	char msg[400];

	if (qv_rpc_call(c->switch_sock, method, params, c->rpc_timeout_ms, &r, &code, msg,
	                sizeof(msg)) != 0) {
		snprintf(err, errlen, "qv-switchd %s: %s", method, msg);
		return NULL;
	}
	return r;
}

/* Is port (a VNF instance's) one of instances from..to-1 of VNF vnf in the plan? */
static bool port_of(const struct qv_switch_plan *p, const char *port, const char *vnf,
                    unsigned from, unsigned to)
{
	int i = qv_switch_plan_port(p, port);

	return i >= 0 && p->ports[i].vnf && strcmp(p->ports[i].vnf, vnf) == 0 &&
	       p->ports[i].instance >= from && p->ports[i].instance < to;
}

/* Marks (or unmarks) every port of instances from..to-1 draining in the switch's groups. */
static int drain_ports(const struct qv_controld *c, const char *vnf, unsigned from, unsigned to,
                       bool on, char *err, size_t errlen)
{
	const struct qv_switch_plan *p = c->desired.plan;

	for (size_t i = 0; p && i < p->n_ports; i++) {
		json_t *r;

		if (!port_of(p, p->ports[i].name, vnf, from, to))
			continue;
		r = sw(c, "group.drain",
		       json_pack("{s:s, s:b}", "port", p->ports[i].name, "on", on), err, errlen);
		if (!r)
			return -1;
		json_decref(r);
	}
	return 0;
}

/* Established flows (fresh affinity entries) still on instances from..to-1, or -1 with err. */
static long long flows_on(const struct qv_controld *c, const char *vnf, unsigned from, unsigned to,
                          char *err, size_t errlen)
{
	json_t *r = sw(c, "group.show", NULL, err, errlen), *g, *m;
	long long n = 0;
	size_t i, j;

	if (!r)
		return -1;
	json_array_foreach(json_object_get(r, "groups"), i, g)
	    json_array_foreach(json_object_get(g, "members"), j, m)
	{
		const char *port = json_string_value(json_object_get(m, "port"));

		if (port && port_of(c->desired.plan, port, vnf, from, to))
			n += json_integer_value(json_object_get(m, "flows"));
	}
	json_decref(r);
	return n;
}

/* The desired file again with the current counts: compiled, applied to the switch, the VMs
 * brought to it (an added instance is a clone of instance 0, vm_spec.c; a removed one is
 * stopped and undefined). */
static int replan(struct qv_controld *c, char *err, size_t errlen)
{
	struct qv_desired next;
	json_t *errors = NULL, *plan;

	if (!c->desired.yaml) {
		snprintf(err, errlen, "no service applied");
		return -1;
	}
	if (qv_desired_build(c->desired.name, c->desired.yaml, strlen(c->desired.yaml), &next,
	                     &errors, err, errlen) != 0) {
		json_decref(errors);
		return -1;
	}
	if (qv_vf_resolve(c, next.plan, false, NULL, err, errlen) != 0) {
		qv_desired_free(&next);
		return -1;
	}
	plan = qv_sync_plan(c, c->desired.plan, next.plan, err, errlen);
	if (!plan || qv_sync_apply(c, next.plan, plan, err, errlen) != 0) {
		json_decref(plan);
		qv_desired_free(&next);
		return -1;
	}
	json_decref(plan);
	qv_desired_free(&c->desired);
	c->desired = next;
	qv_vms_report(c, qv_vms_sync(c, false));
	return 0;
}

/* ---- load signals ---- */

/* --load-signal-dir: DIR/NAME holds the per-instance load. */
static void read_signal_file(struct scaled *s, enum qv_scale_metric m)
{
	char path[4096], buf[64], *nl;
	FILE *f;
	size_t n;
	uint64_t pps;
	bool pkts;

	s->have_load = false;
	snprintf(path, sizeof(path), "%s/%s", signal_dir, s->name);
	f = fopen(path, "r");
	if (!f) {
		snprintf(s->source, sizeof(s->source), "%.400s: %.80s", path, strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if ((nl = strpbrk(buf, "\r\n")))
		*nl = 0;
	if (m == QV_SCALE_CPU && n > 1 && buf[strlen(buf) - 1] == '%')
		buf[strlen(buf) - 1] = 0;
	if (m == QV_SCALE_PPS && qv_parse_rate(buf, &pps, &pkts) && pkts) {
		s->load = (double)pps;
		s->have_load = true;
	} else if (qv_parse_double(buf, 1e15, &s->load)) {
		s->have_load = true;
	}
	snprintf(s->source, sizeof(s->source),
	         s->have_load ? "%.400s" : "%.400s: not a number: '%.20s'", path, buf);
}

/* pps: packets the switch sent into the VNF's ports (all instances) per second, per
 * instance; cpu: vCPU time of its VMs (libvirt) over wall time, per vCPU, per instance. Both
 * are rates: the first sample only primes them. */
static void measure(struct qv_controld *c, const struct qv_model_vnf *v, struct scaled *s)
{
	double counter = 0;
	char err[400];
	long long now = now_ms();
	unsigned n = s->st.current;

	s->have_load = false;
	if (v->scaling.metric == QV_SCALE_PPS) {
		json_t *r = sw(c, "port.list", NULL, err, sizeof(err)), *p;
		size_t i;

		if (!r) {
			snprintf(s->source, sizeof(s->source), "%.400s", err);
			return;
		}
		json_array_foreach(json_object_get(r, "ports"), i, p)
		{
			const char *name = json_string_value(json_object_get(p, "name"));

			if (name && port_of(c->desired.plan, name, v->name, 0, n))
				counter +=
				    (double)json_integer_value(json_object_get(p, "tx_packets"));
		}
		json_decref(r);
		snprintf(s->source, sizeof(s->source), "packets sent to its %u instance(s)' ports",
		         n);
	} else if (!c->vm.enabled) {
		snprintf(s->source, sizeof(s->source),
		         "cpu is measured on VMs, and qv-controld runs none (--no-vms)");
		return;
	} else {
		struct qv_vm_conn *lv = qv_cd_lv(c, err, sizeof(err));

		for (unsigned k = 0; lv && k < n; k++) {
			struct qv_vm_info info;
			struct qv_vm_err e;
			char name[QV_VM_NAME_MAX * 2];

			snprintf(name, sizeof(name), "%s%s-%u", c->vm.prefix, v->name, k);
			if (!qv_vm_info_get(lv, name, &info, &e) || info.state != QV_VM_RUNNING) {
				snprintf(s->source, sizeof(s->source), "VM %s is not running",
				         name);
				s->prev_ms = 0;
				return;
			}
			counter += (double)info.vcpu_time_ns / (info.vcpus ? info.vcpus : 1);
		}
		if (!lv) {
			snprintf(s->source, sizeof(s->source), "libvirt: %.400s", err);
			return;
		}
		snprintf(s->source, sizeof(s->source), "vCPU time of its %u VM(s) (libvirt)", n);
	}
	if (s->prev_ms && s->prev_n == n && now > s->prev_ms && counter >= s->prev_counter) {
		double per_s = (counter - s->prev_counter) * 1000.0 / (double)(now - s->prev_ms);

		/* cpu: ns of vCPU time per second per vCPU -> percent */
		s->load = (v->scaling.metric == QV_SCALE_CPU ? per_s / 1e7 : per_s) / (n ? n : 1);
		s->have_load = true;
	}
	s->prev_ms = now;
	s->prev_counter = counter;
	s->prev_n = n;
}

/* ---- decisions ---- */

static const char *const action_names[] = {"hold", "scale-out", "scale-in"};

/* "cpu 80% for 30s" */
static void rule_text(const struct qv_model_scaling *cfg, const struct qv_scale_rule *r, char *buf,
                      size_t len)
{
	char thr[32];

	if (!r->set) {
		snprintf(buf, len, "none");
		return;
	}
	qv_scale_format_load(cfg->metric, (double)r->threshold, thr, sizeof(thr));
	snprintf(buf, len, "%s %s for %ums", cfg->metric == QV_SCALE_CPU ? "cpu" : "pps", thr,
	         r->for_ms);
}

/* One line per decision that changes something, and per hold whose reason changed. */
static void log_decision(const struct qv_model_vnf *v, struct scaled *s,
                         const struct qv_scale_decision *d, bool manual)
{
	char out[64], in[64];

	if (d->action == QV_SCALE_HOLD && s->logged_any && s->logged == d->reason)
		return;
	rule_text(&v->scaling, &v->scaling.out, out, sizeof(out));
	rule_text(&v->scaling, &v->scaling.in, in, sizeof(in));
	printf("qv-controld: scaling VNF %s: %s: %s (signal: %s; scale-out %s, scale-in %s; "
	       "%u..%u instances)\n",
	       v->name, manual ? "manual" : action_names[d->action], d->why,
	       manual ? "not used" : s->source, out, in, v->scaling.min, v->scaling.max);
	fflush(stdout);
	s->logged = d->reason;
	s->logged_any = true;
}

/* Makes decision d on VNF v: OUT adds instances at once, IN starts their drain. */
static int act(struct qv_controld *c, const struct qv_model_vnf *v, struct scaled *s,
               const struct qv_scale_decision *d, bool manual, char *err, size_t errlen)
{
	struct qv_scale_state before = s->st;

	log_decision(v, s, d, manual);
	if (d->action == QV_SCALE_HOLD)
		return 0;
	if (before.drain_to < before.current && d->to >= before.drain_to &&
	    drain_ports(c, v->name, before.drain_to, before.current, false, err, errlen) != 0)
		return -1; /* a drain called off by hand */
	qv_scale_changed(&v->scaling, &s->st, d->to, now_ms());
	if (d->action == QV_SCALE_OUT) {
		if (replan(c, err, errlen) != 0) {
			s->st = before;
			return -1;
		}
	} else if (drain_ports(c, v->name, d->to, s->st.current, true, err, errlen) != 0) {
		s->st = before;
		return -1;
	}
	s->last = *d;
	snprintf(s->last_change, sizeof(s->last_change), "%s%s: %s", manual ? "manual " : "",
	         action_names[d->action], d->why);
	s->last_change_wall = (long long)time(NULL);
	save(c);
	return 0;
}

/* A drain ends when its instances have no established flow left, or at its deadline: they
 * leave the plan (ports, rules, VMs). Until then it is asked again each round (a restarted
 * switch forgot it). */
static void drain_step(struct qv_controld *c, const struct qv_model_vnf *v, struct scaled *s)
{
	struct qv_scale_state *st = &s->st;
	char err[512];
	long long flows, now = now_ms();
	unsigned from = st->current;

	if (st->drain_until == 0)
		st->drain_until = now + v->scaling.drain_ms;
	/* once a second: group.show reads every PMD's affinity table (4 MiB each) */
	if (now - s->drain_checked < DRAIN_CHECK_MS)
		return;
	s->drain_checked = now;
	if (drain_ports(c, v->name, st->drain_to, st->current, true, err, sizeof(err)) != 0 ||
	    (flows = flows_on(c, v->name, st->drain_to, st->current, err, sizeof(err))) < 0) {
		fprintf(stderr, "qv-controld: scaling VNF %s: drain: %s (will retry)\n", v->name,
		        err);
		return;
	}
	if (flows > 0 && now < st->drain_until)
		return;
	st->current = st->drain_to;
	if (replan(c, err, sizeof(err)) != 0) {
		st->current = from;
		fprintf(stderr,
		        "qv-controld: scaling VNF %s: removing drained instances: %s (will "
		        "retry)\n",
		        v->name, err);
		return;
	}
	st->last_change = now;
	/* v is gone with the old model: s names the VNF from here on */
	printf("qv-controld: scaling VNF %s: drained: instances %u..%u removed, %s; %u running\n",
	       s->name, st->drain_to, from - 1,
	       flows > 0 ? "drain deadline reached with established flows left (they move)"
	                 : "no established flow left",
	       st->current);
	fflush(stdout);
	snprintf(s->last_change + strlen(s->last_change),
	         sizeof(s->last_change) - strlen(s->last_change), "; drained (%s)",
	         flows > 0 ? "deadline" : "no flows left");
	save(c);
}

void qv_scaling_tick(struct qv_controld *c)
{
	const struct qv_model *m = c->desired.model;

	for (size_t i = 0; m && i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];
		struct scaled *s;
		struct qv_scale_decision d;
		char err[512];

		if (!v->scaling.on || !v->name || !(s = find(v->name, true)))
			continue;
		if (s->st.current == 0 || s->st.drain_to >= s->st.current)
			s->st.current = s->st.drain_to = v->instances; /* what the plan has */
		if (s->st.drain_to < s->st.current) {
			drain_step(c, v, s);
			if (c->desired.model != m)
				return; /* replanned: m and v are freed; the next round goes on */
			continue;
		}
		if (signal_dir && v->scaling.metric != QV_SCALE_MANUAL)
			read_signal_file(s, v->scaling.metric);
		else if (v->scaling.metric != QV_SCALE_MANUAL)
			measure(c, v, s);
		qv_scale_decide(&v->scaling, &s->st, s->have_load, s->load, now_ms(), &d);
		if (act(c, v, s, &d, false, err, sizeof(err)) != 0)
			fprintf(stderr, "qv-controld: scaling VNF %s: %s failed: %s (will retry)\n",
			        v->name, action_names[d.action], err);
		if (d.action == QV_SCALE_HOLD)
			s->last = d;
		if (c->desired.model != m)
			return; /* replanned: as above */
	}
	/* VNFs that left the file (or stopped scaling) forget their count */
	for (size_t i = 0; i < n_scaled;) {
		const struct qv_model_vnf *v = m ? qv_model_vnf_find(m, scaled[i].name) : NULL;

		if (m && (!v || !v->scaling.on)) {
			scaled[i] = scaled[--n_scaled];
			save(c);
		} else {
			i++;
		}
	}
}

/* ---- RPC: scaling.show, scaling.set ---- */

extern struct qv_controld qv_cd;

static json_t *rule_json(const struct qv_model_scaling *cfg, const struct qv_scale_rule *r)
{
	char thr[32];

	if (!r->set)
		return json_null();
	qv_scale_format_load(cfg->metric, (double)r->threshold, thr, sizeof(thr));
	return json_pack("{s:I, s:s, s:i}", "threshold", (json_int_t)r->threshold, "text", thr,
	                 "for_ms", r->for_ms);
}

static json_t *m_scaling_show(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {NULL};
	static const char *const metrics[] = {"manual", "cpu", "pps"};
	const struct qv_model *m = qv_cd.desired.model;
	json_t *out = json_array();
	long long now = now_ms();

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0) {
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; m && i < m->n_vnfs; i++) {
		const struct qv_model_vnf *v = &m->vnfs[i];
		const struct scaled *s = v->name ? find(v->name, false) : NULL;
		unsigned cur = s && s->st.current ? s->st.current : v->instances;
		unsigned to = s && s->st.current ? s->st.drain_to : cur;
		char load[32] = "";

		if (!v->scaling.on)
			continue;
		if (s && s->have_load)
			qv_scale_format_load(v->scaling.metric, s->load, load, sizeof(load));
		json_array_append_new(
		    out,
		    json_pack("{s:s, s:s, s:{s:b, s:f, s:s, s:s}, s:o, s:o, s:i, s:i, s:i, s:i, "
		              "s:i, s:i, s:I, s:s, s:s, s:I}",
		              "vnf", v->name, "metric", metrics[v->scaling.metric], "signal",
		              "valid", s && s->have_load, "value",
		              s && s->have_load && isfinite(s->load) ? s->load : 0.0, "text", load,
		              "source", s ? s->source : "", "scale_out",
		              rule_json(&v->scaling, &v->scaling.out), "scale_in",
		              rule_json(&v->scaling, &v->scaling.in), "min", v->scaling.min, "max",
		              v->scaling.max, "current", cur, "target", to, "cooldown_ms",
		              v->scaling.cooldown_ms, "drain_ms", v->scaling.drain_ms,
		              "drain_left_ms",
		              (json_int_t)(s && to < cur && s->st.drain_until > now
		                               ? s->st.drain_until - now
		                               : 0),
		              "decision", s ? action_names[s->last.action] : "hold", "why",
		              s && s->last.why[0] ? s->last.why : "no decision yet",
		              "last_change_time", (json_int_t)(s ? s->last_change_wall : 0)));
		json_object_set_new(json_array_get(out, json_array_size(out) - 1), "last_change",
		                    json_string(s ? s->last_change : ""));
	}
	return json_pack("{s:o, s:s?}", "vnfs", out, "signal_dir", signal_dir);
}

static json_t *m_scaling_set(json_t *params, struct qv_rpc_error *err, void *ctx)
{
	static const char *const keys[] = {"vnf", "instances", NULL};
	const struct qv_model *m = qv_cd.desired.model;
	const struct qv_model_vnf *v;
	struct qv_scale_decision d = {0};
	struct scaled *s;
	const char *name;
	long long n = 0;
	char msg[512];
	unsigned cur;

	(void)ctx;
	if (qv_rpc_check_keys(params, keys, err) != 0 ||
	    !(name = qv_rpc_param_str(params, "vnf", true, err)) ||
	    qv_rpc_param_int(params, "instances", 1, QV_MODEL_MAX_INSTANCES, &n, err) < 0)
		return NULL;
	if (!json_object_get(params, "instances"))
		return qv_rpc_fail(err, QV_RPC_INVALID_PARAMS,
		                   "missing 'instances': expected the count to run, 1..%d",
		                   QV_MODEL_MAX_INSTANCES);
	if (!m || !(v = qv_model_vnf_find(m, name)))
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "no VNF '%s' in the applied service (see qvctl show chains)",
		                   name);
	if (!v->scaling.on)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR,
		                   "VNF '%s' has a fixed count (instances: %u): give it instances: "
		                   "{min: 1, max: N} in the file to scale it",
		                   name, v->instances);
	if (n < v->scaling.min || n > v->scaling.max)
		return qv_rpc_fail(
		    err, QV_RPC_APP_ERROR,
		    "VNF '%s' runs %u..%u instances (its min..max): %lld is outside; "
		    "change min or max in the file",
		    name, v->scaling.min, v->scaling.max, n);
	if (!(s = find(name, true)))
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "too many scaling VNFs");
	if (!s->st.current)
		s->st.current = s->st.drain_to = v->instances;
	cur = s->st.drain_to < s->st.current ? s->st.drain_to : s->st.current;
	if ((unsigned)n == cur)
		return json_pack("{s:s, s:i, s:b}", "vnf", name, "instances", (int)n, "changed", 0);
	/* up to the count the plan has: a drain called off (OUT, nothing to start) */
	d.action = (unsigned)n >= s->st.current ? QV_SCALE_OUT : QV_SCALE_IN;
	d.reason = QV_WHY_LOAD;
	d.to = (unsigned)n;
	snprintf(d.why, sizeof(d.why), "qvctl vnf scale %s %lld: %u -> %lld", name, n, cur, n);
	if (act(&qv_cd, v, s, &d, true, msg, sizeof(msg)) != 0)
		return qv_rpc_fail(err, QV_RPC_APP_ERROR, "scaling VNF %s to %lld: %s", name, n,
		                   msg);
	return json_pack("{s:s, s:i, s:b, s:b}", "vnf", name, "instances", (int)n, "changed", 1,
	                 "draining", s->st.drain_to < s->st.current);
}

const struct qv_rpc_method qv_scaling_methods[] = {
    {"scaling.show", m_scaling_show,
     "each scaling VNF: load signal, thresholds, current/min/max instances, last decision",
     QV_RPC_READ},
    {"scaling.set", m_scaling_set,
     "run N instances of a scaling VNF now (more: started at once; fewer: drained first)"},
    {NULL, NULL, NULL},
};
