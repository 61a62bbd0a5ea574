/* Bilinear resizing as Pillow 9.4 does it (libImaging/Resample.c): separable
 * triangle filter, support widened by the scale factor when shrinking,
 * coefficients in 22-bit fixed point, a horizontal pass rounded to 8 bits,
 * then a vertical pass. */
#include "data/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Fractional bits of the fixed-point filter coefficients, as in Pillow. */
#define PRECISION_BITS (32 - 8 - 2)

/* Filter taps of one pass: output pixel i reads `count[i]` input pixels
 * starting at `first[i]`, weighted by coeffs[i * ksize ...]. */
typedef struct resample_taps {
    int ksize;
    int *first;
    int *count;
    int32_t *coeffs;
} resample_taps;

static double triangle(double x) {
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Computes the taps that map [in0, in1) of an axis of in_size pixels onto
 * out_size pixels (Pillow's precompute_coeffs and normalize_coeffs_8bpc).
 * in0 and in1 are floats because Pillow keeps the box in single precision. */
static void compute_taps(resample_taps *taps, int in_size, float in0, float in1,
                         int out_size) {
    double scale = (double)(in1 - in0) / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *weights = nd_malloc(sizeof(double) * (size_t)ksize);

    taps->ksize = ksize;
    taps->first = nd_malloc(sizeof(int) * (size_t)out_size);
    taps->count = nd_malloc(sizeof(int) * (size_t)out_size);
    taps->coeffs = nd_calloc((size_t)out_size * ksize, sizeof(int32_t));
    for (int xx = 0; xx < out_size; xx++) {
        double center = in0 + (xx + 0.5) * scale;
        double ss = 1.0 / filterscale;

        /* Input range under the filter, rounded and clipped to the image. */
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;

        /* Weights normalised to sum 1, then rounded away from 0 to fixed point. */
        double sum = 0.0;
        for (int x = 0; x < xmax; x++) {
            weights[x] = triangle((x + xmin - center + 0.5) * ss);
            sum += weights[x];
        }
        int32_t *k = taps->coeffs + (size_t)xx * ksize;
        for (int x = 0; x < xmax; x++) {
            double w = sum != 0.0 ? weights[x] / sum : weights[x];
            k[x] = w < 0 ? (int32_t)(-0.5 + w * (1 << PRECISION_BITS))
                         : (int32_t)(0.5 + w * (1 << PRECISION_BITS));
        }
        taps->first[xx] = xmin;
        taps->count[xx] = xmax;
    }
    free(weights);
}

static void free_taps(resample_taps *taps) {
    free(taps->first);
    free(taps->count);
    free(taps->coeffs);
}

static uint8_t clip8(int32_t value) {
    value >>= PRECISION_BITS;
    return (uint8_t)(value < 0 ? 0 : value > 255 ? 255 : value);
}

/* Horizontal pass: out [rows][out_width][3] from in rows row0.. of
 * [..][in_width][3]. */
static void resample_horizontal(uint8_t *out, int out_width, int rows, const uint8_t *in,
                                int in_width, int row0, const resample_taps *taps) {
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(y + row0) * in_width * 3;
        uint8_t *dst = out + (size_t)y * out_width * 3;
        for (int xx = 0; xx < out_width; xx++) {
            const int32_t *k = taps->coeffs + (size_t)xx * taps->ksize;
            const uint8_t *p = src + (size_t)taps->first[xx] * 3;
            int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int x = 0; x < taps->count[xx]; x++) {
                s0 += p[3 * x + 0] * k[x];
                s1 += p[3 * x + 1] * k[x];
                s2 += p[3 * x + 2] * k[x];
            }
            dst[3 * xx + 0] = clip8(s0);
            dst[3 * xx + 1] = clip8(s1);
            dst[3 * xx + 2] = clip8(s2);
        }
    }
}

/* Vertical pass: out [out_height][width][3] from in [..][width][3], where
 * the taps' first rows are relative to in. */
static void resample_vertical(uint8_t *out, int out_height, const uint8_t *in, int width,
                              const resample_taps *taps) {
    size_t stride = (size_t)width * 3;
    for (int yy = 0; yy < out_height; yy++) {
        const int32_t *k = taps->coeffs + (size_t)yy * taps->ksize;
        const uint8_t *src = in + (size_t)taps->first[yy] * stride;
        uint8_t *dst = out + (size_t)yy * stride;
        for (size_t c = 0; c < stride; c++) {
            int32_t s = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < taps->count[yy]; y++)
                s += src[(size_t)y * stride + c] * k[y];
            dst[c] = clip8(s);
        }
    }
}

void nd_resize_bilinear(nd_image *dst, const nd_image *src, const nd_resize_box *box,
                        int dst_width, int dst_height) {
    nd_resize_box whole = {0.0f, 0.0f, (float)src->width, (float)src->height};
    if (!box)
        box = &whole;
    ND_ASSERT(dst_width > 0 && dst_height > 0);
    ND_ASSERT(box->x0 >= 0 && box->x0 < box->x1 && box->x1 <= src->width);
    ND_ASSERT(box->y0 >= 0 && box->y0 < box->y1 && box->y1 <= src->height);

    /* Pillow skips a pass whose size and box equal the input's (the test
     * compares the box's right edge with the output size, as Pillow does). */
    int need_horizontal = dst_width != src->width || box->x0 != 0 || box->x1 != dst_width;
    int need_vertical = dst_height != src->height || box->y0 != 0 || box->y1 != dst_height;
    resample_taps htaps, vtaps;
    compute_taps(&htaps, src->width, box->x0, box->x1, dst_width);
    compute_taps(&vtaps, src->height, box->y0, box->y1, dst_height);

    /* Horizontal pass over the rows the vertical pass reads. */
    const uint8_t *rows = src->rgb;
    int rows_width = src->width;
    uint8_t *temp = NULL;
    if (need_horizontal) {
        int first = vtaps.first[0];
        int last = vtaps.first[dst_height - 1] + vtaps.count[dst_height - 1];
        for (int i = 0; i < dst_height; i++)
            vtaps.first[i] -= first;
        temp = nd_malloc((size_t)(last - first) * dst_width * 3);
        resample_horizontal(temp, dst_width, last - first, src->rgb, src->width, first,
                            &htaps);
        rows = temp;
        rows_width = dst_width;
    }

    /* Vertical pass, or a copy when neither pass is needed. */
    dst->width = rows_width;
    dst->height = need_vertical ? dst_height : src->height;
    dst->rgb = nd_malloc((size_t)dst->width * dst->height * 3);
    if (need_vertical)
        resample_vertical(dst->rgb, dst_height, rows, rows_width, &vtaps);
    else
        memcpy(dst->rgb, rows, (size_t)dst->width * dst->height * 3);
    ND_ASSERT(dst->width == dst_width && dst->height == dst_height);
    free(temp);
    free_taps(&htaps);
    free_taps(&vtaps);
}

void nd_image_crop(nd_image *dst, const nd_image *src, int left, int top, int width,
                   int height) {
    ND_ASSERT(left >= 0 && top >= 0 && width > 0 && height > 0);
    ND_ASSERT(left + width <= src->width && top + height <= src->height);
    dst->width = width;
    dst->height = height;
    dst->rgb = nd_malloc((size_t)width * height * 3);
    for (int y = 0; y < height; y++)
        memcpy(dst->rgb + (size_t)y * width * 3,
               src->rgb + ((size_t)(top + y) * src->width + left) * 3, (size_t)width * 3);
}
