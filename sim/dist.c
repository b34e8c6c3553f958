/* dist.c - parsing, describing and sampling the distributions of dist.h.
 *
 * What fx_dist.p[] holds for each family (durations in ns):
 *   exp        p[0] mean
 *   det        p[0] value
 *   uniform    p[0] low, p[1] high
 *   lognormal  p[0] mean, p[1] cv, p[2] mu, p[3] sigma of the underlying normal
 *   gamma      p[0] mean, p[1] cv, p[2] shape k, p[3] scale theta
 *   weibull    p[0] shape k, p[1] scale, p[2] 1 when given by mean= (else 0)
 *   pareto     p[0] alpha, p[1] min
 *   hyperexp   p[0] probability of phase 1, p[1] mean of phase 1, p[2] mean of
 *              phase 2, p[3] cv when given by mean= and cv= (else 0)
 *   empirical  unused; values[] and, for weighted rows, table
 *
 * GSL reports errors by calling a process-wide handler that aborts by
 * default, so every argument handed to GSL is validated here first and the
 * special functions are only called where they cannot overflow.
 */
#include "sim/dist.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "sim/pcg.h"
#include "sim/text.h"

/* Largest draw: 2^62 ns, the same limit as a parsed duration. */
#define DRAW_MAX_NS 4611686018427387904.0
#define DRAW_MAX    ((fx_time)1 << 62)

/* Longest spec accepted, and longest part of one quoted in a message. */
#define SPEC_MAX   4096
#define SPEC_QUOTE 120

/* Most comma-separated parameters any family takes, with room to spare. */
#define ITEMS_MAX 8

/* Most rows in an empirical file. */
#define EMPIRICAL_ROWS_MAX 10000000

/* cv, shape and alpha above this are rejected: their squares or reciprocals
 * would leave the range of a double in the derived parameters. */
#define NUMBER_MAX 1e100

/* Rows follow the order of fx_dist_kind: the row of kind K is row K. */
const fx_dist_family fx_dist_families[] = {
    {"exp", "exp:DURATION", "exponential with mean DURATION (cv 1)"},
    {"det", "det:DURATION", "always DURATION (cv 0)"},
    {"uniform", "uniform:DURATION,DURATION", "uniform between a low and a high bound, low first"},
    {"lognormal", "lognormal:mean=DURATION,cv=NUMBER",
     "lognormal by its mean and coefficient of variation cv > 0"},
    {"gamma", "gamma:mean=DURATION,cv=NUMBER",
     "gamma by its mean and coefficient of variation cv > 0"},
    {"weibull", "weibull:shape=NUMBER,scale=DURATION | weibull:shape=NUMBER,mean=DURATION",
     "Weibull with shape > 0, by its scale or by its mean"},
    {"pareto", "pareto:alpha=NUMBER,min=DURATION",
     "Pareto (type I) from min with tail index alpha > 0; the mean is infinite when "
     "alpha <= 1, the variance when alpha <= 2"},
    {"hyperexp",
     "hyperexp:mean=DURATION,cv=NUMBER | hyperexp:p=NUMBER,mean1=DURATION,mean2=DURATION",
     "two exponential phases: balanced means with cv >= 1, or phase 1 with probability p "
     "in (0,1)"},
    {"empirical", "empirical:FILE | empirical:FILE,unit=UNIT",
     "draws from FILE: one VALUE per line (samples, drawn uniformly) or \"VALUE WEIGHT\" rows "
     "(drawn in proportion to WEIGHT); bare numbers are in UNIT (ns, us, ms, s, min, h)"},
    {NULL, NULL, NULL},
};

_Static_assert(sizeof fx_dist_families / sizeof fx_dist_families[0] == FX_DIST_EMPIRICAL + 2,
               "fx_dist_families must have one row per fx_dist_kind, in order, and a NULL row");

/* A named parameter: NAME=DURATION or NAME=NUMBER. */
typedef struct param_def {
    const char *name;
    bool duration;
} param_def;

