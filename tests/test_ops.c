/* Each operation three ways: the oneDNN unit or fast kernel against the plain
 * C reference (|a - r| <= tol + |r| * eps elementwise), and the reference
 * backward against central finite differences of its forward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/batchnorm.h"
#include "engine/dnnl_backend.h"
#include "engine/ops.h"
#include "engine/ops_ref.h"
#include "nrdfer.h"
#include "util/rng.h"

static int failures;
static nd_rng rng;

static float *randn(size_t n, float scale) {
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        p[i] = (float)nd_rng_normal(&rng) * scale;
    return p;
}

static void expect_close(const char *what, const float *got, const float *want, size_t n,
                         float tol, float eps) {
    size_t bad = 0, worst = 0;
    double worst_err = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (err > tol + fabs(want[i]) * eps || isnan(got[i])) {
            bad++;
            if (err > worst_err || isnan(got[i]))
                worst_err = err, worst = i;
        }
    }
    if (bad) {
        printf("FAIL %s: %zu of %zu values differ; worst at %zu: got %g, expected %g\n",
               what, bad, n, worst, got[worst], want[worst]);
        failures++;
    } else {
        printf("ok   %s (%zu values)\n", what, n);
    }
}

/* Plain nchw <-> the backend's blocked layout. */
static float *to_blocked(const float *plain, int n, int c, int h, int w) {
    dnnl_memory_desc_t a = nd_dnnl_act_md(n, c, h, w, 1),
                       b = nd_dnnl_act_md(n, c, h, w, 0);
    float *out = calloc(1, nd_dnnl_md_size(&b));
    nd_reorder r;
    nd_reorder_init(&r, &a, &b);
    nd_reorder_run(&r, plain, out);
    nd_reorder_free(&r);
    return out;
}

static float *to_plain(const float *blocked, int n, int c, int h, int w) {
    dnnl_memory_desc_t a = nd_dnnl_act_md(n, c, h, w, 0),
                       b = nd_dnnl_act_md(n, c, h, w, 1);
    float *out = calloc(1, nd_dnnl_md_size(&b));
    nd_reorder r;
    nd_reorder_init(&r, &a, &b);
    nd_reorder_run(&r, blocked, out);
    nd_reorder_free(&r);
    return out;
}

static void test_conv(int n, int c, int h, int o, int k, int stride, int plain_src) {
    char name[128];
    int pad = k / 2, oh = (h + 2 * pad - k) / stride + 1;
    size_t xs = (size_t)n * c * h * h, ys = (size_t)n * o * oh * oh,
           ws = (size_t)o * c * k * k;
    float *x = randn(xs, 1), *w = randn(ws, 0.3f), *dy = randn(ys, 1);
    float *y_ref = malloc(4 * ys), *dx_ref = malloc(4 * xs), *dw_ref = malloc(4 * ws);
    float *dw = malloc(4 * ws);
    nd_conv conv;

    nd_ref_conv_forward(y_ref, x, w, n, c, h, h, o, k, stride, pad);
    nd_ref_conv_backward(dx_ref, dw_ref, dy, x, w, n, c, h, h, o, k, stride, pad);
    if (nd_conv_init(&conv, n, c, o, h, h, k, stride, pad, plain_src, 1)) {
        printf("FAIL conv init\n");
        failures++;
        return;
    }
    float *xb = plain_src ? x : to_blocked(x, n, c, h, h);
    float *yb = calloc(1, nd_dnnl_md_size(&conv.dst_md));
    float *dyb = to_blocked(dy, n, o, oh, oh);
    float *dxb = calloc(1, nd_dnnl_md_size(&conv.src_md));
    nd_conv_set_weights(&conv, w);
    nd_conv_forward(&conv, xb, yb);
    nd_conv_backward(&conv, xb, dyb, plain_src ? NULL : dxb, dw);
    float *y = to_plain(yb, n, o, oh, oh);
    snprintf(name, sizeof name, "conv %dx%d s%d %d->%d on %dx%d forward", k, k, stride, c,
             o, h, h);
    expect_close(name, y, y_ref, ys, 1e-4f, 1e-4f);
    snprintf(name, sizeof name, "conv %dx%d s%d %d->%d on %dx%d weight gradient", k, k,
             stride, c, o, h, h);
    expect_close(name, dw, dw_ref, ws, 1e-3f, 1e-4f);
    if (!plain_src) {
        float *dx = to_plain(dxb, n, c, h, h);
        snprintf(name, sizeof name, "conv %dx%d s%d %d->%d on %dx%d input gradient", k, k,
                 stride, c, o, h, h);
        expect_close(name, dx, dx_ref, xs, 1e-4f, 1e-4f);
        free(dx);
        free(xb);
    }
    nd_conv_free(&conv);
    free(x), free(w), free(dy), free(y_ref), free(dx_ref), free(dw_ref), free(dw);
    free(yb), free(dyb), free(dxb), free(y);
}

