/* exhaustive.c - every valid candidate of the space, once, in the space's
 * enumeration order (fx_space_iter), in batches of 64.
 *
 * It refuses a space of more candidates than --max-evals (default 2000)
 * with FX_ELIMIT, naming the count: the run would take that many replays.
 */
#include <stdio.h>
#include <stdlib.h>

#include "optimizer/strategy.h"

#define BATCH 64

typedef struct exhaustive {
    fx_space_iter *it;
    uint64_t step;
} exhaustive;

static fx_status init(void *state, fx_search *s, fx_err *e)
{
    exhaustive *x = state;
    int exact;
    double count = fx_search_count(s, &exact);
    uint64_t max = fx_search_opts(s)->max_evals;
    if (!exact || count > (double)max)
        return fx_err_set(e, FX_ELIMIT,
                          "exhaustive: the space holds %s%.0f candidates, more than --max-evals "
                          "%llu; raise --max-evals, narrow the space's vars, or use --strategy "
                          "greedy or anneal",
                          exact ? "" : "at least ", count, (unsigned long long)max);
    fx_status st = fx_space_iter_alloc(fx_search_space(s), max, &x->it, e);
    if (st == FX_ELIMIT)
        return fx_err_set(e, FX_ELIMIT,
                          "exhaustive: the space holds more than --max-evals %llu candidates",
                          (unsigned long long)max);
    return st;
}

static size_t propose(void *state, fx_search *s, uint32_t *batch, size_t max)
{
    exhaustive *x = state;
    size_t nv = fx_space_nvars(fx_search_space(s)), n = 0;
    if (max > BATCH)
        max = BATCH;
    fx_search_set_step(s, ++x->step);
    while (n < max && fx_space_iter_next(x->it, batch + n * nv))
        n++;
    return n;
}

static void observe(void *state, fx_search *s, const uint32_t *batch, const fx_score *scores,
                    size_t n)
{
}

static void fini(void *state)
{
    exhaustive *x = state;
    fx_space_iter_free(x->it);
}

const fx_strategy fx_strategy_exhaustive = {
    .name = "exhaustive",
    .summary = "every candidate of the space once (refuses more than --max-evals)",
    .size = sizeof(exhaustive),
    .default_budget = 0,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
