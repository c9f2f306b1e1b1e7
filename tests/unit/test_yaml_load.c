/* qwikvirt: unit tests of the YAML service loader and validator (control/): valid files load to
 * the expected model, and every error class gives its exact FILE:LINE:COL message.
 * Long because it is a flat list of cases, one per key and error class. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "tests/unit/qv_unit.h"

#include "control/chain_compile.h"
#include "control/model.h"
#include "control/units.h"
#include "qv/limits.h"

#ifndef QV_SOURCE_ROOT
#define QV_SOURCE_ROOT "."
#endif

/* ---- helpers ---- */

static struct qv_model *load_ok(const char *text)
{
	struct qv_diags d;
	struct qv_model *m = NULL;

	qv_diags_init(&d);
	int rc = qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "\n  unexpected: %s", d.v[i].text);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(qv_diags_count(&d), 0);
	qv_diags_free(&d);
	return m;
}

/* Loads text, which must fail with exactly the errors want[] (NULL-terminated), in order. */
static void expect_errors(const char *text, const char *const want[])
{
	struct qv_diags d;
	struct qv_model *m = (struct qv_model *)1;
	size_t n = 0;

	while (want[n])
		n++;
	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d), -1);
	CU_ASSERT_PTR_NULL(m);
	bool same = d.n == n && d.lost == 0;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(d.v[i].text, want[i]) == 0;
	if (!same) {
		fprintf(stderr, "\n  for:\n%s  got %zu errors:\n", text, d.n);
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "    %s\n", d.v[i].text);
		fprintf(stderr, "  wanted %zu:\n", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "    %s\n", want[i]);
	}
	CU_ASSERT_TRUE(same);
	qv_diags_free(&d);
}

#define ERRS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* A valid base the error tests append chains to. */
#define BASE                                                                                       \
	"ports:\n"                                                                                 \
	"  - {name: p1, type: vhost, path: /run/p1.sock}\n"                                        \
	"  - {name: p2, type: vhost, path: /run/p2.sock}\n"                                        \
	"vnfs:\n"                                                                                  \
	"  - {name: fw, image: /img/fw.qcow2}\n"                                                   \
	"  - {name: rtr, image: /img/rtr.qcow2, interfaces: [wan, lan]}\n"                         \
	"chains:\n"
/* BASE is 7 lines: the first chain line is line 8. */

/* ---- valid files ---- */

static void test_valid_model(void)
{
	struct qv_model *m =
	    load_ok("switch:\n"
	            "  pmd-cores: [1, 3]\n"
	            "  vhost-mode: client\n"
	            "ports:\n"
	            "  - {name: up0, type: phy, pci: \"0000:03:00.0\", queues: 2}\n"
	            "  - {name: up1, type: vf, pf: \"0000:03:00.1\", vf: 7, default: "
	            "l2}\n"
	            "  - {name: pc, type: vdev, devargs: \"net_pcap0,rx_pcap=a\"}\n"
	            "  - {name: vh, type: vhost, path: /run/vh.sock, client: true}\n"
	            "vnfs:\n"
	            "  - name: fw\n"
	            "    memory: 512MiB\n"
	            "    vcpus: 4\n"
	            "    image: fw.qcow2\n"
	            "    instances: 2\n"
	            "    numa: 1\n"
	            "  - name: rtr\n"
	            "    interfaces: [wan, lan]\n"
	            "    kernel: vmlinuz\n"
	            "    initrd: rtr.img\n"
	            "    cmdline: console=ttyS0\n"
	            "chains:\n"
	            "  - name: web\n"
	            "    from: up0\n"
	            "    match: {vlan: 100, proto: tcp, dst-port: 80-81, ip-dst: "
	            "10.0.0.0/8}\n"
	            "    hops: [fw, {vnf: rtr, in: lan, out: wan}]\n"
	            "    to: up1\n"
	            "    bidirectional: true\n");
	if (m == NULL)
		return;
	CU_ASSERT_EQUAL(m->sw.n_pmd_cores, 2);
	CU_ASSERT_EQUAL(m->sw.pmd_cores[1], 3);
	CU_ASSERT_TRUE(m->sw.vhost_client);
	CU_ASSERT_STRING_EQUAL(m->sw.socket_dir, "/run/qwikvirt");
	CU_ASSERT_PTR_NULL(m->sw.control_socket); /* not given: qv-controld's --switch */
	CU_ASSERT_EQUAL(m->n_ports, 4);
	CU_ASSERT_EQUAL(m->ports[0].type, QV_PORT_PHY);
	CU_ASSERT_STRING_EQUAL(m->ports[0].pci, "0000:03:00.0");
	CU_ASSERT_EQUAL(m->ports[0].queues, 2);
	CU_ASSERT_EQUAL(m->ports[0].dflt, QV_DEFAULT_DROP);
	CU_ASSERT_EQUAL(m->ports[1].type, QV_PORT_VF);
	CU_ASSERT_STRING_EQUAL(m->ports[1].pf, "0000:03:00.1");
	CU_ASSERT_EQUAL(m->ports[1].vf, 7);
	CU_ASSERT_EQUAL(m->ports[1].dflt, QV_DEFAULT_L2);
	CU_ASSERT_STRING_EQUAL(m->ports[2].devargs, "net_pcap0,rx_pcap=a");
	CU_ASSERT_EQUAL(m->ports[2].queues, 1);
	CU_ASSERT_TRUE(m->ports[3].client);
	CU_ASSERT_EQUAL(m->n_vnfs, 2);
	CU_ASSERT_EQUAL(m->vnfs[0].memory, 512ull << 20);
	CU_ASSERT_EQUAL(m->vnfs[0].vcpus, 4);
	CU_ASSERT_EQUAL(m->vnfs[0].instances, 2);
	CU_ASSERT_EQUAL(m->vnfs[0].numa, 1);
	CU_ASSERT_EQUAL(m->vnfs[0].n_ifaces, 2);
	CU_ASSERT_STRING_EQUAL(m->vnfs[0].ifaces[1].name, "out");
	CU_ASSERT_EQUAL(m->vnfs[1].memory, 1ull << 30); /* default */
	CU_ASSERT_EQUAL(m->vnfs[1].vcpus, 1);
	CU_ASSERT_EQUAL(m->vnfs[1].numa, QV_MODEL_NUMA_AUTO);
	CU_ASSERT_STRING_EQUAL(m->vnfs[1].cmdline, "console=ttyS0");
	CU_ASSERT_PTR_NULL(m->vnfs[1].image);
	CU_ASSERT_EQUAL(m->n_chains, 1);
	const struct qv_model_chain *c = &m->chains[0];
	CU_ASSERT_STRING_EQUAL(c->from, "up0");
	CU_ASSERT_STRING_EQUAL(c->to, "up1");
	CU_ASSERT_TRUE(c->bidirectional);
	CU_ASSERT_EQUAL(c->match.fields,
	                QV_M_VLAN | QV_M_PROTO | QV_M_DST_PORT | QV_M_DST_IP | QV_M_IP_VERSION);
	CU_ASSERT_EQUAL(c->match.dst_port_hi, 81);
	CU_ASSERT_EQUAL(c->match.dst_plen, 8);
	CU_ASSERT_EQUAL(c->n_hops, 2);
	CU_ASSERT_STRING_EQUAL(c->hops[0].members[0].name, "fw");
	CU_ASSERT_STRING_EQUAL(c->hops[0].in, "in");
	CU_ASSERT_STRING_EQUAL(c->hops[1].in, "lan");
	CU_ASSERT_STRING_EQUAL(c->hops[1].out, "wan");
	CU_ASSERT_FALSE(c->hops[1].group);
	CU_ASSERT_EQUAL(c->hops[1].members[0].mark.line, 25);
	qv_model_free(m);
}

