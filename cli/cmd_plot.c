/* cmd_plot.c - `fluxosim plot KIND INPUT... -o FILE`: a figure from replays,
 * optimizer logs, sweeps or miss-ratio curves, through a gnuplot script
 * left next to it (plots/plot.h). */
#include "cli/cmd_plot.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "plots/plot.h"

static const char *const styles[] = {"screen", "paper", NULL};

typedef struct plot_cli {
    const char *output;
    int style;
    const char *title, *xlabel, *ylabel;
    int logx, logy;
    const char *size;
    const char *x, *series, *metric;
    int miss;
    const char *chosen;
    int script_only;
} plot_cli;

#define OFF(f) offsetof(plot_cli, f)

const fx_opt fx_plot_options[] = {
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "the figure: FILE.svg, .png or .pdf; FILE.gp goes beside it (required)", NULL},
    {"style", 0, FX_OPT_CHOICE, "screen|paper", OFF(style),
     "paper: serif 8 pt, 3.3 x 2.2 in, grayscale-safe (default: screen)", styles},
    {"title", 0, FX_OPT_STRING, "TEXT", OFF(title), "a title above the figure (default: none)",
     NULL},
    {"xlabel", 0, FX_OPT_STRING, "TEXT", OFF(xlabel), "the x axis label (default: the kind's)",
     NULL},
    {"ylabel", 0, FX_OPT_STRING, "TEXT", OFF(ylabel), "the y axis label (default: the kind's)",
     NULL},
    {"logx", 0, FX_OPT_FLAG, NULL, OFF(logx), "a logarithmic x axis (cdf and mrc have one anyway)",
     NULL},
    {"logy", 0, FX_OPT_FLAG, NULL, OFF(logy), "a logarithmic y axis", NULL},
    {"size", 0, FX_OPT_STRING, "W,H", OFF(size),
     "inches, or 8cm,5cm or 800px,500px (default: the style's)", NULL},
    {"x", 0, FX_OPT_STRING, "PARAM", OFF(x),
     "sweep: the parameter on the x axis (default: the "
     "first)",
     NULL},
    {"series", 0, FX_OPT_STRING, "PARAM", OFF(series),
     "sweep: one line per value of PARAM (default: the second)", NULL},
    {"metric", 0, FX_OPT_STRING, "NAME", OFF(metric),
     "sweep: the metric (default: the first); mrc: byte_hit_ratio", NULL},
    {"miss", 0, FX_OPT_FLAG, NULL, OFF(miss), "mrc: plot the miss ratio instead of the hit ratio",
     NULL},
    {"chosen", 0, FX_OPT_STRING, "NAME", OFF(chosen),
     "pareto: the candidate to label (default: the log's choice)", NULL},
    {"script-only", 0, FX_OPT_FLAG, NULL, OFF(script_only),
     "write FILE.gp only; do not run gnuplot", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_plot_usage[] = "fluxosim plot KIND INPUT... -o FILE.svg|FILE.png|FILE.pdf [OPTIONS]";

const char fx_plot_description[] =
    "Draws a figure with gnuplot. The script FILE.gp is written next to the\n"
    "figure with the data inline: edit it and rerun `gnuplot FILE.gp`. The\n"
    "same inputs give the same script, byte for byte. gnuplot is $GNUPLOT or\n"
    "gnuplot on PATH; without one the script is left and the error says how\n"
    "to render it later.\n\n"
    "kinds and their inputs:\n"
    "  cdf          replays' --latency-out files or result documents (with\n"
    "               latency_hist): latency CDFs, log latency axis, p99 marked\n"
    "  compare      result documents, as WORKLOAD=FILE (or named by their\n"
    "               trace): p99 bars, p50 dots and cost per hour (right axis)\n"
    "               per candidate, grouped by workload\n"
    "  pareto       optimizer logs (CSV: cost_per_hour, latency_ms.p99 or\n"
    "               p99_ms; optional feasible, candidate, index, objective,\n"
    "               chosen): cost against p99, the non-dominated front, the\n"
    "               choice\n"
    "  sweep        a sweep CSV (workload, parameters, then METRIC and\n"
    "               METRIC_ci95 per metric): a metric against a parameter,\n"
    "               one line per value of another, 95% intervals as bars\n"
    "  mrc          miss-ratio-curve CSVs (capacity_bytes, requests, hits,\n"
    "               misses, hit_ratio, byte_hit_ratio): hit ratio against\n"
    "               capacity, log axis, one line per file\n"
    "  convergence  optimizer logs (CSV: index, objective, optional feasible,\n"
    "               strategy): the best feasible objective so far against\n"
    "               evaluations, one line per strategy\n"
    "  util         one result document: utilization per pool and partition\n\n"
    "An input written LABEL=FILE names its series (its workload for compare);\n"
    "otherwise a result document is named by its candidate and any other file\n"
    "by its name up to the first dot.\n\n"
    "example: fluxosim plot cdf cand2.lat cand3.lat -o latency.pdf --style paper\n";

int fx_cmd_plot(int argc, char **argv)
{
    plot_cli o;
    memset(&o, 0, sizeof o);
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("plot", fx_plot_options, &o, argc, argv, pos, &npos);
    const char *kind = npos > 0 ? pos[0] : NULL;
    size_t nin = npos > 0 ? (size_t)npos - 1 : 0;
    char names[256];
    fx_plot_opts po;
    fx_plot_opts_init(&po);
    fx_err e;
    if (rc == 0 && !kind) {
        fx_cli_error("plot: expected a kind (one of %s), found none",
                     fx_plot_kind_names(names, sizeof names));
        rc = -1;
    }
    if (rc == 0 && !fx_plot_kind_exists(kind)) {
        fx_cli_error("plot: kind \"%s\": expected one of %s", kind,
                     fx_plot_kind_names(names, sizeof names));
        rc = -1;
    }
    if (rc == 0) {
        size_t min, max;
        fx_plot_kind_inputs(kind, &min, &max);
        if (nin < min || (max && nin > max)) {
            if (max == min)
                fx_cli_error("plot %s: expected %zu input file%s, found %zu", kind, min,
                             min == 1 ? "" : "s", nin);
            else
                fx_cli_error("plot %s: expected at least %zu input file%s, found %zu", kind, min,
                             min == 1 ? "" : "s", nin);
            rc = -1;
        }
    }
    if (rc == 0 && !o.output) {
        fx_cli_error("plot: expected -o FILE.svg, FILE.png or FILE.pdf, found none");
        rc = -1;
    }
    fx_plot_format fmt;
    if (rc == 0 && fx_plot_format_of(o.output, &fmt, &e) != FX_OK) {
        fx_cli_error("plot: -o: %s", e.msg);
        rc = -1;
    }
    if (rc == 0 && o.size && fx_plot_parse_size(o.size, &po.width_in, &po.height_in, &e) != FX_OK) {
        fx_cli_error("plot: --size: %s", e.msg);
        rc = -1;
    }
    /* Options that only some kinds read: a typo'd kind must not pass. */
    static const struct {
        const char *option, *kinds;
        size_t offset;
    } only[] = {
        {"x", "sweep", OFF(x)},
        {"series", "sweep", OFF(series)},
        {"metric", "sweep mrc", OFF(metric)},
        {"chosen", "pareto", OFF(chosen)},
    };
    for (size_t i = 0; rc == 0 && i < sizeof only / sizeof only[0]; i++) {
        const char *v = *(const char **)((char *)&o + only[i].offset);
        const char *k = strstr(only[i].kinds, kind);
        size_t kl = strlen(kind);
        int applies = k && (k == only[i].kinds || k[-1] == ' ') && (k[kl] == '\0' || k[kl] == ' ');
        if (v && !applies) {
            fx_cli_error("plot %s: --%s applies to %s only", kind, only[i].option, only[i].kinds);
            rc = -1;
        }
    }
    if (rc == 0 && o.logx && (strcmp(kind, "compare") == 0 || strcmp(kind, "util") == 0)) {
        fx_cli_error("plot %s: --logx: the x axis of %s holds names, not numbers", kind, kind);
        rc = -1;
    }
    if (rc == 0 && o.miss && strcmp(kind, "mrc") != 0) {
        fx_cli_error("plot %s: --miss applies to mrc only", kind);
        rc = -1;
    }
    char *script = rc == 0 ? fx_plot_script_path(o.output) : NULL;
    if (rc == 0 && !script) {
        fx_cli_error("plot: out of memory");
        free(pos);
        return FX_EXIT_FAIL;
    }
    for (int i = 1; rc == 0 && i < npos; i++) {
        const char *in = fx_plot_input_path(pos[i]);
        const char *clash = fx_output_same_file(o.output, in) ? o.output
                            : fx_output_same_file(script, in) ? script
                                                              : NULL;
        if (clash) {
            fx_cli_error("plot: %s: expected an output file apart from the inputs, found the "
                         "input itself",
                         clash);
            rc = -1;
        }
    }
    if (rc < 0) {
        free(script);
        free(pos);
        return FX_EXIT_USAGE;
    }

    po.style = o.style == 1 ? FX_PLOT_PAPER : FX_PLOT_SCREEN;
    po.title = o.title;
    po.xlabel = o.xlabel;
    po.ylabel = o.ylabel;
    po.logx = o.logx;
    po.logy = o.logy;
    po.x = o.x;
    po.series = o.series;
    po.metric = o.metric;
    po.miss = o.miss;
    po.chosen = o.chosen;
    const char *const *inputs = (const char *const *)pos + 1;
    fx_status st = o.script_only ? fx_plot_write_script(kind, inputs, nin, &po, o.output, &e)
                                 : fx_plot_render(kind, inputs, nin, &po, o.output, &e);
    free(script);
    free(pos);
    return st == FX_OK ? FX_EXIT_OK : fx_cli_fail(&e);
}
