/* cache_lfu.c - least frequently used, in O(1) per operation.
 *
 * Entries are grouped in buckets of equal access count, the buckets kept in
 * a list by increasing count (Shah, Mitra, Matani, "An O(1) algorithm for
 * implementing the LFU cache eviction scheme", 2010). An inserted entry has
 * count 1; a hit or an update adds one and moves the entry to the front of
 * the next bucket. The victim is the back of the lowest bucket: among the
 * entries of the lowest count, the one whose last access (insertion, hit or
 * update) is the oldest. Counts are forgotten on eviction.
 *
 * A bucket is recycled as soon as it empties, and an entry alone in its
 * bucket relabels the bucket instead of moving, so there are never more
 * buckets than entries: reserve(n) makes access and insert allocation-free.
 */
#include "models/cache_policy.h"

typedef struct bucket {
    uint64_t count;
    struct bucket *lower, *higher;
    fx_cache_list list; /* front: the last to reach this count */
} bucket;

typedef struct lfu {
    bucket *lowest;
    fx_cache_pool buckets;
} lfu;

static fx_status lfu_init(void *state, fx_cache *c)
{
    fx_cache_pool_init(&((lfu *)state)->buckets, sizeof(bucket), c);
    return FX_OK;
}

static void lfu_fini(void *state)
{
    fx_cache_pool_fini(&((lfu *)state)->buckets);
}

static fx_status lfu_reserve(void *state, size_t n)
{
    return fx_cache_pool_reserve(&((lfu *)state)->buckets, n);
}

/* A new empty bucket of COUNT placed after LOWER (NULL: first). */
static bucket *bucket_new(lfu *s, uint64_t count, bucket *lower)
{
    bucket *b = fx_cache_pool_get(&s->buckets); /* reserved: never NULL */
    b->count = count;
    b->list = (fx_cache_list){0};
    b->lower = lower;
    b->higher = lower ? lower->higher : s->lowest;
    if (b->higher)
        b->higher->lower = b;
    if (lower)
        lower->higher = b;
    else
        s->lowest = b;
    return b;
}

static void bucket_unlink_entry(lfu *s, bucket *b, fx_cache_entry *e)
{
    fx_cache_list_unlink(&b->list, e);
    if (b->list.count > 0)
        return;
    if (b->lower)
        b->lower->higher = b->higher;
    else
        s->lowest = b->higher;
    if (b->higher)
        b->higher->lower = b->lower;
    fx_cache_pool_put(&s->buckets, b);
}

static void lfu_insert(void *state, fx_cache_entry *e)
{
    lfu *s = state;
    bucket *b = s->lowest;
    if (!b || b->count != 1)
        b = bucket_new(s, 1, NULL);
    fx_cache_list_push_front(&b->list, e);
    e->aux = b;
}

static void lfu_access(void *state, fx_cache_entry *e)
{
    lfu *s = state;
    bucket *b = e->aux;
    uint64_t count = b->count + 1;
    bucket *up = b->higher;
    if (!up || up->count != count) {
        if (b->list.count == 1) {
            b->count = count; /* alone: relabel, the order still holds */
            return;
        }
        up = bucket_new(s, count, b);
    }
    bucket_unlink_entry(s, b, e);
    fx_cache_list_push_front(&up->list, e);
    e->aux = up;
}

static void lfu_resize(void *state, fx_cache_entry *e, uint64_t old_size)
{
    (void)state;
    bucket *b = e->aux;
    b->list.bytes = b->list.bytes - old_size + e->size;
}

static fx_cache_entry *lfu_evict(void *state)
{
    lfu *s = state;
    if (!s->lowest)
        return NULL;
    fx_cache_entry *e = s->lowest->list.back;
    bucket_unlink_entry(s, s->lowest, e);
    e->aux = NULL;
    return e;
}

static void lfu_remove(void *state, fx_cache_entry *e)
{
    bucket_unlink_entry(state, e->aux, e);
    e->aux = NULL;
}

const fx_cache_policy fx_cache_lfu = {
    .name = "lfu",
    .summary = "least frequently used; ties by least recent access",
    .state_size = sizeof(lfu),
    .init = lfu_init,
    .fini = lfu_fini,
    .reserve = lfu_reserve,
    .insert = lfu_insert,
    .access = lfu_access,
    .resize = lfu_resize,
    .evict = lfu_evict,
    .remove = lfu_remove,
};