static const param_def lognormal_params[] = {{"mean", true}, {"cv", false}};
static const param_def weibull_params[] = {{"shape", false}, {"scale", true}, {"mean", true}};
static const param_def pareto_params[] = {{"alpha", false}, {"min", true}};
static const param_def hyperexp_params[] = {
    {"mean", true}, {"cv", false}, {"p", false}, {"mean1", true}, {"mean2", true},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Parsed named parameters, indexed like their param_def array. */
typedef struct named {
    double v[ITEMS_MAX];
    bool seen[ITEMS_MAX];
} named;

/* Record "distribution "SPEC": WHAT" in E; returns CODE. */
static fx_status spec_err(fx_err *e, fx_status code, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static fx_status spec_err(fx_err *e, fx_status code, const char *spec, const char *fmt, ...)
{
    if (!e)
        return code;
    char what[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t n = strlen(spec);
    return fx_err_set(e, code, "distribution \"%.*s%s\": %s", n > SPEC_QUOTE ? SPEC_QUOTE : (int)n,
                      spec, n > SPEC_QUOTE ? "..." : "", what);
}

/* Put "distribution "SPEC": WHO: " in front of the message already in E. */
static fx_status spec_wrap(fx_err *e, fx_status code, const char *spec, const char *who)
{
    if (!e)
        return code;
    char msg[FX_ERR_MAX];
    memcpy(msg, e->msg, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    return spec_err(e, code, spec, "%s%s%s", who ? who : "", who ? ": " : "", msg);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A plain decimal number filling all of S (no unit, no hex, nan or inf). */
static bool parse_number(const char *s, double *x)
{
    const char *c = s;
    if (*c == '+' || *c == '-')
        c++;
    if (!is_digit(*c) && *c != '.')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return false;
    for (c = s; c < end; c++) {
        if (!is_digit(*c) && !strchr(".eE+-", *c))
            return false;
    }
    *x = v;
    return true;
}

/* Gamma(X) for X >= 1, or INFINITY where it overflows (gsl_sf_gamma would
 * call the GSL error handler there). */
static double gamma_fn(double x)
{
    if (x < 170.0)
        return gsl_sf_gamma(x);
    if (!isfinite(x))
        return INFINITY;
    return exp(gsl_sf_lngamma(x));
}

static const fx_dist_family *find_family(const char *name, size_t len)
{
    for (const fx_dist_family *f = fx_dist_families; f->name; f++) {
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
            return f;
    }
    return NULL;
}

static fx_status unknown_family(const char *spec, size_t len, fx_err *e)
{
    char names[256];
    size_t used = 0;
    names[0] = '\0';
    for (const fx_dist_family *f = fx_dist_families; f->name; f++) {
        int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", f->name);
        if (w < 0 || (size_t)w >= sizeof names - used)
            break;
        used += (size_t)w;
    }
    return spec_err(e, FX_EINVAL, spec, "expected a family (%s), found \"%.*s\"", names,
                    len > SPEC_QUOTE ? SPEC_QUOTE : (int)len, spec);
}

/* Split ARGS in place at commas into ITEMS; none may be empty. */
static fx_status split_items(const char *spec, const fx_dist_family *fam, char *args, char **items,
                             size_t *n, fx_err *e)
{
    size_t k = 0;
    char *s = args;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = '\0';
        if (*s == '\0')
            return spec_err(e, FX_EINVAL, spec, "expected %s, found an empty parameter",
                            fam->syntax);
        if (k == ITEMS_MAX)
            return spec_err(e, FX_EINVAL, spec, "expected %s, found more than %d parameters",
                            fam->syntax, ITEMS_MAX);
        items[k++] = s;
        if (!comma)
            break;
        s = comma + 1;
    }
    *n = k;
    return FX_OK;
}

/* Values given by position, all durations: exp, det and uniform. */
static fx_status parse_positional(const char *spec, const fx_dist_family *fam, char **items,
                                  size_t n, size_t want, double *out, fx_err *e)
{
    if (n > want)
        return spec_err(e, FX_EINVAL, spec, "expected %s, found an extra parameter \"%s\"",
                        fam->syntax, items[want]);
    if (n < want)
        return spec_err(e, FX_EINVAL, spec, "expected %s, found %zu duration%s", fam->syntax, n,
                        n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        if (strchr(items[i], '='))
            return spec_err(e, FX_EINVAL, spec, "expected %s (values without names), found \"%s\"",
                            fam->syntax, items[i]);
        fx_status st = fx_duration_parse(items[i], NULL, &out[i], e);
        if (st != FX_OK)
            return spec_wrap(e, st, spec, NULL);
    }
    return FX_OK;
}

/* "mean=DURATION, cv=NUMBER" for messages. */
static void list_params(const param_def *defs, size_t ndefs, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ndefs; i++) {
        int w = snprintf(buf + used, len - used, "%s%s=%s", i ? ", " : "", defs[i].name,
                         defs[i].duration ? "DURATION" : "NUMBER");
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

/* Values given as NAME=VALUE, each name from DEFS at most once. */
static fx_status parse_named(const char *spec, char **items, size_t n, const param_def *defs,
                             size_t ndefs, named *out, fx_err *e)
{
    char expected[256];
    list_params(defs, ndefs, expected, sizeof expected);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq)
            return spec_err(e, FX_EINVAL, spec,
                            "expected NAME=VALUE with NAME among %s, found \"%s\"", expected,
                            items[i]);
        size_t klen = (size_t)(eq - items[i]);
        size_t k = 0;
        while (k < ndefs &&
               !(strlen(defs[k].name) == klen && !memcmp(defs[k].name, items[i], klen)))
            k++;
        if (k == ndefs)
            return spec_err(e, FX_EINVAL, spec, "expected parameters among %s, found \"%.*s\"",
                            expected, (int)klen, items[i]);
        if (out->seen[k])
            return spec_err(e, FX_EINVAL, spec,
                            "expected each parameter once, found %s= given twice", defs[k].name);
        const char *val = eq + 1;
        if (defs[k].duration) {
            fx_status st = fx_duration_parse(val, NULL, &out->v[k], e);
            if (st != FX_OK)
                return spec_wrap(e, st, spec, defs[k].name);
        } else if (!parse_number(val, &out->v[k])) {
            return spec_err(e, FX_EINVAL, spec, "expected %s=NUMBER, found \"%s\"", defs[k].name,
                            items[i]);
        }
        out->seen[k] = true;
    }
    return FX_OK;
}

static fx_status need(const char *spec, const named *got, const param_def *defs, size_t k,
                      fx_err *e)
{
    if (got->seen[k])
        return FX_OK;
    return spec_err(e, FX_EINVAL, spec, "expected parameter %s=%s", defs[k].name,
                    defs[k].duration ? "DURATION" : "NUMBER");
}

static fx_status check_cv(const char *spec, double cv, fx_err *e)
{
    if (!(cv > 0.0))
        return spec_err(e, FX_EINVAL, spec, "expected cv > 0, found cv=%.15g", cv);
    if (cv > NUMBER_MAX)
        return spec_err(e, FX_EINVAL, spec, "expected cv <= %g, found cv=%.15g", NUMBER_MAX, cv);
    return FX_OK;
}

static fx_status check_positive(const char *spec, const char *name, double v, fx_err *e)
{
    if (v > 0.0)
        return FX_OK;
    char buf[64];
    return spec_err(e, FX_EINVAL, spec, "expected %s > 0, found %s=%s", name, name,
                    fx_duration_format(v, buf, sizeof buf));
}

static fx_status parse_lognormal_gamma(const char *spec, fx_dist_kind kind, char **items, size_t n,
                                       fx_dist *d, fx_err *e)
{
    named got;
    const param_def *defs = lognormal_params;
    fx_status st = parse_named(spec, items, n, defs, COUNT(lognormal_params), &got, e);
    if (st == FX_OK)
        st = need(spec, &got, defs, 0, e);
    if (st == FX_OK)
        st = need(spec, &got, defs, 1, e);
    if (st == FX_OK)
        st = check_positive(spec, "mean", got.v[0], e);
    if (st == FX_OK)
        st = check_cv(spec, got.v[1], e);
    if (st != FX_OK)
        return st;
    double m = got.v[0], c = got.v[1];
    d->p[0] = m;
    d->p[1] = c;
    if (kind == FX_DIST_LOGNORMAL) {
        double s2 = log1p(c * c);
        d->p[2] = log(m) - s2 / 2.0;
        d->p[3] = sqrt(s2);
    } else {
        d->p[2] = 1.0 / (c * c);
        d->p[3] = m * c * c;
    }
    d->mean = m;
    d->scv = c * c;
    return FX_OK;
}

static fx_status parse_weibull(const char *spec, char **items, size_t n, fx_dist *d, fx_err *e)
{
    named got;
    const param_def *defs = weibull_params;
    fx_status st = parse_named(spec, items, n, defs, COUNT(weibull_params), &got, e);
    if (st == FX_OK)
        st = need(spec, &got, defs, 0, e);
    if (st != FX_OK)
        return st;
    if (got.seen[1] == got.seen[2])
        return spec_err(e, FX_EINVAL, spec,
                        "expected exactly one of scale=DURATION and mean=DURATION, found %s",
                        got.seen[1] ? "both" : "neither");
    double k = got.v[0];
    if (!(k > 0.0) || k > NUMBER_MAX)
        return spec_err(e, FX_EINVAL, spec, "expected 0 < shape <= %g, found shape=%.15g",
                        NUMBER_MAX, k);
    bool by_mean = got.seen[2];
    double given = by_mean ? got.v[2] : got.v[1];
    st = check_positive(spec, by_mean ? "mean" : "scale", given, e);
    if (st != FX_OK)
        return st;
    double g1 = gamma_fn(1.0 + 1.0 / k);
    double scale = by_mean ? given / g1 : given;
    double mean = by_mean ? given : given * g1;
    if (!isfinite(g1) || !(scale > 0.0) || !isfinite(mean) || mean > DRAW_MAX_NS)
        return spec_err(e, FX_EINVAL, spec,
                        "expected a larger shape, found shape=%.15g whose mean is out of range", k);
    d->p[0] = k;
    d->p[1] = scale;
    d->p[2] = by_mean ? 1.0 : 0.0;
    d->mean = mean;
    /* Gamma(1+2/k) / Gamma(1+1/k)^2 - 1, in logarithms where it would overflow. */
    double a2 = 1.0 + 2.0 / k;
    if (a2 < 170.0)
        d->scv = gsl_sf_gamma(a2) / (g1 * g1) - 1.0;
    else if (isfinite(a2))
        d->scv = expm1(gsl_sf_lngamma(a2) - 2.0 * gsl_sf_lngamma(1.0 + 1.0 / k));
    else
        d->scv = INFINITY;
    return FX_OK;
}

static fx_status parse_pareto(const char *spec, char **items, size_t n, fx_dist *d, fx_err *e)
{
    named got;
    const param_def *defs = pareto_params;
    fx_status st = parse_named(spec, items, n, defs, COUNT(pareto_params), &got, e);
    if (st == FX_OK)
        st = need(spec, &got, defs, 0, e);
    if (st == FX_OK)
        st = need(spec, &got, defs, 1, e);
    if (st != FX_OK)
        return st;
    double a = got.v[0], xm = got.v[1];
    if (!(a > 0.0) || a > NUMBER_MAX)
        return spec_err(e, FX_EINVAL, spec, "expected 0 < alpha <= %g, found alpha=%.15g",
                        NUMBER_MAX, a);
    st = check_positive(spec, "min", xm, e);
    if (st != FX_OK)
        return st;
    d->p[0] = a;
    d->p[1] = xm;
    /* Infinite moments are allowed: heavy tails are what pareto is for. */
    d->mean = a > 1.0 ? a * xm / (a - 1.0) : INFINITY;
    d->scv = a > 2.0 ? 1.0 / (a * (a - 2.0)) : INFINITY;
    return FX_OK;
}

static fx_status parse_hyperexp(const char *spec, char **items, size_t n, fx_dist *d, fx_err *e)
{
    named got;
    const param_def *defs = hyperexp_params;
    fx_status st = parse_named(spec, items, n, defs, COUNT(hyperexp_params), &got, e);
    if (st != FX_OK)
        return st;
    bool balanced = got.seen[0] || got.seen[1];
    bool explicit = got.seen[2] || got.seen[3] || got.seen[4];
    if (balanced && explicit)
        return spec_err(e, FX_EINVAL, spec,
                        "expected either mean=DURATION,cv=NUMBER or "
                        "p=NUMBER,mean1=DURATION,mean2=DURATION, found parameters of both");
    if (balanced) {
        st = need(spec, &got, defs, 0, e);
        if (st == FX_OK)
            st = need(spec, &got, defs, 1, e);
        if (st == FX_OK)
            st = check_positive(spec, "mean", got.v[0], e);
        if (st == FX_OK)
            st = check_cv(spec, got.v[1], e);
        if (st != FX_OK)
            return st;
        double m = got.v[0], c = got.v[1];
        if (c < 1.0)
            return spec_err(e, FX_EINVAL, spec,
                            "expected cv >= 1 (a hyperexponential varies at least as much as an "
                            "exponential), found cv=%.15g",
                            c);
        /* Balanced means: p1 mean1 = p2 mean2 = m / 2. p2 is computed as
         * (1 - s) / 2 rewritten without the cancellation. */
        double c2 = c * c;
        double s = sqrt((c2 - 1.0) / (c2 + 1.0));
        double p2 = 1.0 / ((c2 + 1.0) * (1.0 + s));
        double p1 = 1.0 - p2;
        d->p[0] = p1;
        d->p[1] = m / (2.0 * p1);
        d->p[2] = m / (2.0 * p2);
        d->p[3] = c;
        d->mean = m;
        d->scv = c2;
        return FX_OK;
    }
    for (size_t k = 2; k < 5; k++) {
        st = need(spec, &got, defs, k, e);
        if (st != FX_OK)
            return st;
    }
    double p = got.v[2], m1 = got.v[3], m2 = got.v[4];
    if (!(p > 0.0 && p < 1.0))
        return spec_err(e, FX_EINVAL, spec, "expected 0 < p < 1, found p=%.15g", p);
    double mean = p * m1 + (1.0 - p) * m2;
    if (!(mean > 0.0))
        return spec_err(e, FX_EINVAL, spec, "expected mean1 or mean2 > 0, found both 0");
    d->p[0] = p;
    d->p[1] = m1;
    d->p[2] = m2;
    d->p[3] = 0.0;
    d->mean = mean;
    double second = 2.0 * (p * m1 * m1 + (1.0 - p) * m2 * m2);
    d->scv = (second - mean * mean) / (mean * mean);
    return FX_OK;
}

/* Split "VALUE [WEIGHT]" in place; returns the number of fields (up to 3). */
static int split_fields(char *s, char **f)
{
    int n = 0;
    for (;;) {
        s += strspn(s, " \t\r\n");
        if (*s == '\0' || n == 3)
            return n;
        f[n++] = s;
        s += strcspn(s, " \t\r\n");
        if (*s == '\0')
            return n;
        *s++ = '\0';
    }
}

/* One VALUE of an empirical file in ns; UNIT_NS > 0 gives bare numbers a unit. */
static fx_status row_value(const char *tok, double unit_ns, double *out, fx_err *e)
{
    double x;
    if (unit_ns > 0.0 && parse_number(tok, &x)) {
        if (x < 0.0)
            return fx_err_set(e, FX_EINVAL, "expected a non-negative value, found \"%s\"", tok);
        if (!(x * unit_ns <= DRAW_MAX_NS))
            return fx_err_set(e, FX_ELIMIT,
                              "expected a value of at most 2^62 ns (about 146 years), found "
                              "\"%s\"",
                              tok);
        *out = x * unit_ns;
        return FX_OK;
    }
    if (unit_ns == 0.0 && parse_number(tok, &x))
        return fx_err_set(e, FX_EINVAL,
                          "expected a duration with a unit (ns, us, ms, s, min, h), or unit=UNIT "
                          "in the spec for bare numbers, found \"%s\"",
                          tok);
    return fx_duration_parse(tok, NULL, out, e);
}

/* Grow the row arrays to hold at least one more row. */
static bool grow_rows(double **vals, double **wts, size_t *cap, size_t n)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? 2 * *cap : 1024;
    if (ncap > EMPIRICAL_ROWS_MAX)
        ncap = EMPIRICAL_ROWS_MAX;
    double *v = realloc(*vals, ncap * sizeof *v);
    if (!v)
        return false;
    *vals = v;
    double *w = realloc(*wts, ncap * sizeof *w);
    if (!w)
        return false;
    *wts = w;
    *cap = ncap;
    return true;
}

/* Read PATH into D: values, mean and scv, and an alias table when weighted. */
static fx_status read_empirical(const char *path, double unit_ns, fx_dist *d, fx_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));

    fx_status st = FX_OK;
    char *line = NULL;
    size_t line_cap = 0;
    double *vals = NULL, *wts = NULL;
    size_t n = 0, cap = 0, lineno = 0, first_line = 0;
    int ncols = 0;
    while (getline(&line, &line_cap, f) != -1) {
        lineno++;
        char *fields[3] = {NULL, NULL, NULL};
        char *s = line + strspn(line, " \t\r\n");
        if (*s == '#' || *s == '\0')
            continue;
        int nf = split_fields(s, fields);
        if (nf == 0)
            continue;
        if (nf > 2) {
            st =
                fx_err_set(e, FX_EINVAL,
                           "%s:%zu: expected VALUE or \"VALUE WEIGHT\", found a third field \"%s\"",
                           path, lineno, fields[2]);
            break;
        }
        if (ncols == 0) {
            ncols = nf;
            first_line = lineno;
        } else if (nf != ncols) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected %d field%s like line %zu (samples and \"VALUE "
                            "WEIGHT\" rows cannot be mixed), found %d",
                            path, lineno, ncols, ncols == 1 ? "" : "s", first_line, nf);
            break;
        }
        if (n == EMPIRICAL_ROWS_MAX) {
            st = fx_err_set(e, FX_ELIMIT, "%s:%zu: expected at most %d rows, found more", path,
                            lineno, EMPIRICAL_ROWS_MAX);
            break;
        }
        if (!grow_rows(&vals, &wts, &cap, n)) {
            st = fx_err_set(e, FX_ENOMEM, "%s:%zu: out of memory", path, lineno);
            break;
        }
        st = row_value(fields[0], unit_ns, &vals[n], e);
        if (st != FX_OK) {
            if (e) {
                char msg[FX_ERR_MAX];
                memcpy(msg, e->msg, sizeof msg);
                msg[sizeof msg - 1] = '\0';
                fx_err_set(e, st, "%s:%zu: %s", path, lineno, msg);
            }
            break;
        }
        wts[n] = 1.0;
        if (nf == 2) {
            double w;
            if (!parse_number(fields[1], &w) || w < 0.0) {
                st = fx_err_set(e, FX_EINVAL, "%s:%zu: expected a WEIGHT >= 0, found \"%s\"", path,
                                lineno, fields[1]);
                break;
            }
            wts[n] = w;
        }
        n++;
    }
    /* getline also stops, without setting the error flag, when it cannot
     * grow its buffer. */
    if (st == FX_OK && ferror(f))
        st = fx_err_set(e, FX_EIO, "%s: cannot read: %s", path, strerror(errno));
    else if (st == FX_OK && !feof(f))
        st = fx_err_set(e, FX_ENOMEM, "%s:%zu: out of memory", path, lineno + 1);
    free(line);
    fclose(f);
    if (st == FX_OK && n == 0)
        st = fx_err_set(e, FX_EINVAL, "%s: expected at least one VALUE, found none", path);

    double total = 0.0;
    if (st == FX_OK) {
        for (size_t i = 0; i < n; i++)
            total += wts[i];
        if (!(total > 0.0) || !isfinite(total))
            st = fx_err_set(e, FX_EINVAL,
                            "%s: expected weights with a positive finite sum, found %.15g", path,
                            total);
    }
    if (st == FX_OK) {
        double mean = 0.0, var = 0.0;
        /* Normalized first: huge weights must not overflow the sums. */
        for (size_t i = 0; i < n; i++)
            mean += wts[i] / total * vals[i];
        for (size_t i = 0; i < n; i++)
            var += wts[i] / total * (vals[i] - mean) * (vals[i] - mean);
        d->mean = mean;
        d->scv = mean > 0.0 ? var / (mean * mean) : 0.0;
        if (ncols == 2) {
            /* Every weight is finite and >= 0 and there is at least one, so
             * only running out of memory can make GSL complain. */
            d->table = gsl_ran_discrete_preproc(n, wts);
            if (!d->table)
                st = fx_err_set(e, FX_ENOMEM, "%s: out of memory", path);
        }
    }
    free(wts);
    if (st != FX_OK) {
        free(vals);
        return st;
    }
    double *shrunk = realloc(vals, n * sizeof *vals);
    d->values = shrunk ? shrunk : vals;
    d->nvalues = n;
    return FX_OK;
}

