/* cmd_queue.c - `fluxosim queue`: a textbook queue, simulated and compared
 * with its closed form. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "models/json.h"
#include "models/tandem.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

static const char *const formats[] = {"table", "json", "csv", NULL};
static const char *const disciplines[] = {"fcfs", "ps", "delay", NULL};

typedef struct queue_opts {
    const char *arrivals;
    const char *service;
    uint64_t servers;
    uint64_t capacity;
    uint64_t stations;
    int discipline;
    double speed;
    uint64_t customers;
    uint64_t warmup;
    int warmup_set;
    uint64_t seed;
    int format;
    const char *output;
} queue_opts;

#define OFF(f) offsetof(queue_opts, f)

const fx_opt fx_queue_options[] = {
    {"arrivals", 'a', FX_OPT_STRING, "SPEC", OFF(arrivals),
     "inter-arrival time distribution (default: exp:1ms)", NULL},
    {"service", 's', FX_OPT_STRING, "SPEC", OFF(service),
     "service time distribution (default: exp:800us)", NULL},
    {"servers", 'c', FX_OPT_U64, "C", OFF(servers), "servers per station (default: 1)", NULL},
    {"capacity", 'K', FX_OPT_U64, "K", OFF(capacity),
     "jobs a station holds at most, 0 for no limit (default: 0)", NULL},
    {"stations", 0, FX_OPT_U64, "N", OFF(stations), "identical stations in series (default: 1)",
     NULL},
    {"discipline", 'd', FX_OPT_CHOICE, "fcfs|ps|delay", OFF(discipline),
     "scheduling discipline (default: fcfs)", disciplines},
    {"speed", 0, FX_OPT_DOUBLE, "X", OFF(speed),
     "server speed: service times are divided by X (default: 1)", NULL},
    {"customers", 'n', FX_OPT_U64, "N", OFF(customers), "customers to generate (default: 1000000)",
     NULL},
    {"warmup", 'w', FX_OPT_U64, "N", OFF(warmup),
     "customers not measured at the start (default: a tenth of --customers)", NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed), "master random seed (default: 1)", NULL},
    {"format", 'f', FX_OPT_CHOICE, "table|json|csv", OFF(format), "output format (default: table)",
     formats},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the result to FILE (atomically) instead of stdout", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_queue_description[] =
    "Simulates customers arriving at a station (or --stations identical\n"
    "stations in series) and prints the response-time statistics next to what\n"
    "queueing theory predicts when a closed form exists: M/M/c (Erlang C),\n"
    "M/G/1 (Pollaczek-Khinchine), M/G/1-PS, M/M/c/K, infinite-server delay, and\n"
    "Jackson tandems of those. The confidence interval of the mean comes from\n"
    "batch means. Distributions: see 'fluxosim list distributions'.\n\n"
    "example: fluxosim queue --arrivals exp:1ms --service exp:2.4ms --servers 3\n";

typedef struct run {
    queue_opts o;
    fx_tandem_spec spec;
    fx_tandem_result res;
    int has_theory;
    double theory, theory_block;
    const char *method;
    double ci_mean, ci_half;
} run;

static const char *disc_name(fx_discipline d)
{
    return disciplines[d];
}

static cJSON *build_json(const run *r)
{
    const fx_tandem_result *res = &r->res;
    cJSON *doc = cJSON_CreateObject();
    char buf[128];
    cJSON_AddStringToObject(doc, "arch", "queue");
    cJSON *model = cJSON_AddObjectToObject(doc, "model");
    cJSON_AddStringToObject(model, "arrivals", fx_dist_format(&r->spec.arrivals, buf, sizeof buf));
    cJSON_AddStringToObject(model, "service",
                            fx_dist_format(&r->spec.stages[0].service, buf, sizeof buf));
    cJSON_AddNumberToObject(model, "servers", (double)r->o.servers);
    cJSON_AddNumberToObject(model, "capacity", (double)r->o.capacity);
    cJSON_AddNumberToObject(model, "stations", (double)r->o.stations);
    cJSON_AddStringToObject(model, "discipline", disc_name(r->o.discipline));
    cJSON_AddNumberToObject(model, "speed", r->o.speed);
    cJSON_AddNumberToObject(model, "warmup", (double)r->o.warmup);

    cJSON_AddNumberToObject(doc, "requests", (double)(res->completed + res->dropped));
    cJSON_AddNumberToObject(doc, "completed", (double)res->completed);
    cJSON_AddNumberToObject(doc, "failed", 0);
    cJSON_AddNumberToObject(doc, "dropped", (double)res->dropped);
    cJSON *lat = cJSON_AddObjectToObject(doc, "latency_ms");
    cJSON_AddNumberToObject(lat, "mean", fx_moments_mean(&res->response) * 1e-6);
    static const struct {
        const char *key;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        cJSON_AddNumberToObject(lat, qs[i].key, fx_hist_quantile(res->hist, qs[i].q) * 1e-6);
    cJSON_AddNumberToObject(lat, "max", (double)res->hist->max * 1e-6);
    cJSON_AddNumberToObject(lat, "mean_ci95", isfinite(r->ci_half) ? r->ci_half * 1e-6 : -1);
    cJSON_AddNumberToObject(doc, "throughput_rps", res->throughput);
    cJSON_AddNumberToObject(doc, "cost_per_hour", 0);
    cJSON_AddNumberToObject(doc, "stale_responses", 0);
    cJSON *pools = cJSON_AddArrayToObject(doc, "pools");
    for (size_t k = 0; k < r->spec.nstages; k++) {
        const fx_station_stats *s = &res->stages[k];
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "id", r->spec.stages[k].station.name);
        cJSON_AddNumberToObject(p, "servers", (double)r->o.servers);
        cJSON_AddNumberToObject(p, "utilization", s->utilization);
        cJSON_AddNumberToObject(p, "mean_queue", s->mean_queue);
        cJSON_AddNumberToObject(p, "mean_wait_ms", s->mean_wait * 1e-6);
        cJSON_AddNumberToObject(p, "dropped", (double)s->dropped);
        cJSON_AddItemToArray(pools, p);
    }
    cJSON_AddArrayToObject(doc, "caches");
    cJSON *th = cJSON_AddObjectToObject(doc, "theory");
    if (r->has_theory) {
        cJSON_AddStringToObject(th, "method", r->method);
        if (isfinite(r->theory))
            cJSON_AddNumberToObject(th, "mean_ms", r->theory * 1e-6);
        else
            cJSON_AddStringToObject(th, "mean_ms", "unstable");
        cJSON_AddNumberToObject(th, "blocking", r->theory_block);
    } else {
        cJSON_AddStringToObject(th, "method", "none");
    }
    cJSON *little = cJSON_AddObjectToObject(doc, "littles_law");
    cJSON_AddNumberToObject(little, "L", res->mean_present);
    cJSON_AddNumberToObject(little, "lambda_W",
                            res->throughput * fx_moments_mean(&res->response) * 1e-9);
    cJSON *sim = cJSON_AddObjectToObject(doc, "sim");
    cJSON_AddNumberToObject(sim, "events", (double)res->events);
    cJSON_AddNumberToObject(sim, "wall_s", res->wall_s);
    cJSON_AddNumberToObject(sim, "events_per_s",
                            res->wall_s > 0 ? (double)res->events / res->wall_s : 0);
    cJSON_AddNumberToObject(sim, "seed", (double)r->o.seed);
    return doc;
}

static char *build_table(const run *r)
{
    const fx_tandem_result *res = &r->res;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    char a[64], s[64];
    fprintf(f, "model       arrivals %s, service %s, %llu x %s with %llu server%s",
            fx_dist_format(&r->spec.arrivals, a, sizeof a),
            fx_dist_format(&r->spec.stages[0].service, s, sizeof s),
            (unsigned long long)r->o.stations, disc_name(r->o.discipline),
            (unsigned long long)r->o.servers, r->o.servers == 1 ? "" : "s");
    if (r->o.capacity)
        fprintf(f, ", capacity %llu", (unsigned long long)r->o.capacity);
    fprintf(f, "\ncustomers   %llu measured of %llu (warm-up %llu), %llu dropped\n\n",
            (unsigned long long)res->completed, (unsigned long long)res->arrivals,
            (unsigned long long)r->o.warmup, (unsigned long long)res->dropped);
    fprintf(f, "response (ms)   simulated     95%% CI       theory\n");
    fprintf(f, "  mean       %12.4f  +/- %-9.4f", fx_moments_mean(&res->response) * 1e-6,
            r->ci_half * 1e-6);
    if (r->has_theory)
        fprintf(f, " %10.4f  (%s)\n", r->theory * 1e-6, r->method);
    else
        fprintf(f, " %10s\n", "-");
    static const struct {
        const char *name;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p99.9", 0.999}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        fprintf(f, "  %-9s  %12.4f\n", qs[i].name, fx_hist_quantile(res->hist, qs[i].q) * 1e-6);
    fprintf(f, "  %-9s  %12.4f\n", "max", (double)res->hist->max * 1e-6);
    if (r->o.capacity) {
        double total = (double)(res->completed + res->dropped);
        fprintf(f, "  blocking   %12.6f", total > 0 ? (double)res->dropped / total : 0);
        if (r->has_theory)
            fprintf(f, "               %10.6f", r->theory_block);
        fputc('\n', f);
    }
    fprintf(f, "\nthroughput  %.2f per second;  Little's law: L = %.4f, lambda*W = %.4f\n\n",
            res->throughput, res->mean_present,
            res->throughput * fx_moments_mean(&res->response) * 1e-9);
    fprintf(f, "%-10s %7s %11s %10s %13s\n", "station", "servers", "utilization", "mean_queue",
            "mean_wait_ms");
    for (size_t k = 0; k < r->spec.nstages; k++) {
        const fx_station_stats *st = &res->stages[k];
        fprintf(f, "%-10s %7llu %11.4f %10.4f %13.4f\n", r->spec.stages[k].station.name,
                (unsigned long long)r->o.servers, st->utilization, st->mean_queue,
                st->mean_wait * 1e-6);
    }
    fprintf(f, "\n%llu events in %.3f s (%.3g events per second), seed %llu\n",
            (unsigned long long)res->events, res->wall_s,
            res->wall_s > 0 ? (double)res->events / res->wall_s : 0.0,
            (unsigned long long)r->o.seed);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static char *build_csv(const run *r)
{
    const fx_tandem_result *res = &r->res;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("customers,completed,dropped,mean_ms,mean_ci95_ms,p50_ms,p90_ms,p95_ms,p99_ms,"
          "p999_ms,max_ms,throughput_rps,theory_mean_ms,events,seed\n",
          f);
    fprintf(f, "%llu,%llu,%llu,%.9g,%.9g", (unsigned long long)res->arrivals,
            (unsigned long long)res->completed, (unsigned long long)res->dropped,
            fx_moments_mean(&res->response) * 1e-6, r->ci_half * 1e-6);
    static const double qs[] = {0.5, 0.9, 0.95, 0.99, 0.999};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        fprintf(f, ",%.9g", fx_hist_quantile(res->hist, qs[i]) * 1e-6);
    fprintf(f, ",%.9g,%.9g,", (double)res->hist->max * 1e-6, res->throughput);
    if (r->has_theory && isfinite(r->theory))
        fprintf(f, "%.9g", r->theory * 1e-6);
    fprintf(f, ",%llu,%llu\n", (unsigned long long)res->events, (unsigned long long)r->o.seed);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static int parse_dist(const char *what, const char *spec, fx_dist *d)
{
    fx_err e;
    if (fx_dist_parse(spec, d, &e) != FX_OK) {
        fx_cli_error("queue: --%s: %s", what, e.msg);
        return -1;
    }
    return 0;
}

int fx_cmd_queue(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    queue_opts *o = &r.o;
    o->arrivals = "exp:1ms";
    o->service = "exp:800us";
    o->servers = 1;
    o->stations = 1;
    o->speed = 1;
    o->customers = 1000000;
    o->warmup = UINT64_MAX;
    o->seed = 1;

    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos)
        return FX_EXIT_FAIL;
    int rc = fx_opts_parse("queue", fx_queue_options, o, argc, argv, pos, &npos);
    if (rc == 0 && npos > 0) {
        fx_cli_error("queue: expected no arguments, found \"%s\"", pos[0]);
        rc = -1;
    }
    free(pos);
    if (rc < 0)
        return FX_EXIT_USAGE;
    if (o->warmup == UINT64_MAX)
        o->warmup = o->customers / 10;
    if (o->servers < 1 || o->servers > 1000000) {
        fx_cli_error("queue: --servers: expected an integer from 1 to 1000000, found %llu",
                     (unsigned long long)o->servers);
        return FX_EXIT_USAGE;
    }
    if (o->capacity && o->capacity < o->servers) {
        fx_cli_error("queue: --capacity: expected 0 or at least --servers (%llu), found %llu",
                     (unsigned long long)o->servers, (unsigned long long)o->capacity);
        return FX_EXIT_USAGE;
    }
    if (o->capacity > 100000000) {
        fx_cli_error("queue: --capacity: expected at most 100000000, found %llu",
                     (unsigned long long)o->capacity);
        return FX_EXIT_USAGE;
    }
    if (o->stations < 1 || o->stations > 1000) {
        fx_cli_error("queue: --stations: expected an integer from 1 to 1000, found %llu",
                     (unsigned long long)o->stations);
        return FX_EXIT_USAGE;
    }
    if (!(o->speed > 0)) {
        fx_cli_error("queue: --speed: expected a positive number, found %g", o->speed);
        return FX_EXIT_USAGE;
    }
    if (o->customers < 1 || o->warmup >= o->customers) {
        fx_cli_error("queue: --customers: expected more than --warmup (%llu), found %llu",
                     (unsigned long long)o->warmup, (unsigned long long)o->customers);
        return FX_EXIT_USAGE;
    }

    int code = FX_EXIT_USAGE;
    fx_tandem_stage *stages = calloc(o->stations, sizeof *stages);
    char(*names)[32] = calloc(o->stations, sizeof *names);
    if (!stages || !names) {
        fx_cli_error("queue: out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    if (parse_dist("arrivals", o->arrivals, &r.spec.arrivals) < 0)
        goto done;
    for (size_t k = 0; k < o->stations; k++) {
        snprintf(names[k], sizeof names[k], "station%zu", k + 1);
        stages[k].station.name = names[k];
        stages[k].station.discipline = (fx_discipline)o->discipline;
        stages[k].station.servers = (unsigned)o->servers;
        stages[k].station.capacity = (unsigned)o->capacity;
        stages[k].station.speed = o->speed;
        if (parse_dist("service", o->service, &stages[k].service) < 0)
            goto done;
    }
    r.spec.stages = stages;
    r.spec.nstages = o->stations;
    r.spec.customers = o->customers;
    r.spec.warmup = o->warmup;
    r.spec.seed = o->seed;

    fx_err e;
    if (fx_tandem_run(&r.spec, &r.res, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    r.has_theory = fx_tandem_theory(&r.spec, &r.theory, &r.theory_block, &r.method);
    fx_batch_ci(&r.res.batch, 0.95, &r.ci_mean, &r.ci_half);

    char *text = NULL;
    if (o->format == FMT_JSON) {
        text = fx_json_print_doc(build_json(&r));
    } else if (o->format == FMT_CSV) {
        text = build_csv(&r);
    } else {
        text = build_table(&r);
    }
    if (!text) {
        fx_cli_error("queue: out of memory");
        code = FX_EXIT_FAIL;
    } else if (fx_output_write(o->output, text, strlen(text), &e) != FX_OK) {
        code = fx_cli_fail(&e);
    } else {
        code = FX_EXIT_OK;
    }
    free(text);
    fx_tandem_result_free(&r.res);

done:
    fx_dist_free(&r.spec.arrivals);
    if (stages)
        for (size_t k = 0; k < o->stations; k++)
            fx_dist_free(&stages[k].service);
    free(stages);
    free(names);
    return code;
}
