/* qwikvirt: qvctl's policer options (port set --police / --egress-police): the text
 * RATE[,BURST[,PEAK[,PEAK-BURST]]] into port.police parameters, and the line show ports
 * prints for a policed port. */
#include <stdio.h>
#include <string.h>

#include "control/qvctl/qvctl.h"
#include "control/units.h"

json_t *police_params(const char *port, const char *dir, const char *spec, char *err, size_t len)
{
	char buf[128], *field[4] = {NULL}, *save = NULL;
	uint64_t v[4] = {0};
	bool pk[4] = {false};
	int n = 0;

	if (strcmp(spec, "off") == 0)
		return json_pack("{s:s,s:s,s:b}", "name", port, "dir", dir, "off", 1);
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, len, "'%s' is too long", spec);
		return NULL;
	}
	strcpy(buf, spec);
	for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (n == 4) {
			snprintf(err, len, "'%s': at most RATE,BURST,PEAK,PEAK-BURST", spec);
			return NULL;
		}
		field[n++] = f;
	}
	for (int i = 0; i < n; i++) {
		bool rate = i % 2 == 0;

		if (!(rate ? qv_parse_rate(field[i], &v[i], &pk[i])
		           : qv_parse_burst(field[i], &v[i], &pk[i]))) {
			snprintf(err, len, "'%s' is not %s", field[i],
			         rate ? QV_RATE_EXPECT : QV_BURST_EXPECT);
			return NULL;
		}
		if (pk[i] != pk[0]) {
			snprintf(err, len,
			         "'%s': mixes packets and bits (a packets/s rate takes a burst in "
			         "pkt, a bit rate a burst in bytes)",
			         spec);
			return NULL;
		}
	}
	if (n == 0) {
		snprintf(err, len, "a policer needs RATE[,BURST] or off");
		return NULL;
	}
	json_t *p =
	    json_pack("{s:s,s:s,s:I,s:s,s:s}", "name", port, "dir", dir, "rate", (json_int_t)v[0],
	              "unit", pk[0] ? "packet" : "bit", "mode", n > 2 ? "trtcm" : "srtcm");
	if (n > 1)
		json_object_set_new(p, "burst", json_integer((json_int_t)v[1]));
	if (n > 2)
		json_object_set_new(p, "peak_rate", json_integer((json_int_t)v[2]));
	if (n > 3)
		json_object_set_new(p, "peak_burst", json_integer((json_int_t)v[3]));
	return p;
}

void police_line(struct table *t, const json_t *port)
{
	const json_t *police = json_object_get(port, "police");
	const char *dir;
	json_t *pl;

	json_object_foreach((json_t *)police, dir, pl)
	{
		bool pkts =
		    strcmp(json_string_value(json_object_get(pl, "unit")) ?: "", "packet") == 0;
		char rate[32], peak[96] = "";
		long long burst = jint(pl, "burst");

		qv_format_rate((uint64_t)jint(pl, "rate"), pkts, rate, sizeof(rate));
		if (json_object_get(pl, "peak_rate")) {
			char pr[32];

			qv_format_rate((uint64_t)jint(pl, "peak_rate"), pkts, pr, sizeof(pr));
			snprintf(peak, sizeof(peak), ", peak %s burst %lld%s", pr,
			         jint(pl, "peak_burst"), pkts ? "pkt" : "B");
		}
		table_line(t, "    police %s %s burst %lld%s%s: %lld policed", dir, rate, burst,
		           pkts ? "pkt" : "B", peak, jint(pl, "policed"));
	}
}
