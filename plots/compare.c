/* compare.c - `plot compare`: per workload and candidate, p99 latency as a
 * bar, p50 as a dot on it, and cost per hour as a diamond on the right
 * axis: the figure in which the best candidate changes with the workload.
 * The key names the candidates; the axis labels say what bars, dots and
 * diamonds are; a thick outline marks the lowest p99 of each workload.
 *
 * Inputs are result documents. The workload of one is its label
 * (WORKLOAD=FILE), else its "trace" up to the first dot of its base name
 * (runs/popular.trace.gz is "popular"), else its own file name likewise.
 * The candidate is its "arch". Workloads and candidates keep the order in
 * which they first appear; a pair given twice is an error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

#define NAME_MAX_ 128

typedef struct entry {
    fx_plot_doc *doc;
    size_t w, c; /* workload and candidate indices */
    const char *path;
} entry;

/* The index of NAME in NAMES[0..*N), appended when absent; -1 when out of
 * memory. */
static long intern(char (**names)[NAME_MAX_], size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return (long)i;
    char(*nn)[NAME_MAX_] = realloc(*names, (*n + 1) * sizeof **names);
    if (!nn)
        return -1;
    *names = nn;
    snprintf(nn[*n], NAME_MAX_, "%s", name);
    return (long)(*n)++;
}

