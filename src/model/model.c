/* Public model API: creation, inference with the snippet filter, training
 * steps with SGD or AdamW as PyTorch applies them. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dnnl_backend.h"
#include "engine/ops.h"
#include "model/checkpoint.h"
#include "model/model_internal.h"
#include "util/error.h"

void nrdfer_set_threads(int threads) {
    omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
}

static float *alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)))
        return nd_calloc(n, sizeof(float));
    memset(p, 0, n * sizeof(float));
    return p;
}

nrdfer_model *nrdfer_model_create(const nrdfer_config *config, uint64_t seed) {
    if (nrdfer_config_validate(config) || nd_dnnl_init())
        return NULL;
    nrdfer_model *m = nd_calloc(1, sizeof *m);
    m->config = *config;
    nd_net_define(config, &m->params, &m->w);
    nd_net_dims(config, &m->d);
    m->values = alloc_floats(m->params.total);
    nd_params_init(&m->params, m->values, seed);
    return m;
}

void nrdfer_model_free(nrdfer_model *m) {
    if (!m)
        return;
    nd_plan_free(m->train_plan);
    nd_plan_free(m->infer_plan);
    nd_params_free(&m->params);
    free(m->values);
    free(m->grads);
    free(m->moment1);
    free(m->moment2);
    free(m);
}

const nrdfer_config *nrdfer_model_config(const nrdfer_model *m) {
    return &m->config;
}

void nrdfer_model_set_snippet_filter(nrdfer_model *m, int on) {
    m->config.snippet_filter = on ? 1 : 0;
}

size_t nrdfer_model_num_params(const nrdfer_model *m) {
    return nd_params_trainable_count(&m->params);
}

double nrdfer_model_flops_per_clip(const nrdfer_model *m) {
    return nd_net_flops_per_clip(&m->config);
}

nrdfer_model *nrdfer_model_load(const char *path) {
    nrdfer_config config;
    if (nd_checkpoint_read_config(path, &config))
        return NULL;
    nrdfer_model *m = nrdfer_model_create(&config, 0);
    if (!m)
        return NULL;
    if (nd_checkpoint_load(m, path, 0, NULL)) {
        nrdfer_model_free(m);
        return NULL;
    }
    return m;
}

int nrdfer_model_load_weights(nrdfer_model *m, const char *path) {
    return nd_checkpoint_load(m, path, 0, NULL);
}

int nrdfer_model_save(const nrdfer_model *m, const char *path) {
    return nd_checkpoint_save(m, path, 0, NULL);
}

nd_plan *nd_model_forward(nrdfer_model *m, const float *clips, int n, int training) {
    size_t clip_floats = (size_t)m->d.T * 3 * m->d.S * m->d.S;
    nd_plan *p;

    if (n < 1)
        return nd_fail("batch of %d clips: need at least 1", n), NULL;
    if (training) {
        if (!m->train_plan || m->train_plan->batch != n) {
            nd_plan_free(m->train_plan);
            m->train_plan = nd_plan_create(&m->config, n, 1);
            if (!m->train_plan)
                return NULL;
        }
        p = m->train_plan;
        nd_plan_forward(p, &m->w, m->values, clips, 1, m->version);
        return p;
    }

    /* Eval: a plan at least as large as n; unused rows hold zeros, which do
     * not affect the other clips because BN uses running statistics. */
    if (!m->infer_plan || m->infer_plan->batch < n) {
        nd_plan_free(m->infer_plan);
        m->infer_plan = nd_plan_create(&m->config, n, 0);
        if (!m->infer_plan)
            return NULL;
    }
    p = m->infer_plan;
    if (p->batch == n) {
        nd_plan_forward(p, &m->w, m->values, clips, 0, m->version);
    } else {
        float *padded = nd_calloc((size_t)p->batch * clip_floats, sizeof(float));
        memcpy(padded, clips, sizeof(float) * n * clip_floats);
        nd_plan_forward(p, &m->w, m->values, padded, 0, m->version);
        free(padded);
    }
    return p;
}

int nd_snippet_filter(const nrdfer_config *c, float *logits, const float *snippet_logits,
                      int snippets) {
    int neutral = nrdfer_config_neutral_index(c);
    float probs[NRDFER_MAX_CLASSES];

    if (neutral < 0)
        return 0;
    for (int k = 0; k < snippets; k++) {
        nd_softmax(probs, snippet_logits + (size_t)k * c->num_classes, c->num_classes);
        float top = 0;
        for (int j = 0; j < c->num_classes; j++)
            top = fmaxf(top, probs[j]);
        if (probs[neutral] <= c->sf_neutral_max && top > c->sf_confidence_min) {
            logits[neutral] = -INFINITY;
            return 1;
        }
    }
    return 0;
}

