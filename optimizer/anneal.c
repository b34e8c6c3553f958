/* anneal.c - simulated annealing over neighbour moves.
 *
 * Energy: the objective of a feasible candidate; objective + S (1 +
 * violation) for an infeasible one, where S is the absolute objective of
 * the first candidate (the base) or 1 when that is 0 (fx_score_energy):
 * any feasible candidate is worth more than an infeasible one near it, and
 * the less an infeasible candidate violates its bounds the better.
 *
 * Schedule: the temperature starts at T0 = --temp0 x S (default 0.1: a
 * move that costs 10% of the base's objective is first taken with
 * probability 1/e) and is multiplied by --cooling (default 0.95) after each
 * move judged. A move to energy E' from E is taken when E' <= E, else with
 * probability exp(-(E' - E) / T) (Metropolis). When T falls below T0 / 1000
 * the search reheats to T0 and goes back to the best candidate found.
 *
 * Batches: each round proposes --batch (default 4) random neighbours of the
 * current candidate (distinct when possible), evaluated together (in
 * parallel with -j). They are judged in order; the first one taken becomes
 * the current candidate and the rest of the round is dropped (they were
 * neighbours of the old one; being memoized, they cost nothing if proposed
 * again). The uniform draws come from the search's generator, so the run
 * depends on --seed only. The step column counts the moves judged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/strategy.h"

#define DISTINCT_TRIES 8
#define REHEAT         1e-3

typedef struct anneal {
    uint32_t *cur, *best;
    double e_cur, e_best;
    double scale, t0, t;
    int started;
    uint64_t step;
} anneal;

static fx_status init(void *state, fx_search *s, fx_err *e)
{
    anneal *a = state;
    const fx_space *sp = fx_search_space(s);
    size_t nv = fx_space_nvars(sp);
    a->cur = malloc(nv * sizeof *a->cur);
    a->best = malloc(nv * sizeof *a->best);
    if (!a->cur || !a->best)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_space_base_point(sp, a->cur);
    memcpy(a->best, a->cur, nv * sizeof *a->best);
    return FX_OK;
}

static size_t propose(void *state, fx_search *s, uint32_t *batch, size_t max)
{
    anneal *a = state;
    const fx_space *sp = fx_search_space(s);
    size_t nv = fx_space_nvars(sp);
    fx_search_set_step(s, a->step);
    if (!a->started) {
        memcpy(batch, a->cur, nv * sizeof *batch);
        return 1;
    }
    size_t want = fx_search_opts(s)->batch ? fx_search_opts(s)->batch : 1, n = 0;
    if (want > max)
        want = max;
    while (n < want) {
        uint32_t *y = batch + n * nv;
        int fresh = 0;
        for (int tries = 0; tries < DISTINCT_TRIES && !fresh; tries++) {
            if (!fx_space_random_neighbour(sp, a->cur, fx_search_rng(s), y))
                return n; /* no neighbour at all: a space of one point */
            fresh = 1;
            for (size_t j = 0; j < n && fresh; j++)
                fresh = memcmp(batch + j * nv, y, nv * sizeof *y) != 0;
        }
        n++;
    }
    return n;
}

static void observe(void *state, fx_search *s, const uint32_t *batch, const fx_score *scores,
                    size_t n)
{
    anneal *a = state;
    size_t nv = fx_space_nvars(fx_search_space(s));
    const fx_strategy_opts *o = fx_search_opts(s);
    if (!a->started) {
        double obj = scores[0].objective;
        a->scale = isfinite(obj) && obj != 0 ? fabs(obj) : 1;
        a->e_cur = a->e_best = fx_score_energy(&scores[0], a->scale);
        a->t0 = a->t = o->temp0 * a->scale;
        a->started = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!scores[i].evaluated)
            continue;
        double en = fx_score_energy(&scores[i], a->scale);
        a->step++;
        int take = en <= a->e_cur;
        if (!take && isfinite(en) && a->t > 0)
            take = fx_pcg32_open01(fx_search_rng(s)) < exp(-(en - a->e_cur) / a->t);
        a->t *= o->cooling;
        if (take) {
            memcpy(a->cur, batch + i * nv, nv * sizeof *a->cur);
            a->e_cur = en;
            if (en < a->e_best) {
                memcpy(a->best, a->cur, nv * sizeof *a->best);
                a->e_best = en;
            }
        }
        if (a->t < a->t0 * REHEAT) {
            a->t = a->t0;
            memcpy(a->cur, a->best, nv * sizeof *a->cur);
            a->e_cur = a->e_best;
            break;
        }
        if (take)
            break;
    }
}

static void fini(void *state)
{
    anneal *a = state;
    free(a->cur);
    free(a->best);
}

const fx_strategy fx_strategy_anneal = {
    .name = "anneal",
    .summary = "simulated annealing over neighbour moves (--temp0, --cooling, --batch)",
    .size = sizeof(anneal),
    .default_budget = 300,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
