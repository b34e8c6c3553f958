/* result.h - the result document of a replay, as JSON, a table or CSV.
 *
 * The JSON keys are pinned (other tools read them): arch, trace, requests,
 * completed, failed, dropped, latency_ms.{mean,p50,p90,p95,p99,p999,max},
 * latency_hist (the histogram's non-empty buckets [lo, hi, count] in ms),
 * throughput_rps, cost_per_hour, stale_responses, pools[].{id, servers,
 * utilization, mean_queue, mean_wait_ms}, caches[].{id, hits, misses,
 * hit_ratio, evictions, stale_hits}, sim.{events, wall_s, events_per_s,
 * seed}. Numbers are printed with enough digits to round-trip, so two runs
 * with the same seed give identical documents apart from sim.wall_s and
 * sim.events_per_s.
 *
 * Each function returns a malloc'd NUL-terminated text the caller frees, or
 * NULL when out of memory.
 */
#ifndef FX_RESULT_H
#define FX_RESULT_H

#include "models/replay.h"

char *fx_result_json(const fx_replay_result *res, const char *arch, const char *trace);
char *fx_result_table(const fx_replay_result *res, const char *arch, const char *trace);

/* CSV: a header line (when HEADER) and one row. */
char *fx_result_csv(const fx_replay_result *res, const char *arch, const char *trace, int header);

#endif
