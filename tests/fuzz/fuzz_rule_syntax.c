/* qwikvirt: libFuzzer target for the compact flow syntax: qv_rule_parse must never crash, and
 * every rule it accepts must format to text that parses back to the same rule.
 * Not built by meson; build by hand, for example:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -I. \
 *     tests/fuzz/fuzz_rule_syntax.c lib/rule_syntax.c lib/rule_format.c lib/proto.c lib/mac.c -o
 * fuzz_rule_syntax
 *   ./fuzz_rule_syntax -max_total_time=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rule_syntax.h"

static const char *const port_names[] = {"vhost0", "vhost1", NULL, NULL, NULL, "uplink"};
#define N_PORTS (sizeof(port_names) / sizeof(port_names[0]))

static int lookup(const char *name, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < N_PORTS; i++) {
		if (port_names[i] && strcmp(port_names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

static const char *port_name(uint16_t index, void *ctx)
{
	(void)ctx;
	return index < N_PORTS ? port_names[index] : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Slightly past the parser's limit so the "too long" path is reached too. */
	static char text[QV_RULE_TEXT_MAX + 32];
	char err[256], s1[8192], s2[8192];
	struct qv_rule a, b;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	if (qv_rule_parse(text, lookup, NULL, &a, err, sizeof(err)) != 0) {
		/* Every error must say where it is. */
		if (strncmp(err, "column ", 7) != 0)
			abort();
		return 0;
	}
	if (qv_rule_format(&a, port_name, NULL, s1, sizeof(s1)) < 0)
		abort();
	if (qv_rule_parse(s1, lookup, NULL, &b, err, sizeof(err)) != 0) {
		fprintf(stderr, "formatted rule does not parse: \"%s\": %s\n", s1, err);
		abort();
	}
	if (memcmp(&a, &b, sizeof(a)) != 0) {
		fprintf(stderr, "round trip changed the rule: \"%s\"\n", s1);
		abort();
	}
	if (qv_rule_format(&b, port_name, NULL, s2, sizeof(s2)) < 0 || strcmp(s1, s2) != 0)
		abort();
	return 0;
}
