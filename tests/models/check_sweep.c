/* Sweeps: the confidence interval against t s / sqrt(n) worked out here,
 * number formatting, the point order, rows that do not depend on the
 * number of threads, a row against the replays it summarises, resuming
 * and merging, and the load-time errors. Fixtures (a two-node service, a
 * candidate, two traces, sweep files) go to a temporary folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/arch.h"
#include "models/replay.h"
#include "models/sweep.h"
#include "tests/check.h"
#include "traces/trace.h"

TCase *fx_tcase_sweep(void);

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/fx-sweep-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Write TEXT to DIR/NAME; returns the path (a static buffer per call of 8). */
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

/* Service "s": a -> b, each with a profile (so trace lines may omit b and
 * draw it, which makes replications differ); candidate "c": two pools and a
 * random network hop; traces t1 (every line gives b) and t2 (no line
 * does). */
static void write_model(void)
{
    fixture("s.service.json", "{\"service\": \"s\", \"entry\": \"a\", \"exit\": \"b\",\n"
                              " \"nodes\": [{\"id\": \"a\", \"profile\": \"exp:200us\"},\n"
                              "            {\"id\": \"b\", \"profile\": \"exp:400us\"}],\n"
                              " \"edges\": [[\"a\", \"b\"]]}\n");
    fixture("c.json", "{\"name\": \"c\", \"service\": \"s.service.json\",\n"
                      " \"pools\": [{\"id\": \"front\", \"nodes\": [\"a\"], \"servers\": 1, "
                      "\"cost_per_hour\": 0.5},\n"
                      "           {\"id\": \"back\", \"nodes\": [\"b\"], \"servers\": 1, "
                      "\"cost_per_hour\": 0.25}],\n"
                      " \"network\": {\"hop\": \"exp:100us\"}}\n");
    char path[128];
    for (int t = 1; t <= 2; t++) {
        snprintf(path, sizeof path, "%s/t%d.trace", dir, t);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("#fluxotrace 1\n#service s\n", f);
        for (int i = 0; i < 3000; i++) {
            if (t == 1)
                fprintf(f, "%d\tk%d\ta=%d\tb=%d\n", 1000 * (i + 1), i % 41, 150 + i % 90,
                        300 + i % 70);
            else
                fprintf(f, "%d\tk%d\ta=%d\n", 900 * (i + 1), i % 43, 160 + i % 80);
        }
        fclose(f);
    }
}

static const char sweep_text[] =
    "{\"arch\": \"c.json\",\n"
    " \"traces\": {\"one\": \"t1.trace\", \"two\": [\"t2.trace\", \"t1.trace\"]},\n"
    " \"grid\": {\"pools.back.servers\": [1, 2], \"rate_scale\": [0.5, 1, 1.5]},\n"
    " \"replications\": 3, \"seed\": 7,\n"
    " \"metrics\": [\"latency_ms.mean\", \"latency_ms.p99\", \"pools.back.utilization\"]}\n";

static fx_sweep *load_ok(const char *path)
{
    fx_sweep *s = NULL;
    fx_err e;
    fx_err_clear(&e);
    fx_status st = fx_sweep_load(path, &s, &e);
    ck_assert_msg(st == FX_OK, "load: %s", e.msg);
    return s;
}

/* ---- the confidence interval and numbers --------------------------------- */

