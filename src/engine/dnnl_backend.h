/* CPU backend on oneDNN (libdnnl 2.x C API): convolution and max pooling,
 * forward and backward, on activations kept
 * in one blocked layout across layers (nChw16c on AVX-512, nChw8c on AVX2),
 * so that no reorder runs between layers of the spatial stage.
 *
 * Each unit creates its primitives once for fixed shapes; the execute calls
 * take plain pointers, so one unit serves any buffer of its shapes.
 * Weights are stored by the model in PyTorch's plain layout (O, I, kh, kw);
 * a unit reorders them into the layout its kernel prefers.
 *
 * Shapes: N images, C channels, H x W pixels. */
#ifndef ND_ENGINE_DNNL_BACKEND_H
#define ND_ENGINE_DNNL_BACKEND_H

#include <dnnl.h>
#include <stddef.h>

/* Creates the oneDNN engine and stream on first use; returns 0 or -1. */
int nd_dnnl_init(void);

/* Layout chosen for spatial activations with C channels. */
dnnl_format_tag_t nd_dnnl_act_tag(int channels);
/* Channels per block of that layout (1 when it is plain nchw). */
int nd_dnnl_act_block(int channels);

/* Memory descriptor of N x C x H x W activations in the chosen layout
 * (plain=1: nchw). */
dnnl_memory_desc_t nd_dnnl_act_md(int n, int c, int h, int w, int plain);

/* Bytes needed for md, padding included. */
size_t nd_dnnl_md_size(const dnnl_memory_desc_t *md);

/* Converts between two layouts of the same tensor. */
typedef struct nd_reorder {
    dnnl_primitive_t prim;
    dnnl_memory_t src, dst;
} nd_reorder;

int nd_reorder_init(nd_reorder *r, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst);
void nd_reorder_run(nd_reorder *r, const float *src, float *dst);
void nd_reorder_free(nd_reorder *r);

/* 2-D convolution without bias: square kernel k, stride s, padding p. */
typedef struct nd_conv {
    int n, ic, oc, ih, iw, oh, ow, k, stride, pad;
    int with_backward;
    dnnl_memory_desc_t src_md, dst_md, w_md, w_bwd_md, dw_md, w_plain_md;
    dnnl_primitive_t fwd, bwd_data, bwd_weights;
    int w_bwd_same_layout, dw_same_layout;
    float *w_kernel;  /* weights in the forward kernel's layout */
    float *w_bwd;     /* weights in the backward-data kernel's layout */
    float *dw_kernel; /* weight gradient in the kernel's layout */
    dnnl_memory_t m_src, m_dst, m_w, m_w_bwd, m_dsrc, m_ddst, m_dw;
} nd_conv;

/* plain_src: the input is nchw (the network's input images). */
int nd_conv_init(nd_conv *c, int n, int ic, int oc, int ih, int iw, int k, int stride, int pad,
                 int plain_src, int with_backward);
/* Reorders plain weights [oc][ic][k][k] into the kernel's layout; call after
 * every weight change, before nd_conv_forward. */
void nd_conv_set_weights(nd_conv *c, const float *w_plain);
void nd_conv_forward(nd_conv *c, const float *src, float *dst);
/* dsrc may be NULL (no input gradient needed). Writes (does not add)
 * dsrc and dw_plain [oc][ic][k][k]. */
void nd_conv_backward(nd_conv *c, const float *src, const float *ddst, float *dsrc,
                      float *dw_plain);
void nd_conv_free(nd_conv *c);
double nd_conv_flops(const nd_conv *c);

/* Max pooling, kernel 3, stride 2, padding 1 (padding never wins the max). */
typedef struct nd_pool {
    int n, c, ih, iw, oh, ow, with_backward;
    dnnl_memory_desc_t src_md, dst_md, ws_md;
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_t m_src, m_dst, m_ws, m_dsrc, m_ddst;
} nd_pool;

int nd_pool_init(nd_pool *p, int n, int c, int ih, int iw, int with_backward);
size_t nd_pool_ws_size(const nd_pool *p);
void nd_pool_forward(nd_pool *p, const float *src, float *dst, void *ws);
void nd_pool_backward(nd_pool *p, const float *ddst, const void *ws, float *dsrc);
void nd_pool_free(nd_pool *p);

#endif
