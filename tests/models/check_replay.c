/* The replay engine on small services with known answers. Fixtures (a
 * service, an architecture, a trace) are written to a temporary folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "models/analytic.h"
#include "models/arch.h"
#include "models/replay.h"
#include "sim/pcg.h"
#include "tests/check.h"
#include "traces/trace.h"

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/fx-replay-XXXXXX");
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

/* A Poisson trace of N requests at RATE per second on node 0 ("work") with
 * exponential demands of mean ES seconds; every request has its own key. */
static const char *mm_trace(const char *name, uint64_t n, double rate, double es, uint64_t seed)
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
        /* The trace holds whole microseconds. */
        f.service = (fx_time)llround(gsl_ran_exponential(r, es) * 1e6) * FX_US;
        snprintf(key, sizeof key, "k%llu", (unsigned long long)i);
        fx_trace_rec rec = {(fx_time)llround(t * 1e6) * FX_US, key, strlen(key), 0, &f, 1, 0};
        ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);
    return path;
}

static const char mm_service[] = "{\"service\": \"mm\", \"entry\": \"work\", \"exit\": \"work\",\n"
                                 " \"nodes\": [{\"id\": \"work\"}], \"edges\": []}\n";

static void mm_arch(char *buf, size_t len, unsigned c, const char *disc)
{
    snprintf(buf, len,
             "{\"name\": \"mm%u\", \"service\": \"mm.service.json\",\n"
             " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": %u,\n"
             "             \"cost_per_hour\": 0.5, \"discipline\": \"%s\"}]}\n",
             c, c, disc);
}

/* Replay TRACE_PATH against the architecture at ARCH_PATH with options O. */
static void run_opts(const char *arch_path, const char *trace_path, const fx_replay_opts *o,
                     fx_replay_result *res)
{
    fx_arch *arch;
    fx_err e;
    ck_assert_msg(fx_arch_load(arch_path, &arch, &e) == FX_OK, "%s", e.msg);
    fx_trace_reader *tr;
    ck_assert_msg(fx_trace_open(trace_path, arch->svc->ids, arch->svc->nnodes, &tr, &e) == FX_OK,
                  "%s", e.msg);
    ck_assert_msg(fx_replay_run(arch, tr, o, res, &e) == FX_OK, "%s", e.msg);
    fx_trace_close(tr);
    fx_arch_free(arch);
}

static void run(const char *arch_path, const char *trace_path, double scale, double warmup_s,
                uint64_t seed, fx_replay_result *res)
{
    fx_replay_opts o = {scale, (fx_time)(warmup_s * 1e9), seed, NULL, NULL, NULL, 0};
    run_opts(arch_path, trace_path, &o, res);
}

/* Little's law and conservation hold on every replay. */
static void invariants(const fx_replay_result *res)
{
    ck_assert_uint_eq(res->completed + res->failed + res->dropped, res->requests);
    double lw = res->throughput_rps * fx_moments_mean(&res->latency) * 1e-9;
    ck_assert_msg(fabs(res->mean_in_flight - lw) <= 0.02 * res->mean_in_flight + 1e-3,
                  "Little: L=%g lambda*W=%g", res->mean_in_flight, lw);
}

START_TEST(mmc_trace_agrees_with_erlang_c)
{
    char arch[512];
    fixture("mm.service.json", mm_service);
    mm_arch(arch, sizeof arch, 3, "fcfs");
    const char *a = fixture("mm3.json", arch);
    /* lambda = 1000/s, ES = 2.4 ms, c = 3: rho = 0.8. */
    const char *t = mm_trace("mm3.trace", 1000000, 1000.0, 0.0024, 7);
    fx_replay_result res;
    run(a, t, 1.0, 50.0, 1, &res);
    invariants(&res);
    double theory = fx_mmc_response(1000.0, 0.0024, 3) * 1e9;
    double mean, half;
    fx_batch_ci(&res.batch, 0.99, &mean, &half);
    double sim = fx_moments_mean(&res.latency);
    ck_assert_msg(fabs(sim - theory) <= half && fabs(sim - theory) <= 0.02 * theory,
                  "simulated %g ms, Erlang C %g ms, 99%% half-width %g ms", sim * 1e-6,
                  theory * 1e-6, half * 1e-6);
    ck_assert_double_eq_tol(res.pools[0].utilization, 0.8, 0.01);
    ck_assert_double_eq_tol(res.cost_per_hour, 1.5, 1e-12);
    fx_replay_result_free(&res);
}
END_TEST

