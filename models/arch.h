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
 * Ownership: the architecture owns its service and everything else.
 */
#ifndef FX_ARCH_H
#define FX_ARCH_H

#include <stdint.h>

#include "models/service.h"
#include "sim/dist.h"
#include "sim/station.h"

#define FX_ARCH_POOLS_MAX 256

typedef struct fx_pool {
    char *id;
    uint32_t *nodes; /* node indices it hosts */
    uint32_t nnodes;
    unsigned servers;         /* >= 1 */
    double cost_per_hour;     /* per server, >= 0 */
    double speed;             /* > 0, default 1 */
    fx_discipline discipline; /* FX_FCFS or FX_PS */
} fx_pool;

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
} fx_arch;

/* Load and validate an architecture file and its service. Errors as in
 * service.h, with JSON paths such as "pools[2].servers". */
fx_status fx_arch_load(const char *path, fx_arch **out, fx_err *e);

void fx_arch_free(fx_arch *arch);

/* Total cost per hour: the sum over pools of servers times cost_per_hour. */
double fx_arch_cost(const fx_arch *arch);

#endif
