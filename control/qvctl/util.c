/* qwikvirt: qvctl's small helpers: the RPC call, JSON results, numbers and options on the
 * command line, reading a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/rpc/rpc.h"
#include "control/qvctl/qvctl.h"
#include "lib/num.h"

/* Strict unsigned number: digits only, fully consumed, within min..max (libqv's rule). */
bool parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (!qv_parse_uint(s, 10, min, max, &v))
		return false;
	*out = (unsigned long)v;
	return true;
}

void print_json(const json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	putchar('\n');
}

/* Calls the switch. Returns 0 with *result (new reference), or the exit status after telling
 * the user what went wrong. params is consumed. */
int rpc(const char *method, json_t *params, json_t **result)
{
	char err[1024] = "";
	int code = 0;

	const char *sock = opt.to_controld ? opt.controld : opt.sock;
	int rc = qv_rpc_call(sock, method, params, opt.timeout_ms, result, &code, err, sizeof(err));
	if (rc == 0)
		return 0;
	if (rc == 1) {
		fprintf(stderr, "qvctl: %s\n", err);
		return EXIT_RPC;
	}
	if (opt.to_controld)
		fprintf(stderr,
		        "qvctl: %s\n"
		        "qvctl: no answer from the control daemon at %s: qv-controld may not be "
		        "running; if it listens elsewhere, use --controld SOCKET (or set "
		        "QV_CONTROLD_SOCK)\n",
		        err[0] ? err : "no answer", sock);
	else
		fprintf(
		    stderr,
		    "qvctl: %s\n"
		    "qvctl: no answer from the switch at %s: qv-switchd may not be running; if it "
		    "listens elsewhere, use --switch SOCKET (or set QV_SWITCH_SOCK)\n",
		    err[0] ? err : "no answer", sock);
	return EXIT_RPC;
}

/* For commands whose only output is a confirmation: with --json the result is printed
 * instead, so that every command's output can be scripted. */
bool json_out(const json_t *result)
{
	if (opt.json)
		print_json(result);
	return opt.json;
}

long long jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	/* a real outside long long's range (or NaN) is undefined behaviour to convert */
	if (json_is_real(v)) {
		double d = json_real_value(v);

		return d >= -9.2e18 && d <= 9.2e18 ? (long long)d : 0;
	}
	return 0;
}

double jreal(const json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}

/* Text of any scalar for a table cell; "-" when the switch did not send the field. */
const char *jtext(const json_t *obj, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

const json_t *jarray(const json_t *result, const char *key)
{
	const json_t *v = json_object_get(result, key);
	return json_is_array(v) ? v : NULL;
}

int call_and_view(const char *method, void (*view)(const json_t *))
{
	json_t *result;
	int rc = rpc(method, NULL, &result);
	if (rc)
		return rc;
	if (!json_out(result))
		view(result);
	json_decref(result);
	return 0;
}

/* Value of an option that takes one: "--opt VALUE" or "--opt=VALUE". Advances *i past it.
 * Returns NULL if argv[*i] is not this option; sets *missing when the value is absent. */
const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	*i += 1;
	return argv[*i];
}

char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}