START_TEST(ci_is_t_s_over_root_n)
{
    /* 1..5: mean 3, s^2 = 10/4 = 2.5; t(0.975, 4) = 2.7764451051977987
     * (tables; also qt(0.975, 4) in R). */
    const double x[] = {1, 2, 3, 4, 5};
    double mean, half;
    fx_sweep_ci95(x, 5, &mean, &half);
    ck_assert_double_eq_tol(mean, 3.0, 1e-15);
    ck_assert_double_eq_tol(half, 2.7764451051977987 * sqrt(2.5) / sqrt(5.0), 1e-12);

    /* Two values: t(0.975, 1) = 12.706204736174698, s = |a - b| / sqrt 2. */
    const double y[] = {10.5, 12.5};
    fx_sweep_ci95(y, 2, &mean, &half);
    ck_assert_double_eq_tol(mean, 11.5, 1e-15);
    ck_assert_double_eq_tol(half, 12.706204736174698 * (2.0 / sqrt(2.0)) / sqrt(2.0), 1e-10);

    /* Ten values with t(0.975, 9) = 2.2621571627409915. */
    const double z[] = {0.31, 0.29, 0.35, 0.27, 0.33, 0.30, 0.28, 0.36, 0.32, 0.29};
    double m = 0, ss = 0;
    for (int i = 0; i < 10; i++)
        m += z[i] / 10;
    for (int i = 0; i < 10; i++)
        ss += (z[i] - m) * (z[i] - m);
    fx_sweep_ci95(z, 10, &mean, &half);
    ck_assert_double_eq_tol(mean, m, 1e-15);
    ck_assert_double_eq_tol(half, 2.2621571627409915 * sqrt(ss / 9) / sqrt(10.0), 1e-12);

    /* Equal values: a zero-width interval; one value: none. */
    const double c[] = {4, 4, 4};
    fx_sweep_ci95(c, 3, &mean, &half);
    ck_assert_double_eq(mean, 4);
    ck_assert_double_eq(half, 0);
    fx_sweep_ci95(x, 1, &mean, &half);
    ck_assert_double_eq(mean, 1);
    ck_assert(isnan(half));
}
END_TEST

START_TEST(numbers_are_shortest_round_trip)
{
    char buf[40];
    ck_assert_str_eq(fx_sweep_number(20000, buf, sizeof buf), "20000");
    ck_assert_str_eq(fx_sweep_number(0.25, buf, sizeof buf), "0.25");
    ck_assert_str_eq(fx_sweep_number(0.1, buf, sizeof buf), "0.1");
    ck_assert_str_eq(fx_sweep_number(1.0 / 3, buf, sizeof buf), "0.3333333333333333");
    ck_assert_str_eq(fx_sweep_number(-2.5, buf, sizeof buf), "-2.5");
    ck_assert_str_eq(fx_sweep_number(1e20, buf, sizeof buf), "1e+20");
    ck_assert_str_eq(fx_sweep_number(1e-7, buf, sizeof buf), "1e-07");
    ck_assert_str_eq(fx_sweep_number(NAN, buf, sizeof buf), "nan");
    ck_assert_str_eq(fx_sweep_number(-NAN, buf, sizeof buf), "nan");
    ck_assert_str_eq(fx_sweep_number(-INFINITY, buf, sizeof buf), "-inf");
    /* Every printed number reads back as itself. */
    double x = 0.0123456789;
    for (int i = 0; i < 200; i++, x *= 1.37) {
        fx_sweep_number(x, buf, sizeof buf);
        ck_assert_double_eq(strtod(buf, NULL), x);
    }
    ck_assert_uint_eq(fx_sweep_seed(7, 0), 7);
    ck_assert_uint_eq(fx_sweep_seed(7, 2), 9);
}
END_TEST

/* ---- points, rows, threads ------------------------------------------------ */

typedef struct collect {
    char text[1 << 16];
    size_t len;
    size_t last; /* the last point handed over, + 1 */
    int out_of_order;
} collect;

static fx_status on_row(void *ctx, size_t point, const char *row, fx_err *e)
{
    collect *c = ctx;
    if (point + 1 <= c->last)
        c->out_of_order = 1;
    c->last = point + 1;
    size_t n = strlen(row);
    ck_assert_uint_lt(c->len + n, sizeof c->text);
    memcpy(c->text + c->len, row, n + 1);
    c->len += n;
    return FX_OK;
}

