/* Caches against deliberately simple models, and Space-Saving against exact
 * counts.
 *
 * Every registered policy runs the same workloads as a model of it written
 * here with plain arrays scanned linearly (no code shared with models/), and
 * every return value and every counter must agree after every operation. A
 * policy registered without a model fails the conformance test by name.
 *
 * Hot loops test with `if` and ck_abort_msg: Check records every passing
 * ck_assert with a write, which would dominate the run time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/cache.h"
#include "models/cache_policy.h"
#include "models/topk.h"
#include "sim/pcg.h"
#include "tests/check.h"

TCase *fx_tcase_cache(void);
TCase *fx_tcase_topk(void);

/* ---- the simple models ---------------------------------------------------- */

#define MODEL_MAX 1024

typedef struct mobj {
    uint64_t key, size, value;
    fx_time stored;
    uint64_t stamp; /* a tick: last access (LRU, LFU) or queue entry (FIFO, S3-FIFO) */
    uint64_t freq;
    int bit;
    char queue;    /* S3-FIFO: 'S' small, 'M' main */
    int was_ghost; /* S3-FIFO: given to insert, the key was a ghost */
} mobj;

typedef struct model model;

typedef struct model_ops {
    const char *name;
    void (*insert)(model *m, mobj o); /* O's policy fields are zero */
    void (*access)(model *m, int i);
    mobj (*evict)(model *m); /* remove the victim and return it */
    void (*remove)(model *m, int i);
    /* When a put of a new key begins: take KEY out of the ghosts, if the
     * policy has any; 1 when it was there. May be NULL. */
    int (*claim)(model *m, uint64_t key);
} model_ops;

struct model {
    const model_ops *ops;
    uint64_t cap;
    fx_time ttl;
    mobj o[MODEL_MAX]; /* the objects; what the order means is the policy's */
    int n;
    uint64_t tick;
    int hand;                  /* SIEVE: index of the hand, -1 for the tail */
    uint64_t ghost[MODEL_MAX]; /* S3-FIFO: ghost keys, oldest first */
    int ng;
    fx_cache_stats st;
};

static int m_find(const model *m, uint64_t key)
{
    for (int i = 0; i < m->n; i++)
        if (m->o[i].key == key)
            return i;
    return -1;
}

static mobj m_take(model *m, int i)
{
    mobj o = m->o[i];
    for (int j = i; j + 1 < m->n; j++)
        m->o[j] = m->o[j + 1];
    m->n--;
    return o;
}

static void m_append(model *m, mobj o)
{
    if (m->n >= MODEL_MAX)
        ck_abort_msg("model full");
    m->o[m->n++] = o;
}

static uint64_t m_bytes(const model *m)
{
    uint64_t b = 0;
    for (int i = 0; i < m->n; i++)
        b += m->o[i].size;
    return b;
}

/* The index of the smallest stamp among objects passing Q (0: any queue). */
static int m_oldest(const model *m, char q)
{
    int best = -1;
    for (int i = 0; i < m->n; i++)
        if ((q == 0 || m->o[i].queue == q) && (best < 0 || m->o[i].stamp < m->o[best].stamp))
            best = i;
    if (best < 0)
        ck_abort_msg("model: queue %c empty", q ? q : '*');
    return best;
}

static void m_remove_plain(model *m, int i)
{
    m_take(m, i);
}

/* LRU: evict the least recent access (insert or hit). */
static void lru_insert(model *m, mobj o)
{
    o.stamp = ++m->tick;
    m_append(m, o);
}
static void lru_access(model *m, int i)
{
    m->o[i].stamp = ++m->tick;
}
static mobj lru_evict(model *m)
{
    return m_take(m, m_oldest(m, 0));
}

/* FIFO: evict the oldest insertion. */
static void fifo_access(model *m, int i)
{
}

/* LFU: evict the fewest accesses, then the least recent access. */
static void lfu_insert(model *m, mobj o)
{
    o.freq = 1;
    o.stamp = ++m->tick;
    m_append(m, o);
}
static void lfu_access(model *m, int i)
{
    m->o[i].freq++;
    m->o[i].stamp = ++m->tick;
}
static mobj lfu_evict(model *m)
{
    int best = 0;
    for (int i = 1; i < m->n; i++) {
        const mobj *a = &m->o[i], *b = &m->o[best];
        if (a->freq < b->freq || (a->freq == b->freq && a->stamp < b->stamp))
            best = i;
    }
    return m_take(m, best);
}

