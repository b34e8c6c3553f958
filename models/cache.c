/* cache.c - the part of every cache that does not depend on the policy: the
 * key index, entry slabs, byte accounting, TTL expiry and statistics. The
 * calls made on the policy are listed in cache_policy.h. */
#include "models/cache.h"

#include <assert.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "models/cache_policy.h"
#include "sim/pcg.h"

struct fx_cache {
    const fx_cache_policy *policy;
    void *state; /* the policy's, policy->state_size bytes */
    uint64_t capacity;
    fx_time ttl;
    fx_cache_index index;
    fx_cache_pool entries;
    fx_cache_stats st;
    uint64_t ghosts; /* ghost entries indexed (see cache_policy.h) */
    uint64_t allocs;
};

/* ---- large arrays ---------------------------------------------------------- */

#define HUGE_PAGE ((size_t)2 << 20)

/* SIZE bytes for a large array (the index, a big slab of entries), zeroed
 * when ZERO; free() releases it. Lookups land at random in these arrays, so
 * one of 2 MiB or more goes on huge pages where the system allows them
 * (madvise): a 4 KiB page per lookup would miss the TLB nearly every time. */
static void *big_alloc(size_t size, int zero)
{
#ifdef MADV_HUGEPAGE
    if (size >= HUGE_PAGE && size <= SIZE_MAX - HUGE_PAGE) {
        size_t rounded = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        void *p;
        if (posix_memalign(&p, HUGE_PAGE, rounded) != 0)
            return NULL;
        (void)madvise(p, rounded, MADV_HUGEPAGE); /* only a hint */
        if (zero)
            memset(p, 0, size);
        return p;
    }
#endif
    return zero ? calloc(1, size) : malloc(size);
}

/* ---- pool ----------------------------------------------------------------- */

#define POOL_FIRST_SLAB 64
#define POOL_MAX_SLAB   65536

/* A slab starts with a header; its objects start at the next multiple of
 * POOL_ALIGN, so that an object of 64 bytes (a cache entry) spans one cache
 * line rather than two. */
typedef union slab_header {
    void *next;
    max_align_t align;
} slab_header;

#define POOL_ALIGN 64

void fx_cache_pool_init(fx_cache_pool *p, size_t objsize, fx_cache *c)
{
    memset(p, 0, sizeof *p);
    size_t a = alignof(max_align_t);
    if (objsize < sizeof(void *))
        objsize = sizeof(void *);
    p->objsize = (objsize + a - 1) / a * a;
    p->next_slab = POOL_FIRST_SLAB;
    p->allocs = &c->allocs;
}

void fx_cache_pool_fini(fx_cache_pool *p)
{
    void *s = p->slabs;
    while (s) {
        void *next = ((slab_header *)s)->next;
        free(s);
        s = next;
    }
    p->slabs = NULL;
    p->free = NULL;
    p->total = p->used = p->nslabs = 0;
}

static fx_status pool_grow(fx_cache_pool *p)
{
    size_t n = p->next_slab;
    if (n > (SIZE_MAX - sizeof(slab_header) - POOL_ALIGN) / p->objsize)
        return FX_ENOMEM;
    char *s = big_alloc(sizeof(slab_header) + POOL_ALIGN + n * p->objsize, 0);
    if (!s)
        return FX_ENOMEM;
    ++*p->allocs;
    ((slab_header *)s)->next = p->slabs;
    p->slabs = s;
    p->nslabs++;
    /* Thread the new objects onto the free list, first object on top. */
    char *base = s + sizeof(slab_header);
    base += (POOL_ALIGN - (uintptr_t)base % POOL_ALIGN) % POOL_ALIGN;
    for (size_t i = n; i-- > 0;) {
        void *obj = base + i * p->objsize;
        *(void **)obj = p->free;
        p->free = obj;
    }
    p->total += n;
    if (p->next_slab < POOL_MAX_SLAB)
        p->next_slab *= 2;
    return FX_OK;
}

fx_status fx_cache_pool_reserve(fx_cache_pool *p, size_t n)
{
    while (p->total < n) {
        fx_status s = pool_grow(p);
        if (s != FX_OK)
            return s;
    }
    return FX_OK;
}

