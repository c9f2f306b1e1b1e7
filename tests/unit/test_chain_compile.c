/* qwikvirt: unit tests of the chain compiler (control/chain_compile.c): exact rule sets for the
 * basic shapes, and a brute-force walk of generated packets through the compiled rules. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "control/chain_compile.h"
#include "control/match_rel.h"
#include "control/model.h"
#include "lib/rule_syntax.h"

/* ---- helpers ---- */

static struct qv_model *load(const char *text)
{
	struct qv_diags d;
	struct qv_model *m = NULL;

	qv_diags_init(&d);
	if (qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "\n  %s", d.v[i].text);
	}
	CU_ASSERT_PTR_NOT_NULL(m);
	qv_diags_free(&d);
	return m;
}

static struct qv_switch_plan *compile(const struct qv_model *m)
{
	struct qv_switch_plan *p = NULL;
	char err[512];

	if (m == NULL)
		return NULL;
	if (qv_chain_compile(m, &p, err, sizeof(err)) < 0)
		fprintf(stderr, "\n  compile: %s", err);
	CU_ASSERT_PTR_NOT_NULL(p);
	return p;
}

static int plan_lookup(const char *name, void *ctx)
{
	return qv_switch_plan_port(ctx, name);
}

/* Compiles text and compares the rules with want[] (NULL-terminated); every rule must also
 * parse with the switch's parser and format back to the same text. */