/* CLOCK: o[0] is under the hand; the array runs round the circle from it. */
static void clock_insert(model *m, mobj o)
{
    m_append(m, o);
}
static void bit_access(model *m, int i)
{
    m->o[i].bit = 1;
}
static mobj clock_evict(model *m)
{
    while (m->o[0].bit) {
        mobj first = m_take(m, 0);
        first.bit = 0;
        m_append(m, first);
    }
    return m_take(m, 0);
}

/* SIEVE: o[0] is the tail (oldest), o[n-1] the head (newest). */
static void sieve_insert(model *m, mobj o)
{
    m_append(m, o);
}
static void sieve_remove(model *m, int i)
{
    if (m->hand == i)
        m->hand = i + 1 < m->n ? i : -1; /* the next one toward the head */
    else if (m->hand > i)
        m->hand--;
    m_take(m, i);
}
static mobj sieve_evict(model *m)
{
    int i = m->hand < 0 ? 0 : m->hand;
    while (m->o[i].bit) {
        m->o[i].bit = 0;
        i = i + 1 < m->n ? i + 1 : 0;
    }
    mobj v = m->o[i];
    m->hand = i;
    sieve_remove(m, i);
    return v;
}

/* S3-FIFO: queues are the objects tagged 'S' or 'M', ordered by stamp. */
static int s3_count(const model *m, char q, uint64_t *bytes)
{
    int n = 0;
    uint64_t b = 0;
    for (int i = 0; i < m->n; i++)
        if (m->o[i].queue == q) {
            n++;
            b += m->o[i].size;
        }
    if (bytes)
        *bytes = b;
    return n;
}
static void s3_ghost_drop(model *m, int g)
{
    for (int j = g; j + 1 < m->ng; j++)
        m->ghost[j] = m->ghost[j + 1];
    m->ng--;
}
static void s3_trim(model *m)
{
    while (m->ng > s3_count(m, 'M', NULL))
        s3_ghost_drop(m, 0);
}
static int s3_claim(model *m, uint64_t key)
{
    for (int g = 0; g < m->ng; g++)
        if (m->ghost[g] == key) {
            s3_ghost_drop(m, g);
            return 1;
        }
    return 0;
}
static void s3_insert(model *m, mobj o)
{
    o.queue = o.was_ghost ? 'M' : 'S';
    o.stamp = ++m->tick;
    m_append(m, o);
}
static void s3_access(model *m, int i)
{
    if (m->o[i].freq < 3)
        m->o[i].freq++;
}
static mobj s3_evict(model *m)
{
    for (;;) {
        uint64_t small_bytes;
        int ns = s3_count(m, 'S', &small_bytes);
        int nm = s3_count(m, 'M', NULL);
        if (ns > 0 && (small_bytes >= m->cap / 10 || nm == 0)) {
            int t = m_oldest(m, 'S');
            if (m->o[t].freq > 0) {
                m->o[t].freq = 0;
                m->o[t].queue = 'M';
                m->o[t].stamp = ++m->tick;
                continue;
            }
            mobj v = m_take(m, t);
            if (m->ng >= MODEL_MAX)
                ck_abort_msg("model ghost full");
            m->ghost[m->ng++] = v.key;
            s3_trim(m);
            return v;
        }
        int t = m_oldest(m, 'M');
        if (m->o[t].freq > 0) {
            m->o[t].freq--;
            m->o[t].stamp = ++m->tick;
            continue;
        }
        mobj v = m_take(m, t);
        s3_trim(m);
        return v;
    }
}
static void s3_remove(model *m, int i)
{
    m_take(m, i);
    s3_trim(m);
}

static const model_ops models[] = {
    {"lru", lru_insert, lru_access, lru_evict, m_remove_plain, NULL},
    {"fifo", lru_insert, fifo_access, lru_evict, m_remove_plain, NULL},
    {"lfu", lfu_insert, lfu_access, lfu_evict, m_remove_plain, NULL},
    {"clock", clock_insert, bit_access, clock_evict, m_remove_plain, NULL},
    {"sieve", sieve_insert, bit_access, sieve_evict, sieve_remove, NULL},
    {"s3fifo", s3_insert, s3_access, s3_evict, s3_remove, s3_claim},
};