START_TEST(rate_scale_raises_utilization)
{
    char arch[512];
    fixture("mm.service.json", mm_service);
    mm_arch(arch, sizeof arch, 1, "fcfs");
    const char *a = fixture("mm1.json", arch);
    const char *t = mm_trace("mm1.trace", 200000, 1000.0, 0.0003, 3);
    double util[3];
    const double scale[3] = {1.0, 2.0, 3.0};
    for (int i = 0; i < 3; i++) {
        fx_replay_result res;
        run(a, t, scale[i], 0, 1, &res);
        invariants(&res);
        util[i] = res.pools[0].utilization;
        ck_assert_double_eq_tol(res.throughput_rps, 1000.0 * scale[i], 20.0 * scale[i]);
        fx_replay_result_free(&res);
    }
    ck_assert_double_eq_tol(util[0], 0.3, 0.01);
    ck_assert_double_eq_tol(util[1] / util[0], 2.0, 0.02);
    ck_assert_double_eq_tol(util[2] / util[0], 3.0, 0.03);
}
END_TEST

/* a -> {b, c} -> d on separate pools with a fixed network: a request alone
 * takes a + hop + max(b, c) + hop + d. */
START_TEST(fork_join_takes_the_slower_branch)
{
    fixture("fj.service.json",
            "{\"service\": \"fj\", \"entry\": \"a\", \"exit\": \"d\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}, {\"id\": \"c\"}, {\"id\": \"d\"}],\n"
            " \"edges\": [[\"a\", \"b\"], [\"a\", \"c\"], [\"b\", \"d\"], [\"c\", \"d\"]]}\n");
    const char *a = fixture(
        "fj.json", "{\"name\": \"fj\", \"service\": \"fj.service.json\",\n"
                   " \"pools\": [{\"id\": \"front\", \"nodes\": [\"a\", \"d\"], \"servers\": 1,\n"
                   "              \"cost_per_hour\": 1},\n"
                   "             {\"id\": \"back\", \"nodes\": [\"b\", \"c\"], \"servers\": 2,\n"
                   "              \"cost_per_hour\": 2, \"speed\": 2}],\n"
                   " \"network\": {\"hop\": \"det:1ms\", \"bandwidth_mbps\": 8}}\n");
    /* Requests 1 s apart never queue. b takes 10 ms and c 30 ms of work at
     * speed 2; a's output (1000 bytes at 8 Mbit/s) takes 1 ms to send, and
     * c's 2000 bytes take 2 ms. */
    const char *t =
        fixture("fj.trace", "#fluxotrace 1\n#service fj\n"
                            "1000000\tk1\ta=5000/1000\tb=10000/0\tc=30000/2000\td=2000\n"
                            "2000000\tk2\ta=5000/1000\tb=10000/0\tc=30000/2000\td=2000\n");
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    /* a 5 + hop 1 + transfer 1 + c 15 + hop 1 + transfer 2 + d 2 = 27 ms */
    ck_assert_uint_eq(res.completed, 2);
    ck_assert_int_eq((int64_t)res.latency.min, 27 * FX_MS);
    ck_assert_int_eq((int64_t)res.latency.max, 27 * FX_MS);
    ck_assert_double_eq_tol(res.cost_per_hour, 1 + 2 * 2, 1e-12);
    fx_replay_result_free(&res);
}
END_TEST

START_TEST(profiles_fill_missing_nodes_and_seeds_reproduce)
{
    fixture("pr.service.json",
            "{\"service\": \"pr\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\", \"profile\": \"exp:2ms\"}],\n"
            " \"edges\": [[\"a\", \"b\"]]}\n");
    const char *a = fixture("pr.json", "{\"name\": \"pr\", \"service\": \"pr.service.json\",\n"
                                       " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"],\n"
                                       "  \"servers\": 64, \"cost_per_hour\": 0}]}\n");
    char *text = malloc(40 * 20000 + 64);
    strcpy(text, "#fluxotrace 1\n");
    size_t len = strlen(text);
    for (int i = 0; i < 20000; i++)
        len += (size_t)sprintf(text + len, "%d\tk%d\ta=1000\n", 1000 * (i + 1), i % 50);
    const char *t = fixture("pr.trace", text);
    free(text);
    fx_replay_result r1, r2, r3;
    run(a, t, 1.0, 0, 7, &r1);
    run(a, t, 1.0, 0, 7, &r2);
    run(a, t, 1.0, 0, 8, &r3);
    /* 64 servers: no queueing; latency = 1 ms + Exp(2 ms). */
    ck_assert_double_eq_tol(fx_moments_mean(&r1.latency), 3.0 * FX_MS, 0.05 * FX_MS);
    ck_assert(memcmp(&r1.latency, &r2.latency, sizeof r1.latency) == 0);
    ck_assert(memcmp(r1.hist, r2.hist, sizeof *r1.hist) == 0);
    ck_assert_uint_eq(r1.events, r2.events);
    ck_assert(fx_moments_mean(&r1.latency) != fx_moments_mean(&r3.latency));
    fx_replay_result_free(&r1);
    fx_replay_result_free(&r2);
    fx_replay_result_free(&r3);
}
END_TEST