static void expect_rules(const char *text, const char *const want[])
{
	struct qv_model *m = load(text);
	struct qv_switch_plan *p = compile(m);
	size_t n = 0;

	while (want[n])
		n++;
	if (p == NULL)
		goto out;
	bool same = p->n_rules == n;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(p->rules[i].text, want[i]) == 0;
	if (!same) {
		fprintf(stderr, "\n  got %zu rules:\n", p->n_rules);
		for (size_t i = 0; i < p->n_rules; i++)
			fprintf(stderr, "    \"%s\",\n", p->rules[i].text);
	}
	CU_ASSERT_TRUE(same);
	for (size_t i = 0; i < p->n_rules; i++) {
		struct qv_rule r;
		char err[256], back[QV_RULE_TEXT_MAX];
		int rc = qv_rule_parse(p->rules[i].text, plan_lookup, p, &r, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "\n  %s: %s", p->rules[i].text, err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(r.priority, p->rules[i].priority);
		CU_ASSERT_EQUAL(qv_switch_plan_port(p, p->rules[i].in_port), r.match.in_port);
		CU_ASSERT_TRUE(qv_rule_format(&r, NULL, NULL, back, sizeof(back)) > 0);
	}
out:
	qv_switch_plan_free(p);
	qv_model_free(m);
}

#define RULES(...) ((const char *const[]){__VA_ARGS__, NULL})

#define PORTS                                                                                      \
	"ports:\n"                                                                                 \
	"  - {name: up0, type: phy, pci: \"0000:03:00.0\"}\n"                                      \
	"  - {name: up1, type: vf, pf: \"0000:03:00.1\", vf: 2}\n"                                 \
	"  - {name: lan, type: vhost, path: /run/lan.sock}\n"

/* ---- exact rule sets ---- */

static void test_two_hops(void)
{
	expect_rules(PORTS "vnfs:\n"
	                   "  - {name: fw, image: fw.qcow2}\n"
	                   "  - {name: rtr, image: r.qcow2, interfaces: [wan, lan]}\n"
	                   "chains:\n"
	                   "  - name: web\n"
	                   "    from: up0\n"
	                   "    match: {vlan: 100, proto: tcp, dst-port: 80}\n"
	                   "    hops: [fw, {vnf: rtr, in: lan, out: wan}]\n"
	                   "    to: up1\n",
	             RULES("in=up0,vlan=100,proto=tcp,dst-port=80,priority=1000 "
	                   "actions=output:fw-0-in",
	                   "in=fw-0-out,vlan=100,proto=tcp,dst-port=80,priority=1000 "
	                   "actions=output:rtr-0-lan",
	                   "in=rtr-0-wan,vlan=100,proto=tcp,dst-port=80,priority=1000 "
	                   "actions=output:up1"));
}

static void test_group(void)
{
	/* A group of two VNFs, one with two instances: three members in a fixed order, the same
	 * order on both sides of the hop. */
	expect_rules(PORTS "vnfs:\n"
	                   "  - {name: fwa, image: fw.qcow2, instances: 2}\n"
	                   "  - {name: fwb, image: fw.qcow2}\n"
	                   "chains:\n"
	                   "  - name: g\n"
	                   "    from: up0\n"
	                   "    match: {ip-dst: 192.0.2.0/24}\n"
	                   "    hops: [{group: [fwa, fwb], balance: symmetric}]\n"
	                   "    to: lan\n"
	                   "    bidirectional: true\n",
	             RULES("in=up0,ip-dst=192.0.2.0/24,priority=1000 "
	                   "actions=group:fwa-0-in+fwa-1-in+fwb-0-in",
	                   "in=fwa-0-out,ip-dst=192.0.2.0/24,priority=1000 "
	                   "actions=output:lan",
	                   "in=fwa-1-out,ip-dst=192.0.2.0/24,priority=1000 "
	                   "actions=output:lan",
	                   "in=fwb-0-out,ip-dst=192.0.2.0/24,priority=1000 "
	                   "actions=output:lan",
	                   "in=lan,ip-src=192.0.2.0/24,priority=1000 "
	                   "actions=group:fwa-0-out+fwa-1-out+fwb-0-out",
	                   "in=fwa-0-in,ip-src=192.0.2.0/24,priority=1000 "
	                   "actions=output:up0",
	                   "in=fwa-1-in,ip-src=192.0.2.0/24,priority=1000 "
	                   "actions=output:up0",
	                   "in=fwb-0-in,ip-src=192.0.2.0/24,priority=1000 "
	                   "actions=output:up0"));
}

static void test_bidirectional(void)
{
	expect_rules(PORTS "vnfs:\n"
	                   "  - {name: fw, image: fw.qcow2}\n"
	                   "  - {name: nat, image: n.qcow2}\n"
	                   "chains:\n"
	                   "  - name: b\n"
	                   "    from: lan\n"
	                   "    match: {ip-src: 10.0.0.0/8, proto: udp, src-port: 1024-65535, "
	                   "dst-port: 53}\n"
	                   "    hops: [fw, nat]\n"
	                   "    to: up0\n"
	                   "    bidirectional: true\n",
	             RULES("in=lan,ip-src=10.0.0.0/8,proto=udp,src-port=1024-65535,"
	                   "dst-port=53,priority=1000 actions=output:fw-0-in",
	                   "in=fw-0-out,ip-src=10.0.0.0/8,proto=udp,src-port=1024-"
	                   "65535,dst-port=53,priority=1000 actions=output:nat-0-in",
	                   "in=nat-0-out,ip-src=10.0.0.0/8,proto=udp,src-port=1024-"
	                   "65535,dst-port=53,priority=1000 actions=output:up0",
	                   "in=up0,ip-dst=10.0.0.0/8,proto=udp,src-port=53,dst-port="
	                   "1024-65535,priority=1000 actions=output:nat-0-out",
	                   "in=nat-0-in,ip-dst=10.0.0.0/8,proto=udp,src-port=53,dst-"
	                   "port=1024-65535,priority=1000 actions=output:fw-0-out",
	                   "in=fw-0-in,ip-dst=10.0.0.0/8,proto=udp,src-port=53,dst-"
	                   "port=1024-65535,priority=1000 actions=output:lan"));
}

static void test_shared_ingress(void)
{
	/* Disjoint matches on one ingress and one VNF: same priority, no conflict. Nested
	 * matches on one ingress: the narrower one gets the higher priority on every shared
	 * port. */
	expect_rules(PORTS "vnfs:\n"
	                   "  - {name: fw, image: fw.qcow2}\n"
	                   "chains:\n"
	                   "  - {name: web, from: up0, match: {vlan: 100}, hops: [fw], to: up1}\n"
	                   "  - {name: mail, from: up0, match: {vlan: 200}, hops: [fw], to: lan}\n"
	                   "  - {name: ssh, from: up0, match: {vlan: 100, proto: tcp, dst-port: "
	                   "22}, hops: [fw], to: lan}\n",
	             RULES("in=up0,vlan=100,priority=1000 actions=output:fw-0-in",
	                   "in=fw-0-out,vlan=100,priority=1000 actions=output:up1",
	                   "in=up0,vlan=200,priority=1000 actions=output:fw-0-in",
	                   "in=fw-0-out,vlan=200,priority=1000 actions=output:lan",
	                   "in=up0,vlan=100,proto=tcp,dst-port=22,priority=1001 "
	                   "actions=output:fw-0-in",
	                   "in=fw-0-out,vlan=100,proto=tcp,dst-port=22,priority=1001 "
	                   "actions=output:lan"));
}

/* VNF "a" interface "0-in" and VNF "a-0" interface "in" would both make switch port
 * "a-0-0-in": refused at the second interface, naming the first one's position too. */
static void test_port_name_collision(void)
{
	static const char text[] = "ports:\n"
	                           "  - {name: u, type: vhost, path: /tmp/u.sock}\n"
	                           "  - {name: d, type: vhost, path: /tmp/d.sock}\n"
	                           "vnfs:\n"
	                           "  - {name: a, kernel: k, interfaces: [0-in, out]}\n"
	                           "  - {name: a-0, kernel: k, interfaces: [in, out]}\n"
	                           "chains:\n"
	                           "  - {name: c, from: u, hops: [a-0], to: d}\n";
	struct qv_diags d;
	struct qv_model *m = NULL;

	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d), -1);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL_FATAL(d.n, 1);
	CU_ASSERT_STRING_EQUAL(
	    d.v[0].text, "t.yaml:6:41: VNF 'a-0' instance 0 interface 'in' makes switch port "
	                 "'a-0-0-in', which VNF 'a' instance 0 interface '0-in' (t.yaml:5:39) "
	                 "makes too: rename a VNF or an interface");
	qv_diags_free(&d);
}

