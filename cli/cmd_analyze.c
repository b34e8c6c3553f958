/* cmd_analyze.c - `fluxosim analyze TRACE --arch FILE`: the candidate as an
 * open queueing network, solved analytically (models/network.h), and with
 * --compare beside a replay of the same trace. */
#include "cli/cmd_analyze.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "models/json.h"
#include "sim/text.h"

#include "cli/cli.h"
#include "cli/output.h"
#include "models/arch.h"
#include "models/network.h"
#include "models/replay.h"
#include "sim/stats.h"
#include "traces/trace.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

/* Above this ratio of the busiest quarter's rate to the mean, the table
 * warns that the trace is far from a steady state. */
#define FX_ANALYZE_PEAK_WARN 1.2

static const char *const formats[] = {"table", "json", "csv", NULL};

typedef struct analyze_opts {
    const char *arch;
    double rate_scale;
    int format;
    const char *output;
    int compare;
    uint64_t seed;
} analyze_opts;

#define OFF(f) offsetof(analyze_opts, f)

const fx_opt fx_analyze_options[] = {
    {"arch", 'a', FX_OPT_STRING, "FILE", OFF(arch), "the architecture to analyze (required)", NULL},
    {"rate-scale", 'r', FX_OPT_DOUBLE, "X", OFF(rate_scale),
     "arrivals X times as frequent: 2 doubles the traffic (default: 1)", NULL},
    {"format", 'f', FX_OPT_CHOICE, "table|json|csv", OFF(format), "output format (default: table)",
     formats},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the result to FILE (atomically) instead of stdout", NULL},
    {"compare", 0, FX_OPT_FLAG, NULL, OFF(compare),
     "also replay the trace and show analytic against simulated, with relative errors", NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed),
     "master random seed of the --compare replay (default: 1)", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_analyze_usage[] = "fluxosim analyze TRACE --arch FILE [OPTIONS]";

const char fx_analyze_description[] =
    "Solves the architecture as an open queueing network instead of simulating\n"
    "it: one pass over TRACE measures the arrival rate, each node's visits and\n"
    "demand (mean and variability), output sizes, and each cache's LRU hit\n"
    "ratio at its capacity (its exact miss-ratio curve); then each pool is a\n"
    "station (Erlang C, Allen-Cunneen, Pollaczek-Khinchine, processor sharing,\n"
    "per balancer and partition, failures as lost capacity) and the latency\n"
    "follows the service's graph, network hops included. The p99 comes from a\n"
    "lognormal fit per combination of cache outcomes (p99_method). A pool\n"
    "whose load reaches its capacity is saturated: it is named, and its\n"
    "waits and the latency read \"saturated\". --compare also replays the\n"
    "trace (with --seed) and prints both with relative errors; it needs a\n"
    "trace file, not -. The models, their assumptions and their measured\n"
    "errors are in the guide.\n\n"
    "example: fluxosim analyze examples/weather/weather.trace --arch "
    "examples/weather/cand3.json --compare\n";

/* ---- values that may not be numbers ---------------------------------------- */

/* X in JSON: a number, or "saturated" (NAN) or "infinite". */
static cJSON *jnum(double x)
{
    if (isfinite(x))
        return cJSON_CreateNumber(x);
    return cJSON_CreateString(isnan(x) ? "saturated" : "infinite");
}

static void add_num(cJSON *o, const char *key, double x)
{
    cJSON_AddItemToObject(o, key, jnum(x));
}

/* X in a table cell of WIDTH with DIGITS decimals. */
static void tnum(FILE *f, int width, int digits, double x)
{
    if (isfinite(x))
        fprintf(f, " %*.*f", width, digits, x);
    else
        fprintf(f, " %*s", width, isnan(x) ? "saturated" : "infinite");
}

/* (A - S) / S, or NAN when undefined. */
static double rel_error(double a, double s)
{
    if (!isfinite(a) || !isfinite(s) || s == 0)
        return NAN;
    return (a - s) / s;
}

/* ---- what the replay says, per compared quantity ---------------------------- */

typedef struct sim_view {
    const fx_replay_result *res;
    double mean_ms, p99_ms;
} sim_view;

static cJSON *pair(double analytic, double simulated)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "analytic", analytic);
    cJSON_AddNumberToObject(o, "simulated", simulated);
    double r = rel_error(analytic, simulated);
    if (isfinite(r))
        cJSON_AddNumberToObject(o, "rel_error", r);
    else
        cJSON_AddNullToObject(o, "rel_error");
    return o;
}