/* empirical:FILE or empirical:FILE,unit=UNIT. ARGS is writable. */
static fx_status parse_empirical(const char *spec, const fx_dist_family *fam, char *args,
                                 fx_dist *d, fx_err *e)
{
    double unit_ns = 0.0;
    char *comma = strrchr(args, ',');
    if (comma && strchr(comma, '=')) {
        const char *opt = comma + 1;
        if (strncmp(opt, "unit=", 5) != 0)
            return spec_err(e, FX_EINVAL, spec, "expected %s, found \"%s\"", fam->syntax, opt);
        const char *u = opt + 5;
        char one[32];
        bool letters = *u != '\0' && strlen(u) < sizeof one - 2;
        for (const char *c = u; letters && *c; c++)
            letters = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
        snprintf(one, sizeof one, "1%s", letters ? u : "");
        if (!letters || fx_duration_parse(one, NULL, &unit_ns, NULL) != FX_OK)
            return spec_err(
                e, FX_EINVAL, spec,
                "expected unit=UNIT with UNIT one of ns, us, ms, s, min, h, found \"%s\"", opt);
        *comma = '\0';
    }
    if (*args == '\0')
        return spec_err(e, FX_EINVAL, spec, "expected %s, found no FILE", fam->syntax);
    return read_empirical(args, unit_ns, d, e);
}

