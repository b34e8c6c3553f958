#include "sim/station.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct fx_station {
    char *name;
    fx_discipline disc;
    unsigned c, capacity;
    double speed;
    fx_depart_fn depart;
    void *ctx;

    unsigned present; /* jobs at the station */
    unsigned busy;    /* servers busy (FCFS) */

    /* FCFS: intrusive FIFO of waiting jobs. */
    fx_job *qhead, *qtail;

    /* PS: min-heap of jobs by virtual finish time. */
    fx_job **heap;
    size_t hcap;
    double vtime;   /* attained service of a job present since vtime was 0 */
    fx_time vlast;  /* when vtime was last advanced */
    fx_event *next; /* the pending completion */
    uint64_t order;

    /* Statistics since the last reset. */
    fx_tw tw_present, tw_busy; /* waiting = present - busy */
    uint64_t arrivals, dropped, departures;
    double sum_response, sum_wait;
};

fx_station *fx_station_alloc(const fx_station_config *cfg, fx_depart_fn depart, void *ctx)
{
    double speed = cfg->speed == 0 ? 1.0 : cfg->speed;
    if (!(speed > 0) || !isfinite(speed))
        return NULL;
    if (cfg->discipline != FX_DELAY &&
        (cfg->servers == 0 || (cfg->capacity && cfg->capacity < cfg->servers)))
        return NULL;
    fx_station *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->name = strdup(cfg->name ? cfg->name : "station");
    if (!st->name) {
        free(st);
        return NULL;
    }
    st->disc = cfg->discipline;
    st->c = cfg->servers ? cfg->servers : 1;
    st->capacity = cfg->capacity;
    st->speed = speed;
    st->depart = depart;
    st->ctx = ctx;
    return st;
}

void fx_station_free(fx_station *st)
{
    if (!st)
        return;
    free(st->heap);
    free(st->name);
    free(st);
}

const char *fx_station_name(const fx_station *st)
{
    return st->name;
}

unsigned fx_station_present(const fx_station *st)
{
    return st->present;
}

static inline fx_time service_time(const fx_station *st, const fx_job *job)
{
    if (st->speed == 1.0)
        return job->demand;
    return (fx_time)llround((double)job->demand / st->speed);
}

static inline void finish_job(fx_station *st, fx_sim *sim, fx_job *job)
{
    double response = (double)(sim->now - job->arrived);
    st->departures++;
    st->sum_response += response;
    st->sum_wait += response - (double)service_time(st, job);
}

/* ---- FCFS ---------------------------------------------------------------- */

static void fcfs_done(void *ctx, void *obj, uint64_t arg);

/* Serve JOB on a server that is already counted busy. */
static inline void fcfs_serve(fx_station *st, fx_sim *sim, fx_job *job)
{
    fx_sim_after(sim, service_time(st, job), fcfs_done, st, (uint64_t)(uintptr_t)job);
}

static void fcfs_done(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    fx_station *st = obj;
    fx_job *job = (fx_job *)(uintptr_t)arg;

    st->present--;
    fx_tw_set(&st->tw_present, sim->now, st->present);
    finish_job(st, sim, job);
    if (st->qhead) {
        fx_job *next = st->qhead;
        st->qhead = next->next;
        if (!st->qhead)
            st->qtail = NULL;
        fcfs_serve(st, sim, next); /* the server stays busy */
    } else {
        st->busy--;
        fx_tw_set(&st->tw_busy, sim->now, st->busy);
    }
    st->depart(sim, st, job, st->ctx);
}

static void fcfs_arrive(fx_station *st, fx_sim *sim, fx_job *job)
{
    if (st->busy < st->c) {
        st->busy++;
        fx_tw_set(&st->tw_busy, sim->now, st->busy);
        fcfs_serve(st, sim, job);
        return;
    }
    job->next = NULL;
    if (st->qtail)
        st->qtail->next = job;
    else
        st->qhead = job;
    st->qtail = job;
}

/* ---- processor sharing --------------------------------------------------- */

static inline int ps_before(const fx_job *a, const fx_job *b)
{
    return a->finish < b->finish || (a->finish == b->finish && a->order < b->order);
}

static inline double ps_rate(const fx_station *st)
{
    return st->present <= st->c ? 1.0 : (double)st->c / (double)st->present;
}

static void ps_advance(fx_station *st, fx_time now)
{
    if (st->present)
        st->vtime += (double)(now - st->vlast) * ps_rate(st);
    st->vlast = now;
}

static void ps_done(void *ctx, void *obj, uint64_t arg);

static void ps_reschedule(fx_station *st, fx_sim *sim)
{
    if (st->next) {
        fx_sim_cancel(sim, st->next);
        st->next = NULL;
    }
    if (!st->present)
        return;
    double left = (st->heap[0]->finish - st->vtime) / ps_rate(st);
    fx_time dt = left > 0 ? (fx_time)ceil(left) : 0;
    st->next = fx_sim_after(sim, dt, ps_done, st, 0);
}

