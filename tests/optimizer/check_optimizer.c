/* The optimizer: search spaces (counting, enumeration, canonical form,
 * validity), every strategy through one conformance test, exhaustive
 * against an enumeration the test does by itself, determinism across
 * thread counts, memoization, screening. Fixtures (a service, a base, a
 * trace written with fx_trace_writer, spaces) go to a temporary folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>

#include "models/arch.h"
#include "models/replay.h"
#include "models/result.h"
#include "optimizer/eval.h"
#include "optimizer/space.h"
#include "optimizer/strategy.h"
#include "sim/pcg.h"
#include "traces/trace.h"

TCase *fx_tcase_optimizer(void);

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/fx-opt-XXXXXX");
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

/* a -> b -> c (the exit), a -> d (a log with side effects); b is slow and
 * its output depends on the key only, so caches over b pay. */
static const char service[] =
    "{\"service\": \"s\", \"entry\": \"a\", \"exit\": \"c\",\n"
    " \"nodes\": [{\"id\": \"a\", \"profile\": \"exp:100us\"},\n"
    "            {\"id\": \"b\", \"profile\": \"exp:2ms\", \"volatile_s\": 30},\n"
    "            {\"id\": \"c\", \"profile\": \"exp:300us\"},\n"
    "            {\"id\": \"d\", \"profile\": \"exp:50us\", \"side_effects\": true}],\n"
    " \"edges\": [[\"a\", \"b\"], [\"b\", \"c\"], [\"a\", \"d\"]]}\n";

static const char base[] =
    "{\"name\": \"base\", \"service\": \"s.service.json\",\n"
    " \"pools\": [{\"id\": \"front\", \"nodes\": [\"a\", \"c\", \"d\"], \"servers\": 1,\n"
    "             \"cost_per_hour\": 0.1},\n"
    "            {\"id\": \"back\", \"nodes\": [\"b\"], \"servers\": 3, \"cost_per_hour\": "
    "0.05}],\n"
    " \"network\": {\"hop\": \"det:100us\"}}\n";

/* N requests, Poisson at RATE per second, 40 keys (skewed). */
static const char *make_trace(const char *name, unsigned n, double rate, uint64_t seed)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const char *nodes[] = {"a", "b", "c", "d"};
    fx_trace_writer *w;
    fx_err e;
    ck_assert_int_eq(fx_trace_writer_open(path, "s", nodes, 4, &w, &e), FX_OK);
    gsl_rng *r = fx_rng_alloc(seed, 3);
    double t = 0;
    char key[32];
    for (unsigned i = 0; i < n; i++) {
        t += gsl_ran_exponential(r, 1.0 / rate);
        double u = gsl_rng_uniform(r);
        unsigned k = (unsigned)(40 * u * u * u);
        snprintf(key, sizeof key, "k%u", k);
        fx_trace_field f[4];
        memset(f, 0, sizeof f);
        double demand[4] = {100, 2000, 300, 50};
        for (unsigned j = 0; j < 4; j++) {
            f[j].node = j;
            f[j].service = (fx_time)llround(gsl_ran_exponential(r, demand[j])) * FX_US;
            f[j].has_hash = j != 3;
            f[j].hash = fx_mix64(k * 4 + j + 1);
            f[j].has_bytes = 1;
            f[j].bytes = 100;
        }
        fx_trace_rec rec = {(fx_time)llround(t * 1e6) * FX_US, key, strlen(key), 0, f, 4, 0};
        ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);
    return path;
}

/* latency_ms.mean as the result document prints it: the optimizer's
 * metrics are the document's numbers. */
static double doc_mean(const fx_replay_result *res)
{
    char *text = fx_result_json(res, "x", "t");
    ck_assert_ptr_nonnull(text);
    cJSON *doc = cJSON_Parse(text);
    ck_assert_ptr_nonnull(doc);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "latency_ms"), "mean");
    ck_assert(cJSON_IsNumber(v));
    double mean = v->valuedouble;
    cJSON_Delete(doc);
    free(text);
    return mean;
}

static fx_space *load(const char *name, const char *text)
{
    fixture("s.service.json", service);
    fixture("base.json", base);
    const char *p = fixture(name, text);
    fx_space *s = NULL;
    fx_err e;
    ck_assert_msg(fx_space_load(p, &s, &e) == FX_OK, "%s", e.msg);
    return s;
}

