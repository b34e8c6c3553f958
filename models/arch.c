/* arch.c - loading and validating an architecture (a candidate).
 *
 * The service comes first (from its file, or inline), so that the pools can
 * be checked against its nodes: each pool names nodes of the service, no
 * node is hosted twice, and at the end no node is left without a pool.
 */
#include "models/arch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "models/json.h"
#include "models/transform.h"
#include "sim/pcg.h"

static const char *const arch_keys[] = {"name",   "service",     "pools",      "network",
                                        "caches", "async_edges", "precompute", NULL};
static const char *const pool_keys[] = {
    "id",           "nodes",      "servers",     "cost_per_hour",
    "speed",        "discipline", "balancer",    "partitions",
    "partition_by", "splits",     "lookup",      "mtbf_s",
    "mttr_s",       "retries",    "retry_after", NULL};
static const char *const network_keys[] = {"hop", "bandwidth_mbps", NULL};
static const char *const cache_keys[] = {
    "id", "from", "to", "pool", "capacity_bytes", "policy", "ttl_s", "lookup", "cost_per_gb_hour",
    NULL};
static const char *const precompute_keys[] = {"cache", "period_s", "top_k", NULL};
static const char *const partition_by_names[] = {"hash", "range", "lookup", NULL};

/* Most retries of one job, and most keys in a lookup file. */
#define RETRIES_MAX 100
#define LOOKUP_MAX  10000000

/* Names of "discipline", in the order of disciplines[]. */
static const char *const discipline_names[] = {"fcfs", "ps", NULL};
static const fx_discipline disciplines[] = {FX_FCFS, FX_PS};

/* Most servers in one pool. */
#define SERVERS_MAX 1000000

#define QUOTED_MAX (4 * FX_JSON_ID_MAX + 16)
#define LIST_MAX   (FX_ERR_MAX / 2)

static fx_status load_service(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    fx_status st = fx_json_require(obj, "service", p, e);
    if (st != FX_OK)
        return st;
    const cJSON *v = fx_json_get(obj, "service");
    if (cJSON_IsObject(v)) {
        size_t mark = fx_jpath_key(p, "service");
        st = fx_service_from_json(v, p, &a->svc, e);
        fx_jpath_pop(p, mark);
        return st;
    }
    if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0]) {
        char found[QUOTED_MAX];
        size_t mark = fx_jpath_key(p, "service");
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected the name of a service file or a service object, found %s",
                         fx_json_describe(v, found, sizeof found));
        fx_jpath_pop(p, mark);
        return st;
    }
    /* Errors in the service file name that file, not this one. */
    char *file = fx_json_resolve(p->file, v->valuestring);
    if (!file)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    st = fx_service_load(file, &a->svc, e);
    free(file);
    return st;
}

