#include "models/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/topk.h"
#include "models/transform.h"
#include "sim/pcg.h"
#include "sim/tier.h"

/* Job tags: a node's index, or a cache lookup's cache index with this bit. */
#define TAG_LOOKUP (1u << 30)

/* What one node does for one request. The job is first so that a job
 * pointer handed back by a tier is a node_state pointer. */
typedef struct node_state {
    fx_job job;
    uint64_t bytes;   /* output size */
    uint64_t hash;    /* output hash (from the trace, or derived) */
    uint32_t waiting; /* predecessors not finished */
    uint8_t traced;   /* the trace gave the hash */
    uint8_t done;     /* finished, or skipped by a cache hit */
} node_state;

/* A cache lookup of one request. */
typedef struct lookup_state {
    fx_job job;
    uint64_t key;
    uint8_t missed; /* insert the result when the subgraph's last node ends */
} lookup_state;

typedef struct request {
    fx_time arrived;
    uint64_t key_hash; /* the request key's hash */
    uint64_t part_key; /* the request key for partitioning */
    uint32_t pending;  /* synchronous nodes not finished: the response waits */
    uint32_t alive;    /* nodes not finished: the block is recycled at 0 */
    int32_t refresh;   /* precompute: the cache refreshed, else -1 */
    uint8_t measured;
    uint8_t failed;
    uint8_t stale;
    struct request *free_next;
    lookup_state *lk; /* one per cache, after the node states */
    node_state ns[];  /* one per service node */
} request;

#define REQUEST_SLAB 256

/* The reader parses a block of requests ahead (fx_trace_read_ahead): the
 * entry cache's index slot of the request this many after the next is
 * loaded early, and the next one's entry (7 measured a little better than
 * 3, 4 about as well). */
#define AHEAD 7

typedef struct slab {
    struct slab *next;
} slab;

/* A precompute job's memory of the latest output seen per hot key: a
 * direct-mapped table, lossy by design, bounded whatever the keys. */
typedef struct recent {
    uint64_t key, value, bytes;
    uint8_t used;
} recent;

typedef struct precompute {
    const fx_precompute_cfg *cfg;
    fx_topk *top;
    recent *seen;
    size_t nseen;
    uint64_t *keys; /* top_k */
} precompute;

typedef struct cache_rt {
    fx_cache *cache;
    uint8_t *inside; /* per node */
    uint32_t ninside, nsync_inside;
    uint32_t *skipped; /* the nodes inside but the last, ascending: a hit finishes them */
    uint32_t nskipped;
    gsl_rng *lookup_rng;
    precompute *pre; /* the precompute job refreshing it, or NULL */
    uint64_t stale_hits, refreshes;
} cache_rt;

typedef struct replay {
    const fx_arch *arch;
    const fx_service *svc;
    const fx_replay_opts *opts;
    fx_replay_result *res;
    fx_sim *sim;
    fx_trace_reader *trace;
    fx_err *err;
    double scale;

    fx_tier **tier;        /* per pool */
    gsl_rng **profile_rng; /* per node, NULL without a profile */
    gsl_rng *net_rng;
    int network;           /* edges between pools cost something */
    int entry_partitioned; /* the entry's pool (or its cache's pool) is partitioned */
    double ns_per_byte;    /* transfer time; 0 without bandwidth */
    uint8_t *sync;         /* per node: reached through synchronous edges */
    uint32_t nsync;
    cache_rt *caches;
    precompute *pre;
    double *demand_mean; /* per node: mean traced demand so far (precompute) */
    uint64_t *demand_n;

    size_t req_size;
    request *free_list;
    slab *slabs;

    uint64_t in_flight; /* responses pending */
    uint64_t blocks;    /* request blocks in use */
    fx_tw tw_in_flight;
    fx_time measure_from;
    fx_time last_done;
    int measuring;

    const fx_trace_rec *cur; /* the next request to arrive (when have_rec) */
    int have_rec;
    uint8_t *given;        /* per node: the current line gives it */
    fx_cache *entry_cache; /* the cache looked up first with the request key, or NULL */
    int32_t whole;         /* the entry cache when a hit answers the request at once, or -1 */
} replay;