/* A small space: back servers 1..4, no cache or a cache over b..b or
 * b..c, the log edge synchronous or not: 4 x 3 x 2 = 24 candidates. */
static const char small_space[] =
    "{\"base\": \"base.json\",\n"
    " \"vars\": {\"servers\": {\"back\": [1, 4]},\n"
    "          \"caches\": {\"placements\": [[\"b\", \"b\"], [\"b\", \"c\"]], \"pools\": "
    "[\"front\"],\n"
    "                     \"capacity_bytes\": [100000]},\n"
    "          \"async_edges\": [[\"a\", \"d\"]]},\n"
    " \"objective\": {\"minimize\": \"latency_ms.mean\", \"subject_to\": {\"cost_per_hour\": "
    "0.2}}}\n";

/* A larger one for the conformance test: two cache slots over every
 * placement, two pools (one dedicated), TTLs beyond some bounds. */
static const char wide_space[] =
    "{\"base\": \"base.json\",\n"
    " \"vars\": {\"servers\": {\"back\": [1, 3], \"front\": [1, 2]},\n"
    "          \"caches\": {\"placements\": \"auto\",\n"
    "                     \"pools\": [\"front\", {\"id\": \"kv\", \"servers\": 1, "
    "\"cost_per_hour\": 0.01}],\n"
    "                     \"capacity_bytes\": [500, 100000], \"policies\": [\"lru\", "
    "\"fifo\"],\n"
    "                     \"ttl_s\": [10, 60], \"lookup\": \"det:50us\", \"max\": 2},\n"
    "          \"async_edges\": \"auto\"},\n"
    " \"objective\": {\"minimize\": \"cost_per_hour\",\n"
    "               \"subject_to\": {\"latency_ms.p99\": 15, \"stale_responses\": \"20%\"}}}\n";

static fx_optimize_opts opts(const char *strategy, unsigned jobs, uint64_t budget)
{
    fx_optimize_opts o;
    memset(&o, 0, sizeof o);
    fx_err e;
    ck_assert_int_eq(fx_strategy_find(strategy, &o.strategy, &e), FX_OK);
    o.sopts.temp0 = 0.1;
    o.sopts.cooling = 0.95;
    o.sopts.batch = 4;
    o.sopts.max_evals = 2000;
    o.budget = budget;
    o.seed = 1;
    o.jobs = jobs;
    o.confirm = 3;
    return o;
}

/* ---- spaces --------------------------------------------------------------- */

/* A before B, the first variable the most significant. */
static int lex_less(const uint32_t *a, const uint32_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i];
    return 0;
}

/* The count, the iterator and a brute force over every raw vector agree:
 * the same set of valid canonical points. */
