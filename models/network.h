/* network.h - a candidate architecture as an open queueing network, solved
 * with closed forms and approximations instead of a simulation.
 *
 * Two steps. fx_net_measure reads the trace once and keeps only sums
 * (memory independent of the trace's length, except the caches' miss-ratio
 * curves, which hold one entry per distinct key): the requests and their
 * span, per node the visits and the first two moments of its demand (the
 * trace's value, or the profile's mean and scv when a line lacks the node),
 * the mean output bytes, per cache the LRU hits at its capacity (traces/
 * mrc.h, the requests a hit spares skip the cached nodes), how the visits
 * spread over a partitioned pool's partitions, and how often each
 * combination of cache outcomes happens. fx_net_solve then solves the
 * network for a rate scale in microseconds, so what-if questions over the
 * load need one pass over the trace.
 *
 * The models (doc/analyze.part.md has the formulas and their measured
 * errors):
 *  - arrival rate lambda = rate_scale * (requests - 1) / span; every job
 *    class is Poisson (the superposition and thinning of Poisson streams);
 *  - per partition of a pool: jobs at the rates measured, service moments
 *    mixed over the nodes and cache lookups it hosts, divided by the speed
 *    and by the availability MTBF / (MTBF + MTTR) when servers fail;
 *  - FCFS: shared, M/M/c by Erlang C when the service scv is within 0.05
 *    of 1, else M/G/c by Allen-Cunneen, Wq = Wq(M/M/c) (1 + cs^2) / 2;
 *    random, c M/G/1 queues at lambda/c (Pollaczek-Khinchine, exact for
 *    Poisson); round-robin, c E_c/G/1 queues, ca^2 = 1/c (Kingman);
 *    jsq and p2c, between shared and random (a fit, see the guide);
 *  - PS: shared, the M/M/c response (the symmetric queue is insensitive);
 *    random and round-robin, M/G/1-PS per server, E[S] / (1 - rho);
 *  - end to end: the mean-value critical path of the DAG (the maximum of
 *    the branches' means at a join, a lower bound), with network hops
 *    (hop mean + bytes * 8 / bandwidth), over the synchronous nodes only,
 *    per combination of cache outcomes, mixed by their frequencies;
 *  - p99: a two-moment lognormal per combination of cache outcomes along
 *    its critical path, mixed, solved for the 0.99 point (p99_method).
 * A pool whose load reaches its capacity (utilization / availability >= 1)
 * is saturated: it is named, and its waits and the latency are NAN. The
 * model is of a steady state at the mean rate: the rate per quarter of the
 * trace (peak_ratio) says how far the trace is from one.
 *
 * Ownership: fx_net_load and fx_net_result own their arrays; the result's
 * strings point into the architecture or are static.
 */
#ifndef FX_NETWORK_H
#define FX_NETWORK_H

#include <stdint.h>

#include "models/arch.h"
#include "sim/station.h"
#include "sim/tier.h"
#include "traces/trace.h"

/* Caches whose joint outcomes are counted (2^12 combinations); beyond, the
 * latency mixes each cache's outcomes into its mean. */
#define FX_NET_OUTCOME_CACHES 12

/* Windows of arrival counts kept to see whether the rate changes. */
#define FX_NET_WINDOWS 1024

/* ---- one station ------------------------------------------------------------ */

/* One partition of a pool: C servers fed by Poisson arrivals. */
typedef struct fx_net_station {
    double lambda;            /* arrivals per second */
    double es;                /* mean service time, seconds, at the pool's speed */
    double scv;               /* squared coefficient of variation of service */
    unsigned servers;         /* >= 1 */
    fx_discipline discipline; /* FX_FCFS or FX_PS */
    fx_balancer balancer;
    double availability; /* in (0, 1]; 1 without failures */
} fx_net_station;

typedef struct fx_net_perf {
    double utilization; /* lambda es / servers: work over installed capacity */
    int saturated;      /* utilization / availability >= 1 */
    double p_wait;      /* probability that a job waits (or shares a server) */
    double wait;        /* mean response minus es, seconds; NAN when saturated */
    double wait2;       /* second moment of that wait (model: 0 or exponential) */
    double response;    /* mean response, seconds */
    const char *model;  /* the formula used, e.g. "M/M/c (Erlang C)" */
} fx_net_perf;

