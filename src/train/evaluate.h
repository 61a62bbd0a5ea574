/* Evaluation of a model on clips of a source: predictions in eval mode (the
 * snippet filter as the model's config sets it) gathered into a confusion
 * matrix. The result does not depend on the batch size or thread count
 * beyond the engine's own floating-point reproducibility. */
#ifndef ND_TRAIN_EVALUATE_H
#define ND_TRAIN_EVALUATE_H

#include "nrdfer.h"
#include "train/metrics.h"
#include "train/source.h"

/* Predicts clips indices[0..n) of source (all clips when indices is NULL, n
 * then ignored), batch at a time, with the test transform. Fills confusion
 * and, when predictions is not NULL, predictions[i] for the i-th evaluated
 * clip. Returns 0, or -1 with nd_fail() naming the failing clip. */
int nd_evaluate(nrdfer_model *model, const nd_clip_source *source, const int *indices, int n,
                int batch, nd_confusion *confusion, nrdfer_prediction *predictions);

#endif
