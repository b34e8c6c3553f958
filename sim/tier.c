/* tier.c - partitions of replicated servers behind a balancer, with
 * failures and repairs.
 *
 * A shared tier is one fx_station of C servers per partition: failures take
 * its servers out of service one at a time. Every other balancer gives each
 * server its own single-server station and picks one per job. Per
 * partition, the servers that are up sit in an array (swap-removed on
 * failure, appended on repair) so random and p2c draw among them in O(1);
 * round-robin and jsq walk the servers by index and skip the failed ones.
 * Jobs that find no server up wait in the partition, linked through
 * fx_job->next. Nothing is allocated per job.
 */
#include "sim/tier.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pcg.h"

const char *const fx_balancer_names[] = {"shared", "random", "round-robin", "jsq", "p2c", NULL};

typedef struct part part;

typedef struct server {
    fx_station *st; /* own station; NULL under the shared balancer */
    part *p;
    unsigned index; /* within the partition */
    unsigned pos;   /* in p->uplist while up */
    int up;
    fx_event *ev; /* the pending failure or repair */
} server;

struct part {
    fx_tier *t;
    unsigned index;
    fx_station *shared; /* shared balancer: the partition's one station */
    server *servers;    /* C of them, also under shared (failure clocks) */
    unsigned *uplist;   /* indices of the servers up: [0, nup) */
    unsigned nup;
    unsigned rr;              /* round-robin: the next server to try */
    fx_job *hold, *hold_tail; /* jobs waiting for any server to come up */
};

struct fx_tier {
    char *name;
    fx_discipline disc;
    fx_balancer bal;
    unsigned c, k;
    double speed;
    double mtbf_ns, mttr_ns;
    unsigned retries;
    const fx_dist *retry_after;
    fx_tier_done_fn done;
    void *ctx;

    part *parts;
    server *servers;  /* k * c */
    unsigned *uplist; /* k * c */
    gsl_rng *rng_balance, *rng_failures, *rng_retry;

    /* Statistics since the last reset. */
    fx_tw tw_present; /* jobs in the tier */
    fx_tw tw_up;      /* servers up, all partitions */
    unsigned present, up;
    uint64_t served, retried, failed;
    double sum_wait;
};

/* ---- balancers ----------------------------------------------------------- */

/* Each returns the index of a server that is up (p->nup > 0). */
typedef unsigned (*pick_fn)(part *p);

static unsigned pick_random(part *p)
{
    fx_pcg32 *r = fx_rng_state(p->t->rng_balance);
    return p->uplist[fx_pcg32_bounded(r, p->nup)];
}

static unsigned pick_round_robin(part *p)
{
    unsigned c = p->t->c;
    for (;;) { /* some server is up: this ends within c steps */
        unsigned s = p->rr;
        p->rr = p->rr + 1 == c ? 0 : p->rr + 1;
        if (p->servers[s].up)
            return s;
    }
}

static unsigned pick_jsq(part *p)
{
    unsigned best = 0, best_n = 0;
    int found = 0;
    for (unsigned s = 0; s < p->t->c; s++) {
        if (!p->servers[s].up)
            continue;
        unsigned n = fx_station_present(p->servers[s].st);
        if (!found || n < best_n) {
            best = s;
            best_n = n;
            found = 1;
        }
    }
    return best;
}

static unsigned pick_p2c(part *p)
{
    if (p->nup == 1)
        return p->uplist[0];
    fx_pcg32 *r = fx_rng_state(p->t->rng_balance);
    unsigned a = fx_pcg32_bounded(r, p->nup);
    unsigned b = fx_pcg32_bounded(r, p->nup - 1);
    if (b >= a) /* distinct: B ranges over the others */
        b++;
    unsigned sa = p->uplist[a], sb = p->uplist[b];
    return fx_station_present(p->servers[sb].st) < fx_station_present(p->servers[sa].st) ? sb : sa;
}

/* Indexed by fx_balancer; shared has no choice to make. */
static const pick_fn pickers[] = {NULL, pick_random, pick_round_robin, pick_jsq, pick_p2c};

/* ---- jobs ---------------------------------------------------------------- */

static void hand_back(fx_tier *t, fx_sim *sim, fx_job *job, int failed)
{
    t->present--;
    fx_tw_set(&t->tw_present, sim->now, t->present);
    t->done(sim, job, failed, t->ctx);
}

