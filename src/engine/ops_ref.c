#include "engine/ops_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define IDX4(a, b, c, d, B, C, D) ((((size_t)(a) * (B) + (b)) * (C) + (c)) * (D) + (d))

static int out_size(int in, int k, int stride, int pad) {
    return (in + 2 * pad - k) / stride + 1;
}

void nd_ref_conv_forward(float *y, const float *x, const float *w, int n, int c, int h, int wd,
                         int o, int k, int stride, int pad) {
    int oh = out_size(h, k, stride, pad), ow = out_size(wd, k, stride, pad);
    for (int b = 0; b < n; b++)
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double s = 0;
                    for (int ic = 0; ic < c; ic++)
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++) {
                                int yi = i * stride - pad + ki, xj = j * stride - pad + kj;
                                if (yi < 0 || yi >= h || xj < 0 || xj >= wd)
                                    continue;
                                s += (double)x[IDX4(b, ic, yi, xj, c, h, wd)] *
                                     w[IDX4(oc, ic, ki, kj, c, k, k)];
                            }
                    y[IDX4(b, oc, i, j, o, oh, ow)] = (float)s;
                }
}

void nd_ref_conv_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
                          int n, int c, int h, int wd, int o, int k, int stride, int pad) {
    int oh = out_size(h, k, stride, pad), ow = out_size(wd, k, stride, pad);
    double *gx = calloc((size_t)n * c * h * wd, sizeof *gx);
    double *gw = calloc((size_t)o * c * k * k, sizeof *gw);
    for (int b = 0; b < n; b++)
        for (int oc = 0; oc < o; oc++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double g = dy[IDX4(b, oc, i, j, o, oh, ow)];
                    for (int ic = 0; ic < c; ic++)
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++) {
                                int yi = i * stride - pad + ki, xj = j * stride - pad + kj;
                                if (yi < 0 || yi >= h || xj < 0 || xj >= wd)
                                    continue;
                                gx[IDX4(b, ic, yi, xj, c, h, wd)] +=
                                    g * w[IDX4(oc, ic, ki, kj, c, k, k)];
                                gw[IDX4(oc, ic, ki, kj, c, k, k)] +=
                                    g * x[IDX4(b, ic, yi, xj, c, h, wd)];
                            }
                }
    for (size_t i = 0; i < (size_t)n * c * h * wd; i++)
        dx[i] = (float)gx[i];
    for (size_t i = 0; i < (size_t)o * c * k * k; i++)
        dw[i] = (float)gw[i];
    free(gx);
    free(gw);
}

void nd_ref_bn_forward(float *y, float *mean, float *var, const float *x, const float *gamma,
                       const float *beta, int n, int c, int hw, int relu) {
    for (int ch = 0; ch < c; ch++) {
        double s = 0, ss = 0, cnt = (double)n * hw;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++)
                s += x[((size_t)b * c + ch) * hw + i];
        double mu = s / cnt;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++) {
                double d = x[((size_t)b * c + ch) * hw + i] - mu;
                ss += d * d;
            }
        double v = ss / cnt, r = 1.0 / sqrt(v + 1e-5);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++) {
                size_t at = ((size_t)b * c + ch) * hw + i;
                double out = (x[at] - mu) * r * gamma[ch] + beta[ch];
                y[at] = (float)(relu && out < 0 ? 0 : out);
            }
        mean[ch] = (float)mu;
        var[ch] = (float)v;
    }
}

void nd_ref_bn_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                        const float *x, const float *y, const float *mean, const float *var,
                        const float *gamma, int n, int c, int hw, int relu) {
    for (int ch = 0; ch < c; ch++) {
        double cnt = (double)n * hw, r = 1.0 / sqrt(var[ch] + 1e-5), sg = 0, sgx = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++) {
                size_t at = ((size_t)b * c + ch) * hw + i;
                double g = relu && y[at] <= 0 ? 0 : dy[at];
                sg += g;
                sgx += g * (x[at] - mean[ch]) * r;
            }
        dgamma[ch] = (float)sgx;
        dbeta[ch] = (float)sg;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < hw; i++) {
                size_t at = ((size_t)b * c + ch) * hw + i;
                double g = relu && y[at] <= 0 ? 0 : dy[at];
                double xhat = (x[at] - mean[ch]) * r;
                dx[at] = (float)(gamma[ch] * r * (g - sg / cnt - xhat * sgx / cnt));
            }
    }
}

void nd_ref_bn_infer(float *y, const float *x, const float *gamma, const float *beta,
                     const float *mean, const float *var, int n, int c, int hw, int relu) {
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < hw; i++) {
                size_t at = ((size_t)b * c + ch) * hw + i;
                double out = (x[at] - mean[ch]) / sqrt(var[ch] + 1e-5) * gamma[ch] + beta[ch];
                y[at] = (float)(relu && out < 0 ? 0 : out);
            }
}

