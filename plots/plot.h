/* plot.h - paper figures through gnuplot.
 *
 * A figure is made in two steps. First a gnuplot script is written next to
 * the figure, under the figure's name with ".gp" in place of its extension:
 * a self-contained script (the data sit in it as inline data blocks) that a
 * researcher can edit and rerun with `gnuplot FIG.gp`, from any folder; it
 * writes the figure next to itself. Then gnuplot (the program named by the
 * environment variable GNUPLOT, or `gnuplot` on PATH) runs that script with
 * no window and its standard error captured; the figure appears under its
 * name only when gnuplot succeeded, and nothing is left running.
 *
 * The same inputs and options give the same script, byte for byte: no
 * dates, no absolute paths that were not given, numbers printed with a
 * fixed format. The script picks its terminal from the figure's extension
 * (.svg, .png or .pdf) and, for PNG, falls back from pngcairo to the libgd
 * png terminal when the gnuplot that runs it lacks cairo.
 *
 * Inputs are file paths, each optionally written LABEL=PATH to name its
 * series (or its workload, for `compare`): an argument is split at its
 * first "=" when the text before it is not empty and holds no "/" (write
 * ./a=b.csv for a file whose name holds "="). Without a label a series is
 * named from the file: the candidate ("arch") of a result document, else
 * the file's name up to its first dot.
 *
 * Kinds (fx_plot_kind_name): cdf, compare, pareto, sweep, mrc, convergence,
 * util; the guide (doc/plot.part.md) describes the input each one reads,
 * and each kind's file (plots/KIND.c) says the same at its top.
 *
 * Errors: a file that cannot be read is FX_EIO naming it; bad content is
 * FX_EINVAL naming the file and the line (CSV) or JSON path; an input
 * larger than 1 GiB is FX_ELIMIT; a missing
 * gnuplot or a gnuplot that fails is FX_EIO, and the message names the
 * script that was left behind. Nothing here prints or exits.
 *
 * Strings passed in are borrowed for the duration of the call.
 */
#ifndef FX_PLOT_H
#define FX_PLOT_H

#include <stddef.h>

#include "sim/error.h"

typedef enum fx_plot_style {
    FX_PLOT_SCREEN = 0, /* sans serif, 8 x 5 in at 96 dpi, solid lines */
    FX_PLOT_PAPER = 1   /* serif 8 pt, 3.3 x 2.2 in (one column), dashes, 300 dpi PNG */
} fx_plot_style;

typedef enum fx_plot_format { FX_PLOT_SVG, FX_PLOT_PNG, FX_PLOT_PDF } fx_plot_format;

typedef struct fx_plot_opts {
    fx_plot_style style;
    const char *title;          /* NULL: no title */
    const char *xlabel;         /* NULL: the kind's label */
    const char *ylabel;         /* NULL: the kind's label */
    int logx, logy;             /* nonzero: a logarithmic axis (cdf and mrc have log x anyway) */
    double width_in, height_in; /* figure size in inches; 0: the style's */
    const char *x;              /* sweep: the parameter on the x axis (NULL: the first) */
    const char *series;         /* sweep: one line per value of this parameter (NULL: the second) */
    const char *metric;         /* sweep: the metric (NULL: the first); mrc: hit_ratio or
                                   byte_hit_ratio (NULL: hit_ratio) */
    int miss;                   /* mrc: plot the miss ratio, 1 - hit ratio */
    const char *chosen;         /* pareto: the candidate to label (NULL: see the guide) */
} fx_plot_opts;

/* Defaults: screen style, no title, the kinds' labels and axes. */
void fx_plot_opts_init(fx_plot_opts *o);

/* Write the script for a figure of KIND from INPUTS[0..N) to the script
 * path of OUT_PATH, then run gnuplot to render OUT_PATH. */
fx_status fx_plot_render(const char *kind, const char *const *inputs, size_t n,
                         const fx_plot_opts *o, const char *out_path, fx_err *e);

/* The path part of an input argument: after "LABEL=" when it has one. */
const char *fx_plot_input_path(const char *arg);

/* Only write the script (no gnuplot needed); render it later with
 * fx_plot_run_gnuplot or `gnuplot SCRIPT`. */
fx_status fx_plot_write_script(const char *kind, const char *const *inputs, size_t n,
                               const fx_plot_opts *o, const char *out_path, fx_err *e);

/* Run gnuplot on the script of OUT_PATH (already written), making OUT_PATH
 * atomically. */
fx_status fx_plot_run_gnuplot(const char *out_path, fx_err *e);

/* The script path of OUT_PATH (its extension replaced by ".gp"), in a new
 * string the caller frees; NULL when out of memory. */
char *fx_plot_script_path(const char *out_path);

/* The format of OUT_PATH from its extension (case-insensitive .svg, .png,
 * .pdf); FX_EINVAL naming what was found otherwise. */
fx_status fx_plot_format_of(const char *out_path, fx_plot_format *fmt, fx_err *e);

/* "W,H" with an optional unit after each number: in (the default), cm,
 * mm, pt or px (1/96 in). Each must lie in (0, 100] inches. */
fx_status fx_plot_parse_size(const char *s, double *width_in, double *height_in, fx_err *e);

/* How many kinds there are, and the name and one-line summary of kind I
 * (NULL past the end). */
size_t fx_plot_kind_count(void);
const char *fx_plot_kind_name(size_t i);
const char *fx_plot_kind_summary(size_t i);

/* Nonzero when NAME is a kind. */
int fx_plot_kind_exists(const char *name);

/* The kinds' names joined by ", " into BUF (cut when it does not fit). */
const char *fx_plot_kind_names(char *buf, size_t len);

/* The number of inputs kind NAME accepts: [*MIN, *MAX], MAX 0 for any. */
void fx_plot_kind_inputs(const char *name, size_t *min, size_t *max);

#endif
