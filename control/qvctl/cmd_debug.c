/* qwikvirt: qvctl's debugging commands: capture a port's packets to pcapng, trace what the
 * switch does with the next packets. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/qvctl/qvctl.h"

static int cmd_capture_start(int argc, char **argv)
{
	static const char *const nums[][2] = {
	    {"--snaplen", "snaplen"}, {"--count", "count"}, {"--max-size", "max_size"}};
	const char *key = "capture start";
	bool have_file = false;

	if (argc < 1 || argv[0][0] == '-')
		return usage_error(key, "capture start needs PORT");
	json_t *params = json_pack("{s:s}", "port", argv[0]);
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v = NULL;
		unsigned long n;

		if (strcmp(argv[i], "--rotate") == 0 || strcmp(argv[i], "--force") == 0) {
			json_object_set_new(params, argv[i] + 2, json_true());
			continue;
		}
		if ((v = opt_value(argc, argv, &i, "--file", &missing))) {
			json_object_set_new(params, "file", json_string(v));
			have_file = true;
		} else if (!missing && (v = opt_value(argc, argv, &i, "--dir", &missing))) {
			json_object_set_new(params, "dir", json_string(v));
		} else if (!missing && (v = opt_value(argc, argv, &i, "--filter", &missing))) {
			json_object_set_new(params, "filter", json_string(v));
		} else if (!missing && (v = opt_value(argc, argv, &i, "--duration", &missing))) {
			char *end;
			double d = strtod(v, &end);
			if (*end || end == v || d <= 0) {
				json_decref(params);
				return usage_error(key, "--duration '%s': expected seconds > 0", v);
			}
			json_object_set_new(params, "duration", json_real(d));
		}
		for (size_t k = 0; k < 3 && !v && !missing; k++) {
			v = opt_value(argc, argv, &i, nums[k][0], &missing);
			if (v && !parse_uint(v, 1, 1ul << 40, &n)) {
				json_decref(params);
				return usage_error(key, "%s '%s': expected a positive number",
				                   nums[k][0], v);
			}
			if (v)
				json_object_set_new(params, nums[k][1],
				                    json_integer((json_int_t)n));
		}
		if (missing || !v) {
			json_decref(params);
			return usage_error(
			    key, missing ? "%s needs a value" : "unexpected argument '%s'",
			    argv[i]);
		}
	}
	if (!have_file) {
		json_decref(params);
		return usage_error(key, "--file PATH is required");
	}
	json_t *result;
	int rc = rpc("capture.start", params, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		printf("capture %lld started on %s -> %s\n", jint(result, "id"), argv[0],
		       json_string_value(json_object_get(result, "file")));
	json_decref(result);
	return 0;
}

/* Packets the capture lost: its ring was full, or no buffer to copy into. */
static void fill_capture_drops(struct row *r, int col, const json_t *c, const json_t *ctx)
{
	(void)ctx;
	cell(r, col, "%lld", jint(c, "drops_ring") + jint(c, "drops_nomem"));
}

static void view_captures(const json_t *result)
{
	static const struct column cols[] = {
	    {">ID", "id"},           {"PORT", "port"},
	    {"DIR", "dir"},          {"STATE", "state"},
	    {">PACKETS", "packets"}, {">DROPS", NULL, fill_capture_drops},
	    {"FILE", "file"},        {"FILTER", "filter"},
	    {"END", "end"},          {NULL},
	};
	const json_t *caps = jarray(result, "captures");

	if (caps == NULL || json_array_size(caps) == 0) {
		printf("no captures\n");
		return;
	}
	table_view(caps, "", cols, NULL);
}

int cmd_capture(int argc, char **argv)
{
	if (argc == 0)
		return usage_error("capture", "capture needs start, list or stop");
	if (strcmp(argv[0], "start") == 0)
		return cmd_capture_start(argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0) {
		if (argc > 1)
			return usage_error("capture list", "unexpected argument '%s'", argv[1]);
		return call_and_view("capture.list", view_captures);
	}
	if (strcmp(argv[0], "stop") == 0) {
		unsigned long id;
		if (argc != 2 || !parse_uint(argv[1], 1, UINT32_MAX, &id))
			return usage_error("capture stop", "capture stop needs one capture ID");
		json_t *result;
		int rc = rpc("capture.stop", json_pack("{s:I}", "id", (json_int_t)id), &result);
		if (rc)
			return rc;
		if (!json_out(result))
			printf("capture %lu stopped: %lld packets in %s\n", id,
			       jint(result, "packets"),
			       json_string_value(json_object_get(result, "file")));
		json_decref(result);
		return 0;
	}
	return usage_error("capture", "unknown capture command '%s'", argv[0]);
}

static void print_trace(const json_t *result)
{
	const json_t *rec, *line;
	size_t i, j;

	json_array_foreach(json_object_get(result, "records"), i, rec)
	{
		json_array_foreach(json_object_get(rec, "lines"), j, line)
		    puts(json_is_string(line) ? json_string_value(line) : "-"); /* never NULL */
	}
}

int cmd_trace(int argc, char **argv)
{
	unsigned long count = 10, timeout_s = 10;

	if (argc < 1 || argv[0][0] == '-')
		return usage_error("trace", "trace needs PORT");
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if ((v = opt_value(argc, argv, &i, "--count", &missing))) {
			if (!parse_uint(v, 1, 1024, &count))
				return usage_error("trace", "--count '%s': expected 1..1024", v);
		} else if (!missing && (v = opt_value(argc, argv, &i, "--timeout", &missing))) {
			if (!parse_uint(v, 1, 3600, &timeout_s))
				return usage_error("trace", "--timeout '%s': expected seconds", v);
		} else {
			return usage_error(
			    "trace", missing ? "%s needs a value" : "unexpected argument '%s'",
			    argv[i]);
		}
	}
	json_t *result;
	int rc = rpc("trace.start",
	             json_pack("{s:s, s:I}", "port", argv[0], "count", (json_int_t)count), &result);
	if (rc)
		return rc;
	json_decref(result);
	/* The switch records in the background: poll for the records until a deadline. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = rpc("trace.show", NULL, &result);
		if (rc)
			return rc;
		size_t got = json_array_size(json_object_get(result, "records"));
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (got >= count || now.tv_sec - t0.tv_sec >= (time_t)timeout_s) {
			if (!json_out(result)) {
				print_trace(result);
				if (got < count)
					printf("(%zu of %lu packets arrived on %s within %lu s)\n",
					       got, count, argv[0], timeout_s);
			}
			json_decref(result);
			return 0;
		}
		json_decref(result);
		usleep(100 * 1000);
	}
}