START_TEST(missing_demand_without_profile_is_an_error)
{
    fixture("np.service.json",
            "{\"service\": \"np\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"edges\": [[\"a\", \"b\"]]}\n");
    const char *a = fixture("np.json", "{\"name\": \"np\", \"service\": \"np.service.json\",\n"
                                       " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"],\n"
                                       "  \"servers\": 1, \"cost_per_hour\": 0}]}\n");
    const char *t = fixture("np.trace", "#fluxotrace 1\n1000\tk\ta=5\tb=5\n2000\tk\ta=5\n");
    fx_arch *arch;
    fx_err e;
    ck_assert_int_eq(fx_arch_load(a, &arch, &e), FX_OK);
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(t, arch->svc->ids, 2, &tr, &e), FX_OK);
    fx_replay_opts o = {1.0, 0, 1, NULL, NULL, NULL, 0};
    fx_replay_result res;
    ck_assert_int_eq(fx_replay_run(arch, tr, &o, &res, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "np.trace:3: expected a service time for node \"b\""), "%s", e.msg);
    fx_trace_close(tr);
    fx_arch_free(arch);
}
END_TEST

START_TEST(warmup_excludes_early_requests)
{
    char arch[512];
    fixture("mm.service.json", mm_service);
    mm_arch(arch, sizeof arch, 2, "ps");
    const char *a = fixture("mmps.json", arch);
    const char *t = mm_trace("w.trace", 10000, 1000.0, 0.001, 5);
    fx_replay_result all, later;
    run(a, t, 1.0, 0, 1, &all);
    run(a, t, 1.0, 5.0, 1, &later);
    ck_assert_uint_eq(all.requests, 10000);
    ck_assert_uint_eq(all.total_requests, 10000);
    /* About half the 10 s trace lies after 5 s. */
    ck_assert_uint_gt(later.requests, 4500);
    ck_assert_uint_lt(later.requests, 5500);
    ck_assert_uint_eq(later.total_requests, 10000);
    invariants(&later);
    fx_replay_result_free(&all);
    fx_replay_result_free(&later);
}
END_TEST

/* ---- transformations ------------------------------------------------------ */

static const char one_node_service[] =
    "{\"service\": \"one\", \"entry\": \"work\", \"exit\": \"work\",\n"
    " \"nodes\": [{\"id\": \"work\", \"volatile_s\": 5}], \"edges\": []}\n";

/* A request cache over the only node: 10 keys, each requested 20 times
 * 10 ms apart; an LRU big enough for all: 10 misses, 190 hits, and the pool
 * only sees the misses. Hits cost nothing (no lookup spec). */
START_TEST(cache_hits_skip_the_subgraph)
{
    fixture("one.service.json", one_node_service);
    const char *a =
        fixture("c.json", "{\"name\": \"c\", \"service\": \"one.service.json\",\n"
                          " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 1,\n"
                          "              \"cost_per_hour\": 1}],\n"
                          " \"caches\": [{\"id\": \"rc\", \"from\": \"work\", \"to\": \"work\",\n"
                          "   \"pool\": \"p\", \"capacity_bytes\": 1000, \"policy\": \"lru\",\n"
                          "   \"cost_per_gb_hour\": 2000}]}\n");
    char *text = malloc(64 * 200 + 64);
    size_t len = (size_t)sprintf(text, "#fluxotrace 1\n");
    for (int i = 0; i < 200; i++)
        len += (size_t)sprintf(text + len, "%d\tk%d\twork=2000/100/%x\n", 10000 * (i + 1), i % 10,
                               i % 10 + 1);
    const char *t = fixture("c.trace", text);
    free(text);
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    ck_assert_uint_eq(res.ncaches, 1);
    ck_assert_uint_eq(res.caches[0].misses, 10);
    ck_assert_uint_eq(res.caches[0].hits, 190);
    ck_assert_uint_eq(res.caches[0].stale_hits, 0);
    ck_assert_uint_eq(res.pools[0].visits, 10);
    ck_assert_uint_eq(res.completed, 200);
    ck_assert_int_eq((int64_t)res.latency.min, 0);
    ck_assert_int_eq((int64_t)res.latency.max, 2 * FX_MS);
    /* 1 server at 1/h, and 1000 bytes at 2000 per GB-hour. */
    ck_assert_double_eq_tol(res.cost_per_hour, 1.0 + 1000 * 1e-9 * 2000, 1e-12);
    fx_replay_result_free(&res);
}
END_TEST