static void run_all(const fx_sweep *s, unsigned threads, collect *c)
{
    size_t n = fx_sweep_points(s);
    size_t *pts = malloc(n * sizeof *pts);
    ck_assert_ptr_nonnull(pts);
    for (size_t i = 0; i < n; i++)
        pts[i] = i;
    memset(c, 0, sizeof *c);
    fx_sweep_run_opts o = {threads, pts, n, 0, on_row, NULL, c};
    fx_err e;
    fx_status st = fx_sweep_run(s, &o, &e);
    ck_assert_msg(st == FX_OK, "run: %s", e.msg);
    ck_assert(!c->out_of_order);
    free(pts);
}

START_TEST(order_header_and_threads)
{
    write_model();
    fx_sweep *s = load_ok(fixture("a.sweep.json", sweep_text));
    ck_assert_uint_eq(fx_sweep_points(s), 2 * 2 * 3);
    char *pre = fx_sweep_preamble(s, 0, 0);
    ck_assert_str_eq(pre, "workload,pools.back.servers,rate_scale,latency_ms.mean,"
                          "latency_ms.mean_ci95,latency_ms.p99,latency_ms.p99_ci95,"
                          "pools.back.utilization,pools.back.utilization_ci95\n");
    free(pre);
    collect *one = malloc(sizeof *one), *two = malloc(sizeof *two), *four = malloc(sizeof *four);
    ck_assert(one && two && four);
    run_all(s, 1, one);
    run_all(s, 2, two);
    run_all(s, 4, four);
    ck_assert_str_eq(one->text, two->text);
    ck_assert_str_eq(one->text, four->text);
    /* Workloads outermost, the last parameter fastest. */
    static const char *const keys[] = {"one,1,0.5,", "one,1,1,",   "one,1,1.5,", "one,2,0.5,",
                                       "one,2,1,",   "one,2,1.5,", "two,1,0.5,", "two,1,1,",
                                       "two,1,1.5,", "two,2,0.5,", "two,2,1,",   "two,2,1.5,"};
    const char *line = one->text;
    for (size_t i = 0; i < 12; i++) {
        ck_assert_msg(strncmp(line, keys[i], strlen(keys[i])) == 0, "row %zu: %.40s", i, line);
        line = strchr(line, '\n') + 1;
    }
    ck_assert_int_eq(*line, '\0');
    free(one);
    free(two);
    free(four);
    fx_sweep_free(s);
}
END_TEST

/* Field F (from 0) of the CSV row ROW, as a number. */
static double field(const char *row, int f)
{
    for (int i = 0; i < f; i++)
        row = strchr(row, ',') + 1;
    return strtod(row, NULL);
}

