/* space.c - search spaces: loading, points, neighbours, enumeration and
 * building candidates (see space.h and doc/optimize.part.md).
 *
 * The base file is kept as its JSON tree. A candidate is a copy of that
 * tree with the variables written in, built by the architecture loader; the
 * loader is the one judge of validity, and the structural checks here
 * (disjoint caches, TTL bounds) only keep the generator from proposing what
 * it would refuse.
 */
#include "optimizer/space.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "models/json.h"
#include "models/transform.h"

/* Steps of counting before it gives a lower bound. */
#define COUNT_STEPS 10000000ull

/* Draws of fx_space_random_point before it gives up. */
#define RANDOM_TRIES 1000

#define QUOTED_MAX (4 * FX_JSON_ID_MAX + 16)
#define LIST_MAX   (FX_ERR_MAX / 2)
#define TEXT_MAX   (2 * FX_JSON_ID_MAX + 8)

typedef enum vkind {
    V_SERVERS,
    V_PARTITIONS,
    V_CACHE_AT, /* 0: no cache in this slot; p + 1: placement p */
    V_CACHE_POOL,
    V_CACHE_CAP,
    V_CACHE_POLICY,
    V_CACHE_TTL,
    V_ASYNC
} vkind;

/* Sub-variables of a cache slot, in the order of the variables. */
enum { SUB_AT, SUB_POOL, SUB_CAP, SUB_POLICY, SUB_TTL, SUB_N };

typedef struct var {
    vkind kind;
    char *name;
    uint32_t size;
    uint32_t index;   /* servers/partitions: base pool; cache: slot; async: edge */
    uint64_t min;     /* servers: the value of index 0 */
    uint64_t *values; /* partitions: the values */
    char *base_text;  /* what the base says */
} var;

typedef struct placement {
    uint32_t from, to;
    double bound; /* smallest volatile_s inside, < 0 when none */
    char id[FX_JSON_ID_MAX + 1];
    char text[TEXT_MAX];
} placement;

typedef struct cpool {
    char *id;
    cJSON *obj; /* a pool object the space adds, or NULL for a base pool */
} cpool;

typedef struct constraint {
    size_t metric;
    double bound;
    int percent;
} constraint;

struct fx_space {
    char *path;      /* the space file */
    char *base_path; /* the base file, resolved */
    cJSON *base;     /* the base file's tree, as read */
    fx_arch *arch;   /* the base, built */

    var *vars;
    size_t nvars;

    /* Caches: slots of nsub variables from slot0. */
    int has_caches;
    uint32_t nslots, nsub;
    size_t slot0;
    placement *pl;
    uint32_t npl;
    uint8_t *overlap; /* npl x npl */
    cpool *cpools;
    uint32_t ncpools;  /* read */
    uint32_t cpools_n; /* allocated */
    uint64_t *caps;
    uint32_t ncaps;
    const char **policies;
    uint32_t npolicies;
    double *ttls;
    uint32_t nttls;
    char *lookup; /* a distribution spec, or NULL */
    double cost_gb;
    int has_cost_gb;

    /* Asynchronous edges: one variable each, from async0. */
    int has_async;
    uint32_t (*edges)[2];
    uint32_t nedges;
    size_t async0;

    size_t *plain; /* the variables outside cache slots */
    size_t nplain;

    char **metrics;
    size_t nmetrics;
    size_t objective, m_cost, m_p99, m_requests;
    constraint *cons;
    size_t ncons;

    uint32_t *base_x;
    int base_exact;
};

/* ---- small helpers -------------------------------------------------------- */

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dupf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return fx_json_strdup(buf);
}

static fx_status oom(fx_jpath *p, fx_err *e)
{
    return fx_json_err(p, e, FX_ENOMEM, "out of memory");
}

/* An error at PATH.KEY. */
static fx_status key_err(fx_jpath *p, const char *key, fx_err *e, fx_status code, const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));

static fx_status key_err(fx_jpath *p, const char *key, fx_err *e, fx_status code, const char *fmt,
                         ...)
{
    char msg[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mark = key ? fx_jpath_key(p, key) : p->len;
    fx_json_err(p, e, code, "%s", msg);
    fx_jpath_pop(p, mark);
    return code;
}

/* An object whose keys are names of the user's (pool ids): check that no
 * key is given twice. */
static fx_status unique_keys(const cJSON *obj, fx_jpath *p, fx_err *e)
{
    char q[QUOTED_MAX];
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return fx_json_err(p, e, FX_EINVAL, "key %s given twice",
                                   fx_json_quote(a->string, q, sizeof q));
    return FX_OK;
}

/* V as an integer in [MIN, MAX], or an error at the current path. */
static fx_status int_value(const cJSON *v, uint64_t min, uint64_t max, fx_jpath *p, uint64_t *out,
                           fx_err *e)
{
    char found[QUOTED_MAX];
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble))
        return fx_json_err(p, e, FX_EINVAL, "expected an integer, found %s",
                           fx_json_describe(v, found, sizeof found));
    if (v->valuedouble < (double)min)
        return fx_json_err(p, e, FX_EINVAL, "expected at least %llu, found %s",
                           (unsigned long long)min, fx_json_describe(v, found, sizeof found));
    if (v->valuedouble > (double)max)
        return fx_json_err(p, e, FX_ELIMIT, "expected at most %llu, found %s",
                           (unsigned long long)max, fx_json_describe(v, found, sizeof found));
    *out = (uint64_t)v->valuedouble;
    return FX_OK;
}

/* Member KEY of OBJ: a non-empty array of ascending integers in [MIN, MAX]. */
static fx_status int_list(const cJSON *obj, const char *key, uint64_t min, uint64_t max,
                          fx_jpath *p, uint64_t **out, uint32_t *n, fx_err *e)
{
    const cJSON *arr;
    size_t count;
    fx_status st =
        fx_json_array(obj, key, true, 1, FX_SPACE_VALUES_MAX, "integer", p, &arr, &count, e);
    if (st != FX_OK)
        return st;
    uint64_t *v = malloc(count * sizeof *v);
    if (!v)
        return oom(p, e);
    size_t mark = fx_jpath_key(p, key), i = 0;
    for (const cJSON *c = arr->child; c && st == FX_OK; c = c->next, i++) {
        size_t at = fx_jpath_index(p, i);
        st = int_value(c, min, max, p, &v[i], e);
        if (st == FX_OK && i > 0 && v[i] <= v[i - 1])
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected values in ascending order, found %llu after "
                             "%llu",
                             (unsigned long long)v[i], (unsigned long long)v[i - 1]);
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    if (st != FX_OK) {
        free(v);
        return st;
    }
    *out = v;
    *n = (uint32_t)count;
    return FX_OK;
}

/* ---- paths ---------------------------------------------------------------- */

/* PATH made absolute (from the working directory) with its folder resolved
 * by realpath when it exists; a new string. */
static char *absolute(const char *path)
{
    char *abs;
    if (path[0] == '/') {
        abs = fx_json_strdup(path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return fx_json_strdup(path);
        abs = dupf("%s/%s", cwd, path);
    }
    if (!abs)
        return NULL;
    char *slash = strrchr(abs, '/');
    *slash = '\0';
    char dir[PATH_MAX];
    char *out;
    if (realpath(abs[0] ? abs : "/", dir))
        out = dupf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, slash + 1);
    else
        out = (*slash = '/', fx_json_strdup(abs));
    free(abs);
    return out;
}

/* REL (relative to the folder of FROM_FILE) rewritten relative to the
 * folder of TO_FILE, or absolute when TO_FILE is NULL; a new string. */
static char *rebase(const char *rel, const char *from_file, const char *to_file)
{
    if (rel[0] == '/')
        return fx_json_strdup(rel);
    char *joined = fx_json_resolve(from_file, rel);
    if (!joined)
        return NULL;
    char *abs = absolute(joined);
    free(joined);
    if (!abs || !to_file)
        return abs;
    char *to = absolute(to_file);
    if (!to)
        return abs;
    /* Common folders of ABS and TO, then one ".." per folder TO has left. */
    size_t common = 0;
    for (size_t i = 0; abs[i] && abs[i] == to[i]; i++)
        if (abs[i] == '/')
            common = i + 1;
    size_t ups = 0;
    for (const char *c = to + common; *c; c++)
        ups += *c == '/';
    size_t n = strlen(abs + common);
    char *out = malloc(3 * ups + n + 1);
    if (out) {
        char *w = out;
        for (size_t i = 0; i < ups; i++, w += 3)
            memcpy(w, "../", 3);
        memcpy(w, abs + common, n + 1);
    }
    free(abs);
    free(to);
    return out;
}

#define EMPIRICAL "empirical:"

/* Rewrite the string member KEY of OBJ, a path (or, with SPEC, the file of
 * an "empirical:FILE" spec), from FROM_FILE's folder to TO_FILE's. */
static int rebase_member(cJSON *obj, const char *key, int spec, const char *from_file,
                         const char *to_file)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
        return 1;
    const char *s = v->valuestring;
    size_t pre = spec ? strlen(EMPIRICAL) : 0;
    if (spec && (strncmp(s, EMPIRICAL, pre) != 0 || !s[pre]))
        return 1;
    char *path = rebase(s + pre, from_file, to_file);
    if (!path)
        return 0;
    char *full = spec ? dupf("%s%s", EMPIRICAL, path) : fx_json_strdup(path);
    free(path);
    cJSON *nv = full ? cJSON_CreateString(full) : NULL;
    free(full);
    return nv && cJSON_ReplaceItemInObjectCaseSensitive(obj, key, nv);
}

