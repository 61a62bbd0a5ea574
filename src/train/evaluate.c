#include "train/evaluate.h"

#include <stdlib.h>

#include "util/error.h"

int nd_evaluate(nrdfer_model *model, const nd_dataset *ds, int split, const int *indices,
                int n, const nd_loader_options *options, nd_confusion *confusion,
                nd_clip_prediction *predictions, int *count) {
    const nrdfer_config *config = nrdfer_model_config(model);
    nd_confusion_init(confusion, config->num_classes);
    if (count)
        *count = 0;

    /* Dataset order, every clip, test transform. */
    nd_loader_options o = *options;
    o.shuffle = 0;
    o.drop_last = 0;
    o.augment = 0;
    o.random_sampling = 0;
    nd_loader *loader = nd_loader_create(ds, split, indices, indices ? n : 0, &o);
    if (!loader || nd_loader_start_epoch(loader, 0, 0) != 0) {
        nd_loader_free(loader);
        return -1;
    }

    nrdfer_prediction *out = nd_malloc((size_t)o.batch_size * sizeof *out);
    nd_batch batch;
    int rc, done = 0;
    while ((rc = nd_loader_next(loader, &batch)) == 1) {
        if (nrdfer_model_predict(model, batch.clips, batch.count, out) != 0) {
            rc = -1;
            break;
        }
        for (int i = 0; i < batch.count; i++) {
            if (nd_confusion_add(confusion, batch.labels[i], out[i].label) != 0) {
                rc = -1;
                break;
            }
            if (predictions) {
                predictions[done].clip = batch.indices[i];
                predictions[done].prediction = out[i];
            }
            done++;
        }
        if (rc != 1)
            break;
    }
    if (count)
        *count = done;
    free(out);
    nd_loader_free(loader);
    return rc < 0 ? -1 : 0;
}
