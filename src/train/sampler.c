#include "train/sampler.h"

#include <math.h>
#include <stdlib.h>

#include "nrdfer.h"
#include "util/error.h"
#include "util/rng.h"

/* Stream tags for nd_rng_derive, so that the split and the epoch orders
 * draw from unrelated streams of the same seed. */
enum { STREAM_SPLIT = 0x5311, STREAM_ORDER = 0x0D3E };

static void shuffle(int *a, int n, nd_rng *rng) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)nd_rng_int(rng, 0, i);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

int nd_split_stratified(const int *labels, int n, int num_classes, double fraction,
                        uint64_t seed, int **train, int *num_train, int **val, int *num_val) {
    if (!(fraction >= 0 && fraction < 1))
        return nd_fail("validation fraction %g is invalid: use a value in [0, 1)", fraction);

    /* Mark the validation clips class by class. */
    char *is_val = nd_calloc((size_t)n > 0 ? (size_t)n : 1, 1);
    int *members = nd_malloc(((size_t)n + 1) * sizeof *members);
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(seed, STREAM_SPLIT, 0));
    int total_val = 0;
    for (int c = 0; c < num_classes; c++) {
        int count = 0;
        for (int i = 0; i < n; i++)
            if (labels[i] == c)
                members[count++] = i;
        int take = (int)lround(fraction * count);
        if (fraction > 0 && take == 0 && count >= 2)
            take = 1;
        if (take >= count)
            take = count - 1;
        if (take <= 0)
            continue;
        shuffle(members, count, &rng);
        for (int i = 0; i < take; i++)
            is_val[members[i]] = 1;
        total_val += take;
    }
    free(members);
    if (fraction > 0 && total_val == 0) {
        free(is_val);
        return nd_fail("validation fraction %g of %d training clips leaves no validation "
                       "clip: use --val-fraction 0 or more clips",
                       fraction, n);
    }

    /* Collect both lists in increasing order. */
    *train = nd_malloc(((size_t)(n - total_val) + 1) * sizeof **train);
    *val = nd_malloc(((size_t)total_val + 1) * sizeof **val);
    *num_train = 0;
    *num_val = 0;
    for (int i = 0; i < n; i++) {
        if (is_val[i])
            (*val)[(*num_val)++] = i;
        else
            (*train)[(*num_train)++] = i;
    }
    free(is_val);
    return 0;
}

void nd_sampler_epoch_order(const int *labels, int n, int num_classes, uint64_t seed,
                            int epoch, int balance, int *order) {
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(seed, STREAM_ORDER, (uint64_t)epoch));
    if (!balance) {
        for (int i = 0; i < n; i++)
            order[i] = i;
        shuffle(order, n, &rng);
        return;
    }

    /* Balanced: pick a present class uniformly, then a clip of it. */
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
