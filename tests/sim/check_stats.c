#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "sim/pcg.h"
#include "sim/stats.h"
#include "tests/check.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Quantiles from the histogram against an exact sort of the same values. */
START_TEST(hist_quantiles_within_one_percent)
{
    enum { N = 1000000 };
    int64_t *v = malloc(N * sizeof *v);
    fx_hist *h = calloc(1, sizeof *h);
    gsl_rng *r = fx_rng_alloc(5, 5);
    for (int i = 0; i < N; i++) {
        /* Latencies from microseconds to seconds: lognormal, median 5 ms. */
        v[i] = (int64_t)gsl_ran_lognormal(r, log(5e6), 1.5);
        fx_hist_add(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_i64);
    const double qs[] = {0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        size_t rank = (size_t)ceil(qs[k] * N);
        double exact = (double)v[rank - 1];
        double est = fx_hist_quantile(h, qs[k]);
        ck_assert_msg(fabs(est - exact) <= 0.01 * exact, "q=%g exact=%g hist=%g", qs[k], exact,
                      est);
    }
    ck_assert_int_eq((int64_t)fx_hist_quantile(h, 1.0), v[N - 1]);
    ck_assert_int_eq(h->min, v[0]);
    ck_assert_uint_eq(h->n, N);
    gsl_rng_free(r);
    free(h);
    free(v);
}
END_TEST

START_TEST(hist_small_values_exact_and_buckets_tile)
{
    fx_hist *h = calloc(1, sizeof *h);
    for (int64_t x = 0; x < 200; x++)
        fx_hist_add(h, x);
    ck_assert_double_eq(fx_hist_quantile(h, 0.5), 99.0);
    ck_assert_double_eq(fx_hist_quantile(h, 0.0), 0.0);
    /* Buckets tile the line: each starts where the previous one ends, and
     * every value maps into the bucket that contains it. */
    int64_t prev_end = 0;
    for (size_t i = 0; i < FX_HIST_BUCKETS; i++) {
        int64_t lo, w;
        fx_hist_bucket(i, &lo, &w);
        ck_assert_int_eq(lo, prev_end);
        ck_assert_uint_eq(fx_hist_index(lo), i);
        ck_assert_uint_eq(fx_hist_index(lo + w - 1), i);
        ck_assert(w == 1 || (double)w / (double)lo <= 1.0 / FX_HIST_SUB + 1e-12);
        prev_end = lo + w;
        if (prev_end > ((int64_t)1 << 62))
            break;
    }
    fx_hist_add(h, -5); /* clamped */
    ck_assert_int_eq(h->min, 0);
    fx_hist_add(h, INT64_MAX);
    ck_assert_int_eq(h->max, (int64_t)1 << 62);

    fx_hist *g = calloc(1, sizeof *g);
    fx_hist_add(g, 1000000);
    fx_hist_merge(h, g);
    ck_assert_uint_eq(h->n, 203);
    free(g);
    free(h);
}
END_TEST

START_TEST(moments_match_two_pass)
{
    fx_moments m = {0};
    double xs[] = {4, 7, 13, 16, 1e9 + 4, 1e9 + 7};
    double sum = 0;
    for (int i = 0; i < 6; i++) {
        fx_moments_add(&m, xs[i]);
        sum += xs[i];
    }
    double mean = sum / 6, ss = 0;
    for (int i = 0; i < 6; i++)
        ss += (xs[i] - mean) * (xs[i] - mean);
    ck_assert_double_eq_tol(fx_moments_mean(&m), mean, 1e-6);
    ck_assert_double_eq_tol(fx_moments_var(&m), ss / 5, ss / 5 * 1e-12);
    ck_assert_double_eq(m.min, 4);
    ck_assert_double_eq(m.max, 1e9 + 7);
}
END_TEST

/* Batch means of i.i.d. normal values: the interval covers the true mean and
 * its half-width is close to t * sigma / sqrt(n). Constant memory: at most
 * 2 * FX_BATCH_MAX batches whatever the count. */
START_TEST(batch_means_interval)
{
    gsl_rng *r = fx_rng_alloc(11, 0);
    int covered = 0;
    for (int rep = 0; rep < 100; rep++) {
        fx_batch b;
        fx_batch_init(&b);
        for (int i = 0; i < 100000; i++)
            fx_batch_add(&b, 10.0 + gsl_ran_gaussian(r, 3.0));
        double mean, half;
        size_t k = fx_batch_ci(&b, 0.95, &mean, &half);
        ck_assert_uint_ge(k, FX_BATCH_MAX);
        ck_assert_uint_lt(k, 2 * FX_BATCH_MAX);
        covered += fabs(mean - 10.0) <= half;
        /* sigma/sqrt(n) = 0.0095; t(0.975, >=31) ~ 2.03: half ~ 0.019 */
        ck_assert_double_gt(half, 0.010);
        ck_assert_double_lt(half, 0.030);
    }
    /* 95 expected; binomial sd ~ 2.2 */
    ck_assert_int_ge(covered, 88);
    gsl_rng_free(r);

    fx_batch one;
    fx_batch_init(&one);
    fx_batch_add(&one, 1.0);
    double mean, half;
    ck_assert_uint_eq(fx_batch_ci(&one, 0.95, &mean, &half), 1);
    ck_assert(isinf(half));
}
END_TEST

START_TEST(time_weighted_mean)
{
    fx_tw w = {0};
    fx_tw_set(&w, 0, 2);  /* 2 on [0,10) */
    fx_tw_set(&w, 10, 4); /* 4 on [10,30) */
    ck_assert_double_eq_tol(fx_tw_mean(&w, 30), (2.0 * 10 + 4.0 * 20) / 30, 1e-12);
    fx_tw_reset(&w, 30); /* keeps the value 4 */
    fx_tw_set(&w, 40, 0);
    ck_assert_double_eq_tol(fx_tw_mean(&w, 50), 2.0, 1e-12);
    ck_assert_double_eq(fx_tw_mean(&w, 30), 0.0);
}
END_TEST

TCase *fx_tcase_stats(void)
{
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hist_quantiles_within_one_percent);
    tcase_add_test(tc, hist_small_values_exact_and_buckets_tile);
    tcase_add_test(tc, moments_match_two_pass);
    tcase_add_test(tc, batch_means_interval);
    tcase_add_test(tc, time_weighted_mean);
    return tc;
}