static void test_valid_small(void)
{
	/* Everything optional left out; a chain without match or hops is a patch. */
	struct qv_model *m = load_ok(BASE "  - {name: patch, from: p1, hops: [], to: p2}\n");
	if (m) {
		CU_ASSERT_EQUAL(m->chains[0].match.fields, 0);
		CU_ASSERT_EQUAL(m->chains[0].n_hops, 0);
		CU_ASSERT_FALSE(m->chains[0].bidirectional);
	}
	qv_model_free(m);
	m = load_ok("ports: []\n");
	CU_ASSERT_PTR_NOT_NULL(m);
	qv_model_free(m);
	/* Aliases are plain YAML and work. */
	m = load_ok(BASE "  - {name: a, from: p1, match: &web {vlan: 7}, hops: [fw], to: p2}\n"
	                 "  - {name: b, from: p2, match: *web, hops: [], to: p1}\n");
	if (m)
		CU_ASSERT_EQUAL(m->chains[1].match.vlan_id, 7);
	qv_model_free(m);
}

static void test_examples(void)
{
	static const char *const files[] = {"web.yaml", "fw-group.yaml", "sdwan.yaml",
	                                    "vf-passthrough.yaml", "demo.yaml"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], err[512];
		struct qv_diags d;
		struct qv_model *m;
		struct qv_switch_plan *p = NULL;

		snprintf(path, sizeof(path), "%s/configs/%s", QV_SOURCE_ROOT, files[i]);
		qv_diags_init(&d);
		int rc = qv_model_load_file(path, &m, &d);
		for (size_t k = 0; k < d.n; k++)
			fprintf(stderr, "\n  %s", d.v[k].text);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc == 0) {
			CU_ASSERT_EQUAL(qv_chain_compile(m, &p, err, sizeof(err)), 0);
			CU_ASSERT_TRUE(p && p->n_rules > 0);
		}
		qv_switch_plan_free(p);
		qv_model_free(m);
		qv_diags_free(&d);
	}
}