static void test_bn(int n, int c, int h, int relu) {
    char name[96];
    size_t xs = (size_t)n * c * h * h;
    float *x = randn(xs, 2), *gamma = randn(c, 1), *beta = randn(c, 1),
          *dy = randn(xs, 1);
    float *y_ref = malloc(4 * xs), *dx_ref = malloc(4 * xs), *mean_ref = malloc(4 * c);
    float *var_ref = malloc(4 * c), *dg_ref = malloc(4 * c), *db_ref = malloc(4 * c);
    float *mean = malloc(4 * c), *var = malloc(4 * c), *dg = malloc(4 * c),
          *db = malloc(4 * c);
    nd_bn bn;

    nd_ref_bn_forward(y_ref, mean_ref, var_ref, x, gamma, beta, n, c, h * h, relu);
    nd_ref_bn_backward(dx_ref, dg_ref, db_ref, dy, x, y_ref, mean_ref, var_ref, gamma, n,
                       c, h * h, relu);
    nd_bn_init(&bn, n, c, h * h, nd_dnnl_act_block(c), relu);
    dnnl_memory_desc_t md = nd_dnnl_act_md(n, c, h, h, 0);
    float *xb = to_blocked(x, n, c, h, h), *dyb = to_blocked(dy, n, c, h, h);
    float *yb = calloc(1, nd_dnnl_md_size(&md)), *dxb = calloc(1, nd_dnnl_md_size(&md));
    nd_bn_forward_train(&bn, xb, yb, gamma, beta, mean, var);
    nd_bn_backward(&bn, xb, mean, var, dyb, gamma, beta, dxb, dg, db);
    float *y = to_plain(yb, n, c, h, h), *dx = to_plain(dxb, n, c, h, h);
    snprintf(name, sizeof name, "batch norm%s c%d forward", relu ? "+relu" : "", c);
    expect_close(name, y, y_ref, xs, 1e-4f, 1e-4f);
    snprintf(name, sizeof name, "batch norm%s c%d batch variance", relu ? "+relu" : "",
             c);
    expect_close(name, var, var_ref, c, 1e-5f, 1e-4f);
    snprintf(name, sizeof name, "batch norm%s c%d input gradient", relu ? "+relu" : "",
             c);
    expect_close(name, dx, dx_ref, xs, 1e-4f, 1e-3f);
    snprintf(name, sizeof name, "batch norm%s c%d scale gradient", relu ? "+relu" : "",
             c);
    expect_close(name, dg, dg_ref, c, 1e-4f, 1e-4f);
    snprintf(name, sizeof name, "batch norm%s c%d shift gradient", relu ? "+relu" : "",
             c);
    expect_close(name, db, db_ref, c, 1e-4f, 1e-4f);

    /* Eval mode with running statistics. */
    float *rv = malloc(4 * c);
    for (int i = 0; i < c; i++)
        rv[i] = var_ref[i] + 0.5f;
    nd_ref_bn_infer(y_ref, x, gamma, beta, mean_ref, rv, n, c, h * h, relu);
    nd_bn_forward_infer(&bn, xb, yb, gamma, beta, mean_ref, rv);
    free(y);
    y = to_plain(yb, n, c, h, h);
    snprintf(name, sizeof name, "batch norm%s c%d eval", relu ? "+relu" : "", c);
    expect_close(name, y, y_ref, xs, 1e-5f, 1e-5f);
}

