/* Runs the C model on a case written by tests/torch_oracle.py and writes
 * what it computed under the same tensor names, for tests/parity_compare.py.
 *
 * usage: nrdfer_parity DIR [--steps N] [--lr X] [--momentum X] [--weight-decay X]
 *                      [--masks]
 * reads DIR/model.safetensors and DIR/input.safetensors, writes
 * DIR/actual.safetensors. With --masks it also writes DIR/masks.safetensors:
 * for each training step k (1..N) and ReLU site, "mask.<k>.<site>" is
 * 1 where the C model's ReLU output is > 0 and 0 elsewhere, F32 in NCHW
 * order, so that tests/torch_oracle.py --masks can put its ReLUs on the
 * same side. Sites are named after the oracle's ReLU modules. The file also
 * has "argmax.<k>.stem.pool", the input each max pool output took. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"
#include "model/net_internal.h"
#include "model/safetensors.h"
#include "util/error.h"

static float *copy_of(const float *src, size_t n) {
    float *p = nd_malloc(n * sizeof(float));
    memcpy(p, src, n * sizeof(float));
    return p;
}

static void add(nd_st_writer *w, const char *name, int ndim, int64_t d0, int64_t d1,
                int64_t d2, const float *data) {
    int64_t shape[3] = {d0, d1, d2};
    nd_st_add_f32(w, name, ndim, shape, data);
}


/* Mask buffers stay allocated until the writer has written them. */
typedef struct mask_set {
    nd_st_writer w;
    float **bufs;
    int count, capacity;
} mask_set;

static void keep_buffer(mask_set *ms, float *buf) {
    if (ms->count == ms->capacity) {
        ms->capacity = ms->capacity ? 2 * ms->capacity : 32;
        ms->bufs = realloc(ms->bufs, sizeof(float *) * ms->capacity);
        if (!ms->bufs)
            abort();
    }
    ms->bufs[ms->count++] = buf;
}

/* Adds "mask.<step>.<site>": 1 where src (n x c x h x w in the layout md)
 * is > 0, else 0, in NCHW order. */
static int add_mask(mask_set *ms, int step, const char *site, const dnnl_memory_desc_t *md,
                    int n, int c, int h, int w, const float *src) {
    size_t count = (size_t)n * c * h * w;
    float *plain = nd_malloc(count * sizeof(float));
    dnnl_memory_desc_t plain_md = nd_dnnl_act_md(n, c, h, w, 1);
    nd_reorder r;
    if (nd_reorder_init(&r, md, &plain_md))
        return -1;
    nd_reorder_run(&r, src, plain);
    nd_reorder_free(&r);
    for (size_t i = 0; i < count; i++)
        plain[i] = plain[i] > 0 ? 1.0f : 0.0f;

    keep_buffer(ms, plain);
    char name[200];
    int64_t shape[4] = {n, c, h, w};
    snprintf(name, sizeof name, "mask.%d.%s", step, site);
    nd_st_add_f32(&ms->w, name, 4, shape, plain);
    return 0;
}

/* Conv + BN + ReLU unit: its output bn_out is already past the ReLU. */
static int add_unit_mask(mask_set *ms, int step, const char *site, nd_plan *p,
                         const nd_unit *u) {
    const nd_conv *c = &u->conv;
    return add_mask(ms, step, site, &c->dst_md, c->n, c->oc, c->oh, c->ow, ACT(p, u->bn_out));
}

/* BasicBlock: the ReLU after bn1 (<prefix>.relu1) and the output ReLU
 * (<prefix>.relu2). */
static int add_block_masks(mask_set *ms, int step, const char *prefix, nd_plan *p,
                           const nd_block *b) {
    char site[100];
    const nd_conv *c = &b->u2.conv;
    snprintf(site, sizeof site, "%s.relu1", prefix);
    if (add_unit_mask(ms, step, site, p, &b->u1))
        return -1;
    snprintf(site, sizeof site, "%s.relu2", prefix);
    return add_mask(ms, step, site, &c->dst_md, c->n, c->oc, c->oh, c->ow, ACT(p, b->out));
}

/* Adds "argmax.<step>.stem.pool": for each output of the stem's max pool, the
 * offset kh * 3 + kw of the input it took inside its 3 x 3 window (padding
 * counted), F32 in NCHW order. oneDNN keeps these offsets in the pooling
 * workspace, in the layout of the output and as u8 (or s32). */