static void test_units(void)
{
	uint64_t v;
	char buf[32];

	CU_ASSERT_TRUE(qv_parse_size("512MiB", &v) && v == 512ull << 20);
	CU_ASSERT_TRUE(qv_parse_size("1GiB", &v) && v == 1ull << 30);
	CU_ASSERT_TRUE(qv_parse_size("3TiB", &v) && v == 3ull << 40);
	CU_ASSERT_TRUE(qv_parse_size("64KiB", &v) && v == 64 << 10);
	CU_ASSERT_TRUE(qv_parse_size("100B", &v) && v == 100);
	CU_ASSERT_FALSE(qv_parse_size("1G", &v));
	CU_ASSERT_FALSE(qv_parse_size("1024", &v));
	CU_ASSERT_FALSE(qv_parse_size("MiB", &v));
	CU_ASSERT_FALSE(qv_parse_size("-1MiB", &v));
	CU_ASSERT_FALSE(qv_parse_size("1.5GiB", &v));
	CU_ASSERT_FALSE(qv_parse_size("1 GiB", &v));
	CU_ASSERT_FALSE(qv_parse_size("99999999999999999999GiB", &v));
	CU_ASSERT_FALSE(qv_parse_size("17179869184GiB", &v)); /* 2^64 bytes */
	qv_format_size(1536ull << 20, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1536MiB");
	qv_format_size(2ull << 30, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2GiB");
}

/* ---- bandwidth ---- */

static void test_rate_units(void)
{
	uint64_t v;
	bool pkts;
	char buf[32];

	CU_ASSERT_TRUE(qv_parse_rate("2Gbit", &v, &pkts) && v == 2000000000ull && !pkts);
	CU_ASSERT_TRUE(qv_parse_rate("2.5Gbit", &v, &pkts) && v == 2500000000ull && !pkts);
	CU_ASSERT_TRUE(qv_parse_rate("480kbit", &v, &pkts) && v == 480000 && !pkts);
	CU_ASSERT_TRUE(qv_parse_rate("100kpps", &v, &pkts) && v == 100000 && pkts);
	CU_ASSERT_TRUE(qv_parse_rate("64pps", &v, &pkts) && v == 64 && pkts);
	CU_ASSERT_FALSE(qv_parse_rate("2G", &v, &pkts));
	CU_ASSERT_FALSE(qv_parse_rate("2 Gbit", &v, &pkts));
	CU_ASSERT_FALSE(qv_parse_rate("-1Gbit", &v, &pkts));
	CU_ASSERT_FALSE(qv_parse_rate("1.Gbit", &v, &pkts));
	CU_ASSERT_FALSE(qv_parse_rate("99999999999999Tbit", &v, &pkts));
	CU_ASSERT_TRUE(qv_parse_burst("64KiB", &v, &pkts) && v == 65536 && !pkts);
	CU_ASSERT_TRUE(qv_parse_burst("32pkt", &v, &pkts) && v == 32 && pkts);
	CU_ASSERT_FALSE(qv_parse_burst("pkt", &v, &pkts));
	CU_ASSERT_FALSE(qv_parse_burst("64KB", &v, &pkts));
	qv_format_rate(2000000000ull, false, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2Gbit");
	qv_format_rate(480000, false, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "480kbit");
	qv_format_rate(1000, true, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1kpps");
}

static void test_bandwidth(void)
{
	struct qv_model *m =
	    load_ok("ports:\n"
	            "  - {name: p1, type: vhost, path: /run/p1.sock, bandwidth: 2Gbit}\n"
	            "  - name: p2\n"
	            "    type: vhost\n"
	            "    path: /run/p2.sock\n"
	            "    bandwidth:\n"
	            "      ingress: {rate: 1Gbit, burst: 256KiB, peak: 2Gbit, peak-burst: 512KiB}\n"
	            "      egress: 100kpps\n"
	            "vnfs:\n"
	            "  - name: fw\n"
	            "    image: /img/fw.qcow2\n"
	            "    bandwidth: {rate: 500Mbit, burst: 64KiB}\n"
	            "    interfaces: [{name: in, bandwidth: {egress: {rate: 10kpps, burst: "
	            "64pkt}}}, out]\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	const struct qv_police *p1 = m->ports[0].bw, *p2 = m->ports[1].bw;
	CU_ASSERT(p1[0].rate == 2000000000ull && p1[0].unit == QV_POLICE_BITS && p1[0].burst == 0);
	CU_ASSERT(p1[1].rate == 2000000000ull && p1[1].mode == QV_POLICE_SRTCM);
	CU_ASSERT(p2[0].rate == 1000000000ull && p2[0].burst == 256 << 10 &&
	          p2[0].mode == QV_POLICE_TRTCM && p2[0].peak_rate == 2000000000ull &&
	          p2[0].peak_burst == 512 << 10);
	CU_ASSERT(p2[1].rate == 100000 && p2[1].unit == QV_POLICE_PACKETS);
	const struct qv_model_vnf *fw = &m->vnfs[0];
	CU_ASSERT(fw->bw[0].rate == 500000000ull && fw->bw[1].burst == 64 << 10);
	CU_ASSERT_EQUAL_FATAL(fw->n_ifaces, 2);
	CU_ASSERT_STRING_EQUAL(fw->ifaces[0].name, "in");
	CU_ASSERT(fw->ifaces[0].bw[0].rate == 0 && fw->ifaces[0].bw[1].rate == 10000 &&
	          fw->ifaces[0].bw[1].burst == 64);
	CU_ASSERT_EQUAL(fw->ifaces[1].bw[0].rate, 0);
	qv_model_free(m);
}

static void test_err_bandwidth(void)
{
	expect_errors(
	    "ports:\n"
	    "  - {name: a, type: vhost, path: /a, bandwidth: 2G}\n"
	    "  - {name: b, type: vhost, path: /b, bandwidth: 0bit}\n"
	    "  - {name: c, type: vhost, path: /c, bandwidth: {rate: 1Gbit, burst: 1000B}}\n"
	    "  - {name: d, type: vhost, path: /d, bandwidth: {rate: 1kpps, burst: 64KiB}}\n"
	    "  - {name: e, type: vhost, path: /e, bandwidth: {rate: 2Gbit, peak: 1Gbit}}\n"
	    "  - {name: f, type: vhost, path: /f, bandwidth: {burst: 64KiB}}\n"
	    "  - {name: g, type: vhost, path: /g, bandwidth: {ingress: 1Gbit, rate: 1Gbit}}\n"
	    "vnfs:\n"
	    "  - {name: fw, image: /i, interfaces: [{name: in, bandwidth: -1Gbit}, {bw: 1}]}\n",
	    ERRS("t.yaml:2:49: bad 'bandwidth' in the bandwidth of port 'a': found '2G', expected "
	         "a rate with a unit, such as 2Gbit, 500Mbit, 2.5Gbit or 100kpps (units: bit, "
	         "kbit, Mbit, Gbit, Tbit per second; pps, kpps, Mpps, Gpps)",
	         "t.yaml:3:49: bad 'bandwidth' in the bandwidth of port 'b': found '0bit', "
	         "expected 8kbit..1Tbit",
	         "t.yaml:4:70: bad 'burst' in the bandwidth of port 'c': found '1000B', expected "
	         "at least 1522B, one full-size frame (jumbo frames need their own size), and at "
	         "most 4GiB",
	         "t.yaml:5:70: bad 'burst' in the bandwidth of port 'd': found '64KiB', expected "
	         "a burst in packets (pkt) for a packets/s rate",
	         "t.yaml:6:69: bad 'peak' in the bandwidth of port 'e': found '1Gbit', expected a "
	         "rate in bit/s of at least 'rate' (2Gbit)",
	         "t.yaml:7:49: missing 'rate' in the bandwidth of port 'f' (expected a rate such "
	         "as 2Gbit or 100kpps)",
	         "t.yaml:8:66: key 'rate' does not apply to port 'g' (expected one of: ingress, "
	         "egress)",
	         "t.yaml:10:62: bad 'bandwidth' in the bandwidth of interface 'in' of VNF 'fw': "
	         "found '-1Gbit', expected a rate with a unit, such as 2Gbit, 500Mbit, 2.5Gbit or "
	         "100kpps (units: bit, kbit, Mbit, Gbit, Tbit per second; pps, kpps, Mpps, Gpps)",
	         "t.yaml:10:71: missing 'name' in VNF 'fw' (expected the interface's name, e.g. "
	         "name: in)",
	         "t.yaml:10:72: unknown key 'bw' in VNF 'fw' (expected one of: name, bandwidth)"));
	/* a VF handed to a VM never crosses the switch */
	expect_errors("ports:\n"
	              "  - {name: v0, type: vf, pf: \"0000:03:00.1\", vf: 0, bandwidth: 1Gbit}\n"
	              "vnfs:\n"
	              "  - {name: a, image: /i, vfs: [v0]}\n",
	              ERRS("t.yaml:2:53: port 'v0' has a 'bandwidth' but is the VF handed to VNF "
	                   "'a' (its 'vfs', line 4): its traffic does not cross the switch, which "
	                   "cannot police it; limit the VF on its PF (ip link set PF vf N "
	                   "max_tx_rate) instead"));
}

/* ---- errors: document ---- */

static void test_err_document(void)
{
	expect_errors("", ERRS("t.yaml:1:1: empty file: expected a mapping with keys switch, "
	                       "ports, vnfs, chains"));
	expect_errors("- a\n", ERRS("t.yaml:1:1: bad the file: found a list, expected a mapping "
	                            "(key: value)"));
	expect_errors("ports: [\n", ERRS("t.yaml:2:1: YAML syntax error: did not find expected "
	                                 "node content while parsing a flow node (line 2)"));
	expect_errors("ports: []\n---\nports: []\n",
	              ERRS("t.yaml:2:1: a second YAML document ('---'): expected one service "
	                   "definition per file"));
	expect_errors("portz: []\nports: []\nports: {}\n",
	              ERRS("t.yaml:1:1: unknown key 'portz' in the file (expected one of: switch, "
	                   "ports, vnfs, chains)",
	                   "t.yaml:3:1: duplicate key 'ports' in the file (first at line 2)"));
	expect_errors("ports: {a: 1}\nvnfs: x\nchains: 3\n",
	              ERRS("t.yaml:1:8: bad 'ports' in the file: found a mapping, expected a list",
	                   "t.yaml:2:7: bad 'vnfs' in the file: found 'x', expected a list",
	                   "t.yaml:3:9: bad 'chains' in the file: found '3', expected a list"));
	expect_errors("? [a]\n: 1\n",
	              ERRS("t.yaml:1:3: bad key in the file: found a list, expected "
	                   "one of: switch, ports, vnfs, chains"));
}

/* A billion laughs: aliases of aliases must not make the loader expand them. */
static void test_err_alias_bomb(void)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
		              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	snprintf(text + n, sizeof(text) - (size_t)n, "switch: {pmd-cores: *a9}\n");
	struct qv_diags d;
	struct qv_model *m;
	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d), -1);
	/* The loader reads to the schema's depth only, so the expansion is never walked: one
	 * error per alias use, not 8^9. */
	CU_ASSERT_EQUAL(qv_diags_count(&d), 18);
	if (d.n)
		CU_ASSERT_STRING_EQUAL(d.v[0].text,
		                       "t.yaml:1:1: unknown key 'a0' in the file "
		                       "(expected one of: switch, ports, vnfs, chains)");
	qv_diags_free(&d);
}

/* ---- errors: switch, ports, VNFs ---- */

static void test_err_switch(void)
{
	expect_errors(
	    "switch:\n  pmd-cores: [1, 1, x, 5000]\n  socket-dir: run\n"
	    "  vhost-mode: both\n  hugepages: 2\n",
	    ERRS("t.yaml:2:18: CPU 1 is twice in 'pmd-cores' in switch",
	         "t.yaml:2:21: bad 'pmd-cores' in switch: found 'x', expected a number "
	         "0..1023",
	         "t.yaml:2:24: bad 'pmd-cores' in switch: found '5000', expected a number "
	         "0..1023",
	         "t.yaml:3:15: bad 'socket-dir' in switch: found 'run', expected an "
	         "absolute path",
	         "t.yaml:4:15: bad 'vhost-mode' in switch: found 'both', expected server or "
	         "client",
	         "t.yaml:5:3: unknown key 'hugepages' in switch (expected one of: "
	         "pmd-cores, socket-dir, control-socket, vhost-mode)"));
}

/* mtu: on a port (the switch port's) and on a VNF (every interface, and the guest's). */
static void test_mtu(void)
{
	struct qv_model *m =
	    load_ok("ports:\n"
	            "  - {name: up0, type: phy, pci: \"0000:03:00.0\", mtu: 9000}\n"
	            "  - {name: p2, type: vhost, path: /run/p2.sock}\n"
	            "vnfs:\n"
	            "  - {name: fw, image: /img/fw.qcow2, mtu: 9000}\n");

	if (m == NULL)
		return;
	CU_ASSERT_EQUAL(m->ports[0].mtu, 9000);
	CU_ASSERT_EQUAL(m->ports[1].mtu, 0); /* the switch's default */
	CU_ASSERT_EQUAL(m->vnfs[0].mtu, 9000);
	qv_model_free(m);
	expect_errors("ports:\n"
	              "  - {name: up0, type: phy, pci: \"0000:03:00.0\", mtu: 9600}\n",
	              ERRS("t.yaml:2:54: bad 'mtu' in port 'up0': found '9600', expected a "
	                   "number 68..9194"));
}

/* vring-stats: false reaches the port (vhost ports, every interface of a VNF); on by default */
static void test_vring_stats(void)
{
	struct qv_model *m =
	    load_ok("ports:\n"
	            "  - {name: up0, type: phy, pci: \"0000:03:00.0\"}\n"
	            "  - {name: p2, type: vhost, path: /run/p2.sock, vring-stats: false}\n"
	            "  - {name: p3, type: vhost, path: /run/p3.sock, vring-stats: true}\n"
	            "vnfs:\n"
	            "  - {name: fw, image: /img/fw.qcow2, vring-stats: false}\n"
	            "  - {name: rt, image: /img/rt.qcow2}\n");

	if (m == NULL)
		return;
	CU_ASSERT_FALSE(m->ports[0].vring_stats_off);
	CU_ASSERT_TRUE(m->ports[1].vring_stats_off);
	CU_ASSERT_FALSE(m->ports[2].vring_stats_off);
	CU_ASSERT_TRUE(m->vnfs[0].vring_stats_off);
	CU_ASSERT_FALSE(m->vnfs[1].vring_stats_off);
	qv_model_free(m);
	expect_errors(
	    "ports:\n"
	    "  - {name: up0, type: phy, pci: \"0000:03:00.0\", vring-stats: false}\n"
	    "  - {name: p2, type: vhost, path: /run/p2.sock, vring-stats: off}\n"
	    "vnfs:\n"
	    "  - {name: fw, image: /img/fw.qcow2, vring-stats: 0}\n",
	    ERRS("t.yaml:2:49: key 'vring-stats' does not apply to phy port 'up0' "
	         "(expected one of: name, type, queues, default, pci, bandwidth, mtu)",
	         "t.yaml:3:62: bad 'vring-stats' in port 'p2': found 'off', expected "
	         "true or false",
	         "t.yaml:5:51: bad 'vring-stats' in VNF 'fw': found '0', expected true or "
	         "false"));
}

static void test_err_ports(void)
{
	expect_errors(
	    "ports:\n"
	    "  - {name: a, type: phy, pci: \"0000:03:00.0\", path: /x}\n"
	    "  - {name: a, type: vf, pf: \"03:00.1\", vf: 300}\n"
	    "  - {name: c, type: tun}\n"
	    "  - {type: vdev}\n"
	    "  - {name: bad name, type: vhost, path: x.sock, client: yes}\n"
	    "  - {name: e, type: phy, pci: \"0000:03:00.0\", queues: 0, default: flood}\n"
	    "  - {name: f}\n",
	    ERRS(
	        "t.yaml:2:47: key 'path' does not apply to phy port 'a' (expected one of: name, "
	        "type, queues, default, pci, bandwidth, mtu)",
	        "t.yaml:3:5: duplicate port name: port 'a' has the same name as port 'a' (line 2); "
	        "expected each port once",
	        "t.yaml:3:29: bad 'pf' in port 'a': found '03:00.1', expected a PCI address such "
	        "as 0000:03:00.0",
	        "t.yaml:3:44: bad 'vf' in port 'a': found '300', expected a number 0..255",
	        "t.yaml:4:21: bad 'type' in port 'c': found 'tun', expected phy, vf, vhost or vdev",
	        "t.yaml:5:5: missing 'name' in port #4 (expected a name for the switch port, e.g. "
	        "name: uplink0)",
	        "t.yaml:5:5: missing 'devargs' in port #4 (expected a DPDK vdev string such as "
	        "net_pcap0,rx_pcap=in.pcap)",
	        "t.yaml:6:12: bad 'name' in port #5: found 'bad name', expected a name of 1..31 "
	        "letters, digits, '_', '.' or '-'",
	        "t.yaml:6:41: bad 'path' in port #5: found 'x.sock', expected an absolute path",
	        "t.yaml:6:57: bad 'client' in port #5: found 'yes', expected true or false",
	        "t.yaml:7:5: duplicate port pci address: port 'e' has the same pci address as port "
	        "'a' (line 2); expected each port once",
	        "t.yaml:7:55: bad 'queues' in port 'e': found '0', expected a number 1..8",
	        "t.yaml:7:67: bad 'default' in port 'e': found 'flood', expected drop or l2",
	        "t.yaml:8:5: missing 'type' in port 'f' (expected phy, vf, vhost or vdev)"));
}

static void test_err_vnfs(void)
{
	expect_errors(
	    "vnfs:\n"
	    "  - {name: fw, memory: 1G, image: a, kernel: b, vcpus: 0}\n"
	    "  - {name: fw, interfaces: [in, in], memory: 8MiB, initrd: x}\n"
	    "  - {name: r, interfaces: [], image: r, numa: far, instances: 9}\n"
	    "  - {name: s, image: s, memory: 1000KiB, numa: 64, interfaces: [x, \"a b\"]}\n"
	    "  - {name: a-very-long-vnf-name-here, image: s, interfaces: [upstream]}\n",
	    ERRS(
	        "t.yaml:2:24: bad 'memory' in VNF 'fw': found '1G', expected a size with a unit, "
	        "such as 512MiB or 2GiB (units: KiB, MiB, GiB, TiB)",
	        "t.yaml:2:38: VNF 'fw' has both 'image' (line 2) and 'kernel': expected one boot "
	        "source",
	        "t.yaml:2:56: bad 'vcpus' in VNF 'fw': found '0', expected a number 1..16",
	        "t.yaml:3:5: missing 'image' in VNF 'fw' (expected a boot source: image: PATH, or "
	        "kernel: PATH with optional initrd and cmdline)",
	        "t.yaml:3:5: duplicate VNF name 'fw' (first at line 2): expected each VNF once "
	        "(use 'instances' for copies)",
	        "t.yaml:3:33: duplicate interface 'in' in VNF 'fw' (first at line 3)",
	        "t.yaml:3:46: bad 'memory' in VNF 'fw': found '8MiB', expected a whole number of "
	        "MiB, 16MiB..1TiB",
	        "t.yaml:3:52: 'initrd' in VNF 'fw' needs 'kernel' (it boots from nothing)",
	        "t.yaml:4:27: bad 'interfaces' in VNF 'r': found 0 interfaces, expected 1..8 "
	        "names",
	        "t.yaml:4:47: bad 'numa' in VNF 'r': found 'far', expected a NUMA node 0..63 or "
	        "auto",
	        "t.yaml:4:63: bad 'instances' in VNF 'r': found '9', expected a number 1..8",
	        "t.yaml:5:33: bad 'memory' in VNF 's': found '1000KiB', expected a whole number of "
	        "MiB, 16MiB..1TiB",
	        "t.yaml:5:48: bad 'numa' in VNF 's': found '64', expected a number 0..63",
	        "t.yaml:5:68: bad 'interfaces' in VNF 's': found 'a b', expected a name of 1..31 "
	        "letters, digits, '_', '.' or '-'",
	        "t.yaml:6:62: VNF 'a-very-long-vnf-name-here' interface 'upstream' makes switch "
	        "port 'a-very-long-vnf-name-here-0-upstream', longer than 31 characters: shorten "
	        "the VNF or interface name"));
	/* A generated VNF port name that a declared port already has. */
	expect_errors("ports: [{name: fw-0-in, type: vhost, path: /a}]\n"
	              "vnfs: [{name: fw, image: x}]\n",
	              ERRS("t.yaml:2:8: VNF 'fw' instance 0 interface 'in' makes switch port "
	                   "'fw-0-in', which port 'fw-0-in' (line 1) already names: rename one of "
	                   "them"));
}

/* VFs: settings of the PF's VF, and `vfs` handing one to a VNF's VM. */
static void test_vfs(void)
{
	struct qv_model *m = load_ok("ports:\n"
	                             "  - {name: v0, type: vf, pf: \"0000:03:00.1\", vf: 0, mac: "
	                             "\"02:aa:00:00:00:01\", vlan: 0, spoof-check: true, trust: "
	                             "false}\n"
	                             "  - {name: v1, type: vf, pf: \"0000:03:00.1\", vf: 1}\n"
	                             "vnfs: [{name: fw, image: x, vfs: [v0]}]\n");
	if (m) {
		CU_ASSERT_STRING_EQUAL(m->ports[0].vf_mac, "02:aa:00:00:00:01");
		CU_ASSERT_EQUAL(m->ports[0].vf_vlan, 0);
		CU_ASSERT_EQUAL(m->ports[0].vf_spoofchk, 1);
		CU_ASSERT_EQUAL(m->ports[0].vf_trust, 0);
		CU_ASSERT_PTR_NULL(m->ports[1].vf_mac);
		CU_ASSERT_EQUAL(m->ports[1].vf_vlan, QV_MODEL_UNSET);
		CU_ASSERT_EQUAL(m->vnfs[0].n_vfs, 1);
		CU_ASSERT_PTR_EQUAL(qv_model_vf_owner(m, "v0", NULL), &m->vnfs[0]);
		CU_ASSERT_PTR_NULL(qv_model_vf_owner(m, "v1", NULL));
	}
	qv_model_free(m);
	expect_errors(
	    "ports:\n"
	    "  - {name: v0, type: vf, pf: \"0000:03:00.1\", vf: 0, mac: \"01:00:5e:00:00:01\"}\n"
	    "  - {name: v1, type: vf, pf: \"0000:03:00.1\", vf: 1, vlan: 4095, trust: maybe}\n"
	    "  - {name: h, type: vhost, path: /h.sock, mac: \"02:00:00:00:00:01\"}\n"
	    "vnfs:\n"
	    "  - {name: a, image: x, vfs: [v0, h, nope], instances: 2}\n"
	    "  - {name: b, image: x, vfs: [v0]}\n"
	    "chains:\n"
	    "  - {name: c, from: v0, hops: [b], to: h}\n",
	    ERRS("t.yaml:2:58: bad 'mac' in port 'v0': found '01:00:5e:00:00:01', expected a "
	         "unicast MAC address xx:xx:xx:xx:xx:xx (quote it)",
	         "t.yaml:3:59: bad 'vlan' in port 'v1': found '4095', expected a number 0..4094",
	         "t.yaml:3:72: bad 'trust' in port 'v1': found 'maybe', expected true or false",
	         "t.yaml:4:43: key 'mac' does not apply to vhost port 'h' (expected one of: name, "
	         "type, queues, default, path, client, bandwidth, mtu, vring-stats)",
	         "t.yaml:6:31: VNF 'a' has 'vfs' and instances: 2: a VF is one device and goes to "
	         "one VM; expected instances: 1 (declare one VNF per VF)",
	         "t.yaml:6:35: port 'h' in 'vfs' of VNF 'a' is of type vhost, expected a port of "
	         "type vf: only an SR-IOV VF can be handed to a VM",
	         "t.yaml:6:38: unknown port 'nope' in 'vfs' of VNF 'a' (declared: v0, v1, h)",
	         "t.yaml:7:31: VF port 'v0' is already handed to VNF 'a' (line 6): a VF goes to "
	         "one VM",
	         "t.yaml:9:21: port 'v0' in 'from' of chain 'c' is the VF handed to VNF 'a' (its "
	         "'vfs', line 6): the VM owns that device, not the switch"));
}

/* ---- errors: chains ---- */

static void test_err_chain_keys(void)
{
	/* The example of the issue, at its own line and column. */
	expect_errors(BASE "  - name: web\n"
	                   "    from: p1\n"
	                   "    hopz: [fw]\n"
	                   "    hops: [fw]\n"
	                   "    to: p2\n"
	                   "    to: p1\n",
	              ERRS("t.yaml:10:5: unknown key 'hopz' in chain 'web' (expected one of: name, "
	                   "from, match, hops, to, bidirectional)",
	                   "t.yaml:13:5: duplicate key 'to' in chain 'web' (first at line 12)"));
	expect_errors(
	    BASE "  - {from: p1, bidirectional: 1}\n"
	         "  - web\n",
	    ERRS("t.yaml:8:5: missing 'name' in chain #1 (expected a name for the chain, "
	         "e.g. name: web)",
	         "t.yaml:8:5: missing 'to' in chain #1 (expected the egress port, e.g. to: "
	         "uplink1)",
	         "t.yaml:8:5: missing 'hops' in chain #1 (expected the VNFs in order, e.g. "
	         "hops: [fw1, rtr1], or hops: [] for a direct path)",
	         "t.yaml:8:31: bad 'bidirectional' in chain #1: found '1', expected true "
	         "or false",
	         "t.yaml:9:5: bad chain #2: found 'web', expected a mapping (key: value)"));
}

static void test_err_references(void)
{
	expect_errors(
	    BASE "  - {name: a, from: nowhere, hops: [fw, nope], to: fw}\n"
	         "  - {name: a, from: p1, hops: [{vnf: rtr, in: lan, out: lan}, fw], to: p2}\n"
	         "  - {name: c, from: p1, match: {vlan: 9}, hops: [rtr, {vnf: fw, out: wan}], to: "
	         "p2}\n"
	         "  - {name: d, from: p1, match: {vlan: 8}, hops: [fw, {group: [rtr, fw]}], to: "
	         "p2}\n",
	    ERRS(
	        "t.yaml:8:21: unknown port 'nowhere' in 'from' of chain 'a' (declared: p1, p2)",
	        "t.yaml:8:41: unknown VNF 'nope' in hop 2 of chain 'a' (declared: fw, rtr)",
	        "t.yaml:8:52: 'to' of chain 'a' is VNF 'fw', expected a port (declared: p1, p2): "
	        "VNFs go in 'hops'",
	        "t.yaml:9:5: duplicate chain name 'a' (first at line 8): expected each chain once",
	        "t.yaml:9:57: hop 1 of chain 'a' enters and leaves by the same interface 'lan': "
	        "expected two different interfaces ('in' and 'out')",
	        "t.yaml:10:50: VNF 'rtr' has no interface 'in' (hop 1 of chain 'c' enters by 'in' "
	        "and leaves by 'out'; its interfaces: wan, lan): name them with {vnf: rtr, in: "
	        "IFACE, out: IFACE}, or declare 'in'",
	        "t.yaml:10:50: VNF 'rtr' has no interface 'out' (hop 1 of chain 'c' enters by 'in' "
	        "and leaves by 'out'; its interfaces: wan, lan): name them with {vnf: rtr, in: "
	        "IFACE, out: IFACE}, or declare 'out'",
	        "t.yaml:10:70: VNF 'fw' has no interface 'wan' (hop 2 of chain 'c' enters by 'in' "
	        "and leaves by 'wan'; its interfaces: in, out): name them with {vnf: fw, in: "
	        "IFACE, "
	        "out: IFACE}, or declare 'wan'",
	        "t.yaml:11:63: VNF 'rtr' has no interface 'in' (hop 2 of chain 'd' enters by 'in' "
	        "and leaves by 'out'; its interfaces: wan, lan): name them with {vnf: rtr, in: "
	        "IFACE, out: IFACE}, or declare 'in'",
	        "t.yaml:11:63: VNF 'rtr' has no interface 'out' (hop 2 of chain 'd' enters by 'in' "
	        "and leaves by 'out'; its interfaces: wan, lan): name them with {vnf: rtr, in: "
	        "IFACE, out: IFACE}, or declare 'out'",
	        "t.yaml:11:68: VNF 'fw' is twice in chain 'd' (first in hop 1): a chain passes "
	        "each "
	        "VNF once"));
}

static void test_err_hops(void)
{
	expect_errors(
	    BASE "  - name: a\n"
	         "    from: p1\n"
	         "    to: p2\n"
	         "    hops:\n"
	         "      - {vnf: fw, group: [rtr]}\n"
	         "      - {group: [], balance: random}\n"
	         "      - {balance: symmetric}\n"
	         "      - {group: fw}\n"
	         "      - [fw]\n"
	         "      - {vnf: fw, weight: 2}\n",
	    ERRS(
	        "t.yaml:12:19: hop 1 of chain 'a' has both 'vnf' (line 12) and 'group': expected "
	        "one of them",
	        "t.yaml:13:17: bad 'group' in hop 2 of chain 'a': found 0 VNFs, expected 1..8",
	        "t.yaml:14:9: missing 'vnf' in hop 3 of chain 'a' (expected a VNF name (vnf: fw1), "
	        "or a group (group: [fw1, fw2]))",
	        "t.yaml:15:17: bad 'group' in hop 4 of chain 'a': found 'fw', expected a list",
	        "t.yaml:16:9: bad hop 5 of chain 'a': found a list, expected a mapping (key: "
	        "value)",
	        "t.yaml:17:19: unknown key 'weight' in hop 6 of chain 'a' (expected one of: vnf, "
	        "group, balance, in, out)"));
	/* 3 + 6 instances in one group: the switch balances over at most 8 ports. */
	expect_errors(
	    "ports: [{name: p1, type: vhost, path: /a}, {name: p2, type: vhost, path: /b}]\n"
	    "vnfs: [{name: a, image: x, instances: 3}, {name: b, image: x, instances: 6}]\n"
	    "chains: [{name: c, from: p1, hops: [{group: [a, b]}], to: p2}]\n",
	    ERRS("t.yaml:3:37: hop 1 of chain 'c' balances over 9 VNF instances, "
	         "expected at most 8"));
}

static void test_err_match(void)
{
	expect_errors(
	    BASE
	    "  - {name: a, from: p1, hops: [], to: p2, match: {vlan: 5000, in: p1, proto: tcp}}\n"
	    "  - {name: b, from: p1, hops: [], to: p2, match: {ip-src: 10.0.0.1/8, dst-port: "
	    "\"1,2\"}}\n"
	    "  - {name: c, from: p1, hops: [], to: p2, match: {ip-src: 10.0.0.0/8, ip-dst: "
	    "\"2001:db8::/32\"}}\n"
	    "  - {name: d, from: p1, hops: [], to: p2, match: {proto: udp, src-port: 9-1}}\n"
	    "  - {name: e, from: p1, hops: [], to: p2, match: {dst-port: 80}}\n"
	    "  - {name: f, from: p1, hops: [], to: p2, match: [vlan]}\n",
	    ERRS("t.yaml:8:57: match of chain 'a': bad vlan '5000': expected a VLAN id 0..4095 or "
	         "none",
	         "t.yaml:8:63: unknown key 'in' in match of chain 'a' (expected one of: vlan, "
	         "eth-type, ip-src, ip-dst, proto, src-port, dst-port)",
	         "t.yaml:9:59: match of chain 'b': 10.0.0.1/8 has host bits set; did you mean "
	         "10.0.0.0/8?",
	         "t.yaml:9:81: bad 'dst-port' in match of chain 'b': found '1,2', expected a port "
	         "0..65535 or a range such as 1024-2047",
	         "t.yaml:10:79: match of chain 'c': 'ip-dst=2001:db8::/32' is IPv6 but "
	         "'ip-src=10.0.0.0/8' is IPv4: a rule matches one IP version",
	         "t.yaml:11:73: match of chain 'd': src-port range '9-1' is backwards: expected "
	         "LOW-HIGH",
	         "t.yaml:12:61: match of chain 'e': 'dst-port=80' needs proto=tcp, udp or sctp in "
	         "the "
	         "same rule",
	         "t.yaml:13:50: bad match of chain 'f': found a list, expected a mapping (key: "
	         "value)"));
}

/* Two chains on one port that the switch could not tell apart. */
static void test_err_conflicts(void)
{
	expect_errors(
	    BASE "  - {name: a, from: p1, match: {vlan: 100}, hops: [fw], to: p2}\n"
	         "  - {name: b, from: p2, match: {vlan: 100, proto: tcp}, hops: [fw], to: p1}\n"
	         "  - {name: c, from: p1, match: {proto: tcp}, hops: [], to: p2}\n"
	         "  - {name: d, from: p2, match: {vlan: 200}, hops: [], to: p1}\n"
	         "  - {name: e, from: p2, match: {vlan: 200}, hops: [], to: p1}\n"
	         "  - {name: f, from: p2, match: {vlan: 300}, hops: [], to: p2, bidirectional: "
	         "true}\n",
	    ERRS("t.yaml:9:32: chain 'b' (match 'vlan=100,proto=tcp') and chain 'a' (line 8, match "
	         "'vlan=100') meet on port 'fw-0-out' (VNF 'fw' interface 'out'), where the "
	         "narrower match would take the wider one's packets: they enter at different ports "
	         "('p2' and 'p1'); make the matches disjoint, or give the chains their own VNFs",
	         "t.yaml:10:32: chain 'c' (match 'proto=tcp') and chain 'a' (line 8, match "
	         "'vlan=100') overlap on port 'p1' and neither match contains the other: make the "
	         "matches disjoint, or one strictly inside the other with the same 'from'",
	         "t.yaml:12:32: chain 'e' and chain 'd' (line 11) both take packets matching "
	         "'vlan=200' on port 'p2' and cannot be told apart: give them different matches "
	         "(for example another vlan or dst-port)",
	         "t.yaml:13:32: the two directions of chain 'f' both take packets matching "
	         "'vlan=300' on port 'p2' and cannot be told apart: a bidirectional chain needs "
	         "'from' and 'to' to differ, or a match that differs from its reply's"));
	/* Nested matches with the same ingress, disjoint matches on a shared VNF: fine. */
	struct qv_model *m =
	    load_ok(BASE "  - {name: a, from: p1, match: {vlan: 100}, hops: [fw], to: p2}\n"
	                 "  - {name: b, from: p1, match: {vlan: 100, proto: tcp}, hops: [fw], to: "
	                 "p2}\n"
	                 "  - {name: c, from: p2, match: {vlan: 200}, hops: [fw], to: p1}\n");
	qv_model_free(m);
}

/* A model with one vhost port of `queues` and one VNF of the other values, `ifaces` interfaces. */
static void limits_text(char *buf, size_t len, unsigned queues, unsigned vcpus, unsigned ifaces,
                        unsigned instances, unsigned mtu)
{
	size_t o =
	    (size_t)snprintf(buf, len,
	                     "ports:\n"
	                     "  - {name: a, type: vhost, path: /run/qwikvirt/a.sock, queues: "
	                     "%u, mtu: %u}\n"
	                     "vnfs:\n"
	                     "  - {name: fw, image: /i.qcow2, vcpus: %u, instances: %u, "
	                     "interfaces: [",
	                     queues, mtu, vcpus, instances);
	for (unsigned i = 0; i < ifaces; i++)
		o += (size_t)snprintf(buf + o, len - o, "%si%u", i ? ", " : "", i);
	snprintf(buf + o, len - o, "]}\n");
}

/* Loads text: 0 when valid; else whether one error names key and the range 1..limit. */
static int limit_refused(const char *text, const char *key, unsigned limit)
{
	struct qv_diags d;
	struct qv_model *m = NULL;
	char range[32], quoted[40];
	int rc;

	snprintf(range, sizeof(range), "1..%u", limit);
	snprintf(quoted, sizeof(quoted), "'%s'", key);
	qv_diags_init(&d);
	rc = qv_model_load_buffer("t.yaml", text, strlen(text), &m, &d);
	if (rc == 0) {
		qv_model_free(m);
		qv_diags_free(&d);
		return 0;
	}
	rc = -1;
	for (size_t i = 0; i < d.n; i++) {
		if (strstr(d.v[i].text, quoted) && strstr(d.v[i].text, range))
			rc = 1;
		else
			fprintf(stderr, "\n  other error: %s", d.v[i].text);
	}
	qv_diags_free(&d);
	return rc;
}

/* The loader's limits are the switch's and the VM layer's (include/qv/limits.h): the limit
 * itself is accepted, one more is refused naming the limit. */
static void test_limits(void)
{
	const unsigned q = QV_LIMIT_QUEUES, v = QV_LIMIT_VM_VCPUS, f = QV_LIMIT_VM_IFACES,
	               n = QV_LIMIT_VNF_INSTANCES;
	char text[1024];

	CU_ASSERT_EQUAL(QV_MODEL_MAX_QUEUES, QV_LIMIT_QUEUES);
	CU_ASSERT_EQUAL(QV_MODEL_MAX_MTU, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(QV_MODEL_MAX_INSTANCES, QV_MAX_ACTIONS);
	limits_text(text, sizeof(text), q, v, f, n, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(limit_refused(text, "queues", q), 0);
	limits_text(text, sizeof(text), q + 1, v, f, n, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(limit_refused(text, "queues", q), 1);
	limits_text(text, sizeof(text), q, v + 1, f, n, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(limit_refused(text, "vcpus", v), 1);
	limits_text(text, sizeof(text), q, v, f + 1, n, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(limit_refused(text, "interfaces", f), 1);
	limits_text(text, sizeof(text), q, v, f, n + 1, QV_LIMIT_MTU);
	CU_ASSERT_EQUAL(limit_refused(text, "instances", n), 1);
	limits_text(text, sizeof(text), q, v, f, n, QV_LIMIT_MTU + 1);
	CU_ASSERT_EQUAL(limit_refused(text, "mtu", QV_LIMIT_MTU), -1); /* "68..9194" */
}

/* Every error of a file in one pass, from a fixture file. */
static void test_err_many_from_file(void)
{
	char path[512];
	struct qv_diags d;
	struct qv_model *m;

	snprintf(path, sizeof(path), "%s/tests/data/yaml/many-errors.yaml", QV_SOURCE_ROOT);
	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_file(path, &m, &d), -1);
	CU_ASSERT_PTR_NULL(m);
	static const char *const want[] = {
	    ":7:13: bad 'queues' in port 'uplink0': found 'two', expected a number 1..8",
	    ":12:13: bad 'memory' in VNF 'fw': found '1GB', expected a size with a unit, such as "
	    "512MiB or 2GiB (units: KiB, MiB, GiB, TiB)",
	    ":19:9: unknown VNF 'router' in hop 2 of chain 'web' (declared: fw)",
	    ":20:5: unknown key 'bidirectionnal' in chain 'web' (expected one of: name, from, "
	    "match, "
	    "hops, to, bidirectional)",
	    ":21:9: unknown port 'uplink2' in 'to' of chain 'web' (declared: uplink0, uplink1)",
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	CU_ASSERT_EQUAL(d.n, n);
	for (size_t i = 0; i < n && i < d.n; i++) {
		bool ok = strncmp(d.v[i].text, path, strlen(path)) == 0 &&
		          strcmp(d.v[i].text + strlen(path), want[i]) == 0;
		if (!ok)
			fprintf(stderr, "\n  got    %s\n  wanted %s%s\n", d.v[i].text, path,
			        want[i]);
		CU_ASSERT_TRUE(ok);
	}
	qv_diags_free(&d);

	qv_diags_init(&d);
	CU_ASSERT_EQUAL(qv_model_load_file("/nonexistent/x.yaml", &m, &d), -1);
	CU_ASSERT_EQUAL(d.n, 1);
	if (d.n)
		CU_ASSERT_STRING_EQUAL(
		    d.v[0].text, "/nonexistent/x.yaml: cannot open: No such file or directory");
	qv_diags_free(&d);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"valid model", test_valid_model},
	    {"valid small files", test_valid_small},
	    {"configs/ examples", test_examples},
	    {"units", test_units},
	    {"rate and burst units", test_rate_units},
	    {"bandwidth", test_bandwidth},
	    {"errors: bandwidth", test_err_bandwidth},
	    {"errors: document", test_err_document},
	    {"errors: alias bomb", test_err_alias_bomb},
	    {"errors: switch", test_err_switch},
	    {"errors: ports", test_err_ports},
	    {"errors: vnfs", test_err_vnfs},
	    {"VFs: settings, handed to VNFs", test_vfs},
	    {"mtu on ports and VNFs", test_mtu},
	    {"vring-stats on vhost ports and VNFs", test_vring_stats},
	    {"errors: chain keys", test_err_chain_keys},
	    {"errors: references", test_err_references},
	    {"errors: hops", test_err_hops},
	    {"errors: match", test_err_match},
	    {"errors: conflicts", test_err_conflicts},
	    {"errors: many in one file", test_err_many_from_file},
	    {"limits: the switch's and the VM layer's", test_limits},
	};

	return QV_UNIT_RUN("yaml_load", tests);
}
