/* check_dist.c - durations and distribution specs: parsing, exact moments,
 * sampled moments, reproducibility, error messages and empirical files. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "sim/dist.h"
#include "sim/pcg.h"
#include "sim/time.h"
#include "tests/check.h"

#define SEED   12345
#define STREAM 1
#define DRAWS  1000000

/* |A - B| within REL of |B|; equal infinities count as close. */
static int close_rel(double a, double b, double rel)
{
    return a == b || fabs(a - b) <= rel * fabs(b);
}

static fx_dist parse_ok(const char *spec)
{
    fx_dist d;
    fx_err e = {0};
    fx_status st = fx_dist_parse(spec, &d, &e);
    ck_assert_msg(st == FX_OK, "%s: %s", spec, e.msg);
    return d;
}

/* Parsing SPEC fails with CODE and a message containing NEEDLE. */
static void expect_bad(const char *spec, fx_status code, const char *needle)
{
    fx_dist d;
    fx_err e = {0};
    fx_status st = fx_dist_parse(spec, &d, &e);
    ck_assert_msg(st == code, "%s: expected status %d, got %d (%s)", spec, code, st, e.msg);
    ck_assert_int_eq(e.code, code);
    ck_assert_msg(strstr(e.msg, needle), "%s: message \"%s\" lacks \"%s\"", spec, e.msg, needle);
    /* A failed parse leaves nothing to free. */
    ck_assert_ptr_null(d.values);
    ck_assert_ptr_null(d.table);
}

/* Mean and squared coefficient of variation of N draws (Welford). */
static void sample_moments(const fx_dist *d, gsl_rng *r, long n, double *mean, double *scv)
{
    double m = 0.0, s = 0.0;
    for (long i = 1; i <= n; i++) {
        double x = (double)fx_dist_sample(d, r);
        double delta = x - m;
        m += delta / (double)i;
        s += delta * (x - m);
    }
    *mean = m;
    *scv = (s / (double)n) / (m * m);
}

