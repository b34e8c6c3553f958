/* network.c - the analytic solver: one pass over the trace into sums, then
 * closed forms per station and a mean-value walk of the DAG (see
 * network.h and doc/analyze.part.md). */
#include "models/network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "models/analytic.h"
#include "models/transform.h"
#include "sim/pcg.h"
#include "traces/mrc.h"

const char fx_net_p99_method[] = "lognormal-mixture";

/* Where jsq and p2c sit between a shared queue (0) and random (1), on a
 * logarithmic scale: fitted to the balancer measurements of the test suite
 * (4 servers at utilization 0.9: shared 1.78 ms, jsq 2.02, p2c 2.48,
 * random 8.03). */
#define THETA_JSQ 0.08
#define THETA_P2C 0.22

/* Service scv this close to 1 counts as exponential (Erlang C as is). */
#define SCV_EXP_BAND 0.05

/* ---- one station ------------------------------------------------------------ */

/* Mean-field mean sojourn (in mean services) of the supermarket model with
 * two choices (Mitzenmacher; Vvedenskaya et al.): sum over i >= 1 of
 * rho^(2^i - 2). The limit of p2c over many servers. */
static double supermarket2(double rho)
{
    double t = 0, term = 1;
    for (int i = 1; i < 64 && term > 1e-12; i++) {
        term = pow(rho, ldexp(1.0, i) - 2.0);
        t += term;
    }
    return t;
}

static double interp(double shared, double random, double theta)
{
    if (shared <= 0 || random <= 0)
        return shared;
    return pow(shared, 1 - theta) * pow(random, theta);
}

void fx_net_station_solve(const fx_net_station *st, fx_net_perf *out)
{
    memset(out, 0, sizeof *out);
    unsigned c = st->servers ? st->servers : 1;
    double avail = st->availability > 0 && st->availability <= 1 ? st->availability : 1;
    double es = st->es;
    double ese = es / avail; /* lost capacity as slower servers */
    double a = st->lambda * ese;
    double rho = a / c;
    double cs2 = st->scv >= 0 ? st->scv : 1;
    out->utilization = st->lambda * es / c;
    int shared = st->balancer == FX_BAL_SHARED || c == 1;
    if (st->discipline == FX_PS)
        out->model = shared ? (c == 1 ? "M/G/1-PS" : "M/G/c-PS (as M/M/c, insensitive)")
                     : st->balancer == FX_BAL_RANDOM || st->balancer == FX_BAL_ROUND_ROBIN
                         ? "M/G/1-PS per server"
                     : st->balancer == FX_BAL_JSQ ? "PS, jsq: between shared and random (fit)"
                                                  : "PS, p2c: between shared and random (fit)";
    else if (shared)
        out->model = fabs(cs2 - 1) <= SCV_EXP_BAND ? (c == 1 ? "M/M/1" : "M/M/c (Erlang C)")
                     : c == 1                      ? "M/G/1 (Pollaczek-Khinchine)"
                                                   : "M/G/c (Allen-Cunneen)";
    else
        out->model = st->balancer == FX_BAL_RANDOM ? "M/G/1 per server (Pollaczek-Khinchine)"
                     : st->balancer == FX_BAL_ROUND_ROBIN
                         ? "E_c/G/1 per server, ca^2 = 1/c (Kingman)"
                     : st->balancer == FX_BAL_JSQ ? "jsq: between shared and random (fit)"
                                                  : "p2c: between shared and random (fit)";
    if (!(rho < 1)) {
        out->saturated = 1;
        out->p_wait = 1;
        out->wait = out->wait2 = out->response = NAN;
        return;
    }
    if (st->lambda <= 0 || es <= 0) {
        out->response = es;
        return;
    }
    /* Waits in the effective (availability-scaled) time, before adding the
     * service lost to failures to what counts as waiting. */
    double pw_sh = fx_erlang_c(c, a);
    double w, pw;
    if (st->discipline == FX_PS) {
        double r_sh = fx_mmc_response(st->lambda, ese, c) - ese;
        double r_rd = ese / (1 - rho) - ese;
        if (shared) {
            w = r_sh;
            pw = c == 1 ? rho : pw_sh;
        } else if (st->balancer == FX_BAL_RANDOM || st->balancer == FX_BAL_ROUND_ROBIN) {
            w = r_rd;
            pw = rho;
        } else {
            double th = st->balancer == FX_BAL_JSQ ? THETA_JSQ : THETA_P2C;
            w = interp(r_sh, r_rd, th);
            pw = interp(pw_sh, rho, th);
        }
    } else {
        double ac = fabs(cs2 - 1) <= SCV_EXP_BAND ? 1.0 : (1 + cs2) / 2;
        double w_sh = pw_sh * ese / (c - a) * ac;
        double w_rd = rho * ese * (1 + cs2) / (2 * (1 - rho));
        if (shared) {
            w = w_sh;
            pw = pw_sh;
        } else if (st->balancer == FX_BAL_RANDOM) {
            w = w_rd;
            pw = rho;
        } else if (st->balancer == FX_BAL_ROUND_ROBIN) {
            w = rho / (1 - rho) * ese * (1.0 / c + cs2) / 2;
            pw = rho;
        } else if (st->balancer == FX_BAL_JSQ) {
            w = interp(w_sh, w_rd, THETA_JSQ);
            pw = interp(pw_sh, rho, THETA_JSQ);
        } else {
            w = interp(w_sh, w_rd, THETA_P2C);
            double floor = ese * (supermarket2(rho) - 1) * (1 + cs2) / 2;
            if (floor > w)
                w = floor;
            pw = interp(pw_sh, rho, THETA_P2C);
        }
    }
    /* What a replay counts as waiting: the response less the nominal
     * service, so lost capacity shows up as waiting. */
    out->response = w + ese;
    out->wait = out->response - es;
    out->p_wait = pw > 0 ? (pw < 1 ? pw : 1) : 0;
    /* Waiting time: 0, or exponential given that the job waits. */
    out->wait2 = out->p_wait > 0 ? 2 * out->wait * out->wait / out->p_wait : 0;
}