/* Solve one station (see the models above). */
void fx_net_station_solve(const fx_net_station *st, fx_net_perf *out);

/* ---- the workload a trace shows ---------------------------------------------- */

typedef struct fx_net_node_load {
    uint64_t visits; /* requests that ran the node (a cache hit spares it) */
    uint64_t traced; /* visits whose line gave the demand */
    double s1, s2;   /* sums over visits of the demand (ns) and its square */
    double bytes;    /* sum over all requests of its output bytes */
    uint64_t *part;  /* visits per partition of its pool, or NULL (uniform) */
} fx_net_node_load;

typedef struct fx_net_cache_load {
    uint64_t lookups, hits; /* LRU model at the cache's capacity */
    uint64_t *part;         /* lookups per partition of its pool, or NULL */
} fx_net_cache_load;

typedef struct fx_net_load {
    uint64_t requests;
    fx_time first, last; /* arrival times of the first and last request */
    fx_net_node_load *nodes;
    uint32_t nnodes;
    fx_net_cache_load *caches;
    uint32_t ncaches;
    uint64_t *outcomes;     /* per mask of cache hits (bit c: cache c hit), when
                               ncaches <= FX_NET_OUTCOME_CACHES; else NULL */
    uint64_t distinct_keys; /* over all caches' miss-ratio curves */
    double wall_s;          /* time the pass took */
    /* Arrivals per window of WINDOW ns from the first arrival: the width
     * doubles (pairs merge) whenever the trace outgrows the windows. */
    uint64_t windows[FX_NET_WINDOWS];
    fx_time window;
} fx_net_load;

/* A zeroed load for ARCH (partition counts for partitioned pools, outcome
 * counts when there are few caches). */
fx_status fx_net_load_alloc(const fx_arch *arch, fx_net_load **out, fx_err *e);
void fx_net_load_free(fx_net_load *load);

/* Read TRACE (opened with ARCH's node ids) to its end into a new load. A
 * line that lacks a node without a profile is an error, as in a replay. */
fx_status fx_net_measure(const fx_arch *arch, fx_trace_reader *trace, fx_net_load **out, fx_err *e);

/* ---- the solution ------------------------------------------------------------ */

typedef struct fx_net_pool_result {
    const char *id;
    unsigned servers; /* in all partitions */
    unsigned partitions;
    const char *model;
    double arrival_rps;     /* jobs per second, all partitions */
    double mean_service_ms; /* per job, at the pool's speed */
    double scv;             /* of a job's service time */
    double availability;
    double utilization;     /* mean over partitions of work / capacity; may be >= 1 */
    int saturated;          /* some partition is */
    double mean_wait_ms;    /* per job: response minus service; NAN when saturated */
    double mean_queue;      /* jobs waiting, all partitions (Little); NAN when saturated */
    double *partition_util; /* per partition */
} fx_net_pool_result;

typedef struct fx_net_cache_result {
    const char *id;
    const char *policy;
    uint64_t capacity_bytes;
    uint64_t lookups, hits;
    double hit_ratio;
    int lru_model; /* 0: the policy is not LRU; its LRU curve stands in */
} fx_net_cache_result;

typedef struct fx_net_result {
    uint64_t requests;
    double rate_scale;
    double arrival_rps;
    double rate_by_quarter_rps[4]; /* the rate (scaled) in each quarter of the span */
    double peak_ratio;             /* the busiest quarter's rate over the mean */
    double latency_mean_ms;        /* NAN when a pool is saturated */
    double latency_p99_ms;         /* idem */
    const char *p99_method;
    uint32_t saturated; /* pools saturated */
    double cost_per_hour;
    fx_net_pool_result *pools;
    uint32_t npools;
    fx_net_cache_result *caches;
    uint32_t ncaches;
    double *node_response_ms; /* per node, mean response at its pool */
    double *node_visits;      /* per node, visits per request */
    uint32_t nnodes;
    double solve_s;
} fx_net_result;

/* Solve ARCH under LOAD with arrivals RATE_SCALE times as frequent. Fails
 * (FX_EINVAL) when the load has fewer than two requests or a zero span. */
fx_status fx_net_solve(const fx_arch *arch, const fx_net_load *load, double rate_scale,
                       fx_net_result *res, fx_err *e);

void fx_net_result_free(fx_net_result *res);

/* The p99 method's name, as results report it. */
extern const char fx_net_p99_method[];

#endif
