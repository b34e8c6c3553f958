/* gen.c - synthetic traces: the generic generator and the weather workloads.
 *
 * Every random draw comes from one of three kinds of named streams (arrivals,
 * keys, one per node) so that the draws of one never shift those of another.
 * Output hashes are not random at all: they are SplitMix64 mixes of what the
 * output depends on, which is what makes a generated trace cacheable. */
#include "traces/gen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pcg.h"

/* Longest piece of user text quoted in a message. */
#define QUOTE_MAX 64

/* Salt of the phase of a volatile output (apart from its content hash). */
#define PHASE_SALT 0x5eed1e55c0ffee00ULL

/* Salt of the per-request output of a node with volatile_s == 0. */
#define FRESH_SALT 0x0f7e5b0a11ce0000ULL

/* ---- keys ------------------------------------------------------------------ */

/* log1p(x) / x, accurate near 0. */
static double helper1(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

/* expm1(x) / x, accurate near 0. */
static double helper2(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

/* h(x) = x^-alpha, the unnormalised density the ranks are sampled under. */
static double zipf_h(double alpha, double x)
{
    return exp(-alpha * log(x));
}

/* H(x), an antiderivative of h: (x^(1-alpha) - 1) / (1 - alpha), or log x. */
static double zipf_hint(double alpha, double x)
{
    double lx = log(x);
    return helper2((1.0 - alpha) * lx) * lx;
}

/* The inverse of H. */
static double zipf_hinv(double alpha, double x)
{
    double t = x * (1.0 - alpha);
    if (t < -1.0)
        t = -1.0;
    return exp(helper1(t) * x);
}

void fx_keys_zipf(fx_keys *k, double alpha, uint64_t n)
{
    memset(k, 0, sizeof *k);
    k->kind = FX_KEYS_ZIPF;
    k->alpha = alpha;
    k->n = n;
    k->h_x1 = zipf_hint(alpha, 1.5) - 1.0;
    k->h_n = zipf_hint(alpha, (double)n + 0.5);
    k->s_reject = 2.0 - zipf_hinv(alpha, zipf_hint(alpha, 2.5) - zipf_h(alpha, 2.0));
}

static double uniform01(gsl_rng *r)
{
    if (r->type == fx_rng_pcg32)
        return fx_pcg32_open01(fx_rng_state(r));
    return gsl_rng_uniform_pos(r);
}

uint64_t fx_keys_draw(const fx_keys *k, gsl_rng *r)
{
    if (k->kind == FX_KEYS_UNIFORM) {
        if (r->type == fx_rng_pcg32)
            return 1 + fx_pcg32_bounded(fx_rng_state(r), (uint32_t)k->n);
        uint64_t i = (uint64_t)(gsl_rng_uniform(r) * (double)k->n);
        return 1 + (i < k->n ? i : k->n - 1);
    }
    /* Rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion
     * to generate variates from monotone discrete distributions", ACM TOMACS
     * 6(3), 1996): invert the integral of the continuous hat x^-alpha and
     * accept the rounded rank with the exact probability. */
    for (;;) {
        double u = k->h_n + uniform01(r) * (k->h_x1 - k->h_n);
        double x = zipf_hinv(k->alpha, u);
        double kd = floor(x + 0.5);
        if (kd < 1.0)
            kd = 1.0;
        else if (kd > (double)k->n)
            kd = (double)k->n;
        if (kd - x <= k->s_reject || u >= zipf_hint(k->alpha, kd + 0.5) - zipf_h(k->alpha, kd))
            return (uint64_t)kd;
    }
}

/* A strict decimal number filling all of S. */
static int parse_double(const char *s, double *out)
{
    if (!((*s >= '0' && *s <= '9') || *s == '.'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    for (const char *c = s; c < end; c++)
        if (!((*c >= '0' && *c <= '9') || strchr(".eE+-", *c)))
            return -1;
    *out = v;
    return 0;
}

/* A strict decimal integer from 1 to FX_KEYS_MAX filling all of S. */
static int parse_count(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 1 || v > FX_KEYS_MAX)
        return -1;
    *out = v;
    return 0;
}

static int quote_len(const char *s)
{
    size_t n = strlen(s);
    return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

fx_status fx_keys_parse(const char *spec, fx_keys *k, fx_err *e)
{
    memset(k, 0, sizeof *k);
    if (!spec)
        return fx_err_set(e, FX_EINVAL, "keys: expected zipf:ALPHA,N or uniform:N, found nothing");
    if (strncmp(spec, "uniform:", 8) == 0) {
        uint64_t n;
        if (parse_count(spec + 8, &n) < 0)
            return fx_err_set(e, FX_EINVAL,
                              "keys \"%.*s\": expected uniform:N with N an integer from 1 to "
                              "%llu, found \"%.*s\"",
                              quote_len(spec), spec, (unsigned long long)FX_KEYS_MAX,
                              quote_len(spec + 8), spec + 8);
        k->kind = FX_KEYS_UNIFORM;
        k->n = n;
        return FX_OK;
    }
    if (strncmp(spec, "zipf:", 5) == 0) {
        const char *args = spec + 5;
        const char *comma = strchr(args, ',');
        char a[64];
        size_t alen = comma ? (size_t)(comma - args) : 0;
        double alpha;
        uint64_t n;
        if (!comma || alen >= sizeof a)
            return fx_err_set(e, FX_EINVAL, "keys \"%.*s\": expected zipf:ALPHA,N, found \"%.*s\"",
                              quote_len(spec), spec, quote_len(args), args);
        memcpy(a, args, alen);
        a[alen] = '\0';
        if (parse_double(a, &alpha) < 0 || !(alpha > 0.0) || alpha > 100.0)
            return fx_err_set(e, FX_EINVAL,
                              "keys \"%.*s\": expected an exponent ALPHA above 0 and at most 100, "
                              "found \"%s\"",
                              quote_len(spec), spec, a);
        if (parse_count(comma + 1, &n) < 0)
            return fx_err_set(
                e, FX_EINVAL,
                "keys \"%.*s\": expected a key count N from 1 to %llu, found \"%.*s\"",
                quote_len(spec), spec, (unsigned long long)FX_KEYS_MAX, quote_len(comma + 1),
                comma + 1);
        fx_keys_zipf(k, alpha, n);
        return FX_OK;
    }
    return fx_err_set(e, FX_EINVAL, "keys: expected zipf:ALPHA,N or uniform:N, found \"%.*s\"",
                      quote_len(spec), spec);
}

/* ---- arrivals -------------------------------------------------------------- */

fx_status fx_arrivals_parse(const char *spec, fx_dist *d, fx_err *e)
{
    memset(d, 0, sizeof *d);
    if (!spec)
        return fx_err_set(e, FX_EINVAL,
                          "arrivals: expected poisson:RATE or a distribution spec, "
                          "found nothing");
    if (strncmp(spec, "poisson:", 8) == 0) {
        double rate;
        if (parse_double(spec + 8, &rate) < 0 || !(rate > 0.0) || rate > 1e9)
            return fx_err_set(e, FX_EINVAL,
                              "arrivals \"%.*s\": expected poisson:RATE with RATE requests per "
                              "second above 0 and at most 1e9, found \"%.*s\"",
                              quote_len(spec), spec, quote_len(spec + 8), spec + 8);
        char exp_spec[64];
        snprintf(exp_spec, sizeof exp_spec, "exp:%.17gns", 1e9 / rate);
        return fx_dist_parse(exp_spec, d, e);
    }
    /* Name poisson among the families when the family is unknown. */
    size_t name_len = strcspn(spec, ":");
    int known = 0;
    for (const fx_dist_family *f = fx_dist_families; f->name; f++)
        if (strlen(f->name) == name_len && strncmp(f->name, spec, name_len) == 0)
            known = 1;
    if (!known) {
        char names[256] = "poisson";
        for (const fx_dist_family *f = fx_dist_families; f->name; f++) {
            strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, f->name, sizeof names - strlen(names) - 1);
        }
        return fx_err_set(e, FX_EINVAL,
                          "arrivals \"%.*s\": expected poisson:RATE or an inter-arrival "
                          "distribution (%s), found \"%.*s\"",
                          quote_len(spec), spec, names,
                          name_len > QUOTE_MAX ? QUOTE_MAX : (int)name_len, spec);
    }
    return fx_dist_parse(spec, d, e);
}

/* ---- generators ------------------------------------------------------------ */

typedef enum gen_kind { GEN_GENERIC, GEN_WEATHER } gen_kind;

/* The weather nodes, by role. */
enum { W_PARSE, W_GEOCODE, W_FORECAST, W_RENDER, W_LOG, W_NODES };
static const char *const weather_nodes[W_NODES] = {"parse", "geocode", "forecast", "render", "log"};

const char *const fx_weather_workloads[] = {"popular", "longtail", "storm", NULL};

/* ZIP codes: rank r (from 1) is ZIP zip_of(r), a fixed pseudo-random
 * bijection of 0..99999, so that the popular ZIP codes lie scattered over
 * the cells rather than next to each other. */
#define ZIP_SPACE 100000u
#define ZIP_CELL  200u /* ZIP codes per forecast cell: 500 cells */

/* A bijection of 0..2^17-1: odd multipliers and xor-shifts modulo 2^17. */
static uint32_t perm17(uint32_t x)
{
    const uint32_t mask = (1u << 17) - 1;
    x = (x * 0x1d2bbu + 0x3c1fu) & mask;
    x ^= x >> 9;
    x = (x * 0x0b5a7u) & mask;
    x ^= x >> 7;
    x = (x * 0x16e35u + 0x0f0fu) & mask;
    x ^= x >> 8;
    return x;
}

/* Cycle-walking restricts perm17 to a bijection of 0..ZIP_SPACE-1. */
static uint32_t zip_of(uint64_t rank)
{
    uint32_t x = (uint32_t)(rank % ZIP_SPACE);
    do
        x = perm17(x);
    while (x >= ZIP_SPACE);
    return x;
}

struct fx_gen {
    const fx_service *svc;
    gen_kind kind;
    fx_weather_workload workload;
    uint64_t requests, emitted;

    /* arrivals */
    gsl_rng *arr_rng;
    fx_dist arrivals; /* generic, popular, longtail */
    fx_time clock;    /* ns, unrounded: the sum of the inter-arrival draws */
    double ramp_r0;   /* storm: starting rate, per second */
    double ramp_T;    /* storm: seconds over which the rate climbs to 4 r0 */
    double ramp_s;    /* storm: unit-rate Poisson clock */

    /* keys */
    gsl_rng *key_rng;
    fx_keys keys;

    /* nodes */
    gsl_rng **node_rng;
    uint64_t *salt;  /* fx_hash_str of the node id */
    fx_time *period; /* ns between output changes; 0 every request; < 0 never */
    fx_trace_field *fields;
    uint32_t w[W_NODES]; /* weather: node index of each role */

    char key[32];
};

void fx_gen_free(fx_gen *g)
{
    if (!g)
        return;
    gsl_rng_free(g->arr_rng);
    gsl_rng_free(g->key_rng);
    fx_dist_free(&g->arrivals);
    if (g->node_rng)
        for (uint32_t i = 0; i < g->svc->nnodes; i++)
            gsl_rng_free(g->node_rng[i]);
    free(g->node_rng);
    free(g->salt);
    free(g->period);
    free(g->fields);
    free(g);
}

static const char *svc_file(const fx_service *svc)
{
    return svc->path ? svc->path : svc->name ? svc->name : "service";
}

/* The parts every generator shares: streams, salts, volatility periods. */
static fx_status gen_common(const fx_service *svc, uint64_t requests, uint64_t seed, fx_gen **out,
                            fx_err *e)
{
    *out = NULL;
    if (requests < 1 || requests > FX_GEN_REQUESTS_MAX)
        return fx_err_set(e, FX_EINVAL, "requests: expected an integer from 1 to %llu, found %llu",
                          (unsigned long long)FX_GEN_REQUESTS_MAX, (unsigned long long)requests);
    for (uint32_t i = 0; i < svc->nnodes; i++)
        if (!svc->nodes[i].has_profile)
            return fx_err_set(e, FX_EINVAL,
                              "%s: node \"%s\" has no profile; the generator draws every node's "
                              "demand from its profile",
                              svc_file(svc), svc->nodes[i].id);
    fx_gen *g = calloc(1, sizeof *g);
    if (!g)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    g->svc = svc;
    g->requests = requests;
    uint32_t n = svc->nnodes;
    g->node_rng = calloc(n ? n : 1, sizeof *g->node_rng);
    g->salt = calloc(n ? n : 1, sizeof *g->salt);
    g->period = calloc(n ? n : 1, sizeof *g->period);
    g->fields = calloc(n ? n : 1, sizeof *g->fields);
    g->arr_rng = fx_rng_stream(seed, "gen:arrivals");
    g->key_rng = fx_rng_stream(seed, "gen:keys");
    if (!g->node_rng || !g->salt || !g->period || !g->fields || !g->arr_rng || !g->key_rng)
        goto nomem;
    for (uint32_t i = 0; i < n; i++) {
        const fx_node *nd = &svc->nodes[i];
        size_t len = strlen(nd->id) + sizeof "gen:node:";
        char *name = malloc(len);
        if (!name)
            goto nomem;
        snprintf(name, len, "gen:node:%s", nd->id);
        g->node_rng[i] = fx_rng_stream(seed, name);
        free(name);
        if (!g->node_rng[i])
            goto nomem;
        g->salt[i] = fx_hash_str(nd->id);
        if (nd->volatile_s < 0) {
            g->period[i] = -1;
        } else if (nd->volatile_s == 0) {
            g->period[i] = 0;
        } else {
            double p = nd->volatile_s * 1e9;
            g->period[i] = p < 1.0 ? 1 : p > 4e18 ? (fx_time)4e18 : (fx_time)llround(p);
        }
        g->fields[i].node = i;
    }
    *out = g;
    return FX_OK;
nomem:
    fx_gen_free(g);
    return fx_err_set(e, FX_ENOMEM, "out of memory");
}

fx_status fx_gen_alloc(const fx_service *svc, const fx_gen_spec *spec, fx_gen **out, fx_err *e)
{
    *out = NULL;
    fx_keys keys;
    fx_status st = fx_keys_parse(spec->keys, &keys, e);
    if (st != FX_OK)
        return st;
    fx_dist arr;
    st = fx_arrivals_parse(spec->arrivals, &arr, e);
    if (st != FX_OK)
        return st;
    fx_gen *g;
    st = gen_common(svc, spec->requests, spec->seed, &g, e);
    if (st != FX_OK) {
        fx_dist_free(&arr);
        return st;
    }
    g->kind = GEN_GENERIC;
    g->keys = keys;
    g->arrivals = arr;
    *out = g;
    return FX_OK;
}

fx_status fx_gen_weather_alloc(const fx_service *svc, fx_weather_workload w, uint64_t requests,
                               double rate, uint64_t seed, fx_gen **out, fx_err *e)
{
    *out = NULL;
    if ((int)w < FX_WEATHER_POPULAR || w > FX_WEATHER_STORM)
        return fx_err_set(e, FX_EINVAL, "workload: expected popular, longtail or storm, found %d",
                          (int)w);
    if (!(rate > 0.0) || rate > 1e9)
        return fx_err_set(e, FX_EINVAL,
                          "rate: expected requests per second above 0 and at most 1e9, found %g",
                          rate);
    uint32_t idx[W_NODES];
    for (int k = 0; k < W_NODES; k++) {
        int i = fx_service_find(svc, weather_nodes[k]);
        if (i < 0)
            return fx_err_set(e, FX_EINVAL,
                              "%s: expected the weather service (nodes parse, geocode, forecast, "
                              "render, log), found no node \"%s\"",
                              svc_file(svc), weather_nodes[k]);
        idx[k] = (uint32_t)i;
    }
    fx_gen *g;
    fx_status st = gen_common(svc, requests, seed, &g, e);
    if (st != FX_OK)
        return st;
    g->kind = GEN_WEATHER;
    g->workload = w;
    memcpy(g->w, idx, sizeof idx);
    if (w == FX_WEATHER_LONGTAIL)
        fx_keys_zipf(&g->keys, 0.2, 40000);
    else
        fx_keys_zipf(&g->keys, 1.1, 5000);
    if (w == FX_WEATHER_STORM) {
        /* rate(t) = r0 (1 + 3 t / T): from r0 to 4 r0 over [0, T], 2.5 r0 on
         * average, so r0 = 0.4 RATE and T = requests / RATE. */
        g->ramp_r0 = 0.4 * rate;
        g->ramp_T = (double)requests / rate;
        g->period[g->w[W_FORECAST]] = (fx_time)(FX_WEATHER_STORM_PERIOD_S * 1e9);
    } else {
        char exp_spec[64];
        snprintf(exp_spec, sizeof exp_spec, "exp:%.17gns", 1e9 / rate);
        st = fx_dist_parse(exp_spec, &g->arrivals, e);
        if (st != FX_OK) {
            fx_gen_free(g);
            return st;
        }
    }
    *out = g;
    return FX_OK;
}

/* A content hash: X as seen by the output SALT names. */
static inline uint64_t content(uint64_t salt, uint64_t x)
{
    return fx_mix64(salt ^ fx_mix64(x));
}

/* H, a hash of node I's output for content ID, made to change as the node's
 * volatility says at time T of request SEQ. */
static uint64_t volatile_hash(const fx_gen *g, uint32_t i, uint64_t h, uint64_t id, fx_time t,
                              uint64_t seq)
{
    fx_time p = g->period[i];
    if (p < 0)
        return h;
    if (p == 0)
        return content(h ^ FRESH_SALT, seq);
    uint64_t phase = content(g->salt[i] ^ PHASE_SALT, id) % (uint64_t)p;
    uint64_t epoch = ((uint64_t)t + phase) / (uint64_t)p;
    return content(h, epoch);
}

/* Set field I's output from its hash H (HAS_HASH) and the node's out_bytes. */
static void set_output(fx_gen *g, uint32_t i, int has_hash, uint64_t h)
{
    const fx_node *nd = &g->svc->nodes[i];
    fx_trace_field *f = &g->fields[i];
    f->has_hash = (uint8_t)has_hash;
    f->hash = has_hash ? h : 0;
    f->has_bytes = (uint8_t)nd->has_out_bytes;
    f->bytes = 0;
    if (nd->has_out_bytes) {
        if (has_hash) {
            /* 53 bits of another mix of the hash: a size in [3/4, 5/4]. */
            double u = (double)(fx_mix64(h ^ 0xb17e5) >> 11) * (1.0 / 9007199254740992.0);
            f->bytes = (uint64_t)llround((double)nd->out_bytes * (0.75 + 0.5 * u));
        } else {
            f->bytes = nd->out_bytes;
        }
    }
}

/* Round NS to whole microseconds, as the trace stores times and demands. */
static inline fx_time round_us(fx_time ns)
{
    return (ns + 500) / 1000 * 1000;
}

static fx_time next_arrival(fx_gen *g)
{
    if (g->kind == GEN_WEATHER && g->workload == FX_WEATHER_STORM) {
        /* Time-change a unit-rate Poisson clock s through the inverse of
         * Lambda(t) = r0 (t + 1.5 t^2 / T), the expected arrivals by t. */
        g->ramp_s += -log(uniform01(g->arr_rng));
        double r0 = g->ramp_r0, s = g->ramp_s;
        double t = 2.0 * s / (r0 + sqrt(r0 * r0 + 6.0 * r0 * s / g->ramp_T));
        double ns = t * 1e9;
        return ns >= 4e18 ? (fx_time)4e18 : round_us((fx_time)(ns + 0.5));
    }
    fx_time d = fx_dist_sample(&g->arrivals, g->arr_rng);
    /* Saturate far beyond any useful trace rather than overflow. */
    const fx_time cap = (fx_time)4e18;
    g->clock = d > cap - g->clock ? cap : g->clock + d;
    return round_us(g->clock);
}

int fx_gen_next(fx_gen *g, fx_trace_rec *rec)
{
    if (g->emitted >= g->requests)
        return 0;
    uint64_t seq = g->emitted++;
    const fx_service *svc = g->svc;
    fx_time t = next_arrival(g);
    uint64_t rank = fx_keys_draw(&g->keys, g->key_rng);

    for (uint32_t i = 0; i < svc->nnodes; i++) {
        fx_time d = fx_dist_sample(&svc->nodes[i].profile, g->node_rng[i]);
        g->fields[i].service = d >= (fx_time)4e18 ? (fx_time)4e18 : round_us(d);
    }

    if (g->kind == GEN_GENERIC) {
        snprintf(g->key, sizeof g->key, "%llu", (unsigned long long)rank);
        for (uint32_t i = 0; i < svc->nnodes; i++)
            set_output(g, i, 1, volatile_hash(g, i, content(g->salt[i], rank), rank, t, seq));
    } else {
        const uint32_t *w = g->w;
        uint64_t zip = zip_of(rank);
        uint64_t cell = zip / ZIP_CELL;
        snprintf(g->key, sizeof g->key, "%05u", (unsigned)zip);
        /* Nodes other than the five roles (none in the example) are keyed
         * by the ZIP code, as the generic generator would key them. */
        for (uint32_t i = 0; i < svc->nnodes; i++)
            set_output(g, i, 1, volatile_hash(g, i, content(g->salt[i], zip), zip, t, seq));
        uint64_t h;
        h = volatile_hash(g, w[W_GEOCODE], content(g->salt[w[W_GEOCODE]], cell), cell, t, seq);
        set_output(g, w[W_GEOCODE], 1, h);
        uint64_t fh =
            volatile_hash(g, w[W_FORECAST], content(g->salt[w[W_FORECAST]], cell), cell, t, seq);
        set_output(g, w[W_FORECAST], 1, fh);
        h = volatile_hash(g, w[W_RENDER], content(g->salt[w[W_RENDER]] ^ fh, zip), zip, t, seq);
        set_output(g, w[W_RENDER], 1, h);
        set_output(g, w[W_LOG], 0, 0);
    }

    memset(rec, 0, sizeof *rec);
    rec->t = t;
    rec->key = g->key;
    rec->key_len = strlen(g->key);
    rec->key_hash = fx_hash_str(g->key);
    rec->fields = g->fields;
    rec->nfields = svc->nnodes;
    rec->line = seq + 1;
    return 1;
}

fx_status fx_gen_write(fx_gen *g, const char *path, fx_err *e)
{
    const fx_service *svc = g->svc;
    fx_trace_writer *w;
    fx_status st = fx_trace_writer_open(path, svc->name, svc->ids, svc->nnodes, &w, e);
    if (st != FX_OK)
        return st;
    fx_trace_rec rec;
    while (fx_gen_next(g, &rec) == 1) {
        st = fx_trace_write(w, &rec, e);
        if (st != FX_OK) {
            fx_trace_writer_close(w, 1, NULL);
            return st;
        }
    }
    return fx_trace_writer_close(w, 0, e);
}