/* ---- the load ------------------------------------------------------------------ */

void fx_net_load_free(fx_net_load *load)
{
    if (!load)
        return;
    for (uint32_t n = 0; load->nodes && n < load->nnodes; n++)
        free(load->nodes[n].part);
    for (uint32_t c = 0; load->caches && c < load->ncaches; c++)
        free(load->caches[c].part);
    free(load->nodes);
    free(load->caches);
    free(load->outcomes);
    free(load);
}

fx_status fx_net_load_alloc(const fx_arch *arch, fx_net_load **out, fx_err *e)
{
    *out = NULL;
    const fx_service *svc = arch->svc;
    fx_net_load *l = calloc(1, sizeof *l);
    if (!l)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    l->nnodes = svc->nnodes;
    l->ncaches = arch->ncaches;
    l->nodes = calloc(svc->nnodes, sizeof *l->nodes);
    l->caches = calloc(arch->ncaches ? arch->ncaches : 1, sizeof *l->caches);
    int ok = l->nodes && l->caches;
    for (uint32_t n = 0; ok && n < svc->nnodes; n++) {
        unsigned k = arch->pools[arch->node_pool[n]].partitions;
        if (k > 1)
            ok = (l->nodes[n].part = calloc(k, sizeof(uint64_t))) != NULL;
    }
    for (uint32_t c = 0; ok && c < arch->ncaches; c++) {
        unsigned k = arch->pools[arch->caches[c].pool].partitions;
        if (k > 1)
            ok = (l->caches[c].part = calloc(k, sizeof(uint64_t))) != NULL;
    }
    if (ok && arch->ncaches <= FX_NET_OUTCOME_CACHES)
        ok = (l->outcomes = calloc((size_t)1 << arch->ncaches, sizeof(uint64_t))) != NULL;
    if (!ok) {
        fx_net_load_free(l);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    *out = l;
    return FX_OK;
}

/* What the pass keeps besides the sums. */
typedef struct pass {
    const fx_arch *arch;
    const fx_service *svc;
    const fx_trace_field **given; /* per node: its field on the line, or NULL */
    uint64_t *hash;               /* per node: its output hash for this line */
    uint8_t *skip;                /* per node: spared by a cache hit */
    uint8_t **inside;             /* per cache: the nodes it covers */
    fx_mrc **mrc;                 /* per cache, at its capacity */
    fx_mrc_source *src;
} pass;

static void pass_free(pass *p)
{
    if (p->inside)
        for (uint32_t c = 0; c < p->arch->ncaches; c++)
            free(p->inside[c]);
    if (p->mrc)
        for (uint32_t c = 0; c < p->arch->ncaches; c++)
            fx_mrc_free(p->mrc[c]);
    free(p->inside);
    free(p->mrc);
    free(p->src);
    free(p->given);
    free(p->hash);
    free(p->skip);
}

static fx_status pass_init(pass *p, const fx_arch *arch, fx_err *e)
{
    const fx_service *svc = arch->svc;
    memset(p, 0, sizeof *p);
    p->arch = arch;
    p->svc = svc;
    size_t nc = arch->ncaches ? arch->ncaches : 1;
    p->given = calloc(svc->nnodes, sizeof *p->given);
    p->hash = calloc(svc->nnodes, sizeof *p->hash);
    p->skip = calloc(svc->nnodes, 1);
    p->inside = calloc(nc, sizeof *p->inside);
    p->mrc = calloc(nc, sizeof *p->mrc);
    p->src = calloc(nc, sizeof *p->src);
    if (!p->given || !p->hash || !p->skip || !p->inside || !p->mrc || !p->src)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        const fx_cache_cfg *cfg = &arch->caches[c];
        if (!(p->inside[c] = calloc(svc->nnodes, 1)))
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        fx_placement_nodes(svc, cfg->from, cfg->to, p->inside[c]);
        fx_status st = fx_mrc_alloc(&cfg->capacity_bytes, 1, 1.0, &p->mrc[c], e);
        if (st != FX_OK)
            return st;
        const fx_node *from = &svc->nodes[cfg->from];
        const fx_node *to = &svc->nodes[cfg->to];
        p->src[c].from_entry = from->npred == 0;
        p->src[c].pred = from->pred;
        p->src[c].npred = from->npred;
        p->src[c].to = cfg->to;
        p->src[c].to_default_bytes = to->has_out_bytes ? to->out_bytes : 0;
    }
    return FX_OK;
}