static void test_pool(int n, int c, int h) {
    int oh = (h - 1) / 2 + 1;
    size_t xs = (size_t)n * c * h * h, ys = (size_t)n * c * oh * oh;
    float *x = randn(xs, 1), *dy = randn(ys, 1), *y_ref = malloc(4 * ys),
          *dx_ref = malloc(4 * xs);
    nd_pool pool;
    nd_ref_maxpool_forward(y_ref, x, n, c, h, h);
    nd_ref_maxpool_backward(dx_ref, dy, x, n, c, h, h);
    nd_pool_init(&pool, n, c, h, h, 1);
    void *ws = calloc(1, nd_pool_ws_size(&pool) + 64);
    float *xb = to_blocked(x, n, c, h, h), *dyb = to_blocked(dy, n, c, oh, oh);
    float *yb = calloc(1, nd_dnnl_md_size(&pool.dst_md)),
          *dxb = calloc(1, nd_dnnl_md_size(&pool.src_md));
    nd_pool_forward(&pool, xb, yb, ws);
    nd_pool_backward(&pool, dyb, ws, dxb);
    expect_close("max pool forward", to_plain(yb, n, c, oh, oh), y_ref, ys, 0, 0);
    expect_close("max pool input gradient", to_plain(dxb, n, c, h, h), dx_ref, xs, 1e-6f,
                 0);
    nd_pool_free(&pool);
}

static void test_transformer_ops(void) {
    int m = 12, k = 40, n = 24, s = 3, l = 4, h = 2, e = 8, inner = h * e;
    float *x = randn(m * k, 1), *w = randn(n * k, 0.3f), *b = randn(n, 1),
          *dy = randn(m * n, 1);
    float *y = malloc(4 * m * n), *y_ref = malloc(4 * m * n);
    float *dx = malloc(4 * m * k), *dw = malloc(4 * n * k), *db = malloc(4 * n);
    float *dx_ref = malloc(4 * m * k), *dw_ref = malloc(4 * n * k),
          *db_ref = malloc(4 * n);

    nd_linear_forward(y, x, w, b, m, k, n);
    nd_ref_linear_forward(y_ref, x, w, b, m, k, n);
    expect_close("linear forward", y, y_ref, m * n, 1e-5f, 1e-5f);
    nd_linear_backward(dx, dw, db, dy, x, w, m, k, n, 0.0f);
    nd_ref_linear_backward(dx_ref, dw_ref, db_ref, dy, x, w, m, k, n);
    expect_close("linear input gradient", dx, dx_ref, m * k, 1e-5f, 1e-5f);
    expect_close("linear weight gradient", dw, dw_ref, n * k, 1e-5f, 1e-5f);
    expect_close("linear bias gradient", db, db_ref, n, 1e-5f, 1e-5f);

    /* Layer norm. */
    float *lw = randn(k, 1), *lb = randn(k, 1), *mean = malloc(4 * m),
          *rstd = malloc(4 * m);
    float *ly = malloc(4 * m * k), *ly_ref = malloc(4 * m * k), *ldy = randn(m * k, 1);
    float *lw_g = malloc(4 * k), *lb_g = malloc(4 * k), *lw_g_ref = malloc(4 * k),
          *lb_g_ref = malloc(4 * k);
    nd_layernorm_forward(ly, mean, rstd, x, lw, lb, m, k);
    nd_ref_layernorm_forward(ly_ref, x, lw, lb, m, k);
    expect_close("layer norm forward", ly, ly_ref, m * k, 1e-5f, 1e-5f);
    nd_layernorm_backward(dx, lw_g, lb_g, ldy, x, mean, rstd, lw, m, k, 0.0f);
    nd_ref_layernorm_backward(dx_ref, lw_g_ref, lb_g_ref, ldy, x, lw, m, k);
    expect_close("layer norm input gradient", dx, dx_ref, m * k, 1e-5f, 1e-4f);
    expect_close("layer norm weight gradient", lw_g, lw_g_ref, k, 1e-5f, 1e-4f);
    expect_close("layer norm bias gradient", lb_g, lb_g_ref, k, 1e-5f, 1e-4f);

    /* GELU. */
    nd_gelu_forward(ly, x, m * k);
    nd_ref_gelu_forward(ly_ref, x, m * k);
    expect_close("gelu forward", ly, ly_ref, m * k, 1e-6f, 1e-5f);
    nd_gelu_backward(dx, ldy, x, m * k);
    nd_ref_gelu_backward(dx_ref, ldy, x, m * k);
    expect_close("gelu gradient", dx, dx_ref, m * k, 1e-6f, 1e-5f);

    /* Attention. */
    float *qkv = randn(s * l * 3 * inner, 1), *out = malloc(4 * s * l * inner);
    float *out_ref = malloc(4 * s * l * inner), *att = malloc(4 * s * h * l * l);
    float *dout = randn(s * l * inner, 1), *dqkv = malloc(4 * s * l * 3 * inner);
    float *dqkv_ref = malloc(4 * s * l * 3 * inner);
    nd_attention_forward(out, att, qkv, s, l, h, e);
    nd_ref_attention_forward(out_ref, qkv, s, l, h, e);
    expect_close("attention forward", out, out_ref, s * l * inner, 1e-5f, 1e-5f);
    nd_attention_backward(dqkv, dout, qkv, att, s, l, h, e);
    nd_ref_attention_backward(dqkv_ref, dout, qkv, s, l, h, e);
    expect_close("attention gradient", dqkv, dqkv_ref, s * l * 3 * inner, 1e-5f, 1e-4f);

    /* Cross-entropy with and without label smoothing. */
    int labels[4] = {0, 3, 6, 2};
    float *logits = randn(4 * 7, 2), *dl = malloc(4 * 28), *dl_ref = malloc(4 * 28);
    for (int smooth = 0; smooth < 2; smooth++) {
        float loss = nd_softmax_cross_entropy(dl, logits, labels, 4, 7, smooth * 0.1f);
        float loss_ref =
            (float)nd_ref_cross_entropy(dl_ref, logits, labels, 4, 7, smooth * 0.1f);
        expect_close(smooth ? "cross-entropy smoothed loss" : "cross-entropy loss", &loss,
                     &loss_ref, 1, 1e-6f, 1e-6f);
        expect_close(smooth ? "cross-entropy smoothed gradient"
                            : "cross-entropy gradient",
                     dl, dl_ref, 28, 1e-7f, 1e-5f);
    }
}

