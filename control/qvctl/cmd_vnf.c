/* qwikvirt: qvctl's VNF commands (qv-controld): `vnf scale NAME N` runs N instances of a
 * scaling VNF now, as an automatic decision would (more: started; fewer: drained first). */
#include <stdio.h>
#include <string.h>

#include "control/qvctl/qvctl.h"

int cmd_vnf(int argc, char **argv)
{
	unsigned long n;
	json_t *result;
	int rc;

	if (argc < 1)
		return usage_error("vnf", "vnf what?");
	if (strcmp(argv[0], "scale") != 0)
		return usage_error("vnf", "unknown vnf command '%s'", argv[0]);
	if (argc != 3)
		return usage_error("vnf scale", "expected a VNF name and a count");
	if (!parse_uint(argv[2], 1, 64, &n))
		return usage_error("vnf scale", "count '%s': expected a number of instances",
		                   argv[2]);
	opt.to_controld = true;
	rc = rpc("scaling.set", json_pack("{s:s, s:i}", "vnf", argv[1], "instances", (int)n),
	         &result);
	if (rc)
		return rc;
	if (!json_out(result)) {
		if (!json_is_true(json_object_get(result, "changed")))
			printf("%s already runs %lu instance(s): nothing to change\n", argv[1], n);
		else if (json_is_true(json_object_get(result, "draining")))
			printf(
			    "%s: scaling in to %lu: the instances above drain (no new flows) and "
			    "are removed when their flows end or the drain deadline passes (qvctl "
			    "show scaling)\n",
			    argv[1], n);
		else
			printf("%s: %lu instance(s)\n", argv[1], n);
	}
	json_decref(result);
	return 0;
}