/* A temporary file holding TEXT; its name goes to PATH. */
static void temp_file(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/fx_check_dist_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* Parse empirical:FILE[SUFFIX] with FILE holding TEXT; removes FILE. */
static fx_status parse_empirical(const char *text, const char *suffix, fx_dist *d, fx_err *e)
{
    char path[64], spec[128];
    temp_file(path, sizeof path, text);
    snprintf(spec, sizeof spec, "empirical:%s%s", path, suffix);
    fx_status st = fx_dist_parse(spec, d, e);
    unlink(path);
    return st;
}

/* ---- durations ---- */

START_TEST(duration_units)
{
    static const struct {
        const char *text;
        double ns;
    } cases[] = {
        {"10ms", 1e7},  {"1.5s", 1.5e9}, {"250us", 2.5e5}, {"30ns", 30.0}, {"2min", 1.2e11},
        {"1h", 3.6e12}, {"0ns", 0.0},    {"1e3us", 1e6},   {".5ms", 5e5},  {"0.25ns", 0.25},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ns = -1;
        fx_err e = {0};
        fx_status st = fx_duration_parse(cases[i].text, NULL, &ns, &e);
        ck_assert_msg(st == FX_OK, "%s: %s", cases[i].text, e.msg);
        ck_assert_msg(ns == cases[i].ns, "%s: got %.17g ns", cases[i].text, ns);
    }
}
END_TEST

START_TEST(duration_end_pointer)
{
    const char *s = "10ms,5us";
    const char *end = NULL;
    double ns = 0;
    ck_assert_int_eq(fx_duration_parse(s, &end, &ns, NULL), FX_OK);
    ck_assert_double_eq(ns, 1e7);
    ck_assert_ptr_eq(end, s + 4);
    ck_assert_int_eq(fx_duration_parse(end + 1, &end, &ns, NULL), FX_OK);
    ck_assert_double_eq(ns, 5e3);
    ck_assert_int_eq(*end, '\0');
    /* The unit is the whole run of letters, even with an end pointer. */
    ck_assert_int_eq(fx_duration_parse("10msx", &end, &ns, NULL), FX_EINVAL);
}
END_TEST

START_TEST(duration_rejects)
{
    static const struct {
        const char *text;
        fx_status code;
        const char *needle;
    } cases[] = {
        {"10", FX_EINVAL, "found \"10\""}, {"10", FX_EINVAL, "ns, us, ms, s, min, h"},
        {"ms", FX_EINVAL, "\"ms\""},       {"-1ms", FX_EINVAL, "\"-1ms\""},
        {"+1ms", FX_EINVAL, "\"+1ms\""},   {"nanms", FX_EINVAL, "\"nanms\""},
        {"infms", FX_EINVAL, "\"infms\""}, {"10msx", FX_EINVAL, "msx"},
        {"10ms ", FX_EINVAL, "10ms"},      {"0x10ms", FX_EINVAL, "\"0x10ms\""},
        {"1e30s", FX_ELIMIT, "\"1e30s\""}, {"1e999ms", FX_ELIMIT, "\"1e999ms\""},
        {"", FX_EINVAL, "found \"\""},     {" 1ms", FX_EINVAL, "1ms"},
        {"10sec", FX_EINVAL, "\"sec\""},   {"10MS", FX_EINVAL, "\"MS\""},
        {"1.2.3ms", FX_EINVAL, "1.2.3ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ns = 42.0;
        fx_err e = {0};
        fx_status st = fx_duration_parse(cases[i].text, NULL, &ns, &e);
        ck_assert_msg(st == cases[i].code, "\"%s\": expected %d, got %d (%s)", cases[i].text,
                      cases[i].code, st, e.msg);
        ck_assert_int_eq(e.code, cases[i].code);
        ck_assert_msg(strstr(e.msg, cases[i].needle), "\"%s\": message \"%s\" lacks %s",
                      cases[i].text, e.msg, cases[i].needle);
        ck_assert_double_eq(ns, 42.0); /* untouched on error */
    }
    /* Just under and just over the 2^62 ns limit. */
    ck_assert_int_eq(fx_duration_parse("4611686018s", NULL, NULL, NULL), FX_OK);
    ck_assert_int_eq(fx_duration_parse("4611686019s", NULL, NULL, NULL), FX_ELIMIT);
}
END_TEST

START_TEST(duration_format)
{
    char buf[64];
    ck_assert_str_eq(fx_duration_format(1500000, buf, sizeof buf), "1.5ms");
    ck_assert_str_eq(fx_duration_format(0, buf, sizeof buf), "0ns");
    ck_assert_str_eq(fx_duration_format(250, buf, sizeof buf), "250ns");
    ck_assert_str_eq(fx_duration_format(1000, buf, sizeof buf), "1us");
    ck_assert_str_eq(fx_duration_format(2.5e9, buf, sizeof buf), "2.5s");
    ck_assert_str_eq(fx_duration_format(999999, buf, sizeof buf), "999.999us");
    ck_assert_str_eq(fx_duration_format(3.6e12, buf, sizeof buf), "3600s");
    /* What is formatted parses back. */
    const double values[] = {1, 0.5, 1234567, 1e7 / 3.0, 4.5e15, 123456789012.0};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        double ns;
        fx_duration_format(values[i], buf, sizeof buf);
        ck_assert_int_eq(fx_duration_parse(buf, NULL, &ns, NULL), FX_OK);
        ck_assert_msg(close_rel(ns, values[i], 1e-14), "%s: %.17g vs %.17g", buf, ns, values[i]);
    }
    /* A short buffer is truncated, not overrun. */
    char small[4];
    fx_duration_format(1500000, small, sizeof small);
    ck_assert_str_eq(small, "1.5");
}
END_TEST

/* ---- exact moments ---- */

START_TEST(exact_moments)
{
    /* Weibull moments computed here with libm's tgamma, independently of GSL. */
    double w_mean = 4e6 * tgamma(1.0 + 1.0 / 1.5);
    double w_scv = tgamma(1.0 + 2.0 / 1.5) / pow(tgamma(1.0 + 1.0 / 1.5), 2) - 1.0;
    double h_mean = 0.1 * 50 + 0.9 * 1; /* ms */
    double h_scv = 2.0 * (0.1 * 50 * 50 + 0.9 * 1 * 1) / (h_mean * h_mean) - 1.0;
    const struct {
        const char *spec;
        fx_dist_kind kind;
        double mean, scv;
    } cases[] = {
        {"exp:10ms", FX_DIST_EXP, 1e7, 1.0},
        {"det:2ms", FX_DIST_DET, 2e6, 0.0},
        {"det:0ns", FX_DIST_DET, 0.0, 0.0},
        {"uniform:1ms,5ms", FX_DIST_UNIFORM, 3e6, 16.0 / 108.0},
        {"uniform:2ms,2ms", FX_DIST_UNIFORM, 2e6, 0.0},
        {"lognormal:mean=5ms,cv=2", FX_DIST_LOGNORMAL, 5e6, 4.0},
        {"lognormal:cv=0.5,mean=5ms", FX_DIST_LOGNORMAL, 5e6, 0.25},
        {"gamma:mean=5ms,cv=0.5", FX_DIST_GAMMA, 5e6, 0.25},
        {"weibull:shape=1.5,scale=4ms", FX_DIST_WEIBULL, w_mean, w_scv},
        {"weibull:shape=2,mean=3ms", FX_DIST_WEIBULL, 3e6, 4.0 / M_PI - 1.0},
        {"weibull:shape=1,scale=7ms", FX_DIST_WEIBULL, 7e6, 1.0},
        {"pareto:alpha=3,min=1ms", FX_DIST_PARETO, 1.5e6, 1.0 / 3.0},
        {"pareto:alpha=1.5,min=1ms", FX_DIST_PARETO, 3e6, INFINITY},
        {"pareto:alpha=1,min=1ms", FX_DIST_PARETO, INFINITY, INFINITY},
        {"pareto:alpha=0.5,min=1ms", FX_DIST_PARETO, INFINITY, INFINITY},
        {"hyperexp:mean=5ms,cv=3", FX_DIST_HYPEREXP, 5e6, 9.0},
        {"hyperexp:mean=5ms,cv=1", FX_DIST_HYPEREXP, 5e6, 1.0},
        {"hyperexp:p=0.1,mean1=50ms,mean2=1ms", FX_DIST_HYPEREXP, h_mean * 1e6, h_scv},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_dist d = parse_ok(cases[i].spec);
        ck_assert_msg(d.kind == cases[i].kind, "%s: kind %d", cases[i].spec, d.kind);
        if (isinf(cases[i].mean))
            ck_assert_msg(isinf(d.mean) && d.mean > 0, "%s: mean %g", cases[i].spec, d.mean);
        else
            ck_assert_msg(close_rel(d.mean, cases[i].mean, 1e-12), "%s: mean %.17g, want %.17g",
                          cases[i].spec, d.mean, cases[i].mean);
        if (isinf(cases[i].scv))
            ck_assert_msg(isinf(d.scv) && d.scv > 0, "%s: scv %g", cases[i].spec, d.scv);
        else
            ck_assert_msg(close_rel(d.scv, cases[i].scv, 1e-12) ||
                              (cases[i].scv == 0 && d.scv == 0),
                          "%s: scv %.17g, want %.17g", cases[i].spec, d.scv, cases[i].scv);
        fx_dist_free(&d);
    }
}
END_TEST

/* ---- sampled moments ---- */

static const struct {
    const char *spec;
} sampled[] = {
    {"exp:10ms"},
    {"det:2ms"},
    {"uniform:1ms,5ms"},
    {"lognormal:mean=5ms,cv=0.5"},
    {"gamma:mean=5ms,cv=0.5"},
    {"gamma:mean=5ms,cv=2"}, /* shape 1/4: GSL's small-shape branch */
    {"weibull:shape=1.5,scale=4ms"},
    {"weibull:shape=0.8,mean=3ms"},
    {"hyperexp:mean=5ms,cv=2"},
    {"hyperexp:p=0.5,mean1=10ms,mean2=2ms"},
    {"pareto:alpha=6,min=1ms"},
};

START_TEST(sampled_moments)
{
    const char *spec = sampled[_i].spec;
    fx_dist d = parse_ok(spec);
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    ck_assert_ptr_nonnull(r);
    double mean, scv;
    sample_moments(&d, r, DRAWS, &mean, &scv);
    /* Four standard errors of the mean (plus rounding to whole ns). */
    double tol = 4.0 * sqrt(d.scv / DRAWS) * d.mean + 1.0;
    ck_assert_msg(fabs(mean - d.mean) <= tol, "%s: sample mean %.6g, exact %.6g (tolerance %.3g)",
                  spec, mean, d.mean, tol);
    ck_assert_msg(fabs(scv - d.scv) <= 0.03 * d.scv + 1e-12, "%s: sample scv %.6g, exact %.6g",
                  spec, scv, d.scv);
    gsl_rng_free(r);
    fx_dist_free(&d);
}
END_TEST

/* Families drawn through GSL with a generator other than pcg32. */
START_TEST(sampled_with_other_generator)
{
    static const char *specs[] = {"exp:10ms", "hyperexp:mean=5ms,cv=2", "lognormal:mean=5ms,cv=1"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        fx_dist d = parse_ok(specs[i]);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        ck_assert_ptr_nonnull(r);
        gsl_rng_set(r, SEED);
        double mean, scv;
        sample_moments(&d, r, 400000, &mean, &scv);
        double tol = 4.0 * sqrt(d.scv / 400000) * d.mean;
        ck_assert_msg(fabs(mean - d.mean) <= tol, "%s: mean %.6g vs %.6g", specs[i], mean, d.mean);
        gsl_rng_free(r);
        fx_dist_free(&d);
    }
}
END_TEST

START_TEST(exp_draws_from_pcg)
{
    /* The fast path is -mean * log(open01) on the generator's own PCG state. */
    fx_dist d = parse_ok("exp:10ms");
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    fx_pcg32 ref;
    fx_pcg32_seed(&ref, SEED, STREAM);
    for (int i = 0; i < 1000; i++) {
        fx_time want = llround(-1e7 * log(fx_pcg32_open01(&ref)));
        ck_assert_int_eq(fx_dist_sample(&d, r), want);
    }
    gsl_rng_free(r);
}
END_TEST

START_TEST(det_and_ranges)
{
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    fx_dist d = parse_ok("det:2.5ms");
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fx_dist_sample(&d, r), 2500000);
    d = parse_ok("det:0.4ns");
    ck_assert_int_eq(fx_dist_sample(&d, r), 0);
    d = parse_ok("det:0.6ns");
    ck_assert_int_eq(fx_dist_sample(&d, r), 1);

    d = parse_ok("uniform:1ms,5ms");
    fx_time lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200000; i++) {
        fx_time x = fx_dist_sample(&d, r);
        ck_assert(x >= 1000000 && x <= 5000000);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    ck_assert_int_lt(lo, 1000000 + 1000);
    ck_assert_int_gt(hi, 5000000 - 1000);

    /* A tail this heavy overflows a double now and then: draws are clamped. */
    d = parse_ok("pareto:alpha=0.05,min=1ms");
    for (int i = 0; i < 200000; i++) {
        fx_time x = fx_dist_sample(&d, r);
        ck_assert(x >= 1000000 && x <= ((fx_time)1 << 62));
    }
    d = parse_ok("pareto:alpha=3,min=1ms");
    for (int i = 0; i < 100000; i++)
        ck_assert_int_ge(fx_dist_sample(&d, r), 1000000);
    gsl_rng_free(r);
}
END_TEST