/* The node ids of pool I (its "nodes" array), marking node_pool. */
static fx_status load_pool_nodes(fx_arch *a, const cJSON *v, uint32_t i, fx_jpath *p, fx_err *e)
{
    fx_pool *pool = &a->pools[i];
    const fx_service *svc = a->svc;
    const cJSON *arr;
    size_t n;
    /* A pool may host no node when it only serves cache lookups; that it
     * does is checked once the caches are read. */
    fx_status st = fx_json_array(v, "nodes", true, 0, SIZE_MAX, "node id", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    pool->nodes = malloc((n ? n : 1) * sizeof *pool->nodes);
    if (!pool->nodes)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    char q[QUOTED_MAX], list[LIST_MAX];
    size_t mark = fx_jpath_key(p, "nodes");
    size_t k = 0;
    for (const cJSON *c = arr->child; c && st == FX_OK; c = c->next, k++) {
        size_t at = fx_jpath_index(p, k);
        int node = cJSON_IsString(c) && c->valuestring ? fx_service_find(svc, c->valuestring) : -1;
        if (!cJSON_IsString(c) || !c->valuestring)
            st = fx_json_err(p, e, FX_EINVAL, "expected a node id, found %s",
                             fx_json_describe(c, q, sizeof q));
        else if (node < 0)
            st = fx_json_err(p, e, FX_EINVAL, "unknown node %s; expected one of %s",
                             fx_json_quote(c->valuestring, q, sizeof q),
                             fx_json_list(svc->ids, svc->nnodes, list, sizeof list));
        else if (a->node_pool[node] != UINT32_MAX)
            st = fx_json_err(p, e, FX_EINVAL, "node %s is already hosted by pool %s",
                             fx_json_quote(c->valuestring, q, sizeof q),
                             fx_json_quote(a->pools[a->node_pool[node]].id, list, sizeof list));
        else {
            a->node_pool[node] = i;
            pool->nodes[pool->nnodes++] = (uint32_t)node;
        }
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

/* A number already read at KEY must lie in [LO, HI]: beyond, times and
 * sizes computed from it would overflow 64-bit nanoseconds. */
static fx_status in_range(const cJSON *obj, const char *key, double v, double lo, double hi,
                          fx_jpath *p, fx_err *e)
{
    if (!fx_json_has(obj, key) || (v >= lo && v <= hi))
        return FX_OK;
    size_t mark = fx_jpath_key(p, key);
    fx_status st = fx_json_err(p, e, v > hi ? FX_ELIMIT : FX_EINVAL,
                               "expected a number from %g to %g, found %g", lo, hi, v);
    fx_jpath_pop(p, mark);
    return st;
}

uint64_t fx_partition_key(const char *key, size_t len)
{
    if (len == 0 || len > 19)
        return fx_hash_str(key);
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (key[i] < '0' || key[i] > '9')
            return fx_hash_str(key);
        v = v * 10 + (uint64_t)(key[i] - '0');
    }
    return v;
}

/* A lookup file's key: decimal, "0x" hexadecimal, or any other word
 * (hashed), as fx_partition_key maps request keys. */
static uint64_t lookup_key(const char *word)
{
    if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X') && word[2]) {
        uint64_t v = 0;
        const char *c = word + 2;
        for (; *c && isxdigit((unsigned char)*c) && c - word < 18; c++)
            v = v * 16 + (uint64_t)(isdigit((unsigned char)*c)
                                        ? *c - '0'
                                        : tolower((unsigned char)*c) - 'a' + 10);
        if (!*c)
            return v;
    }
    return fx_partition_key(word, strlen(word));
}

/* Entries of a lookup file being read: key, partition, line. */
static int cmp_lookup(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return (x[0] > y[0]) - (x[0] < y[0]);
    return (x[2] > y[2]) - (x[2] < y[2]);
}

/* The key on line LINENO of FILE, for a message. */
static void lookup_word(const char *file, uint64_t lineno, char *word, size_t len)
{
    snprintf(word, len, "?");
    FILE *f = fopen(file, "r");
    char line[4096];
    for (uint64_t i = 1; f && fgets(line, sizeof line, f); i++)
        if (i == lineno) {
            char w[41];
            if (sscanf(line, "%40s", w) == 1)
                snprintf(word, len, "%s", w);
            break;
        }
    if (f)
        fclose(f);
}

/* Read a key-to-partition file: "KEY PARTITION" per line, '#' comments. */
static fx_status load_lookup(fx_pool *pool, const char *file, fx_jpath *p, fx_err *e)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return fx_json_err(p, e, FX_EIO, "%s: cannot open: %s", file, strerror(errno));
    size_t cap = 1024, n = 0;
    uint64_t *pairs = malloc(cap * 3 * sizeof *pairs);
    char line[4096];
    unsigned long lineno = 0;
    fx_status st = pairs ? FX_OK : fx_json_err(p, e, FX_ENOMEM, "out of memory");
    while (st == FX_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char word[2048], rest[2];
        unsigned long part;
        char *c = line;
        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '#' || *c == '\n' || *c == '\0')
            continue;
        size_t end = strcspn(c, "\r\n"); /* the message quotes the line, not its end */
        int got = sscanf(c, "%2047s %lu %1s", word, &part, rest);
        if (got != 2 || (!strchr(line, '\n') && !feof(f))) {
            st = fx_err_set(e, FX_EINVAL, "%s:%lu: expected \"KEY PARTITION\", found \"%.*s\"",
                            file, lineno, (int)(end < 40 ? end : 40), c);
        } else if (part >= pool->partitions) {
            st = fx_err_set(e, FX_EINVAL, "%s:%lu: expected a partition below %u, found %lu", file,
                            lineno, pool->partitions, part);
        } else if (n >= LOOKUP_MAX) {
            st = fx_err_set(e, FX_ELIMIT, "%s:%lu: expected at most %d keys, found more", file,
                            lineno, LOOKUP_MAX);
        } else {
            if (n == cap) {
                uint64_t *more = realloc(pairs, cap * 6 * sizeof *pairs);
                if (!more) {
                    st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
                    break;
                }
                pairs = more;
                cap *= 2;
            }
            pairs[3 * n] = lookup_key(word);
            pairs[3 * n + 1] = part;
            pairs[3 * n + 2] = lineno;
            n++;
        }
    }
    /* fgets fails the same way at the end and on an error (a folder reads
     * as EISDIR): tell them apart. */
    if (st == FX_OK && ferror(f))
        st = fx_err_set(e, FX_EIO, "%s: cannot read: %s", file, strerror(errno));
    fclose(f);
    if (st == FX_OK) {
        qsort(pairs, n, 3 * sizeof *pairs, cmp_lookup);
        for (size_t i = 1; i < n; i++)
            if (pairs[3 * i] == pairs[3 * (i - 1)]) {
                char word[48];
                lookup_word(file, pairs[3 * i + 2], word, sizeof word);
                st = fx_err_set(e, FX_EINVAL,
                                "%s:%llu: expected each key once, found %s again (first on line "
                                "%llu)",
                                file, (unsigned long long)pairs[3 * i + 2], word,
                                (unsigned long long)pairs[3 * (i - 1) + 2]);
                break;
            }
    }
    if (st == FX_OK) {
        pool->lookup_keys = malloc((n ? n : 1) * sizeof *pool->lookup_keys);
        pool->lookup_parts = malloc((n ? n : 1) * sizeof *pool->lookup_parts);
        if (!pool->lookup_keys || !pool->lookup_parts)
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        for (size_t i = 0; st == FX_OK && i < n; i++) {
            pool->lookup_keys[i] = pairs[3 * i];
            pool->lookup_parts[i] = (unsigned)pairs[3 * i + 1];
        }
        pool->nlookup = n;
    }
    free(pairs);
    return st;
}

