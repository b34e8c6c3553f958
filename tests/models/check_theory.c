/* The engine against queueing theory. Each case simulates at least 10^6
 * customers with a fixed seed and checks that the mean response time lies
 * inside its 99% batch-means confidence interval around the closed form and
 * within 2% of it; every run also checks Little's law and the invariants:
 * time never runs backwards, every arrival departs or is dropped, and the
 * network is empty at the end. */
#include <math.h>
#include <string.h>

#include "models/analytic.h"
#include "models/tandem.h"
#include "tests/check.h"

#define MS 1e6 /* ns */

typedef struct qcase {
    const char *arrivals;
    const char *service;
    fx_discipline disc;
    unsigned servers, capacity, stations;
    uint64_t customers;
    uint64_t seed;
} qcase;

static void run(const qcase *q, fx_tandem_spec *spec, fx_tandem_stage *stages,
                fx_tandem_result *res)
{
    fx_err e;
    memset(spec, 0, sizeof *spec);
    ck_assert_int_eq(fx_dist_parse(q->arrivals, &spec->arrivals, &e), FX_OK);
    for (unsigned k = 0; k < q->stations; k++) {
        memset(&stages[k], 0, sizeof stages[k]);
        stages[k].station.name = k == 0 ? "first" : "second";
        stages[k].station.discipline = q->disc;
        stages[k].station.servers = q->servers;
        stages[k].station.capacity = q->capacity;
        ck_assert_int_eq(fx_dist_parse(q->service, &stages[k].service, &e), FX_OK);
    }
    spec->stages = stages;
    spec->nstages = q->stations;
    spec->customers = q->customers;
    spec->warmup = q->customers / 20;
    spec->seed = q->seed;
    ck_assert_int_eq(fx_tandem_run(spec, res, &e), FX_OK);

    /* Invariants of every run. */
    ck_assert_int_eq(res->time_went_back, 0);
    ck_assert_uint_eq(res->left_inside, 0);
    ck_assert_uint_eq(res->arrivals, q->customers);
    ck_assert_uint_eq(res->completed + res->dropped, q->customers - spec->warmup);
    /* Little's law: L = lambda W over the measured interval. */
    double lw = res->throughput * fx_moments_mean(&res->response) * 1e-9;
    ck_assert_msg(fabs(res->mean_present - lw) <= 0.01 * res->mean_present,
                  "Little: L=%g lambda*W=%g", res->mean_present, lw);
}

static void release(fx_tandem_spec *spec, fx_tandem_result *res)
{
    fx_dist_free(&spec->arrivals);
    for (size_t k = 0; k < spec->nstages; k++)
        fx_dist_free(&spec->stages[k].service);
    fx_tandem_result_free(res);
}

/* Mean response inside its 99% interval around THEORY (ns) and within 2%. */
static void agree(const fx_tandem_result *res, double theory, const char *what)
{
    double mean, half;
    fx_batch_ci(&res->batch, 0.99, &mean, &half);
    double sim = fx_moments_mean(&res->response);
    ck_assert_msg(fabs(sim - theory) <= half,
                  "%s: simulated %.5f ms, theory %.5f ms, 99%% half-width %.5f ms", what, sim / MS,
                  theory / MS, half / MS);
    ck_assert_msg(fabs(sim - theory) <= 0.02 * theory, "%s: simulated %.5f ms, theory %.5f ms",
                  what, sim / MS, theory / MS);
}

static void check_case(const qcase *q, double theory, const char *method)
{
    fx_tandem_spec spec;
    fx_tandem_stage stages[2];
    fx_tandem_result res;
    run(q, &spec, stages, &res);
    agree(&res, theory, method);
    double predicted, block;
    const char *how;
    ck_assert_int_eq(fx_tandem_theory(&spec, &predicted, &block, &how), 1);
    ck_assert_str_eq(how, method);
    ck_assert_double_eq_tol(predicted, theory, theory * 1e-9);
    release(&spec, &res);
}

START_TEST(mm1_half_load)
{
    qcase q = {"exp:1ms", "exp:500us", FX_FCFS, 1, 0, 1, 1000000, 1};
    check_case(&q, fx_mmc_response(1.0, 0.5, 1) * MS, "M/M/1");
}
END_TEST

START_TEST(mm1_heavy_load)
{
    /* At rho = 0.9 successive responses are strongly correlated: 4 * 10^6
     * customers keep the interval near 2%. */
    qcase q = {"exp:1ms", "exp:900us", FX_FCFS, 1, 0, 1, 4000000, 1};
    check_case(&q, fx_mmc_response(1.0, 0.9, 1) * MS, "M/M/1");
}
END_TEST

START_TEST(mmc_erlang_c)
{
    qcase q3 = {"exp:1ms", "exp:2.4ms", FX_FCFS, 3, 0, 1, 1000000, 1};
    check_case(&q3, fx_mmc_response(1.0, 2.4, 3) * MS, "erlang-c");
    qcase q8 = {"exp:1ms", "exp:6.4ms", FX_FCFS, 8, 0, 1, 1000000, 1};
    check_case(&q8, fx_mmc_response(1.0, 6.4, 8) * MS, "erlang-c");
}
END_TEST