START_TEST(row_summarises_its_replays)
{
    write_model();
    fx_sweep *s = load_ok(fixture("a.sweep.json", sweep_text));
    /* Point 10: workload "two" (t2 then t1), back servers 2, rate scale 1. */
    char *row = NULL;
    fx_err e;
    ck_assert_int_eq(fx_sweep_point_run(s, 10, 1, &row, &e), FX_OK);
    ck_assert_msg(strncmp(row, "10,two,2,1,", 11) == 0, "%s", row);

    /* The same six runs by hand: the candidate with 2 back servers, each
     * trace under seeds 7, 8, 9. */
    const char *arch_path =
        fixture("c2.json", "{\"name\": \"c\", \"service\": \"s.service.json\",\n"
                           " \"pools\": [{\"id\": \"front\", \"nodes\": "
                           "[\"a\"], \"servers\": 1, \"cost_per_hour\": 0.5},\n"
                           "           {\"id\": \"back\", \"nodes\": [\"b\"], "
                           "\"servers\": 2, \"cost_per_hour\": 0.25}],\n"
                           " \"network\": {\"hop\": \"exp:100us\"}}\n");
    fx_arch *arch = NULL;
    ck_assert_int_eq(fx_arch_load(arch_path, &arch, &e), FX_OK);
    double mean_ms[6], util[6];
    const char *traces[] = {"t2.trace", "t1.trace"};
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < 3; r++) {
            char path[128];
            snprintf(path, sizeof path, "%s/%s", dir, traces[t]);
            fx_trace_reader *tr;
            ck_assert_int_eq(fx_trace_open(path, arch->svc->ids, arch->svc->nnodes, &tr, &e),
                             FX_OK);
            fx_replay_opts ro = {1.0, 0, 7 + (uint64_t)r, NULL, NULL, NULL, 0};
            fx_replay_result res;
            memset(&res, 0, sizeof res);
            ck_assert_int_eq(fx_replay_run(arch, tr, &ro, &res, &e), FX_OK);
            mean_ms[t * 3 + r] = fx_moments_mean(&res.latency) * 1e-6;
            util[t * 3 + r] = res.pools[1].utilization;
            fx_replay_result_free(&res);
            fx_trace_close(tr);
        }
    fx_arch_free(arch);
    /* Mean and t s / sqrt(n) with t(0.975, 5) = 2.5705818366147395. */
    double vals[2][6];
    memcpy(vals[0], mean_ms, sizeof mean_ms);
    memcpy(vals[1], util, sizeof util);
    int cols[2] = {4, 8};
    for (int k = 0; k < 2; k++) {
        double m = 0, ss = 0;
        for (int i = 0; i < 6; i++)
            m += vals[k][i];
        m /= 6;
        for (int i = 0; i < 6; i++)
            ss += (vals[k][i] - m) * (vals[k][i] - m);
        double half = 2.5705818366147395 * sqrt(ss / 5) / sqrt(6.0);
        ck_assert(half > 0); /* the seeds do change the runs */
        ck_assert_double_eq_tol(field(row, cols[k]), m, 1e-12 * fabs(m));
        ck_assert_double_eq_tol(field(row, cols[k] + 1), half, 1e-9 * half);
    }
    free(row);
    fx_sweep_free(s);
}
END_TEST

START_TEST(one_run_leaves_the_half_width_empty)
{
    write_model();
    fx_sweep *s = load_ok(fixture("b.sweep.json", "{\"arch\": \"c.json\", \"traces\": {\"w\": "
                                                  "\"t1.trace\"}, \"metrics\": [\"requests\", "
                                                  "\"cost_per_hour\"]}"));
    ck_assert_uint_eq(fx_sweep_points(s), 1);
    char *row = NULL;
    fx_err e;
    ck_assert_int_eq(fx_sweep_point_run(s, 0, 0, &row, &e), FX_OK);
    ck_assert_str_eq(row, "w,3000,,0.75,\n");
    free(row);
    fx_sweep_free(s);
}
END_TEST

/* ---- resuming and merging ------------------------------------------------- */