unsigned fx_pool_partition(const fx_pool *pool, uint64_t key)
{
    if (pool->partitions <= 1)
        return 0;
    switch (pool->partition_by) {
    case FX_PART_RANGE:
        return fx_tier_partition_range(key, pool->splits, pool->partitions);
    case FX_PART_LOOKUP: {
        size_t lo = 0, hi = pool->nlookup;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (pool->lookup_keys[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < pool->nlookup && pool->lookup_keys[lo] == key)
            return pool->lookup_parts[lo];
        break; /* keys the file does not list are hashed */
    }
    case FX_PART_HASH:
        break;
    }
    return fx_tier_partition_hash(key, pool->partitions);
}

/* Balancer, partitions and failures of one pool. */
static fx_status load_pool_deployment(const cJSON *v, fx_pool *pool, fx_jpath *p, fx_err *e)
{
    int b = FX_BAL_SHARED, by = FX_PART_HASH;
    uint64_t parts = 1, retries = 0;
    fx_status st = fx_json_choice(v, "balancer", false, fx_balancer_names, p, &b, e);
    pool->balancer = (fx_balancer)b;
    if (st == FX_OK)
        st = fx_json_uint(v, "partitions", false, 1, FX_ARCH_PARTITIONS_MAX, p, &parts, e);
    pool->partitions = (unsigned)parts;
    if (st == FX_OK)
        st = fx_json_choice(v, "partition_by", false, partition_by_names, p, &by, e);
    pool->partition_by = (fx_partition_by)by;
    if (st == FX_OK && by != FX_PART_RANGE && fx_json_has(v, "splits")) {
        size_t mark = fx_jpath_key(p, "splits");
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected no split points unless partition_by is "
                         "\"range\", found some");
        fx_jpath_pop(p, mark);
    }
    if (st == FX_OK && by != FX_PART_LOOKUP && fx_json_has(v, "lookup")) {
        size_t mark = fx_jpath_key(p, "lookup");
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected no lookup file unless partition_by is "
                         "\"lookup\", found one");
        fx_jpath_pop(p, mark);
    }
    if (st == FX_OK && by == FX_PART_RANGE) {
        const cJSON *arr;
        size_t n;
        st = fx_json_array(v, "splits", true, 0, FX_ARCH_PARTITIONS_MAX, "split point", p, &arr, &n,
                           e);
        size_t mark = fx_jpath_key(p, "splits");
        if (st == FX_OK && n != parts - 1)
            st = fx_json_err(p, e, FX_EINVAL,
                             "expected %llu split points (one fewer than the partitions), found "
                             "%zu",
                             (unsigned long long)(parts - 1), n);
        if (st == FX_OK && !(pool->splits = malloc((n ? n : 1) * sizeof *pool->splits)))
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
        size_t k = 0;
        for (const cJSON *c = arr ? arr->child : NULL; st == FX_OK && c; c = c->next, k++) {
            size_t at = fx_jpath_index(p, k);
            char found[64];
            if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0) ||
                c->valuedouble >= 18446744073709551616.0 ||
                c->valuedouble != (double)(uint64_t)c->valuedouble)
                st = fx_json_err(p, e, FX_EINVAL, "expected a non-negative integer, found %s",
                                 fx_json_describe(c, found, sizeof found));
            else if (k > 0 && (uint64_t)c->valuedouble <= pool->splits[k - 1])
                st = fx_json_err(p, e, FX_EINVAL,
                                 "expected split points in increasing order, "
                                 "found %s after %llu",
                                 fx_json_describe(c, found, sizeof found),
                                 (unsigned long long)pool->splits[k - 1]);
            else
                pool->splits[k] = (uint64_t)c->valuedouble;
            fx_jpath_pop(p, at);
        }
        fx_jpath_pop(p, mark);
    }
    if (st == FX_OK && by == FX_PART_LOOKUP) {
        const char *file = NULL;
        st = fx_json_string(v, "lookup", true, p, &file, e);
        if (st == FX_OK) {
            char *path = fx_json_resolve(p->file, file);
            size_t mark = fx_jpath_key(p, "lookup");
            st = path ? load_lookup(pool, path, p, e)
                      : fx_json_err(p, e, FX_ENOMEM, "out of memory");
            fx_jpath_pop(p, mark);
            pool->lookup_path = path;
        }
    }
    if (st == FX_OK)
        st = fx_json_number(v, "mtbf_s", false, FX_JSON_POSITIVE, p, &pool->mtbf_s, e);
    if (st == FX_OK)
        st = in_range(v, "mtbf_s", pool->mtbf_s, 1e-3, 1e9, p, e);
    if (st == FX_OK)
        st = fx_json_number(v, "mttr_s", pool->mtbf_s > 0, FX_JSON_POSITIVE, p, &pool->mttr_s, e);
    if (st == FX_OK)
        st = in_range(v, "mttr_s", pool->mttr_s, 1e-3, 1e9, p, e);
    if (st == FX_OK && pool->mtbf_s == 0 && fx_json_has(v, "mttr_s")) {
        size_t mark = fx_jpath_key(p, "mttr_s");
        st = fx_json_err(p, e, FX_EINVAL, "expected mtbf_s alongside mttr_s, found none");
        fx_jpath_pop(p, mark);
    }
    if (st == FX_OK)
        st = fx_json_uint(v, "retries", false, 0, RETRIES_MAX, p, &retries, e);
    pool->retries = (unsigned)retries;
    if (st == FX_OK) {
        pool->has_retry_after = fx_json_has(v, "retry_after");
        st = fx_json_dist(v, "retry_after", false, p, &pool->retry_after, e);
        if (st != FX_OK)
            pool->has_retry_after = 0;
    }
    return st;
}