/* Send JOB to a server of P, or hold it there when none is up. Returns 0
 * when a station refused it (out of memory: the run is stopping). */
static int dispatch(fx_tier *t, fx_sim *sim, part *p, fx_job *job)
{
    if (p->shared)
        return fx_station_arrive(p->shared, sim, job);
    if (!p->nup) {
        job->next = NULL;
        if (p->hold_tail)
            p->hold_tail->next = job;
        else
            p->hold = job;
        p->hold_tail = job;
        return 1;
    }
    return fx_station_arrive(p->servers[pickers[t->bal](p)].st, sim, job);
}

static void dispatch_or_fail(fx_tier *t, fx_sim *sim, part *p, fx_job *job)
{
    if (!dispatch(t, sim, p, job)) {
        t->failed++;
        hand_back(t, sim, job, 1);
    }
}

static void on_depart(fx_sim *sim, fx_station *st, fx_job *job, void *ctx)
{
    part *p = ctx;
    fx_tier *t = p->t;
    (void)st;
    double service =
        t->speed == 1.0 ? (double)job->demand : (double)llround((double)job->demand / t->speed);
    t->served++;
    t->sum_wait += (double)(sim->now - job->entered) - service;
    hand_back(t, sim, job, 0);
}

static void on_retry(void *ctx, void *obj, uint64_t arg)
{
    part *p = obj;
    dispatch_or_fail(p->t, ctx, p, (fx_job *)(uintptr_t)arg);
}

/* JOB of P lost its service to a failure: send it again (now or after a
 * draw from retry_after) while it has retries left. Returns 1 when it is out
 * of retries: the caller hands it back once the tier is consistent. */
static int interrupted(fx_tier *t, fx_sim *sim, part *p, fx_job *job)
{
    if (++job->attempts > t->retries) {
        t->failed++;
        return 1;
    }
    t->retried++;
    if (t->retry_after)
        fx_sim_after(sim, fx_dist_sample(t->retry_after, t->rng_retry), on_retry, p,
                     (uint64_t)(uintptr_t)job);
    else
        dispatch_or_fail(t, sim, p, job);
    return 0;
}

void fx_tier_arrive(fx_tier *t, fx_sim *sim, fx_job *job, unsigned partition)
{
    job->entered = sim->now;
    job->attempts = 0;
    t->present++;
    fx_tw_set(&t->tw_present, sim->now, t->present);
    if (partition >= t->k) { /* no such partition: refuse, visibly */
        t->failed++;
        hand_back(t, sim, job, 1);
        return;
    }
    dispatch_or_fail(t, sim, &t->parts[partition], job);
}

/* ---- failures ------------------------------------------------------------ */

static void on_failure(void *ctx, void *obj, uint64_t arg);
static void on_repair(void *ctx, void *obj, uint64_t arg);

/* An exponential duration of mean MEAN ns from the failures stream, capped
 * at about 30 years so that the clock cannot overflow. */
static fx_time draw_exp(fx_tier *t, double mean)
{
    double x = -mean * log(fx_pcg32_open01(fx_rng_state(t->rng_failures)));
    return x < 1e18 ? (fx_time)llround(x) : (fx_time)1000000000000000000LL;
}

static void set_up(fx_tier *t, fx_sim *sim, server *s, int up)
{
    part *p = s->p;
    s->up = up;
    if (up) {
        s->pos = p->nup;
        p->uplist[p->nup++] = s->index;
        t->up++;
    } else {
        unsigned last = p->uplist[--p->nup];
        p->uplist[s->pos] = last;
        p->servers[last].pos = s->pos;
        t->up--;
    }
    fx_tw_set(&t->tw_up, sim->now, t->up);
}

static void on_failure(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    server *s = obj;
    part *p = s->p;
    fx_tier *t = p->t;
    (void)arg;

    set_up(t, sim, s, 0);
    uint32_t pick = fx_pcg32_next(fx_rng_state(t->rng_failures));
    fx_job *hit, *rest = NULL;
    if (p->shared) {
        hit = fx_station_server_down(p->shared, sim, pick);
    } else {
        hit = fx_station_server_down(s->st, sim, pick);
        rest = fx_station_drain(s->st, sim);
    }
    int lost = hit && interrupted(t, sim, p, hit);
    while (rest) { /* the failed server's queue moves, without using retries */
        fx_job *next = rest->next;
        dispatch_or_fail(t, sim, p, rest);
        rest = next;
    }
    s->ev = fx_sim_after(sim, draw_exp(t, t->mttr_ns), on_repair, s, 0);
    if (lost)
        hand_back(t, sim, hit, 1);
}

