/* qwikvirt: unit tests of qv-exporter's pure parts: the Prometheus text format (names, label
 * and HELP escaping, values), the JSON-to-metrics mapping on canned answers, HTTP parsing. */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "control/exporter/collect.h"
#include "control/exporter/http.h"
#include "control/exporter/metrics.h"
#include "tests/unit/qv_unit.h"

static void test_names(void)
{
	CU_ASSERT_TRUE(qv_metric_name_valid("qv_port_rx_packets_total"));
	CU_ASSERT_TRUE(qv_metric_name_valid("ns:sub_metric"));
	CU_ASSERT_FALSE(qv_metric_name_valid(""));
	CU_ASSERT_FALSE(qv_metric_name_valid("9lives"));
	CU_ASSERT_FALSE(qv_metric_name_valid("qv-port"));
	CU_ASSERT_FALSE(qv_metric_name_valid("qv port"));
	CU_ASSERT_TRUE(qv_label_name_valid("reason"));
	CU_ASSERT_TRUE(qv_label_name_valid("_x1"));
	CU_ASSERT_FALSE(qv_label_name_valid("a:b"));
	CU_ASSERT_FALSE(qv_label_name_valid("__name__"));
	CU_ASSERT_FALSE(qv_label_name_valid("1a"));
}

static void test_counter_needs_total(void)
{
	struct qv_metrics m;

	qv_metrics_init(&m);
	qv_metrics_family(&m, "qv_port_rx_packets", QV_METRIC_COUNTER, "x");
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	CU_ASSERT_PTR_NOT_NULL(strstr(qv_metrics_error(&m), "_total"));
	qv_metrics_free(&m);

	qv_metrics_init(&m);
	qv_metrics_family(&m, "qv_up_total", QV_METRIC_GAUGE, "x");
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);

	qv_metrics_init(&m);
	qv_metrics_family(&m, "qv-bad", QV_METRIC_GAUGE, "x");
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);
}

static void test_family_once_and_sample_after(void)
{
	struct qv_metrics m;

	qv_metrics_init(&m);
	qv_metrics_sample(&m, NULL, 1); /* no family yet */
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);

	qv_metrics_init(&m);
	qv_metrics_family(&m, "a", QV_METRIC_GAUGE, "first");
	qv_metrics_family(&m, "b", QV_METRIC_GAUGE, "second");
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	qv_metrics_family(&m, "a", QV_METRIC_GAUGE, "again");
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);

	qv_metrics_init(&m);
	qv_metrics_family(&m, "c_total", QV_METRIC_COUNTER, "c");
	qv_metrics_sample(&m, NULL, -1);
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);

	qv_metrics_init(&m);
	qv_metrics_family(&m, "c_total", QV_METRIC_COUNTER, "c");
	qv_metrics_sample(&m, (struct qv_label[]){{"bad-label", "x"}, {NULL, NULL}}, 1);
	CU_ASSERT_PTR_NOT_NULL(qv_metrics_error(&m));
	qv_metrics_free(&m);
}

static void test_format_exact(void)
{
	struct qv_metrics m;
	struct qv_label l[] = {{"port", "vhost0"}, {"reason", "no-match"}, {NULL, NULL}};

	qv_metrics_init(&m);
	qv_metrics_family(&m, "qv_port_drops_total", QV_METRIC_COUNTER, "Dropped.");
	qv_metrics_sample(&m, l, 7);
	qv_metrics_sample(&m, NULL, 18446744073709551615.0);
	qv_metrics_family(&m, "qv_g", QV_METRIC_GAUGE, "A gauge.");
	qv_metrics_sample(&m, NULL, 0.25);
	qv_metrics_sample(&m, NULL, 0.144);
	qv_metrics_sample(&m, NULL, 1.0 / 3);
	qv_metrics_sample(&m, NULL, NAN);
	qv_metrics_sample(&m, NULL, INFINITY);
	qv_metrics_sample(&m, NULL, -INFINITY);
	qv_metrics_sample(&m, NULL, -3);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	CU_ASSERT_STRING_EQUAL(m.buf, "# HELP qv_port_drops_total Dropped.\n"
	                              "# TYPE qv_port_drops_total counter\n"
	                              "qv_port_drops_total{port=\"vhost0\",reason=\"no-match\"} 7\n"
	                              "qv_port_drops_total 1.8446744073709552e+19\n"
	                              "# HELP qv_g A gauge.\n"
	                              "# TYPE qv_g gauge\n"
	                              "qv_g 0.25\n"
	                              "qv_g 0.144\n"
	                              "qv_g 0.3333333333333333\n"
	                              "qv_g NaN\n"
	                              "qv_g +Inf\n"
	                              "qv_g -Inf\n"
	                              "qv_g -3\n");
	qv_metrics_free(&m);
}

