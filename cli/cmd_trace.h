/* cmd_trace.h - `fluxosim trace`: generate synthetic traces, summarise
 * traces and import logs.
 *
 *   fluxosim trace gen --service FILE [--arrivals SPEC] [--keys SPEC]
 *                      [--requests N] [--seed N] [-o FILE]
 *   fluxosim trace gen weather [--workload popular|longtail|storm]
 *                      [--requests N] [--rate R] [--seed N] [--service FILE] [-o FILE]
 *   fluxosim trace stats TRACE [--service FILE] [--format table|json] [--top K] [-o FILE]
 *   fluxosim trace import --format FORMAT INPUT [-o FILE] [--emit-service FILE
 *                      --emit-arch FILE] [--strict] [--quiet] [--window S] [FORMAT options]
 *
 * Each form has its own option table (parsing and errors follow it);
 * fx_trace_options is their union, for `fluxosim help trace`.
 */
#ifndef FX_CLI_CMD_TRACE_H
#define FX_CLI_CMD_TRACE_H

#include "cli/opts.h"

/* The service file `trace gen weather` and `trace stats` use by default,
 * relative to the current directory. */
#define FX_TRACE_DEFAULT_SERVICE "examples/weather/weather.service.json"

int fx_cmd_trace(int argc, char **argv);

extern const char fx_trace_usage[];
extern const char fx_trace_description[];
extern const fx_opt fx_trace_options[];
extern const fx_opt fx_trace_gen_options[];
extern const fx_opt fx_trace_weather_options[];
extern const fx_opt fx_trace_stats_options[];
extern const fx_opt fx_trace_import_options[];

#endif