static request *request_get(replay *r)
{
    if (!r->free_list) {
        slab *s = malloc(sizeof(slab) + 16 + REQUEST_SLAB * r->req_size);
        if (!s)
            return NULL;
        s->next = r->slabs;
        r->slabs = s;
        char *base = (char *)(s + 1) + 16 - ((uintptr_t)(s + 1) & 15);
        for (size_t i = 0; i < REQUEST_SLAB; i++) {
            request *q = (request *)(base + i * r->req_size);
            q->lk =
                (lookup_state *)((char *)q + sizeof(request) + r->svc->nnodes * sizeof(node_state));
            q->free_next = r->free_list;
            r->free_list = q;
        }
    }
    request *q = r->free_list;
    r->free_list = q->free_next;
    r->blocks++;
    return q;
}

static void fail(replay *r, fx_status code)
{
    r->sim->failed = code;
    fx_sim_stop(r->sim);
}

/* The run ends when the trace is exhausted and no request is left: tiers
 * with failures and precompute jobs would otherwise schedule forever. */
static void maybe_finish(replay *r)
{
    if (!r->have_rec && r->blocks == 0)
        fx_sim_stop(r->sim);
}

static void request_put(replay *r, request *q)
{
    q->free_next = r->free_list;
    r->free_list = q;
    r->blocks--;
    maybe_finish(r);
}

static void response_done(replay *r, request *q)
{
    fx_time now = r->sim->now;
    r->in_flight--;
    fx_tw_set(&r->tw_in_flight, now, (double)r->in_flight);
    if (!q->measured)
        return;
    fx_replay_result *res = r->res;
    if (q->failed) {
        res->failed++;
    } else {
        fx_time lat = now - q->arrived;
        res->completed++;
        res->stale_responses += q->stale;
        fx_moments_add(&res->latency, (double)lat);
        fx_hist_add(res->hist, lat);
        fx_batch_add(&res->batch, (double)lat);
        if (r->opts->on_latency)
            r->opts->on_latency(r->opts->ctx, lat);
    }
    r->last_done = now;
}

/* Node N of Q is finished (run, skipped or failed): count it. */
static void node_finished(replay *r, request *q, uint32_t n)
{
    q->ns[n].done = 1;
    if (r->sync[n] && --q->pending == 0 && q->refresh < 0)
        response_done(r, q);
    if (--q->alive == 0)
        request_put(r, q);
}

static void node_ready(replay *r, request *q, uint32_t n);
static void deliver(replay *r, request *q, uint32_t from_pool, uint32_t n, uint32_t s);

/* The key of the input of node N: the request key at the entry, else the
 * output hashes of its predecessors, joined. */
static uint64_t input_key(const replay *r, const request *q, uint32_t n, int for_partition)
{
    const fx_node *node = &r->svc->nodes[n];
    if (node->npred == 0)
        return for_partition ? q->part_key : q->key_hash;
    if (node->npred == 1)
        return q->ns[node->pred[0]].hash;
    uint64_t k = 0;
    for (uint32_t i = 0; i < node->npred; i++)
        k = fx_mix64(k ^ q->ns[node->pred[i]].hash);
    return k;
}

static void run_node(replay *r, request *q, uint32_t n)
{
    uint32_t p = r->arch->node_pool[n];
    const fx_pool *pool = &r->arch->pools[p];
    unsigned part = pool->partitions > 1 ? fx_pool_partition(pool, input_key(r, q, n, 1)) : 0;
    fx_tier_arrive(r->tier[p], r->sim, &q->ns[n].job, part);
}

/* The output of node N (or of a cache standing in for it) is ready at pool
 * FROM_POOL: pass it to N's successors. */
static void outputs_ready(replay *r, request *q, uint32_t n, uint32_t from_pool)
{
    const fx_node *node = &r->svc->nodes[n];
    for (uint32_t i = 0; i < node->nsucc; i++)
        deliver(r, q, from_pool, n, node->succ[i]);
}

static void hop_done(void *ctx, void *obj, uint64_t arg)
{
    replay *r = obj;
    node_state *ns = (node_state *)(uintptr_t)arg;
    (void)ctx;
    request *q = ns->job.owner;
    if (--ns->waiting == 0)
        node_ready(r, q, (uint32_t)ns->job.tag);
}

/* Node N's output travels from FROM_POOL to its successor S. */
static void deliver(replay *r, request *q, uint32_t from_pool, uint32_t n, uint32_t s)
{
    if (!q->failed && r->network && r->arch->node_pool[s] != from_pool) {
        fx_time delay = r->arch->has_hop ? fx_dist_sample(&r->arch->hop, r->net_rng) : 0;
        delay += (fx_time)((double)q->ns[n].bytes * r->ns_per_byte + 0.5);
        fx_sim_after(r->sim, delay, hop_done, r, (uint64_t)(uintptr_t)&q->ns[s]);
    } else if (--q->ns[s].waiting == 0) {
        node_ready(r, q, s);
    }
}