/* The partition key of node N's input, as models/replay.c computes it. */
static uint64_t part_key(const pass *p, const fx_trace_rec *rec, uint32_t n)
{
    const fx_node *node = &p->svc->nodes[n];
    if (node->npred == 0)
        return fx_partition_key(rec->key, rec->key_len);
    if (node->npred == 1)
        return p->hash[node->pred[0]];
    uint64_t k = 0;
    for (uint32_t i = 0; i < node->npred; i++)
        k = fx_mix64(k ^ p->hash[node->pred[i]]);
    return k;
}

static fx_status pass_record(pass *p, fx_net_load *l, const fx_trace_rec *rec, const char *path,
                             fx_err *e)
{
    const fx_arch *arch = p->arch;
    const fx_service *svc = p->svc;
    if (l->requests == 0) {
        l->first = rec->t;
        l->window = FX_MS;
    }
    l->last = rec->t;
    l->requests++;
    uint64_t w = (uint64_t)(rec->t - l->first) / (uint64_t)l->window;
    while (w >= FX_NET_WINDOWS) {
        for (size_t i = 0; i < FX_NET_WINDOWS / 2; i++)
            l->windows[i] = l->windows[2 * i] + l->windows[2 * i + 1];
        memset(l->windows + FX_NET_WINDOWS / 2, 0, FX_NET_WINDOWS / 2 * sizeof l->windows[0]);
        l->window *= 2;
        w /= 2;
    }
    l->windows[w]++;
    for (uint32_t n = 0; n < svc->nnodes; n++)
        p->given[n] = NULL;
    for (size_t i = 0; i < rec->nfields; i++)
        p->given[rec->fields[i].node] = &rec->fields[i];
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        const fx_trace_field *f = p->given[n];
        const fx_node *node = &svc->nodes[n];
        p->hash[n] = f && f->has_hash ? f->hash : fx_mix64(rec->key_hash ^ ((uint64_t)n << 32));
        uint64_t bytes = f && f->has_bytes ? f->bytes : node->has_out_bytes ? node->out_bytes : 0;
        l->nodes[n].bytes += (double)bytes;
    }
    memset(p->skip, 0, svc->nnodes);
    uint64_t mask = 0;
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        uint64_t key, size;
        fx_mrc_source_key(&p->src[c], rec, &key, &size);
        int hit = fx_mrc_access(p->mrc[c], key, size);
        if (hit < 0) {
            fx_status st = fx_mrc_error(p->mrc[c]);
            return fx_err_set(e, st,
                              st == FX_ELIMIT ? "%s:%llu: cache \"%s\": more than %llu distinct "
                                                "keys"
                                              : "%s:%llu: cache \"%s\": out of memory",
                              path, (unsigned long long)rec->line, arch->caches[c].id,
                              (unsigned long long)FX_MRC_KEYS_MAX);
        }
        l->caches[c].lookups++;
        if (hit) {
            l->caches[c].hits++;
            mask |= (uint64_t)1 << (c < 63 ? c : 63);
            for (uint32_t n = 0; n < svc->nnodes; n++)
                p->skip[n] |= p->inside[c][n];
        }
        if (l->caches[c].part) {
            const fx_pool *pool = &arch->pools[arch->caches[c].pool];
            l->caches[c].part[fx_pool_partition(pool, key)]++;
        }
    }
    if (l->outcomes)
        l->outcomes[mask]++;
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        if (p->skip[n])
            continue;
        const fx_trace_field *f = p->given[n];
        const fx_node *node = &svc->nodes[n];
        fx_net_node_load *nl = &l->nodes[n];
        if (f && !f->no_service) {
            double s = (double)f->service;
            nl->s1 += s;
            nl->s2 += s * s;
            nl->traced++;
        } else if (node->has_profile) { /* absent, or "-": the profile's */
            double m = node->profile.mean;
            nl->s1 += m;
            nl->s2 += m * m * (1 + node->profile.scv);
        } else {
            return fx_err_set(e, FX_EINVAL,
                              "%s:%llu: expected a service time for node \"%s\" (it has no "
                              "profile in %s), found none",
                              path, (unsigned long long)rec->line, node->id, svc->path);
        }
        nl->visits++;
        if (nl->part) {
            const fx_pool *pool = &arch->pools[arch->node_pool[n]];
            nl->part[fx_pool_partition(pool, part_key(p, rec, n))]++;
        }
    }
    return FX_OK;
}

