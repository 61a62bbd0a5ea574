/* The dataset settings of train and eval, turned into an opened dataset
 * (data/dataset.h) and loader options (data/loader.h) for a model. */
#ifndef ND_TRAIN_DATA_H
#define ND_TRAIN_DATA_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "nrdfer.h"

typedef struct nd_data_settings {
    const char *dataset; /* dfew, list, ferv39k, afew, mafw, folder */
    const char *root;
    int fold;                 /* 1-based; 0: the reader's default */
    const char *frames_dir;   /* frame folder below the root, or NULL for the default */
    const char *train_list;   /* list files of the "list" dataset */
    const char *test_list;
    const char *strip_prefix; /* path rewrite of list files */
    const char *short_clips;  /* short-clip policy name, or NULL for "sample" */
    const char *bad_clips;    /* bad-clip policy name, or NULL for "error" */
    int augment;              /* training augmentation on (1) or off (0) */
    int train_center;         /* 1: training clips use test (center) sampling */
    int loader_threads;
    int face_detect;          /* video clips: 1 crops the detected face (default) */
    const char *cascade;      /* Haar cascade file, or NULL for the default */
    int frames;               /* data check and data load: T (0: the model's) */
} nd_data_settings;

/* Fills the reader's options from the settings for a model of `frames`
 * frames. Returns 0, or -1 with nd_fail() naming an unknown policy. */
int nd_data_dataset_options(const nd_data_settings *settings, int frames,
                            nd_dataset_options *options);

/* Opens the dataset for a model of `frames` frames. Returns 0, or -1 with
 * nd_fail() naming the file, clip or policy. */
int nd_data_open(const nd_data_settings *settings, int frames, nd_dataset **dataset);

/* Fills loader options for a model: training (shuffled, last partial batch
 * dropped, augmentation and sampling as set) when train is 1, else
 * evaluation (dataset order, every clip, test transform). */
void nd_data_loader_options(const nd_data_settings *settings, const nrdfer_config *config,
                            int batch, uint64_t seed, int train, nd_loader_options *options);

/* Checks that the model's classes are the dataset's, by name and in order.
 * Returns -1 with a message naming the first difference. */
int nd_data_check_labels(const nd_dataset *dataset, const nrdfer_config *config);

#endif