static void test_escaping(void)
{
	struct qv_metrics m;
	struct qv_label l[] = {{"rule", "a\"b\\c\nd,e=f"}, {"empty", NULL}, {NULL, NULL}};

	qv_metrics_init(&m);
	qv_metrics_family(&m, "qv_x", QV_METRIC_GAUGE, "Help with \\ and\nnewline and \"quotes\".");
	qv_metrics_sample(&m, l, 1);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	/* HELP escapes backslash and newline only; label values also the double quote */
	CU_ASSERT_STRING_EQUAL(m.buf, "# HELP qv_x Help with \\\\ and\\nnewline and \"quotes\".\n"
	                              "# TYPE qv_x gauge\n"
	                              "qv_x{rule=\"a\\\"b\\\\c\\nd,e=f\",empty=\"\"} 1\n");
	qv_metrics_free(&m);
}

/* every line of text that starts with prefix, joined with '\n' */
static void lines_with(const char *text, const char *prefix, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *l = text; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t k = e ? (size_t)(e - l) : strlen(l);

		if (strncmp(l, prefix, strlen(prefix)) == 0 && n + k + 2 < len) {
			memcpy(out + n, l, k);
			n += k;
			out[n++] = '\n';
			out[n] = '\0';
		}
		l = e ? e + 1 : NULL;
	}
}

