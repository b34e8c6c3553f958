/* cmd_optimize.c - `fluxosim optimize TRACE --space FILE --strategy NAME`:
 * search a space of architectures, write the best one, the log of every
 * evaluation, and a summary of what changed from the base. */
#include "cli/cmd_optimize.h"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "plots/plot.h"
#include "sim/text.h"
#include "optimizer/eval.h"
#include "optimizer/space.h"
#include "optimizer/strategy.h"
#ifdef HAVE_MPI
#include "optimizer/mpi.h"
#else
typedef struct fx_mpi fx_mpi; /* never made: --mpi is refused */
#endif

typedef struct optimize_opts {
    const char *space;
    const char *strategy;
    uint64_t budget;
    uint64_t seed;
    uint64_t jobs;
    const char *output;
    const char *log;
    int pareto;
    int quiet;
    uint64_t max_evals;
    double screen;
    const char *screen_arg;
    double analytic_margin;
    uint64_t confirm;
    double temp0;
    double cooling;
    uint64_t batch;
    uint64_t restarts;
    uint64_t chains;
    const char *plot;
    double rate_scale;
    int mpi;
} optimize_opts;

#define OFF(f) offsetof(optimize_opts, f)

/* --budget (or --jobs) not given. */
#define UNSET UINT64_MAX

#define JOBS_MAX   1024
#define BATCH_MAX  1024
#define CHAINS_MAX 256

