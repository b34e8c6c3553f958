#include "sim/sim.h"

#include <stdlib.h>

#include "sim/pcg.h"

fx_sim *fx_sim_alloc(uint64_t seed)
{
    fx_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return NULL;
    sim->cal = fx_calendar_alloc();
    if (!sim->cal) {
        free(sim);
        return NULL;
    }
    sim->seed = seed;
    return sim;
}

void fx_sim_free(fx_sim *sim)
{
    if (!sim)
        return;
    fx_calendar_free(sim->cal);
    free(sim);
}

/* The two hot calls of every event: inline the calendar's operations into
 * them (across files, under link-time optimization), whatever the inliner's
 * heuristics say about functions with many callers. */
__attribute__((flatten)) fx_event *fx_sim_at(fx_sim *sim, fx_time t, fx_handler h, void *obj,
                                             uint64_t arg)
{
    fx_event *ev = fx_calendar_schedule(sim->cal, t, h, obj, arg);
    if (!ev) {
        sim->failed = FX_ENOMEM;
        sim->stop = 1;
    }
    return ev;
}

__attribute__((flatten)) fx_status fx_sim_run(fx_sim *sim, fx_time until)
{
    fx_calendar *cal = sim->cal;
    /* Set by every successful pop; initialized for the compiler's sake. */
    fx_time t = 0;
    fx_handler h = NULL;
    void *obj = NULL;
    uint64_t arg = 0;

    sim->stop = 0;
    while (!sim->stop) {
        if (!fx_calendar_pop_until(cal, until, &t, &h, &obj, &arg)) {
            if (until != FX_TIME_MAX && fx_calendar_size(cal) > 0)
                sim->now = until;
            break;
        }
        sim->now = t;
        sim->events++;
        h(sim, obj, arg);
    }
    return sim->failed;
}

gsl_rng *fx_sim_rng(const fx_sim *sim, const char *name)
{
    return fx_rng_stream(sim->seed, name);
}