static void workload_of(const fx_plot_input *in, const fx_plot_doc *d, char *buf, size_t len)
{
    if (in->label || !*d->trace) {
        fx_plot_series_name(in, NULL, buf, len);
        return;
    }
    fx_plot_input t = {NULL, d->trace};
    fx_plot_series_name(&t, NULL, buf, len);
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    entry *en = calloc(n, sizeof *en);
    char(*work)[NAME_MAX_] = NULL, (*cand)[NAME_MAX_] = NULL;
    size_t nw = 0, nc = 0;
    long *cell = NULL;
    fx_status st = FX_OK;
    if (!en)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if ((st = fx_plot_doc_read(in[i].path, &en[i].doc, e)) != FX_OK)
            goto done;
        char wname[NAME_MAX_];
        workload_of(&in[i], en[i].doc, wname, sizeof wname);
        long w = intern(&work, &nw, wname);
        long k = intern(&cand, &nc, en[i].doc->arch);
        if (w < 0 || k < 0) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
            goto done;
        }
        en[i].w = (size_t)w;
        en[i].c = (size_t)k;
        en[i].path = in[i].path;
    }
    cell = malloc(nw * nc * sizeof *cell);
    if (!cell) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nw * nc; i++)
        cell[i] = -1;
    for (size_t i = 0; i < n; i++) {
        long *p = &cell[en[i].w * nc + en[i].c];
        if (*p >= 0) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s: workload \"%s\" and candidate \"%s\" were given already by %s "
                            "(name workloads as WORKLOAD=FILE)",
                            en[i].path, work[en[i].w], cand[en[i].c], en[*p].path);
            goto done;
        }
        *p = (long)i;
    }

    FILE *f = c->f;
    double bw = 0.8 / (double)nc;
    double lo = INFINITY;
    for (size_t k = 0; k < nc; k++) {
        char name[32];
        snprintf(name, sizeof name, "c%zu", k + 1);
        fx_gp_block_begin(c, name, cand[k]);
        fputs("# x p50_ms p99_ms cost_per_hour workload\n", f);
        for (size_t w = 0; w < nw; w++) {
            long i = cell[w * nc + k];
            if (i < 0)
                continue;
            const fx_plot_doc *d = en[i].doc;
            fx_gp_num(f, (double)w - 0.4 + bw * ((double)k + 0.5));
            fputc(' ', f);
            fx_gp_num(f, d->p50);
            fputc(' ', f);
            fx_gp_num(f, d->p99);
            fputc(' ', f);
            fx_gp_num(f, d->cost_per_hour);
            fputc(' ', f);
            fx_gp_field(f, work[w]);
            fputc('\n', f);
            if (d->p50 > 0 && d->p50 < lo)
                lo = d->p50;
            if (d->p99 > 0 && d->p99 < lo)
                lo = d->p99;
        }
        fx_gp_block_end(c);
    }
    fx_gp_block_begin(c, "best", "the lowest p99 of each workload");
    fputs("# x p99_ms\n", f);
    for (size_t w = 0; w < nw; w++) {
        long best = -1;
        for (size_t k = 0; k < nc; k++) {
            long i = cell[w * nc + k];
            if (i >= 0 && (best < 0 || en[i].doc->p99 < en[best].doc->p99))
                best = i;
        }
        fx_gp_num(f, (double)w - 0.4 + bw * ((double)en[best].c + 0.5));
        fputc(' ', f);
        fx_gp_num(f, en[best].doc->p99);
        fputc('\n', f);
    }
    fx_gp_block_end(c);

    fputc('\n', f);
    fputs("bw = ", f);
    fx_gp_num(f, bw);
    fputs("  # the width of a bar\n", f);
    /* Bars start at the axis: 0, or a power of ten below every value on a
     * log axis. */
    double base = c->o->logy && isfinite(lo) ? pow(10, floor(log10(lo))) : 0;
    fputs("base = ", f);
    fx_gp_num(f, base);
    fputs("  # where the bars start\n", f);
    fx_gp_labels(c, NULL, "latency (ms): p99 bars, p50 dots");
    /* The key names the candidates; the labels say what the marks are, so
     * that the key fits a column's width. */
    fputs("set y2label 'cost per hour (diamonds)'\n", f);
    fx_gp_logscale(c, -1, 0);
    fprintf(f, "set xrange [-0.5:%zu.5]\n", nw - 1);
    fputs(c->o->logy ? "set yrange [base:*]\n" : "set yrange [0:*]\n", f);
    fputs("set y2range [0:*]\n"
          "set border 11 back lw 0.5\n"
          "set ytics nomirror\n"
          "set y2tics\n"
          "set grid noxtics ytics\n"
          "set xtics scale 0 (",
          f);
    for (size_t w = 0; w < nw; w++) {
        fx_gp_str(f, work[w]);
        fprintf(f, " %zu%s", w, w + 1 < nw ? ", " : "");
    }
    fputs(")\n", f);
    fx_gp_key_above(c, c->paper ? 3 : 5, 1.5);
    fputs("plot \\\n", f);
    for (size_t k = 0; k < nc; k++) {
        fprintf(
            f,
            "    $c%zu using 1:3:($1 - bw / 2):($1 + bw / 2):(base):3 with boxxyerror lt %zu dt 1 ",
            k + 1, k + 1);
        fx_gp_fill(c, k);
        fputs(" title ", f);
        fx_gp_str(f, cand[k]);
        fputs(", \\\n", f);
    }
    for (size_t k = 0; k < nc; k++)
        fprintf(
            f,
            "    $c%zu using 1:2 with points pt 7 ps 1.2 * ps lc rgb '#ffffff', \\\n"
            "    $c%zu using 1:2 with points pt 6 ps 1.2 * ps lc rgb '#000000', \\\n"
            "    $c%zu using 1:4 axes x1y2 with points pt 13 ps 1.2 * ps lc rgb '#000000', \\\n",
            k + 1, k + 1, k + 1);
    fputs("    $best using 1:2:($1 - bw / 2):($1 + bw / 2):(base):2 with boxxyerror \\\n"
          "        lc rgb '#000000' lw 2.5 dt 1 fs empty border lc rgb '#000000' title 'lowest "
          "p99'\n",
          f);
done:
    if (en)
        for (size_t i = 0; i < n; i++)
            fx_plot_doc_free(en[i].doc);
    free(en);
    free(work);
    free(cand);
    free(cell);
    return st;
}

const fx_plot_kind fx_plot_compare = {
    .name = "compare",
    .summary = "p50 and p99 latency and cost per hour per candidate, grouped by workload",
    .min_inputs = 1,
    .max_inputs = 0,
    .emit = emit,
};
