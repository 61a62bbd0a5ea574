/* Finite-difference check of the whole model's backward pass: for each
 * trainable tensor, the directional derivative of the training loss along a
 * random unit direction must match the gradient's dot product with it. A
 * tiny config (4 frames of 32 x 32) keeps it fast; each ablation switch is
 * checked too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops.h"
#include "model/model_internal.h"
#include "util/rng.h"

static double loss_at(nrdfer_model *m, const float *clips, const int *labels, int b) {
    nd_plan *p = nd_model_forward(m, clips, b, 1);
    return nd_softmax_cross_entropy(NULL, (const float *)(p->act + p->logits), labels, b,
                                    m->config.num_classes, 0.0f);
}

static int check_config(const char *label, nrdfer_config *c) {
    int B = 2, failures = 0;
    size_t clip = (size_t)c->frames * 3 * c->image_size * c->image_size;
    float *clips = malloc(sizeof(float) * B * clip);
    int labels[2] = {1, 4};
    nd_rng rng;

    nd_rng_seed(&rng, 7);
    for (size_t i = 0; i < B * clip; i++)
        clips[i] = (float)nd_rng_uniform(&rng);
    nrdfer_model *m = nrdfer_model_create(c, 3);
    if (!m) {
        printf("%s: create failed: %s\n", label, nrdfer_last_error());
        return 1;
    }
    nd_model_forward(m, clips, B, 1);
    nd_model_backward(m, labels, 0.0f);
    float *grads = malloc(sizeof(float) * m->params.total);
    memcpy(grads, m->grads, sizeof(float) * m->params.total);

    for (int t = 0; t < m->params.count; t++) {
        const nd_tensor_info *info = &m->params.tensors[t];
        if (!info->trainable)
            continue;
        float *w = m->values + info->offset;
        float *dir = malloc(sizeof(float) * info->count);
        double norm = 0, analytic = 0;
        for (size_t i = 0; i < info->count; i++) {
            dir[i] = (float)nd_rng_normal(&rng);
            norm += (double)dir[i] * dir[i];
        }
        norm = sqrt(norm);
        for (size_t i = 0; i < info->count; i++) {
            dir[i] /= (float)norm;
            analytic += (double)dir[i] * grads[info->offset + i];
        }

        /* Central difference along dir; weights restored exactly after. */
        const float eps = 2e-3f;
        float *saved = malloc(sizeof(float) * info->count);
        memcpy(saved, w, sizeof(float) * info->count);
        for (size_t i = 0; i < info->count; i++)
            w[i] = saved[i] + eps * dir[i];
        m->version++;
        double up = loss_at(m, clips, labels, B);
        for (size_t i = 0; i < info->count; i++)
            w[i] = saved[i] - eps * dir[i];
        m->version++;
        double down = loss_at(m, clips, labels, B);
        memcpy(w, saved, sizeof(float) * info->count);
        m->version++;
        double numeric = (up - down) / (2 * eps);

        double err = fabs(numeric - analytic);
        double tol = 3e-2 * fmax(fabs(numeric), fabs(analytic)) + 2e-4;
        if (err > tol) {
            printf("%s: %s: numeric %.6g analytic %.6g\n", label, info->name, numeric, analytic);
            failures++;
        }
        free(dir);
        free(saved);
    }
    printf("%s: %d of %d tensors outside tolerance\n", label, failures, m->params.count);
    free(grads);
    free(clips);
    nrdfer_model_free(m);
    return failures;
}

int main(void) {
    nrdfer_config c;
    int failures = 0;

    nrdfer_set_threads(2);
    nrdfer_config_small(&c);
    c.frames = 8;
    c.image_size = 32;
    failures += check_config("full", &c);
    c.static_branch = 0;
    failures += check_config("no static branch", &c);
    c.static_branch = 1;
    c.dynamic_branch = 0;
    failures += check_config("no dynamic branch", &c);
    c.dynamic_branch = 1;
    c.learned_cls_token = 1;
    failures += check_config("learned class token", &c);
    return failures ? 1 : 0;
}
