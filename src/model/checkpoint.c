/* Checkpoint files: see checkpoint.h. Loading checks everything before it
 * changes the model, so a file that does not fit leaves the model as it was. */
#include "model/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/model_internal.h"
#include "model/safetensors.h"
#include "util/error.h"

static const char *optimizer_prefix(nrdfer_optimizer_kind kind, int moment) {
    if (kind == NRDFER_SGD)
        return "optim.momentum.";
    return moment == 1 ? "optim.adam_m." : "optim.adam_v.";
}

int nd_checkpoint_save(const nrdfer_model *m, const char *path, int with_optimizer,
                       const cJSON *train_state) {
    nd_st_writer w;
    char name[160];
    int rc;

    nd_st_writer_init(&w);
    cJSON *config = nd_config_to_json(&m->config);
    char *text = cJSON_PrintUnformatted(config);
    nd_st_set_metadata(&w, "nrdfer", text);
    free(text);
    cJSON_Delete(config);

    for (int i = 0; i < m->params.count; i++) {
        const nd_tensor_info *t = &m->params.tensors[i];
        nd_st_add_f32(&w, t->name, t->ndim, t->shape, m->values + t->offset);
    }
    if (with_optimizer && m->moment1) {
        char optim[96];
        snprintf(optim, sizeof optim, "{\"kind\":\"%s\",\"step\":%ld}",
                 m->optimizer_kind == NRDFER_SGD ? "sgd" : "adamw", m->step);
        nd_st_set_metadata(&w, "nrdfer_optim", optim);
        for (int moment = 1; moment <= (m->moment2 ? 2 : 1); moment++)
            for (int i = 0; i < m->params.count; i++) {
                const nd_tensor_info *t = &m->params.tensors[i];
                if (!t->trainable)
                    continue;
                snprintf(name, sizeof name, "%s%s", optimizer_prefix(m->optimizer_kind, moment),
                         t->name);
                nd_st_add_f32(&w, name, t->ndim, t->shape,
                              (moment == 1 ? m->moment1 : m->moment2) + t->offset);
            }
    }
    if (train_state) {
        text = cJSON_PrintUnformatted(train_state);
        nd_st_set_metadata(&w, "nrdfer_train", text);
        free(text);
    }
    rc = nd_st_write(&w, path);
    nd_st_writer_free(&w);
    return rc;
}

static int config_of_file(const nd_st_file *f, nrdfer_config *config) {
    const char *text = nd_st_metadata(f, "nrdfer");
    if (!text) {
        /* A file written by PyTorch without our metadata: paper defaults. */
        nrdfer_config_paper(config);
        return 0;
    }
    cJSON *json = cJSON_Parse(text);
    if (!json)
        return nd_fail("%s: metadata 'nrdfer' is not valid JSON", f->path);
    int rc = nd_config_from_json(config, json, f->path);
    cJSON_Delete(json);
    return rc;
}

