/* dist.h - service-time and inter-arrival distributions from spec strings.
 *
 * A spec names a family and its parameters; every duration carries a unit
 * (ns, us, ms, s, min, h):
 *
 *   exp:10ms                        exponential with mean 10 ms
 *   det:2ms                         constant
 *   uniform:1ms,5ms                 uniform on [1 ms, 5 ms]
 *   lognormal:mean=5ms,cv=2         lognormal by mean and coefficient of variation
 *   gamma:mean=5ms,cv=0.5           gamma by mean and cv
 *   weibull:shape=1.5,scale=4ms     Weibull (or shape=K,mean=X)
 *   pareto:alpha=1.5,min=1ms        Pareto (type I) with scale min
 *   hyperexp:mean=5ms,cv=3          two-phase hyperexponential, balanced means
 *   hyperexp:p=0.1,mean1=50ms,mean2=1ms   or given explicitly
 *   empirical:FILE                  samples, one per line, or "VALUE WEIGHT" rows
 *   empirical:FILE,unit=us          bare numbers in FILE are in this unit
 *
 * Draws are durations in integer nanoseconds, rounded, never negative.
 * Ownership: fx_dist_parse fills a caller-owned fx_dist; fx_dist_free releases
 * what it allocated (empirical tables) and leaves the struct reusable.
 */
#ifndef FX_DIST_H
#define FX_DIST_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sim/error.h"
#include "sim/time.h"

typedef enum fx_dist_kind {
    FX_DIST_EXP,
    FX_DIST_DET,
    FX_DIST_UNIFORM,
    FX_DIST_LOGNORMAL,
    FX_DIST_GAMMA,
    FX_DIST_WEIBULL,
    FX_DIST_PARETO,
    FX_DIST_HYPEREXP,
    FX_DIST_EMPIRICAL
} fx_dist_kind;

typedef struct fx_dist {
    fx_dist_kind kind;
    double p[4];               /* family parameters, durations in ns (see dist.c) */
    double mean;               /* exact mean in ns */
    double scv;                /* squared coefficient of variation (INFINITY if none) */
    double *values;            /* empirical: sample or row values in ns */
    size_t nvalues;            /* empirical: count of values */
    gsl_ran_discrete_t *table; /* empirical with weights: alias table */
} fx_dist;

/* Parse SPEC into D. On error fills E with what was expected and found. */
fx_status fx_dist_parse(const char *spec, fx_dist *d, fx_err *e);

/* Release what D holds. Safe on a zeroed or already freed fx_dist. */
void fx_dist_free(fx_dist *d);

/* One draw in nanoseconds. */
fx_time fx_dist_sample(const fx_dist *d, gsl_rng *r);

/* Describe D back as a canonical spec string into BUF. */
const char *fx_dist_format(const fx_dist *d, char *buf, size_t len);

/* One row per family for `fluxosim list distributions`. */
typedef struct fx_dist_family {
    const char *name;
    const char *syntax;
    const char *summary;
} fx_dist_family;

/* NULL-terminated by a row with name NULL. */
extern const fx_dist_family fx_dist_families[];

#endif