static const model_ops *model_for(const char *name)
{
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

/* The contract of cache.h, on the model. */
static int model_get(model *m, uint64_t key, fx_time now, uint64_t *value)
{
    int i = m_find(m, key);
    if (i < 0) {
        m->st.misses++;
        return 0;
    }
    if (m->ttl > 0 && now - m->o[i].stored > m->ttl) {
        m->ops->remove(m, i);
        m->st.expirations++;
        m->st.misses++;
        return 0;
    }
    m->st.hits++;
    *value = m->o[i].value;
    m->ops->access(m, i);
    return 1;
}

static int model_put(model *m, uint64_t key, uint64_t size, uint64_t value, fx_time now)
{
    int i = m_find(m, key);
    if (i >= 0 && size > m->cap) {
        m->ops->remove(m, i);
        m->st.rejected++;
        return 0;
    }
    if (i >= 0) {
        m->st.updates++;
        m->o[i].value = value;
        m->o[i].stored = now;
        m->ops->access(m, i);
        m->o[i].size = size;
        /* Evict others until it fits; if the policy picks this very object,
         * it is set aside and comes back as a new one. */
        int aside = 0;
        mobj kept = {0};
        while (m_bytes(m) + (aside ? kept.size : 0) > m->cap) {
            mobj v = m->ops->evict(m);
            if (v.key == key) {
                if (m->ops->claim)
                    m->ops->claim(m, key); /* an object set aside is no ghost */
                aside = 1;
                kept = v;
                continue;
            }
            m->st.evictions++;
        }
        if (aside) {
            mobj fresh = {
                .key = kept.key, .size = kept.size, .value = kept.value, .stored = kept.stored};
            m->ops->insert(m, fresh);
        }
        return 1;
    }
    if (size > m->cap) {
        m->st.rejected++;
        return 0;
    }
    int was_ghost = m->ops->claim ? m->ops->claim(m, key) : 0;
    while (m_bytes(m) + size > m->cap) {
        m->ops->evict(m);
        m->st.evictions++;
    }
    mobj o = {.key = key, .size = size, .value = value, .stored = now, .was_ghost = was_ghost};
    m->ops->insert(m, o);
    m->st.insertions++;
    return 1;
}

static void model_stats(const model *m, fx_cache_stats *s)
{
    *s = m->st;
    s->bytes = m_bytes(m);
    s->objects = (uint64_t)m->n;
}

/* ---- workloads ------------------------------------------------------------ */

#define KEYS 300

typedef struct workload {
    uint64_t cap;
    int zipf;       /* else uniform */
    int unit_sizes; /* every object 1 byte: a cache counted in objects */
    fx_time ttl;
    int ops;
    uint64_t seed;
} workload;

static uint64_t key_of(int id)
{
    return fx_mix64((uint64_t)id * 7919u + 13u);
}

static uint64_t size_of(const workload *w, int id)
{
    return w->unit_sizes ? 1 : 1 + fx_mix64((uint64_t)id) % 64;
}

static void assert_stats_eq(const fx_cache_stats *a, const fx_cache_stats *b, const char *policy,
                            int op)
{
    const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
    static const char *const names[] = {"hits",        "misses",   "insertions",
                                        "updates",     "rejected", "evictions",
                                        "expirations", "bytes",    "objects"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (x[i] != y[i])
            ck_abort_msg("%s op %d: %s = %llu, the model says %llu", policy, op, names[i],
                         (unsigned long long)x[i], (unsigned long long)y[i]);
}

/* Run W on the policy NAME and on its model; everything must agree. Returns
 * the hits, so callers can see a workload is not trivial. */
static uint64_t run_against_model(const char *name, const workload *w)
{
    const model_ops *ops = model_for(name);
    ck_assert_msg(ops != NULL, "cache policy \"%s\" has no model in check_cache.c", name);
    model *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    m->ops = ops;
    m->cap = w->cap;
    m->ttl = w->ttl;
    m->hand = -1;
    fx_cache *c;
    fx_err e;
    ck_assert_int_eq(fx_cache_alloc(name, w->cap, &c, &e), FX_OK);
    fx_cache_set_ttl(c, w->ttl);

    double cdf[KEYS], sum = 0;
    for (int i = 0; i < KEYS; i++)
        cdf[i] = (sum += pow(i + 1, -0.9));
    fx_pcg32 r;
    fx_pcg32_seed(&r, w->seed, 7);
    fx_time now = 0;
    for (int op = 0; op < w->ops; op++) {
        now += 1 + fx_pcg32_bounded(&r, 1000);
        int id;
        if (w->zipf) {
            double u = fx_pcg32_open01(&r) * sum;
            id = 0;
            while (id < KEYS - 1 && cdf[id] < u)
                id++;
        } else {
            id = (int)fx_pcg32_bounded(&r, KEYS);
        }
        uint64_t key = key_of(id), size = size_of(w, id), value = fx_pcg32_next(&r);
        uint32_t what = fx_pcg32_bounded(&r, 100);
        int rc, mrc;
        if (what < 80) {
            uint64_t v1 = 0, v2 = 0;
            fx_time stored = -1;
            rc = fx_cache_get(c, key, now, &v1, &stored);
            mrc = model_get(m, key, now, &v2);
            if (rc != mrc)
                ck_abort_msg("%s op %d: get %d, the model says %d", name, op, rc, mrc);
            if (rc && (v1 != v2 || stored < 0 || stored > now))
                ck_abort_msg("%s op %d: a hit returned value %llu stored %lld", name, op,
                             (unsigned long long)v1, (long long)stored);
            if (!rc) {
                rc = fx_cache_put(c, key, size, value, now);
                mrc = model_put(m, key, size, value, now);
            }
        } else {
            if (what < 92)
                ; /* an update of the usual size, or an insertion */
            else if (what < 98)
                size = w->unit_sizes ? 1 : fx_pcg32_bounded(&r, 130); /* resized, maybe 0 */
            else
                size = w->cap + fx_pcg32_bounded(&r, 2); /* at or past the capacity */
            rc = fx_cache_put(c, key, size, value, now);
            mrc = model_put(m, key, size, value, now);
        }
        if (rc != mrc)
            ck_abort_msg("%s op %d: put %d, the model says %d", name, op, rc, mrc);
        fx_cache_stats cs, ms;
        fx_cache_stats_get(c, &cs);
        model_stats(m, &ms);
        if (cs.bytes > w->cap)
            ck_abort_msg("%s op %d: %llu bytes held in %llu", name, op,
                         (unsigned long long)cs.bytes, (unsigned long long)w->cap);
        assert_stats_eq(&cs, &ms, name, op);
    }
    fx_cache_stats cs;
    fx_cache_stats_get(c, &cs);
    fx_cache_free(c);
    free(m);
    return cs.hits;
}

START_TEST(policy_matches_model)
{
    const char *name = fx_cache_policy_name(fx_cache_policies[_i]);
    ck_assert_ptr_nonnull(name);
    ck_assert_ptr_nonnull(fx_cache_policy_summary(fx_cache_policies[_i]));
    ck_assert_ptr_eq(fx_cache_policy_find(name), fx_cache_policies[_i]);
    /* Tiny (most objects do not fit), small, middling, and larger than the
     * whole working set (about 9.6 kB). */
    static const uint64_t caps[] = {1, 40, 200, 1500, 6000, 100000};
    uint64_t seed = 1;
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++)
        for (int zipf = 0; zipf <= 1; zipf++)
            for (int ttl = 0; ttl <= 1; ttl++) {
                workload w = {caps[k], zipf, 0, ttl ? 40000 : 0, 4000, seed++};
                uint64_t hits = run_against_model(name, &w);
                if (caps[k] >= 1500)
                    ck_assert_uint_gt(hits, 0);
            }
    /* Object counts: every object one byte. */
    static const uint64_t units[] = {1, 2, 7, 30, 120, 1000};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        for (int zipf = 0; zipf <= 1; zipf++) {
            workload w = {units[k], zipf, 1, zipf ? 0 : 30000, 4000, seed++};
            run_against_model(name, &w);
        }
}
END_TEST

/* ---- known answers, worked by hand ------------------------------------------- */

static fx_cache *cache_new(const char *policy, uint64_t cap)
{
    fx_cache *c = NULL;
    fx_err e;
    ck_assert_int_eq(fx_cache_alloc(policy, cap, &c, &e), FX_OK);
    return c;
}

static int held(fx_cache *c, uint64_t key)
{
    /* A lookup is an access: callers check keys once, after the sequence. */
    return fx_cache_get(c, key, 0, NULL, NULL);
}

START_TEST(known_victims)
{
    /* Unit sizes, capacity 3: a b c, hit a, then d evicts the victim. */
    static const struct {
        const char *policy;
        uint64_t victim;
    } cases[] = {
        {"lru", 'b'},    /* a was used last-but-one: b is least recent */
        {"fifo", 'a'},   /* a came first */
        {"lfu", 'b'},    /* b and c once, a twice: b is the older of the two */
        {"clock", 'b'},  /* the hand spares a once, takes b */
        {"sieve", 'b'},  /* the hand starts at the tail a, visited: b */
        {"s3fifo", 'b'}, /* a accessed: to main; b is the first unaccessed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_cache *c = cache_new(cases[i].policy, 3);
        for (uint64_t k = 'a'; k <= 'c'; k++)
            ck_assert_int_eq(fx_cache_put(c, k, 1, k, 0), 1);
        ck_assert_int_eq(fx_cache_get(c, 'a', 0, NULL, NULL), 1);
        ck_assert_int_eq(fx_cache_put(c, 'd', 1, 'd', 0), 1);
        fx_cache_stats s;
        fx_cache_stats_get(c, &s);
        ck_assert_uint_eq(s.evictions, 1);
        for (uint64_t k = 'a'; k <= 'd'; k++)
            ck_assert_msg(held(c, k) == (k != cases[i].victim), "%s: key %c", cases[i].policy,
                          (int)k);
        fx_cache_free(c);
    }
    /* SIEVE keeps its hand: after evicting b it rests on c, so e evicts c
     * (unvisited) even though a, older, lost its visited bit. */
    fx_cache *c = cache_new("sieve", 3);
    for (uint64_t k = 'a'; k <= 'c'; k++)
        fx_cache_put(c, k, 1, k, 0);
    fx_cache_get(c, 'a', 0, NULL, NULL);
    fx_cache_put(c, 'd', 1, 'd', 0);
    fx_cache_put(c, 'e', 1, 'e', 0);
    ck_assert_int_eq(held(c, 'c'), 0);
    ck_assert_int_eq(held(c, 'a'), 1);
    fx_cache_free(c);
    /* Variable sizes: evict until the new object fits. */
    c = cache_new("fifo", 10);
    fx_cache_put(c, 1, 4, 0, 0);
    fx_cache_put(c, 2, 4, 0, 0);
    fx_cache_put(c, 3, 2, 0, 0);
    ck_assert_int_eq(fx_cache_put(c, 4, 7, 0, 0), 1); /* 4 + 4 + 2 = 10: two must go */
    fx_cache_stats s;
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.evictions, 2);
    ck_assert_uint_eq(s.bytes, 9);
    ck_assert_uint_eq(s.objects, 2);
    fx_cache_free(c);
}
END_TEST

START_TEST(unknown_policy)
{
    fx_cache *c = (fx_cache *)&c;
    fx_err e;
    fx_err_clear(&e);
    ck_assert_int_eq(fx_cache_alloc("lrv", 100, &c, &e), FX_EINVAL);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(e.msg, "cache policy \"lrv\": expected one of lru, fifo, lfu, clock, "
                            "s3fifo, sieve");
    ck_assert_ptr_null(fx_cache_policy_find("lrv"));
    ck_assert_ptr_null(fx_cache_policy_find(""));
    ck_assert_int_eq(fx_cache_alloc("lru", 0, &c, &e), FX_EINVAL);
    ck_assert_ptr_null(c);
    fx_cache_free(NULL);
}
END_TEST

START_TEST(too_large_rejected)
{
    fx_cache *c = cache_new(fx_cache_policy_name(fx_cache_policies[_i]), 100);
    fx_cache_stats s;
    ck_assert_int_eq(fx_cache_put(c, 1, 101, 7, 0), 0);
    ck_assert_int_eq(fx_cache_put(c, 2, 100, 7, 0), 1); /* exactly the capacity fits */
    ck_assert_int_eq(fx_cache_put(c, 3, 60, 7, 0), 1);  /* and makes 2 go */
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.rejected, 1);
    ck_assert_uint_eq(s.insertions, 2);
    ck_assert_uint_eq(s.evictions, 1);
    ck_assert_uint_eq(s.objects, 1);
    ck_assert_uint_eq(s.bytes, 60);
    /* A held key updated past the capacity is removed. */
    ck_assert_int_eq(fx_cache_put(c, 3, 1000, 8, 1), 0);
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.rejected, 2);
    ck_assert_uint_eq(s.updates, 0);
    ck_assert_uint_eq(s.objects, 0);
    ck_assert_uint_eq(s.bytes, 0);
    ck_assert_int_eq(fx_cache_get(c, 3, 1, NULL, NULL), 0);
    ck_assert_uint_eq(fx_cache_capacity(c), 100);
    fx_cache_free(c);
}
END_TEST

