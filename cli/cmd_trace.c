/* cmd_trace.c - `fluxosim trace`: generate synthetic traces (gen, gen
 * weather), summarise a trace (stats) and import a log (import).
 *
 * One options struct serves the four forms; each form parses with its own
 * table, so an option of another form is an unknown option there, and
 * fx_trace_options, their union, is what `fluxosim help trace` shows. */
#include "cli/cmd_trace.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "models/json.h"
#include "cli/output.h"
#include "models/service.h"
#include "sim/pcg.h"
#include "sim/stats.h"
#include "traces/gen.h"
#include "traces/import.h"
#include "traces/trace.h"

enum { FMT_TABLE, FMT_JSON };

static const char *const formats[] = {"table", "json", NULL};

typedef struct trace_opts {
    const char *service;
    const char *arrivals;
    const char *keys;
    int workload;
    double rate;
    uint64_t requests;
    uint64_t seed;
    int format;
    uint64_t top;
    const char *output;
    /* import */
    const char *import_format;
    const char *name;
    const char *emit_service, *emit_arch;
    uint64_t window;
    int strict, quiet;
    int keep_query;
    const char *status;
    uint64_t service_field;
    int service_unit;
    const char *col_time, *col_key, *col_bytes, *col_service;
    int time_unit;
    const char *sep;
    int skip_header, spread;
    int reader; /* stats */
} trace_opts;

/* --window not given. */
#define WINDOW_UNSET UINT64_MAX

#define OFF(f) offsetof(trace_opts, f)

