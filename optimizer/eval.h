/* eval.h - scoring candidates by replaying a trace, and running a search.
 *
 * fx_optimize_run drives one strategy over one space: the strategy
 * proposes a batch, every candidate of the batch not evaluated before is
 * built (fx_space_arch) and scored by a replay of the trace
 * (fx_replay_run, with the given seed, as `fluxosim replay --seed` does),
 * up to JOBS replays at once in POSIX threads, and the scores go back to
 * the strategy in the order of the batch. Candidates are memoized by their
 * canonical form: none is replayed twice. The log lists evaluations in the
 * order the strategy proposed them, so it and the result are the same for
 * any number of threads (only wall times differ).
 *
 * Screening (SCREEN > 0): the strategy's candidates are scored on a sample
 * of the trace, the requests whose key hash falls in the first SCREEN of
 * the hash range (every request of a kept key, so caches see the same
 * per-key sequences), replayed faster by the share of the requests it
 * kept, so that the pools carry the full trace's mean load. The best
 * CONFIRM of them by their sample scores (and with PARETO the sample's
 * non-dominated set) are then replayed on the whole trace; while none of
 * those is feasible there, the next CONFIRM, for at most 10 rounds. Only
 * the candidates replayed on the whole trace can be the result.
 *
 * A candidate whose replay fails, or that violates a constraint, is kept
 * in the log with the reason. The trace is read once before the search (a
 * bad trace is an error then, not a failed candidate) and once per
 * evaluation; standard input ("-") and the sample are copied into a
 * private temporary folder, removed before fx_optimize_run returns.
 *
 * Evaluating elsewhere: with an EVALUATE callback in the options, the
 * search hands each batch's new candidates to it instead of its threads
 * (optimizer/mpi.h ships them to other processes). Whoever scores them
 * there opens an fx_optimize_worker with the same space, trace and
 * options: it reads the trace as fx_optimize_run does, makes the same
 * sample in its own temporary folder, and scores a candidate exactly as
 * the search's threads would, so the result does not depend on where the
 * candidates were scored.
 *
 * Ownership: the result owns its rows; free it with
 * fx_optimize_result_free. Nothing here prints.
 */
#ifndef FX_OPT_EVAL_H
#define FX_OPT_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "optimizer/space.h"
#include "optimizer/strategy.h"

/* Progress, after each batch. */
typedef struct fx_optimize_progress {
    uint64_t evals;  /* evaluations so far (all phases) */
    uint64_t budget; /* of the search phase */
    int confirming;  /* screening: the confirmation phase */
    int has_best;    /* a feasible candidate was found */
    double best;     /* its objective */
    uint64_t best_index;
} fx_optimize_progress;

typedef struct fx_eval_row fx_eval_row;

typedef struct fx_optimize_opts {
    const fx_strategy *strategy;
    fx_strategy_opts sopts;
    uint64_t budget;   /* evaluations of the search; 0: the strategy's default */
    uint64_t seed;     /* the replays' master seed, and the strategy's */
    unsigned jobs;     /* replays at once, >= 1 */
    double screen;     /* 0: none; else in (0, 1): the sample's share of keys */
    unsigned confirm;  /* with screen: candidates replayed on the whole trace per round (>= 1) */
    int pareto;        /* compute the non-dominated set of cost against p99 */
    double rate_scale; /* arrival times are divided by this (0 means 1), as in replay */
    double analytic;   /* > 0: prune by the analytic model (models/network.h) before any
                          replay, a candidate whose estimate misses a bound by more than
                          this margin (0.5: the estimate is over 1.5 times the bound) */
    void (*on_progress)(void *ctx, const fx_optimize_progress *p);
    void *ctx;
    /* Where new candidates are scored: NULL, here in up to JOBS threads.
     * Else called with each batch's new rows in log order (x and sample
     * set, metrics with room for fx_space_nmetrics values); it must fill
     * what fx_optimize_worker_eval fills, for every row. An error stops
     * the search (fx_optimize_run returns it). */
    fx_status (*evaluate)(void *ectx, fx_eval_row *const *rows, size_t n, fx_err *e);
    void *ectx;
} fx_optimize_opts;

/* One evaluation: a row of the log. */
struct fx_eval_row {
    uint64_t index;  /* from 1, in log order */
    uint64_t step;   /* as the strategy set it */
    int sample;      /* scored on the screening sample */
    int analytic;    /* pruned by the analytic model: never replayed */
    int confirm;     /* replayed to confirm a screened candidate */
    uint32_t *x;     /* the canonical point */
    double *metrics; /* fx_space_nmetrics values; NaN when missing */
    fx_score score;
    char *reason; /* why not feasible (or why the replay failed), else NULL */
    double wall_s;
};

typedef struct fx_optimize_result {
    fx_eval_row *rows;
    size_t nrows;
    size_t best;     /* the best feasible row on the whole trace, or SIZE_MAX */
    size_t best_any; /* the best row on the whole trace, feasible or not, or SIZE_MAX */
    size_t *pareto;  /* with PARETO: rows, by ascending cost */
    size_t npareto;
    uint64_t budget;    /* of the search phase */
    uint64_t proposals; /* points the strategy proposed */
    uint64_t repeats;   /* proposals already evaluated (memoized) */
    uint64_t invalid;   /* proposals that were not valid points (a strategy bug) */
    uint64_t sampled;   /* screening: evaluations on the sample */
    uint64_t confirmed; /* screening: evaluations on the whole trace */
    uint64_t pruned;    /* analytic screening: candidates never replayed */
    uint64_t requests;  /* in the trace */
    uint64_t sample_requests;
    double count; /* valid candidates in the space */
    int count_exact;
    const char *stop; /* why the search stopped */
    double wall_s;
} fx_optimize_result;

/* Search SPACE for the candidate that minimizes its objective on TRACE.
 * Errors: the trace (FX_EINVAL, FX_EIO), the strategy refusing the space
 * (FX_ELIMIT), memory. A search that finds no feasible candidate is not an
 * error: RES->best is then SIZE_MAX. */
fx_status fx_optimize_run(const fx_space *space, const char *trace, const fx_optimize_opts *o,
                          fx_optimize_result *res, fx_err *e);

void fx_optimize_result_free(fx_optimize_result *res);

/* Scoring candidates for a search that runs elsewhere (see above). */
typedef struct fx_optimize_worker fx_optimize_worker;

/* Read TRACE (a file: standard input cannot be read twice) and make the
 * sample O asks for. Errors: those of fx_optimize_run's reading. */
fx_status fx_optimize_worker_open(const fx_space *space, const char *trace,
                                  const fx_optimize_opts *o, fx_optimize_worker **out, fx_err *e);

/* Score ROW->x on the sample (ROW->sample) or the whole trace: fill
 * metrics (room for fx_space_nmetrics values), score, analytic, reason
 * (allocated, or NULL) and wall_s. Never fails: a failure is the row's. */
void fx_optimize_worker_eval(fx_optimize_worker *w, fx_eval_row *row);

void fx_optimize_worker_close(fx_optimize_worker *w);

#endif
