#include "train/evaluate.h"

#include <stdlib.h>

#include "util/error.h"

int nd_evaluate(nrdfer_model *model, const nd_clip_source *source, const int *indices, int n,
                int batch, nd_confusion *confusion, nrdfer_prediction *predictions) {
    const nrdfer_config *config = nrdfer_model_config(model);
    size_t clip_floats = (size_t)config->frames * 3 * config->image_size * config->image_size;
    if (!indices)
        n = source->num_clips;
    if (batch < 1)
        batch = 1;
    nd_confusion_init(confusion, config->num_classes);

    float *clips = nd_malloc(clip_floats * (size_t)batch * sizeof *clips);
    int *chunk = nd_malloc((size_t)batch * sizeof *chunk);
    nrdfer_prediction *out = nd_malloc((size_t)batch * sizeof *out);
    int rc = 0;
    for (int start = 0; start < n && rc == 0; start += batch) {
        int count = n - start < batch ? n - start : batch;
        for (int i = 0; i < count; i++)
            chunk[i] = indices ? indices[start + i] : start + i;

        /* Load with the test transform, predict, count. */
        rc = source->load(source->impl, chunk, count, 0, 0, 0, clips);
        if (rc == 0)
            rc = nrdfer_model_predict(model, clips, count, out);
        for (int i = 0; i < count && rc == 0; i++) {
            rc = nd_confusion_add(confusion, source->labels[chunk[i]], out[i].label);
            if (predictions)
                predictions[start + i] = out[i];
        }
    }
    free(clips);
    free(chunk);
    free(out);
    return rc;
}
