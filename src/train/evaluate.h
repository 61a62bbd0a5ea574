/* Evaluation of a model on clips of a dataset split: predictions in eval
 * mode (the snippet filter as the model's config sets it) gathered into a
 * confusion matrix. Clips are read in dataset order with the test
 * transform, so the result is the same for any batch size and loader thread
 * count, up to the engine's own floating-point reproducibility. */
#ifndef ND_TRAIN_EVALUATE_H
#define ND_TRAIN_EVALUATE_H

#include "data/dataset.h"
#include "data/loader.h"
#include "nrdfer.h"
#include "train/metrics.h"

/* One evaluated clip. */
typedef struct nd_clip_prediction {
    int clip; /* index into the split's clips */
    nrdfer_prediction prediction;
} nd_clip_prediction;

/* Predicts clips indices[0..n) of split (the whole split when indices is
 * NULL) with loader options `options` (evaluation options of
 * nd_data_loader_options). Fills confusion and, when predictions is not
 * NULL, up to n (or split size) entries of predictions and *count. Clips the
 * bad-clip policy skips are left out of both. Returns 0, or -1 with nd_fail()
 * naming the failing clip. */
int nd_evaluate(nrdfer_model *model, const nd_dataset *dataset, int split, const int *indices,
                int n, const nd_loader_options *options, nd_confusion *confusion,
                nd_clip_prediction *predictions, int *count);

#endif
