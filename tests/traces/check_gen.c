/* check_gen.c - the synthetic trace generator: key and arrival laws, demands
 * against the profiles, content hashes, volatility, reproducibility, the
 * weather workloads, and the round trip through the trace writer and reader.
 *
 * Every draw uses a fixed seed, so the statistical bounds below either hold
 * or fail every time; they are set loose enough (a chi-square at p < 1e-4, a
 * few standard errors) that only a broken generator fails them. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/service.h"
#include "sim/pcg.h"
#include "sim/stats.h"
#include "tests/check.h"
#include "traces/gen.h"
#include "traces/trace.h"

static char tmpdir[256];

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/fxgen.XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, de->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmpdir);
}

/* TMPDIR/NAME into BUF. */
static const char *tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* A small service: a volatile node, a never-cache node, one without sizes. */
static const char toy_service[] =
    "{\"service\": \"toy\", \"entry\": \"a\", \"exit\": \"c\",\n"
    " \"nodes\": [\n"
    "  {\"id\": \"a\", \"profile\": \"exp:1ms\", \"out_bytes\": 100},\n"
    "  {\"id\": \"b\", \"profile\": \"lognormal:mean=5ms,cv=2\", \"out_bytes\": 4000,\n"
    "   \"volatile_s\": 10},\n"
    "  {\"id\": \"c\", \"profile\": \"gamma:mean=300us,cv=0.5\"},\n"
    "  {\"id\": \"d\", \"profile\": \"det:50us\", \"out_bytes\": 8, \"volatile_s\": 0}\n"
    " ],\n"
    " \"edges\": [[\"a\", \"b\"], [\"b\", \"c\"], [\"a\", \"d\"]]}\n";

