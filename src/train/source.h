/* The trainer's view of a dataset split: a fixed list of labelled clips that
 * it loads by index. The trainer picks the indices (sampler.h), so the order
 * of clips depends only on the seed and the epoch; the source turns an index
 * into frames, with the training transform (random sampling and augmentation
 * drawn from nd_rng_derive(seed, epoch, index)) or the test transform
 * (center sampling, no augmentation). */
#ifndef ND_TRAIN_SOURCE_H
#define ND_TRAIN_SOURCE_H

#include <stdint.h>

#include "nrdfer.h"

typedef struct nd_clip_source {
    int num_clips;
    const int *labels;       /* [num_clips], class indices of the model's labels */
    const char *const *ids;  /* [num_clips], clip names for reports */

    /* Loads clips indices[0..n) into out [n][T][3][S][S]. With train = 1 the
     * training transform uses (seed, epoch, index) for its random draws.
     * Returns 0, or -1 with nd_fail() naming the clip. */
    int (*load)(void *impl, const int *indices, int n, int train, uint64_t seed, int epoch,
                float *out);
    void (*close)(void *impl);
    void *impl;
} nd_clip_source;

/* Dataset reader settings shared by train and eval. */
typedef struct nd_source_options {
    const char *dataset; /* dfew, list, ferv39k, afew, mafw, folder */
    const char *root;
    int fold;                 /* 1-based; 0 when the dataset has no folds */
    const char *frames_dir;   /* frame folder below the root, or NULL for the default */
    const char *train_list;   /* list files for the "list" dataset */
    const char *test_list;
    const char *strip_prefix; /* prefix removed from paths in list files */
    const char *short_clips;  /* short-clip policy name, or NULL for the default */
    const char *bad_clips;    /* bad-clip policy name, or NULL for the default */
    int augment;              /* training augmentation on (1) or off (0) */
    int train_center;         /* 1: training clips use center (test) sampling */
    int loader_threads;
} nd_source_options;

typedef enum nd_split_kind { ND_SPLIT_TRAIN, ND_SPLIT_TEST } nd_split_kind;

/* Opens one split of a dataset for a model with config (frames, image size
 * and class names). Returns 0, or -1 with nd_fail() naming the file. */
int nd_source_open(const nd_source_options *options, nd_split_kind split,
                   const nrdfer_config *config, nd_clip_source *source);

void nd_source_close(nd_clip_source *source);

#endif
