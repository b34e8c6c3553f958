#include "models/tandem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/analytic.h"
#include "sim/pcg.h"

typedef struct customer {
    fx_job job; /* first: a job pointer is a customer pointer */
    fx_time born;
    uint64_t id;
    size_t stage;
    struct customer *free_next;
} customer;

#define CUSTOMER_SLAB 4096

typedef struct customer_slab {
    struct customer_slab *next;
    customer c[CUSTOMER_SLAB];
} customer_slab;

typedef struct model {
    const fx_tandem_spec *spec;
    fx_tandem_result *res;
    fx_sim *sim;
    gsl_rng *arrival_rng;
    gsl_rng **service_rng;
    fx_station **st;
    customer *free_list;
    customer_slab *slabs;
    uint64_t generated;
    uint64_t present;
    fx_time measure_from;
    fx_time last_event;
} model;

static customer *customer_get(model *m)
{
    if (!m->free_list) {
        customer_slab *s = malloc(sizeof *s);
        if (!s)
            return NULL;
        s->next = m->slabs;
        m->slabs = s;
        for (size_t i = 0; i < CUSTOMER_SLAB; i++) {
            s->c[i].free_next = m->free_list;
            m->free_list = &s->c[i];
        }
    }
    customer *c = m->free_list;
    m->free_list = c->free_next;
    return c;
}

static inline void customer_put(model *m, customer *c)
{
    c->free_next = m->free_list;
    m->free_list = c;
}

static inline void check_time(model *m)
{
    if (m->sim->now < m->last_event)
        m->res->time_went_back = 1;
    m->last_event = m->sim->now;
}

static inline int measured(const model *m, const customer *c)
{
    return c->id >= m->spec->warmup;
}

static void leave(model *m, customer *c)
{
    m->present--;
    customer_put(m, c);
}

static void enter_stage(model *m, customer *c, size_t k)
{
    c->stage = k;
    c->job.demand = fx_dist_sample(&m->spec->stages[k].service, m->service_rng[k]);
    if (!fx_station_arrive(m->st[k], m->sim, &c->job)) {
        if (measured(m, c))
            m->res->dropped++;
        leave(m, c);
    }
}

static void depart(fx_sim *sim, fx_station *st, fx_job *job, void *ctx)
{
    model *m = ctx;
    customer *c = (customer *)job;
    (void)st;
    check_time(m);
    if (c->stage + 1 < m->spec->nstages) {
        enter_stage(m, c, c->stage + 1);
        return;
    }
    if (measured(m, c)) {
        fx_tandem_result *r = m->res;
        fx_time rt = sim->now - c->born;
        r->completed++;
        fx_moments_add(&r->response, (double)rt);
        fx_hist_add(r->hist, rt);
        fx_batch_add(&r->batch, (double)rt);
    }
    leave(m, c);
}

static void start_measuring(model *m)
{
    fx_time now = m->sim->now;
    m->measure_from = now;
    for (size_t k = 0; k < m->spec->nstages; k++)
        fx_station_reset(m->st[k], now);
}

static void arrival(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    model *m = obj;
    (void)arg;
    check_time(m);

    customer *c = customer_get(m);
    if (!c) {
        sim->failed = FX_ENOMEM;
        fx_sim_stop(sim);
        return;
    }
    c->id = m->generated++;
    c->born = sim->now;
    if (c->id == m->spec->warmup && m->spec->warmup > 0)
        start_measuring(m);
    m->res->arrivals++;
    m->present++;
    if (m->generated < m->spec->customers)
        fx_sim_after(sim, fx_dist_sample(&m->spec->arrivals, m->arrival_rng), arrival, m, 0);
    enter_stage(m, c, 0);
}

static void model_free(model *m)
{
    for (size_t k = 0; k < m->spec->nstages; k++) {
        if (m->st)
            fx_station_free(m->st[k]);
        if (m->service_rng)
            gsl_rng_free(m->service_rng[k]);
    }
    free(m->st);
    free(m->service_rng);
    gsl_rng_free(m->arrival_rng);
    customer_slab *s = m->slabs;
    while (s) {
        customer_slab *next = s->next;
        free(s);
        s = next;
    }
    fx_sim_free(m->sim);
}

void fx_tandem_result_free(fx_tandem_result *res)
{
    if (!res)
        return;
    free(res->hist);
    free(res->stages);
    res->hist = NULL;
    res->stages = NULL;
}