static int add_pool_argmax(mask_set *ms, int step, nd_plan *p) {
    const nd_pool *pool = &p->pool;
    size_t count = (size_t)pool->n * pool->c * pool->oh * pool->ow;
    dnnl_data_type_t type = pool->ws_md.data_type;
    if (type != dnnl_u8 && type != dnnl_s32)
        return nd_fail("max pool workspace has data type %d, expected u8 or s32", (int)type);

    dnnl_memory_desc_t plain_md;
    dnnl_dims_t dims = {pool->n, pool->c, pool->oh, pool->ow};
    if (dnnl_memory_desc_init_by_tag(&plain_md, 4, dims, type, dnnl_nchw) != dnnl_success)
        return nd_fail("cannot describe the plain max pool workspace");
    void *plain = nd_malloc(count * (type == dnnl_u8 ? 1 : 4));
    nd_reorder r;
    if (nd_reorder_init(&r, &pool->ws_md, &plain_md))
        return -1;
    nd_reorder_run(&r, (const float *)(p->act + p->pool_ws), plain);
    nd_reorder_free(&r);

    float *offsets = nd_malloc(count * sizeof(float));
    for (size_t i = 0; i < count; i++)
        offsets[i] = type == dnnl_u8 ? (float)((unsigned char *)plain)[i]
                                     : (float)((int32_t *)plain)[i];
    free(plain);
    keep_buffer(ms, offsets);
    char name[200];
    int64_t shape[4] = {pool->n, pool->c, pool->oh, pool->ow};
    snprintf(name, sizeof name, "argmax.%d.stem.pool", step);
    nd_st_add_f32(&ms->w, name, 4, shape, offsets);
    return 0;
}

/* Adds the masks of every ReLU and the max pool's choices of the last
 * training forward of p. */
static int add_step_masks(mask_set *ms, int step, nd_plan *p) {
    char prefix[64];
    if (add_unit_mask(ms, step, "stem.relu1", p, &p->stem1) ||
        add_unit_mask(ms, step, "stem.relu2", p, &p->stem2) ||
        add_pool_argmax(ms, step, p) ||
        add_block_masks(ms, step, "layer1", p, &p->layer1) ||
        add_block_masks(ms, step, "layer2", p, &p->layer2) ||
        add_block_masks(ms, step, "layer3", p, &p->layer3))
        return -1;
    for (int i = 0; p->config.dynamic_branch && i < 3; i++) {
        snprintf(prefix, sizeof prefix, "dsf.dynamic.%d", i);
        if (add_block_masks(ms, step, prefix, p, &p->dynamic[i]))
            return -1;
    }
    if (p->config.static_branch && add_unit_mask(ms, step, "dsf.static.relu", p,
                                                 &p->static_unit))
        return -1;
    return 0;
}

int main(int argc, char **argv) {
    int steps = 3, masks = 0;
    float lr = 1e-3f, momentum = 0.9f, wd = 0.1f;
    if (argc < 2) {
        fprintf(stderr, "usage: nrdfer_parity DIR [--steps N] [--lr X] [--momentum X] "
                        "[--weight-decay X] [--masks]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        int has_value = i + 1 < argc;
        if (!strcmp(argv[i], "--masks"))
            masks = 1;
        else if (has_value && !strcmp(argv[i], "--steps"))
            steps = atoi(argv[++i]);
        else if (has_value && !strcmp(argv[i], "--lr"))
            lr = strtof(argv[++i], NULL);
        else if (has_value && !strcmp(argv[i], "--momentum"))
            momentum = strtof(argv[++i], NULL);
        else if (has_value && !strcmp(argv[i], "--weight-decay"))
            wd = strtof(argv[++i], NULL);
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
    nrdfer_optimizer_config opt = {
        .kind = NRDFER_SGD, .lr = lr, .momentum = momentum, .weight_decay = wd};
    float *train_logits = NULL, *train_snip = NULL, *grads = NULL, *running = NULL;
    float loss = 0;
    mask_set ms = {0};
    nd_st_writer_init(&ms.w);
    for (int s = 0; s < steps; s++) {
        p = nd_model_forward(m, clips, B, 1);
        if (!p || (masks && add_step_masks(&ms, s + 1, p))) {
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
    snprintf(path, sizeof path, "%s/masks.safetensors", dir);
    if (masks && nd_st_write(&ms.w, path)) {
        fprintf(stderr, "nrdfer_parity: %s\n", nrdfer_last_error());
        return 1;
    }
    nd_st_writer_free(&ms.w);
    for (int i = 0; i < ms.count; i++)
        free(ms.bufs[i]);
    free(ms.bufs);
    nd_st_close(&in);
    nrdfer_model_free(m);
    return 0;
}
