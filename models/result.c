#include "models/result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "models/json.h"
#include "sim/text.h"

static const struct {
    const char *key;
    double q;
} quantiles[] = {{"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};

#define NQ (sizeof quantiles / sizeof quantiles[0])

static double events_per_s(const fx_replay_result *res)
{
    return res->wall_s > 0 ? (double)res->events / res->wall_s : 0;
}

char *fx_result_json(const fx_replay_result *res, const char *arch, const char *trace)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "arch", arch);
    cJSON_AddStringToObject(doc, "trace", trace);
    cJSON_AddNumberToObject(doc, "requests", (double)res->requests);
    cJSON_AddNumberToObject(doc, "completed", (double)res->completed);
    cJSON_AddNumberToObject(doc, "failed", (double)res->failed);
    cJSON_AddNumberToObject(doc, "dropped", (double)res->dropped);
    cJSON *lat = cJSON_AddObjectToObject(doc, "latency_ms");
    cJSON_AddNumberToObject(lat, "mean", fx_moments_mean(&res->latency) * 1e-6);
    for (size_t i = 0; i < NQ; i++)
        cJSON_AddNumberToObject(lat, quantiles[i].key,
                                fx_hist_quantile(res->hist, quantiles[i].q) * 1e-6);
    cJSON_AddNumberToObject(lat, "max", res->hist->n ? (double)res->hist->max * 1e-6 : 0);
    /* The latency histogram (sim/stats.h), so that a CDF can be drawn from
     * the document alone: its non-empty buckets as [lo, hi, count], in ms,
     * lo inclusive and hi exclusive, in ascending order. */
    cJSON *hist = cJSON_AddObjectToObject(doc, "latency_hist");
    cJSON_AddStringToObject(hist, "unit", "ms");
    cJSON *buckets = cJSON_AddArrayToObject(hist, "buckets");
    for (size_t i = 0; i < FX_HIST_BUCKETS; i++) {
        if (!res->hist->counts[i])
            continue;
        int64_t lo, width;
        fx_hist_bucket(i, &lo, &width);
        cJSON *b = cJSON_CreateArray();
        cJSON_AddItemToArray(buckets, b);
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)lo * 1e-6));
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)(lo + width) * 1e-6));
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)res->hist->counts[i]));
    }
    cJSON_AddNumberToObject(doc, "throughput_rps", res->throughput_rps);
    cJSON_AddNumberToObject(doc, "cost_per_hour", res->cost_per_hour);
    cJSON_AddNumberToObject(doc, "stale_responses", (double)res->stale_responses);
    cJSON *pools = cJSON_AddArrayToObject(doc, "pools");
    for (uint32_t p = 0; p < res->npools; p++) {
        const fx_pool_result *pr = &res->pools[p];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(pools, o);
        cJSON_AddStringToObject(o, "id", pr->id);
        cJSON_AddNumberToObject(o, "servers", pr->servers);
        cJSON_AddNumberToObject(o, "utilization", pr->utilization);
        cJSON_AddNumberToObject(o, "mean_queue", pr->mean_queue);
        cJSON_AddNumberToObject(o, "mean_wait_ms", pr->mean_wait_ms);
        /* Beyond the pinned keys, only where they say something. */
        if (pr->partitions > 1) {
            cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
            for (unsigned k = 0; k < pr->partitions; k++)
                cJSON_AddItemToArray(parts, cJSON_CreateNumber(pr->partition_util[k]));
        }
        if (pr->has_failures)
            cJSON_AddNumberToObject(o, "availability", pr->availability);
    }
    cJSON *caches = cJSON_AddArrayToObject(doc, "caches");
    for (uint32_t c = 0; c < res->ncaches; c++) {
        const fx_cache_result *cr = &res->caches[c];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(caches, o);
        cJSON_AddStringToObject(o, "id", cr->id);
        cJSON_AddNumberToObject(o, "hits", (double)cr->hits);
        cJSON_AddNumberToObject(o, "misses", (double)cr->misses);
        cJSON_AddNumberToObject(o, "hit_ratio", cr->hit_ratio);
        cJSON_AddNumberToObject(o, "evictions", (double)cr->evictions);
        cJSON_AddNumberToObject(o, "stale_hits", (double)cr->stale_hits);
    }
    cJSON *sim = cJSON_AddObjectToObject(doc, "sim");
    cJSON_AddNumberToObject(sim, "events", (double)res->events);
    cJSON_AddNumberToObject(sim, "wall_s", res->wall_s);
    cJSON_AddNumberToObject(sim, "events_per_s", events_per_s(res));
    cJSON_AddNumberToObject(sim, "seed", (double)res->seed);

    return fx_json_print_doc(doc);
}

/* Close a memory stream; its buffer is only final after fclose. */
static char *finish(FILE *f, char **text)
{
    if (fclose(f) != 0) {
        free(*text);
        return NULL;
    }
    return *text;
}

