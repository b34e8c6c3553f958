#include "models/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/pcg.h"
#include "sim/station.h"

/* What one node does for one request. The job is first so that a job
 * pointer handed back by a station is a node_state pointer. */
typedef struct node_state {
    fx_job job;
    uint64_t bytes;   /* output size */
    uint32_t waiting; /* predecessors not finished */
} node_state;

typedef struct request {
    fx_time arrived;
    uint32_t pending; /* nodes not finished */
    uint8_t measured;
    struct request *free_next;
    node_state ns[]; /* one per service node */
} request;

#define REQUEST_SLAB 256

typedef struct slab {
    struct slab *next;
    /* request blocks follow */
} slab;

typedef struct replay {
    const fx_arch *arch;
    const fx_service *svc;
    const fx_replay_opts *opts;
    fx_replay_result *res;
    fx_sim *sim;
    fx_trace_reader *trace;
    fx_err *err;
    double scale;

    fx_station **pool_st; /* per pool */
    fx_station **node_st; /* per node: its pool's station */
    uint32_t *node_pool;
    gsl_rng **profile_rng; /* per node, NULL without a profile */
    gsl_rng *net_rng;
    int network;        /* edges between pools cost something */
    double ns_per_byte; /* transfer time; 0 without bandwidth */

    size_t req_size;
    request *free_list;
    slab *slabs;

    uint64_t in_flight;
    fx_tw tw_in_flight;
    fx_time measure_from;
    fx_time last_done;
    int measuring;

    fx_trace_rec rec; /* the next request, read ahead */
    int have_rec;
    uint8_t *given; /* per node: the current line gives it */
} replay;

static request *request_get(replay *r)
{
    if (!r->free_list) {
        slab *s = malloc(sizeof(slab) + REQUEST_SLAB * r->req_size);
        if (!s)
            return NULL;
        s->next = r->slabs;
        r->slabs = s;
        char *base = (char *)(s + 1);
        for (size_t i = 0; i < REQUEST_SLAB; i++) {
            request *q = (request *)(base + i * r->req_size);
            q->free_next = r->free_list;
            r->free_list = q;
        }
    }
    request *q = r->free_list;
    r->free_list = q->free_next;
    return q;
}

static void fail(replay *r, fx_status code)
{
    r->sim->failed = code;
    fx_sim_stop(r->sim);
}

static void node_ready(replay *r, request *q, uint32_t n)
{
    fx_job *job = &q->ns[n].job;
    /* Pools have no capacity limit yet, so an arrival is never refused. */
    fx_station_arrive(r->node_st[n], r->sim, job);
}

static void request_done(replay *r, request *q)
{
    fx_time now = r->sim->now;
    r->in_flight--;
    fx_tw_set(&r->tw_in_flight, now, (double)r->in_flight);
    if (q->measured) {
        fx_replay_result *res = r->res;
        fx_time lat = now - q->arrived;
        res->completed++;
        fx_moments_add(&res->latency, (double)lat);
        fx_hist_add(res->hist, lat);
        fx_batch_add(&res->batch, (double)lat);
        if (r->opts->on_latency)
            r->opts->on_latency(r->opts->ctx, lat);
        r->last_done = now;
    }
    q->free_next = r->free_list;
    r->free_list = q;
}

/* An input of node N of the request arrived: start N when it was the last. */
static inline void input_arrived(replay *r, request *q, uint32_t n)
{
    if (--q->ns[n].waiting == 0)
        node_ready(r, q, n);
}

static void hop_done(void *ctx, void *obj, uint64_t arg)
{
    replay *r = obj;
    node_state *ns = (node_state *)(uintptr_t)arg;
    (void)ctx;
    input_arrived(r, ns->job.owner, (uint32_t)ns->job.tag);
}

static void node_done(fx_sim *sim, fx_station *st, fx_job *job, void *ctx)
{
    replay *r = ctx;
    request *q = job->owner;
    uint32_t n = (uint32_t)job->tag;
    const fx_node *node = &r->svc->nodes[n];
    (void)st;

    for (uint32_t i = 0; i < node->nsucc; i++) {
        uint32_t s = node->succ[i];
        if (r->network && r->node_pool[s] != r->node_pool[n]) {
            fx_time delay = r->arch->has_hop ? fx_dist_sample(&r->arch->hop, r->net_rng) : 0;
            delay += (fx_time)((double)q->ns[n].bytes * r->ns_per_byte + 0.5);
            fx_sim_after(sim, delay, hop_done, r, (uint64_t)(uintptr_t)&q->ns[s]);
        } else {
            input_arrived(r, q, s);
        }
    }
    if (--q->pending == 0)
        request_done(r, q);
}

