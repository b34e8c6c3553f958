/* cache_fifo.c - first in, first out.
 *
 * One list in insertion order: an inserted entry goes to the front, the
 * victim is the back. Hits and updates do not move an entry. */
#include "models/cache_policy.h"

typedef struct fifo {
    fx_cache_list list;
} fifo;

static void fifo_insert(void *state, fx_cache_entry *e)
{
    fx_cache_list_push_front(&((fifo *)state)->list, e);
}

static void fifo_access(void *state, fx_cache_entry *e)
{
    (void)state;
    (void)e;
}

static void fifo_resize(void *state, fx_cache_entry *e, uint64_t old_size)
{
    fifo *s = state;
    s->list.bytes = s->list.bytes - old_size + e->size;
}

static fx_cache_entry *fifo_peek(void *state)
{
    return ((fifo *)state)->list.back;
}

static fx_cache_entry *fifo_evict(void *state)
{
    fifo *s = state;
    fx_cache_entry *e = s->list.back;
    if (e)
        fx_cache_list_unlink(&s->list, e);
    return e;
}

static void fifo_remove(void *state, fx_cache_entry *e)
{
    fx_cache_list_unlink(&((fifo *)state)->list, e);
}

const fx_cache_policy fx_cache_fifo = {
    .name = "fifo",
    .summary = "first in, first out",
    .state_size = sizeof(fifo),
    .insert = fifo_insert,
    .access = fifo_access,
    .resize = fifo_resize,
    .evict = fifo_evict,
    .peek = fifo_peek,
    .remove = fifo_remove,
};
