/* cmd_mrc.c - `fluxosim mrc TRACE --arch FILE --cache ID`: one cache's LRU
 * miss-ratio curve in one pass (traces/mrc.h). */
#include "cli/cmd_mrc.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/text.h"
#include "cli/output.h"
#include "models/arch.h"
#include "models/json.h"
#include "traces/mrc.h"
#include "traces/trace.h"

typedef struct mrc_opts {
    const char *arch;
    const char *cache;
    const char *sizes;
    double sample;
    const char *output;
    int reader;
} mrc_opts;

#define OFF(f) offsetof(mrc_opts, f)

const fx_opt fx_mrc_options[] = {
    {"arch", 'a', FX_OPT_STRING, "FILE", OFF(arch), "the architecture holding the cache (required)",
     NULL},
    {"cache", 'c', FX_OPT_STRING, "ID", OFF(cache), "the cache whose lookups to follow (required)",
     NULL},
    {"sizes", 's', FX_OPT_STRING, "LIST", OFF(sizes),
     "capacities in bytes, comma-separated, suffixes k M G T, Ki Mi Gi Ti (default: 64 from the "
     "smallest object to the working set)",
     NULL},
    {"sample", 0, FX_OPT_DOUBLE, "RATE", OFF(sample),
     "follow only this fraction of the keys, in (0, 1] (default: 1, exact)", NULL},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the CSV to FILE (atomically) instead of stdout", NULL},
    FX_OPT_READER(OFF(reader)),
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_mrc_usage[] = "fluxosim mrc TRACE --arch FILE --cache ID [OPTIONS]";

const char fx_mrc_description[] =
    "Prints the hit ratio the cache ID of the architecture would have under\n"
    "LRU at every capacity of --sizes, from one pass over TRACE: Mattson's\n"
    "stack distances with byte sizes, O(log n) per request. The lookups are\n"
    "keyed as in a replay (the request key, or the output hash of the\n"
    "cache's first node's predecessor) and sized by the cache's last node's\n"
    "output. The hits equal those of a replay through an LRU cache of that\n"
    "capacity whenever requests do not overlap, a key keeps its first size,\n"
    "and there is no TTL; whatever the cache's policy, the curve is LRU's.\n"
    "Without --sizes a first pass finds the smallest object and the working\n"
    "set (so TRACE must be a file, not -). --sample R follows the keys whose\n"
    "hash falls in a fraction R of the hash space and scales distances by\n"
    "1/R (SHARDS): faster, in a fraction R of the memory, and approximate.\n"
    "Output: CSV with columns capacity_bytes,requests,hits,misses,hit_ratio,\n"
    "byte_hit_ratio, one row per capacity, ascending.\n\n"
    "example: fluxosim mrc examples/weather/weather.trace --arch "
    "examples/weather/cand3.json --cache pages --sizes 1M,5M,20M\n";

int fx_mrc_parse_sizes(const char *list, uint64_t *out, size_t max, size_t *n, char *err,
                       size_t errlen)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1},           {"k", 1e3},           {"M", 1e6},
                 {"G", 1e9},        {"T", 1e12},          {"Ki", 1024.0},
                 {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}};
    *n = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item) {
            snprintf(err, errlen,
                     "expected a byte count such as 64k or 1500000 in item %zu, found %s", *n + 1,
                     len == 0 ? "nothing" : "a too long item");
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        size_t digits = 0, dots = 0;
        while (item[digits] >= '0' && item[digits] <= '9')
            digits++;
        size_t num = digits;
        if (item[num] == '.') {
            dots = 1;
            num++;
            while (item[num] >= '0' && item[num] <= '9')
                num++;
        }
        const char *suffix = item + num;
        double mult = 0;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            if (strcmp(suffix, units[u].suffix) == 0)
                mult = units[u].mult;
        char q[96];
        if (digits == 0 || mult == 0 || (dots && (mult == 1 || num == digits + 1))) {
            snprintf(err, errlen,
                     "expected a byte count such as 64k or 1500000 (suffixes k M G T Ki Mi Gi Ti) "
                     "in item %zu, found %s",
                     *n + 1, fx_json_quote(item, q, sizeof q));
            return -1;
        }
        errno = 0;
        double v = strtod(item, NULL) * mult;
        double whole = floor(v + 0.5);
        if (!(v >= 1) || v > 4611686018427387904.0 || fabs(v - whole) > 1e-6 * (v > 1 ? v : 1)) {
            snprintf(err, errlen,
                     "expected a whole number of bytes from 1 to 2^62 in item %zu, found %s",
                     *n + 1, fx_json_quote(item, q, sizeof q));
            return -1;
        }
        if (*n >= max) {
            snprintf(err, errlen, "expected at most %zu sizes, found more", max);
            return -1;
        }
        /* Integers without a suffix are read exactly (beyond 2^53 too). */
        errno = 0;
        uint64_t bytes = mult == 1 ? strtoull(item, NULL, 10) : (uint64_t)whole;
        if (errno == ERANGE || bytes > ((uint64_t)1 << 62)) {
            snprintf(err, errlen,
                     "expected a whole number of bytes from 1 to 2^62 in item %zu, found %s",
                     *n + 1, fx_json_quote(item, q, sizeof q));
            return -1;
        }
        out[(*n)++] = bytes;
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* The lookups of cache C in ARCH, as a key stream. */
static void cache_source(const fx_arch *arch, uint32_t c, fx_mrc_source *src)
{
    const fx_cache_cfg *cfg = &arch->caches[c];
    const fx_node *from = &arch->svc->nodes[cfg->from];
    const fx_node *to = &arch->svc->nodes[cfg->to];
    src->from_entry = from->npred == 0;
    src->pred = from->pred;
    src->npred = from->npred;
    src->to = cfg->to;
    src->to_default_bytes = to->has_out_bytes ? to->out_bytes : 0;
}

/* One pass of TRACE_PATH through M. */
static fx_status feed(const fx_arch *arch, const char *trace_path, int reader,
                      const fx_mrc_source *src, fx_mrc *m, fx_err *e)
{
    fx_trace_reader *tr;
    fx_status st = fx_trace_open(trace_path, arch->svc->ids, arch->svc->nnodes, &tr, e);
    if (st != FX_OK)
        return st;
    fx_cli_read_ahead(tr, reader);
    /* Requests go through in batches: the keys of a batch are prefetched
     * before the first is counted. */
    enum { BATCH = 16 };
    uint64_t key[BATCH], size[BATCH], line[BATCH];
    fx_trace_rec rec;
    int got = 1;
    while (got == 1 && st == FX_OK) {
        size_t n = 0;
        while (n < BATCH && (got = fx_trace_next(tr, &rec, e)) == 1) {
            fx_mrc_source_key(src, &rec, &key[n], &size[n]);
            fx_mrc_prefetch(m, key[n]);
            line[n++] = rec.line;
        }
        for (size_t i = 0; i < n; i++)
            if (fx_mrc_access(m, key[i], size[i]) < 0) {
                st = fx_mrc_error(m);
                fx_err_set(
                    e, st,
                    st == FX_ELIMIT ? "%s:%llu: expected at most %llu distinct keys, found more"
                                    : "%s:%llu: out of memory",
                    trace_path, (unsigned long long)line[i], (unsigned long long)FX_MRC_KEYS_MAX);
                break;
            }
    }
    if (st == FX_OK && got < 0)
        st = e->code != FX_OK ? e->code : FX_EINVAL;
    fx_trace_close(tr);
    return st;
}

/* X as sim/text.h writes numbers. */
static void put_num(FILE *f, double x)
{
    char buf[32];
    fputs(fx_text_number(x, buf, sizeof buf), f);
}

static char *csv(const fx_mrc *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("capacity_bytes,requests,hits,misses,hit_ratio,byte_hit_ratio\n", f);
    for (size_t i = 0; i < fx_mrc_npoints(m); i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        fprintf(f, "%llu,%llu,%llu,%llu,", (unsigned long long)pt.capacity,
                (unsigned long long)pt.requests, (unsigned long long)pt.hits,
                (unsigned long long)pt.misses);
        put_num(f, pt.hit_ratio);
        fputc(',', f);
        put_num(f, pt.byte_hit_ratio);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

int fx_cmd_mrc(int argc, char **argv)
{
    mrc_opts o = {NULL, NULL, NULL, 1.0, NULL, FX_READER_AUTO};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    uint64_t *caps = malloc(FX_MRC_SIZES_MAX * sizeof *caps);
    size_t ncaps = 0;
    if (!pos || !caps) {
        free(pos);
        free(caps);
        fx_cli_error("mrc: out of memory");
        return FX_EXIT_FAIL;
    }
    int rc = fx_opts_parse("mrc", fx_mrc_options, &o, argc, argv, pos, &npos);
    const char *trace_path = npos == 1 ? pos[0] : NULL;
    free(pos);
    if (rc == 0 && npos != 1) {
        if (npos == 0)
            fx_cli_error("mrc: expected a trace file (or - for stdin), found none");
        else
            fx_cli_error("mrc: expected one trace file, found %d", npos);
        rc = -1;
    }
    if (rc == 0 && !o.arch) {
        fx_cli_error("mrc: expected --arch FILE, found none");
        rc = -1;
    }
    if (rc == 0 && !o.cache) {
        fx_cli_error("mrc: expected --cache ID, found none");
        rc = -1;
    }
    if (rc == 0 && !(o.sample > 0 && o.sample <= 1)) {
        fx_cli_error("mrc: --sample: expected a rate in (0, 1], found %g", o.sample);
        rc = -1;
    }
    if (rc == 0 && o.sizes) {
        char msg[256];
        if (fx_mrc_parse_sizes(o.sizes, caps, FX_MRC_SIZES_MAX, &ncaps, msg, sizeof msg) < 0) {
            fx_cli_error("mrc: --sizes: %s", msg);
            rc = -1;
        }
    }
    if (rc == 0 && !o.sizes && strcmp(trace_path, "-") == 0) {
        fx_cli_error("mrc: expected --sizes when the trace is standard input (the default sizes "
                     "need a first pass over the trace), found none");
        rc = -1;
    }
    const char *inputs[2] = {trace_path, o.arch};
    for (int i = 0; rc == 0 && i < 2; i++)
        if (fx_output_same_file(o.output, inputs[i])) {
            fx_cli_error("mrc: %s: expected an output file apart from the inputs, found the "
                         "input itself",
                         o.output);
            rc = -1;
        }
    if (rc < 0) {
        free(caps);
        return FX_EXIT_USAGE;
    }

    fx_err e;
    fx_arch *arch = NULL;
    fx_mrc *m = NULL;
    int code;
    if (fx_arch_load(o.arch, &arch, &e) != FX_OK) {
        free(caps);
        return fx_cli_fail(&e);
    }
    uint32_t c = 0;
    while (c < arch->ncaches && strcmp(arch->caches[c].id, o.cache) != 0)
        c++;
    if (c == arch->ncaches) {
        char q[160], list[256];
        const char *ids[FX_ARCH_CACHES_MAX];
        for (uint32_t i = 0; i < arch->ncaches; i++)
            ids[i] = arch->caches[i].id;
        if (arch->ncaches)
            fx_cli_error("mrc: --cache: expected a cache of %s (one of %s), found %s", o.arch,
                         fx_json_list(ids, arch->ncaches, list, sizeof list),
                         fx_json_quote(o.cache, q, sizeof q));
        else
            fx_cli_error("mrc: --cache: expected a cache of %s, found %s (it has no caches)",
                         o.arch, fx_json_quote(o.cache, q, sizeof q));
        code = FX_EXIT_USAGE;
        goto done;
    }
    fx_mrc_source src;
    cache_source(arch, c, &src);

    if (!o.sizes) {
        /* A first pass: the smallest object and the working set. */
        fx_mrc *pre;
        fx_mrc_summary sum;
        if (fx_mrc_alloc(NULL, 0, o.sample, &pre, &e) != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        fx_status st = feed(arch, trace_path, o.reader, &src, pre, &e);
        fx_mrc_summary_get(pre, &sum);
        fx_mrc_free(pre);
        if (st != FX_OK) {
            code = fx_cli_fail(&e);
            goto done;
        }
        double lo = sum.min_size > 0 ? (double)sum.min_size : 1;
        double hi = (double)sum.working_set > lo ? (double)sum.working_set : lo;
        for (int i = 0; i < FX_MRC_DEFAULT_POINTS; i++) {
            double v = lo * pow(hi / lo, (double)i / (FX_MRC_DEFAULT_POINTS - 1));
            uint64_t cap = (uint64_t)llround(v);
            if (cap < 1)
                cap = 1;
            if (ncaps == 0 || cap > caps[ncaps - 1])
                caps[ncaps++] = cap;
        }
    }
    if (fx_mrc_alloc(caps, ncaps, o.sample, &m, &e) != FX_OK ||
        feed(arch, trace_path, o.reader, &src, m, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    char *text = csv(m);
    if (!text) {
        fx_cli_error("mrc: out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    code =
        fx_output_write(o.output, text, strlen(text), &e) == FX_OK ? FX_EXIT_OK : fx_cli_fail(&e);
    free(text);
done:
    fx_mrc_free(m);
    fx_arch_free(arch);
    free(caps);
    return code;
}
