/* NR-DFERNet as an explicit call sequence: the weights (offsets into the
 * flat tensor array of params.h) and a plan that holds, for one batch size,
 * the oneDNN units and one activation arena sized once from the config.
 * Forward is a readable sequence of layer calls; backward is the same
 * sequence reversed.
 *
 * Legend: B clips, T frames, N = B*T images, Q = T - 1 tokens per clip,
 * NS = B*Q token images, C channels, g x g the DSF grid, D = C3*g*g token
 * width, K snippets, L tokens per sequence. */
#ifndef ND_MODEL_NET_H
#define ND_MODEL_NET_H

#include <stddef.h>

#include "engine/batchnorm.h"
#include "engine/dnnl_backend.h"
#include "model/params.h"
#include "nrdfer.h"

#define ND_MAX_BLOCKS 8

/* Offsets of one conv + BN pair. */
typedef struct nd_conv_bn_w {
    size_t conv, bn_w, bn_b, bn_mean, bn_var;
} nd_conv_bn_w;

typedef struct nd_block_w {
    int in, out, stride, has_down;
    nd_conv_bn_w c1, c2, down;
} nd_block_w;

typedef struct nd_tblock_w {
    size_t ln1_w, ln1_b, qkv, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
} nd_tblock_w;

typedef struct nd_weights {
    nd_conv_bn_w stem1, stem2;
    nd_block_w layer1, layer2, layer3;
    nd_block_w dynamic[3];
    nd_conv_bn_w static_conv;
    size_t static_pos;
    nd_tblock_w static_blocks[ND_MAX_BLOCKS];
    nd_tblock_w temporal_blocks[ND_MAX_BLOCKS];
    size_t temporal_pos, cls_token, head_w, head_b;
} nd_weights;

/* Geometry derived from the config. */
typedef struct nd_dims {
    int T, Q, S, K;   /* frames, tokens, image size, snippets */
    int c0, c1, c2;   /* stem/layer1, layer2, layer3/DSF channels */
    int s_stem, s_pool, s2, s3, g; /* spatial sizes */
    int D;            /* token width c2 * g * g */
    int head_in;      /* head input width: D, or c2 for the single-frame baseline */
    int classes;
} nd_dims;

/* Builds the tensor table of config into params and the offsets into w. */
void nd_net_define(const nrdfer_config *config, nd_params *params, nd_weights *w);
void nd_net_dims(const nrdfer_config *config, nd_dims *d);
/* Forward multiply-adds x 2 of one clip. */
double nd_net_flops_per_clip(const nrdfer_config *config);

/* ---- plan: units and activations for one batch size ---- */

/* Activation offsets (bytes) into the plan's arena; the gradient of an
 * activation lives at the same offset of the gradient arena. */
typedef size_t nd_buf;

typedef struct nd_unit {
    nd_conv conv;
    nd_bn bn;
    nd_buf conv_out, bn_out, mean, var;
} nd_unit;

typedef struct nd_block {
    nd_unit u1, u2, down;
    int has_down;
    nd_buf out;
    nd_buf shortcut_grad; /* input-sized gradient of the down path */
} nd_block;

typedef struct nd_tblock {
    nd_buf ln1, ln1_mean, ln1_rstd, qkv, att, attn, x1, ln2, ln2_mean, ln2_rstd, h1, h1g, x2;
} nd_tblock;

/* A stack of transformer blocks over S sequences of L tokens of width dim. */
typedef struct nd_tstack {
    int s, l, dim, heads, mlp, blocks;
    nd_buf in;
    nd_tblock b[ND_MAX_BLOCKS];
} nd_tstack;

typedef struct nd_plan {
    int batch, with_backward;
    nd_dims d;
    nrdfer_config config;

    nd_buf input;           /* [N,3,S,S] nchw */
    nd_unit stem1, stem2;
    nd_pool pool;
    nd_buf pool_out, pool_ws;
    nd_block layer1, layer2, layer3; /* layer3.out is F [N, c2, s3, s3] */

    nd_buf diff;            /* D[b,t] = F[b,t+1] - F[b,t], NS images */
    nd_block dynamic[3];
    nd_buf dyn_plain;       /* dynamic output in nchw, NS x D */
    nd_reorder dyn_to_plain, plain_to_dyn;

    nd_buf static_in;       /* S[b,t] = F[b,t], NS images */
    nd_unit static_unit;
    nd_reorder static_to_tokens, tokens_to_static;
    nd_buf static_tokens;   /* [NS, g*g, c2] */
    nd_tstack static_stack;

    /* Single-frame baseline: layer3 output in nchw, its per-frame mean. */
    nd_reorder f3_to_plain, plain_to_f3;
    nd_buf f3_plain;        /* [N, c2, s3, s3] */
    nd_buf frame_feat;      /* [N, c2] */

    nd_buf x;               /* fused tokens [B, Q, D] */
    nd_tstack temporal;     /* [B, T, D] */
    nd_buf cls_out;         /* [B, head_in] */
    nd_buf logits;          /* [B, classes] */
    nd_tstack snippets;     /* [B*K, 4, D] */
    nd_buf snip_cls, snip_logits;

    size_t arena_bytes;
    char *act, *grad;
    double flops_conv;
    long weights_version;
} nd_plan;

nd_plan *nd_plan_create(const nrdfer_config *config, int batch, int with_backward);
void nd_plan_free(nd_plan *p);

/* Forward pass of p->batch clips [B][T][3][S][S]. training = 1 uses batch
 * statistics and updates the BN running statistics in values; 0 uses the
 * running statistics. Results: p->logits [B, classes] and p->snip_logits
 * [B, K, classes]. A weights_version other than the last one makes the plan reorder the weights. */
void nd_plan_forward(nd_plan *p, const nd_weights *w, float *values, const float *clips,
                     int training, long weights_version);
/* Backward pass from dlogits [B, classes] after a training forward; writes
 * the gradient of every trainable tensor into grads (same offsets as values). */
void nd_plan_backward(nd_plan *p, const nd_weights *w, const float *values, float *grads,
                      const float *dlogits);

#endif