/* Finite-difference check of a reference backward: f(x) = sum(dy * forward(x)),
 * its derivative along a random unit direction against dot(dx, direction). */
typedef void (*forward_fn)(float *y, const float *x, void *ctx);

static void fd_check(const char *what, forward_fn f, void *ctx, const float *x, size_t xn,
                     size_t yn, const float *dy, const float *dx, double eps) {
    float *dir = randn(xn, 1), *xp = malloc(4 * xn), *y = malloc(4 * yn);
    double norm = 0, analytic = 0, up = 0, down = 0;
    for (size_t i = 0; i < xn; i++)
        norm += (double)dir[i] * dir[i];
    norm = sqrt(norm);
    for (size_t i = 0; i < xn; i++) {
        dir[i] = (float)(dir[i] / norm);
        analytic += (double)dir[i] * dx[i];
    }
    for (int sign = -1; sign <= 1; sign += 2) {
        for (size_t i = 0; i < xn; i++)
            xp[i] = x[i] + (float)(sign * eps) * dir[i];
        f(y, xp, ctx);
        double s = 0;
        for (size_t i = 0; i < yn; i++)
            s += (double)dy[i] * y[i];
        if (sign < 0)
            down = s;
        else
            up = s;
    }
    double numeric = (up - down) / (2 * eps);
    /* Guard against a vacuous check: the gradient must not vanish. */
    if (fabs(analytic) < 1e-6 ||
        fabs(numeric - analytic) > 1e-2 * fabs(analytic) + 1e-4) {
        printf("FAIL finite differences %s: numeric %g, analytic %g\n", what, numeric,
               analytic);
        failures++;
    } else {
        printf("ok   finite differences %s\n", what);
    }
    free(dir), free(xp), free(y);
}

struct conv_ctx {
    const float *w;
    int n, c, h, o, k, s;
};
static void conv_x(float *y, const float *x, void *p) {
    struct conv_ctx *c = p;
    nd_ref_conv_forward(y, x, c->w, c->n, c->c, c->h, c->h, c->o, c->k, c->s, c->k / 2);
}

