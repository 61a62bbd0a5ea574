/* Class-balanced sampling of training clips: the clips of one epoch drawn
 * with replacement so that every class present is equally likely. The draw
 * is a function of (seed, epoch), so a resumed run trains on the same clips
 * in the same order as an uninterrupted one. */
#ifndef ND_TRAIN_SAMPLER_H
#define ND_TRAIN_SAMPLER_H

#include <stdint.h>

/* Fills order[0..n) with positions into labels[0..n): each draw picks a
 * class uniformly among those present, then a clip of it uniformly. */
void nd_balanced_order(const int *labels, int n, int num_classes, uint64_t seed, int epoch,
                       int *order);

#endif