START_TEST(updates_in_place)
{
    fx_cache *c = cache_new(fx_cache_policy_name(fx_cache_policies[_i]), 100);
    uint64_t v;
    fx_time t;
    ck_assert_int_eq(fx_cache_put(c, 5, 10, 1, 100), 1);
    ck_assert_int_eq(fx_cache_put(c, 5, 30, 2, 200), 1);
    ck_assert_int_eq(fx_cache_get(c, 5, 250, &v, &t), 1);
    ck_assert_uint_eq(v, 2);
    ck_assert_int_eq(t, 200);
    fx_cache_stats s;
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.insertions, 1);
    ck_assert_uint_eq(s.updates, 1);
    ck_assert_uint_eq(s.bytes, 30);
    ck_assert_uint_eq(s.objects, 1);
    /* Growing to the whole capacity makes everything else go, not itself. */
    for (uint64_t k = 6; k < 10; k++)
        fx_cache_put(c, k, 10, k, 300);
    ck_assert_int_eq(fx_cache_put(c, 5, 100, 3, 400), 1);
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.objects, 1);
    ck_assert_uint_eq(s.bytes, 100);
    ck_assert_int_eq(fx_cache_get(c, 5, 400, &v, NULL), 1);
    ck_assert_uint_eq(v, 3);
    fx_cache_free(c);
}
END_TEST