const fx_opt fx_optimize_options[] = {
    {"space", 's', FX_OPT_STRING, "FILE", OFF(space), "the search space (*.space.json; required)",
     NULL},
    {"strategy", 'S', FX_OPT_STRING, "NAME", OFF(strategy),
     "exhaustive, greedy or anneal (required; see fluxosim list strategies)", NULL},
    {"budget", 'b', FX_OPT_U64, "N", OFF(budget),
     "most candidates to evaluate (default: all for exhaustive, 300 otherwise)", NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed),
     "seed of the replays (as replay --seed) and of the strategy (default: 1)", NULL},
    {"jobs", 'j', FX_OPT_U64, "N", OFF(jobs),
     "replays at once, in threads; the result is the same for any N (default: 1)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the best candidate, an architecture file (with --pareto: FILE-1, FILE-2, ...)", NULL},
    {"log", 'l', FX_OPT_STRING, "FILE", OFF(log), "write one CSV row per evaluation", NULL},
    {"rate-scale", 'r', FX_OPT_DOUBLE, "X", OFF(rate_scale),
     "replay every candidate with arrival times divided by X (default: 1)", NULL},
    {"plot", 0, FX_OPT_STRING, "DIR", OFF(plot),
     "draw DIR/pareto.svg and DIR/convergence.svg from the log (DIR/evals.csv without --log)",
     NULL},
    {"pareto", 0, FX_OPT_FLAG, NULL, OFF(pareto),
     "report the feasible candidates no other beats on both cost and p99", NULL},
    {"quiet", 'q', FX_OPT_FLAG, NULL, OFF(quiet), "no progress line on a terminal", NULL},
    {"max-evals", 0, FX_OPT_U64, "N", OFF(max_evals),
     "exhaustive refuses a space of more candidates (default: 2000)", NULL},
    {"screen", 0, FX_OPT_STRING, "FRACTION|analytic", OFF(screen_arg),
     "score on this share of the keys, then confirm on the whole trace; or prune by the "
     "analytic model before any replay",
     NULL},
    {"margin", 0, FX_OPT_DOUBLE, "X", OFF(analytic_margin),
     "with --screen analytic: prune when an estimate exceeds a bound times 1+X (default: 0.5)",
     NULL},
    {"confirm", 0, FX_OPT_U64, "K", OFF(confirm),
     "with --screen: candidates replayed on the whole trace per round (default: 5)", NULL},
    {"temp0", 0, FX_OPT_DOUBLE, "X", OFF(temp0),
     "anneal: initial temperature, as a share of the base's objective (default: 0.1)", NULL},
    {"cooling", 0, FX_OPT_DOUBLE, "C", OFF(cooling),
     "anneal: the temperature is multiplied by C after each move (default: 0.95)", NULL},
    {"batch", 0, FX_OPT_U64, "K", OFF(batch), "anneal: neighbours proposed per round (default: 4)",
     NULL},
    {"restarts", 0, FX_OPT_U64, "N", OFF(restarts),
     "greedy: most random restarts (default: 0, until the budget)", NULL},
    {"chains", 0, FX_OPT_U64, "C", OFF(chains),
     "anneal: independent chains from the base, each with --batch neighbours a round; the best "
     "of all wins (default: 1)",
     NULL},
    {"mpi", 0, FX_OPT_FLAG, NULL, OFF(mpi),
     "under mpirun -n K: rank 0 searches, K-1 ranks replay (as -j K-1; configure --with-mpi)",
     NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_optimize_usage[] = "fluxosim optimize TRACE --space FILE --strategy NAME [OPTIONS]";

const char fx_optimize_description[] =
    "Searches the space of architectures that FILE describes (a base candidate,\n"
    "the variables that may change, an objective and its bounds) for the\n"
    "candidate that minimizes the objective on TRACE while meeting every bound.\n"
    "Each candidate is scored by a replay of the trace with --seed, as\n"
    "`fluxosim replay TRACE --arch CANDIDATE --seed S` would score it, and no\n"
    "candidate is replayed twice. Prints the best candidate, its metrics and how\n"
    "it differs from the base; -o writes it as an architecture file that replay\n"
    "reproduces exactly. The log (--log) has one row per evaluation: index,\n"
    "strategy, step, trace (full or sample), each variable, objective, each\n"
    "bounded metric, cost_per_hour, latency_ms.p99, feasible (1 or 0), chosen\n"
    "(1 for the result), reason, wall_s. With no feasible candidate the summary\n"
    "and the log are still written, and the exit status is 1.\n\n"
    "example: fluxosim optimize popular.trace --space examples/weather/weather.space.json\n"
    "         --strategy anneal -j 2 -o best.json --log evals.csv\n";

void fx_list_strategies(void)
{
    for (size_t i = 0; fx_strategies[i]; i++)
        printf("%-12s %s\n", fx_strategies[i]->name, fx_strategies[i]->summary);
}

/* ---- progress ------------------------------------------------------------- */

typedef struct progress {
    int enabled, shown;
    struct timespec last;
} progress;

static void on_progress(void *ctx, const fx_optimize_progress *p)
{
    progress *pr = ctx;
    if (!pr->enabled)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double dt =
        (double)(t.tv_sec - pr->last.tv_sec) + (double)(t.tv_nsec - pr->last.tv_nsec) * 1e-9;
    if (pr->shown && dt < 0.2)
        return;
    pr->last = t;
    if (p->has_best)
        fprintf(stderr, "\r\033[Kfluxosim: optimize: %s%llu evaluations, best %.6g (#%llu)",
                p->confirming ? "confirming, " : "", (unsigned long long)p->evals, p->best,
                (unsigned long long)p->best_index);
    else
        fprintf(stderr, "\r\033[Kfluxosim: optimize: %s%llu evaluations, none feasible yet",
                p->confirming ? "confirming, " : "", (unsigned long long)p->evals);
    pr->shown = 1;
}

/* ---- writing -------------------------------------------------------------- */

/* X with the fewest digits that read back as X; empty for NaN. */
static const char *num(double x, char *buf, size_t len)
{
    if (isnan(x)) {
        buf[0] = '\0';
        return buf;
    }
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return buf;
}

/* X to 6 significant digits, for the summary; "-" for NaN. */
static const char *short_num(double x, char *buf, size_t len)
{
    if (isnan(x))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.6g", x);
    return buf;
}

/* The metrics the log shows after "objective": the constrained ones, then
 * cost_per_hour and latency_ms.p99. */
static size_t log_metrics(const fx_space *sp, size_t *out)
{
    size_t n = 0;
    for (size_t c = 0; c < fx_space_nconstraints(sp); c++) {
        size_t k;
        double b;
        int pc;
        fx_space_constraint(sp, c, &k, &b, &pc);
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= out[j] == k;
        if (!dup && k != fx_space_metric_cost(sp) && k != fx_space_metric_p99(sp))
            out[n++] = k;
    }
    out[n++] = fx_space_metric_cost(sp);
    out[n++] = fx_space_metric_p99(sp);
    return n;
}

/* Is row R the result: the best, or with --pareto one of the set? */
static int chosen(const fx_optimize_result *res, size_t r)
{
    if (res->pareto) {
        for (size_t i = 0; i < res->npareto; i++)
            if (res->pareto[i] == r)
                return 1;
        return 0;
    }
    return res->best == r;
}

static fx_status write_log(const char *path, const fx_space *sp, const char *strategy,
                           const fx_optimize_result *res, fx_err *e)
{
    fx_output out;
    fx_status st = fx_output_open(&out, path, e);
    if (st != FX_OK)
        return st;
    FILE *f = out.f;
    size_t nv = fx_space_nvars(sp);
    size_t *cols = malloc((fx_space_nmetrics(sp) + 2) * sizeof *cols);
    if (!cols) {
        fx_output_abort(&out);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    size_t nc = log_metrics(sp, cols);
    fputs("index,strategy,step,trace", f);
    for (size_t i = 0; i < nv; i++) {
        fputc(',', f);
        fx_text_csv_field(f, fx_space_var_name(sp, i));
    }
    fputs(",objective", f);
    for (size_t c = 0; c < nc; c++)
        fprintf(f, ",%s", fx_space_metric_key(sp, cols[c]));
    fputs(",feasible,chosen,reason,wall_s\n", f);
    char buf[64];
    for (size_t r = 0; r < res->nrows; r++) {
        const fx_eval_row *row = &res->rows[r];
        fprintf(f, "%llu,%s,%llu,%s", (unsigned long long)row->index, strategy,
                (unsigned long long)row->step,
                row->analytic ? "analytic"
                : row->sample ? "sample"
                              : "full");
        for (size_t i = 0; i < nv; i++) {
            fputc(',', f);
            if (fx_space_var_relevant(sp, row->x, i))
                fx_text_csv_field(f, fx_space_var_text(sp, i, row->x[i], buf, sizeof buf));
            else
                fputc('-', f);
        }
        fprintf(f, ",%s", num(row->metrics[fx_space_objective(sp)], buf, sizeof buf));
        for (size_t c = 0; c < nc; c++)
            fprintf(f, ",%s", num(row->metrics[cols[c]], buf, sizeof buf));
        fprintf(f, ",%d,%d,", row->score.feasible, chosen(res, r));
        fx_text_csv_field(f, row->reason ? row->reason : "");
        fprintf(f, ",%.6f\n", row->wall_s);
    }
    free(cols);
    return fx_output_commit(&out, e);
}

/* The candidate's name: the base's, then "-" and its index in the log. */
static void cand_name(const fx_space *sp, const fx_eval_row *row, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%llu", fx_space_base_arch(sp)->name, (unsigned long long)row->index);
}

/* PATH, or with --pareto PATH's stem + "-K" + its extension. */
static char *pareto_path(const char *path, size_t k)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
        dot = path + strlen(path);
    size_t n = strlen(path) + 24;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%.*s-%zu%s", (int)(dot - path), path, k, dot);
    return p;
}

static fx_status write_arch(const fx_space *sp, const fx_eval_row *row, const char *path, fx_err *e)
{
    char name[FX_ERR_MAX], *text = NULL;
    cand_name(sp, row, name, sizeof name);
    fx_status st = fx_space_arch_text(sp, row->x, name, path, &text, e);
    if (st == FX_OK) {
        size_t n = strlen(text);
        text[n] = '\n';
        st = fx_output_write(path, text, n + 1, e);
    }
    free(text);
    return st;
}

/* ---- the summary ---------------------------------------------------------- */

/* The row of the base's point on the whole trace, or NULL. */
static const fx_eval_row *base_row(const fx_space *sp, const fx_optimize_result *res)
{
    size_t nv = fx_space_nvars(sp);
    uint32_t *x = malloc(nv * sizeof *x);
    const fx_eval_row *found = NULL;
    if (x && fx_space_base_point(sp, x))
        for (size_t i = 0; i < res->nrows && !found; i++)
            if (!res->rows[i].sample && memcmp(res->rows[i].x, x, nv * sizeof *x) == 0)
                found = &res->rows[i];
    free(x);
    return found;
}

static void changes(FILE *f, const fx_space *sp, const fx_eval_row *row)
{
    char buf[64];
    int any = 0;
    for (size_t i = 0; i < fx_space_nvars(sp); i++) {
        const char *now = fx_space_var_relevant(sp, row->x, i)
                              ? fx_space_var_text(sp, i, row->x[i], buf, sizeof buf)
                              : "-";
        if (strcmp(now, fx_space_base_text(sp, i)) != 0) {
            fprintf(f, "%s%s=%s", any ? " " : "", fx_space_var_name(sp, i), now);
            any = 1;
        }
    }
    if (!any)
        fputs("(the base)", f);
}

static void summary(FILE *f, const fx_space *sp, const char *space_path, const char *strategy,
                    const optimize_opts *o, const fx_optimize_result *res)
{
    char buf[FX_ERR_MAX], b1[64], b2[64];
    fprintf(f, "space       %s (base %s, %s%.0f candidates)\n", space_path, fx_space_base_path(sp),
            res->count_exact ? "" : "at least ", res->count);
    fprintf(f, "objective   %s\n", fx_space_objective_text(sp, buf, sizeof buf));
    fprintf(f,
            "search      %s, seed %llu: %llu evaluations (budget %llu), %llu proposals, %llu "
            "repeated; %s\n",
            strategy, (unsigned long long)o->seed,
            (unsigned long long)(res->nrows - res->confirmed), (unsigned long long)res->budget,
            (unsigned long long)res->proposals, (unsigned long long)res->repeats, res->stop);
    if (res->pruned || (o->screen_arg && strcmp(o->screen_arg, "analytic") == 0))
        fprintf(f,
                "screening   analytic model, margin %g: %llu of %llu candidates pruned before any "
                "replay\n",
                o->analytic_margin, (unsigned long long)res->pruned,
                (unsigned long long)(res->nrows - res->confirmed));
    if (o->screen > 0)
        fprintf(f,
                "screening   %llu of %llu requests (%g of the keys): %llu candidates scored, %llu "
                "confirmed on the whole trace, %llu screened out\n",
                (unsigned long long)res->sample_requests, (unsigned long long)res->requests,
                o->screen, (unsigned long long)res->sampled, (unsigned long long)res->confirmed,
                (unsigned long long)(res->sampled - res->confirmed));
    if (o->pareto) {
        fprintf(f, "\npareto set: %zu candidates no other beats on both cost and p99\n",
                res->npareto);
        fprintf(f, "%8s %14s %14s %14s  %s\n", "index", "cost_per_hour", "latency_ms.p99",
                "objective", "changes from the base");
        for (size_t i = 0; i < res->npareto; i++) {
            const fx_eval_row *r = &res->rows[res->pareto[i]];
            fprintf(f, "%8llu %14.6g %14.6g %14.6g  ", (unsigned long long)r->index,
                    r->metrics[fx_space_metric_cost(sp)], r->metrics[fx_space_metric_p99(sp)],
                    r->score.objective);
            changes(f, sp, r);
            fputc('\n', f);
        }
        return;
    }
    const fx_eval_row *best = res->best != SIZE_MAX       ? &res->rows[res->best]
                              : res->best_any != SIZE_MAX ? &res->rows[res->best_any]
                                                          : NULL;
    if (!best) {
        fputs("best        none: no candidate was evaluated\n", f);
        return;
    }
    cand_name(sp, best, buf, sizeof buf);
    if (res->best != SIZE_MAX)
        fprintf(f, "best        #%llu (%s), feasible\n", (unsigned long long)best->index, buf);
    else
        fprintf(f, "best        none feasible; the least violation: #%llu (%s): %s\n",
                (unsigned long long)best->index, buf, best->reason ? best->reason : "");
    const fx_eval_row *base = base_row(sp, res);
    fprintf(f, "\n%-28s %14s %14s\n", "metric", "base", "best");
    for (size_t m = 0; m < fx_space_nmetrics(sp); m++) {
        if (m == fx_space_metric_requests(sp))
            continue;
        char label[96];
        snprintf(label, sizeof label, "%s%s", fx_space_metric_key(sp, m),
                 m == fx_space_objective(sp) ? " (objective)" : "");
        fprintf(f, "%-28s %14s %14s\n", label,
                base ? short_num(base->metrics[m], b1, sizeof b1) : "-",
                short_num(best->metrics[m], b2, sizeof b2));
    }
    fprintf(f, "%-28s %14s %14s\n", "feasible", base ? (base->score.feasible ? "yes" : "no") : "-",
            best->score.feasible ? "yes" : "no");
    fprintf(f, "\n%-28s %18s %18s\n", "variable", "base", "best");
    for (size_t i = 0; i < fx_space_nvars(sp); i++) {
        const char *now = fx_space_var_relevant(sp, best->x, i)
                              ? fx_space_var_text(sp, i, best->x[i], b2, sizeof b2)
                              : "-";
        const char *was = fx_space_base_text(sp, i);
        fprintf(f, "%-28s %18s %18s%s\n", fx_space_var_name(sp, i), was, now,
                strcmp(was, now) ? "  *" : "");
    }
}

/* ---- the command ---------------------------------------------------------- */

static int check_opts(optimize_opts *o, int npos, char **pos)
{
#ifndef HAVE_MPI
    if (o->mpi) {
        fx_cli_error(
            "optimize: --mpi: this fluxosim was built without MPI (./configure --with-mpi)");
        return -1;
    }
#endif
    if (npos != 1) {
        if (npos == 0)
            fx_cli_error("optimize: expected a trace file (or - for stdin), found none");
        else
            fx_cli_error("optimize: expected one trace file, found %d", npos);
        return -1;
    }
    if (!o->space) {
        fx_cli_error("optimize: expected --space FILE, found none");
        return -1;
    }
    if (!o->strategy) {
        fx_cli_error("optimize: expected --strategy NAME (one of exhaustive, greedy, anneal), "
                     "found none");
        return -1;
    }
    if (o->budget == 0) {
        fx_cli_error("optimize: --budget: expected a positive integer, found 0");
        return -1;
    }
    if (o->jobs != UNSET && o->mpi) {
        fx_cli_error("optimize: --mpi: expected no --jobs (the K-1 other ranks of mpirun -n K "
                     "replay), found --jobs %llu",
                     (unsigned long long)o->jobs);
        return -1;
    }
    if (o->jobs == UNSET)
        o->jobs = 1;
    if (o->jobs < 1 || o->jobs > JOBS_MAX) {
        fx_cli_error("optimize: --jobs: expected 1 to %d, found %llu", JOBS_MAX,
                     (unsigned long long)o->jobs);
        return -1;
    }
    if (o->max_evals < 1) {
        fx_cli_error("optimize: --max-evals: expected a positive integer, found 0");
        return -1;
    }
    if (o->screen_arg && strcmp(o->screen_arg, "analytic") != 0) {
        char *end;
        o->screen = strtod(o->screen_arg, &end);
        if (end == o->screen_arg || *end || !(o->screen > 0 && o->screen < 1)) {
            fx_cli_error("optimize: --screen: expected a fraction between 0 and 1 (exclusive) "
                         "or \"analytic\", found \"%s\"",
                         o->screen_arg);
            return -1;
        }
    }
    if (!(o->analytic_margin >= 0 && o->analytic_margin <= 100)) {
        fx_cli_error("optimize: --margin: expected a number from 0 to 100, found %g",
                     o->analytic_margin);
        return -1;
    }
    if (o->confirm < 1 || o->confirm > 1000000) {
        fx_cli_error("optimize: --confirm: expected 1 to 1000000, found %llu",
                     (unsigned long long)o->confirm);
        return -1;
    }
    if (!(o->temp0 > 0)) {
        fx_cli_error("optimize: --temp0: expected a positive number, found %g", o->temp0);
        return -1;
    }
    if (!(o->cooling > 0 && o->cooling < 1)) {
        fx_cli_error("optimize: --cooling: expected a number between 0 and 1 (exclusive), found %g",
                     o->cooling);
        return -1;
    }
    if (o->batch < 1 || o->batch > BATCH_MAX) {
        fx_cli_error("optimize: --batch: expected 1 to %d, found %llu", BATCH_MAX,
                     (unsigned long long)o->batch);
        return -1;
    }
    if (o->chains < 1 || o->chains > CHAINS_MAX || o->chains * o->batch > BATCH_MAX) {
        fx_cli_error("optimize: --chains: expected 1 to %d, with --chains x --batch at most %d, "
                     "found %llu x %llu",
                     CHAINS_MAX, BATCH_MAX, (unsigned long long)o->chains,
                     (unsigned long long)o->batch);
        return -1;
    }
    if (o->restarts > 1000000000) {
        fx_cli_error("optimize: --restarts: expected at most 1000000000, found %llu",
                     (unsigned long long)o->restarts);
        return -1;
    }
    const char *inputs[2] = {pos[0], o->space};
    const char *outputs[2] = {o->output, o->log};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            if (fx_output_same_file(outputs[i], inputs[j])) {
                fx_cli_error("optimize: %s: expected an output file apart from the inputs, found "
                             "the input itself",
                             outputs[i]);
                return -1;
            }
    if (o->output && o->log && strcmp(o->output, o->log) == 0) {
        fx_cli_error("optimize: expected -o and --log to name two files, found %s twice",
                     o->output);
        return -1;
    }
    if (o->mpi && strcmp(pos[0], "-") == 0) {
        fx_cli_error("optimize: --mpi: expected a trace file, found - (standard input reaches "
                     "rank 0 only, and every rank reads the trace)");
        return -1;
    }
    return 0;
}

/* --plot DIR: the cost/p99 front and the convergence of the search, from
 * the log, through the same code as `fluxosim plot`. */
static int draw(const optimize_opts *o, const fx_space *sp, const char *strategy,
                const fx_optimize_result *res)
{
    fx_err e;
    if (mkdir(o->plot, 0777) != 0 && errno != EEXIST) {
        fx_err_set(&e, FX_EIO, "%s: cannot create: %s", o->plot, strerror(errno));
        return fx_cli_fail(&e);
    }
    size_t len = strlen(o->plot) + 32;
    char *log = malloc(len), *fig = malloc(len);
    int code = FX_EXIT_OK;
    if (!log || !fig) {
        fx_cli_error("optimize: out of memory");
        code = FX_EXIT_FAIL;
        goto out;
    }
    if (o->log) {
        snprintf(log, len, "%s", o->log);
    } else {
        snprintf(log, len, "%s/evals.csv", o->plot);
        if (write_log(log, sp, strategy, res, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto out;
        }
    }
    static const char *const kinds[] = {"pareto", "convergence"};
    for (size_t k = 0; k < 2 && code == FX_EXIT_OK; k++) {
        const char *inputs[1] = {o->log ? o->log : log};
        fx_plot_opts po;
        fx_plot_opts_init(&po);
        snprintf(fig, len, "%s/%s.svg", o->plot, kinds[k]);
        if (fx_plot_render(kinds[k], inputs, 1, &po, fig, &e) != FX_OK)
            code = fx_cli_fail(&e);
    }
out:
    free(log);
    free(fig);
    return code;
}

#ifdef HAVE_MPI
/* Whether ARGV asks for --mpi, read as fx_opts_parse reads it (an option's
 * value is not an option), before MPI_Init: only then is MPI started. */
static int mpi_asked(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            return 0;
        if (a[0] != '-' || a[1] == '\0')
            continue;
        const fx_opt *t = fx_optimize_options;
        if (a[1] == '-') {
            size_t len = strcspn(a + 2, "=");
            if (len == 3 && strncmp(a + 2, "mpi", 3) == 0)
                return 1;
            while (t->name && !(strlen(t->name) == len && strncmp(t->name, a + 2, len) == 0))
                t++;
            if (t->name && t->type != FX_OPT_FLAG && !a[2 + len])
                i++;
        } else {
            while (t->name && t->short_name != a[1])
                t++;
            if (t->name && t->type != FX_OPT_FLAG && !a[2])
                i++;
        }
    }
    return 0;
}

/* Workers keep quiet while they read the command line: rank 0, reading
 * the same one, says what is wrong with it once. */
static int stderr_off(void)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0)
        dup2(null, 2);
    if (null >= 0)
        close(null);
    return saved;
}