struct bn_ctx {
    const float *g, *b;
    int n, c, hw, relu;
};
static void bn_x(float *y, const float *x, void *p) {
    struct bn_ctx *c = p;
    float mean[64], var[64];
    nd_ref_bn_forward(y, mean, var, x, c->g, c->b, c->n, c->c, c->hw, c->relu);
}
static void pool_x(float *y, const float *x, void *p) {
    int *d = p;
    nd_ref_maxpool_forward(y, x, d[0], d[1], d[2], d[2]);
}

struct ln_ctx {
    const float *w, *b;
    int m, d;
};
static void ln_x(float *y, const float *x, void *p) {
    struct ln_ctx *c = p;
    nd_ref_layernorm_forward(y, x, c->w, c->b, c->m, c->d);
}
static void gelu_x(float *y, const float *x, void *p) {
    nd_ref_gelu_forward(y, x, *(int *)p);
}
static void attn_x(float *y, const float *x, void *p) {
    int *d = p;
    nd_ref_attention_forward(y, x, d[0], d[1], d[2], d[3]);
}
struct lin_ctx {
    const float *w;
    int m, k, n;
};
static void lin_x(float *y, const float *x, void *p) {
    struct lin_ctx *c = p;
    nd_ref_linear_forward(y, x, c->w, NULL, c->m, c->k, c->n);
}

static void mean_x(float *y, const float *x, void *p) {
    int *d = p;
    nd_ref_mean_tokens(y, x, d[0], d[1], d[2]);
}
static void relu_x(float *y, const float *x, void *p) {
    nd_relu_forward(y, x, (size_t) * (int *)p);
}
static void sub_x(float *y, const float *x, void *p) {
    /* y = x[second half] - x[first half], the frame difference of DSF. */
    int n = *(int *)p;
    nd_sub(y, x + n, x, (size_t)n);
}
struct ce_ctx {
    const int *labels;
    int b, c;
    float smoothing;
};
static void ce_x(float *y, const float *x, void *p) {
    struct ce_ctx *c = p;
    y[0] = (float)nd_ref_cross_entropy(NULL, x, c->labels, c->b, c->c, c->smoothing);
}

