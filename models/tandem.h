/* tandem.h - an open network of stations in series, fed by one source.
 *
 * The textbook models (M/M/1, M/M/c, M/G/1, M/M/c/K, processor sharing,
 * Jackson tandems) are all instances: customers arrive with i.i.d.
 * inter-arrival times, visit each stage in order, draw a fresh service demand
 * at each from that stage's distribution, and leave. A customer refused by a
 * full stage is dropped. `fluxosim queue`, the theory tests and the engine
 * benchmark run this model.
 *
 * Random streams: "arrivals" for inter-arrival times and "service:NAME" per
 * stage, all under the spec's seed.
 */
#ifndef FX_TANDEM_H
#define FX_TANDEM_H

#include <stddef.h>
#include <stdint.h>

#include "sim/dist.h"
#include "sim/station.h"
#include "sim/stats.h"

typedef struct fx_tandem_stage {
    fx_station_config station;
    fx_dist service;
} fx_tandem_stage;

typedef struct fx_tandem_spec {
    fx_dist arrivals; /* inter-arrival times */
    size_t nstages;
    fx_tandem_stage *stages;
    uint64_t customers; /* arrivals to generate */
    uint64_t warmup;    /* the first WARMUP arrivals are not measured */
    uint64_t seed;
} fx_tandem_spec;

typedef struct fx_tandem_result {
    uint64_t arrivals;        /* all generated */
    uint64_t completed;       /* measured customers that left the last stage */
    uint64_t dropped;         /* measured customers refused by a stage */
    fx_moments response;      /* ns, measured customers */
    fx_hist *hist;            /* response times, ns */
    fx_batch batch;           /* batch means of response times */
    double mean_present;      /* time-averaged customers in the network (L) */
    double throughput;        /* completions per second */
    double elapsed;           /* measured seconds of simulated time */
    fx_station_stats *stages; /* one per stage */
    uint64_t events;
    double wall_s;
    int time_went_back;   /* an event fired before the one before it */
    uint64_t left_inside; /* customers still present at the end (must be 0) */
} fx_tandem_result;

/* Run SPEC to completion (every generated customer leaves or is dropped).
 * On success fills RES, which the caller releases with fx_tandem_result_free. */
fx_status fx_tandem_run(const fx_tandem_spec *spec, fx_tandem_result *res, fx_err *e);

void fx_tandem_result_free(fx_tandem_result *res);

/* What queueing theory says of SPEC's mean response time, when it has a
 * closed form: Poisson arrivals and, per stage, M/M/c (Erlang C), M/G/1
 * (Pollaczek-Khinchine), M/G/1-PS, M/M/c/K, or an infinite-server delay; in
 * series the stages add up (Jackson). Returns 1 and fills the outputs (ns;
 * BLOCK is the first stage's blocking probability, 0 without a capacity),
 * or 0 when no closed form applies. METHOD names the formula. */
int fx_tandem_theory(const fx_tandem_spec *spec, double *response, double *block,
                     const char **method);
#endif
