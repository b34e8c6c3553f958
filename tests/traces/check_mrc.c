/* The one-pass LRU miss-ratio curve against fluxosim's own LRU cache.
 *
 * The reference is models/cache.h with policy "lru", driven as a replay
 * drives it when requests do not overlap: a get, and on a miss a put of the
 * key with its size. At every capacity tested the MRC's hits must equal the
 * cache's hits exactly: unit sizes, sizes that vary from key to key, objects
 * larger than the capacity (which the cache refuses), objects of size 0,
 * capacities from 1 byte to beyond the working set, and enough keys to force
 * compactions of the time axis. A few capacities are also checked against
 * a full replay (fx_replay_run) of a one-node service behind an LRU cache.
 *
 * Hot loops test with `if` and ck_abort_msg (a passing ck_assert writes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "models/arch.h"
#include "models/cache.h"
#include "models/replay.h"
#include "sim/pcg.h"
#include "tests/check.h"
#include "traces/mrc.h"
#include "traces/trace.h"

TCase *fx_tcase_mrc(void);

/* ---- request sequences ---------------------------------------------------- */

typedef struct seq {
    uint64_t *key;
    uint64_t *size;
    size_t n;
} seq;

/* Zipf(ALPHA) ranks 1..NKEYS by inversion of the exact CDF. */
typedef struct zipf {
    double *cdf;
    size_t n;
} zipf;

static zipf zipf_make(size_t nkeys, double alpha)
{
    zipf z = {malloc(nkeys * sizeof(double)), nkeys};
    ck_assert_ptr_nonnull(z.cdf);
    double s = 0;
    for (size_t k = 0; k < nkeys; k++)
        z.cdf[k] = (s += pow((double)(k + 1), -alpha));
    for (size_t k = 0; k < nkeys; k++)
        z.cdf[k] /= s;
    return z;
}

static uint64_t zipf_draw(const zipf *z, gsl_rng *r)
{
    double u = gsl_rng_uniform(r);
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->cdf[mid] >= u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo + 1;
}

/* The size of KEY under a sizing rule: 1 (unit), or spread over [0, 4000]
 * with a few objects of up to 40000 bytes, a function of the key. */
static uint64_t key_size(uint64_t key, int unit)
{
    if (unit)
        return 1;
    uint64_t h = fx_mix64(key * 7919);
    if (h % 50 == 0)
        return 4000 + h % 36000; /* large: refused by the smaller caches */
    if (h % 97 == 0)
        return 0;
    return 1 + (h >> 8) % 4000;
}

static seq seq_make(size_t n, size_t nkeys, double alpha, int unit, uint64_t seed)
{
    seq s = {malloc(n * sizeof(uint64_t)), malloc(n * sizeof(uint64_t)), n};
    ck_assert_ptr_nonnull(s.key);
    ck_assert_ptr_nonnull(s.size);
    zipf z = zipf_make(nkeys, alpha);
    gsl_rng *r = fx_rng_alloc(seed, 3);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = zipf_draw(&z, r);
        s.key[i] = fx_mix64(k); /* keys are hashes, spread over 64 bits */
        s.size[i] = key_size(k, unit);
    }
    gsl_rng_free(r);
    free(z.cdf);
    return s;
}

static void seq_free(seq *s)
{
    free(s->key);
    free(s->size);
}

/* Hits of fluxosim's LRU of capacity CAP over S (get; put on a miss). */
static uint64_t lru_hits(const seq *s, uint64_t cap, uint64_t *byte_hits)
{
    fx_cache *c;
    fx_err e;
    ck_assert_int_eq(fx_cache_alloc("lru", cap, &c, &e), FX_OK);
    uint64_t hb = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (fx_cache_get(c, s->key[i], 0, NULL, NULL))
            hb += s->size[i];
        else if (fx_cache_put(c, s->key[i], s->size[i], 0, 0) < 0)
            ck_abort_msg("out of memory");
    }
    fx_cache_stats st;
    fx_cache_stats_get(c, &st);
    fx_cache_free(c);
    if (byte_hits)
        *byte_hits = hb;
    return st.hits;
}