fx_status fx_tandem_run(const fx_tandem_spec *spec, fx_tandem_result *res, fx_err *e)
{
    memset(res, 0, sizeof *res);
    if (spec->nstages == 0)
        return fx_err_set(e, FX_EINVAL, "a network needs at least one station");
    if (spec->customers == 0 || spec->warmup >= spec->customers)
        return fx_err_set(e, FX_EINVAL,
                          "expected more customers than warm-up customers, found %llu and %llu",
                          (unsigned long long)spec->customers, (unsigned long long)spec->warmup);

    model m = {0};
    m.spec = spec;
    m.res = res;
    fx_batch_init(&res->batch);
    res->hist = calloc(1, sizeof *res->hist);
    res->stages = calloc(spec->nstages, sizeof *res->stages);
    m.sim = fx_sim_alloc(spec->seed);
    m.st = calloc(spec->nstages, sizeof *m.st);
    m.service_rng = calloc(spec->nstages, sizeof *m.service_rng);
    if (m.sim)
        m.arrival_rng = fx_sim_rng(m.sim, "arrivals");
    if (!res->hist || !res->stages || !m.sim || !m.st || !m.service_rng || !m.arrival_rng)
        goto nomem;
    for (size_t k = 0; k < spec->nstages; k++) {
        char name[96];
        snprintf(name, sizeof name, "service:%s",
                 spec->stages[k].station.name ? spec->stages[k].station.name : "");
        m.service_rng[k] = fx_sim_rng(m.sim, name);
        m.st[k] = fx_station_alloc(&spec->stages[k].station, depart, &m);
        if (!m.service_rng[k])
            goto nomem;
        if (!m.st[k]) {
            model_free(&m);
            fx_tandem_result_free(res);
            return fx_err_set(e, FX_EINVAL,
                              "station %zu: expected servers >= 1, capacity 0 or >= servers, "
                              "speed > 0",
                              k + 1);
        }
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fx_sim_at(m.sim, 0, arrival, &m, 0);
    fx_status st = fx_sim_run(m.sim, FX_TIME_MAX);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != FX_OK)
        goto nomem;

    fx_time now = m.sim->now;
    res->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    res->events = m.sim->events;
    res->elapsed = (double)(now - m.measure_from) * 1e-9;
    res->throughput = res->elapsed > 0 ? (double)res->completed / res->elapsed : 0;
    res->left_inside = m.present;
    /* A customer in the network is at exactly one station, so the network's
     * time-averaged population is the sum of the stations'. */
    for (size_t k = 0; k < spec->nstages; k++) {
        fx_station_stats_get(m.st[k], now, &res->stages[k]);
        res->mean_present += res->stages[k].mean_present;
    }
    model_free(&m);
    return FX_OK;

nomem:
    model_free(&m);
    fx_tandem_result_free(res);
    return fx_err_set(e, FX_ENOMEM, "out of memory");
}

int fx_tandem_theory(const fx_tandem_spec *spec, double *response, double *block,
                     const char **method)
{
    if (spec->arrivals.kind != FX_DIST_EXP || spec->nstages == 0)
        return 0;
    double lambda = 1.0 / spec->arrivals.mean;
    double total = 0, pk = 0;
    const char *how = NULL;
    for (size_t k = 0; k < spec->nstages; k++) {
        const fx_tandem_stage *s = &spec->stages[k];
        double speed = s->station.speed == 0 ? 1.0 : s->station.speed;
        double es = s->service.mean / speed;
        int expo = s->service.kind == FX_DIST_EXP;
        unsigned c = s->station.servers;
        double w;
        if (s->station.discipline == FX_DELAY) {
            w = es;
            how = "infinite-server";
        } else if (s->station.capacity) {
            /* Only a single stage: a loss thins the stream downstream. */
            if (spec->nstages != 1 || !expo)
                return 0;
            if (fx_mmck(lambda, es, c, s->station.capacity, &pk, NULL, &w) != 0)
                return 0;
            how = "M/M/c/K";
        } else if (expo) {
            w = fx_mmc_response(lambda, es, c);
            how = c == 1 ? "M/M/1" : "erlang-c";
        } else if (c == 1 && s->station.discipline == FX_PS) {
            w = fx_mg1ps_response(lambda, es);
            how = "M/G/1-PS";
        } else if (c == 1 && spec->nstages == 1 && isfinite(s->service.scv)) {
            w = fx_mg1_response(lambda, es, s->service.scv);
            how = "pollaczek-khinchine";
        } else {
            return 0;
        }
        total += w;
    }
    if (spec->nstages > 1)
        how = "jackson";
    *response = total;
    *block = pk;
    *method = how;
    return 1;
}
