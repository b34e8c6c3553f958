/* fuzz_json.c - libFuzzer harness for the JSON loaders: fx_service_load and
 * fx_arch_load (models/json.c, service.c, arch.c and the distribution specs
 * of profiles and hops, sim/dist.c).
 *
 * The input is written to in.json and loaded both as a service and as an
 * architecture. Next to it lie a valid service, weather.service.json, that
 * an architecture may name, samples.txt for "empirical:samples.txt"
 * profiles, and keys.txt, a partition lookup file. An input any of whose strings holds a '/' is
 * skipped (returns -1, so libFuzzer does not keep it): relative names stay inside the scratch
 * folder, and the harness never opens /dev/stdin or /dev/zero.
 *
 * Checked, besides memory safety and leaks: a loaded service is a DAG whose
 * topological order starts at the entry and respects every edge, with valid
 * unique ids; a loaded architecture hosts every node in exactly one pool,
 * with servers and cost in range; every error is one line that names a file
 * in the scratch folder.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "models/arch.h"
#include "models/json.h"
#include "models/service.h"

static const char weather[] =
    "{\"service\": \"weather\", \"entry\": \"parse\", \"exit\": \"render\",\n"
    " \"nodes\": [{\"id\": \"parse\", \"profile\": \"lognormal:mean=100us,cv=0.5\", "
    "\"out_bytes\": 64},\n"
    "  {\"id\": \"geocode\", \"profile\": \"exp:1ms\", \"out_bytes\": 128},\n"
    "  {\"id\": \"forecast\", \"profile\": \"empirical:samples.txt\", \"volatile_s\": 600},\n"
    "  {\"id\": \"render\", \"profile\": \"gamma:mean=3ms,cv=0.6\"},\n"
    "  {\"id\": \"log\", \"side_effects\": true}],\n"
    " \"edges\": [[\"parse\", \"geocode\"], [\"geocode\", \"forecast\"], [\"forecast\", "
    "\"render\"],\n"
    "  [\"parse\", \"log\"]]}\n";

static const char samples[] = "# forecast times\n40ms 3\n45ms 5\n120ms 1\n";

static const char keys[] = "# key partition\n94110 0\n10001 1\n0x1b2c 1\nparis 0\n";

static char path[512], prefix[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char p[512];
    fuzz_init_dir();
    fuzz_write(fuzz_path("weather.service.json", p, sizeof p), weather, sizeof weather - 1);
    fuzz_write(fuzz_path("samples.txt", p, sizeof p), samples, sizeof samples - 1);
    fuzz_write(fuzz_path("keys.txt", p, sizeof p), keys, sizeof keys - 1);
    fuzz_path("in.json", path, sizeof path);
    snprintf(prefix, sizeof prefix, "%s/", fuzz_dir);
    return 0;
}

/* Does any string value of the tree hold a '/'? */
static bool has_slash(const cJSON *v)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && v->valuestring && strchr(v->valuestring, '/'))
            return true;
        if (v->child && has_slash(v->child))
            return true;
    }
    return false;
}

/* Would the loaders see a string with a '/'? They parse what follows a
 * UTF-8 byte order mark, with cJSON, and refuse NUL bytes first. */
static bool reaches_outside(const uint8_t *data, size_t size)
{
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        size -= 3;
    }
    if (memchr(data, '\0', size))
        return false;
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    cJSON *root = cJSON_ParseWithLengthOpts(text, size, NULL, 0);
    bool out = root && has_slash(root);
    cJSON_Delete(root);
    free(text);
    return out;
}

static void check_service(const fx_service *s)
{
    uint32_t n = s->nnodes;
    if (n < 1 || n > FX_SERVICE_NODES_MAX || s->entry >= n || s->exit >= n)
        fuzz_fail("a service with a node count, entry or exit out of range", s->name);
    if (!fx_json_is_id(s->name))
        fuzz_fail("a service name that is not an id", s->name);
    if (s->topo[0] != s->entry || s->nodes[s->entry].npred != 0 || s->nodes[s->exit].nsucc != 0)
        fuzz_fail("an entry with predecessors or an exit with successors", s->name);
    uint32_t *rank = malloc(n * sizeof *rank);
    if (!rank)
        abort();
    for (uint32_t i = 0; i < n; i++)
        rank[i] = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        if (s->topo[k] >= n || rank[s->topo[k]] != UINT32_MAX)
            fuzz_fail("a topological order that is not a permutation", s->name);
        rank[s->topo[k]] = k;
    }
    for (uint32_t i = 0; i < n; i++) {
        const fx_node *nd = &s->nodes[i];
        if (!fx_json_is_id(nd->id) || s->ids[i] != nd->id || fx_service_find(s, nd->id) != (int)i)
            fuzz_fail("a node id that is invalid or not unique", nd->id);
        if (i != s->entry && nd->npred == 0)
            fuzz_fail("a node other than the entry without a predecessor", nd->id);
        for (uint32_t k = 0; k < nd->nsucc; k++)
            if (nd->succ[k] >= n || rank[nd->succ[k]] <= rank[i])
                fuzz_fail("an edge against the topological order", nd->id);
        if (nd->has_profile && !(nd->profile.mean >= 0))
            fuzz_fail("a profile with a negative or NaN mean", nd->id);
        if (nd->volatile_s < 0 && nd->volatile_s != -1.0)
            fuzz_fail("a negative volatile_s other than 'absent'", nd->id);
    }
    free(rank);
}