/* The stored output differs from what the trace says the node outputs now:
 * a stale hit. Then the TTL (volatile_s 5 s) expires an entry. */
START_TEST(stale_hits_and_ttl)
{
    fixture("one.service.json", one_node_service);
    const char *a =
        fixture("s.json", "{\"name\": \"s\", \"service\": \"one.service.json\",\n"
                          " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 1,\n"
                          "              \"cost_per_hour\": 1}],\n"
                          " \"caches\": [{\"id\": \"rc\", \"from\": \"work\", \"to\": \"work\",\n"
                          "   \"pool\": \"p\", \"capacity_bytes\": 1000}]}\n");
    /* t=1s miss (A:1); 2s hit, fresh; 3s hit, stale (A is now 2); 9s: more
     * than 5 s after the insertion at 1s: expired, a miss. */
    const char *t = fixture("s.trace", "#fluxotrace 1\n"
                                       "1000000\tA\twork=100/10/1\n"
                                       "2000000\tA\twork=100/10/1\n"
                                       "3000000\tA\twork=100/10/2\n"
                                       "9000000\tA\twork=100/10/2\n");
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    ck_assert_uint_eq(res.caches[0].hits, 2);
    ck_assert_uint_eq(res.caches[0].misses, 2);
    ck_assert_uint_eq(res.caches[0].stale_hits, 1);
    ck_assert_uint_eq(res.stale_responses, 1);
    ck_assert_uint_eq(res.caches[0].expirations, 1);
    fx_replay_result_free(&res);
}
END_TEST

/* a -> b (the exit) and a -> slow, asynchronous: the response waits for a
 * and b only, yet slow's pool is busy. */
START_TEST(async_edges_leave_the_response)
{
    fixture("as.service.json",
            "{\"service\": \"as\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}, {\"id\": \"slow\"}],\n"
            " \"edges\": [[\"a\", \"b\"], [\"a\", \"slow\"]]}\n");
    const char *a = fixture(
        "as.json", "{\"name\": \"as\", \"service\": \"as.service.json\",\n"
                   " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"], \"servers\": 4,\n"
                   "              \"cost_per_hour\": 1},\n"
                   "             {\"id\": \"q\", \"nodes\": [\"slow\"], \"servers\": 1,\n"
                   "              \"cost_per_hour\": 1}],\n"
                   " \"async_edges\": [[\"a\", \"slow\"]]}\n");
    char *text = malloc(64 * 1000 + 64);
    size_t len = (size_t)sprintf(text, "#fluxotrace 1\n");
    for (int i = 0; i < 1000; i++)
        len += (size_t)sprintf(text + len, "%d\tk\ta=1000\tb=2000\tslow=50000\n", 100000 * (i + 1));
    const char *t = fixture("as.trace", text);
    free(text);
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    ck_assert_uint_eq(res.completed, 1000);
    ck_assert_int_eq((int64_t)res.latency.max, 3 * FX_MS);
    ck_assert_int_eq((int64_t)res.latency.min, 3 * FX_MS);
    /* 50 ms of work every 100 ms on one server. */
    ck_assert_double_eq_tol(res.pools[1].utilization, 0.5, 0.01);
    ck_assert_uint_eq(res.pools[1].visits, 1000);
    fx_replay_result_free(&res);
}
END_TEST

/* Servers that fail often, with no retries: some requests fail, and every
 * request is either completed or failed. */
