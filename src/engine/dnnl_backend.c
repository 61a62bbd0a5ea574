#include "engine/dnnl_backend.h"

#include <dnnl_debug.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_format_tag_t blocked_tag = dnnl_nchw;
static int block_size = 1;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status;

#define DNNL_TRY(call)                                                                   \
    do {                                                                                 \
        dnnl_status_t st_ = (call);                                                      \
        if (st_ != dnnl_success)                                                         \
            return nd_fail("oneDNN call %s failed: %s", #call, dnnl_status2str(st_));    \
    } while (0)

/* For calls whose failure can only mean a broken invariant (execution of a
 * primitive that was created successfully for these shapes). */
#define DNNL_MUST(call) ND_ASSERT((call) == dnnl_success)

/* Picks the activation layout the convolution kernels of this CPU prefer, by
 * asking oneDNN for a typical 64 -> 64 channel 3x3 convolution. */
static int probe_layout(void) {
    dnnl_memory_desc_t src, w, dst, tag16, tag8;
    dnnl_dims_t sd = {2, 64, 28, 28}, wd = {64, 64, 3, 3};
    dnnl_dims_t strides = {1, 1}, pad = {1, 1};
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;

    DNNL_TRY(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst, 4, sd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                                dnnl_convolution_direct, &src, &w, NULL,
                                                &dst, strides, pad, pad));
    DNNL_TRY(dnnl_primitive_desc_create(&pd, &cd, NULL, engine, NULL));
    const dnnl_memory_desc_t *chosen =
        dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&tag16, 4, sd, dnnl_f32, dnnl_nChw16c));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&tag8, 4, sd, dnnl_f32, dnnl_nChw8c));
    if (dnnl_memory_desc_equal(chosen, &tag16)) {
        blocked_tag = dnnl_nChw16c;
        block_size = 16;
    } else if (dnnl_memory_desc_equal(chosen, &tag8)) {
        blocked_tag = dnnl_nChw8c;
        block_size = 8;
    }
    dnnl_primitive_desc_destroy(pd);
    return 0;
}

static void init_once_fn(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        init_status = nd_fail("cannot create the oneDNN CPU engine");
        return;
    }
    init_status = probe_layout();
}

int nd_dnnl_init(void) {
    pthread_once(&init_once, init_once_fn);
    return init_status;
}

dnnl_format_tag_t nd_dnnl_act_tag(int channels) {
    return channels % block_size == 0 ? blocked_tag : dnnl_nchw;
}

int nd_dnnl_act_block(int channels) {
    return channels % block_size == 0 ? block_size : 1;
}

dnnl_memory_desc_t nd_dnnl_act_md(int n, int c, int h, int w, int plain) {
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {n, c, h, w};
    DNNL_MUST(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32,
                                           plain ? dnnl_nchw : nd_dnnl_act_tag(c)));
    return md;
}

size_t nd_dnnl_md_size(const dnnl_memory_desc_t *md) {
    return dnnl_memory_desc_get_size(md);
}

static int memory(dnnl_memory_t *m, const dnnl_memory_desc_t *md) {
    DNNL_TRY(dnnl_memory_create(m, md, engine, DNNL_MEMORY_NONE));
    return 0;
}

static void bind(dnnl_memory_t m, const void *ptr) {
    DNNL_MUST(dnnl_memory_set_data_handle(m, (void *)ptr));
}

static void run(dnnl_primitive_t prim, int nargs, const dnnl_exec_arg_t *args) {
    dnnl_status_t st = dnnl_primitive_execute(prim, stream, nargs, args);
    if (st != dnnl_success) {
        const_dnnl_primitive_desc_t pd;
        dnnl_primitive_get_primitive_desc(prim, &pd);
        fprintf(stderr, "nrdfer: oneDNN execution failed: %s (primitive %s)\n",
                dnnl_status2str(st),
                dnnl_prim_kind2str(
                    dnnl_primitive_desc_query_s32(pd, dnnl_query_primitive_kind, 0)));
        ND_ASSERT(st == dnnl_success);
    }
    DNNL_MUST(dnnl_stream_wait(stream));
}

/* Creates the primitive of pd and destroys pd. */
static int make_primitive(dnnl_primitive_t *prim, dnnl_primitive_desc_t pd) {
    dnnl_status_t st = dnnl_primitive_create(prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success)
        return nd_fail("oneDNN primitive creation failed: %s", dnnl_status2str(st));
    return 0;
}

/* ---- reorder ---- */

