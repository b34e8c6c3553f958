/* sweep.h - batch parameter sweeps: many replays of one base candidate, in
 * parallel, written as CSV rows in a fixed order.
 *
 * A sweep file (*.sweep.json, see doc/sweep.part.md) names a base candidate,
 * the workloads (traces) and a grid of parameters:
 *
 *   { "arch": "cand2.json",
 *     "traces": {"popular": "weather.trace", "longtail": ["lt1.trace", "lt2.trace"]},
 *     "grid": {"pools.forecast.servers": [8, 12], "rate_scale": [0.5, 1, 2]},
 *     "replications": 3, "seed": 1,
 *     "metrics": ["latency_ms.p99", "pools.forecast.utilization"] }
 *
 * A parameter is a key of a pool ("pools.ID.KEY"), of a cache
 * ("caches.ID.KEY") or of the network ("network.KEY"), whose values are put
 * into a copy of the base candidate's JSON before the architecture loader
 * reads it (so the loader checks them, with its own messages), or a replay
 * option: "rate_scale" (> 0) or "warmup" (seconds, >= 0). The id of a pool or
 * cache cannot be swept.
 *
 * Points: the cross product of the workloads and every parameter's values.
 * Point i is numbered from 0 as nested loops: the workloads (in the order
 * of "traces") outermost, then the parameters in the order of "grid", the
 * last one varying fastest.
 *
 * Runs: each point replays each trace of its workload once per replication
 * (R replications of K traces: R x K runs). Replication r (from 0) uses the
 * seed "seed" + r, the same at every point, so that points are compared
 * under common random numbers; replication 0 with seed S is exactly
 * `fluxosim replay --seed S`. The row holds, per metric, the mean over the
 * runs and the half-width of its 95% confidence interval: t(0.975, n-1) s /
 * sqrt(n) with Student's t, s the sample standard deviation, n = R x K; it is
 * empty when n = 1.
 *
 * Rows: "workload,PARAM...,METRIC,METRIC_ci95,...": numbers are written as
 * integers when integral and below 1e15 in magnitude, else in the shortest
 * "%g" form that reads back as the same double ("nan", "inf" and "-inf" as
 * such), so a row is the same bytes on every machine for the same inputs.
 * A shard's output (--shard I/N) starts with a line
 * "#fluxosim-sweep shard=I/N points=P fingerprint=HEX" and every row with a
 * column "point"; fx_sweep_merge turns the shards back into the unsharded
 * file. The fingerprint is a hash of the sweep file's and the base
 * candidate's JSON (not of the traces).
 *
 * Threads: a loaded sweep is read-only; fx_sweep_point_run may be called
 * from many threads at once, and fx_sweep_run runs points in a pool of
 * POSIX threads, handing rows back in point order. Nothing here prints or
 * keeps global state.
 *
 * Ownership: fx_sweep_load returns a sweep the caller frees with
 * fx_sweep_free; every text returned is malloc'd and the caller's to free.
 */
#ifndef FX_SWEEP_H
#define FX_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

#define FX_SWEEP_PARAMS_MAX    64       /* parameters in "grid" */
#define FX_SWEEP_VALUES_MAX    100000   /* values of one parameter */
#define FX_SWEEP_WORKLOADS_MAX 1024     /* workloads in "traces" */
#define FX_SWEEP_TRACES_MAX    1024     /* traces of one workload */
#define FX_SWEEP_RUNS_MAX      10000    /* replications x traces of one point */
#define FX_SWEEP_METRICS_MAX   1024     /* metrics recorded */
#define FX_SWEEP_POINTS_MAX    10000000 /* points in all */
#define FX_SWEEP_THREADS_MAX   1024     /* threads of fx_sweep_run */

typedef struct fx_sweep fx_sweep; /* opaque */

/* Load and check a sweep file: its keys, the base candidate, every grid
 * value (each on its own, then every combination of architecture
 * parameters, each built into a candidate) and every trace's header. Errors
 * name the sweep file and the JSON path, e.g.
 *   load.sweep.json: grid."pools.ap.servers": unknown pool "ap"; expected one of web, geo
 *   load.sweep.json: grid."pools.web.servers"[2]: cand2.json: pools[0].servers: expected ...
 */
fx_status fx_sweep_load(const char *path, fx_sweep **out, fx_err *e);

void fx_sweep_free(fx_sweep *s);

/* Number of points. */
size_t fx_sweep_points(const fx_sweep *s);

/* Hash of the sweep file's and base candidate's JSON, as shards record it. */
uint64_t fx_sweep_fingerprint(const fx_sweep *s);

/* What a results file starts with: for an unsharded run (NSHARDS 0) the
 * header line; for shard SHARD of NSHARDS (1 <= SHARD <= NSHARDS) the
 * "#fluxosim-sweep" line and the header with its "point" column. NULL when
 * out of memory. */