START_TEST(failures_fail_requests)
{
    char arch[512];
    fixture("mm.service.json", mm_service);
    snprintf(arch, sizeof arch,
             "{\"name\": \"f\", \"service\": \"mm.service.json\",\n"
             " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 2,\n"
             "   \"cost_per_hour\": 1, \"mtbf_s\": 2, \"mttr_s\": 1, \"retries\": %d}]}\n",
             0);
    const char *a0 = fixture("f0.json", arch);
    snprintf(arch, sizeof arch,
             "{\"name\": \"f\", \"service\": \"mm.service.json\",\n"
             " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 2,\n"
             "   \"cost_per_hour\": 1, \"mtbf_s\": 2, \"mttr_s\": 1, \"retries\": %d,\n"
             "   \"retry_after\": \"det:1ms\"}]}\n",
             5);
    const char *a5 = fixture("f5.json", arch);
    const char *t = mm_trace("f.trace", 20000, 100.0, 0.005, 9);
    fx_replay_result r0, r5;
    run(a0, t, 1.0, 0, 1, &r0);
    run(a5, t, 1.0, 0, 1, &r5);
    ck_assert_uint_eq(r0.completed + r0.failed, 20000);
    ck_assert_uint_eq(r5.completed + r5.failed, 20000);
    ck_assert_uint_gt(r0.failed, 0);
    ck_assert_uint_lt(r5.failed, r0.failed / 4 + 1);
    /* Up 2 s, down 1 s on average: available two thirds of the time. */
    ck_assert(r0.pools[0].has_failures);
    ck_assert_double_eq_tol(r0.pools[0].availability, 2.0 / 3.0, 0.05);
    fx_replay_result_free(&r0);
    fx_replay_result_free(&r5);
}
END_TEST

/* Range partitions over numeric keys: keys below 500 go to partition 0,
 * which gets three requests in four. */
START_TEST(partitions_show_a_hot_partition)
{
    fixture("mm.service.json", mm_service);
    const char *a = fixture(
        "pt.json", "{\"name\": \"pt\", \"service\": \"mm.service.json\",\n"
                   " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 1,\n"
                   "   \"cost_per_hour\": 1, \"partitions\": 2, \"partition_by\": \"range\",\n"
                   "   \"splits\": [500]}]}\n");
    char *text = malloc(64 * 4000 + 64);
    size_t len = (size_t)sprintf(text, "#fluxotrace 1\n");
    for (int i = 0; i < 4000; i++)
        len += (size_t)sprintf(text + len, "%d\t%d\twork=400\n", 1000 * (i + 1),
                               i % 4 == 3 ? 700 + i % 100 : i % 500);
    const char *t = fixture("pt.trace", text);
    free(text);
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    ck_assert_uint_eq(res.pools[0].partitions, 2);
    ck_assert_uint_eq(res.pools[0].servers, 2);
    /* 0.4 ms every ms, three in four to partition 0. */
    ck_assert_double_eq_tol(res.pools[0].partition_util[0], 0.3, 0.01);
    ck_assert_double_eq_tol(res.pools[0].partition_util[1], 0.1, 0.01);
    ck_assert_double_eq_tol(res.cost_per_hour, 2.0, 1e-12);
    fx_replay_result_free(&res);
}
END_TEST

/* A precompute job refreshes the hot keys: it loads the pool and keeps the
 * entries alive past their TTL, so requests keep hitting. */
START_TEST(precompute_refreshes_hot_keys)
{
    fixture("one.service.json", one_node_service);
    static const char arch_fmt[] =
        "{\"name\": \"pc\", \"service\": \"one.service.json\",\n"
        " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 4,\n"
        "              \"cost_per_hour\": 1}],\n"
        " \"caches\": [{\"id\": \"rc\", \"from\": \"work\", \"to\": \"work\",\n"
        "   \"pool\": \"p\", \"capacity_bytes\": 100000, \"ttl_s\": 2}]%s}\n";
    char arch[1024];
    snprintf(arch, sizeof arch, arch_fmt, "");
    const char *plain = fixture("plain.json", arch);
    snprintf(arch, sizeof arch, arch_fmt,
             ",\n \"precompute\": [{\"cache\": \"rc\", \"period_s\": 1, \"top_k\": 5}]");
    const char *pre = fixture("pre.json", arch);
    /* Five hot keys every 10 ms for 20 s; their output never changes. */
    char *text = malloc(64 * 2000 + 64);
    size_t len = (size_t)sprintf(text, "#fluxotrace 1\n");
    for (int i = 0; i < 2000; i++)
        len += (size_t)sprintf(text + len, "%d\th%d\twork=1000/10/%x\n", 10000 * (i + 1), i % 5,
                               i % 5 + 1);
    const char *t = fixture("pc.trace", text);
    free(text);
    fx_replay_result rp, rq;
    run(plain, t, 1.0, 0, 1, &rp);
    run(pre, t, 1.0, 0, 1, &rq);
    /* Without refreshes every key expires every 2 s: about 50 misses. */
    ck_assert_uint_ge(rp.caches[0].misses, 40);
    ck_assert_uint_eq(rp.caches[0].refreshes, 0);
    /* With them, only the first request of each key misses. */
    ck_assert_uint_eq(rq.caches[0].misses, 5);
    ck_assert_uint_gt(rq.caches[0].refreshes, 50);
    /* The refreshes are work: the pool serves more than the misses. */
    ck_assert_uint_gt(rq.pools[0].visits, rq.caches[0].misses + 50);
    ck_assert_uint_eq(rq.completed, 2000);
    fx_replay_result_free(&rp);
    fx_replay_result_free(&rq);
}
END_TEST

