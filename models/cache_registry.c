/* cache_registry.c - every cache eviction policy, in the order `fluxosim
 * list` shows them. Adding a policy: one file exporting its table, one
 * declaration and one line here. */
#include <stddef.h>

#include "models/cache_policy.h"

extern const fx_cache_policy fx_cache_lru;
extern const fx_cache_policy fx_cache_fifo;
extern const fx_cache_policy fx_cache_lfu;
extern const fx_cache_policy fx_cache_clock;
extern const fx_cache_policy fx_cache_s3fifo;
extern const fx_cache_policy fx_cache_sieve;

const fx_cache_policy *const fx_cache_policies[] = {
    &fx_cache_lru,    /* cache_lru.c */
    &fx_cache_fifo,   /* cache_fifo.c */
    &fx_cache_lfu,    /* cache_lfu.c */
    &fx_cache_clock,  /* cache_clock.c */
    &fx_cache_s3fifo, /* cache_s3fifo.c */
    &fx_cache_sieve,  /* cache_sieve.c */
    NULL,
};
