/* NR-DFERNet: tensor table, plan and the forward and backward call sequences.
 * The stages follow model.md: stem and layer1-3 of ResNet-18 per frame; DSF
 * (dynamic branch on frame differences, static branch with its transformer,
 * summed into Q = T - 1 tokens); DCT (class token = mean of the tokens)
 * with the temporal transformer and head; and the snippets of 3 tokens,
 * stride 2, through the same transformer and head for the snippet filter.
 * The single-frame baseline keeps the spatial stage and replaces the rest by
 * global average pooling, the mean over frames and the head. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops.h"
#include "model/net_internal.h"
#include "util/error.h"

/* ---- tensor table ---- */

static void add_conv_bn(nd_params *p, nd_conv_bn_w *w, const char *conv, const char *bn,
                        int in, int out, int k) {
    char name[96];
    int64_t cs[4] = {out, in, k, k}, vs[1] = {out};

    snprintf(name, sizeof name, "%s.weight", conv);
    w->conv = nd_params_add(p, name, 4, cs, ND_INIT_KAIMING_OUT, out * k * k, 1);
    snprintf(name, sizeof name, "%s.weight", bn);
    w->bn_w = nd_params_add(p, name, 1, vs, ND_INIT_ONES, 0, 1);
    snprintf(name, sizeof name, "%s.bias", bn);
    w->bn_b = nd_params_add(p, name, 1, vs, ND_INIT_ZEROS, 0, 1);
    snprintf(name, sizeof name, "%s.running_mean", bn);
    w->bn_mean = nd_params_add(p, name, 1, vs, ND_INIT_ZEROS, 0, 0);
    snprintf(name, sizeof name, "%s.running_var", bn);
    w->bn_var = nd_params_add(p, name, 1, vs, ND_INIT_ONES, 0, 0);
}

static void add_block(nd_params *p, nd_block_w *w, const char *prefix, int in, int out,
                      int stride) {
    char conv[96], bn[96];

    w->in = in, w->out = out, w->stride = stride;
    w->has_down = stride != 1 || in != out;
    snprintf(conv, sizeof conv, "%s.conv1", prefix);
    snprintf(bn, sizeof bn, "%s.bn1", prefix);
    add_conv_bn(p, &w->c1, conv, bn, in, out, 3);
    snprintf(conv, sizeof conv, "%s.conv2", prefix);
    snprintf(bn, sizeof bn, "%s.bn2", prefix);
    add_conv_bn(p, &w->c2, conv, bn, out, out, 3);
    if (w->has_down) {
        snprintf(conv, sizeof conv, "%s.down.conv", prefix);
        snprintf(bn, sizeof bn, "%s.down.bn", prefix);
        add_conv_bn(p, &w->down, conv, bn, in, out, 1);
    }
}

static size_t add_vector(nd_params *p, const char *prefix, const char *name, int n,
                         nd_init init, int fan) {
    char full[128];
    int64_t s[1] = {n};
    snprintf(full, sizeof full, "%s.%s", prefix, name);
    return nd_params_add(p, full, 1, s, init, fan, 1);
}

static size_t add_matrix(nd_params *p, const char *prefix, const char *name, int rows,
                         int cols, nd_init init) {
    char full[128];
    int64_t s[2] = {rows, cols};
    snprintf(full, sizeof full, "%s.%s", prefix, name);
    return nd_params_add(p, full, 2, s, init, cols, 1);
}

static void add_tblock(nd_params *p, nd_tblock_w *w, const char *prefix, int dim,
                       int inner, int hidden) {
    w->ln1_w = add_vector(p, prefix, "ln1.weight", dim, ND_INIT_ONES, 0);
    w->ln1_b = add_vector(p, prefix, "ln1.bias", dim, ND_INIT_ZEROS, 0);
    w->qkv =
        add_matrix(p, prefix, "attn.qkv.weight", 3 * inner, dim, ND_INIT_UNIFORM_FAN_IN);
    w->proj_w =
        add_matrix(p, prefix, "attn.proj.weight", dim, inner, ND_INIT_UNIFORM_FAN_IN);
    w->proj_b =
        add_vector(p, prefix, "attn.proj.bias", dim, ND_INIT_UNIFORM_FAN_IN, inner);
    w->ln2_w = add_vector(p, prefix, "ln2.weight", dim, ND_INIT_ONES, 0);
    w->ln2_b = add_vector(p, prefix, "ln2.bias", dim, ND_INIT_ZEROS, 0);
    w->fc1_w =
        add_matrix(p, prefix, "mlp.fc1.weight", hidden, dim, ND_INIT_UNIFORM_FAN_IN);
    w->fc1_b = add_vector(p, prefix, "mlp.fc1.bias", hidden, ND_INIT_UNIFORM_FAN_IN, dim);
    w->fc2_w =
        add_matrix(p, prefix, "mlp.fc2.weight", dim, hidden, ND_INIT_UNIFORM_FAN_IN);
    w->fc2_b = add_vector(p, prefix, "mlp.fc2.bias", dim, ND_INIT_UNIFORM_FAN_IN, hidden);
}

