/* convergence.c - `plot convergence`: the best feasible objective found so
 * far against the number of evaluations, one line per strategy, from
 * optimizer logs. Lower objectives are better, as the optimizer logs them.
 *
 * Input: optimizer logs, CSV with a header. Columns read:
 *   index      required: the evaluation's number (rows are taken in its order)
 *   objective  required: a number; an empty one counts as an evaluation
 *              that found nothing
 *   feasible   optional: 1/0/true/false/yes/no (default 1); an infeasible
 *              evaluation never becomes the best
 *   strategy   optional: one line per distinct value; without it, one line
 *              per file, named by its label or its name up to the first dot
 * With a label (LABEL=FILE) and several strategies in the file, a line is
 * named LABEL/STRATEGY. A name given twice gets " (2)", " (3)" appended.
 * The x axis counts the evaluations of a strategy, 1, 2, ..., whatever the
 * first index; a point at the last evaluation marks where each run ended.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

#define NAME_LEN 192

typedef struct eval {
    double index, objective;
    int feasible;
    size_t group; /* within its file */
    size_t order;
} eval;

typedef struct line {
    char name[NAME_LEN];
    double *x, *y; /* the points of the staircase */
    size_t n;
    double last_x, last_y;
} line;

static int by_group_index(const void *a, const void *b)
{
    const eval *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Read one log and append its lines to *LINES. */
static fx_status read_log(const fx_plot_input *in, line **lines, size_t *nlines, fx_err *e)
{
    fx_csv *csv;
    fx_status st = fx_csv_read(in->path, &csv, e);
    if (st != FX_OK)
        return st;
    long ic = fx_csv_col(csv, "index"), oc = fx_csv_col(csv, "objective");
    long fc = fx_csv_col(csv, "feasible"), sc = fx_csv_col(csv, "strategy");
    eval *ev = NULL;
    const char **groups = NULL;
    size_t ngroups = 0;
    if (ic < 0) {
        st = fx_csv_missing(csv, "index", e);
        goto done;
    }
    if (oc < 0) {
        st = fx_csv_missing(csv, "objective", e);
        goto done;
    }
    ev = malloc(csv->nrows * sizeof *ev);
    groups = malloc(csv->nrows * sizeof *groups);
    if (!ev || !groups) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < csv->nrows; r++) {
        eval *v = &ev[r];
        v->feasible = 1;
        v->order = r;
        if ((st = fx_csv_number(csv, r, (size_t)ic, &v->index, e)) != FX_OK ||
            (st = fx_csv_number(csv, r, (size_t)oc, &v->objective, e)) != FX_OK ||
            (fc >= 0 && (st = fx_csv_bool(csv, r, (size_t)fc, 1, &v->feasible, e)) != FX_OK))
            goto done;
        if (isnan(v->index)) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: column \"index\": expected a number, found "
                            "an empty field",
                            in->path, csv->lines[r]);
            goto done;
        }
        const char *g = sc >= 0 ? fx_csv_cell(csv, r, (size_t)sc) : "";
        size_t k = 0;
        while (k < ngroups && strcmp(groups[k], g) != 0)
            k++;
        if (k == ngroups)
            groups[ngroups++] = g;
        v->group = k;
    }
    qsort(ev, csv->nrows, sizeof *ev, by_group_index);
    line *nl = realloc(*lines, (*nlines + ngroups) * sizeof *nl);
    if (!nl) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    *lines = nl;
    for (size_t r = 0; r < csv->nrows;) {
        size_t g = ev[r].group, end = r;
        while (end < csv->nrows && ev[end].group == g)
            end++;
        line *L = &nl[*nlines];
        memset(L, 0, sizeof *L);
        char stem[NAME_LEN];
        if (sc < 0 || (in->label && ngroups == 1))
            fx_plot_series_name(in, NULL, L->name, sizeof L->name);
        else if (in->label)
            snprintf(L->name, sizeof L->name, "%s/%s", in->label, groups[g]);
        else
            snprintf(L->name, sizeof L->name, "%s",
                     *groups[g] ? groups[g] : fx_plot_series_name(in, NULL, stem, sizeof stem));
        L->x = malloc((end - r) * sizeof *L->x);
        L->y = malloc((end - r) * sizeof *L->y);
        (*nlines)++; /* counted now so that its arrays are freed on failure */
        if (!L->x || !L->y) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
            goto done;
        }
        double best = NAN;
        for (size_t k = r; k < end; k++) {
            double count = (double)(k - r + 1);
            const eval *v = &ev[k];
            if (v->feasible && !isnan(v->objective) && (isnan(best) || v->objective < best)) {
                best = v->objective;
                L->x[L->n] = count;
                L->y[L->n++] = best;
            }
            L->last_x = count;
            L->last_y = best;
        }
        r = end;
    }
