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
    unsigned up;      /* servers in service, <= c; busy <= up */

    /* FCFS: intrusive FIFO of waiting jobs, and the jobs in service
     * (serving[job->slot] == job for slot < busy). */
    fx_job *qhead, *qtail;
    fx_job **serving;

    /* PS: min-heap of jobs by virtual finish time. */
    fx_job **heap;
    size_t hcap;
    double vtime;   /* attained service of a job present since vtime was 0 */
    fx_time vlast;  /* when vtime was last advanced */
    fx_event *next; /* the pending completion */
    uint64_t order;

    /* Statistics since the last reset. */
    fx_tw tw_present, tw_busy; /* waiting = present - busy */
    uint64_t arrivals, dropped, departures, removed;
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
    st->up = st->c;
    if (st->disc == FX_FCFS && !(st->serving = calloc(st->c, sizeof *st->serving))) {
        free(st->name);
        free(st);
        return NULL;
    }
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
    free(st->serving);
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

/* Serve JOB in SLOT, a server that is already counted busy. */
static inline void fcfs_serve(fx_station *st, fx_sim *sim, fx_job *job, unsigned slot)
{
    job->slot = slot;
    st->serving[slot] = job;
    job->event = fx_sim_after(sim, service_time(st, job), fcfs_done, st, (uint64_t)(uintptr_t)job);
}

static inline fx_job *fcfs_pop_waiting(fx_station *st)
{
    fx_job *next = st->qhead;
    st->qhead = next->next;
    if (!st->qhead)
        st->qtail = NULL;
    return next;
}

/* The server in SLOT is free: the next waiting job takes it when one waits
 * and the server is still up; otherwise the last busy slot moves into it. */
static inline void fcfs_free_slot(fx_station *st, fx_sim *sim, unsigned slot)
{
    if (st->qhead && st->busy <= st->up) {
        fcfs_serve(st, sim, fcfs_pop_waiting(st), slot); /* the server stays busy */
        return;
    }
    st->busy--;
    if (slot != st->busy) {
        st->serving[slot] = st->serving[st->busy];
        st->serving[slot]->slot = slot;
    }
    fx_tw_set(&st->tw_busy, sim->now, st->busy);
}

static void fcfs_done(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    fx_station *st = obj;
    fx_job *job = (fx_job *)(uintptr_t)arg;

    job->event = NULL;
    st->present--;
    fx_tw_set(&st->tw_present, sim->now, st->present);
    finish_job(st, sim, job);
    fcfs_free_slot(st, sim, job->slot);
    st->depart(sim, st, job, st->ctx);
}

static void fcfs_arrive(fx_station *st, fx_sim *sim, fx_job *job)
{
    if (st->busy < st->up) {
        st->busy++;
        fx_tw_set(&st->tw_busy, sim->now, st->busy);
        fcfs_serve(st, sim, job, st->busy - 1);
        return;
    }
    job->next = NULL;
    if (st->qtail)
        st->qtail->next = job;
    else
        st->qhead = job;
    st->qtail = job;
}

/* Take JOB out of the FCFS station (present not yet decremented). */
static int fcfs_remove(fx_station *st, fx_sim *sim, fx_job *job)
{
    if (job->slot < st->busy && st->serving[job->slot] == job) {
        fx_sim_cancel(sim, job->event);
        job->event = NULL;
        fcfs_free_slot(st, sim, job->slot);
        return 1;
    }
    for (fx_job *prev = NULL, *j = st->qhead; j; prev = j, j = j->next) {
        if (j != job)
            continue;
        if (prev)
            prev->next = j->next;
        else
            st->qhead = j->next;
        if (st->qtail == j)
            st->qtail = prev;
        return 1;
    }
    return 0;
}

/* ---- processor sharing --------------------------------------------------- */

static inline int ps_before(const fx_job *a, const fx_job *b)
{
    return a->finish < b->finish || (a->finish == b->finish && a->order < b->order);
}

static inline double ps_rate(const fx_station *st)
{
    return st->present <= st->up ? 1.0 : (double)st->up / (double)st->present;
}

static inline unsigned ps_busy(const fx_station *st)
{
    return st->present < st->up ? st->present : st->up;
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
    if (!st->present || !st->up) /* no server up: the jobs are frozen */
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
    fx_tw_set(&st->tw_busy, sim->now, ps_busy(st));
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
    fx_tw_set(&st->tw_busy, sim->now, ps_busy(st));
    ps_reschedule(st, sim);
    return 1;
}

/* Take the job at heap index I out (present still counts it). */
static void ps_remove_at(fx_station *st, size_t i)
{
    size_t n = st->present - 1; /* jobs left */
    fx_job *last = st->heap[n];
    if (i == n)
        return;
    /* LAST goes into the hole at I, then up or down to its place. */
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ps_before(last, st->heap[parent]))
            break;
        st->heap[i] = st->heap[parent];
        i = parent;
    }
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
    st->heap[i] = last;
}

/* Take the job at heap index I out now (lowering present) and update the
 * rate of the others. */