/* Cache C answered Q: skip the subgraph, the stored output goes on. */
static void cache_hit(replay *r, request *q, uint32_t c, uint64_t value)
{
    cache_rt *rt = &r->caches[c];
    const fx_cache_cfg *cfg = &r->arch->caches[c];
    node_state *to = &q->ns[cfg->to];
    if (to->traced && to->hash != value) {
        rt->stale_hits++;
        q->stale = 1;
    }
    to->hash = value;
    /* The subgraph's nodes count as finished. Its last node's successors
     * receive the output from the cache's pool. */
    for (uint32_t i = 0; i < rt->nskipped; i++)
        node_finished(r, q, rt->skipped[i]);
    q->alive++; /* hold the block while the outputs go out */
    outputs_ready(r, q, cfg->to, cfg->pool);
    node_finished(r, q, cfg->to);
    if (--q->alive == 0)
        request_put(r, q);
}

static void remember(precompute *pc, uint64_t key, uint64_t value, uint64_t bytes)
{
    recent *slot = &pc->seen[fx_mix64(key) % pc->nseen];
    slot->key = key;
    slot->value = value;
    slot->bytes = bytes;
    slot->used = 1;
}

static void lookup_done(replay *r, request *q, uint32_t c)
{
    cache_rt *rt = &r->caches[c];
    const fx_cache_cfg *cfg = &r->arch->caches[c];
    lookup_state *lk = &q->lk[c];
    uint64_t value;
    fx_time stored;
    if (rt->pre) {
        fx_topk_add(rt->pre->top, lk->key);
        const node_state *to = &q->ns[cfg->to];
        if (to->traced)
            remember(rt->pre, lk->key, to->hash, to->bytes);
    }
    if (q->failed) { /* the lookup itself failed: so does the request */
        lk->missed = 0;
        node_ready(r, q, cfg->from);
        return;
    }
    if (fx_cache_get(rt->cache, lk->key, r->sim->now, &value, &stored)) {
        cache_hit(r, q, c, value);
        return;
    }
    lk->missed = 1;
    run_node(r, q, cfg->from);
}

/* All inputs of node N have arrived. */
static void node_ready(replay *r, request *q, uint32_t n)
{
    if (q->failed) { /* a failed request's remaining nodes do no work */
        outputs_ready(r, q, n, r->arch->node_pool[n]);
        node_finished(r, q, n);
        return;
    }
    uint32_t c = r->arch->node_cache ? r->arch->node_cache[n] : UINT32_MAX;
    if (c != UINT32_MAX && q->refresh < 0) {
        const fx_cache_cfg *cfg = &r->arch->caches[c];
        lookup_state *lk = &q->lk[c];
        lk->key = input_key(r, q, n, 0);
        lk->missed = 0;
        if (!cfg->has_lookup) { /* a lookup that costs nothing needs no queue */
            lookup_done(r, q, c);
            return;
        }
        lk->job.owner = q;
        lk->job.tag = TAG_LOOKUP | c;
        lk->job.demand = fx_dist_sample(&cfg->lookup, r->caches[c].lookup_rng);
        const fx_pool *pool = &r->arch->pools[cfg->pool];
        unsigned part = pool->partitions > 1 ? fx_pool_partition(pool, lk->key) : 0;
        fx_tier_arrive(r->tier[cfg->pool], r->sim, &lk->job, part);
        return;
    }
    run_node(r, q, n);
}

static void job_done(fx_sim *sim, fx_job *job, int failed, void *ctx)
{
    replay *r = ctx;
    request *q = job->owner;
    (void)sim;
    if (failed)
        q->failed = 1;
    if (job->tag & TAG_LOOKUP) {
        lookup_done(r, q, (uint32_t)(job->tag & ~(uint64_t)TAG_LOOKUP));
        return;
    }
    uint32_t n = (uint32_t)job->tag;
    /* The last node of a cached subgraph stores its output on a miss, and
     * a precompute refresh stores it in any case. */
    for (uint32_t c = 0; c < r->arch->ncaches; c++) {
        const fx_cache_cfg *cfg = &r->arch->caches[c];
        if (cfg->to != n || q->failed)
            continue;
        int refresh = q->refresh == (int32_t)c;
        if ((refresh || q->lk[c].missed) &&
            fx_cache_put(r->caches[c].cache, q->lk[c].key, q->ns[n].bytes, q->ns[n].hash,
                         r->sim->now) < 0) {
            fx_err_set(r->err, FX_ENOMEM, "out of memory");
            fail(r, FX_ENOMEM);
        }
        r->caches[c].refreshes += refresh;
    }
    if (q->refresh >= 0 && n == r->arch->caches[q->refresh].to) {
        node_finished(r, q, n); /* a refresh ends with the cached subgraph */
        return;
    }
    q->alive++;
    outputs_ready(r, q, n, r->arch->node_pool[n]);
    node_finished(r, q, n);
    if (--q->alive == 0)
        request_put(r, q);
}

