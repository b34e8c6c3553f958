/* pareto.c - `plot pareto`: cost per hour against p99 latency for every
 * candidate an optimizer evaluated, the non-dominated front of the
 * feasible ones (lower cost and lower p99 are better) drawn as a
 * staircase, and the chosen candidate labelled.
 *
 * Input: one or more optimizer logs, CSV with a header. Columns read:
 *   cost_per_hour               required, a number
 *   latency_ms.p99 (or p99_ms)  required, a number (ms)
 *   feasible                    optional: 1/0/true/false/yes/no (default 1)
 *   candidate                   optional: the candidate's name, for the label
 *   index                       optional: the evaluation's number, the label
 *                               ("#12") when there is no candidate column
 *   objective                   optional: a number, lower is better
 *   chosen                      optional: 1 on the optimizer's choice
 * Other columns are ignored. A row with an empty or non-finite cost or p99
 * is left out. The chosen candidate is the one --chosen names (by its
 * candidate or its index), else the
 * first row whose "chosen" is true, else the feasible row of lowest
 * objective; without any of these no candidate is labelled. The p99 axis is
 * logarithmic when the p99s span more than a factor of 100 (or --logx).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

typedef struct point {
    double p99, cost, objective;
    int feasible, chosen;
    const char *name;  /* in its CSV, or NULL */
    const char *index; /* in its CSV, or NULL */
} point;

static int by_p99_then_cost(const void *a, const void *b)
{
    const point *x = *(const point *const *)a, *y = *(const point *const *)b;
    if (x->p99 != y->p99)
        return x->p99 < y->p99 ? -1 : 1;
    return (x->cost > y->cost) - (x->cost < y->cost);
}

static void write_points(fx_plot_ctx *c, const char *block, const char *what, point **p, size_t n)
{
    fx_gp_block_begin(c, block, what);
    fputs("# p99_ms cost_per_hour candidate\n", c->f);
    for (size_t i = 0; i < n; i++) {
        fx_gp_num(c->f, p[i]->p99);
        fputc(' ', c->f);
        fx_gp_num(c->f, p[i]->cost);
        fputc(' ', c->f);
        char label[96];
        if (p[i]->name)
            snprintf(label, sizeof label, "%s", p[i]->name);
        else if (p[i]->index)
            snprintf(label, sizeof label, "#%s", p[i]->index);
        else
            snprintf(label, sizeof label, "chosen");
        fx_gp_field(c->f, label);
        fputc('\n', c->f);
    }
    fx_gp_block_end(c);
}