static int down2(int s) {
    return (s - 1) / 2 + 1;
}

void nd_net_dims(const nrdfer_config *c, nd_dims *d) {
    memset(d, 0, sizeof *d);
    d->T = c->frames;
    d->Q = c->frames - 1;
    d->K = (d->Q - 3) / 2 + 1;
    d->S = c->image_size;
    d->c0 = c->stem_channels;
    d->c1 = c->layer2_channels;
    d->c2 = c->layer3_channels;
    d->s_stem = down2(d->S);
    d->s_pool = down2(d->s_stem);
    d->s2 = down2(d->s_pool);
    d->s3 = down2(d->s2);
    d->g = down2(d->s3);
    d->D = d->c2 * d->g * d->g;
    d->head_in = c->single_frame ? d->c2 : d->D;
    d->classes = c->num_classes;
}

void nd_net_define(const nrdfer_config *c, nd_params *p, nd_weights *w) {
    nd_dims d;
    char prefix[64];
    int64_t shape[2];

    nd_net_dims(c, &d);
    memset(w, 0, sizeof *w);
    add_conv_bn(p, &w->stem1, "stem.conv1", "stem.bn1", 3, d.c0, 3);
    add_conv_bn(p, &w->stem2, "stem.conv2", "stem.bn2", d.c0, d.c0, 3);
    add_block(p, &w->layer1, "layer1", d.c0, d.c0, 1);
    add_block(p, &w->layer2, "layer2", d.c0, d.c1, 2);
    add_block(p, &w->layer3, "layer3", d.c1, d.c2, 2);
    if (c->single_frame) {
        w->head_w =
            add_matrix(p, "head", "weight", d.classes, d.c2, ND_INIT_UNIFORM_FAN_IN);
        w->head_b = add_vector(p, "head", "bias", d.classes, ND_INIT_UNIFORM_FAN_IN, d.c2);
        return;
    }
    if (c->dynamic_branch) {
        add_block(p, &w->dynamic[0], "dsf.dynamic.0", d.c2, d.c2, 2);
        add_block(p, &w->dynamic[1], "dsf.dynamic.1", d.c2, d.c2, 1);
        add_block(p, &w->dynamic[2], "dsf.dynamic.2", d.c2, d.c2, 1);
    }
    if (c->static_branch) {
        add_conv_bn(p, &w->static_conv, "dsf.static.conv", "dsf.static.bn", d.c2, d.c2,
                    3);
        shape[0] = d.g * d.g, shape[1] = d.c2;
        w->static_pos =
            nd_params_add(p, "dsf.static.pos_embed", 2, shape, ND_INIT_NORMAL, 0, 1);
        for (int i = 0; i < c->static_blocks; i++) {
            snprintf(prefix, sizeof prefix, "dsf.static.blocks.%d", i);
            add_tblock(p, &w->static_blocks[i], prefix, d.c2,
                       c->static_heads * c->head_dim, c->static_mlp);
        }
    }
    for (int i = 0; i < c->temporal_blocks; i++) {
        snprintf(prefix, sizeof prefix, "temporal.blocks.%d", i);
        add_tblock(p, &w->temporal_blocks[i], prefix, d.D,
                   c->temporal_heads * c->head_dim, c->temporal_mlp);
    }
    shape[0] = d.T, shape[1] = d.D;
    w->temporal_pos =
        nd_params_add(p, "temporal.pos_embed", 2, shape, ND_INIT_NORMAL, 0, 1);
    if (c->learned_cls_token) {
        shape[0] = d.D;
        w->cls_token =
            nd_params_add(p, "temporal.cls_token", 1, shape, ND_INIT_NORMAL, 0, 1);
    }
    w->head_w = add_matrix(p, "head", "weight", d.classes, d.D, ND_INIT_UNIFORM_FAN_IN);
    w->head_b = add_vector(p, "head", "bias", d.classes, ND_INIT_UNIFORM_FAN_IN, d.D);
}

