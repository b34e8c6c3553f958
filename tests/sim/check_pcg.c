#include <math.h>

#include <gsl/gsl_randist.h>

#include "sim/pcg.h"
#include "tests/check.h"

/* O'Neill's pcg32-demo: seed 42, stream 54. */
static const uint32_t reference[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                      0x83d2f293, 0xbfa4784b, 0xcbed606e};

START_TEST(reference_vector)
{
    fx_pcg32 r;
    fx_pcg32_seed(&r, 42u, 54u);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(fx_pcg32_next(&r), reference[i]);
}
END_TEST

START_TEST(reference_through_gsl)
{
    gsl_rng *r = gsl_rng_alloc(fx_rng_pcg32);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(gsl_rng_name(r), "pcg32");
    gsl_rng_set(r, 42); /* default stream 54 */
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gsl_rng_get(r), reference[i]);
    gsl_rng_free(r);

    r = fx_rng_alloc(42, 54);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(gsl_rng_get(r), reference[i]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(gsl_distributions_draw_from_pcg)
{
    gsl_rng *r = fx_rng_alloc(7, 3);
    double sum = 0, sum2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double x = gsl_ran_gaussian(r, 2.0);
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / n, var = sum2 / n - mean * mean;
    ck_assert_double_lt(fabs(mean), 4 * 2.0 / sqrt(n));
    ck_assert_double_lt(fabs(var - 4.0), 0.05);
    for (int i = 0; i < 100000; i++) {
        double u = gsl_rng_uniform(r);
        ck_assert(u >= 0.0 && u < 1.0);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(open01_and_bounded)
{
    fx_pcg32 r;
    fx_pcg32_seed(&r, 1, 2);
    double lo = 1, hi = 0;
    for (int i = 0; i < 1000000; i++) {
        double u = fx_pcg32_open01(&r);
        ck_assert(u > 0.0 && u < 1.0);
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    ck_assert_double_lt(lo, 1e-4);
    ck_assert_double_gt(hi, 1 - 1e-4);

    unsigned counts[7] = {0};
    for (int i = 0; i < 700000; i++) {
        uint32_t v = fx_pcg32_bounded(&r, 7);
        ck_assert_uint_lt(v, 7);
        counts[v]++;
    }
    for (int i = 0; i < 7; i++) /* 100000 expected, sd ~ 293 */
        ck_assert_uint_lt(abs((int)counts[i] - 100000), 1500);
}
END_TEST

START_TEST(streams_by_name)
{
    gsl_rng *a = fx_rng_stream(1, "arrivals");
    gsl_rng *b = fx_rng_stream(1, "service:web");
    gsl_rng *a2 = fx_rng_stream(1, "arrivals");
    gsl_rng *a3 = fx_rng_stream(2, "arrivals");
    int same_ab = 1, same_a3 = 1;
    for (int i = 0; i < 16; i++) {
        unsigned long x = gsl_rng_get(a), y = gsl_rng_get(b), z = gsl_rng_get(a2),
                      w = gsl_rng_get(a3);
        ck_assert_uint_eq(x, z); /* the same name and seed: the same draws */
        same_ab &= x == y;
        same_a3 &= x == w;
    }
    ck_assert(!same_ab); /* another component: another stream */
    ck_assert(!same_a3); /* another master seed: other draws */
    ck_assert_uint_ne(fx_hash_str("a"), fx_hash_str("b"));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(a2);
    gsl_rng_free(a3);
}
END_TEST

TCase *fx_tcase_pcg(void)
{
    TCase *tc = tcase_create("pcg");
    tcase_add_test(tc, reference_vector);
    tcase_add_test(tc, reference_through_gsl);
    tcase_add_test(tc, gsl_distributions_draw_from_pcg);
    tcase_add_test(tc, open01_and_bounded);
    tcase_add_test(tc, streams_by_name);
    return tc;
}
