#include "util/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void nd_rng_seed(nd_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

uint64_t nd_rng_derive(uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ (a * 0xd1342543de82ef95ULL);
    h = splitmix64(&x);
    x = h ^ (b * 0xaf251af3b0f025b5ULL);
    return splitmix64(&x);
}

uint64_t nd_rng_u64(nd_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nd_rng_uniform(nd_rng *rng) {
    return (double)(nd_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double nd_rng_range(nd_rng *rng, double lo, double hi) {
    return lo + (hi - lo) * nd_rng_uniform(rng);
}

int64_t nd_rng_int(nd_rng *rng, int64_t lo, int64_t hi) {
    uint64_t span = (uint64_t)(hi - lo) + 1;
    if (span == 0)
        return (int64_t)nd_rng_u64(rng);
    /* Rejection sampling keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t r;
    do {
        r = nd_rng_u64(rng);
    } while (r >= limit);
    return lo + (int64_t)(r % span);
}

double nd_rng_normal(nd_rng *rng) {
    double u1 = nd_rng_uniform(rng);
    double u2 = nd_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
