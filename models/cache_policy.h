/* cache_policy.h - what a cache eviction policy implements, and the common
 * layer it may use (internal to libfluxo).
 *
 * The common layer (cache.c) owns the entries: it finds them in its index,
 * allocates them from slabs, counts bytes, expires them by TTL and keeps the
 * statistics. A policy only orders the entries it is given: it links each
 * entry into its own lists through the fields reserved for it and, asked for
 * a victim, unlinks one and hands it back. A policy never frees an entry and
 * never changes key, value, size or stored.
 *
 * The calls a policy receives, in the order the common layer makes them:
 *
 *   put of a new key:  reserve(objects + 1), then evict() until the new
 *                      object fits, then insert(e);
 *   get that hits, or put on a key held (an update):  access(e), and for an
 *                      update whose size changed, resize(e, old_size), then
 *                      evict() until the cache fits again;
 *   get that finds an expired entry, or an update to a size larger than the
 *                      capacity:  remove(e).
 *
 * When an update makes the cache overflow and evict() picks the updated
 * entry itself, the common layer holds it aside, keeps evicting until the
 * rest fits, and then gives it back with insert(e), as it would a new object
 * (whatever the policy counted for it is reset).
 *
 * Ghosts. A policy that remembers the keys of recent victims (S3-FIFO) keeps
 * them in the common index at no extra lookup: evict() sets the victim's
 * ghost flag and keeps it linked in its own ghost list. The cache then no
 * longer holds the object (bytes and objects drop, lookups miss), but the
 * entry stays indexed until the policy lets it go with fx_cache_forget. A
 * put of a ghost's key first calls remove(e) on the ghost (the policy
 * unlinks it and clears the flag), then makes room, then calls insert(e)
 * with the ghost flag set again, meaning "this key was a ghost"; insert
 * clears it. If evict() makes a ghost of an entry being updated, the common
 * layer calls remove() on it at once, and it comes back as a new object.
 *
 * Once reserve(n) succeeded, no call on a cache of at most n objects may
 * allocate or fail: evict() must return an entry whenever the policy holds
 * one. Ownership: a policy's state lives in memory the cache allocates
 * (state_size bytes, zeroed); what the policy allocates itself it frees in
 * fini. Ghost entries belong to the cache.
 */
#ifndef FX_CACHE_POLICY_H
#define FX_CACHE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "models/cache.h"
#include "sim/error.h"
#include "sim/time.h"

/* One cached object. key, value, size, stored and ghost belong to the common
 * layer; the links, aux, freq, bit and queue to the policy, which finds them
 * zeroed in insert(). The policy sets ghost only in evict() and clears it
 * only in insert() and remove(). */
typedef struct fx_cache_entry {
    uint64_t key;
    uint64_t value;
    uint64_t size;                      /* bytes */
    fx_time stored;                     /* time of the insertion or last update */
    struct fx_cache_entry *prev, *next; /* policy list links */
    void *aux;                          /* policy pointer (LFU: its bucket) */
    uint32_t freq;                      /* policy counter */
    uint8_t bit;                        /* policy flag (CLOCK, SIEVE: visited) */
    uint8_t queue;                      /* policy queue id (S3-FIFO) */
    uint8_t ghost;                      /* a key remembered, not held (see above) */
} fx_cache_entry;

struct fx_cache_policy {
    const char *name;    /* as given to fx_cache_alloc */
    const char *summary; /* one line for `fluxosim list` */
    size_t state_size;   /* bytes of per-cache state, zeroed before init */
    /* Prepare STATE for the cache C (its capacity is fx_cache_capacity(C)).
     * May be NULL. */
    fx_status (*init)(void *state, fx_cache *c);
    /* Release what init and reserve allocated. May be NULL. */
    void (*fini)(void *state);
    /* Make sure N objects can be held without allocating. May be NULL. */
    fx_status (*reserve)(void *state, size_t n);
    /* Link a new entry: its policy fields are zero; e->ghost set means the
     * key was a ghost of this policy when the put began (clear it). */
    void (*insert)(void *state, fx_cache_entry *e);
    /* E was hit by a get, or updated by a put. */
    void (*access)(void *state, fx_cache_entry *e);
    /* E's size changed from OLD_SIZE to e->size. May be NULL. */
    void (*resize)(void *state, fx_cache_entry *e, uint64_t old_size);
    /* Choose a victim, unlink it and return it (with its ghost flag set to
     * keep its key as a ghost); NULL only when nothing is held. */
    fx_cache_entry *(*evict)(void *state);
    /* Unlink E, which is not a victim: an expired or removed entry, or a
     * ghost (then clear e->ghost too). */
    void (*remove)(void *state, fx_cache_entry *e);
    /* The entry evict() would choose now, left in place, or NULL; only a
     * hint for loading it early (a policy whose choice depends on more
     * than one entry leaves this NULL). May be NULL. */
    fx_cache_entry *(*peek)(void *state);
};