static void test_switch_mapping(void)
{
	json_error_t je;
	json_t *stats = json_loads(
	    "{\"ports\": [{\"name\": \"a\", \"index\": 0, \"type\": \"vhost\", \"state\": \"up\","
	    "  \"admin\": \"up\", \"numa\": 0, \"default\": \"drop\", \"rx_packets\": 47,"
	    "  \"rx_bytes\": 3008, \"tx_packets\": 0, \"tx_bytes\": 0,"
	    "  \"drops\": {\"no-match\": 7, \"loop\": 0}},"
	    " {\"name\": \"b\", \"index\": 1, \"type\": \"vhost\", \"state\": \"down\","
	    "  \"admin\": \"down\", \"numa\": 0, \"default\": \"l2\", \"rx_packets\": 0,"
	    "  \"rx_bytes\": 0, \"tx_packets\": 40, \"tx_bytes\": 2560,"
	    "  \"drops\": {\"no-match\": 0, \"loop\": 0}}],"
	    " \"drops\": {\"no-match\": 7, \"loop\": 0},"
	    " \"pmds\": [{\"core\": 1, \"numa\": 0, \"busy_cycles\": 1000, \"idle_cycles\": 9000,"
	    "  \"busy_pct\": 10.0, \"packets\": 47, \"cycles_per_packet\": 21.25,"
	    "  \"tsc_hz\": 2000000000, \"lookups\": {\"same_key\": 30, \"emc_hit\": 10,"
	    "  \"classifier\": 7}, \"rxqs\": [{\"port\": \"a\", \"queue\": 0, \"packets\": 47,"
	    "  \"busy_cycles\": 900, \"cycles_per_packet\": 19.1}]}]}",
	    0, &je);
	json_t *flows = json_loads("{\"flows\": [{\"id\": 1, \"priority\": 100, \"text\": "
	                           "\"in=a,proto=udp actions=output:b\", \"hits\": 40}]}",
	                           0, &je);
	struct qv_metrics m;
	char got[2048];

	CU_ASSERT_PTR_NOT_NULL_FATAL(stats);
	CU_ASSERT_PTR_NOT_NULL_FATAL(flows);
	qv_metrics_init(&m);
	qv_export_switch(&m, stats, flows);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	lines_with(m.buf, "qv_port_rx_packets_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_port_rx_packets_total{port=\"a\"} 47\n"
	                            "qv_port_rx_packets_total{port=\"b\"} 0\n");
	lines_with(m.buf, "qv_port_drops_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_port_drops_total{port=\"a\",reason=\"no-match\"} 7\n"
	                            "qv_port_drops_total{port=\"a\",reason=\"loop\"} 0\n"
	                            "qv_port_drops_total{port=\"b\",reason=\"no-match\"} 0\n"
	                            "qv_port_drops_total{port=\"b\",reason=\"loop\"} 0\n");
	lines_with(m.buf, "qv_port_up", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_port_up{port=\"a\"} 1\nqv_port_up{port=\"b\"} 0\n");
	lines_with(m.buf, "qv_port_info", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(
	    got, "qv_port_info{port=\"a\",type=\"vhost\",numa=\"0\",default=\"drop\"} 1\n"
	         "qv_port_info{port=\"b\",type=\"vhost\",numa=\"0\",default=\"l2\"} 1\n");
	lines_with(m.buf, "qv_drops_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_drops_total{reason=\"no-match\"} 7\n"
	                            "qv_drops_total{reason=\"loop\"} 0\n");
	lines_with(m.buf, "qv_pmd_", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got,
	                       "qv_pmd_busy_cycles_total{core=\"1\"} 1000\n"
	                       "qv_pmd_idle_cycles_total{core=\"1\"} 9000\n"
	                       "qv_pmd_packets_total{core=\"1\"} 47\n"
	                       "qv_pmd_cycles_per_packet{core=\"1\"} 21.25\n"
	                       "qv_pmd_tsc_hertz{core=\"1\"} 2000000000\n"
	                       "qv_pmd_lookups_total{core=\"1\",how=\"same_key\"} 30\n"
	                       "qv_pmd_lookups_total{core=\"1\",how=\"emc_hit\"} 10\n"
	                       "qv_pmd_lookups_total{core=\"1\",how=\"classifier\"} 7\n"
	                       "qv_pmd_rxq_packets_total{core=\"1\",port=\"a\",queue=\"0\"} 47\n"
	                       "qv_pmd_rxq_busy_cycles_total{core=\"1\",port=\"a\",queue=\"0\"} "
	                       "900\n");
	lines_with(m.buf, "qv_rule_hits_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(
	    got, "qv_rule_hits_total{id=\"1\",rule=\"in=a,proto=udp actions=output:b\"} 40\n");
	/* every family has its HELP and TYPE */
	CU_ASSERT_PTR_NOT_NULL(strstr(m.buf, "# TYPE qv_port_drops_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m.buf, "# TYPE qv_pmd_cycles_per_packet gauge\n"));
	qv_metrics_free(&m);

	/* a switch that answered stats.get but not flow.list: no rule family, nothing broken */
	qv_metrics_init(&m);
	qv_export_switch(&m, stats, NULL);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	CU_ASSERT_PTR_NULL(strstr(m.buf, "qv_rule_hits_total"));
	qv_metrics_free(&m);
	json_decref(stats);
	json_decref(flows);
}

static void test_controld_mapping(void)
{
	json_error_t je;
	json_t *chains = json_loads(
	    "{\"chains\": [{\"name\": \"web\", \"from\": \"up\", \"to\": \"lan\", \"hits\": 12,"
	    "  \"rules\": [{\"text\": \"r1\", \"hits\": 5}, {\"text\": \"r2\", \"hits\": 7}],"
	    "  \"hops\": [{\"hop\": \"up\", \"kind\": \"port\", \"ports\": [{\"port\": \"up\","
	    "  \"state\": \"up\"}]}, {\"hop\": \"fw\", \"kind\": \"vnf\", \"ports\": [{\"port\":"
	    "  \"fw-0-in\", \"state\": \"missing\"}]}]}], \"file\": \"svc.yaml\"}",
	    0, &je);
	json_t *vms = json_loads("{\"vms\": [{\"name\": \"qv-fw-0\", \"state\": \"running\", "
	                         "\"vcpus\": 2, \"memory_mib\": 1024}]}",
	                         0, &je);
	struct qv_metrics m;
	char got[2048];

	CU_ASSERT_PTR_NOT_NULL_FATAL(chains);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vms);
	qv_metrics_init(&m);
	qv_export_controld(&m, chains, vms);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	lines_with(m.buf, "qv_chain_", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got,
	                       "qv_chain_hits_total{chain=\"web\"} 12\n"
	                       "qv_chain_rules{chain=\"web\"} 2\n"
	                       "qv_chain_port_up{chain=\"web\",hop=\"up\",port=\"up\"} 1\n"
	                       "qv_chain_port_up{chain=\"web\",hop=\"fw\",port=\"fw-0-in\"} 0\n");
	lines_with(m.buf, "qv_vm_state{vm=\"qv-fw-0\",state=\"running\"}", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_vm_state{vm=\"qv-fw-0\",state=\"running\"} 1\n");
	lines_with(m.buf, "qv_vm_state{vm=\"qv-fw-0\",state=\"shutoff\"}", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_vm_state{vm=\"qv-fw-0\",state=\"shutoff\"} 0\n");
	lines_with(m.buf, "qv_vm_memory_bytes", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_vm_memory_bytes{vm=\"qv-fw-0\"} 1073741824\n");
	qv_metrics_free(&m);
	json_decref(chains);
	json_decref(vms);
}

/* vm.list's CPU times (nanoseconds) become per-VM counters in seconds, with their TYPE; a VM
 * whose listing lacks a figure has no sample rather than a made-up 0. */
static void test_vm_cpu_time(void)
{
	json_error_t je;
	json_t *vms = json_loads(
	    "{\"vms\": [{\"name\": \"qv-fw-0\", \"state\": \"running\", \"cpu_time_ns\": "
	    "12500000000, \"vcpu_time_ns\": 3000000000}, {\"name\": \"qv-fw-1\", \"state\": "
	    "\"shutoff\", \"cpu_time_ns\": 0}, {\"name\": \"qv-fw-2\", \"state\": \"unknown\", "
	    "\"error\": \"libvirt did not answer\"}]}",
	    0, &je);
	struct qv_metrics m;
	char got[2048];

	CU_ASSERT_PTR_NOT_NULL_FATAL(vms);
	qv_metrics_init(&m);
	qv_export_controld(&m, NULL, vms);
	CU_ASSERT_PTR_NULL(qv_metrics_error(&m));
	lines_with(m.buf, "qv_vm_cpu_seconds_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_vm_cpu_seconds_total{vm=\"qv-fw-0\"} 12.5\n"
	                            "qv_vm_cpu_seconds_total{vm=\"qv-fw-1\"} 0\n");
	lines_with(m.buf, "qv_vm_vcpu_seconds_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "qv_vm_vcpu_seconds_total{vm=\"qv-fw-0\"} 3\n");
	lines_with(m.buf, "# TYPE qv_vm_cpu_seconds_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "# TYPE qv_vm_cpu_seconds_total counter\n");
	lines_with(m.buf, "# TYPE qv_vm_vcpu_seconds_total", got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "# TYPE qv_vm_vcpu_seconds_total counter\n");
	qv_metrics_free(&m);
	json_decref(vms);
}

/* A dead switch: qv_up{daemon="switchd"} 0 and no switch families, and no error. */
static void test_collect_switch_down(void)
{
	struct qv_collect_conf conf = {"/nonexistent/qv-exporter-test.sock", NULL, 100};
	struct qv_collect_status st;
	struct qv_metrics m;

	qv_metrics_init(&m);
	CU_ASSERT_EQUAL(qv_collect(&conf, &m, &st), 0);
	CU_ASSERT_FALSE(st.sw.up);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.sw.err, "/nonexistent/qv-exporter-test.sock"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m.buf, "\nqv_up{daemon=\"switchd\"} 0\n"));
	CU_ASSERT_PTR_NULL(strstr(m.buf, "controld"));
	CU_ASSERT_PTR_NULL(strstr(m.buf, "qv_port_"));
	qv_metrics_free(&m);
}

static int parse(const char *s, struct qv_http_request *r)
{
	return qv_http_parse(s, strlen(s), r);
}

static void test_http_parse(void)
{
	struct qv_http_request r;

	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.method, "GET");
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT_EQUAL(parse("HEAD /metrics?x=1 HTTP/1.0\n\n", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.method, "HEAD");
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT_EQUAL(parse("POST /metrics HTTP/1.1\r\n\r\n", &r), 1); /* parsed; 405 later */
	CU_ASSERT_STRING_EQUAL(r.method, "POST");
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n", &r), 0); /* incomplete */
	CU_ASSERT_EQUAL(parse("GET /metrics", &r), 0);
	CU_ASSERT_EQUAL(parse("GET /metrics\r\n\r\n", &r), -1);           /* HTTP/0.9 */
	CU_ASSERT_EQUAL(parse("GET /metrics HTTP/2.0\r\n\r\n", &r), -1);  /* not 1.x */
	CU_ASSERT_EQUAL(parse("get /metrics HTTP/1.1\r\n\r\n", &r), -1);  /* methods are upper */
	CU_ASSERT_EQUAL(parse("GET  /metrics HTTP/1.1\r\n\r\n", &r), -1); /* empty target */
	CU_ASSERT_EQUAL(parse("\r\n\r\n", &r), -1);
	CU_ASSERT_EQUAL(parse("GET /a\x01 HTTP/1.1\r\n\r\n", &r), -1);
}

static void test_listen_parse(void)
{
	struct qv_listen l;
	char err[256];

	CU_ASSERT_EQUAL(qv_listen_parse("127.0.0.1:9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse(":9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(l.loopback); /* no host means loopback, not every address */
	CU_ASSERT_EQUAL(qv_listen_parse("9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse("localhost:0", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse("[::1]:9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse("0.0.0.0:9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse("[::]:9482", &l, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(l.loopback);
	CU_ASSERT_EQUAL(qv_listen_parse("example.com:9482", &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an IP address"));
	CU_ASSERT_EQUAL(qv_listen_parse("::1:9482", &l, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "brackets"));
	CU_ASSERT_EQUAL(qv_listen_parse("127.0.0.1:65536", &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(qv_listen_parse("127.0.0.1:", &l, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(qv_listen_parse("", &l, err, sizeof(err)), -1);
}

/* A non-loopback address is refused unless --listen named it. */
static void test_open_refuses_implicit_non_loopback(void)
{
	struct qv_listen l;
	struct qv_http_server s = {.fd = -1};
	char err[256];

	CU_ASSERT_EQUAL_FATAL(qv_listen_parse("0.0.0.0:0", &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(qv_http_open(&s, &l, false, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a loopback address"));
	CU_ASSERT_EQUAL(s.fd, -1);
	CU_ASSERT_EQUAL_FATAL(qv_listen_parse("127.0.0.1:0", &l, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(qv_http_open(&s, &l, false, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(strstr(s.addr, ":0")); /* the real port is reported */
	qv_http_close(&s);
}

int main(void)
{
	static const struct qv_unit_test tests[] = {
	    {"metric and label names", test_names},
	    {"counters are *_total, gauges are not", test_counter_needs_total},
	    {"a family once, samples after it, no negative counter",
	     test_family_once_and_sample_after},
	    {"exact text of samples and values", test_format_exact},
	    {"label value and HELP escaping", test_escaping},
	    {"switch JSON to families", test_switch_mapping},
	    {"controld JSON to families", test_controld_mapping},
	    {"VM CPU time counters in seconds", test_vm_cpu_time},
	    {"switch down is qv_up 0", test_collect_switch_down},
	    {"HTTP request parsing", test_http_parse},
	    {"--listen parsing", test_listen_parse},
	    {"implicit non-loopback refused", test_open_refuses_implicit_non_loopback},
	};

	return QV_UNIT_RUN("exporter", tests);
}