int nd_reorder_init(nd_reorder *r, const dnnl_memory_desc_t *src,
                    const dnnl_memory_desc_t *dst) {
    dnnl_primitive_desc_t pd;
    memset(r, 0, sizeof *r);
    DNNL_TRY(dnnl_reorder_primitive_desc_create(&pd, src, engine, dst, engine, NULL));
    if (make_primitive(&r->prim, pd) || memory(&r->src, src) || memory(&r->dst, dst))
        return -1;
    return 0;
}

void nd_reorder_run(nd_reorder *r, const float *src, float *dst) {
    bind(r->src, src);
    bind(r->dst, dst);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, r->src}, {DNNL_ARG_TO, r->dst}};
    run(r->prim, 2, args);
}

void nd_reorder_free(nd_reorder *r) {
    if (r->prim)
        dnnl_primitive_destroy(r->prim);
    if (r->src)
        dnnl_memory_destroy(r->src);
    if (r->dst)
        dnnl_memory_destroy(r->dst);
    memset(r, 0, sizeof *r);
}

/* ---- weight layouts ---- */

/* Offset of element (o, i, y, x) of a 4-D weight tensor in the blocked
 * layout md describes (outer strides plus inner blocks, innermost last). */
static size_t blocked_offset(const dnnl_memory_desc_t *md, const dnnl_dim_t *idx) {
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    dnnl_dim_t block[4] = {1, 1, 1, 1};
    size_t off = (size_t)md->offset0, inner = 0;

    for (int k = 0; k < b->inner_nblks; k++)
        block[b->inner_idxs[k]] *= b->inner_blks[k];
    for (int d = 0; d < 4; d++)
        off += (size_t)(idx[d] / block[d]) * (size_t)b->strides[d];
    for (int k = 0; k < b->inner_nblks; k++) {
        int d = (int)b->inner_idxs[k];
        dnnl_dim_t below = 1;
        for (int j = k + 1; j < b->inner_nblks; j++)
            if (b->inner_idxs[j] == d)
                below *= b->inner_blks[j];
        inner = inner * (size_t)b->inner_blks[k] +
                (size_t)((idx[d] % block[d]) / below % b->inner_blks[k]);
    }
    return off + inner;
}

/* Copies weights between plain [o][i][k][k] and the blocked layout md,
 * zero-filling padding when writing blocked data. Single-threaded: weights
 * are small, and oneDNN 2.6's generic reorder for these layouts took
 * milliseconds per tensor. */
static void copy_weights(const dnnl_memory_desc_t *md, float *blocked, float *plain,
                         int to_blocked) {
    const dnnl_dim_t *dims = md->dims;
    if (to_blocked)
        memset(blocked, 0, nd_dnnl_md_size(md));
    for (dnnl_dim_t o = 0; o < dims[0]; o++)
        for (dnnl_dim_t i = 0; i < dims[1]; i++)
            for (dnnl_dim_t y = 0; y < dims[2]; y++)
                for (dnnl_dim_t x = 0; x < dims[3]; x++) {
                    dnnl_dim_t idx[4] = {o, i, y, x};
                    size_t p = (size_t)((o * dims[1] + i) * dims[2] + y) * dims[3] + x;
                    size_t q = blocked_offset(md, idx);
                    if (to_blocked)
                        blocked[q] = plain[p];
                    else
                        plain[p] = blocked[q];
                }
}

/* ---- convolution ---- */

static float *alloc_md(const dnnl_memory_desc_t *md) {
    void *p = NULL;
    size_t size = nd_dnnl_md_size(md);
    if (posix_memalign(&p, 64, size ? size : 64))
        return nd_malloc(size);
    memset(p, 0, size);
    return p;
}

