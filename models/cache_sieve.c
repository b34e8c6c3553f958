/* cache_sieve.c - SIEVE (Zhang, Yang, Yue, Vigfusson, Rashmi, "SIEVE is
 * Simpler than LRU", NSDI 2024).
 *
 * One FIFO queue: new entries go to the head (front) with the visited bit
 * clear; a hit or an update sets the bit and moves nothing. The hand moves
 * from the tail (back) toward the head: it clears and passes every visited
 * entry and evicts the first unvisited one, then rests on the entry nearer
 * the head than the victim; past the head it wraps to the tail. With no
 * resting place (an empty cache, or the victim was the head) it starts at
 * the tail. Removing the entry under the hand moves the hand as an eviction
 * would.
 */
#include "models/cache_policy.h"

typedef struct sieve {
    fx_cache_list queue;  /* front: head (newest); back: tail (oldest) */
    fx_cache_entry *hand; /* NULL: start from the tail */
} sieve;

static void sieve_insert(void *state, fx_cache_entry *e)
{
    fx_cache_list_push_front(&((sieve *)state)->queue, e);
}

static void sieve_access(void *state, fx_cache_entry *e)
{
    (void)state;
    e->bit = 1;
}

static void sieve_resize(void *state, fx_cache_entry *e, uint64_t old_size)
{
    sieve *s = state;
    s->queue.bytes = s->queue.bytes - old_size + e->size;
}

static void sieve_remove(void *state, fx_cache_entry *e)
{
    sieve *s = state;
    if (s->hand == e)
        s->hand = e->prev; /* toward the head */
    fx_cache_list_unlink(&s->queue, e);
}

static fx_cache_entry *sieve_evict(void *state)
{
    sieve *s = state;
    fx_cache_entry *e = s->hand ? s->hand : s->queue.back;
    if (!e)
        return NULL;
    while (e->bit) {
        e->bit = 0;
        e = e->prev ? e->prev : s->queue.back;
    }
    s->hand = e;
    sieve_remove(s, e);
    return e;
}

const fx_cache_policy fx_cache_sieve = {
    .name = "sieve",
    .summary = "SIEVE: FIFO with visited bits and a hand sweeping from the tail",
    .state_size = sizeof(sieve),
    .insert = sieve_insert,
    .access = sieve_access,
    .resize = sieve_resize,
    .evict = sieve_evict,
    .remove = sieve_remove,
};