fx_status fx_net_measure(const fx_arch *arch, fx_trace_reader *trace, fx_net_load **out, fx_err *e)
{
    *out = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fx_net_load *l;
    fx_status st = fx_net_load_alloc(arch, &l, e);
    if (st != FX_OK)
        return st;
    pass p;
    st = pass_init(&p, arch, e);
    fx_trace_rec rec;
    int got = 0;
    while (st == FX_OK && (got = fx_trace_next(trace, &rec, e)) == 1)
        st = pass_record(&p, l, &rec, fx_trace_path(trace), e);
    if (st == FX_OK && got < 0)
        st = e && e->code != FX_OK ? e->code : FX_EINVAL;
    for (uint32_t c = 0; st == FX_OK && c < arch->ncaches; c++) {
        fx_mrc_summary s;
        fx_mrc_summary_get(p.mrc[c], &s);
        l->distinct_keys += s.keys;
    }
    pass_free(&p);
    if (st != FX_OK) {
        fx_net_load_free(l);
        return st;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    l->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    *out = l;
    return FX_OK;
}

/* ---- solving ----------------------------------------------------------------- */

/* A random time by its mean and variance (seconds). */
typedef struct mv {
    double m, v;
} mv;

/* Up to two ways a node's output leaves it: from a cache hit at the
 * cache's pool, or from the node itself at its pool. */
typedef struct branch {
    double p;
    mv t;
    uint32_t pool;
} branch;

typedef struct solver {
    const fx_arch *arch;
    const fx_service *svc;
    const fx_net_load *load;
    fx_net_result *res;
    double lambda;
    mv *resp;            /* per node: response at its pool */
    double *bytes;       /* per node: mean output bytes */
    mv *lookup;          /* per cache: the lookup's response */
    uint8_t **inside;    /* per cache */
    int32_t *cache_from; /* per node: the cache starting there, or -1 */
    int32_t *cache_to;   /* per node: the cache ending there, or -1 */
    int32_t *cover;      /* per node: the cache covering it (they do not overlap), or -1 */
    uint8_t *sync;
    /* scratch for one walk */
    branch (*out)[2];
    uint8_t *nout;
    mv *fin;
    mv *hit_at; /* per cache: when a lookup answers */
    double *w;  /* per cache: probability of a hit in the walk */
} solver;

static mv mix(const branch *b, int n, const mv *add)
{
    double m = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double bm = b[i].t.m + (add ? add[i].m : 0);
        double bv = b[i].t.v + (add ? add[i].v : 0);
        m += b[i].p * bm;
        s2 += b[i].p * (bv + bm * bm);
    }
    mv r = {m, s2 - m * m};
    if (r.v < 0)
        r.v = 0;
    return r;
}

/* A hop from pool A to pool B carrying node N's output. */
static mv hop(const solver *s, uint32_t a, uint32_t b, uint32_t n)
{
    mv r = {0, 0};
    const fx_arch *arch = s->arch;
    if (a == b)
        return r;
    if (arch->has_hop) {
        r.m = arch->hop.mean * 1e-9;
        r.v = isfinite(arch->hop.scv) ? arch->hop.scv * r.m * r.m : INFINITY;
    }
    if (arch->bandwidth_mbps > 0)
        r.m += s->bytes[n] * 8 / (arch->bandwidth_mbps * 1e6);
    return r;
}

/* The mean-value critical path with each cache hitting with probability
 * s->w[c]: the latency's mean and variance. */