static void on_repair(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    server *s = obj;
    part *p = s->p;
    fx_tier *t = p->t;
    (void)arg;

    set_up(t, sim, s, 1);
    if (p->shared) {
        fx_station_server_up(p->shared, sim);
    } else {
        fx_station_server_up(s->st, sim);
        fx_job *held = p->hold;
        p->hold = p->hold_tail = NULL;
        while (held) {
            fx_job *next = held->next;
            dispatch_or_fail(t, sim, p, held);
            held = next;
        }
    }
    s->ev = fx_sim_after(sim, draw_exp(t, t->mtbf_ns), on_failure, s, 0);
}

/* ---- life cycle ---------------------------------------------------------- */

static int valid(const fx_tier_config *cfg)
{
    if (cfg->servers == 0 || (cfg->discipline != FX_FCFS && cfg->discipline != FX_PS))
        return 0;
    if ((unsigned)cfg->balancer > FX_BAL_P2C)
        return 0;
    if (cfg->speed != 0 && !(cfg->speed > 0 && isfinite(cfg->speed)))
        return 0;
    if (!(cfg->mtbf_s >= 0 && isfinite(cfg->mtbf_s)))
        return 0;
    if (cfg->mtbf_s > 0 && !(cfg->mttr_s > 0 && isfinite(cfg->mttr_s)))
        return 0;
    return 1;
}

static gsl_rng *stream(const fx_sim *sim, const char *name, const char *what)
{
    char buf[256];
    snprintf(buf, sizeof buf, "tier:%s:%s", name, what);
    return fx_sim_rng(sim, buf);
}

fx_tier *fx_tier_alloc(const fx_tier_config *cfg, fx_sim *sim, fx_tier_done_fn done, void *ctx)
{
    if (!cfg || !done || !valid(cfg))
        return NULL;
    fx_tier *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->disc = cfg->discipline;
    t->bal = cfg->balancer;
    t->c = cfg->servers;
    t->k = cfg->partitions ? cfg->partitions : 1;
    t->speed = cfg->speed == 0 ? 1.0 : cfg->speed;
    t->mtbf_ns = cfg->mtbf_s * 1e9;
    t->mttr_ns = cfg->mttr_s * 1e9;
    t->retries = cfg->retries;
    t->retry_after = cfg->retry_after;
    t->done = done;
    t->ctx = ctx;
    size_t n = (size_t)t->k * t->c;
    t->name = strdup(cfg->name ? cfg->name : "tier");
    t->parts = calloc(t->k, sizeof *t->parts);
    t->servers = calloc(n, sizeof *t->servers);
    t->uplist = calloc(n, sizeof *t->uplist);
    if (!t->name || !t->parts || !t->servers || !t->uplist)
        goto fail;
    if (t->bal == FX_BAL_RANDOM || t->bal == FX_BAL_P2C)
        if (!(t->rng_balance = stream(sim, t->name, "balance")))
            goto fail;
    if (t->mtbf_ns > 0 && !(t->rng_failures = stream(sim, t->name, "failures")))
        goto fail;
    if (t->mtbf_ns > 0 && t->retry_after && !(t->rng_retry = stream(sim, t->name, "retry")))
        goto fail;

    char buf[256];
    for (unsigned i = 0; i < t->k; i++) {
        part *p = &t->parts[i];
        p->t = t;
        p->index = i;
        p->servers = &t->servers[(size_t)i * t->c];
        p->uplist = &t->uplist[(size_t)i * t->c];
        if (t->bal == FX_BAL_SHARED) {
            snprintf(buf, sizeof buf, t->k > 1 ? "%s/%u" : "%s", t->name, i);
            fx_station_config sc = {buf, t->disc, t->c, 0, t->speed};
            if (!(p->shared = fx_station_alloc(&sc, on_depart, p)))
                goto fail;
        }
        for (unsigned j = 0; j < t->c; j++) {
            server *s = &p->servers[j];
            s->p = p;
            s->index = j;
            s->pos = j;
            s->up = 1;
            p->uplist[j] = j;
            if (!p->shared) {
                snprintf(buf, sizeof buf, "%s/%u/%u", t->name, i, j);
                fx_station_config sc = {buf, t->disc, 1, 0, t->speed};
                if (!(s->st = fx_station_alloc(&sc, on_depart, p)))
                    goto fail;
            }
        }
        p->nup = t->c;
    }
    t->up = (unsigned)n;
    t->tw_up.value = (double)n;
    fx_tier_reset(t, sim->now);
    if (t->mtbf_ns > 0)
        for (size_t j = 0; j < n; j++) {
            t->servers[j].ev =
                fx_sim_after(sim, draw_exp(t, t->mtbf_ns), on_failure, &t->servers[j], 0);
            if (!t->servers[j].ev)
                goto fail;
        }
    return t;
fail:
    if (t->servers) /* failures already scheduled must not fire */
        for (size_t j = 0; j < n; j++)
            if (t->servers[j].ev)
                fx_sim_cancel(sim, t->servers[j].ev);
    fx_tier_free(t);
    return NULL;
}