/* ---- precompute ------------------------------------------------------------ */

static void precompute_tick(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    replay *r = obj;
    precompute *pc = &r->pre[arg];
    const fx_precompute_cfg *cfg = pc->cfg;
    const fx_cache_cfg *cc = &r->arch->caches[cfg->cache];
    cache_rt *rt = &r->caches[cfg->cache];
    const fx_service *svc = r->svc;

    if (!r->have_rec)
        return; /* the trace is over: let the run end */
    size_t k = fx_topk_top(pc->top, cfg->top_k, pc->keys, NULL);
    for (size_t i = 0; i < k; i++) {
        recent *seen = &pc->seen[fx_mix64(pc->keys[i]) % pc->nseen];
        if (!seen->used || seen->key != pc->keys[i])
            continue; /* no output seen for this key: nothing to refresh to */
        request *q = request_get(r);
        if (!q) {
            fx_err_set(r->err, FX_ENOMEM, "out of memory");
            fail(r, FX_ENOMEM);
            return;
        }
        q->arrived = sim->now;
        q->refresh = (int32_t)cfg->cache;
        q->measured = q->failed = q->stale = 0;
        q->key_hash = q->part_key = pc->keys[i];
        q->lk[cfg->cache].key = pc->keys[i];
        q->pending = q->alive = rt->ninside;
        for (uint32_t n = 0; n < svc->nnodes; n++) {
            node_state *ns = &q->ns[n];
            const fx_node *node = &svc->nodes[n];
            ns->job.owner = q;
            ns->job.tag = n;
            ns->done = !rt->inside[n];
            ns->traced = 0;
            /* Inside, a node waits only for its predecessors inside. */
            ns->waiting = 0;
            for (uint32_t j = 0; j < node->npred; j++)
                ns->waiting += rt->inside[n] && rt->inside[node->pred[j]];
            ns->job.demand = node->has_profile ? fx_dist_sample(&node->profile, r->profile_rng[n])
                                               : (fx_time)(r->demand_mean[n] + 0.5);
            ns->bytes = n == cc->to ? seen->bytes : node->has_out_bytes ? node->out_bytes : 0;
            ns->hash = n == cc->to ? seen->value : fx_mix64(q->key_hash ^ n);
        }
        run_node(r, q, cc->from);
    }
    fx_sim_after(sim, cfg->period, precompute_tick, r, arg);
}

/* ---- requests -------------------------------------------------------------- */

static void start_measuring(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    replay *r = obj;
    (void)arg;
    r->measuring = 1;
    r->measure_from = sim->now;
    fx_tw_reset(&r->tw_in_flight, sim->now);
    for (uint32_t p = 0; p < r->arch->npools; p++)
        fx_tier_reset(r->tier[p], sim->now);
    for (uint32_t c = 0; c < r->arch->ncaches; c++) {
        fx_cache_reset_stats(r->caches[c].cache);
        r->caches[c].stale_hits = r->caches[c].refreshes = 0;
    }
}

static void arrival(void *ctx, void *obj, uint64_t arg);

/* The arrival time of the request read ahead, scaled. */
static fx_time arrival_time(const replay *r)
{
    fx_time at = r->cur->t;
    fx_time t = r->scale == 1.0 ? at : (fx_time)((double)at / r->scale + 0.5);
    return t < r->sim->now ? r->sim->now : t; /* rounding never reorders */
}