/* Every relative path of a pool object. */
static int rebase_pool(cJSON *pool, const char *from_file, const char *to_file)
{
    return rebase_member(pool, "lookup", 0, from_file, to_file) &&
           rebase_member(pool, "retry_after", 1, from_file, to_file);
}

/* Every relative path of an architecture tree. */
static int rebase_tree(cJSON *t, const char *from_file, const char *to_file)
{
    int ok = rebase_member(t, "service", 0, from_file, to_file);
    cJSON *svc = cJSON_GetObjectItemCaseSensitive(t, "service");
    cJSON *arr;
    const cJSON *c;
    if (cJSON_IsObject(svc) && (arr = cJSON_GetObjectItemCaseSensitive(svc, "nodes")))
        for (c = arr->child; c; c = c->next)
            ok = ok && rebase_member((cJSON *)c, "profile", 1, from_file, to_file);
    cJSON *net = cJSON_GetObjectItemCaseSensitive(t, "network");
    if (cJSON_IsObject(net))
        ok = ok && rebase_member(net, "hop", 1, from_file, to_file);
    if ((arr = cJSON_GetObjectItemCaseSensitive(t, "pools")))
        for (c = arr->child; c; c = c->next)
            ok = ok && rebase_pool((cJSON *)c, from_file, to_file);
    if ((arr = cJSON_GetObjectItemCaseSensitive(t, "caches")))
        for (c = arr->child; c; c = c->next)
            ok = ok && rebase_member((cJSON *)c, "lookup", 1, from_file, to_file);
    return ok;
}

/* ---- building trees ------------------------------------------------------- */

static const char *str_member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *find_pool(cJSON *pools, const char *id)
{
    cJSON *c;
    cJSON_ArrayForEach(c, pools)
    {
        const char *pid = str_member(c, "id");
        if (pid && strcmp(pid, id) == 0)
            return c;
    }
    return NULL;
}

/* Set OBJ.KEY to V (replacing it, or added); 0 when out of memory. */
static int set_item(cJSON *obj, const char *key, cJSON *v)
{
    if (!v)
        return 0;
    if (cJSON_GetObjectItemCaseSensitive(obj, key))
        return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
    cJSON_AddItemToObject(obj, key, v);
    return 1;
}

/* Does some cache of T live on pool ID? */
static int pool_serves_cache(const cJSON *t, const char *id)
{
    const cJSON *caches = cJSON_GetObjectItemCaseSensitive(t, "caches"), *c;
    cJSON_ArrayForEach(c, caches)
    {
        const char *pool = str_member(c, "pool");
        if (pool && strcmp(pool, id) == 0)
            return 1;
    }
    return 0;
}

/* Remove the pools of T that host no nodes and serve no cache. */
static void drop_idle_pools(cJSON *t)
{
    cJSON *pools = cJSON_GetObjectItemCaseSensitive(t, "pools");
    if (!cJSON_IsArray(pools))
        return;
    int i = 0;
    for (cJSON *c = pools->child; c;) {
        cJSON *next = c->next;
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(c, "nodes");
        const char *id = str_member(c, "id");
        if (cJSON_IsArray(nodes) && !nodes->child && id && !pool_serves_cache(t, id))
            cJSON_DeleteItemFromArray(pools, i);
        else
            i++;
        c = next;
    }
}

/* The base tree with point X written in, named NAME. */
static cJSON *make_tree(const fx_space *s, const uint32_t *x, const char *name)
{
    cJSON *t = cJSON_Duplicate(s->base, 1);
    if (!t)
        return NULL;
    int ok = set_item(t, "name", cJSON_CreateString(name));
    cJSON *pools = cJSON_GetObjectItemCaseSensitive(t, "pools");
    for (size_t i = 0; ok && i < s->nvars; i++) {
        const var *v = &s->vars[i];
        if (v->kind != V_SERVERS && v->kind != V_PARTITIONS)
            continue;
        cJSON *pool = find_pool(pools, s->arch->pools[v->index].id);
        if (v->kind == V_SERVERS)
            ok = pool && set_item(pool, "servers", cJSON_CreateNumber((double)(v->min + x[i])));
        else
            ok = pool && set_item(pool, "partitions", cJSON_CreateNumber((double)v->values[x[i]]));
    }
    if (ok && s->has_caches) {
        cJSON_DeleteItemFromObjectCaseSensitive(t, "caches");
        cJSON *arr = cJSON_CreateArray();
        ok = arr != NULL;
        for (uint32_t k = 0; ok && k < s->nslots; k++) {
            const uint32_t *sub = x + s->slot0 + (size_t)k * s->nsub;
            if (sub[SUB_AT] == 0)
                continue;
            const placement *pl = &s->pl[sub[SUB_AT] - 1];
            const cpool *cp = &s->cpools[sub[SUB_POOL]];
            cJSON *c = cJSON_CreateObject();
            ok = c != NULL;
            if (ok)
                cJSON_AddItemToArray(arr, c);
            ok = ok && set_item(c, "id", cJSON_CreateString(pl->id)) &&
                 set_item(c, "from", cJSON_CreateString(s->arch->svc->ids[pl->from])) &&
                 set_item(c, "to", cJSON_CreateString(s->arch->svc->ids[pl->to])) &&
                 set_item(c, "pool", cJSON_CreateString(cp->id)) &&
                 set_item(c, "capacity_bytes", cJSON_CreateNumber((double)s->caps[sub[SUB_CAP]])) &&
                 set_item(c, "policy", cJSON_CreateString(s->policies[sub[SUB_POLICY]]));
            if (ok && s->nttls)
                ok = set_item(c, "ttl_s", cJSON_CreateNumber(s->ttls[sub[SUB_TTL]]));
            if (ok && s->lookup)
                ok = set_item(c, "lookup", cJSON_CreateString(s->lookup));
            if (ok && s->has_cost_gb)
                ok = set_item(c, "cost_per_gb_hour", cJSON_CreateNumber(s->cost_gb));
            if (ok && cp->obj && !find_pool(pools, cp->id)) {
                cJSON *po = cJSON_Duplicate(cp->obj, 1);
                ok = po != NULL;
                if (ok)
                    cJSON_AddItemToArray(pools, po);
            }
        }
        if (ok && arr->child)
            cJSON_AddItemToObject(t, "caches", arr);
        else
            cJSON_Delete(arr);
    }
    if (ok)
        drop_idle_pools(t);
    if (ok && s->has_async) {
        const fx_service *svc = s->arch->svc;
        cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(t, "async_edges");
        cJSON *arr = cJSON_CreateArray();
        ok = arr != NULL;
        const cJSON *c;
        /* The base's own edges that are not variables stay. */
        cJSON_ArrayForEach(c, old)
        {
            const char *f = cJSON_GetArrayItem(c, 0) ? cJSON_GetArrayItem(c, 0)->valuestring : NULL;
            const char *to =
                cJSON_GetArrayItem(c, 1) ? cJSON_GetArrayItem(c, 1)->valuestring : NULL;
            int isvar = 0;
            for (uint32_t k = 0; f && to && k < s->nedges; k++)
                isvar |= strcmp(svc->ids[s->edges[k][0]], f) == 0 &&
                         strcmp(svc->ids[s->edges[k][1]], to) == 0;
            if (ok && !isvar) {
                cJSON *d = cJSON_Duplicate(c, 1);
                ok = d != NULL;
                if (ok)
                    cJSON_AddItemToArray(arr, d);
            }
        }
        cJSON_Delete(old);
        for (uint32_t k = 0; ok && k < s->nedges; k++) {
            if (!x[s->async0 + k])
                continue;
            const char *pair[2] = {svc->ids[s->edges[k][0]], svc->ids[s->edges[k][1]]};
            cJSON *edge = cJSON_CreateStringArray(pair, 2);
            ok = edge != NULL;
            if (ok)
                cJSON_AddItemToArray(arr, edge);
        }
        if (ok && arr->child)
            cJSON_AddItemToObject(t, "async_edges", arr);
        else
            cJSON_Delete(arr);
    }
    if (!ok) {
        cJSON_Delete(t);
        return NULL;
    }
    return t;
}

fx_status fx_space_arch(const fx_space *s, const uint32_t *x, const char *name, fx_arch **out,
                        fx_err *e)
{
    *out = NULL;
    cJSON *t = make_tree(s, x, name);
    if (!t)
        return fx_err_set(e, FX_ENOMEM, "%s: out of memory", s->base_path);
    fx_jpath p;
    fx_jpath_init(&p, s->base_path);
    fx_status st = fx_arch_from_json(t, &p, out, e);
    cJSON_Delete(t);
    return st;
}

fx_status fx_space_arch_text(const fx_space *s, const uint32_t *x, const char *name,
                             const char *dest, char **text, fx_err *e)
{
    *text = NULL;
    cJSON *t = make_tree(s, x, name);
    if (!t || !rebase_tree(t, s->base_path, dest) || !(*text = cJSON_Print(t))) {
        cJSON_Delete(t);
        return fx_err_set(e, FX_ENOMEM, "%s: out of memory", dest);
    }
    cJSON_Delete(t);
    return FX_OK;
}

/* ---- loading: variables --------------------------------------------------- */