void *fx_cache_pool_get(fx_cache_pool *p)
{
    if (!p->free && pool_grow(p) != FX_OK)
        return NULL;
    void *obj = p->free;
    p->free = *(void **)obj;
    p->used++;
    return obj;
}

void fx_cache_pool_put(fx_cache_pool *p, void *obj)
{
    *(void **)obj = p->free;
    p->free = obj;
    p->used--;
}

/* ---- index ---------------------------------------------------------------- */

#define INDEX_FIRST_SLOTS 16

fx_status fx_cache_index_init(fx_cache_index *x, fx_cache *c)
{
    x->slots = calloc(INDEX_FIRST_SLOTS, sizeof *x->slots);
    if (!x->slots)
        return FX_ENOMEM;
    x->mask = INDEX_FIRST_SLOTS - 1;
    x->count = 0;
    x->allocs = &c->allocs;
    ++*x->allocs;
    return FX_OK;
}

void fx_cache_index_fini(fx_cache_index *x)
{
    free(x->slots);
    x->slots = NULL;
    x->mask = 0;
    x->count = 0;
}

static inline size_t index_home(const fx_cache_index *x, uint64_t key)
{
    return (size_t)fx_mix64(key) & x->mask;
}

fx_status fx_cache_index_reserve(fx_cache_index *x, size_t n)
{
    size_t slots = x->mask + 1;
    if (n <= slots / 2)
        return FX_OK;
    size_t want = slots;
    while (n > want / 2) {
        if (want > SIZE_MAX / 2 / sizeof *x->slots)
            return FX_ENOMEM;
        want *= 2;
    }
    fx_cache_slot *ns = big_alloc(want * sizeof *ns, 1);
    if (!ns)
        return FX_ENOMEM;
    ++*x->allocs;
    fx_cache_slot *old = x->slots;
    x->slots = ns;
    x->mask = want - 1;
    for (size_t i = 0; i < slots; i++) {
        if (!old[i].ptr)
            continue;
        size_t j = index_home(x, old[i].key);
        while (ns[j].ptr)
            j = (j + 1) & x->mask;
        ns[j] = old[i];
    }
    free(old);
    return FX_OK;
}

void *fx_cache_index_find(const fx_cache_index *x, uint64_t key)
{
    size_t i = index_home(x, key);
    for (;;) {
        const fx_cache_slot *s = &x->slots[i];
        if (!s->ptr)
            return NULL;
        if (s->key == key)
            return s->ptr;
        i = (i + 1) & x->mask;
    }
}

void fx_cache_index_add(fx_cache_index *x, uint64_t key, void *ptr)
{
    assert(ptr && x->count + 1 <= (x->mask + 1) / 2);
    size_t i = index_home(x, key);
    while (x->slots[i].ptr)
        i = (i + 1) & x->mask;
    x->slots[i].key = key;
    x->slots[i].ptr = ptr;
    x->count++;
}

void *fx_cache_index_del(fx_cache_index *x, uint64_t key)
{
    size_t i = index_home(x, key);
    for (;;) {
        if (!x->slots[i].ptr)
            return NULL;
        if (x->slots[i].key == key)
            break;
        i = (i + 1) & x->mask;
    }
    void *ptr = x->slots[i].ptr;
    /* Backward shift: pull later keys of the run into the hole unless their
     * home lies cyclically in (hole, j], where they already are reachable. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & x->mask;
        if (!x->slots[j].ptr)
            break;
        size_t h = index_home(x, x->slots[j].key);
        int stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            x->slots[i] = x->slots[j];
            i = j;
        }
    }
    x->slots[i].ptr = NULL;
    x->count--;
    return ptr;
}

/* ---- policies ------------------------------------------------------------- */

const char *fx_cache_policy_name(const fx_cache_policy *p)
{
    return p ? p->name : NULL;
}

const char *fx_cache_policy_summary(const fx_cache_policy *p)
{
    return p ? p->summary : NULL;
}

const fx_cache_policy *fx_cache_policy_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; fx_cache_policies[i]; i++)
        if (strcmp(fx_cache_policies[i]->name, name) == 0)
            return fx_cache_policies[i];
    return NULL;
}