static fx_job *ps_take(fx_station *st, fx_sim *sim, size_t i)
{
    fx_job *job = st->heap[i];
    ps_advance(st, sim->now);
    ps_remove_at(st, i);
    st->present--;
    if (!st->present)
        st->vtime = 0;
    fx_tw_set(&st->tw_busy, sim->now, ps_busy(st));
    ps_reschedule(st, sim);
    return job;
}

static int ps_cmp_order(const void *a, const void *b)
{
    const fx_job *x = *(fx_job *const *)a, *y = *(fx_job *const *)b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* ---- infinite server ----------------------------------------------------- */

static void delay_done(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    fx_station *st = obj;
    fx_job *job = (fx_job *)(uintptr_t)arg;

    job->event = NULL;
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
        job->event =
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
    out->removed = st->removed;
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
    st->arrivals = st->dropped = st->departures = st->removed = 0;
    st->sum_response = st->sum_wait = 0;
}

/* ---- failures and removals ----------------------------------------------- */

unsigned fx_station_servers_up(const fx_station *st)
{
    return st->disc == FX_DELAY ? 0 : st->up;
}

/* Count a job taken out (present already lowered). */
static void count_removed(fx_station *st, fx_sim *sim)
{
    st->removed++;
    fx_tw_set(&st->tw_present, sim->now, st->present);
}

fx_job *fx_station_server_down(fx_station *st, fx_sim *sim, uint32_t pick)
{
    if (st->disc == FX_DELAY || st->up == 0)
        return NULL;
    fx_job *hit = NULL;
    if (st->disc == FX_FCFS) {
        st->up--;
        if (st->busy > st->up) { /* every server was busy: one job loses its */
            hit = st->serving[pick % st->busy];
            fcfs_remove(st, sim, hit); /* busy drops to up: nothing starts */
            st->present--;
            count_removed(st, sim);
        }
        return hit;
    }
    /* PS: advance at the old rate, then serve at the new one. */
    ps_advance(st, sim->now);
    int all_busy = st->present >= st->up;
    st->up--;
    if (all_busy && st->present) {
        hit = ps_take(st, sim, pick % st->present);
        count_removed(st, sim);
    } else {
        fx_tw_set(&st->tw_busy, sim->now, ps_busy(st));
        ps_reschedule(st, sim);
    }
    return hit;
}

void fx_station_server_up(fx_station *st, fx_sim *sim)
{
    if (st->disc == FX_DELAY || st->up == st->c)
        return;
    if (st->disc == FX_FCFS) {
        st->up++;
        if (st->qhead) {
            st->busy++;
            fx_tw_set(&st->tw_busy, sim->now, st->busy);
            fcfs_serve(st, sim, fcfs_pop_waiting(st), st->busy - 1);
        }
        return;
    }
    ps_advance(st, sim->now);
    st->up++;
    fx_tw_set(&st->tw_busy, sim->now, ps_busy(st));
    ps_reschedule(st, sim);
}

int fx_station_remove(fx_station *st, fx_sim *sim, fx_job *job)
{
    switch (st->disc) {
    case FX_FCFS:
        if (!fcfs_remove(st, sim, job))
            return 0;
        st->present--;
        break;
    case FX_PS: {
        size_t i = 0;
        while (i < st->present && st->heap[i] != job)
            i++;
        if (i == st->present)
            return 0;
        ps_take(st, sim, i); /* lowers present */
        break;
    }
    case FX_DELAY:
        if (!job->event)
            return 0;
        fx_sim_cancel(sim, job->event);
        job->event = NULL;
        st->present--;
        break;
    }
    count_removed(st, sim);
    return 1;
}

fx_job *fx_station_drain(fx_station *st, fx_sim *sim)
{
    fx_job *head = NULL, **tail = &head;
    unsigned n = st->present;
    if (st->disc == FX_FCFS) {
        for (unsigned i = 0; i < st->busy; i++) {
            fx_job *job = st->serving[i];
            fx_sim_cancel(sim, job->event);
            job->event = NULL;
            *tail = job;
            tail = &job->next;
        }
        *tail = st->qhead; /* already linked, and NULL-terminated */
        st->qhead = st->qtail = NULL;
        if (st->busy) {
            st->busy = 0;
            fx_tw_set(&st->tw_busy, sim->now, 0);
        }
    } else if (st->disc == FX_PS && n) {
        qsort(st->heap, n, sizeof *st->heap, ps_cmp_order);
        for (unsigned i = 0; i < n; i++) {
            *tail = st->heap[i];
            tail = &st->heap[i]->next;
        }
        *tail = NULL;
        if (st->next) {
            fx_sim_cancel(sim, st->next);
            st->next = NULL;
        }
        st->vtime = 0;
        st->vlast = sim->now;
        fx_tw_set(&st->tw_busy, sim->now, 0);
    } else {
        return NULL;
    }
    st->present = 0;
    st->removed += n;
    fx_tw_set(&st->tw_present, sim->now, 0);
    return head;
}
