/* replay.h - replay a trace against an architecture.
 *
 * Requests arrive at their trace times divided by the rate scale and flow
 * through the service's DAG: a node starts when all its predecessors have
 * finished (fan-out runs branches in parallel, a join waits for all), queues
 * at the pool hosting it for its demand from the trace (or a draw from its
 * profile when the line lacks the node) divided by the pool's speed, and
 * every edge between two pools pays the network: a hop latency plus the
 * upstream output's bytes at the configured bandwidth. A request completes
 * when every node it reaches has finished.
 *
 * The trace is read as a stream, one request ahead of the simulation, and
 * request state comes from a free list: memory grows with the requests in
 * flight, never with the trace's length. Random streams: "profile:NODE" for
 * demands drawn from profiles, "network" for hop latencies.
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
} fx_replay_opts;

typedef struct fx_pool_result {
    const char *id; /* points into the architecture */
    unsigned servers;
    double utilization;
    double mean_queue;   /* time-averaged jobs waiting */
    double mean_wait_ms; /* per visit: time not in service */
    uint64_t visits;     /* node executions completed */
} fx_pool_result;

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
    uint64_t events;
    double wall_s;
    uint64_t seed;
    uint64_t peak_in_flight; /* most requests in the system at once */
} fx_replay_result;

/* Replay TRACE (opened with the architecture's node ids) against ARCH.
 * Fills RES, released with fx_replay_result_free. An error in the trace
 * stops the replay and is returned with its FILE:LINE. */
fx_status fx_replay_run(const fx_arch *arch, fx_trace_reader *trace, const fx_replay_opts *opts,
                        fx_replay_result *res, fx_err *e);

void fx_replay_result_free(fx_replay_result *res);

#endif
