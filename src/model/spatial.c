/* Spatial stage units: conv + BN (+ ReLU) and the ResNet BasicBlock, on
 * activations in the backend's blocked layout. */
#include <string.h>

#include "engine/ops.h"
#include "model/net_internal.h"

#define BN_MOMENTUM 0.1f

int nd_unit_plan(nd_plan *p, nd_unit *u, int n, int ic, int oc, int ih, int k, int stride,
                 int relu, int plain_src) {
    int pad = k / 2;
    memset(u, 0, sizeof *u);
    if (nd_conv_init(&u->conv, n, ic, oc, ih, ih, k, stride, pad, plain_src, p->with_backward))
        return -1;
    nd_bn_init(&u->bn, n, oc, u->conv.oh * u->conv.ow, nd_dnnl_act_block(oc), relu);
    size_t bytes = nd_dnnl_md_size(&u->conv.dst_md);
    u->conv_out = nd_plan_take(p, bytes);
    u->bn_out = nd_plan_take(p, bytes);
    u->mean = nd_plan_take(p, sizeof(float) * (size_t)oc);
    u->var = nd_plan_take(p, sizeof(float) * (size_t)oc);
    p->flops_conv += nd_conv_flops(&u->conv);
    return 0;
}

void nd_unit_forward(nd_plan *p, nd_unit *u, const nd_conv_bn_w *w, float *values,
                     const float *src, int training, int set_weights) {
    float *scale = values + w->bn_w, *shift = values + w->bn_b;
    float *running_mean = values + w->bn_mean, *running_var = values + w->bn_var;

    if (set_weights)
        nd_conv_set_weights(&u->conv, values + w->conv);
    nd_conv_forward(&u->conv, src, ACT(p, u->conv_out));
    if (!training) {
        nd_bn_forward_infer(&u->bn, ACT(p, u->conv_out), ACT(p, u->bn_out), scale, shift,
                            running_mean, running_var);
        return;
    }

    /* Batch statistics, then PyTorch's running update with the unbiased
     * variance var * n / (n - 1), n values per channel. */
    float *mean = ACT(p, u->mean), *var = ACT(p, u->var);
    nd_bn_forward_train(&u->bn, ACT(p, u->conv_out), ACT(p, u->bn_out), scale, shift, mean,
                        var);
    double n = (double)u->bn.n * u->bn.hw;
    float unbias = n > 1 ? (float)(n / (n - 1)) : 1.0f;
    for (int c = 0; c < u->bn.c; c++) {
        running_mean[c] = (1 - BN_MOMENTUM) * running_mean[c] + BN_MOMENTUM * mean[c];
        running_var[c] = (1 - BN_MOMENTUM) * running_var[c] + BN_MOMENTUM * var[c] * unbias;
    }
}

void nd_unit_backward(nd_plan *p, nd_unit *u, const nd_conv_bn_w *w, const float *values,
                      float *grads, const float *src, const float *d_out, float *d_src) {
    float *d_conv = GRAD(p, u->conv_out);
    nd_bn_backward(&u->bn, ACT(p, u->conv_out), ACT(p, u->mean), ACT(p, u->var), d_out,
                   values + w->bn_w, values + w->bn_b, d_conv, grads + w->bn_w,
                   grads + w->bn_b);
    nd_conv_backward(&u->conv, src, d_conv, d_src, grads + w->conv);
}

void nd_unit_free(nd_unit *u) {
    nd_conv_free(&u->conv);
}

int nd_block_plan(nd_plan *p, nd_block *b, int n, int in, int out, int ih, int stride,
                  int has_down) {
    memset(b, 0, sizeof *b);
    b->has_down = has_down;
    if (nd_unit_plan(p, &b->u1, n, in, out, ih, 3, stride, 1, 0))
        return -1;
    if (nd_unit_plan(p, &b->u2, n, out, out, b->u1.conv.oh, 3, 1, 0, 0))
        return -1;
    if (has_down && nd_unit_plan(p, &b->down, n, in, out, ih, 1, stride, 0, 0))
        return -1;
    b->out = nd_plan_take(p, nd_dnnl_md_size(&b->u2.conv.dst_md));
    if (has_down)
        b->shortcut_grad = nd_plan_take(p, nd_dnnl_md_size(&b->u1.conv.src_md));
    return 0;
}

static size_t block_out_floats(const nd_block *b) {
    return nd_dnnl_md_size(&b->u2.conv.dst_md) / sizeof(float);
}

void nd_block_forward(nd_plan *p, nd_block *b, const nd_block_w *w, float *values,
                      const float *src, int training, int set_weights) {
    size_t n = block_out_floats(b);
    float *out = ACT(p, b->out);

    nd_unit_forward(p, &b->u1, &w->c1, values, src, training, set_weights);
    nd_unit_forward(p, &b->u2, &w->c2, values, ACT(p, b->u1.bn_out), training, set_weights);
    const float *shortcut = src;
    if (b->has_down) {
        nd_unit_forward(p, &b->down, &w->down, values, src, training, set_weights);
        shortcut = ACT(p, b->down.bn_out);
    }
    nd_add(out, ACT(p, b->u2.bn_out), shortcut, n);
    nd_relu_forward(out, out, n);
}

void nd_block_backward(nd_plan *p, nd_block *b, const nd_block_w *w, const float *values,
                       float *grads, const float *src, float *d_src) {
    size_t n = block_out_floats(b);
    float *d_sum = GRAD(p, b->out);

    /* Through the final ReLU, in place; the sum passes it to both paths. */
    nd_relu_backward(d_sum, d_sum, ACT(p, b->out), n);
    nd_unit_backward(p, &b->u2, &w->c2, values, grads, ACT(p, b->u1.bn_out), d_sum,
                     GRAD(p, b->u1.bn_out));
    nd_unit_backward(p, &b->u1, &w->c1, values, grads, src, GRAD(p, b->u1.bn_out), d_src);
    if (b->has_down) {
        float *d_shortcut = d_src ? GRAD(p, b->shortcut_grad) : NULL;
        nd_unit_backward(p, &b->down, &w->down, values, grads, src, d_sum, d_shortcut);
        if (d_src)
            nd_acc(d_src, d_shortcut, nd_dnnl_md_size(&b->u1.conv.src_md) / sizeof(float));
    } else if (d_src) {
        nd_acc(d_src, d_sum, n);
    }
}

void nd_block_free(nd_block *b) {
    nd_unit_free(&b->u1);
    nd_unit_free(&b->u2);
    if (b->has_down)
        nd_unit_free(&b->down);
}