START_TEST(count_iterate_and_brute_force_agree)
{
    fx_space *s = load("w.space.json", wide_space);
    size_t nv = fx_space_nvars(s);
    int exact = 0;
    double count = fx_space_count(s, &exact);
    ck_assert(exact);
    /* Brute force: every vector of the product, canonical and valid, kept
     * once (a sorted list of distinct points). */
    uint64_t total = 1;
    for (size_t i = 0; i < nv; i++)
        total *= fx_space_var_size(s, i);
    uint32_t *x = calloc(nv, sizeof *x), *y = calloc(nv, sizeof *y);
    uint32_t *seen = malloc((size_t)count * nv * sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    size_t nseen = 0;
    for (uint64_t k = 0; k < total; k++) {
        uint64_t r = k;
        for (size_t i = nv; i-- > 0;) {
            x[i] = (uint32_t)(r % fx_space_var_size(s, i));
            r /= fx_space_var_size(s, i);
        }
        memcpy(y, x, nv * sizeof *y);
        if (!fx_space_canonical(s, y))
            continue;
        if (memcmp(x, y, nv * sizeof *x) != 0)
            continue; /* counted through its canonical form */
        ck_assert_uint_lt(nseen, (size_t)count);
        memcpy(seen + nseen * nv, y, nv * sizeof *y);
        nseen++;
    }
    ck_assert_uint_eq(nseen, (size_t)count);
    /* The iterator: valid, canonical, distinct, all of them. */
    fx_space_iter *it;
    fx_err e;
    ck_assert_int_eq(fx_space_iter_alloc(s, 100000, &it, &e), FX_OK);
    size_t n = 0;
    uint8_t *hit = calloc(nseen, 1);
    while (fx_space_iter_next(it, x)) {
        memcpy(y, x, nv * sizeof *y);
        ck_assert(fx_space_canonical(s, y));
        ck_assert(memcmp(x, y, nv * sizeof *x) == 0);
        size_t lo = 0, hi = nseen;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (lex_less(seen + mid * nv, x, nv))
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t j = lo;
        ck_assert_uint_lt(j, nseen);
        ck_assert(memcmp(seen + j * nv, x, nv * sizeof *x) == 0);
        ck_assert_msg(!hit[j], "the iterator gave a point twice");
        hit[j] = 1;
        n++;
    }
    ck_assert_uint_eq(n, nseen);
    fx_space_iter_free(it);
    ck_assert_int_eq(fx_space_iter_alloc(s, 3, &it, &e), FX_ELIMIT);
    free(hit);
    free(seen);
    free(x);
    free(y);
    fx_space_free(s);
}
END_TEST

/* Neighbours are valid, canonical, distinct, and differ from the point in
 * one variable (before sorting the cache slots). */
START_TEST(neighbours_are_valid_points)
{
    fx_space *s = load("w.space.json", wide_space);
    size_t nv = fx_space_nvars(s);
    uint32_t *x = calloc(nv, sizeof *x), *y = calloc(nv, sizeof *y);
    uint32_t *nb = malloc(fx_space_max_neighbours(s) * nv * sizeof *nb);
    fx_pcg32 rng;
    fx_pcg32_seed(&rng, 5, 7);
    for (int trial = 0; trial < 200; trial++) {
        ck_assert(fx_space_random_point(s, &rng, x));
        size_t n = fx_space_neighbours(s, x, nb);
        for (size_t i = 0; i < n; i++) {
            memcpy(y, nb + i * nv, nv * sizeof *y);
            ck_assert(fx_space_canonical(s, y));
            ck_assert(memcmp(y, nb + i * nv, nv * sizeof *y) == 0);
            ck_assert(memcmp(y, x, nv * sizeof *y) != 0);
            for (size_t j = 0; j < i; j++)
                ck_assert(memcmp(nb + j * nv, y, nv * sizeof *y) != 0);
        }
    }
    free(nb);
    free(x);
    free(y);
    fx_space_free(s);
}
END_TEST

/* Errors name the space file and the JSON path. */
START_TEST(bad_spaces_name_the_path)
{
    fixture("s.service.json", service);
    fixture("base.json", base);
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"base\": \"base.json\", \"vars\": {\"servers\": {\"nope\": [1, 2]}}, \"objective\": "
         "{\"minimize\": \"latency_ms.mean\"}}",
         "bad.json: vars.servers.nope: unknown pool \"nope\"; expected one of front, back"},
        {"{\"base\": \"base.json\", \"vars\": {\"servers\": {\"back\": [3, 2]}}, \"objective\": "
         "{\"minimize\": \"latency_ms.mean\"}}",
         "bad.json: vars.servers.back[1]: expected at least 3, found 2"},
        {"{\"base\": \"base.json\", \"vars\": {\"caches\": {\"placements\": [[\"a\", \"c\"]], "
         "\"pools\": [\"front\"], \"capacity_bytes\": [10]}}, \"objective\": {\"minimize\": "
         "\"latency_ms.mean\"}}",
         "bad.json: vars.caches.placements[0]: expected a valid placement, found a..c"},
        {"{\"base\": \"base.json\", \"vars\": {\"caches\": {\"pools\": [\"front\"], "
         "\"capacity_bytes\": [10], \"policies\": [\"lrv\"]}}, \"objective\": {\"minimize\": "
         "\"latency_ms.mean\"}}",
         "bad.json: vars.caches.policies[0]: unknown policy \"lrv\"; expected one of lru"},
        {"{\"base\": \"base.json\", \"vars\": {\"servers\": {\"back\": [1, 2]}}}",
         "bad.json: objective.subject_to: expected a bound when minimizing cost_per_hour"},
        {"{\"base\": \"base.json\", \"vars\": {\"servers\": {\"back\": [1, 2]}}, \"objective\": "
         "{\"subject_to\": {\"latency_ms.p98\": 3}}}",
         "bad.json: objective.subject_to.latency_ms.p98: unknown result key"},
        {"{\"base\": \"base.json\", \"vars\": {\"servers\": {\"back\": [1, 2]}}, \"objective\": "
         "{\"subject_to\": {\"stale_responses\": \"1 %\"}}}",
         "bad.json: objective.subject_to.stale_responses: expected a number or a percentage"},
        {"{\"base\": \"base.json\", \"vars\": {\"async_edges\": [[\"a\", \"b\"]]}, \"objective\": "
         "{\"minimize\": \"latency_ms.mean\"}}",
         "bad.json: vars.async_edges[0]: expected an edge that may be asynchronous, found a -> b"},
        {"{\"base\": \"nothere.json\", \"vars\": {}}", "nothere.json"},
        {"{\"base\": \"base.json\", \"vars\": {\"sever\": {}}}",
         "bad.json: vars: unknown key \"sever\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = fixture("bad.json", cases[i].text);
        fx_space *s = NULL;
        fx_err e;
        fx_status st = fx_space_load(p, &s, &e);
        ck_assert_msg(st != FX_OK, "case %zu loaded", i);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(e.msg, cases[i].want) != NULL, "case %zu: %s", i, e.msg);
    }
}
END_TEST

