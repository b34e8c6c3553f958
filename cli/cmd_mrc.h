/* cmd_mrc.h - `fluxosim mrc`: the exact LRU miss-ratio curve of one cache
 * of an architecture over a trace, at many capacities in one pass.
 *
 *   fluxosim mrc TRACE --arch FILE --cache ID [--sizes LIST] [--sample RATE]
 *                [-o FILE.csv]
 *
 * The cache's lookups are keyed and sized as in a replay (traces/mrc.h).
 * Output: CSV, capacity_bytes,requests,hits,misses,hit_ratio,byte_hit_ratio.
 */
#ifndef FX_CLI_CMD_MRC_H
#define FX_CLI_CMD_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "cli/opts.h"
#include "traces/mrc.h"

/* Capacities of the default curve: log-spaced from the smallest object to
 * the working set. */
#define FX_MRC_DEFAULT_POINTS 64

/* Most capacities --sizes may list. */
#define FX_MRC_SIZES_MAX FX_MRC_CAPS_MAX

int fx_cmd_mrc(int argc, char **argv);

/* "fluxosim mrc TRACE --arch FILE --cache ID [OPTIONS]", for the table. */
extern const char fx_mrc_usage[];
extern const char fx_mrc_description[];
extern const fx_opt fx_mrc_options[];

/* Parse LIST ("64k,1M,1500000,2Gi": decimal byte counts, each >= 1 and at
 * most 2^62, with an optional suffix k, M, G, T (powers of 1000) or Ki, Mi,
 * Gi, Ti (powers of 1024); a fraction only with a suffix, and the product
 * must be a whole number) into OUT[0..*N), at most MAX entries. Returns 0,
 * or -1 with a message "expected ..., found ..." in ERR. */
int fx_mrc_parse_sizes(const char *list, uint64_t *out, size_t max, size_t *n, char *err,
                       size_t errlen);

#endif