const fx_opt fx_trace_gen_options[] = {
    {"service", 's', FX_OPT_STRING, "FILE", OFF(service),
     "the service file whose nodes and profiles to use (required)", NULL},
    {"arrivals", 'a', FX_OPT_STRING, "SPEC", OFF(arrivals),
     "poisson:RATE (per second) or an inter-arrival distribution (default: poisson:100)", NULL},
    {"keys", 'k', FX_OPT_STRING, "SPEC", OFF(keys),
     "zipf:ALPHA,N or uniform:N: request keys 1..N (default: zipf:1,1000)", NULL},
    {"requests", 'n', FX_OPT_U64, "N", OFF(requests), "requests to generate (default: 20000)",
     NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed), "master random seed (default: 1)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the trace to FILE, atomically; FILE.gz is compressed (default: stdout)", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const fx_opt fx_trace_weather_options[] = {
    {"workload", 'w', FX_OPT_CHOICE, "NAME", OFF(workload),
     "popular, longtail or storm (default: popular)", fx_weather_workloads},
    {"rate", 'r', FX_OPT_DOUBLE, "R", OFF(rate), "mean requests per second (default: 200)", NULL},
    {"requests", 'n', FX_OPT_U64, "N", OFF(requests), "requests to generate (default: 20000)",
     NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed), "master random seed (default: 1)", NULL},
    {"service", 's', FX_OPT_STRING, "FILE", OFF(service),
     "the weather service file (default: " FX_TRACE_DEFAULT_SERVICE ")", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the trace to FILE, atomically; FILE.gz is compressed (default: stdout)", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const fx_opt fx_trace_stats_options[] = {
    {"service", 's', FX_OPT_STRING, "FILE", OFF(service),
     "the trace's service file (default: " FX_TRACE_DEFAULT_SERVICE ")", NULL},
    {"format", 'f', FX_OPT_CHOICE, "table|json", OFF(format), "output format (default: table)",
     formats},
    {"top", 0, FX_OPT_U64, "K", OFF(top), "list the K most frequent keys (default: 10)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the summary to FILE, atomically (default: stdout)", NULL},
    FX_OPT_READER(OFF(reader)),
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const fx_opt fx_trace_import_options[] = {
    {"format", 0, FX_OPT_STRING, "NAME", OFF(import_format),
     "the input's format: clf, combined, csv, oracle-general (required)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the trace to FILE, atomically; FILE.gz is compressed (default: stdout)", NULL},
    {"name", 0, FX_OPT_STRING, "ID", OFF(name),
     "the service's name (default: the output's file name without .trace)", NULL},
    {"emit-service", 0, FX_OPT_STRING, "FILE", OFF(emit_service),
     "also write a one-node service file fitted to the input", NULL},
    {"emit-arch", 0, FX_OPT_STRING, "FILE", OFF(emit_arch),
     "also write a baseline architecture for it (needs --emit-service)", NULL},
    {"window", 0, FX_OPT_U64, "SECONDS", OFF(window),
     "sort input up to SECONDS out of order, 0 to 86400 (default: 300)", NULL},
    {"strict", 0, FX_OPT_FLAG, NULL, OFF(strict), "stop at the first bad line", NULL},
    {"quiet", 'q', FX_OPT_FLAG, NULL, OFF(quiet), "no summary on stderr", NULL},
    {"keep-query", 0, FX_OPT_FLAG, NULL, OFF(keep_query),
     "clf, combined: keep the ?query in the key", NULL},
    {"status", 0, FX_OPT_STRING, "LIST", OFF(status),
     "clf, combined: statuses to import, e.g. 200,304,4xx or all (default: 2xx,3xx)", NULL},
    {"service-field", 0, FX_OPT_U64, "N", OFF(service_field),
     "clf, combined: the service time is the N-th field after the standard ones", NULL},
    {"service-unit", 0, FX_OPT_CHOICE, "UNIT", OFF(service_unit),
     "unit of the service times: s, ms, us, ns (default: us)", fx_import_units},
    {"time", 0, FX_OPT_STRING, "COL", OFF(col_time), "csv: the time column (number or name)", NULL},
    {"key", 0, FX_OPT_STRING, "COL", OFF(col_key), "csv: the key column", NULL},
    {"bytes", 0, FX_OPT_STRING, "COL", OFF(col_bytes), "csv: the size column", NULL},
    {"service", 0, FX_OPT_STRING, "COL", OFF(col_service), "csv: the service-time column", NULL},
    {"time-unit", 0, FX_OPT_CHOICE, "UNIT", OFF(time_unit),
     "csv: unit of the time column: s, ms, us, ns (default: s)", fx_import_units},
    {"sep", 0, FX_OPT_STRING, "CHAR", OFF(sep),
     "csv: the separator, one character or tab (default: ,); ' ' splits at blank runs", NULL},
    {"skip-header", 0, FX_OPT_FLAG, NULL, OFF(skip_header), "csv: the first line names the columns",
     NULL},
    {"spread", 0, FX_OPT_FLAG, NULL, OFF(spread),
     "csv: whole-second times; spread each second's requests over it", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const fx_opt fx_trace_options[] = {
    {"service", 's', FX_OPT_STRING, "FILE", OFF(service),
     "the service file (gen: required; stats: " FX_TRACE_DEFAULT_SERVICE "); import csv: a column",
     NULL},
    {"arrivals", 'a', FX_OPT_STRING, "SPEC", OFF(arrivals),
     "gen: poisson:RATE or an inter-arrival distribution (default: poisson:100)", NULL},
    {"keys", 'k', FX_OPT_STRING, "SPEC", OFF(keys),
     "gen: zipf:ALPHA,N or uniform:N (default: zipf:1,1000)", NULL},
    {"workload", 'w', FX_OPT_CHOICE, "NAME", OFF(workload),
     "gen weather: popular, longtail or storm (default: popular)", fx_weather_workloads},
    {"rate", 'r', FX_OPT_DOUBLE, "R", OFF(rate),
     "gen weather: mean requests per second (default: 200)", NULL},
    {"requests", 'n', FX_OPT_U64, "N", OFF(requests), "gen: requests to generate (default: 20000)",
     NULL},
    {"seed", 0, FX_OPT_U64, "N", OFF(seed), "gen: master random seed (default: 1)", NULL},
    {"format", 'f', FX_OPT_STRING, "NAME", OFF(import_format),
     "stats: table or json (default: table); import: the input's format", NULL},
    {"top", 0, FX_OPT_U64, "K", OFF(top), "stats: the K most frequent keys (default: 10)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write to FILE, atomically; FILE.gz is compressed (default: stdout)", NULL},
    {"name", 0, FX_OPT_STRING, "ID", OFF(name),
     "import: the service's name (default: from the output's file name)", NULL},
    {"emit-service", 0, FX_OPT_STRING, "FILE", OFF(emit_service),
     "import: also write a one-node service fitted to the input", NULL},
    {"emit-arch", 0, FX_OPT_STRING, "FILE", OFF(emit_arch),
     "import: also write a baseline architecture (needs --emit-service)", NULL},
    {"window", 0, FX_OPT_U64, "SECONDS", OFF(window),
     "import: sort input up to SECONDS out of order (default: 300)", NULL},
    {"strict", 0, FX_OPT_FLAG, NULL, OFF(strict), "import: stop at the first bad line", NULL},
    {"quiet", 'q', FX_OPT_FLAG, NULL, OFF(quiet), "import: no summary on stderr", NULL},
    {"keep-query", 0, FX_OPT_FLAG, NULL, OFF(keep_query),
     "import clf, combined: keep the ?query in the key", NULL},
    {"status", 0, FX_OPT_STRING, "LIST", OFF(status),
     "import clf, combined: statuses to import (default: 2xx,3xx)", NULL},
    {"service-field", 0, FX_OPT_U64, "N", OFF(service_field),
     "import clf, combined: service time in field N after the usual ones", NULL},
    {"service-unit", 0, FX_OPT_CHOICE, "UNIT", OFF(service_unit),
     "import: unit of the service times, s|ms|us|ns (default: us)", fx_import_units},
    {"time", 0, FX_OPT_STRING, "COL", OFF(col_time), "import csv: the time column", NULL},
    {"key", 0, FX_OPT_STRING, "COL", OFF(col_key), "import csv: the key column", NULL},
    {"bytes", 0, FX_OPT_STRING, "COL", OFF(col_bytes), "import csv: the size column", NULL},
    {"time-unit", 0, FX_OPT_CHOICE, "UNIT", OFF(time_unit),
     "import csv: unit of the time column, s|ms|us|ns (default: s)", fx_import_units},
    {"sep", 0, FX_OPT_STRING, "CHAR", OFF(sep), "import csv: the separator (default: ,)", NULL},
    {"skip-header", 0, FX_OPT_FLAG, NULL, OFF(skip_header),
     "import csv: the first line names the columns", NULL},
    {"spread", 0, FX_OPT_FLAG, NULL, OFF(spread),
     "import csv: spread each whole second's requests over it", NULL},
    {"reader", 0, FX_OPT_CHOICE, "auto|thread|inline", OFF(reader),
     "stats: parse the trace in a thread of its own (auto: when 2+ CPUs are online)",
     fx_reader_modes},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_trace_usage[] = "fluxosim trace gen --service FILE [OPTIONS]\n"
                              "       fluxosim trace gen weather [OPTIONS]\n"
                              "       fluxosim trace stats TRACE [OPTIONS]\n"
                              "       fluxosim trace import --format FORMAT INPUT -o OUT [OPTIONS]";

const char fx_trace_description[] =
    "trace gen writes a synthetic trace of the service in --service: each\n"
    "request draws its arrival time from --arrivals, its key (a rank 1..N,\n"
    "written in decimal; \"1\" is the most popular) from --keys, and every node's\n"
    "demand from that node's profile. A node's output hash is a function of the\n"
    "node and the key, so the same key gives the same outputs, except that a\n"
    "node with volatile_s > 0 changes its output every volatile_s seconds of\n"
    "trace time (volatile_s 0: every request). Output sizes are near out_bytes.\n"
    "The same --seed gives the same file, byte for byte.\n\n"
    "trace gen weather writes a workload of the weather example, keyed by\n"
    "5-digit ZIP codes: geocode maps a ZIP code to one of 500 forecast cells,\n"
    "forecast depends on the cell, render on the forecast and the ZIP code.\n"
    "  popular   zipf 1.1 over 5000 ZIP codes: a few hundred carry most requests\n"
    "  longtail  40000 ZIP codes, nearly uniform: keys rarely repeat, cells do\n"
    "  storm     forecasts change every 60 s; the rate climbs from 0.4 R to 1.6 R\n"
    "Demands come from the profiles in the service file.\n\n"
    "trace stats summarises TRACE: requests, time span, mean rate, distinct keys,\n"
    "per node the mean and coefficient of variation of demand and output size and\n"
    "the distinct output hashes, and the --top most frequent keys. Distinct keys\n"
    "and hashes are counted exactly, in memory that grows with their number.\n"
    "Node names come from --service; the trace's #service header must name the\n"
    "same service.\n\n"
    "trace import turns a log into a trace of a one-node service (node serve):\n"
    "  clf, combined    Apache/nginx access logs: key the request path (--keep-query\n"
    "                   keeps the query), bytes the response size, statuses\n"
    "                   --status (2xx,3xx); a service time from --service-field N\n"
    "  csv              --time COL --key COL [--bytes COL] [--service COL], columns\n"
    "                   by number or, with --skip-header, by name\n"
    "  oracle-general   24-byte binary records of cache-trace studies\n"
    "Inputs may be gzip-compressed or - (stdin). Times start at 0; whole-second\n"
    "times are spread: the i-th of n requests in second s arrives at\n"
    "s + (i + 0.5)/n. Input out of order by up to --window seconds is sorted;\n"
    "later lines are skipped. Bad lines are skipped and counted by reason in a\n"
    "summary on stderr (--strict: the first one is an error). --emit-service and\n"
    "--emit-arch write files that replay the trace at once.\n\n"
    "examples:\n"
    "  fluxosim trace gen weather --workload longtail --requests 100000 -o lt.trace\n"
    "  fluxosim trace gen --service my.service.json --arrivals poisson:500 \\\n"
    "      --keys uniform:10000 --requests 1000000 --seed 7 -o my.trace.gz\n"
    "  fluxosim trace stats lt.trace --top 5\n"
    "  fluxosim trace import --format combined access.log.gz -o site.trace \\\n"
    "      --emit-service site.service.json --emit-arch site.json\n";

/* ---- gen ------------------------------------------------------------------- */

static int check_requests(const trace_opts *o)
{
    if (o->requests < 1 || o->requests > FX_GEN_REQUESTS_MAX) {
        fx_cli_error("trace: --requests: expected an integer from 1 to %llu, found %llu",
                     (unsigned long long)FX_GEN_REQUESTS_MAX, (unsigned long long)o->requests);
        return -1;
    }
    return 0;
}

/* Parse ARGV with TABLE into O; positional arguments are an error. */
static int parse_no_pos(const fx_opt *table, trace_opts *o, int argc, char **argv, const char *form)
{
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos) {
        fx_cli_error("out of memory");
        return -1;
    }
    int rc = fx_opts_parse("trace", table, o, argc, argv, pos, &npos);
    if (rc == 0 && npos > 0) {
        fx_cli_error("%s: expected no arguments, found \"%s\"%s", form, pos[0],
                     strcmp(pos[0], "weather") == 0 ? " (the weather generator is 'fluxosim "
                                                      "trace gen weather ...')"
                                                    : "");
        rc = -1;
    }
    free(pos);
    return rc;
}

/* Load the service file, reporting failures; returns the exit code. */
static int load_service(const char *path, fx_service **svc)
{
    fx_err e;
    fx_err_clear(&e);
    if (fx_service_load(path, svc, &e) != FX_OK)
        return fx_cli_fail(&e);
    return FX_EXIT_OK;
}

/* Stream G into the output; returns the exit code. */
static int write_trace(fx_gen *g, const char *output, const char *svc_path)
{
    fx_err e;
    fx_err_clear(&e);
    if (output && fx_output_same_file(output, svc_path)) {
        fx_cli_error("trace gen: %s: expected an output file apart from the inputs, found the "
                     "service file itself",
                     output);
        return FX_EXIT_USAGE;
    }
    if (fx_gen_write(g, output ? output : "-", &e) != FX_OK)
        return fx_cli_fail(&e);
    return FX_EXIT_OK;
}

static int gen_generic(int argc, char **argv)
{
    trace_opts o = {0};
    o.arrivals = "poisson:100";
    o.keys = "zipf:1,1000";
    o.requests = 20000;
    o.seed = 1;
    if (parse_no_pos(fx_trace_gen_options, &o, argc, argv, "trace gen") < 0)
        return FX_EXIT_USAGE;
    if (!o.service) {
        fx_cli_error("trace gen: expected --service FILE, found none (or 'trace gen weather')");
        return FX_EXIT_USAGE;
    }
    if (check_requests(&o) < 0)
        return FX_EXIT_USAGE;
    /* The specs are options: check them before reading any file. */
    fx_err e;
    fx_keys keys;
    fx_dist arr;
    if (fx_keys_parse(o.keys, &keys, &e) != FX_OK) {
        fx_cli_error("trace gen: --keys: %s", e.msg);
        return FX_EXIT_USAGE;
    }
    if (fx_arrivals_parse(o.arrivals, &arr, &e) != FX_OK) {
        fx_cli_error("trace gen: --arrivals: %s", e.msg);
        return FX_EXIT_USAGE;
    }
    fx_dist_free(&arr);

    fx_service *svc = NULL;
    int code = load_service(o.service, &svc);
    if (code != FX_EXIT_OK)
        return code;
    fx_gen_spec spec = {o.arrivals, o.keys, o.requests, o.seed};
    fx_gen *g = NULL;
    if (fx_gen_alloc(svc, &spec, &g, &e) != FX_OK)
        code = fx_cli_fail(&e);
    else
        code = write_trace(g, o.output, o.service);
    fx_gen_free(g);
    fx_service_free(svc);
    return code;
}

static int gen_weather(int argc, char **argv)
{
    trace_opts o = {0};
    o.service = FX_TRACE_DEFAULT_SERVICE;
    o.workload = FX_WEATHER_POPULAR;
    o.rate = FX_WEATHER_RATE;
    o.requests = 20000;
    o.seed = 1;
    if (parse_no_pos(fx_trace_weather_options, &o, argc, argv, "trace gen weather") < 0)
        return FX_EXIT_USAGE;
    if (check_requests(&o) < 0)
        return FX_EXIT_USAGE;
    if (!(o.rate > 0) || o.rate > 1e9) {
        fx_cli_error("trace gen weather: --rate: expected requests per second above 0 and at "
                     "most 1e9, found %g",
                     o.rate);
        return FX_EXIT_USAGE;
    }
    fx_service *svc = NULL;
    int code = load_service(o.service, &svc);
    if (code != FX_EXIT_OK)
        return code;
    fx_err e;
    fx_gen *g = NULL;
    if (fx_gen_weather_alloc(svc, (fx_weather_workload)o.workload, o.requests, o.rate, o.seed, &g,
                             &e) != FX_OK)
        code = fx_cli_fail(&e);
    else
        code = write_trace(g, o.output, o.service);
    fx_gen_free(g);
    fx_service_free(svc);
    return code;
}

/* ---- stats: exact counting in open-addressing tables ----------------------- */

typedef struct key_entry {
    uint64_t hash;
    uint64_t count;
    char *key; /* NULL: empty slot */
} key_entry;

typedef struct key_table {
    key_entry *slots;
    size_t cap, n; /* cap is a power of two */
    char *arena;   /* keys are copied into blocks chained by their first word */
    size_t arena_used, arena_cap;
} key_table;

#define ARENA_BLOCK (1u << 20)

static void key_table_free(key_table *t)
{
    free(t->slots);
    char *b = t->arena;
    while (b) {
        char *next;
        memcpy(&next, b, sizeof next);
        free(b);
        b = next;
    }
}

static char *arena_copy(key_table *t, const char *s, size_t len)
{
    size_t need = len + 1;
    if (!t->arena || t->arena_used + need > t->arena_cap) {
        size_t cap = sizeof(char *) + (need > ARENA_BLOCK ? need : ARENA_BLOCK);
        char *b = malloc(cap);
        if (!b)
            return NULL;
        memcpy(b, &t->arena, sizeof t->arena);
        t->arena = b;
        t->arena_used = sizeof(char *);
        t->arena_cap = cap;
    }
    char *p = t->arena + t->arena_used;
    memcpy(p, s, len);
    p[len] = '\0';
    t->arena_used += need;
    return p;
}

static int key_table_grow(key_table *t)
{
    size_t cap = t->cap ? 2 * t->cap : 1024;
    key_entry *s = calloc(cap, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].key)
            continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (s[j].key)
            j = (j + 1) & (cap - 1);
        s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
    return 0;
}

static int key_table_add(key_table *t, const char *key, size_t len)
{
    if (2 * (t->n + 1) > t->cap && key_table_grow(t) < 0)
        return -1;
    uint64_t h = fx_mix64(fx_hash_str(key));
    size_t j = h & (t->cap - 1);
    while (t->slots[j].key) {
        if (t->slots[j].hash == h && strcmp(t->slots[j].key, key) == 0) {
            t->slots[j].count++;
            return 0;
        }
        j = (j + 1) & (t->cap - 1);
    }
    char *copy = arena_copy(t, key, len);
    if (!copy)
        return -1;
    t->slots[j] = (key_entry){h, 1, copy};
    t->n++;
    return 0;
}

/* A set of 64-bit hashes; 0 is kept apart since it marks empty slots. */
typedef struct hash_set {
    uint64_t *slots;
    size_t cap, n;
    int has_zero;
} hash_set;

static int hash_set_add(hash_set *s, uint64_t h)
{
    if (h == 0) {
        s->n += !s->has_zero;
        s->has_zero = 1;
        return 0;
    }
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i])
                continue;
            size_t j = fx_mix64(s->slots[i]) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = t;
        s->cap = cap;
    }
    size_t j = fx_mix64(h) & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == h)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = h;
    s->n++;
    return 0;
}