START_TEST(md1_and_mg1_pollaczek_khinchine)
{
    qcase md1 = {"exp:1ms", "det:700us", FX_FCFS, 1, 0, 1, 1000000, 1};
    check_case(&md1, fx_mg1_response(1.0, 0.7, 0.0) * MS, "pollaczek-khinchine");
    qcase mg1 = {"exp:1ms", "lognormal:mean=700us,cv=2", FX_FCFS, 1, 0, 1, 2000000, 1};
    check_case(&mg1, fx_mg1_response(1.0, 0.7, 4.0) * MS, "pollaczek-khinchine");
}
END_TEST

START_TEST(mmck_blocking)
{
    qcase q = {"exp:1ms", "exp:1.8ms", FX_FCFS, 2, 5, 1, 1000000, 1};
    fx_tandem_spec spec;
    fx_tandem_stage stages[1];
    fx_tandem_result res;
    run(&q, &spec, stages, &res);
    double pk, w;
    ck_assert_int_eq(fx_mmck(1.0, 1.8, 2, 5, &pk, NULL, &w), 0);
    double n = (double)(res.completed + res.dropped);
    double sim_pk = (double)res.dropped / n;
    /* Blocking is a proportion; its 99% interval (losses come in bursts,
     * so the binomial width is tripled) and 2%. */
    double half = 3 * 2.576 * sqrt(pk * (1 - pk) / n);
    ck_assert_msg(fabs(sim_pk - pk) <= half && fabs(sim_pk - pk) <= 0.02 * pk,
                  "blocking: simulated %.5f, theory %.5f", sim_pk, pk);
    agree(&res, w * MS, "M/M/c/K response");
    double predicted, block;
    const char *how;
    ck_assert_int_eq(fx_tandem_theory(&spec, &predicted, &block, &how), 1);
    ck_assert_str_eq(how, "M/M/c/K");
    ck_assert_double_eq_tol(block, pk, 1e-12);
    release(&spec, &res);
}
END_TEST

START_TEST(processor_sharing_mm1)
{
    qcase q = {"exp:1ms", "exp:800us", FX_PS, 1, 0, 1, 1000000, 1};
    check_case(&q, 0.8 / (1 - 0.8) * MS, "M/M/1");
    /* PS is insensitive: lognormal service gives the same mean. */
    qcase g = {"exp:1ms", "lognormal:mean=700us,cv=2", FX_PS, 1, 0, 1, 1000000, 1};
    check_case(&g, fx_mg1ps_response(1.0, 0.7) * MS, "M/G/1-PS");
}
END_TEST

START_TEST(jackson_tandem)
{
    qcase q = {"exp:1ms", "exp:600us", FX_FCFS, 1, 0, 2, 1000000, 1};
    check_case(&q, 2 * fx_mmc_response(1.0, 0.6, 1) * MS, "jackson");
}
END_TEST

START_TEST(infinite_server)
{
    qcase q = {"exp:1ms", "uniform:1ms,9ms", FX_DELAY, 1, 0, 1, 1000000, 1};
    check_case(&q, 5 * MS, "infinite-server");
}
END_TEST

START_TEST(same_seed_same_run)
{
    qcase q = {"exp:1ms", "lognormal:mean=2ms,cv=1.5", FX_FCFS, 3, 0, 2, 200000, 42};
    fx_tandem_spec s1, s2;
    fx_tandem_stage st1[2], st2[2];
    fx_tandem_result r1, r2;
    run(&q, &s1, st1, &r1);
    run(&q, &s2, st2, &r2);
    ck_assert_uint_eq(r1.events, r2.events);
    ck_assert(memcmp(&r1.response, &r2.response, sizeof r1.response) == 0);
    ck_assert(memcmp(r1.hist, r2.hist, sizeof *r1.hist) == 0);
    ck_assert(memcmp(r1.stages, r2.stages, 2 * sizeof *r1.stages) == 0);
    release(&s2, &r2);
    q.seed = 43;
    run(&q, &s2, st2, &r2);
    ck_assert(fx_moments_mean(&r1.response) != fx_moments_mean(&r2.response));
    release(&s1, &r1);
    release(&s2, &r2);
}
END_TEST

TCase *fx_tcase_theory(void)
{
    TCase *tc = tcase_create("theory");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, mm1_half_load);
    tcase_add_test(tc, mm1_heavy_load);
    tcase_add_test(tc, mmc_erlang_c);
    tcase_add_test(tc, md1_and_mg1_pollaczek_khinchine);
    tcase_add_test(tc, mmck_blocking);
    tcase_add_test(tc, processor_sharing_mm1);
    tcase_add_test(tc, jackson_tandem);
    tcase_add_test(tc, infinite_server);
    tcase_add_test(tc, same_seed_same_run);
    return tc;
}