int nd_conv_init(nd_conv *c, int n, int ic, int oc, int ih, int iw, int k, int stride,
                 int pad, int plain_src, int with_backward) {
    dnnl_memory_desc_t w_any;
    dnnl_dims_t wd = {oc, ic, k, k};
    dnnl_dims_t strides = {stride, stride}, padding = {pad, pad};
    dnnl_convolution_desc_t fd, bd, wdsc;
    dnnl_primitive_desc_t fpd, bpd, wpd;

    if (nd_dnnl_init())
        return -1;
    memset(c, 0, sizeof *c);
    c->n = n, c->ic = ic, c->oc = oc, c->ih = ih, c->iw = iw;
    c->k = k, c->stride = stride, c->pad = pad, c->with_backward = with_backward;
    c->oh = (ih + 2 * pad - k) / stride + 1;
    c->ow = (iw + 2 * pad - k) / stride + 1;
    c->src_md = nd_dnnl_act_md(n, ic, ih, iw, plain_src);
    c->dst_md = nd_dnnl_act_md(n, oc, c->oh, c->ow, 0);
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&c->w_plain_md, 4, wd, dnnl_f32, dnnl_oihw));

    /* Forward. */
    DNNL_TRY(dnnl_convolution_forward_desc_init(
        &fd, with_backward ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_convolution_direct, &c->src_md, &w_any, NULL, &c->dst_md, strides, padding,
        padding));
    DNNL_TRY(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
    c->w_md = *dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);
    ND_ASSERT(dnnl_memory_desc_equal(
        dnnl_primitive_desc_query_md(fpd, dnnl_query_src_md, 0), &c->src_md));

    /* Backward by data and by weights, which take the forward as a hint.
     * Each picks its own weight layout: forcing the forward's one makes
     * oneDNN 2.6 fall back to its slow reference kernel for backward data. */
    if (with_backward) {
        DNNL_TRY(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct,
                                                          &c->src_md, &w_any, &c->dst_md,
                                                          strides, padding, padding));
        DNNL_TRY(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
        c->w_bwd_md = *dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 0);
        DNNL_TRY(dnnl_convolution_backward_weights_desc_init(
            &wdsc, dnnl_convolution_direct, &c->src_md, &w_any, NULL, &c->dst_md, strides,
            padding, padding));
        DNNL_TRY(dnnl_primitive_desc_create(&wpd, &wdsc, NULL, engine, fpd));
        c->dw_md = *dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0);
        const dnnl_memory_desc_t *dw_md = &c->dw_md;
        if (make_primitive(&c->bwd_data, bpd) || make_primitive(&c->bwd_weights, wpd))
            return -1;
        c->dw_same_layout = dnnl_memory_desc_equal(dw_md, &c->w_plain_md);
        if (!c->dw_same_layout)
            c->dw_kernel = alloc_md(dw_md);
        c->w_bwd_same_layout = dnnl_memory_desc_equal(&c->w_bwd_md, &c->w_md);
        if (!c->w_bwd_same_layout)
            c->w_bwd = alloc_md(&c->w_bwd_md);
        if (memory(&c->m_dsrc, &c->src_md) || memory(&c->m_ddst, &c->dst_md) ||
            memory(&c->m_dw, dw_md) || memory(&c->m_w_bwd, &c->w_bwd_md))
            return -1;
    }
    if (make_primitive(&c->fwd, fpd))
        return -1;

    c->w_kernel = alloc_md(&c->w_md);
    if (c->w_md.format_kind != dnnl_blocked ||
        (with_backward && (c->w_bwd_md.format_kind != dnnl_blocked ||
                           c->dw_md.format_kind != dnnl_blocked)))
        return nd_fail("oneDNN chose a weight layout that is not blocked for a %dx%d "
                       "convolution %d -> %d",
                       k, k, ic, oc);
    if (memory(&c->m_src, &c->src_md) || memory(&c->m_dst, &c->dst_md) ||
        memory(&c->m_w, &c->w_md))
        return -1;
    return 0;
}

void nd_conv_set_weights(nd_conv *c, const float *w_plain) {
    copy_weights(&c->w_md, c->w_kernel, (float *)w_plain, 1);
    if (c->with_backward && !c->w_bwd_same_layout)
        copy_weights(&c->w_bwd_md, c->w_bwd, (float *)w_plain, 1);
}

void nd_conv_forward(nd_conv *c, const float *src, float *dst) {
    bind(c->m_src, src);
    bind(c->m_w, c->w_kernel);
    bind(c->m_dst, dst);
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, c->m_src}, {DNNL_ARG_WEIGHTS, c->m_w}, {DNNL_ARG_DST, c->m_dst}};
    run(c->fwd, 3, args);
}

void nd_conv_backward(nd_conv *c, const float *src, const float *ddst, float *dsrc,
                      float *dw_plain) {
    ND_ASSERT(c->with_backward);
    bind(c->m_ddst, ddst);
    if (dsrc) {
        bind(c->m_dsrc, dsrc);
        bind(c->m_w_bwd, c->w_bwd_same_layout ? c->w_kernel : c->w_bwd);
        dnnl_exec_arg_t args[] = {{DNNL_ARG_DIFF_DST, c->m_ddst},
                                  {DNNL_ARG_WEIGHTS, c->m_w_bwd},
                                  {DNNL_ARG_DIFF_SRC, c->m_dsrc}};
        run(c->bwd_data, 3, args);
    }
    bind(c->m_src, src);
    bind(c->m_dw, c->dw_same_layout ? dw_plain : c->dw_kernel);
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, c->m_src},
                               {DNNL_ARG_DIFF_DST, c->m_ddst},
                               {DNNL_ARG_DIFF_WEIGHTS, c->m_dw}};
    run(c->bwd_weights, 3, wargs);
    if (!c->dw_same_layout)
        copy_weights(&c->dw_md, c->dw_kernel, dw_plain, 0);
}

