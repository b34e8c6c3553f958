/* gen.h - synthetic traces: requests drawn from a service's profiles.
 *
 * A generator produces the requests of a trace one at a time, in arrival
 * order, in constant memory (fx_gen_next), or streams them into a trace file
 * (fx_gen_write). Two kinds:
 *
 * - generic (fx_gen_alloc): any service. Arrivals are "poisson:RATE" (RATE
 *   requests per second) or any inter-arrival distribution spec of
 *   sim/dist.h; keys are "zipf:ALPHA,N" (rank k in 1..N with probability
 *   proportional to k^-ALPHA) or "uniform:N". A key is written as its rank
 *   in decimal: "1" is the most popular key.
 *
 * - weather (fx_gen_weather_alloc): the weather example service (nodes
 *   parse, geocode, forecast, render, log), keyed by 5-digit ZIP codes, with
 *   the content semantics of that service: geocode maps a ZIP to one of 500
 *   forecast cells, so its output repeats across ZIP codes (see
 *   examples/weather/README.md and fx_weather_workload below).
 *
 * What a generated line holds, per node:
 * - the demand: a draw from the node's profile (a node without a profile is
 *   an error), in whole microseconds, as a trace stores it;
 * - the output hash: a function of the node and the request's content only
 *   (generic: the key; weather: see below), never of the seed, so that the
 *   same key gives the same output in every trace. A node with volatile_s > 0
 *   changes its output every volatile_s seconds of trace time: its hash also
 *   depends on the epoch floor((t + phase) / volatile_s), where the phase is
 *   a function of the node and the content, so that different keys update
 *   at different moments. With volatile_s == 0 every request's output is new;
 *   without volatile_s it never changes;
 * - the output size, when the node has out_bytes: a size in
 *   [3/4, 5/4] x out_bytes that is a function of the output hash (the same
 *   output always has the same size), out_bytes on average.
 *
 * Random streams (sim/pcg.h), from the master seed: "gen:arrivals" (times),
 * "gen:keys" (keys) and "gen:node:ID" (the demands of node ID): the same
 * seed gives the same trace, bit for bit, and adding a node to the service
 * changes nothing else.
 *
 * Ownership: a generator borrows its service, which must outlive it; the
 * record fx_gen_next fills points into the generator.
 */
#ifndef FX_GEN_H
#define FX_GEN_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/service.h"
#include "sim/dist.h"
#include "sim/error.h"
#include "traces/trace.h"

/* Largest key population (zipf or uniform N). */
#define FX_KEYS_MAX 4294967295ull

/* Largest number of requests in one generated trace. */
#define FX_GEN_REQUESTS_MAX 1000000000000ull

/* ---- keys ------------------------------------------------------------------ */

typedef enum fx_keys_kind { FX_KEYS_UNIFORM, FX_KEYS_ZIPF } fx_keys_kind;

/* A distribution of key ranks over 1..n. Zipf draws use rejection-inversion
 * (Hörmann and Derflinger, 1996): constant memory and time per draw for any
 * n, about 1.1 uniforms per draw. */
typedef struct fx_keys {
    fx_keys_kind kind;
    uint64_t n;
    double alpha;               /* zipf exponent, > 0 */
    double h_x1, h_n, s_reject; /* zipf: rejection-inversion constants */
} fx_keys;

/* Parse "zipf:ALPHA,N" (ALPHA > 0, at most 100) or "uniform:N" (N from 1 to
 * FX_KEYS_MAX). */
fx_status fx_keys_parse(const char *spec, fx_keys *k, fx_err *e);

/* Set K to zipf over 1..N with exponent ALPHA (> 0); no checks. */
void fx_keys_zipf(fx_keys *k, double alpha, uint64_t n);

/* One rank in 1..k->n. */
uint64_t fx_keys_draw(const fx_keys *k, gsl_rng *r);

/* ---- arrivals -------------------------------------------------------------- */

/* Parse "poisson:RATE" (RATE > 0 requests per second: exponential
 * inter-arrival times of mean 1/RATE) or an inter-arrival distribution spec
 * into D (release with fx_dist_free). */
fx_status fx_arrivals_parse(const char *spec, fx_dist *d, fx_err *e);

/* ---- generators ------------------------------------------------------------ */

typedef struct fx_gen fx_gen; /* opaque */

/* What a generic generator draws. */
typedef struct fx_gen_spec {
    const char *arrivals; /* "poisson:RATE" or an inter-arrival spec */
    const char *keys;     /* "zipf:ALPHA,N" or "uniform:N" */
    uint64_t requests;    /* 1 to FX_GEN_REQUESTS_MAX */
    uint64_t seed;
} fx_gen_spec;

/* A generic generator over SVC. Errors: a bad spec or count (FX_EINVAL,
 * naming the option), a node without a profile (FX_EINVAL, naming the
 * service file and the node). */
fx_status fx_gen_alloc(const fx_service *svc, const fx_gen_spec *spec, fx_gen **out, fx_err *e);

/* The weather workloads. All three share the service's semantics:
 *   key        a 5-digit ZIP code;
 *   parse      hash = f(zip);
 *   geocode    hash = f(cell), cell = zip / 200: 500 forecast cells;
 *   forecast   hash = f(cell, epoch of its volatility);
 *   render     hash = f(forecast hash, zip);
 *   log        no hash (a side effect).
 * and differ in their keys and arrivals:
 *   popular    zipf 1.1 over 5,000 ZIP codes (the top 300 carry about
 *              three quarters of the requests); Poisson at RATE;
 *   longtail   zipf 0.2 over 40,000 ZIP codes (nearly uniform); Poisson at
 *              RATE;
 *   storm      the keys of popular; forecast changes every 60 s whatever the
 *              service says; a Poisson process whose rate climbs linearly
 *              from 0.4 RATE to 1.6 RATE (1x to 4x) over the trace, RATE on
 *              average. */
typedef enum fx_weather_workload {
    FX_WEATHER_POPULAR,
    FX_WEATHER_LONGTAIL,
    FX_WEATHER_STORM
} fx_weather_workload;

/* The names of the workloads, by enum value, NULL-terminated. */
extern const char *const fx_weather_workloads[];

/* The default RATE of the weather workloads, requests per second. */
#define FX_WEATHER_RATE 200.0

/* The forecast update period of the storm workload, seconds. */
#define FX_WEATHER_STORM_PERIOD_S 60.0

/* A weather generator over SVC, which must have the nodes parse, geocode,
 * forecast, render and log, each with a profile. RATE > 0 in requests per
 * second (FX_WEATHER_RATE is the example's design point). */
fx_status fx_gen_weather_alloc(const fx_service *svc, fx_weather_workload w, uint64_t requests,
                               double rate, uint64_t seed, fx_gen **out, fx_err *e);

/* The next request into REC: 1, or 0 when all requests have been produced.
 * REC's key and fields stay valid until the next call. Its fields list the
 * nodes in the service's order, every node once. */
int fx_gen_next(fx_gen *g, fx_trace_rec *rec);

/* Write the remaining requests to PATH ("-" is stdout; ".gz" compresses)
 * through the trace writer: atomically, PATH is untouched on failure. */
fx_status fx_gen_write(fx_gen *g, const char *path, fx_err *e);

/* Free G; fx_gen_free(NULL) does nothing. */
void fx_gen_free(fx_gen *g);

#endif