/* "-" for a service time: the demand comes from the profile, the size and
 * hash from the line (a cache sees the recorded size). */
START_TEST(unrecorded_service_time_uses_the_profile)
{
    fixture("u.service.json", "{\"service\": \"u\", \"entry\": \"work\", \"exit\": \"work\",\n"
                              " \"nodes\": [{\"id\": \"work\", \"profile\": \"det:3ms\"}],\n"
                              " \"edges\": []}\n");
    const char *a =
        fixture("u.json", "{\"name\": \"u\", \"service\": \"u.service.json\",\n"
                          " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 1,\n"
                          "              \"cost_per_hour\": 1}],\n"
                          " \"caches\": [{\"id\": \"c\", \"from\": \"work\", \"to\": \"work\",\n"
                          "   \"pool\": \"p\", \"capacity_bytes\": 150}]}\n");
    /* Two keys of 100 bytes each cannot both fit in 150 bytes: with the
     * recorded sizes, A is evicted by B and misses again. */
    const char *t = fixture("u.trace", "#fluxotrace 1\n"
                                       "1000000\tA\twork=-/100/a\n"
                                       "2000000\tB\twork=-/100/b\n"
                                       "3000000\tA\twork=-/100/a\n");
    fx_replay_result res;
    run(a, t, 1.0, 0, 1, &res);
    ck_assert_uint_eq(res.completed, 3);
    ck_assert_int_eq((int64_t)res.latency.max, 3 * FX_MS);
    ck_assert_uint_eq(res.caches[0].misses, 3);
    ck_assert_uint_eq(res.caches[0].evictions, 2);
    fx_replay_result_free(&res);
}
END_TEST

/* ---- the whole-request cache shortcut ------------------------------------ */

typedef struct latencies {
    fx_time *v;
    size_t n, cap;
} latencies;

static void keep_latency(void *ctx, fx_time latency)
{
    latencies *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        ck_assert_ptr_nonnull(l->v);
    }
    l->v[l->n++] = latency;
}

/* A replay with a 1 s warm-up that keeps the latencies, with or without
 * the shortcuts. */
static void run_way(const char *arch_path, const char *trace_path, int no_shortcuts,
                    fx_replay_result *res, latencies *lat)
{
    fx_replay_opts o = {1.0, FX_SEC, 5, keep_latency, NULL, lat, no_shortcuts};
    run_opts(arch_path, trace_path, &o, res);
}

