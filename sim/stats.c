#include "sim/stats.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

double fx_moments_mean(const fx_moments *m)
{
    return m->n ? m->shift + m->s1 / (double)m->n : 0.0;
}

double fx_moments_var(const fx_moments *m)
{
    if (m->n < 2)
        return 0.0;
    double n = (double)m->n;
    double v = (m->s2 - m->s1 * m->s1 / n) / (n - 1);
    return v > 0 ? v : 0.0;
}

void fx_hist_clear(fx_hist *h)
{
    memset(h, 0, sizeof *h);
}

void fx_hist_bucket(size_t i, int64_t *lo, int64_t *width)
{
    if (i < 2 * FX_HIST_SUB) {
        *lo = (int64_t)i;
        *width = 1;
        return;
    }
    size_t k = i - 2 * FX_HIST_SUB;
    int shift = (int)(k / FX_HIST_SUB) + 1;
    int64_t mant = (int64_t)(k % FX_HIST_SUB) + FX_HIST_SUB;
    *lo = mant << shift;
    *width = (int64_t)1 << shift;
}

double fx_hist_quantile(const fx_hist *h, double q)
{
    if (h->n == 0)
        return 0.0;
    if (q >= 1.0)
        return (double)h->max;
    if (q < 0.0)
        q = 0.0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->n);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < FX_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t lo, width;
            fx_hist_bucket(i, &lo, &width);
            double v = width == 1 ? (double)lo : (double)lo + (double)(width - 1) / 2.0;
            if (v < (double)h->min)
                v = (double)h->min;
            if (v > (double)h->max)
                v = (double)h->max;
            return v;
        }
    }
    return (double)h->max;
}

void fx_hist_merge(fx_hist *a, const fx_hist *b)
{
    if (b->n == 0)
        return;
    if (a->n == 0 || b->min < a->min)
        a->min = b->min;
    if (a->n == 0 || b->max > a->max)
        a->max = b->max;
    a->n += b->n;
    for (size_t i = 0; i < FX_HIST_BUCKETS; i++)
        a->counts[i] += b->counts[i];
}

void fx_batch_init(fx_batch *b)
{
    memset(b, 0, sizeof *b);
    b->size = 1;
}

void fx_batch_close(fx_batch *b)
{
    b->sums[b->nbatches++] = b->current;
    b->current = 0;
    b->in_current = 0;
    if (b->nbatches == 2 * FX_BATCH_MAX) {
        for (size_t i = 0; i < FX_BATCH_MAX; i++)
            b->sums[i] = b->sums[2 * i] + b->sums[2 * i + 1];
        b->nbatches = FX_BATCH_MAX;
        b->size *= 2;
    }
}

size_t fx_batch_ci(const fx_batch *b, double level, double *mean, double *half)
{
    size_t k = b->nbatches;
    if (k == 0) {
        *mean = 0;
        *half = INFINITY;
        return 0;
    }
    double m = 0;
    for (size_t i = 0; i < k; i++)
        m += b->sums[i] / (double)b->size;
    m /= (double)k;
    *mean = m;
    if (k < 2) {
        *half = INFINITY;
        return k;
    }
    double ss = 0;
    for (size_t i = 0; i < k; i++) {
        double d = b->sums[i] / (double)b->size - m;
        ss += d * d;
    }
    double s = sqrt(ss / (double)(k - 1));
    double t = gsl_cdf_tdist_Pinv(0.5 + level / 2.0, (double)(k - 1));
    *half = t * s / sqrt((double)k);
    return k;
}

double fx_tw_mean(const fx_tw *w, fx_time now)
{
    if (now <= w->start)
        return 0.0;
    double area = w->area + w->value * (double)(now - w->last);
    return area / (double)(now - w->start);
}
