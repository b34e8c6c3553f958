/* greedy.c - steepest descent with random restarts.
 *
 * From the base (or, when the base lies outside the space, the nearest
 * valid point), evaluate every neighbour of the current candidate (one
 * variable changed: fx_space_neighbours) as one batch, and move to the best
 * of them when it is better than the current one (fx_score_cmp: feasible
 * first, then the objective; ties go to the first in the batch). When no
 * neighbour is better the candidate is a local optimum: restart from a
 * random valid point not evaluated yet (or any, when 100 draws found only
 * evaluated ones), up to --restarts times (default: until the budget).
 * The step column counts moves and restarts.
 */
#include <stdlib.h>
#include <string.h>

#include "optimizer/strategy.h"

#define FRESH_TRIES 100

typedef struct greedy {
    uint32_t *cur;
    fx_score score;
    int started; /* the current point was evaluated */
    unsigned restarts;
    uint64_t step;
    int done;
} greedy;

static fx_status init(void *state, fx_search *s, fx_err *e)
{
    greedy *g = state;
    const fx_space *sp = fx_search_space(s);
    if (!(g->cur = malloc(fx_space_nvars(sp) * sizeof *g->cur)))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_space_base_point(sp, g->cur);
    return FX_OK;
}

static void restart(greedy *g, fx_search *s)
{
    const fx_space *sp = fx_search_space(s);
    unsigned max = fx_search_opts(s)->restarts;
    if (max && g->restarts >= max) {
        g->done = 1;
        return;
    }
    g->restarts++;
    g->step++;
    g->started = 0;
    for (int i = 0; i < FRESH_TRIES; i++) {
        if (!fx_space_random_point(sp, fx_search_rng(s), g->cur)) {
            g->done = 1;
            return;
        }
        if (!fx_search_seen(s, g->cur, NULL))
            return;
    }
}

static size_t propose(void *state, fx_search *s, uint32_t *batch, size_t max)
{
    greedy *g = state;
    const fx_space *sp = fx_search_space(s);
    size_t nv = fx_space_nvars(sp);
    if (g->done)
        return 0;
    fx_search_set_step(s, g->step);
    if (!g->started) {
        memcpy(batch, g->cur, nv * sizeof *batch);
        return 1;
    }
    size_t n = fx_space_neighbours(sp, g->cur, batch);
    if (n == 0) { /* a space of one point */
        g->done = 1;
        return 0;
    }
    return n < max ? n : max;
}

static void observe(void *state, fx_search *s, const uint32_t *batch, const fx_score *scores,
                    size_t n)
{
    greedy *g = state;
    size_t nv = fx_space_nvars(fx_search_space(s));
    if (!g->started) {
        g->score = scores[0];
        g->started = 1;
        return;
    }
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (fx_score_cmp(&scores[i], &scores[best]) < 0)
            best = i;
    if (n && fx_score_cmp(&scores[best], &g->score) < 0) {
        memcpy(g->cur, batch + best * nv, nv * sizeof *g->cur);
        g->score = scores[best];
        g->step++;
    } else {
        restart(g, s);
    }
}

static void fini(void *state)
{
    greedy *g = state;
    free(g->cur);
}

const fx_strategy fx_strategy_greedy = {
    .name = "greedy",
    .summary = "steepest descent over neighbouring candidates, with random restarts",
    .size = sizeof(greedy),
    .default_budget = 300,
    .init = init,
    .propose = propose,
    .observe = observe,
    .fini = fini,
};