static mv walk(solver *s)
{
    const fx_arch *arch = s->arch;
    const fx_service *svc = s->svc;
    for (uint32_t i = 0; i < svc->nnodes; i++) {
        uint32_t n = svc->topo[i];
        const fx_node *node = &svc->nodes[n];
        uint32_t pool = arch->node_pool[n];
        mv ready = {0, 0};
        int first = 1;
        for (uint32_t j = 0; j < node->npred; j++) {
            uint32_t p = node->pred[j];
            if (!s->nout[p])
                continue;
            mv add[2];
            for (int b = 0; b < s->nout[p]; b++)
                add[b] = hop(s, s->out[p][b].pool, pool, p);
            mv arr = mix(s->out[p], s->nout[p], add);
            if (first || arr.m > ready.m)
                ready = arr;
            first = 0;
        }
        int32_t cf = s->cache_from[n];
        if (cf >= 0) { /* the lookup first */
            ready.m += s->lookup[cf].m;
            ready.v += s->lookup[cf].v;
            s->hit_at[cf] = ready;
        }
        /* A node a sure hit spares (other than the cache's last) does not
         * run. */
        int32_t cv = s->cover[n];
        if (cv >= 0 && s->w[cv] >= 1 && cv != s->cache_to[n]) {
            s->nout[n] = 0;
            continue;
        }
        int32_t ct = s->cache_to[n];
        double w = ct >= 0 ? s->w[ct] : 0;
        int nb = 0;
        if (ct >= 0 && w > 0) {
            branch hb = {w, s->hit_at[ct], arch->caches[ct].pool};
            s->out[n][nb++] = hb;
        }
        if (w < 1) {
            /* Runs (on a miss, when in a cache). A node inside a cache
             * whose lookup has not answered yet starts after it. */
            mv f = {ready.m + s->resp[n].m, ready.v + s->resp[n].v};
            branch mb = {1 - w, f, pool};
            s->out[n][nb++] = mb;
        }
        s->nout[n] = (uint8_t)nb;
        s->fin[n] = mix(s->out[n], nb, NULL);
    }
    /* The response waits for every synchronous node; inside a cache only
     * its last node counts (the others finish before it, or with it on a
     * hit). */
    mv lat = {0, 0};
    int first = 1;
    for (uint32_t n = 0; n < svc->nnodes; n++) {
        if (!s->sync[n] || !s->nout[n])
            continue;
        if (s->cover[n] >= 0 && s->cover[n] != s->cache_to[n])
            continue; /* strictly inside a cache */
        if (first || s->fin[n].m > lat.m)
            lat = s->fin[n];
        first = 0;
    }
    return lat;
}

/* Nodes reached from the entry through synchronous edges (as the replay). */
static void mark_sync(const fx_arch *arch, uint8_t *sync)
{
    const fx_service *svc = arch->svc;
    memset(sync, 0, svc->nnodes);
    sync[svc->entry] = 1;
    for (uint32_t i = 0; i < svc->nnodes; i++) {
        uint32_t n = svc->topo[i];
        if (!sync[n])
            continue;
        for (uint32_t j = 0; j < svc->nodes[n].nsucc; j++)
            if (!arch->async || !arch->async[n] || !arch->async[n][j])
                sync[svc->nodes[n].succ[j]] = 1;
    }
}

void fx_net_result_free(fx_net_result *res)
{
    if (!res)
        return;
    for (uint32_t p = 0; res->pools && p < res->npools; p++)
        free(res->pools[p].partition_util);
    free(res->pools);
    free(res->caches);
    free(res->node_response_ms);
    free(res->node_visits);
    memset(res, 0, sizeof *res);
}

/* A job class at a pool: its rate, service moments (at the pool's speed)
 * and how it spreads over the partitions (NULL: evenly). */
typedef struct jclass {
    double rate, m1, m2;
    const uint64_t *part;
    uint64_t total;      /* the sum of part */
    int32_t node, cache; /* what it is: a node, or a cache's lookups (-1: not) */
} jclass;

static double share(const jclass *j, unsigned k, unsigned parts)
{
    if (parts == 1)
        return 1;
    if (!j->part || j->total == 0)
        return 1.0 / parts;
    return (double)j->part[k] / (double)j->total;
}

typedef struct solve_tmp {
    jclass *cls;
    fx_net_perf *perf; /* per partition of the pool being solved */
    double *es;        /* per partition: mean service */
} solve_tmp;

/* One pool: its partitions solved; fills the pool result and the mean
 * response of every node and lookup there into S. */