static fx_status load_pool(fx_arch *a, const cJSON *v, uint32_t i, fx_jpath *p, fx_err *e)
{
    fx_pool *pool = &a->pools[i];
    pool->speed = 1.0;
    pool->discipline = FX_FCFS;
    fx_status st = fx_json_check_keys(v, pool_keys, p, e);
    const char *id = NULL;
    if (st == FX_OK)
        st = fx_json_id(v, "id", true, p, &id, e);
    if (st != FX_OK)
        return st;
    for (uint32_t j = 0; j < i; j++) {
        if (strcmp(a->pools[j].id, id) == 0) {
            char q[QUOTED_MAX];
            size_t mark = fx_jpath_key(p, "id");
            st = fx_json_err(p, e, FX_EINVAL, "pool %s given twice (first at pools[%u])",
                             fx_json_quote(id, q, sizeof q), j);
            fx_jpath_pop(p, mark);
            return st;
        }
    }
    pool->id = fx_json_strdup(id);
    if (!pool->id)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    st = load_pool_nodes(a, v, i, p, e);
    uint64_t servers = 0;
    if (st == FX_OK)
        st = fx_json_uint(v, "servers", true, 1, SERVERS_MAX, p, &servers, e);
    pool->servers = (unsigned)servers;
    if (st == FX_OK)
        st = fx_json_number(v, "cost_per_hour", true, FX_JSON_NONNEG, p, &pool->cost_per_hour, e);
    if (st == FX_OK)
        st = fx_json_number(v, "speed", false, FX_JSON_POSITIVE, p, &pool->speed, e);
    if (st == FX_OK)
        st = in_range(v, "speed", pool->speed, 1e-6, 1e6, p, e);
    int d = 0;
    if (st == FX_OK)
        st = fx_json_choice(v, "discipline", false, discipline_names, p, &d, e);
    pool->discipline = disciplines[d];
    if (st == FX_OK)
        st = load_pool_deployment(v, pool, p, e);
    return st;
}