/* Index of the maximum of the 3x3 window (first one on ties), or -1. */
static long pool_argmax(const float *x, int h, int w, int i, int j) {
    long best = -1;
    for (int ki = 0; ki < 3; ki++)
        for (int kj = 0; kj < 3; kj++) {
            int yi = 2 * i - 1 + ki, xj = 2 * j - 1 + kj;
            if (yi < 0 || yi >= h || xj < 0 || xj >= w)
                continue;
            long at = (long)yi * w + xj;
            if (best < 0 || x[at] > x[best])
                best = at;
        }
    return best;
}

void nd_ref_maxpool_forward(float *y, const float *x, int n, int c, int h, int w) {
    int oh = out_size(h, 3, 2, 1), ow = out_size(w, 3, 2, 1);
    for (int p = 0; p < n * c; p++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                const float *plane = x + (size_t)p * h * w;
                y[((size_t)p * oh + i) * ow + j] = plane[pool_argmax(plane, h, w, i, j)];
            }
}

void nd_ref_maxpool_backward(float *dx, const float *dy, const float *x, int n, int c, int h,
                             int w) {
    int oh = out_size(h, 3, 2, 1), ow = out_size(w, 3, 2, 1);
    memset(dx, 0, sizeof(float) * (size_t)n * c * h * w);
    for (int p = 0; p < n * c; p++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                const float *plane = x + (size_t)p * h * w;
                dx[(size_t)p * h * w + pool_argmax(plane, h, w, i, j)] +=
                    dy[((size_t)p * oh + i) * ow + j];
            }
}

void nd_ref_linear_forward(float *y, const float *x, const float *w, const float *b, int m,
                           int k, int n) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = b ? b[j] : 0;
            for (int q = 0; q < k; q++)
                s += (double)x[(size_t)i * k + q] * w[(size_t)j * k + q];
            y[(size_t)i * n + j] = (float)s;
        }
}

void nd_ref_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                            const float *w, int m, int k, int n) {
    for (int i = 0; i < m; i++)
        for (int q = 0; q < k; q++) {
            double s = 0;
            for (int j = 0; j < n; j++)
                s += (double)dy[(size_t)i * n + j] * w[(size_t)j * k + q];
            dx[(size_t)i * k + q] = (float)s;
        }
    for (int j = 0; j < n; j++) {
        double sb = 0;
        for (int q = 0; q < k; q++) {
            double s = 0;
            for (int i = 0; i < m; i++)
                s += (double)dy[(size_t)i * n + j] * x[(size_t)i * k + q];
            dw[(size_t)j * k + q] = (float)s;
        }
        for (int i = 0; i < m; i++)
            sb += dy[(size_t)i * n + j];
        if (db)
            db[j] = (float)sb;
    }
}

void nd_ref_layernorm_forward(float *y, const float *x, const float *w, const float *b, int m,
                              int d) {
    for (int i = 0; i < m; i++) {
        const float *r = x + (size_t)i * d;
        double mu = 0, v = 0;
        for (int j = 0; j < d; j++)
            mu += r[j];
        mu /= d;
        for (int j = 0; j < d; j++)
            v += (r[j] - mu) * (r[j] - mu);
        v /= d;
        for (int j = 0; j < d; j++)
            y[(size_t)i * d + j] = (float)((r[j] - mu) / sqrt(v + 1e-5) * w[j] + b[j]);
    }
}

void nd_ref_layernorm_backward(float *dx, float *dw, float *db, const float *dy,
                               const float *x, const float *w, int m, int d) {
    memset(dw, 0, sizeof(float) * d);
    memset(db, 0, sizeof(float) * d);
    for (int i = 0; i < m; i++) {
        const float *r = x + (size_t)i * d, *g = dy + (size_t)i * d;
        double mu = 0, v = 0, sg = 0, sgx = 0;
        for (int j = 0; j < d; j++)
            mu += r[j];
        mu /= d;
        for (int j = 0; j < d; j++)
            v += (r[j] - mu) * (r[j] - mu);
        v /= d;
        double rs = 1.0 / sqrt(v + 1e-5);
        for (int j = 0; j < d; j++) {
            double xhat = (r[j] - mu) * rs;
            sg += g[j] * w[j];
            sgx += g[j] * w[j] * xhat;
            dw[j] += (float)(g[j] * xhat);
            db[j] += g[j];
        }
        for (int j = 0; j < d; j++) {
            double xhat = (r[j] - mu) * rs;
            dx[(size_t)i * d + j] = (float)(rs * (g[j] * w[j] - sg / d - xhat * sgx / d));
        }
    }
}

