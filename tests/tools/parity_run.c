/* Runs the C model on a case written by tests/torch_oracle.py and writes
 * what it computed under the same tensor names, for tests/parity_compare.py.
 *
 * usage: nrdfer_parity DIR [--steps N] [--lr X] [--momentum X] [--weight-decay X]
 * reads DIR/model.safetensors and DIR/input.safetensors, writes
 * DIR/actual.safetensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"
#include "model/safetensors.h"
#include "util/error.h"

static float *copy_of(const float *src, size_t n) {
    float *p = nd_malloc(n * sizeof(float));
    memcpy(p, src, n * sizeof(float));
    return p;
}

static void add(nd_st_writer *w, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2,
                const float *data) {
    int64_t shape[3] = {d0, d1, d2};
    nd_st_add_f32(w, name, ndim, shape, data);
}

int main(int argc, char **argv) {
    int steps = 3;
    float lr = 1e-3f, momentum = 0.9f, wd = 0.1f;
    if (argc < 2) {
        fprintf(stderr, "usage: nrdfer_parity DIR [--steps N] [--lr X] [--momentum X] "
                        "[--weight-decay X]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--steps"))
            steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--lr"))
            lr = strtof(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--momentum"))
            momentum = strtof(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--weight-decay"))
            wd = strtof(argv[i + 1], NULL);
        else {
            fprintf(stderr, "nrdfer_parity: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    const char *dir = argv[1];
    char path[4096];
    nrdfer_set_threads(2);

    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    nrdfer_model *m = nrdfer_model_load(path);
    if (!m) {
        fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
        return 1;
    }
    snprintf(path, sizeof path, "%s/input.safetensors", dir);
    nd_st_file in;
    if (nd_st_open(&in, path)) {
        fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
        return 1;
    }
    const nd_st_entry *ce = nd_st_find(&in, "clips"), *le = nd_st_find(&in, "labels");
    if (!ce || !le || strcmp(le->dtype, "I64")) {
        fprintf(stderr, "nrdfer_parity: %s lacks clips or I64 labels\n", path);
        return 1;
    }
    int B = (int)ce->shape[0], C = m->config.num_classes, K = m->d.K;
    float *clips = nd_malloc(nd_st_numel(ce) * sizeof(float));
    nd_st_copy_f32(&in, ce, clips);
    int *labels = nd_malloc(sizeof(int) * B);
    for (int b = 0; b < B; b++) {
        int64_t v;
        memcpy(&v, in.bytes + in.data_start + le->begin + 8 * b, 8);
        labels[b] = (int)v;
    }

    nd_st_writer w;
    nd_st_writer_init(&w);

    /* Eval mode. */
    nrdfer_prediction *pred = nd_malloc(sizeof *pred * B);
    if (nrdfer_model_predict(m, clips, B, pred)) {
        fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
        return 1;
    }
    nd_plan *p = m->infer_plan;
    float *eval_logits = copy_of((float *)(p->act + p->logits), (size_t)B * C);
    float *eval_snip = copy_of((float *)(p->act + p->snip_logits), (size_t)B * K * C);
    float *eval_probs = nd_malloc(sizeof(float) * B * C), *suppressed = nd_malloc(4 * B);
    for (int b = 0; b < B; b++) {
        memcpy(eval_probs + b * C, pred[b].probs, sizeof(float) * C);
        suppressed[b] = (float)pred[b].neutral_suppressed;
    }
    add(&w, "eval.video_logits", 2, B, C, 0, eval_logits);
    add(&w, "eval.snippet_logits", 3, B, K, C, eval_snip);
    add(&w, "eval.probs", 2, B, C, 0, eval_probs);
    add(&w, "eval.suppressed", 1, B, 0, 0, suppressed);

    /* Training steps on the same input. */
    float *initial = copy_of(m->values, m->params.total);
    nrdfer_optimizer_config opt = {.kind = NRDFER_SGD, .lr = lr, .momentum = momentum,
                                   .weight_decay = wd};
    float *train_logits = NULL, *train_snip = NULL, *grads = NULL, *running = NULL;
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        p = nd_model_forward(m, clips, B, 1);
        if (!p) {
            fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
            return 1;
        }
        float l = nd_model_backward(m, labels, 0.0f);
        if (s == 0) {
            loss = l;
            train_logits = copy_of((float *)(p->act + p->logits), (size_t)B * C);
            train_snip = copy_of((float *)(p->act + p->snip_logits), (size_t)B * K * C);
            grads = copy_of(m->grads, m->params.total);
            running = copy_of(m->values, m->params.total);
        }
        nd_model_optimizer_step(m, &opt, lr);
    }
    if (steps > 0) {
        add(&w, "train.video_logits", 2, B, C, 0, train_logits);
        add(&w, "train.snippet_logits", 3, B, K, C, train_snip);
        add(&w, "train.loss", 1, 1, 0, 0, &loss);
    }
    float *update = nd_malloc(sizeof(float) * m->params.total);
    for (size_t i = 0; i < m->params.total; i++)
        update[i] = m->values[i] - initial[i];
    char name[200];
    for (int i = 0; steps > 0 && i < m->params.count; i++) {
        const nd_tensor_info *t = &m->params.tensors[i];
        if (t->trainable) {
            snprintf(name, sizeof name, "grad.%s", t->name);
            nd_st_add_f32(&w, name, t->ndim, t->shape, grads + t->offset);
            snprintf(name, sizeof name, "update.%s", t->name);
            nd_st_add_f32(&w, name, t->ndim, t->shape, update + t->offset);
        } else {
            snprintf(name, sizeof name, "running.%s", t->name);
            nd_st_add_f32(&w, name, t->ndim, t->shape, running + t->offset);
        }
    }
    snprintf(path, sizeof path, "%s/actual.safetensors", dir);
    if (nd_st_write(&w, path)) {
        fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
        return 1;
    }
    nd_st_writer_free(&w);
    nd_st_close(&in);
    nrdfer_model_free(m);
    return 0;
}