static fx_status add_var(fx_space *s, vkind kind, uint32_t size, uint32_t index, char *name,
                         fx_jpath *p, fx_err *e)
{
    if (!name)
        return oom(p, e);
    var *more = realloc(s->vars, (s->nvars + 1) * sizeof *more);
    if (!more) {
        free(name);
        return oom(p, e);
    }
    s->vars = more;
    var *v = &s->vars[s->nvars++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->name = name;
    v->size = size;
    v->index = index;
    return FX_OK;
}

/* The base pool ID (by index), or -1. */
static int base_pool(const fx_space *s, const char *id)
{
    for (uint32_t k = 0; k < s->arch->npools; k++)
        if (strcmp(s->arch->pools[k].id, id) == 0)
            return (int)k;
    return -1;
}

/* The ids of the base's pools, for messages. */
static const char *pool_list(const fx_space *s, char *buf, size_t len)
{
    const char *ids[FX_ARCH_POOLS_MAX];
    for (uint32_t k = 0; k < s->arch->npools; k++)
        ids[k] = s->arch->pools[k].id;
    return fx_json_list(ids, s->arch->npools, buf, len);
}

/* "servers" and "partitions": an object from pool ids to a range or list. */
static fx_status load_pool_vars(fx_space *s, const cJSON *vars, const char *key, fx_jpath *p,
                                fx_err *e)
{
    const cJSON *obj = fx_json_get(vars, key);
    if (!obj)
        return FX_OK;
    char q[QUOTED_MAX], list[LIST_MAX];
    size_t mark = fx_jpath_key(p, key);
    fx_status st = FX_OK;
    if (!cJSON_IsObject(obj))
        st = fx_json_err(p, e, FX_EINVAL, "expected an object from pool ids to %s, found %s",
                         strcmp(key, "servers") == 0 ? "[MIN, MAX]" : "lists of partitions",
                         fx_json_describe(obj, q, sizeof q));
    if (st == FX_OK)
        st = unique_keys(obj, p, e);
    for (const cJSON *c = st == FX_OK ? obj->child : NULL; c && st == FX_OK; c = c->next) {
        size_t at = fx_jpath_key(p, c->string);
        int k = base_pool(s, c->string);
        if (k < 0)
            st =
                fx_json_err(p, e, FX_EINVAL, "unknown pool %s; expected one of %s",
                            fx_json_quote(c->string, q, sizeof q), pool_list(s, list, sizeof list));
        else if (s->arch->pools[k].nnodes == 0)
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected a pool that hosts nodes, found %s, a dedicated cache pool "
                             "(its size is fixed)",
                             fx_json_quote(c->string, q, sizeof q));
        if (st == FX_OK && strcmp(key, "servers") == 0) {
            uint64_t lo = 0, hi = 0;
            const cJSON *a = cJSON_IsArray(c) ? c->child : NULL, *b = a ? a->next : NULL;
            if (!a || !b || b->next)
                st = fx_json_err(p, e, FX_EINVAL, "expected [MIN, MAX], found %s",
                                 fx_json_describe(c, q, sizeof q));
            if (st == FX_OK) {
                size_t i = fx_jpath_index(p, 0);
                st = int_value(a, 1, 1000000, p, &lo, e);
                fx_jpath_pop(p, i);
            }
            if (st == FX_OK) {
                size_t i = fx_jpath_index(p, 1);
                st = int_value(b, lo, 1000000, p, &hi, e);
                fx_jpath_pop(p, i);
            }
            if (st == FX_OK && hi - lo >= FX_SPACE_VALUES_MAX)
                st = fx_json_err(p, e, FX_ELIMIT, "expected at most %d values, found %llu",
                                 FX_SPACE_VALUES_MAX, (unsigned long long)(hi - lo + 1));
            if (st == FX_OK)
                st = add_var(s, V_SERVERS, (uint32_t)(hi - lo + 1), (uint32_t)k,
                             dupf("servers.%s", c->string), p, e);
            if (st == FX_OK)
                s->vars[s->nvars - 1].min = lo;
        } else if (st == FX_OK) {
            if (s->arch->pools[k].partition_by != FX_PART_HASH)
                st = fx_json_err(
                    p, e, FX_EINVAL,
                    "expected a pool partitioned by hash, found pool %s partitioned "
                    "by %s (its %s fixes the number of partitions)",
                    fx_json_quote(c->string, q, sizeof q),
                    s->arch->pools[k].partition_by == FX_PART_RANGE ? "range" : "lookup",
                    s->arch->pools[k].partition_by == FX_PART_RANGE ? "splits" : "lookup file");
            uint64_t *values = NULL;
            uint32_t n = 0;
            fx_jpath_pop(p, at);
            if (st == FX_OK)
                st = int_list(obj, c->string, 1, FX_ARCH_PARTITIONS_MAX, p, &values, &n, e);
            at = fx_jpath_key(p, c->string);
            if (st == FX_OK)
                st = add_var(s, V_PARTITIONS, n, (uint32_t)k, dupf("partitions.%s", c->string), p,
                             e);
            if (st == FX_OK)
                s->vars[s->nvars - 1].values = values;
            else
                free(values);
        }
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

/* A [FROM, TO] pair of node ids at the current path. */
static fx_status node_pair(const fx_space *s, const cJSON *v, fx_jpath *p, uint32_t *from,
                           uint32_t *to, fx_err *e)
{
    const fx_service *svc = s->arch->svc;
    char q[QUOTED_MAX], list[LIST_MAX];
    const cJSON *f = cJSON_IsArray(v) ? v->child : NULL, *t = f ? f->next : NULL;
    if (!f || !t || t->next || !cJSON_IsString(f) || !cJSON_IsString(t))
        return fx_json_err(p, e, FX_EINVAL, "expected a pair [FROM, TO] of node ids, found %s",
                           fx_json_describe(v, q, sizeof q));
    const cJSON *ends[2] = {f, t};
    uint32_t *outs[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        int n = fx_service_find(svc, ends[i]->valuestring);
        if (n < 0) {
            size_t at = fx_jpath_index(p, (size_t)i);
            fx_status st = fx_json_err(p, e, FX_EINVAL, "unknown node %s; expected one of %s",
                                       fx_json_quote(ends[i]->valuestring, q, sizeof q),
                                       fx_json_list(svc->ids, svc->nnodes, list, sizeof list));
            fx_jpath_pop(p, at);
            return st;
        }
        *outs[i] = (uint32_t)n;
    }
    return FX_OK;
}

static fx_status add_placement(fx_space *s, uint32_t from, uint32_t to, fx_jpath *p, fx_err *e)
{
    const fx_service *svc = s->arch->svc;
    placement *more = realloc(s->pl, (s->npl + 1) * sizeof *more);
    if (!more)
        return oom(p, e);
    s->pl = more;
    placement *pl = &s->pl[s->npl];
    pl->from = from;
    pl->to = to;
    pl->bound = fx_placement_min_volatile(svc, from, to);
    snprintf(pl->text, sizeof pl->text, "%s..%s", svc->ids[from], svc->ids[to]);
    if (strlen(pl->text) <= FX_JSON_ID_MAX)
        snprintf(pl->id, sizeof pl->id, "%s", pl->text);
    else
        snprintf(pl->id, sizeof pl->id, "cache%u", s->npl + 1);
    for (uint32_t i = 0; i < s->npl; i++)
        if (s->pl[i].from == from && s->pl[i].to == to)
            return fx_json_err(p, e, FX_EINVAL, "placement %s given twice", pl->text);
    s->npl++;
    return FX_OK;
}

static fx_status load_placements(fx_space *s, const cJSON *caches, fx_jpath *p, fx_err *e)
{
    const fx_service *svc = s->arch->svc;
    const cJSON *v = fx_json_get(caches, "placements");
    char q[QUOTED_MAX], reason[FX_REASON_MAX];
    size_t mark = fx_jpath_key(p, "placements");
    fx_status st = FX_OK;
    if (!v || (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0)) {
        fx_transform *t = NULL;
        size_t n = 0;
        st = fx_transforms_caches(svc, &t, &n, e);
        for (size_t i = 0; st == FX_OK && i < n; i++)
            if (t[i].valid)
                st = add_placement(s, t[i].from, t[i].to, p, e);
        free(t);
    } else if (cJSON_IsArray(v)) {
        size_t i = 0;
        for (const cJSON *c = v->child; c && st == FX_OK; c = c->next, i++) {
            size_t at = fx_jpath_index(p, i);
            uint32_t from = 0, to = 0;
            st = node_pair(s, c, p, &from, &to, e);
            if (st == FX_OK && !fx_cache_placement_check(svc, from, to, reason, sizeof reason))
                st = fx_json_err(p, e, FX_EINVAL, "expected a valid placement, found %s..%s: %s",
                                 svc->ids[from], svc->ids[to], reason);
            if (st == FX_OK)
                st = add_placement(s, from, to, p, e);
            fx_jpath_pop(p, at);
        }
    } else {
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected \"auto\" or a list of [FROM, TO] placements, found %s",
                         fx_json_describe(v, q, sizeof q));
    }
    if (st == FX_OK && s->npl == 0)
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected at least one valid placement, found none (see fluxosim "
                         "transforms)");
    fx_jpath_pop(p, mark);
    if (st != FX_OK)
        return st;
    s->overlap = calloc((size_t)s->npl * s->npl, 1);
    uint8_t *in = malloc((size_t)s->npl * svc->nnodes);
    if (!s->overlap || !in) {
        free(in);
        return oom(p, e);
    }
    for (uint32_t i = 0; i < s->npl; i++) {
        memset(in + (size_t)i * svc->nnodes, 0, svc->nnodes);
        fx_placement_nodes(svc, s->pl[i].from, s->pl[i].to, in + (size_t)i * svc->nnodes);
    }
    for (uint32_t i = 0; i < s->npl; i++)
        for (uint32_t j = 0; j < s->npl; j++)
            for (uint32_t n = 0; n < svc->nnodes; n++)
                if (in[(size_t)i * svc->nnodes + n] && in[(size_t)j * svc->nnodes + n])
                    s->overlap[(size_t)i * s->npl + j] = 1;
    free(in);
    return FX_OK;
}

/* Try the base with a cache on pool object PO, to check the object. */
static fx_status probe_pool(fx_space *s, const cJSON *po, fx_jpath *p, fx_err *e)
{
    cJSON *t = cJSON_Duplicate(s->base, 1);
    cJSON *pools = t ? cJSON_GetObjectItemCaseSensitive(t, "pools") : NULL;
    cJSON *d = cJSON_Duplicate(po, 1);
    cJSON *c = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    const fx_service *svc = s->arch->svc;
    int ok = t && pools && d && c && arr;
    if (ok) {
        cJSON_AddItemToArray(pools, d);
        d = NULL;
        ok = set_item(c, "id", cJSON_CreateString("probe")) &&
             set_item(c, "from", cJSON_CreateString(svc->ids[s->pl[0].from])) &&
             set_item(c, "to", cJSON_CreateString(svc->ids[s->pl[0].to])) &&
             set_item(c, "pool", cJSON_CreateString(str_member(po, "id"))) &&
             set_item(c, "capacity_bytes", cJSON_CreateNumber(1));
        cJSON_AddItemToArray(arr, c);
        c = NULL;
        cJSON_DeleteItemFromObjectCaseSensitive(t, "caches");
        cJSON_DeleteItemFromObjectCaseSensitive(t, "precompute");
        cJSON_AddItemToObject(t, "caches", arr);
        arr = NULL;
    }
    cJSON_Delete(d);
    cJSON_Delete(c);
    cJSON_Delete(arr);
    if (!ok) {
        cJSON_Delete(t);
        return oom(p, e);
    }
    drop_idle_pools(t);
    fx_jpath bp;
    fx_jpath_init(&bp, s->base_path);
    fx_arch *a = NULL;
    fx_err sub;
    fx_status st = fx_arch_from_json(t, &bp, &a, &sub);
    cJSON_Delete(t);
    fx_arch_free(a);
    if (st != FX_OK)
        return fx_json_err(p, e, st, "the base with this pool added is refused: %s", sub.msg);
    return FX_OK;
}

static fx_status load_cache_pools(fx_space *s, const cJSON *caches, fx_jpath *p, fx_err *e)
{
    const cJSON *arr;
    size_t n;
    fx_status st =
        fx_json_array(caches, "pools", true, 1, FX_ARCH_POOLS_MAX, "pool", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    if (!(s->cpools = calloc(n, sizeof *s->cpools)))
        return oom(p, e);
    s->cpools_n = (uint32_t)n;
    char q[QUOTED_MAX], list[LIST_MAX];
    const cJSON *base_pools = cJSON_GetObjectItemCaseSensitive(s->base, "pools");
    size_t mark = fx_jpath_key(p, "pools"), i = 0;
    for (const cJSON *c = arr->child; c && st == FX_OK; c = c->next, i++) {
        size_t at = fx_jpath_index(p, i);
        cpool *cp = &s->cpools[i];
        const char *id = NULL;
        if (cJSON_IsString(c)) {
            id = c->valuestring;
            if (!find_pool((cJSON *)base_pools, id))
                st = fx_json_err(p, e, FX_EINVAL,
                                 "unknown pool %s; expected one of %s, or a pool "
                                 "object",
                                 fx_json_quote(id, q, sizeof q), pool_list(s, list, sizeof list));
        } else if (cJSON_IsObject(c)) {
            st = fx_json_id(c, "id", true, p, &id, e);
            const cJSON *nodes = fx_json_get(c, "nodes");
            if (st == FX_OK && find_pool((cJSON *)base_pools, id))
                st = key_err(p, "id", e, FX_EINVAL,
                             "expected a pool the base lacks, found %s, a pool of the base (name "
                             "it as a string)",
                             fx_json_quote(id, q, sizeof q));
            else if (st == FX_OK && nodes && (!cJSON_IsArray(nodes) || nodes->child))
                st = key_err(p, "nodes", e, FX_EINVAL,
                             "expected [] (a dedicated cache pool hosts no nodes), found %s",
                             fx_json_describe(nodes, q, sizeof q));
            if (st == FX_OK) {
                cp->obj = cJSON_Duplicate(c, 1);
                if (!cp->obj || (!nodes && !set_item(cp->obj, "nodes", cJSON_CreateArray())) ||
                    !rebase_pool(cp->obj, s->path, NULL))
                    st = oom(p, e);
            }
            if (st == FX_OK)
                st = probe_pool(s, cp->obj, p, e);
        } else {
            st = fx_json_err(p, e, FX_EINVAL, "expected a pool id or a pool object, found %s",
                             fx_json_describe(c, q, sizeof q));
        }
        for (uint32_t j = 0; st == FX_OK && j < i; j++)
            if (strcmp(s->cpools[j].id, id) == 0)
                st = fx_json_err(p, e, FX_EINVAL, "pool %s given twice",
                                 fx_json_quote(id, q, sizeof q));
        if (st == FX_OK && !(cp->id = fx_json_strdup(id)))
            st = oom(p, e);
        if (st == FX_OK)
            s->ncpools++;
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

static const char *const caches_keys[] = {
    "placements", "pools",  "capacity_bytes",   "policies", "ttl_s",
    "max",        "lookup", "cost_per_gb_hour", NULL};

static fx_status load_caches(fx_space *s, const cJSON *vars, fx_jpath *p, fx_err *e)
{
    const cJSON *caches = fx_json_get(vars, "caches");
    if (!caches)
        return FX_OK;
    size_t mark = fx_jpath_key(p, "caches");
    char q[QUOTED_MAX], list[LIST_MAX];
    fx_status st = fx_json_check_keys(caches, caches_keys, p, e);
    if (st == FX_OK && cJSON_GetObjectItemCaseSensitive(s->base, "precompute"))
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected a base without precompute jobs (they name caches, which the "
                         "space replaces), found some in %s",
                         s->base_path);
    s->has_caches = 1;
    if (st == FX_OK)
        st = load_placements(s, caches, p, e);
    if (st == FX_OK)
        st = load_cache_pools(s, caches, p, e);
    if (st == FX_OK)
        st = int_list(caches, "capacity_bytes", 1, FX_JSON_INT_MAX, p, &s->caps, &s->ncaps, e);
    /* Policies: a list of names, lru by default. */
    const cJSON *pol = NULL;
    size_t npol = 0;
    if (st == FX_OK)
        st = fx_json_array(caches, "policies", false, 1, 64, "policy", p, &pol, &npol, e);
    if (st == FX_OK) {
        s->policies = calloc(npol ? npol : 1, sizeof *s->policies);
        if (!s->policies)
            st = oom(p, e);
        else if (!pol)
            s->policies[s->npolicies++] = "lru";
    }
    size_t pm = fx_jpath_key(p, "policies"), i = 0;
    for (const cJSON *c = pol ? pol->child : NULL; c && st == FX_OK; c = c->next, i++) {
        size_t at = fx_jpath_index(p, i);
        const fx_cache_policy *found =
            cJSON_IsString(c) ? fx_cache_policy_find(c->valuestring) : NULL;
        if (!found) {
            const char *names[64];
            size_t n = 0;
            for (; fx_cache_policies[n] && n < 64; n++)
                names[n] = fx_cache_policy_name(fx_cache_policies[n]);
            st = fx_json_err(p, e, FX_EINVAL, "unknown policy %s; expected one of %s",
                             fx_json_describe(c, q, sizeof q),
                             fx_json_list(names, n, list, sizeof list));
        }
        for (uint32_t j = 0; st == FX_OK && j < s->npolicies; j++)
            if (strcmp(s->policies[j], c->valuestring) == 0)
                st = fx_json_err(p, e, FX_EINVAL, "policy %s given twice",
                                 fx_json_quote(c->valuestring, q, sizeof q));
        if (st == FX_OK)
            s->policies[s->npolicies++] = fx_cache_policy_name(found);
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, pm);
    /* TTLs: ascending positive numbers, optional. */
    const cJSON *ttl = NULL;
    size_t nttl = 0;
    if (st == FX_OK)
        st = fx_json_array(caches, "ttl_s", false, 1, FX_SPACE_VALUES_MAX, "number", p, &ttl, &nttl,
                           e);
    if (st == FX_OK && ttl && !(s->ttls = malloc(nttl * sizeof *s->ttls)))
        st = oom(p, e);
    size_t tm = fx_jpath_key(p, "ttl_s");
    i = 0;
    for (const cJSON *c = ttl ? ttl->child : NULL; c && st == FX_OK; c = c->next, i++) {
        size_t at = fx_jpath_index(p, i);
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || c->valuedouble <= 0)
            st = fx_json_err(p, e, FX_EINVAL, "expected a number of seconds > 0, found %s",
                             fx_json_describe(c, q, sizeof q));
        else if (i > 0 && c->valuedouble <= s->ttls[i - 1])
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected values in ascending order, found %g after %g",
                             c->valuedouble, s->ttls[i - 1]);
        else
            s->ttls[s->nttls++] = c->valuedouble;
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, tm);
    uint64_t max = 1;
    if (st == FX_OK)
        st = fx_json_uint(caches, "max", false, 1, FX_SPACE_SLOTS_MAX, p, &max, e);
    s->nslots = (uint32_t)max;
    if (st == FX_OK && fx_json_has(caches, "lookup")) {
        fx_dist d;
        fx_jpath sp = *p;
        st = fx_json_dist(caches, "lookup", false, &sp, &d, e);
        if (st == FX_OK) {
            fx_dist_free(&d);
            /* The candidate is built from the base's folder: make a
             * relative empirical file absolute. */
            cJSON *tmp = cJSON_Duplicate(caches, 1);
            if (!tmp || !rebase_member(tmp, "lookup", 1, s->path, NULL) ||
                !(s->lookup = fx_json_strdup(str_member(tmp, "lookup"))))
                st = oom(p, e);
            cJSON_Delete(tmp);
        }
    }
    if (st == FX_OK) {
        s->has_cost_gb = fx_json_has(caches, "cost_per_gb_hour");
        st = fx_json_number(caches, "cost_per_gb_hour", false, FX_JSON_NONNEG, p, &s->cost_gb, e);
    }
    /* The slots' variables. */
    s->nsub = s->nttls ? 5 : 4;
    s->slot0 = s->nvars;
    for (uint32_t k = 0; st == FX_OK && k < s->nslots; k++) {
        st = add_var(s, V_CACHE_AT, s->npl + 1, k, dupf("cache%u.placement", k + 1), p, e);
        if (st == FX_OK)
            st = add_var(s, V_CACHE_POOL, s->ncpools, k, dupf("cache%u.pool", k + 1), p, e);
        if (st == FX_OK)
            st = add_var(s, V_CACHE_CAP, s->ncaps, k, dupf("cache%u.capacity_bytes", k + 1), p, e);
        if (st == FX_OK)
            st = add_var(s, V_CACHE_POLICY, s->npolicies, k, dupf("cache%u.policy", k + 1), p, e);
        if (st == FX_OK && s->nttls)
            st = add_var(s, V_CACHE_TTL, s->nttls, k, dupf("cache%u.ttl_s", k + 1), p, e);
    }
    fx_jpath_pop(p, mark);
    return st;
}

static fx_status load_async(fx_space *s, const cJSON *vars, fx_jpath *p, fx_err *e)
{
    const cJSON *v = fx_json_get(vars, "async_edges");
    if (!v)
        return FX_OK;
    const fx_service *svc = s->arch->svc;
    char q[QUOTED_MAX], reason[FX_REASON_MAX];
    size_t mark = fx_jpath_key(p, "async_edges");
    fx_status st = FX_OK;
    fx_transform *t = NULL;
    size_t n = 0;
    s->has_async = 1;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
        st = fx_transforms_async(svc, &t, &n, e);
        size_t valid = 0;
        for (size_t i = 0; st == FX_OK && i < n; i++)
            valid += t[i].valid != 0;
        if (st == FX_OK && !(s->edges = malloc((valid ? valid : 1) * sizeof *s->edges)))
            st = oom(p, e);
        for (size_t i = 0; st == FX_OK && i < n; i++)
            if (t[i].valid) {
                s->edges[s->nedges][0] = t[i].from;
                s->edges[s->nedges++][1] = t[i].to;
            }
        free(t);
    } else if (cJSON_IsArray(v)) {
        n = (size_t)cJSON_GetArraySize(v);
        if (!(s->edges = malloc((n ? n : 1) * sizeof *s->edges)))
            st = oom(p, e);
        size_t i = 0;
        for (const cJSON *c = v->child; c && st == FX_OK; c = c->next, i++) {
            size_t at = fx_jpath_index(p, i);
            uint32_t from = 0, to = 0;
            st = node_pair(s, c, p, &from, &to, e);
            uint32_t k = 0;
            while (st == FX_OK && k < svc->nodes[from].nsucc && svc->nodes[from].succ[k] != to)
                k++;
            if (st == FX_OK && k == svc->nodes[from].nsucc)
                st = fx_json_err(p, e, FX_EINVAL, "expected an edge of the service, found %s -> %s",
                                 svc->ids[from], svc->ids[to]);
            if (st == FX_OK && !fx_async_edge_check(svc, from, to, reason, sizeof reason))
                st = fx_json_err(p, e, FX_EINVAL,
                                 "expected an edge that may be asynchronous, found %s -> %s: %s",
                                 svc->ids[from], svc->ids[to], reason);
            for (uint32_t j = 0; st == FX_OK && j < s->nedges; j++)
                if (s->edges[j][0] == from && s->edges[j][1] == to)
                    st = fx_json_err(p, e, FX_EINVAL, "edge %s -> %s given twice", svc->ids[from],
                                     svc->ids[to]);
            if (st == FX_OK) {
                s->edges[s->nedges][0] = from;
                s->edges[s->nedges++][1] = to;
            }
            fx_jpath_pop(p, at);
        }
    } else {
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected \"auto\" or a list of [FROM, TO] edges, found %s",
                         fx_json_describe(v, q, sizeof q));
    }
    s->async0 = s->nvars;
    for (uint32_t k = 0; st == FX_OK && k < s->nedges; k++)
        st =
            add_var(s, V_ASYNC, 2, k,
                    dupf("async.%s->%s", svc->ids[s->edges[k][0]], svc->ids[s->edges[k][1]]), p, e);
    fx_jpath_pop(p, mark);
    return st;
}

