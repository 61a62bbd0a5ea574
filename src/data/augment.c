/* Training augmentation and test transform. Each step reproduces the
 * torchvision 0.14 functional op on a PIL image, down to Pillow 9.4's
 * rounding, so that a model trained by a Python loader sees the same pixels. */
#include "data/augment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/resize.h"
#include "util/error.h"

/* Augmentation ranges of NR-DFERNet training. */
#define CROP_SCALE_MIN 0.9
#define CROP_SCALE_MAX 1.0
#define CROP_RATIO_MIN (5.0 / 7.0)
#define CROP_RATIO_MAX (7.0 / 5.0)
#define CROP_TRIES 10
#define BRIGHTNESS_MIN 0.4
#define BRIGHTNESS_MAX 1.6
#define ROTATION_MAX_DEGREES 4.0

/* Draws the crop like RandomResizedCrop.get_params. Python's round() rounds
 * half to even, as rint() does in the default rounding mode. torchvision
 * draws in float32 tensors; here the draws are doubles, which changes the
 * distribution by less than float32 precision. */
static void draw_crop(nd_augment_params *params, int width, int height, nd_rng *rng) {
    double area = (double)height * width;
    double log_min = log(CROP_RATIO_MIN), log_max = log(CROP_RATIO_MAX);

    for (int attempt = 0; attempt < CROP_TRIES; attempt++) {
        double target_area = area * nd_rng_range(rng, CROP_SCALE_MIN, CROP_SCALE_MAX);
        double aspect = exp(nd_rng_range(rng, log_min, log_max));
        int w = (int)rint(sqrt(target_area * aspect));
        int h = (int)rint(sqrt(target_area / aspect));
        if (w > 0 && w <= width && h > 0 && h <= height) {
            params->crop_top = (int)nd_rng_int(rng, 0, height - h);
            params->crop_left = (int)nd_rng_int(rng, 0, width - w);
            params->crop_height = h;
            params->crop_width = w;
            return;
        }
    }

    /* Fallback: the largest centred crop whose aspect lies in the range. */
    double in_ratio = (double)width / height;
    int w = width, h = height;
    if (in_ratio < CROP_RATIO_MIN)
        h = (int)rint(w / CROP_RATIO_MIN);
    else if (in_ratio > CROP_RATIO_MAX)
        w = (int)rint(h * CROP_RATIO_MAX);
    params->crop_top = (height - h) / 2;
    params->crop_left = (width - w) / 2;
    params->crop_height = h;
    params->crop_width = w;
}

void nd_augment_draw(nd_augment_params *params, int width, int height, nd_rng *rng) {
    ND_ASSERT(width > 0 && height > 0);
    draw_crop(params, width, height, rng);
    params->flip = nd_rng_uniform(rng) < 0.5;
    params->brightness = nd_rng_range(rng, BRIGHTNESS_MIN, BRIGHTNESS_MAX);
    params->angle = nd_rng_range(rng, -ROTATION_MAX_DEGREES, ROTATION_MAX_DEGREES);
}

void nd_image_hflip(nd_image *dst, const nd_image *src) {
    dst->width = src->width;
    dst->height = src->height;
    dst->rgb = nd_malloc((size_t)src->width * src->height * 3);
    for (int y = 0; y < src->height; y++) {
        const uint8_t *in = src->rgb + (size_t)y * src->width * 3;
        uint8_t *out = dst->rgb + (size_t)y * src->width * 3;
        for (int x = 0; x < src->width; x++)
            memcpy(out + 3 * (src->width - 1 - x), in + 3 * x, 3);
    }
}

/* Pillow blends with a black image: out = (uint8)(0 + alpha * v) in single
 * precision with alpha = (float)factor, truncated, and clipped to 255 when
 * alpha > 1 (ImagingBlend). */
