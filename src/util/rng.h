/* Seeded random numbers (xoshiro256** seeded through splitmix64).
 * The same seed gives the same sequence on every machine. Streams for
 * independent work (one clip in one epoch, say) come from nd_rng_derive(),
 * so results do not depend on the order in which threads draw. */
#ifndef ND_UTIL_RNG_H
#define ND_UTIL_RNG_H

#include <stdint.h>

typedef struct nd_rng {
    uint64_t s[4];
} nd_rng;

void nd_rng_seed(nd_rng *rng, uint64_t seed);

/* Returns a seed for the stream identified by (seed, a, b). */
uint64_t nd_rng_derive(uint64_t seed, uint64_t a, uint64_t b);

uint64_t nd_rng_u64(nd_rng *rng);

/* Uniform double in [0, 1). */
double nd_rng_uniform(nd_rng *rng);

/* Uniform double in [lo, hi). */
double nd_rng_range(nd_rng *rng, double lo, double hi);

/* Uniform integer in [lo, hi], both ends included; lo <= hi. */
int64_t nd_rng_int(nd_rng *rng, int64_t lo, int64_t hi);

/* Standard normal (Box-Muller). */
double nd_rng_normal(nd_rng *rng);

#endif