static void check_pool(const fx_arch *a, uint32_t p)
{
    const fx_pool *pool = &a->pools[p];
    if (pool->servers < 1 || pool->servers > 1000000 || !(pool->cost_per_hour >= 0) ||
        !isfinite(pool->cost_per_hour) || !(pool->speed > 0) || !isfinite(pool->speed))
        fuzz_fail("a pool with servers, cost or speed out of range", pool->id);
    if (pool->partitions < 1 || pool->partitions > FX_ARCH_PARTITIONS_MAX || pool->retries > 100)
        fuzz_fail("a pool with partitions or retries out of range", pool->id);
    if (pool->mtbf_s < 0 || (pool->mtbf_s > 0 && !(pool->mttr_s > 0)))
        fuzz_fail("a pool with failures but no repairs", pool->id);
    for (uint32_t k = 0; k < pool->nnodes; k++)
        if (pool->nodes[k] >= a->svc->nnodes || a->node_pool[pool->nodes[k]] != p)
            fuzz_fail("a node hosted by two pools", pool->id);
    if (pool->partition_by == FX_PART_RANGE)
        for (unsigned k = 1; k + 1 < pool->partitions; k++)
            if (pool->splits[k] <= pool->splits[k - 1])
                fuzz_fail("split points out of order", pool->id);
    for (size_t k = 0; k < pool->nlookup; k++)
        if (pool->lookup_parts[k] >= pool->partitions ||
            (k && pool->lookup_keys[k] < pool->lookup_keys[k - 1]))
            fuzz_fail("a lookup table out of order or out of range", pool->id);
    static const char *const probes[] = {"94110", "10001", "paris", "", "18446744073709551615"};
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++)
        if (fx_pool_partition(pool, fx_partition_key(probes[k], strlen(probes[k]))) >=
            pool->partitions)
            fuzz_fail("a key sent to a partition that does not exist", pool->id);
}

static void check_arch(const fx_arch *a)
{
    check_service(a->svc);
    if (a->npools < 1 || a->npools > FX_ARCH_POOLS_MAX || !a->name[0])
        fuzz_fail("an architecture with a pool count out of range or no name", a->name);
    uint32_t hosted = 0;
    for (uint32_t p = 0; p < a->npools; p++) {
        check_pool(a, p);
        hosted += a->pools[p].nnodes;
    }
    if (hosted != a->svc->nnodes)
        fuzz_fail("a node hosted by no pool", a->name);
    for (uint32_t c = 0; c < a->ncaches; c++) {
        const fx_cache_cfg *cc = &a->caches[c];
        if (cc->from >= a->svc->nnodes || cc->to >= a->svc->nnodes || cc->pool >= a->npools ||
            cc->capacity_bytes < 1 || !cc->policy || cc->ttl < 0 || !(cc->cost_per_gb_hour >= 0))
            fuzz_fail("a cache with a node, pool, capacity, policy or TTL out of range", cc->id);
    }
    for (uint32_t k = 0; k < a->nprecompute; k++) {
        const fx_precompute_cfg *job = &a->precompute[k];
        if (job->cache >= a->ncaches || job->period < 1000000 || job->top_k < 1 ||
            job->top_k > 1000000)
            fuzz_fail("a precompute job with a cache, period or top_k out of range", a->name);
    }
    double cost = fx_arch_cost(a);
    if (!(cost >= 0))
        fuzz_fail("a negative or NaN cost", a->name);
    if (a->bandwidth_mbps < 0 || !isfinite(a->bandwidth_mbps))
        fuzz_fail("a bandwidth out of range", a->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (reaches_outside(data, size))
        return -1;
    fuzz_write(path, data, size);

    fx_err e;
    fx_service *svc = NULL;
    fx_status st = fx_service_load(path, &svc, &e);
    if (st == FX_OK) {
        check_service(svc);
        fx_service_free(svc);
    } else {
        if (svc)
            fuzz_fail("fx_service_load failed but returned a service", e.msg);
        fuzz_check_error(st, &e, prefix);
    }

    fx_arch *arch = NULL;
    st = fx_arch_load(path, &arch, &e);
    if (st == FX_OK) {
        check_arch(arch);
        fx_arch_free(arch);
    } else {
        if (arch)
            fuzz_fail("fx_arch_load failed but returned an architecture", e.msg);
        fuzz_check_error(st, &e, prefix);
    }
    return 0;
}