static double conv_flops(int n, int in, int out, int s_out, int k) {
    return 2.0 * n * out * s_out * s_out * (double)in * k * k;
}

static double block_flops(int n, int in, int out, int s_out, int has_down) {
    return conv_flops(n, in, out, s_out, 3) + conv_flops(n, out, out, s_out, 3) +
           (has_down ? conv_flops(n, in, out, s_out, 1) : 0);
}

static double tstack_flops(int tokens, int l, int dim, int inner, int mlp, int blocks) {
    double per_token =
        2.0 * dim * 3 * inner + 2.0 * inner * dim + 4.0 * dim * mlp + 4.0 * l * inner;
    return per_token * tokens * blocks;
}

double nd_net_flops_per_clip(const nrdfer_config *c) {
    nd_dims d;
    nd_net_dims(c, &d);
    int inner_s = c->static_heads * c->head_dim,
        inner_t = c->temporal_heads * c->head_dim;
    double f =
        conv_flops(d.T, 3, d.c0, d.s_stem, 3) + conv_flops(d.T, d.c0, d.c0, d.s_stem, 3);
    f += block_flops(d.T, d.c0, d.c0, d.s_pool, 0) +
         block_flops(d.T, d.c0, d.c1, d.s2, 1) + block_flops(d.T, d.c1, d.c2, d.s3, 1);
    if (c->single_frame)
        return f + 2.0 * d.c2 * d.classes * (1 + d.K);
    if (c->dynamic_branch)
        f += block_flops(d.Q, d.c2, d.c2, d.g, 1) +
             2 * block_flops(d.Q, d.c2, d.c2, d.g, 0);
    if (c->static_branch)
        f += conv_flops(d.Q, d.c2, d.c2, d.g, 3) +
             tstack_flops(d.Q * d.g * d.g, d.g * d.g, d.c2, inner_s, c->static_mlp,
                          c->static_blocks);
    f += tstack_flops(d.T, d.T, d.D, inner_t, c->temporal_mlp, c->temporal_blocks);
    f += tstack_flops(4 * d.K, 4, d.D, inner_t, c->temporal_mlp, c->temporal_blocks);
    f += 2.0 * d.D * d.classes * (1 + d.K);
    return f;
}

/* ---- plan ---- */

nd_buf nd_plan_take(nd_plan *p, size_t bytes) {
    nd_buf at = p->arena_bytes;
    p->arena_bytes += (bytes + 63) / 64 * 64;
    return at;
}

static void *alloc_arena(size_t bytes) {
    void *ptr = NULL;
    if (posix_memalign(&ptr, 64, bytes ? bytes : 64))
        return nd_malloc(bytes);
    memset(ptr, 0, bytes);
    return ptr;
}

