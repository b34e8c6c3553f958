/* sweep.c - `plot sweep`: a metric against a swept parameter, one line
 * per value of another parameter, the 95% confidence intervals as error
 * bars; one panel per workload when the sweep has several.
 *
 * Input: sweep CSVs (their rows are pooled) whose columns are, in order:
 *   workload                  optional: one panel per distinct value
 *   PARAM...                  the parameters, one column each
 *   METRIC, METRIC_ci95 ...   per metric its mean and the half-width of its
 *                             95% confidence interval
 * A column is a metric when a column METRIC_ci95 exists, or when it comes
 * after the first metric; the columns before the first metric are the
 * parameters. --x picks the parameter on the x axis (default the first),
 * --series the one whose values make the lines (default the first other
 * one), --metric the metric (default the first). Parameters that are
 * neither and still vary split the lines further ("a=1, b=2"). The x axis
 * is numeric when every value of the x parameter is a number (lines sorted
 * by it), else one tick per value in the order they first appear. A row
 * whose metric is empty is left out; an empty half-width draws no bar.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

#define KEY_MAX 256

typedef struct row {
    size_t w, s;       /* workload and series */
    double x;          /* the x value, or the category's index */
    double mean, half; /* the metric */
    size_t order;      /* for a stable sort */
} row;

typedef struct names {
    char (*v)[KEY_MAX];
    size_t n;
} names;