void nd_conv_free(nd_conv *c) {
    dnnl_primitive_t prims[] = {c->fwd, c->bwd_data, c->bwd_weights};
    dnnl_memory_t mems[] = {c->m_src,  c->m_dst,  c->m_w, c->m_w_bwd,
                            c->m_dsrc, c->m_ddst, c->m_dw};
    for (size_t i = 0; i < 3; i++)
        if (prims[i])
            dnnl_primitive_destroy(prims[i]);
    for (size_t i = 0; i < 7; i++)
        if (mems[i])
            dnnl_memory_destroy(mems[i]);
    free(c->w_bwd);
    free(c->w_kernel);
    free(c->dw_kernel);
    memset(c, 0, sizeof *c);
}

double nd_conv_flops(const nd_conv *c) {
    return 2.0 * c->n * c->oc * c->oh * c->ow * (double)c->ic * c->k * c->k;
}

/* ---- max pooling ---- */

int nd_pool_init(nd_pool *p, int n, int c, int ih, int iw, int with_backward) {
    dnnl_pooling_desc_t fd, bd;
    dnnl_primitive_desc_t fpd, bpd;
    dnnl_dims_t strides = {2, 2}, kernel = {3, 3}, pad = {1, 1};

    if (nd_dnnl_init())
        return -1;
    memset(p, 0, sizeof *p);
    p->n = n, p->c = c, p->ih = ih, p->iw = iw, p->with_backward = with_backward;
    p->oh = (ih + 2 - 3) / 2 + 1;
    p->ow = (iw + 2 - 3) / 2 + 1;
    p->src_md = nd_dnnl_act_md(n, c, ih, iw, 0);
    p->dst_md = nd_dnnl_act_md(n, c, p->oh, p->ow, 0);
    DNNL_TRY(dnnl_pooling_forward_desc_init(
        &fd, with_backward ? dnnl_forward_training : dnnl_forward_inference,
        dnnl_pooling_max, &p->src_md, &p->dst_md, strides, kernel, pad, pad));
    DNNL_TRY(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
    if (with_backward) {
        p->ws_md = *dnnl_primitive_desc_query_md(fpd, dnnl_query_workspace_md, 0);
        DNNL_TRY(dnnl_pooling_backward_desc_init(&bd, dnnl_pooling_max, &p->src_md,
                                                 &p->dst_md, strides, kernel, pad, pad));
        DNNL_TRY(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
        if (make_primitive(&p->bwd, bpd) || memory(&p->m_ws, &p->ws_md) ||
            memory(&p->m_dsrc, &p->src_md) || memory(&p->m_ddst, &p->dst_md))
            return -1;
    }
    if (make_primitive(&p->fwd, fpd) || memory(&p->m_src, &p->src_md) ||
        memory(&p->m_dst, &p->dst_md))
        return -1;
    return 0;
}

size_t nd_pool_ws_size(const nd_pool *p) {
    return p->with_backward ? nd_dnnl_md_size(&p->ws_md) : 0;
}

void nd_pool_forward(nd_pool *p, const float *src, float *dst, void *ws) {
    bind(p->m_src, src);
    bind(p->m_dst, dst);
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->m_src}, {DNNL_ARG_DST, p->m_dst}};
    int nargs = 2;
    if (p->with_backward) {
        bind(p->m_ws, ws);
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, p->m_ws};
    }
    run(p->fwd, nargs, args);
}

void nd_pool_backward(nd_pool *p, const float *ddst, const void *ws, float *dsrc) {
    ND_ASSERT(p->with_backward);
    bind(p->m_ddst, ddst);
    bind(p->m_ws, ws);
    bind(p->m_dsrc, dsrc);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_DIFF_DST, p->m_ddst},
                              {DNNL_ARG_WORKSPACE, p->m_ws},
                              {DNNL_ARG_DIFF_SRC, p->m_dsrc}};
    run(p->bwd, 3, args);
}

void nd_pool_free(nd_pool *p) {
    dnnl_primitive_t prims[] = {p->fwd, p->bwd};
    dnnl_memory_t mems[] = {p->m_src, p->m_dst, p->m_ws, p->m_dsrc, p->m_ddst};
    for (size_t i = 0; i < 2; i++)
        if (prims[i])
            dnnl_primitive_destroy(prims[i]);
    for (size_t i = 0; i < 5; i++)
        if (mems[i])
            dnnl_memory_destroy(mems[i]);
    memset(p, 0, sizeof *p);
}