int nrdfer_model_predict(nrdfer_model *m, const float *clips, int n, nrdfer_prediction *out) {
    int classes = m->config.num_classes, K = m->d.K;
    nd_plan *p = nd_model_forward(m, clips, n, 0);
    if (!p)
        return -1;
    const float *logits = (const float *)(p->act + p->logits);
    const float *snippets = (const float *)(p->act + p->snip_logits);

    for (int i = 0; i < n; i++) {
        nrdfer_prediction *r = &out[i];
        float filtered[NRDFER_MAX_CLASSES];
        memset(r, 0, sizeof *r);
        memcpy(r->logits, logits + (size_t)i * classes, sizeof(float) * classes);
        memcpy(filtered, r->logits, sizeof(float) * classes);
        if (m->config.snippet_filter)
            r->neutral_suppressed = nd_snippet_filter(&m->config, filtered,
                                                      snippets + (size_t)i * K * classes, K);
        nd_softmax(r->probs, filtered, classes);
        for (int j = 1; j < classes; j++)
            if (r->probs[j] > r->probs[r->label])
                r->label = j;
    }
    return 0;
}

float nd_model_backward(nrdfer_model *m, const int *labels, float label_smoothing) {
    nd_plan *p = m->train_plan;
    int classes = m->config.num_classes;
    float *dlogits = nd_malloc(sizeof(float) * p->batch * classes);

    if (!m->grads)
        m->grads = alloc_floats(m->params.total);
    float loss = nd_softmax_cross_entropy(dlogits, (const float *)(p->act + p->logits), labels,
                                          p->batch, classes, label_smoothing);
    if (isfinite(loss))
        nd_plan_backward(p, &m->w, m->values, m->grads, dlogits);
    free(dlogits);
    return loss;
}

void nd_model_optimizer_step(nrdfer_model *m, const nrdfer_optimizer_config *opt, float lr) {
    if (!m->moment1 || m->optimizer_kind != opt->kind) {
        free(m->moment1);
        free(m->moment2);
        m->moment1 = alloc_floats(m->params.total);
        m->moment2 = opt->kind == NRDFER_ADAMW ? alloc_floats(m->params.total) : NULL;
        m->optimizer_kind = opt->kind;
        m->step = 0;
    }
    m->step++;
    double bias1 = 1.0 - pow(opt->beta1, (double)m->step);
    double bias2 = 1.0 - pow(opt->beta2, (double)m->step);

    for (int t = 0; t < m->params.count; t++) {
        const nd_tensor_info *info = &m->params.tensors[t];
        if (!info->trainable)
            continue;
        float *w = m->values + info->offset, *g = m->grads + info->offset;
        float *m1 = m->moment1 + info->offset;
        if (opt->kind == NRDFER_SGD) {
            /* PyTorch SGD: g += wd w; v = mu v + g (v = g at the first step); w -= lr v. */
            for (size_t i = 0; i < info->count; i++) {
                float gi = g[i] + opt->weight_decay * w[i];
                m1[i] = m->step == 1 ? gi : opt->momentum * m1[i] + gi;
                w[i] -= lr * (opt->momentum != 0 ? m1[i] : gi);
            }
        } else {
            /* PyTorch AdamW: decoupled decay, then bias-corrected moments. */
            float *m2 = m->moment2 + info->offset;
            for (size_t i = 0; i < info->count; i++) {
                w[i] *= 1.0f - lr * opt->weight_decay;
                m1[i] = opt->beta1 * m1[i] + (1 - opt->beta1) * g[i];
                m2[i] = opt->beta2 * m2[i] + (1 - opt->beta2) * g[i] * g[i];
                double denom = sqrt(m2[i] / bias2) + opt->eps;
                w[i] -= (float)(lr / bias1 * m1[i] / denom);
            }
        }
    }
    m->version++;
}

void nrdfer_model_reset_optimizer(nrdfer_model *m) {
    free(m->moment1);
    free(m->moment2);
    m->moment1 = m->moment2 = NULL;
    m->step = 0;
}

int nrdfer_model_train_step(nrdfer_model *m, const float *clips, const int *labels, int n,
                            const nrdfer_optimizer_config *opt, float lr, float label_smoothing,
                            float *loss) {
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= m->config.num_classes)
            return nd_fail("label %d of clip %d is outside 0..%d", labels[i], i,
                           m->config.num_classes - 1);

    /* Keep the running statistics so that a non-finite loss changes nothing. */
    size_t saved_count = 0;
    for (int t = 0; t < m->params.count; t++)
        if (!m->params.tensors[t].trainable)
            saved_count += m->params.tensors[t].count;
    float *saved = nd_malloc(sizeof(float) * saved_count), *at = saved;
    for (int t = 0; t < m->params.count; t++) {
        const nd_tensor_info *info = &m->params.tensors[t];
        if (!info->trainable) {
            memcpy(at, m->values + info->offset, sizeof(float) * info->count);
            at += info->count;
        }
    }

    if (!nd_model_forward(m, clips, n, 1)) {
        free(saved);
        return -1;
    }
    *loss = nd_model_backward(m, labels, label_smoothing);
    if (!isfinite(*loss)) {
        at = saved;
        for (int t = 0; t < m->params.count; t++) {
            const nd_tensor_info *info = &m->params.tensors[t];
            if (!info->trainable) {
                memcpy(m->values + info->offset, at, sizeof(float) * info->count);
                at += info->count;
            }
        }
        free(saved);
        return nd_fail("training loss is %f (not finite)", *loss);
    }
    free(saved);
    nd_model_optimizer_step(m, opt, lr);
    return 0;
}