/* ---- loading: objective --------------------------------------------------- */

static const char *const top_metrics[] = {
    "requests",       "completed",     "failed",          "dropped",
    "throughput_rps", "cost_per_hour", "stale_responses", NULL};
static const char *const latency_metrics[] = {"mean", "p50",  "p90", "p95",
                                              "p99",  "p999", "max", NULL};
static const char *const pool_metrics[] = {"servers", "utilization", "mean_queue", "mean_wait_ms",
                                           NULL};

static int in_list(const char *const *names, const char *s, size_t n)
{
    for (size_t i = 0; names[i]; i++)
        if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0)
            return 1;
    return 0;
}

/* Is KEY a number of every result document? */
static int metric_ok(const fx_space *s, const char *key)
{
    const char *dot = strchr(key, '.');
    if (!dot)
        return in_list(top_metrics, key, strlen(key));
    if (strncmp(key, "latency_ms.", 11) == 0)
        return in_list(latency_metrics, key + 11, strlen(key + 11));
    if (strncmp(key, "pools.", 6) == 0) {
        const char *last = strrchr(key, '.');
        if (last == key + 5 || !in_list(pool_metrics, last + 1, strlen(last + 1)))
            return 0;
        size_t n = (size_t)(last - (key + 6));
        char id[FX_JSON_ID_MAX + 1];
        if (n == 0 || n > FX_JSON_ID_MAX)
            return 0;
        memcpy(id, key + 6, n);
        id[n] = '\0';
        if (base_pool(s, id) >= 0)
            return 1;
        for (uint32_t i = 0; i < s->ncpools; i++)
            if (strcmp(s->cpools[i].id, id) == 0)
                return 1;
    }
    return 0;
}