static int plan_build(nd_plan *p) {
    const nrdfer_config *c = &p->config;
    const nd_dims *d = &p->d;
    int B = p->batch, N = B * d->T, NS = B * d->Q, gg = d->g * d->g;
    size_t f = sizeof(float);

    p->input = nd_plan_take(p, f * N * 3 * d->S * d->S);
    if (nd_unit_plan(p, &p->stem1, N, 3, d->c0, d->S, 3, 2, 1, 1) ||
        nd_unit_plan(p, &p->stem2, N, d->c0, d->c0, d->s_stem, 3, 1, 1, 0) ||
        nd_pool_init(&p->pool, N, d->c0, d->s_stem, d->s_stem, p->with_backward))
        return -1;
    p->pool_out = nd_plan_take(p, nd_dnnl_md_size(&p->pool.dst_md));
    p->pool_ws = nd_plan_take(p, nd_pool_ws_size(&p->pool));
    if (nd_block_plan(p, &p->layer1, N, d->c0, d->c0, d->s_pool, 1, 0) ||
        nd_block_plan(p, &p->layer2, N, d->c0, d->c1, d->s_pool, 2, 1) ||
        nd_block_plan(p, &p->layer3, N, d->c1, d->c2, d->s2, 2, 1))
        return -1;
    size_t frame_bytes = nd_dnnl_md_size(&p->layer3.u2.conv.dst_md) / N;

    if (c->single_frame) {
        dnnl_memory_desc_t plain = nd_dnnl_act_md(N, d->c2, d->s3, d->s3, 1);
        const dnnl_memory_desc_t *blocked = &p->layer3.u2.conv.dst_md;
        if (nd_reorder_init(&p->f3_to_plain, blocked, &plain) ||
            nd_reorder_init(&p->plain_to_f3, &plain, blocked))
            return -1;
        p->f3_plain = nd_plan_take(p, f * N * d->c2 * d->s3 * d->s3);
        p->frame_feat = nd_plan_take(p, f * N * d->c2);
        p->cls_out = nd_plan_take(p, f * B * d->c2);
        p->logits = nd_plan_take(p, f * B * d->classes);
        p->snip_cls = nd_plan_take(p, f * B * d->K * d->c2);
        p->snip_logits = nd_plan_take(p, f * B * d->K * d->classes);
        p->act = alloc_arena(p->arena_bytes);
        if (p->with_backward)
            p->grad = alloc_arena(p->arena_bytes);
        return 0;
    }
    if (c->dynamic_branch) {
        p->diff = nd_plan_take(p, frame_bytes * NS);
        if (nd_block_plan(p, &p->dynamic[0], NS, d->c2, d->c2, d->s3, 2, 1) ||
            nd_block_plan(p, &p->dynamic[1], NS, d->c2, d->c2, d->g, 1, 0) ||
            nd_block_plan(p, &p->dynamic[2], NS, d->c2, d->c2, d->g, 1, 0))
            return -1;
        dnnl_memory_desc_t plain = nd_dnnl_act_md(NS, d->c2, d->g, d->g, 1);
        const dnnl_memory_desc_t *blocked = &p->dynamic[2].u2.conv.dst_md;
        if (nd_reorder_init(&p->dyn_to_plain, blocked, &plain) ||
            nd_reorder_init(&p->plain_to_dyn, &plain, blocked))
            return -1;
        p->dyn_plain = nd_plan_take(p, f * NS * d->D);
    }
    if (c->static_branch) {
        p->static_in = nd_plan_take(p, frame_bytes * NS);
        if (nd_unit_plan(p, &p->static_unit, NS, d->c2, d->c2, d->s3, 3, 2, 1, 0))
            return -1;
        dnnl_memory_desc_t tokens;
        dnnl_dims_t dims = {NS, d->c2, d->g, d->g};
        if (dnnl_memory_desc_init_by_tag(&tokens, 4, dims, dnnl_f32, dnnl_nhwc) !=
            dnnl_success)
            return nd_fail("cannot describe the static token layout");
        const dnnl_memory_desc_t *blocked = &p->static_unit.conv.dst_md;
        if (nd_reorder_init(&p->static_to_tokens, blocked, &tokens) ||
            nd_reorder_init(&p->tokens_to_static, &tokens, blocked))
            return -1;
        p->static_tokens = nd_plan_take(p, f * NS * gg * d->c2);
        nd_tstack_plan(p, &p->static_stack, NS, gg, d->c2, c->static_heads, c->static_mlp,
                       c->static_blocks);
    }

    p->x = nd_plan_take(p, f * NS * d->D);
    nd_tstack_plan(p, &p->temporal, B, d->T, d->D, c->temporal_heads, c->temporal_mlp,
                   c->temporal_blocks);
    p->cls_out = nd_plan_take(p, f * B * d->D);
    p->logits = nd_plan_take(p, f * B * d->classes);
    nd_tstack_plan(p, &p->snippets, B * d->K, 4, d->D, c->temporal_heads, c->temporal_mlp,
                   c->temporal_blocks);
    p->snip_cls = nd_plan_take(p, f * B * d->K * d->D);
    p->snip_logits = nd_plan_take(p, f * B * d->K * d->classes);

    p->act = alloc_arena(p->arena_bytes);
    if (p->with_backward)
        p->grad = alloc_arena(p->arena_bytes);
    return 0;
}

nd_plan *nd_plan_create(const nrdfer_config *config, int batch, int with_backward) {
    nd_plan *p = nd_calloc(1, sizeof *p);
    p->batch = batch;
    p->with_backward = with_backward;
    p->config = *config;
    p->weights_version = -1;
    nd_net_dims(config, &p->d);
    if (plan_build(p)) {
        nd_plan_free(p);
        return NULL;
    }
    return p;
}

