#include "model/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

size_t nd_params_add(nd_params *p, const char *name, int ndim, const int64_t *shape,
                     nd_init init, int fan, int trainable) {
    if (p->count == p->capacity) {
        p->capacity = p->capacity ? 2 * p->capacity : 128;
        p->tensors = nd_realloc(p->tensors, sizeof *p->tensors * (size_t)p->capacity);
    }
    nd_tensor_info *t = &p->tensors[p->count++];
    memset(t, 0, sizeof *t);
    ND_ASSERT(strlen(name) < sizeof t->name);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->count = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->count *= (size_t)shape[i];
    }
    t->init = init;
    t->fan = fan;
    t->trainable = trainable;
    t->offset = p->total;
    p->total += (t->count + 15) / 16 * 16;
    return t->offset;
}

const nd_tensor_info *nd_params_find(const nd_params *p, const char *name) {
    for (int i = 0; i < p->count; i++)
        if (!strcmp(p->tensors[i].name, name))
            return &p->tensors[i];
    return NULL;
}

size_t nd_params_trainable_count(const nd_params *p) {
    size_t n = 0;
    for (int i = 0; i < p->count; i++)
        if (p->tensors[i].trainable)
            n += p->tensors[i].count;
    return n;
}

void nd_params_init(const nd_params *p, float *values, uint64_t seed) {
    for (int i = 0; i < p->count; i++) {
        const nd_tensor_info *t = &p->tensors[i];
        float *v = values + t->offset;
        nd_rng rng;
        nd_rng_seed(&rng, nd_rng_derive(seed, (uint64_t)i, 0x9a4a));
        for (size_t j = 0; j < t->count; j++) {
            switch (t->init) {
            case ND_INIT_KAIMING_OUT:
                v[j] = (float)(nd_rng_normal(&rng) * sqrt(2.0 / t->fan));
                break;
            case ND_INIT_ONES:
                v[j] = 1.0f;
                break;
            case ND_INIT_ZEROS:
                v[j] = 0.0f;
                break;
            case ND_INIT_UNIFORM_FAN_IN: {
                double bound = 1.0 / sqrt((double)t->fan);
                v[j] = (float)nd_rng_range(&rng, -bound, bound);
                break;
            }
            case ND_INIT_NORMAL:
                v[j] = (float)nd_rng_normal(&rng);
                break;
            }
        }
    }
}

void nd_params_free(nd_params *p) {
    free(p->tensors);
    memset(p, 0, sizeof *p);
}
