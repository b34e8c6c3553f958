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
 * parallel with -j or --mpi). They are judged in order; the first one taken
 * becomes the current candidate and the rest of the round is dropped (they
 * were neighbours of the old one; being memoized, they cost nothing if
 * proposed again). The step column counts the moves judged.
 *
 * Chains: --chains C (default 1) runs C independent chains from the base,
 * each with its own current candidate, temperature and best. A round holds
 * every chain's --batch neighbours (C x batch candidates, evaluated
 * together, so C chains keep C x batch workers busy), judged chain by
 * chain; the search keeps the best candidate of all. Candidates one chain
 * evaluated are memoized for the others.
 *
 * The uniform draws come from the search's generator, in the strategy's
 * own calls, so the run depends on --seed, --batch and --chains only,
 * never on -j or the number of MPI ranks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimizer/strategy.h"

#define DISTINCT_TRIES 8
#define REHEAT         1e-3

typedef struct chain {
    uint32_t *cur, *best;
    double e_cur, e_best, t;
} chain;

typedef struct anneal {
    chain *c;
    size_t nchains;
    double scale, t0;
    int started;
    uint64_t step;
} anneal;

static fx_status init(void *state, fx_search *s, fx_err *e)
{
    anneal *a = state;
    const fx_space *sp = fx_search_space(s);
    size_t nv = fx_space_nvars(sp);
    unsigned chains = fx_search_opts(s)->chains;
    a->nchains = chains ? chains : 1;
    a->c = calloc(a->nchains, sizeof *a->c);
    if (!a->c)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t k = 0; k < a->nchains; k++) {
        chain *c = &a->c[k];
        c->cur = malloc(nv * sizeof *c->cur);
        c->best = malloc(nv * sizeof *c->best);
        if (!c->cur || !c->best)
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        fx_space_base_point(sp, c->cur);
        memcpy(c->best, c->cur, nv * sizeof *c->best);
    }
    return FX_OK;
}

/* Up to WANT distinct random neighbours of X into BATCH; how many (0: the
 * space has one point). */
static size_t neighbours(const fx_space *sp, fx_search *s, const uint32_t *x, uint32_t *batch,
                         size_t want)
{
    size_t nv = fx_space_nvars(sp), n = 0;
    while (n < want) {
        uint32_t *y = batch + n * nv;
        int fresh = 0;
        for (int tries = 0; tries < DISTINCT_TRIES && !fresh; tries++) {
            if (!fx_space_random_neighbour(sp, x, fx_search_rng(s), y))
                return n;
            fresh = 1;
            for (size_t j = 0; j < n && fresh; j++)
                fresh = memcmp(batch + j * nv, y, nv * sizeof *y) != 0;
        }
        n++;
    }
    return n;
}

static size_t propose(void *state, fx_search *s, uint32_t *batch, size_t max)
{
    anneal *a = state;
    const fx_space *sp = fx_search_space(s);
    size_t nv = fx_space_nvars(sp);
    fx_search_set_step(s, a->step);
    if (!a->started) {
        memcpy(batch, a->c[0].cur, nv * sizeof *batch);
        return 1;
    }
    size_t want = fx_search_opts(s)->batch ? fx_search_opts(s)->batch : 1, n = 0;
    if (want * a->nchains > max)
        want = max / a->nchains ? max / a->nchains : 1;
    for (size_t k = 0; k < a->nchains && n + want <= max; k++) {
        /* A neighbour always exists but in a space of one point, so every
         * chain's slice is WANT long and observe finds it. */
        if (neighbours(sp, s, a->c[k].cur, batch + n * nv, want) < want)
            return n;
        n += want;
    }
    return n;
}

/* Judge chain C's slice of the round, BATCH[0..N). */
static void judge(anneal *a, chain *c, fx_search *s, const uint32_t *batch, const fx_score *scores,
                  size_t n)
{
    size_t nv = fx_space_nvars(fx_search_space(s));
    const fx_strategy_opts *o = fx_search_opts(s);
    for (size_t i = 0; i < n; i++) {
        if (!scores[i].evaluated)
            continue;
        double en = fx_score_energy(&scores[i], a->scale);
        a->step++;
        int take = en <= c->e_cur;
        if (!take && isfinite(en) && c->t > 0)
            take = fx_pcg32_open01(fx_search_rng(s)) < exp(-(en - c->e_cur) / c->t);
        c->t *= o->cooling;
        if (take) {
            memcpy(c->cur, batch + i * nv, nv * sizeof *c->cur);
            c->e_cur = en;
            if (en < c->e_best) {
                memcpy(c->best, c->cur, nv * sizeof *c->best);
                c->e_best = en;
            }
        }
        if (c->t < a->t0 * REHEAT) {
            c->t = a->t0;
            memcpy(c->cur, c->best, nv * sizeof *c->cur);
            c->e_cur = c->e_best;
            break;
        }
        if (take)
            break;
    }
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
        a->t0 = o->temp0 * a->scale;
        for (size_t k = 0; k < a->nchains; k++) {
            a->c[k].e_cur = a->c[k].e_best = fx_score_energy(&scores[0], a->scale);
            a->c[k].t = a->t0;
        }
        a->started = 1;
        return;
    }
    size_t per = n / a->nchains ? n / a->nchains : n;
    for (size_t k = 0, at = 0; k < a->nchains && at < n; k++, at += per)
        judge(a, &a->c[k], s, batch + at * nv, scores + at, at + per <= n ? per : n - at);
}

static void fini(void *state)
{
    anneal *a = state;
    for (size_t k = 0; a->c && k < a->nchains; k++) {
        free(a->c[k].cur);
        free(a->c[k].best);
    }
    free(a->c);
}

const fx_strategy fx_strategy_anneal = {
    .name = "anneal",
    .summary = "simulated annealing over neighbour moves (--temp0, --cooling, --batch, --chains)",
    .size = sizeof(anneal),
    .default_budget = 300,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