typedef struct node_stats {
    fx_moments demand_us; /* over lines with the node */
    fx_moments bytes;     /* over lines with its bytes */
    uint64_t hashed;      /* lines with its hash */
    hash_set hashes;
} node_stats;

/* Arrivals per time bucket, for the rate by quarter of the span: at most
 * RATE_BUCKETS buckets, whose width doubles (merging pairs) as the span
 * grows, so memory stays constant. */
#define RATE_BUCKETS 4096

typedef struct stats {
    const char *trace;
    const char *service;
    uint64_t requests;
    fx_time first, last;
    uint64_t buckets[RATE_BUCKETS];
    fx_time width; /* ns per bucket, from the first arrival */
    key_table keys;
    node_stats *nodes;
    const fx_service *svc;
    key_entry *top; /* the most frequent keys, count descending then key */
    size_t ntop;
} stats;

static int by_count(const void *a, const void *b)
{
    const key_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static double cv_of(const fx_moments *m)
{
    double mean = fx_moments_mean(m);
    return mean > 0 ? sqrt(fx_moments_var(m)) / mean : 0.0;
}

static double span_s(const stats *s)
{
    return s->requests ? (double)(s->last - s->first) * 1e-9 : 0.0;
}

static void count_arrival(stats *s, fx_time t)
{
    uint64_t i = (uint64_t)(t - s->first) / (uint64_t)s->width;
    while (i >= RATE_BUCKETS) {
        for (size_t k = 0; k < RATE_BUCKETS / 2; k++)
            s->buckets[k] = s->buckets[2 * k] + s->buckets[2 * k + 1];
        memset(s->buckets + RATE_BUCKETS / 2, 0, sizeof s->buckets / 2);
        s->width *= 2;
        i = (uint64_t)(t - s->first) / (uint64_t)s->width;
    }
    s->buckets[i]++;
}

/* Requests per second in each quarter of the span, a bucket counting in
 * the quarter of its middle (exact to a bucket, under 1/2048 of the span). */
static void quarter_rates(const stats *s, double q[4])
{
    double count[4] = {0};
    double span = (double)(s->last - s->first);
    for (size_t i = 0; i < RATE_BUCKETS; i++) {
        if (!s->buckets[i])
            continue;
        int k = span > 0 ? (int)(4.0 * ((double)i + 0.5) * (double)s->width / span) : 0;
        count[k < 0 ? 0 : k > 3 ? 3 : k] += (double)s->buckets[i];
    }
    for (int k = 0; k < 4; k++)
        q[k] = span > 0 ? count[k] / (span * 0.25e-9) : 0.0;
}

/* Arrivals per second between the first and the last: (N - 1) / span. */
static double rate_of(const stats *s)
{
    double span = span_s(s);
    return s->requests > 1 && span > 0 ? (double)(s->requests - 1) / span : 0.0;
}

static char *stats_table(const stats *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "trace          %s\n", s->trace);
    fprintf(f, "service        %s\n", s->service);
    fprintf(f, "requests       %llu\n", (unsigned long long)s->requests);
    fprintf(f, "span           %.3f s (first arrival at %.6f s, last at %.6f s)\n", span_s(s),
            (double)s->first * 1e-9, (double)s->last * 1e-9);
    double q[4];
    quarter_rates(s, q);
    fprintf(f, "mean rate      %.2f requests per second\n", rate_of(s));
    fprintf(f, "by quarter     %.2f, %.2f, %.2f, %.2f requests per second\n", q[0], q[1], q[2],
            q[3]);
    fprintf(f, "distinct keys  %zu\n\n", s->keys.n);
    fprintf(f, "%-16s %10s %14s %9s %12s %9s %15s\n", "node", "lines", "demand_mean_us",
            "demand_cv", "bytes_mean", "bytes_cv", "distinct_hashes");
    for (uint32_t i = 0; i < s->svc->nnodes; i++) {
        const node_stats *n = &s->nodes[i];
        fprintf(f, "%-16s %10llu", s->svc->nodes[i].id, (unsigned long long)n->demand_us.n);
        if (n->demand_us.n)
            fprintf(f, " %14.2f %9.3f", fx_moments_mean(&n->demand_us), cv_of(&n->demand_us));
        else
            fprintf(f, " %14s %9s", "-", "-");
        if (n->bytes.n)
            fprintf(f, " %12.1f %9.3f", fx_moments_mean(&n->bytes), cv_of(&n->bytes));
        else
            fprintf(f, " %12s %9s", "-", "-");
        if (n->hashed)
            fprintf(f, " %15zu\n", n->hashes.n);
        else
            fprintf(f, " %15s\n", "-");
    }
    if (s->ntop) {
        fprintf(f, "\n%-24s %10s %8s\n", "top keys", "count", "share");
        for (size_t i = 0; i < s->ntop; i++)
            fprintf(f, "%-24s %10llu %7.3f%%\n", s->top[i].key, (unsigned long long)s->top[i].count,
                    100.0 * (double)s->top[i].count / (double)s->requests);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void add_moments(cJSON *obj, const char *name, const fx_moments *m)
{
    cJSON *o = cJSON_AddObjectToObject(obj, name);
    cJSON_AddNumberToObject(o, "count", (double)m->n);
    if (m->n) {
        cJSON_AddNumberToObject(o, "mean", fx_moments_mean(m));
        cJSON_AddNumberToObject(o, "cv", cv_of(m));
    } else {
        cJSON_AddNullToObject(o, "mean");
        cJSON_AddNullToObject(o, "cv");
    }
}

static char *stats_json(const stats *s)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "trace", s->trace);
    cJSON_AddStringToObject(doc, "service", s->service);
    cJSON_AddNumberToObject(doc, "requests", (double)s->requests);
    cJSON_AddNumberToObject(doc, "first_s", (double)s->first * 1e-9);
    cJSON_AddNumberToObject(doc, "last_s", (double)s->last * 1e-9);
    cJSON_AddNumberToObject(doc, "span_s", span_s(s));
    cJSON_AddNumberToObject(doc, "rate_rps", rate_of(s));
    double q[4];
    quarter_rates(s, q);
    cJSON *quarters = cJSON_AddArrayToObject(doc, "rate_by_quarter_rps");
    for (int k = 0; k < 4; k++)
        cJSON_AddItemToArray(quarters, cJSON_CreateNumber(q[k]));
    cJSON_AddNumberToObject(doc, "distinct_keys", (double)s->keys.n);
    cJSON *nodes = cJSON_AddArrayToObject(doc, "nodes");
    for (uint32_t i = 0; i < s->svc->nnodes; i++) {
        const node_stats *n = &s->nodes[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", s->svc->nodes[i].id);
        cJSON_AddNumberToObject(o, "lines", (double)n->demand_us.n);
        add_moments(o, "demand_us", &n->demand_us);
        add_moments(o, "bytes", &n->bytes);
        cJSON_AddNumberToObject(o, "hashed", (double)n->hashed);
        cJSON_AddNumberToObject(o, "distinct_hashes", (double)n->hashes.n);
        cJSON_AddItemToArray(nodes, o);
    }
    cJSON *top = cJSON_AddArrayToObject(doc, "top_keys");
    for (size_t i = 0; i < s->ntop; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", s->top[i].key);
        cJSON_AddNumberToObject(o, "count", (double)s->top[i].count);
        cJSON_AddNumberToObject(o, "share", (double)s->top[i].count / (double)s->requests);
        cJSON_AddItemToArray(top, o);
    }
    return fx_json_print_doc(doc);
}

/* Read the whole trace into S; returns the exit code. */
static int stats_read(fx_trace_reader *r, stats *s)
{
    fx_err e;
    fx_err_clear(&e);
    fx_trace_rec rec;
    int got;
    while ((got = fx_trace_next(r, &rec, &e)) == 1) {
        if (s->requests == 0) {
            s->first = rec.t;
            s->width = FX_SEC;
        }
        s->last = rec.t;
        s->requests++;
        count_arrival(s, rec.t);
        if (key_table_add(&s->keys, rec.key, rec.key_len) < 0)
            goto nomem;
        for (size_t k = 0; k < rec.nfields; k++) {
            const fx_trace_field *fd = &rec.fields[k];
            node_stats *n = &s->nodes[fd->node];
            fx_moments_add(&n->demand_us, (double)fd->service * 1e-3);
            if (fd->has_bytes)
                fx_moments_add(&n->bytes, (double)fd->bytes);
            if (fd->has_hash) {
                n->hashed++;
                if (hash_set_add(&n->hashes, fd->hash) < 0)
                    goto nomem;
            }
        }
    }
    if (got < 0)
        return fx_cli_fail(&e);
    return FX_EXIT_OK;
nomem:
    fx_cli_error("trace stats: out of memory after %llu requests (%zu distinct keys)",
                 (unsigned long long)s->requests, s->keys.n);
    return FX_EXIT_FAIL;
}

static int cmd_stats(int argc, char **argv)
{
    trace_opts o = {0};
    o.service = FX_TRACE_DEFAULT_SERVICE;
    o.format = FMT_TABLE;
    o.top = 10;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos) {
        fx_cli_error("out of memory");
        return FX_EXIT_FAIL;
    }
    int rc = fx_opts_parse("trace", fx_trace_stats_options, &o, argc, argv, pos, &npos);
    const char *path = npos > 0 ? pos[0] : NULL;
    if (rc == 0 && npos != 1) {
        if (npos == 0)
            fx_cli_error("trace stats: expected a TRACE file, found none");
        else
            fx_cli_error("trace stats: expected one TRACE file, found \"%s\" and \"%s\"", pos[0],
                         pos[1]);
        rc = -1;
    }
    if (rc == 0 && o.output &&
        (fx_output_same_file(o.output, path) || fx_output_same_file(o.output, o.service))) {
        fx_cli_error("trace stats: %s: expected an output file apart from the inputs, found an "
                     "input itself",
                     o.output);
        rc = -1;
    }
    free(pos);
    if (rc < 0)
        return FX_EXIT_USAGE;

    fx_service *svc = NULL;
    int code = load_service(o.service, &svc);
    if (code != FX_EXIT_OK)
        return code;

    stats s;
    memset(&s, 0, sizeof s);
    s.trace = path;
    s.svc = svc;
    fx_trace_reader *r = NULL;
    char *text = NULL;
    fx_err e;
    fx_err_clear(&e);
    s.nodes = calloc(svc->nnodes ? svc->nnodes : 1, sizeof *s.nodes);
    if (!s.nodes) {
        fx_cli_error("out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    if (fx_trace_open(path, svc->ids, svc->nnodes, &r, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    s.service = fx_trace_service(r);
    if (s.service && strcmp(s.service, svc->name) != 0) {
        fx_cli_error("%s: the trace is of service \"%s\" but %s is service \"%s\"; give its "
                     "service file with --service",
                     path, s.service, o.service, svc->name);
        code = FX_EXIT_INPUT;
        goto done;
    }
    if (!s.service)
        s.service = svc->name;
    fx_cli_read_ahead(r, o.reader);
    code = stats_read(r, &s);
    if (code != FX_EXIT_OK)
        goto done;

    if (o.top > 0 && s.keys.n > 0) {
        key_entry *all = malloc(s.keys.n * sizeof *all);
        if (!all) {
            fx_cli_error("out of memory");
            code = FX_EXIT_FAIL;
            goto done;
        }
        size_t k = 0;
        for (size_t i = 0; i < s.keys.cap; i++)
            if (s.keys.slots[i].key)
                all[k++] = s.keys.slots[i];
        qsort(all, k, sizeof *all, by_count);
        s.top = all;
        s.ntop = o.top < k ? (size_t)o.top : k;
    }
    text = o.format == FMT_JSON ? stats_json(&s) : stats_table(&s);
    if (!text) {
        fx_cli_error("out of memory");
        code = FX_EXIT_FAIL;
    } else if (fx_output_write(o.output, text, strlen(text), &e) != FX_OK) {
        code = fx_cli_fail(&e);
    } else {
        code = FX_EXIT_OK;
    }

done:
    free(text);
    free(s.top);
    key_table_free(&s.keys);
    if (s.nodes)
        for (uint32_t i = 0; i < svc->nnodes; i++)
            free(s.nodes[i].hashes.slots);
    free(s.nodes);
    if (r)
        fx_trace_close(r);
    fx_service_free(svc);
    return code;
}

/* ---- import ---------------------------------------------------------------- */

/* The index of the first of NAMES[0..N) that PATH names too (the same
 * string, or the same existing file), or -1. */
static int same_as(const char *path, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], "-") != 0 &&
            (strcmp(path, names[i]) == 0 || fx_output_same_file(path, names[i])))
            return (int)i;
    return -1;
}