void nd_plan_free(nd_plan *p) {
    if (!p)
        return;
    nd_unit_free(&p->stem1);
    nd_unit_free(&p->stem2);
    nd_pool_free(&p->pool);
    nd_block_free(&p->layer1);
    nd_block_free(&p->layer2);
    nd_block_free(&p->layer3);
    if (p->config.dynamic_branch)
        for (int i = 0; i < 3; i++)
            nd_block_free(&p->dynamic[i]);
    nd_reorder_free(&p->f3_to_plain);
    nd_reorder_free(&p->plain_to_f3);
    nd_reorder_free(&p->dyn_to_plain);
    nd_reorder_free(&p->plain_to_dyn);
    nd_unit_free(&p->static_unit);
    nd_reorder_free(&p->static_to_tokens);
    nd_reorder_free(&p->tokens_to_static);
    free(p->act);
    free(p->grad);
    free(p);
}

/* ---- forward ---- */

/* Builds the L = n + 1 token sequence [class token; tokens] + pos[0:L]. The
 * class token is the mean of the n tokens (DCT) or the learned token. */
static void build_sequence(float *seq, const float *tokens, int n, int dim,
                           const float *pos, const float *learned_cls) {
    for (int j = 0; j < dim; j++) {
        float s = 0;
        if (learned_cls) {
            s = learned_cls[j];
        } else {
            for (int t = 0; t < n; t++)
                s += tokens[(size_t)t * dim + j];
            s /= n;
        }
        seq[j] = s + pos[j];
    }
    for (int t = 0; t < n; t++)
        nd_add(seq + (size_t)(t + 1) * dim, tokens + (size_t)t * dim,
               pos + (size_t)(t + 1) * dim, dim);
}

static void spatial_forward(nd_plan *p, const nd_weights *w, float *values, int training,
                            int set_w) {
    nd_unit_forward(p, &p->stem1, &w->stem1, values, ACT(p, p->input), training, set_w);
    nd_unit_forward(p, &p->stem2, &w->stem2, values, ACT(p, p->stem1.bn_out), training,
                    set_w);
    nd_pool_forward(&p->pool, ACT(p, p->stem2.bn_out), ACT(p, p->pool_out),
                    p->act + p->pool_ws);
    nd_block_forward(p, &p->layer1, &w->layer1, values, ACT(p, p->pool_out), training,
                     set_w);
    nd_block_forward(p, &p->layer2, &w->layer2, values, ACT(p, p->layer1.out), training,
                     set_w);
    nd_block_forward(p, &p->layer3, &w->layer3, values, ACT(p, p->layer2.out), training,
                     set_w);
}

/* Dynamic-static fusion: X[n, c*g*g + cell] = dynamic[n][c][cell] + static[n][cell][c].
 */
static void dsf_forward(nd_plan *p, const nd_weights *w, float *values, int training,
                        int set_w) {
    const nd_dims *d = &p->d;
    int B = p->batch, NS = B * d->Q, gg = d->g * d->g, c2 = d->c2;
    size_t frame =
        nd_dnnl_md_size(&p->layer3.u2.conv.dst_md) / sizeof(float) / (B * d->T);
    const float *F = ACT(p, p->layer3.out);
    float *x = ACT(p, p->x);

    if (p->config.dynamic_branch) {
        float *diff = ACT(p, p->diff);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < d->Q; t++)
                nd_sub(diff + (size_t)(b * d->Q + t) * frame,
                       F + (size_t)(b * d->T + t + 1) * frame,
                       F + (size_t)(b * d->T + t) * frame, frame);
        nd_block_forward(p, &p->dynamic[0], &w->dynamic[0], values, diff, training,
                         set_w);
        nd_block_forward(p, &p->dynamic[1], &w->dynamic[1], values,
                         ACT(p, p->dynamic[0].out), training, set_w);
        nd_block_forward(p, &p->dynamic[2], &w->dynamic[2], values,
                         ACT(p, p->dynamic[1].out), training, set_w);
        nd_reorder_run(&p->dyn_to_plain, ACT(p, p->dynamic[2].out), x);
    } else {
        nd_zero(x, (size_t)NS * d->D);
    }

    if (p->config.static_branch) {
        float *in = ACT(p, p->static_in);
        for (int b = 0; b < B; b++)
            memcpy(in + (size_t)b * d->Q * frame, F + (size_t)b * d->T * frame,
                   sizeof(float) * d->Q * frame);
        nd_unit_forward(p, &p->static_unit, &w->static_conv, values, in, training, set_w);
        nd_reorder_run(&p->static_to_tokens, ACT(p, p->static_unit.bn_out),
                       ACT(p, p->static_tokens));

        /* Tokens plus the position embedding, the blocks, then the sum. */
        float *seq = ACT(p, p->static_stack.in);
        const float *tok = ACT(p, p->static_tokens), *pos = values + w->static_pos;
        for (int n = 0; n < NS; n++)
            nd_add(seq + (size_t)n * gg * c2, tok + (size_t)n * gg * c2, pos,
                   (size_t)gg * c2);
        nd_tstack_forward(p, &p->static_stack, w->static_blocks, values,
                          p->config.head_dim);
        const float *out = nd_tstack_out(p, &p->static_stack);
#pragma omp parallel for schedule(static)
        for (int n = 0; n < NS; n++)
            for (int cell = 0; cell < gg; cell++)
                for (int c = 0; c < c2; c++)
                    x[(size_t)n * d->D + (size_t)c * gg + cell] +=
                        out[((size_t)n * gg + cell) * c2 + c];
    }
}

