#include "engine/ops.h"

#include <dnnl.h>
#include <math.h>
#include <string.h>

#include "util/error.h"

void nd_gemm(char trans_a, char trans_b, int m, int n, int k, float alpha, const float *a,
             int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    ND_ASSERT(dnnl_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) ==
              dnnl_success);
}

void nd_linear_forward(float *y, const float *x, const float *w, const float *bias, int m,
                       int k, int n) {
    nd_gemm('N', 'T', m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
    if (!bias)
        return;
#pragma omp parallel for schedule(static)
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            y[(size_t)i * n + j] += bias[j];
}

void nd_linear_backward(float *dx, float *dw, float *dbias, const float *dy, const float *x,
                        const float *w, int m, int k, int n, float beta) {
    if (dx)
        nd_gemm('N', 'N', m, k, n, 1.0f, dy, n, w, k, beta, dx, k);
    nd_gemm('T', 'N', n, k, m, 1.0f, dy, n, x, k, 0.0f, dw, k);
    if (!dbias)
        return;
#pragma omp parallel for schedule(static)
    for (int j = 0; j < n; j++) {
        float s = 0;
        for (int i = 0; i < m; i++)
            s += dy[(size_t)i * n + j];
        dbias[j] = s;
    }
}

void nd_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int m, int d) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * d;
        float *yi = y + (size_t)i * d;
        double s = 0, ss = 0;
        for (int j = 0; j < d; j++)
            s += xi[j];
        double mu = s / d;
        for (int j = 0; j < d; j++)
            ss += (xi[j] - mu) * (xi[j] - mu);
        float r = (float)(1.0 / sqrt(ss / d + 1e-5));
        for (int j = 0; j < d; j++)
            yi[j] = ((xi[j] - (float)mu) * r) * w[j] + b[j];
        mean[i] = (float)mu;
        rstd[i] = r;
    }
}

void nd_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                           const float *mean, const float *rstd, const float *w, int m, int d,
                           float beta) {
    /* Input gradient, one row per iteration:
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w. */
#pragma omp parallel for schedule(static)
    for (int i = 0; i < m; i++) {
        const float *xi = x + (size_t)i * d, *dyi = dy + (size_t)i * d;
        float *dxi = dx + (size_t)i * d;
        double sg = 0, sgx = 0;
        for (int j = 0; j < d; j++) {
            float xhat = (xi[j] - mean[i]) * rstd[i];
            float g = dyi[j] * w[j];
            sg += g;
            sgx += g * xhat;
        }
        float mg = (float)(sg / d), mgx = (float)(sgx / d);
        for (int j = 0; j < d; j++) {
            float xhat = (xi[j] - mean[i]) * rstd[i];
            float v = rstd[i] * (dyi[j] * w[j] - mg - xhat * mgx);
            dxi[j] = beta != 0 ? dxi[j] + v : v;
        }
    }

    /* Parameter gradients, one column per iteration, rows summed in order. */
#pragma omp parallel for schedule(static)
    for (int j = 0; j < d; j++) {
        float sw = 0, sb = 0;
        for (int i = 0; i < m; i++) {
            float xhat = (x[(size_t)i * d + j] - mean[i]) * rstd[i];
            sw += dy[(size_t)i * d + j] * xhat;
            sb += dy[(size_t)i * d + j];
        }
        dw[j] = sw;
        db[j] = sb;
    }
}

#define GELU_C 0.7978845608028654f /* sqrt(2 / pi) */

void nd_gelu_forward(float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(GELU_C * (v + 0.044715f * v * v * v)));
    }
}

void nd_gelu_backward(float *dx, const float *dy, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float t = tanhf(GELU_C * (v + 0.044715f * v * v * v));
        float dt = (1.0f - t * t) * GELU_C * (1.0f + 3.0f * 0.044715f * v * v);
        dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * dt);
    }
}

void nd_attention_forward(float *out, float *att, const float *qkv, int s, int l, int h, int e) {
    int inner = h * e, row = 3 * inner;
    float scale = 1.0f / sqrtf((float)e);
#pragma omp parallel for collapse(2) schedule(static)
    for (int si = 0; si < s; si++) {
        for (int hi = 0; hi < h; hi++) {
            const float *base = qkv + (size_t)si * l * row;
            float *a = att + ((size_t)si * h + hi) * l * l;
            for (int i = 0; i < l; i++) {
                const float *q = base + (size_t)i * row + hi * e;
                float mx = -INFINITY;
                for (int j = 0; j < l; j++) {
                    const float *k = base + (size_t)j * row + inner + hi * e;
                    float dot = 0;
                    for (int c = 0; c < e; c++)
                        dot += q[c] * k[c];
                    a[i * l + j] = dot * scale;
                    mx = fmaxf(mx, a[i * l + j]);
                }
                float sum = 0;
                for (int j = 0; j < l; j++) {
                    a[i * l + j] = expf(a[i * l + j] - mx);
                    sum += a[i * l + j];
                }
                for (int j = 0; j < l; j++)
                    a[i * l + j] /= sum;
                float *o = out + ((size_t)si * l + i) * inner + hi * e;
                for (int c = 0; c < e; c++)
                    o[c] = 0;
                for (int j = 0; j < l; j++) {
                    const float *v = base + (size_t)j * row + 2 * inner + hi * e;
                    for (int c = 0; c < e; c++)
                        o[c] += a[i * l + j] * v[c];
                }
            }
        }
    }
}

