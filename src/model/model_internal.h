/* The model object behind the public nrdfer_model handle. */
#ifndef ND_MODEL_MODEL_INTERNAL_H
#define ND_MODEL_MODEL_INTERNAL_H

#include "model/net.h"
#include "nrdfer.h"

struct nrdfer_model {
    nrdfer_config config;
    nd_params params;
    nd_weights w;
    nd_dims d;
    float *values; /* every tensor of params, PyTorch layouts */
    float *grads;  /* same offsets; allocated on the first training step */
    float *moment1, *moment2; /* SGD momentum or Adam moments, same offsets */
    long step;                 /* optimizer steps taken */
    nrdfer_optimizer_kind optimizer_kind;
    long version;              /* incremented at each weight change */
    nd_plan *train_plan, *infer_plan;
};

/* Runs the forward pass of n clips and returns the plan that contains the
 * results (logits and snippet logits), or NULL on failure. */
nd_plan *nd_model_forward(nrdfer_model *m, const float *clips, int n, int training);
/* Cross-entropy on the video logits of the last training forward, then the
 * backward pass into m->grads. Returns the mean loss. */
float nd_model_backward(nrdfer_model *m, const int *labels, float label_smoothing);
/* One optimizer update from m->grads. */
void nd_model_optimizer_step(nrdfer_model *m, const nrdfer_optimizer_config *opt, float lr);
/* Applies the snippet filter to one clip: logits [classes] (modified: the
 * neutral logit becomes -inf when suppressed), snippet logits [K, classes].
 * Returns 1 when neutral was suppressed. */
int nd_snippet_filter(const nrdfer_config *c, float *logits, const float *snippet_logits,
                      int snippets);

#endif