/* Read the next request; returns 1 when there is one. */
static int read_ahead(replay *r)
{
    int got = fx_trace_next_ref(r->trace, &r->cur, r->err);
    if (got < 0) {
        fail(r, r->err->code ? r->err->code : FX_EINVAL);
        return 0;
    }
    r->have_rec = got;
    if (!got) {
        maybe_finish(r);
        return 0;
    }
    uint64_t h;
    if (r->entry_cache) {
        if (fx_trace_peek_hash(r->trace, AHEAD, &h))
            fx_cache_prefetch(r->entry_cache, h);
        /* The request after this one: its slot was asked for AHEAD - 1
         * requests ago; now its entry. */
        if (fx_trace_peek_hash(r->trace, 1, &h))
            fx_cache_prefetch_entry(r->entry_cache, h);
    }
    r->res->total_requests++;
    if (r->opts->on_progress && (r->res->total_requests & 0xffff) == 0)
        r->opts->on_progress(r->opts->ctx, r->res->total_requests);
    return 1;
}

/* The entry cache r->whole holds every node and its last node feeds nothing:
 * a hit answers the request on the spot, with latency 0. What the general
 * way (start_request, node_ready, lookup_done, cache_hit, node_finished,
 * response_done) would record, recorded directly: the same statistics, bit
 * for bit, without a request block. Only for a line that times every node,
 * so that no profile is drawn from (the general way draws before the
 * lookup). Returns 1 when it answered, 0 for a miss (already counted: the
 * caller runs the subgraph), -1 when the line needs the general way. */
static int whole_hit(replay *r, const fx_trace_rec *rec)
{
    if (rec->nfields != r->svc->nnodes)
        return -1;
    const fx_cache_cfg *cfg = &r->arch->caches[r->whole];
    const fx_trace_field *to = NULL;
    for (size_t i = 0; i < rec->nfields; i++) {
        if (rec->fields[i].no_service)
            return -1;
        if (rec->fields[i].node == cfg->to)
            to = &rec->fields[i];
    }
    cache_rt *rt = &r->caches[r->whole];
    fx_time now = r->sim->now;
    uint64_t value;
    fx_time stored;
    if (!fx_cache_get(rt->cache, rec->key_hash, now, &value, &stored))
        return 0;
    fx_replay_result *res = r->res;
    res->answered_at_once++;
    int measured = now >= r->opts->warmup;
    res->requests += (uint64_t)measured;
    /* In flight for no time: the peak sees it, the time average does not. */
    if (r->in_flight + 1 > res->peak_in_flight)
        res->peak_in_flight = r->in_flight + 1;
    fx_tw_set(&r->tw_in_flight, now, (double)r->in_flight);
    int stale = to->has_hash && to->hash != value;
    rt->stale_hits += (uint64_t)stale;
    if (measured) {
        res->completed++;
        res->stale_responses += (uint64_t)stale;
        fx_moments_add(&res->latency, 0.0);
        fx_hist_add(res->hist, 0);
        fx_batch_add(&res->batch, 0.0);
        if (r->opts->on_latency)
            r->opts->on_latency(r->opts->ctx, 0);
        r->last_done = now;
    }
    return 1;
}