void fx_tier_free(fx_tier *t)
{
    if (!t)
        return;
    if (t->parts)
        for (unsigned i = 0; i < t->k; i++)
            fx_station_free(t->parts[i].shared);
    if (t->servers)
        for (size_t j = 0; j < (size_t)t->k * t->c; j++)
            fx_station_free(t->servers[j].st);
    gsl_rng_free(t->rng_balance);
    gsl_rng_free(t->rng_failures);
    gsl_rng_free(t->rng_retry);
    free(t->uplist);
    free(t->servers);
    free(t->parts);
    free(t->name);
    free(t);
}

unsigned fx_tier_partitions(const fx_tier *t)
{
    return t->k;
}

/* ---- partitions ---------------------------------------------------------- */

unsigned fx_tier_partition_hash(uint64_t key, unsigned k)
{
    return k <= 1 ? 0 : (unsigned)(fx_mix64(key) % k);
}

unsigned fx_tier_partition_range(uint64_t key, const uint64_t *splits, unsigned k)
{
    /* The first split above KEY: partition i holds [splits[i-1], splits[i]). */
    unsigned lo = 0, hi = k ? k - 1 : 0;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (key < splits[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- statistics ---------------------------------------------------------- */

/* Time-averaged busy servers of station ST. */
static double busy_of(const fx_station *st, unsigned servers, fx_time now)
{
    fx_station_stats s;
    fx_station_stats_get(st, now, &s);
    return s.utilization * servers;
}

void fx_tier_stats_get(const fx_tier *t, fx_time now, fx_tier_stats *out, double *part_util)
{
    memset(out, 0, sizeof *out);
    double total = (double)t->k * t->c, busy = 0;
    for (unsigned i = 0; i < t->k; i++) {
        const part *p = &t->parts[i];
        double b = 0;
        if (p->shared)
            b = busy_of(p->shared, t->c, now);
        else
            for (unsigned j = 0; j < t->c; j++)
                b += busy_of(p->servers[j].st, 1, now);
        if (part_util)
            part_util[i] = b / t->c;
        busy += b;
    }
    out->utilization = busy / total;
    double q = fx_tw_mean(&t->tw_present, now) - busy;
    out->mean_queue = q > 0 ? q : 0;
    out->mean_wait = t->served ? t->sum_wait / (double)t->served : 0;
    out->availability =
        now > t->tw_up.start ? fx_tw_mean(&t->tw_up, now) / total : (double)t->up / total;
    out->served = t->served;
    out->retried = t->retried;
    out->failed = t->failed;
}

void fx_tier_reset(fx_tier *t, fx_time now)
{
    for (unsigned i = 0; i < t->k; i++) {
        part *p = &t->parts[i];
        if (p->shared)
            fx_station_reset(p->shared, now);
        else
            for (unsigned j = 0; j < t->c; j++)
                fx_station_reset(p->servers[j].st, now);
    }
    fx_tw_reset(&t->tw_present, now);
    fx_tw_reset(&t->tw_up, now);
    t->served = t->retried = t->failed = 0;
    t->sum_wait = 0;
}