static void solve_pool(solver *s, uint32_t p, solve_tmp *t)
{
    const fx_arch *arch = s->arch;
    const fx_service *svc = s->svc;
    const fx_net_load *l = s->load;
    const fx_pool *pool = &arch->pools[p];
    fx_net_pool_result *pr = &s->res->pools[p];
    double n_req = (double)l->requests;
    unsigned parts = pool->partitions;
    double speed = pool->speed > 0 ? pool->speed : 1;
    double avail = pool->mtbf_s > 0 ? pool->mtbf_s / (pool->mtbf_s + pool->mttr_s) : 1;

    /* The classes: nodes hosted, then lookups of caches on this pool. */
    size_t nc = 0;
    for (uint32_t i = 0; i < pool->nnodes; i++) {
        uint32_t n = pool->nodes[i];
        const fx_net_node_load *nl = &l->nodes[n];
        jclass *j = &t->cls[nc++];
        double m1, m2;
        if (nl->visits) {
            m1 = nl->s1 / (double)nl->visits * 1e-9;
            m2 = nl->s2 / (double)nl->visits * 1e-18;
        } else {
            const fx_node *node = &svc->nodes[n];
            m1 = node->has_profile ? node->profile.mean * 1e-9 : 0;
            m2 = node->has_profile ? m1 * m1 * (1 + node->profile.scv) : 0;
        }
        j->rate = s->lambda * (double)nl->visits / n_req;
        for (uint32_t k = 0; k < arch->nprecompute; k++) {
            const fx_precompute_cfg *pc = &arch->precompute[k];
            if (s->inside[pc->cache][n] && pc->period > 0)
                j->rate += (double)pc->top_k / ((double)pc->period * 1e-9);
        }
        j->m1 = m1 / speed;
        j->m2 = m2 / (speed * speed);
        j->part = nl->part;
        j->node = (int32_t)n;
        j->cache = -1;
    }
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        const fx_cache_cfg *cfg = &arch->caches[c];
        if (cfg->pool != p || !cfg->has_lookup)
            continue;
        jclass *j = &t->cls[nc++];
        double m1 = cfg->lookup.mean * 1e-9;
        j->rate = s->lambda * (double)l->caches[c].lookups / n_req;
        j->m1 = m1 / speed;
        j->m2 = m1 * m1 * (1 + cfg->lookup.scv) / (speed * speed);
        j->part = l->caches[c].part;
        j->node = -1;
        j->cache = (int32_t)c;
    }

    for (size_t i = 0; i < nc; i++) {
        t->cls[i].total = 0;
        for (unsigned k = 0; t->cls[i].part && k < parts; k++)
            t->cls[i].total += t->cls[i].part[k];
    }
    pr->id = pool->id;
    pr->servers = pool->servers * parts;
    pr->partitions = parts;
    pr->availability = avail;
    double lam = 0, m1 = 0, m2 = 0, wsum = 0, usum = 0;
    for (unsigned k = 0; k < parts; k++) {
        double lk = 0, a1 = 0, a2 = 0;
        for (size_t i = 0; i < nc; i++) {
            double r = t->cls[i].rate * share(&t->cls[i], k, parts);
            lk += r;
            a1 += r * t->cls[i].m1;
            a2 += r * t->cls[i].m2;
        }
        fx_net_station st = {lk,
                             lk > 0 ? a1 / lk : 0,
                             lk > 0 && a1 > 0 ? (a2 / lk) / ((a1 / lk) * (a1 / lk)) - 1 : 1,
                             pool->servers,
                             pool->discipline,
                             pool->balancer,
                             avail};
        fx_net_station_solve(&st, &t->perf[k]);
        t->es[k] = st.es;
        pr->partition_util[k] = t->perf[k].utilization;
        usum += t->perf[k].utilization;
        pr->saturated |= t->perf[k].saturated;
        lam += lk;
        m1 += a1;
        m2 += a2;
        if (lk > 0)
            wsum += lk * t->perf[k].wait;
        if (k == 0 || (lk > 0 && !pr->model))
            pr->model = t->perf[k].model;
    }
    pr->arrival_rps = lam;
    pr->mean_service_ms = lam > 0 ? m1 / lam * 1e3 : 0;
    pr->scv = lam > 0 && m1 > 0 ? (m2 / lam) / ((m1 / lam) * (m1 / lam)) - 1 : 0;
    pr->utilization = usum / parts;
    if (pr->saturated) {
        pr->mean_wait_ms = pr->mean_queue = NAN;
    } else {
        pr->mean_wait_ms = lam > 0 ? wsum / lam * 1e3 : 0;
        pr->mean_queue = wsum;
    }

    /* Each class's response: its partitions' waits, its own service. Under
     * PS a job's response grows with its own size: the partition's
     * slowdown times its service. */
    for (size_t i = 0; i < nc; i++) {
        const jclass *j = &t->cls[i];
        double wm = 0, w2 = 0;
        for (unsigned k = 0; k < parts; k++) {
            double f = share(j, k, parts);
            if (f == 0)
                continue;
            const fx_net_perf *pf = &t->perf[k];
            double wk = pf->wait, w2k = pf->wait2;
            if (pool->discipline == FX_PS && t->es[k] > 0) {
                double scale = j->m1 / t->es[k];
                wk *= scale;
                w2k *= scale * scale;
            }
            wm += f * wk;
            w2 += f * w2k;
        }
        mv r = {wm + j->m1, (w2 - wm * wm) + (j->m2 - j->m1 * j->m1)};
        if (!(r.v >= 0))
            r.v = isnan(r.v) ? NAN : 0;
        if (j->node >= 0)
            s->resp[j->node] = r;
        else
            s->lookup[j->cache] = r;
    }
}

