/* strategy.h - search strategies: one type table per strategy, one registry.
 *
 * A strategy proposes batches of points of a space (optimizer/space.h) and
 * observes their scores; the search (optimizer/eval.h) evaluates each batch,
 * in parallel when asked, and hands the scores back in the order of the
 * batch. A strategy never sees threads: it draws its random numbers from
 * the search's generator, in its own calls only, so the same seed gives the
 * same proposals and the same result whatever the number of threads.
 *
 * The search owns everything: it allocates STATE (size bytes, zeroed) and
 * the batch buffer, and stops when the budget of evaluations is spent, when
 * every candidate has been evaluated, when propose returns 0, or when the
 * strategy keeps proposing only candidates already evaluated. Points a
 * strategy proposes must be valid (fx_space_canonical returns 1); the
 * search makes them canonical, evaluates each candidate at most once
 * (memoized by the canonical form) and reports repeated proposals with the
 * score of the first evaluation.
 *
 * Adding a strategy: write optimizer/NAME.c defining
 *   const fx_strategy fx_strategy_NAME = {"NAME", "summary", sizeof(state), ...};
 * and add one line to optimizer/registry.c.
 */
#ifndef FX_OPT_STRATEGY_H
#define FX_OPT_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "optimizer/space.h"
#include "sim/error.h"
#include "sim/pcg.h"

/* How good a candidate is. */
typedef struct fx_score {
    int evaluated;    /* 0: not evaluated (the budget ran out first) */
    int ok;           /* the replay succeeded */
    int feasible;     /* ok, and every constraint holds */
    double objective; /* the minimized metric (NaN when not ok) */
    double violation; /* sum of relative excesses over the bounds (fx_space_judge) */
} fx_score;

/* Order of scores: <0 when A is better than B. Evaluated beats not
 * evaluated, ok beats failed, feasible beats infeasible; infeasible ones
 * by violation, then feasible ones (and ties) by objective. */
int fx_score_cmp(const fx_score *a, const fx_score *b);

/* One number for strategies that need one (annealing): the objective when
 * feasible, objective + SCALE * (1 + violation) when not, +infinity when
 * the replay failed or was not run. */
double fx_score_energy(const fx_score *s, double scale);

/* What a strategy sees of the search. */
typedef struct fx_search fx_search;

const fx_space *fx_search_space(const fx_search *s);
fx_pcg32 *fx_search_rng(fx_search *s);

/* Evaluations so far and the budget (new candidates only). */
uint64_t fx_search_evals(const fx_search *s);
uint64_t fx_search_budget(const fx_search *s);

/* The number of valid candidates (exact when *EXACT). */
double fx_search_count(const fx_search *s, int *exact);

/* Whether canonical point X has been evaluated; its score in *SCORE. */
int fx_search_seen(const fx_search *s, const uint32_t *x, fx_score *score);

/* The step recorded with the evaluations of the next batch (the "step"
 * column of the log): a descent step, a temperature step, a batch. */
void fx_search_set_step(fx_search *s, uint64_t step);

/* Strategy options (the command's --temp0, --cooling, --batch,
 * --restarts, --max-evals, --chains). */
typedef struct fx_strategy_opts {
    double temp0;       /* anneal: initial temperature, relative (default 0.1) */
    double cooling;     /* anneal: T *= cooling per step (default 0.95) */
    unsigned batch;     /* anneal: proposals per round (default 4) */
    unsigned restarts;  /* greedy: most random restarts (0: until the budget) */
    uint64_t max_evals; /* exhaustive: the largest space it runs (default 2000) */
    unsigned chains;    /* anneal: independent chains (default 1) */
} fx_strategy_opts;

const fx_strategy_opts *fx_search_opts(const fx_search *s);

typedef struct fx_strategy {
    const char *name;
    const char *summary; /* one line for `fluxosim list strategies` */
    size_t size;         /* bytes of state */
    /* Default budget of evaluations when none is given: 0 means every
     * candidate. */
    uint64_t default_budget;
    /* Prepare STATE; an error (FX_ELIMIT: the space is too large for the
     * strategy) stops the search before anything is evaluated. */
    fx_status (*init)(void *state, fx_search *s, fx_err *e);
    /* Write up to MAX points into BATCH (MAX x fx_space_nvars values);
     * return how many, 0 to end the search. */
    size_t (*propose)(void *state, fx_search *s, uint32_t *batch, size_t max);
    /* The scores of the last batch, in its order. */
    void (*observe)(void *state, fx_search *s, const uint32_t *batch, const fx_score *scores,
                    size_t n);
    /* Release what init took (may be NULL). */
    void (*fini)(void *state);
} fx_strategy;

/* The registry: every strategy, NULL-terminated. */
extern const fx_strategy *const fx_strategies[];

/* The strategy called NAME, or FX_EINVAL with a message listing every
 * valid name. */
fx_status fx_strategy_find(const char *name, const fx_strategy **out, fx_err *e);

#endif
