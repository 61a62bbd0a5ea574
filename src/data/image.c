/* Still-image decoding: JPEG through the libjpeg API (libjpeg-turbo) and PNG
 * through libpng, both into 8-bit interleaved RGB. */
#include "data/image.h"

#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "util/error.h"

/* Largest accepted pixel count (side 16384 squared), so a corrupt header that
 * claims a huge size fails with a message instead of exhausting memory. */
#define MAX_PIXELS ((size_t)16384 * 16384)

static int check_size(const char *path, int width, int height) {
    if (width <= 0 || height <= 0 || (size_t)width * height > MAX_PIXELS)
        return nd_fail("image '%s' has an unsupported size %d x %d (at most %zu pixels)",
                       path, width, height, MAX_PIXELS);
    return 0;
}

/* Returns 1 when name ends with ext, compared without case. */
static int has_suffix(const char *name, const char *ext) {
    size_t n = strlen(name), e = strlen(ext);
    if (n < e)
        return 0;
    for (size_t i = 0; i < e; i++) {
        if (tolower((unsigned char)name[n - e + i]) != ext[i])
            return 0;
    }
    return 1;
}

int nd_image_is_image_name(const char *name) {
    return has_suffix(name, ".jpg") || has_suffix(name, ".jpeg") || has_suffix(name, ".png");
}

void nd_image_free(nd_image *image) {
    if (!image)
        return;
    free(image->rgb);
    image->rgb = NULL;
    image->width = image->height = 0;
}

/* ---- JPEG ---- */

/* libjpeg error manager that jumps back to the decoder instead of exiting, and
 * that records warnings (corrupt or cut-off data) so the decoder can fail on them. */
typedef struct jpeg_error_state {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    int warnings;
    char message[JMSG_LENGTH_MAX];
} jpeg_error_state;

static void jpeg_error_exit(j_common_ptr cinfo) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, state->message);
    longjmp(state->jump, 1);
}

/* msg_level < 0 is a warning, such as "Premature end of JPEG file"; keep the
 * first one and count them all. Trace messages (level >= 0) are ignored. */
static void jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    if (msg_level >= 0)
        return;
    if (state->warnings == 0)
        (*cinfo->err->format_message)(cinfo, state->message);
    state->warnings++;
}

static void jpeg_output_message(j_common_ptr cinfo) {
}

/* Converts one row of Adobe CMYK as libjpeg returns it (stored inverted, so
 * 255 means no ink) into RGB: R = C * K / 255 with the inverted values. */
static void cmyk_row_to_rgb(uint8_t *rgb, const uint8_t *cmyk, int width) {
    for (int x = 0; x < width; x++) {
        int k = cmyk[4 * x + 3];
        for (int c = 0; c < 3; c++)
            rgb[3 * x + c] = (uint8_t)((cmyk[4 * x + c] * k + 127) / 255);
    }
}

static int load_jpeg(const char *path, FILE *fp, nd_image *image) {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_state err;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;

    /* Set up the decoder with the jumping error manager. */
    memset(&err, 0, sizeof(err));
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit;
    err.mgr.emit_message = jpeg_emit_message;
    err.mgr.output_message = jpeg_output_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return nd_fail("cannot decode JPEG '%s': %s; replace or re-extract the file", path,
                       err.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_read_header(&cinfo, TRUE);

    /* Ask libjpeg for RGB, except for CMYK/YCCK, which it can only give as CMYK. */
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    if (check_size(path, (int)cinfo.image_width, (int)cinfo.image_height) < 0) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_start_decompress(&cinfo);
    int width = (int)cinfo.output_width, height = (int)cinfo.output_height;
    int channels = cinfo.output_components;
    ND_ASSERT(channels == (cmyk ? 4 : 3));

    /* Decode row by row, converting CMYK rows through a scratch row. */
    pixels = nd_malloc((size_t)width * height * 3);
    row = nd_malloc((size_t)width * channels);
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = pixels + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW target = cmyk ? row : dst;
        jpeg_read_scanlines(&cinfo, &target, 1);
        if (cmyk)
            cmyk_row_to_rgb(dst, row, width);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);

    /* A warning means libjpeg filled in missing or corrupt data. */
    if (err.warnings > 0) {
        free(pixels);
        return nd_fail("corrupt or truncated JPEG '%s': %s; replace or re-extract the file",
                       path, err.message);
    }
    image->width = width;
    image->height = height;
    image->rgb = pixels;
    return 0;
}

/* ---- PNG ---- */

typedef struct png_error_state {
    jmp_buf jump;
    char message[256];
} png_error_state;

static void png_error_handler(png_structp png, png_const_charp msg) {
    png_error_state *state = png_get_error_ptr(png);
    snprintf(state->message, sizeof(state->message), "%s", msg);
    longjmp(state->jump, 1);
}

/* libpng warnings (unknown chunks, gamma details) do not damage the pixels. */
static void png_warning_handler(png_structp png, png_const_charp msg) {
}

static int load_png(const char *path, FILE *fp, nd_image *image) {
    png_error_state err;
    png_structp png;
    png_infop info;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;

    memset(&err, 0, sizeof(err));
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, png_error_handler,
                                 png_warning_handler);
    ND_ASSERT(png);
    info = png_create_info_struct(png);
    ND_ASSERT(info);
    if (setjmp(err.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return nd_fail("cannot decode PNG '%s': %s; replace or re-extract the file", path,
                       err.message);
    }
    png_init_io(png, fp);
    png_read_info(png, info);

    /* Normalise every colour type and depth to 8-bit RGB. */
    int color_type = png_get_color_type(png, info);
    png_set_expand(png);
    png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int width = (int)png_get_image_width(png, info);
    int height = (int)png_get_image_height(png, info);
    ND_ASSERT(png_get_rowbytes(png, info) == (size_t)width * 3);
    if (check_size(path, width, height) < 0) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }

    /* Read all rows at once (interlaced images need several passes). */
    pixels = nd_malloc((size_t)width * height * 3);
    rows = nd_malloc(sizeof(png_bytep) * (size_t)height);
    for (int y = 0; y < height; y++)
        rows[y] = pixels + (size_t)y * width * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    image->width = width;
    image->height = height;
    image->rgb = pixels;
    return 0;
}

/* ---- Dispatch ---- */

int nd_image_load(const char *path, nd_image *image) {
    memset(image, 0, sizeof(*image));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return nd_fail("cannot open image '%s': %s", path, strerror(errno));

    /* Choose the decoder by the file's signature, not by its name. */
    uint8_t magic[8] = {0};
    size_t got = fread(magic, 1, sizeof(magic), fp);
    rewind(fp);
    int rc;
    if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
        rc = load_jpeg(path, fp, image);
    } else if (got == 8 && png_sig_cmp(magic, 0, 8) == 0) {
        rc = load_png(path, fp, image);
    } else {
        rc = nd_fail("'%s' is not a JPEG or PNG image (%s); remove it from the frame folder "
                     "or convert it",
                     path, got == 0 ? "empty file" : "unknown signature");
    }
    fclose(fp);
    return rc;
}
