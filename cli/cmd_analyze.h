/* cmd_analyze.h - `fluxosim analyze`: a candidate solved as an open
 * queueing network (models/network.h), in one pass over the trace plus
 * milliseconds, optionally beside a replay of the same trace.
 *
 *   fluxosim analyze TRACE --arch FILE [--rate-scale X]
 *                    [--format table|json|csv] [-o FILE] [--compare] [--seed N]
 *
 * The JSON document uses the replay's keys where they mean the same
 * (latency_ms.mean, latency_ms.p99, pools[].utilization, mean_queue,
 * mean_wait_ms, caches[].hit_ratio, cost_per_hour) plus "method":
 * "analytic" and "p99_method". A saturated pool's utilization, mean_queue
 * and mean_wait_ms, and then the latency, are the string "saturated".
 */
#ifndef FX_CLI_CMD_ANALYZE_H
#define FX_CLI_CMD_ANALYZE_H

#include "cli/opts.h"

int fx_cmd_analyze(int argc, char **argv);

/* "fluxosim analyze TRACE --arch FILE [OPTIONS]", for the command table. */
extern const char fx_analyze_usage[];
extern const char fx_analyze_description[];
extern const fx_opt fx_analyze_options[];

#endif