static fx_mrc *mrc_run(const seq *s, const uint64_t *caps, size_t ncaps, double rate)
{
    fx_mrc *m;
    fx_err e;
    ck_assert_msg(fx_mrc_alloc(caps, ncaps, rate, &m, &e) == FX_OK, "%s", e.msg);
    for (size_t i = 0; i < s->n; i++)
        if (fx_mrc_access(m, s->key[i], s->size[i]) < 0)
            ck_abort_msg("fx_mrc_access failed");
    return m;
}

/* Every capacity of CAPS: the MRC's hits equal the LRU's. */
static void check_exact(const seq *s, const uint64_t *caps, size_t ncaps)
{
    fx_mrc *m = mrc_run(s, caps, ncaps, 1.0);
    ck_assert_uint_eq(fx_mrc_npoints(m), ncaps);
    uint64_t bytes = 0;
    for (size_t i = 0; i < s->n; i++)
        bytes += s->size[i];
    for (size_t i = 0; i < ncaps; i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        uint64_t hb;
        uint64_t want = lru_hits(s, pt.capacity, &hb);
        if (pt.hits != want)
            ck_abort_msg("capacity %llu: MRC %llu hits, LRU %llu", (unsigned long long)pt.capacity,
                         (unsigned long long)pt.hits, (unsigned long long)want);
        if (pt.requests != s->n || pt.hits + pt.misses != s->n)
            ck_abort_msg("capacity %llu: requests %llu", (unsigned long long)pt.capacity,
                         (unsigned long long)pt.requests);
        double bhr = bytes ? (double)hb / (double)bytes : 0;
        if (fabs(pt.byte_hit_ratio - bhr) > 1e-12)
            ck_abort_msg("capacity %llu: byte hit ratio %g, LRU %g",
                         (unsigned long long)pt.capacity, pt.byte_hit_ratio, bhr);
    }
    fx_mrc_free(m);
}

/* CAPS: 1..64, then about 40 per decade up to LIMIT. */
static size_t caps_make(uint64_t *caps, size_t max, uint64_t limit)
{
    size_t n = 0;
    for (uint64_t c = 1; c <= 64 && n < max; c++)
        caps[n++] = c;
    for (double c = 64 * 1.06; c <= (double)limit && n < max; c *= 1.06)
        if ((uint64_t)c > caps[n - 1])
            caps[n++] = (uint64_t)c;
    return n;
}

START_TEST(unit_sizes_equal_lru)
{
    seq s = seq_make(30000, 2000, 0.9, 1, 1);
    uint64_t caps[400];
    size_t n = caps_make(caps, 400, 2500);
    check_exact(&s, caps, n);
    seq_free(&s);
}
END_TEST

START_TEST(variable_sizes_equal_lru)
{
    /* Sizes 0 to 40000: the capacities below 40000 refuse some objects. */
    seq s = seq_make(30000, 3000, 0.8, 0, 2);
    uint64_t caps[400];
    size_t n = caps_make(caps, 400, 20000000); /* beyond the working set */
    check_exact(&s, caps, n);
    fx_mrc *m = mrc_run(&s, NULL, 0, 1.0);
    fx_mrc_summary sum;
    fx_mrc_summary_get(m, &sum);
    ck_assert_uint_lt(sum.working_set, 20000000);
    ck_assert_uint_eq(sum.min_size, 0);
    fx_mrc_free(m);
    seq_free(&s);
}
END_TEST

START_TEST(capacity_order_and_duplicates)
{
    seq s = seq_make(5000, 500, 1.0, 0, 3);
    uint64_t caps[] = {90000, 7, 4000, 7, 1, 250000, 4000, 39999, 40000};
    fx_mrc *m = mrc_run(&s, caps, 9, 1.0);
    ck_assert_uint_eq(fx_mrc_npoints(m), 7);
    uint64_t prev = 0;
    for (size_t i = 0; i < 7; i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        ck_assert_uint_gt(pt.capacity, prev);
        prev = pt.capacity;
        ck_assert_uint_eq(pt.hits, lru_hits(&s, pt.capacity, NULL));
    }
    fx_mrc_free(m);
    seq_free(&s);
}
END_TEST

/* A large object that a small cache refuses evicts nothing there: the
 * curve is not monotone, and the MRC follows it. */