char *fx_sweep_preamble(const fx_sweep *s, unsigned shard, unsigned nshards);

/* Whether point I belongs to shard SHARD of NSHARDS: I mod NSHARDS ==
 * SHARD - 1. Every point belongs to the unsharded run (NSHARDS 0). */
int fx_sweep_in_shard(size_t i, unsigned shard, unsigned nshards);

/* Run point I (every replication of every trace of its workload) and put
 * its row, ending in a newline, in *ROW; with POINT_COLUMN the row starts
 * with I. Errors are prefixed with the point ("point 17 (popular,
 * pools.app.servers=4, rate_scale=2): ..."). Thread-safe. */
fx_status fx_sweep_point_run(const fx_sweep *s, size_t i, int point_column, char **row, fx_err *e);

/* Mean of X[0..N) and the half-width of its 95% confidence interval,
 * gsl_cdf_tdist_Pinv(0.975, N - 1) * s / sqrt(N); NAN when N < 2. */
void fx_sweep_ci95(const double *x, size_t n, double *mean, double *half);

/* Seed of replication R: BASE + R (modulo 2^64). */
uint64_t fx_sweep_seed(uint64_t base, uint64_t r);

/* X as a sweep CSV writes it, into BUF (at least 32 bytes). */
const char *fx_sweep_number(double x, char *buf, size_t len);

typedef struct fx_sweep_run_opts {
    unsigned threads;     /* points run at once, 1 to FX_SWEEP_THREADS_MAX */
    const size_t *points; /* the points to run, in increasing order */
    size_t npoints;
    int point_column; /* rows start with their point (shards) */
    /* Called from the calling thread with each point's row, in the order of
     * POINTS, once all earlier rows were handed over. A status other than
     * FX_OK stops the run (points running finish, none starts) and is
     * returned. */
    fx_status (*on_row)(void *ctx, size_t point, const char *row, fx_err *e);
    /* Called from the calling thread about once a second while it waits
     * for the next row (NULL: never). */
    void (*on_wait)(void *ctx);
    void *ctx;
} fx_sweep_run_opts;

/* Run the points of O, O->threads at a time, and hand their rows to
 * O->on_row in order. The rows do not depend on the number of threads. A
 * point that fails stops the run after every earlier row was handed over;
 * its error is returned (the first failing point's, whatever the threads). */
fx_status fx_sweep_run(const fx_sweep *s, const fx_sweep_run_opts *o, fx_err *e);

/* Check what an interrupted run left in a results file, TEXT[0..LEN), for
 * resuming shard SHARD of NSHARDS (0 0: unsharded): its preamble must be
 * the sweep's, and every complete line after it the row of the next point
 * of the run, in order. A last line without its newline (cut by a kill) is
 * dropped. On success *DONE is the number of complete rows and *KEEP the
 * bytes to keep (0 when not even the preamble is complete: write it anew).
 * FILE names the file in errors ("results.csv:7: expected the row of point
 * 6 (popular,4,0.5), found ..."). */
fx_status fx_sweep_resume_scan(const fx_sweep *s, unsigned shard, unsigned nshards,
                               const char *file, const char *text, size_t len, size_t *done,
                               size_t *keep, fx_err *e);

/* Merge the shard files PATHS[0..N) into the text an unsharded run writes,
 * in *OUT (*OUT_LEN bytes). Refuses files that are not shards, shards of
 * different sweeps (fingerprint, points, shard count or header differ), a
 * shard given twice, a missing shard and an incomplete one, naming the
 * missing shards and points. */
fx_status fx_sweep_merge(const char *const *paths, size_t n, char **out, size_t *out_len,
                         fx_err *e);

/* The inputs: every file a run of the sweep reads (the sweep file, the
 * base candidate's file, its service's, its partition lookup files, every
 * trace), as absolute paths, without repeats, in that order; *PATHS points
 * into the sweep. A grid value naming another lookup file is not among
 * them. */
size_t fx_sweep_inputs(const fx_sweep *s, const char *const **paths);

/* The inputs' checksums in sha256sum(1)'s format, one line per input:
 * "SHA256  /ABSOLUTE/PATH". A shard started later checks them with
 * fx_sweep_check_manifest. Errors: an input that cannot be read. */
fx_status fx_sweep_manifest(const fx_sweep *s, char **out, fx_err *e);

/* Check the manifest TEXT[0..LEN) read from FILE: every line's file must
 * still have its checksum, and every input of S must have a line.
 * Errors name FILE and the line:
 *   inputs.sha256:3: expected /data/week.trace to be as submitted (sha256
 *   5d41402abc4b...), found it changed (sha256 7d793037a076...); ... */
fx_status fx_sweep_check_manifest(const fx_sweep *s, const char *file, const char *text, size_t len,
                                  fx_err *e);

#endif
