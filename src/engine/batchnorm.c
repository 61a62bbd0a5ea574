#include "engine/batchnorm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define BN_EPS 1e-5f
#define MAX_CHUNKS 32

void nd_bn_init(nd_bn *b, int n, int c, int hw, int block, int relu) {
    ND_ASSERT(block >= 1 && c % block == 0);
    b->n = n, b->c = c, b->hw = hw, b->block = block, b->relu = relu;
}

/* Offset of image i's channel block cb. */
static size_t block_offset(const nd_bn *b, int i, int cb) {
    return ((size_t)i * (b->c / b->block) + cb) * b->hw * b->block;
}

static int chunk_count(const nd_bn *b) {
    return b->n < MAX_CHUNKS ? b->n : MAX_CHUNKS;
}

/* Sums per channel of f(x) over images [first, last) of chunk k, into
 * acc[k * c + channel]; chunks are summed in order by the caller. */
typedef enum { SUM_X, SUM_SQ_DEV } sum_kind;

static void chunk_sums(const nd_bn *b, const float *x, const float *mean, sum_kind kind,
                       double *acc) {
    int chunks = chunk_count(b), nb = b->c / b->block, bs = b->block;
#pragma omp parallel for schedule(static)
    for (int k = 0; k < chunks; k++) {
        double *a = acc + (size_t)k * b->c;
        int first = (int)((long)b->n * k / chunks),
            last = (int)((long)b->n * (k + 1) / chunks);
        memset(a, 0, sizeof(double) * b->c);
        for (int i = first; i < last; i++)
            for (int cb = 0; cb < nb; cb++) {
                const float *p = x + block_offset(b, i, cb);
                double *ac = a + cb * bs;
                for (int s = 0; s < b->hw; s++)
                    for (int l = 0; l < bs; l++) {
                        double v = p[(size_t)s * bs + l];
                        if (kind == SUM_SQ_DEV) {
                            v -= mean[cb * bs + l];
                            v *= v;
                        }
                        ac[l] += v;
                    }
            }
    }
}

static void reduce_chunks(const nd_bn *b, const double *acc, double *out) {
    for (int ch = 0; ch < b->c; ch++) {
        double s = 0;
        for (int k = 0; k < chunk_count(b); k++)
            s += acc[(size_t)k * b->c + ch];
        out[ch] = s;
    }
}

/* y = (x - mean) * rstd * scale + shift, then ReLU; shared by forward and
 * backward so the ReLU mask is bit-identical. */
static inline float normalize(float x, float mean, float rstd, float scale, float shift) {
    return (x - mean) * rstd * scale + shift;
}

/* Gradient past the fused ReLU: dy where the output was positive, else 0. */
static inline float past_relu(const nd_bn *b, float dy, float x, float mean, float rstd,
                              float scale, float shift) {
    if (b->relu && normalize(x, mean, rstd, scale, shift) <= 0)
        return 0.0f;
    return dy;
}

static void apply(const nd_bn *b, const float *src, float *dst, const float *scale,
                  const float *shift, const float *mean, const float *rstd) {
    int nb = b->c / b->block, bs = b->block;
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < b->n; i++)
        for (int cb = 0; cb < nb; cb++) {
            size_t off = block_offset(b, i, cb);
            for (int s = 0; s < b->hw; s++)
                for (int l = 0; l < bs; l++) {
                    int ch = cb * bs + l;
                    size_t at = off + (size_t)s * bs + l;
                    float y =
                        normalize(src[at], mean[ch], rstd[ch], scale[ch], shift[ch]);
                    dst[at] = b->relu && y < 0 ? 0.0f : y;
                }
        }
}

