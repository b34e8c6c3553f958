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

#include "models/json.h"

static const char *const arch_keys[] = {"name", "service", "pools", "network", NULL};
static const char *const pool_keys[] = {"id",    "nodes",      "servers", "cost_per_hour",
                                        "speed", "discipline", NULL};
static const char *const network_keys[] = {"hop", "bandwidth_mbps", NULL};

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
    fx_status st = fx_json_array(v, "nodes", true, 1, SIZE_MAX, "node id", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    pool->nodes = malloc(n * sizeof *pool->nodes);
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
    int d = 0;
    if (st == FX_OK)
        st = fx_json_choice(v, "discipline", false, discipline_names, p, &d, e);
    pool->discipline = disciplines[d];
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
    fx_jpath_pop(p, mark);
    return st;
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
        free(arch->pools[i].id);
        free(arch->pools[i].nodes);
    }
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
        cost += arch->pools[i].servers * arch->pools[i].cost_per_hour;
    return cost;
}