/* Two results that must be the same bit for bit (wall time aside). */
static void assert_same_result(const fx_replay_result *x, const fx_replay_result *y)
{
    ck_assert_uint_eq(x->requests, y->requests);
    ck_assert_uint_eq(x->completed, y->completed);
    ck_assert_uint_eq(x->failed, y->failed);
    ck_assert_uint_eq(x->stale_responses, y->stale_responses);
    ck_assert_uint_eq(x->total_requests, y->total_requests);
    ck_assert(memcmp(&x->latency, &y->latency, sizeof x->latency) == 0);
    ck_assert(memcmp(x->hist, y->hist, sizeof *x->hist) == 0);
    ck_assert(memcmp(&x->batch, &y->batch, sizeof x->batch) == 0);
    ck_assert(x->throughput_rps == y->throughput_rps);
    ck_assert(x->elapsed_s == y->elapsed_s);
    ck_assert(x->mean_in_flight == y->mean_in_flight);
    ck_assert_uint_eq(x->peak_in_flight, y->peak_in_flight);
    ck_assert_uint_eq(x->events, y->events);
    for (uint32_t p = 0; p < x->npools; p++) {
        ck_assert(x->pools[p].utilization == y->pools[p].utilization);
        ck_assert(x->pools[p].mean_queue == y->pools[p].mean_queue);
        ck_assert(x->pools[p].mean_wait_ms == y->pools[p].mean_wait_ms);
        ck_assert_uint_eq(x->pools[p].visits, y->pools[p].visits);
    }
    for (uint32_t c = 0; c < x->ncaches; c++) {
        ck_assert_uint_eq(x->caches[c].hits, y->caches[c].hits);
        ck_assert_uint_eq(x->caches[c].misses, y->caches[c].misses);
        ck_assert_uint_eq(x->caches[c].evictions, y->caches[c].evictions);
        ck_assert_uint_eq(x->caches[c].stale_hits, y->caches[c].stale_hits);
        ck_assert_uint_eq(x->caches[c].expirations, y->caches[c].expirations);
    }
}

/* A cache over the whole service (a -> b, from the entry to the exit)
 * answers a hit on the spot, without a request block: the same result, bit
 * for bit, as the general way, under every policy, with evictions, a TTL,
 * stale hits, a warm-up, and lines that leave a node to its profile or say
 * "-" (those take the general way: it draws from the profile). */
