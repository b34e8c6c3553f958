/* mrc.c - `plot mrc`: hit ratio (or miss ratio, --miss) against cache
 * capacity, on a logarithmic capacity axis with binary units, one line per
 * input.
 *
 * Input: CSVs with the columns of `fluxosim mrc`:
 *   capacity_bytes,requests,hits,misses,hit_ratio,byte_hit_ratio
 * Only capacity_bytes and the ratio plotted are read (--metric hit_ratio,
 * the default, or byte_hit_ratio); rows are sorted by capacity, and a row
 * with a capacity of 0 (no place on a log axis) or an empty ratio is left
 * out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

typedef struct point {
    double cap, ratio;
} point;

static int by_cap(const void *a, const void *b)
{
    const point *x = a, *y = b;
    return (x->cap > y->cap) - (x->cap < y->cap);
}

/* 2^K bytes as "512 KiB". */
static void power_text(char *buf, size_t len, int k)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = k / 10;
    if (u > 6)
        u = 6;
    snprintf(buf, len, "%.0f %s", ldexp(1, k - 10 * u), units[u]);
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    const char *metric = c->o->metric ? c->o->metric : "hit_ratio";
    if (strcmp(metric, "hit_ratio") != 0 && strcmp(metric, "byte_hit_ratio") != 0)
        return fx_err_set(e, FX_EINVAL,
                          "plot mrc: --metric: expected hit_ratio or "
                          "byte_hit_ratio, found \"%s\"",
                          metric);
    FILE *f = c->f;
    double lo = INFINITY, hi = 0;
    fx_status st = FX_OK;
    char(*names)[128] = calloc(n, sizeof *names);
    size_t *every = calloc(n, sizeof *every);
    if (!names || !every) {
        free(names);
        free(every);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; st == FX_OK && i < n; i++) {
        fx_csv *csv;
        if ((st = fx_csv_read(in[i].path, &csv, e)) != FX_OK)
            break;
        long cc = fx_csv_col(csv, "capacity_bytes"), rc = fx_csv_col(csv, metric);
        point *p = malloc(csv->nrows * sizeof *p);
        size_t np = 0;
        if (cc < 0)
            st = fx_csv_missing(csv, "capacity_bytes", e);
        else if (rc < 0)
            st = fx_csv_missing(csv, metric, e);
        else if (!p)
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
        for (size_t r = 0; st == FX_OK && r < csv->nrows; r++) {
            point q;
            if ((st = fx_csv_number(csv, r, (size_t)cc, &q.cap, e)) != FX_OK ||
                (st = fx_csv_number(csv, r, (size_t)rc, &q.ratio, e)) != FX_OK)
                break;
            if (!(q.cap > 0) || isnan(q.ratio))
                continue;
            if (q.ratio < 0 || q.ratio > 1) {
                st = fx_err_set(e, FX_EINVAL,
                                "%s:%zu: column \"%s\": expected a ratio from 0 "
                                "to 1, found %g",
                                in[i].path, csv->lines[r], metric, q.ratio);
                break;
            }
            p[np++] = q;
        }
        if (st == FX_OK && np == 0)
            st = fx_err_set(e, FX_EINVAL,
                            "%s: expected rows with a capacity above 0 and a %s, "
                            "found none",
                            in[i].path, metric);
        if (st == FX_OK) {
            qsort(p, np, sizeof *p, by_cap);
            every[i] = np > 12 ? np / 12 : 1; /* a point every so many, a dozen in all */
            fx_plot_series_name(&in[i], NULL, names[i], sizeof names[i]);
            char block[32];
            snprintf(block, sizeof block, "s%zu", i + 1);
            fx_gp_block_begin(c, block, names[i]);
            fprintf(f, "# capacity_bytes %s\n", metric);
            for (size_t k = 0; k < np; k++) {
                fx_gp_num(f, p[k].cap);
                fputc(' ', f);
                fx_gp_num(f, c->o->miss ? 1 - p[k].ratio : p[k].ratio);
                fputc('\n', f);
            }
            fx_gp_block_end(c);
            if (p[0].cap < lo)
                lo = p[0].cap;
            if (p[np - 1].cap > hi)
                hi = p[np - 1].cap;
        }
        free(p);
        fx_csv_free(csv);
    }
    if (st != FX_OK) {
        free(names);
        free(every);
        return st;
    }

    /* Ticks at powers of two, at most about seven of them. */
    int klo = (int)floor(log2(lo)), khi = (int)ceil(log2(hi));
    if (khi == klo)
        khi++;
    int step = 1;
    static const int steps[] = {1, 2, 4, 10, 20};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        step = steps[i];
        if ((khi - klo) / step <= 6)
            break;
    }
    fputc('\n', f);
    const char *what = strcmp(metric, "hit_ratio") == 0 ? (c->o->miss ? "miss ratio" : "hit ratio")
                       : c->o->miss                     ? "byte miss ratio"
                                                        : "byte hit ratio";
    fx_gp_labels(c, "cache capacity", what);
    fputs("set logscale x 2\n", f);
    fx_gp_logscale(c, -1, 0); /* x: base 2 already, with ticks of its own */
    fprintf(f, "set xrange [%.17g:%.17g]\n", ldexp(1, klo), ldexp(1, khi));
    fputs(c->o->logy ? "set yrange [*:1]\n" : "set yrange [0:1]\n", f);
    fputs("set xtics (", f);
    int first = 1;
    for (int k = (int)ceil((double)klo / step) * step; k <= khi; k += step) {
        char t[32];
        power_text(t, sizeof t, k);
        fprintf(f, "%s'%s' %.17g", first ? "" : ", ", t, ldexp(1, k));
        first = 0;
    }
    fputs(")\n", f);
    fprintf(f, "set key %s right Left reverse\n", c->o->miss ? "top" : "bottom");
    fputs("plot \\\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "    $s%zu using 1:2 with linespoints lt %zu pi %zu title ", i + 1, i + 1,
                every[i]);
        fx_gp_str(f, names[i]);
        fputs(i + 1 < n ? ", \\\n" : "\n", f);
    }
    free(names);
    free(every);
    return FX_OK;
}

const fx_plot_kind fx_plot_mrc = {
    .name = "mrc",
    .summary = "hit or miss ratio against cache capacity, one line per input",
    .min_inputs = 1,
    .max_inputs = 0,
    .emit = emit,
};