fx_status fx_dist_parse(const char *spec, fx_dist *d, fx_err *e)
{
    if (!d)
        return fx_err_set(e, FX_EINVAL, "fx_dist_parse: expected an fx_dist to fill, found NULL");
    memset(d, 0, sizeof *d);
    if (!spec)
        return fx_err_set(e, FX_EINVAL, "expected a distribution spec, found NULL");

    size_t len = strlen(spec);
    const char *colon = strchr(spec, ':');
    size_t name_len = colon ? (size_t)(colon - spec) : len;
    const fx_dist_family *fam = find_family(spec, name_len);
    if (!fam)
        return unknown_family(spec, name_len, e);
    if (!colon || colon[1] == '\0')
        return spec_err(e, FX_EINVAL, spec, "expected %s, found no parameters", fam->syntax);
    if (len > SPEC_MAX)
        return spec_err(e, FX_ELIMIT, spec, "expected at most %d characters, found %zu", SPEC_MAX,
                        len);

    char args[SPEC_MAX + 1];
    memcpy(args, colon + 1, len - name_len);
    fx_dist out;
    memset(&out, 0, sizeof out);
    out.kind = (fx_dist_kind)(fam - fx_dist_families);

    fx_status st;
    if (out.kind == FX_DIST_EMPIRICAL) {
        st = parse_empirical(spec, fam, args, &out, e);
    } else {
        char *items[ITEMS_MAX];
        size_t n = 0;
        st = split_items(spec, fam, args, items, &n, e);
        if (st != FX_OK)
            return st;
        switch (out.kind) {
        case FX_DIST_EXP:
            st = parse_positional(spec, fam, items, n, 1, out.p, e);
            if (st == FX_OK)
                st = check_positive(spec, "mean", out.p[0], e);
            out.mean = out.p[0];
            out.scv = 1.0;
            break;
        case FX_DIST_DET:
            st = parse_positional(spec, fam, items, n, 1, out.p, e);
            out.mean = out.p[0];
            out.scv = 0.0;
            break;
        case FX_DIST_UNIFORM: {
            st = parse_positional(spec, fam, items, n, 2, out.p, e);
            double lo = out.p[0], hi = out.p[1];
            if (st == FX_OK && lo > hi) {
                char a[64], b[64];
                st = spec_err(e, FX_EINVAL, spec, "expected low <= high, found %s > %s",
                              fx_duration_format(lo, a, sizeof a),
                              fx_duration_format(hi, b, sizeof b));
            }
            out.mean = (lo + hi) / 2.0;
            out.scv = lo + hi > 0.0 ? (hi - lo) * (hi - lo) / (3.0 * (hi + lo) * (hi + lo)) : 0.0;
            break;
        }
        case FX_DIST_LOGNORMAL:
        case FX_DIST_GAMMA:
            st = parse_lognormal_gamma(spec, out.kind, items, n, &out, e);
            break;
        case FX_DIST_WEIBULL:
            st = parse_weibull(spec, items, n, &out, e);
            break;
        case FX_DIST_PARETO:
            st = parse_pareto(spec, items, n, &out, e);
            break;
        case FX_DIST_HYPEREXP:
            st = parse_hyperexp(spec, items, n, &out, e);
            break;
        default:
            st = spec_err(e, FX_EINVAL, spec, "family \"%s\" has no parser", fam->name);
            break;
        }
    }
    if (st != FX_OK)
        return st;
    /* Sub-nanosecond parameters can underflow the ratio var/mean^2 (NaN), and
     * rounding can leave a tiny negative one for a nearly constant Weibull:
     * such a distribution is a constant as far as anything can tell. */
    if (!(out.scv >= 0.0))
        out.scv = 0.0;
    *d = out;
    return FX_OK;
}

