/* Which training clips are seen, and in what order: the stratified
 * validation split and the per-epoch order of training clips. Both are pure
 * functions of (seed, epoch), so a resumed run sees the same clips in the
 * same order as an uninterrupted one, whatever the thread count. */
#ifndef ND_TRAIN_SAMPLER_H
#define ND_TRAIN_SAMPLER_H

#include <stdint.h>

/* Splits clips 0..n-1 with labels[] (0..num_classes-1) into training and
 * validation indices: in each class, round(fraction * count) clips chosen at
 * random go to validation (at least 1 for a class with 2 or more clips when
 * fraction > 0, and never the last clip of a class). Both lists are in
 * increasing order; free them with free(). Returns -1 when fraction is
 * outside [0, 1) or validation would be empty while fraction > 0. */
int nd_split_stratified(const int *labels, int n, int num_classes, double fraction,
                        uint64_t seed, int **train, int *num_train, int **val, int *num_val);

/* Fills order[0..n) with the clips of one epoch: a random permutation of
 * 0..n-1, or with balance, n draws with replacement where each class is
 * equally likely and clips of a class equally likely within it. */
void nd_sampler_epoch_order(const int *labels, int n, int num_classes, uint64_t seed,
                            int epoch, int balance, int *order);

#endif
