/* cache_lru.c - least recently used.
 *
 * One list ordered by the last access: an inserted or accessed entry goes
 * to the front, the victim is the back. An update counts as an access. */
#include "models/cache_policy.h"

typedef struct lru {
    fx_cache_list list;
} lru;

static void lru_insert(void *state, fx_cache_entry *e)
{
    fx_cache_list_push_front(&((lru *)state)->list, e);
}

static void lru_access(void *state, fx_cache_entry *e)
{
    lru *s = state;
    if (s->list.front == e)
        return;
    fx_cache_list_unlink(&s->list, e);
    fx_cache_list_push_front(&s->list, e);
}

static void lru_resize(void *state, fx_cache_entry *e, uint64_t old_size)
{
    lru *s = state;
    s->list.bytes = s->list.bytes - old_size + e->size;
}

static fx_cache_entry *lru_evict(void *state)
{
    lru *s = state;
    fx_cache_entry *e = s->list.back;
    if (e)
        fx_cache_list_unlink(&s->list, e);
    return e;
}

static void lru_remove(void *state, fx_cache_entry *e)
{
    fx_cache_list_unlink(&((lru *)state)->list, e);
}

static fx_cache_entry *lru_peek(void *state)
{
    return ((lru *)state)->list.back;
}

const fx_cache_policy fx_cache_lru = {
    .name = "lru",
    .summary = "least recently used",
    .state_size = sizeof(lru),
    .insert = lru_insert,
    .access = lru_access,
    .resize = lru_resize,
    .evict = lru_evict,
    .remove = lru_remove,
    .peek = lru_peek,
};
