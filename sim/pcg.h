/* pcg.h - the PCG32 random number generator (PCG-XSH-RR 64/32).
 *
 * Written from M. E. O'Neill's specification ("PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number
 * Generation", 2014): a 64-bit LCG whose output is an xorshift of the high
 * bits followed by a random rotation. Each (seed, stream) pair gives an
 * independent sequence; seed 42 on stream 54 starts 0xa15c02b7 0x7b47f409
 * 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e.
 *
 * fx_rng_pcg32 exposes the generator as a gsl_rng_type, so every gsl_ran_*
 * distribution draws from a PCG stream. gsl_rng_set(r, s) seeds stream 54.
 *
 * Components get their own stream with fx_rng_stream(master_seed, name): the
 * stream depends only on the master seed and the component's name, so adding
 * a component never changes the draws of the others.
 */
#ifndef FX_PCG_H
#define FX_PCG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct fx_pcg32 {
    uint64_t state;
    uint64_t inc; /* always odd: selects the stream */
} fx_pcg32;

#define FX_PCG32_MULT           6364136223846793005ULL
#define FX_PCG32_DEFAULT_STREAM 54u

/* Seed R with INITSTATE on stream INITSEQ (pcg32_srandom_r). */
void fx_pcg32_seed(fx_pcg32 *r, uint64_t initstate, uint64_t initseq);

/* Next 32-bit output. */
static inline uint32_t fx_pcg32_next(fx_pcg32 *r)
{
    uint64_t old = r->state;
    r->state = old * FX_PCG32_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Uniform double in (0, 1): 53 random bits from two outputs, never 0. */
static inline double fx_pcg32_open01(fx_pcg32 *r)
{
    uint64_t hi = fx_pcg32_next(r) >> 5; /* 27 bits */
    uint64_t lo = fx_pcg32_next(r) >> 6; /* 26 bits */
    return ((double)((hi << 26) | lo) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, bound) without modulo bias; BOUND > 0. */
uint32_t fx_pcg32_bounded(fx_pcg32 *r, uint32_t bound);

/* The GSL generator type backed by fx_pcg32 (name "pcg32"). */
extern const gsl_rng_type *fx_rng_pcg32;

/* A GSL generator of type pcg32 seeded with SEED on stream STREAM.
 * Returns NULL when out of memory. Free with gsl_rng_free. */
gsl_rng *fx_rng_alloc(uint64_t seed, uint64_t stream);

/* The PCG state behind a generator of type fx_rng_pcg32 (fast path). */
static inline fx_pcg32 *fx_rng_state(gsl_rng *r)
{
    return (fx_pcg32 *)r->state;
}

/* A generator for the component NAME under MASTER_SEED: its stream is a hash
 * of NAME, its initial state mixes MASTER_SEED with that hash. */
gsl_rng *fx_rng_stream(uint64_t master_seed, const char *name);

/* 64-bit FNV-1a hash of a NUL-terminated string. */
uint64_t fx_hash_str(const char *s);

/* SplitMix64 finalizer: a bijective 64-bit mix. */
static inline uint64_t fx_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