START_TEST(resume_scan)
{
    write_model();
    fx_sweep *s = load_ok(fixture("a.sweep.json", sweep_text));
    collect *c = malloc(sizeof *c);
    ck_assert_ptr_nonnull(c);
    run_all(s, 2, c);
    char *pre = fx_sweep_preamble(s, 0, 0);
    size_t plen = strlen(pre);
    char *full = malloc(plen + c->len + 1);
    memcpy(full, pre, plen);
    memcpy(full + plen, c->text, c->len + 1);
    size_t len = plen + c->len, done, keep;
    fx_err e;
    /* Whole file: every point done. */
    ck_assert_int_eq(fx_sweep_resume_scan(s, 0, 0, "r.csv", full, len, &done, &keep, &e), FX_OK);
    ck_assert_uint_eq(done, 12);
    ck_assert_uint_eq(keep, len);
    /* Cut inside row 6: five rows kept, the partial line dropped. */
    const char *row6 = full + plen;
    for (int i = 0; i < 5; i++)
        row6 = strchr(row6, '\n') + 1;
    size_t cut = (size_t)(row6 - full) + 7;
    ck_assert_int_eq(fx_sweep_resume_scan(s, 0, 0, "r.csv", full, cut, &done, &keep, &e), FX_OK);
    ck_assert_uint_eq(done, 5);
    ck_assert_uint_eq(keep, (size_t)(row6 - full));
    /* Cut inside the header: start anew. */
    ck_assert_int_eq(fx_sweep_resume_scan(s, 0, 0, "r.csv", full, 9, &done, &keep, &e), FX_OK);
    ck_assert_uint_eq(done, 0);
    ck_assert_uint_eq(keep, 0);
    /* Another sweep's header, or a row of another point: refused. */
    full[3] = 'X';
    ck_assert_int_eq(fx_sweep_resume_scan(s, 0, 0, "r.csv", full, len, &done, &keep, &e),
                     FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "r.csv:1: expected the header") != NULL, "%s", e.msg);
    full[3] = 'k';
    char *r2 = strchr(full + plen, '\n') + 1;
    r2[4] = '7'; /* "one,1,1," becomes "one,7,1," */
    ck_assert_int_eq(fx_sweep_resume_scan(s, 0, 0, "r.csv", full, len, &done, &keep, &e),
                     FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "r.csv:3: expected the row of point 1") != NULL, "%s", e.msg);
    /* A shard's file is not the unsharded run's. */
    ck_assert_int_eq(fx_sweep_resume_scan(s, 1, 2, "r.csv", full, len, &done, &keep, &e),
                     FX_EINVAL);
    free(full);
    free(pre);
    free(c);
    fx_sweep_free(s);
}
END_TEST

START_TEST(merge_gives_the_unsharded_file)
{
    write_model();
    fx_sweep *s = load_ok(fixture("a.sweep.json", sweep_text));
    collect *c = malloc(sizeof *c);
    ck_assert_ptr_nonnull(c);
    run_all(s, 1, c);
    char *pre = fx_sweep_preamble(s, 0, 0);
    /* Five shards of 12 points: 3, 3, 2, 2, 2 rows. */
    char paths[5][128];
    const char *argv[5];
    for (unsigned k = 1; k <= 5; k++) {
        snprintf(paths[k - 1], 128, "%s/shard%u.csv", dir, k);
        FILE *f = fopen(paths[k - 1], "w");
        char *sp = fx_sweep_preamble(s, k, 5);
        ck_assert(strncmp(sp, "#fluxosim-sweep shard=", 22) == 0);
        fputs(sp, f);
        free(sp);
        for (size_t i = 0; i < fx_sweep_points(s); i++) {
            if (!fx_sweep_in_shard(i, k, 5))
                continue;
            char *row;
            fx_err e;
            ck_assert_int_eq(fx_sweep_point_run(s, i, 1, &row, &e), FX_OK);
            fputs(row, f);
            free(row);
        }
        fclose(f);
        argv[5 - k] = paths[k - 1]; /* in any order */
    }
    char *out;
    size_t len;
    fx_err e;
    ck_assert_int_eq(fx_sweep_merge(argv, 5, &out, &len, &e), FX_OK);
    ck_assert_uint_eq(len, strlen(pre) + c->len);
    ck_assert(strncmp(out, pre, strlen(pre)) == 0);
    ck_assert_str_eq(out + strlen(pre), c->text);
    free(out);
    /* A missing shard is named with its points. */
    ck_assert_int_eq(fx_sweep_merge(argv, 4, &out, &len, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "shard 1/5 missing (points 0, 5, 10)") != NULL, "%s", e.msg);
    /* A shard given twice. */
    const char *twice[] = {argv[0], argv[1], argv[2], argv[3], argv[3]};
    ck_assert_int_eq(fx_sweep_merge(twice, 5, &out, &len, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "given twice") != NULL, "%s", e.msg);
    /* A shard cut inside its last row is incomplete. */
    FILE *f = fopen(paths[1], "r+");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(paths[1], size - 5), 0);
    ck_assert_int_eq(fx_sweep_merge(argv, 5, &out, &len, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "shard 2/5 incomplete") != NULL &&
                      strstr(e.msg, "2 of 3 rows (points 11 missing") != NULL,
                  "%s", e.msg);
    /* Shards of another sweep. */
    fx_sweep *other = load_ok(fixture("o.sweep.json", "{\"arch\": \"c.json\", \"traces\": "
                                                      "{\"one\": \"t1.trace\"}, \"seed\": 8}"));
    f = fopen(paths[1], "w");
    char *op = fx_sweep_preamble(other, 2, 5);
    fputs(op, f);
    fclose(f);
    free(op);
    ck_assert_int_eq(fx_sweep_merge(argv, 5, &out, &len, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "expected a shard of the same sweep") != NULL, "%s", e.msg);
    fx_sweep_free(other);
    free(pre);
    free(c);
    fx_sweep_free(s);
}
END_TEST

