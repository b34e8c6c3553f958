#include "sim/pcg.h"

#include <stdlib.h>

void fx_pcg32_seed(fx_pcg32 *r, uint64_t initstate, uint64_t initseq)
{
    r->state = 0u;
    r->inc = (initseq << 1u) | 1u;
    (void)fx_pcg32_next(r);
    r->state += initstate;
    (void)fx_pcg32_next(r);
}

uint32_t fx_pcg32_bounded(fx_pcg32 *r, uint32_t bound)
{
    /* Reject the low values that would bias r % bound (O'Neill's pcg32_boundedrand_r). */
    uint32_t threshold = (-bound) % bound;
    for (;;) {
        uint32_t x = fx_pcg32_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

static void pcg32_gsl_set(void *state, unsigned long int seed)
{
    fx_pcg32_seed(state, (uint64_t)seed, FX_PCG32_DEFAULT_STREAM);
}

static unsigned long int pcg32_gsl_get(void *state)
{
    return fx_pcg32_next(state);
}

static double pcg32_gsl_get_double(void *state)
{
    return fx_pcg32_next(state) / 4294967296.0;
}

static const gsl_rng_type pcg32_type = {
    "pcg32", 0xffffffffUL, 0, sizeof(fx_pcg32), pcg32_gsl_set, pcg32_gsl_get, pcg32_gsl_get_double,
};

const gsl_rng_type *fx_rng_pcg32 = &pcg32_type;

gsl_rng *fx_rng_alloc(uint64_t seed, uint64_t stream)
{
    /* Allocated here rather than by gsl_rng_alloc, whose failure would call
     * GSL's process-wide error handler (abort by default). gsl_rng_free
     * releases both blocks with free(). */
    gsl_rng *r = malloc(sizeof *r);
    fx_pcg32 *st = malloc(sizeof *st);
    if (!r || !st) {
        free(r);
        free(st);
        return NULL;
    }
    fx_pcg32_seed(st, seed, stream);
    r->type = fx_rng_pcg32;
    r->state = st;
    return r;
}

uint64_t fx_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

gsl_rng *fx_rng_stream(uint64_t master_seed, const char *name)
{
    uint64_t h = fx_hash_str(name);
    return fx_rng_alloc(fx_mix64(master_seed ^ fx_mix64(h)), h);
}
