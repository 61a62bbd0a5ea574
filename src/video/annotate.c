#include "video/annotate.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "video/decode.h"
#include "video/encode.h"
#include "video/timeline.h"

/* Draws the overlay of frame f onto a cairo context of the frame's size. */
static void draw_overlay(cairo_t *cr, const nd_predict_result *r, const nrdfer_config *config,
                         int f) {
    const nd_box *box = &r->frame_boxes[f];
    const nd_window_result *wr = &r->windows[r->frame_windows[f]];

    /* Face box, in the colour of the window's label. */
    double cr_r = 1, cr_g = 1, cr_b = 0;
    if (wr->label >= 0)
        nd_class_colour(wr->label, &cr_r, &cr_g, &cr_b);
    if (box->w > 0) {
        cairo_set_source_rgb(cr, cr_r, cr_g, cr_b);
        cairo_set_line_width(cr, 3);
        cairo_rectangle(cr, box->x, box->y, box->w, box->h);
        cairo_stroke(cr);
    }

    /* Panel with the label and one bar per class. */
    double x0 = 8, y0 = 8, bar_w = 120, row = 16;
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_rectangle(cr, x0, y0, 90 + bar_w + 16, row * (config->num_classes + 1) + 12);
    cairo_fill(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 13);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, x0 + 6, y0 + row);
    cairo_show_text(cr, wr->label >= 0 ? config->labels[wr->label] : "no face");
    cairo_set_font_size(cr, 11);
    for (int c = 0; c < config->num_classes; c++) {
        double y = y0 + row * (c + 2);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_move_to(cr, x0 + 6, y);
        cairo_show_text(cr, config->labels[c]);
        if (wr->label < 0)
            continue;
        double pr, pg, pb;
        nd_class_colour(c, &pr, &pg, &pb);
        cairo_set_source_rgb(cr, pr, pg, pb);
        cairo_rectangle(cr, x0 + 90, y - 10, bar_w * wr->probs[c], 10);
        cairo_fill(cr);
    }
}

int nd_annotate_video(const char *input, const char *out, const nd_predict_result *r,
                      const nrdfer_config *config, int threads) {
    nd_decoder *d = nd_decoder_open(input, threads);
    if (!d)
        return -1;
    int w = r->width & ~1, h = r->height & ~1;
    int fps = (int)lround(r->fps);
    nd_video_encoder *enc = nd_video_encoder_open(out, w, h, fps > 0 ? fps : 25);
    if (!enc) {
        nd_decoder_close(d);
        return -1;
    }

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    uint8_t *rgb = nd_malloc((size_t)w * h * 3);
    int rc = 0, f = 0;
    nd_video_frame frame;
    while (f < r->frames && (rc = nd_decoder_next(d, &frame, 1)) == 1) {
        if (frame.width < w || frame.height < h) {
            rc = nd_fail("%s: frame %d is %d x %d, smaller than the first frame (%d x %d)",
                         input, f, frame.width, frame.height, w, h);
            break;
        }

        /* RGB bytes into cairo's native-endian XRGB words. */
        cairo_surface_flush(surface);
        unsigned char *data = cairo_image_surface_get_data(surface);
        int stride = cairo_image_surface_get_stride(surface);
        for (int y = 0; y < h; y++) {
            uint32_t *dst = (uint32_t *)(data + (size_t)y * stride);
            const uint8_t *src = frame.rgb + (size_t)y * frame.width * 3;
            for (int x = 0; x < w; x++)
                dst[x] = (uint32_t)src[3 * x] << 16 | (uint32_t)src[3 * x + 1] << 8 |
                         src[3 * x + 2];
        }
        cairo_surface_mark_dirty(surface);

        cairo_t *cr = cairo_create(surface);
        draw_overlay(cr, r, config, f);
        cairo_destroy(cr);
        cairo_surface_flush(surface);

        /* And back to RGB for the encoder. */
        for (int y = 0; y < h; y++) {
            const uint32_t *src = (const uint32_t *)(data + (size_t)y * stride);
            uint8_t *dst = rgb + (size_t)y * w * 3;
            for (int x = 0; x < w; x++) {
                dst[3 * x] = (uint8_t)(src[x] >> 16);
                dst[3 * x + 1] = (uint8_t)(src[x] >> 8);
                dst[3 * x + 2] = (uint8_t)src[x];
            }
        }
        if (nd_video_encoder_add_frame(enc, rgb) != 0) {
            rc = -1;
            break;
        }
        f++;
    }
    cairo_surface_destroy(surface);
    free(rgb);
    nd_decoder_close(d);
    if (rc < 0) {
        nd_video_encoder_abort(enc);
        return -1;
    }
    return nd_video_encoder_close(enc);
}
