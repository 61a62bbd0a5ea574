/* Helpers shared by the files that build and run a plan. */
#ifndef ND_MODEL_NET_INTERNAL_H
#define ND_MODEL_NET_INTERNAL_H

#include "model/net.h"

/* Value and gradient of an activation. */
#define ACT(p, b) ((float *)((p)->act + (b)))
#define GRAD(p, b) ((float *)((p)->grad + (b)))

/* Reserves bytes in the plan's arena (64-byte aligned); returns the offset. */
nd_buf nd_plan_take(nd_plan *p, size_t bytes);

/* Conv + BN (+ ReLU) unit. */
int nd_unit_plan(nd_plan *p, nd_unit *u, int n, int ic, int oc, int ih, int k, int stride,
                 int relu, int plain_src);
void nd_unit_forward(nd_plan *p, nd_unit *u, const nd_conv_bn_w *w, float *values,
                     const float *src, int training, int set_weights);
/* d_out: gradient of the unit's output; writes d_src (NULL to skip) and the
 * gradients of the conv and BN tensors. */
void nd_unit_backward(nd_plan *p, nd_unit *u, const nd_conv_bn_w *w, const float *values,
                      float *grads, const float *src, const float *d_out, float *d_src);
void nd_unit_free(nd_unit *u);

/* ResNet BasicBlock: conv3x3 s, BN, ReLU, conv3x3, BN, + shortcut, ReLU. */
int nd_block_plan(nd_plan *p, nd_block *b, int n, int in, int out, int ih, int stride,
                  int has_down);
void nd_block_forward(nd_plan *p, nd_block *b, const nd_block_w *w, float *values,
                      const float *src, int training, int set_weights);
/* Reads the gradient of b->out from GRAD(p, b->out) (and overwrites it);
 * writes d_src (NULL to skip). */
void nd_block_backward(nd_plan *p, nd_block *b, const nd_block_w *w, const float *values,
                       float *grads, const float *src, float *d_src);
void nd_block_free(nd_block *b);

/* Transformer stack; input at ACT(p, st->in), output at nd_tstack_out(). */
void nd_tstack_plan(nd_plan *p, nd_tstack *st, int s, int l, int dim, int heads, int mlp,
                    int blocks);
float *nd_tstack_out(nd_plan *p, const nd_tstack *st);
float *nd_tstack_dout(nd_plan *p, const nd_tstack *st);
void nd_tstack_forward(nd_plan *p, const nd_tstack *st, const nd_tblock_w *w,
                       const float *values, int head_dim);
/* Reads the output gradient from nd_tstack_dout() and writes the input
 * gradient to GRAD(p, st->in). */
void nd_tstack_backward(nd_plan *p, const nd_tstack *st, const nd_tblock_w *w,
                        const float *values, float *grads, int head_dim);

#endif
