/* Still images: decoding of frame files (JPEG through libjpeg-turbo, PNG
 * through libpng) into 8-bit interleaved RGB. */
#ifndef ND_DATA_IMAGE_H
#define ND_DATA_IMAGE_H

#include <stdint.h>

typedef struct nd_image {
    int width, height;
    uint8_t *rgb; /* height x width x 3, row-major */
} nd_image;

/* Decodes a JPEG or PNG file into RGB. Grayscale, grey+alpha, RGBA, CMYK
 * and 16-bit inputs are converted to 8-bit RGB (alpha is dropped). A file
 * that is cut off or corrupt fails, including JPEG data that libjpeg only
 * warns about. Returns 0, or -1 with nd_fail() naming the file. */
int nd_image_load(const char *path, nd_image *image);

/* Returns 1 when the file name has an image extension nd_image_load reads
 * (.jpg, .jpeg, .png, any case), 0 otherwise. */
int nd_image_is_image_name(const char *name);

void nd_image_free(nd_image *image);

#endif