static fx_status load_pools(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    const cJSON *arr;
    size_t n;
    fx_status st = fx_json_array(obj, "pools", true, 1, FX_ARCH_POOLS_MAX, "pool", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    const fx_service *svc = a->svc;
    a->pools = calloc(n, sizeof *a->pools);
    a->node_pool = malloc(svc->nnodes * sizeof *a->node_pool);
    if (!a->pools || !a->node_pool)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    a->npools = (uint32_t)n;
    for (uint32_t i = 0; i < svc->nnodes; i++)
        a->node_pool[i] = UINT32_MAX;
    size_t mark = fx_jpath_key(p, "pools");
    uint32_t i = 0;
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, i++) {
        size_t at = fx_jpath_index(p, i);
        st = load_pool(a, v, i, p, e);
        fx_jpath_pop(p, at);
    }
    for (uint32_t k = 0; st == FX_OK && k < svc->nnodes; k++) {
        if (a->node_pool[k] == UINT32_MAX) {
            char q[QUOTED_MAX];
            st = fx_json_err(p, e, FX_EINVAL, "node %s is hosted by no pool",
                             fx_json_quote(svc->nodes[k].id, q, sizeof q));
        }
    }
    fx_jpath_pop(p, mark);
    return st;
}

static fx_status load_network(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    const cJSON *v = fx_json_get(obj, "network");
    if (!v)
        return FX_OK;
    size_t mark = fx_jpath_key(p, "network");
    fx_status st = fx_json_check_keys(v, network_keys, p, e);
    if (st == FX_OK) {
        a->has_hop = fx_json_has(v, "hop");
        st = fx_json_dist(v, "hop", false, p, &a->hop, e);
        if (st != FX_OK)
            a->has_hop = 0;
    }
    if (st == FX_OK)
        st = fx_json_number(v, "bandwidth_mbps", false, FX_JSON_POSITIVE, p, &a->bandwidth_mbps, e);
    if (st == FX_OK)
        st = in_range(v, "bandwidth_mbps", a->bandwidth_mbps, 1e-6, 1e9, p, e);
    fx_jpath_pop(p, mark);
    return st;
}

/* A node id at KEY of OBJ, as an index of the service. */
static fx_status node_ref(const fx_arch *a, const cJSON *obj, const char *key, fx_jpath *p,
                          uint32_t *out, fx_err *e)
{
    const char *id = NULL;
    fx_status st = fx_json_string(obj, key, true, p, &id, e);
    if (st != FX_OK)
        return st;
    int n = fx_service_find(a->svc, id);
    if (n < 0) {
        char q[QUOTED_MAX], list[LIST_MAX];
        size_t mark = fx_jpath_key(p, key);
        st = fx_json_err(p, e, FX_EINVAL, "unknown node %s; expected one of %s",
                         fx_json_quote(id, q, sizeof q),
                         fx_json_list(a->svc->ids, a->svc->nnodes, list, sizeof list));
        fx_jpath_pop(p, mark);
        return st;
    }
    *out = (uint32_t)n;
    return FX_OK;
}