/* ---- common building blocks for policies -------------------------------- */

/* A pool of fixed-size objects carved from slabs and recycled through a free
 * list. Slabs grow geometrically and are only released by fini. */
typedef struct fx_cache_pool {
    size_t objsize;   /* bytes per object, a multiple of the pointer size */
    size_t total;     /* objects carved so far */
    size_t used;      /* objects handed out */
    size_t next_slab; /* objects in the next slab */
    void *free;       /* free list, linked through the first word */
    void *slabs;      /* slabs, linked through their first word */
    size_t nslabs;
    uint64_t *allocs; /* the owning cache's allocation counter */
} fx_cache_pool;

void fx_cache_pool_init(fx_cache_pool *p, size_t objsize, fx_cache *c);
void fx_cache_pool_fini(fx_cache_pool *p);
/* Make sure N objects can be in use at once without allocating. */
fx_status fx_cache_pool_reserve(fx_cache_pool *p, size_t n);
/* An object (uninitialized), or NULL when out of memory. */
void *fx_cache_pool_get(fx_cache_pool *p);
void fx_cache_pool_put(fx_cache_pool *p, void *obj);

/* A hash index from 64-bit keys to non-NULL pointers: open addressing with
 * linear probing, at most half full, doubling when needed, deletion by
 * backward shift (no tombstones). */
typedef struct fx_cache_slot {
    uint64_t key;
    void *ptr; /* NULL: empty slot */
} fx_cache_slot;

typedef struct fx_cache_index {
    fx_cache_slot *slots;
    size_t mask;  /* slots - 1, slots a power of two */
    size_t count; /* keys held */
    uint64_t *allocs;
} fx_cache_index;

fx_status fx_cache_index_init(fx_cache_index *x, fx_cache *c);
void fx_cache_index_fini(fx_cache_index *x);
/* Make sure N keys can be held without growing. */
fx_status fx_cache_index_reserve(fx_cache_index *x, size_t n);
/* The pointer stored for KEY, or NULL. */
void *fx_cache_index_find(const fx_cache_index *x, uint64_t key);
/* Store KEY -> PTR; KEY must not be held and room must be reserved. */
void fx_cache_index_add(fx_cache_index *x, uint64_t key, void *ptr);
/* Remove KEY when held; returns its pointer or NULL. */
void *fx_cache_index_del(fx_cache_index *x, uint64_t key);

/* A doubly linked list of entries through their prev/next fields: prev
 * points toward the front, next toward the back. It counts its entries and
 * their bytes. */
typedef struct fx_cache_list {
    fx_cache_entry *front, *back;
    size_t count;
    uint64_t bytes;
} fx_cache_list;

static inline void fx_cache_list_push_front(fx_cache_list *l, fx_cache_entry *e)
{
    e->prev = NULL;
    e->next = l->front;
    if (l->front)
        l->front->prev = e;
    else
        l->back = e;
    l->front = e;
    l->count++;
    l->bytes += e->size;
}

static inline void fx_cache_list_unlink(fx_cache_list *l, fx_cache_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->front = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->back = e->prev;
    e->prev = e->next = NULL;
    l->count--;
    l->bytes -= e->size;
}

/* Let go of the ghost E, which the policy has unlinked: the cache unindexes
 * and recycles it. */
void fx_cache_forget(fx_cache *c, fx_cache_entry *e);

/* How many allocations C (and its policy, through pools and indexes) has
 * made since fx_cache_alloc: constant once the cache stops growing. */
uint64_t fx_cache_allocs(const fx_cache *c);

#endif