START_TEST(ttl_expiry)
{
    fx_cache *c = cache_new(fx_cache_policy_name(fx_cache_policies[_i]), 1000);
    fx_cache_set_ttl(c, 100);
    fx_cache_put(c, 1, 10, 11, 0);
    fx_cache_put(c, 2, 10, 22, 50);
    ck_assert_int_eq(fx_cache_get(c, 1, 100, NULL, NULL), 1); /* age 100: not older */
    ck_assert_int_eq(fx_cache_get(c, 1, 101, NULL, NULL), 0); /* age 101: expired */
    ck_assert_int_eq(fx_cache_get(c, 1, 102, NULL, NULL), 0); /* gone: a plain miss */
    fx_cache_put(c, 2, 10, 23, 120);                          /* an update restarts it */
    ck_assert_int_eq(fx_cache_get(c, 2, 200, NULL, NULL), 1);
    fx_cache_stats s;
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(s.hits, 2);
    ck_assert_uint_eq(s.misses, 2);
    ck_assert_uint_eq(s.expirations, 1);
    ck_assert_uint_eq(s.objects, 1);
    ck_assert_uint_eq(s.bytes, 10);
    fx_cache_set_ttl(c, 0); /* disabled: nothing expires */
    ck_assert_int_eq(fx_cache_get(c, 2, FX_TIME_MAX / 2, NULL, NULL), 1);
    fx_cache_free(c);
}
END_TEST

