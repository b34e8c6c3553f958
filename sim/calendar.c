/* calendar.c - a 4-ary min-heap of (time, sequence) keys.
 *
 * The heap holds its keys inline, with a pointer to the event's record, so
 * sifting compares adjacent memory and never touches the records. A 4-ary
 * heap halves the depth of a binary one, and a node's four children share
 * one or two cache lines. Measured on the hold model (pop the earliest,
 * schedule one exponentially later), ns per hold, arity 2 / 4 / 8:
 * 10 pending 35 / 31 / 33, 10^3 pending 68 / 70 / 77, 10^5 pending
 * 142 / 151 / 171. Models keep few events pending (two per M/M/1, a few per
 * request in flight in a replay), where 4 wins; -DFX_CALENDAR_ARITY=2 suits
 * a model with hundreds of thousands pending.
 *
 * Cancellation is lazy: the record is marked and its heap entry stays until
 * it reaches the top, where pop discards it and recycles the record. This
 * keeps the records out of every sift (no back-pointers to update); the
 * price is that a cancelled event occupies a heap slot until its time. The
 * count of live events is kept apart so that fx_calendar_size is exact.
 */
#include "sim/calendar.h"

#include <stdlib.h>

#ifndef FX_CALENDAR_ARITY
#define FX_CALENDAR_ARITY 4
#endif
#define ARITY      FX_CALENDAR_ARITY
#define SLAB_COUNT 1024

struct fx_event {
    fx_handler handler; /* NULL once cancelled */
    void *obj;
    uint64_t arg;
    fx_time t;
    struct fx_event *next; /* free-list link while free */
};

typedef struct heap_entry {
    fx_time t;
    uint64_t seq;
    struct fx_event *ev;
} heap_entry;

typedef struct slab {
    struct slab *next;
    struct fx_event ev[SLAB_COUNT];
} slab;

struct fx_calendar {
    heap_entry *heap;
    size_t n, cap; /* entries in the heap, live or cancelled */
    size_t live;   /* events not cancelled */
    uint64_t seq;
    struct fx_event *free_list;
    slab *slabs;
};

fx_calendar *fx_calendar_alloc(void)
{
    fx_calendar *cal = calloc(1, sizeof *cal);
    if (!cal)
        return NULL;
    cal->cap = 256;
    cal->heap = malloc(cal->cap * sizeof *cal->heap);
    if (!cal->heap) {
        free(cal);
        return NULL;
    }
    return cal;
}

void fx_calendar_free(fx_calendar *cal)
{
    if (!cal)
        return;
    slab *s = cal->slabs;
    while (s) {
        slab *next = s->next;
        free(s);
        s = next;
    }
    free(cal->heap);
    free(cal);
}

static inline int before(const heap_entry *a, const heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int grow_slabs(fx_calendar *cal)
{
    slab *s = malloc(sizeof *s);
    if (!s)
        return -1;
    s->next = cal->slabs;
    cal->slabs = s;
    for (size_t i = 0; i < SLAB_COUNT; i++) {
        s->ev[i].next = cal->free_list;
        cal->free_list = &s->ev[i];
    }
    return 0;
}

static int grow_heap(fx_calendar *cal)
{
    size_t cap = cal->cap * 2;
    heap_entry *heap = realloc(cal->heap, cap * sizeof *heap);
    if (!heap)
        return -1;
    cal->heap = heap;
    cal->cap = cap;
    return 0;
}

fx_event *fx_calendar_schedule(fx_calendar *cal, fx_time t, fx_handler h, void *obj, uint64_t arg)
{
    if ((cal->n == cal->cap && grow_heap(cal) < 0) || (!cal->free_list && grow_slabs(cal) < 0))
        return NULL;
    struct fx_event *ev = cal->free_list;
    cal->free_list = ev->next;
    ev->handler = h;
    ev->obj = obj;
    ev->arg = arg;
    ev->t = t;

    heap_entry e = {t, cal->seq++, ev};
    heap_entry *heap = cal->heap;
    size_t i = cal->n++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &heap[parent]))
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = e;
    cal->live++;
    return ev;
}

void fx_calendar_cancel(fx_calendar *cal, fx_event *ev)
{
    ev->handler = NULL;
    cal->live--;
}

fx_time fx_calendar_time_of(const fx_calendar *cal, const fx_event *ev)
{
    (void)cal;
    return ev->t;
}

/* Remove the root: move the hole down along the smallest children, then
 * fill it with the last entry and sift that up (it rarely moves). */
static inline void remove_root(fx_calendar *cal)
{
    heap_entry *heap = cal->heap;
    size_t n = --cal->n;
    if (n == 0)
        return;
    heap_entry last = heap[n];
    size_t i = 0;
    for (;;) {
        size_t first = i * ARITY + 1;
        if (first >= n)
            break;
        size_t end = first + ARITY < n ? first + ARITY : n;
        size_t best = first;
        for (size_t c = first + 1; c < end; c++)
            if (before(&heap[c], &heap[best]))
                best = c;
        if (!before(&heap[best], &last))
            break;
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = last;
}

int fx_calendar_pop_until(fx_calendar *cal, fx_time until, fx_time *t, fx_handler *h, void **obj,
                          uint64_t *arg)
{
    while (cal->n > 0) {
        heap_entry top = cal->heap[0];
        struct fx_event *ev = top.ev;
        if (ev->handler) {
            if (top.t > until)
                return 0;
            *t = top.t;
            *h = ev->handler;
            *obj = ev->obj;
            *arg = ev->arg;
            cal->live--;
        }
        remove_root(cal);
        fx_handler fired = ev->handler;
        ev->next = cal->free_list;
        cal->free_list = ev;
        if (fired)
            return 1;
    }
    return 0;
}

int fx_calendar_pop(fx_calendar *cal, fx_time *t, fx_handler *h, void **obj, uint64_t *arg)
{
    return fx_calendar_pop_until(cal, FX_TIME_MAX, t, h, obj, arg);
}

fx_time fx_calendar_next_time(fx_calendar *cal)
{
    /* Discard cancelled entries at the top so the answer is a live event's. */
    while (cal->n > 0 && !cal->heap[0].ev->handler) {
        struct fx_event *ev = cal->heap[0].ev;
        remove_root(cal);
        ev->next = cal->free_list;
        cal->free_list = ev;
    }
    return cal->n ? cal->heap[0].t : FX_TIME_MAX;
}

size_t fx_calendar_size(const fx_calendar *cal)
{
    return cal->live;
}
