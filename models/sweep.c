/* sweep.c - batch parameter sweeps (see sweep.h and doc/sweep.part.md).
 *
 * Loading checks everything a run could trip over before any point runs:
 * the keys, the parameter paths against the base candidate's pool and cache
 * ids, every grid value by building a candidate with it (the architecture
 * loader's own checks and messages), every combination of architecture
 * parameters, and the header of every trace. A point then duplicates the
 * base candidate's JSON tree, puts its values in, builds its candidate and
 * replays its traces: nothing is shared between points but the read-only
 * sweep, so points run in any number of threads.
 */
#include "models/sweep.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>

#include "models/arch.h"
#include "models/json.h"
#include "models/replay.h"
#include "sim/pcg.h"
#include "sim/sha256.h"
#include "traces/trace.h"

static const char *const sweep_keys[] = {"arch",         "seed",    "traces", "grid",
                                         "replications", "metrics", NULL};

#define QUOTED_MAX (4 * FX_JSON_ID_MAX + 16)
#define LIST_MAX   (FX_ERR_MAX / 2)

/* Longest parameter or metric name. */
#define NAME_MAX_LEN 512

/* The first line of a shard's output. */
#define SHARD_TAG "#fluxosim-sweep"

/* ---- a growing text buffer ------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int failed; /* an allocation failed: the text is incomplete */
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* A CSV field: quoted when it holds a comma, a quote or a line end. */
static void sb_csv(sbuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        sb_str(b, s);
        return;
    }
    sb_add(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            sb_add(b, "\"", 1);
        sb_add(b, c, 1);
    }
    sb_add(b, "\"", 1);
}

/* The text, or NULL (and nothing kept) when an allocation failed. */
static char *sb_take(sbuf *b)
{
    if (b->failed || !b->s) {
        free(b->s);
        b->s = NULL;
        return b->failed ? NULL : fx_json_strdup("");
    }
    char *s = b->s;
    b->s = NULL;
    return s;
}

/* ---- the sweep ------------------------------------------------------------ */

typedef enum param_kind { P_ARCH, P_RATE_SCALE, P_WARMUP } param_kind;
typedef enum section { S_POOLS, S_CACHES, S_NETWORK } section;

typedef struct param {
    char *name; /* as in the file: "pools.app.servers" */
    param_kind kind;
    section sec;        /* P_ARCH */
    char *id;           /* pool or cache id; NULL for the network */
    char *key;          /* the key inside the pool, cache or network object */
    cJSON *values;      /* an array, owned */
    const cJSON **item; /* its elements, for indexing */
    size_t nvalues;
    char **text; /* each value as the CSV writes it */
    double *num; /* replay options: each value */
} param;

typedef struct workload {
    char *name;
    char **traces; /* resolved paths */
    size_t ntraces;
} workload;

typedef enum metric_kind {
    M_REQUESTS,
    M_COMPLETED,
    M_FAILED,
    M_DROPPED,
    M_STALE,
    M_MEAN,
    M_P50,
    M_P90,
    M_P95,
    M_P99,
    M_P999,
    M_MAX,
    M_THROUGHPUT,
    M_COST,
    M_POOL_SERVERS,
    M_POOL_UTIL,
    M_POOL_QUEUE,
    M_POOL_WAIT,
    M_POOL_AVAIL,
    M_CACHE_HITS,
    M_CACHE_MISSES,
    M_CACHE_HIT_RATIO,
    M_CACHE_EVICTIONS,
    M_CACHE_STALE,
} metric_kind;

typedef struct metric_name {
    const char *name;
    metric_kind kind;
} metric_name;

static const metric_name top_metrics[] = {
    {"requests", M_REQUESTS},         {"completed", M_COMPLETED},   {"failed", M_FAILED},
    {"dropped", M_DROPPED},           {"stale_responses", M_STALE}, {"latency_ms.mean", M_MEAN},
    {"latency_ms.p50", M_P50},        {"latency_ms.p90", M_P90},    {"latency_ms.p95", M_P95},
    {"latency_ms.p99", M_P99},        {"latency_ms.p999", M_P999},  {"latency_ms.max", M_MAX},
    {"throughput_rps", M_THROUGHPUT}, {"cost_per_hour", M_COST},
};
static const metric_name pool_metrics[] = {
    {"servers", M_POOL_SERVERS},   {"utilization", M_POOL_UTIL},   {"mean_queue", M_POOL_QUEUE},
    {"mean_wait_ms", M_POOL_WAIT}, {"availability", M_POOL_AVAIL},
};
static const metric_name cache_metrics[] = {
    {"hits", M_CACHE_HITS},           {"misses", M_CACHE_MISSES},
    {"hit_ratio", M_CACHE_HIT_RATIO}, {"evictions", M_CACHE_EVICTIONS},
    {"stale_hits", M_CACHE_STALE},
};

#define NTOP   (sizeof top_metrics / sizeof top_metrics[0])
#define NPOOLM (sizeof pool_metrics / sizeof pool_metrics[0])
#define NCACHM (sizeof cache_metrics / sizeof cache_metrics[0])

typedef struct metric {
    char *name;
    metric_kind kind;
    uint32_t index; /* pool or cache */
} metric;

struct fx_sweep {
    char *path;
    char *arch_file;  /* the base candidate's file, or the sweep file when inline */
    int arch_inline;  /* the base is the sweep file's "arch" object */
    cJSON *arch_json; /* the base candidate's tree, owned */
    fx_arch *base;    /* the base candidate, built */
    workload *workloads;
    size_t nworkloads;
    param *params;
    size_t nparams;
    metric *metrics;
    size_t nmetrics;
    uint64_t replications;
    uint64_t seed;
    size_t npoints;
    size_t maxtraces; /* most traces of one workload */
    uint64_t fingerprint;
    char **inputs; /* every file read, absolute, without repeats */
    size_t ninputs;
};

void fx_sweep_free(fx_sweep *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->workloads && i < s->nworkloads; i++) {
        for (size_t k = 0; s->workloads[i].traces && k < s->workloads[i].ntraces; k++)
            free(s->workloads[i].traces[k]);
        free(s->workloads[i].traces);
        free(s->workloads[i].name);
    }
    free(s->workloads);
    for (size_t i = 0; s->params && i < s->nparams; i++) {
        param *p = &s->params[i];
        for (size_t k = 0; p->text && k < p->nvalues; k++)
            free(p->text[k]);
        free(p->text);
        free(p->num);
        free(p->item);
        cJSON_Delete(p->values);
        free(p->name);
        free(p->id);
        free(p->key);
    }
    free(s->params);
    for (size_t i = 0; s->metrics && i < s->nmetrics; i++)
        free(s->metrics[i].name);
    free(s->metrics);
    fx_arch_free(s->base);
    cJSON_Delete(s->arch_json);
    for (size_t i = 0; s->inputs && i < s->ninputs; i++)
        free(s->inputs[i]);
    free(s->inputs);
    free(s->arch_file);
    free(s->path);
    free(s);
}

size_t fx_sweep_points(const fx_sweep *s)
{
    return s ? s->npoints : 0;
}

uint64_t fx_sweep_fingerprint(const fx_sweep *s)
{
    return s ? s->fingerprint : 0;
}

uint64_t fx_sweep_seed(uint64_t base, uint64_t r)
{
    return base + r;
}

int fx_sweep_in_shard(size_t i, unsigned shard, unsigned nshards)
{
    return nshards == 0 || i % nshards == (size_t)shard - 1;
}

const char *fx_sweep_number(double x, char *buf, size_t len)
{
    if (isnan(x)) {
        snprintf(buf, len, "nan");
    } else if (isinf(x)) {
        snprintf(buf, len, x < 0 ? "-inf" : "inf");
    } else if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, len, "%.0f", x);
    } else {
        /* The shortest precision that reads back as the same double. */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, len, "%.*g", prec, x);
            if (strtod(buf, NULL) == x)
                break;
        }
    }
    return buf;
}

void fx_sweep_ci95(const double *x, size_t n, double *mean, double *half)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m = n ? m / (double)n : NAN;
    *mean = m;
    if (n < 2) {
        *half = NAN;
        return;
    }
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    double sd = sqrt(ss / (double)(n - 1));
    *half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

/* ---- loading -------------------------------------------------------------- */

/* Record "FILE: PATH: " in front of the message in E, at the path P plus
 * the grid parameter NAME (grid."pools.app.servers"), and value K when K is
 * not SIZE_MAX. */