static void start_measuring(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    replay *r = obj;
    (void)arg;
    r->measuring = 1;
    r->measure_from = sim->now;
    fx_tw_reset(&r->tw_in_flight, sim->now);
    for (uint32_t p = 0; p < r->arch->npools; p++)
        fx_station_reset(r->pool_st[p], sim->now);
}

static void arrival(void *ctx, void *obj, uint64_t arg);

/* Read the next request and schedule its arrival; at the end, do nothing. */
static void read_next(replay *r)
{
    int got = fx_trace_next(r->trace, &r->rec, r->err);
    if (got < 0) {
        fail(r, r->err->code ? r->err->code : FX_EINVAL);
        return;
    }
    r->have_rec = got;
    if (!got)
        return;
    r->res->total_requests++;
    if (r->opts->on_progress && (r->res->total_requests & 0xffff) == 0)
        r->opts->on_progress(r->opts->ctx, r->res->total_requests);
    fx_time t = r->scale == 1.0 ? r->rec.t : (fx_time)((double)r->rec.t / r->scale + 0.5);
    if (t < r->sim->now) /* rounding of scaled times never reorders */
        t = r->sim->now;
    fx_sim_at(r->sim, t, arrival, r, 0);
}

static void arrival(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    replay *r = obj;
    const fx_service *svc = r->svc;
    const fx_trace_rec *rec = &r->rec;
    (void)arg;

    request *q = request_get(r);
    if (!q) {
        fx_err_set(r->err, FX_ENOMEM, "out of memory");
        fail(r, FX_ENOMEM);
        return;
    }
    q->arrived = sim->now;
    q->pending = svc->nnodes;
    q->measured = sim->now >= r->opts->warmup;
    if (q->measured)
        r->res->requests++;

    memset(r->given, 0, svc->nnodes);
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_trace_field *f = &rec->fields[i];
        node_state *ns = &q->ns[f->node];
        r->given[f->node] = 1;
        ns->job.demand = f->service;
        ns->bytes = f->has_bytes                        ? f->bytes
                    : svc->nodes[f->node].has_out_bytes ? svc->nodes[f->node].out_bytes
                                                        : 0;
    }
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        node_state *ns = &q->ns[n];
        const fx_node *node = &svc->nodes[n];
        ns->job.owner = q;
        ns->job.tag = n;
        ns->waiting = node->npred;
        if (r->given[n])
            continue;
        if (!node->has_profile) {
            fx_err_set(r->err, FX_EINVAL,
                       "%s:%llu: expected a service time for node \"%s\" (it has no profile in "
                       "%s), found none",
                       fx_trace_path(r->trace), (unsigned long long)rec->line, node->id, svc->path);
            q->free_next = r->free_list;
            r->free_list = q;
            fail(r, FX_EINVAL);
            return;
        }
        ns->job.demand = fx_dist_sample(&node->profile, r->profile_rng[n]);
        ns->bytes = node->has_out_bytes ? node->out_bytes : 0;
    }
    r->in_flight++;
    if (r->in_flight > r->res->peak_in_flight)
        r->res->peak_in_flight = r->in_flight;
    fx_tw_set(&r->tw_in_flight, sim->now, (double)r->in_flight);
    node_ready(r, q, svc->entry);
    read_next(r);
}

static void replay_free(replay *r)
{
    const fx_arch *a = r->arch;
    if (r->pool_st)
        for (uint32_t p = 0; p < a->npools; p++)
            fx_station_free(r->pool_st[p]);
    if (r->profile_rng)
        for (uint32_t n = 0; n < r->svc->nnodes; n++)
            gsl_rng_free(r->profile_rng[n]);
    gsl_rng_free(r->net_rng);
    free(r->pool_st);
    free(r->node_st);
    free(r->profile_rng);
    free(r->given);
    slab *s = r->slabs;
    while (s) {
        slab *next = s->next;
        free(s);
        s = next;
    }
    fx_sim_free(r->sim);
}

void fx_replay_result_free(fx_replay_result *res)
{
    if (!res)
        return;
    free(res->hist);
    free(res->pools);
    res->hist = NULL;
    res->pools = NULL;
}

