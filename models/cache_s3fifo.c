/* cache_s3fifo.c - S3-FIFO (Yang, Zhang, Qiu, Yue, Rashmi, "FIFO queues are
 * all you need for cache eviction", SOSP 2023).
 *
 * Three FIFO queues: a small one (S) meant to hold about 10% of the bytes,
 * a main one (M), and a ghost (G) holding only keys. Each entry has an
 * access counter capped at 3; a hit or an update adds one.
 *
 * The exact variant implemented (and modelled in the tests):
 *   - insert: a key that was in G enters M; any other enters S. Counters
 *     start at 0.
 *   - evict (one victim per call, repeated until the new object fits): if S
 *     is not empty and holds at least capacity/10 bytes (integer division),
 *     or M is empty, look at the tail of S: an entry accessed at least once
 *     moves to the head of M with its counter cleared, and the choice starts
 *     over; otherwise it is the victim and its key enters G. Else look at
 *     the tail of M: an entry with a counter above 0 goes back to the head
 *     of M with its counter less one; otherwise it is the victim.
 *   - G never holds more keys than M holds entries: whenever a key enters G
 *     or M loses an entry, the oldest keys of G are dropped until it fits.
 *
 *   - a put of a key in G takes it out of G before room is made for it.
 *
 * Moving an accessed entry from S to M does not evict from M on the spot
 * (as the paper's pseudo-code does when M is full): M is trimmed by the
 * following evictions, which find S under its share. G's keys are ghost
 * entries of the common index (cache_policy.h), so checking G costs nothing
 * beyond the lookup every put makes.
 */
#include "models/cache_policy.h"

enum { IN_SMALL = 1, IN_MAIN = 2, IN_GHOST = 3 };

#define FREQ_MAX 3

typedef struct s3fifo {
    fx_cache_list small, main; /* front: head (newest) */
    fx_cache_list ghost;       /* ghost entries, front: newest */
    uint64_t small_bytes;      /* S's share: capacity / 10 */
    fx_cache *cache;
} s3fifo;

static fx_status s3fifo_init(void *state, fx_cache *c)
{
    s3fifo *s = state;
    s->small_bytes = fx_cache_capacity(c) / 10;
    s->cache = c;
    return FX_OK;
}

/* Drop the oldest ghosts until at most MAX remain. */
static void ghost_trim(s3fifo *s, size_t max)
{
    while (s->ghost.count > max) {
        fx_cache_entry *g = s->ghost.back;
        fx_cache_list_unlink(&s->ghost, g);
        fx_cache_forget(s->cache, g);
    }
}

static void s3fifo_insert(void *state, fx_cache_entry *e)
{
    s3fifo *s = state;
    if (e->ghost) {
        e->ghost = 0;
        e->queue = IN_MAIN;
        fx_cache_list_push_front(&s->main, e);
    } else {
        e->queue = IN_SMALL;
        fx_cache_list_push_front(&s->small, e);
    }
}

static void s3fifo_access(void *state, fx_cache_entry *e)
{
    (void)state;
    if (e->freq < FREQ_MAX)
        e->freq++;
}

static fx_cache_list *queue_of(s3fifo *s, const fx_cache_entry *e)
{
    switch (e->queue) {
    case IN_MAIN:
        return &s->main;
    case IN_GHOST:
        return &s->ghost;
    default:
        return &s->small;
    }
}

static void s3fifo_resize(void *state, fx_cache_entry *e, uint64_t old_size)
{
    fx_cache_list *l = queue_of(state, e);
    l->bytes = l->bytes - old_size + e->size;
}

static fx_cache_entry *s3fifo_evict(void *state)
{
    s3fifo *s = state;
    for (;;) {
        if (s->small.count > 0 && (s->small.bytes >= s->small_bytes || s->main.count == 0)) {
            fx_cache_entry *t = s->small.back;
            fx_cache_list_unlink(&s->small, t);
            if (t->freq > 0) {
                t->freq = 0;
                t->queue = IN_MAIN;
                fx_cache_list_push_front(&s->main, t);
                continue;
            }
            /* Its key enters G, the newest there, unless G may hold none. */
            t->queue = 0;
            if (s->main.count > 0) {
                ghost_trim(s, s->main.count - 1);
                t->queue = IN_GHOST;
                t->ghost = 1;
                fx_cache_list_push_front(&s->ghost, t);
            }
            return t;
        }
        fx_cache_entry *t = s->main.back;
        if (!t)
            return NULL;
        fx_cache_list_unlink(&s->main, t);
        if (t->freq > 0) {
            t->freq--;
            fx_cache_list_push_front(&s->main, t);
            continue;
        }
        t->queue = 0;
        ghost_trim(s, s->main.count);
        return t;
    }
}

static void s3fifo_remove(void *state, fx_cache_entry *e)
{
    s3fifo *s = state;
    fx_cache_list_unlink(queue_of(s, e), e);
    if (e->queue == IN_MAIN)
        ghost_trim(s, s->main.count);
    e->queue = 0;
    e->ghost = 0;
}

const fx_cache_policy fx_cache_s3fifo = {
    .name = "s3fifo",
    .summary = "S3-FIFO: small probationary FIFO, main FIFO with reinsertion, ghost keys",
    .state_size = sizeof(s3fifo),
    .init = s3fifo_init,
    .insert = s3fifo_insert,
    .access = s3fifo_access,
    .resize = s3fifo_resize,
    .evict = s3fifo_evict,
    .remove = s3fifo_remove,
};