static void ps_push(fx_station *st, fx_job *job)
{
    size_t i = st->present - 1; /* present already counts JOB */
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ps_before(job, st->heap[parent]))
            break;
        st->heap[i] = st->heap[parent];
        i = parent;
    }
    st->heap[i] = job;
}

static fx_job *ps_pop(fx_station *st)
{
    fx_job *top = st->heap[0];
    size_t n = st->present; /* still counts TOP */
    fx_job *last = st->heap[n - 1];
    n--;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= n)
            break;
        size_t best = l + 1 < n && ps_before(st->heap[l + 1], st->heap[l]) ? l + 1 : l;
        if (!ps_before(st->heap[best], last))
            break;
        st->heap[i] = st->heap[best];
        i = best;
    }
    if (n > 0)
        st->heap[i] = last;
    return top;
}

static void ps_done(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    fx_station *st = obj;
    (void)arg;

    st->next = NULL;
    ps_advance(st, sim->now);
    fx_job *job = ps_pop(st);
    if (st->vtime < job->finish) /* ceil() above: never finish early */
        st->vtime = job->finish;
    st->present--;
    if (!st->present)
        st->vtime = 0; /* keep virtual times small while idle */
    fx_tw_set(&st->tw_present, sim->now, st->present);
    fx_tw_set(&st->tw_busy, sim->now, st->present < st->c ? st->present : st->c);
    finish_job(st, sim, job);
    ps_reschedule(st, sim);
    st->depart(sim, st, job, st->ctx);
}

static int ps_arrive(fx_station *st, fx_sim *sim, fx_job *job)
{
    if (st->present > st->hcap) {
        size_t cap = st->hcap ? st->hcap * 2 : 16;
        fx_job **heap = realloc(st->heap, cap * sizeof *heap);
        if (!heap) {
            sim->failed = FX_ENOMEM;
            fx_sim_stop(sim);
            return 0;
        }
        st->heap = heap;
        st->hcap = cap;
    }
    /* present was incremented by the caller; advance with the old count. */
    st->present--;
    ps_advance(st, sim->now);
    st->present++;
    job->finish = st->vtime + (double)service_time(st, job);
    job->order = st->order++;
    ps_push(st, job);
    fx_tw_set(&st->tw_busy, sim->now, st->present < st->c ? st->present : st->c);
    ps_reschedule(st, sim);
    return 1;
}

/* ---- infinite server ----------------------------------------------------- */

static void delay_done(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    fx_station *st = obj;
    fx_job *job = (fx_job *)(uintptr_t)arg;

    st->present--;
    fx_tw_set(&st->tw_present, sim->now, st->present);
    finish_job(st, sim, job);
    st->depart(sim, st, job, st->ctx);
}

/* ---- common -------------------------------------------------------------- */

int fx_station_arrive(fx_station *st, fx_sim *sim, fx_job *job)
{
    st->arrivals++;
    if (st->capacity && st->present >= st->capacity) {
        st->dropped++;
        return 0;
    }
    job->arrived = sim->now;
    st->present++;
    fx_tw_set(&st->tw_present, sim->now, st->present);
    switch (st->disc) {
    case FX_FCFS:
        fcfs_arrive(st, sim, job);
        return 1;
    case FX_PS:
        if (!ps_arrive(st, sim, job)) {
            st->present--;
            return 0;
        }
        return 1;
    case FX_DELAY:
        fx_sim_after(sim, service_time(st, job), delay_done, st, (uint64_t)(uintptr_t)job);
        return 1;
    }
    return 0;
}

void fx_station_stats_get(const fx_station *st, fx_time now, fx_station_stats *out)
{
    memset(out, 0, sizeof *out);
    out->arrivals = st->arrivals;
    out->dropped = st->dropped;
    out->departures = st->departures;
    out->elapsed = (double)(now - st->tw_present.start);
    out->mean_present = fx_tw_mean(&st->tw_present, now);
    double busy = fx_tw_mean(&st->tw_busy, now);
    out->utilization = st->disc == FX_DELAY ? 0.0 : busy / (double)st->c;
    if (st->disc != FX_DELAY) /* jobs present but not being served */
        out->mean_queue = out->mean_present - busy;
    if (st->departures) {
        out->mean_response = st->sum_response / (double)st->departures;
        out->mean_wait = st->sum_wait / (double)st->departures;
    }
}

void fx_station_reset(fx_station *st, fx_time now)
{
    fx_tw_reset(&st->tw_present, now);
    fx_tw_reset(&st->tw_busy, now);
    st->arrivals = st->dropped = st->departures = 0;
    st->sum_response = st->sum_wait = 0;
}
