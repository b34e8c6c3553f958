/* cache.h - byte-capacity caches with pluggable eviction policies.
 *
 * A cache maps 64-bit keys (a request key's hash, or an upstream output
 * hash) to a 64-bit value (the cached output's hash) of a size in bytes. It
 * holds at most its capacity in bytes; an object larger than the capacity
 * is not admitted. Lookups and insertions are O(1) (amortized) and do not
 * allocate once the cache has grown to the entries it holds: entries come
 * from slabs recycled through a free list, and the index grows by doubling.
 *
 * An entry older than the TTL (fx_cache_set_ttl; 0 means none) is expired
 * by the lookup that finds it: removed and counted as an expiration and a
 * miss.
 *
 * Policies are type tables (fx_cache_policy), one per file, listed in one
 * registry (fx_cache_policies). Ownership: a cache owns its entries.
 */
#ifndef FX_CACHE_H
#define FX_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/time.h"

typedef struct fx_cache fx_cache;

typedef struct fx_cache_stats {
    uint64_t hits;
    uint64_t misses;      /* including expired entries */
    uint64_t insertions;  /* admitted puts of a new key */
    uint64_t updates;     /* puts of a key already held */
    uint64_t rejected;    /* objects larger than the capacity */
    uint64_t evictions;   /* entries removed to make room */
    uint64_t expirations; /* entries removed by the TTL */
    uint64_t bytes;       /* bytes held now */
    uint64_t objects;     /* entries held now */
} fx_cache_stats;

/* A policy: see cache_policy.h for the operations a policy implements. */
typedef struct fx_cache_policy fx_cache_policy;

/* The registry: every policy, NULL-terminated. */
extern const fx_cache_policy *const fx_cache_policies[];

const char *fx_cache_policy_name(const fx_cache_policy *p);
const char *fx_cache_policy_summary(const fx_cache_policy *p);

/* The policy called NAME, or NULL. */
const fx_cache_policy *fx_cache_policy_find(const char *name);

/* A cache of CAPACITY bytes (> 0) with the policy named POLICY. An unknown
 * name is FX_EINVAL with a message listing the valid ones. */
fx_status fx_cache_alloc(const char *policy, uint64_t capacity, fx_cache **out, fx_err *e);
void fx_cache_free(fx_cache *c);

/* Entries older than TTL are expired on lookup; 0 (the default) disables. */
void fx_cache_set_ttl(fx_cache *c, fx_time ttl);

/* Look up KEY at time NOW: on a hit returns 1 and stores the value and the
 * time it was inserted (or last updated); on a miss returns 0. */
int fx_cache_get(fx_cache *c, uint64_t key, fx_time now, uint64_t *value, fx_time *stored);

/* A hint that KEY will be looked up soon: starts loading the index slot
 * where the lookup begins, so that the lookup does not wait for memory.
 * Changes nothing else. */
void fx_cache_prefetch(const fx_cache *c, uint64_t key);

/* The next step, once the slot has had time to arrive: finds KEY's entry
 * and starts loading it, for the lookup that follows. Changes nothing. */
void fx_cache_prefetch_entry(const fx_cache *c, uint64_t key);

/* Insert KEY with VALUE of SIZE bytes at NOW, evicting as the policy says
 * until it fits; a key already held is updated in place (its size may
 * change). Returns 1 when admitted, 0 when SIZE exceeds the capacity, -1
 * when out of memory. */
int fx_cache_put(fx_cache *c, uint64_t key, uint64_t size, uint64_t value, fx_time now);

void fx_cache_stats_get(const fx_cache *c, fx_cache_stats *out);

/* Zero the counters (hits, misses, ...), keeping the contents. */
void fx_cache_reset_stats(fx_cache *c);

uint64_t fx_cache_capacity(const fx_cache *c);

#endif