void fx_dist_free(fx_dist *d)
{
    if (!d)
        return;
    free(d->values);
    d->values = NULL;
    d->nvalues = 0;
    if (d->table)
        gsl_ran_discrete_free(d->table);
    d->table = NULL;
}

/* An exponential draw; straight from the PCG state when R is a pcg32. */
static inline double exp_draw(gsl_rng *r, double mean)
{
    if (r->type == fx_rng_pcg32)
        return -mean * log(fx_pcg32_open01(fx_rng_state(r)));
    return gsl_ran_exponential(r, mean);
}

static inline double empirical_draw(const fx_dist *d, gsl_rng *r)
{
    size_t n = d->nvalues;
    if (n == 0)
        return 0.0;
    if (d->table)
        return d->values[gsl_ran_discrete(r, d->table)];
    size_t i;
    if (r->type == fx_rng_pcg32) {
        i = fx_pcg32_bounded(fx_rng_state(r), (uint32_t)n);
    } else if (n - 1 <= gsl_rng_max(r) - gsl_rng_min(r)) {
        i = gsl_rng_uniform_int(r, n);
    } else {
        /* A generator with fewer values than rows: gsl_rng_uniform_int would
         * call the GSL error handler. */
        i = (size_t)(gsl_rng_uniform(r) * (double)n);
        if (i >= n)
            i = n - 1;
    }
    return d->values[i];
}

