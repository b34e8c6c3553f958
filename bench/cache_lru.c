/* cache_lru.c - the practical speed limit for an LRU cache over a key stream.
 *
 * A standalone program (no libfluxo, no GSL) that runs the loop any cache
 * simulation runs: for each request look the key up; on a hit move it to
 * the most recently used end, on a miss evict least recently used objects
 * until the new one fits and insert it. It keeps only what an LRU needs:
 *
 *   - an open-addressing hash table (linear probing, at most half full,
 *     backward-shift deletion) from 64-bit keys to node numbers;
 *   - the nodes in one array, linked by 32-bit numbers into the recency
 *     list, recycled through a free list;
 *   - an inline PCG32 (PCG-XSH-RR 64/32) and a Zipf sampler over ranks
 *     1..KEYS (the cumulative weights k^-ALPHA, searched by bisection).
 *
 * Usage: cache_lru REQUESTS KEYS ALPHA CAPACITY SEED [MAXSIZE]
 * With MAXSIZE 1 (the default) every object is one byte, so CAPACITY counts
 * objects; otherwise the object of rank k has 1 + (hash(k) mod MAXSIZE)
 * bytes and CAPACITY counts bytes (an object larger than it is not cached).
 * A request's key is a 64-bit mix of its rank, as a cache sees hashes.
 *
 * Output (one line):
 *   requests=N hits=H wall_s=W requests_per_s=R
 * The key stream is drawn before the clock starts: the wall time
 * (CLOCK_MONOTONIC) covers the cache loop only.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- PCG32 ---------------------------------------------------------------- */

typedef struct {
    uint64_t state;
    uint64_t inc;
} pcg32;

static inline uint32_t pcg32_step(pcg32 *g)
{
    uint64_t old = g->state;
    g->state = old * 6364136223846793005ULL + g->inc;
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t r = (uint32_t)(old >> 59);
    return (x >> r) | (x << ((32u - r) & 31u));
}

static void pcg32_init(pcg32 *g, uint64_t seed, uint64_t seq)
{
    g->state = 0;
    g->inc = (seq << 1) | 1u;
    (void)pcg32_step(g);
    g->state += seed;
    (void)pcg32_step(g);
}

/* Uniform in (0, 1) from 53 random bits. */
static inline double pcg32_unit(pcg32 *g)
{
    uint64_t a = pcg32_step(g) >> 5;
    uint64_t b = pcg32_step(g) >> 6;
    return ((double)((a << 26) | b) + 0.5) / 9007199254740992.0;
}

/* SplitMix64 finalizer: turns ranks into hash-like keys. */
static inline uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- LRU ------------------------------------------------------------------ */

#define NIL UINT32_MAX

typedef struct {
    uint64_t key;
    uint64_t size;
    uint32_t prev, next; /* toward the most / least recently used end */
} node;

typedef struct {
    uint64_t key;
    uint32_t node; /* NIL: empty */
} slot;

typedef struct {
    slot *slots;
    size_t mask, count;
    node *nodes;
    uint32_t nnodes, cap_nodes, free;
    uint32_t mru, lru;
    uint64_t bytes, capacity;
} lru;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "cache_lru: out of memory\n");
        exit(1);
    }
    return p;
}

static void table_alloc(lru *c, size_t slots)
{
    c->slots = xcalloc(slots, sizeof *c->slots);
    for (size_t i = 0; i < slots; i++)
        c->slots[i].node = NIL;
    c->mask = slots - 1;
}

static void table_grow(lru *c)
{
    slot *old = c->slots;
    size_t n = c->mask + 1;
    table_alloc(c, 2 * n);
    for (size_t i = 0; i < n; i++) {
        if (old[i].node == NIL)
            continue;
        size_t j = (size_t)mix64(old[i].key) & c->mask;
        while (c->slots[j].node != NIL)
            j = (j + 1) & c->mask;
        c->slots[j] = old[i];
    }
    free(old);
}

/* The slot holding KEY, or the empty slot where it would go. */
static inline size_t table_probe(const lru *c, uint64_t key)
{
    size_t i = (size_t)mix64(key) & c->mask;
    while (c->slots[i].node != NIL && c->slots[i].key != key)
        i = (i + 1) & c->mask;
    return i;
}

static void table_delete(lru *c, size_t i)
{
    size_t j = i;
    for (;;) {
        j = (j + 1) & c->mask;
        if (c->slots[j].node == NIL)
            break;
        size_t h = (size_t)mix64(c->slots[j].key) & c->mask;
        int stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            c->slots[i] = c->slots[j];
            i = j;
        }
    }
    c->slots[i].node = NIL;
    c->count--;
}

