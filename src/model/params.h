/* The model's tensors: a table of names, shapes and offsets into one flat
 * float array (parameters and BN running statistics alike), with PyTorch's
 * names of model.md so checkpoints interchange by name. Gradients and
 * optimizer state use the same offsets in arrays of the same size. */
#ifndef ND_MODEL_PARAMS_H
#define ND_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"

typedef enum nd_init {
    ND_INIT_KAIMING_OUT, /* conv: normal(0, sqrt(2 / fan_out)), fan_out = out * kh * kw */
    ND_INIT_ONES,
    ND_INIT_ZEROS,
    ND_INIT_UNIFORM_FAN_IN, /* linear: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    ND_INIT_NORMAL,         /* position embeddings, class token: normal(0, 1) */
} nd_init;

typedef struct nd_tensor_info {
    char name[80];
    int ndim;
    int64_t shape[4];
    size_t offset; /* in floats */
    size_t count;
    nd_init init;
    int fan;       /* fan used by the initialisation */
    int trainable; /* 0 for BN running statistics */
} nd_tensor_info;

typedef struct nd_params {
    nd_tensor_info *tensors;
    int count, capacity;
    size_t total; /* floats */
} nd_params;

/* Appends a tensor and returns its offset. Offsets are 16-float aligned. */
size_t nd_params_add(nd_params *p, const char *name, int ndim, const int64_t *shape,
                     nd_init init, int fan, int trainable);
const nd_tensor_info *nd_params_find(const nd_params *p, const char *name);
size_t nd_params_trainable_count(const nd_params *p);
/* Fills values per each tensor's initialisation, from seed, in table order. */
void nd_params_init(const nd_params *p, float *values, uint64_t seed);
void nd_params_free(nd_params *p);

#endif
