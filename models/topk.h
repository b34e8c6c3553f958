/* topk.h - the most frequent keys of a stream, in bounded memory.
 *
 * The Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005): M
 * counters; a key not counted replaces the smallest counter and inherits its
 * count (plus one). Any key whose true frequency exceeds N/M is guaranteed
 * to be held. Updates are O(1) with the stream-summary structure (buckets of
 * equal counts in a doubly linked list). Used by precompute jobs to find the
 * hot keys of a cache without memory growing with the distinct keys.
 */
#ifndef FX_TOPK_H
#define FX_TOPK_H

#include <stddef.h>
#include <stdint.h>

typedef struct fx_topk fx_topk;

/* A summary of M counters (M >= 1). NULL when out of memory. */
fx_topk *fx_topk_alloc(size_t m);
void fx_topk_free(fx_topk *t);

/* Count one occurrence of KEY. */
void fx_topk_add(fx_topk *t, uint64_t key);

/* The up to K most frequent keys held, most frequent first (ties by key),
 * into KEYS (and their estimated counts into COUNTS when not NULL). Returns
 * how many were written. */
size_t fx_topk_top(const fx_topk *t, size_t k, uint64_t *keys, uint64_t *counts);

#endif