static fx_status unknown_policy(const char *name, fx_err *e)
{
    char list[FX_ERR_MAX] = "";
    size_t len = 0;
    for (size_t i = 0; fx_cache_policies[i]; i++) {
        const char *n = fx_cache_policies[i]->name;
        size_t nl = strlen(n);
        if (len + nl + 3 >= sizeof list)
            break;
        if (i > 0) {
            memcpy(list + len, ", ", 2);
            len += 2;
        }
        memcpy(list + len, n, nl);
        len += nl;
        list[len] = '\0';
    }
    return fx_err_set(e, FX_EINVAL, "cache policy \"%.100s\": expected one of %s",
                      name ? name : "(null)", list);
}

/* ---- the cache ------------------------------------------------------------ */

fx_status fx_cache_alloc(const char *policy, uint64_t capacity, fx_cache **out, fx_err *e)
{
    *out = NULL;
    const fx_cache_policy *p = fx_cache_policy_find(policy);
    if (!p)
        return unknown_policy(policy, e);
    if (capacity == 0)
        return fx_err_set(e, FX_EINVAL, "cache capacity: expected more than 0 bytes, found 0");
    fx_cache *c = calloc(1, sizeof *c);
    if (!c)
        return fx_err_set(e, FX_ENOMEM, "cache: out of memory");
    c->policy = p;
    c->capacity = capacity;
    fx_cache_pool_init(&c->entries, sizeof(fx_cache_entry), c);
    if (fx_cache_index_init(&c->index, c) != FX_OK) {
        free(c);
        return fx_err_set(e, FX_ENOMEM, "cache: out of memory");
    }
    c->state = calloc(1, p->state_size ? p->state_size : 1);
    if (!c->state) {
        fx_cache_index_fini(&c->index);
        free(c);
        return fx_err_set(e, FX_ENOMEM, "cache: out of memory");
    }
    if (p->init) {
        fx_status s = p->init(c->state, c);
        if (s != FX_OK) {
            free(c->state);
            fx_cache_index_fini(&c->index);
            free(c);
            return fx_err_set(e, s, "cache policy \"%s\": cannot initialize", p->name);
        }
    }
    *out = c;
    return FX_OK;
}

void fx_cache_free(fx_cache *c)
{
    if (!c)
        return;
    if (c->policy->fini)
        c->policy->fini(c->state);
    free(c->state);
    fx_cache_index_fini(&c->index);
    fx_cache_pool_fini(&c->entries);
    free(c);
}

void fx_cache_set_ttl(fx_cache *c, fx_time ttl)
{
    c->ttl = ttl > 0 ? ttl : 0;
}

uint64_t fx_cache_capacity(const fx_cache *c)
{
    return c->capacity;
}

uint64_t fx_cache_allocs(const fx_cache *c)
{
    return c->allocs;
}

void fx_cache_stats_get(const fx_cache *c, fx_cache_stats *out)
{
    *out = c->st;
}

void fx_cache_reset_stats(fx_cache *c)
{
    uint64_t bytes = c->st.bytes, objects = c->st.objects;
    memset(&c->st, 0, sizeof c->st);
    c->st.bytes = bytes;
    c->st.objects = objects;
}

/* Unindex and recycle E. */
static void release(fx_cache *c, fx_cache_entry *e)
{
    void *p = fx_cache_index_del(&c->index, e->key);
    (void)p;
    assert(p == e);
    fx_cache_pool_put(&c->entries, e);
}

/* Forget the held entry E, which the policy no longer links. */
static void drop(fx_cache *c, fx_cache_entry *e)
{
    c->st.bytes -= e->size;
    c->st.objects--;
    release(c, e);
}

void fx_cache_forget(fx_cache *c, fx_cache_entry *e)
{
    assert(e->ghost && c->ghosts > 0);
    c->ghosts--;
    release(c, e);
}

/* A put is likely to follow a miss: start loading the index slot of the
 * entry it would evict (whose line make_room asked for). */
static void prefetch_victim(const fx_cache *c)
{
    const fx_cache_entry *v = c->policy->peek ? c->policy->peek(c->state) : NULL;
    if (v)
        __builtin_prefetch(&c->index.slots[index_home(&c->index, v->key)]);
}