void nd_ref_gelu_forward(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) {
        double v = x[i];
        y[i] = (float)(0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
    }
}

void nd_ref_gelu_backward(float *dx, const float *dy, const float *x, int n) {
    for (int i = 0; i < n; i++) {
        double v = x[i], c = sqrt(2 / M_PI);
        double t = tanh(c * (v + 0.044715 * v * v * v));
        double d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v);
        dx[i] = (float)(dy[i] * d);
    }
}

/* Softmax of the scaled scores of query i of head hi in sequence si. */
static void attention_row(double *a, const float *qkv, int l, int h, int e, int si, int hi,
                          int i) {
    int inner = h * e, row = 3 * inner;
    const float *base = qkv + (size_t)si * l * row;
    double mx = -INFINITY, sum = 0;
    for (int j = 0; j < l; j++) {
        double dot = 0;
        for (int c = 0; c < e; c++)
            dot += (double)base[(size_t)i * row + hi * e + c] *
                   base[(size_t)j * row + inner + hi * e + c];
        a[j] = dot / sqrt((double)e);
        mx = fmax(mx, a[j]);
    }
    for (int j = 0; j < l; j++) {
        a[j] = exp(a[j] - mx);
        sum += a[j];
    }
    for (int j = 0; j < l; j++)
        a[j] /= sum;
}

void nd_ref_attention_forward(float *out, const float *qkv, int s, int l, int h, int e) {
    int inner = h * e, row = 3 * inner;
    double *a = malloc(sizeof *a * l);
    for (int si = 0; si < s; si++)
        for (int hi = 0; hi < h; hi++)
            for (int i = 0; i < l; i++) {
                attention_row(a, qkv, l, h, e, si, hi, i);
                for (int c = 0; c < e; c++) {
                    double o = 0;
                    for (int j = 0; j < l; j++)
                        o += a[j] * qkv[((size_t)si * l + j) * row + 2 * inner + hi * e + c];
                    out[((size_t)si * l + i) * inner + hi * e + c] = (float)o;
                }
            }
    free(a);
}

void nd_ref_attention_backward(float *dqkv, const float *dout, const float *qkv, int s, int l,
                               int h, int e) {
    int inner = h * e, row = 3 * inner;
    double *a = malloc(sizeof *a * l), *da = malloc(sizeof *da * l);
    double *g = calloc((size_t)s * l * row, sizeof *g);
    for (int si = 0; si < s; si++)
        for (int hi = 0; hi < h; hi++)
            for (int i = 0; i < l; i++) {
                attention_row(a, qkv, l, h, e, si, hi, i);
                const float *go = dout + ((size_t)si * l + i) * inner + hi * e;
                double dot = 0;
                for (int j = 0; j < l; j++) {
                    const float *v = qkv + ((size_t)si * l + j) * row + 2 * inner + hi * e;
                    da[j] = 0;
                    for (int c = 0; c < e; c++) {
                        da[j] += go[c] * v[c];
                        g[((size_t)si * l + j) * row + 2 * inner + hi * e + c] += a[j] * go[c];
                    }
                    dot += da[j] * a[j];
                }
                for (int j = 0; j < l; j++) {
                    double ds = a[j] * (da[j] - dot) / sqrt((double)e);
                    for (int c = 0; c < e; c++) {
                        size_t qi = ((size_t)si * l + i) * row + hi * e + c;
                        size_t kj = ((size_t)si * l + j) * row + inner + hi * e + c;
                        g[qi] += ds * qkv[kj];
                        g[kj] += ds * qkv[qi];
                    }
                }
            }
    for (size_t i = 0; i < (size_t)s * l * row; i++)
        dqkv[i] = (float)g[i];
    free(a);
    free(da);
    free(g);
}

void nd_ref_mean_tokens(float *y, const float *x, int s, int l, int d) {
    for (int si = 0; si < s; si++)
        for (int j = 0; j < d; j++) {
            double sum = 0;
            for (int t = 0; t < l; t++)
                sum += x[((size_t)si * l + t) * d + j];
            y[(size_t)si * d + j] = (float)(sum / l);
        }
}

double nd_ref_cross_entropy(float *dlogits, const float *logits, const int *labels, int b,
                            int c, float smoothing) {
    double total = 0;
    for (int i = 0; i < b; i++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < c; j++)
            mx = fmax(mx, logits[i * c + j]);
        for (int j = 0; j < c; j++)
            sum += exp(logits[i * c + j] - mx);
        for (int j = 0; j < c; j++) {
            double logp = logits[i * c + j] - mx - log(sum);
            double target = smoothing / c + (j == labels[i] ? 1 - smoothing : 0);
            total -= target * logp;
            if (dlogits)
                dlogits[i * c + j] = (float)((exp(logp) - target) / b);
        }
    }
    return total / b;
}
