#include "video/facecrop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "util/error.h"

static int place(double centre, int side, int limit) {
    if (side > limit)
        return (limit - side) / 2;
    int x = (int)lround(centre - side / 2.0);
    if (x < 0)
        x = 0;
    if (x > limit - side)
        x = limit - side;
    return x;
}

void nd_face_crop_rect(const nd_box *box, int width, int height, int *x, int *y, int *side) {
    float longer = box->w > box->h ? box->w : box->h;
    int s = (int)lround(ND_FACE_MARGIN * longer);
    if (s < 1)
        s = 1;
    *side = s;
    *x = place(box->x + box->w / 2.0, s, width);
    *y = place(box->y + box->h / 2.0, s, height);
}

void nd_face_square(nd_image *dst, const nd_image *frame, int x, int y, int side) {
    dst->width = dst->height = side;
    dst->rgb = nd_calloc((size_t)side * side * 3, 1);
    for (int row = 0; row < side; row++) {
        int sy = y + row;
        if (sy < 0 || sy >= frame->height)
            continue;
        int x0 = x < 0 ? -x : 0;
        int x1 = x + side > frame->width ? frame->width - x : side;
        if (x1 > x0)
            memcpy(dst->rgb + ((size_t)row * side + x0) * 3,
                   frame->rgb + ((size_t)sy * frame->width + x + x0) * 3,
                   (size_t)(x1 - x0) * 3);
    }
}

void nd_face_crop(const nd_image *frame, const nd_box *box, int size, float *out) {
    nd_image square = {0}, resized = {0};
    const nd_image *src = frame;
    if (box) {
        int x, y, side;
        nd_face_crop_rect(box, frame->width, frame->height, &x, &y, &side);
        nd_face_square(&square, frame, x, y, side);
        src = &square;
    }
    if (src->width != size || src->height != size) {
        nd_test_transform(&resized, src, size);
        src = &resized;
    }
    nd_image_to_chw(out, src);
    nd_image_free(&square);
    nd_image_free(&resized);
}
