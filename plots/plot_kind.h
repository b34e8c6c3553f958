/* plot_kind.h - what a figure kind is, and what the emitters share
 * (internal to libfluxo).
 *
 * A kind is a static const fx_plot_kind in its own file (plots/cdf.c, ...),
 * listed in plots/registry.c. Its emit function reads the inputs, then
 * writes the body of the script to c->f: inline data blocks, axes, and the
 * plot command. plot.c has already written the header, the look (size,
 * font, the palette as linetypes 1 to 8) and the terminal, and finishes
 * the script; an emitter writes nothing but the figure's own lines, and
 * formats every number with fx_gp_num so that a script is the same byte
 * for byte for the same input.
 *
 * Series take linetypes 1, 2, ... in order: each has its colour, dash
 * pattern (paper) and point type, so an emitter names no colour for a
 * series; grays and black for marks that are not series are fine.
 *
 * The readers below parse into typed structs and never keep a cJSON tree.
 */
#ifndef FX_PLOT_KIND_H
#define FX_PLOT_KIND_H

#include <stddef.h>
#include <stdio.h>

#include "plots/plot.h"
#include "sim/error.h"

/* One input: PATH, and the LABEL given as LABEL=PATH (NULL when none). */
typedef struct fx_plot_input {
    const char *label;
    const char *path;
} fx_plot_input;

/* What an emitter writes into. */
typedef struct fx_plot_ctx {
    FILE *f;               /* the script */
    const fx_plot_opts *o; /* the options, as given */
    fx_plot_format format;
    int paper; /* o->style == FX_PLOT_PAPER */
} fx_plot_ctx;

typedef struct fx_plot_kind {
    const char *name;
    const char *summary;           /* one line, for help and the script's header */
    size_t min_inputs, max_inputs; /* max 0: any number */
    fx_status (*emit)(fx_plot_ctx *c, const fx_plot_input *in, size_t n, fx_err *e);
} fx_plot_kind;

/* The registry: every kind, NULL-terminated (registry.c). */
extern const fx_plot_kind *const fx_plot_kinds[];

/* --- writing the script --------------------------------------------------- */

/* S as a gnuplot string literal: single quotes, a quote doubled, control
 * characters replaced by spaces. */
void fx_gp_str(FILE *f, const char *s);

/* S as a field of an inline data block: double quotes, with double quotes
 * and control characters replaced, so that no field can end the block. */
void fx_gp_field(FILE *f, const char *s);

/* X with "%.6g" (NaN for a missing value): the fixed format of all data. */
void fx_gp_num(FILE *f, double x);

/* "set title/xlabel/ylabel": the user's texts where given, else XLABEL
 * and YLABEL (NULL: none); no title unless given. */
void fx_gp_labels(fx_plot_ctx *c, const char *xlabel, const char *ylabel);

/* "set logscale" for the axes that are logarithmic: an axis given 1 is
 * always, one given 0 when the user asked (--logx, --logy), one given -1
 * never (an axis of categories). */
void fx_gp_logscale(fx_plot_ctx *c, int logx, int logy);

/* A key above the plot, in rows of at most MAXCOLS entries (gnuplot makes
 * fewer when it reckons they do not fit), samples SAMPLEN characters long.
 * Above, a key never hides data. */
void fx_gp_key_above(fx_plot_ctx *c, size_t maxcols, double samplen);

/* The fill of bars of series I (0-based): solid colour on screen; on
 * paper a hatch pattern per series as well, for grayscale. Written as
 * "fs ..." for a plot element. */
void fx_gp_fill(fx_plot_ctx *c, size_t i);

/* Start an inline data block $NAME, after a comment line "# NAME: WHAT";
 * fx_gp_block_end closes it. */
void fx_gp_block_begin(fx_plot_ctx *c, const char *name, const char *what);
void fx_gp_block_end(fx_plot_ctx *c);

/* The name of a series from input IN: its label, else FALLBACK when not
 * NULL, else the file's name up to its first dot. Written into BUF. */
const char *fx_plot_series_name(const fx_plot_input *in, const char *fallback, char *buf,
                                size_t len);

/* NAMES[0..N) joined by ", " into BUF, cut with "..." when too long. */
const char *fx_plot_join(const char *const *names, size_t n, char *buf, size_t len);

/* --- CSV files ------------------------------------------------------------ */

/* A CSV file: a header line of column names, then rows of as many fields.
 * Fields may be quoted ("a,b", "say ""hi"""); blank lines and lines
 * starting with # are skipped; a CR before a line end is dropped. */
typedef struct fx_csv {
    const char *path; /* borrowed */
    size_t ncols, nrows;
    char **names;  /* ncols column names */
    char **cells;  /* nrows * ncols fields, row by row */
    size_t *lines; /* the file line of each row, for messages */
    char *text;    /* the storage behind names and cells */
} fx_csv;

fx_status fx_csv_read(const char *path, fx_csv **out, fx_err *e);
void fx_csv_free(fx_csv *c);

/* The index of column NAME, or -1. */
long fx_csv_col(const fx_csv *c, const char *name);

const char *fx_csv_cell(const fx_csv *c, size_t row, size_t col);

/* A number: NaN when the field is empty, "nan" or infinite (a missing
 * value); FX_EINVAL naming FILE:LINE and the column otherwise. */
fx_status fx_csv_number(const fx_csv *c, size_t row, size_t col, double *out, fx_err *e);

/* A truth value: 1, 0, true, false, yes, no (any case); an empty field
 * gives DEFLT. */
fx_status fx_csv_bool(const fx_csv *c, size_t row, size_t col, int deflt, int *out, fx_err *e);

/* FX_EINVAL: "FILE: expected a column NAME; found columns a, b, c". */
fx_status fx_csv_missing(const fx_csv *c, const char *name, fx_err *e);

/* --- result documents ----------------------------------------------------- */

typedef struct fx_plot_bucket {
    double lo, hi; /* ms: [lo, hi) */
    double count;
} fx_plot_bucket;

typedef struct fx_plot_pool {
    char *id;
    double utilization;
    double *partitions; /* per partition, or NULL */
    size_t npartitions;
} fx_plot_pool;

/* What the figures read of a replay's result document (models/result.h). */
typedef struct fx_plot_doc {
    char *arch;
    char *trace;
    double p50, p99, max_ms; /* latency_ms */
    double cost_per_hour;
    fx_plot_pool *pools;
    size_t npools;
    fx_plot_bucket *hist; /* latency_hist.buckets, NULL when absent */
    size_t nhist;
} fx_plot_doc;

fx_status fx_plot_doc_read(const char *path, fx_plot_doc **out, fx_err *e);
void fx_plot_doc_free(fx_plot_doc *d);

/* Nonzero when the first character of PATH that is not white space is
 * "{" (a JSON document); 0 otherwise, and when PATH cannot be read. */
int fx_plot_is_json(const char *path);

/* One non-negative number a line (blank lines and # comments skipped):
 * *V (malloc'd) and *N. FX_EINVAL at FILE:LINE for anything else, and for
 * a file with no number. */
fx_status fx_plot_read_numbers(const char *path, double **v, size_t *n, fx_err *e);

#endif