START_TEST(non_monotone_curve)
{
    /* k (1 byte), big (5 bytes), k: capacity 4 refuses big and hits k;
     * capacity 5 admits big, which evicts k; capacity 6 holds both. */
    seq s = {(uint64_t[]){1, 2, 1}, (uint64_t[]){1, 5, 1}, 3};
    uint64_t caps[] = {4, 5, 6};
    fx_mrc *m = mrc_run(&s, caps, 3, 1.0);
    uint64_t want[] = {1, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        ck_assert_uint_eq(pt.hits, want[i]);
        ck_assert_uint_eq(pt.hits, lru_hits(&s, caps[i], NULL));
    }
    fx_mrc_free(m);
}
END_TEST

/* Enough distinct keys that the time axis is compacted many times. */
START_TEST(compaction_keeps_exact)
{
    seq s = seq_make(400000, 60000, 0.6, 0, 4);
    uint64_t caps[] = {1, 3000, 40000, 500000, 4000000, 30000000, 200000000};
    fx_mrc *m = mrc_run(&s, caps, 7, 1.0);
    fx_mrc_summary sum;
    fx_mrc_summary_get(m, &sum);
    ck_assert_uint_ge(sum.compactions, 5);
    ck_assert_uint_ge(sum.bands, 3);
    for (size_t i = 0; i < 7; i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        ck_assert_uint_eq(pt.hits, lru_hits(&s, pt.capacity, NULL));
    }
    fx_mrc_free(m);
    seq_free(&s);
}
END_TEST

/* A key whose size changes keeps its first size in the MRC; fluxosim's
 * cache keeps the size of its last insertion. Where nothing is ever evicted
 * the two agree; elsewhere they may differ, by little. */
START_TEST(changing_sizes_first_size_rule)
{
    seq s = seq_make(20000, 1000, 0.9, 0, 5);
    for (size_t i = 0; i < s.n; i++)
        if (i % 3 == 0 && s.size[i] > 0)
            s.size[i] = s.size[i] / 2 + i % 7; /* the same key, another size */
    fx_mrc *pre = mrc_run(&s, NULL, 0, 1.0);
    fx_mrc_summary sum;
    fx_mrc_summary_get(pre, &sum);
    fx_mrc_free(pre);
    uint64_t caps[] = {sum.working_set, sum.working_set * 2, 20000, 200000};
    fx_mrc *m = mrc_run(&s, caps, 4, 1.0);
    for (size_t i = 0; i < 4; i++) {
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        uint64_t want = lru_hits(&s, pt.capacity, NULL);
        if (pt.capacity >= sum.working_set)
            ck_assert_uint_eq(pt.hits, want);
        else
            ck_assert_msg(fabs((double)pt.hits - (double)want) <= 0.02 * (double)s.n,
                          "capacity %llu: %llu against %llu", (unsigned long long)pt.capacity,
                          (unsigned long long)pt.hits, (unsigned long long)want);
    }
    fx_mrc_free(m);
    seq_free(&s);
}
END_TEST

START_TEST(hit_at_smallest_capacity)
{
    seq s = seq_make(20000, 800, 1.0, 0, 6);
    uint64_t cap = 300000;
    fx_mrc *m;
    fx_err e;
    ck_assert_int_eq(fx_mrc_alloc(&cap, 1, 1.0, &m, &e), FX_OK);
    fx_cache *c;
    ck_assert_int_eq(fx_cache_alloc("lru", cap, &c, &e), FX_OK);
    for (size_t i = 0; i < s.n; i++) {
        int got = fx_mrc_access(m, s.key[i], s.size[i]);
        int want = fx_cache_get(c, s.key[i], 0, NULL, NULL);
        if (!want)
            fx_cache_put(c, s.key[i], s.size[i], 0, 0);
        if (got != want)
            ck_abort_msg("request %zu: MRC says %d, LRU %d", i, got, want);
    }
    fx_cache_free(c);
    fx_mrc_free(m);
    seq_free(&s);
}
END_TEST

/* SHARDS sampling at 10% on 10^6 Zipf requests over 10^5 keys: the hit
 * ratio within 0.03 of the exact one at every capacity that holds at least
 * 100 sampled objects (1000 objects: smaller caches hold too few sampled
 * keys for an estimate, see doc/analyze.part.md), 0.01 on average. */
