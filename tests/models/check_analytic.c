/* Closed forms against values worked out independently (factorial sums). */
#include <math.h>

#include "models/analytic.h"
#include "tests/check.h"

START_TEST(erlang_values)
{
    /* Erlang C by the factorial-sum formula: c=3, a=2.4 and c=8, a=6.4. */
    ck_assert_double_eq_tol(fx_erlang_c(3, 2.4), 0.6471910112359549, 1e-12);
    ck_assert_double_eq_tol(fx_erlang_c(8, 6.4), 0.4576449254420162, 1e-12);
    ck_assert_double_eq_tol(fx_erlang_b(5, 3.0), 0.11005434782608696, 1e-12);
    ck_assert_double_eq(fx_erlang_c(2, 2.0), 1.0);
    /* One server: P(wait) = rho. */
    ck_assert_double_eq_tol(fx_erlang_c(1, 0.7), 0.7, 1e-12);
    /* Large c stays finite and in [0, 1]. */
    double big = fx_erlang_c(2000, 1900);
    ck_assert(big > 0 && big < 1);
}
END_TEST

START_TEST(single_server_forms)
{
    /* M/M/1: 1/(mu - lambda). */
    ck_assert_double_eq_tol(fx_mmc_response(1.0, 0.9, 1), 9.0, 1e-9);
    /* P-K with scv 1 equals M/M/1; with scv 0 (M/D/1) W = ES + rho ES / (2(1-rho)). */
    ck_assert_double_eq_tol(fx_mg1_response(1.0, 0.9, 1.0), 9.0, 1e-9);
    ck_assert_double_eq_tol(fx_mg1_response(1.0, 0.5, 0.0), 0.5 + 0.25 / 1.0, 1e-12);
    ck_assert_double_eq_tol(fx_mg1ps_response(1.0, 0.8), 4.0, 1e-12);
    ck_assert(isinf(fx_mmc_response(1.0, 1.0, 1)));
    ck_assert(isinf(fx_mg1_response(2.0, 0.5, 1.0)));
    ck_assert(isinf(fx_mg1ps_response(1.0, 1.5)));
}
END_TEST

START_TEST(mmck_forms)
{
    double pk, l, w;
    /* M/M/1/K: p_K = (1-rho) rho^K / (1 - rho^(K+1)). */
    ck_assert_int_eq(fx_mmck(1.0, 0.8, 1, 4, &pk, &l, &w), 0);
    double rho = 0.8;
    ck_assert_double_eq_tol(pk, (1 - rho) * pow(rho, 4) / (1 - pow(rho, 5)), 1e-12);
    ck_assert_double_eq_tol(w, l / (1.0 * (1 - pk)), 1e-12);
    /* K = c is the Erlang loss system. */
    ck_assert_int_eq(fx_mmck(3.0, 1.0, 5, 5, &pk, NULL, NULL), 0);
    ck_assert_double_eq_tol(pk, fx_erlang_b(5, 3.0), 1e-12);
    /* Overload is fine with a finite K: almost always full. */
    ck_assert_int_eq(fx_mmck(100.0, 1.0, 1, 3000, &pk, &l, NULL), 0);
    ck_assert_double_eq_tol(pk, 0.99, 1e-9);
    ck_assert_double_gt(l, 2990);
    ck_assert_int_eq(fx_mmck(1.0, 1.0, 2, 1, &pk, NULL, NULL), -1);
}
END_TEST

TCase *fx_tcase_analytic(void)
{
    TCase *tc = tcase_create("analytic");
    tcase_add_test(tc, erlang_values);
    tcase_add_test(tc, single_server_forms);
    tcase_add_test(tc, mmck_forms);
    return tc;
}
