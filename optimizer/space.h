/* space.h - a search space of architectures (a *.space.json file).
 *
 *   { "base": "cand2.json",
 *     "vars": { "servers": {"forecast": [2, 20]},
 *               "partitions": {"forecast": [1, 2, 4]},
 *               "caches": {"placements": "auto", "pools": ["web"],
 *                          "capacity_bytes": [2000000, 20000000],
 *                          "policies": ["lru", "s3fifo"], "max": 1},
 *               "async_edges": "auto" },
 *     "objective": {"minimize": "cost_per_hour",
 *                   "subject_to": {"latency_ms.p99": 150, "stale_responses": "5%"}} }
 *
 * A candidate is a point: one value index per variable. Variables are
 * servers.POOL (min..max), partitions.POOL (the listed k), for each cache
 * slot cacheS.placement (none or a placement), cacheS.pool,
 * cacheS.capacity_bytes, cacheS.policy and cacheS.ttl_s (when listed), and
 * async.FROM->TO (no or yes). A point becomes an architecture by editing a
 * copy of the base's JSON tree and building it with fx_arch_from_json: the
 * loader's validity rules are the only ones.
 *
 * Canonical form: cache slots are unordered, so they are sorted by
 * placement (empty slots last) and an empty slot's other values are 0. Two
 * points with the same canonical form are the same architecture. A point is
 * valid when its caches are over disjoint subgraphs and each TTL is within
 * its placement's bound: exactly the points the loader accepts, so the
 * functions below generate valid points only.
 *
 * A pool of the base that hosts no nodes (a dedicated cache pool), and a
 * pool object listed in vars.caches.pools, is part of a candidate only
 * while a cache lives on it.
 *
 * Ownership: the space owns everything it returns; points are arrays of
 * fx_space_nvars() uint32_t owned by the caller. A loaded space is never
 * modified, so threads may share it.
 */
#ifndef FX_OPT_SPACE_H
#define FX_OPT_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "models/arch.h"
#include "sim/error.h"
#include "sim/pcg.h"

typedef struct fx_space fx_space; /* opaque */

/* Most cache slots (vars.caches.max) and values of one variable. */
#define FX_SPACE_SLOTS_MAX  16
#define FX_SPACE_VALUES_MAX 100000

/* Load and validate a space file and its base. Errors name the file and
 * the JSON path ("w.space.json: vars.servers.fcache: ..."); errors in the
 * base name the base file. */
fx_status fx_space_load(const char *path, fx_space **out, fx_err *e);

void fx_space_free(fx_space *s);

/* The base architecture file, as resolved from the space file, and the
 * base's architecture. */
const char *fx_space_base_path(const fx_space *s);
const fx_arch *fx_space_base_arch(const fx_space *s);

/* ---- variables ------------------------------------------------------------ */

size_t fx_space_nvars(const fx_space *s);

/* "servers.forecast", "cache1.placement", "async.parse->log". */
const char *fx_space_var_name(const fx_space *s, size_t i);

/* The number of values of variable I (at least 1). */
uint32_t fx_space_var_size(const fx_space *s, size_t i);

/* Whether the values of I are ordered (servers, partitions, capacities,
 * TTLs): a neighbour then moves one step; other variables move to any value. */
int fx_space_var_ordinal(const fx_space *s, size_t i);

/* Value K of variable I as text ("14", "geocode..render", "none", "lru",
 * "yes"), in BUF. */
const char *fx_space_var_text(const fx_space *s, size_t i, uint32_t k, char *buf, size_t len);

/* Whether variable I matters at point X (an empty cache slot's pool does
 * not). */
int fx_space_var_relevant(const fx_space *s, const uint32_t *x, size_t i);

/* What the base file itself says for variable I ("14", "none"), which may
 * lie outside the variable's values. */
const char *fx_space_base_text(const fx_space *s, size_t i);

/* ---- points --------------------------------------------------------------- */

/* Write the base's point into X (each value the nearest one listed).
 * Returns 1 when that point is the base itself, 0 when the base lies
 * outside the space (X is then the nearest valid point). */