static void temporal_forward(nd_plan *p, const nd_weights *w, const float *values) {
    const nd_dims *d = &p->d;
    int B = p->batch, D = d->D, T = d->T, Q = d->Q, K = d->K;
    const float *x = ACT(p, p->x), *pos = values + w->temporal_pos;
    const float *cls = p->config.learned_cls_token ? values + w->cls_token : NULL;

    /* The clip: [DCT; X] + P, the blocks, the head on the class token. */
    float *z = ACT(p, p->temporal.in);
    for (int b = 0; b < B; b++)
        build_sequence(z + (size_t)b * T * D, x + (size_t)b * Q * D, Q, D, pos, cls);
    nd_tstack_forward(p, &p->temporal, w->temporal_blocks, values, p->config.head_dim);
    const float *zo = nd_tstack_out(p, &p->temporal);
    float *cls_out = ACT(p, p->cls_out);
    for (int b = 0; b < B; b++)
        memcpy(cls_out + (size_t)b * D, zo + (size_t)b * T * D, sizeof(float) * D);
    nd_linear_forward(ACT(p, p->logits), cls_out, values + w->head_w, values + w->head_b,
                      B, D, d->classes);

    /* The snippets: tokens [2k, 2k+2], each with its own class token. */
    float *zs = ACT(p, p->snippets.in);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            build_sequence(zs + (size_t)(b * K + k) * 4 * D,
                           x + ((size_t)b * Q + 2 * k) * D, 3, D, pos, cls);
    nd_tstack_forward(p, &p->snippets, w->temporal_blocks, values, p->config.head_dim);
    const float *so = nd_tstack_out(p, &p->snippets);
    float *snip_cls = ACT(p, p->snip_cls);
    for (int i = 0; i < B * K; i++)
        memcpy(snip_cls + (size_t)i * D, so + (size_t)i * 4 * D, sizeof(float) * D);
    nd_linear_forward(ACT(p, p->snip_logits), snip_cls, values + w->head_w,
                      values + w->head_b, B * K, D, d->classes);
}

/* Single-frame baseline: per-frame global average pooling, the mean over the
 * clip's T frames (or over snippet k's frames 2k..2k+3), then the head. */
static void single_frame_forward(nd_plan *p, const nd_weights *w, const float *values) {
    const nd_dims *d = &p->d;
    int B = p->batch, T = d->T, K = d->K, C = d->c2, cells = d->s3 * d->s3;
    float *fp = ACT(p, p->f3_plain), *feat = ACT(p, p->frame_feat);
    float *cls = ACT(p, p->cls_out), *snip = ACT(p, p->snip_cls);

    nd_reorder_run(&p->f3_to_plain, ACT(p, p->layer3.out), fp);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < B * T * C; i++) {
        float s = 0;
        for (int j = 0; j < cells; j++)
            s += fp[(size_t)i * cells + j];
        feat[i] = s / cells;
    }
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            float s = 0;
            for (int t = 0; t < T; t++)
                s += feat[((size_t)b * T + t) * C + c];
            cls[(size_t)b * C + c] = s / T;
        }
        for (int k = 0; k < K; k++)
            for (int c = 0; c < C; c++) {
                float s = 0;
                for (int t = 2 * k; t < 2 * k + 4; t++)
                    s += feat[((size_t)b * T + t) * C + c];
                snip[((size_t)b * K + k) * C + c] = s / 4;
            }
    }
    nd_linear_forward(ACT(p, p->logits), cls, values + w->head_w, values + w->head_b, B, C,
                      d->classes);
    nd_linear_forward(ACT(p, p->snip_logits), snip, values + w->head_w, values + w->head_b,
                      B * K, C, d->classes);
}