static fx_service *load_service_text(const char *name, const char *text)
{
    char path[512];
    write_text(tmp_path(path, sizeof path, name), text);
    fx_service *svc = NULL;
    fx_err e = {0};
    fx_status st = fx_service_load(path, &svc, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return svc;
}

static fx_service *load_weather(void)
{
    const char *src = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/weather/weather.service.json",
             src && *src ? src : ".");
    fx_service *svc = NULL;
    fx_err e = {0};
    fx_status st = fx_service_load(path, &svc, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return svc;
}

static fx_gen *gen_generic(const fx_service *svc, const char *arrivals, const char *keys,
                           uint64_t n, uint64_t seed)
{
    fx_gen_spec spec = {arrivals, keys, n, seed};
    fx_gen *g = NULL;
    fx_err e = {0};
    fx_status st = fx_gen_alloc(svc, &spec, &g, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return g;
}

static fx_gen *gen_weather(const fx_service *svc, fx_weather_workload w, uint64_t n, double rate,
                           uint64_t seed)
{
    fx_gen *g = NULL;
    fx_err e = {0};
    fx_status st = fx_gen_weather_alloc(svc, w, n, rate, seed, &g, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return g;
}

static int node_index(const fx_service *svc, const char *id)
{
    int i = fx_service_find(svc, id);
    ck_assert_int_ge(i, 0);
    return i;
}

/* The field of node I in REC (every generated line has them all). */
static const fx_trace_field *field(const fx_trace_rec *rec, int i)
{
    for (size_t k = 0; k < rec->nfields; k++)
        if ((int)rec->fields[k].node == i)
            return &rec->fields[k];
    ck_abort_msg("line %llu lacks node %d", (unsigned long long)rec->line, i);
    return NULL;
}

/* ---- a small exact-count table of uint64 -> uint64 --------------------------- */

typedef struct counter {
    uint64_t *k, *v;
    size_t cap, n;
} counter;

static void counter_init(counter *c, size_t cap)
{
    c->cap = cap;
    c->n = 0;
    c->k = calloc(cap, sizeof *c->k);
    c->v = calloc(cap, sizeof *c->v);
    ck_assert(c->k && c->v);
}

static void counter_free(counter *c)
{
    free(c->k);
    free(c->v);
}

/* The slot of KEY + 1 (0 stays free), inserted with value 0 when new. */
static size_t counter_slot(counter *c, uint64_t key)
{
    uint64_t k1 = key + 1;
    size_t j = fx_mix64(k1) % c->cap;
    while (c->k[j] && c->k[j] != k1)
        j = (j + 1) % c->cap;
    if (!c->k[j]) {
        ck_assert_msg(2 * (c->n + 1) <= c->cap, "test counter full");
        c->k[j] = k1;
        c->n++;
    }
    return j;
}

static void counter_add(counter *c, uint64_t key)
{
    c->v[counter_slot(c, key)]++;
}

static uint64_t key_rank(const char *key)
{
    char *end;
    unsigned long long v = strtoull(key, &end, 10);
    ck_assert_msg(*key && *end == '\0', "key \"%s\" is not decimal", key);
    return v;
}

/* ---- keys -------------------------------------------------------------------- */

/* Chi-square of N draws of K against zipf(ALPHA) over 1..n (small n). */
static double zipf_chi2(const fx_keys *k, long n, uint64_t seed)
{
    size_t m = (size_t)k->n;
    double *p = calloc(m, sizeof *p);
    long *count = calloc(m, sizeof *count);
    ck_assert(p && count);
    double z = 0;
    for (size_t i = 0; i < m; i++)
        z += p[i] = pow((double)(i + 1), -k->alpha);
    gsl_rng *r = fx_rng_alloc(seed, 3);
    for (long i = 0; i < n; i++) {
        uint64_t rank = fx_keys_draw(k, r);
        ck_assert(rank >= 1 && rank <= k->n);
        count[rank - 1]++;
    }
    double chi2 = 0;
    for (size_t i = 0; i < m; i++) {
        double expect = (double)n * p[i] / z;
        chi2 += ((double)count[i] - expect) * ((double)count[i] - expect) / expect;
    }
    gsl_rng_free(r);
    free(p);
    free(count);
    return chi2;
}

START_TEST(test_zipf_frequencies)
{
    /* df = n - 1; the bounds sit beyond the 1e-4 tail (df 9: 33.7, df 49:
     * 93, df 1: 15.1). */
    static const struct {
        double alpha;
        uint64_t n;
        double bound;
    } cases[] = {{1.2, 10, 33.7}, {1.0, 10, 33.7}, {0.5, 50, 93.0},
                 {2.5, 10, 33.7}, {0.2, 50, 93.0}, {1.1, 2, 15.1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fx_keys k;
        fx_keys_zipf(&k, cases[c].alpha, cases[c].n);
        double chi2 = zipf_chi2(&k, 400000, 11 + c);
        ck_assert_msg(chi2 < cases[c].bound, "zipf(%g, %llu): chi2 %.1f over %.1f", cases[c].alpha,
                      (unsigned long long)cases[c].n, chi2, cases[c].bound);
    }
    /* n = 1 always gives 1. */
    fx_keys k;
    fx_keys_zipf(&k, 1.3, 1);
    gsl_rng *r = fx_rng_alloc(1, 1);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(fx_keys_draw(&k, r), 1);
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_zipf_large_n)
{
    /* Constant memory for any n: a 10^9-key zipf draws in range, and the
     * share of rank 1 matches 1 / H(n, alpha) (H from the Euler-Maclaurin
     * tail of zeta(1.5), about 2.61). */
    fx_keys k;
    fx_err e = {0};
    ck_assert_int_eq(fx_keys_parse("zipf:1.5,1000000000", &k, &e), FX_OK);
    gsl_rng *r = fx_rng_alloc(5, 5);
    long ones = 0, n = 400000;
    for (long i = 0; i < n; i++) {
        uint64_t rank = fx_keys_draw(&k, r);
        ck_assert(rank >= 1 && rank <= 1000000000ull);
        ones += rank == 1;
    }
    gsl_rng_free(r);
    double h = 2.612375348685488 - 2.0 / sqrt(1e9); /* zeta(1.5) minus the tail */
    double share = (double)ones / (double)n, expect = 1.0 / h;
    ck_assert_msg(fabs(share - expect) < 0.005, "rank 1 share %.4f, expected %.4f", share, expect);
}
END_TEST

START_TEST(test_uniform_keys)
{
    fx_keys k;
    fx_err e = {0};
    ck_assert_int_eq(fx_keys_parse("uniform:20", &k, &e), FX_OK);
    long count[20] = {0}, n = 200000;
    gsl_rng *r = fx_rng_alloc(9, 9);
    for (long i = 0; i < n; i++) {
        uint64_t rank = fx_keys_draw(&k, r);
        ck_assert(rank >= 1 && rank <= 20);
        count[rank - 1]++;
    }
    gsl_rng_free(r);
    double chi2 = 0, expect = (double)n / 20;
    for (int i = 0; i < 20; i++)
        chi2 += ((double)count[i] - expect) * ((double)count[i] - expect) / expect;
    ck_assert_msg(chi2 < 45.3, "uniform chi2 %.1f (df 19)", chi2); /* p = 1e-4 */
}
END_TEST

static void expect_keys_error(const char *spec, const char *needle)
{
    fx_keys k;
    fx_err e = {0};
    ck_assert_msg(fx_keys_parse(spec, &k, &e) == FX_EINVAL, "%s accepted", spec);
    ck_assert_msg(strstr(e.msg, needle), "%s: \"%s\" lacks \"%s\"", spec, e.msg, needle);
}

static void expect_arrivals_error(const char *spec, const char *needle)
{
    fx_dist d;
    fx_err e = {0};
    ck_assert_msg(fx_arrivals_parse(spec, &d, &e) != FX_OK, "%s accepted", spec);
    ck_assert_msg(strstr(e.msg, needle), "%s: \"%s\" lacks \"%s\"", spec, e.msg, needle);
}

START_TEST(test_spec_errors)
{
    expect_keys_error("zipf:0,10", "exponent ALPHA above 0");
    expect_keys_error("zipf:-1,10", "exponent ALPHA above 0");
    expect_keys_error("zipf:1x,10", "found \"1x\"");
    expect_keys_error("zipf:1", "expected zipf:ALPHA,N");
    expect_keys_error("zipf:1,0", "key count N from 1");
    expect_keys_error("zipf:1,12abc", "found \"12abc\"");
    expect_keys_error("zipf:1,4294967296", "key count N from 1");
    expect_keys_error("uniform:0", "expected uniform:N");
    expect_keys_error("uniform:-3", "expected uniform:N");
    expect_keys_error("pareto:3", "expected zipf:ALPHA,N or uniform:N, found \"pareto:3\"");
    expect_keys_error("", "expected zipf:ALPHA,N or uniform:N");
    expect_arrivals_error("poisson:0", "RATE requests per second above 0");
    expect_arrivals_error("poisson:fast", "found \"fast\"");
    expect_arrivals_error("poisson:nan", "found \"nan\"");
    expect_arrivals_error("often:5", "expected poisson:RATE or an inter-arrival distribution "
                                     "(poisson, exp");
    expect_arrivals_error("exp:5", "distribution \"exp:5\": expected a duration");
    fx_dist d;
    fx_err e = {0};
    ck_assert_int_eq(fx_arrivals_parse("poisson:250", &d, &e), FX_OK);
    ck_assert(fabs(d.mean - 4e6) < 1e-3);
    fx_dist_free(&d);
    ck_assert_int_eq(fx_arrivals_parse("det:2ms", &d, &e), FX_OK);
    fx_dist_free(&d);
}
END_TEST

/* ---- arrivals and demands ------------------------------------------------------ */

START_TEST(test_poisson_arrivals)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    fx_gen *g = gen_generic(svc, "poisson:1000", "uniform:10", 200000, 3);
    fx_trace_rec rec;
    fx_moments gaps = {0};
    fx_time prev = 0;
    uint64_t n = 0;
    while (fx_gen_next(g, &rec) == 1) {
        ck_assert(rec.t >= prev);
        ck_assert_int_eq(rec.t % 1000, 0); /* whole microseconds */
        fx_moments_add(&gaps, (double)(rec.t - prev));
        prev = rec.t;
        n++;
    }
    ck_assert_uint_eq(n, 200000);
    ck_assert_int_eq(fx_gen_next(g, &rec), 0);
    double mean = fx_moments_mean(&gaps), cv = sqrt(fx_moments_var(&gaps)) / mean;
    /* Standard errors: mean 0.22%, cv about 0.3%. */
    ck_assert_msg(fabs(mean - 1e6) < 0.01 * 1e6, "mean gap %.0f ns, expected 1e6", mean);
    ck_assert_msg(fabs(cv - 1.0) < 0.02, "gap cv %.4f, expected 1", cv);
    fx_gen_free(g);

    /* Any inter-arrival spec: det:2ms gives a 2 ms grid. */
    g = gen_generic(svc, "det:2ms", "uniform:10", 100, 3);
    for (fx_time t = 2 * FX_MS; fx_gen_next(g, &rec) == 1; t += 2 * FX_MS)
        ck_assert_int_eq(rec.t, t);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

/* Every node's mean demand is its profile's, within 3% (2e5 draws: the
 * standard error of cv 2 is 0.45%). */
static void check_demands(const fx_service *svc, fx_gen *g)
{
    fx_moments *m = calloc(svc->nnodes, sizeof *m);
    ck_assert_ptr_nonnull(m);
    fx_trace_rec rec;
    while (fx_gen_next(g, &rec) == 1) {
        ck_assert_uint_eq(rec.nfields, svc->nnodes);
        for (size_t k = 0; k < rec.nfields; k++) {
            ck_assert_int_eq(rec.fields[k].service % 1000, 0);
            fx_moments_add(&m[rec.fields[k].node], (double)rec.fields[k].service);
        }
    }
    for (uint32_t i = 0; i < svc->nnodes; i++) {
        double want = svc->nodes[i].profile.mean, got = fx_moments_mean(&m[i]);
        ck_assert_msg(fabs(got - want) < 0.03 * want, "node %s: mean demand %.0f ns, profile %.0f",
                      svc->nodes[i].id, got, want);
    }
    free(m);
}

START_TEST(test_demand_means)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    fx_gen *g = gen_generic(svc, "poisson:100", "zipf:1,100", 200000, 21);
    check_demands(svc, g);
    fx_gen_free(g);
    fx_service_free(svc);

    svc = load_weather();
    g = gen_weather(svc, FX_WEATHER_LONGTAIL, 200000, 200, 22);
    check_demands(svc, g);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

START_TEST(test_no_profile)
{
    fx_service *svc = load_service_text("np.service.json",
                                        "{\"service\": \"np\", \"entry\": \"a\", \"exit\": \"b\",\n"
                                        " \"nodes\": [{\"id\": \"a\", \"profile\": \"exp:1ms\"},\n"
                                        "             {\"id\": \"b\"}],\n"
                                        " \"edges\": [[\"a\", \"b\"]]}\n");
    fx_gen_spec spec = {"poisson:10", "uniform:5", 10, 1};
    fx_gen *g = (fx_gen *)1;
    fx_err e = {0};
    ck_assert_int_eq(fx_gen_alloc(svc, &spec, &g, &e), FX_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(e.msg, "node \"b\" has no profile") && strstr(e.msg, "np.service.json"),
                  "%s", e.msg);
    /* Not the weather service either. */
    g = (fx_gen *)1;
    ck_assert_int_eq(fx_gen_weather_alloc(svc, FX_WEATHER_POPULAR, 10, 200, 1, &g, &e), FX_EINVAL);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(e.msg, "no node \"parse\""), "%s", e.msg);
    /* Bad counts and rates. */
    spec.requests = 0;
    ck_assert_int_eq(fx_gen_alloc(svc, &spec, &g, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "requests"), "%s", e.msg);
    fx_service_free(svc);
    svc = load_weather();
    ck_assert_int_eq(fx_gen_weather_alloc(svc, FX_WEATHER_STORM, 10, 0, 1, &g, &e), FX_EINVAL);
    ck_assert_int_eq(fx_gen_weather_alloc(svc, FX_WEATHER_STORM, 10, NAN, 1, &g, &e), FX_EINVAL);
    fx_service_free(svc);
}
END_TEST

/* ---- content hashes ------------------------------------------------------------ */

START_TEST(test_hashes_follow_keys)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    int a = node_index(svc, "a"), b = node_index(svc, "b"), c = node_index(svc, "c"),
        d = node_index(svc, "d");
    /* 200 keys over 20000 requests at 100/s: 200 s, 20 epochs of b. */
    fx_gen *g = gen_generic(svc, "poisson:100", "uniform:200", 20000, 8);
    uint64_t ha[201] = {0}, hc[201] = {0};
    fx_time bt[201];
    uint64_t bh[201] = {0};
    int seen[201] = {0}, b_changes = 0;
    counter dh;
    counter_init(&dh, 65536);
    fx_trace_rec rec;
    while (fx_gen_next(g, &rec) == 1) {
        uint64_t k = key_rank(rec.key);
        ck_assert(k >= 1 && k <= 200);
        const fx_trace_field *fa = field(&rec, a), *fb = field(&rec, b), *fc = field(&rec, c),
                             *fd = field(&rec, d);
        ck_assert(fa->has_hash && fb->has_hash && fc->has_hash && fd->has_hash);
        /* Sizes: within [3/4, 5/4] of out_bytes, and none without out_bytes. */
        ck_assert(fa->has_bytes && fa->bytes >= 75 && fa->bytes <= 125);
        ck_assert(fb->has_bytes && fb->bytes >= 3000 && fb->bytes <= 5000);
        ck_assert(!fc->has_bytes);
        counter_add(&dh, fd->hash);
        if (!seen[k]) {
            seen[k] = 1;
            ha[k] = fa->hash;
            hc[k] = fc->hash;
        } else {
            /* Non-volatile nodes: the same key, the same output. */
            ck_assert_uint_eq(fa->hash, ha[k]);
            ck_assert_uint_eq(fc->hash, hc[k]);
            /* b (volatile_s 10): a new output 10 s later at the latest. */
            if (rec.t - bt[k] >= 10 * FX_SEC)
                ck_assert_uint_ne(fb->hash, bh[k]);
            b_changes += fb->hash != bh[k];
        }
        bt[k] = rec.t;
        bh[k] = fb->hash;
    }
    /* d (volatile_s 0): a new output for every request. */
    ck_assert_uint_eq(dh.n, 20000);
    /* Different keys, different outputs. */
    for (int i = 1; i <= 200; i++)
        for (int j = i + 1; j <= 200; j++)
            if (seen[i] && seen[j])
                ck_assert_uint_ne(ha[i], ha[j]);
    /* About 200 keys x 19 epoch boundaries. */
    ck_assert_msg(b_changes > 3000 && b_changes < 4200, "b changed %d times", b_changes);
    fx_gen_free(g);

    /* The hashes depend on the key, not on the seed. */
    g = gen_generic(svc, "poisson:100", "uniform:200", 5000, 9);
    while (fx_gen_next(g, &rec) == 1) {
        uint64_t k = key_rank(rec.key);
        if (seen[k])
            ck_assert_uint_eq(field(&rec, a)->hash, ha[k]);
    }
    fx_gen_free(g);
    counter_free(&dh);
    fx_service_free(svc);
}
END_TEST

/* ---- files ------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void write_generic(const fx_service *svc, const char *path, uint64_t seed)
{
    fx_gen *g = gen_generic(svc, "poisson:500", "zipf:1.2,10", 30000, seed);
    fx_err e = {0};
    fx_status st = fx_gen_write(g, path, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    fx_gen_free(g);
}

static void write_weather(const fx_service *svc, fx_weather_workload w, const char *path,
                          uint64_t n, double rate, uint64_t seed)
{
    fx_gen *g = gen_weather(svc, w, n, rate, seed);
    fx_err e = {0};
    fx_status st = fx_gen_write(g, path, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    fx_gen_free(g);
}

START_TEST(test_same_seed_same_file)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    char p1[512], p2[512], p3[512];
    write_generic(svc, tmp_path(p1, sizeof p1, "a.trace"), 5);
    write_generic(svc, tmp_path(p2, sizeof p2, "b.trace"), 5);
    write_generic(svc, tmp_path(p3, sizeof p3, "c.trace"), 6);
    size_t n1, n2, n3;
    char *t1 = slurp(p1, &n1), *t2 = slurp(p2, &n2), *t3 = slurp(p3, &n3);
    ck_assert_msg(n1 > 30000 * 20, "trace of %zu bytes", n1);
    ck_assert_msg(n1 == n2 && memcmp(t1, t2, n1) == 0, "seed 5 twice: files differ");
    ck_assert_msg(n1 != n3 || memcmp(t1, t3, n1) != 0, "seeds 5 and 6: same file");
    ck_assert_msg(strncmp(t1, "#fluxotrace 1\n#service toy\n", 27) == 0, "header: %.40s", t1);
    free(t1);
    free(t2);
    free(t3);
    fx_service_free(svc);

    svc = load_weather();
    write_weather(svc, FX_WEATHER_STORM, tmp_path(p1, sizeof p1, "s1.trace"), 20000, 200, 7);
    write_weather(svc, FX_WEATHER_STORM, tmp_path(p2, sizeof p2, "s2.trace"), 20000, 200, 7);
    write_weather(svc, FX_WEATHER_STORM, tmp_path(p3, sizeof p3, "s3.trace"), 20000, 200, 8);
    t1 = slurp(p1, &n1);
    t2 = slurp(p2, &n2);
    t3 = slurp(p3, &n3);
    ck_assert_msg(n1 == n2 && memcmp(t1, t2, n1) == 0, "storm seed 7 twice: files differ");
    ck_assert_msg(n1 != n3 || memcmp(t1, t3, n1) != 0, "storm seeds 7 and 8: same file");
    free(t1);
    free(t2);
    free(t3);
    fx_service_free(svc);
}
END_TEST

/* What is written is what was generated: read the file back next to a
 * second generator of the same seed. */
static void check_round_trip(const fx_service *svc, const char *path, fx_gen *again)
{
    fx_trace_reader *r = NULL;
    fx_err e = {0};
    fx_status st = fx_trace_open(path, svc->ids, svc->nnodes, &r, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    ck_assert_str_eq(fx_trace_service(r), svc->name);
    fx_trace_rec got, want;
    uint64_t n = 0;
    int rc;
    while ((rc = fx_trace_next(r, &got, &e)) == 1) {
        ck_assert_int_eq(fx_gen_next(again, &want), 1);
        n++;
        ck_assert_int_eq(got.t, want.t);
        ck_assert_str_eq(got.key, want.key);
        ck_assert_uint_eq(got.nfields, want.nfields);
        for (size_t k = 0; k < want.nfields; k++) {
            const fx_trace_field *w = &want.fields[k], *f = field(&got, (int)w->node);
            ck_assert_int_eq(f->service, w->service);
            ck_assert_int_eq(f->has_bytes, w->has_bytes);
            ck_assert_int_eq(f->has_hash, w->has_hash);
            if (w->has_bytes)
                ck_assert_uint_eq(f->bytes, w->bytes);
            if (w->has_hash)
                ck_assert_uint_eq(f->hash, w->hash);
        }
    }
    ck_assert_msg(rc == 0, "%s", e.msg);
    ck_assert_int_eq(fx_gen_next(again, &want), 0);
    ck_assert_uint_gt(n, 0);
    fx_trace_close(r);
}

START_TEST(test_round_trip)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    char path[512];
    write_generic(svc, tmp_path(path, sizeof path, "toy.trace"), 12);
    fx_gen *g = gen_generic(svc, "poisson:500", "zipf:1.2,10", 30000, 12);
    check_round_trip(svc, path, g);
    fx_gen_free(g);
    fx_service_free(svc);

    svc = load_weather();
    write_weather(svc, FX_WEATHER_POPULAR, tmp_path(path, sizeof path, "w.trace.gz"), 5000, 200,
                  13);
    size_t len;
    char *gz = slurp(path, &len);
    ck_assert_msg(len > 2 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b,
                  ".gz output is not gzip");
    free(gz);
    g = gen_weather(svc, FX_WEATHER_POPULAR, 5000, 200, 13);
    check_round_trip(svc, path, g);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

START_TEST(test_zipf_in_file)
{
    /* The key frequencies of a generated file follow P(k) ~ k^-1.2. */
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    char path[512];
    write_generic(svc, tmp_path(path, sizeof path, "z.trace"), 14);
    fx_trace_reader *r = NULL;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_open(path, svc->ids, svc->nnodes, &r, &e), FX_OK);
    long count[10] = {0}, n = 0;
    fx_trace_rec rec;
    while (fx_trace_next(r, &rec, &e) == 1) {
        uint64_t k = key_rank(rec.key);
        ck_assert(k >= 1 && k <= 10);
        count[k - 1]++;
        n++;
    }
    fx_trace_close(r);
    double z = 0, chi2 = 0;
    for (int k = 1; k <= 10; k++)
        z += pow(k, -1.2);
    for (int k = 1; k <= 10; k++) {
        double expect = (double)n * pow(k, -1.2) / z;
        chi2 += ((double)count[k - 1] - expect) * ((double)count[k - 1] - expect) / expect;
    }
    ck_assert_msg(chi2 < 33.7, "zipf chi2 %.1f (df 9)", chi2);
    fx_service_free(svc);
}
END_TEST

START_TEST(test_write_failure_leaves_nothing)
{
    fx_service *svc = load_service_text("toy.service.json", toy_service);
    char path[512];
    fx_gen *g = gen_generic(svc, "poisson:500", "uniform:10", 10, 1);
    fx_err e = {0};
    ck_assert_int_eq(fx_gen_write(g, tmp_path(path, sizeof path, "no/such/dir.trace"), &e), FX_EIO);
    ck_assert_msg(strstr(e.msg, "no/such/dir.trace"), "%s", e.msg);
    fx_gen_free(g);
    fx_gen_free(NULL);
    fx_service_free(svc);
}
END_TEST

/* ---- the weather workloads ------------------------------------------------------- */

typedef struct weather_idx {
    int parse, geocode, forecast, render, log;
} weather_idx;

static weather_idx weather_nodes(const fx_service *svc)
{
    weather_idx w = {node_index(svc, "parse"), node_index(svc, "geocode"),
                     node_index(svc, "forecast"), node_index(svc, "render"),
                     node_index(svc, "log")};
    return w;
}

static void check_zip(const char *key)
{
    ck_assert_msg(strlen(key) == 5 && strspn(key, "0123456789") == 5, "key \"%s\" is not a ZIP",
                  key);
}

START_TEST(test_weather_popular)
{
    fx_service *svc = load_weather();
    weather_idx w = weather_nodes(svc);
    fx_gen *g = gen_weather(svc, FX_WEATHER_POPULAR, 20000, 200, 1);
    counter keys, cells;
    counter_init(&keys, 1 << 16);
    counter_init(&cells, 4096);
    fx_trace_rec rec;
    fx_time last = 0;
    while (fx_gen_next(g, &rec) == 1) {
        check_zip(rec.key);
        counter_add(&keys, key_rank(rec.key));
        counter_add(&cells, field(&rec, w.geocode)->hash);
        ck_assert(!field(&rec, w.log)->has_hash);
        last = rec.t;
    }
    /* Rate 200: 20000 requests in about 100 s. */
    ck_assert_msg(last > 95 * FX_SEC && last < 105 * FX_SEC, "last arrival %lld", (long long)last);
    ck_assert_msg(keys.n > 1000 && keys.n <= 5000, "%zu distinct keys", keys.n);
    ck_assert_msg(cells.n <= 500 && cells.n > 300, "%zu cells", cells.n);
    /* The top 300 keys carry at least 70% of the requests (expected 78%). */
    uint64_t *v = calloc(keys.n, sizeof *v);
    ck_assert_ptr_nonnull(v);
    size_t m = 0;
    for (size_t i = 0; i < keys.cap; i++)
        if (keys.k[i])
            v[m++] = keys.v[i];
    for (size_t i = 0; i < m && i < 300; i++) /* partial selection sort: top 300 */
        for (size_t j = i + 1; j < m; j++)
            if (v[j] > v[i]) {
                uint64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    uint64_t top = 0;
    for (size_t i = 0; i < 300 && i < m; i++)
        top += v[i];
    ck_assert_msg(top >= 14000, "top 300 keys carry %llu of 20000", (unsigned long long)top);
    free(v);
    counter_free(&keys);
    counter_free(&cells);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

START_TEST(test_weather_longtail)
{
    fx_service *svc = load_weather();
    weather_idx w = weather_nodes(svc);
    fx_gen *g = gen_weather(svc, FX_WEATHER_LONGTAIL, 20000, 200, 1);
    counter keys, cells, parses;
    counter_init(&keys, 1 << 17);
    counter_init(&cells, 4096);
    counter_init(&parses, 1 << 17);
    fx_trace_rec rec;
    while (fx_gen_next(g, &rec) == 1) {
        check_zip(rec.key);
        uint64_t zip = key_rank(rec.key);
        counter_add(&keys, zip);
        counter_add(&parses, field(&rec, w.parse)->hash);
        uint64_t cell = field(&rec, w.geocode)->hash;
        /* geocode is the cell: one hash per cell of 200 ZIP codes. */
        size_t j = counter_slot(&cells, cell);
        if (cells.v[j] == 0)
            cells.v[j] = zip / 200 + 1;
        ck_assert_uint_eq(cells.v[j], zip / 200 + 1);
    }
    /* Many distinct keys, few distinct geocode outputs. */
    ck_assert_msg(keys.n > 10000, "%zu distinct keys", keys.n);
    ck_assert_msg(cells.n >= 400 && cells.n <= 500, "%zu distinct geocode hashes", cells.n);
    ck_assert_uint_eq(parses.n, keys.n); /* parse is a function of the ZIP code */
    fx_gen_free(g);
    /* 40,000 ranks are 40,000 ZIP codes: a million requests reach them all
     * (the rarest is expected 20 times). */
    g = gen_weather(svc, FX_WEATHER_LONGTAIL, 1000000, 200, 2);
    memset(keys.k, 0, keys.cap * sizeof *keys.k);
    keys.n = 0;
    while (fx_gen_next(g, &rec) == 1)
        counter_add(&keys, key_rank(rec.key));
    ck_assert_uint_eq(keys.n, 40000);
    counter_free(&keys);
    counter_free(&cells);
    counter_free(&parses);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

START_TEST(test_weather_storm)
{
    fx_service *svc = load_weather();
    weather_idx w = weather_nodes(svc);
    /* Mean rate 50 over 20000 requests: 400 s, from 20/s to 80/s. */
    fx_gen *g = gen_weather(svc, FX_WEATHER_STORM, 20000, 50, 1);
    enum { CELLS = 500 };
    fx_time first_t[CELLS], last_t[CELLS];
    uint64_t last_h[CELLS];
    int changes[CELLS] = {0}, seen[CELLS] = {0};
    counter renders;
    counter_init(&renders, 1 << 17);
    fx_time prev = 0, t_end = 0;
    fx_time *times = malloc(20000 * sizeof *times);
    ck_assert_ptr_nonnull(times);
    size_t n = 0;
    fx_trace_rec rec;
    while (fx_gen_next(g, &rec) == 1) {
        ck_assert(rec.t >= prev);
        prev = rec.t;
        times[n++] = rec.t;
        unsigned cell = (unsigned)(key_rank(rec.key) / 200);
        ck_assert_uint_lt(cell, CELLS);
        uint64_t fh = field(&rec, w.forecast)->hash;
        counter_add(&renders, field(&rec, w.render)->hash);
        if (!seen[cell]) {
            first_t[cell] = rec.t;
        } else if (fh != last_h[cell]) {
            changes[cell]++;
        } else {
            /* The same forecast only within a minute of the last sighting. */
            ck_assert_msg(rec.t - last_t[cell] < 60 * FX_SEC,
                          "cell %u: the same forecast after %lld ns", cell,
                          (long long)(rec.t - last_t[cell]));
        }
        seen[cell]++;
        last_t[cell] = rec.t;
        last_h[cell] = fh;
        t_end = rec.t;
    }
    ck_assert_uint_eq(n, 20000);
    /* A cell asked about more than once a second shows every update: one a
     * minute, so W whole minutes between its first and last sighting hold
     * W or W + 1 updates (the forecast never returns to an old value). */
    int busy = 0;
    for (int c = 0; c < CELLS; c++) {
        int minutes = seen[c] ? (int)((last_t[c] - first_t[c]) / (60 * FX_SEC)) : 0;
        ck_assert_msg(changes[c] <= minutes + 1, "cell %d: %d updates over %d whole minutes", c,
                      changes[c], minutes);
        if (seen[c] >= 1000) {
            busy++;
            ck_assert_msg(changes[c] >= minutes, "cell %d: %d updates over %d whole minutes", c,
                          changes[c], minutes);
        }
    }
    ck_assert_msg(busy >= 2, "only %d busy cells", busy);
    /* The rate climbs: the second half of the time has clearly more requests
     * (expected 65% against 35%). */
    size_t second = 0;
    for (size_t i = 0; i < n; i++)
        second += times[i] >= t_end / 2;
    ck_assert_msg(second > (size_t)(1.6 * (double)(n - second)), "halves: %zu then %zu", n - second,
                  second);
    /* Mean rate 50: about 400 s. */
    ck_assert_msg(t_end > 380 * FX_SEC && t_end < 420 * FX_SEC, "span %lld ns", (long long)t_end);
    /* render follows the forecast: more distinct renders than ZIP codes. */
    ck_assert_uint_gt(renders.n, 5000);
    free(times);
    counter_free(&renders);
    fx_gen_free(g);

    /* Outside a storm forecast keeps the service's volatile_s (600 s): over
     * 100 s each cell changes at most once. */
    g = gen_weather(svc, FX_WEATHER_POPULAR, 20000, 200, 1);
    memset(seen, 0, sizeof seen);
    memset(changes, 0, sizeof changes);
    while (fx_gen_next(g, &rec) == 1) {
        unsigned cell = (unsigned)(key_rank(rec.key) / 200);
        uint64_t fh = field(&rec, w.forecast)->hash;
        if (seen[cell] && fh != last_h[cell])
            changes[cell]++;
        seen[cell] = 1;
        last_h[cell] = fh;
    }
    int changed = 0;
    for (int c = 0; c < CELLS; c++) {
        ck_assert_int_le(changes[c], 1);
        changed += changes[c];
    }
    /* About a sixth of the cells pass an update in 100 s of 600. */
    ck_assert_msg(changed > 20 && changed < 150, "%d cells changed", changed);
    fx_gen_free(g);
    fx_service_free(svc);
}
END_TEST

TCase *fx_tcase_gen(void)
{
    TCase *tc = tcase_create("gen");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zipf_frequencies);
    tcase_add_test(tc, test_zipf_large_n);
    tcase_add_test(tc, test_uniform_keys);
    tcase_add_test(tc, test_spec_errors);
    tcase_add_test(tc, test_poisson_arrivals);
    tcase_add_test(tc, test_demand_means);
    tcase_add_test(tc, test_no_profile);
    tcase_add_test(tc, test_hashes_follow_keys);
    tcase_add_test(tc, test_same_seed_same_file);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_zipf_in_file);
    tcase_add_test(tc, test_write_failure_leaves_nothing);
    tcase_add_test(tc, test_weather_popular);
    tcase_add_test(tc, test_weather_longtail);
    tcase_add_test(tc, test_weather_storm);
    return tc;
}