/* The request read ahead arrives now. Returns 0 when the run must stop. */
static int start_request(replay *r)
{
    fx_sim *sim = r->sim;
    const fx_service *svc = r->svc;
    const fx_trace_rec *rec = r->cur;

    int missed = r->whole >= 0 ? whole_hit(r, rec) : -1;
    if (missed == 1)
        return 1;

    request *q = request_get(r);
    if (!q) {
        fx_err_set(r->err, FX_ENOMEM, "out of memory");
        fail(r, FX_ENOMEM);
        return 0;
    }
    q->arrived = sim->now;
    q->key_hash = rec->key_hash;
    if (r->entry_partitioned)
        q->part_key = fx_partition_key(rec->key, rec->key_len);
    q->pending = r->nsync;
    q->alive = svc->nnodes;
    q->refresh = -1;
    q->failed = q->stale = 0;
    q->measured = sim->now >= r->opts->warmup;
    if (q->measured)
        r->res->requests++;

    /* given[] is all zero here: the loop over the nodes clears it. */
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_trace_field *f = &rec->fields[i];
        node_state *ns = &q->ns[f->node];
        /* 2: the line gives size and hash but not the demand ("-"). */
        r->given[f->node] = f->no_service ? 2 : 1;
        ns->job.demand = f->service;
        ns->bytes = f->has_bytes                        ? f->bytes
                    : svc->nodes[f->node].has_out_bytes ? svc->nodes[f->node].out_bytes
                                                        : 0;
        ns->traced = f->has_hash;
        ns->hash = f->hash;
        if (r->demand_n && !f->no_service) { /* a running mean, for precompute */
            r->demand_n[f->node]++;
            r->demand_mean[f->node] +=
                ((double)f->service - r->demand_mean[f->node]) / (double)r->demand_n[f->node];
        }
    }
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        node_state *ns = &q->ns[n];
        const fx_node *node = &svc->nodes[n];
        ns->job.owner = q;
        ns->job.tag = n;
        ns->waiting = node->npred;
        ns->done = 0;
        uint8_t given = r->given[n];
        r->given[n] = 0;
        if (given) {
            if (!ns->traced) /* no content identity given: a function of the key */
                ns->hash = fx_mix64(q->key_hash ^ ((uint64_t)n << 32));
            if (given == 1)
                continue;
        }
        if (!node->has_profile) {
            fx_err_set(r->err, FX_EINVAL,
                       "%s:%llu: expected a service time for node \"%s\" (it has no profile in "
                       "%s), found none",
                       fx_trace_path(r->trace), (unsigned long long)rec->line, node->id, svc->path);
            memset(r->given, 0, svc->nnodes);
            request_put(r, q);
            fail(r, FX_EINVAL);
            return 0;
        }
        ns->job.demand = fx_dist_sample(&node->profile, r->profile_rng[n]);
        if (given)
            continue; /* size and hash come from the line */
        ns->bytes = node->has_out_bytes ? node->out_bytes : 0;
        ns->traced = 0;
        ns->hash = fx_mix64(q->key_hash ^ ((uint64_t)n << 32));
    }
    r->in_flight++;
    if (r->in_flight > r->res->peak_in_flight)
        r->res->peak_in_flight = r->in_flight;
    fx_tw_set(&r->tw_in_flight, sim->now, (double)r->in_flight);
    if (missed == 0) { /* whole_hit looked it up: what lookup_done does on a miss */
        lookup_state *lk = &q->lk[r->whole];
        lk->key = q->key_hash;
        lk->missed = 1;
        run_node(r, q, svc->entry);
        return 1;
    }
    node_ready(r, q, svc->entry);
    return 1;
}

/* Arrivals come one at a time from the trace. When the next one falls
 * strictly before every pending event, it would be the next to fire anyway:
 * it starts at once instead of going through the calendar, the same order
 * at a fraction of the cost (most requests of a cache-friendly trace never
 * leave this loop). */
static void arrival(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    replay *r = obj;
    (void)arg;
    while (start_request(r) && read_ahead(r)) {
        fx_time t = arrival_time(r);
        if (sim->stop || t >= fx_calendar_next_time(sim->cal)) {
            fx_sim_at(sim, t, arrival, r, 0);
            return;
        }
        sim->now = t;
        sim->events++;
    }
}

/* ---- set-up and results ---------------------------------------------------- */

/* Nodes reached from the entry through synchronous edges only. */
static uint32_t mark_sync(const fx_arch *arch, uint8_t *sync)
{
    const fx_service *svc = arch->svc;
    uint32_t count = 0;
    memset(sync, 0, svc->nnodes);
    sync[svc->entry] = 1;
    for (uint32_t i = 0; i < svc->nnodes; i++) { /* topological order */
        uint32_t n = svc->topo[i];
        if (!sync[n])
            continue;
        count++;
        for (uint32_t j = 0; j < svc->nodes[n].nsucc; j++)
            if (!arch->async || !arch->async[n] || !arch->async[n][j])
                sync[svc->nodes[n].succ[j]] = 1;
    }
    return count;
}

static void replay_free(replay *r)
{
    const fx_arch *a = r->arch;
    if (r->tier)
        for (uint32_t p = 0; p < a->npools; p++)
            fx_tier_free(r->tier[p]);
    if (r->profile_rng)
        for (uint32_t n = 0; n < r->svc->nnodes; n++)
            gsl_rng_free(r->profile_rng[n]);
    if (r->caches)
        for (uint32_t c = 0; c < a->ncaches; c++) {
            fx_cache_free(r->caches[c].cache);
            free(r->caches[c].inside);
            free(r->caches[c].skipped);
            gsl_rng_free(r->caches[c].lookup_rng);
        }
    if (r->pre)
        for (uint32_t j = 0; j < a->nprecompute; j++) {
            fx_topk_free(r->pre[j].top);
            free(r->pre[j].seen);
            free(r->pre[j].keys);
        }
    gsl_rng_free(r->net_rng);
    free(r->tier);
    free(r->profile_rng);
    free(r->caches);
    free(r->pre);
    free(r->sync);
    free(r->given);
    free(r->demand_mean);
    free(r->demand_n);
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
    for (uint32_t p = 0; res->pools && p < res->npools; p++)
        free(res->pools[p].partition_util);
    free(res->hist);
    free(res->pools);
    free(res->caches);
    res->hist = NULL;
    res->pools = NULL;
    res->caches = NULL;
}

