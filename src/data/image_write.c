#include "data/image_write.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* jpeglib.h needs stdio.h (FILE) before it. */
#include <jpeglib.h>

#include "util/error.h"

/* libjpeg calls error_exit on any error; jump back instead of exiting. */
typedef struct jpeg_error_jump {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_error_jump;

static void jpeg_error_exit_jump(j_common_ptr cinfo) {
    jpeg_error_jump *err = (jpeg_error_jump *)cinfo->err;
    err->mgr.format_message(cinfo, err->message);
    longjmp(err->jump, 1);
}

int nd_image_encode_jpeg(const uint8_t *rgb, int width, int height, int quality,
                         uint8_t **data, size_t *size) {
    if (width <= 0 || height <= 0)
        return nd_fail("cannot encode a JPEG of %d x %d pixels: the size must be positive",
                       width, height);
    if (quality < 1 || quality > 100)
        return nd_fail("invalid JPEG quality %d: use 1..100", quality);

    struct jpeg_compress_struct cinfo;
    jpeg_error_jump err;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit_jump;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return nd_fail("JPEG encoding failed: %s", err.message);
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &buffer_size);

    /* Baseline JPEG, 4:2:0, as libjpeg-turbo's defaults set it. */
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);

    *data = buffer;
    *size = buffer_size;
    return 0;
}

int nd_image_decode_jpeg_memory(const uint8_t *data, size_t size, uint8_t **rgb, int *width,
                                int *height) {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_jump err;
    uint8_t *volatile pixels = NULL;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit_jump;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return nd_fail("JPEG decoding failed: %s", err.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);

    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    pixels = nd_malloc((size_t)w * h * 3);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.output_scanline * w * 3);
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);

    *rgb = pixels;
    *width = w;
    *height = h;
    return 0;
}

/* Writes size bytes to "<path>.tmp" and renames it onto path. */
static int write_file_replace(const char *path, const void *data, size_t size) {
    size_t n = strlen(path);
    char *tmp = nd_malloc(n + 5);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);

    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        int e = errno;
        free(tmp);
        return nd_fail("cannot create %s: %s", path, strerror(e));
    }
    int ok = fwrite(data, 1, size, fp) == size;
    int e = errno;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            e = errno;
        unlink(tmp);
        free(tmp);
        return nd_fail("cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}

int nd_image_write_jpeg(const char *path, const uint8_t *rgb, int width, int height,
                        int quality) {
    uint8_t *data;
    size_t size;
    if (nd_image_encode_jpeg(rgb, width, height, quality, &data, &size) != 0)
        return nd_fail("cannot write %s: %s", path, nd_last_error());
    int status = write_file_replace(path, data, size);
    free(data);
    return status;
}

/* Growing memory buffer for libpng's write callback. */
typedef struct png_buffer {
    uint8_t *data;
    size_t size, capacity;
} png_buffer;

static void png_write_to_buffer(png_structp png, png_bytep bytes, png_size_t length) {
    png_buffer *buf = png_get_io_ptr(png);
    if (buf->size + length > buf->capacity) {
        buf->capacity = (buf->size + length) * 2;
        buf->data = nd_realloc(buf->data, buf->capacity);
    }
    memcpy(buf->data + buf->size, bytes, length);
    buf->size += length;
}

static void png_flush_nothing(png_structp png) {
}

int nd_image_write_png(const char *path, const uint8_t *rgb, int width, int height) {
    if (width <= 0 || height <= 0)
        return nd_fail("cannot write %s: the size %d x %d must be positive", path, width,
                       height);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (!png)
        return nd_fail("cannot write %s: libpng could not start", path);
    png_infop info = png_create_info_struct(png);
    png_buffer buf = {NULL, 0, 0};
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(buf.data);
        return nd_fail("cannot write %s: PNG encoding failed", path);
    }

    /* 8-bit RGB, no interlacing; the rows point into the caller's buffer. */
    png_set_write_fn(png, &buf, png_write_to_buffer, png_flush_nothing);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    int status = write_file_replace(path, buf.data, buf.size);
    free(buf.data);
    return status;
}