static fx_status grid_wrap(fx_jpath *p, const char *name, size_t k, fx_err *e, fx_status code)
{
    char q[NAME_MAX_LEN + 16];
    size_t mark = fx_jpath_key(p, fx_json_quote(name, q, sizeof q));
    if (k != SIZE_MAX)
        fx_jpath_index(p, k);
    fx_json_wrap(p, e, code);
    fx_jpath_pop(p, mark);
    return code;
}

static fx_status grid_err(fx_jpath *p, const char *name, size_t k, fx_err *e, fx_status code,
                          const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static fx_status grid_err(fx_jpath *p, const char *name, size_t k, fx_err *e, fx_status code,
                          const char *fmt, ...)
{
    char msg[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fx_err_set(e, code, "%s", msg);
    return grid_wrap(p, name, k, e, code);
}

/* The pool or cache ids of the base, for messages. */
static const char *id_list(const fx_arch *a, section sec, char *buf, size_t len)
{
    const char *ids[FX_ARCH_POOLS_MAX];
    size_t n = 0;
    if (sec == S_POOLS)
        for (uint32_t i = 0; i < a->npools; i++)
            ids[n++] = a->pools[i].id;
    else
        for (uint32_t i = 0; i < a->ncaches; i++)
            ids[n++] = a->caches[i].id;
    return fx_json_list(ids, n, buf, len);
}

/* Index of the pool or cache ID in the base, or -1. */
static int find_id(const fx_arch *a, section sec, const char *id)
{
    uint32_t n = sec == S_POOLS ? a->npools : a->ncaches;
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(sec == S_POOLS ? a->pools[i].id : a->caches[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* "unknown pool "ap"; expected one of web, geo" into MSG. */
static void unknown_id(const fx_arch *a, section sec, const char *id, char *msg, size_t len)
{
    char q[QUOTED_MAX], list[LIST_MAX];
    const char *what = sec == S_POOLS ? "pool" : "cache";
    if ((sec == S_POOLS ? a->npools : a->ncaches) == 0)
        snprintf(msg, len, "unknown %s %s; the candidate has no %ss", what,
                 fx_json_quote(id, q, sizeof q), what);
    else
        snprintf(msg, len, "unknown %s %s; expected one of %s", what,
                 fx_json_quote(id, q, sizeof q), id_list(a, sec, list, sizeof list));
}

/* Split NAME ("pools.ID.KEY", "caches.ID.KEY", "network.KEY", "rate_scale",
 * "warmup") into PR's kind, section, id and key. */
static fx_status parse_param_name(fx_sweep *s, param *pr, fx_jpath *p, fx_err *e)
{
    const char *name = pr->name;
    char q[QUOTED_MAX];
    if (strcmp(name, "rate_scale") == 0) {
        pr->kind = P_RATE_SCALE;
        return FX_OK;
    }
    if (strcmp(name, "warmup") == 0) {
        pr->kind = P_WARMUP;
        return FX_OK;
    }
    pr->kind = P_ARCH;
    const char *rest = NULL, *dot;
    if (strncmp(name, "pools.", 6) == 0) {
        pr->sec = S_POOLS;
        rest = name + 6;
    } else if (strncmp(name, "caches.", 7) == 0) {
        pr->sec = S_CACHES;
        rest = name + 7;
    } else if (strncmp(name, "network.", 8) == 0) {
        pr->sec = S_NETWORK;
        rest = name + 8;
    }
    if (rest && pr->sec == S_NETWORK && rest[0] && !strchr(rest, '.')) {
        pr->key = fx_json_strdup(rest);
        if (!pr->key)
            return grid_err(p, name, SIZE_MAX, e, FX_ENOMEM, "out of memory");
        return FX_OK;
    }
    if (!rest || pr->sec == S_NETWORK || !(dot = strrchr(rest, '.')) || dot == rest || !dot[1])
        return grid_err(p, name, SIZE_MAX, e, FX_EINVAL,
                        "expected a parameter pools.ID.KEY, caches.ID.KEY, network.KEY, "
                        "rate_scale or warmup, found %s",
                        fx_json_quote(name, q, sizeof q));
    pr->id = malloc((size_t)(dot - rest) + 1);
    pr->key = fx_json_strdup(dot + 1);
    if (!pr->id || !pr->key)
        return grid_err(p, name, SIZE_MAX, e, FX_ENOMEM, "out of memory");
    memcpy(pr->id, rest, (size_t)(dot - rest));
    pr->id[dot - rest] = '\0';
    if (find_id(s->base, pr->sec, pr->id) < 0) {
        char msg[FX_ERR_MAX];
        unknown_id(s->base, pr->sec, pr->id, msg, sizeof msg);
        return grid_err(p, name, SIZE_MAX, e, FX_EINVAL, "%s", msg);
    }
    if (strcmp(pr->key, "id") == 0)
        return grid_err(
            p, name, SIZE_MAX, e, FX_EINVAL,
            "expected a key other than \"id\" (a %s's id cannot be swept), found \"id\"",
            pr->sec == S_POOLS ? "pool" : "cache");
    return FX_OK;
}

/* Put VALUE at PR's place in the candidate tree ROOT. */
static fx_status apply_value(cJSON *root, const param *pr, const cJSON *value, fx_err *e)
{
    cJSON *target = NULL;
    if (pr->sec == S_NETWORK) {
        target = cJSON_GetObjectItemCaseSensitive(root, "network");
        if (!target && !(target = cJSON_AddObjectToObject(root, "network")))
            return fx_err_set(e, FX_ENOMEM, "out of memory");
    } else {
        const cJSON *arr =
            cJSON_GetObjectItemCaseSensitive(root, pr->sec == S_POOLS ? "pools" : "caches");
        cJSON *c;
        cJSON_ArrayForEach(c, arr)
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
            if (cJSON_IsString(id) && id->valuestring && strcmp(id->valuestring, pr->id) == 0) {
                target = c;
                break;
            }
        }
    }
    if (!cJSON_IsObject(target))
        return fx_err_set(e, FX_EINVAL, "expected an object for %s in the candidate, found none",
                          pr->name);
    cJSON *dup = cJSON_Duplicate(value, 1);
    if (!dup)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    cJSON_bool ok = cJSON_GetObjectItemCaseSensitive(target, pr->key)
                        ? cJSON_ReplaceItemInObjectCaseSensitive(target, pr->key, dup)
                        : cJSON_AddItemToObject(target, pr->key, dup);
    if (!ok) {
        cJSON_Delete(dup);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    return FX_OK;
}

/* The candidate with value VI[k] of every architecture parameter k (none
 * where VI[k] is SIZE_MAX). Errors are the architecture loader's. */
static fx_status build_candidate(const fx_sweep *s, const size_t *vi, fx_arch **out, fx_err *e)
{
    cJSON *t = cJSON_Duplicate(s->arch_json, 1);
    if (!t)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    for (size_t k = 0; st == FX_OK && k < s->nparams; k++) {
        const param *pr = &s->params[k];
        if (pr->kind == P_ARCH && vi[k] != SIZE_MAX)
            st = apply_value(t, pr, pr->item[vi[k]], e);
    }
    if (st == FX_OK) {
        fx_jpath p;
        fx_jpath_init(&p, s->arch_file);
        if (s->arch_inline)
            fx_jpath_key(&p, "arch");
        st = fx_arch_from_json(t, &p, out, e);
    }
    cJSON_Delete(t);
    return st;
}

/* The base candidate: a file relative to the sweep file, or inline. */
static fx_status load_base(fx_sweep *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    fx_status st = fx_json_require(root, "arch", p, e);
    if (st != FX_OK)
        return st;
    const cJSON *v = fx_json_get(root, "arch");
    size_t mark = fx_jpath_key(p, "arch");
    if (cJSON_IsObject(v)) {
        s->arch_inline = 1;
        s->arch_file = fx_json_strdup(s->path);
        s->arch_json = cJSON_Duplicate(v, 1);
        if (!s->arch_file || !s->arch_json)
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        if (st == FX_OK)
            st = fx_arch_from_json(s->arch_json, p, &s->base, e);
    } else if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0]) {
        char found[QUOTED_MAX];
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected the name of a candidate file or a candidate object, found %s",
                         fx_json_describe(v, found, sizeof found));
    } else {
        s->arch_file = fx_json_resolve(s->path, v->valuestring);
        if (!s->arch_file)
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        if (st == FX_OK && (st = fx_json_load(s->arch_file, &s->arch_json, e)) != FX_OK)
            fx_json_wrap(p, e, st);
        if (st == FX_OK) {
            fx_jpath ap;
            fx_jpath_init(&ap, s->arch_file);
            if ((st = fx_arch_from_json(s->arch_json, &ap, &s->base, e)) != FX_OK)
                fx_json_wrap(p, e, st);
        }
    }
    fx_jpath_pop(p, mark);
    return st;
}

/* One trace path: a string, checked by opening the trace. */
static fx_status load_trace(fx_sweep *s, const cJSON *v, char **out, fx_jpath *p, fx_err *e)
{
    char found[QUOTED_MAX];
    if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
        return fx_json_err(p, e, FX_EINVAL, "expected the name of a trace file, found %s",
                           fx_json_describe(v, found, sizeof found));
    if (strcmp(v->valuestring, "-") == 0)
        return fx_json_err(p, e, FX_EINVAL,
                           "expected the name of a trace file, found \"-\" (standard input "
                           "cannot be replayed more than once)");
    if (!(*out = fx_json_resolve(s->path, v->valuestring)))
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    fx_trace_reader *r = NULL;
    fx_status st = fx_trace_open(*out, s->base->svc->ids, s->base->svc->nnodes, &r, e);
    fx_trace_close(r);
    if (st != FX_OK)
        fx_json_wrap(p, e, st);
    return st;
}

static fx_status load_traces(fx_sweep *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    fx_status st = fx_json_require(root, "traces", p, e);
    if (st != FX_OK)
        return st;
    const cJSON *obj = fx_json_get(root, "traces");
    size_t mark = fx_jpath_key(p, "traces");
    char found[QUOTED_MAX];
    size_t n = (size_t)cJSON_GetArraySize(obj);
    if (!cJSON_IsObject(obj) || n == 0)
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected an object of workloads (a name to a trace file or a list of "
                         "them), found %s",
                         cJSON_IsObject(obj) ? "{}" : fx_json_describe(obj, found, sizeof found));
    else if (n > FX_SWEEP_WORKLOADS_MAX)
        st = fx_json_err(p, e, FX_ELIMIT, "expected at most %d workloads, found %zu",
                         FX_SWEEP_WORKLOADS_MAX, n);
    if (st == FX_OK && !(s->workloads = calloc(n, sizeof *s->workloads)))
        st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
    for (const cJSON *c = st == FX_OK ? obj->child : NULL; c && st == FX_OK; c = c->next) {
        workload *w = &s->workloads[s->nworkloads];
        if (!fx_json_is_id(c->string)) {
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected a workload name (1 to %d letters, digits, '_', '.', '-'), "
                             "found %s",
                             FX_JSON_ID_MAX, fx_json_quote(c->string, found, sizeof found));
            break;
        }
        for (size_t j = 0; j < s->nworkloads; j++)
            if (strcmp(s->workloads[j].name, c->string) == 0)
                st = fx_json_err(p, e, FX_EINVAL, "workload %s given twice",
                                 fx_json_quote(c->string, found, sizeof found));
        if (st != FX_OK)
            break;
        s->nworkloads++;
        if (!(w->name = fx_json_strdup(c->string)))
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        size_t at = fx_jpath_key(p, c->string);
        size_t k = cJSON_IsArray(c) ? (size_t)cJSON_GetArraySize(c) : 1;
        if (st == FX_OK && cJSON_IsArray(c) && k == 0)
            st = fx_json_err(p, e, FX_EINVAL, "expected at least one trace file, found none");
        else if (st == FX_OK && k > FX_SWEEP_TRACES_MAX)
            st = fx_json_err(p, e, FX_ELIMIT, "expected at most %d trace files, found %zu",
                             FX_SWEEP_TRACES_MAX, k);
        if (st == FX_OK && !(w->traces = calloc(k, sizeof *w->traces)))
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        if (st == FX_OK && !cJSON_IsArray(c)) {
            st = load_trace(s, c, &w->traces[0], p, e);
            w->ntraces = 1;
        }
        size_t i = 0;
        for (const cJSON *t = cJSON_IsArray(c) && st == FX_OK ? c->child : NULL; t && st == FX_OK;
             t = t->next, i++) {
            size_t ti = fx_jpath_index(p, i);
            w->ntraces = i + 1;
            st = load_trace(s, t, &w->traces[i], p, e);
            fx_jpath_pop(p, ti);
        }
        if (w->ntraces > s->maxtraces)
            s->maxtraces = w->ntraces;
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

/* The values of parameter PR: a non-empty array, with their CSV text. */
static fx_status load_values(param *pr, const cJSON *arr, fx_jpath *p, fx_err *e)
{
    char found[QUOTED_MAX];
    size_t n = cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
    if (!cJSON_IsArray(arr) || n == 0)
        return grid_err(p, pr->name, SIZE_MAX, e, FX_EINVAL,
                        "expected a non-empty list of values, found %s",
                        cJSON_IsArray(arr) ? "[]" : fx_json_describe(arr, found, sizeof found));
    if (n > FX_SWEEP_VALUES_MAX)
        return grid_err(p, pr->name, SIZE_MAX, e, FX_ELIMIT,
                        "expected at most %d values, found %zu", FX_SWEEP_VALUES_MAX, n);
    pr->values = cJSON_Duplicate(arr, 1);
    pr->text = calloc(n, sizeof *pr->text);
    pr->num = calloc(n, sizeof *pr->num);
    pr->item = calloc(n, sizeof *pr->item);
    if (!pr->values || !pr->text || !pr->num || !pr->item)
        return grid_err(p, pr->name, SIZE_MAX, e, FX_ENOMEM, "out of memory");
    pr->nvalues = n;
    size_t k = 0;
    for (const cJSON *v = pr->values->child; v; v = v->next, k++) {
        char buf[40];
        pr->item[k] = v;
        if (pr->kind != P_ARCH) {
            double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
            int ok = pr->kind == P_RATE_SCALE ? x > 0 && x <= 1e9 : x >= 0 && x <= 1e9;
            if (!ok)
                return grid_err(p, pr->name, k, e, FX_EINVAL, "expected %s, found %s",
                                pr->kind == P_RATE_SCALE ? "a number above 0 and at most 1e9"
                                                         : "seconds from 0 to 1e9",
                                fx_json_describe(v, found, sizeof found));
            pr->num[k] = x;
        }
        if (cJSON_IsNumber(v))
            pr->text[k] = fx_json_strdup(fx_sweep_number(v->valuedouble, buf, sizeof buf));
        else if (cJSON_IsString(v) && v->valuestring)
            pr->text[k] = fx_json_strdup(v->valuestring);
        else
            pr->text[k] = cJSON_PrintUnformatted(v);
        if (!pr->text[k])
            return grid_err(p, pr->name, k, e, FX_ENOMEM, "out of memory");
    }
    return FX_OK;
}

/* Build a candidate with each value of each architecture parameter on its
 * own, then (with two or more) with every combination of them. */
static fx_status check_candidates(fx_sweep *s, fx_jpath *p, fx_err *e)
{
    size_t *vi = malloc((s->nparams ? s->nparams : 1) * sizeof *vi);
    if (!vi)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    size_t narch = 0;
    fx_status st = FX_OK;
    size_t mark = fx_jpath_key(p, "grid");
    for (size_t k = 0; st == FX_OK && k < s->nparams; k++) {
        if (s->params[k].kind != P_ARCH)
            continue;
        narch++;
        for (size_t j = 0; st == FX_OK && j < s->params[k].nvalues; j++) {
            for (size_t i = 0; i < s->nparams; i++)
                vi[i] = SIZE_MAX;
            vi[k] = j;
            fx_arch *a = NULL;
            if ((st = build_candidate(s, vi, &a, e)) != FX_OK)
                grid_wrap(p, s->params[k].name, j, e, st);
            fx_arch_free(a);
        }
    }
    if (st == FX_OK && narch >= 2) {
        for (size_t i = 0; i < s->nparams; i++)
            vi[i] = s->params[i].kind == P_ARCH ? 0 : SIZE_MAX;
        for (;;) {
            fx_arch *a = NULL;
            st = build_candidate(s, vi, &a, e);
            fx_arch_free(a);
            if (st != FX_OK) {
                sbuf b = {0};
                sb_str(&b, "the combination ");
                for (size_t i = 0, first = 1; i < s->nparams; i++) {
                    if (vi[i] == SIZE_MAX)
                        continue;
                    sb_str(&b, first ? "" : ", ");
                    sb_str(&b, s->params[i].name);
                    sb_str(&b, "=");
                    sb_str(&b, s->params[i].text[vi[i]]);
                    first = 0;
                }
                if (!b.failed)
                    fx_err_prefix(e, b.s);
                free(b.s);
                fx_json_wrap(p, e, st);
                break;
            }
            /* The next combination, the last parameter fastest. */
            int more = 0;
            for (size_t i = s->nparams; i-- > 0;) {
                if (vi[i] == SIZE_MAX)
                    continue;
                if (++vi[i] < s->params[i].nvalues) {
                    more = 1;
                    break;
                }
                vi[i] = 0;
            }
            if (!more)
                break;
        }
    }
    fx_jpath_pop(p, mark);
    free(vi);
    return st;
}

static fx_status load_grid(fx_sweep *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    const cJSON *grid = fx_json_get(root, "grid");
    char found[QUOTED_MAX];
    fx_status st = FX_OK;
    size_t n = 0;
    size_t mark = fx_jpath_key(p, "grid");
    if (grid && !cJSON_IsObject(grid))
        st = fx_json_err(p, e, FX_EINVAL, "expected an object of parameters, found %s",
                         fx_json_describe(grid, found, sizeof found));
    else if (grid && (n = (size_t)cJSON_GetArraySize(grid)) > FX_SWEEP_PARAMS_MAX)
        st = fx_json_err(p, e, FX_ELIMIT, "expected at most %d parameters, found %zu",
                         FX_SWEEP_PARAMS_MAX, n);
    if (st == FX_OK && n && !(s->params = calloc(n, sizeof *s->params)))
        st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
    size_t points = s->nworkloads;
    for (const cJSON *c = st == FX_OK && grid ? grid->child : NULL; c && st == FX_OK; c = c->next) {
        param *pr = &s->params[s->nparams];
        if (strlen(c->string) > NAME_MAX_LEN) {
            st = fx_json_err(p, e, FX_ELIMIT, "expected a parameter of at most %d bytes, found %s",
                             NAME_MAX_LEN, fx_json_quote(c->string, found, sizeof found));
            break;
        }
        for (size_t j = 0; j < s->nparams; j++)
            if (strcmp(s->params[j].name, c->string) == 0)
                st = grid_err(p, c->string, SIZE_MAX, e, FX_EINVAL, "parameter given twice");
        if (st != FX_OK)
            break;
        s->nparams++;
        if (!(pr->name = fx_json_strdup(c->string)))
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        if (st == FX_OK)
            st = parse_param_name(s, pr, p, e);
        if (st == FX_OK)
            st = load_values(pr, c, p, e);
        if (st == FX_OK && points > FX_SWEEP_POINTS_MAX / pr->nvalues)
            st = fx_json_err(p, e, FX_ELIMIT, "expected at most %d points in all, found more",
                             FX_SWEEP_POINTS_MAX);
        points *= pr->nvalues;
    }
    fx_jpath_pop(p, mark);
    s->npoints = points;
    return st;
}

/* Metric NAME, checked against the base's pools and caches. */
static fx_status parse_metric(const fx_sweep *s, const char *name, metric *m, fx_jpath *p,
                              fx_err *e)
{
    char q[QUOTED_MAX], msg[FX_ERR_MAX];
    for (size_t i = 0; i < NTOP; i++)
        if (strcmp(name, top_metrics[i].name) == 0) {
            m->kind = top_metrics[i].kind;
            return FX_OK;
        }
    section sec = strncmp(name, "pools.", 6) == 0    ? S_POOLS
                  : strncmp(name, "caches.", 7) == 0 ? S_CACHES
                                                     : S_NETWORK;
    const char *rest = name + (sec == S_POOLS ? 6 : 7);
    const char *dot = sec != S_NETWORK ? strrchr(rest, '.') : NULL;
    if (!dot || dot == rest || !dot[1]) {
        sbuf b = {0};
        for (size_t i = 0; i < NTOP; i++) {
            sb_str(&b, top_metrics[i].name);
            sb_str(&b, ", ");
        }
        sb_str(&b, "pools.ID.KEY, caches.ID.KEY");
        fx_status st = fx_json_err(p, e, FX_EINVAL, "unknown metric %s; expected one of %s",
                                   fx_json_quote(name, q, sizeof q), b.failed ? "..." : b.s);
        free(b.s);
        return st;
    }
    char id[FX_JSON_ID_MAX + 1];
    size_t idlen = (size_t)(dot - rest);
    if (idlen > FX_JSON_ID_MAX)
        idlen = FX_JSON_ID_MAX;
    memcpy(id, rest, idlen);
    id[idlen] = '\0';
    int k = find_id(s->base, sec, id);
    if (k < 0) {
        unknown_id(s->base, sec, id, msg, sizeof msg);
        return fx_json_err(p, e, FX_EINVAL, "%s", msg);
    }
    const metric_name *names = sec == S_POOLS ? pool_metrics : cache_metrics;
    size_t nn = sec == S_POOLS ? NPOOLM : NCACHM;
    for (size_t i = 0; i < nn; i++)
        if (strcmp(dot + 1, names[i].name) == 0) {
            m->kind = names[i].kind;
            m->index = (uint32_t)k;
            return FX_OK;
        }
    const char *list[NPOOLM > NCACHM ? NPOOLM : NCACHM];
    for (size_t i = 0; i < nn; i++)
        list[i] = names[i].name;
    char lbuf[LIST_MAX];
    return fx_json_err(p, e, FX_EINVAL, "unknown %s metric %s; expected one of %s",
                       sec == S_POOLS ? "pool" : "cache", fx_json_quote(dot + 1, q, sizeof q),
                       fx_json_list(list, nn, lbuf, sizeof lbuf));
}

static fx_status add_metric(fx_sweep *s, const char *name, fx_jpath *p, fx_err *e)
{
    metric *m = &s->metrics[s->nmetrics];
    fx_status st = parse_metric(s, name, m, p, e);
    if (st != FX_OK)
        return st;
    for (size_t j = 0; j < s->nmetrics; j++)
        if (strcmp(s->metrics[j].name, name) == 0) {
            char q[QUOTED_MAX];
            return fx_json_err(p, e, FX_EINVAL, "metric %s given twice",
                               fx_json_quote(name, q, sizeof q));
        }
    if (!(m->name = fx_json_strdup(name)))
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    s->nmetrics++;
    return FX_OK;
}

static fx_status load_metrics(fx_sweep *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    const cJSON *arr;
    size_t n;
    fx_status st =
        fx_json_array(root, "metrics", false, 1, FX_SWEEP_METRICS_MAX, "metric", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    const fx_arch *a = s->base;
    if (!arr)
        n = 6 + a->npools + a->ncaches;
    if (n > FX_SWEEP_METRICS_MAX)
        return fx_json_err(p, e, FX_ELIMIT, "expected at most %d metrics, found %zu",
                           FX_SWEEP_METRICS_MAX, n);
    if (!(s->metrics = calloc(n, sizeof *s->metrics)))
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    if (!arr) {
        static const char *const defaults[] = {"latency_ms.mean", "latency_ms.p50",
                                               "latency_ms.p95",  "latency_ms.p99",
                                               "throughput_rps",  "cost_per_hour"};
        char name[NAME_MAX_LEN];
        for (size_t i = 0; st == FX_OK && i < 6; i++)
            st = add_metric(s, defaults[i], p, e);
        for (uint32_t i = 0; st == FX_OK && i < a->npools; i++) {
            snprintf(name, sizeof name, "pools.%s.utilization", a->pools[i].id);
            st = add_metric(s, name, p, e);
        }
        for (uint32_t i = 0; st == FX_OK && i < a->ncaches; i++) {
            snprintf(name, sizeof name, "caches.%s.hit_ratio", a->caches[i].id);
            st = add_metric(s, name, p, e);
        }
        return st;
    }
    size_t mark = fx_jpath_key(p, "metrics");
    size_t k = 0;
    for (const cJSON *c = arr->child; c && st == FX_OK; c = c->next, k++) {
        size_t at = fx_jpath_index(p, k);
        char found[QUOTED_MAX];
        if (!cJSON_IsString(c) || !c->valuestring)
            st = fx_json_err(p, e, FX_EINVAL, "expected a metric name, found %s",
                             fx_json_describe(c, found, sizeof found));
        else
            st = add_metric(s, c->valuestring, p, e);
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

static uint64_t fingerprint(const cJSON *root, const cJSON *arch)
{
    char *a = cJSON_PrintUnformatted(root);
    char *b = cJSON_PrintUnformatted(arch);
    uint64_t h = 0;
    if (a && b)
        h = fx_hash_str(a) ^ fx_mix64(fx_hash_str(b));
    free(a);
    free(b);
    return h;
}

/* Add PATH, made absolute, to the inputs unless it is there already. */
static fx_status add_input(fx_sweep *s, const char *path, fx_err *e)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        return fx_err_set(e, FX_EIO, "%s: cannot resolve: %s", path, strerror(errno));
    for (size_t i = 0; i < s->ninputs; i++)
        if (strcmp(s->inputs[i], abs) == 0) {
            free(abs);
            return FX_OK;
        }
    char **grown = realloc(s->inputs, (s->ninputs + 1) * sizeof *grown);
    if (!grown) {
        free(abs);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    s->inputs = grown;
    s->inputs[s->ninputs++] = abs;
    return FX_OK;
}

/* The files a run reads: the sweep file, the base candidate's file, its
 * service's, its partition lookup files, then every trace. */
static fx_status collect_inputs(fx_sweep *s, fx_err *e)
{
    fx_status st = add_input(s, s->path, e);
    if (st == FX_OK)
        st = add_input(s, s->arch_file, e);
    if (st == FX_OK && s->base->svc->path)
        st = add_input(s, s->base->svc->path, e);
    for (uint32_t i = 0; st == FX_OK && i < s->base->npools; i++)
        if (s->base->pools[i].lookup_path)
            st = add_input(s, s->base->pools[i].lookup_path, e);
    for (size_t w = 0; st == FX_OK && w < s->nworkloads; w++)
        for (size_t k = 0; st == FX_OK && k < s->workloads[w].ntraces; k++)
            st = add_input(s, s->workloads[w].traces[k], e);
    return st;
}

fx_status fx_sweep_load(const char *path, fx_sweep **out, fx_err *e)
{
    if (!out || !path)
        return fx_err_set(e, FX_EINVAL, "fx_sweep_load: expected a path and a place, found NULL");
    *out = NULL;
    cJSON *root = NULL;
    fx_status st = fx_json_load(path, &root, e);
    if (st != FX_OK)
        return st;
    fx_jpath p;
    fx_jpath_init(&p, path);
    fx_sweep *s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        return fx_json_err(&p, e, FX_ENOMEM, "out of memory");
    }
    s->replications = 1;
    s->seed = 1;
    if (!(s->path = fx_json_strdup(path)))
        st = fx_json_err(&p, e, FX_ENOMEM, "out of memory");
    if (st == FX_OK)
        st = fx_json_check_keys(root, sweep_keys, &p, e);
    if (st == FX_OK)
        st = fx_json_uint(root, "replications", false, 1, FX_SWEEP_RUNS_MAX, &p, &s->replications,
                          e);
    if (st == FX_OK)
        st = fx_json_uint(root, "seed", false, 0, FX_JSON_INT_MAX, &p, &s->seed, e);
    if (st == FX_OK)
        st = load_base(s, root, &p, e);
    if (st == FX_OK)
        st = load_traces(s, root, &p, e);
    if (st == FX_OK && s->replications * s->maxtraces > FX_SWEEP_RUNS_MAX) {
        size_t mark = fx_jpath_key(&p, "replications");
        st = fx_json_err(&p, e, FX_ELIMIT,
                         "expected at most %d runs per point (replications x traces of a "
                         "workload), found %llu x %zu",
                         FX_SWEEP_RUNS_MAX, (unsigned long long)s->replications, s->maxtraces);
        fx_jpath_pop(&p, mark);
    }
    if (st == FX_OK)
        st = load_grid(s, root, &p, e);
    if (st == FX_OK)
        st = load_metrics(s, root, &p, e);
    if (st == FX_OK)
        st = check_candidates(s, &p, e);
    if (st == FX_OK)
        s->fingerprint = fingerprint(root, s->arch_json);
    if (st == FX_OK)
        st = collect_inputs(s, e);
    cJSON_Delete(root);
    if (st != FX_OK) {
        fx_sweep_free(s);
        return st;
    }
    *out = s;
    return FX_OK;
}

/* ---- points --------------------------------------------------------------- */

/* Point I as its workload W and the value index VI[k] of each parameter. */
static void decompose(const fx_sweep *s, size_t i, size_t *w, size_t *vi)
{
    for (size_t k = s->nparams; k > 0; k--) {
        vi[k - 1] = i % s->params[k - 1].nvalues;
        i /= s->params[k - 1].nvalues;
    }
    *w = i;
}

/* "[POINT,]workload,value,..." of point I (no comma or newline after). */
static void row_key(const fx_sweep *s, size_t i, int point_column, const size_t *vi, size_t w,
                    sbuf *b)
{
    if (point_column) {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu,", i);
        sb_str(b, buf);
    }
    sb_csv(b, s->workloads[w].name);
    for (size_t k = 0; k < s->nparams; k++) {
        sb_add(b, ",", 1);
        sb_csv(b, s->params[k].text[vi[k]]);
    }
}

char *fx_sweep_preamble(const fx_sweep *s, unsigned shard, unsigned nshards)
{
    sbuf b = {0};
    if (nshards) {
        char buf[128];
        snprintf(buf, sizeof buf, SHARD_TAG " shard=%u/%u points=%zu fingerprint=%016llx\npoint,",
                 shard, nshards, s->npoints, (unsigned long long)s->fingerprint);
        sb_str(&b, buf);
    }
    sb_str(&b, "workload");
    for (size_t k = 0; k < s->nparams; k++) {
        sb_add(&b, ",", 1);
        sb_csv(&b, s->params[k].name);
    }
    for (size_t m = 0; m < s->nmetrics; m++) {
        sb_add(&b, ",", 1);
        sb_csv(&b, s->metrics[m].name);
        sb_add(&b, ",", 1);
        sb_csv(&b, s->metrics[m].name);
        sb_str(&b, "_ci95");
    }
    sb_add(&b, "\n", 1);
    return sb_take(&b);
}

static const double quantile_of[] = {
    [M_P50] = 0.5, [M_P90] = 0.9, [M_P95] = 0.95, [M_P99] = 0.99, [M_P999] = 0.999};

static double metric_value(const metric *m, const fx_replay_result *r)
{
    const fx_pool_result *pool = m->index < r->npools ? &r->pools[m->index] : NULL;
    const fx_cache_result *cache = m->index < r->ncaches ? &r->caches[m->index] : NULL;
    switch (m->kind) {
    case M_REQUESTS:
        return (double)r->requests;
    case M_COMPLETED:
        return (double)r->completed;
    case M_FAILED:
        return (double)r->failed;
    case M_DROPPED:
        return (double)r->dropped;
    case M_STALE:
        return (double)r->stale_responses;
    case M_MEAN:
        return fx_moments_mean(&r->latency) * 1e-6;
    case M_P50:
    case M_P90:
    case M_P95:
    case M_P99:
    case M_P999:
        return fx_hist_quantile(r->hist, quantile_of[m->kind]) * 1e-6;
    case M_MAX:
        return r->hist->n ? (double)r->hist->max * 1e-6 : 0;
    case M_THROUGHPUT:
        return r->throughput_rps;
    case M_COST:
        return r->cost_per_hour;
    case M_POOL_SERVERS:
        return pool ? pool->servers : NAN;
    case M_POOL_UTIL:
        return pool ? pool->utilization : NAN;
    case M_POOL_QUEUE:
        return pool ? pool->mean_queue : NAN;
    case M_POOL_WAIT:
        return pool ? pool->mean_wait_ms : NAN;
    case M_POOL_AVAIL:
        return pool ? pool->availability : NAN;
    case M_CACHE_HITS:
        return cache ? (double)cache->hits : NAN;
    case M_CACHE_MISSES:
        return cache ? (double)cache->misses : NAN;
    case M_CACHE_HIT_RATIO:
        return cache ? cache->hit_ratio : NAN;
    case M_CACHE_EVICTIONS:
        return cache ? (double)cache->evictions : NAN;
    case M_CACHE_STALE:
        return cache ? (double)cache->stale_hits : NAN;
    }
    return NAN;
}

/* "point 17 (popular, pools.app.servers=4, rate_scale=2)" in front of E. */
static void point_prefix(const fx_sweep *s, size_t i, size_t w, const size_t *vi, fx_err *e)
{
    sbuf b = {0};
    char buf[48];
    snprintf(buf, sizeof buf, "point %zu (", i);
    sb_str(&b, buf);
    sb_str(&b, s->workloads[w].name);
    for (size_t k = 0; k < s->nparams; k++) {
        sb_str(&b, ", ");
        sb_str(&b, s->params[k].name);
        sb_str(&b, "=");
        sb_str(&b, s->params[k].text[vi[k]]);
    }
    sb_str(&b, ")");
    if (!b.failed)
        fx_err_prefix(e, b.s);
    free(b.s);
}

fx_status fx_sweep_point_run(const fx_sweep *s, size_t i, int point_column, char **row, fx_err *e)
{
    if (!s || !row || i >= s->npoints)
        return fx_err_set(e, FX_EINVAL, "fx_sweep_point_run: expected a point below %zu, found %zu",
                          s ? s->npoints : 0, i);
    *row = NULL;
    size_t w, vi[FX_SWEEP_PARAMS_MAX];
    decompose(s, i, &w, vi);
    const workload *wl = &s->workloads[w];
    double rate = 1, warmup = 0;
    for (size_t k = 0; k < s->nparams; k++) {
        if (s->params[k].kind == P_RATE_SCALE)
            rate = s->params[k].num[vi[k]];
        else if (s->params[k].kind == P_WARMUP)
            warmup = s->params[k].num[vi[k]];
    }
    size_t runs = (size_t)s->replications * wl->ntraces;
    double *vals = malloc(s->nmetrics * runs * sizeof *vals);
    fx_arch *arch = NULL;
    fx_status st =
        vals ? build_candidate(s, vi, &arch, e) : fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t t = 0; st == FX_OK && t < wl->ntraces; t++) {
        for (uint64_t r = 0; st == FX_OK && r < s->replications; r++) {
            fx_trace_reader *tr = NULL;
            fx_replay_result res;
            memset(&res, 0, sizeof res);
            st = fx_trace_open(wl->traces[t], arch->svc->ids, arch->svc->nnodes, &tr, e);
            if (st == FX_OK) {
                fx_replay_opts ro = {rate,
                                     (fx_time)llround(warmup * 1e9),
                                     fx_sweep_seed(s->seed, r),
                                     NULL,
                                     NULL,
                                     NULL,
                                     0};
                st = fx_replay_run(arch, tr, &ro, &res, e);
            }
            size_t run = t * (size_t)s->replications + (size_t)r;
            for (size_t m = 0; st == FX_OK && m < s->nmetrics; m++)
                vals[m * runs + run] = metric_value(&s->metrics[m], &res);
            fx_replay_result_free(&res);
            fx_trace_close(tr);
        }
    }
    fx_arch_free(arch);
    if (st != FX_OK) {
        free(vals);
        point_prefix(s, i, w, vi, e);
        return st;
    }
    sbuf b = {0};
    row_key(s, i, point_column, vi, w, &b);
    for (size_t m = 0; m < s->nmetrics; m++) {
        double mean, half;
        char buf[40];
        fx_sweep_ci95(vals + m * runs, runs, &mean, &half);
        sb_add(&b, ",", 1);
        sb_str(&b, fx_sweep_number(mean, buf, sizeof buf));
        sb_add(&b, ",", 1);
        if (runs > 1)
            sb_str(&b, fx_sweep_number(half, buf, sizeof buf));
    }
    sb_add(&b, "\n", 1);
    free(vals);
    if (!(*row = sb_take(&b)))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

/* ---- running in threads --------------------------------------------------- */

typedef struct pool_state {
    const fx_sweep *s;
    const fx_sweep_run_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t done_cv; /* a slot finished */
    size_t next;            /* next slot to hand out */
    int stop;               /* hand out no more */
    char **rows;            /* per slot, the finished row */
    unsigned char *done;    /* per slot: 1 done, 2 failed */
    size_t err_slot;        /* the lowest failed slot, or SIZE_MAX */
    fx_err err;             /* its error */
} pool_state;

static void *worker(void *arg)
{
    pool_state *ps = arg;
    for (;;) {
        pthread_mutex_lock(&ps->mu);
        if (ps->stop || ps->next >= ps->o->npoints) {
            pthread_mutex_unlock(&ps->mu);
            return NULL;
        }
        size_t slot = ps->next++;
        pthread_mutex_unlock(&ps->mu);
        char *row = NULL;
        fx_err e;
        fx_err_clear(&e);
        fx_status st =
            fx_sweep_point_run(ps->s, ps->o->points[slot], ps->o->point_column, &row, &e);
        pthread_mutex_lock(&ps->mu);
        if (st == FX_OK) {
            ps->rows[slot] = row;
            ps->done[slot] = 1;
        } else {
            ps->done[slot] = 2;
            ps->stop = 1;
            if (slot < ps->err_slot) {
                ps->err_slot = slot;
                ps->err = e;
            }
        }
        pthread_cond_broadcast(&ps->done_cv);
        pthread_mutex_unlock(&ps->mu);
    }
}

/* One thread: each point in turn. */
static fx_status run_inline(const fx_sweep *s, const fx_sweep_run_opts *o, fx_err *e)
{
    for (size_t k = 0; k < o->npoints; k++) {
        char *row = NULL;
        fx_status st = fx_sweep_point_run(s, o->points[k], o->point_column, &row, e);
        if (st == FX_OK)
            st = o->on_row(o->ctx, o->points[k], row, e);
        free(row);
        if (st != FX_OK)
            return st;
    }
    return FX_OK;
}

fx_status fx_sweep_run(const fx_sweep *s, const fx_sweep_run_opts *o, fx_err *e)
{
    if (!s || !o || !o->on_row || (o->npoints && !o->points) || o->threads < 1 ||
        o->threads > FX_SWEEP_THREADS_MAX)
        return fx_err_set(e, FX_EINVAL,
                          "fx_sweep_run: expected a sweep, points, a row callback and 1 to %d "
                          "threads",
                          FX_SWEEP_THREADS_MAX);
    for (size_t k = 0; k < o->npoints; k++)
        if (o->points[k] >= s->npoints || (k && o->points[k] <= o->points[k - 1]))
            return fx_err_set(e, FX_EINVAL,
                              "fx_sweep_run: expected increasing points below %zu, found %zu",
                              s->npoints, o->points[k]);
    size_t nthreads = o->threads < o->npoints ? o->threads : o->npoints;
    if (nthreads <= 1)
        return run_inline(s, o, e);

    pool_state ps;
    memset(&ps, 0, sizeof ps);
    ps.s = s;
    ps.o = o;
    ps.err_slot = SIZE_MAX;
    ps.rows = calloc(o->npoints, sizeof *ps.rows);
    ps.done = calloc(o->npoints, 1);
    pthread_t *tids = calloc(nthreads, sizeof *tids);
    if (!ps.rows || !ps.done || !tids) {
        free(ps.rows);
        free(ps.done);
        free(tids);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&ps.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ps.done_cv, &ca);
    pthread_condattr_destroy(&ca);
    size_t started = 0;
    fx_status st = FX_OK;
    for (; started < nthreads; started++) {
        int rc = pthread_create(&tids[started], NULL, worker, &ps);
        if (rc != 0) {
            if (started == 0)
                st = fx_err_set(e, FX_ENOMEM, "cannot start a thread: %s", strerror(rc));
            break; /* run with the threads there are */
        }
    }
    /* Hand the rows over in order, as each one and all before it are done. */
    for (size_t k = 0; st == FX_OK && k < o->npoints; k++) {
        pthread_mutex_lock(&ps.mu);
        while (!ps.done[k]) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_sec += 1;
            if (pthread_cond_timedwait(&ps.done_cv, &ps.mu, &until) == ETIMEDOUT && o->on_wait &&
                !ps.done[k]) {
                pthread_mutex_unlock(&ps.mu);
                o->on_wait(o->ctx);
                pthread_mutex_lock(&ps.mu);
            }
        }
        char *row = ps.rows[k];
        ps.rows[k] = NULL;
        int failed = ps.done[k] == 2;
        if (failed) {
            /* No earlier slot failed (they were all handed over), so this
             * is the lowest failed slot. */
            if (e)
                *e = ps.err;
            st = ps.err.code != FX_OK ? ps.err.code : FX_EINVAL;
        }
        pthread_mutex_unlock(&ps.mu);
        if (!failed)
            st = o->on_row(o->ctx, o->points[k], row, e);
        free(row);
    }
    pthread_mutex_lock(&ps.mu);
    ps.stop = 1;
    pthread_mutex_unlock(&ps.mu);
    for (size_t t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    for (size_t k = 0; k < o->npoints; k++)
        free(ps.rows[k]);
    free(ps.rows);
    free(ps.done);
    free(tids);
    pthread_cond_destroy(&ps.done_cv);
    pthread_mutex_destroy(&ps.mu);
    return st;
}

/* ---- resuming and merging ------------------------------------------------- */

/* Fields of the CSV line LINE[0..LEN) (no newline), counting quoted ones
 * as one; -1 when a quote is not closed. */
static long csv_fields(const char *line, size_t len)
{
    long n = 1;
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '"')
            quoted = !quoted; /* "" inside a quoted field toggles twice */
        else if (line[i] == ',' && !quoted)
            n++;
    }
    return quoted ? -1 : n;
}

/* LINE[0..LEN) quoted for a message, cut with "..." when long. */
static const char *quote_line(const char *line, size_t len, char *buf, size_t cap)
{
    char part[84];
    size_t n = len < 80 ? len : 80;
    memcpy(part, line, n);
    if (len > 80)
        memcpy(part + n, "...", 3), n += 3;
    part[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (part[i] == '\0')
            part[i] = '?';
    return fx_json_quote(part, buf, cap);
}

fx_status fx_sweep_resume_scan(const fx_sweep *s, unsigned shard, unsigned nshards,
                               const char *file, const char *text, size_t len, size_t *done,
                               size_t *keep, fx_err *e)
{
    *done = 0;
    *keep = 0;
    char *pre = fx_sweep_preamble(s, shard, nshards);
    if (!pre)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t plen = strlen(pre);
    size_t end = len; /* the complete lines */
    while (end > 0 && text[end - 1] != '\n')
        end--;
    char q1[128], q2[128];
    fx_status st = FX_OK;
    if (end < plen) {
        /* Not even the preamble was written whole: it must be its start. */
        if (!(len <= plen && memcmp(text, pre, len) == 0)) {
            size_t l = 0;
            while (l < len && text[l] != '\n')
                l++;
            size_t pl = strcspn(pre, "\n");
            st = fx_err_set(e, FX_EINVAL,
                            "%s:1: expected the header of this sweep's results, %s, found %s "
                            "(the results of another sweep?)",
                            file, quote_line(pre, pl, q1, sizeof q1),
                            quote_line(text, l, q2, sizeof q2));
        }
        free(pre);
        return st;
    }
    if (memcmp(text, pre, plen) != 0) {
        /* Name the first line that differs. */
        size_t off = 0, line = 1;
        for (;;) {
            size_t a = strcspn(pre + off, "\n"), b = 0;
            while (off + b < len && text[off + b] != '\n')
                b++;
            if (a != b || memcmp(pre + off, text + off, a) != 0) {
                st = fx_err_set(e, FX_EINVAL,
                                "%s:%zu: expected the header of this sweep's results%s, %s, "
                                "found %s (the results of another sweep, or of another shard?)",
                                file, line, nshards ? " (shard)" : "",
                                quote_line(pre + off, a, q1, sizeof q1),
                                quote_line(text + off, b, q2, sizeof q2));
                break;
            }
            off += a + 1;
            line++;
        }
        free(pre);
        return st;
    }
    size_t line = nshards ? 3 : 2;
    free(pre);
    size_t p = nshards ? shard - 1 : 0, step = nshards ? nshards : 1;
    long want = 1 + (long)s->nparams + 2 * (long)s->nmetrics + (nshards ? 1 : 0);
    size_t vi[FX_SWEEP_PARAMS_MAX], w;
    size_t n = 0;
    for (size_t off = plen; off < end && st == FX_OK; line++) {
        size_t l = 0;
        while (text[off + l] != '\n')
            l++;
        if (p >= s->npoints) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected no more rows (every point is done), "
                            "found %s",
                            file, line, quote_line(text + off, l, q2, sizeof q2));
            break;
        }
        decompose(s, p, &w, vi);
        sbuf b = {0};
        row_key(s, p, nshards != 0, vi, w, &b);
        sb_add(&b, ",", 1);
        if (b.failed) {
            free(b.s);
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        }
        if (l < b.len || memcmp(text + off, b.s, b.len) != 0 || memchr(text + off, '\0', l) ||
            csv_fields(text + off, l) != want)
            st = fx_err_set(e, FX_EINVAL, "%s:%zu: expected the row of point %zu (%s...), found %s",
                            file, line, p, quote_line(b.s, b.len, q1, sizeof q1),
                            quote_line(text + off, l, q2, sizeof q2));
        free(b.s);
        n++;
        p += step;
        off += l + 1;
    }
    if (st != FX_OK)
        return st;
    *done = n;
    *keep = end;
    return FX_OK;
}

typedef struct shard_file {
    const char *path;
    char *text;
    size_t len;
    unsigned index, count;
    size_t points;
    unsigned long long fp;
    const char *header; /* the line after the tag, "point,..." */
    size_t header_len;
    const char **rows; /* each complete row */
    size_t *row_len;
    size_t nrows;
    size_t expected; /* rows the shard should hold */
} shard_file;

static fx_status read_file(const char *path, char **out, size_t *out_len, fx_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    fx_status st = buf ? FX_OK : fx_err_set(e, FX_ENOMEM, "%s: out of memory", path);
    while (st == FX_OK) {
        if (len + 1 >= cap) {
            char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                st = fx_err_set(e, FX_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = fx_err_set(e, FX_EIO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (st != FX_OK) {
        free(buf);
        return st;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return FX_OK;
}

/* Read shard file F->path: its tag, header and complete rows. */
static fx_status read_shard(shard_file *f, fx_err *e)
{
    fx_status st = read_file(f->path, &f->text, &f->len, e);
    if (st != FX_OK)
        return st;
    char q[128];
    size_t l1 = 0;
    while (l1 < f->len && f->text[l1] != '\n')
        l1++;
    char tag[128];
    int ok = 0;
    if (l1 < f->len && sscanf(f->text, SHARD_TAG " shard=%u/%u points=%zu fingerprint=%llx",
                              &f->index, &f->count, &f->points, &f->fp) == 4) {
        snprintf(tag, sizeof tag, SHARD_TAG " shard=%u/%u points=%zu fingerprint=%016llx", f->index,
                 f->count, f->points, f->fp);
        ok = strlen(tag) == l1 && memcmp(tag, f->text, l1) == 0 && f->index >= 1 &&
             f->index <= f->count;
    }
    if (!ok)
        return fx_err_set(e, FX_EINVAL,
                          "%s:1: expected the first line of a sweep shard, \"" SHARD_TAG
                          " shard=I/N points=P fingerprint=HEX\", found %s%s",
                          f->path, quote_line(f->text, l1, q, sizeof q),
                          strncmp(f->text, "workload,", 9) == 0
                              ? " (the output of an unsharded run, which needs no merge)"
                              : "");
    f->header = f->text + l1 + 1;
    size_t l2 = 0;
    while (l1 + 1 + l2 < f->len && f->header[l2] != '\n')
        l2++;
    if (l1 + 1 + l2 >= f->len || strncmp(f->header, "point,workload", 14) != 0)
        return fx_err_set(e, FX_EINVAL,
                          "%s:2: expected a header starting \"point,workload\", found %s", f->path,
                          quote_line(f->header, l2, q, sizeof q));
    f->header_len = l2;
    long fields = csv_fields(f->header, l2);
    size_t max = f->len / 2 + 1;
    f->rows = malloc(max * sizeof *f->rows);
    f->row_len = malloc(max * sizeof *f->row_len);
    if (!f->rows || !f->row_len)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    f->expected = f->index - 1 < f->points ? (f->points - f->index + f->count) / f->count : 0;
    size_t off = l1 + 1 + l2 + 1, line = 3;
    while (off < f->len) {
        const char *nl = memchr(f->text + off, '\n', f->len - off);
        if (!nl)
            break; /* a row cut short: the shard is incomplete */
        size_t l = (size_t)(nl - (f->text + off));
        const char *row = f->text + off;
        size_t want = (f->index - 1) + f->nrows * (size_t)f->count;
        char num[32];
        snprintf(num, sizeof num, "%zu,", want);
        if (f->nrows >= f->expected || l < strlen(num) || strncmp(row, num, strlen(num)) != 0 ||
            memchr(row, '\0', l) || csv_fields(row, l) != fields) {
            char what[64];
            if (f->nrows >= f->expected)
                snprintf(what, sizeof what, "no more rows (the shard has %zu)", f->expected);
            else
                snprintf(what, sizeof what, "the row of point %zu (%ld fields)", want, fields);
            return fx_err_set(e, FX_EINVAL, "%s:%zu: expected %s, found %s", f->path, line, what,
                              quote_line(row, l, q, sizeof q));
        }
        f->rows[f->nrows] = row;
        f->row_len[f->nrows] = l;
        f->nrows++;
        off += l + 1;
        line++;
    }
    return FX_OK;
}

/* Append "A, B, C and N more" of up to 8 points of shard I/N in [FROM, P). */
static void list_points(sbuf *b, size_t from, size_t step, size_t points)
{
    size_t shown = 0, total = from < points ? (points - from + step - 1) / step : 0;
    for (size_t p = from; p < points && shown < 8; p += step, shown++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%zu", shown ? ", " : "", p);
        sb_str(b, buf);
    }
    if (total > shown) {
        char buf[48];
        snprintf(buf, sizeof buf, " and %zu more", total - shown);
        sb_str(b, buf);
    }
}

fx_status fx_sweep_merge(const char *const *paths, size_t n, char **out, size_t *out_len, fx_err *e)
{
    *out = NULL;
    *out_len = 0;
    if (n == 0)
        return fx_err_set(e, FX_EINVAL, "expected at least one shard file, found none");
    shard_file *f = calloc(n, sizeof *f);
    if (!f)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    shard_file **by_index = NULL;
    for (size_t i = 0; i < n && st == FX_OK; i++) {
        f[i].path = paths[i];
        st = read_shard(&f[i], e);
        if (st != FX_OK || i == 0)
            continue;
        if (f[i].fp != f[0].fp || f[i].points != f[0].points || f[i].count != f[0].count)
            st = fx_err_set(e, FX_EINVAL,
                            "%s: expected a shard of the same sweep as %s (shard of %u, %zu "
                            "points, fingerprint %016llx), found shard of %u, %zu points, "
                            "fingerprint %016llx",
                            f[i].path, f[0].path, f[0].count, f[0].points, f[0].fp, f[i].count,
                            f[i].points, f[i].fp);
        else if (f[i].header_len != f[0].header_len ||
                 memcmp(f[i].header, f[0].header, f[0].header_len) != 0)
            st = fx_err_set(e, FX_EINVAL, "%s:2: expected the header of %s, found another",
                            f[i].path, f[0].path);
    }
    unsigned count = st == FX_OK ? f[0].count : 0;
    if (st == FX_OK && !(by_index = calloc(count, sizeof *by_index)))
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && st == FX_OK; i++) {
        shard_file **slot = &by_index[f[i].index - 1];
        if (*slot)
            st = fx_err_set(e, FX_EINVAL, "shard %u/%u given twice: %s and %s", f[i].index, count,
                            (*slot)->path, f[i].path);
        *slot = &f[i];
    }
    if (st == FX_OK) {
        /* Every shard, each complete: else name what is missing. */
        sbuf b = {0};
        size_t missing = 0;
        for (unsigned k = 0; k < count; k++) {
            const shard_file *sf = by_index[k];
            if (sf && sf->nrows == sf->expected)
                continue;
            char buf[FX_ERR_MAX];
            if (missing++ >= 4)
                continue;
            if (!sf)
                snprintf(buf, sizeof buf, "%sshard %u/%u missing (points ", b.len ? "; " : "",
                         k + 1, count);
            else
                snprintf(buf, sizeof buf,
                         "%sshard %u/%u incomplete in %s: %zu of %zu rows (points ",
                         b.len ? "; " : "", k + 1, count, sf->path, sf->nrows, sf->expected);
            sb_str(&b, buf);
            list_points(&b, k + (sf ? sf->nrows * (size_t)count : 0), count, f[0].points);
            sb_str(&b, sf ? " missing; finish it with --resume)" : ")");
        }
        if (missing > 4) {
            char buf[64];
            snprintf(buf, sizeof buf, "; and %zu more shards", missing - 4);
            sb_str(&b, buf);
        }
        if (missing)
            st = fx_err_set(e, FX_EINVAL, "expected all %u shards, complete; found %s", count,
                            b.failed ? "some missing" : b.s);
        free(b.s);
    }
    if (st == FX_OK) {
        sbuf b = {0};
        sb_add(&b, f[0].header + 6, f[0].header_len - 6); /* without "point," */
        sb_add(&b, "\n", 1);
        for (size_t p = 0; p < f[0].points; p++) {
            const shard_file *sf = by_index[p % count];
            size_t r = p / count;
            const char *row = sf->rows[r];
            const char *comma = memchr(row, ',', sf->row_len[r]);
            size_t skip = (size_t)(comma - row) + 1;
            sb_add(&b, row + skip, sf->row_len[r] - skip);
            sb_add(&b, "\n", 1);
        }
        *out_len = b.len;
        if (!(*out = sb_take(&b)))
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        free(f[i].text);
        free(f[i].rows);
        free(f[i].row_len);
    }
    free(f);
    free(by_index);
    return st;
}

/* ---- the inputs' checksums ------------------------------------------------ */

size_t fx_sweep_inputs(const fx_sweep *s, const char *const **paths)
{
    *paths = (const char *const *)s->inputs;
    return s->ninputs;
}

fx_status fx_sweep_manifest(const fx_sweep *s, char **out, fx_err *e)
{
    sbuf b = {0};
    fx_status st = FX_OK;
    for (size_t i = 0; st == FX_OK && i < s->ninputs; i++) {
        char hex[FX_SHA256_HEX];
        if ((st = fx_sha256_file(s->inputs[i], hex, e)) != FX_OK)
            break;
        sb_str(&b, hex);
        sb_str(&b, "  ");
        sb_str(&b, s->inputs[i]);
        sb_add(&b, "\n", 1);
    }
    char *text = sb_take(&b);
    if (st == FX_OK && !text)
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
    if (st != FX_OK) {
        free(text);
        return st;
    }
    *out = text;
    return FX_OK;
}

/* LINE[0..LEN) as "HEX  PATH" (or "HEX *PATH", sha256sum's binary mode):
 * the digest in HEX, the path's start in *PATH. */
static int manifest_line(const char *line, size_t len, char hex[FX_SHA256_HEX], size_t *path)
{
    if (len < 2 * FX_SHA256_BYTES + 3)
        return -1;
    for (size_t i = 0; i < 2 * FX_SHA256_BYTES; i++) {
        char c = line[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        hex[i] = c;
    }
    hex[2 * FX_SHA256_BYTES] = '\0';
    if (line[2 * FX_SHA256_BYTES] != ' ' ||
        (line[2 * FX_SHA256_BYTES + 1] != ' ' && line[2 * FX_SHA256_BYTES + 1] != '*') ||
        line[2 * FX_SHA256_BYTES + 2] != '/')
        return -1;
    *path = 2 * FX_SHA256_BYTES + 2;
    return 0;
}

fx_status fx_sweep_check_manifest(const fx_sweep *s, const char *file, const char *text, size_t len,
                                  fx_err *e)
{
    char *seen = calloc(s->ninputs ? s->ninputs : 1, 1);
    if (!seen)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    size_t lineno = 0;
    for (size_t at = 0; st == FX_OK && at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + at;
        size_t n = end - at, off = 0;
        lineno++;
        at = end + 1;
        char hex[FX_SHA256_HEX], found[FX_SHA256_HEX], q[128];
        if (!nl || memchr(line, '\0', n) || manifest_line(line, n, hex, &off) != 0) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected \"SHA256  /ABSOLUTE/PATH\" ending in a newline, "
                            "found %s",
                            file, lineno, quote_line(line, n, q, sizeof q));
            break;
        }
        char *path = strndup(line + off, n - off);
        if (!path) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
            break;
        }
        fx_err fe;
        if (fx_sha256_file(path, found, &fe) != FX_OK)
            st = fx_err_set(e, FX_EIO, "%s:%zu: %s", file, lineno, fe.msg);
        else if (strcmp(hex, found) != 0)
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected %s to be as submitted (sha256 %.12s...), found it "
                            "changed (sha256 %.12s...); restore it, or emit the sweep again in a "
                            "new folder",
                            file, lineno, path, hex, found);
        for (size_t i = 0; i < s->ninputs; i++)
            if (strcmp(s->inputs[i], path) == 0)
                seen[i] = 1;
        free(path);
    }
    for (size_t i = 0; st == FX_OK && i < s->ninputs; i++)
        if (!seen[i])
            st = fx_err_set(e, FX_EINVAL,
                            "%s: expected a checksum of %s, which this sweep reads, found none "
                            "(the sweep names other inputs than when it was submitted)",
                            file, s->inputs[i]);
    free(seen);
    return st;
}