START_TEST(sampling_error_small)
{
    seq s = seq_make(1000000, 100000, 1.0, 1, 7);
    uint64_t caps[24];
    size_t n = 0;
    for (double c = 1000; c <= 100000; c *= 1.25)
        caps[n++] = (uint64_t)c;
    fx_mrc *exact = mrc_run(&s, caps, n, 1.0);
    fx_mrc *samp = mrc_run(&s, caps, n, 0.1);
    double worst = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        fx_mrc_point a, b;
        fx_mrc_point_get(exact, i, &a);
        fx_mrc_point_get(samp, i, &b);
        double d = fabs(a.hit_ratio - b.hit_ratio);
        worst = d > worst ? d : worst;
        sum += d;
        ck_assert_uint_eq(b.requests, s.n);
        ck_assert_uint_eq(b.hits + b.misses, s.n);
    }
    ck_assert_msg(worst < 0.03, "worst error %g", worst);
    ck_assert_msg(sum / (double)n < 0.01, "mean error %g", sum / (double)n);
    fx_mrc_summary ss;
    fx_mrc_summary_get(samp, &ss);
    ck_assert(fabs(ss.rate - 0.1) < 1e-6);
    ck_assert(ss.sampled > 80000 && ss.sampled < 120000);
    fx_mrc_free(exact);
    fx_mrc_free(samp);
    seq_free(&s);
}
END_TEST

START_TEST(bad_arguments)
{
    fx_mrc *m;
    fx_err e;
    uint64_t caps[] = {10, 0};
    ck_assert_int_eq(fx_mrc_alloc(caps, 2, 1.0, &m, &e), FX_EINVAL);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(fx_mrc_alloc(caps, 1, 0.0, &m, &e), FX_EINVAL);
    ck_assert_int_eq(fx_mrc_alloc(caps, 1, 1.5, &m, &e), FX_EINVAL);
    ck_assert_int_eq(fx_mrc_alloc(caps, 1, NAN, &m, &e), FX_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "sampling rate"));
    fx_mrc_free(NULL);
}
END_TEST

/* The key of a cache's lookup, as the replay computes it. */
START_TEST(source_keys)
{
    fx_trace_field f[2] = {
        {.node = 0, .has_bytes = 1, .has_hash = 1, .service = 5, .bytes = 64, .hash = 0xabc},
        {.node = 2, .has_bytes = 1, .service = 7, .bytes = 300}};
    fx_trace_rec rec = {0, "k", 1, 0x1234, f, 2, 1};
    uint64_t key, size;
    fx_mrc_source entry = {1, NULL, 0, 2, 99};
    fx_mrc_source_key(&entry, &rec, &key, &size);
    ck_assert_uint_eq(key, 0x1234);
    ck_assert_uint_eq(size, 300);
    uint32_t p0 = 0, p1 = 1;
    fx_mrc_source one = {0, &p0, 1, 1, 99};
    fx_mrc_source_key(&one, &rec, &key, &size);
    ck_assert_uint_eq(key, 0xabc);
    ck_assert_uint_eq(size, 99); /* node 1 is not on the line */
    fx_mrc_source absent = {0, &p1, 1, 0, 0};
    fx_mrc_source_key(&absent, &rec, &key, &size);
    ck_assert_uint_eq(key, fx_mix64(0x1234 ^ ((uint64_t)1 << 32)));
    ck_assert_uint_eq(size, 64);
    uint32_t both[] = {0, 1};
    fx_mrc_source two = {0, both, 2, 0, 0};
    fx_mrc_source_key(&two, &rec, &key, &size);
    ck_assert_uint_eq(key, fx_mix64(fx_mix64(0 ^ 0xabc) ^ fx_mix64(0x1234 ^ ((uint64_t)1 << 32))));
}
END_TEST

/* ---- against a full replay ------------------------------------------------- */

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/fx-mrc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A one-node service "work" behind an LRU cache over work..work: requests
 * 1 ms apart with 1 us demands never overlap, so each lookup sees every
 * earlier insertion, as the MRC assumes. */