/* ---- errors at load time ---------------------------------------------------- */

static void load_fails(const char *text, fx_status code, const char *msg)
{
    const char *path = fixture("bad.sweep.json", text);
    fx_sweep *s = NULL;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_sweep_load(path, &s, &e), code);
    ck_assert_ptr_null(s);
    const char *m = strstr(e.msg, "bad.sweep.json: ");
    ck_assert_msg(m && strcmp(m + 16, msg) == 0, "got: %s\nwant: %s", e.msg, msg);
}

/* As load_fails, for a message that starts with MSG. */
static void load_fails_at(const char *text, fx_status code, const char *msg)
{
    const char *path = fixture("bad.sweep.json", text);
    fx_sweep *s = NULL;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_sweep_load(path, &s, &e), code);
    ck_assert_ptr_null(s);
    const char *m = strstr(e.msg, "bad.sweep.json: ");
    ck_assert_msg(m && strncmp(m + 16, msg, strlen(msg)) == 0, "got: %s\nwant: %s...", e.msg, msg);
}

START_TEST(load_errors)
{
    write_model();
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
               "{\"pools.bak.servers\": [1]}}",
               FX_EINVAL,
               "grid.\"pools.bak.servers\": unknown pool \"bak\"; expected one of front, back");
    load_fails(
        "{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
        "{\"caches.x.capacity_bytes\": [1]}}",
        FX_EINVAL,
        "grid.\"caches.x.capacity_bytes\": unknown cache \"x\"; the candidate has no caches");
    /* Each value is built into a candidate: the loader's message, at the
     * value's path. */
    char want[512];
    snprintf(want, sizeof want,
             "grid.\"pools.back.servers\"[2]: %s/c.json: pools[1].servers: expected a positive "
             "integer, found 0",
             dir);
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
               "{\"pools.back.servers\": [1, 2, 0]}}",
               FX_EINVAL, want);
    snprintf(want, sizeof want, "grid.\"network.hop\"[1]: %s/c.json: network.hop: ", dir);
    load_fails_at("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
                  "{\"network.hop\": [\"det:1ms\", \"exp:-1ms\"]}}",
                  FX_EINVAL, want);
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
               "{\"pool.back.servers\": [1]}}",
               FX_EINVAL,
               "grid.\"pool.back.servers\": expected a parameter pools.ID.KEY, caches.ID.KEY, "
               "network.KEY, rate_scale or warmup, found \"pool.back.servers\"");
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"grid\": "
               "{\"rate_scale\": [1, -1]}}",
               FX_EINVAL,
               "grid.\"rate_scale\"[1]: expected a number above 0 and at most 1e9, found -1");
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"metrics\": "
               "[\"pools.back.utilisation\"]}",
               FX_EINVAL,
               "metrics[0]: unknown pool metric \"utilisation\"; expected one of servers, "
               "utilization, mean_queue, mean_wait_ms, availability");
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"-\"}}", FX_EINVAL,
               "traces.w: expected the name of a trace file, found \"-\" (standard input cannot "
               "be replayed more than once)");
    load_fails("{\"arch\": \"c.json\", \"traces\": {\"w\": \"t1.trace\"}, \"replications\": 0}",
               FX_EINVAL, "replications: expected a positive integer, found 0");
}
END_TEST

