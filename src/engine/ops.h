/* CPU kernels for the transformer part and element-wise work, on plain
 * row-major float arrays. Matrix products go through oneDNN's sgemm. The
 * rest are OpenMP loops whose reductions run in a fixed order, so their
 * results do not depend on the thread count (sgemm's may).
 *
 * Legend: M rows (tokens of all sequences), K input width, N output width,
 * D model width, L tokens per sequence, S sequences, H heads, E head width.
 * Backward functions write parameter gradients (they do not add to them);
 * input gradients are written when beta = 0 and added when beta = 1. */
#ifndef ND_ENGINE_OPS_H
#define ND_ENGINE_OPS_H

#include <stddef.h>

/* C[M,N] = alpha * op(A) op(B) + beta * C, row-major, op = transpose when
 * trans_a / trans_b is 'T'. */
void nd_gemm(char trans_a, char trans_b, int m, int n, int k, float alpha, const float *a,
             int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* y[M,N] = x[M,K] W[N,K]^T + bias[N] (bias may be NULL). */
void nd_linear_forward(float *y, const float *x, const float *w, const float *bias, int m,
                       int k, int n);
/* dx[M,K] (= or +=, by beta; NULL to skip), dw[N,K], dbias[N] (NULL to skip). */
void nd_linear_backward(float *dx, float *dw, float *dbias, const float *dy,
                        const float *x, const float *w, int m, int k, int n, float beta);

/* y[M,D] = (x - mean) * rstd * w + b per row, eps 1e-5 on the biased
 * variance; saves mean[M] and rstd[M] for the backward pass. */
void nd_layernorm_forward(float *y, float *mean, float *rstd, const float *x,
                          const float *w, const float *b, int m, int d);
void nd_layernorm_backward(float *dx, float *dw, float *db, const float *dy,
                           const float *x, const float *mean, const float *rstd,
                           const float *w, int m, int d, float beta);

/* GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
void nd_gelu_forward(float *y, const float *x, size_t n);
void nd_gelu_backward(float *dx, const float *dy, const float *x, size_t n);

/* Multi-head softmax attention with scale 1/sqrt(E). Each row of
 * qkv[S,L,3*H*E] contains all q, then all k, then all v, each head's E
 * columns in turn. Writes out[S,L,H*E] and keeps the softmax in
 * att[S,H,L,L] for the backward pass. */
void nd_attention_forward(float *out, float *att, const float *qkv, int s, int l, int h,
                          int e);
/* dqkv written (not added). */
void nd_attention_backward(float *dqkv, const float *dout, const float *qkv,
                           const float *att, int s, int l, int h, int e);

/* Softmax cross-entropy, mean over the batch of B rows of C logits, with
 * label smoothing eps as PyTorch's CrossEntropyLoss applies it. Writes
 * dlogits[B,C] (gradient of the mean loss) when not NULL; returns the loss. */
float nd_softmax_cross_entropy(float *dlogits, const float *logits, const int *labels,
                               int b, int c, float smoothing);

/* probs[C] = softmax(logits[C]); -INFINITY logits give probability 0. */
void nd_softmax(float *probs, const float *logits, int c);

/* Element-wise helpers on n floats. */
void nd_add(float *y, const float *a, const float *b, size_t n); /* y = a + b */
void nd_sub(float *y, const float *a, const float *b, size_t n); /* y = a - b */
void nd_acc(float *y, const float *a, size_t n);                 /* y += a */
void nd_relu_forward(float *y, const float *x, size_t n);
void nd_relu_backward(float *dx, const float *dy, const float *y,
                      size_t n); /* by output */
void nd_zero(float *y, size_t n);

#endif