fx_time fx_dist_sample(const fx_dist *d, gsl_rng *r)
{
    double x;
    switch (d->kind) {
    case FX_DIST_EXP:
        x = exp_draw(r, d->p[0]);
        break;
    case FX_DIST_DET:
        x = d->p[0];
        break;
    case FX_DIST_UNIFORM:
        x = gsl_ran_flat(r, d->p[0], d->p[1]);
        break;
    case FX_DIST_LOGNORMAL:
        x = gsl_ran_lognormal(r, d->p[2], d->p[3]);
        break;
    case FX_DIST_GAMMA:
        x = gsl_ran_gamma(r, d->p[2], d->p[3]);
        break;
    case FX_DIST_WEIBULL:
        x = gsl_ran_weibull(r, d->p[1], d->p[0]);
        break;
    case FX_DIST_PARETO:
        x = gsl_ran_pareto(r, d->p[0], d->p[1]);
        break;
    case FX_DIST_HYPEREXP: {
        double u = r->type == fx_rng_pcg32 ? fx_pcg32_open01(fx_rng_state(r)) : gsl_rng_uniform(r);
        x = exp_draw(r, u < d->p[0] ? d->p[1] : d->p[2]);
        break;
    }
    case FX_DIST_EMPIRICAL:
        x = empirical_draw(d, r);
        break;
    default:
        x = 0.0;
        break;
    }
    if (!(x > 0.0)) /* also NaN */
        return 0;
    if (x >= DRAW_MAX_NS)
        return DRAW_MAX;
    /* x is positive and below 2^62: adding one half and truncating rounds
     * to nearest as llround would, at a tenth of its cost. */
    return (fx_time)(x + 0.5);
}