/* The 0.99 point of a mixture of lognormals (by mean and variance). */
static double p99_mixture(const double *pr, const mv *x, size_t n)
{
    double hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (pr[i] <= 0)
            continue;
        if (!isfinite(x[i].m) || !isfinite(x[i].v))
            return INFINITY;
        double h = x[i].m + 10 * sqrt(x[i].v);
        hi = h > hi ? h : hi;
    }
    double lo = 0;
    for (int it = 0; it < 200 && hi - lo > 1e-12 * (hi > 1 ? hi : 1); it++) {
        double mid = (lo + hi) / 2, f = 0;
        for (size_t i = 0; i < n; i++) {
            if (pr[i] <= 0)
                continue;
            if (x[i].v <= 0 || x[i].m <= 0) {
                f += pr[i] * (mid >= x[i].m ? 1 : 0);
                continue;
            }
            double s2 = log1p(x[i].v / (x[i].m * x[i].m));
            double mu = log(x[i].m) - s2 / 2;
            f += pr[i] * gsl_cdf_lognormal_P(mid, mu, sqrt(s2));
        }
        if (f >= 0.99)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static void solver_free(solver *s)
{
    if (s->inside)
        for (uint32_t c = 0; c < s->arch->ncaches; c++)
            free(s->inside[c]);
    free(s->inside);
    free(s->resp);
    free(s->bytes);
    free(s->lookup);
    free(s->cache_from);
    free(s->cache_to);
    free(s->cover);
    free(s->sync);
    free(s->out);
    free(s->nout);
    free(s->fin);
    free(s->hit_at);
    free(s->w);
}

fx_status fx_net_solve(const fx_arch *arch, const fx_net_load *load, double rate_scale,
                       fx_net_result *res, fx_err *e)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(res, 0, sizeof *res);
    const fx_service *svc = arch->svc;
    double span = (double)(load->last - load->first) * 1e-9;
    if (load->requests < 2 || !(span > 0))
        return fx_err_set(e, FX_EINVAL,
                          "expected a trace of at least two requests over a positive span, "
                          "found %llu request%s over %g s",
                          (unsigned long long)load->requests, load->requests == 1 ? "" : "s",
                          span > 0 ? span : 0.0);
    if (!(rate_scale > 0))
        rate_scale = 1;
    solver s;
    memset(&s, 0, sizeof s);
    s.arch = arch;
    s.svc = svc;
    s.load = load;
    s.res = res;
    s.lambda = rate_scale * (double)(load->requests - 1) / span;
    size_t nn = svc->nnodes, nc = arch->ncaches ? arch->ncaches : 1;
    size_t maxcls = 0;
    unsigned maxparts = 1;
    for (uint32_t p = 0; p < arch->npools; p++) {
        size_t k = arch->pools[p].nnodes + arch->ncaches;
        maxcls = k > maxcls ? k : maxcls;
        if (arch->pools[p].partitions > maxparts)
            maxparts = arch->pools[p].partitions;
    }
    solve_tmp t = {calloc(maxcls ? maxcls : 1, sizeof(jclass)),
                   calloc(maxparts, sizeof(fx_net_perf)), calloc(maxparts, sizeof(double))};
    s.inside = calloc(nc, sizeof *s.inside);
    s.resp = calloc(nn, sizeof *s.resp);
    s.bytes = calloc(nn, sizeof *s.bytes);
    s.lookup = calloc(nc, sizeof *s.lookup);
    s.cache_from = malloc(nn * sizeof *s.cache_from);
    s.cache_to = malloc(nn * sizeof *s.cache_to);
    s.cover = malloc(nn * sizeof *s.cover);
    s.sync = calloc(nn, 1);
    s.out = calloc(nn, sizeof *s.out);
    s.nout = calloc(nn, 1);
    s.fin = calloc(nn, sizeof *s.fin);
    s.hit_at = calloc(nc, sizeof *s.hit_at);
    s.w = calloc(nc, sizeof *s.w);
    res->pools = calloc(arch->npools, sizeof *res->pools);
    res->caches = calloc(nc, sizeof *res->caches);
    res->node_response_ms = calloc(nn, sizeof(double));
    res->node_visits = calloc(nn, sizeof(double));
    int ok = t.cls && t.perf && t.es && s.inside && s.resp && s.bytes && s.lookup && s.cache_from &&
             s.cache_to && s.cover && s.sync && s.out && s.nout && s.fin && s.hit_at && s.w &&
             res->pools && res->caches && res->node_response_ms && res->node_visits;
    for (uint32_t p = 0; ok && p < arch->npools; p++)
        ok = (res->pools[p].partition_util = calloc(arch->pools[p].partitions, sizeof(double))) !=
             NULL;
    for (uint32_t c = 0; ok && c < arch->ncaches; c++)
        ok = (s.inside[c] = calloc(nn, 1)) != NULL;
    double *prob = NULL;
    mv *lat = NULL;
    size_t nscen = 0;
    if (ok) {
        nscen = arch->ncaches <= FX_NET_OUTCOME_CACHES ? (size_t)1 << arch->ncaches : 1;
        prob = calloc(nscen, sizeof *prob);
        lat = calloc(nscen, sizeof *lat);
        ok = prob && lat;
    }
    if (!ok) {
        free(t.cls);
        free(t.perf);
        free(t.es);
        free(prob);
        free(lat);
        solver_free(&s);
        fx_net_result_free(res);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    res->requests = load->requests;
    res->rate_scale = rate_scale;
    res->arrival_rps = s.lambda;
    /* The rate by quarter: each window counts in the quarter holding its
     * middle (to within a window, at most 1/512 of the span). */
    if (load->window > 0) {
        double q[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < FX_NET_WINDOWS; i++) {
            double mid = ((double)i + 0.5) * (double)load->window * 1e-9;
            int k = (int)(mid * 4 / span);
            q[k < 0 ? 0 : k > 3 ? 3 : k] += (double)load->windows[i];
        }
        for (int k = 0; k < 4; k++) {
            res->rate_by_quarter_rps[k] = rate_scale * q[k] / (span / 4);
            double r = res->rate_by_quarter_rps[k] / s.lambda;
            res->peak_ratio = r > res->peak_ratio ? r : res->peak_ratio;
        }
    }
    res->npools = arch->npools;
    res->ncaches = arch->ncaches;
    res->nnodes = svc->nnodes;
    res->cost_per_hour = fx_arch_cost(arch);
    res->p99_method = fx_net_p99_method;

    mark_sync(arch, s.sync);
    for (uint32_t n = 0; n < nn; n++) {
        s.cache_from[n] = s.cache_to[n] = s.cover[n] = -1;
        s.bytes[n] = load->nodes[n].bytes / (double)load->requests;
        res->node_visits[n] = (double)load->nodes[n].visits / (double)load->requests;
    }
    for (uint32_t c = 0; c < arch->ncaches; c++) {
        const fx_cache_cfg *cfg = &arch->caches[c];
        fx_placement_nodes(svc, cfg->from, cfg->to, s.inside[c]);
        for (uint32_t n = 0; n < nn; n++)
            if (s.inside[c][n])
                s.cover[n] = (int32_t)c;
        s.cache_from[cfg->from] = (int32_t)c;
        s.cache_to[cfg->to] = (int32_t)c;
        fx_net_cache_result *cr = &res->caches[c];
        const fx_net_cache_load *cl = &load->caches[c];
        cr->id = cfg->id;
        cr->policy = fx_cache_policy_name(cfg->policy);
        cr->capacity_bytes = cfg->capacity_bytes;
        cr->lookups = cl->lookups;
        cr->hits = cl->hits;
        cr->hit_ratio = cl->lookups ? (double)cl->hits / (double)cl->lookups : 0;
        cr->lru_model = cfg->policy == fx_cache_policy_find("lru");
    }
    for (uint32_t p = 0; p < arch->npools; p++) {
        solve_pool(&s, p, &t);
        res->saturated += (uint32_t)res->pools[p].saturated;
    }
    for (uint32_t n = 0; n < nn; n++)
        res->node_response_ms[n] = s.resp[n].m * 1e3;

    if (res->saturated) {
        res->latency_mean_ms = res->latency_p99_ms = NAN;
    } else {
        /* The combinations of cache outcomes and how often each happens. */
        /* Measured joint outcomes when the load has them (a load filled
         * by hand may not), else independent caches. */
        uint64_t counted = 0;
        for (size_t m = 0; load->outcomes && m < nscen; m++)
            counted += load->outcomes[m];
        int joint = load->outcomes && counted == load->requests;
        if (nscen > 1 || arch->ncaches == 0) {
            for (size_t m = 0; m < nscen; m++) {
                if (joint) {
                    prob[m] = (double)load->outcomes[m] / (double)load->requests;
                } else {
                    prob[m] = 1;
                    for (uint32_t c = 0; c < arch->ncaches; c++)
                        prob[m] *=
                            (m >> c) & 1 ? res->caches[c].hit_ratio : 1 - res->caches[c].hit_ratio;
                }
            }
        } else {
            prob[0] = 1;
        }
        double mean = 0;
        for (size_t m = 0; m < nscen; m++) {
            if (prob[m] <= 0)
                continue;
            for (uint32_t c = 0; c < arch->ncaches; c++)
                s.w[c] = nscen > 1 ? (double)((m >> c) & 1) : res->caches[c].hit_ratio;
            lat[m] = walk(&s);
            mean += prob[m] * lat[m].m;
        }
        res->latency_mean_ms = mean * 1e3;
        res->latency_p99_ms = p99_mixture(prob, lat, nscen) * 1e3;
    }
    free(t.cls);
    free(t.perf);
    free(t.es);
    free(prob);
    free(lat);
    solver_free(&s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->solve_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    return FX_OK;
}
