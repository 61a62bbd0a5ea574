/* Still-image output: 8-bit interleaved RGB to JPEG (libjpeg-turbo) or PNG
 * (libpng). The file functions write "<path>.tmp" and rename it onto path, so
 * a crash never leaves a half-written image under the final name. They do
 * not fsync, because a dataset of many small frames would spend its time
 * waiting on the disk. */
#ifndef ND_DATA_IMAGE_WRITE_H
#define ND_DATA_IMAGE_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* Encodes rgb (height x width x 3) as a baseline JPEG with the given quality
 * (1..100, 4:2:0 chroma subsampling) into a new buffer *data of *size bytes
 * (free it). Returns 0, or -1 with nd_fail() set. */
int nd_image_encode_jpeg(const uint8_t *rgb, int width, int height, int quality,
                         uint8_t **data, size_t *size);

/* Decodes JPEG data from memory into a new RGB buffer *rgb (free it) and its
 * size. Used to give frames the artefacts of a low-quality encoding. */
int nd_image_decode_jpeg_memory(const uint8_t *data, size_t size, uint8_t **rgb, int *width,
                                int *height);

int nd_image_write_jpeg(const char *path, const uint8_t *rgb, int width, int height,
                        int quality);
int nd_image_write_png(const char *path, const uint8_t *rgb, int width, int height);

#endif