/* ---- strategies ----------------------------------------------------------- */

/* The conformance test wraps each registered strategy: every point it
 * proposes must be canonical-valid and build with fx_arch_from_json. */
static const fx_strategy *inner;
static const fx_space *inner_space;
static uint64_t proposed, refused;

static size_t wrapped_propose(void *state, fx_search *s, uint32_t *batch, size_t max)
{
    size_t n = inner->propose(state, s, batch, max);
    size_t nv = fx_space_nvars(inner_space);
    uint32_t *y = malloc(nv * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        proposed++;
        memcpy(y, batch + i * nv, nv * sizeof *y);
        fx_arch *a = NULL;
        fx_err e;
        if (!fx_space_canonical(inner_space, y) ||
            fx_space_arch(inner_space, y, "probe", &a, &e) != FX_OK)
            refused++;
        fx_arch_free(a);
    }
    free(y);
    return n;
}

START_TEST(every_strategy_proposes_valid_candidates)
{
    fx_space *s = load("w.space.json", wide_space);
    const char *t = make_trace("t.trace", 600, 500, 2);
    inner = fx_strategies[_i];
    inner_space = s;
    proposed = refused = 0;
    fx_strategy w = *inner;
    w.propose = wrapped_propose;
    fx_optimize_opts o = opts(inner->name, 2, 60);
    o.strategy = &w;
    o.sopts.max_evals = 100000;
    fx_optimize_result res;
    fx_err e;
    ck_assert_msg(fx_optimize_run(s, t, &o, &res, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_gt(proposed, 0);
    ck_assert_uint_eq(refused, 0);
    ck_assert_uint_eq(res.invalid, 0);
    ck_assert_uint_eq(res.proposals, proposed);
    ck_assert_uint_eq(res.nrows, 60);
    /* Memoized: no canonical candidate twice in the log. */
    size_t nv = fx_space_nvars(s);
    for (size_t i = 0; i < res.nrows; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(memcmp(res.rows[i].x, res.rows[j].x, nv * sizeof *res.rows[i].x) != 0,
                          "%s evaluated one candidate twice (#%zu, #%zu)", inner->name, j + 1,
                          i + 1);
    /* Every row was built and replayed. */
    for (size_t i = 0; i < res.nrows; i++)
        ck_assert_msg(res.rows[i].score.ok, "%s", res.rows[i].reason);
    fx_optimize_result_free(&res);
    fx_space_free(s);
}
END_TEST

/* The same seed gives the same log and the same best for -j 1 and -j 2. */
START_TEST(same_seed_same_result_for_any_jobs)
{
    fx_space *s = load("w.space.json", wide_space);
    const char *t = make_trace("t.trace", 600, 500, 2);
    const char *name = fx_strategies[_i]->name;
    fx_optimize_result r[2];
    fx_err e;
    for (unsigned k = 0; k < 2; k++) {
        fx_optimize_opts o = opts(name, k + 1, 40);
        o.sopts.max_evals = 100000;
        ck_assert_msg(fx_optimize_run(s, t, &o, &r[k], &e) == FX_OK, "%s", e.msg);
    }
    size_t nv = fx_space_nvars(s), nm = fx_space_nmetrics(s);
    ck_assert_uint_eq(r[0].nrows, r[1].nrows);
    ck_assert_uint_eq(r[0].best, r[1].best);
    ck_assert_uint_eq(r[0].proposals, r[1].proposals);
    for (size_t i = 0; i < r[0].nrows; i++) {
        ck_assert(memcmp(r[0].rows[i].x, r[1].rows[i].x, nv * sizeof(uint32_t)) == 0);
        ck_assert(memcmp(r[0].rows[i].metrics, r[1].rows[i].metrics, nm * sizeof(double)) == 0);
        ck_assert_uint_eq(r[0].rows[i].step, r[1].rows[i].step);
        ck_assert_int_eq(r[0].rows[i].score.feasible, r[1].rows[i].score.feasible);
    }
    fx_optimize_result_free(&r[0]);
    fx_optimize_result_free(&r[1]);
    fx_space_free(s);
}
END_TEST

/* An evaluator that scores each batch through an fx_optimize_worker, as
 * the MPI workers do, last row first (so the order of completion differs
 * from the log's). */
typedef struct elsewhere {
    fx_optimize_worker *w;
    size_t calls, rows;
} elsewhere;

static fx_status evaluate_elsewhere(void *ctx, fx_eval_row *const *rows, size_t n, fx_err *e)
{
    elsewhere *x = ctx;
    x->calls++;
    for (size_t i = n; i-- > 0;) {
        fx_optimize_worker_eval(x->w, rows[i]);
        x->rows++;
    }
    return FX_OK;
}

/* A search whose candidates are scored by a worker gives the local
 * search's log and result, plain, screened and pruned by the model. */
START_TEST(a_worker_scores_as_the_search_does)
{
    fx_space *s = load("w.space.json", wide_space);
    const char *t = make_trace("t.trace", 600, 500, 2);
    const char *name = fx_strategies[_i]->name;
    size_t nv = fx_space_nvars(s), nm = fx_space_nmetrics(s);
    for (int mode = 0; mode < 3; mode++) {
        fx_optimize_result r[2];
        fx_err e;
        elsewhere x = {NULL, 0, 0};
        for (unsigned k = 0; k < 2; k++) {
            fx_optimize_opts o = opts(name, 2, 30);
            o.sopts.max_evals = 100000;
            o.screen = mode == 1 ? 0.5 : 0;
            o.analytic = mode == 2 ? 0.2 : 0;
            if (k == 1) {
                ck_assert_msg(fx_optimize_worker_open(s, t, &o, &x.w, &e) == FX_OK, "%s", e.msg);
                o.evaluate = evaluate_elsewhere;
                o.ectx = &x;
            }
            ck_assert_msg(fx_optimize_run(s, t, &o, &r[k], &e) == FX_OK, "%s", e.msg);
        }
        fx_optimize_worker_close(x.w);
        ck_assert_uint_gt(x.calls, 0);
        ck_assert_uint_eq(x.rows, r[1].nrows);
        ck_assert_uint_eq(r[0].nrows, r[1].nrows);
        ck_assert_uint_eq(r[0].best, r[1].best);
        ck_assert_uint_eq(r[0].proposals, r[1].proposals);
        ck_assert_uint_eq(r[0].pruned, r[1].pruned);
        for (size_t i = 0; i < r[0].nrows; i++) {
            const fx_eval_row *a = &r[0].rows[i], *b = &r[1].rows[i];
            ck_assert(memcmp(a->x, b->x, nv * sizeof(uint32_t)) == 0);
            ck_assert(memcmp(a->metrics, b->metrics, nm * sizeof(double)) == 0);
            ck_assert_int_eq(a->sample, b->sample);
            ck_assert_int_eq(a->analytic, b->analytic);
            ck_assert_int_eq(a->score.feasible, b->score.feasible);
            ck_assert_int_eq(fx_score_cmp(&a->score, &b->score), 0);
            ck_assert_str_eq(a->reason ? a->reason : "", b->reason ? b->reason : "");
        }
        if (mode == 1)
            ck_assert_uint_gt(r[1].confirmed, 0);
        if (mode == 2 && strcmp(name, "exhaustive") == 0) /* the others may prune none */
            ck_assert_uint_gt(r[1].pruned, 0);
        fx_optimize_result_free(&r[0]);
        fx_optimize_result_free(&r[1]);
    }
    fx_optimize_worker *w;
    fx_err e;
    fx_optimize_opts o = opts(name, 1, 10);
    ck_assert_int_eq(fx_optimize_worker_open(s, "-", &o, &w, &e), FX_EINVAL);
    ck_assert_ptr_null(w);
    fx_space_free(s);
}
END_TEST

/* Exhaustive finds the optimum of the small space, which the test
 * enumerates by itself: 24 architecture files, each replayed. */
START_TEST(exhaustive_finds_the_true_optimum)
{
    fx_space *s = load("small.space.json", small_space);
    const char *t = make_trace("t.trace", 2000, 400, 9);
    static const char *const caches[] = {
        "",
        ",\n \"caches\": [{\"id\": \"b..b\", \"from\": \"b\", \"to\": \"b\", \"pool\": \"front\", "
        "\"capacity_bytes\": 100000}]",
        ",\n \"caches\": [{\"id\": \"b..c\", \"from\": \"b\", \"to\": \"c\", \"pool\": \"front\", "
        "\"capacity_bytes\": 100000}]"};
    double best = INFINITY;
    unsigned best_servers = 0, best_cache = 0, best_async = 0, feasible = 0;
    for (unsigned servers = 1; servers <= 4; servers++)
        for (unsigned c = 0; c < 3; c++)
            for (unsigned async = 0; async < 2; async++) {
                char text[2048];
                snprintf(text, sizeof text,
                         "{\"name\": \"own\", \"service\": \"s.service.json\",\n"
                         " \"pools\": [{\"id\": \"front\", \"nodes\": [\"a\", \"c\", \"d\"], "
                         "\"servers\": 1, \"cost_per_hour\": 0.1},\n"
                         "            {\"id\": \"back\", \"nodes\": [\"b\"], \"servers\": %u, "
                         "\"cost_per_hour\": 0.05}],\n"
                         " \"network\": {\"hop\": \"det:100us\"}%s%s}\n",
                         servers, caches[c], async ? ",\n \"async_edges\": [[\"a\", \"d\"]]" : "");
                const char *p = fixture("own.json", text);
                fx_arch *a;
                fx_err e;
                ck_assert_msg(fx_arch_load(p, &a, &e) == FX_OK, "%s", e.msg);
                fx_trace_reader *tr;
                ck_assert_int_eq(fx_trace_open(t, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
                fx_replay_opts ro = {1.0, 0, 1, NULL, NULL, NULL, 0};
                fx_replay_result res;
                ck_assert_msg(fx_replay_run(a, tr, &ro, &res, &e) == FX_OK, "%s", e.msg);
                double mean = doc_mean(&res);
                if (res.cost_per_hour <= 0.2) {
                    feasible++;
                    if (mean < best) {
                        best = mean;
                        best_servers = servers;
                        best_cache = c;
                        best_async = async;
                    }
                }
                fx_replay_result_free(&res);
                fx_trace_close(tr);
                fx_arch_free(a);
            }
    ck_assert_uint_eq(feasible, 12);

    fx_optimize_opts o = opts("exhaustive", 2, 0);
    fx_optimize_result res;
    fx_err e;
    ck_assert_msg(fx_optimize_run(s, t, &o, &res, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(res.nrows, 24);
    ck_assert(res.count_exact && res.count == 24);
    ck_assert_uint_ne(res.best, SIZE_MAX);
    const fx_eval_row *b = &res.rows[res.best];
    ck_assert_msg(b->score.objective == best, "exhaustive %.17g, the test's own %.17g",
                  b->score.objective, best);
    char buf[64];
    static const char *const placement[] = {"none", "b..b", "b..c"};
    for (size_t i = 0; i < fx_space_nvars(s); i++) {
        const char *name = fx_space_var_name(s, i);
        const char *v = fx_space_var_text(s, i, b->x[i], buf, sizeof buf);
        if (strcmp(name, "servers.back") == 0)
            ck_assert_uint_eq(strtoul(v, NULL, 10), best_servers);
        else if (strcmp(name, "cache1.placement") == 0)
            ck_assert_str_eq(v, placement[best_cache]);
        else if (strcmp(name, "async.a->d") == 0)
            ck_assert_str_eq(v, best_async ? "yes" : "no");
    }
    fx_optimize_result_free(&res);

    /* Too many candidates for --max-evals: refused, with the count. */
    o.sopts.max_evals = 23;
    ck_assert_int_eq(fx_optimize_run(s, t, &o, &res, &e), FX_ELIMIT);
    ck_assert_msg(strstr(e.msg, "holds 24 candidates, more than --max-evals 23"), "%s", e.msg);
    fx_optimize_result_free(&res);
    fx_space_free(s);
}
END_TEST

/* Screening: candidates scored on a sample of the keys, the best few
 * replayed on the whole trace; the best is one of those, and its metrics
 * are those of a replay of the whole trace. */
START_TEST(screening_confirms_on_the_whole_trace)
{
    fx_space *s = load("small.space.json", small_space);
    const char *t = make_trace("t.trace", 2000, 400, 9);
    fx_optimize_opts o = opts("exhaustive", 2, 0);
    o.screen = 0.5;
    o.confirm = 3;
    fx_optimize_result res;
    fx_err e;
    ck_assert_msg(fx_optimize_run(s, t, &o, &res, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(res.sampled, 24);
    ck_assert_uint_eq(res.confirmed, 3);
    ck_assert_uint_eq(res.nrows, 27);
    ck_assert_uint_eq(res.requests, 2000);
    ck_assert(res.sample_requests > 0 && res.sample_requests < 2000);
    ck_assert_uint_ge(res.best, 24);
    const fx_eval_row *b = &res.rows[res.best];
    ck_assert(!b->sample && b->confirm);
    fx_arch *a;
    ck_assert_int_eq(fx_space_arch(s, b->x, "again", &a, &e), FX_OK);
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(t, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
    fx_replay_opts ro = {1.0, 0, 1, NULL, NULL, NULL, 0};
    fx_replay_result rr;
    ck_assert_int_eq(fx_replay_run(a, tr, &ro, &rr, &e), FX_OK);
    ck_assert(doc_mean(&rr) == b->score.objective);
    fx_replay_result_free(&rr);
    fx_trace_close(tr);
    fx_arch_free(a);
    fx_optimize_result_free(&res);
    fx_space_free(s);
}
END_TEST

/* The registry: every strategy has a name, a summary and operations, and
 * a lookup that fails lists every name. */
START_TEST(registry_lists_every_strategy)
{
    size_t n = 0;
    for (; fx_strategies[n]; n++) {
        const fx_strategy *st = fx_strategies[n];
        ck_assert(st->name && st->summary && st->init && st->propose && st->observe);
        const fx_strategy *found;
        fx_err e;
        ck_assert_int_eq(fx_strategy_find(st->name, &found, &e), FX_OK);
        ck_assert_ptr_eq(found, st);
    }
    ck_assert_uint_ge(n, 3);
    const fx_strategy *found;
    fx_err e;
    ck_assert_int_eq(fx_strategy_find("tabu", &found, &e), FX_EINVAL);
    ck_assert_str_eq(e.msg,
                     "unknown strategy \"tabu\"; expected one of exhaustive, greedy, anneal");
}
END_TEST

static int nstrategies(void)
{
    int n = 0;
    while (fx_strategies[n])
        n++;
    return n;
}

TCase *fx_tcase_optimizer(void)
{
    TCase *tc = tcase_create("optimizer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, count_iterate_and_brute_force_agree);
    tcase_add_test(tc, neighbours_are_valid_points);
    tcase_add_test(tc, bad_spaces_name_the_path);
    tcase_add_loop_test(tc, every_strategy_proposes_valid_candidates, 0, nstrategies());
    tcase_add_loop_test(tc, same_seed_same_result_for_any_jobs, 0, nstrategies());
    tcase_add_loop_test(tc, a_worker_scores_as_the_search_does, 0, nstrategies());
    tcase_add_test(tc, exhaustive_finds_the_true_optimum);
    tcase_add_test(tc, screening_confirms_on_the_whole_trace);
    tcase_add_test(tc, registry_lists_every_strategy);
    return tc;
}