static fx_status add_metric(fx_space *s, const char *key, size_t *index, fx_jpath *p, fx_err *e)
{
    for (size_t i = 0; i < s->nmetrics; i++)
        if (strcmp(s->metrics[i], key) == 0) {
            *index = i;
            return FX_OK;
        }
    char **more = realloc(s->metrics, (s->nmetrics + 1) * sizeof *more);
    if (!more)
        return oom(p, e);
    s->metrics = more;
    if (!(s->metrics[s->nmetrics] = fx_json_strdup(key)))
        return oom(p, e);
    *index = s->nmetrics++;
    return FX_OK;
}

static fx_status metric_err(const fx_space *s, const char *key, fx_jpath *p, fx_err *e)
{
    char q[QUOTED_MAX];
    return fx_json_err(p, e, FX_EINVAL,
                       "unknown result key %s; expected one of requests, completed, failed, "
                       "dropped, throughput_rps, cost_per_hour, stale_responses, "
                       "latency_ms.{mean,p50,p90,p95,p99,p999,max}, "
                       "pools.ID.{servers,utilization,mean_queue,mean_wait_ms}",
                       fx_json_quote(key, q, sizeof q));
}

static const char *const objective_keys[] = {"minimize", "subject_to", NULL};

static fx_status load_objective(fx_space *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    const cJSON *obj = fx_json_get(root, "objective");
    const char *minimize = "cost_per_hour";
    char q[QUOTED_MAX];
    size_t mark = fx_jpath_key(p, "objective");
    fx_status st = obj ? fx_json_check_keys(obj, objective_keys, p, e) : FX_OK;
    if (st == FX_OK && obj)
        st = fx_json_string(obj, "minimize", false, p, &minimize, e);
    if (st == FX_OK && !metric_ok(s, minimize)) {
        size_t at = fx_jpath_key(p, "minimize");
        st = metric_err(s, minimize, p, e);
        fx_jpath_pop(p, at);
    }
    if (st == FX_OK)
        st = add_metric(s, minimize, &s->objective, p, e);
    const cJSON *sub = obj ? fx_json_get(obj, "subject_to") : NULL;
    size_t sm = fx_jpath_key(p, "subject_to");
    if (st == FX_OK && sub && !cJSON_IsObject(sub))
        st = fx_json_err(p, e, FX_EINVAL, "expected an object from result keys to bounds, found %s",
                         fx_json_describe(sub, q, sizeof q));
    if (st == FX_OK && sub)
        st = unique_keys(sub, p, e);
    size_t n = 0;
    for (const cJSON *c = sub && st == FX_OK ? sub->child : NULL; c; c = c->next)
        n++;
    if (st == FX_OK && n && !(s->cons = calloc(n, sizeof *s->cons)))
        st = oom(p, e);
    for (const cJSON *c = sub && st == FX_OK ? sub->child : NULL; c && st == FX_OK; c = c->next) {
        size_t at = fx_jpath_key(p, c->string);
        constraint *k = &s->cons[s->ncons];
        if (!metric_ok(s, c->string))
            st = metric_err(s, c->string, p, e);
        else if (cJSON_IsNumber(c) && isfinite(c->valuedouble))
            k->bound = c->valuedouble;
        else if (cJSON_IsString(c) && c->valuestring[0]) {
            char *end;
            errno = 0;
            k->bound = strtod(c->valuestring, &end);
            k->percent = 1;
            if (errno || end == c->valuestring || strcmp(end, "%") != 0 || !(k->bound >= 0) ||
                !isfinite(k->bound))
                st = fx_json_err(p, e, FX_EINVAL,
                                 "expected a number or a percentage of the requests such as "
                                 "\"1%%\", found %s",
                                 fx_json_describe(c, q, sizeof q));
        } else {
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected a number or a percentage of the requests such as \"1%%\", "
                             "found %s",
                             fx_json_describe(c, q, sizeof q));
        }
        if (st == FX_OK)
            st = add_metric(s, c->string, &k->metric, p, e);
        if (st == FX_OK)
            s->ncons++;
        fx_jpath_pop(p, at);
    }
    if (st == FX_OK && s->ncons == 0 && strcmp(minimize, "cost_per_hour") == 0)
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected a bound when minimizing cost_per_hour, such as "
                         "{\"latency_ms.p99\": 100}, found none (without one the cheapest "
                         "candidate is merely the smallest)");
    fx_jpath_pop(p, sm);
    fx_jpath_pop(p, mark);
    if (st == FX_OK)
        st = add_metric(s, "cost_per_hour", &s->m_cost, p, e);
    if (st == FX_OK)
        st = add_metric(s, "latency_ms.p99", &s->m_p99, p, e);
    if (st == FX_OK)
        st = add_metric(s, "requests", &s->m_requests, p, e);
    return st;
}