/* ---- JSON -------------------------------------------------------------------- */

static char *to_json(const fx_arch *arch, const fx_net_load *load, const fx_net_result *r,
                     const char *trace, const sim_view *sim, uint64_t seed)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "method", "analytic");
    cJSON_AddStringToObject(doc, "arch", arch->name);
    cJSON_AddStringToObject(doc, "trace", trace);
    cJSON_AddNumberToObject(doc, "requests", (double)r->requests);
    cJSON_AddNumberToObject(doc, "rate_scale", r->rate_scale);
    cJSON_AddNumberToObject(doc, "arrival_rps", r->arrival_rps);
    cJSON *rq = cJSON_AddArrayToObject(doc, "rate_by_quarter_rps");
    for (int k = 0; k < 4; k++)
        cJSON_AddItemToArray(rq, cJSON_CreateNumber(r->rate_by_quarter_rps[k]));
    cJSON_AddNumberToObject(doc, "peak_ratio", r->peak_ratio);
    cJSON *lat = cJSON_AddObjectToObject(doc, "latency_ms");
    add_num(lat, "mean", r->latency_mean_ms);
    add_num(lat, "p99", r->latency_p99_ms);
    cJSON_AddStringToObject(doc, "p99_method", r->p99_method);
    add_num(doc, "throughput_rps", r->saturated ? NAN : r->arrival_rps);
    cJSON_AddNumberToObject(doc, "cost_per_hour", r->cost_per_hour);
    cJSON *sat = cJSON_AddArrayToObject(doc, "saturated");
    for (uint32_t p = 0; p < r->npools; p++)
        if (r->pools[p].saturated)
            cJSON_AddItemToArray(sat, cJSON_CreateString(r->pools[p].id));
    cJSON *pools = cJSON_AddArrayToObject(doc, "pools");
    for (uint32_t p = 0; p < r->npools; p++) {
        const fx_net_pool_result *pr = &r->pools[p];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(pools, o);
        cJSON_AddStringToObject(o, "id", pr->id);
        cJSON_AddNumberToObject(o, "servers", pr->servers);
        add_num(o, "utilization", pr->saturated ? NAN : pr->utilization);
        add_num(o, "mean_queue", pr->mean_queue);
        add_num(o, "mean_wait_ms", pr->mean_wait_ms);
        cJSON_AddBoolToObject(o, "saturated", pr->saturated);
        cJSON_AddNumberToObject(o, "offered_load", pr->utilization);
        cJSON_AddStringToObject(o, "model", pr->model ? pr->model : "");
        cJSON_AddNumberToObject(o, "arrival_rps", pr->arrival_rps);
        cJSON_AddNumberToObject(o, "mean_service_ms", pr->mean_service_ms);
        cJSON_AddNumberToObject(o, "scv", pr->scv);
        if (pr->partitions > 1) {
            cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
            for (unsigned k = 0; k < pr->partitions; k++)
                cJSON_AddItemToArray(parts, cJSON_CreateNumber(pr->partition_util[k]));
        }
        if (pr->availability < 1)
            cJSON_AddNumberToObject(o, "availability", pr->availability);
    }
    cJSON *caches = cJSON_AddArrayToObject(doc, "caches");
    for (uint32_t c = 0; c < r->ncaches; c++) {
        const fx_net_cache_result *cr = &r->caches[c];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(caches, o);
        cJSON_AddStringToObject(o, "id", cr->id);
        cJSON_AddStringToObject(o, "policy", cr->policy);
        cJSON_AddNumberToObject(o, "capacity_bytes", (double)cr->capacity_bytes);
        cJSON_AddNumberToObject(o, "hits", (double)cr->hits);
        cJSON_AddNumberToObject(o, "misses", (double)(cr->lookups - cr->hits));
        cJSON_AddNumberToObject(o, "hit_ratio", cr->hit_ratio);
        cJSON_AddStringToObject(o, "hit_ratio_model",
                                cr->lru_model ? "lru-mrc" : "lru-mrc (stands in for the policy)");
    }
    cJSON *nodes = cJSON_AddArrayToObject(doc, "nodes");
    for (uint32_t n = 0; n < r->nnodes; n++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(nodes, o);
        cJSON_AddStringToObject(o, "id", arch->svc->nodes[n].id);
        cJSON_AddNumberToObject(o, "visits_per_request", r->node_visits[n]);
        add_num(o, "response_ms", r->node_response_ms[n]);
    }
    cJSON *an = cJSON_AddObjectToObject(doc, "analysis");
    cJSON_AddNumberToObject(an, "trace_s", load->wall_s);
    cJSON_AddNumberToObject(an, "solve_ms", r->solve_s * 1e3);
    cJSON_AddNumberToObject(an, "distinct_keys", (double)load->distinct_keys);

    if (sim) {
        const fx_replay_result *s = sim->res;
        cJSON *cmp = cJSON_AddObjectToObject(doc, "compare");
        cJSON_AddNumberToObject(cmp, "seed", (double)seed);
        cJSON_AddNumberToObject(cmp, "wall_s", s->wall_s);
        cJSON *cl = cJSON_AddObjectToObject(cmp, "latency_ms");
        cJSON_AddItemToObject(cl, "mean", pair(r->latency_mean_ms, sim->mean_ms));
        cJSON_AddItemToObject(cl, "p99", pair(r->latency_p99_ms, sim->p99_ms));
        cJSON *cp = cJSON_AddArrayToObject(cmp, "pools");
        for (uint32_t p = 0; p < r->npools; p++) {
            const fx_net_pool_result *pr = &r->pools[p];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(cp, o);
            cJSON_AddStringToObject(o, "id", pr->id);
            cJSON_AddItemToObject(
                o, "utilization",
                pair(pr->saturated ? NAN : pr->utilization, s->pools[p].utilization));
            cJSON_AddItemToObject(o, "mean_wait_ms",
                                  pair(pr->mean_wait_ms, s->pools[p].mean_wait_ms));
            cJSON_AddItemToObject(o, "mean_queue", pair(pr->mean_queue, s->pools[p].mean_queue));
        }
        cJSON *cc = cJSON_AddArrayToObject(cmp, "caches");
        for (uint32_t c = 0; c < r->ncaches; c++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(cc, o);
            cJSON_AddStringToObject(o, "id", r->caches[c].id);
            cJSON_AddItemToObject(o, "hit_ratio",
                                  pair(r->caches[c].hit_ratio, s->caches[c].hit_ratio));
        }
    }
    return fx_json_print_doc(doc);
}