void nd_bn_forward_train(const nd_bn *b, const float *src, float *dst, const float *scale,
                         const float *shift, float *mean, float *var) {
    double *acc = nd_malloc(sizeof(double) * MAX_CHUNKS * b->c);
    double *sum = nd_malloc(sizeof(double) * b->c);
    float *rstd = nd_malloc(sizeof(float) * b->c);
    double count = (double)b->n * b->hw;

    /* Two passes: the mean, then the mean squared deviation. */
    chunk_sums(b, src, NULL, SUM_X, acc);
    reduce_chunks(b, acc, sum);
    for (int ch = 0; ch < b->c; ch++)
        mean[ch] = (float)(sum[ch] / count);
    chunk_sums(b, src, mean, SUM_SQ_DEV, acc);
    reduce_chunks(b, acc, sum);
    for (int ch = 0; ch < b->c; ch++) {
        var[ch] = (float)(sum[ch] / count);
        rstd[ch] = 1.0f / sqrtf(var[ch] + BN_EPS);
    }
    apply(b, src, dst, scale, shift, mean, rstd);
    free(acc);
    free(sum);
    free(rstd);
}

void nd_bn_forward_infer(const nd_bn *b, const float *src, float *dst, const float *scale,
                         const float *shift, const float *mean, const float *var) {
    float *rstd = nd_malloc(sizeof(float) * b->c);
    for (int ch = 0; ch < b->c; ch++)
        rstd[ch] = 1.0f / sqrtf(var[ch] + BN_EPS);
    apply(b, src, dst, scale, shift, mean, rstd);
    free(rstd);
}

void nd_bn_backward(const nd_bn *b, const float *src, const float *mean, const float *var,
                    const float *ddst, const float *scale, const float *shift,
                    float *dsrc, float *dscale, float *dshift) {
    int chunks = chunk_count(b), nb = b->c / b->block, bs = b->block, c = b->c;
    double *acc = nd_calloc((size_t)2 * chunks * c, sizeof(double));
    float *rstd = nd_malloc(sizeof(float) * c);
    float *mg = nd_malloc(sizeof(float) * c), *mgx = nd_malloc(sizeof(float) * c);
    double count = (double)b->n * b->hw;

    for (int ch = 0; ch < c; ch++)
        rstd[ch] = 1.0f / sqrtf(var[ch] + BN_EPS);

        /* Per channel: sum of g and of g * xhat, g the gradient past the ReLU. */
#pragma omp parallel for schedule(static)
    for (int k = 0; k < chunks; k++) {
        double *sg = acc + (size_t)2 * k * c, *sgx = sg + c;
        int first = (int)((long)b->n * k / chunks),
            last = (int)((long)b->n * (k + 1) / chunks);
        for (int i = first; i < last; i++)
            for (int cb = 0; cb < nb; cb++) {
                size_t off = block_offset(b, i, cb);
                for (int s = 0; s < b->hw; s++)
                    for (int l = 0; l < bs; l++) {
                        int ch = cb * bs + l;
                        size_t at = off + (size_t)s * bs + l;
                        float g = past_relu(b, ddst[at], src[at], mean[ch], rstd[ch],
                                            scale[ch], shift[ch]);
                        sg[ch] += g;
                        sgx[ch] += (double)g * ((src[at] - mean[ch]) * rstd[ch]);
                    }
            }
    }
    for (int ch = 0; ch < c; ch++) {
        double sg = 0, sgx = 0;
        for (int k = 0; k < chunks; k++) {
            sg += acc[(size_t)2 * k * c + ch];
            sgx += acc[(size_t)2 * k * c + c + ch];
        }
        dshift[ch] = (float)sg;
        dscale[ch] = (float)sgx;
        mg[ch] = (float)(sg / count);
        mgx[ch] = (float)(sgx / count);
    }

    /* dx = scale * rstd * (g - mean(g) - xhat * mean(g * xhat)). */
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < b->n; i++)
        for (int cb = 0; cb < nb; cb++) {
            size_t off = block_offset(b, i, cb);
            for (int s = 0; s < b->hw; s++)
                for (int l = 0; l < bs; l++) {
                    int ch = cb * bs + l;
                    size_t at = off + (size_t)s * bs + l;
                    float g = past_relu(b, ddst[at], src[at], mean[ch], rstd[ch],
                                        scale[ch], shift[ch]);
                    float xhat = (src[at] - mean[ch]) * rstd[ch];
                    dsrc[at] = scale[ch] * rstd[ch] * (g - mg[ch] - xhat * mgx[ch]);
                }
        }
    free(acc);
    free(rstd);
    free(mg);
    free(mgx);
}