/* ---- loading: the base point ---------------------------------------------- */

static uint32_t nearest(const uint64_t *values, uint32_t n, uint64_t v, int *exact)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t d = values[i] > v ? values[i] - v : v - values[i];
        uint64_t bd = values[best] > v ? values[best] - v : v - values[best];
        if (d < bd)
            best = i;
    }
    *exact = *exact && values[best] == v;
    return best;
}

static int cmp_cache(const void *a, const void *b)
{
    const fx_cache_cfg *x = *(const fx_cache_cfg *const *)a, *y = *(const fx_cache_cfg *const *)b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

static fx_status base_point(fx_space *s, fx_jpath *p, fx_err *e)
{
    const fx_arch *a = s->arch;
    if (!(s->base_x = calloc(s->nvars ? s->nvars : 1, sizeof *s->base_x)))
        return oom(p, e);
    int exact = 1;
    const fx_cache_cfg *sorted[FX_ARCH_CACHES_MAX];
    for (uint32_t c = 0; c < a->ncaches; c++)
        sorted[c] = &a->caches[c];
    qsort(sorted, a->ncaches, sizeof *sorted, cmp_cache);
    if (s->has_caches && a->ncaches > s->nslots)
        exact = 0;
    char buf[64];
    for (size_t i = 0; i < s->nvars; i++) {
        var *v = &s->vars[i];
        const fx_pool *pool =
            v->kind == V_SERVERS || v->kind == V_PARTITIONS ? &a->pools[v->index] : NULL;
        const fx_cache_cfg *c =
            v->kind >= V_CACHE_AT && v->kind <= V_CACHE_TTL && v->index < a->ncaches
                ? sorted[v->index]
                : NULL;
        const char *text = "-";
        uint32_t x = 0;
        switch (v->kind) {
        case V_SERVERS: {
            uint64_t val = pool->servers;
            x = val < v->min ? 0 : val - v->min >= v->size ? v->size - 1 : (uint32_t)(val - v->min);
            exact = exact && v->min + x == val;
            snprintf(buf, sizeof buf, "%u", pool->servers);
            text = buf;
            break;
        }
        case V_PARTITIONS:
            x = nearest(v->values, v->size, pool->partitions, &exact);
            snprintf(buf, sizeof buf, "%u", pool->partitions);
            text = buf;
            break;
        case V_CACHE_AT:
            text = "none";
            if (c) {
                text = NULL;
                for (uint32_t k = 0; k < s->npl; k++)
                    if (s->pl[k].from == c->from && s->pl[k].to == c->to)
                        x = k + 1;
                exact = exact && x;
            }
            break;
        case V_CACHE_POOL:
            if (c) {
                text = a->pools[c->pool].id;
                uint32_t k = 0;
                while (k < s->ncpools && strcmp(s->cpools[k].id, text) != 0)
                    k++;
                exact = exact && k < s->ncpools;
                x = k < s->ncpools ? k : 0;
            }
            break;
        case V_CACHE_CAP:
            if (c) {
                x = nearest(s->caps, s->ncaps, c->capacity_bytes, &exact);
                snprintf(buf, sizeof buf, "%llu", (unsigned long long)c->capacity_bytes);
                text = buf;
            }
            break;
        case V_CACHE_POLICY:
            if (c) {
                text = fx_cache_policy_name(c->policy);
                uint32_t k = 0;
                while (k < s->npolicies && strcmp(s->policies[k], text) != 0)
                    k++;
                exact = exact && k < s->npolicies;
                x = k < s->npolicies ? k : 0;
            }
            break;
        case V_CACHE_TTL:
            if (c) {
                double ttl = (double)c->ttl * 1e-9;
                uint32_t k = 0;
                for (uint32_t j = 1; j < s->nttls; j++)
                    if (fabs(s->ttls[j] - ttl) < fabs(s->ttls[k] - ttl))
                        k = j;
                exact = exact && fabs(s->ttls[k] - ttl) < 1e-9;
                x = k;
                snprintf(buf, sizeof buf, "%g", ttl);
                text = buf;
            }
            break;
        case V_ASYNC: {
            uint32_t from = s->edges[v->index][0], to = s->edges[v->index][1];
            const fx_node *n = &a->svc->nodes[from];
            for (uint32_t k = 0; k < n->nsucc; k++)
                if (n->succ[k] == to && a->async && a->async[from] && a->async[from][k])
                    x = 1;
            text = x ? "yes" : "no";
            break;
        }
        }
        if (!text && c) {
            snprintf(buf, sizeof buf, "%.40s..%.20s", a->svc->ids[c->from], a->svc->ids[c->to]);
            text = buf;
        }
        s->base_x[i] = x;
        if (!(v->base_text = fx_json_strdup(text)))
            return oom(p, e);
    }
    /* A cache of the base outside the space leaves its slot empty. */
    for (uint32_t k = 0; s->has_caches && k < s->nslots; k++) {
        uint32_t *sub = s->base_x + s->slot0 + (size_t)k * s->nsub;
        if (sub[SUB_AT] == 0)
            memset(sub, 0, s->nsub * sizeof *sub);
    }
    if (!fx_space_canonical(s, s->base_x)) {
        exact = 0;
        for (uint32_t k = 0; s->has_caches && k < s->nslots; k++)
            memset(s->base_x + s->slot0 + (size_t)k * s->nsub, 0, s->nsub * sizeof *s->base_x);
    }
    s->base_exact = exact;
    return FX_OK;
}

/* ---- loading -------------------------------------------------------------- */

static const char *const space_keys[] = {"base", "vars", "objective", NULL};
static const char *const vars_keys[] = {"servers", "partitions", "caches", "async_edges", NULL};

static fx_status load_base(fx_space *s, const cJSON *root, fx_jpath *p, fx_err *e)
{
    const char *base = NULL;
    fx_status st = fx_json_string(root, "base", true, p, &base, e);
    if (st != FX_OK)
        return st;
    if (!base[0])
        return key_err(p, "base", e, FX_EINVAL,
                       "expected the path of an architecture file, "
                       "found \"\"");
    if (!(s->base_path = fx_json_resolve(s->path, base)))
        return oom(p, e);
    if ((st = fx_json_load(s->base_path, &s->base, e)) != FX_OK)
        return st;
    /* The base as a candidate: without its idle cache pools. */
    cJSON *t = cJSON_Duplicate(s->base, 1);
    if (!t)
        return oom(p, e);
    drop_idle_pools(t);
    fx_jpath bp;
    fx_jpath_init(&bp, s->base_path);
    st = fx_arch_from_json(t, &bp, &s->arch, e);
    cJSON_Delete(t);
    return st;
}

fx_status fx_space_load(const char *path, fx_space **out, fx_err *e)
{
    *out = NULL;
    fx_space *s = calloc(1, sizeof *s);
    fx_jpath p;
    fx_jpath_init(&p, path);
    if (!s || !(s->path = fx_json_strdup(path))) {
        free(s);
        return oom(&p, e);
    }
    cJSON *root = NULL;
    fx_status st = fx_json_load(path, &root, e);
    if (st == FX_OK)
        st = fx_json_check_keys(root, space_keys, &p, e);
    if (st == FX_OK)
        st = load_base(s, root, &p, e);
    const cJSON *vars = NULL;
    if (st == FX_OK)
        st = fx_json_require(root, "vars", &p, e);
    if (st == FX_OK) {
        vars = fx_json_get(root, "vars");
        size_t mark = fx_jpath_key(&p, "vars");
        st = fx_json_check_keys(vars, vars_keys, &p, e);
        if (st == FX_OK)
            st = load_pool_vars(s, vars, "servers", &p, e);
        if (st == FX_OK)
            st = load_pool_vars(s, vars, "partitions", &p, e);
        if (st == FX_OK)
            st = load_caches(s, vars, &p, e);
        if (st == FX_OK)
            st = load_async(s, vars, &p, e);
        if (st == FX_OK && s->nvars == 0)
            st = fx_json_err(&p, e, FX_EINVAL,
                             "expected at least one variable (servers, partitions, caches, "
                             "async_edges), found none");
        fx_jpath_pop(&p, mark);
    }
    if (st == FX_OK)
        st = load_objective(s, root, &p, e);
    if (st == FX_OK) {
        s->plain = malloc(s->nvars * sizeof *s->plain);
        if (!s->plain)
            st = oom(&p, e);
        for (size_t i = 0; st == FX_OK && i < s->nvars; i++)
            if (s->vars[i].kind < V_CACHE_AT || s->vars[i].kind > V_CACHE_TTL)
                s->plain[s->nplain++] = i;
    }
    if (st == FX_OK)
        st = base_point(s, &p, e);
    cJSON_Delete(root);
    if (st != FX_OK) {
        fx_space_free(s);
        return st;
    }
    *out = s;
    return FX_OK;
}

void fx_space_free(fx_space *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nvars; i++) {
        free(s->vars[i].name);
        free(s->vars[i].values);
        free(s->vars[i].base_text);
    }
    free(s->vars);
    for (uint32_t i = 0; i < s->cpools_n; i++) {
        free(s->cpools[i].id);
        cJSON_Delete(s->cpools[i].obj);
    }
    free(s->cpools);
    free(s->pl);
    free(s->overlap);
    free(s->caps);
    free(s->policies);
    free(s->ttls);
    free(s->lookup);
    free(s->edges);
    free(s->plain);
    for (size_t i = 0; i < s->nmetrics; i++)
        free(s->metrics[i]);
    free(s->metrics);
    free(s->cons);
    free(s->base_x);
    fx_arch_free(s->arch);
    cJSON_Delete(s->base);
    free(s->base_path);
    free(s->path);
    free(s);
}