char *fx_result_table(const fx_replay_result *res, const char *arch, const char *trace)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "arch        %s\ntrace       %s\n", arch, trace);
    fprintf(f,
            "requests    %llu measured (%llu in the trace), %llu completed, %llu failed, %llu "
            "dropped\n",
            (unsigned long long)res->requests, (unsigned long long)res->total_requests,
            (unsigned long long)res->completed, (unsigned long long)res->failed,
            (unsigned long long)res->dropped);
    fprintf(f, "throughput  %.2f requests/s over %.3f s\n", res->throughput_rps, res->elapsed_s);
    fprintf(f, "cost        %.4f per hour\n\n", res->cost_per_hour);
    fprintf(f, "latency (ms)  %10s", "mean");
    static const char *const names[NQ] = {"p50", "p90", "p95", "p99", "p99.9"};
    for (size_t i = 0; i < NQ; i++)
        fprintf(f, " %10s", names[i]);
    fprintf(f, " %10s\n%-13s %10.3f", "max", "", fx_moments_mean(&res->latency) * 1e-6);
    for (size_t i = 0; i < NQ; i++)
        fprintf(f, " %10.3f", fx_hist_quantile(res->hist, quantiles[i].q) * 1e-6);
    fprintf(f, " %10.3f\n\n", res->hist->n ? (double)res->hist->max * 1e-6 : 0.0);
    fprintf(f, "%-16s %7s %11s %10s %13s\n", "pool", "servers", "utilization", "mean_queue",
            "mean_wait_ms");
    for (uint32_t p = 0; p < res->npools; p++) {
        const fx_pool_result *pr = &res->pools[p];
        fprintf(f, "%-16s %7u %11.4f %10.4f %13.4f", pr->id, pr->servers, pr->utilization,
                pr->mean_queue, pr->mean_wait_ms);
        if (pr->has_failures)
            fprintf(f, "   availability %.4f", pr->availability);
        fputc('\n', f);
        if (pr->partitions > 1) {
            fprintf(f, "  partitions:");
            for (unsigned k = 0; k < pr->partitions; k++)
                fprintf(f, " %.3f", pr->partition_util[k]);
            fputc('\n', f);
        }
    }
    if (res->ncaches) {
        fprintf(f, "\n%-16s %10s %10s %9s %10s %10s\n", "cache", "hits", "misses", "hit_ratio",
                "evictions", "stale_hits");
        for (uint32_t c = 0; c < res->ncaches; c++) {
            const fx_cache_result *cr = &res->caches[c];
            fprintf(f, "%-16s %10llu %10llu %9.4f %10llu %10llu\n", cr->id,
                    (unsigned long long)cr->hits, (unsigned long long)cr->misses, cr->hit_ratio,
                    (unsigned long long)cr->evictions, (unsigned long long)cr->stale_hits);
        }
    }
    fprintf(f, "\n%llu events in %.3f s (%.3g events/s), seed %llu\n",
            (unsigned long long)res->events, res->wall_s, events_per_s(res),
            (unsigned long long)res->seed);
    return finish(f, &text);
}

/* ",X", X as sim/text.h writes numbers. */
static void csv_num(FILE *f, double x)
{
    char buf[32];
    fputc(',', f);
    fputs(fx_text_number(x, buf, sizeof buf), f);
}

char *fx_result_csv(const fx_replay_result *res, const char *arch, const char *trace, int header)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    if (header) {
        fputs("arch,trace,requests,completed,failed,dropped,mean_ms,p50_ms,p90_ms,p95_ms,p99_ms,"
              "p999_ms,max_ms,throughput_rps,cost_per_hour,stale_responses",
              f);
        for (uint32_t p = 0; p < res->npools; p++) {
            fputs(",util_", f);
            fx_text_csv_field(f, res->pools[p].id);
        }
        for (uint32_t c = 0; c < res->ncaches; c++) {
            fputs(",hit_ratio_", f);
            fx_text_csv_field(f, res->caches[c].id);
        }
        fputs(",events,seed\n", f);
    }
    fx_text_csv_field(f, arch);
    fputc(',', f);
    fx_text_csv_field(f, trace);
    fprintf(f, ",%llu,%llu,%llu,%llu", (unsigned long long)res->requests,
            (unsigned long long)res->completed, (unsigned long long)res->failed,
            (unsigned long long)res->dropped);
    csv_num(f, fx_moments_mean(&res->latency) * 1e-6);
    for (size_t i = 0; i < NQ; i++)
        csv_num(f, fx_hist_quantile(res->hist, quantiles[i].q) * 1e-6);
    csv_num(f, res->hist->n ? (double)res->hist->max * 1e-6 : 0.0);
    csv_num(f, res->throughput_rps);
    csv_num(f, res->cost_per_hour);
    fprintf(f, ",%llu", (unsigned long long)res->stale_responses);
    for (uint32_t p = 0; p < res->npools; p++)
        csv_num(f, res->pools[p].utilization);
    for (uint32_t c = 0; c < res->ncaches; c++)
        csv_num(f, res->caches[c].hit_ratio);
    fprintf(f, ",%llu,%llu\n", (unsigned long long)res->events, (unsigned long long)res->seed);
    return finish(f, &text);
}