START_TEST(reproducible)
{
    for (size_t k = 0; k < sizeof sampled / sizeof sampled[0]; k++) {
        fx_dist d = parse_ok(sampled[k].spec);
        gsl_rng *a = fx_rng_alloc(SEED, STREAM);
        gsl_rng *b = fx_rng_alloc(SEED, STREAM);
        gsl_rng *c = fx_rng_alloc(SEED + 1, STREAM);
        int differ = 0;
        for (int i = 0; i < 10000; i++) {
            fx_time x = fx_dist_sample(&d, a);
            ck_assert_int_eq(x, fx_dist_sample(&d, b));
            differ += x != fx_dist_sample(&d, c);
        }
        if (d.kind != FX_DIST_DET)
            ck_assert_msg(differ > 0, "%s: seeds %d and %d agree", sampled[k].spec, SEED, SEED + 1);
        gsl_rng_free(a);
        gsl_rng_free(b);
        gsl_rng_free(c);
    }
}
END_TEST

/* ---- bad specs ---- */

START_TEST(bad_specs)
{
    static const struct {
        const char *spec;
        fx_status code;
        const char *needle;
    } cases[] = {
        {"lognormal:mean=5ms", FX_EINVAL, "expected parameter cv=NUMBER"},
        {"lognormal:cv=2", FX_EINVAL, "expected parameter mean=DURATION"},
        {"lognormal:mean=5ms,cv=0", FX_EINVAL, "cv > 0"},
        {"lognormal:mean=5ms,cv=-1", FX_EINVAL, "cv=-1"},
        {"lognormal:mean=5ms,cv=2ms", FX_EINVAL, "cv=NUMBER"},
        {"lognormal:mean=5ms,cv=nan", FX_EINVAL, "\"cv=nan\""},
        {"lognormal:mean=5ms,cv=0x2", FX_EINVAL, "\"cv=0x2\""},
        {"lognormal:mean=5,cv=2", FX_EINVAL, "mean: expected a duration with a unit"},
        {"lognormal:mean=5ms,mean=6ms,cv=1", FX_EINVAL, "mean= given twice"},
        {"lognormal:mean=5ms,cv=1,foo=2", FX_EINVAL, "\"foo\""},
        {"lognormal:mean=5ms,cv=1,foo=2", FX_EINVAL, "mean=DURATION, cv=NUMBER"},
        {"lognormal:5ms,2", FX_EINVAL, "NAME=VALUE"},
        {"lognormal:mean=0ms,cv=1", FX_EINVAL, "mean > 0"},
        {"gamma:mean=5ms,cv=0", FX_EINVAL, "cv > 0"},
        {"gamma:mean=5ms,cv=1e300", FX_EINVAL, "cv <="},
        {"uniform:5ms,1ms", FX_EINVAL, "low <= high, found 5ms > 1ms"},
        {"uniform:1ms", FX_EINVAL, "uniform:DURATION,DURATION"},
        {"uniform:1ms,2ms,3ms", FX_EINVAL, "\"3ms\""},
        {"pareto:alpha=0,min=1ms", FX_EINVAL, "alpha=0"},
        {"pareto:alpha=-2,min=1ms", FX_EINVAL, "0 < alpha"},
        {"pareto:alpha=2,min=0ns", FX_EINVAL, "min > 0"},
        {"pareto:alpha=2", FX_EINVAL, "min=DURATION"},
        {"exp:", FX_EINVAL, "exp:DURATION"},
        {"exp", FX_EINVAL, "found no parameters"},
        {"exp:10ms,foo", FX_EINVAL, "\"foo\""},
        {"exp:10ms,", FX_EINVAL, "empty parameter"},
        {"exp:10", FX_EINVAL, "found \"10\""},
        {"exp:mean=10ms", FX_EINVAL, "\"mean=10ms\""},
        {"exp:0ms", FX_EINVAL, "mean > 0"},
        {"exp:-1ms", FX_EINVAL, "\"-1ms\""},
        {"exp:1e30s", FX_ELIMIT, "\"1e30s\""},
        {"det:5msx", FX_EINVAL, "msx"},
        {"hyperexp:mean=5ms,cv=0.5", FX_EINVAL, "cv >= 1"},
        {"hyperexp:mean=5ms,cv=2,p=0.5", FX_EINVAL, "found parameters of both"},
        {"hyperexp:p=1,mean1=1ms,mean2=2ms", FX_EINVAL, "0 < p < 1"},
        {"hyperexp:p=0,mean1=1ms,mean2=2ms", FX_EINVAL, "0 < p < 1"},
        {"hyperexp:p=0.5,mean1=1ms", FX_EINVAL, "mean2=DURATION"},
        {"hyperexp:mean=5ms", FX_EINVAL, "cv=NUMBER"},
        {"weibull:shape=1.5", FX_EINVAL, "scale=DURATION and mean=DURATION, found neither"},
        {"weibull:shape=1.5,scale=1ms,mean=1ms", FX_EINVAL, "found both"},
        {"weibull:scale=1ms", FX_EINVAL, "shape=NUMBER"},
        {"weibull:shape=0,scale=1ms", FX_EINVAL, "shape=0"},
        {"weibull:shape=0.001,mean=1ms", FX_EINVAL, "larger shape"},
        {"empirical:", FX_EINVAL, "FILE"},
        {"empirical:/tmp/x,unit=parsec", FX_EINVAL, "\"unit=parsec\""},
        {"empirical:/tmp/x,unit=", FX_EINVAL, "ns, us, ms, s, min, h"},
        {"empirical:/tmp/x,foo=1", FX_EINVAL, "\"foo=1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_bad(cases[i].spec, cases[i].code, cases[i].needle);
        /* Every message starts by quoting the spec. */
        fx_dist d;
        fx_err e = {0};
        char prefix[256];
        snprintf(prefix, sizeof prefix, "distribution \"%s\": ", cases[i].spec);
        fx_dist_parse(cases[i].spec, &d, &e);
        ck_assert_msg(strncmp(e.msg, prefix, strlen(prefix)) == 0, "message \"%s\" lacks %s", e.msg,
                      prefix);
    }
    /* No fx_err: still a status, and no crash. */
    fx_dist d;
    ck_assert_int_eq(fx_dist_parse("exp:", &d, NULL), FX_EINVAL);
    ck_assert_int_eq(fx_dist_parse(NULL, &d, NULL), FX_EINVAL);
    ck_assert_int_eq(fx_dist_parse("exp:1ms", NULL, NULL), FX_EINVAL);
}
END_TEST

START_TEST(unknown_family_lists_all)
{
    static const char *specs[] = {"foo:1ms", "", "Exp:1ms", "expo:1ms", ":1ms"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        fx_dist d;
        fx_err e = {0};
        ck_assert_int_eq(fx_dist_parse(specs[i], &d, &e), FX_EINVAL);
        for (const fx_dist_family *f = fx_dist_families; f->name; f++)
            ck_assert_msg(strstr(e.msg, f->name), "\"%s\": message \"%s\" lacks %s", specs[i],
                          e.msg, f->name);
    }
    expect_bad("foo:1ms", FX_EINVAL, "found \"foo\"");
    expect_bad("foo:1ms", FX_EINVAL, "exp, det, uniform, lognormal");
}
END_TEST

/* One example per row of fx_dist_families, in the same order. */
static const char *family_examples[] = {
    "exp:10ms",
    "det:2ms",
    "uniform:1ms,5ms",
    "lognormal:mean=5ms,cv=2",
    "gamma:mean=5ms,cv=0.5",
    "weibull:shape=1.5,scale=4ms",
    "pareto:alpha=1.5,min=1ms",
    "hyperexp:p=0.1,mean1=50ms,mean2=1ms",
    NULL, /* empirical: needs a file, tested below */
};

START_TEST(every_family)
{
    const fx_dist_family *f = &fx_dist_families[_i];
    ck_assert_ptr_nonnull(f->name);
    ck_assert_ptr_nonnull(f->syntax);
    ck_assert_ptr_nonnull(f->summary);
    ck_assert_msg(strncmp(f->syntax, f->name, strlen(f->name)) == 0, "%s: syntax %s", f->name,
                  f->syntax);
    if (!family_examples[_i])
        return;
    ck_assert_msg(strncmp(family_examples[_i], f->name, strlen(f->name)) == 0, "table order");
    fx_dist d = parse_ok(family_examples[_i]);
    ck_assert_int_eq(d.kind, (int)_i);
    /* The canonical form parses back to the same distribution. */
    char buf[256];
    fx_dist_format(&d, buf, sizeof buf);
    fx_dist back = parse_ok(buf);
    ck_assert_int_eq(back.kind, d.kind);
    ck_assert_msg(close_rel(back.mean, d.mean, 1e-13), "%s -> %s", family_examples[_i], buf);
    ck_assert_msg(close_rel(back.scv, d.scv, 1e-13), "%s -> %s", family_examples[_i], buf);
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_ge(fx_dist_sample(&d, r), 0);
    gsl_rng_free(r);
    fx_dist_free(&d);
    fx_dist_free(&back);
}
END_TEST

START_TEST(family_table_terminated)
{
    size_t n = 0;
    while (fx_dist_families[n].name)
        n++;
    ck_assert_uint_eq(n, FX_DIST_EMPIRICAL + 1);
    ck_assert_ptr_null(fx_dist_families[n].syntax);
    ck_assert_ptr_null(fx_dist_families[n].summary);
}
END_TEST

START_TEST(canonical_format)
{
    static const struct {
        const char *spec, *canonical;
    } cases[] = {
        {"exp:10ms", "exp:10ms"},
        {"exp:10000us", "exp:10ms"},
        {"det:1500us", "det:1.5ms"},
        {"uniform:1ms,5s", "uniform:1ms,5s"},
        {"lognormal:cv=2,mean=5ms", "lognormal:mean=5ms,cv=2"},
        {"gamma:mean=5ms,cv=0.5", "gamma:mean=5ms,cv=0.5"},
        {"weibull:shape=1.5,scale=4ms", "weibull:shape=1.5,scale=4ms"},
        {"weibull:mean=3ms,shape=2", "weibull:shape=2,mean=3ms"},
        {"pareto:min=1ms,alpha=1.5", "pareto:alpha=1.5,min=1ms"},
        {"hyperexp:mean=5ms,cv=3", "hyperexp:mean=5ms,cv=3"},
        {"hyperexp:mean2=1ms,p=0.1,mean1=50ms", "hyperexp:p=0.1,mean1=50ms,mean2=1ms"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_dist d = parse_ok(cases[i].spec);
        ck_assert_str_eq(fx_dist_format(&d, buf, sizeof buf), cases[i].canonical);
    }
}
END_TEST

/* ---- empirical files ---- */

START_TEST(empirical_samples)
{
    fx_dist d;
    fx_err e = {0};
    ck_assert_msg(parse_empirical("1ms\n3ms\n", "", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_int_eq(d.kind, FX_DIST_EMPIRICAL);
    ck_assert_uint_eq(d.nvalues, 2);
    ck_assert_ptr_null(d.table);
    ck_assert_double_eq_tol(d.mean, 2e6, 1e-6);
    ck_assert_double_eq_tol(d.scv, 0.25, 1e-12);
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    long threes = 0;
    for (int i = 0; i < 100000; i++) {
        fx_time x = fx_dist_sample(&d, r);
        ck_assert(x == 1000000 || x == 3000000);
        threes += x == 3000000;
    }
    ck_assert_int_lt(labs(threes - 50000), 4 * 158); /* sd = sqrt(n/4) */
    char buf[128];
    ck_assert_str_eq(fx_dist_format(&d, buf, sizeof buf), "empirical(2 samples, mean 2ms)");
    gsl_rng_free(r);
    fx_dist_free(&d);

    /* Comments, blank lines, surrounding blanks and CRLF line ends. */
    ck_assert_msg(parse_empirical("# latencies\n\n  1ms\r\n\t2ms  \r\n   \n#x\n3ms", "", &d, &e) ==
                      FX_OK,
                  "%s", e.msg);
    ck_assert_uint_eq(d.nvalues, 3);
    ck_assert_double_eq_tol(d.mean, 2e6, 1e-6);
    fx_dist_free(&d);
}
END_TEST

START_TEST(empirical_histogram)
{
    fx_dist d;
    fx_err e = {0};
    ck_assert_msg(parse_empirical("1ms 1\n3ms 3\n", "", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(d.nvalues, 2);
    ck_assert_ptr_nonnull(d.table);
    ck_assert_double_eq_tol(d.mean, 2.5e6, 1e-6);
    ck_assert_double_eq_tol(d.scv, 0.75 / 6.25, 1e-12);
    gsl_rng *r = fx_rng_alloc(SEED, STREAM);
    long threes = 0;
    const long n = 200000;
    for (long i = 0; i < n; i++) {
        fx_time x = fx_dist_sample(&d, r);
        ck_assert(x == 1000000 || x == 3000000);
        threes += x == 3000000;
    }
    /* 3/4 expected, sd = sqrt(n * 3/16) ~ 194 */
    ck_assert_int_lt(labs(threes - 3 * n / 4), 4 * 194);
    gsl_rng_free(r);
    fx_dist_free(&d);

    /* Zero weights are allowed as long as one is positive. */
    ck_assert_msg(parse_empirical("1ms 0\n7ms 2.5\n", "", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_double_eq_tol(d.mean, 7e6, 1e-6);
    ck_assert_double_eq_tol(d.scv, 0.0, 1e-12);
    r = fx_rng_alloc(SEED, STREAM);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fx_dist_sample(&d, r), 7000000);
    gsl_rng_free(r);
    fx_dist_free(&d);
}
END_TEST

START_TEST(empirical_unit)
{
    fx_dist d;
    fx_err e = {0};
    ck_assert_msg(parse_empirical("100\n300\n", ",unit=us", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_double_eq_tol(d.mean, 2e5, 1e-6);
    fx_dist_free(&d);
    /* A value with its own unit keeps it. */
    ck_assert_msg(parse_empirical("1ms\n1000\n", ",unit=us", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_double_eq_tol(d.mean, 1e6, 1e-6);
    fx_dist_free(&d);
    ck_assert_msg(parse_empirical("2.5 1\n", ",unit=s", &d, &e) == FX_OK, "%s", e.msg);
    ck_assert_double_eq_tol(d.mean, 2.5e9, 1e-6);
    fx_dist_free(&d);
}
END_TEST

START_TEST(empirical_bad_files)
{
    static const struct {
        const char *text, *suffix;
        fx_status code;
        const char *needle;
    } cases[] = {
        {"abc\n", "", FX_EINVAL, ":1: expected a duration"},
        {"abc\n", "", FX_EINVAL, "\"abc\""},
        {"1ms\n2ms 1\n", "", FX_EINVAL, ":2: expected 1 field like line 1"},
        {"1ms 1\n\n2ms\n", "", FX_EINVAL, ":3: expected 2 fields like line 1"},
        {"", "", FX_EINVAL, "expected at least one VALUE, found none"},
        {"# nothing\n\n", "", FX_EINVAL, "found none"},
        {"1ms\n5\n", "", FX_EINVAL, ":2: expected a duration with a unit"},
        {"1ms\n5\n", "", FX_EINVAL, "unit="},
        {"1ms -1\n", "", FX_EINVAL, ":1: expected a WEIGHT >= 0, found \"-1\""},
        {"1ms x\n", "", FX_EINVAL, "found \"x\""},
        {"1ms 0\n2ms 0\n", "", FX_EINVAL, "positive finite sum"},
        {"1ms 1 2\n", "", FX_EINVAL, "third field \"2\""},
        {"-1ms\n", "", FX_EINVAL, "\"-1ms\""},
        {"-1\n", ",unit=ms", FX_EINVAL, "non-negative"},
        {"1e30\n", ",unit=s", FX_ELIMIT, ":1:"},
        {"nan\n", ",unit=s", FX_EINVAL, "\"nan\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_dist d;
        fx_err e = {0};
        fx_status st = parse_empirical(cases[i].text, cases[i].suffix, &d, &e);
        ck_assert_msg(st == cases[i].code, "case %zu: status %d (%s)", i, st, e.msg);
        ck_assert_msg(strstr(e.msg, cases[i].needle), "case %zu: message \"%s\" lacks \"%s\"", i,
                      e.msg, cases[i].needle);
        ck_assert_msg(strncmp(e.msg, "/tmp/fx_check_dist_", 19) == 0, "message names the file: %s",
                      e.msg);
        ck_assert_ptr_null(d.values);
        ck_assert_ptr_null(d.table);
    }

    fx_dist d;
    fx_err e = {0};
    ck_assert_int_eq(fx_dist_parse("empirical:/nonexistent/fx_dist_file", &d, &e), FX_EIO);
    ck_assert_int_eq(e.code, FX_EIO);
    ck_assert_msg(strstr(e.msg, "/nonexistent/fx_dist_file: cannot open: "), "%s", e.msg);
}
END_TEST

START_TEST(free_is_safe)
{
    fx_dist d;
    memset(&d, 0, sizeof d);
    fx_dist_free(&d);
    fx_dist_free(&d);
    fx_dist_free(NULL);

    fx_err e = {0};
    ck_assert_msg(parse_empirical("1ms 1\n2ms 1\n", "", &d, &e) == FX_OK, "%s", e.msg);
    fx_dist_free(&d);
    ck_assert_ptr_null(d.values);
    ck_assert_ptr_null(d.table);
    ck_assert_uint_eq(d.nvalues, 0);
    fx_dist_free(&d);
    /* A freed fx_dist can be parsed into again. */
    d = parse_ok("exp:1ms");
    fx_dist_free(&d);
}
END_TEST

TCase *fx_tcase_dist(void)
{
    TCase *tc = tcase_create("dist");
    /* Millions of draws, slower still under the sanitizers. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, duration_units);
    tcase_add_test(tc, duration_end_pointer);
    tcase_add_test(tc, duration_rejects);
    tcase_add_test(tc, duration_format);
    tcase_add_test(tc, exact_moments);
    tcase_add_loop_test(tc, sampled_moments, 0, (int)(sizeof sampled / sizeof sampled[0]));
    tcase_add_test(tc, sampled_with_other_generator);
    tcase_add_test(tc, exp_draws_from_pcg);
    tcase_add_test(tc, det_and_ranges);
    tcase_add_test(tc, reproducible);
    tcase_add_test(tc, bad_specs);
    tcase_add_test(tc, unknown_family_lists_all);
    tcase_add_loop_test(tc, every_family, 0, FX_DIST_EMPIRICAL + 1);
    tcase_add_test(tc, family_table_terminated);
    tcase_add_test(tc, canonical_format);
    tcase_add_test(tc, empirical_samples);
    tcase_add_test(tc, empirical_histogram);
    tcase_add_test(tc, empirical_unit);
    tcase_add_test(tc, empirical_bad_files);
    tcase_add_test(tc, free_is_safe);
    return tc;
}