/* ---- table -------------------------------------------------------------------- */

static void compare_row(FILE *f, const char *what, const char *name, double a, double s, int digits)
{
    char label[96];
    snprintf(label, sizeof label, "%s%s%s", what, name ? " " : "", name ? name : "");
    fprintf(f, "%-30s", label);
    tnum(f, 12, digits, a);
    fprintf(f, " %12.*f", digits, s);
    double r = rel_error(a, s);
    if (isfinite(r))
        fprintf(f, " %+10.2f%%\n", r * 100);
    else
        fprintf(f, " %11s\n", "-");
}

static char *to_table(const fx_arch *arch, const fx_net_load *load, const fx_net_result *r,
                      const char *trace, const sim_view *sim, uint64_t seed)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "arch        %s\ntrace       %s\n", arch->name, trace);
    fprintf(f, "method      analytic (trace pass %.3f s, solve %.3f ms)\n", load->wall_s,
            r->solve_s * 1e3);
    fprintf(f, "requests    %llu, arrivals %.2f requests/s (rate scale %g)\n",
            (unsigned long long)r->requests, r->arrival_rps, r->rate_scale);
    fprintf(f, "by quarter  %.2f, %.2f, %.2f, %.2f requests/s\n", r->rate_by_quarter_rps[0],
            r->rate_by_quarter_rps[1], r->rate_by_quarter_rps[2], r->rate_by_quarter_rps[3]);
    if (r->peak_ratio > FX_ANALYZE_PEAK_WARN)
        fprintf(f,
                "note        the busiest quarter runs at %.2f times the mean rate: the model is "
                "a steady state at the mean (try --rate-scale %.2f for the peak, or replay)\n",
                r->peak_ratio, r->peak_ratio * r->rate_scale);
    fprintf(f, "cost        %.4f per hour\n", r->cost_per_hour);
    if (r->saturated) {
        fprintf(f, "saturated  ");
        for (uint32_t p = 0; p < r->npools; p++)
            if (r->pools[p].saturated)
                fprintf(f, " %s", r->pools[p].id);
        fprintf(f, " (load at or above capacity: no steady state)\n");
    }
    fprintf(f, "\nlatency (ms)  %10s %10s  p99 method\n%-13s", "mean", "p99", "");
    tnum(f, 10, 3, r->latency_mean_ms);
    tnum(f, 10, 3, r->latency_p99_ms);
    fprintf(f, "  %s\n\n", r->p99_method);
    fprintf(f, "%-16s %7s %11s %10s %13s  %s\n", "pool", "servers", "utilization", "mean_queue",
            "mean_wait_ms", "model");
    for (uint32_t p = 0; p < r->npools; p++) {
        const fx_net_pool_result *pr = &r->pools[p];
        fprintf(f, "%-16s %7u", pr->id, pr->servers);
        tnum(f, 11, 4, pr->saturated ? NAN : pr->utilization);
        tnum(f, 10, 4, pr->mean_queue);
        tnum(f, 13, 4, pr->mean_wait_ms);
        fprintf(f, "  %s", pr->model ? pr->model : "");
        if (pr->saturated)
            fprintf(f, " (offered load %.4f)", pr->utilization);
        if (pr->availability < 1)
            fprintf(f, ", availability %.4f", pr->availability);
        fputc('\n', f);
        if (pr->partitions > 1) {
            fprintf(f, "  partitions:");
            for (unsigned k = 0; k < pr->partitions; k++)
                fprintf(f, " %.3f", pr->partition_util[k]);
            fputc('\n', f);
        }
    }
    if (r->ncaches) {
        fprintf(f, "\n%-16s %-8s %14s %9s  %s\n", "cache", "policy", "capacity_bytes", "hit_ratio",
                "model");
        for (uint32_t c = 0; c < r->ncaches; c++) {
            const fx_net_cache_result *cr = &r->caches[c];
            fprintf(f, "%-16s %-8s %14llu %9.4f  %s\n", cr->id, cr->policy,
                    (unsigned long long)cr->capacity_bytes, cr->hit_ratio,
                    cr->lru_model ? "LRU miss-ratio curve"
                                  : "LRU miss-ratio curve (stands in for the policy)");
        }
    }
    if (sim) {
        const fx_replay_result *s = sim->res;
        fprintf(f, "\nanalytic against a replay (seed %llu, %.3f s)\n", (unsigned long long)seed,
                s->wall_s);
        fprintf(f, "%-30s %12s %12s %11s\n", "", "analytic", "simulated", "rel_error");
        compare_row(f, "latency mean (ms)", NULL, r->latency_mean_ms, sim->mean_ms, 3);
        compare_row(f, "latency p99 (ms)", NULL, r->latency_p99_ms, sim->p99_ms, 3);
        for (uint32_t p = 0; p < r->npools; p++) {
            const fx_net_pool_result *pr = &r->pools[p];
            char name[64];
            snprintf(name, sizeof name, "%.40s", pr->id);
            compare_row(f, "utilization", name, pr->saturated ? NAN : pr->utilization,
                        s->pools[p].utilization, 4);
            compare_row(f, "mean_wait_ms", name, pr->mean_wait_ms, s->pools[p].mean_wait_ms, 4);
            compare_row(f, "mean_queue", name, pr->mean_queue, s->pools[p].mean_queue, 4);
        }
        for (uint32_t c = 0; c < r->ncaches; c++) {
            char name[64];
            snprintf(name, sizeof name, "%.40s", r->caches[c].id);
            compare_row(f, "hit_ratio", name, r->caches[c].hit_ratio, s->caches[c].hit_ratio, 4);
        }
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- CSV ----------------------------------------------------------------------- */

/* ",X", X as sim/text.h writes numbers, or a word for what is not one. */
static void csv_num(FILE *f, double x)
{
    char buf[32];
    if (!isfinite(x)) {
        fputs(isnan(x) ? ",saturated" : ",infinite", f);
        return;
    }
    fputc(',', f);
    fputs(fx_text_number(x, buf, sizeof buf), f);
}

static void csv_cols(FILE *f, const char *prefix, const fx_net_result *r)
{
    static const char *const pool_cols[] = {"util_", "wait_ms_"};
    for (size_t k = 0; k < 2; k++)
        for (uint32_t p = 0; p < r->npools; p++) {
            fprintf(f, ",%s%s", prefix, pool_cols[k]);
            fx_text_csv_field(f, r->pools[p].id);
        }
    for (uint32_t c = 0; c < r->ncaches; c++) {
        fprintf(f, ",%shit_ratio_", prefix);
        fx_text_csv_field(f, r->caches[c].id);
    }
}

static char *to_csv(const fx_arch *arch, const fx_net_result *r, const char *trace,
                    const sim_view *sim)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("method,arch,trace,requests,arrival_rps,mean_ms,p99_ms,p99_method,cost_per_hour,"
          "saturated",
          f);
    csv_cols(f, "", r);
    if (sim) {
        fputs(",sim_mean_ms,sim_p99_ms", f);
        csv_cols(f, "sim_", r);
    }
    fputs("\nanalytic,", f);
    fx_text_csv_field(f, arch->name);
    fputc(',', f);
    fx_text_csv_field(f, trace);
    fprintf(f, ",%llu", (unsigned long long)r->requests);
    csv_num(f, r->arrival_rps);
    csv_num(f, r->latency_mean_ms);
    csv_num(f, r->latency_p99_ms);
    fprintf(f, ",%s", r->p99_method);
    csv_num(f, r->cost_per_hour);
    fputc(',', f);
    int first = 1;
    for (uint32_t p = 0; p < r->npools; p++)
        if (r->pools[p].saturated) {
            if (!first)
                fputc(' ', f);
            fputs(r->pools[p].id, f);
            first = 0;
        }
    for (uint32_t p = 0; p < r->npools; p++)
        csv_num(f, r->pools[p].saturated ? NAN : r->pools[p].utilization);
    for (uint32_t p = 0; p < r->npools; p++)
        csv_num(f, r->pools[p].mean_wait_ms);
    for (uint32_t c = 0; c < r->ncaches; c++)
        csv_num(f, r->caches[c].hit_ratio);
    if (sim) {
        const fx_replay_result *s = sim->res;
        csv_num(f, sim->mean_ms);
        csv_num(f, sim->p99_ms);
        for (uint32_t p = 0; p < r->npools; p++)
            csv_num(f, s->pools[p].utilization);
        for (uint32_t p = 0; p < r->npools; p++)
            csv_num(f, s->pools[p].mean_wait_ms);
        for (uint32_t c = 0; c < r->ncaches; c++)
            csv_num(f, s->caches[c].hit_ratio);
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- the command ---------------------------------------------------------------- */

int fx_cmd_analyze(int argc, char **argv)
{
    analyze_opts o = {NULL, 1.0, FMT_TABLE, NULL, 0, 1};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos) {
        fx_cli_error("analyze: out of memory");
        return FX_EXIT_FAIL;
    }
    int rc = fx_opts_parse("analyze", fx_analyze_options, &o, argc, argv, pos, &npos);
    const char *trace_path = npos == 1 ? pos[0] : NULL;
    free(pos);
    if (rc == 0 && npos != 1) {
        if (npos == 0)
            fx_cli_error("analyze: expected a trace file (or - for stdin), found none");
        else
            fx_cli_error("analyze: expected one trace file, found %d", npos);
        rc = -1;
    }
    if (rc == 0 && !o.arch) {
        fx_cli_error("analyze: expected --arch FILE, found none");
        rc = -1;
    }
    if (rc == 0 && !(o.rate_scale > 0)) {
        fx_cli_error("analyze: --rate-scale: expected a positive number, found %g", o.rate_scale);
        rc = -1;
    }
    if (rc == 0 && o.compare && strcmp(trace_path, "-") == 0) {
        fx_cli_error("analyze: --compare: expected a trace file (the replay reads it again), "
                     "found - (standard input)");
        rc = -1;
    }
    const char *inputs[2] = {trace_path, o.arch};
    for (int i = 0; rc == 0 && i < 2; i++)
        if (fx_output_same_file(o.output, inputs[i])) {
            fx_cli_error("analyze: %s: expected an output file apart from the inputs, found the "
                         "input itself",
                         o.output);
            rc = -1;
        }
    if (rc < 0)
        return FX_EXIT_USAGE;

    fx_err e;
    fx_arch *arch = NULL;
    fx_trace_reader *trace = NULL;
    fx_net_load *load = NULL;
    fx_net_result res;
    fx_replay_result rep;
    memset(&res, 0, sizeof res);
    memset(&rep, 0, sizeof rep);
    sim_view sv, *sim = NULL;
    char *text = NULL;
    int code;
    if (fx_arch_load(o.arch, &arch, &e) != FX_OK)
        return fx_cli_fail(&e);
    if (fx_trace_open(trace_path, arch->svc->ids, arch->svc->nnodes, &trace, &e) != FX_OK ||
        fx_net_measure(arch, trace, &load, &e) != FX_OK ||
        fx_net_solve(arch, load, o.rate_scale, &res, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    fx_trace_close(trace);
    trace = NULL;
    if (o.compare) {
        if (fx_trace_open(trace_path, arch->svc->ids, arch->svc->nnodes, &trace, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        fx_replay_opts ro = {o.rate_scale, 0, o.seed, NULL, NULL, NULL, 0};
        if (fx_replay_run(arch, trace, &ro, &rep, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        sv.res = &rep;
        sv.mean_ms = fx_moments_mean(&rep.latency) * 1e-6;
        sv.p99_ms = fx_hist_quantile(rep.hist, 0.99) * 1e-6;
        sim = &sv;
    }
    text = o.format == FMT_JSON  ? to_json(arch, load, &res, trace_path, sim, o.seed)
           : o.format == FMT_CSV ? to_csv(arch, &res, trace_path, sim)
                                 : to_table(arch, load, &res, trace_path, sim, o.seed);
    if (!text) {
        fx_cli_error("analyze: out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    code =
        fx_output_write(o.output, text, strlen(text), &e) == FX_OK ? FX_EXIT_OK : fx_cli_fail(&e);
done:
    free(text);
    fx_replay_result_free(&rep);
    fx_net_result_free(&res);
    fx_net_load_free(load);
    fx_trace_close(trace);
    fx_arch_free(arch);
    return code;
}