START_TEST(replay_equals_mrc)
{
    char path[160], tpath[160];
    snprintf(path, sizeof path, "%s/one.service.json", dir);
    write_file(path, "{\"service\": \"one\", \"entry\": \"work\", \"exit\": \"work\",\n"
                     " \"nodes\": [{\"id\": \"work\"}], \"edges\": []}\n");
    snprintf(tpath, sizeof tpath, "%s/z.trace", dir);
    const char *nodes[] = {"work"};
    fx_trace_writer *w;
    fx_err e;
    ck_assert_int_eq(fx_trace_writer_open(tpath, "one", nodes, 1, &w, &e), FX_OK);
    zipf z = zipf_make(3000, 0.9);
    gsl_rng *r = fx_rng_alloc(11, 1);
    char key[32];
    size_t n = 20000;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = zipf_draw(&z, r);
        snprintf(key, sizeof key, "u%llu", (unsigned long long)k);
        fx_trace_field f = {.has_bytes = 1,
                            .has_hash = 1,
                            .service = FX_US,
                            .bytes = key_size(k, 0),
                            .hash = fx_mix64(k)};
        fx_trace_rec rec = {(fx_time)(i + 1) * FX_MS, key, strlen(key), 0, &f, 1, 0};
        ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    }
    gsl_rng_free(r);
    free(z.cdf);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);

    uint64_t caps[] = {1, 3000, 25000, 120000, 700000, 3000000};
    size_t ncaps = sizeof caps / sizeof caps[0];
    /* The MRC over the trace, keyed as the cache is. */
    fx_trace_reader *tr;
    ck_assert_int_eq(fx_trace_open(tpath, nodes, 1, &tr, &e), FX_OK);
    fx_mrc *m;
    ck_assert_int_eq(fx_mrc_alloc(caps, ncaps, 1.0, &m, &e), FX_OK);
    fx_mrc_source src = {1, NULL, 0, 0, 0};
    fx_trace_rec rec;
    while (fx_trace_next(tr, &rec, &e) == 1) {
        uint64_t k, sz;
        fx_mrc_source_key(&src, &rec, &k, &sz);
        ck_assert_int_ge(fx_mrc_access(m, k, sz), 0);
    }
    fx_trace_close(tr);

    for (size_t i = 0; i < ncaps; i++) {
        char apath[160], arch[512];
        snprintf(apath, sizeof apath, "%s/c%zu.json", dir, i);
        snprintf(arch, sizeof arch,
                 "{\"name\": \"c\", \"service\": \"one.service.json\",\n"
                 " \"pools\": [{\"id\": \"p\", \"nodes\": [\"work\"], \"servers\": 4,"
                 " \"cost_per_hour\": 0}],\n"
                 " \"caches\": [{\"id\": \"c\", \"from\": \"work\", \"to\": \"work\","
                 " \"pool\": \"p\", \"capacity_bytes\": %llu, \"policy\": \"lru\"}]}\n",
                 (unsigned long long)caps[i]);
        write_file(apath, arch);
        fx_arch *a;
        ck_assert_msg(fx_arch_load(apath, &a, &e) == FX_OK, "%s", e.msg);
        ck_assert_int_eq(fx_trace_open(tpath, a->svc->ids, a->svc->nnodes, &tr, &e), FX_OK);
        fx_replay_opts o = {1.0, 0, 1, NULL, NULL, NULL, 0};
        fx_replay_result res;
        ck_assert_msg(fx_replay_run(a, tr, &o, &res, &e) == FX_OK, "%s", e.msg);
        fx_mrc_point pt;
        fx_mrc_point_get(m, i, &pt);
        ck_assert_uint_eq(res.caches[0].hits + res.caches[0].misses, n);
        ck_assert_msg(pt.hits == res.caches[0].hits, "capacity %llu: MRC %llu, replay %llu",
                      (unsigned long long)caps[i], (unsigned long long)pt.hits,
                      (unsigned long long)res.caches[0].hits);
        fx_replay_result_free(&res);
        fx_trace_close(tr);
        fx_arch_free(a);
    }
    fx_mrc_free(m);
}
END_TEST

TCase *fx_tcase_mrc(void)
{
    TCase *tc = tcase_create("mrc");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unit_sizes_equal_lru);
    tcase_add_test(tc, variable_sizes_equal_lru);
    tcase_add_test(tc, capacity_order_and_duplicates);
    tcase_add_test(tc, non_monotone_curve);
    tcase_add_test(tc, compaction_keeps_exact);
    tcase_add_test(tc, changing_sizes_first_size_rule);
    tcase_add_test(tc, hit_at_smallest_capacity);
    tcase_add_test(tc, sampling_error_small);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, source_keys);
    tcase_add_test(tc, replay_equals_mrc);
    return tc;
}