static void test_finite_differences(void) {
    /* Convolution, stride 2. */
    struct conv_ctx cc = {randn(4 * 3 * 9, 0.5f), 2, 3, 5, 4, 3, 2};
    float *x = randn(2 * 3 * 25, 1), *dy = randn(2 * 4 * 9, 1);
    float *dx = malloc(4 * 150), *dw = malloc(4 * 108);
    nd_ref_conv_backward(dx, dw, dy, x, cc.w, 2, 3, 5, 5, 4, 3, 2, 1);
    fd_check("conv input", conv_x, &cc, x, 150, 72, dy, dx, 1e-2);

    /* Batch norm with ReLU. */
    struct bn_ctx bc = {randn(3, 1), randn(3, 1), 4, 3, 5, 1};
    float *bx = randn(60, 1), *bdy = randn(60, 1), *by = malloc(4 * 60),
          *bdx = malloc(4 * 60);
    float mean[3], var[3], dg[3], db[3];
    nd_ref_bn_forward(by, mean, var, bx, bc.g, bc.b, 4, 3, 5, 1);
    nd_ref_bn_backward(bdx, dg, db, bdy, bx, by, mean, var, bc.g, 4, 3, 5, 1);
    fd_check("batch norm+relu input", bn_x, &bc, bx, 60, 60, bdy, bdx, 1e-3);

    /* Max pooling. */
    int pd[3] = {2, 2, 6};
    float *px = randn(144, 1), *pdy = randn(2 * 2 * 9, 1), *pdx = malloc(4 * 144);
    nd_ref_maxpool_backward(pdx, pdy, px, 2, 2, 6, 6);
    fd_check("max pool input", pool_x, pd, px, 144, 36, pdy, pdx, 1e-3);

    /* Linear, layer norm, GELU, attention. */
    struct lin_ctx lc = {randn(5 * 6, 1), 3, 6, 5};
    float *lx = randn(18, 1), *ldy = randn(15, 1), *ldx = malloc(4 * 18),
          *ldw = malloc(4 * 30);
    nd_ref_linear_backward(ldx, ldw, NULL, ldy, lx, lc.w, 3, 6, 5);
    fd_check("linear input", lin_x, &lc, lx, 18, 15, ldy, ldx, 1e-2);
    struct ln_ctx nc = {randn(8, 1), randn(8, 1), 3, 8};
    float *nx = randn(24, 1), *ndy = randn(24, 1), *ndx = malloc(4 * 24), nw[8], nb[8];
    nd_ref_layernorm_backward(ndx, nw, nb, ndy, nx, nc.w, 3, 8);
    fd_check("layer norm input", ln_x, &nc, nx, 24, 24, ndy, ndx, 1e-3);
    int gn = 20;
    float *gx = randn(20, 1), *gdy = randn(20, 1), *gdx = malloc(4 * 20);
    nd_ref_gelu_backward(gdx, gdy, gx, 20);
    fd_check("gelu input", gelu_x, &gn, gx, 20, 20, gdy, gdx, 1e-3);
    int ad[4] = {2, 3, 2, 4};
    float *ax = randn(2 * 3 * 24, 1), *ady = randn(2 * 3 * 8, 1), *adx = malloc(4 * 144);
    nd_ref_attention_backward(adx, ady, ax, 2, 3, 2, 4);
    fd_check("attention qkv", attn_x, ad, ax, 144, 48, ady, adx, 1e-3);

    /* Mean over tokens: dx = dy / L for every token. */
    int md[3] = {2, 5, 6};
    float *mx = randn(60, 1), *mdy = randn(12, 1), *mdx = malloc(4 * 60);
    for (int s = 0; s < 2; s++)
        for (int t = 0; t < 5; t++)
            for (int j = 0; j < 6; j++)
                mdx[(s * 5 + t) * 6 + j] = mdy[s * 6 + j] / 5;
    fd_check("mean over tokens", mean_x, md, mx, 60, 12, mdy, mdx, 1e-2);

    /* ReLU (fast kernel, backward by the output) and the frame difference. */
    int rn = 40;
    float *rx = randn(40, 1), *rdy = randn(40, 1), *ry = malloc(4 * 40),
          *rdx = malloc(4 * 40);
    nd_relu_forward(ry, rx, 40);
    nd_relu_backward(rdx, rdy, ry, 40);
    fd_check("relu", relu_x, &rn, rx, 40, 40, rdy, rdx, 1e-4);
    int sn = 30;
    float *sx = randn(60, 1), *sdy = randn(30, 1), *sdx = malloc(4 * 60);
    for (int i = 0; i < 30; i++) {
        sdx[i] = -sdy[i];
        sdx[30 + i] = sdy[i];
    }
    fd_check("frame difference", sub_x, &sn, sx, 60, 30, sdy, sdx, 1e-2);

    /* Cross-entropy with label smoothing. */
    int labels[3] = {1, 0, 6};
    struct ce_ctx ec = {labels, 3, 7, 0.1f};
    float *ex = randn(21, 2), one = 1.0f, *edx = malloc(4 * 21);
    nd_ref_cross_entropy(edx, ex, labels, 3, 7, 0.1f);
    fd_check("cross-entropy logits", ce_x, &ec, ex, 21, 1, &one, edx, 1e-3);
}

int main(void) {
    nd_rng_seed(&rng, 1234);
    nrdfer_set_threads(2);
    if (nd_dnnl_init()) {
        printf("FAIL oneDNN init\n");
        return 1;
    }

    test_conv(2, 3, 13, 16, 3, 2, 1);
    test_conv(2, 16, 7, 16, 3, 1, 0);
    test_conv(2, 16, 8, 32, 3, 2, 0);
    test_conv(2, 16, 7, 32, 3, 2, 0);
    test_conv(2, 32, 7, 16, 1, 2, 0);
    test_conv(3, 16, 3, 16, 3, 2, 0);
    test_conv(2, 16, 2, 16, 3, 2, 0);
    test_bn(3, 16, 5, 0);
    test_bn(3, 32, 4, 1);
    test_bn(4, 16, 1, 1);
    test_pool(2, 16, 9);
    test_pool(2, 16, 8);
    test_transformer_ops();
    test_finite_differences();

    printf("%s: %d failed\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
