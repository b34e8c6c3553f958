/* sim.h - one simulation: a clock, a calendar and random streams.
 *
 * Everything a run mutates hangs off an fx_sim; the library has no mutable
 * globals, so many simulations can run in one process (one per thread).
 * Handlers scheduled with fx_sim_at receive the fx_sim as their CTX.
 */
#ifndef FX_SIM_H
#define FX_SIM_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/calendar.h"
#include "sim/error.h"
#include "sim/time.h"

typedef struct fx_sim {
    fx_calendar *cal;
    fx_time now;      /* current simulation time */
    uint64_t events;  /* events fired so far */
    uint64_t seed;    /* master seed of every random stream */
    int stop;         /* set by fx_sim_stop: run returns after this event */
    fx_status failed; /* FX_ENOMEM when scheduling failed; the run stops */
} fx_sim;

/* A simulation with master seed SEED, at time 0. NULL when out of memory. */
fx_sim *fx_sim_alloc(uint64_t seed);
void fx_sim_free(fx_sim *sim);

/* Schedule H at absolute time T (>= now). On allocation failure records
 * FX_ENOMEM in sim->failed, stops the run and returns NULL. */
fx_event *fx_sim_at(fx_sim *sim, fx_time t, fx_handler h, void *obj, uint64_t arg);

/* Schedule H after DELAY (>= 0). */
static inline fx_event *fx_sim_after(fx_sim *sim, fx_time delay, fx_handler h, void *obj,
                                     uint64_t arg)
{
    return fx_sim_at(sim, sim->now + delay, h, obj, arg);
}

static inline void fx_sim_cancel(fx_sim *sim, fx_event *ev)
{
    fx_calendar_cancel(sim->cal, ev);
}

/* Fire events in order until the calendar is empty, the next event lies
 * after UNTIL, or fx_sim_stop is called. The clock then reads the time of the
 * last event fired (or UNTIL when it stopped there). Returns sim->failed. */
fx_status fx_sim_run(fx_sim *sim, fx_time until);

/* Ask fx_sim_run to return after the current event. */
static inline void fx_sim_stop(fx_sim *sim)
{
    sim->stop = 1;
}

/* A random stream for the component NAME of this simulation (see pcg.h).
 * The caller frees it with gsl_rng_free. NULL when out of memory. */
gsl_rng *fx_sim_rng(const fx_sim *sim, const char *name);

#endif