START_TEST(whole_cache_shortcut_changes_nothing)
{
    fixture("w.service.json",
            "{\"service\": \"w\", \"entry\": \"a\", \"exit\": \"b\",\n"
            " \"nodes\": [{\"id\": \"a\", \"profile\": \"exp:200us\", \"volatile_s\": 3},\n"
            "           {\"id\": \"b\", \"profile\": \"exp:300us\", \"volatile_s\": 3}],\n"
            " \"edges\": [[\"a\", \"b\"]]}\n");
    size_t cap = 6000 * 64 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)sprintf(text, "#fluxotrace 1\n");
    fx_pcg32 g;
    fx_pcg32_seed(&g, 3, 9);
    uint64_t t = 0;
    for (int i = 0; i < 6000; i++) {
        t += 1 + fx_pcg32_bounded(&g, 2000);
        double u = (double)fx_pcg32_bounded(&g, 1000) / 1000.0;
        unsigned k = (unsigned)(u * u * u * 300);       /* a few hot keys, a long tail */
        unsigned version = (unsigned)(t / 2500000) % 3; /* outputs change now and then */
        unsigned way = fx_pcg32_bounded(&g, 20);
        len += (size_t)sprintf(text + len, "%llu\tk%u", (unsigned long long)t, k);
        if (way == 0) /* b left to its profile */
            len += (size_t)sprintf(text + len, "\ta=150/%u/%x\n", 40 + k, k);
        else if (way == 1) /* a not recorded */
            len += (size_t)sprintf(text + len, "\ta=-/%u/%x\tb=250/%u/%x\n", 40 + k, k, 60 + k,
                                   k * 4 + version);
        else
            len += (size_t)sprintf(text + len, "\ta=150/%u/%x\tb=%u/%u/%x\n", 40 + k, k,
                                   200 + fx_pcg32_bounded(&g, 200), 60 + k, k * 4 + version);
    }
    char trace[128]; /* fixture's paths are reused after a few calls */
    snprintf(trace, sizeof trace, "%s", fixture("w.trace", text));
    free(text);

    static const char *const policies[] = {"lru", "fifo", "lfu", "clock", "s3fifo", "sieve"};
    uint64_t evictions = 0, expirations = 0, stale = 0;
    char arch[1024];
    for (size_t pi = 0; pi < sizeof policies / sizeof policies[0]; pi++) {
        snprintf(arch, sizeof arch,
                 "{\"name\": \"w\", \"service\": \"w.service.json\",\n"
                 " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"], \"servers\": 2,\n"
                 "              \"cost_per_hour\": 1}],\n"
                 " \"caches\": [{\"id\": \"c\", \"from\": \"a\", \"to\": \"b\", \"pool\": \"p\",\n"
                 "   \"capacity_bytes\": 12000, \"policy\": \"%s\", \"ttl_s\": 1}]}\n",
                 policies[pi]);
        const char *a = fixture("w.json", arch);
        fx_replay_result fast, slow;
        latencies lf = {0}, ls = {0};
        run_way(a, trace, 0, &fast, &lf);
        run_way(a, trace, 1, &slow, &ls);
        assert_same_result(&fast, &slow);
        ck_assert_uint_eq(lf.n, ls.n);
        ck_assert(memcmp(lf.v, ls.v, lf.n * sizeof *lf.v) == 0);
        /* The shortcut was taken, often; the general way never takes it. */
        ck_assert_msg(fast.answered_at_once > 1000, "%s: %llu", policies[pi],
                      (unsigned long long)fast.answered_at_once);
        ck_assert_uint_eq(slow.answered_at_once, 0);
        ck_assert_uint_gt(fast.total_requests, fast.requests); /* a warm-up */
        evictions += fast.caches[0].evictions;
        expirations += fast.caches[0].expirations;
        stale += fast.caches[0].stale_hits;
        free(lf.v);
        free(ls.v);
        fx_replay_result_free(&fast);
        fx_replay_result_free(&slow);
    }

    /* What the shortcut must get right happened. */
    ck_assert_uint_gt(evictions, 0);
    ck_assert_uint_gt(expirations, 0);
    ck_assert_uint_gt(stale, 0);

    /* A hit while another request is in flight makes the peak, and the last
     * response is a hit: it ends the measured span. */
    const char *small = fixture("s.trace", "#fluxotrace 1\n"
                                           "1000000\tA\ta=100/10/1\tb=100/10/1\n"
                                           "1100000\tB\ta=100000/10/2\tb=100/10/2\n"
                                           "1150000\tA\ta=100/10/1\tb=100/10/1\n"
                                           "1900000\tA\ta=100/10/1\tb=100/10/1\n");
    fx_replay_result fast, slow;
    latencies lf = {0}, ls = {0};
    const char *a = fixture("w.json", arch);
    run_way(a, small, 0, &fast, &lf);
    run_way(a, small, 1, &slow, &ls);
    assert_same_result(&fast, &slow);
    ck_assert_uint_eq(fast.answered_at_once, 2);
    ck_assert_uint_eq(fast.peak_in_flight, 2);
    ck_assert_double_eq_tol(fast.elapsed_s, 0.9, 1e-9);
    free(lf.v);
    free(ls.v);
    fx_replay_result_free(&fast);
    fx_replay_result_free(&slow);

    /* Not a whole-request cache: a lookup that costs time, or a cache that
     * stops before the exit. The general way, always. */
    static const char *const others[] = {
        "\"from\": \"a\", \"to\": \"b\", \"pool\": \"p\", \"capacity_bytes\": 6000, "
        "\"lookup\": \"det:10us\"",
        "\"from\": \"a\", \"to\": \"a\", \"pool\": \"p\", \"capacity_bytes\": 6000",
    };
    for (size_t i = 0; i < 2; i++) {
        snprintf(arch, sizeof arch,
                 "{\"name\": \"w\", \"service\": \"w.service.json\",\n"
                 " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\"], \"servers\": 2,\n"
                 "              \"cost_per_hour\": 1}],\n"
                 " \"caches\": [{\"id\": \"c\", %s}]}\n",
                 others[i]);
        fx_replay_result res;
        latencies l = {0};
        run_way(fixture("o.json", arch), trace, 0, &res, &l);
        ck_assert_uint_gt(res.caches[0].hits, 1000);
        ck_assert_uint_eq(res.answered_at_once, 0);
        free(l.v);
        fx_replay_result_free(&res);
    }
}
END_TEST

TCase *fx_tcase_replay(void)
{
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, mmc_trace_agrees_with_erlang_c);
    tcase_add_test(tc, rate_scale_raises_utilization);
    tcase_add_test(tc, fork_join_takes_the_slower_branch);
    tcase_add_test(tc, profiles_fill_missing_nodes_and_seeds_reproduce);
    tcase_add_test(tc, missing_demand_without_profile_is_an_error);
    tcase_add_test(tc, warmup_excludes_early_requests);
    tcase_add_test(tc, cache_hits_skip_the_subgraph);
    tcase_add_test(tc, stale_hits_and_ttl);
    tcase_add_test(tc, async_edges_leave_the_response);
    tcase_add_test(tc, failures_fail_requests);
    tcase_add_test(tc, partitions_show_a_hot_partition);
    tcase_add_test(tc, precompute_refreshes_hot_keys);
    tcase_add_test(tc, unrecorded_service_time_uses_the_profile);
    tcase_add_test(tc, whole_cache_shortcut_changes_nothing);
    return tc;
}