START_TEST(stats_reset)
{
    fx_cache *c = cache_new(fx_cache_policy_name(fx_cache_policies[_i]), 50);
    for (uint64_t k = 0; k < 20; k++) {
        fx_cache_get(c, k % 7, 0, NULL, NULL);
        fx_cache_put(c, k % 7, 9, k, 0);
    }
    fx_cache_stats before, s;
    fx_cache_stats_get(c, &before);
    ck_assert_uint_gt(before.evictions, 0);
    fx_cache_reset_stats(c);
    fx_cache_stats_get(c, &s);
    ck_assert_uint_eq(
        s.hits + s.misses + s.insertions + s.updates + s.rejected + s.evictions + s.expirations, 0);
    ck_assert_uint_eq(s.bytes, before.bytes);
    ck_assert_uint_eq(s.objects, before.objects);
    /* The contents stay: whatever was held still hits. */
    uint64_t found = 0;
    for (uint64_t k = 0; k < 7; k++)
        found += (uint64_t)fx_cache_get(c, k, 0, NULL, NULL);
    ck_assert_uint_eq(found, before.objects);
    fx_cache_free(c);
}
END_TEST

/* Once warm, more of the same traffic allocates nothing. */
static void steady_state(const char *policy, uint64_t cap, int unit)
{
    fx_cache *c = cache_new(policy, cap);
    fx_cache_set_ttl(c, 5000);
    fx_pcg32 r;
    fx_pcg32_seed(&r, 99, 3);
    fx_time now = 0;
    uint64_t allocs = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 50000; i++) {
            int id = (int)fx_pcg32_bounded(&r, 2000);
            uint64_t size = unit ? 1 : 1 + fx_pcg32_bounded(&r, 100);
            now += 7;
            if (!fx_cache_get(c, key_of(id), now, NULL, NULL))
                if (fx_cache_put(c, key_of(id), size, 0, now) < 0)
                    ck_abort_msg("out of memory");
        }
        if (round == 0)
            allocs = fx_cache_allocs(c);
    }
    ck_assert_uint_gt(allocs, 0);
    ck_assert_msg(fx_cache_allocs(c) == allocs, "%s: %llu allocations after warming, then %llu",
                  policy, (unsigned long long)allocs, (unsigned long long)fx_cache_allocs(c));
    fx_cache_free(c);
}

