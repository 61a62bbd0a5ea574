#include "video/timeline.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>

#include "util/error.h"
#include "util/fs.h"

void nd_class_colour(int c, double *r, double *g, double *b) {
    /* Tableau 10 palette. */
    static const unsigned palette[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                         0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    unsigned v = palette[c % 10];
    *r = ((v >> 16) & 255) / 255.0;
    *g = ((v >> 8) & 255) / 255.0;
    *b = (v & 255) / 255.0;
}

static cairo_status_t write_chunk(void *closure, const unsigned char *data, unsigned length) {
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                      : CAIRO_STATUS_WRITE_ERROR;
}

int nd_timeline_write(const char *path, const nd_predict_result *r,
                      const nrdfer_config *config, const char *title) {
    const int width = 960, height = 400;
    const double left = 60, right = 150, top = 40, bottom = 50;
    double pw = width - left - right, ph = height - top - bottom;
    double duration = r->duration > 0 ? r->duration : 1;

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);

    /* Axes with ticks: probability 0..1 upwards, seconds to the right. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, left, top, pw, ph);
    cairo_stroke(cr);
    char text[64];
    for (int i = 0; i <= 4; i++) {
        double y = top + ph - ph * i / 4.0;
        snprintf(text, sizeof(text), "%.2f", i / 4.0);
        cairo_move_to(cr, left - 40, y + 4);
        cairo_show_text(cr, text);
        cairo_move_to(cr, left - 4, y);
        cairo_line_to(cr, left, y);
        cairo_stroke(cr);
    }
    double step = pow(10, floor(log10(duration / 2)));
    if (duration / step > 10)
        step *= duration / step > 25 ? 5 : 2;
    for (double t = 0; t <= duration + 1e-9; t += step) {
        double x = left + pw * t / duration;
        snprintf(text, sizeof(text), "%g", t);
        cairo_move_to(cr, x - 8, top + ph + 16);
        cairo_show_text(cr, text);
        cairo_move_to(cr, x, top + ph);
        cairo_line_to(cr, x, top + ph + 4);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, left + pw / 2 - 30, height - 12);
    cairo_show_text(cr, "time (s)");
    cairo_move_to(cr, left, top - 14);
    cairo_show_text(cr, title);

    /* One line per class; windows without a face break it. */
    cairo_set_line_width(cr, 2);
    for (int c = 0; c < config->num_classes; c++) {
        double cr_r, cr_g, cr_b;
        nd_class_colour(c, &cr_r, &cr_g, &cr_b);
        cairo_set_source_rgb(cr, cr_r, cr_g, cr_b);
        int open = 0;
        for (int w = 0; w < r->num_windows; w++) {
            const nd_window_result *wr = &r->windows[w];
            if (wr->label < 0) {
                if (open)
                    cairo_stroke(cr);
                open = 0;
                continue;
            }
            double x = left + pw * 0.5 * (wr->start + wr->end) / duration;
            double y = top + ph - ph * wr->probs[c];
            if (open) {
                cairo_line_to(cr, x, y);
            } else {
                cairo_move_to(cr, x, y);
                cairo_arc(cr, x, y, 1.5, 0, 2 * M_PI);
                cairo_move_to(cr, x, y);
            }
            open = 1;
        }
        if (open)
            cairo_stroke(cr);

        /* Legend entry. */
        double ly = top + 16 + 18 * c;
        cairo_rectangle(cr, left + pw + 15, ly - 9, 14, 10);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, left + pw + 35, ly);
        cairo_show_text(cr, config->labels[c]);
    }
    cairo_destroy(cr);

    /* Atomic write of the PNG. */
    nd_atomic_file f;
    if (nd_atomic_open(&f, path) != 0) {
        cairo_surface_destroy(surface);
        return -1;
    }
    cairo_status_t status = cairo_surface_write_to_png_stream(surface, write_chunk, f.fp);
    cairo_surface_destroy(surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        nd_atomic_abort(&f);
        return nd_fail("%s: cannot write the timeline PNG: %s", path,
                       cairo_status_to_string(status));
    }
    return nd_atomic_commit(&f);
}
