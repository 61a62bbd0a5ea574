/* Training augmentation and test transform of NR-DFERNet frames, matching
 * torchvision 0.14's functional ops on PIL images (Pillow 9.4) pixel for
 * pixel. One draw of nd_augment_params is shared by all frames of a clip. */
#ifndef ND_DATA_AUGMENT_H
#define ND_DATA_AUGMENT_H

#include "data/image.h"
#include "util/rng.h"

/* Random draws of one clip, in the order they are applied. */
typedef struct nd_augment_params {
    int crop_top, crop_left, crop_height, crop_width; /* random resized crop */
    int flip;                                         /* horizontal flip */
    double brightness;                                /* brightness factor */
    double angle; /* rotation in degrees, counter-clockwise */
} nd_augment_params;

/* Draws the parameters for frames of width x height: the crop as
 * torchvision 0.14 RandomResizedCrop.get_params with scale (0.9, 1) and
 * log-uniform ratio in (5/7, 7/5), 10 tries and a centre-crop fallback; flip
 * with probability 0.5; brightness U(0.4, 1.6); angle U(-4, 4). */
void nd_augment_draw(nd_augment_params *params, int width, int height, nd_rng *rng);

/* Applies params to one frame: crop, bilinear resize to size x size, flip,
 * brightness, rotation about the centre (nearest, fill 0). dst is allocated
 * here. The crop must fit inside src. */
void nd_augment_apply(nd_image *dst, const nd_image *src, const nd_augment_params *params,
                      int size);

/* Test transform: bilinear resize of the whole frame to size x size. */
void nd_test_transform(nd_image *dst, const nd_image *src, int size);

/* Step functions, exposed for tests. Each allocates dst. */
void nd_image_hflip(nd_image *dst, const nd_image *src);
/* ImageEnhance.Brightness(src).enhance(factor) of Pillow 9.4. */
void nd_image_brightness(nd_image *dst, const nd_image *src, double factor);
/* Image.rotate(angle, NEAREST, fillcolor=0) of Pillow 9.4: same size, about
 * the centre (width / 2, height / 2). */
void nd_image_rotate(nd_image *dst, const nd_image *src, double angle);

/* Writes image as float [3][height][width] with values byte / 255. */
void nd_image_to_chw(float *out, const nd_image *image);

#endif