void nd_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           int s, int l, int h, int e) {
    int inner = h * e, row = 3 * inner;
    float scale = 1.0f / sqrtf((float)e);
#pragma omp parallel for collapse(2) schedule(static)
    for (int si = 0; si < s; si++) {
        for (int hi = 0; hi < h; hi++) {
            const float *base = qkv + (size_t)si * l * row;
            float *dbase = dqkv + (size_t)si * l * row;
            const float *a = att + ((size_t)si * h + hi) * l * l;
            float da[l];

            for (int j = 0; j < l; j++) {
                float *dk = dbase + (size_t)j * row + inner + hi * e;
                float *dv = dbase + (size_t)j * row + 2 * inner + hi * e;
                float *dq = dbase + (size_t)j * row + hi * e;
                for (int c = 0; c < e; c++)
                    dk[c] = dv[c] = dq[c] = 0;
            }
            for (int i = 0; i < l; i++) {
                const float *dout_i = dout + ((size_t)si * l + i) * inner + hi * e;
                const float *q = base + (size_t)i * row + hi * e;
                float *dq = dbase + (size_t)i * row + hi * e;

                /* Through o = A v: dA = dout v^T, dv += A^T dout. */
                float dot_sum = 0;
                for (int j = 0; j < l; j++) {
                    const float *v = base + (size_t)j * row + 2 * inner + hi * e;
                    float *dv = dbase + (size_t)j * row + 2 * inner + hi * e;
                    float d = 0;
                    for (int c = 0; c < e; c++) {
                        d += dout_i[c] * v[c];
                        dv[c] += a[i * l + j] * dout_i[c];
                    }
                    da[j] = d;
                    dot_sum += d * a[i * l + j];
                }

                /* Through the softmax, then the scaled product q k^T. */
                for (int j = 0; j < l; j++) {
                    float ds = a[i * l + j] * (da[j] - dot_sum) * scale;
                    const float *k = base + (size_t)j * row + inner + hi * e;
                    float *dk = dbase + (size_t)j * row + inner + hi * e;
                    for (int c = 0; c < e; c++) {
                        dq[c] += ds * k[c];
                        dk[c] += ds * q[c];
                    }
                }
            }
        }
    }
}

void nd_softmax(float *probs, const float *logits, int c) {
    float mx = -INFINITY, sum = 0;
    for (int j = 0; j < c; j++)
        mx = fmaxf(mx, logits[j]);
    for (int j = 0; j < c; j++) {
        probs[j] = isinf(logits[j]) && logits[j] < 0 ? 0.0f : expf(logits[j] - mx);
        sum += probs[j];
    }
    for (int j = 0; j < c; j++)
        probs[j] /= sum;
}

float nd_softmax_cross_entropy(float *dlogits, const float *logits, const int *labels, int b,
                               int c, float smoothing) {
    double total = 0;
    for (int i = 0; i < b; i++) {
        const float *z = logits + (size_t)i * c;
        float mx = -INFINITY;
        for (int j = 0; j < c; j++)
            mx = fmaxf(mx, z[j]);
        double sum = 0;
        for (int j = 0; j < c; j++)
            sum += exp((double)z[j] - mx);
        double lse = mx + log(sum);

        /* Target distribution: (1 - eps) on the label plus eps / C everywhere. */
        double loss = 0;
        for (int j = 0; j < c; j++) {
            double target = smoothing / c + (j == labels[i] ? 1.0 - smoothing : 0.0);
            loss -= target * (z[j] - lse);
            if (dlogits)
                dlogits[(size_t)i * c + j] = (float)((exp(z[j] - lse) - target) / b);
        }
        total += loss;
    }
    return (float)(total / b);
}

void nd_add(float *y, const float *a, const float *b, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void nd_sub(float *y, const float *a, const float *b, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] - b[i];
}

void nd_acc(float *y, const float *a, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] += a[i];
}

void nd_relu_forward(float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
}

void nd_relu_backward(float *dx, const float *dy, const float *y, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] = y[i] > 0 ? dy[i] : 0;
}

void nd_zero(float *y, size_t n) {
    memset(y, 0, n * sizeof *y);
}
