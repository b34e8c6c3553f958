/* arch.h - an architecture (a candidate): how a service is deployed.
 *
 *   { "name": "cand2", "service": "weather.service.json",
 *     "pools": [ {"id": "web", "nodes": ["parse", "render", "log"],
 *                 "servers": 4, "cost_per_hour": 0.10, "speed": 1,
 *                 "discipline": "fcfs"}, ... ],
 *     "network": {"hop": "lognormal:mean=300us,cv=0.5", "bandwidth_mbps": 1000} }
 *
 * "service" is a path relative to the architecture file, or the service
 * object itself. Every node is hosted by exactly one pool. The network is
 * paid on every edge between nodes of two different pools: a hop latency
 * drawn from "hop" plus the transfer time of the upstream node's output at
 * "bandwidth_mbps" (none when absent).
 *
 * The transformations (doc/formats.md has every key): per pool a balancer,
 * partitions and failures; "caches" over valid subgraphs (models/
 * transform.h); "async_edges" the response does not wait for; "precompute"
 * jobs that refresh a cache's hot keys.
 *
 * Ownership: the architecture owns its service and everything else.
 */
#ifndef FX_ARCH_H
#define FX_ARCH_H

#include <stdint.h>

#include "models/cache.h"
#include "models/service.h"
#include "sim/dist.h"
#include "sim/station.h"
#include "sim/tier.h"

#define FX_ARCH_POOLS_MAX      256
#define FX_ARCH_PARTITIONS_MAX 4096
#define FX_ARCH_CACHES_MAX     255

typedef enum fx_partition_by { FX_PART_HASH, FX_PART_RANGE, FX_PART_LOOKUP } fx_partition_by;

typedef struct fx_pool {
    char *id;
    uint32_t *nodes; /* node indices it hosts (none for a cache pool) */
    uint32_t nnodes;
    unsigned servers;         /* per partition, >= 1 */
    double cost_per_hour;     /* per server, >= 0 */
    double speed;             /* > 0, default 1 */
    fx_discipline discipline; /* FX_FCFS or FX_PS */
    fx_balancer balancer;     /* default FX_BAL_SHARED */
    unsigned partitions;      /* >= 1 */
    fx_partition_by partition_by;
    uint64_t *splits;       /* range: partitions - 1 ascending split points */
    uint64_t *lookup_keys;  /* lookup: sorted keys ... */
    unsigned *lookup_parts; /* ... and their partitions */
    size_t nlookup;
    char *lookup_path;     /* lookup: the file they came from */
    double mtbf_s, mttr_s; /* failures; mtbf_s 0: none */
    unsigned retries;
    int has_retry_after;
    fx_dist retry_after;
} fx_pool;

/* A cache over the subgraph FROM..TO (see models/transform.h). */
typedef struct fx_cache_cfg {
    char *id;
    uint32_t from, to;
    uint32_t pool; /* where lookups queue */
    uint64_t capacity_bytes;
    const fx_cache_policy *policy;
    fx_time ttl; /* 0: none */
    int has_lookup;
    fx_dist lookup; /* demand of one lookup */
    double cost_per_gb_hour;
} fx_cache_cfg;

/* Refresh the TOP_K most requested keys of a cache every PERIOD. */
typedef struct fx_precompute_cfg {
    uint32_t cache;
    fx_time period;
    uint32_t top_k;
} fx_precompute_cfg;

typedef struct fx_arch {
    char *name;
    char *path;
    fx_service *svc;
    fx_pool *pools;
    uint32_t npools;
    uint32_t *node_pool; /* per service node: the pool hosting it */
    int has_hop;
    fx_dist hop;           /* latency of one hop between pools */
    double bandwidth_mbps; /* 0: transfers take no time */
    fx_cache_cfg *caches;
    uint32_t ncaches;
    uint32_t *node_cache; /* per node: the cache starting there, or UINT32_MAX */
    uint8_t **async;      /* async[n][i]: node n's i-th successor edge is asynchronous */
    fx_precompute_cfg *precompute;
    uint32_t nprecompute;
} fx_arch;

/* Load and validate an architecture file and its service. Errors as in
 * service.h, with JSON paths such as "pools[2].servers". */
fx_status fx_arch_load(const char *path, fx_arch **out, fx_err *e);

void fx_arch_free(fx_arch *arch);

/* Total cost per hour: the sum over pools of their servers (partitions
 * times servers) times cost_per_hour, plus each cache's capacity in GB
 * times its cost_per_gb_hour. */
double fx_arch_cost(const fx_arch *arch);

/* The partition of POOL for a job whose input key is KEY. */
unsigned fx_pool_partition(const fx_pool *pool, uint64_t key);

/* The partition key of a request key: its value when it is a decimal
 * integer (a ZIP code, an id), else its fx_hash_str. Lookup files use the
 * same mapping, and "0x..." for hexadecimal output hashes. */
uint64_t fx_partition_key(const char *key, size_t len);

#endif