int fx_space_base_point(const fx_space *s, uint32_t *x);

/* Put X in canonical form. Returns 1 when it is valid, else 0. */
int fx_space_canonical(const fx_space *s, uint32_t *x);

/* Every neighbour of X (one variable changed: an ordinal one by one step,
 * another to each other value), canonical, valid, distinct and unlike X, in
 * a fixed order, written to OUT (room for fx_space_max_neighbours points).
 * Returns how many. */
size_t fx_space_neighbours(const fx_space *s, const uint32_t *x, uint32_t *out);
size_t fx_space_max_neighbours(const fx_space *s);

/* A neighbour of X drawn uniformly from fx_space_neighbours. Returns 0 when
 * X has none. */
int fx_space_random_neighbour(const fx_space *s, const uint32_t *x, fx_pcg32 *rng, uint32_t *out);

/* A valid point, each variable drawn uniformly (then made canonical;
 * invalid draws are drawn again). Returns 0 when 1000 draws found none. */
int fx_space_random_point(const fx_space *s, fx_pcg32 *rng, uint32_t *out);

/* The number of valid canonical points. Counting stops after about 10^7
 * steps: *EXACT is then 0 and the count a lower bound. */
double fx_space_count(const fx_space *s, int *exact);

/* Every valid canonical point once, in a fixed order. The iterator holds
 * every cache configuration: more than LIMIT of them is FX_ELIMIT. */
typedef struct fx_space_iter fx_space_iter;
fx_status fx_space_iter_alloc(const fx_space *s, uint64_t limit, fx_space_iter **out, fx_err *e);

/* The next point into X: 1, or 0 after the last. */
int fx_space_iter_next(fx_space_iter *it, uint32_t *x);
void fx_space_iter_free(fx_space_iter *it);

/* ---- candidates ----------------------------------------------------------- */

/* Build point X (valid, canonical) as an architecture named NAME, with
 * fx_arch_from_json and the base file's path. Thread-safe. */
fx_status fx_space_arch(const fx_space *s, const uint32_t *x, const char *name, fx_arch **out,
                        fx_err *e);

/* Point X as the text of an architecture file to be written at DEST: the
 * service path and other relative paths are rewritten relative to DEST's
 * folder. The caller frees *TEXT. */
fx_status fx_space_arch_text(const fx_space *s, const uint32_t *x, const char *name,
                             const char *dest, char **text, fx_err *e);

/* ---- objective ------------------------------------------------------------ */

/* The metrics recorded for each candidate: result-document keys such as
 * "cost_per_hour", "latency_ms.p99" or "pools.web.utilization". They are
 * the objective, each constrained key, cost_per_hour, latency_ms.p99 and
 * requests, each once. */
size_t fx_space_nmetrics(const fx_space *s);
const char *fx_space_metric_key(const fx_space *s, size_t i);

/* Indices into the metrics of the objective, cost_per_hour,
 * latency_ms.p99 and requests. */
size_t fx_space_objective(const fx_space *s);
size_t fx_space_metric_cost(const fx_space *s);
size_t fx_space_metric_p99(const fx_space *s);
size_t fx_space_metric_requests(const fx_space *s);

/* The constraints: metric index, bound, and whether the bound is a
 * percentage of the measured requests. */
size_t fx_space_nconstraints(const fx_space *s);
void fx_space_constraint(const fx_space *s, size_t i, size_t *metric, double *bound, int *percent);

/* "minimize cost_per_hour subject to latency_ms.p99 <= 150, stale_responses
 * <= 5% of requests", in BUF. */
const char *fx_space_objective_text(const fx_space *s, char *buf, size_t len);

/* Judge METRICS (fx_space_nmetrics values; NaN for a key the result lacks).
 * Returns 1 when every constraint holds; else 0, with the sum over
 * violated constraints of (value - bound) / max(|bound|, 1) in *VIOLATION
 * and the violated constraints in REASON ("latency_ms.p99 212.4 > 150"). */
int fx_space_judge(const fx_space *s, const double *metrics, double *violation, char *reason,
                   size_t len);

#endif