static void print_lines(FILE *f, const fx_import_skips *k, const char *unit)
{
    size_t shown = k->count < FX_IMPORT_LINES_SHOWN ? (size_t)k->count : FX_IMPORT_LINES_SHOWN;
    fprintf(f, ": %s%s ", unit, k->count > 1 ? "s" : "");
    for (size_t i = 0; i < shown; i++)
        fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)k->lines[i]);
    if (k->count > shown)
        fputs(", ...", f);
}

static void print_summary(const trace_opts *o, const char *input, const char *name,
                          const fx_import_summary *s)
{
    FILE *f = stderr;
    const char *unit = s->unit;
    const char *out = o->output ? o->output : "-";
    fprintf(f, "import     %s (%s) -> %s, service %s\n", strcmp(input, "-") ? input : "stdin",
            o->import_format, strcmp(out, "-") ? out : "stdout", name);
    fprintf(f, "%-10s %llu read", strcmp(unit, "line") == 0 ? "lines" : "records",
            (unsigned long long)s->read);
    if (s->header)
        fprintf(f, " (%llu header)", (unsigned long long)s->header);
    fprintf(f, ", %llu imported, %llu skipped\n", (unsigned long long)s->imported,
            (unsigned long long)s->skipped);
    for (int r = 0; r < FX_SKIP_NREASONS; r++) {
        const fx_import_skips *k = &s->skips[r];
        if (!k->count)
            continue;
        fprintf(f, "skipped    %llu %s", (unsigned long long)k->count,
                fx_import_reason_name((fx_import_reason)r));
        if (r == FX_SKIP_STATUS)
            fprintf(f, " (--status %s)", o->status ? o->status : "2xx,3xx");
        if (r == FX_SKIP_ORDER)
            fprintf(
                f, " (--window %llu)",
                (unsigned long long)(o->window == WINDOW_UNSET ? FX_IMPORT_WINDOW_S : o->window));
        print_lines(f, k, unit);
        fputc('\n', f);
    }
    if (s->reordered)
        fprintf(f, "sorted     %llu requests that came after a later one\n",
                (unsigned long long)s->reordered);
    if (s->imported == 0)
        return;
    double span = (double)(s->last - s->first) * 1e-9;
    fprintf(f, "time       %.6f s to %.6f s (%.3f s)", (double)s->first * 1e-9,
            (double)s->last * 1e-9, span);
    double rate = s->imported > 1 && span > 0 ? (double)(s->imported - 1) / span : 0.0;
    if (rate >= 1000)
        fprintf(f, ", %.0f requests/s", rate);
    else if (rate > 0)
        fprintf(f, ", %.4g requests/s", rate);
    int epoch = strcmp(o->import_format, "clf") == 0 || strcmp(o->import_format, "combined") == 0;
    time_t origin = (time_t)s->origin_s;
    struct tm tm;
    char when[64];
    if (epoch && gmtime_r(&origin, &tm) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        fprintf(f, "; 0 is %s\n", when);
    else
        fprintf(f, "; 0 is second %lld of the input\n", (long long)s->origin_s);
    fprintf(f, "keys       %llu distinct\n", (unsigned long long)s->distinct_keys);
    char prof[128];
    fx_import_profile(s, prof, sizeof prof);
    if (s->service_us.n)
        fprintf(f, "service    mean %.3f us over %llu requests (profile %s)\n",
                fx_moments_mean(&s->service_us), (unsigned long long)s->service_us.n, prof);
    else
        fprintf(f, "service    no service times: the replay draws from the profile (%s)\n", prof);
    if (s->bytes.n) {
        fprintf(f, "sizes      mean %.1f bytes", fx_moments_mean(&s->bytes));
        if (s->no_service)
            fprintf(f, " (kept per request: \"serve=-/BYTES\" for the %llu without a service time)",
                    (unsigned long long)s->no_service);
        fputc('\n', f);
    }
    if (o->emit_service)
        fprintf(f, "emitted    %s%s%s (%u server%s of pool web for utilization <= %.1f)\n",
                o->emit_service, o->emit_arch ? ", " : "", o->emit_arch ? o->emit_arch : "",
                fx_import_servers(s), fx_import_servers(s) > 1 ? "s" : "",
                FX_IMPORT_TARGET_UTILIZATION);
}

static int cmd_import(int argc, char **argv)
{
    trace_opts o = {0};
    o.window = WINDOW_UNSET;
    o.service_unit = -1;
    o.time_unit = -1;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos) {
        fx_cli_error("out of memory");
        return FX_EXIT_FAIL;
    }
    int rc = fx_opts_parse("trace", fx_trace_import_options, &o, argc, argv, pos, &npos);
    const char *input = npos > 0 ? pos[0] : NULL;
    if (rc == 0 && npos != 1) {
        if (npos == 0)
            fx_cli_error("trace import: expected an INPUT file (or - for stdin), found none");
        else
            fx_cli_error("trace import: expected one INPUT file, found \"%s\" and \"%s\"", pos[0],
                         pos[1]);
        rc = -1;
    }
    free(pos);
    if (rc < 0)
        return FX_EXIT_USAGE;
    if (!o.import_format) {
        fx_cli_error("trace import: expected --format clf, combined, csv or oracle-general, "
                     "found none");
        return FX_EXIT_USAGE;
    }
    if (o.emit_arch && !o.emit_service) {
        fx_cli_error("trace import: --emit-arch: expected --emit-service FILE too (the "
                     "architecture names its service file), found none");
        return FX_EXIT_USAGE;
    }
    const char *output = o.output ? o.output : "-";
    const char *seen[4] = {input, output, o.emit_service, o.emit_arch};
    const char *what[4] = {"INPUT", "-o", "--emit-service", "--emit-arch"};
    for (size_t i = 1; i < 4; i++) {
        int j = seen[i] && strcmp(seen[i], "-") != 0 ? same_as(seen[i], seen, i) : -1;
        if (j >= 0) {
            fx_cli_error("trace import: %s %s: expected a file apart from the other inputs and "
                         "outputs, found the same file as %s",
                         what[i], seen[i], what[j]);
            return FX_EXIT_USAGE;
        }
    }
    for (size_t i = 2; i < 4; i++)
        if (seen[i] && strcmp(seen[i], "-") == 0) {
            fx_cli_error("trace import: %s: expected a file name, found - (stdout holds the "
                         "trace or nothing)",
                         what[i]);
            return FX_EXIT_USAGE;
        }
    char name_buf[160];
    const char *name =
        o.name ? o.name : fx_import_name_from_path(output, name_buf, sizeof name_buf);
    if (o.name) {
        size_t n = strlen(o.name);
        if (n == 0 || n > 128 ||
            strspn(o.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789_.-") != n) {
            fx_cli_error("trace import: --name: expected 1 to 128 of A-Za-z0-9_.-, found \"%.40s\"",
                         o.name);
            return FX_EXIT_USAGE;
        }
    }

    fx_import_opts io;
    fx_import_opts_init(&io);
    io.format = o.import_format;
    io.input = input;
    io.strict = o.strict;
    io.window_given = o.window != WINDOW_UNSET;
    io.window_s = io.window_given ? o.window : 0;
    io.keep_query = o.keep_query;
    io.status = o.status;
    io.service_field = o.service_field;
    io.service_unit = o.service_unit;
    io.col_time = o.col_time;
    io.col_key = o.col_key;
    io.col_bytes = o.col_bytes;
    io.col_service = o.col_service;
    io.time_unit = o.time_unit;
    io.sep = o.sep;
    io.skip_header = o.skip_header;
    io.spread = o.spread;

    fx_err e;
    fx_err_clear(&e);
    fx_import *imp = NULL;
    fx_status st = fx_import_alloc(&io, &imp, &e);
    if (st != FX_OK) {
        fx_cli_error("trace import: %s", e.msg);
        return st == FX_ENOMEM ? FX_EXIT_FAIL : FX_EXIT_USAGE;
    }

    const char *nodes[1] = {FX_IMPORT_NODE};
    fx_trace_writer *w = NULL;
    char *svc_text = NULL, *arch_text = NULL;
    fx_output svc_out = {0}, arch_out = {0};
    int code = FX_EXIT_OK;
    if (fx_trace_writer_open(output, name, nodes, 1, &w, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (fx_import_run(imp, w, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    const fx_import_summary *sum = fx_import_summary_get(imp);
    /* Every file is complete under its temporary name before any is renamed
     * into place: a failure leaves none of them. */
    if (o.emit_service) {
        if (fx_import_service_json(sum, name, &svc_text, &e) != FX_OK ||
            fx_output_open(&svc_out, o.emit_service, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        fputs(svc_text, svc_out.f);
    }
    if (o.emit_arch) {
        if (fx_import_arch_json(sum, name, o.emit_arch, o.emit_service, &arch_text, &e) != FX_OK ||
            fx_output_open(&arch_out, o.emit_arch, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        fputs(arch_text, arch_out.f);
    }
    st = fx_trace_writer_close(w, 0, &e);
    w = NULL;
    if (st == FX_OK && o.emit_service)
        st = fx_output_commit(&svc_out, &e);
    if (st == FX_OK && o.emit_arch)
        st = fx_output_commit(&arch_out, &e);
    if (st != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (!o.quiet)
        print_summary(&o, input, name, sum);

done:
    if (w)
        fx_trace_writer_close(w, 1, NULL);
    if (svc_out.f)
        fx_output_abort(&svc_out);
    if (arch_out.f)
        fx_output_abort(&arch_out);
    free(svc_text);
    free(arch_text);
    fx_import_free(imp);
    return code;
}

int fx_cmd_trace(int argc, char **argv)
{
    if (argc < 1) {
        /* tests/cli_trace.sh matches "expected gen or stats, found ...". */
        fx_cli_error("trace: expected gen or stats, found nothing (or import; see 'fluxosim "
                     "help trace')");
        return FX_EXIT_USAGE;
    }
    if (strcmp(argv[0], "gen") == 0) {
        if (argc > 1 && strcmp(argv[1], "weather") == 0)
            return gen_weather(argc - 2, argv + 2);
        return gen_generic(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    if (strcmp(argv[0], "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    fx_cli_error("trace: expected gen or stats, found \"%s\" (or import; see 'fluxosim help "
                 "trace')",
                 argv[0]);
    return FX_EXIT_USAGE;
}