static fx_status read_log(const fx_csv *csv, point **pts, size_t *n, size_t *left_out, fx_err *e)
{
    long cost = fx_csv_col(csv, "cost_per_hour");
    long p99 = fx_csv_col(csv, "latency_ms.p99");
    if (p99 < 0)
        p99 = fx_csv_col(csv, "p99_ms");
    long feas = fx_csv_col(csv, "feasible");
    long name = fx_csv_col(csv, "candidate");
    long index = fx_csv_col(csv, "index");
    long obj = fx_csv_col(csv, "objective");
    long chosen = fx_csv_col(csv, "chosen");
    if (cost < 0)
        return fx_csv_missing(csv, "cost_per_hour", e);
    if (p99 < 0)
        return fx_csv_missing(csv, "latency_ms.p99\" (or \"p99_ms", e);
    point *np = realloc(*pts, (*n + csv->nrows) * sizeof *np);
    if (!np)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    *pts = np;
    for (size_t r = 0; r < csv->nrows; r++) {
        point p = {0, 0, NAN, 1, 0, NULL, NULL};
        fx_status st;
        if ((st = fx_csv_number(csv, r, (size_t)cost, &p.cost, e)) != FX_OK ||
            (st = fx_csv_number(csv, r, (size_t)p99, &p.p99, e)) != FX_OK ||
            (feas >= 0 && (st = fx_csv_bool(csv, r, (size_t)feas, 1, &p.feasible, e)) != FX_OK) ||
            (obj >= 0 && (st = fx_csv_number(csv, r, (size_t)obj, &p.objective, e)) != FX_OK) ||
            (chosen >= 0 && (st = fx_csv_bool(csv, r, (size_t)chosen, 0, &p.chosen, e)) != FX_OK))
            return st;
        if (name >= 0)
            p.name = fx_csv_cell(csv, r, (size_t)name);
        if (index >= 0)
            p.index = fx_csv_cell(csv, r, (size_t)index);
        if (isnan(p.cost) || isnan(p.p99)) {
            (*left_out)++;
            continue;
        }
        np[(*n)++] = p;
    }
    return FX_OK;
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    fx_csv **csv = calloc(n, sizeof *csv);
    point *pts = NULL, **feas = NULL, **infeas = NULL, **front = NULL, *chosen = NULL;
    size_t np = 0, left_out = 0, nf = 0, ni = 0, nfront = 0;
    fx_status st = FX_OK;
    if (!csv)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t i = 0; st == FX_OK && i < n; i++)
        if ((st = fx_csv_read(in[i].path, &csv[i], e)) == FX_OK)
            st = read_log(csv[i], &pts, &np, &left_out, e);
    if (st != FX_OK)
        goto done;
    if (np == 0) {
        st = fx_err_set(e, FX_EINVAL, "%s: expected rows with a cost and a p99, found none",
                        in[0].path);
        goto done;
    }
    feas = malloc(np * sizeof *feas);
    infeas = malloc(np * sizeof *infeas);
    front = malloc(np * sizeof *front);
    if (!feas || !infeas || !front) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        point *p = &pts[i];
        if (p->feasible)
            feas[nf++] = p;
        else
            infeas[ni++] = p;
    }
    if (c->o->chosen) {
        for (size_t i = 0; !chosen && i < np; i++)
            if ((pts[i].name && strcmp(pts[i].name, c->o->chosen) == 0) ||
                (pts[i].index && strcmp(pts[i].index, c->o->chosen) == 0))
                chosen = &pts[i];
        if (!chosen) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s: --chosen: expected a row whose candidate or index is "
                            "\"%s\", found none%s",
                            in[0].path, c->o->chosen, n > 1 ? " in any log" : "");
            goto done;
        }
    }
    for (size_t i = 0; !chosen && i < np; i++)
        if (pts[i].chosen)
            chosen = &pts[i];
    for (size_t i = 0; i < np; i++)
        if (!c->o->chosen && !(chosen && chosen->chosen) && pts[i].feasible &&
            isfinite(pts[i].objective) && (!chosen || pts[i].objective < chosen->objective))
            chosen = &pts[i];

    /* The front: sweep by p99, keeping each point cheaper than all before. */
    point **sorted = malloc((nf ? nf : 1) * sizeof *sorted);
    if (!sorted) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(sorted, feas, nf * sizeof *sorted);
    qsort(sorted, nf, sizeof *sorted, by_p99_then_cost);
    for (size_t i = 0; i < nf; i++)
        if (nfront == 0 || sorted[i]->cost < front[nfront - 1]->cost)
            front[nfront++] = sorted[i];
    free(sorted);

    FILE *f = c->f;
    if (left_out)
        fprintf(f, "# %zu rows without a cost or a p99 are left out\n", left_out);
    write_points(c, "feasible", "feasible candidates", feas, nf);
    write_points(c, "infeasible", "candidates that break a constraint", infeas, ni);
    write_points(c, "front", "the non-dominated feasible candidates, by p99", front, nfront);
    write_points(c, "chosen", "the chosen candidate", &chosen, chosen ? 1 : 0);

    fputc('\n', f);
    fx_gp_labels(c, "p99 latency (ms)", "cost per hour");
    /* Candidates that break a latency bound can be slower than the rest by
     * orders of magnitude: then the p99 axis is logarithmic. */
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < np; i++) {
        if (pts[i].p99 > 0 && pts[i].p99 < lo)
            lo = pts[i].p99;
        if (pts[i].p99 > hi)
            hi = pts[i].p99;
    }
    fx_gp_logscale(c, isfinite(lo) && hi > 100 * lo ? 1 : 0, 0);
    fx_gp_key_above(c, 3, 2.5);
    fputs("set offsets 0, graph 0.05, graph 0.1, graph 0.05\n"
          "plot \\\n",
          f);
    int first = 1;
    if (ni) {
        fputs("    $infeasible using 1:2 with points pt 2 lc rgb '#999999' title 'infeasible'", f);
        first = 0;
    }
    if (nf) {
        fprintf(f,
                "%s    $feasible using 1:2 with points lt 1 pt 6 title 'feasible', \\\n"
                "    $front using 1:2 with steps lt 2 title 'Pareto front', \\\n"
                "    $front using 1:2 with points lt 2 pt 7 notitle",
                first ? "" : ", \\\n");
        first = 0;
    }
    if (chosen)
        fputs(", \\\n"
              "    $chosen using 1:2 with points pt 8 ps 2 lc rgb '#000000' notitle, \\\n"
              "    $chosen using 1:2:3 with labels left offset 1, 0.8 notitle",
              f);
    fputc('\n', f);
done:
    for (size_t i = 0; i < n; i++)
        fx_csv_free(csv[i]);
    free(csv);
    free(pts);
    free(feas);
    free(infeas);
    free(front);
    return st;
}

const fx_plot_kind fx_plot_pareto = {
    .name = "pareto",
    .summary = "cost against p99 from optimizer logs, the Pareto front and the choice",
    .min_inputs = 1,
    .max_inputs = 0,
    .emit = emit,
};
