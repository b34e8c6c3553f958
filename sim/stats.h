/* stats.h - streaming statistics in constant memory.
 *
 * fx_moments: count, mean, variance, min and max.
 * fx_hist:    a log-bucketed histogram of non-negative integers (nanoseconds):
 *             values below 256 are exact; above, each power of two is split
 *             into 128 buckets, so a quantile read at a bucket's midpoint is
 *             within 0.4% of a value in that bucket. 7,296 counters in all.
 * fx_batch:   batch means for a confidence interval of a steady-state mean:
 *             at most 2*FX_BATCH_MAX batch sums; when they fill up, pairs are
 *             merged and the batch size doubles.
 * fx_tw:      a time-weighted average of a piecewise constant quantity (queue
 *             length, busy servers).
 */
#ifndef FX_STATS_H
#define FX_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

/* Sums of deviations from the first value (the shift), which keeps the
 * variance accurate without a division per value (Welford's update costs
 * one, and this runs once per simulated request). */
typedef struct fx_moments {
    uint64_t n;
    double shift;
    double s1, s2; /* sums of (x - shift) and its square */
    double min, max;
} fx_moments;

static inline void fx_moments_add(fx_moments *m, double x)
{
    if (m->n == 0) {
        m->shift = x;
        m->min = m->max = x;
    }
    m->n++;
    double d = x - m->shift;
    m->s1 += d;
    m->s2 += d * d;
    if (x < m->min)
        m->min = x;
    if (x > m->max)
        m->max = x;
}

/* Mean; 0 with no values. */
double fx_moments_mean(const fx_moments *m);

/* Sample variance (n - 1 in the denominator); 0 with fewer than two values. */
double fx_moments_var(const fx_moments *m);

#define FX_HIST_SUB_BITS 7
#define FX_HIST_SUB      (1 << FX_HIST_SUB_BITS)
#define FX_HIST_BUCKETS  (2 * FX_HIST_SUB + 55 * FX_HIST_SUB)

typedef struct fx_hist {
    uint64_t n;
    int64_t min, max;
    uint64_t counts[FX_HIST_BUCKETS];
} fx_hist;

static inline size_t fx_hist_index(int64_t v)
{
    uint64_t u = v < 0 ? 0 : (uint64_t)v;
    if (u < 2 * FX_HIST_SUB)
        return (size_t)u;
    int e = 63 - __builtin_clzll(u);
    int shift = e - FX_HIST_SUB_BITS;
    return (size_t)(2 * FX_HIST_SUB + (shift - 1) * FX_HIST_SUB +
                    (int)((u >> shift) - FX_HIST_SUB));
}

/* Add V (clamped to [0, 2^62]). */
static inline void fx_hist_add(fx_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    if (v > ((int64_t)1 << 62))
        v = (int64_t)1 << 62;
    if (h->n == 0 || v < h->min)
        h->min = v;
    if (h->n == 0 || v > h->max)
        h->max = v;
    h->n++;
    h->counts[fx_hist_index(v)]++;
}

void fx_hist_clear(fx_hist *h);

/* Lowest value and width of bucket I. */
void fx_hist_bucket(size_t i, int64_t *lo, int64_t *width);

/* The Q-quantile (0 <= Q <= 1) by the nearest-rank rule: the value of rank
 * ceil(Q*n), read at its bucket's midpoint and clamped to [min, max]. The
 * 1-quantile is the exact maximum. 0 for an empty histogram. */
double fx_hist_quantile(const fx_hist *h, double q);

/* Add the counts of B into A. */
void fx_hist_merge(fx_hist *a, const fx_hist *b);

#define FX_BATCH_MAX 32

typedef struct fx_batch {
    uint64_t size;                 /* observations per batch */
    uint64_t in_current;           /* observations in the open batch */
    double current;                /* sum of the open batch */
    size_t nbatches;               /* closed batches */
    double sums[2 * FX_BATCH_MAX]; /* sums of the closed batches */
} fx_batch;

void fx_batch_init(fx_batch *b);

/* Close the open batch (fx_batch_add does when it is full). */
void fx_batch_close(fx_batch *b);

/* Add X: the open batch's sum, closed when full. Inline, since it runs once
 * per simulated request; the closing is out of line. */
static inline void fx_batch_add(fx_batch *b, double x)
{
    b->current += x;
    if (++b->in_current >= b->size)
        fx_batch_close(b);
}

/* Mean of the closed batches and the half-width of its two-sided LEVEL
 * confidence interval (Student t with nbatches-1 degrees of freedom).
 * Returns the number of batches used; with fewer than two the half-width is
 * INFINITY. */
size_t fx_batch_ci(const fx_batch *b, double level, double *mean, double *half);

typedef struct fx_tw {
    fx_time start; /* start of the measured interval */
    fx_time last;  /* time of the last change */
    double value;  /* current value */
    double area;   /* integral of value over [start, last] */
} fx_tw;

static inline void fx_tw_set(fx_tw *w, fx_time now, double value)
{
    w->area += w->value * (double)(now - w->last);
    w->last = now;
    w->value = value;
}

/* Forget the past: measure from NOW, keeping the current value. */
static inline void fx_tw_reset(fx_tw *w, fx_time now)
{
    w->start = now;
    w->last = now;
    w->area = 0;
}

/* Time average over [start, NOW]; 0 for an empty interval. */
double fx_tw_mean(const fx_tw *w, fx_time now);

#endif