static void test_ports_and_determinism(void)
{
	const char *text = PORTS "switch: {socket-dir: /var/run/qv, vhost-mode: client}\n"
	                         "vnfs:\n"
	                         "  - {name: fw, image: fw.qcow2, instances: 2}\n"
	                         "chains:\n"
	                         "  - {name: a, from: up0, hops: [fw], to: lan}\n";
	struct qv_model *m = load(text);
	struct qv_switch_plan *p = compile(m), *q = compile(m);
	if (p == NULL || q == NULL)
		goto out;
	CU_ASSERT_EQUAL(p->n_ports, 7);
	CU_ASSERT_STRING_EQUAL(p->ports[0].name, "up0");
	CU_ASSERT_FALSE(p->ports[0].vhost);
	CU_ASSERT_STRING_EQUAL(p->ports[0].devargs, "0000:03:00.0");
	CU_ASSERT_EQUAL(p->ports[1].type, QV_PORT_VF);
	CU_ASSERT_PTR_NULL(p->ports[1].devargs);
	CU_ASSERT_STRING_EQUAL(p->ports[1].pf, "0000:03:00.1");
	CU_ASSERT_EQUAL(p->ports[1].vf, 2);
	CU_ASSERT_TRUE(p->ports[2].vhost);
	CU_ASSERT_FALSE(p->ports[2].client);
	CU_ASSERT_STRING_EQUAL(p->ports[2].path, "/run/lan.sock");
	static const char *const vnf_ports[] = {"fw-0-in", "fw-0-out", "fw-1-in", "fw-1-out"};
	for (size_t i = 0; i < 4; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/var/run/qv/%s.sock", vnf_ports[i]);
		CU_ASSERT_STRING_EQUAL(p->ports[3 + i].name, vnf_ports[i]);
		CU_ASSERT_STRING_EQUAL(p->ports[3 + i].path, path);
		CU_ASSERT_TRUE(p->ports[3 + i].client);
		CU_ASSERT_STRING_EQUAL(p->ports[3 + i].vnf, "fw");
		CU_ASSERT_EQUAL(p->ports[3 + i].instance, i / 2);
	}
	CU_ASSERT_EQUAL(p->n_rules, q->n_rules);
	for (size_t i = 0; i < p->n_rules && i < q->n_rules; i++)
		CU_ASSERT_STRING_EQUAL(p->rules[i].text, q->rules[i].text);
	CU_ASSERT_STRING_EQUAL(p->rules[0].chain, "a");
	CU_ASSERT_EQUAL(p->rules[1].stage, 1);
	CU_ASSERT_STRING_EQUAL(p->rules[2].in_port, "fw-1-out");
out:
	qv_switch_plan_free(p);
	qv_switch_plan_free(q);
	qv_model_free(m);
}