done:
    free(ev);
    free(groups);
    fx_csv_free(csv);
    return st;
}

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    line *lines = NULL;
    size_t nlines = 0;
    fx_status st = FX_OK;
    for (size_t i = 0; st == FX_OK && i < n; i++)
        st = read_log(&in[i], &lines, &nlines, e);
    size_t shown = 0;
    for (size_t i = 0; st == FX_OK && i < nlines; i++)
        if (lines[i].n)
            shown++;
    if (st == FX_OK && shown == 0)
        st = fx_err_set(e, FX_EINVAL,
                        "%s: expected a feasible evaluation with an objective, "
                        "found none",
                        in[0].path);
    if (st != FX_OK)
        goto done;
    /* Names given twice get a number. */
    for (size_t i = 0; i < nlines; i++) {
        size_t same = 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(lines[j].name, lines[i].name) == 0)
                same++;
        if (same > 1) {
            char suffix[32];
            int sl = snprintf(suffix, sizeof suffix, " (%zu)", same);
            size_t l = strlen(lines[i].name);
            if (l + (size_t)sl >= NAME_LEN)
                l = NAME_LEN - 1 - (size_t)sl;
            memcpy(lines[i].name + l, suffix, (size_t)sl + 1);
        }
    }

    FILE *f = c->f;
    char block[32];
    size_t k = 0;
    for (size_t i = 0; i < nlines; i++) {
        line *L = &lines[i];
        if (!L->n) {
            fputs("# no feasible evaluation in ", f);
            fx_gp_str(f, L->name);
            fputs(": left out\n", f);
            continue;
        }
        snprintf(block, sizeof block, "s%zu", ++k);
        fx_gp_block_begin(c, block, L->name);
        fputs("# evaluations best_objective\n", f);
        for (size_t j = 0; j < L->n; j++) {
            fx_gp_num(f, L->x[j]);
            fputc(' ', f);
            fx_gp_num(f, L->y[j]);
            fputc('\n', f);
        }
        if (L->last_x > L->x[L->n - 1]) {
            fx_gp_num(f, L->last_x);
            fputc(' ', f);
            fx_gp_num(f, L->last_y);
            fputc('\n', f);
        }
        fx_gp_block_end(c);
    }
    fx_gp_block_begin(c, "ends", "the last evaluation of each line");
    fputs("# evaluations best_objective\n", f);
    for (size_t i = 0; i < nlines; i++)
        if (lines[i].n) {
            fx_gp_num(f, lines[i].last_x);
            fputc(' ', f);
            fx_gp_num(f, lines[i].last_y);
            fputc('\n', f);
        }
    fx_gp_block_end(c);

    fputc('\n', f);
    fx_gp_labels(c, "evaluations", "best objective so far");
    fx_gp_logscale(c, 0, 0);
    fputs("set key top right Left reverse\n"
          "set offsets 0, graph 0.02, graph 0.05, graph 0.05\n"
          "plot \\\n",
          f);
    k = 0;
    for (size_t i = 0; i < nlines; i++) {
        if (!lines[i].n)
            continue;
        k++;
        fprintf(f, "    $s%zu using 1:2 with steps lt %zu title ", k, k);
        fx_gp_str(f, lines[i].name);
        fprintf(f, ", \\\n    $ends every ::%zu::%zu using 1:2 with points lt %zu%s\n", k - 1,
                k - 1, k, k < shown ? ", \\" : "");
    }
done:
    for (size_t i = 0; i < nlines; i++) {
        free(lines[i].x);
        free(lines[i].y);
    }
    free(lines);
    return st;
}

const fx_plot_kind fx_plot_convergence = {
    .name = "convergence",
    .summary = "the best objective found against evaluations, one line per strategy",
    .min_inputs = 1,
    .max_inputs = 0,
    .emit = emit,
};
