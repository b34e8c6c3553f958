/* cmd_replay.c - `fluxosim replay TRACE --arch FILE`: one what-if run. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "models/arch.h"
#include "models/replay.h"
#include "models/result.h"
#include "traces/trace.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

static const char *const formats[] = {"table", "json", "csv", NULL};

typedef struct replay_opts {
    const char *arch;
    double rate_scale;
    double warmup;
    uint64_t seed;
    int format;
    const char *output;
    const char *latency_out;
    int quiet;
    int reader;
} replay_opts;

#define OFF(f) offsetof(replay_opts, f)

const fx_opt fx_replay_options[] = {
    {"arch", 'a', FX_OPT_STRING, "FILE", OFF(arch), "the architecture to replay against (required)",
     NULL},
    {"rate-scale", 'r', FX_OPT_DOUBLE, "X", OFF(rate_scale),
     "divide arrival times by X: 2 doubles the traffic (default: 1)", NULL},
    {"warmup", 'w', FX_OPT_DOUBLE, "SECONDS", OFF(warmup),
     "simulate but do not count requests arriving earlier (default: 0)", NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed), "master random seed (default: 1)", NULL},
    {"format", 'f', FX_OPT_CHOICE, "table|json|csv", OFF(format), "output format (default: table)",
     formats},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the result to FILE (atomically) instead of stdout", NULL},
    {"latency-out", 0, FX_OPT_STRING, "FILE", OFF(latency_out),
     "write each counted request's latency in ms, one per line", NULL},
    {"quiet", 'q', FX_OPT_FLAG, NULL, OFF(quiet), "no progress line on a terminal", NULL},
    FX_OPT_READER(OFF(reader)),
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_replay_description[] =
    "Replays TRACE (a fluxosim trace, optionally gzip-compressed; - for stdin)\n"
    "against the architecture: requests arrive at their trace times, flow\n"
    "through the service's dataflow graph, queue at the pools hosting each\n"
    "node and pay the network between pools. Prints latency percentiles,\n"
    "throughput, cost and per-pool utilization. The same seed gives the same\n"
    "document, apart from sim.wall_s and sim.events_per_s.\n\n"
    "example: fluxosim replay examples/weather/weather.trace --arch "
    "examples/weather/cand2.json\n";

typedef struct progress {
    int enabled;
    struct timespec start;
    int shown;
    FILE *latency;
    int latency_failed;
} progress;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void on_progress(void *ctx, uint64_t requests)
{
    progress *p = ctx;
    if (!p->enabled)
        return;
    double s = since(&p->start);
    if (s < 1.0)
        return;
    fprintf(stderr, "\rfluxosim: replayed %llu requests (%.0f/s)", (unsigned long long)requests,
            (double)requests / s);
    p->shown = 1;
}

static void on_latency(void *ctx, fx_time latency)
{
    progress *p = ctx;
    /* Milliseconds with nanosecond resolution: %.6f is exact for int ns. */
    if (fprintf(p->latency, "%.6f\n", (double)latency * 1e-6) < 0)
        p->latency_failed = 1;
}