static fx_status load_cache(fx_arch *a, const cJSON *v, uint32_t i, uint8_t *covered, fx_jpath *p,
                            fx_err *e)
{
    fx_cache_cfg *c = &a->caches[i];
    const fx_service *svc = a->svc;
    char q[QUOTED_MAX], list[LIST_MAX], reason[FX_REASON_MAX];
    const char *id = NULL, *pool = NULL, *policy = "lru";
    fx_status st = fx_json_check_keys(v, cache_keys, p, e);
    if (st == FX_OK)
        st = fx_json_id(v, "id", true, p, &id, e);
    for (uint32_t j = 0; st == FX_OK && j < i; j++) {
        if (strcmp(a->caches[j].id, id) == 0) {
            size_t mark = fx_jpath_key(p, "id");
            st = fx_json_err(p, e, FX_EINVAL, "cache %s given twice (first at caches[%u])",
                             fx_json_quote(id, q, sizeof q), j);
            fx_jpath_pop(p, mark);
        }
    }
    if (st == FX_OK && !(c->id = fx_json_strdup(id)))
        st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
    if (st == FX_OK)
        st = node_ref(a, v, "from", p, &c->from, e);
    if (st == FX_OK)
        st = node_ref(a, v, "to", p, &c->to, e);
    if (st == FX_OK && !fx_cache_placement_check(svc, c->from, c->to, reason, sizeof reason))
        st = fx_json_err(p, e, FX_EINVAL, "expected a valid placement, found %s..%s: %s",
                         svc->nodes[c->from].id, svc->nodes[c->to].id, reason);
    if (st == FX_OK) {
        /* Caches may not overlap: a request inside one would need two keys. */
        uint8_t *inside = calloc(svc->nnodes, 1);
        if (!inside)
            return fx_json_err(p, e, FX_ENOMEM, "out of memory");
        fx_placement_nodes(svc, c->from, c->to, inside);
        for (uint32_t n = 0; st == FX_OK && n < svc->nnodes; n++) {
            if (inside[n] && covered[n] != UINT8_MAX)
                st = fx_json_err(p, e, FX_EINVAL,
                                 "expected caches over disjoint subgraphs, found node %s also "
                                 "under caches[%u]",
                                 fx_json_quote(svc->nodes[n].id, q, sizeof q), covered[n]);
            else if (inside[n])
                covered[n] = (uint8_t)i;
        }
        free(inside);
    }
    if (st == FX_OK)
        st = fx_json_string(v, "pool", true, p, &pool, e);
    if (st == FX_OK) {
        uint32_t k = 0;
        while (k < a->npools && strcmp(a->pools[k].id, pool) != 0)
            k++;
        const char *ids[FX_ARCH_POOLS_MAX];
        for (uint32_t j = 0; j < a->npools; j++)
            ids[j] = a->pools[j].id;
        size_t mark = fx_jpath_key(p, "pool");
        if (k == a->npools)
            st = fx_json_err(p, e, FX_EINVAL, "unknown pool %s; expected one of %s",
                             fx_json_quote(pool, q, sizeof q),
                             fx_json_list(ids, a->npools, list, sizeof list));
        fx_jpath_pop(p, mark);
        c->pool = k;
    }
    if (st == FX_OK)
        st = fx_json_uint(v, "capacity_bytes", true, 1, FX_JSON_INT_MAX, p, &c->capacity_bytes, e);
    if (st == FX_OK)
        st = fx_json_string(v, "policy", false, p, &policy, e);
    if (st == FX_OK && !(c->policy = fx_cache_policy_find(policy))) {
        const char *names[64];
        size_t n = 0;
        for (; fx_cache_policies[n] && n < 64; n++)
            names[n] = fx_cache_policy_name(fx_cache_policies[n]);
        size_t mark = fx_jpath_key(p, "policy");
        st = fx_json_err(p, e, FX_EINVAL, "unknown policy %s; expected one of %s",
                         fx_json_quote(policy, q, sizeof q),
                         fx_json_list(names, n, list, sizeof list));
        fx_jpath_pop(p, mark);
    }
    double ttl = 0, bound = fx_placement_min_volatile(svc, c->from, c->to);
    if (st == FX_OK)
        st = fx_json_number(v, "ttl_s", false, FX_JSON_POSITIVE, p, &ttl, e);
    if (st == FX_OK)
        st = in_range(v, "ttl_s", ttl, 1e-6, 1e9, p, e);
    if (st == FX_OK && bound > 0 && ttl > bound) {
        size_t mark = fx_jpath_key(p, "ttl_s");
        st = fx_json_err(p, e, FX_EINVAL,
                         "expected at most %g (the smallest volatile_s inside the cache), found %g",
                         bound, ttl);
        fx_jpath_pop(p, mark);
    }
    /* The TTL defaults to the smallest volatile_s inside: no fresher than
     * the data allows. */
    if (st == FX_OK) {
        double t = ttl > 0 ? ttl : bound > 0 ? bound : 0;
        c->ttl = (fx_time)((t < 1e9 ? t : 1e9) * 1e9 + 0.5); /* 31 years: no TTL in effect */
    }
    if (st == FX_OK) {
        c->has_lookup = fx_json_has(v, "lookup");
        st = fx_json_dist(v, "lookup", false, p, &c->lookup, e);
        if (st != FX_OK)
            c->has_lookup = 0;
    }
    if (st == FX_OK)
        st = fx_json_number(v, "cost_per_gb_hour", false, FX_JSON_NONNEG, p, &c->cost_per_gb_hour,
                            e);
    return st;
}

static fx_status load_caches(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    const fx_service *svc = a->svc;
    a->node_cache = malloc(svc->nnodes * sizeof *a->node_cache);
    if (!a->node_cache)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    for (uint32_t n = 0; n < svc->nnodes; n++)
        a->node_cache[n] = UINT32_MAX;
    const cJSON *arr;
    size_t n;
    fx_status st =
        fx_json_array(obj, "caches", false, 0, FX_ARCH_CACHES_MAX, "cache", p, &arr, &n, e);
    if (st != FX_OK || !arr || n == 0)
        return st;
    a->caches = calloc(n, sizeof *a->caches);
    uint8_t *covered = malloc(svc->nnodes);
    if (!a->caches || !covered) {
        free(covered);
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    }
    memset(covered, UINT8_MAX, svc->nnodes);
    a->ncaches = (uint32_t)n;
    size_t mark = fx_jpath_key(p, "caches");
    uint32_t i = 0;
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, i++) {
        size_t at = fx_jpath_index(p, i);
        st = load_cache(a, v, i, covered, p, e);
        if (st == FX_OK)
            a->node_cache[a->caches[i].from] = i;
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    free(covered);
    return st;
}