int fx_cache_get(fx_cache *c, uint64_t key, fx_time now, uint64_t *value, fx_time *stored)
{
    fx_cache_entry *e = fx_cache_index_find(&c->index, key);
    if (!e || e->ghost) {
        c->st.misses++;
        prefetch_victim(c);
        return 0;
    }
    if (c->ttl > 0 && now - e->stored > c->ttl) {
        c->policy->remove(c->state, e);
        drop(c, e);
        c->st.expirations++;
        c->st.misses++;
        return 0;
    }
    c->st.hits++;
    c->policy->access(c->state, e);
    if (value)
        *value = e->value;
    if (stored)
        *stored = e->stored;
    return 1;
}

void fx_cache_prefetch(const fx_cache *c, uint64_t key)
{
    __builtin_prefetch(&c->index.slots[index_home(&c->index, key)]);
}

void fx_cache_prefetch_entry(const fx_cache *c, uint64_t key)
{
    const fx_cache_entry *e = fx_cache_index_find(&c->index, key);
    if (e)
        __builtin_prefetch(e);
}

/* Evict until the bytes held are at most the capacity less NEED. An entry
 * equal to KEEP is not dropped but returned, unlinked, for the caller to
 * insert again. */
static fx_cache_entry *make_room(fx_cache *c, uint64_t need, fx_cache_entry *keep)
{
    fx_cache_entry *aside = NULL;
    while (c->st.bytes > c->capacity - need) {
        fx_cache_entry *v = c->policy->evict(c->state);
        assert(v);
        if (v == keep) {
            if (v->ghost)
                c->policy->remove(c->state, v);
            aside = v;
            continue;
        }
        c->st.evictions++;
        if (v->ghost) {
            c->st.bytes -= v->size;
            c->st.objects--;
            c->ghosts++;
        } else {
            drop(c, v);
        }
    }
    /* The next victim: its line, for the next eviction's look at its key. */
    if (c->policy->peek) {
        const fx_cache_entry *next = c->policy->peek(c->state);
        if (next)
            __builtin_prefetch(next);
    }
    return aside;
}

/* Hand E to the policy as new; WAS_GHOST: its key was a ghost. */
static void policy_insert(fx_cache *c, fx_cache_entry *e, int was_ghost)
{
    e->prev = e->next = NULL;
    e->aux = NULL;
    e->freq = 0;
    e->bit = 0;
    e->queue = 0;
    e->ghost = (uint8_t)was_ghost;
    c->policy->insert(c->state, e);
    assert(!e->ghost);
}

int fx_cache_put(fx_cache *c, uint64_t key, uint64_t size, uint64_t value, fx_time now)
{
    const fx_cache_policy *p = c->policy;
    fx_cache_entry *e = fx_cache_index_find(&c->index, key);
    if (e && !e->ghost) {
        if (size > c->capacity) {
            p->remove(c->state, e);
            drop(c, e);
            c->st.rejected++;
            return 0;
        }
        c->st.updates++;
        e->value = value;
        e->stored = now;
        p->access(c->state, e);
        if (size != e->size) {
            uint64_t old = e->size;
            e->size = size;
            c->st.bytes = c->st.bytes - old + size;
            if (p->resize)
                p->resize(c->state, e, old);
            if (size > old && make_room(c, 0, e))
                policy_insert(c, e, 0);
        }
        return 1;
    }
    if (size > c->capacity) {
        c->st.rejected++;
        return 0;
    }
    /* Room for every entry there may be after this put, ghosts included. */
    size_t n = (size_t)(c->st.objects + c->ghosts) + 1;
    if (fx_cache_pool_reserve(&c->entries, n) != FX_OK ||
        fx_cache_index_reserve(&c->index, n) != FX_OK ||
        (p->reserve && p->reserve(c->state, (size_t)c->st.objects + 1) != FX_OK))
        return -1;
    int was_ghost = e != NULL;
    if (was_ghost) {
        /* The key leaves the ghosts now, so making room cannot forget it. */
        p->remove(c->state, e);
        assert(!e->ghost);
        c->ghosts--;
    }
    make_room(c, size, NULL);
    if (!was_ghost) {
        e = fx_cache_pool_get(&c->entries);
        assert(e); /* reserved */
        e->key = key;
        fx_cache_index_add(&c->index, key, e);
    }
    e->value = value;
    e->size = size;
    e->stored = now;
    c->st.bytes += size;
    c->st.objects++;
    c->st.insertions++;
    policy_insert(c, e, was_ghost);
    return 1;
}