START_TEST(no_allocation_when_warm)
{
    const char *name = fx_cache_policy_name(fx_cache_policies[_i]);
    steady_state(name, 500, 1);      /* at most 500 objects */
    steady_state(name, 10000000, 0); /* every key held */
}
END_TEST

START_TEST(large_cache)
{
    /* Enough objects to grow the index and slabs many times over. */
    const char *name = fx_cache_policy_name(fx_cache_policies[_i]);
    fx_cache *c = cache_new(name, 200000);
    fx_pcg32 r;
    fx_pcg32_seed(&r, 5, 5);
    for (int i = 0; i < 400000; i++) {
        uint64_t key = fx_pcg32_bounded(&r, 300000);
        if (!fx_cache_get(c, key, i, NULL, NULL) && fx_cache_put(c, key, 1 + key % 3, key, i) != 1)
            ck_abort_msg("put %d failed", i);
    }
    fx_cache_stats s;
    fx_cache_stats_get(c, &s);
    ck_assert_uint_le(s.bytes, 200000);
    ck_assert_uint_eq(s.hits + s.misses, 400000);
    ck_assert_uint_eq(s.insertions - s.evictions, s.objects);
    fx_cache_free(c);
}
END_TEST

static int policy_count(void)
{
    int n = 0;
    while (fx_cache_policies[n])
        n++;
    return n;
}

TCase *fx_tcase_cache(void)
{
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 120);
    int n = policy_count();
    tcase_add_loop_test(tc, policy_matches_model, 0, n);
    tcase_add_test(tc, known_victims);
    tcase_add_test(tc, unknown_policy);
    tcase_add_loop_test(tc, too_large_rejected, 0, n);
    tcase_add_loop_test(tc, updates_in_place, 0, n);
    tcase_add_loop_test(tc, ttl_expiry, 0, n);
    tcase_add_loop_test(tc, stats_reset, 0, n);
    tcase_add_loop_test(tc, no_allocation_when_warm, 0, n);
    tcase_add_loop_test(tc, large_cache, 0, n);
    return tc;
}

/* ---- Space-Saving ------------------------------------------------------------ */

#define TK_KEYS   10000
#define TK_STREAM 1000000

/* A Zipf(1.0) stream over TK_KEYS keys: key i + 1000 has rank i. */
static void zipf_stream(uint64_t *out, size_t n, uint64_t seed)
{
    double *cdf = malloc(TK_KEYS * sizeof *cdf);
    ck_assert_ptr_nonnull(cdf);
    double sum = 0;
    for (int i = 0; i < TK_KEYS; i++)
        cdf[i] = (sum += 1.0 / (i + 1));
    fx_pcg32 r;
    fx_pcg32_seed(&r, seed, 11);
    for (size_t j = 0; j < n; j++) {
        double u = fx_pcg32_open01(&r) * sum;
        size_t lo = 0, hi = TK_KEYS - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        out[j] = lo + 1000;
    }
    free(cdf);
}