int fx_cmd_replay(int argc, char **argv)
{
    replay_opts o = {NULL, 1.0, 0.0, 1, FMT_TABLE, NULL, NULL, 0, FX_READER_AUTO};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("replay", fx_replay_options, &o, argc, argv, pos, &npos);
    const char *trace_path = npos == 1 ? pos[0] : NULL;
    if (rc == 0 && npos != 1) {
        if (npos == 0)
            fx_cli_error("replay: expected a trace file (or - for stdin), found none");
        else
            fx_cli_error("replay: expected one trace file, found %d", npos);
        rc = -1;
    }
    if (rc == 0 && !o.arch) {
        fx_cli_error("replay: expected --arch FILE, found none");
        rc = -1;
    }
    if (rc == 0 && !(o.rate_scale >= 1e-6 && o.rate_scale <= 1e6)) {
        fx_cli_error("replay: --rate-scale: expected a positive number from 1e-6 to 1e6, found %g",
                     o.rate_scale);
        rc = -1;
    }
    if (rc == 0 && (!(o.warmup >= 0) || o.warmup > 1e9)) {
        fx_cli_error("replay: --warmup: expected seconds from 0 to 1e9, found %g", o.warmup);
        rc = -1;
    }
    const char *inputs[2] = {trace_path, o.arch};
    const char *outputs[2] = {o.output, o.latency_out};
    for (int i = 0; rc == 0 && i < 2; i++)
        for (int j = 0; rc == 0 && j < 2; j++)
            if (fx_output_same_file(outputs[i], inputs[j])) {
                fx_cli_error("replay: %s: expected an output file apart from the inputs, found "
                             "the input itself",
                             outputs[i]);
                rc = -1;
            }
    if (rc == 0 && o.output && o.latency_out && fx_output_same_file(o.output, o.latency_out)) {
        fx_cli_error("replay: expected -o and --latency-out to name two files, found %s twice",
                     o.output);
        rc = -1;
    }
    free(pos);
    if (rc < 0)
        return FX_EXIT_USAGE;

    fx_err e;
    fx_arch *arch = NULL;
    fx_trace_reader *trace = NULL;
    fx_output lat_out = {0};
    fx_replay_result res;
    memset(&res, 0, sizeof res);
    int code;
    if (fx_arch_load(o.arch, &arch, &e) != FX_OK)
        return fx_cli_fail(&e);
    /* The service file the architecture names is an input too. */
    const char *svc_path = arch->svc->path;
    if (fx_output_same_file(o.output, svc_path) || fx_output_same_file(o.latency_out, svc_path)) {
        fx_cli_error("replay: %s: expected an output file apart from the inputs, found the "
                     "service file itself",
                     fx_output_same_file(o.output, svc_path) ? o.output : o.latency_out);
        fx_arch_free(arch);
        return FX_EXIT_USAGE;
    }
    if (fx_trace_open(trace_path, arch->svc->ids, arch->svc->nnodes, &trace, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    const char *named = fx_trace_service(trace);
    if (named && strcmp(named, arch->svc->name) != 0) {
        fx_err_set(&e, FX_EINVAL,
                   "%s: expected a trace of the service \"%s\", found \"#service %s\"", trace_path,
                   arch->svc->name, named);
        code = fx_cli_fail(&e);
        goto done;
    }
    fx_cli_read_ahead(trace, o.reader);
    progress prog = {0};
    prog.enabled = !o.quiet && isatty(2);
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    if (o.latency_out) {
        if (fx_output_open(&lat_out, o.latency_out, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        prog.latency = lat_out.f;
    }
    fx_replay_opts ro = {o.rate_scale,
                         (fx_time)llround(o.warmup * 1e9),
                         o.seed,
                         o.latency_out ? on_latency : NULL,
                         on_progress,
                         &prog,
                         0};
    fx_status st = fx_replay_run(arch, trace, &ro, &res, &e);
    if (prog.shown)
        fputs("\r\033[K", stderr);
    if (st != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (prog.latency_failed) {
        fx_err_set(&e, FX_EIO, "%s: cannot write", o.latency_out);
        code = fx_cli_fail(&e);
        goto done;
    }

    char *text = o.format == FMT_JSON  ? fx_result_json(&res, arch->name, trace_path)
                 : o.format == FMT_CSV ? fx_result_csv(&res, arch->name, trace_path, 1)
                                       : fx_result_table(&res, arch->name, trace_path);
    if (!text) {
        fx_cli_error("replay: out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    /* The latency file first: the result document is the run's last word. */
    if (o.latency_out && fx_output_commit(&lat_out, &e) != FX_OK)
        code = fx_cli_fail(&e);
    else if (fx_output_write(o.output, text, strlen(text), &e) != FX_OK)
        code = fx_cli_fail(&e);
    else
        code = FX_EXIT_OK;
    free(text);

done:
    fx_output_abort(&lat_out);
    fx_replay_result_free(&res);
    fx_trace_close(trace);
    fx_arch_free(arch);
    return code;
}
