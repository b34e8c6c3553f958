/* util.c - `plot util`: the utilization of each pool of one replay, and of
 * each partition of a partitioned pool.
 *
 * Input: one result document. A pool's bar is its "utilization"; a pool
 * whose document lists "partitions" (utilization per partition, written
 * when it has more than one) gets one narrower bar per partition, numbered
 * from 0, and a black line at the pool's own utilization (the mean of its
 * partitions); the partitions' numbers sit at the foot of their bars.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot_kind.h"

/* Partition numbers are written over bars up to this many partitions. */
#define LABELLED_MAX 16

static fx_status emit(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e)
{
    (void)n;
    fx_plot_doc *d;
    fx_status st = fx_plot_doc_read(in[0].path, &d, e);
    if (st != FX_OK)
        return st;
    if (d->npools == 0) {
        fx_plot_doc_free(d);
        return fx_err_set(e, FX_EINVAL, "%s: pools: expected at least one pool, found none",
                          in[0].path);
    }
    FILE *f = c->f;
    double top = 1;
    size_t whole = 0, parts = 0, labelled = 0;
    for (size_t i = 0; i < d->npools; i++) {
        const fx_plot_pool *p = &d->pools[i];
        if (p->utilization > top)
            top = p->utilization;
        for (size_t k = 0; k < p->npartitions; k++)
            if (p->partitions[k] > top)
                top = p->partitions[k];
        if (p->partitions)
            parts++;
        else
            whole++;
        if (p->partitions && p->npartitions <= LABELLED_MAX)
            labelled++;
    }
    char what[256];
    snprintf(what, sizeof what, "pools of %s", d->arch);
    if (whole) {
        fx_gp_block_begin(c, "pools", what);
        fputs("# x utilization pool\n", f);
        for (size_t i = 0; i < d->npools; i++)
            if (!d->pools[i].partitions) {
                fprintf(f, "%zu ", i);
                fx_gp_num(f, d->pools[i].utilization);
                fputc(' ', f);
                fx_gp_field(f, d->pools[i].id);
                fputc('\n', f);
            }
        fx_gp_block_end(c);
    }
    if (parts) {
        fx_gp_block_begin(c, "parts", "the partitions of partitioned pools");
        fputs("# x utilization width partition\n", f);
        for (size_t i = 0; i < d->npools; i++) {
            const fx_plot_pool *p = &d->pools[i];
            double w = 0.7 / (double)p->npartitions;
            for (size_t k = 0; k < p->npartitions; k++) {
                fx_gp_num(f, (double)i - 0.35 + w * ((double)k + 0.5));
                fputc(' ', f);
                fx_gp_num(f, p->partitions[k]);
                fputc(' ', f);
                fx_gp_num(f, w);
                fprintf(f, " \"%zu\"\n", k);
            }
        }
        fx_gp_block_end(c);
        fx_gp_block_begin(c, "means", "the utilization of each partitioned pool");
        fputs("# x_from utilization length\n", f);
        for (size_t i = 0; i < d->npools; i++)
            if (d->pools[i].partitions) {
                fx_gp_num(f, (double)i - 0.4);
                fputc(' ', f);
                fx_gp_num(f, d->pools[i].utilization);
                fputs(" 0.8\n", f);
            }
        fx_gp_block_end(c);
    }

    fputc('\n', f);
    fx_gp_labels(c, NULL, "utilization");
    fx_gp_logscale(c, -1, 0);
    fprintf(f, "set xrange [-0.6:%zu.6]\n", d->npools - 1);
    if (!c->o->logy) {
        fputs("set yrange [0:", f);
        fx_gp_num(f, top > 1 ? top : 1);
        fputs("]\nset ytics 0, 0.2\n", f);
    }
    fputs("set grid noxtics ytics\nset xtics scale 0 (", f);
    for (size_t i = 0; i < d->npools; i++) {
        fx_gp_str(f, d->pools[i].id);
        fprintf(f, " %zu%s", i, i + 1 < d->npools ? ", " : "");
    }
    fputs(")\n", f);
    fx_gp_key_above(c, 3, 1.5);
    fputs("plot \\\n", f);
    int first = 1;
    if (whole) {
        fputs("    $pools using 1:2:(0.6) with boxes lt 1 dt 1 ", f);
        fx_gp_fill(c, 0);
        fputs(" title 'pool'", f);
        first = 0;
    }
    if (parts) {
        fprintf(f, "%s    $parts using 1:2:3 with boxes lt 2 dt 1 ", first ? "" : ", \\\n");
        fx_gp_fill(c, 1);
        fputs(" title 'partition', \\\n", f);
        if (labelled == parts)
            fputs("    $parts using 1:(0):4 with labels offset 0, 0.7 notitle, \\\n", f);
        fputs("    $means using 1:2:3:(0) with vectors nohead lc rgb '#000000' lw 1.5 dt 1 \\\n"
              "        title 'pool (mean)'",
              f);
    }
    fputc('\n', f);
    fx_plot_doc_free(d);
    return FX_OK;
}

const fx_plot_kind fx_plot_util = {
    .name = "util",
    .summary = "utilization per pool and per partition of one replay",
    .min_inputs = 1,
    .max_inputs = 1,
    .emit = emit,
};
