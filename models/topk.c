/* topk.c - Space-Saving over a stream-summary (Metwally, Agrawal, El Abbadi,
 * "Efficient computation of frequent and top-k elements in data streams",
 * ICDT 2005).
 *
 * Counters are grouped in buckets of equal count; the buckets form a list
 * by increasing count. Counting a held key moves its counter to the next
 * bucket (creating it, or relabelling the old bucket when the counter was
 * alone there); a key not held takes a counter from the lowest bucket and
 * inherits its count, recorded as the counter's possible over-estimation.
 * All memory (M counters, M buckets, an index of 2M..4M slots) is taken at
 * alloc: there are never more non-empty buckets than counters.
 */
#include "models/topk.h"

#include <stdlib.h>
#include <string.h>

#include "sim/pcg.h"

typedef struct tk_bucket tk_bucket;

typedef struct tk_counter {
    uint64_t key;
    uint64_t error;                 /* the count inherited when the key took the counter */
    struct tk_counter *prev, *next; /* within the bucket; front: newest */
    tk_bucket *bucket;
} tk_counter;

struct tk_bucket {
    uint64_t count;
    tk_bucket *lower, *higher;
    tk_counter *front, *back;
    size_t n;
};

struct fx_topk {
    size_t m, used;
    tk_counter *counters;
    tk_bucket *buckets; /* M of them */
    tk_bucket *free;    /* unused buckets, linked through higher */
    tk_bucket *lowest, *highest;
    tk_counter **slots; /* open addressing, linear probing, NULL: empty */
    size_t mask;
};

fx_topk *fx_topk_alloc(size_t m)
{
    if (m < 1 || m > SIZE_MAX / 4 / sizeof(tk_counter))
        return NULL;
    fx_topk *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    size_t slots = 2;
    while (slots < 2 * m)
        slots *= 2;
    t->m = m;
    t->mask = slots - 1;
    t->counters = calloc(m, sizeof *t->counters);
    t->buckets = calloc(m, sizeof *t->buckets);
    t->slots = calloc(slots, sizeof *t->slots);
    if (!t->counters || !t->buckets || !t->slots) {
        fx_topk_free(t);
        return NULL;
    }
    for (size_t i = m; i-- > 0;) {
        t->buckets[i].higher = t->free;
        t->free = &t->buckets[i];
    }
    return t;
}

void fx_topk_free(fx_topk *t)
{
    if (!t)
        return;
    free(t->counters);
    free(t->buckets);
    free(t->slots);
    free(t);
}

/* ---- index ---------------------------------------------------------------- */

static tk_counter **slot_of(const fx_topk *t, uint64_t key)
{
    size_t i = (size_t)fx_mix64(key) & t->mask;
    while (t->slots[i] && t->slots[i]->key != key)
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

static void index_del(fx_topk *t, uint64_t key)
{
    size_t i = (size_t)(slot_of(t, key) - t->slots);
    size_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (!t->slots[j])
            break;
        size_t h = (size_t)fx_mix64(t->slots[j]->key) & t->mask;
        int stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i] = NULL;
}

/* ---- stream summary ------------------------------------------------------- */

/* An empty bucket of COUNT placed just above LOWER (NULL: at the bottom). */
static tk_bucket *bucket_new(fx_topk *t, uint64_t count, tk_bucket *lower)
{
    tk_bucket *b = t->free;
    t->free = b->higher;
    memset(b, 0, sizeof *b);
    b->count = count;
    b->lower = lower;
    b->higher = lower ? lower->higher : t->lowest;
    if (b->higher)
        b->higher->lower = b;
    else
        t->highest = b;
    if (lower)
        lower->higher = b;
    else
        t->lowest = b;
    return b;
}

static void bucket_push(tk_bucket *b, tk_counter *c)
{
    c->prev = NULL;
    c->next = b->front;
    if (b->front)
        b->front->prev = c;
    else
        b->back = c;
    b->front = c;
    b->n++;
    c->bucket = b;
}

static void bucket_take(fx_topk *t, tk_bucket *b, tk_counter *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        b->front = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        b->back = c->prev;
    if (--b->n > 0)
        return;
    if (b->lower)
        b->lower->higher = b->higher;
    else
        t->lowest = b->higher;
    if (b->higher)
        b->higher->lower = b->lower;
    else
        t->highest = b->lower;
    b->higher = t->free;
    t->free = b;
}

static void increment(fx_topk *t, tk_counter *c)
{
    tk_bucket *b = c->bucket;
    uint64_t count = b->count + 1;
    tk_bucket *up = b->higher;
    if (!up || up->count != count) {
        if (b->n == 1) {
            b->count = count;
            return;
        }
        up = bucket_new(t, count, b);
    }
    bucket_take(t, b, c);
    bucket_push(up, c);
}

void fx_topk_add(fx_topk *t, uint64_t key)
{
    tk_counter **s = slot_of(t, key);
    if (*s) {
        increment(t, *s);
        return;
    }
    tk_counter *c;
    if (t->used < t->m) {
        c = &t->counters[t->used++];
        c->key = key;
        c->error = 0;
        tk_bucket *b = t->lowest;
        if (!b || b->count != 1)
            b = bucket_new(t, 1, NULL);
        bucket_push(b, c);
        *s = c;
        return;
    }
    /* Replace the counter that reached the minimum count first. */
    c = t->lowest->back;
    index_del(t, c->key);
    c->key = key;
    c->error = t->lowest->count;
    *slot_of(t, key) = c;
    increment(t, c);
}

/* ---- queries -------------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Restore the max-heap property of H[0..n) below I. */
static void sift_down(uint64_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, big = i;
        if (l < n && h[l] > h[big])
            big = l;
        if (l + 1 < n && h[l + 1] > h[big])
            big = l + 1;
        if (big == i)
            return;
        uint64_t tmp = h[i];
        h[i] = h[big];
        h[big] = tmp;
        i = big;
    }
}

size_t fx_topk_top(const fx_topk *t, size_t k, uint64_t *keys, uint64_t *counts)
{
    size_t out = 0;
    for (const tk_bucket *b = t->highest; b && out < k; b = b->lower) {
        uint64_t *seg = keys + out;
        size_t r = k - out, n = 0;
        const tk_counter *c = b->front;
        /* The R smallest keys of the bucket: the first R, then a max-heap. */
        for (; c && n < r; c = c->next)
            seg[n++] = c->key;
        if (c) {
            for (size_t i = n / 2; i-- > 0;)
                sift_down(seg, n, i);
            for (; c; c = c->next) {
                if (c->key < seg[0]) {
                    seg[0] = c->key;
                    sift_down(seg, n, 0);
                }
            }
        }
        qsort(seg, n, sizeof *seg, key_cmp);
        if (counts)
            for (size_t i = 0; i < n; i++)
                counts[out + i] = b->count;
        out += n;
    }
    return out;
}
