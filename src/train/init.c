#include "train/init.h"

#include <string.h>

#include "model/config.h"
#include "model/model_internal.h"
#include "util/error.h"

int nd_init_load_except_head(nrdfer_model *model, const char *path) {
    nrdfer_model *source = nrdfer_model_load(path);
    if (!source)
        return -1;

    /* Same architecture once the classes are set aside. */
    nrdfer_config a = model->config, b = source->config;
    b.num_classes = a.num_classes;
    memcpy(b.labels, a.labels, sizeof b.labels);
    if (nd_config_compare(&a, &b, path) != 0) {
        nrdfer_model_free(source);
        return -1;
    }

    /* Every tensor by name, except the classifier.
     * NOTE: reads the model's tensor table directly (model/model_internal.h)
     * because the public API has no partial load. */
    for (int i = 0; i < model->params.count; i++) {
        const nd_tensor_info *t = &model->params.tensors[i];
        if (!strncmp(t->name, "head.", 5))
            continue;
        const nd_tensor_info *s = nd_params_find(&source->params, t->name);
        if (!s || s->count != t->count) {
            nrdfer_model_free(source);
            return nd_fail("%s: tensor '%s' is missing or of another size", path, t->name);
        }
        memcpy(model->values + t->offset, source->values + s->offset,
               t->count * sizeof *model->values);
    }
    model->version++;
    nrdfer_model_free(source);
    return 0;
}