int nd_checkpoint_read_config(const char *path, nrdfer_config *config) {
    nd_st_file f;
    if (nd_st_open(&f, path))
        return -1;
    int rc = config_of_file(&f, config);
    nd_st_close(&f);
    return rc;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Checks that entry e can fill tensor t. */
static int check_entry(const nd_st_file *f, const nd_tensor_info *t, const char *name,
                       const nd_st_entry *e) {
    if (!e)
        return nd_fail("%s: tensor '%s' is missing", f->path, name);
    if (strcmp(e->dtype, "F32"))
        return nd_fail("%s: tensor '%s' has dtype %s, expected F32", f->path, name, e->dtype);
    int same = e->ndim == t->ndim;
    for (int d = 0; same && d < t->ndim; d++)
        same = e->shape[d] == t->shape[d];
    if (!same) {
        char want[96] = "", got[96] = "";
        for (int d = 0; d < t->ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? ", " : "",
                     (long long)t->shape[d]);
        for (int d = 0; d < e->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "",
                     (long long)e->shape[d]);
        return nd_fail("%s: tensor '%s' has shape [%s], the model expects [%s]", f->path, name,
                       got, want);
    }
    return 0;
}

int nd_checkpoint_load(nrdfer_model *m, const char *path, int with_optimizer,
                       cJSON **train_state) {
    nd_st_file f;
    nrdfer_config file_config;
    char name[160];

    if (train_state)
        *train_state = NULL;
    if (nd_st_open(&f, path))
        return -1;
    if (config_of_file(&f, &file_config) ||
        nd_config_compare(&m->config, &file_config, path)) {
        nd_st_close(&f);
        return -1;
    }

    /* Every model tensor present with its shape; nothing unknown besides
     * PyTorch's num_batches_tracked counters and optimizer state. */
    for (int i = 0; i < m->params.count; i++) {
        const nd_tensor_info *t = &m->params.tensors[i];
        if (check_entry(&f, t, t->name, nd_st_find(&f, t->name)))
            goto fail;
    }
    for (int i = 0; i < f.count; i++) {
        const char *n = f.entries[i].name;
        if (!nd_params_find(&m->params, n) && !ends_with(n, ".num_batches_tracked") &&
            strncmp(n, "optim.", 6)) {
            nd_fail("%s: tensor '%s' is not part of this model (config: static_branch=%d, "
                    "dynamic_branch=%d, learned_cls_token=%d)",
                    path, n, m->config.static_branch, m->config.dynamic_branch,
                    m->config.learned_cls_token);
            goto fail;
        }
    }

    /* Optimizer state, checked before anything is copied. */
    const char *optim_text = with_optimizer ? nd_st_metadata(&f, "nrdfer_optim") : NULL;
    nrdfer_optimizer_kind kind = NRDFER_SGD;
    long step = 0;
    if (optim_text) {
        cJSON *o = cJSON_Parse(optim_text);
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "step");
        if (!cJSON_IsString(k) || !cJSON_IsNumber(s)) {
            cJSON_Delete(o);
            nd_fail("%s: metadata 'nrdfer_optim' lacks kind or step", path);
            goto fail;
        }
        kind = strcmp(k->valuestring, "adamw") ? NRDFER_SGD : NRDFER_ADAMW;
        step = (long)s->valuedouble;
        cJSON_Delete(o);
        for (int moment = 1; moment <= (kind == NRDFER_ADAMW ? 2 : 1); moment++)
            for (int i = 0; i < m->params.count; i++) {
                const nd_tensor_info *t = &m->params.tensors[i];
                if (!t->trainable)
                    continue;
                snprintf(name, sizeof name, "%s%s", optimizer_prefix(kind, moment), t->name);
                if (check_entry(&f, t, name, nd_st_find(&f, name)))
                    goto fail;
            }
    }
    if (train_state && nd_st_metadata(&f, "nrdfer_train")) {
        *train_state = cJSON_Parse(nd_st_metadata(&f, "nrdfer_train"));
        if (!*train_state) {
            nd_fail("%s: metadata 'nrdfer_train' is not valid JSON", path);
            goto fail;
        }
    }

    /* All checks passed: copy. */
    for (int i = 0; i < m->params.count; i++) {
        const nd_tensor_info *t = &m->params.tensors[i];
        nd_st_copy_f32(&f, nd_st_find(&f, t->name), m->values + t->offset);
    }
    if (optim_text) {
        nrdfer_model_reset_optimizer(m);
        m->moment1 = nd_calloc(m->params.total, sizeof(float));
        if (kind == NRDFER_ADAMW)
            m->moment2 = nd_calloc(m->params.total, sizeof(float));
        m->optimizer_kind = kind;
        m->step = step;
        for (int moment = 1; moment <= (kind == NRDFER_ADAMW ? 2 : 1); moment++)
            for (int i = 0; i < m->params.count; i++) {
                const nd_tensor_info *t = &m->params.tensors[i];
                if (!t->trainable)
                    continue;
                snprintf(name, sizeof name, "%s%s", optimizer_prefix(kind, moment), t->name);
                nd_st_copy_f32(&f, nd_st_find(&f, name),
                               (moment == 1 ? m->moment1 : m->moment2) + t->offset);
            }
    }
    /* Keep the snippet filter settings of the file (they are not architecture). */
    m->config.snippet_filter = file_config.snippet_filter;
    m->config.sf_neutral_max = file_config.sf_neutral_max;
    m->config.sf_confidence_min = file_config.sf_confidence_min;
    m->version++;
    nd_st_close(&f);
    return 0;

fail:
    if (train_state && *train_state) {
        cJSON_Delete(*train_state);
        *train_state = NULL;
    }
    nd_st_close(&f);
    return -1;
}