void nd_image_brightness(nd_image *dst, const nd_image *src, double factor) {
    size_t n = (size_t)src->width * src->height * 3;
    float alpha = (float)factor;
    dst->width = src->width;
    dst->height = src->height;
    dst->rgb = nd_malloc(n);
    for (size_t i = 0; i < n; i++) {
        float v = (float)0 + alpha * (float)src->rgb[i];
        if (alpha >= 0.0f && alpha <= 1.0f)
            dst->rgb[i] = (uint8_t)v;
        else
            dst->rgb[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
    }
}

/* Rounds to 15 decimals like Python's round(x, 15): both print the exact
 * binary value correctly rounded, and strtod reads it back correctly rounded. */
static double round15(double x) {
    char text[64];
    snprintf(text, sizeof(text), "%.15f", x);
    return strtod(text, NULL);
}

/* Python's float modulo: the result takes the sign of the divisor. */
static double python_fmod(double x, double y) {
    double r = fmod(x, y);
    if (r != 0.0 && (r < 0.0) != (y < 0.0))
        r += y;
    return r;
}

/* Maps each output pixel centre through the inverse affine matrix a and takes
 * the nearest input pixel (Pillow's affine_fixed: 16.16 fixed point, or
 * floating point when a coordinate would not fit). Outside pixels stay 0. */
static void affine_nearest(nd_image *dst, const nd_image *src, const double a[6]) {
    int w = dst->width, h = dst->height;
    memset(dst->rgb, 0, (size_t)w * h * 3);

    /* Pillow's check_fixed on the four corners of the output. */
    int fits = 1;
    int corners[4][2] = {{0, 0}, {w, h}, {0, h}, {w, 0}};
    for (int c = 0; c < 4; c++) {
        double x = corners[c][0], y = corners[c][1];
        if (!(fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 &&
              fabs(x * a[3] + y * a[4] + a[5]) < 32768.0))
            fits = 0;
    }

    if (fits) {
        /* 16.16 fixed point; negative coordinates shift to negative indices
         * (GCC's >> on signed values is arithmetic, as Pillow relies on). */
#define FIX(v) ((v) < 0.0 ? (int)floor((v) * 65536.0 + 0.5) : (int)((v) * 65536.0 + 0.5))
        int a0 = FIX(a[0]), a1 = FIX(a[1]), a3 = FIX(a[3]), a4 = FIX(a[4]);
        int a2 = FIX(a[2] + a[0] * 0.5 + a[1] * 0.5);
        int a5 = FIX(a[5] + a[3] * 0.5 + a[4] * 0.5);
#undef FIX
        for (int y = 0; y < h; y++) {
            int xx = a2, yy = a5;
            uint8_t *out = dst->rgb + (size_t)y * w * 3;
            for (int x = 0; x < w; x++) {
                int xin = xx >> 16, yin = yy >> 16;
                if (xin >= 0 && xin < src->width && yin >= 0 && yin < src->height)
                    memcpy(out + 3 * x, src->rgb + ((size_t)yin * src->width + xin) * 3, 3);
                xx += a0;
                yy += a3;
            }
            a2 += a1;
            a5 += a4;
        }
        return;
    }

    /* Floating point, with COORD rounding negative values to -1. */
    double xo = a[2] + a[1] * 0.5 + a[0] * 0.5;
    double yo = a[5] + a[4] * 0.5 + a[3] * 0.5;
    for (int y = 0; y < h; y++) {
        double xx = xo, yy = yo;
        uint8_t *out = dst->rgb + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            int xin = xx < 0.0 ? -1 : (int)xx;
            int yin = yy < 0.0 ? -1 : (int)yy;
            if (xin >= 0 && xin < src->width && yin >= 0 && yin < src->height)
                memcpy(out + 3 * x, src->rgb + ((size_t)yin * src->width + xin) * 3, 3);
            xx += a[0];
            yy += a[3];
        }
        xo += a[1];
        yo += a[4];
    }
}

void nd_image_rotate(nd_image *dst, const nd_image *src, double angle) {
    int w = src->width, h = src->height;
    dst->width = w;
    dst->height = h;
    dst->rgb = nd_malloc((size_t)w * h * 3);

    /* Pillow's exact fast paths: 0, 180, and 90 or 270 on square images. */
    angle = python_fmod(angle, 360.0);
    int quarter = angle == 0.0 ? 0 : angle == 180.0 ? 2 : -1;
    if (w == h && (angle == 90.0 || angle == 270.0))
        quarter = angle == 90.0 ? 1 : 3;
    if (quarter >= 0) {
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                /* Source pixel of output (x, y) after quarter turns anticlockwise. */
                int sx = quarter == 0 ? x : quarter == 1 ? w - 1 - y : quarter == 2 ? w - 1 - x : y;
                int sy = quarter == 0 ? y : quarter == 1 ? x : quarter == 2 ? h - 1 - y : h - 1 - x;
                memcpy(dst->rgb + ((size_t)y * w + x) * 3, src->rgb + ((size_t)sy * w + sx) * 3,
                       3);
            }
        }
        return;
    }

    /* Inverse matrix (output to input) about the centre, as Image.rotate
     * builds it: entries rounded to 15 decimals, then the translation. */
    double radians = -(angle * (M_PI / 180.0));
    double a[6] = {round15(cos(radians)), round15(sin(radians)), 0.0,
                   round15(-sin(radians)), round15(cos(radians)), 0.0};
    double cx = w / 2.0, cy = h / 2.0;
    double tx = a[0] * -cx + a[1] * -cy + a[2];
    double ty = a[3] * -cx + a[4] * -cy + a[5];
    a[2] = tx + cx;
    a[5] = ty + cy;

    /* A matrix without shear (angles below about 3e-14 degrees) is the
     * identity after rounding; Pillow's scaling path then copies. */
    if (a[1] == 0.0 && a[3] == 0.0) {
        ND_ASSERT(a[0] == 1.0 && a[4] == 1.0 && a[2] == 0.0 && a[5] == 0.0);
        memcpy(dst->rgb, src->rgb, (size_t)w * h * 3);
        return;
    }
    affine_nearest(dst, src, a);
}

void nd_augment_apply(nd_image *dst, const nd_image *src, const nd_augment_params *params,
                      int size) {
    nd_image cropped, resized, flipped, bright;

    /* torchvision resized_crop on PIL: crop(), then resize() of the crop. */
    nd_image_crop(&cropped, src, params->crop_left, params->crop_top, params->crop_width,
                  params->crop_height);
    nd_resize_bilinear(&resized, &cropped, NULL, size, size);
    nd_image_free(&cropped);

    if (params->flip) {
        nd_image_hflip(&flipped, &resized);
        nd_image_free(&resized);
    } else {
        flipped = resized;
    }

    nd_image_brightness(&bright, &flipped, params->brightness);
    nd_image_free(&flipped);

    nd_image_rotate(dst, &bright, params->angle);
    nd_image_free(&bright);
}

void nd_test_transform(nd_image *dst, const nd_image *src, int size) {
    nd_resize_bilinear(dst, src, NULL, size, size);
}

void nd_image_to_chw(float *out, const nd_image *image) {
    size_t plane = (size_t)image->width * image->height;
    for (size_t i = 0; i < plane; i++) {
        for (int c = 0; c < 3; c++)
            out[c * plane + i] = (float)image->rgb[3 * i + c] / 255.0f;
    }
}
