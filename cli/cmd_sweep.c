/* cmd_sweep.c - `fluxosim sweep FILE`: a batch parameter sweep, in parallel,
 * resumable and shardable; `fluxosim sweep merge OUT SHARD...` joins shards.
 *
 * The library (models/sweep.h) loads the sweep, runs the points in threads
 * and hands the rows back in point order; this file owns the output file:
 * created with O_EXCL (an existing output is never overwritten), appended to
 * with one write(2) per row followed by fsync(2), so that whatever kills the
 * process, the file holds whole rows and at most one cut-off last line,
 * which --resume drops before it continues.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include "cli/cmd_sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
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
#include "cli/sweep_slurm.h"
#include "models/sweep.h"
#include "plots/plot.h"

/* Most shards of one sweep. */
#define SHARDS_MAX 1000000

typedef struct sweep_opts {
    uint64_t jobs;
    const char *output;
    int resume;
    const char *shard;
    int quiet;
    const char *plot;
    const char *inputs;
    const char *emit_slurm;
    const char *submit;
    uint64_t shards;
    const char *partition;
    const char *time;
    const char *mem;
    int wait;
} sweep_opts;

#define OFF(f) offsetof(sweep_opts, f)

const fx_opt fx_sweep_options[] = {
    {"jobs", 'j', FX_OPT_U64, "N", OFF(jobs),
     "run N points at once (default: the cores this process may use)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "append the rows to FILE, a new file unless --resume (default: stdout)", NULL},
    {"resume", 0, FX_OPT_FLAG, NULL, OFF(resume),
     "continue the interrupted run whose rows are in -o FILE", NULL},
    {"shard", 0, FX_OPT_STRING, "I/N", OFF(shard),
     "run only the points whose index modulo N is I-1 (1 <= I <= N)", NULL},
    {"quiet", 'q', FX_OPT_FLAG, NULL, OFF(quiet), "no progress on standard error", NULL},
    {"plot", 0, FX_OPT_STRING, "DIR", OFF(plot),
     "draw the sweep figure (DIR/sweep.svg and its script) when the sweep completes", NULL},
    {"inputs", 0, FX_OPT_STRING, "FILE", OFF(inputs),
     "run only if every input still has the checksum FILE records (sha256sum format, as "
     "--emit-slurm writes it)",
     NULL},
    {"emit-slurm", 0, FX_OPT_STRING, "DIR", OFF(emit_slurm),
     "write Slurm scripts into DIR instead of running: a job array of --shards N shards and a "
     "merge job after them (see below)",
     NULL},
    {"submit", 0, FX_OPT_STRING, "ENGINE", OFF(submit),
     "write the scripts (into --emit-slurm DIR, default NAME.slurm) and submit them; ENGINE: "
     "slurm",
     NULL},
    {"shards", 0, FX_OPT_U64, "N", OFF(shards),
     "with --emit-slurm or --submit: the tasks of the job array", NULL},
    {"partition", 0, FX_OPT_STRING, "P", OFF(partition), "with --emit-slurm: the Slurm partition",
     NULL},
    {"time", 0, FX_OPT_STRING, "T", OFF(time),
     "with --emit-slurm: each job's time limit, as sbatch --time takes it", NULL},
    {"mem", 0, FX_OPT_STRING, "M", OFF(mem),
     "with --emit-slurm: each job's memory, as sbatch --mem takes it", NULL},
    {"wait", 0, FX_OPT_FLAG, NULL, OFF(wait),
     "with --submit: return when the merge has ended, with its status, once the merged file is "
     "checked",
     NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

static const fx_opt merge_options[] = {
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_sweep_usage[] = "fluxosim sweep FILE [OPTIONS]\n"
                              "       fluxosim sweep merge OUT SHARD...";

const char fx_sweep_description[] =
    "Runs every point of the sweep FILE (*.sweep.json: a base candidate, the\n"
    "traces of each workload, a grid of parameters, replications, metrics; see\n"
    "the guide) and writes one CSV row per point: the workload, each parameter,\n"
    "then per metric its mean over the runs and the half-width of its 95%\n"
    "confidence interval (METRIC,METRIC_ci95; empty with one run). Points are\n"
    "numbered from 0, workloads outermost and the last grid parameter fastest;\n"
    "rows appear in that order, the same bytes for any -j.\n\n"
    "Each row is appended with one write and synced to disk before the next:\n"
    "after a crash or a kill, the same command with --resume checks the\n"
    "header, drops a cut-off last line and runs the points after the last\n"
    "whole row, and the file ends as an uninterrupted run's, byte for byte.\n"
    "Without --resume an existing output is refused.\n\n"
    "--shard I/N runs the points whose index modulo N is I-1. Its output\n"
    "starts with a line \"#fluxosim-sweep shard=I/N points=P fingerprint=HEX\"\n"
    "and each row with its point; `fluxosim sweep merge OUT SHARD...` checks\n"
    "that the shards belong to one sweep and are all there and complete (it\n"
    "names the missing points), then writes OUT (atomically): the file an\n"
    "unsharded run writes. Run the shards as a Slurm job array or with GNU\n"
    "parallel (see the guide).\n\n"
    "On a Slurm cluster, --emit-slurm DIR --shards N writes DIR/shards.sbatch\n"
    "(a job array: task I runs --shard I/N --resume into DIR/shard-I.csv),\n"
    "DIR/merge.sbatch (sweep merge into -o FILE, default DIR/results.csv),\n"
    "DIR/submit.sh (the array, then the merge with afterok) and\n"
    "DIR/inputs.sha256, the checksums of every input: a shard refuses to run\n"
    "when one changed since (--inputs). Paths in them are absolute.\n"
    "--submit slurm runs sbatch itself; with --wait it returns when the merge\n"
    "has ended. Submitting again after a failed or killed shard resumes it:\n"
    "rows are never computed twice, and the merge names any missing point.\n\n"
    "Progress (points done, rate, time left) goes to standard error: a bar on\n"
    "a terminal, a line at most every 10 s otherwise, nothing with --quiet.\n\n"
    "example: fluxosim sweep examples/weather/load.sweep.json -j 2 -o load.csv\n"
    "         fluxosim sweep load.sweep.json --submit slurm --shards 4 --wait -o load.csv\n";

/* ---- progress ------------------------------------------------------------- */

enum { PROG_NONE, PROG_BAR, PROG_LINES };

typedef struct progress {
    int mode;
    struct timespec start;
    size_t total;  /* points of this shard (or of the sweep) */
    size_t before; /* done by an earlier run (--resume) */
    size_t done;   /* done by this run */
    double last;   /* when a line was last printed */
    int shown;     /* a bar is on the screen */
} progress;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* "1:02:03", "2:03" or "45 s". */
static const char *duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, len, "?");
        return buf;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60)
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(buf, len, "%ld s", t);
    return buf;
}

static void progress_show(progress *p, int final)
{
    if (p->mode == PROG_NONE)
        return;
    double t = since(&p->start);
    if (p->mode == PROG_LINES && !final && t - p->last < 10.0)
        return;
    p->last = t;
    size_t done = p->before + p->done;
    double rate = t > 0 ? (double)p->done / t : 0;
    char eta[32], el[32];
    if (p->done)
        duration((double)(p->total - done) / rate, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    if (p->mode == PROG_BAR) {
        char bar[31];
        size_t fill = p->total ? done * 30 / p->total : 30;
        for (size_t i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        if (final)
            fprintf(stderr, "\r\033[Ksweep [%s] %zu/%zu points in %s (%.3g points/s)\n", bar, done,
                    p->total, duration(t, el, sizeof el), rate);
        else
            fprintf(stderr, "\r\033[Ksweep [%s] %zu/%zu points  %.3g points/s  ETA %s", bar, done,
                    p->total, rate, eta);
        p->shown = !final;
    } else if (final) {
        fprintf(stderr, "fluxosim: sweep: %zu/%zu points done in %s (%.3g points/s)\n", done,
                p->total, duration(t, el, sizeof el), rate);
    } else {
        fprintf(stderr, "fluxosim: sweep: %zu/%zu points done, %.3g points/s, ETA %s\n", done,
                p->total, rate, eta);
    }
    fflush(stderr);
}

/* ---- the output ----------------------------------------------------------- */

typedef struct writer {
    int fd;           /* the output file; -1 for stdout */
    const char *path; /* for messages */
    progress *prog;
    /* Resuming: the last whole row already in the file, which this run
     * computes again (it is the first point run) and compares instead of
     * writing it: a sweep file, candidate or trace edited since would mix
     * two sweeps' rows in one file. */
    char *check_row;
    size_t check_point, check_line;
} writer;

/* A long point: keep the bar's clock and ETA moving. */
static void on_wait(void *ctx)
{
    writer *w = ctx;
    if (w->prog->mode == PROG_BAR)
        progress_show(w->prog, 0);
}

/* Write all of BUF with as few write(2) calls as the kernel allows (one,
 * for a regular file), then sync it. */
static fx_status write_synced(const writer *w, const char *buf, size_t len, fx_err *e)
{
    if (w->fd < 0) {
        if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
            return fx_err_set(e, FX_EIO, "standard output: %s", strerror(errno));
        return FX_OK;
    }
    while (len > 0) {
        ssize_t n = write(w->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fx_err_set(e, FX_EIO, "%s: cannot write: %s", w->path,
                              n < 0 ? strerror(errno) : "no space");
        buf += n;
        len -= (size_t)n;
    }
    if (fsync(w->fd) != 0)
        return fx_err_set(e, FX_EIO, "%s: cannot sync: %s", w->path, strerror(errno));
    return FX_OK;
}

static fx_status on_row(void *ctx, size_t point, const char *row, fx_err *e)
{
    writer *w = ctx;
    if (w->check_row && point == w->check_point) {
        int same = strcmp(row, w->check_row) == 0;
        free(w->check_row);
        w->check_row = NULL;
        if (same)
            return FX_OK;
        return fx_err_set(e, FX_EINVAL,
                          "%s:%zu: expected the row this sweep gives for point %zu, found "
                          "another (were the sweep file, its candidate or a trace changed since, "
                          "or is this another build of fluxosim?); remove the file to start over",
                          w->path, w->check_line, point);
    }
    fx_status st = write_synced(w, row, strlen(row), e);
    if (st == FX_OK) {
        w->prog->done++;
        progress_show(w->prog, 0);
    }
    return st;
}

/* Sync the folder of PATH, so that a new file's name is on disk too. */
static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Read all of FD into a NUL-terminated buffer. */
static fx_status read_fd(int fd, const char *path, char **out, size_t *out_len, fx_err *e)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return fx_err_set(e, FX_ENOMEM, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return fx_err_set(e, FX_EIO, "%s: cannot read: %s", path, strerror(errno));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return FX_OK;
}

/* Open the output for appending: a new file with the preamble, or (with
 * RESUME) the existing one cut back to its last whole row, whose rows
 * count in *DONE; that row goes in W->check_row, with its line number. */
static fx_status open_output(const fx_sweep *s, const char *path, int resume, unsigned shard,
                             unsigned nshards, int *fd_out, size_t *done, writer *w, fx_err *e)
{
    *done = 0;
    *fd_out = -1;
    char *pre = fx_sweep_preamble(s, shard, nshards);
    if (!pre)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = FX_OK;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0666);
    if (fd >= 0) {
        writer pw = {fd, path, NULL, NULL, 0, 0};
        st = write_synced(&pw, pre, strlen(pre), e);
        sync_dir(path);
    } else if (errno == EEXIST && resume) {
        fd = open(path, O_RDWR | O_APPEND);
        char *text = NULL;
        size_t len = 0, keep = 0;
        if (fd < 0)
            st = fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
        if (st == FX_OK)
            st = read_fd(fd, path, &text, &len, e);
        if (st == FX_OK)
            st = fx_sweep_resume_scan(s, shard, nshards, path, text, len, done, &keep, e);
        if (st == FX_OK && keep < len && ftruncate(fd, (off_t)keep) != 0)
            st = fx_err_set(e, FX_EIO, "%s: cannot cut the partial last line: %s", path,
                            strerror(errno));
        if (st == FX_OK && keep == 0) {
            writer pw = {fd, path, NULL, NULL, 0, 0};
            st = write_synced(&pw, pre, strlen(pre), e);
        }
        if (st == FX_OK && *done > 0) {
            size_t from = keep - 1, lines = 0;
            while (from > 0 && text[from - 1] != '\n')
                from--;
            for (size_t i = 0; i < keep; i++)
                lines += text[i] == '\n';
            w->check_line = lines;
            if (!(w->check_row = strndup(text + from, keep - from)))
                st = fx_err_set(e, FX_ENOMEM, "out of memory");
        }
        free(text);
    } else {
        st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
    }
    free(pre);
    if (st != FX_OK) {
        if (fd >= 0)
            close(fd);
        return st;
    }
    *fd_out = fd;
    return FX_OK;
}

/* ---- the command ---------------------------------------------------------- */

static unsigned cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* "I/N", strictly. */
static int parse_shard(const char *s, unsigned *i, unsigned *n)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    unsigned long a = strtoul(s, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (errno || *end || a < 1 || b < 1 || a > b || b > SHARDS_MAX)
        return -1;
    *i = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

static int cmd_merge(int argc, char **argv)
{
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("sweep merge", merge_options, NULL, argc, argv, pos, &npos);
    if (rc == 0 && npos < 2) {
        fx_cli_error("sweep merge: expected OUT and at least one shard file, found %s",
                     npos ? "only OUT" : "none");
        rc = -1;
    }
    for (int i = 1; rc == 0 && i < npos; i++)
        if (strcmp(pos[0], pos[i]) == 0 || fx_output_same_file(pos[0], pos[i])) {
            fx_cli_error("sweep merge: %s: expected an output apart from the shards, found "
                         "shard %d itself",
                         pos[0], i);
            rc = -1;
        }
    if (rc < 0) {
        free(pos);
        return FX_EXIT_USAGE;
    }
    fx_err e;
    char *text = NULL;
    size_t len = 0;
    int code = FX_EXIT_OK;
    if (fx_sweep_merge((const char *const *)(pos + 1), (size_t)npos - 1, &text, &len, &e) !=
            FX_OK ||
        fx_output_write(pos[0], text, len, &e) != FX_OK)
        code = fx_cli_fail(&e);
    free(text);
    free(pos);
    return code;
}

/* --inputs FILE: the checksums a submission recorded. */
static fx_status check_inputs(const fx_sweep *s, const char *path, fx_err *e)
{
    char *text = NULL;
    size_t len = 0;
    fx_status st = fx_input_read(path, 0, &text, &len, e);
    if (st == FX_OK)
        st = fx_sweep_check_manifest(s, path, text, len, e);
    free(text);
    return st;
}

/* --emit-slurm and --submit. */
static int slurm_run(fx_sweep *s, const char *file, const sweep_opts *o)
{
    char *dir = NULL;
    int code = FX_EXIT_OK;
    if (!o->emit_slurm) {
        /* NAME.slurm in the current folder, NAME the sweep file's name up
         * to its first dot. */
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        size_t n = strcspn(base, ".");
        if ((dir = malloc(n + sizeof ".slurm")))
            snprintf(dir, n + sizeof ".slurm", "%.*s.slurm", (int)n, n ? base : "sweep");
    }
    if (!o->emit_slurm && !dir) {
        fx_cli_error("sweep: out of memory");
        code = FX_EXIT_FAIL;
    } else if (o->shards > fx_sweep_points(s)) {
        fx_cli_error("sweep: --shards: expected at most the sweep's %zu points, found %llu",
                     fx_sweep_points(s), (unsigned long long)o->shards);
        code = FX_EXIT_USAGE;
    } else {
        fx_slurm_opts so = {
            .dir = o->emit_slurm ? o->emit_slurm : dir,
            .shards = (unsigned)o->shards,
            .cpus = o->jobs == UINT64_MAX ? 1 : (unsigned)o->jobs,
            .partition = o->partition,
            .time = o->time,
            .mem = o->mem,
            .output = o->output && strcmp(o->output, "-") != 0 ? o->output : NULL,
            .submit = o->submit != NULL,
            .wait = o->wait,
            .quiet = o->quiet,
        };
        code = fx_sweep_slurm(s, file, &so);
    }
    free(dir);
    fx_sweep_free(s);
    return code;
}

int fx_cmd_sweep(int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    sweep_opts o = {.jobs = UINT64_MAX, .shards = UINT64_MAX};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("sweep", fx_sweep_options, &o, argc, argv, pos, &npos);
    const char *file = npos == 1 ? pos[0] : NULL;
    free(pos);
    unsigned shard = 0, nshards = 0;
    if (rc == 0 && npos != 1) {
        fx_cli_error("sweep: expected one sweep file, found %s", npos ? "several" : "none");
        rc = -1;
    }
    if (rc == 0 && o.jobs != UINT64_MAX && (o.jobs < 1 || o.jobs > FX_SWEEP_THREADS_MAX)) {
        fx_cli_error("sweep: --jobs: expected 1 to %d, found %llu", FX_SWEEP_THREADS_MAX,
                     (unsigned long long)o.jobs);
        rc = -1;
    }
    if (rc == 0 && o.shard && parse_shard(o.shard, &shard, &nshards) != 0) {
        fx_cli_error("sweep: --shard: expected I/N with 1 <= I <= N <= %d, found \"%s\"",
                     SHARDS_MAX, o.shard);
        rc = -1;
    }
    int to_stdout = !o.output || strcmp(o.output, "-") == 0;
    if (rc == 0 && o.plot && (to_stdout || o.shard)) {
        fx_cli_error("sweep: --plot: expected -o FILE of a whole sweep to draw, found %s",
                     o.shard ? "a shard" : "standard output");
        rc = -1;
    }
    if (rc == 0 && o.resume && to_stdout) {
        fx_cli_error("sweep: --resume: expected -o FILE to continue, found standard output");
        rc = -1;
    }
    if (rc == 0 && !to_stdout && fx_output_same_file(o.output, file)) {
        fx_cli_error("sweep: %s: expected an output apart from the sweep file, found the sweep "
                     "file itself",
                     o.output);
        rc = -1;
    }
    int slurm = o.emit_slurm || o.submit;
    if (rc == 0 && o.submit && strcmp(o.submit, "slurm") != 0) {
        fx_cli_error("sweep: --submit: expected slurm, found \"%s\"", o.submit);
        rc = -1;
    }
    if (rc == 0 && slurm && (o.shard || o.resume || o.plot || o.inputs)) {
        fx_cli_error("sweep: --%s: expected the options of a local run only, found it with --%s",
                     o.shard    ? "shard"
                     : o.resume ? "resume"
                     : o.plot   ? "plot"
                                : "inputs",
                     o.submit ? "submit" : "emit-slurm");
        rc = -1;
    }
    if (rc == 0 && slurm && (o.shards == UINT64_MAX || o.shards < 1 || o.shards > SHARDS_MAX)) {
        fx_cli_error("sweep: --shards: expected 1 to %d shards for --%s, found %s", SHARDS_MAX,
                     o.submit ? "submit" : "emit-slurm", o.shards == UINT64_MAX ? "none" : "more");
        rc = -1;
    }
    if (rc == 0 && !slurm && (o.shards != UINT64_MAX || o.partition || o.time || o.mem)) {
        fx_cli_error("sweep: --%s: expected it with --emit-slurm or --submit, found it alone",
                     o.shards != UINT64_MAX ? "shards"
                     : o.partition          ? "partition"
                     : o.time               ? "time"
                                            : "mem");
        rc = -1;
    }
    if (rc == 0 && o.wait && !o.submit) {
        fx_cli_error("sweep: --wait: expected it with --submit slurm, found it alone");
        rc = -1;
    }
    const char *bad_value = !fx_slurm_value_ok(o.partition) && o.partition ? o.partition
                            : !fx_slurm_value_ok(o.time) && o.time         ? o.time
                            : !fx_slurm_value_ok(o.mem) && o.mem           ? o.mem
                                                                           : NULL;
    if (rc == 0 && bad_value) {
        fx_cli_error("sweep: expected a Slurm value of letters, digits and \"-_.:,+=\", found "
                     "\"%s\"",
                     bad_value);
        rc = -1;
    }
    const char *bad_path = o.emit_slurm && !fx_slurm_path_ok(o.emit_slurm)    ? o.emit_slurm
                           : slurm && o.output && !fx_slurm_path_ok(o.output) ? o.output
                                                                              : NULL;
    if (rc == 0 && bad_path) {
        fx_cli_error("sweep: %s: expected a path without '%%' or line breaks for a Slurm script, "
                     "found one with them",
                     bad_path);
        rc = -1;
    }
    struct stat sb;
    if (rc == 0 && !slurm && !to_stdout && !o.resume && stat(o.output, &sb) == 0) {
        fx_cli_error("sweep: %s: expected a new output file, found an existing one (give "
                     "--resume to continue it, or remove it)",
                     o.output);
        rc = -1;
    }
    if (rc < 0)
        return FX_EXIT_USAGE;
    unsigned jobs = o.jobs == UINT64_MAX ? cores() : (unsigned)o.jobs;
    if (jobs > FX_SWEEP_THREADS_MAX)
        jobs = FX_SWEEP_THREADS_MAX;

    fx_err e;
    fx_sweep *s = NULL;
    if (fx_sweep_load(file, &s, &e) != FX_OK)
        return fx_cli_fail(&e);
    if (slurm)
        return slurm_run(s, file, &o);
    if (o.inputs && check_inputs(s, o.inputs, &e) != FX_OK) {
        fx_sweep_free(s);
        return fx_cli_fail(&e);
    }
    size_t npoints = fx_sweep_points(s), mine = 0;
    size_t *points = malloc((npoints ? npoints : 1) * sizeof *points);
    if (!points) {
        fx_sweep_free(s);
        fx_cli_error("sweep: out of memory");
        return FX_EXIT_FAIL;
    }
    for (size_t i = 0; i < npoints; i++)
        if (fx_sweep_in_shard(i, shard, nshards))
            points[mine++] = i;

    int fd = -1, code = FX_EXIT_OK;
    size_t done = 0;
    fx_status st;
    progress prog = {0};
    writer w = {-1, to_stdout ? "standard output" : o.output, &prog, NULL, 0, 0};
    if (to_stdout) {
        char *pre = fx_sweep_preamble(s, shard, nshards);
        st = pre ? write_synced(&w, pre, strlen(pre), &e)
                 : fx_err_set(&e, FX_ENOMEM, "out of memory");
        free(pre);
    } else {
        st = open_output(s, o.output, o.resume, shard, nshards, &fd, &done, &w, &e);
        w.fd = fd;
    }
    if (st != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }

    prog.mode = o.quiet ? PROG_NONE : isatty(2) ? PROG_BAR : PROG_LINES;
    prog.total = mine;
    prog.before = done;
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    /* Resuming: run the last point done again first, to check its row. */
    size_t first = done;
    if (w.check_row) {
        first = done - 1;
        w.check_point = points[first];
    }
    fx_sweep_run_opts ro = {jobs, points + first, mine - first, nshards != 0, on_row, on_wait, &w};
    st = fx_sweep_run(s, &ro, &e);
    if (prog.shown)
        fputs("\r\033[K", stderr);
    if (st != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    progress_show(&prog, 1);
    if (o.plot) {
        /* The same code as `fluxosim plot sweep`: metric against the first
         * parameter, one line per value of the second. */
        if (fd >= 0 && close(fd) != 0) {
            fx_err_set(&e, FX_EIO, "%s: cannot write: %s", o.output, strerror(errno));
            fd = -1;
            code = fx_cli_fail(&e);
            goto done;
        }
        fd = -1;
        size_t len = strlen(o.plot) + sizeof "/sweep.svg";
        char *fig = malloc(len);
        fx_plot_opts po;
        fx_plot_opts_init(&po);
        const char *inputs[1] = {o.output};
        if (!fig) {
            fx_cli_error("sweep: out of memory");
            code = FX_EXIT_FAIL;
        } else {
            snprintf(fig, len, "%s/sweep.svg", o.plot);
            if (mkdir(o.plot, 0777) != 0 && errno != EEXIST) {
                fx_err_set(&e, FX_EIO, "%s: cannot create: %s", o.plot, strerror(errno));
                code = fx_cli_fail(&e);
            } else if (fx_plot_render("sweep", inputs, 1, &po, fig, &e) != FX_OK) {
                code = fx_cli_fail(&e);
            }
        }
        free(fig);
    }

done:
    if (fd >= 0 && close(fd) != 0 && code == FX_EXIT_OK) {
        fx_err_set(&e, FX_EIO, "%s: cannot write: %s", o.output, strerror(errno));
        code = fx_cli_fail(&e);
    }
    free(w.check_row);
    free(points);
    fx_sweep_free(s);
    return code;
}
