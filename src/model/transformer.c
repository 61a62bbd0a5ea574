/* Pre-norm transformer blocks (no final LayerNorm, dropout 0):
 *     x1 = x + proj(attention(qkv(LN1(x))))
 *     x2 = x1 + fc2(gelu(fc1(LN2(x1))))
 * over S sequences of L tokens of width dim; M = S * L rows. */
#include <string.h>

#include "engine/ops.h"
#include "model/net_internal.h"

void nd_tstack_plan(nd_plan *p, nd_tstack *st, int s, int l, int dim, int heads, int mlp,
                    int blocks) {
    size_t m = (size_t)s * l, f = sizeof(float);
    int inner = heads * p->config.head_dim;

    memset(st, 0, sizeof *st);
    st->s = s, st->l = l, st->dim = dim, st->heads = heads, st->mlp = mlp;
    st->blocks = blocks;
    st->in = nd_plan_take(p, f * m * dim);
    for (int i = 0; i < blocks; i++) {
        nd_tblock *b = &st->b[i];
        b->ln1 = nd_plan_take(p, f * m * dim);
        b->ln1_mean = nd_plan_take(p, f * m);
        b->ln1_rstd = nd_plan_take(p, f * m);
        b->qkv = nd_plan_take(p, f * m * 3 * inner);
        b->att = nd_plan_take(p, f * (size_t)s * heads * l * l);
        b->attn = nd_plan_take(p, f * m * inner);
        b->x1 = nd_plan_take(p, f * m * dim);
        b->ln2 = nd_plan_take(p, f * m * dim);
        b->ln2_mean = nd_plan_take(p, f * m);
        b->ln2_rstd = nd_plan_take(p, f * m);
        b->h1 = nd_plan_take(p, f * m * mlp);
        b->h1g = nd_plan_take(p, f * m * mlp);
        b->x2 = nd_plan_take(p, f * m * dim);
    }
}

float *nd_tstack_out(nd_plan *p, const nd_tstack *st) {
    return ACT(p, st->blocks ? st->b[st->blocks - 1].x2 : st->in);
}

float *nd_tstack_dout(nd_plan *p, const nd_tstack *st) {
    return GRAD(p, st->blocks ? st->b[st->blocks - 1].x2 : st->in);
}

void nd_tstack_forward(nd_plan *p, const nd_tstack *st, const nd_tblock_w *w,
                       const float *values, int head_dim) {
    int m = st->s * st->l, d = st->dim, inner = st->heads * head_dim, h = st->mlp;
    const float *x = ACT(p, st->in);

    for (int i = 0; i < st->blocks; i++) {
        const nd_tblock *b = &st->b[i];
        const nd_tblock_w *bw = &w[i];
        float *x1 = ACT(p, b->x1), *x2 = ACT(p, b->x2);

        /* Attention half. */
        nd_layernorm_forward(ACT(p, b->ln1), ACT(p, b->ln1_mean), ACT(p, b->ln1_rstd), x,
                             values + bw->ln1_w, values + bw->ln1_b, m, d);
        nd_linear_forward(ACT(p, b->qkv), ACT(p, b->ln1), values + bw->qkv, NULL, m, d,
                          3 * inner);
        nd_attention_forward(ACT(p, b->attn), ACT(p, b->att), ACT(p, b->qkv), st->s, st->l,
                             st->heads, head_dim);
        nd_linear_forward(x1, ACT(p, b->attn), values + bw->proj_w, values + bw->proj_b, m,
                          inner, d);
        nd_acc(x1, x, (size_t)m * d);

        /* MLP half. */
        nd_layernorm_forward(ACT(p, b->ln2), ACT(p, b->ln2_mean), ACT(p, b->ln2_rstd), x1,
                             values + bw->ln2_w, values + bw->ln2_b, m, d);
        nd_linear_forward(ACT(p, b->h1), ACT(p, b->ln2), values + bw->fc1_w,
                          values + bw->fc1_b, m, d, h);
        nd_gelu_forward(ACT(p, b->h1g), ACT(p, b->h1), (size_t)m * h);
        nd_linear_forward(x2, ACT(p, b->h1g), values + bw->fc2_w, values + bw->fc2_b, m, h, d);
        nd_acc(x2, x1, (size_t)m * d);
        x = x2;
    }
}

void nd_tstack_backward(nd_plan *p, const nd_tstack *st, const nd_tblock_w *w,
                        const float *values, float *grads, int head_dim) {
    int m = st->s * st->l, d = st->dim, inner = st->heads * head_dim, h = st->mlp;
    size_t md = (size_t)m * d;

    for (int i = st->blocks - 1; i >= 0; i--) {
        const nd_tblock *b = &st->b[i];
        const nd_tblock_w *bw = &w[i];
        const float *x = i ? ACT(p, st->b[i - 1].x2) : ACT(p, st->in);
        float *dx = i ? GRAD(p, st->b[i - 1].x2) : GRAD(p, st->in);
        float *dx1 = GRAD(p, b->x1), *dx2 = GRAD(p, b->x2);

        /* MLP half: the residual passes dx2 to dx1, the branch adds to it. */
        nd_linear_backward(GRAD(p, b->h1g), grads + bw->fc2_w, grads + bw->fc2_b, dx2,
                           ACT(p, b->h1g), values + bw->fc2_w, m, h, d, 0.0f);
        nd_gelu_backward(GRAD(p, b->h1), GRAD(p, b->h1g), ACT(p, b->h1), (size_t)m * h);
        nd_linear_backward(GRAD(p, b->ln2), grads + bw->fc1_w, grads + bw->fc1_b,
                           GRAD(p, b->h1), ACT(p, b->ln2), values + bw->fc1_w, m, d, h, 0.0f);
        memcpy(dx1, dx2, sizeof(float) * md);
        nd_layernorm_backward(dx1, grads + bw->ln2_w, grads + bw->ln2_b, GRAD(p, b->ln2),
                              ACT(p, b->x1), ACT(p, b->ln2_mean), ACT(p, b->ln2_rstd),
                              values + bw->ln2_w, m, d, 1.0f);

        /* Attention half. */
        nd_linear_backward(GRAD(p, b->attn), grads + bw->proj_w, grads + bw->proj_b, dx1,
                           ACT(p, b->attn), values + bw->proj_w, m, inner, d, 0.0f);
        nd_attention_backward(GRAD(p, b->qkv), GRAD(p, b->attn), ACT(p, b->qkv),
                              ACT(p, b->att), st->s, st->l, st->heads, head_dim);
        nd_linear_backward(GRAD(p, b->ln1), grads + bw->qkv, NULL, GRAD(p, b->qkv),
                           ACT(p, b->ln1), values + bw->qkv, m, d, 3 * inner, 0.0f);
        memcpy(dx, dx1, sizeof(float) * md);
        nd_layernorm_backward(dx, grads + bw->ln1_w, grads + bw->ln1_b, GRAD(p, b->ln1), x,
                              ACT(p, b->ln1_mean), ACT(p, b->ln1_rstd), values + bw->ln1_w, m,
                              d, 1.0f);
    }
}
