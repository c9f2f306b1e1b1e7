/* qwikvirt: out-of-line home of the packet parser, which lives inline in parse.h.
 * Compiling the header here catches its warnings even when no fast-path user is built. */
#include "dataplane/parse.h"

/* Bumped when the flow key a given frame produces changes, so cached keys can be invalidated. */
const int qv_parse_abi_version = 1;
