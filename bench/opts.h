/* qv-bench options: the text of --help and the parser of the arguments after "--". */
#ifndef QV_BENCH_OPTS_H
#define QV_BENCH_OPTS_H

#include <stdio.h>

#include "bench.h"

void opts_usage(FILE *f);

/* Parses the application arguments (argv[0] is the program name). Returns 0, or -1 with a
 * message for a person in err. Port masks that depend on the port count are resolved later by
 * opts_resolve_ports. */
int opts_parse(int argc, char **argv, struct bench_opts *o, char *err, size_t errlen);

/* Fills default tx/rx port sets for the mode once the number of ports is known. */
int opts_resolve_ports(struct bench_opts *o, unsigned int nports, char *err, size_t errlen);

const char *opts_mode_name(enum bench_mode m);

/* "1.5M", "200k", "3000000" or "max" (0) -> packets/s. Returns 0 or -1. */
int opts_parse_rate(const char *s, double *pps);

#endif