void nd_plan_forward(nd_plan *p, const nd_weights *w, float *values, const float *clips,
                     int training, long weights_version) {
    const nd_dims *d = &p->d;
    ND_ASSERT(!training || p->with_backward);
    int set_w = weights_version != p->weights_version;
    p->weights_version = weights_version;

    memcpy(ACT(p, p->input), clips, sizeof(float) * p->batch * d->T * 3 * d->S * d->S);
    spatial_forward(p, w, values, training, set_w);
    if (p->config.single_frame) {
        single_frame_forward(p, w, values);
        return;
    }
    dsf_forward(p, w, values, training, set_w);
    temporal_forward(p, w, values);
}

/* ---- backward ---- */

/* Backward of temporal_forward's clip path (snippets get no gradient): head,
 * transformer, then the position embedding, class token and tokens X. */
static void temporal_backward(nd_plan *p, const nd_weights *w, const float *values,
                              float *grads, const float *dlogits) {
    const nd_dims *d = &p->d;
    int B = p->batch, D = d->D, T = d->T, Q = d->Q;

    /* Head, then the class-token rows of the transformer output. */
    float *dcls = GRAD(p, p->cls_out);
    nd_linear_backward(dcls, grads + w->head_w, grads + w->head_b, dlogits,
                       ACT(p, p->cls_out), values + w->head_w, B, D, d->classes, 0.0f);
    float *dzo = nd_tstack_dout(p, &p->temporal);
    nd_zero(dzo, (size_t)B * T * D);
    for (int b = 0; b < B; b++)
        memcpy(dzo + (size_t)b * T * D, dcls + (size_t)b * D, sizeof(float) * D);
    nd_tstack_backward(p, &p->temporal, w->temporal_blocks, values, grads,
                       p->config.head_dim);

    /* Position embedding, class token and the tokens X. */
    const float *dz = GRAD(p, p->temporal.in);
    float *dpos = grads + w->temporal_pos, *dx = GRAD(p, p->x);
    int learned = p->config.learned_cls_token;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < D; j++) {
        for (int t = 0; t < T; t++) {
            float s = 0;
            for (int b = 0; b < B; b++)
                s += dz[((size_t)b * T + t) * D + j];
            dpos[(size_t)t * D + j] = s;
        }
        if (learned)
            grads[w->cls_token + j] = dpos[j];
        for (int b = 0; b < B; b++) {
            float from_cls = learned ? 0.0f : dz[(size_t)b * T * D + j] / Q;
            for (int t = 0; t < Q; t++)
                dx[((size_t)b * Q + t) * D + j] =
                    dz[((size_t)b * T + t + 1) * D + j] + from_cls;
        }
    }
}

