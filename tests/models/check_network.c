/* The analytic network solver: each station's formula against the closed
 * forms of models/analytic.h, a Jackson tandem and an M/M/c solved through
 * the whole solver from loads filled by hand, and the analytic estimate of
 * generated traces against their simulation (fx_replay_run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "models/analytic.h"
#include "models/arch.h"
#include "models/network.h"
#include "models/replay.h"
#include "sim/pcg.h"
#include "tests/check.h"
#include "traces/trace.h"

TCase *fx_tcase_network(void);

static int near(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b);
}

/* ---- stations ----------------------------------------------------------------- */

static fx_net_perf station(double lambda, double es, double scv, unsigned c, fx_discipline d,
                           fx_balancer b, double avail)
{
    fx_net_station st = {lambda, es, scv, c, d, b, avail};
    fx_net_perf p;
    fx_net_station_solve(&st, &p);
    return p;
}

START_TEST(mm1_and_erlang_c)
{
    /* M/M/1 at rho 0.8: response E[S] / (1 - rho). */
    fx_net_perf p = station(800, 0.001, 1, 1, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(near(p.response, 0.001 / 0.2, 1e-12));
    ck_assert(near(p.wait, 0.004, 1e-12));
    ck_assert(near(p.p_wait, 0.8, 1e-12));
    ck_assert(near(p.utilization, 0.8, 1e-12));
    ck_assert_str_eq(p.model, "M/M/1");
    /* M/M/3 at 0.8 and M/M/8 at 0.9: Erlang C. */
    p = station(1000, 0.0024, 1, 3, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(near(p.response, fx_mmc_response(1000, 0.0024, 3), 1e-12));
    ck_assert(near(p.p_wait, fx_erlang_c(3, 2.4), 1e-12));
    ck_assert_str_eq(p.model, "M/M/c (Erlang C)");
    p = station(900, 0.008, 1.03, 8, FX_FCFS, FX_BAL_SHARED, 1); /* within the band: exact */
    ck_assert(near(p.response, fx_mmc_response(900, 0.008, 8), 1e-12));
    /* Known values: Erlang C(2, 1) = 1/3, so M/M/2 at a = 1 waits
     * (1/3) E[S] / (2 - 1). */
    p = station(100, 0.01, 1, 2, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(near(p.p_wait, 1.0 / 3, 1e-12));
    ck_assert(near(p.wait, 0.01 / 3, 1e-12));
}
END_TEST

START_TEST(mg1_and_allen_cunneen)
{
    /* M/G/1: Pollaczek-Khinchine. */
    fx_net_perf p = station(500, 0.001, 4, 1, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(near(p.response, fx_mg1_response(500, 0.001, 4), 1e-12));
    ck_assert_str_eq(p.model, "M/G/1 (Pollaczek-Khinchine)");
    /* M/G/c: the Erlang C wait times (1 + cs^2) / 2. */
    fx_net_perf mm = station(1000, 0.0024, 1, 3, FX_FCFS, FX_BAL_SHARED, 1);
    p = station(1000, 0.0024, 3, 3, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(near(p.wait, 2 * mm.wait, 1e-12));
    p = station(1000, 0.0024, 0, 3, FX_FCFS, FX_BAL_SHARED, 1); /* M/D/3 */
    ck_assert(near(p.wait, 0.5 * mm.wait, 1e-12));
    ck_assert_str_eq(p.model, "M/G/c (Allen-Cunneen)");
}
END_TEST

START_TEST(balancers_and_ps)
{
    double lam = 4000, es = 0.0009; /* 4 servers at 0.9 */
    fx_net_perf sh = station(lam, es, 1, 4, FX_FCFS, FX_BAL_SHARED, 1);
    fx_net_perf rd = station(lam, es, 1, 4, FX_FCFS, FX_BAL_RANDOM, 1);
    fx_net_perf rr = station(lam, es, 1, 4, FX_FCFS, FX_BAL_ROUND_ROBIN, 1);
    fx_net_perf jsq = station(lam, es, 1, 4, FX_FCFS, FX_BAL_JSQ, 1);
    fx_net_perf p2c = station(lam, es, 1, 4, FX_FCFS, FX_BAL_P2C, 1);
    /* random: four M/M/1 at 0.9. */
    ck_assert(near(rd.response, es / 0.1, 1e-12));
    /* round-robin: Erlang-4 arrivals per server, (1/4 + 1) / 2 of M/M/1's wait. */
    ck_assert(near(rr.wait, rd.wait * (0.25 + 1) / 2, 1e-12));
    /* The order the test suite measures (guide: 1.78, 2.02, 2.48, 8.03 ms),
     * and the fit through those measurements within 5%. */
    ck_assert(sh.wait < jsq.wait && jsq.wait < p2c.wait && p2c.wait < rr.wait && rr.wait < rd.wait);
    ck_assert_msg(near(jsq.wait, 0.00202, 0.05), "jsq %g", jsq.wait);
    ck_assert_msg(near(p2c.wait, 0.00248, 0.05), "p2c %g", p2c.wait);
    /* One server: every balancer is the same queue. */
    fx_net_perf one = station(800, 0.001, 2, 1, FX_FCFS, FX_BAL_P2C, 1);
    ck_assert(near(one.response, fx_mg1_response(800, 0.001, 2), 1e-12));
    /* PS: M/G/1-PS is insensitive; a shared PS pool responds as M/M/c. */
    fx_net_perf ps = station(800, 0.001, 5, 1, FX_PS, FX_BAL_SHARED, 1);
    ck_assert(near(ps.response, fx_mg1ps_response(800, 0.001), 1e-12));
    ps = station(2000, 0.001, 5, 3, FX_PS, FX_BAL_SHARED, 1);
    ck_assert(near(ps.response, fx_mmc_response(2000, 0.001, 3), 1e-12));
    ps = station(2000, 0.001, 5, 3, FX_PS, FX_BAL_RANDOM, 1);
    ck_assert(near(ps.response, 0.001 / (1 - 2.0 / 3), 1e-12));
}
END_TEST

START_TEST(failures_and_saturation)
{
    /* Availability 0.9 makes servers 10% slower; the wait counts the lost
     * service, as a replay does. */
    fx_net_perf p = station(500, 0.001, 1, 1, FX_FCFS, FX_BAL_SHARED, 0.9);
    double ese = 0.001 / 0.9, rho = 500 * ese;
    ck_assert(near(p.response, ese / (1 - rho), 1e-12));
    ck_assert(near(p.wait, ese / (1 - rho) - 0.001, 1e-12));
    ck_assert(near(p.utilization, 0.5, 1e-12));
    /* At or above capacity: saturated, and no numbers. */
    p = station(1000, 0.001, 1, 1, FX_FCFS, FX_BAL_SHARED, 1);
    ck_assert(p.saturated && isnan(p.wait) && isnan(p.response));
    p = station(950, 0.001, 1, 1, FX_FCFS, FX_BAL_SHARED, 0.9); /* 0.95 / 0.9 > 1 */
    ck_assert(p.saturated);
    ck_assert(near(p.utilization, 0.95, 1e-12));
    p = station(2999, 0.001, 1, 3, FX_PS, FX_BAL_JSQ, 1);
    ck_assert(!p.saturated && p.wait > 0);
}
END_TEST

/* ---- the whole solver, from loads filled by hand ------------------------------- */

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/fx-net-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *fixture(const char *name, const char *text)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static fx_arch *load_arch(const char *path)
{
    fx_arch *a;
    fx_err e;
    ck_assert_msg(fx_arch_load(path, &a, &e) == FX_OK, "%s", e.msg);
    return a;
}

/* Exponential demands of mean ES seconds at node N for every request. */
static void exp_node(fx_net_load *l, uint32_t n, double es)
{
    double v = (double)l->requests, m = es * 1e9;
    l->nodes[n].visits = l->requests;
    l->nodes[n].s1 = v * m;
    l->nodes[n].s2 = v * 2 * m * m;
}

START_TEST(jackson_tandem)
{
    fixture("ab.service.json",
            "{\"service\": \"ab\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"edges\": [[\"a\", \"b\"]]}\n");
    const char *ap = fixture("ab.json", "{\"name\": \"ab\", \"service\": \"ab.service.json\",\n"
                                        " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\"], "
                                        "\"servers\": 1, \"cost_per_hour\": 1},\n"
                                        "   {\"id\": \"q\", \"nodes\": [\"b\"], \"servers\": 3, "
                                        "\"cost_per_hour\": 2}],\n"
                                        " \"network\": {\"hop\": \"det:1ms\"}}\n");
    fx_arch *a = load_arch(ap);
    fx_net_load *l;
    fx_err e;
    ck_assert_int_eq(fx_net_load_alloc(a, &l, &e), FX_OK);
    l->requests = 500001; /* over 1000 s: lambda = 500 */
    l->first = 0;
    l->last = 1000 * FX_SEC;
    exp_node(l, 0, 0.0016);
    exp_node(l, 1, 0.0024);
    fx_net_result r;
    ck_assert_int_eq(fx_net_solve(a, l, 1.0, &r, &e), FX_OK);
    double want = fx_mmc_response(500, 0.0016, 1) + 0.001 + fx_mmc_response(500, 0.0024, 3);
    ck_assert_msg(near(r.latency_mean_ms, want * 1e3, 1e-9), "%g against %g", r.latency_mean_ms,
                  want * 1e3);
    ck_assert(near(r.arrival_rps, 500, 1e-12));
    ck_assert(near(r.pools[0].utilization, 0.8, 1e-12));
    ck_assert(near(r.pools[1].utilization, 0.4, 1e-12));
    ck_assert(near(r.pools[0].mean_queue, 500 * 0.0016 * 0.8 / 0.2, 1e-9)); /* L_q = lambda W_q */
    ck_assert(near(r.cost_per_hour, 7, 1e-12));
    ck_assert_uint_eq(r.saturated, 0);
    fx_net_result_free(&r);
    /* Doubling the rate saturates the first pool: named, no latency. */
    ck_assert_int_eq(fx_net_solve(a, l, 2.0, &r, &e), FX_OK);
    ck_assert_uint_eq(r.saturated, 1);
    ck_assert(r.pools[0].saturated && !r.pools[1].saturated);
    ck_assert_str_eq(r.pools[0].id, "p");
    ck_assert(isnan(r.latency_mean_ms) && isnan(r.latency_p99_ms) &&
              isnan(r.pools[0].mean_wait_ms));
    ck_assert(near(r.pools[0].utilization, 1.6, 1e-12));
    fx_net_result_free(&r);
    /* Too few requests. */
    l->requests = 1;
    ck_assert_int_eq(fx_net_solve(a, l, 1.0, &r, &e), FX_EINVAL);
    fx_net_load_free(l);
    fx_arch_free(a);
}
END_TEST

/* M/M/1's response is exponential: its p99 is R ln 100; the lognormal fit
 * of the same mean and variance reads 6.5% high. */
START_TEST(p99_of_mm1)
{
    fixture("one.service.json", "{\"service\": \"one\", \"entry\": \"w\", \"exit\": \"w\",\n"
                                " \"nodes\": [{\"id\": \"w\"}], \"edges\": []}\n");
    const char *ap =
        fixture("one.json", "{\"name\": \"one\", \"service\": \"one.service.json\",\n"
                            " \"pools\": [{\"id\": \"p\", \"nodes\": [\"w\"], \"servers\": 1, "
                            "\"cost_per_hour\": 1}]}\n");
    fx_arch *a = load_arch(ap);
    fx_net_load *l;
    fx_err e;
    ck_assert_int_eq(fx_net_load_alloc(a, &l, &e), FX_OK);
    l->requests = 700001;
    l->last = 1000 * FX_SEC;
    exp_node(l, 0, 0.001);
    fx_net_result r;
    ck_assert_int_eq(fx_net_solve(a, l, 1.0, &r, &e), FX_OK);
    double resp = 0.001 / 0.3 * 1e3;
    ck_assert(near(r.latency_mean_ms, resp, 1e-9));
    ck_assert_msg(near(r.latency_p99_ms, resp * log(100), 0.07), "p99 %g against %g",
                  r.latency_p99_ms, resp * log(100));
    ck_assert_str_eq(r.p99_method, "lognormal-mixture");
    fx_net_result_free(&r);
    fx_net_load_free(l);
    fx_arch_free(a);
}
END_TEST

/* ---- against the simulation ------------------------------------------------------ */

/* A Poisson trace at RATE per second with exponential demands of mean ES
 * seconds on node "work"; keys cycle over NKEYS. */
static const char *mm_trace(const char *name, uint64_t n, double rate, double es, uint64_t nkeys,
                            uint64_t seed)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *nodes[] = {"work"};
    fx_trace_writer *w;
    fx_err e;
    ck_assert_int_eq(fx_trace_writer_open(path, "mm", nodes, 1, &w, &e), FX_OK);
    gsl_rng *r = fx_rng_alloc(seed, 1);
    double t = 0;
    char key[32];
    for (uint64_t i = 0; i < n; i++) {
        t += gsl_ran_exponential(r, 1.0 / rate);
        fx_trace_field f = {0};
        f.service = (fx_time)llround(gsl_ran_exponential(r, es) * 1e6) * FX_US;
        snprintf(key, sizeof key, "k%llu", (unsigned long long)(i % nkeys));
        fx_trace_rec rec = {(fx_time)llround(t * 1e6) * FX_US, key, strlen(key), 0, &f, 1, 0};
        ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);
    return path;
}

static const char mm_service[] = "{\"service\": \"mm\", \"entry\": \"work\", \"exit\": \"work\",\n"
                                 " \"nodes\": [{\"id\": \"work\"}], \"edges\": []}\n";

static void analyze_and_replay(const char *arch_path, const char *trace_path, fx_net_result *an,
                               fx_replay_result *sim)
{
    fx_arch *a = load_arch(arch_path);
    fx_err e;
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(trace_path, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_net_load *l;
    ck_assert_msg(fx_net_measure(a, tr, &l, &e) == FX_OK, "%s", e.msg);
    fx_trace_close(tr);
    ck_assert_msg(fx_net_solve(a, l, 1.0, an, &e) == FX_OK, "%s", e.msg);
    fx_net_load_free(l);
    ck_assert_int_eq(fx_trace_open(trace_path, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_replay_opts o = {1.0, 0, 1, NULL, NULL, NULL, 0};
    ck_assert_msg(fx_replay_run(a, tr, &o, sim, &e) == FX_OK, "%s", e.msg);
    fx_trace_close(tr);
    fx_arch_free(a);
}

/* M/M/c traces at utilization 0.5 and 0.8: the analytic mean within 3% of
 * the simulated one. */
START_TEST(mmc_trace_within_3_percent)
{
    static const struct {
        unsigned c;
        double rate, es;
    } cases[] = {{1, 500, 0.001}, {3, 1000, 0.0024}, {1, 800, 0.001}, {8, 1000, 0.0064}};
    fixture("mm.service.json", mm_service);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char arch[512];
        snprintf(arch, sizeof arch,
                 "{\"name\": \"mm\", \"service\": \"mm.service.json\",\n"
                 " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": %u,\n"
                 "             \"cost_per_hour\": 1}]}\n",
                 cases[i].c);
        const char *ap = fixture("mm.json", arch);
        const char *tp = mm_trace("mm.trace", 1000000, cases[i].rate, cases[i].es, 1000, 17 + i);
        fx_net_result an;
        fx_replay_result sim;
        analyze_and_replay(ap, tp, &an, &sim);
        double s = fx_moments_mean(&sim.latency) * 1e-6;
        ck_assert_msg(near(an.latency_mean_ms, s, 0.03), "c=%u rho=%.2f: analytic %g, simulated %g",
                      cases[i].c, cases[i].rate * cases[i].es / cases[i].c, an.latency_mean_ms, s);
        ck_assert_msg(near(an.pools[0].utilization, sim.pools[0].utilization, 0.01), "%g %g",
                      an.pools[0].utilization, sim.pools[0].utilization);
        ck_assert_str_eq(an.pools[0].model, cases[i].c == 1 ? "M/M/1" : "M/M/c (Erlang C)");
        fx_net_result_free(&an);
        fx_replay_result_free(&sim);
    }
}
END_TEST

/* A pool past its capacity is reported by name, measured from a trace. */
START_TEST(saturated_pool_by_name)
{
    fixture("mm.service.json", mm_service);
    const char *ap = fixture("hot.json", "{\"name\": \"hot\", \"service\": \"mm.service.json\",\n"
                                         " \"pools\": [{\"id\": \"overloaded\", \"nodes\": "
                                         "[\"work\"], \"servers\": 2, \"cost_per_hour\": 1}]}\n");
    const char *tp = mm_trace("hot.trace", 20000, 1000, 0.0025, 50, 5); /* rho 1.25 */
    fx_arch *a = load_arch(ap);
    fx_err e;
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(tp, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_net_load *l;
    ck_assert_int_eq(fx_net_measure(a, tr, &l, &e), FX_OK);
    fx_trace_close(tr);
    fx_net_result r;
    ck_assert_int_eq(fx_net_solve(a, l, 1.0, &r, &e), FX_OK);
    ck_assert_uint_eq(r.saturated, 1);
    ck_assert_str_eq(r.pools[0].id, "overloaded");
    ck_assert(r.pools[0].saturated);
    ck_assert(r.pools[0].utilization > 1.15 && r.pools[0].utilization < 1.35);
    ck_assert(isnan(r.latency_mean_ms) && isnan(r.pools[0].mean_queue));
    fx_net_result_free(&r);
    /* At a third of the rate it is stable again. */
    ck_assert_int_eq(fx_net_solve(a, l, 1.0 / 3, &r, &e), FX_OK);
    ck_assert_uint_eq(r.saturated, 0);
    ck_assert(isfinite(r.latency_mean_ms));
    fx_net_result_free(&r);
    fx_net_load_free(l);
    fx_arch_free(a);
}
END_TEST

/* A cache thins the traffic into what it covers by its LRU hit ratio, which
 * equals the replay's when requests do not overlap. */
START_TEST(cache_thins_traffic)
{
    fixture("mm.service.json", mm_service);
    const char *ap = fixture(
        "c.json", "{\"name\": \"c\", \"service\": \"mm.service.json\",\n"
                  " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 4, "
                  "\"cost_per_hour\": 1}],\n"
                  " \"caches\": [{\"id\": \"c\", \"from\": \"work\", \"to\": \"work\", \"pool\": "
                  "\"p\", \"capacity_bytes\": 300, \"policy\": \"lru\"}]}\n");
    /* 20 requests a second, demands of 1 ms: no overlap; keys cycle over 500
     * (sizes 0: the cache holds every key, so all but the first 500 hit). */
    const char *tp = mm_trace("c.trace", 20000, 20, 0.001, 500, 9);
    fx_net_result an;
    fx_replay_result sim;
    analyze_and_replay(ap, tp, &an, &sim);
    ck_assert_uint_eq(an.caches[0].hits, sim.caches[0].hits);
    ck_assert_uint_eq(an.caches[0].hits, 20000 - 500);
    ck_assert(near(an.node_visits[0], 500.0 / 20000, 1e-12));
    ck_assert_int_eq(an.caches[0].lru_model, 1);
    ck_assert_msg(near(an.pools[0].utilization, sim.pools[0].utilization, 0.05), "%g %g",
                  an.pools[0].utilization, sim.pools[0].utilization);
    ck_assert_msg(near(an.latency_mean_ms, fx_moments_mean(&sim.latency) * 1e-6, 0.05),
                  "%g against %g", an.latency_mean_ms, fx_moments_mean(&sim.latency) * 1e-6);
    fx_net_result_free(&an);
    fx_replay_result_free(&sim);
}
END_TEST

/* A line that lacks a node without a profile stops the pass, as a replay. */
START_TEST(missing_demand_is_an_error)
{
    fixture("ab.service.json",
            "{\"service\": \"ab\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"edges\": [[\"a\", \"b\"]]}\n");
    const char *ap =
        fixture("ab.json", "{\"name\": \"ab\", \"service\": \"ab.service.json\",\n"
                           " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"], \"servers\": "
                           "1, \"cost_per_hour\": 1}]}\n");
    const char *tp = fixture("ab.trace", "#fluxotrace 1\n1000\tx\ta=5\tb=7\n2000\ty\ta=5\n");
    fx_arch *a = load_arch(ap);
    fx_err e;
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(tp, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_net_load *l = NULL;
    ck_assert_int_eq(fx_net_measure(a, tr, &l, &e), FX_EINVAL);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(e.msg, "ab.trace:3: expected a service time for node \"b\""), "%s", e.msg);
    fx_trace_close(tr);
    /* A demand given as "-" (not recorded) needs a profile too. */
    tp = fixture("dash.trace", "#fluxotrace 1\n1000\tx\ta=5\tb=7\n2000\ty\ta=5\tb=-/9\n");
    ck_assert_int_eq(fx_trace_open(tp, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    ck_assert_int_eq(fx_net_measure(a, tr, &l, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "dash.trace:3: expected a service time for node \"b\""), "%s",
                  e.msg);
    fx_trace_close(tr);
    fx_arch_free(a);
}
END_TEST

/* A demand given as "-" comes from the profile; the size from the line. */
START_TEST(dash_demand_uses_profile)
{
    fixture("p.service.json", "{\"service\": \"p\", \"entry\": \"w\", \"exit\": \"w\",\n"
                              " \"nodes\": [{\"id\": \"w\", \"profile\": \"det:2ms\"}], "
                              "\"edges\": []}\n");
    const char *ap =
        fixture("p.json", "{\"name\": \"p\", \"service\": \"p.service.json\",\n"
                          " \"pools\": [{\"id\": \"q\", \"nodes\": [\"w\"], \"servers\": 1, "
                          "\"cost_per_hour\": 1}]}\n");
    const char *tp = fixture("p.trace", "#fluxotrace 1\n0\tx\tw=-/100\n1000000\ty\tw=4000/50\n");
    fx_arch *a = load_arch(ap);
    fx_err e;
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(tp, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_net_load *l;
    ck_assert_msg(fx_net_measure(a, tr, &l, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(l->nodes[0].visits, 2);
    ck_assert_uint_eq(l->nodes[0].traced, 1);
    ck_assert(near(l->nodes[0].s1, 2e6 + 4e6, 1e-12)); /* the profile's 2 ms, the line's 4 ms */
    ck_assert(near(l->nodes[0].bytes, 150, 1e-12));
    fx_trace_close(tr);
    fx_net_load_free(l);
    fx_arch_free(a);
}
END_TEST

/* Partition loads follow the keys: 40% of requests carry one key, over 4
 * partitions of 2 servers (the guide's example). */
START_TEST(hot_partition_measured)
{
    fixture("mm.service.json", mm_service);
    const char *ap =
        fixture("part.json", "{\"name\": \"part\", \"service\": \"mm.service.json\",\n"
                             " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 2, "
                             "\"partitions\": 4, \"cost_per_hour\": 1}]}\n");
    char path[128];
    snprintf(path, sizeof path, "%s/hot.trace", dir);
    const char *nodes[] = {"work"};
    fx_trace_writer *w;
    fx_err e;
    ck_assert_int_eq(fx_trace_writer_open(path, "mm", nodes, 1, &w, &e), FX_OK);
    char key[32];
    for (uint64_t i = 0; i < 100000; i++) {
        fx_trace_field f = {.service = 1500 * FX_US};
        snprintf(key, sizeof key, "%llu", (unsigned long long)(i % 5 < 2 ? 7 : 1000 + i));
        fx_trace_rec rec = {(fx_time)(i + 1) * 625 * FX_US, key, strlen(key), 0, &f, 1, 0};
        ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    }
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);
    fx_net_result an;
    fx_replay_result sim;
    analyze_and_replay(ap, path, &an, &sim);
    /* lambda E[S] / C = 1600 * 0.0015 / 2 = 1.2 over the pool; the hot
     * partition takes 0.4 + 0.6 / 4 of it: 0.66; the others 0.18. */
    int hot = 0;
    for (unsigned k = 0; k < 4; k++) {
        double u = an.pools[0].partition_util[k];
        ck_assert_msg(near(u, sim.pools[0].partition_util[k], 0.02), "partition %u: %g, %g", k, u,
                      sim.pools[0].partition_util[k]);
        if (u > 0.5) {
            hot++;
            ck_assert_msg(near(u, 0.66, 0.02), "hot partition %g", u);
        } else {
            ck_assert_msg(near(u, 0.18, 0.05), "partition %u: %g", k, u);
        }
    }
    ck_assert_int_eq(hot, 1);
    ck_assert(!an.pools[0].saturated);
    fx_net_result_free(&an);
    fx_replay_result_free(&sim);
}
END_TEST

TCase *fx_tcase_network(void)
{
    TCase *tc = tcase_create("network");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mm1_and_erlang_c);
    tcase_add_test(tc, mg1_and_allen_cunneen);
    tcase_add_test(tc, balancers_and_ps);
    tcase_add_test(tc, failures_and_saturation);
    tcase_add_test(tc, jackson_tandem);
    tcase_add_test(tc, p99_of_mm1);
    tcase_add_test(tc, mmc_trace_within_3_percent);
    tcase_add_test(tc, saturated_pool_by_name);
    tcase_add_test(tc, cache_thins_traffic);
    tcase_add_test(tc, missing_demand_is_an_error);
    tcase_add_test(tc, dash_demand_uses_profile);
    tcase_add_test(tc, hot_partition_measured);
    return tc;
}