static fx_status load_async(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    const fx_service *svc = a->svc;
    a->async = calloc(svc->nnodes, sizeof *a->async);
    if (!a->async)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    for (uint32_t n = 0; n < svc->nnodes; n++)
        if (svc->nodes[n].nsucc && !(a->async[n] = calloc(svc->nodes[n].nsucc, 1)))
            return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    const cJSON *arr;
    size_t n;
    fx_status st = fx_json_array(obj, "async_edges", false, 0, SIZE_MAX, "edge", p, &arr, &n, e);
    if (st != FX_OK || !arr)
        return st;
    size_t mark = fx_jpath_key(p, "async_edges");
    size_t k = 0;
    char q[QUOTED_MAX], reason[FX_REASON_MAX];
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, k++) {
        size_t at = fx_jpath_index(p, k);
        const cJSON *f = cJSON_IsArray(v) ? v->child : NULL, *t = f ? f->next : NULL;
        int from = f && cJSON_IsString(f) ? fx_service_find(svc, f->valuestring) : -1;
        int to = t && cJSON_IsString(t) ? fx_service_find(svc, t->valuestring) : -1;
        if (!f || !t || t->next || !cJSON_IsString(f) || !cJSON_IsString(t)) {
            st = fx_json_err(p, e, FX_EINVAL, "expected a pair [FROM, TO] of node ids, found %s",
                             fx_json_describe(v, q, sizeof q));
        } else if (from < 0 || to < 0) {
            st =
                fx_json_err(p, e, FX_EINVAL, "unknown node %s",
                            fx_json_quote(from < 0 ? f->valuestring : t->valuestring, q, sizeof q));
        } else {
            const fx_node *node = &svc->nodes[from];
            uint32_t i = 0;
            while (i < node->nsucc && node->succ[i] != (uint32_t)to)
                i++;
            if (i == node->nsucc)
                st = fx_json_err(p, e, FX_EINVAL, "expected an edge of the service, found %s -> %s",
                                 f->valuestring, t->valuestring);
            else if (!fx_async_edge_check(svc, (uint32_t)from, (uint32_t)to, reason, sizeof reason))
                st = fx_json_err(p, e, FX_EINVAL,
                                 "expected an edge that may be asynchronous, "
                                 "found %s -> %s: %s",
                                 f->valuestring, t->valuestring, reason);
            else
                a->async[from][i] = 1;
        }
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

static fx_status load_precompute(fx_arch *a, const cJSON *obj, fx_jpath *p, fx_err *e)
{
    const cJSON *arr;
    size_t n;
    fx_status st =
        fx_json_array(obj, "precompute", false, 0, FX_ARCH_CACHES_MAX, "job", p, &arr, &n, e);
    if (st != FX_OK || !arr || n == 0)
        return st;
    if (!(a->precompute = calloc(n, sizeof *a->precompute)))
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    a->nprecompute = (uint32_t)n;
    size_t mark = fx_jpath_key(p, "precompute");
    uint32_t k = 0;
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, k++) {
        size_t at = fx_jpath_index(p, k);
        fx_precompute_cfg *job = &a->precompute[k];
        const char *cache = NULL;
        double period = 0;
        uint64_t top = 0;
        st = fx_json_check_keys(v, precompute_keys, p, e);
        if (st == FX_OK)
            st = fx_json_string(v, "cache", true, p, &cache, e);
        if (st == FX_OK) {
            uint32_t c = 0;
            while (c < a->ncaches && strcmp(a->caches[c].id, cache) != 0)
                c++;
            if (c == a->ncaches) {
                char q[QUOTED_MAX], list[LIST_MAX];
                const char *ids[FX_ARCH_CACHES_MAX];
                for (uint32_t j = 0; j < a->ncaches; j++)
                    ids[j] = a->caches[j].id;
                size_t m = fx_jpath_key(p, "cache");
                st = fx_json_err(p, e, FX_EINVAL, "unknown cache %s; expected one of %s",
                                 fx_json_quote(cache, q, sizeof q),
                                 a->ncaches ? fx_json_list(ids, a->ncaches, list, sizeof list)
                                            : "(no caches defined)");
                fx_jpath_pop(p, m);
            }
            job->cache = c;
        }
        if (st == FX_OK)
            st = fx_json_number(v, "period_s", true, FX_JSON_POSITIVE, p, &period, e);
        if (st == FX_OK)
            st = in_range(v, "period_s", period, 1e-3, 1e9, p, e);
        if (st == FX_OK)
            job->period = (fx_time)(period * 1e9 + 0.5);
        if (st == FX_OK)
            st = fx_json_uint(v, "top_k", true, 1, 1000000, p, &top, e);
        job->top_k = (uint32_t)top;
        fx_jpath_pop(p, at);
    }
    fx_jpath_pop(p, mark);
    return st;
}