/* A VF in a VNF's vfs is the VM's: no switch port, no rule; it is carried as a hostdev with
 * its netlink settings. */
static void test_vf_hostdev(void)
{
	struct qv_model *m = load("ports:\n"
	                          "  - {name: up0, type: phy, pci: \"0000:03:00.0\"}\n"
	                          "  - {name: lan, type: vhost, path: /run/lan.sock}\n"
	                          "  - {name: vf3, type: vf, pf: \"0000:03:00.1\", vf: 3, mac: "
	                          "\"02:00:00:00:03:01\", vlan: 100, spoof-check: false}\n"
	                          "vnfs:\n"
	                          "  - {name: fw, image: fw.qcow2, vfs: [vf3]}\n"
	                          "chains:\n"
	                          "  - {name: a, from: up0, hops: [fw], to: lan}\n");
	struct qv_switch_plan *p = compile(m);

	if (p == NULL)
		goto out;
	CU_ASSERT_EQUAL(p->n_ports, 4); /* up0, lan, fw-0-in, fw-0-out */
	CU_ASSERT_EQUAL(qv_switch_plan_port(p, "vf3"), -1);
	CU_ASSERT_EQUAL(p->n_hostdevs, 1);
	if (p->n_hostdevs == 1) {
		const struct qv_switch_port *h = &p->hostdevs[0];
		CU_ASSERT_STRING_EQUAL(h->name, "vf3");
		CU_ASSERT_STRING_EQUAL(h->vnf, "fw");
		CU_ASSERT_STRING_EQUAL(h->pf, "0000:03:00.1");
		CU_ASSERT_EQUAL(h->vf, 3);
		CU_ASSERT_STRING_EQUAL(h->vf_mac, "02:00:00:00:03:01");
		CU_ASSERT_EQUAL(h->vf_vlan, 100);
		CU_ASSERT_EQUAL(h->vf_spoofchk, 0);
		CU_ASSERT_EQUAL(h->vf_trust, QV_MODEL_UNSET);
	}
	for (size_t i = 0; i < p->n_rules; i++)
		CU_ASSERT_PTR_NULL(strstr(p->rules[i].text, "vf3"));
out:
	qv_switch_plan_free(p);
	qv_model_free(m);
}

