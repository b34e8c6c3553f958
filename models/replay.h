/* replay.h - replay a trace against an architecture.
 *
 * Requests arrive at their trace times divided by the rate scale and flow
 * through the service's DAG: a node starts when all its predecessors have
 * finished (fan-out runs branches in parallel, a join waits for all), queues
 * at the pool hosting it for its demand from the trace (or a draw from its
 * profile when the line lacks the node) divided by the pool's speed, and
 * every edge between two pools pays the network: a hop latency plus the
 * upstream output's bytes at the configured bandwidth. A request's response
 * is complete when every node it reaches through synchronous edges has
 * finished; work behind an asynchronous edge still runs and loads its pool.
 *
 * Caches: when a request reaches the first node of a cached subgraph, a
 * lookup (its demand drawn from the cache's lookup spec) queues at the
 * cache's pool; a hit skips the subgraph and hands the stored output to
 * what follows (paying the network from the cache's pool), a miss runs the
 * subgraph and stores its last node's output when that finishes. The key is
 * the request's key when the subgraph starts at the entry, else the output
 * hash of the first node's predecessors. A node whose trace line gives no
 * output hash is taken to output a function of the request key. A hit whose
 * stored hash differs from the one the trace records is stale.
 *
 * Pools are tiers (sim/tier.h): partitions chosen by the key of the node's
 * input, a balancer within, and failing servers; a job out of retries fails
 * its request, whose remaining nodes then complete without work.
 *
 * The trace is read as a stream, one request ahead of the simulation, and
 * request state comes from a free list: memory grows with the requests in
 * flight, never with the trace's length. Random streams: "profile:NODE" for
 * demands drawn from profiles, "network" for hop latencies, "cache:ID" for
 * lookup demands, and the tiers' own (sim/tier.h).
 */
#ifndef FX_REPLAY_H
#define FX_REPLAY_H

#include <stdint.h>

#include "models/arch.h"
#include "sim/stats.h"
#include "traces/trace.h"

typedef struct fx_replay_opts {
    double rate_scale; /* arrival times are divided by this; > 0 (0 means 1) */
    fx_time warmup;    /* requests arriving before this are not measured */
    uint64_t seed;
    /* Called with each measured request's latency (ns), in completion order. */
    void (*on_latency)(void *ctx, fx_time latency);
    /* Called every 65536 requests read, with the count so far. */
    void (*on_progress)(void *ctx, uint64_t requests);
    void *ctx;
    /* Take the general way for every request, even where a shortcut gives
     * the same result (a whole-request cache's hits): for tests. */
    int no_shortcuts;
} fx_replay_opts;

typedef struct fx_pool_result {
    const char *id;   /* points into the architecture */
    unsigned servers; /* in all partitions */
    unsigned partitions;
    double utilization;
    double mean_queue;   /* time-averaged jobs waiting */
    double mean_wait_ms; /* per visit: time not in service */
    uint64_t visits;     /* jobs served (node executions, cache lookups) */
    double availability; /* up server-time / server-time; 1 without failures */
    int has_failures;
    double *partition_util; /* per partition */
} fx_pool_result;

typedef struct fx_cache_result {
    const char *id; /* points into the architecture */
    uint64_t hits, misses, evictions, stale_hits, expirations;
    uint64_t refreshes; /* entries refreshed by precompute jobs */
    double hit_ratio;
} fx_cache_result;

typedef struct fx_replay_result {
    uint64_t requests; /* measured requests (arrived after warm-up) */
    uint64_t completed;
    uint64_t failed;
    uint64_t dropped;
    uint64_t stale_responses;
    uint64_t total_requests; /* all requests read, warm-up included */
    fx_moments latency;      /* ns */
    fx_hist *hist;           /* latency, ns */
    fx_batch batch;          /* batch means of latency */
    double throughput_rps;
    double cost_per_hour;
    double elapsed_s;      /* measured span of simulated time */
    double mean_in_flight; /* time-averaged requests in the system */
    fx_pool_result *pools; /* one per pool, in the architecture's order */
    uint32_t npools;
    fx_cache_result *caches; /* one per cache */
    uint32_t ncaches;
    uint64_t events;
    double wall_s;
    uint64_t seed;
    uint64_t peak_in_flight;   /* most requests in the system at once */
    uint64_t answered_at_once; /* hits of a whole-request cache taken by the shortcut
                                  (warm-up included; not in the result documents) */
} fx_replay_result;

/* Replay TRACE (opened with the architecture's node ids) against ARCH.
 * Fills RES, released with fx_replay_result_free. An error in the trace
 * stops the replay and is returned with its FILE:LINE. The trace is read
 * ahead in blocks (fx_trace_read_ahead), in this thread unless the caller
 * started the reader's thread before. */
fx_status fx_replay_run(const fx_arch *arch, fx_trace_reader *trace, const fx_replay_opts *opts,
                        fx_replay_result *res, fx_err *e);

void fx_replay_result_free(fx_replay_result *res);

#endif