START_TEST(combinations_are_checked)
{
    write_model();
    fixture("svc3.service.json",
            "{\"service\": \"s3\", \"entry\": \"a\", \"exit\": \"c\",\n"
            " \"nodes\": [{\"id\": \"a\"}, {\"id\": \"b\"}, {\"id\": \"c\"}],\n"
            " \"edges\": [[\"a\", \"b\"], [\"b\", \"c\"]]}\n");
    fixture("k.json", "{\"name\": \"k\", \"service\": \"svc3.service.json\",\n"
                      " \"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\", \"c\"], \"servers\": "
                      "1, \"cost_per_hour\": 1}],\n"
                      " \"caches\": [{\"id\": \"x\", \"from\": \"a\", \"to\": \"c\", \"pool\": "
                      "\"p\", \"capacity_bytes\": 1000}]}\n");
    fixture("t3.trace", "#fluxotrace 1\n1000\tk\ta=1\tb=2\tc=3\n");
    /* from = b (b..c) and to = a (a..a) are each valid; b..a is not. */
    const char *path = fixture("bad.sweep.json", "{\"arch\": \"k.json\",\n"
                                                 " \"traces\": {\"w\": \"t3.trace\"},\n"
                                                 " \"grid\": {\"caches.x.from\": [\"a\", \"b\"], "
                                                 "\"caches.x.to\": [\"c\", \"a\"]}}");
    fx_sweep *s = NULL;
    fx_err e;
    fx_status st = fx_sweep_load(path, &s, &e);
    ck_assert_int_eq(st, FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "bad.sweep.json: grid: the combination caches.x.from=b, "
                                "caches.x.to=a: ") != NULL &&
                      strstr(e.msg, "k.json: caches[0]: expected a valid placement, found b..a") !=
                          NULL,
                  "%s", e.msg);
    ck_assert_ptr_null(s);

    /* The same with the candidate inline in the sweep file. */
    path =
        fixture("bad.sweep.json",
                "{\"arch\": {\"name\": \"inline\", \"service\": \"svc3.service.json\", "
                "\"pools\": [{\"id\": \"p\", \"nodes\": [\"a\", \"b\", \"c\"], \"servers\": 1, "
                "\"cost_per_hour\": 1}], \"caches\": [{\"id\": \"x\", \"from\": \"a\", \"to\": "
                "\"c\", \"pool\": \"p\", \"capacity_bytes\": 1000}]},\n"
                " \"traces\": {\"w\": \"t3.trace\"},\n"
                " \"grid\": {\"caches.x.from\": [\"a\", \"b\"], \"caches.x.to\": [\"c\", \"a\"]}}");
    st = fx_sweep_load(path, &s, &e);
    ck_assert_int_eq(st, FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "bad.sweep.json: arch.caches[0]: expected a valid placement, "
                                "found b..a") != NULL,
                  "%s", e.msg);
    ck_assert_ptr_null(s);
}
END_TEST

TCase *fx_tcase_sweep(void)
{
    TCase *tc = tcase_create("sweep");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ci_is_t_s_over_root_n);
    tcase_add_test(tc, numbers_are_shortest_round_trip);
    tcase_add_test(tc, order_header_and_threads);
    tcase_add_test(tc, row_summarises_its_replays);
    tcase_add_test(tc, one_run_leaves_the_half_width_empty);
    tcase_add_test(tc, resume_scan);
    tcase_add_test(tc, merge_gives_the_unsharded_file);
    tcase_add_test(tc, load_errors);
    tcase_add_test(tc, combinations_are_checked);
    return tc;
}