static fx_status setup(replay *r)
{
    const fx_arch *arch = r->arch;
    const fx_service *svc = r->svc;
    fx_replay_result *res = r->res;
    char name[FX_REASON_MAX];

    res->hist = calloc(1, sizeof *res->hist);
    res->pools = calloc(arch->npools, sizeof *res->pools);
    res->caches = calloc(arch->ncaches ? arch->ncaches : 1, sizeof *res->caches);
    r->sim = fx_sim_alloc(r->opts->seed);
    r->tier = calloc(arch->npools, sizeof *r->tier);
    r->profile_rng = calloc(svc->nnodes, sizeof *r->profile_rng);
    r->given = calloc(svc->nnodes, 1);
    r->sync = calloc(svc->nnodes, 1);
    r->caches = calloc(arch->ncaches ? arch->ncaches : 1, sizeof *r->caches);
    if (!res->hist || !res->pools || !res->caches || !r->sim || !r->tier || !r->profile_rng ||
        !r->given || !r->sync || !r->caches)
        return FX_ENOMEM;
    res->npools = arch->npools;
    res->ncaches = arch->ncaches;
    r->nsync = mark_sync(arch, r->sync);
    r->entry_partitioned = arch->pools[arch->node_pool[svc->entry]].partitions > 1;
    for (uint32_t c = 0; c < arch->ncaches; c++)
        if (arch->caches[c].from == svc->entry && arch->pools[arch->caches[c].pool].partitions > 1)
            r->entry_partitioned = 1;
    if (r->network && !(r->net_rng = fx_sim_rng(r->sim, "network")))
        return FX_ENOMEM;
    for (uint32_t p = 0; p < arch->npools; p++) {
        const fx_pool *pool = &arch->pools[p];
        fx_tier_config cfg = {pool->id,      pool->discipline,
                              pool->servers, pool->partitions,
                              pool->speed,   pool->balancer,
                              pool->mtbf_s,  pool->mttr_s,
                              pool->retries, pool->has_retry_after ? &pool->retry_after : NULL};
        if (!(r->tier[p] = fx_tier_alloc(&cfg, r->sim, job_done, r)))
            return FX_ENOMEM;
        if (!(res->pools[p].partition_util = calloc(pool->partitions, sizeof(double))))
            return FX_ENOMEM;
    }
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        if (svc->nodes[n].has_profile) {
            snprintf(name, sizeof name, "profile:%s", svc->nodes[n].id);
            if (!(r->profile_rng[n] = fx_sim_rng(r->sim, name)))
                return FX_ENOMEM;
        }
    }
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        const fx_cache_cfg *cfg = &arch->caches[c];
        cache_rt *rt = &r->caches[c];
        fx_err e;
        if (fx_cache_alloc(fx_cache_policy_name(cfg->policy), cfg->capacity_bytes, &rt->cache,
                           &e) != FX_OK)
            return e.code;
        fx_cache_set_ttl(rt->cache, cfg->ttl);
        if (!(rt->inside = calloc(svc->nnodes, 1)) ||
            !(rt->skipped = calloc(svc->nnodes, sizeof *rt->skipped)))
            return FX_ENOMEM;
        fx_placement_nodes(svc, cfg->from, cfg->to, rt->inside);
        for (uint32_t n = 0; n < svc->nnodes; n++) {
            rt->ninside += rt->inside[n];
            rt->nsync_inside += rt->inside[n] && r->sync[n];
            if (rt->inside[n] && n != cfg->to)
                rt->skipped[rt->nskipped++] = n;
        }
        snprintf(name, sizeof name, "cache:%s", cfg->id);
        if (cfg->has_lookup && !(rt->lookup_rng = fx_sim_rng(r->sim, name)))
            return FX_ENOMEM;
    }
    r->whole = -1;
    if (arch->node_cache && arch->node_cache[svc->entry] != UINT32_MAX) {
        uint32_t c = arch->node_cache[svc->entry];
        const fx_cache_cfg *cfg = &arch->caches[c];
        r->entry_cache = r->caches[c].cache;
        /* A hit that answers the request at once: no lookup work, every
         * node inside, nothing after the last, and nothing watching the
         * lookups (a precompute job counts them). */
        if (!r->opts->no_shortcuts && !cfg->has_lookup && r->caches[c].ninside == svc->nnodes &&
            svc->nodes[cfg->to].nsucc == 0 && !arch->nprecompute)
            r->whole = (int32_t)c;
    }
    if (arch->nprecompute) {
        r->pre = calloc(arch->nprecompute, sizeof *r->pre);
        r->demand_mean = calloc(svc->nnodes, sizeof *r->demand_mean);
        r->demand_n = calloc(svc->nnodes, sizeof *r->demand_n);
        if (!r->pre || !r->demand_mean || !r->demand_n)
            return FX_ENOMEM;
        for (uint32_t j = 0; j < arch->nprecompute; j++) {
            precompute *pc = &r->pre[j];
            pc->cfg = &arch->precompute[j];
            size_t m = 4 * (size_t)pc->cfg->top_k + 64;
            pc->top = fx_topk_alloc(m);
            pc->nseen = 4 * m;
            pc->seen = calloc(pc->nseen, sizeof *pc->seen);
            pc->keys = calloc(pc->cfg->top_k, sizeof *pc->keys);
            if (!pc->top || !pc->seen || !pc->keys)
                return FX_ENOMEM;
            r->caches[pc->cfg->cache].pre = pc;
        }
    }
    return FX_OK;
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
    r.network = arch->has_hop || arch->bandwidth_mbps > 0;
    r.ns_per_byte = arch->bandwidth_mbps > 0 ? 8e3 / arch->bandwidth_mbps : 0;
    r.req_size =
        sizeof(request) + svc->nnodes * sizeof(node_state) + arch->ncaches * sizeof(lookup_state);
    r.req_size = (r.req_size + 15) & ~(size_t)15;
    fx_batch_init(&res->batch);
    res->seed = opts->seed;

    fx_status st = setup(&r);
    if (st != FX_OK) {
        replay_free(&r);
        fx_replay_result_free(res);
        return fx_err_set(e, st, st == FX_ENOMEM ? "out of memory" : "cannot set up the replay");
    }

    /* Blocks of requests parsed ahead, in this thread unless the caller
     * asked for one of the reader's own. */
    (void)fx_trace_read_ahead(trace, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (read_ahead(&r)) {
        /* Measure from the warm-up's end or the first arrival, whichever is
         * later, so that an idle stretch before the trace does not dilute
         * utilization and throughput. Scheduled before the first arrival, it
         * fires first when both fall at the same time. */
        fx_time first = arrival_time(&r);
        fx_sim_at(r.sim, first > opts->warmup ? first : opts->warmup, start_measuring, &r, 0);
        fx_sim_at(r.sim, first, arrival, &r, 0);
        for (uint32_t j = 0; j < arch->nprecompute; j++)
            fx_sim_at(r.sim, first + arch->precompute[j].period, precompute_tick, &r, j);
    }
    /* An empty trace has nothing to run (failing servers would cycle on). */
    st = r.have_rec ? fx_sim_run(r.sim, FX_TIME_MAX) : r.sim->failed;
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
        fx_tier_stats s;
        fx_pool_result *pr = &res->pools[p];
        fx_tier_stats_get(r.tier[p], now, &s, pr->partition_util);
        pr->id = arch->pools[p].id;
        pr->servers = arch->pools[p].servers * arch->pools[p].partitions;
        pr->partitions = arch->pools[p].partitions;
        pr->utilization = s.utilization;
        pr->mean_queue = s.mean_queue;
        pr->mean_wait_ms = s.mean_wait * 1e-6;
        pr->visits = s.served;
        pr->availability = s.availability;
        pr->has_failures = arch->pools[p].mtbf_s > 0;
    }
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        fx_cache_stats cs;
        fx_cache_stats_get(r.caches[c].cache, &cs);
        fx_cache_result *cr = &res->caches[c];
        cr->id = arch->caches[c].id;
        cr->hits = cs.hits;
        cr->misses = cs.misses;
        cr->evictions = cs.evictions;
        cr->expirations = cs.expirations;
        cr->stale_hits = r.caches[c].stale_hits;
        cr->refreshes = r.caches[c].refreshes;
        cr->hit_ratio = cs.hits + cs.misses ? (double)cs.hits / (double)(cs.hits + cs.misses) : 0;
    }
    replay_free(&r);
    return FX_OK;
}