const char *fx_dist_format(const fx_dist *d, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    char a[64], b[64], n[40];
    const char *name =
        (unsigned)d->kind <= FX_DIST_EMPIRICAL ? fx_dist_families[d->kind].name : "?";
    switch (d->kind) {
    case FX_DIST_EXP:
    case FX_DIST_DET:
        snprintf(buf, len, "%s:%s", name, fx_duration_format(d->p[0], a, sizeof a));
        break;
    case FX_DIST_UNIFORM:
        snprintf(buf, len, "uniform:%s,%s", fx_duration_format(d->p[0], a, sizeof a),
                 fx_duration_format(d->p[1], b, sizeof b));
        break;
    case FX_DIST_LOGNORMAL:
    case FX_DIST_GAMMA:
        snprintf(buf, len, "%s:mean=%s,cv=%s", name, fx_duration_format(d->p[0], a, sizeof a),
                 fx_text_number(d->p[1], n, sizeof n));
        break;
    case FX_DIST_WEIBULL:
        if (d->p[2] != 0.0)
            snprintf(buf, len, "weibull:shape=%s,mean=%s", fx_text_number(d->p[0], n, sizeof n),
                     fx_duration_format(d->mean, a, sizeof a));
        else
            snprintf(buf, len, "weibull:shape=%s,scale=%s", fx_text_number(d->p[0], n, sizeof n),
                     fx_duration_format(d->p[1], a, sizeof a));
        break;
    case FX_DIST_PARETO:
        snprintf(buf, len, "pareto:alpha=%s,min=%s", fx_text_number(d->p[0], n, sizeof n),
                 fx_duration_format(d->p[1], a, sizeof a));
        break;
    case FX_DIST_HYPEREXP:
        if (d->p[3] != 0.0)
            snprintf(buf, len, "hyperexp:mean=%s,cv=%s", fx_duration_format(d->mean, a, sizeof a),
                     fx_text_number(d->p[3], n, sizeof n));
        else
            snprintf(buf, len, "hyperexp:p=%s,mean1=%s,mean2=%s",
                     fx_text_number(d->p[0], n, sizeof n), fx_duration_format(d->p[1], a, sizeof a),
                     fx_duration_format(d->p[2], b, sizeof b));
        break;
    case FX_DIST_EMPIRICAL:
        /* The file name is not kept in fx_dist: describe the contents. */
        snprintf(buf, len, "empirical(%zu %s, mean %s)", d->nvalues,
                 d->table ? "weighted rows" : "samples", fx_duration_format(d->mean, a, sizeof a));
        break;
    default:
        snprintf(buf, len, "unknown distribution kind %d", (int)d->kind);
        break;
    }
    return buf;
}
