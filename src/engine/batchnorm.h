/* Batch normalization per channel over N, H, W (eps 1e-5), with an optional
 * ReLU after it, on activations in the backend's layout: channel blocks of
 * `block` lanes (nChw16c, nChw8c, or plain nchw with block 1).
 *
 * Sums are accumulated in double, as PyTorch's CPU kernels do (at::acc_type
 * of float is double), in fixed chunks of images combined in order, so the
 * result does not depend on the thread count. oneDNN 2.6's kernel sums in
 * float and differs from PyTorch by up to 1e-3 relative on the 32,768-value
 * channels of the stem, which is why the model does not use it. */
#ifndef ND_ENGINE_BATCHNORM_H
#define ND_ENGINE_BATCHNORM_H

typedef struct nd_bn {
    int n, c, hw, block, relu;
} nd_bn;

/* block: lanes per channel block of the layout (1 for nchw). */
void nd_bn_init(nd_bn *b, int n, int c, int hw, int block, int relu);

/* Training mode: normalises with the batch mean and biased variance, which
 * it writes to mean and var [c]. */
void nd_bn_forward_train(const nd_bn *b, const float *src, float *dst, const float *scale,
                         const float *shift, float *mean, float *var);
/* Eval mode: normalises with the running statistics. */
void nd_bn_forward_infer(const nd_bn *b, const float *src, float *dst, const float *scale,
                         const float *shift, const float *mean, const float *var);
/* Writes dsrc, dscale and dshift [c]; the ReLU mask is recomputed from src. */
void nd_bn_backward(const nd_bn *b, const float *src, const float *mean, const float *var,
                    const float *ddst, const float *scale, const float *shift, float *dsrc,
                    float *dscale, float *dshift);

#endif
