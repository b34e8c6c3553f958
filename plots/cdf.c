/* cdf.c - `plot cdf`: the latency CDFs of several replays, one line per
 * candidate, on a logarithmic latency axis, each p99 marked.
 *
 * An input is a replay's --latency-out file (one latency in ms a line) or
 * its result document (a JSON object with "latency_hist"): the file's first
 * character that is not white space tells which. From samples the CDF is
 * exact and p99 is the nearest-rank 99th percentile; from the histogram
 * the CDF is read at bucket ends (within 0.4%) and p99 is the document's.
 * The curves are thinned to points at least 0.002 apart in probability or
 * 2% apart in latency, so a script stays small for any number of requests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

/* Thinning: a point is kept when it is this far from the last one kept. */
#define DF_MIN 0.002
#define DX_MIN 1.02

typedef struct series {
    char name[128];
    double *x, *y;
    size_t n, cap;
    double p99;
    double lx, ly; /* the last point offered */
    int pending;   /* the last point offered was not kept */
} series;

static int push(series *s, double x, double y)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *nx = realloc(s->x, cap * sizeof *nx);
        if (!nx)
            return -1;
        s->x = nx;
        double *ny = realloc(s->y, cap * sizeof *ny);
        if (!ny)
            return -1;
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->n++;
    return 0;
}

/* Offer the point (X, F) of a CDF; points at x <= 0 have no place on the
 * log axis. */
static int offer(series *s, double x, double f)
{
    if (!(x > 0))
        return 0;
    s->lx = x;
    s->ly = f;
    s->pending = 1;
    if (s->n && f - s->y[s->n - 1] < DF_MIN && x < s->x[s->n - 1] * DX_MIN)
        return 0;
    s->pending = 0;
    return push(s, x, f);
}

/* Keep the last point offered: the curve must reach 1. */
static int close_series(series *s)
{
    return s->pending ? push(s, s->lx, s->ly) : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static fx_status from_samples(series *s, const fx_plot_input *in, fx_err *e)
{
    double *v = NULL;
    size_t n = 0;
    fx_status st = fx_plot_read_numbers(in->path, &v, &n, e);
    if (st != FX_OK)
        return st;
    qsort(v, n, sizeof *v, cmp_double);
    size_t rank = (size_t)ceil(0.99 * (double)n);
    s->p99 = v[(rank ? rank : 1) - 1];
    fx_plot_series_name(in, NULL, s->name, sizeof s->name);
    int bad = offer(s, v[0], 0);
    for (size_t i = 0; !bad && i < n; i++)
        if (i + 1 == n || v[i + 1] != v[i]) /* the last of equal values */
            bad = offer(s, v[i], (double)(i + 1) / (double)n);
    free(v);
    if (bad || close_series(s))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

static fx_status from_document(series *s, const fx_plot_input *in, fx_err *e)
{
    fx_plot_doc *d;
    fx_status st = fx_plot_doc_read(in->path, &d, e);
    if (st != FX_OK)
        return st;
    if (!d->hist) {
        fx_plot_doc_free(d);
        return fx_err_set(e, FX_EINVAL,
                          "%s: missing key \"latency_hist\": expected a result document with the "
                          "latency histogram, or a replay's --latency-out file",
                          in->path);
    }
    double total = 0;
    for (size_t i = 0; i < d->nhist; i++)
        total += d->hist[i].count;
    if (!(total > 0)) {
        fx_plot_doc_free(d);
        return fx_err_set(e, FX_EINVAL, "%s: latency_hist: expected counted requests, found none",
                          in->path);
    }
    s->p99 = d->p99;
    fx_plot_series_name(in, d->arch, s->name, sizeof s->name);
    double cum = 0;
    int bad = offer(s, d->hist[0].lo, 0);
    for (size_t i = 0; !bad && i < d->nhist; i++) {
        cum += d->hist[i].count;
        double hi = d->hist[i].hi;
        if (i + 1 == d->nhist && d->max_ms >= d->hist[i].lo && d->max_ms < hi)
            hi = d->max_ms;
        bad = offer(s, hi, cum / total);
    }
    fx_plot_doc_free(d);
    if (bad || close_series(s))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

/* Milliseconds with three significant digits, never in e-notation. */
static void ms_text(char *buf, size_t len, double ms)
{
    snprintf(buf, len, ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : ms >= 1 ? "%.2f" : "%.3g", ms);
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    series *s = calloc(n, sizeof *s);
    if (!s)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    for (size_t i = 0; st == FX_OK && i < n; i++)
        st = fx_plot_is_json(in[i].path) ? from_document(&s[i], &in[i], e)
                                         : from_samples(&s[i], &in[i], e);
    if (st != FX_OK)
        goto done;

    FILE *f = c->f;
    char name[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "s%zu", i + 1);
        fx_gp_block_begin(c, name, s[i].name);
        fputs("# latency_ms fraction_of_requests\n", f);
        for (size_t k = 0; k < s[i].n; k++) {
            fx_gp_num(f, s[i].x[k]);
            fputc(' ', f);
            fx_gp_num(f, s[i].y[k]);
            fputc('\n', f);
        }
        fx_gp_block_end(c);
    }
    fx_gp_block_begin(c, "p99", "each series' p99 (nearest rank)");
    fputs("# latency_ms fraction series\n", f);
    for (size_t i = 0; i < n; i++) {
        fx_gp_num(f, s[i].p99 > 0 ? s[i].p99 : NAN);
        fputs(" 0.99 ", f);
        fx_gp_field(f, s[i].name);
        fputc('\n', f);
    }
    fx_gp_block_end(c);

    fputs("\n", f);
    fx_gp_labels(c, "latency (ms)", "fraction of requests");
    fx_gp_logscale(c, 1, 0);
    if (c->o->logy)
        fputs("set yrange [*:1]\nset ytics add ('p99' 0.99)\n", f);
    else
        fputs("set yrange [0:1]\n"
              "set ytics ('0' 0, '0.2' 0.2, '0.4' 0.4, '0.6' 0.6, '0.8' 0.8, 'p99' 0.99)\n",
              f);
    fputs("set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead back \\\n"
          "    lc rgb '#808080' lw 0.5 dt 2\n",
          f);
    fx_gp_key_above(c, c->paper ? 3 : 5, 2.5);
    fputs("plot \\\n", f);
    for (size_t i = 0; i < n; i++) {
        char p99[32], title[200];
        ms_text(p99, sizeof p99, s[i].p99);
        /* A column of a paper has no room for the values in the key: the
         * marks and their drop lines show them on the axis. */
        if (c->paper)
            snprintf(title, sizeof title, "%s", s[i].name);
        else
            snprintf(title, sizeof title, "%s (p99 %s ms)", s[i].name, p99);
        fprintf(f, "    $s%zu using 1:2 with lines lt %zu title ", i + 1, i + 1);
        fx_gp_str(f, title);
        fputs(", \\\n", f);
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "    $p99 every ::%zu::%zu using 1:2 with impulses lt %zu lw 0.5 dt 3, \\\n"
                "    $p99 every ::%zu::%zu using 1:2 with points lt %zu%s\n",
                i, i, i + 1, i, i, i + 1, i + 1 < n ? ", \\" : "");
done:
    for (size_t i = 0; i < n; i++) {
        free(s[i].x);
        free(s[i].y);
    }
    free(s);
    return st;
}

const fx_plot_kind fx_plot_cdf = {
    .name = "cdf",
    .summary = "latency CDFs of replays, one line per candidate, p99 marked",
    .min_inputs = 1,
    .max_inputs = 0,
    .emit = emit,
};
