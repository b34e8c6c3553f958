/* mrc.h - exact LRU miss-ratio curves in one pass over a key stream.
 *
 * A miss-ratio curve (MRC) gives, for a cache of each capacity, how many of
 * a stream's requests hit. fx_mrc computes it for any number of capacities
 * at once, in one pass, from Mattson's stack distances with byte sizes: a
 * Fenwick tree over access times holds, at each key's last access time, the
 * key's size, so the bytes of the distinct keys requested since a key's
 * previous access are one suffix sum, O(log n).
 *
 * The reference is fluxosim's own "lru" cache (models/cache.h) driven the
 * way a replay drives it when requests do not overlap: a get of the key, and
 * on a miss a put of the key with its size. The hits counted here EQUAL that
 * cache's hits exactly, at every capacity given, under one rule:
 *
 *   A key keeps the size of its first request.
 *
 * With that rule, a cache of capacity C holds exactly the longest prefix of
 * the recency stack (most recent first), leaving out the objects larger than
 * C (which it never admits), whose sizes add up to at most C. So a request
 * for a key of size s hits iff s <= C and s plus the sizes of the distinct
 * keys of size <= C requested since its previous request is at most C. The
 * proof is in doc/analyze.part.md. Objects larger than some capacities make
 * the curve non-monotone (a large object that a small cache refuses does not
 * evict anything there), so capacities split the sizes into bands, each band
 * with a tree of its own; only the bands that hold objects cost anything,
 * and a request usually needs two suffix sums.
 *
 * When a key's size changes between requests, fluxosim's cache keeps the
 * size of the key's last insertion (its last miss), which depends on the
 * capacity; the rule above then differs from it only at capacities where
 * the key was evicted and inserted again with another size. Capacities at
 * which nothing is ever evicted stay exact.
 *
 * Memory is proportional to the distinct keys, never to the requests: the
 * tree is compacted (live keys renumbered in order) whenever its time axis
 * fills, and sized at twice the live keys. About 48 bytes of key table plus
 * 16 bytes per tree per distinct key.
 *
 * Sampling (rate R < 1): SHARDS-style spatial sampling (Waldspurger et al.,
 * FAST 2015) keeps the keys whose hash falls below R of the hash space and
 * divides stack distances by R; memory and time shrink by about R. Ratios
 * are then estimates; counts are the ratios times the requests.
 *
 * Ownership: an fx_mrc owns everything it allocates; free it with
 * fx_mrc_free.
 */
#ifndef FX_MRC_H
#define FX_MRC_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "traces/trace.h"

/* Most distinct keys (sampled) one MRC tracks: positions are 32-bit. */
#define FX_MRC_KEYS_MAX ((uint64_t)1 << 30)

/* Most capacities one MRC computes at once (reading them all back costs
 * the square of their number). */
#define FX_MRC_CAPS_MAX 4096

typedef struct fx_mrc fx_mrc;

/* An MRC at the capacities CAPS[0..N) in bytes (each >= 1; any order,
 * duplicates merged; at most FX_MRC_CAPS_MAX), sampling keys at RATE (0 < RATE <= 1; 1 keeps every
 * key and is exact). N may be 0: the MRC then only counts keys and bytes
 * (fx_mrc_summary_get), which is how a caller picks capacities. */
fx_status fx_mrc_alloc(const uint64_t *caps, size_t n, double rate, fx_mrc **out, fx_err *e);

void fx_mrc_free(fx_mrc *m);

/* One request for KEY, whose value has SIZE bytes (only the key's first
 * size counts). Returns 1 when the request hits at the smallest capacity,
 * 0 when it misses there (or was not sampled, or there are no capacities),
 * and -1 when out of memory or past FX_MRC_KEYS_MAX keys (see *STATUS when
 * given). */
int fx_mrc_access(fx_mrc *m, uint64_t key, uint64_t size);

/* A hint that KEY comes soon: its table slot is fetched into the cache.
 * Issuing it a few requests ahead hides the memory latency of a table
 * larger than the processor's caches. */
void fx_mrc_prefetch(const fx_mrc *m, uint64_t key);

/* Why the last fx_mrc_access returned -1: FX_ENOMEM or FX_ELIMIT. */
fx_status fx_mrc_error(const fx_mrc *m);

/* One capacity's result. Without sampling every count is exact; with it,
 * the ratios are estimates, HITS is the hit ratio times REQUESTS, rounded,
 * and MISSES the rest. BYTE_HIT_RATIO weighs each request by its key's
 * (first) size. */
typedef struct fx_mrc_point {
    uint64_t capacity;
    uint64_t requests;
    uint64_t hits;
    uint64_t misses;
    double hit_ratio;
    double byte_hit_ratio;
} fx_mrc_point;

/* The number of distinct capacities, and the I-th in ascending order. */
size_t fx_mrc_npoints(const fx_mrc *m);
void fx_mrc_point_get(const fx_mrc *m, size_t i, fx_mrc_point *out);

typedef struct fx_mrc_summary {
    uint64_t requests;    /* all requests */
    uint64_t sampled;     /* requests of sampled keys */
    uint64_t keys;        /* distinct keys (sampled ones divided by the rate) */
    uint64_t working_set; /* bytes of the distinct keys at their first size (idem) */
    uint64_t min_size;    /* smallest and largest first size seen (0 when none) */
    uint64_t max_size;
    uint64_t compactions; /* times the time axis was renumbered */
    double rate;          /* the sampling rate in effect (a multiple of 2^-24) */
    size_t bands;         /* size bands holding objects (trees kept) */
} fx_mrc_summary;

void fx_mrc_summary_get(const fx_mrc *m, fx_mrc_summary *out);

/* ---- what a cache over a subgraph sees in a trace -------------------------- */

/* How a cache over FROM..TO of a service keys its lookups and sizes its
 * values, exactly as models/replay.c does: the key is the request key's
 * hash when FROM is the entry, else the output hash of FROM's predecessor
 * (the hashes of several predecessors mixed in their order); the value's
 * size is TO's output bytes. A node whose line gives no hash outputs
 * fx_mix64(key_hash ^ (node << 32)); a node without bytes on its line has
 * DEFAULT_BYTES (its out_bytes, or 0). */
typedef struct fx_mrc_source {
    int from_entry;
    const uint32_t *pred; /* FROM's predecessors, in the service's order */
    uint32_t npred;
    uint32_t to;
    uint64_t to_default_bytes;
} fx_mrc_source;

/* The key and value size of REC's lookup. */
void fx_mrc_source_key(const fx_mrc_source *s, const fx_trace_rec *rec, uint64_t *key,
                       uint64_t *size);

#endif