static long intern(names *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i], s) == 0)
            return (long)i;
    char(*nv)[KEY_MAX] = realloc(t->v, (t->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    t->v = nv;
    snprintf(nv[t->n], KEY_MAX, "%s", s);
    return (long)t->n++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int by_panel_series_x(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Append ", " and "NAME=VALUE" to KEY. */
static void key_add(char *key, const char *name, const char *value)
{
    size_t l = strlen(key);
    snprintf(key + l, KEY_MAX - l, "%s%s=%s", l ? ", " : "", name, value);
}

typedef struct layout {
    long workload;
    long *params, *metrics, *cis;
    size_t np, nm;
} layout;

static fx_status find_columns(const fx_csv *csv, layout *L, fx_err *e)
{
    L->workload = fx_csv_col(csv, "workload");
    L->params = malloc(csv->ncols * sizeof *L->params);
    L->metrics = malloc(csv->ncols * sizeof *L->metrics);
    L->cis = malloc(csv->ncols * sizeof *L->cis);
    if (!L->params || !L->metrics || !L->cis)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    L->np = L->nm = 0;
    for (size_t i = 0; i < csv->ncols; i++) {
        const char *name = csv->names[i];
        if ((long)i == L->workload)
            continue;
        size_t len = strlen(name);
        if (len > 5 && strcmp(name + len - 5, "_ci95") == 0) {
            char base[KEY_MAX];
            snprintf(base, sizeof base, "%.*s", (int)(len - 5), name);
            if (fx_csv_col(csv, base) >= 0)
                continue; /* the interval of a metric */
        }
        char ci[KEY_MAX];
        snprintf(ci, sizeof ci, "%s_ci95", name);
        long ci_col = fx_csv_col(csv, ci);
        if (ci_col >= 0 || L->nm > 0) {
            L->metrics[L->nm] = (long)i;
            L->cis[L->nm++] = ci_col;
        } else {
            L->params[L->np++] = (long)i;
        }
    }
    char list[256];
    if (L->nm == 0)
        return fx_err_set(
            e, FX_EINVAL,
            "%s: expected a metric (a column METRIC and a column METRIC_ci95), "
            "found columns %s",
            csv->path,
            fx_plot_join((const char *const *)csv->names, csv->ncols, list, sizeof list));
    if (L->np == 0)
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected parameter columns before the metrics, "
                          "found none",
                          csv->path);
    return FX_OK;
}

/* The index in L->params of the parameter NAME, or -1. */
static long param_index(const fx_csv *csv, const layout *L, const char *name)
{
    for (size_t i = 0; i < L->np; i++)
        if (strcmp(csv->names[L->params[i]], name) == 0)
            return (long)i;
    return -1;
}

static fx_status bad_choice(const fx_csv *csv, const char *option, const char *what,
                            const char *found, const long *cols, size_t n, fx_err *e)
{
    const char *v[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64; i++)
        v[k++] = csv->names[cols[i]];
    char list[256];
    return fx_err_set(e, FX_EINVAL, "%s: --%s: expected %s (%s), found \"%s\"", csv->path, option,
                      what, fx_plot_join(v, k, list, sizeof list), found);
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    fx_csv *csv = NULL;
    layout L = {0};
    names work = {0}, series = {0}, cats = {0};
    row *rows = NULL;
    size_t nrows = 0, left_out = 0;
    fx_status st;
    if (n != 1)
        return fx_err_set(e, FX_EINVAL, "plot sweep: expected one sweep CSV, found %zu", n);
    if ((st = fx_csv_read(in[0].path, &csv, e)) != FX_OK)
        return st;
    if ((st = find_columns(csv, &L, e)) != FX_OK)
        goto done;

    long xi = c->o->x ? param_index(csv, &L, c->o->x) : 0;
    if (xi < 0) {
        st = bad_choice(csv, "x", "a parameter", c->o->x, L.params, L.np, e);
        goto done;
    }
    long si = -1;
    if (c->o->series) {
        si = param_index(csv, &L, c->o->series);
        if (si < 0 || si == xi) {
            st = bad_choice(csv, "series", "a parameter other than the x axis's", c->o->series,
                            L.params, L.np, e);
            goto done;
        }
    } else {
        for (size_t i = 0; si < 0 && i < L.np; i++)
            if ((long)i != xi)
                si = (long)i;
    }
    long mi = 0;
    if (c->o->metric) {
        mi = -1;
        for (size_t i = 0; i < L.nm; i++)
            if (strcmp(csv->names[L.metrics[i]], c->o->metric) == 0)
                mi = (long)i;
        if (mi < 0) {
            st = bad_choice(csv, "metric", "a metric", c->o->metric, L.metrics, L.nm, e);
            goto done;
        }
    }
    size_t xcol = (size_t)L.params[xi], mcol = (size_t)L.metrics[mi];
    long ccol = L.cis[mi];

    /* Which parameters vary: those split the lines. */
    int *varies = calloc(L.np, sizeof *varies);
    if (!varies) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t p = 0; p < L.np; p++)
        for (size_t r = 1; r < csv->nrows && !varies[p]; r++)
            varies[p] = strcmp(fx_csv_cell(csv, r, (size_t)L.params[p]),
                               fx_csv_cell(csv, 0, (size_t)L.params[p])) != 0;
    int numeric = 1;
    for (size_t r = 0; r < csv->nrows && numeric; r++) {
        double v;
        numeric = fx_csv_number(csv, r, xcol, &v, NULL) == FX_OK && !isnan(v);
    }
    rows = malloc(csv->nrows * sizeof *rows);
    if (!rows) {
        free(varies);
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < csv->nrows; r++) {
        row w = {0};
        if ((st = fx_csv_number(csv, r, mcol, &w.mean, e)) != FX_OK ||
            (ccol >= 0 && (st = fx_csv_number(csv, r, (size_t)ccol, &w.half, e)) != FX_OK))
            break;
        if (isnan(w.half))
            w.half = 0;
        if (isnan(w.mean)) {
            left_out++;
            continue;
        }
        char key[KEY_MAX] = "";
        if (si >= 0 && varies[si])
            key_add(key, csv->names[L.params[si]], fx_csv_cell(csv, r, (size_t)L.params[si]));
        for (size_t p = 0; p < L.np; p++)
            if ((long)p != xi && (long)p != si && varies[p])
                key_add(key, csv->names[L.params[p]], fx_csv_cell(csv, r, (size_t)L.params[p]));
        long wi = intern(&work, L.workload >= 0 ? fx_csv_cell(csv, r, (size_t)L.workload) : "");
        long s = intern(&series, key);
        long x = numeric ? 0 : intern(&cats, fx_csv_cell(csv, r, xcol));
        if (wi < 0 || s < 0 || x < 0) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
            break;
        }
        w.w = (size_t)wi;
        w.s = (size_t)s;
        if (numeric)
            fx_csv_number(csv, r, xcol, &w.x, NULL);
        else
            w.x = (double)x;
        w.order = r;
        rows[nrows++] = w;
    }
    free(varies);
    if (st != FX_OK)
        goto done;
    if (nrows == 0) {
        st = fx_err_set(e, FX_EINVAL, "%s: column \"%s\": expected values, found none", csv->path,
                        csv->names[mcol]);
        goto done;
    }
    qsort(rows, nrows, sizeof *rows, by_panel_series_x);

    FILE *f = c->f;
    if (left_out)
        fprintf(f, "# %zu rows without a value of %s are left out\n", left_out, csv->names[mcol]);
    char block[64], what[2 * KEY_MAX + 8];
    for (size_t i = 0; i < nrows;) {
        size_t j = i;
        while (j < nrows && rows[j].w == rows[i].w && rows[j].s == rows[i].s)
            j++;
        snprintf(block, sizeof block, "w%zus%zu", rows[i].w + 1, rows[i].s + 1);
        snprintf(what, sizeof what, "%s%s%s", work.v[rows[i].w],
                 *work.v[rows[i].w] && *series.v[rows[i].s] ? ": " : "", series.v[rows[i].s]);
        fx_gp_block_begin(c, block, what);
        fprintf(f, "# %s %s %s_ci95\n", csv->names[xcol], csv->names[mcol], csv->names[mcol]);
        for (; i < j; i++) {
            fx_gp_num(f, rows[i].x);
            fputc(' ', f);
            fx_gp_num(f, rows[i].mean);
            fputc(' ', f);
            fx_gp_num(f, rows[i].half);
            fputc('\n', f);
        }
        fx_gp_block_end(c);
    }

    fputc('\n', f);
    int panels = work.n > 1;
    size_t cols = work.n <= 3 ? work.n : 3; /* panels a row */
    if (panels) {
        fx_plot_opts o = *c->o;
        o.title = NULL; /* over the whole figure, not over each panel */
        fx_plot_ctx c2 = *c;
        c2.o = &o;
        fx_gp_labels(&c2, csv->names[xcol], csv->names[mcol]);
    } else {
        fx_gp_labels(c, csv->names[xcol], csv->names[mcol]);
    }
    fx_gp_logscale(c, numeric ? 0 : -1, 0);
    if (!numeric) {
        fprintf(f, "set xrange [-0.5:%zu.5]\nset xtics (", cats.n - 1);
        for (size_t k = 0; k < cats.n; k++) {
            fx_gp_str(f, cats.v[k]);
            fprintf(f, " %zu%s", k, k + 1 < cats.n ? ", " : "");
        }
        fputs(")\n", f);
    } else {
        /* A sweep has few values: a tick at each, when there are ten or
         * fewer (rows are sorted by x within each line). */
        double *xs = malloc(nrows * sizeof *xs);
        size_t nx = 0;
        if (!xs) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nrows; i++) {
            size_t k = 0;
            while (k < nx && xs[k] != rows[i].x)
                k++;
            if (k == nx)
                xs[nx++] = rows[i].x;
        }
        qsort(xs, nx, sizeof *xs, cmp_double);
        if (nx <= 10 && !c->o->logx) {
            fputs("set xtics (", f);
            for (size_t k = 0; k < nx; k++) {
                fx_gp_num(f, xs[k]);
                fputs(k + 1 < nx ? ", " : ")\n", f);
            }
        }
        free(xs);
        fputs("set autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\n", f);
    }
    size_t rows_n = (work.n + cols - 1) / cols;
    size_t keyrows = (series.n + 2) / 3 + (c->o->title ? 1 : 0);
    if (panels) {
        /* Panels in a grid below a strip that holds the key (and the
         * title): each panel gets its own box, gnuplot fits its margins
         * inside, and no key hides a panel's data. */
        fprintf(f,
                "key_h = (%zu + 0.8) * font_pt * 1.5 / 72.0 / height_in  # the strip above the "
                "panels\n",
                keyrows);
        fputs("set multiplot\nunset key\n", f);
    } else {
        /* Sweeps mostly rise with the load: the bottom right is free. */
        fputs("set key bottom right Left reverse\n", f);
    }
    for (size_t w = 0; w < work.n; w++) {
        if (panels) {
            size_t prow = w / cols, pcol = w % cols;
            fprintf(f, "set origin %.6g, (1 - key_h) * %.6g\nset size %.6g, (1 - key_h) * %.6g\n",
                    (double)pcol / (double)cols, (double)(rows_n - 1 - prow) / (double)rows_n,
                    1.0 / (double)cols, 1.0 / (double)rows_n);
            fputs("set title ", f);
            fx_gp_str(f, work.v[w]);
            fputc('\n', f);
            /* The y label on the left of each row only. */
            if (pcol == 0) {
                fputs("set ylabel ", f);
                fx_gp_str(f, c->o->ylabel ? c->o->ylabel : csv->names[mcol]);
                fputc('\n', f);
            } else if (pcol == 1) {
                fputs("unset ylabel\n", f);
            }
        }
        fputs("plot \\\n", f);
        int first = 1;
        for (size_t s = 0; s < series.n; s++) {
            int present = 0;
            for (size_t i = 0; i < nrows && !present; i++)
                present = rows[i].w == w && rows[i].s == s;
            if (!present)
                continue;
            fprintf(f, "%s    $w%zus%zu using 1:2:3 with yerrorlines lt %zu title ",
                    first ? "" : ", \\\n", w + 1, s + 1, s + 1);
            fx_gp_str(f, *series.v[s] ? series.v[s] : csv->names[mcol]);
            first = 0;
        }
        fputc('\n', f);
    }
    if (panels) {
        /* The strip: an empty plot whose key names every line. */
        fputs("set origin 0, 1 - key_h\nset size 1, key_h\n"
              "unset border\nunset tics\nunset grid\nunset xlabel\nunset ylabel\n"
              "unset logscale\nunset offsets\nset xrange [0:1]\nset yrange [0:1]\n"
              "set lmargin 0\nset rmargin 0\nset bmargin 0\n",
              f);
        if (c->o->title) {
            fputs("set title ", f);
            fx_gp_str(f, c->o->title);
            fputc('\n', f);
        } else {
            fputs("unset title\nset tmargin 0\n", f);
        }
        /* A point outside the strip's range: drawn nowhere, keyed. */
        fputs("$strip << EOD\n-1 -1 0\nEOD\n"
              "set key inside center center horizontal Left reverse maxcols 3\nplot \\\n",
              f);
        for (size_t s = 0; s < series.n; s++) {
            fprintf(f, "    $strip using 1:2:3 with yerrorlines lt %zu title ", s + 1);
            fx_gp_str(f, *series.v[s] ? series.v[s] : csv->names[mcol]);
            fputs(s + 1 < series.n ? ", \\\n" : "\n", f);
        }
        fputs("unset multiplot\n", f);
    }
done:
    free(L.params);
    free(L.metrics);
    free(L.cis);
    free(work.v);
    free(series.v);
    free(cats.v);
    free(rows);
    fx_csv_free(csv);
    return st;
}

const fx_plot_kind fx_plot_sweep = {
    .name = "sweep",
    .summary = "a metric against a swept parameter, one line per value of another, 95% CIs",
    .min_inputs = 1,
    .max_inputs = 1,
    .emit = emit,
};