static void test_match_relation(void)
{
	static const struct {
		const char *a, *b;
		enum qv_match_rel rel;
	} cases[] = {
	    {"any", "any", QV_REL_EQUAL},
	    {"vlan=1", "any", QV_REL_INSIDE},
	    {"any", "vlan=none", QV_REL_CONTAINS},
	    {"vlan=1", "vlan=none", QV_REL_DISJOINT},
	    {"vlan=1", "proto=tcp", QV_REL_OVERLAP},
	    {"ip-src=10.0.0.0/8", "ip-src=10.1.0.0/16", QV_REL_CONTAINS},
	    {"ip-src=10.0.0.0/8", "ip-src=11.0.0.0/8", QV_REL_DISJOINT},
	    {"ip-src=10.0.0.0/8", "ip-src=2001:db8::/32", QV_REL_DISJOINT},
	    {"eth-type=ipv4", "ip-dst=1.2.3.4", QV_REL_CONTAINS},
	    {"eth-type=arp", "ip-dst=1.2.3.4", QV_REL_DISJOINT},
	    {"proto=tcp,dst-port=80-90", "proto=tcp,dst-port=85-100", QV_REL_OVERLAP},
	    {"proto=tcp,dst-port=80-90", "proto=tcp,dst-port=91-100", QV_REL_DISJOINT},
	    {"proto=tcp,dst-port=0-65535", "proto=tcp", QV_REL_EQUAL},
	    {"proto=tcp,src-port=1", "proto=udp", QV_REL_DISJOINT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qv_rule a, b;
		char ta[128], tb[128];
		snprintf(ta, sizeof(ta), "%s actions=drop", cases[i].a);
		snprintf(tb, sizeof(tb), "%s actions=drop", cases[i].b);
		CU_ASSERT_EQUAL_FATAL(qv_rule_parse(ta, NULL, NULL, &a, NULL, 0), 0);
		CU_ASSERT_EQUAL_FATAL(qv_rule_parse(tb, NULL, NULL, &b, NULL, 0), 0);
		enum qv_match_rel rel = qv_match_relation(&a.match, &b.match);
		if (rel != cases[i].rel)
			fprintf(stderr, "\n  %s vs %s: got %d, wanted %d", cases[i].a, cases[i].b,
			        rel, cases[i].rel);
		CU_ASSERT_EQUAL(rel, cases[i].rel);
	}
}

/* ---- brute force: packets through the compiled rules ---- */

/* Chains sharing ingresses (disjoint and nested matches), VNFs shared between chains, a VNF
 * with three instances, a group of two VNFs, a multi-interface VNF, bidirectional chains. */
static const char *const brute_yaml =
    "ports:\n"
    "  - {name: a, type: vhost, path: /run/a.sock}\n"
    "  - {name: b, type: vhost, path: /run/b.sock}\n"
    "  - {name: c, type: vhost, path: /run/c.sock}\n"
    "  - {name: u, type: phy, pci: \"0000:03:00.0\"}\n"
    "vnfs:\n"
    "  - {name: fw, image: x, instances: 3}\n"
    "  - {name: ids, image: x}\n"
    "  - {name: lb1, image: x}\n"
    "  - {name: lb2, image: x, instances: 2}\n"
    "  - {name: rtr, image: x, interfaces: [lan, wan, mgmt]}\n"
    "chains:\n"
    "  - {name: web, from: a, match: {vlan: 100, proto: tcp, dst-port: 80}, hops: [fw, {vnf: "
    "rtr, in: lan, out: wan}], to: u, bidirectional: true}\n"
    "  - {name: admin, from: a, match: {vlan: 100, proto: tcp, dst-port: 80, ip-src: "
    "10.1.0.0/16}, hops: [ids, {vnf: rtr, in: lan, out: wan}], to: u, bidirectional: true}\n"
    "  - {name: dns, from: a, match: {vlan: 100, proto: udp, dst-port: 53}, hops: [{group: [fw]}, "
    "{group: [lb1, lb2]}], to: b, bidirectional: true}\n"
    "  - {name: mail, from: b, match: {vlan: 200, proto: tcp, dst-port: 25-26}, hops: [ids], to: "
    "c}\n"
    "  - {name: rest, from: c, hops: [], to: a}\n"
    "  - {name: v300, from: u, match: {vlan: 300}, hops: [lb1], to: c}\n";

/* The symmetric hash the test expects of the switch: any function with hash(flow) ==
 * hash(reply) will do; this one XORs the two directions' fields. */
static uint32_t test_hash(const struct qv_flow_key *k)
{
	uint32_t x = ntohl(k->src_ip[0]) ^ ntohl(k->dst_ip[0]);
	uint32_t y = (uint32_t)(ntohs(k->src_port) ^ ntohs(k->dst_port));
	uint32_t h = x * 2654435761u ^ y * 40503u ^ k->proto;
	return h ^ h >> 13;
}

struct sim {
	const struct qv_model *m;
	struct qv_switch_plan *p;
	struct qv_rule *rules;
};

/* A VNF forwards between the two interfaces a hop uses, unchanged: the other side of `port`. */
static int vnf_peer(const struct sim *s, int port)
{
	const struct qv_switch_port *sp = &s->p->ports[port];
	for (size_t i = 0; i < s->m->n_chains; i++) {
		const struct qv_model_chain *c = &s->m->chains[i];
		for (size_t h = 0; h < c->n_hops; h++) {
			const struct qv_model_hop *hop = &c->hops[h];
			for (size_t k = 0; k < hop->n_members; k++) {
				const char *other = NULL;
				if (strcmp(hop->members[k].name, sp->vnf) != 0)
					continue;
				if (strcmp(hop->in, sp->iface) == 0)
					other = hop->out;
				else if (strcmp(hop->out, sp->iface) == 0)
					other = hop->in;
				if (other == NULL)
					continue;
				char name[QV_PORT_NAME_MAX];
				qv_model_vnf_port_name(sp->vnf, sp->instance, other, name,
				                       sizeof(name));
				return qv_switch_plan_port(s->p, name);
			}
		}
	}
	return -1;
}

/* Walks a packet from `port` through the rules; writes the ports it is sent to (VNF ports and
 * the final egress) to path[] and returns their count, 0 when dropped at the ingress. */
static size_t simulate(const struct sim *s, struct qv_flow_key key, int port, int *path, size_t max)
{
	size_t n = 0;

	while (n < max) {
		const struct qv_rule *best = NULL;
		key.in_port = htons((uint16_t)port);
		for (size_t i = 0; i < s->p->n_rules; i++) {
			const struct qv_rule *r = &s->rules[i];
			if (qv_match_covers(&r->match, &key) &&
			    (!best || r->priority > best->priority))
				best = r;
		}
		if (best == NULL)
			return n;
		uint16_t members[QV_MAX_ACTIONS], n_members = 0;
		int out = -1;
		for (unsigned a = 0; a < best->n_actions; a++) {
			if (best->actions[a].type == QV_ACT_OUTPUT)
				out = best->actions[a].arg;
			else if (best->actions[a].type == QV_ACT_GROUP)
				members[n_members++] = best->actions[a].arg;
		}
		if (n_members)
			out = members[test_hash(&key) % n_members];
		path[n++] = out;
		if (s->p->ports[out].vnf == NULL)
			return n;
		port = vnf_peer(s, out);
		CU_ASSERT_TRUE_FATAL(port >= 0);
	}
	return n;
}

/* The path the chains say: the most specific covering chain from that ingress, through each
 * hop's member picked by the symmetric hash, to the egress. Independent of the rules. */
static size_t expected(const struct sim *s, const struct qv_flow_key *key, int port, int *path)
{
	const struct qv_model_chain *best = NULL;
	bool best_rev = false;
	struct qv_match best_m;
	const char *in_name = s->p->ports[port].name;

	for (size_t i = 0; i < s->m->n_chains; i++) {
		const struct qv_model_chain *c = &s->m->chains[i];
		for (int rev = 0; rev <= (c->bidirectional ? 1 : 0); rev++) {
			struct qv_match mm;
			if (rev)
				qv_match_mirror(&c->match, &mm);
			else
				mm = c->match;
			if (strcmp(rev ? c->to : c->from, in_name) != 0 ||
			    !qv_match_covers(&mm, key))
				continue;
			if (best == NULL || qv_match_relation(&mm, &best_m) == QV_REL_INSIDE) {
				best = c;
				best_rev = rev;
				best_m = mm;
			}
		}
	}
	if (best == NULL)
		return 0;
	size_t n = 0;
	for (size_t k = 0; k < best->n_hops; k++) {
		const struct qv_model_hop *hop = &best->hops[best_rev ? best->n_hops - 1 - k : k];
		char names[QV_MAX_ACTIONS][QV_PORT_NAME_MAX];
		size_t cnt = 0;
		for (size_t j = 0; j < hop->n_members; j++) {
			const struct qv_model_vnf *v =
			    qv_model_vnf_find(s->m, hop->members[j].name);
			for (unsigned inst = 0; inst < v->instances; inst++)
				qv_model_vnf_port_name(v->name, inst, best_rev ? hop->out : hop->in,
				                       names[cnt++], QV_PORT_NAME_MAX);
		}
		path[n++] = qv_switch_plan_port(s->p, names[cnt == 1 ? 0 : test_hash(key) % cnt]);
	}
	path[n++] = qv_switch_plan_port(s->p, best_rev ? best->from : best->to);
	return n;
}

static uint32_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

static struct qv_flow_key random_key(uint64_t *st)
{
	static const uint16_t vlans[] = {0, 100, 100, 100, 200, 300, 7};
	static const uint8_t protos[] = {6, 6, 17, 17, 1};
	static const uint16_t ports[] = {80, 53, 25, 26, 27, 22, 81};
	struct qv_flow_key k;

	memset(&k, 0, sizeof(k));
	uint16_t vlan = vlans[rnd(st) % 7];
	k.vlan_tci = vlan ? htons(QV_VLAN_PRESENT | vlan) : 0;
	k.ethertype = htons(0x0800);
	k.ip_version = 4;
	k.proto = protos[rnd(st) % 5];
	uint32_t src = rnd(st) % 2 ? 0x0a010000u | (rnd(st) & 0xffff) : rnd(st);
	k.src_ip[0] = htonl(src);
	k.dst_ip[0] = htonl(rnd(st));
	if (k.proto != 1) {
		k.src_port =
		    htons(rnd(st) % 3 ? (uint16_t)(1024 + rnd(st) % 60000) : ports[rnd(st) % 7]);
		k.dst_port = htons(rnd(st) % 4 ? ports[rnd(st) % 7] : (uint16_t)rnd(st));
	}
	return k;
}

static struct qv_flow_key reply_of(const struct qv_flow_key *k)
{
	struct qv_flow_key r = *k;
	r.src_ip[0] = k->dst_ip[0];
	r.dst_ip[0] = k->src_ip[0];
	r.src_port = k->dst_port;
	r.dst_port = k->src_port;
	return r;
}

static bool same_path(const int *a, size_t na, const int *b, size_t nb)
{
	return na == nb && memcmp(a, b, na * sizeof(*a)) == 0;
}

static void test_brute_force(void)
{
	struct qv_model *m = load(brute_yaml);
	struct sim s = {.m = m, .p = compile(m)};
	uint64_t st = 42;
	unsigned taken = 0, dropped = 0, replies = 0, failures = 0;

	if (s.p == NULL)
		goto out;
	s.rules = calloc(s.p->n_rules, sizeof(*s.rules));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.rules);
	for (size_t i = 0; i < s.p->n_rules; i++)
		CU_ASSERT_EQUAL_FATAL(
		    qv_rule_parse(s.p->rules[i].text, plan_lookup, s.p, &s.rules[i], NULL, 0), 0);

	static const char *const ingresses[] = {"a", "b", "c", "u"};
	for (int i = 0; i < 40000; i++) {
		struct qv_flow_key k = random_key(&st);
		int in = qv_switch_plan_port(s.p, ingresses[rnd(&st) % 4]);
		int got[16], want[16];
		size_t ng = simulate(&s, k, in, got, 16), nw = expected(&s, &k, in, want);
		if (!same_path(got, ng, want, nw) && failures++ < 5)
			fprintf(stderr, "\n  packet %d from %s: %zu ports, wanted %zu", i,
			        s.p->ports[in].name, ng, nw);
		CU_ASSERT_TRUE(same_path(got, ng, want, nw));
		if (nw == 0) {
			dropped++;
			continue;
		}
		taken++;
		/* The reply, sent back from where the packet left: a bidirectional chain brings
		 * it back through the same instances, in reverse. */
		struct qv_flow_key r = reply_of(&k);
		int rgot[16], rwant[16];
		int egress = got[ng - 1];
		size_t nrg = simulate(&s, r, egress, rgot, 16),
		       nrw = expected(&s, &r, egress, rwant);
		CU_ASSERT_TRUE(same_path(rgot, nrg, rwant, nrw));
		if (nrw == 0 || nrg != ng || rgot[ng - 1] != in)
			continue;
		replies++;
		/* Forward: x-in, ..., egress; reply: ..., x-out, ..., ingress: instance k of the
		 * forward path is instance (n-2-k) of the reply. */
		for (size_t h = 0; h + 1 < ng; h++) {
			const struct qv_switch_port *f = &s.p->ports[got[h]];
			const struct qv_switch_port *b = &s.p->ports[rgot[ng - 2 - h]];
			CU_ASSERT_STRING_EQUAL(f->vnf, b->vnf);
			CU_ASSERT_EQUAL(f->instance, b->instance);
		}
	}
	/* The generator must exercise every outcome. */
	CU_ASSERT_TRUE(taken > 4000);
	CU_ASSERT_TRUE(dropped > 4000);
	CU_ASSERT_TRUE(replies > 300);
out:
	free(s.rules);
	qv_switch_plan_free(s.p);
	qv_model_free(m);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"two hops", test_two_hops},
	    {"group, symmetric", test_group},
	    {"bidirectional", test_bidirectional},
	    {"shared ingress", test_shared_ingress},
	    {"ports and determinism", test_ports_and_determinism},
	    {"switch port names two VNFs would share", test_port_name_collision},
	    {"VF handed to a VNF", test_vf_hostdev},
	    {"match relations", test_match_relation},
	    {"brute force", test_brute_force},
	};

	return QV_UNIT_RUN("chain_compile", tests);
}