static void stderr_on(int saved)
{
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
}
#endif

/* The command; with M (--mpi), as rank fx_mpi_rank(M) of an MPI job. */
static int optimize(int argc, char **argv, fx_mpi *m)
{
    optimize_opts o = {.budget = UNSET,
                       .seed = 1,
                       .jobs = UNSET,
                       .max_evals = 2000,
                       .confirm = 5,
                       .temp0 = 0.1,
                       .cooling = 0.95,
                       .batch = 4,
                       .chains = 1,
                       .rate_scale = 1.0,
                       .analytic_margin = 0.5};
#ifdef HAVE_MPI
    int worker = m && fx_mpi_rank(m) != 0;
    int saved_stderr = worker ? stderr_off() : -1;
#endif
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("optimize", fx_optimize_options, &o, argc, argv, pos, &npos);
    if (rc == 0)
        rc = check_opts(&o, npos, pos);
    if (rc == 0 && !(o.rate_scale >= 1e-6 && o.rate_scale <= 1e6)) {
        fx_cli_error("optimize: --rate-scale: expected a positive number from 1e-6 to 1e6, found "
                     "%g",
                     o.rate_scale);
        rc = -1;
    }
    const char *trace = npos >= 1 ? pos[0] : NULL;
    free(pos);

    fx_err e;
    fx_err_clear(&e);
    int code = rc < 0 ? FX_EXIT_USAGE : FX_EXIT_OK;
#ifdef HAVE_MPI
    if (code == FX_EXIT_OK && m && fx_mpi_size(m) < 2) {
        fx_cli_error("optimize: --mpi: expected at least 2 processes (mpirun -n K, K >= 2: rank 0 "
                     "searches, the others replay), found %d",
                     fx_mpi_size(m));
        code = FX_EXIT_USAGE;
    }
#endif
    const fx_strategy *strategy = NULL;
    if (code == FX_EXIT_OK && fx_strategy_find(o.strategy, &strategy, &e) != FX_OK) {
        fx_cli_error("optimize: --strategy: %s", e.msg);
        code = FX_EXIT_USAGE;
    }
    fx_space *sp = NULL;
    if (code == FX_EXIT_OK && fx_space_load(o.space, &sp, &e) != FX_OK)
        code = fx_cli_fail(&e);
    if (code == FX_EXIT_OK && (fx_output_same_file(o.output, fx_space_base_path(sp)) ||
                               fx_output_same_file(o.log, fx_space_base_path(sp)))) {
        fx_cli_error("optimize: %s: expected an output file apart from the inputs, found the "
                     "space's base",
                     fx_output_same_file(o.output, fx_space_base_path(sp)) ? o.output : o.log);
        code = FX_EXIT_USAGE;
    }

    progress prog = {0};
    prog.enabled = !o.quiet && isatty(2);
    fx_optimize_opts oo;
    memset(&oo, 0, sizeof oo);
    oo.strategy = strategy;
    oo.sopts.temp0 = o.temp0;
    oo.sopts.cooling = o.cooling;
    oo.sopts.batch = (unsigned)o.batch;
    oo.sopts.restarts = (unsigned)o.restarts;
    oo.sopts.chains = (unsigned)o.chains;
    oo.sopts.max_evals = o.max_evals;
    oo.budget = o.budget == UNSET ? 0 : o.budget;
    oo.seed = o.seed;
    oo.jobs = (unsigned)o.jobs;
    oo.screen = o.screen;
    oo.rate_scale = o.rate_scale;
    oo.analytic =
        o.screen_arg && strcmp(o.screen_arg, "analytic") == 0 ? fmax(o.analytic_margin, 1e-9) : 0;
    oo.confirm = (unsigned)o.confirm;
    oo.pareto = o.pareto;
    oo.on_progress = on_progress;
    oo.ctx = &prog;
#ifdef HAVE_MPI
    if (worker) {
        /* Score candidates for rank 0 until it stops this rank; what went
         * wrong here is rank 0's to say. */
        stderr_on(saved_stderr);
        if (code != FX_EXIT_OK && e.code == FX_OK)
            fx_err_set(&e, FX_EINVAL, "optimize: this rank refused the command line");
        fx_mpi_serve(m, code == FX_EXIT_OK ? sp : NULL, trace, &oo,
                     code == FX_EXIT_OK ? FX_OK : e.code, &e);
        fx_space_free(sp);
        return FX_EXIT_OK;
    }
    if (code != FX_EXIT_OK) {
        if (m)
            fx_mpi_stop(m);
        fx_space_free(sp);
        return code;
    }
#else
    (void)m;
    if (code != FX_EXIT_OK) {
        fx_space_free(sp);
        return code;
    }
#endif
    fx_optimize_result res;
#ifdef HAVE_MPI
    fx_status st =
        m ? fx_mpi_run(m, sp, trace, &oo, &res, &e) : fx_optimize_run(sp, trace, &oo, &res, &e);
#else
    fx_status st = fx_optimize_run(sp, trace, &oo, &res, &e);
#endif
    if (prog.shown)
        fputs("\r\033[K", stderr);
    if (st != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (o.log && write_log(o.log, sp, strategy->name, &res, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (o.plot && (code = draw(&o, sp, strategy->name, &res)) != FX_EXIT_OK)
        goto done;
    if (o.output && o.pareto) {
        for (size_t i = 0; i < res.npareto && code == FX_EXIT_OK; i++) {
            char *path = pareto_path(o.output, i + 1);
            if (!path) {
                fx_cli_error("optimize: out of memory");
                code = FX_EXIT_FAIL;
            } else if (write_arch(sp, &res.rows[res.pareto[i]], path, &e) != FX_OK) {
                code = fx_cli_fail(&e);
            }
            free(path);
        }
    } else if (o.output && res.best != SIZE_MAX &&
               write_arch(sp, &res.rows[res.best], o.output, &e) != FX_OK) {
        code = fx_cli_fail(&e);
    }
    if (code != FX_EXIT_OK)
        goto done;
    summary(stdout, sp, o.space, strategy->name, &o, &res);
    if (fflush(stdout) != 0) {
        fx_cli_error("optimize: cannot write the summary");
        code = FX_EXIT_FAIL;
    } else if ((o.pareto ? res.npareto == 0 : res.best == SIZE_MAX)) {
        fx_cli_error("optimize: no candidate meets the constraints%s",
                     o.output ? "; nothing written to -o" : "");
        code = FX_EXIT_FAIL;
    }
done:
    fx_optimize_result_free(&res);
    fx_space_free(sp);
    return code;
}

int fx_cmd_optimize(int argc, char **argv)
{
#ifdef HAVE_MPI
    if (mpi_asked(argc, argv)) {
        fx_mpi *m;
        fx_err e;
        if (fx_mpi_init(&m, &e) != FX_OK)
            return fx_cli_fail(&e);
        int code = optimize(argc, argv, m);
        fx_mpi_finalize(m);
        return code;
    }
#endif
    return optimize(argc, argv, NULL);
}
