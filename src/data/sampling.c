/* Frame sampling: segment offsets for test and training, and the
 * short-clip policies applied before sampling. */
#include "data/sampling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static const char *const policy_names[] = {"sample", "pad-last", "loop", "drop", "error"};

int nd_short_clip_parse(const char *name, nd_short_clip_policy *policy) {
    for (int i = 0; i < (int)(sizeof(policy_names) / sizeof(policy_names[0])); i++) {
        if (strcmp(name, policy_names[i]) == 0) {
            *policy = (nd_short_clip_policy)i;
            return 0;
        }
    }
    return nd_fail("invalid short-clip policy '%s': use sample, pad-last, loop, drop or error",
                   name);
}

const char *nd_short_clip_name(nd_short_clip_policy policy) {
    ND_ASSERT(policy >= ND_SHORT_CLIP_SAMPLE && policy <= ND_SHORT_CLIP_ERROR);
    return policy_names[policy];
}

nd_short_clip_result nd_short_clip_frames(int *frames, int *count, int n, int t,
                                          nd_short_clip_policy policy) {
    ND_ASSERT(n >= 1 && t >= 1);
    int is_short = n < t;
    if (is_short && policy == ND_SHORT_CLIP_DROP)
        return ND_SHORT_CLIP_SKIP;
    if (is_short && policy == ND_SHORT_CLIP_ERROR)
        return ND_SHORT_CLIP_FAIL;

    /* Padding and looping stretch a short clip to exactly T frames. */
    int length = n;
    if (is_short && (policy == ND_SHORT_CLIP_PAD_LAST || policy == ND_SHORT_CLIP_LOOP))
        length = t;
    for (int i = 0; i < length; i++) {
        if (i < n)
            frames[i] = i;
        else
            frames[i] = policy == ND_SHORT_CLIP_LOOP ? i % n : n - 1;
    }
    *count = length;
    return ND_SHORT_CLIP_USE;
}

/* Writes frames p and p + 1 of each offset (p twice when p is the last). */
static void offsets_to_indices(int *indices, const int *offsets, int segments, int n) {
    for (int k = 0; k < segments; k++) {
        int p = offsets[k];
        ND_ASSERT(p >= 0 && p < n);
        indices[2 * k] = p;
        indices[2 * k + 1] = p + 1 < n ? p + 1 : p;
    }
}

void nd_sample_test(int *indices, int n, int t) {
    ND_ASSERT(n >= 1 && t >= 2 && t % 2 == 0);
    int segments = t / 2;
    int *offsets = nd_calloc((size_t)segments, sizeof(int));

    if (n > segments + 1) {
        double tick = (double)(n - 1) / segments;
        for (int k = 0; k < segments; k++)
            offsets[k] = (int)floor(tick / 2.0 + tick * k);
    }
    offsets_to_indices(indices, offsets, segments, n);
    free(offsets);
}

static int compare_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void nd_sample_train(int *indices, int n, int t, nd_rng *rng) {
    ND_ASSERT(n >= 1 && t >= 2 && t % 2 == 0);
    int segments = t / 2;
    int *offsets = nd_calloc((size_t)segments, sizeof(int));

    int avg = (n - 1) / segments;
    if (avg > 0) {
        /* One random start inside each of the U equal segments. */
        for (int k = 0; k < segments; k++)
            offsets[k] = k * avg + (int)nd_rng_int(rng, 0, avg - 1);
    } else if (n > segments) {
        /* U random starts anywhere, in order. With V = 2 frames per segment
         * avg > 0 whenever N > U, so this branch only completes the formula. */
        for (int k = 0; k < segments; k++)
            offsets[k] = (int)nd_rng_int(rng, 0, n - 2);
        qsort(offsets, (size_t)segments, sizeof(int), compare_int);
    }
    offsets_to_indices(indices, offsets, segments, n);
    free(offsets);
}