fx_status fx_replay_run(const fx_arch *arch, fx_trace_reader *trace, const fx_replay_opts *opts,
                        fx_replay_result *res, fx_err *e)
{
    const fx_service *svc = arch->svc;
    memset(res, 0, sizeof *res);
    fx_err_clear(e);

    replay r;
    memset(&r, 0, sizeof r);
    r.arch = arch;
    r.svc = svc;
    r.opts = opts;
    r.res = res;
    r.trace = trace;
    r.err = e;
    r.scale = opts->rate_scale > 0 ? opts->rate_scale : 1.0;
    r.node_pool = arch->node_pool;
    r.network = arch->has_hop || arch->bandwidth_mbps > 0;
    r.ns_per_byte = arch->bandwidth_mbps > 0 ? 8e3 / arch->bandwidth_mbps : 0;
    r.req_size = sizeof(request) + svc->nnodes * sizeof(node_state);
    r.req_size = (r.req_size + 15) & ~(size_t)15;

    fx_batch_init(&res->batch);
    res->seed = opts->seed;
    res->hist = calloc(1, sizeof *res->hist);
    res->pools = calloc(arch->npools, sizeof *res->pools);
    res->npools = arch->npools;
    r.sim = fx_sim_alloc(opts->seed);
    r.pool_st = calloc(arch->npools, sizeof *r.pool_st);
    r.node_st = calloc(svc->nnodes, sizeof *r.node_st);
    r.profile_rng = calloc(svc->nnodes, sizeof *r.profile_rng);
    r.given = calloc(svc->nnodes, 1);
    if (!res->hist || !res->pools || !r.sim || !r.pool_st || !r.node_st || !r.profile_rng ||
        !r.given)
        goto nomem;
    if (r.network && !(r.net_rng = fx_sim_rng(r.sim, "network")))
        goto nomem;
    for (uint32_t p = 0; p < arch->npools; p++) {
        const fx_pool *pool = &arch->pools[p];
        fx_station_config cfg = {pool->id, pool->discipline, pool->servers, 0, pool->speed};
        if (!(r.pool_st[p] = fx_station_alloc(&cfg, node_done, &r)))
            goto nomem;
    }
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        r.node_st[n] = r.pool_st[arch->node_pool[n]];
        if (svc->nodes[n].has_profile) {
            char name[64 + 16];
            snprintf(name, sizeof name, "profile:%s", svc->nodes[n].id);
            if (!(r.profile_rng[n] = fx_sim_rng(r.sim, name)))
                goto nomem;
        }
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    read_next(&r);
    if (r.have_rec) {
        /* Measure from the warm-up's end or the first arrival, whichever is
         * later, so that an idle stretch before the trace does not dilute
         * utilization and throughput. */
        fx_time first = fx_calendar_next_time(r.sim->cal);
        fx_sim_at(r.sim, first > opts->warmup ? first : opts->warmup, start_measuring, &r, 0);
    }
    fx_status st = fx_sim_run(r.sim, FX_TIME_MAX);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != FX_OK) {
        if (e && e->code == FX_OK)
            fx_err_set(e, st, "out of memory");
        replay_free(&r);
        fx_replay_result_free(res);
        return st;
    }

    fx_time now = r.sim->now;
    if (!r.measuring) /* the trace ended before the warm-up did */
        r.measure_from = now;
    res->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    res->events = r.sim->events;
    fx_time span = r.last_done - r.measure_from;
    res->elapsed_s = span > 0 ? (double)span * 1e-9 : 0;
    res->throughput_rps = res->elapsed_s > 0 ? (double)res->completed / res->elapsed_s : 0;
    res->mean_in_flight = fx_tw_mean(&r.tw_in_flight, now);
    res->cost_per_hour = fx_arch_cost(arch);
    for (uint32_t p = 0; p < arch->npools; p++) {
        fx_station_stats s;
        fx_station_stats_get(r.pool_st[p], now, &s);
        fx_pool_result *pr = &res->pools[p];
        pr->id = arch->pools[p].id;
        pr->servers = arch->pools[p].servers;
        pr->utilization = s.utilization;
        pr->mean_queue = s.mean_queue;
        pr->mean_wait_ms = s.mean_wait * 1e-6;
        pr->visits = s.departures;
    }
    replay_free(&r);
    return FX_OK;

nomem:
    replay_free(&r);
    fx_replay_result_free(res);
    return fx_err_set(e, FX_ENOMEM, "out of memory");
}
