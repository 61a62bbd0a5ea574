#include "train/sampler.h"

#include <stdlib.h>

#include "nrdfer.h"
#include "util/error.h"
#include "util/rng.h"

/* Stream tag for nd_rng_derive, apart from the loader's (epoch, clip)
 * streams of the same seed. */
#define STREAM_BALANCE 0xBA1A9CEULL

void nd_balanced_order(const int *labels, int n, int num_classes, uint64_t seed, int epoch,
                       int *order) {
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(seed, STREAM_BALANCE, (uint64_t)epoch));

    /* Clips grouped by class: by_class[start[c] .. start[c + 1]). */
    int *start = nd_calloc((size_t)num_classes + 1, sizeof *start);
    int *by_class = nd_malloc(((size_t)n + 1) * sizeof *by_class);
    for (int i = 0; i < n; i++)
        start[labels[i] + 1]++;
    for (int c = 0; c < num_classes; c++)
        start[c + 1] += start[c];
    int *fill = nd_malloc(((size_t)num_classes + 1) * sizeof *fill);
    for (int c = 0; c < num_classes; c++)
        fill[c] = start[c];
    for (int i = 0; i < n; i++)
        by_class[fill[labels[i]]++] = i;

    /* Draw a present class uniformly, then a clip of it. */
    int present[NRDFER_MAX_CLASSES];
    int num_present = 0;
    ND_ASSERT(num_classes <= NRDFER_MAX_CLASSES);
    for (int c = 0; c < num_classes; c++)
        if (start[c + 1] > start[c])
            present[num_present++] = c;
    for (int i = 0; i < n; i++) {
        int c = present[nd_rng_int(&rng, 0, num_present - 1)];
        order[i] = by_class[nd_rng_int(&rng, start[c], start[c + 1] - 1)];
    }
    free(start);
    free(by_class);
    free(fill);
}