START_TEST(topk_zipf)
{
    uint64_t *s = malloc(TK_STREAM * sizeof *s);
    uint64_t *truth = calloc(TK_KEYS + 1000, sizeof *truth);
    ck_assert(s && truth);
    zipf_stream(s, TK_STREAM, 2024);
    for (size_t j = 0; j < TK_STREAM; j++)
        truth[s[j]]++;
    /* The exact top 10, most frequent first, ties by key. */
    uint64_t best[10] = {0};
    for (int slot = 0; slot < 10; slot++) {
        uint64_t b = 0;
        for (uint64_t k = 1000; k < TK_KEYS + 1000; k++) {
            int taken = 0;
            for (int q = 0; q < slot; q++)
                taken |= best[q] == k;
            if (!taken && (b == 0 || truth[k] > truth[b]))
                b = k;
        }
        best[slot] = b;
    }
    static const size_t ms[] = {100, 2000};
    for (size_t mi = 0; mi < 2; mi++) {
        size_t m = ms[mi];
        fx_topk *t = fx_topk_alloc(m);
        ck_assert_ptr_nonnull(t);
        for (size_t j = 0; j < TK_STREAM; j++)
            fx_topk_add(t, s[j]);
        uint64_t *keys = malloc(2 * m * sizeof *keys), *counts = malloc(2 * m * sizeof *counts);
        ck_assert(keys && counts);
        /* M counters: never more than M keys held. */
        size_t held_n = fx_topk_top(t, 2 * m, keys, counts);
        ck_assert_uint_eq(held_n, m);
        uint64_t bound = TK_STREAM / m, total = 0;
        for (size_t i = 0; i < held_n; i++) {
            uint64_t k = keys[i];
            ck_assert(k >= 1000 && k < TK_KEYS + 1000);
            ck_assert_uint_ge(counts[i], truth[k]);         /* over-estimates */
            ck_assert_uint_le(counts[i] - truth[k], bound); /* by at most N/M */
            if (i > 0)
                ck_assert(counts[i] < counts[i - 1] ||
                          (counts[i] == counts[i - 1] && keys[i] > keys[i - 1]));
            total += counts[i];
        }
        ck_assert_uint_eq(total, TK_STREAM); /* Space-Saving's counts sum to N */
        /* Every key more frequent than N/M is held. */
        for (uint64_t k = 1000; k < TK_KEYS + 1000; k++) {
            if (truth[k] <= bound)
                continue;
            int found = 0;
            for (size_t i = 0; i < held_n; i++)
                found |= keys[i] == k;
            ck_assert_msg(found, "M=%zu: key %llu (%llu times) not held", m, (unsigned long long)k,
                          (unsigned long long)truth[k]);
        }
        if (m == 2000) {
            /* Large enough: the reported top 10 is the true top 10. */
            ck_assert_uint_eq(fx_topk_top(t, 10, keys, NULL), 10);
            for (int q = 0; q < 10; q++)
                ck_assert_uint_eq(keys[q], best[q]);
        }
        free(keys);
        free(counts);
        fx_topk_free(t);
    }
    free(s);
    free(truth);
}
END_TEST

START_TEST(topk_small)
{
    fx_topk *t = fx_topk_alloc(3);
    uint64_t keys[8], counts[8];
    ck_assert_uint_eq(fx_topk_top(t, 8, keys, counts), 0);
    /* 9 x3, 4 x3, 7 x1: ties by key. */
    static const uint64_t seq[] = {9, 4, 9, 7, 4, 9, 4};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        fx_topk_add(t, seq[i]);
    ck_assert_uint_eq(fx_topk_top(t, 8, keys, counts), 3);
    ck_assert_uint_eq(keys[0], 4);
    ck_assert_uint_eq(keys[1], 9);
    ck_assert_uint_eq(keys[2], 7);
    ck_assert_uint_eq(counts[0], 3);
    ck_assert_uint_eq(counts[2], 1);
    ck_assert_uint_eq(fx_topk_top(t, 1, keys, NULL), 1);
    ck_assert_uint_eq(keys[0], 4);
    /* A new key takes the minimum counter (7's) and inherits 1, plus one. */
    fx_topk_add(t, 100);
    ck_assert_uint_eq(fx_topk_top(t, 8, keys, counts), 3);
    ck_assert_uint_eq(keys[2], 100);
    ck_assert_uint_eq(counts[2], 2);
    ck_assert_uint_eq(fx_topk_top(t, 0, keys, counts), 0);
    fx_topk_free(t);
    fx_topk_free(NULL);
    ck_assert_ptr_null(fx_topk_alloc(0));
    /* One counter: always the last key, counting the whole stream. */
    t = fx_topk_alloc(1);
    for (uint64_t k = 0; k < 50; k++)
        fx_topk_add(t, k);
    ck_assert_uint_eq(fx_topk_top(t, 4, keys, counts), 1);
    ck_assert_uint_eq(keys[0], 49);
    ck_assert_uint_eq(counts[0], 50);
    fx_topk_free(t);
}
END_TEST

START_TEST(topk_ties_within_bucket)
{
    /* 40 keys seen once each: top 5 are the 5 smallest keys. */
    fx_topk *t = fx_topk_alloc(64);
    for (uint64_t k = 40; k > 0; k--)
        fx_topk_add(t, k * 3);
    uint64_t keys[5];
    ck_assert_uint_eq(fx_topk_top(t, 5, keys, NULL), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(keys[i], 3u * (uint64_t)(i + 1));
    fx_topk_free(t);
}
END_TEST

TCase *fx_tcase_topk(void)
{
    TCase *tc = tcase_create("topk");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, topk_zipf);
    tcase_add_test(tc, topk_small);
    tcase_add_test(tc, topk_ties_within_bucket);
    return tc;
}