/* ---- accessors ------------------------------------------------------------ */

const char *fx_space_base_path(const fx_space *s)
{
    return s->base_path;
}

const fx_arch *fx_space_base_arch(const fx_space *s)
{
    return s->arch;
}

size_t fx_space_nvars(const fx_space *s)
{
    return s->nvars;
}

const char *fx_space_var_name(const fx_space *s, size_t i)
{
    return s->vars[i].name;
}

uint32_t fx_space_var_size(const fx_space *s, size_t i)
{
    return s->vars[i].size;
}

int fx_space_var_ordinal(const fx_space *s, size_t i)
{
    vkind k = s->vars[i].kind;
    return k == V_SERVERS || k == V_PARTITIONS || k == V_CACHE_CAP || k == V_CACHE_TTL;
}

const char *fx_space_var_text(const fx_space *s, size_t i, uint32_t k, char *buf, size_t len)
{
    const var *v = &s->vars[i];
    switch (v->kind) {
    case V_SERVERS:
        snprintf(buf, len, "%llu", (unsigned long long)(v->min + k));
        break;
    case V_PARTITIONS:
        snprintf(buf, len, "%llu", (unsigned long long)v->values[k]);
        break;
    case V_CACHE_AT:
        snprintf(buf, len, "%s", k ? s->pl[k - 1].text : "none");
        break;
    case V_CACHE_POOL:
        snprintf(buf, len, "%s", s->cpools[k].id);
        break;
    case V_CACHE_CAP:
        snprintf(buf, len, "%llu", (unsigned long long)s->caps[k]);
        break;
    case V_CACHE_POLICY:
        snprintf(buf, len, "%s", s->policies[k]);
        break;
    case V_CACHE_TTL:
        snprintf(buf, len, "%g", s->ttls[k]);
        break;
    case V_ASYNC:
        snprintf(buf, len, "%s", k ? "yes" : "no");
        break;
    }
    return buf;
}

int fx_space_var_relevant(const fx_space *s, const uint32_t *x, size_t i)
{
    const var *v = &s->vars[i];
    if (v->kind <= V_CACHE_AT || v->kind == V_ASYNC)
        return 1;
    return x[s->slot0 + (size_t)v->index * s->nsub + SUB_AT] != 0;
}

const char *fx_space_base_text(const fx_space *s, size_t i)
{
    return s->vars[i].base_text;
}

/* ---- points --------------------------------------------------------------- */

int fx_space_base_point(const fx_space *s, uint32_t *x)
{
    memcpy(x, s->base_x, s->nvars * sizeof *x);
    return s->base_exact;
}

static int ttl_ok(const fx_space *s, uint32_t at, uint32_t ttl)
{
    double bound = s->pl[at - 1].bound;
    return !s->nttls || bound <= 0 || s->ttls[ttl] <= bound;
}

int fx_space_canonical(const fx_space *s, uint32_t *x)
{
    if (!s->has_caches)
        return 1;
    uint32_t slots[FX_SPACE_SLOTS_MAX][SUB_N];
    uint32_t n = s->nslots, used = 0;
    for (uint32_t k = 0; k < n; k++) {
        const uint32_t *sub = x + s->slot0 + (size_t)k * s->nsub;
        if (sub[SUB_AT] == 0)
            continue;
        memset(slots[used], 0, sizeof slots[used]);
        memcpy(slots[used], sub, s->nsub * sizeof *sub);
        used++;
    }
    /* Insertion sort of the tuples, placement first. */
    for (uint32_t i = 1; i < used; i++)
        for (uint32_t j = i; j > 0; j--) {
            int less = 0;
            for (uint32_t q = 0; q < SUB_N; q++)
                if (slots[j][q] != slots[j - 1][q]) {
                    less = slots[j][q] < slots[j - 1][q];
                    break;
                }
            if (!less)
                break;
            uint32_t tmp[SUB_N];
            memcpy(tmp, slots[j], sizeof tmp);
            memcpy(slots[j], slots[j - 1], sizeof tmp);
            memcpy(slots[j - 1], tmp, sizeof tmp);
        }
    memset(x + s->slot0, 0, (size_t)n * s->nsub * sizeof *x);
    for (uint32_t k = 0; k < used; k++)
        memcpy(x + s->slot0 + (size_t)k * s->nsub, slots[k], s->nsub * sizeof *x);
    for (uint32_t i = 0; i < used; i++) {
        if (!ttl_ok(s, slots[i][SUB_AT], slots[i][SUB_TTL]))
            return 0;
        for (uint32_t j = i + 1; j < used; j++)
            if (s->overlap[(size_t)(slots[i][SUB_AT] - 1) * s->npl + slots[j][SUB_AT] - 1])
                return 0;
    }
    return 1;
}

size_t fx_space_max_neighbours(const fx_space *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nvars; i++)
        n += fx_space_var_ordinal(s, i) ? 2 : s->vars[i].size - 1;
    return n ? n : 1;
}

size_t fx_space_neighbours(const fx_space *s, const uint32_t *x, uint32_t *out)
{
    size_t nv = s->nvars, n = 0;
    for (size_t i = 0; i < nv; i++) {
        uint32_t size = s->vars[i].size;
        int ordinal = fx_space_var_ordinal(s, i);
        for (uint32_t k = 0; k < size; k++) {
            if (k == x[i] || (ordinal && k + 1 != x[i] && k != x[i] + 1))
                continue;
            uint32_t *y = out + n * nv;
            memcpy(y, x, nv * sizeof *y);
            y[i] = k;
            if (!fx_space_canonical(s, y) || memcmp(y, x, nv * sizeof *y) == 0)
                continue;
            size_t j = 0;
            while (j < n && memcmp(out + j * nv, y, nv * sizeof *y) != 0)
                j++;
            if (j == n)
                n++;
        }
    }
    return n;
}

int fx_space_random_neighbour(const fx_space *s, const uint32_t *x, fx_pcg32 *rng, uint32_t *out)
{
    size_t max = fx_space_max_neighbours(s), nv = s->nvars;
    uint32_t *all = malloc(max * nv * sizeof *all);
    if (!all)
        return 0;
    size_t n = fx_space_neighbours(s, x, all);
    if (n)
        memcpy(out, all + (size_t)fx_pcg32_bounded(rng, (uint32_t)n) * nv, nv * sizeof *out);
    free(all);
    return n > 0;
}

int fx_space_random_point(const fx_space *s, fx_pcg32 *rng, uint32_t *out)
{
    for (int tries = 0; tries < RANDOM_TRIES; tries++) {
        for (size_t i = 0; i < s->nvars; i++)
            out[i] = fx_pcg32_bounded(rng, s->vars[i].size);
        if (fx_space_canonical(s, out))
            return 1;
    }
    return 0;
}

