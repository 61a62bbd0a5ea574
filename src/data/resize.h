/* Bilinear resizing of 8-bit RGB images, pixel for pixel as Pillow 9.4's
 * Image.resize(size, Image.BILINEAR) computes it (libImaging/Resample.c). */
#ifndef ND_DATA_RESIZE_H
#define ND_DATA_RESIZE_H

#include "data/image.h"

/* Source rectangle in pixel coordinates: left, top, right, bottom. */
typedef struct nd_resize_box {
    float x0, y0, x1, y1;
} nd_resize_box;

/* Resizes the box of src to dst_width x dst_height into dst (allocated here;
 * free with nd_image_free). A NULL box means the whole image. As in Pillow,
 * pixels outside the box but inside the image still feed the filter at the
 * box edges, and shrinking widens the filter by the scale factor
 * (antialiasing). The box must lie inside the image with x0 < x1, y0 < y1. */
void nd_resize_bilinear(nd_image *dst, const nd_image *src, const nd_resize_box *box,
                        int dst_width, int dst_height);

/* Copies the rectangle of width x height pixels at (left, top) of src into
 * dst, like Pillow's Image.crop; the rectangle must lie inside src. */
void nd_image_crop(nd_image *dst, const nd_image *src, int left, int top, int width,
                   int height);

#endif