static void dsf_backward(nd_plan *p, const nd_weights *w, const float *values,
                         float *grads) {
    const nd_dims *d = &p->d;
    int B = p->batch, NS = B * d->Q, gg = d->g * d->g, c2 = d->c2;
    size_t frame =
        nd_dnnl_md_size(&p->layer3.u2.conv.dst_md) / sizeof(float) / (B * d->T);
    const float *dx = GRAD(p, p->x);
    float *dF = GRAD(p, p->layer3.out);

    nd_zero(dF, frame * B * d->T);
    if (p->config.static_branch) {
        /* Transpose back to tokens, through the blocks and the embedding. */
        float *dout = nd_tstack_dout(p, &p->static_stack);
#pragma omp parallel for schedule(static)
        for (int n = 0; n < NS; n++)
            for (int cell = 0; cell < gg; cell++)
                for (int c = 0; c < c2; c++)
                    dout[((size_t)n * gg + cell) * c2 + c] =
                        dx[(size_t)n * d->D + (size_t)c * gg + cell];
        nd_tstack_backward(p, &p->static_stack, w->static_blocks, values, grads,
                           p->config.head_dim);
        const float *dseq = GRAD(p, p->static_stack.in);
        float *dpos = grads + w->static_pos;
#pragma omp parallel for schedule(static)
        for (int j = 0; j < gg * c2; j++) {
            float s = 0;
            for (int n = 0; n < NS; n++)
                s += dseq[(size_t)n * gg * c2 + j];
            dpos[j] = s;
        }
        nd_reorder_run(&p->tokens_to_static, dseq, GRAD(p, p->static_unit.bn_out));
        float *din = GRAD(p, p->static_in);
        nd_unit_backward(p, &p->static_unit, &w->static_conv, values, grads,
                         ACT(p, p->static_in), GRAD(p, p->static_unit.bn_out), din);
        for (int b = 0; b < B; b++)
            nd_acc(dF + (size_t)b * d->T * frame, din + (size_t)b * d->Q * frame,
                   d->Q * frame);
    }

    if (p->config.dynamic_branch) {
        nd_reorder_run(&p->plain_to_dyn, dx, GRAD(p, p->dynamic[2].out));
        nd_block_backward(p, &p->dynamic[2], &w->dynamic[2], values, grads,
                          ACT(p, p->dynamic[1].out), GRAD(p, p->dynamic[1].out));
        nd_block_backward(p, &p->dynamic[1], &w->dynamic[1], values, grads,
                          ACT(p, p->dynamic[0].out), GRAD(p, p->dynamic[0].out));
        nd_block_backward(p, &p->dynamic[0], &w->dynamic[0], values, grads,
                          ACT(p, p->diff), GRAD(p, p->diff));
        const float *ddiff = GRAD(p, p->diff);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < d->Q; t++) {
                const float *g = ddiff + (size_t)(b * d->Q + t) * frame;
                float *next = dF + (size_t)(b * d->T + t + 1) * frame;
                float *cur = dF + (size_t)(b * d->T + t) * frame;
                nd_acc(next, g, frame);
                nd_sub(cur, cur, g, frame);
            }
    }
}

/* Runs the backward of single_frame_forward's clip path (head, mean,
 * pooling) and writes the gradient of the layer3 output. */
static void single_frame_backward(nd_plan *p, const nd_weights *w, const float *values,
                                  float *grads, const float *dlogits) {
    const nd_dims *d = &p->d;
    int B = p->batch, T = d->T, C = d->c2, cells = d->s3 * d->s3;
    float *dcls = GRAD(p, p->cls_out), *dfp = GRAD(p, p->f3_plain);

    nd_linear_backward(dcls, grads + w->head_w, grads + w->head_b, dlogits,
                       ACT(p, p->cls_out), values + w->head_w, B, C, d->classes, 0.0f);
    float scale = 1.0f / ((float)T * (float)cells);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < B * T * C; i++) {
        int b = i / (T * C), c = i % C;
        float g = dcls[(size_t)b * C + c] * scale;
        for (int j = 0; j < cells; j++)
            dfp[(size_t)i * cells + j] = g;
    }
    nd_reorder_run(&p->plain_to_f3, dfp, GRAD(p, p->layer3.out));
}

void nd_plan_backward(nd_plan *p, const nd_weights *w, const float *values, float *grads,
                      const float *dlogits) {
    ND_ASSERT(p->with_backward);
    if (p->config.single_frame) {
        single_frame_backward(p, w, values, grads, dlogits);
    } else {
        temporal_backward(p, w, values, grads, dlogits);
        dsf_backward(p, w, values, grads);
    }

    nd_block_backward(p, &p->layer3, &w->layer3, values, grads, ACT(p, p->layer2.out),
                      GRAD(p, p->layer2.out));
    nd_block_backward(p, &p->layer2, &w->layer2, values, grads, ACT(p, p->layer1.out),
                      GRAD(p, p->layer1.out));
    nd_block_backward(p, &p->layer1, &w->layer1, values, grads, ACT(p, p->pool_out),
                      GRAD(p, p->pool_out));
    nd_pool_backward(&p->pool, GRAD(p, p->pool_out), p->act + p->pool_ws,
                     GRAD(p, p->stem2.bn_out));
    nd_unit_backward(p, &p->stem2, &w->stem2, values, grads, ACT(p, p->stem1.bn_out),
                     GRAD(p, p->stem2.bn_out), GRAD(p, p->stem1.bn_out));
    nd_unit_backward(p, &p->stem1, &w->stem1, values, grads, ACT(p, p->input),
                     GRAD(p, p->stem1.bn_out), NULL);
}