/* ---- counting and enumerating --------------------------------------------- */

/* The cache configurations one placement allows: pools x capacities x
 * policies x the TTLs within its bound. */
static double placement_weight(const fx_space *s, uint32_t p)
{
    double ttls = 1;
    if (s->nttls) {
        ttls = 0;
        for (uint32_t t = 0; t < s->nttls; t++)
            ttls += ttl_ok(s, p + 1, t);
    }
    return (double)s->ncpools * s->ncaps * s->npolicies * ttls;
}

static int disjoint(const fx_space *s, const uint32_t *chosen, uint32_t depth, uint32_t p)
{
    for (uint32_t i = 0; i < depth; i++)
        if (s->overlap[(size_t)chosen[i] * s->npl + p])
            return 0;
    return 1;
}

static void count_configs(const fx_space *s, uint32_t start, uint32_t depth, uint32_t *chosen,
                          double weight, double *total, uint64_t *steps)
{
    *total += weight;
    if (depth == s->nslots)
        return;
    for (uint32_t p = start; p < s->npl; p++) {
        if (++*steps > COUNT_STEPS)
            return;
        double w = placement_weight(s, p);
        if (w == 0 || !disjoint(s, chosen, depth, p))
            continue;
        chosen[depth] = p;
        count_configs(s, p + 1, depth + 1, chosen, weight * w, total, steps);
    }
}

double fx_space_count(const fx_space *s, int *exact)
{
    double n = 1;
    for (size_t i = 0; i < s->nplain; i++)
        n *= s->vars[s->plain[i]].size;
    uint64_t steps = 0;
    if (s->has_caches) {
        uint32_t chosen[FX_SPACE_SLOTS_MAX];
        double configs = 0;
        count_configs(s, 0, 0, chosen, 1, &configs, &steps);
        n *= configs;
    }
    if (exact)
        *exact = steps <= COUNT_STEPS;
    return n;
}

struct fx_space_iter {
    const fx_space *s;
    uint32_t *configs; /* nconfigs x nslots x nsub */
    size_t nconfigs, cap;
    size_t config;
    uint32_t *odo; /* the plain variables' values */
    int done;
};

static int push_config(fx_space_iter *it, const uint32_t *cfg, uint64_t limit)
{
    size_t w = (size_t)it->s->nslots * it->s->nsub;
    if (it->nconfigs >= limit)
        return -1;
    if (it->nconfigs == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 64;
        uint32_t *more = realloc(it->configs, cap * w * sizeof *more);
        if (!more)
            return 0;
        it->configs = more;
        it->cap = cap;
    }
    memcpy(it->configs + it->nconfigs * w, cfg, w * sizeof *cfg);
    it->nconfigs++;
    return 1;
}

/* Every configuration over the placements chosen so far (CFG's first DEPTH
 * slots have their placement): expand their other values, then go deeper. */
static int expand(fx_space_iter *it, uint32_t *cfg, uint32_t depth, uint32_t slot, uint64_t limit)
{
    const fx_space *s = it->s;
    if (slot == depth) {
        int r = push_config(it, cfg, limit);
        if (r <= 0)
            return r;
        if (depth == s->nslots)
            return 1;
        uint32_t start = depth ? cfg[(size_t)(depth - 1) * s->nsub] : 0; /* placement + 1 */
        for (uint32_t p = start; p < s->npl; p++) {
            int ok = placement_weight(s, p) > 0;
            for (uint32_t i = 0; ok && i < depth; i++)
                ok = !s->overlap[(size_t)(cfg[(size_t)i * s->nsub] - 1) * s->npl + p];
            if (!ok)
                continue;
            uint32_t *sub = cfg + (size_t)depth * s->nsub;
            memset(sub, 0, s->nsub * sizeof *sub);
            sub[SUB_AT] = p + 1;
            r = expand(it, cfg, depth + 1, depth, limit);
            memset(sub, 0, s->nsub * sizeof *sub);
            if (r <= 0)
                return r;
        }
        return 1;
    }
    /* Slot SLOT (< DEPTH) takes every pool, capacity, policy and TTL. */
    uint32_t *sub = cfg + (size_t)slot * s->nsub;
    uint32_t sizes[SUB_N] = {1, s->ncpools, s->ncaps, s->npolicies, s->nttls ? s->nttls : 1};
    uint32_t at = sub[SUB_AT];
    memset(sub + 1, 0, (s->nsub - 1) * sizeof *sub);
    for (;;) {
        if (ttl_ok(s, at, s->nttls ? sub[SUB_TTL] : 0)) {
            int r = expand(it, cfg, depth, slot + 1, limit);
            if (r <= 0)
                return r;
        }
        uint32_t q = s->nsub - 1;
        while (q > 0 && ++sub[q] == sizes[q])
            sub[q--] = 0;
        if (q == 0)
            break;
    }
    return 1;
}

fx_status fx_space_iter_alloc(const fx_space *s, uint64_t limit, fx_space_iter **out, fx_err *e)
{
    *out = NULL;
    fx_space_iter *it = calloc(1, sizeof *it);
    uint32_t *cfg = calloc((size_t)s->nslots * s->nsub + 1, sizeof *cfg);
    if (!it || !cfg || !(it->odo = calloc(s->nplain + 1, sizeof *it->odo))) {
        free(it);
        free(cfg);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    it->s = s;
    int r = 1;
    if (s->has_caches)
        r = expand(it, cfg, 0, 0, limit);
    else
        r = push_config(it, cfg, limit);
    free(cfg);
    if (r <= 0) {
        fx_space_iter_free(it);
        return r < 0 ? fx_err_set(e, FX_ELIMIT, "more than %llu cache configurations",
                                  (unsigned long long)limit)
                     : fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    *out = it;
    return FX_OK;
}

int fx_space_iter_next(fx_space_iter *it, uint32_t *x)
{
    const fx_space *s = it->s;
    if (it->done || it->config >= it->nconfigs)
        return 0;
    memset(x, 0, s->nvars * sizeof *x);
    if (s->has_caches)
        memcpy(x + s->slot0, it->configs + it->config * s->nslots * s->nsub,
               (size_t)s->nslots * s->nsub * sizeof *x);
    for (size_t i = 0; i < s->nplain; i++)
        x[s->plain[i]] = it->odo[i];
    /* Advance: the last plain variable fastest, then the configuration. */
    size_t i = s->nplain;
    while (i > 0) {
        i--;
        if (++it->odo[i] < s->vars[s->plain[i]].size)
            return 1;
        it->odo[i] = 0;
    }
    if (++it->config == it->nconfigs)
        it->done = 1;
    return 1;
}

void fx_space_iter_free(fx_space_iter *it)
{
    if (!it)
        return;
    free(it->configs);
    free(it->odo);
    free(it);
}

/* ---- objective ------------------------------------------------------------ */

size_t fx_space_nmetrics(const fx_space *s)
{
    return s->nmetrics;
}

const char *fx_space_metric_key(const fx_space *s, size_t i)
{
    return s->metrics[i];
}

size_t fx_space_objective(const fx_space *s)
{
    return s->objective;
}

size_t fx_space_metric_cost(const fx_space *s)
{
    return s->m_cost;
}

size_t fx_space_metric_p99(const fx_space *s)
{
    return s->m_p99;
}

size_t fx_space_metric_requests(const fx_space *s)
{
    return s->m_requests;
}

size_t fx_space_nconstraints(const fx_space *s)
{
    return s->ncons;
}

void fx_space_constraint(const fx_space *s, size_t i, size_t *metric, double *bound, int *percent)
{
    *metric = s->cons[i].metric;
    *bound = s->cons[i].bound;
    *percent = s->cons[i].percent;
}

const char *fx_space_objective_text(const fx_space *s, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "minimize %s", s->metrics[s->objective]);
    for (size_t i = 0; i < s->ncons && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s <= %g%s", i ? ", " : " subject to ",
                              s->metrics[s->cons[i].metric], s->cons[i].bound,
                              s->cons[i].percent ? "% of requests" : "");
    return buf;
}

int fx_space_judge(const fx_space *s, const double *metrics, double *violation, char *reason,
                   size_t len)
{
    double v = 0;
    size_t n = 0;
    if (len)
        reason[0] = '\0';
    for (size_t i = 0; i < s->ncons; i++) {
        const constraint *c = &s->cons[i];
        double x = metrics[c->metric];
        double bound = c->percent ? c->bound / 100 * metrics[s->m_requests] : c->bound;
        int bad = isnan(x) || x > bound;
        if (!bad)
            continue;
        v += isnan(x) ? 1 : (x - bound) / fmax(fabs(bound), 1);
        if (n < len) {
            if (isnan(x))
                n += (size_t)snprintf(reason + n, len - n, "%sno %s in the result", n ? "; " : "",
                                      s->metrics[c->metric]);
            else if (c->percent)
                n += (size_t)snprintf(reason + n, len - n, "%s%s %.6g > %.6g (%g%% of requests)",
                                      n ? "; " : "", s->metrics[c->metric], x, bound, c->bound);
            else
                n += (size_t)snprintf(reason + n, len - n, "%s%s %.6g > %.6g", n ? "; " : "",
                                      s->metrics[c->metric], x, bound);
        }
    }
    *violation = v;
    return v == 0;
}