/* A pool that hosts no node must serve some cache's lookups. */
static fx_status check_cache_pools(const fx_arch *a, fx_jpath *p, fx_err *e)
{
    for (uint32_t k = 0; k < a->npools; k++) {
        if (a->pools[k].nnodes)
            continue;
        uint32_t c = 0;
        while (c < a->ncaches && a->caches[c].pool != k)
            c++;
        if (c == a->ncaches) {
            size_t mark = fx_jpath_key(p, "pools");
            size_t at = fx_jpath_index(p, k);
            fx_status st = fx_json_err(p, e, FX_EINVAL,
                                       "expected a pool to host nodes or serve a cache, found "
                                       "neither");
            fx_jpath_pop(p, at);
            fx_jpath_pop(p, mark);
            return st;
        }
    }
    return FX_OK;
}

fx_status fx_arch_from_json(const cJSON *obj, fx_jpath *p, fx_arch **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL,
                          "fx_arch_from_json: expected a place for the architecture, found NULL");
    *out = NULL;
    fx_status st = fx_json_check_keys(obj, arch_keys, p, e);
    if (st != FX_OK)
        return st;
    fx_arch *a = calloc(1, sizeof *a);
    if (!a)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    const char *name = NULL;
    st = fx_json_string(obj, "name", true, p, &name, e);
    if (st == FX_OK && name[0] == '\0') {
        size_t mark = fx_jpath_key(p, "name");
        st = fx_json_err(p, e, FX_EINVAL, "expected a non-empty string, found \"\"");
        fx_jpath_pop(p, mark);
    }
    if (st == FX_OK) {
        a->name = fx_json_strdup(name);
        a->path = fx_json_strdup(p->file);
        if (!a->name || !a->path)
            st = fx_json_err(p, e, FX_ENOMEM, "out of memory");
    }
    if (st == FX_OK)
        st = load_service(a, obj, p, e);
    if (st == FX_OK)
        st = load_pools(a, obj, p, e);
    if (st == FX_OK)
        st = load_network(a, obj, p, e);
    if (st == FX_OK)
        st = load_caches(a, obj, p, e);
    if (st == FX_OK)
        st = load_async(a, obj, p, e);
    if (st == FX_OK)
        st = load_precompute(a, obj, p, e);
    if (st == FX_OK)
        st = check_cache_pools(a, p, e);
    if (st != FX_OK) {
        fx_arch_free(a);
        return st;
    }
    *out = a;
    return FX_OK;
}

fx_status fx_arch_load(const char *path, fx_arch **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL,
                          "fx_arch_load: expected a place for the architecture, found NULL");
    *out = NULL;
    cJSON *root;
    fx_status st = fx_json_load(path, &root, e);
    if (st != FX_OK)
        return st;
    fx_jpath p;
    fx_jpath_init(&p, path);
    st = fx_arch_from_json(root, &p, out, e);
    cJSON_Delete(root);
    return st;
}

void fx_arch_free(fx_arch *arch)
{
    if (!arch)
        return;
    for (uint32_t i = 0; arch->pools && i < arch->npools; i++) {
        fx_pool *pool = &arch->pools[i];
        free(pool->id);
        free(pool->nodes);
        free(pool->splits);
        free(pool->lookup_keys);
        free(pool->lookup_path);
        free(pool->lookup_parts);
        fx_dist_free(&pool->retry_after);
    }
    for (uint32_t i = 0; arch->caches && i < arch->ncaches; i++) {
        free(arch->caches[i].id);
        fx_dist_free(&arch->caches[i].lookup);
    }
    free(arch->caches);
    free(arch->node_cache);
    free(arch->precompute);
    if (arch->async && arch->svc)
        for (uint32_t n = 0; n < arch->svc->nnodes; n++)
            free(arch->async[n]);
    free(arch->async);
    free(arch->pools);
    free(arch->node_pool);
    fx_dist_free(&arch->hop);
    fx_service_free(arch->svc);
    free(arch->name);
    free(arch->path);
    free(arch);
}

double fx_arch_cost(const fx_arch *arch)
{
    double cost = 0.0;
    for (uint32_t i = 0; arch && i < arch->npools; i++)
        cost += (double)arch->pools[i].servers * arch->pools[i].partitions *
                arch->pools[i].cost_per_hour;
    for (uint32_t i = 0; arch && i < arch->ncaches; i++)
        cost += (double)arch->caches[i].capacity_bytes * 1e-9 * arch->caches[i].cost_per_gb_hour;
    return cost;
}
