/* Plain C reference kernels, one per operation of the model, written for
 * clarity and not speed (accumulation in double). Tests hold the oneDNN
 * units and the fast kernels of ops.h to these, and check these against
 * finite differences. Spatial tensors are plain NCHW. */
#ifndef ND_ENGINE_OPS_REF_H
#define ND_ENGINE_OPS_REF_H

/* Convolution without bias: x[N,C,H,W], w[O,C,k,k] -> y[N,O,OH,OW]. */
void nd_ref_conv_forward(float *y, const float *x, const float *w, int n, int c, int h, int wd,
                         int o, int k, int stride, int pad);
/* Writes dx and dw. */
void nd_ref_conv_backward(float *dx, float *dw, const float *dy, const float *x, const float *w,
                          int n, int c, int h, int wd, int o, int k, int stride, int pad);

/* Batch norm in training mode (batch mean, biased variance, eps 1e-5),
 * optional ReLU after it. Writes mean[c], var[c]. */
void nd_ref_bn_forward(float *y, float *mean, float *var, const float *x, const float *gamma,
                       const float *beta, int n, int c, int hw, int relu);
/* Writes dx, dgamma, dbeta. y is the forward output (for the ReLU mask). */
void nd_ref_bn_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                        const float *x, const float *y, const float *mean, const float *var,
                        const float *gamma, int n, int c, int hw, int relu);
/* Batch norm in eval mode with running statistics. */
void nd_ref_bn_infer(float *y, const float *x, const float *gamma, const float *beta,
                     const float *mean, const float *var, int n, int c, int hw, int relu);

/* Max pooling 3x3, stride 2, padding 1. */
void nd_ref_maxpool_forward(float *y, const float *x, int n, int c, int h, int w);
void nd_ref_maxpool_backward(float *dx, const float *dy, const float *x, int n, int c, int h,
                             int w);

/* Linear y[M,N] = x[M,K] W[N,K]^T + b; backward writes dx, dw, db. */
void nd_ref_linear_forward(float *y, const float *x, const float *w, const float *b, int m,
                           int k, int n);
void nd_ref_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                            const float *w, int m, int k, int n);

void nd_ref_layernorm_forward(float *y, const float *x, const float *w, const float *b, int m,
                              int d);
void nd_ref_layernorm_backward(float *dx, float *dw, float *db, const float *dy,
                               const float *x, const float *w, int m, int d);

void nd_ref_gelu_forward(float *y, const float *x, int n);
void nd_ref_gelu_backward(float *dx, const float *dy, const float *x, int n);

/* Attention over qkv[S,L,3*H*E] as in ops.h; out[S,L,H*E]. */
void nd_ref_attention_forward(float *out, const float *qkv, int s, int l, int h, int e);
void nd_ref_attention_backward(float *dqkv, const float *dout, const float *qkv, int s, int l,
                               int h, int e);

/* Mean over L tokens: x[S,L,D] -> y[S,D]. */
void nd_ref_mean_tokens(float *y, const float *x, int s, int l, int d);

/* Softmax cross-entropy (mean over B rows, label smoothing eps). */
double nd_ref_cross_entropy(float *dlogits, const float *logits, const int *labels, int b,
                            int c, float smoothing);

#endif