static inline void list_unlink(lru *c, uint32_t n)
{
    node *x = &c->nodes[n];
    if (x->prev != NIL)
        c->nodes[x->prev].next = x->next;
    else
        c->mru = x->next;
    if (x->next != NIL)
        c->nodes[x->next].prev = x->prev;
    else
        c->lru = x->prev;
}

static inline void list_push_mru(lru *c, uint32_t n)
{
    node *x = &c->nodes[n];
    x->prev = NIL;
    x->next = c->mru;
    if (c->mru != NIL)
        c->nodes[c->mru].prev = n;
    else
        c->lru = n;
    c->mru = n;
}

static void evict_lru(lru *c)
{
    uint32_t n = c->lru;
    list_unlink(c, n);
    table_delete(c, table_probe(c, c->nodes[n].key));
    c->bytes -= c->nodes[n].size;
    c->nodes[n].next = c->free;
    c->free = n;
}

static uint32_t node_new(lru *c)
{
    if (c->free != NIL) {
        uint32_t n = c->free;
        c->free = c->nodes[n].next;
        return n;
    }
    if (c->nnodes == c->cap_nodes) {
        if (c->cap_nodes >= NIL / 2) {
            fprintf(stderr, "cache_lru: too many objects\n");
            exit(1);
        }
        c->cap_nodes = c->cap_nodes ? 2 * c->cap_nodes : 1024;
        node *nn = realloc(c->nodes, c->cap_nodes * sizeof *nn);
        if (!nn) {
            fprintf(stderr, "cache_lru: out of memory\n");
            exit(1);
        }
        c->nodes = nn;
    }
    return c->nnodes++;
}

/* One request: 1 on a hit. */
static inline int request(lru *c, uint64_t key, uint64_t size)
{
    size_t i = table_probe(c, key);
    uint32_t n = c->slots[i].node;
    if (n != NIL) {
        if (c->mru != n) {
            list_unlink(c, n);
            list_push_mru(c, n);
        }
        return 1;
    }
    if (size > c->capacity)
        return 0;
    if (c->bytes + size > c->capacity) {
        while (c->bytes + size > c->capacity)
            evict_lru(c);
        i = table_probe(c, key); /* deletions may have moved the empty slot */
    }
    if (2 * (c->count + 1) > c->mask + 1) {
        table_grow(c);
        i = table_probe(c, key);
    }
    n = node_new(c);
    c->nodes[n].key = key;
    c->nodes[n].size = size;
    list_push_mru(c, n);
    c->slots[i].key = key;
    c->slots[i].node = n;
    c->count++;
    c->bytes += size;
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t requests, keys, capacity, seed, maxsize = 1;
    double alpha;
    if ((argc != 6 && argc != 7) || parse_u64(argv[1], &requests) || requests == 0 ||
        parse_u64(argv[2], &keys) || keys == 0 || keys > UINT32_MAX ||
        parse_double(argv[3], &alpha) || alpha < 0 || parse_u64(argv[4], &capacity) ||
        capacity == 0 || parse_u64(argv[5], &seed) ||
        (argc == 7 && (parse_u64(argv[6], &maxsize) || maxsize == 0))) {
        fprintf(stderr, "usage: cache_lru REQUESTS KEYS ALPHA CAPACITY SEED [MAXSIZE]\n"
                        "  (REQUESTS, KEYS, CAPACITY, MAXSIZE >= 1; ALPHA >= 0)\n");
        return 2;
    }

    /* The stream: Zipf(ALPHA) ranks, drawn before the clock starts. */
    double *cdf = xcalloc(keys, sizeof *cdf);
    double sum = 0;
    for (uint64_t k = 0; k < keys; k++)
        cdf[k] = (sum += pow((double)(k + 1), -alpha));
    uint32_t *ranks = xcalloc(requests, sizeof *ranks);
    pcg32 g;
    pcg32_init(&g, seed, 1);
    for (uint64_t j = 0; j < requests; j++) {
        double u = pcg32_unit(&g) * sum;
        uint64_t lo = 0, hi = keys - 1;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (cdf[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        ranks[j] = (uint32_t)lo;
    }
    free(cdf);

    lru c = {0};
    table_alloc(&c, 1024);
    c.free = c.mru = c.lru = NIL;
    c.capacity = capacity;
    uint64_t hits = 0;

    double t0 = now_s();
    for (uint64_t j = 0; j < requests; j++) {
        uint64_t key = mix64(ranks[j]);
        uint64_t size = maxsize == 1 ? 1 : 1 + mix64(key) % maxsize;
        hits += (uint64_t)request(&c, key, size);
    }
    double wall = now_s() - t0;

    printf("requests=%" PRIu64 " hits=%" PRIu64 " wall_s=%.6f requests_per_s=%.6g\n", requests,
           hits, wall, wall > 0 ? (double)requests / wall : 0.0);
    free(ranks);
    free(c.slots);
    free(c.nodes);
    return 0;
}
