/* cache_clock.c - CLOCK (second chance).
 *
 * The entries sit on a circular list swept by a hand. An entry enters with
 * its reference bit clear, just behind the hand, so it is the last the hand
 * reaches; a hit or an update sets the bit. To evict, the hand clears and
 * passes every set bit it meets and takes the first entry whose bit is
 * clear, then rests on the entry after it. Removing the entry under the hand
 * moves the hand to the next one.
 */
#include "models/cache_policy.h"

typedef struct clock_hand {
    fx_cache_entry *hand; /* NULL when empty */
} clock_hand;

static void clock_insert(void *state, fx_cache_entry *e)
{
    clock_hand *s = state;
    fx_cache_entry *h = s->hand;
    if (!h) {
        e->prev = e->next = e;
        s->hand = e;
        return;
    }
    e->next = h;
    e->prev = h->prev;
    h->prev->next = e;
    h->prev = e;
}

static void clock_access(void *state, fx_cache_entry *e)
{
    (void)state;
    e->bit = 1;
}

static void clock_remove(void *state, fx_cache_entry *e)
{
    clock_hand *s = state;
    if (e->next == e) {
        s->hand = NULL;
    } else {
        if (s->hand == e)
            s->hand = e->next;
        e->prev->next = e->next;
        e->next->prev = e->prev;
    }
    e->prev = e->next = NULL;
}

static fx_cache_entry *clock_evict(void *state)
{
    clock_hand *s = state;
    fx_cache_entry *e = s->hand;
    if (!e)
        return NULL;
    while (e->bit) {
        e->bit = 0;
        e = e->next;
    }
    s->hand = e;
    clock_remove(s, e);
    return e;
}

const fx_cache_policy fx_cache_clock = {
    .name = "clock",
    .summary = "second chance: a hand sweeps a circle, sparing referenced entries once",
    .state_size = sizeof(clock_hand),
    .insert = clock_insert,
    .access = clock_access,
    .evict = clock_evict,
    .remove = clock_remove,
};
