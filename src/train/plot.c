#include "train/plot.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>

#include "util/error.h"
#include "util/fs.h"

static cairo_status_t write_png_chunk(void *closure, const unsigned char *data,
                                      unsigned int length) {
    FILE *fp = closure;
    return fwrite(data, 1, length, fp) == length ? CAIRO_STATUS_SUCCESS
                                                 : CAIRO_STATUS_WRITE_ERROR;
}

/* Writes the surface to path through a temporary file and a rename. */
static int save_png(cairo_surface_t *surface, const char *path) {
    nd_atomic_file f;
    if (nd_atomic_open(&f, path) != 0)
        return -1;
    cairo_status_t status = cairo_surface_write_to_png_stream(surface, write_png_chunk, f.fp);
    if (status != CAIRO_STATUS_SUCCESS) {
        nd_atomic_abort(&f);
        return nd_fail("cannot write %s: %s", path, cairo_status_to_string(status));
    }
    return nd_atomic_commit(&f);
}

static void text_at(cairo_t *cr, double x, double y, const char *text, double align_x) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    cairo_move_to(cr, x - align_x * ext.width - ext.x_bearing, y - ext.height / 2 - ext.y_bearing);
    cairo_show_text(cr, text);
}

int nd_plot_confusion(const char *path, const nd_confusion *confusion,
                      const char (*labels)[NRDFER_LABEL_LEN], const char *title) {
    int k = confusion->num_classes;
    const int cell = 64, left = 130, top = 90, bottom = 40, right = 30;
    int width = left + k * cell + right, height = top + k * cell + bottom;

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);

    /* Title and axis names. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 14);
    text_at(cr, width / 2.0, 18, title ? title : "confusion matrix", 0.5);
    cairo_set_font_size(cr, 12);
    text_at(cr, left + k * cell / 2.0, 42, "predicted", 0.5);
    text_at(cr, 8, top - 14, "true", 0);

    /* Cells shaded by the fraction of the row, with the count inside. */
    for (int t = 0; t < k; t++) {
        long row = 0;
        for (int p = 0; p < k; p++)
            row += confusion->counts[t][p];
        for (int p = 0; p < k; p++) {
            long n = confusion->counts[t][p];
            double frac = row > 0 ? (double)n / (double)row : 0;
            double x = left + p * cell, y = top + t * cell;
            cairo_set_source_rgb(cr, 1 - 0.8 * frac, 1 - 0.55 * frac, 1 - 0.1 * frac);
            cairo_rectangle(cr, x, y, cell, cell);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);

            char text[32];
            snprintf(text, sizeof text, "%ld", n);
            if (frac > 0.6)
                cairo_set_source_rgb(cr, 1, 1, 1);
            else
                cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_set_font_size(cr, 13);
            text_at(cr, x + cell / 2.0, y + cell / 2.0 - 6, text, 0.5);
            if (row > 0) {
                snprintf(text, sizeof text, "%.0f%%", 100 * frac);
                cairo_set_font_size(cr, 10);
                text_at(cr, x + cell / 2.0, y + cell / 2.0 + 10, text, 0.5);
            }
        }
    }

    /* Class names: rows on the left, columns above. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 12);
    for (int c = 0; c < k; c++) {
        text_at(cr, left - 8, top + c * cell + cell / 2.0, labels[c], 1);
        text_at(cr, left + c * cell + cell / 2.0, top - 14, labels[c], 0.5);
    }

    cairo_destroy(cr);
    int rc = save_png(surface, path);
    cairo_surface_destroy(surface);
    return rc;
}

/* One plotted series: a field of nd_epoch_record and its look. */
typedef struct series {
    const char *name;
    size_t offset;
    double r, g, b;
    int dashed;
} series;

static double field(const nd_epoch_record *r, size_t offset) {
    return *(const double *)((const char *)r + offset);
}

typedef struct panel {
    double x, y, w, h;    /* plot area in pixels */
    double ymin, ymax;    /* data range */
    int first, last;      /* epoch range */
} panel;

static double px(const panel *p, double epoch) {
    double span = p->last > p->first ? p->last - p->first : 1;
    return p->x + (epoch - p->first) / span * p->w;
}

static double py(const panel *p, double value) {
    return p->y + p->h - (value - p->ymin) / (p->ymax - p->ymin) * p->h;
}

static void draw_axes(cairo_t *cr, const panel *p, const char *name) {
    char text[32];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, p->x, p->y, p->w, p->h);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 11);
    for (int i = 0; i <= 4; i++) {
        double v = p->ymin + (p->ymax - p->ymin) * i / 4;
        snprintf(text, sizeof text, "%.3g", v);
        text_at(cr, p->x - 6, py(p, v), text, 1);
    }
    int step = (p->last - p->first) / 8 + 1;
    for (int e = p->first; e <= p->last; e += step) {
        snprintf(text, sizeof text, "%d", e);
        text_at(cr, px(p, e), p->y + p->h + 12, text, 0.5);
    }
    text_at(cr, p->x + p->w / 2, p->y + p->h + 30, "epoch", 0.5);
    cairo_set_font_size(cr, 13);
    text_at(cr, p->x + p->w / 2, p->y - 12, name, 0.5);
}

static void draw_series(cairo_t *cr, const panel *p, const nd_epoch_record *records,
                        int count, const series *s, double legend_y) {
    int started = 0, drawn = 0;
    cairo_set_source_rgb(cr, s->r, s->g, s->b);
    cairo_set_line_width(cr, 2);
    double dash[] = {6, 4};
    cairo_set_dash(cr, dash, s->dashed ? 2 : 0, 0);
    for (int i = 0; i < count; i++) {
        double v = field(&records[i], s->offset);
        if (!isfinite(v)) {
            started = 0;
            continue;
        }
        if (started)
            cairo_line_to(cr, px(p, records[i].epoch), py(p, v));
        else
            cairo_move_to(cr, px(p, records[i].epoch), py(p, v));
        started = 1;
        drawn++;
    }
    cairo_stroke(cr);

    /* A single point gets a dot, since a line needs two. */
    if (drawn == 1)
        for (int i = 0; i < count; i++)
            if (isfinite(field(&records[i], s->offset))) {
                cairo_arc(cr, px(p, records[i].epoch), py(p, field(&records[i], s->offset)),
                          3, 0, 2 * M_PI);
                cairo_fill(cr);
            }

    /* Legend entry at the panel's right (none when legend_y < 0). */
    if (drawn > 0 && legend_y >= 0) {
        double lx = p->x + p->w + 14;
        cairo_move_to(cr, lx, legend_y);
        cairo_line_to(cr, lx + 24, legend_y);
        cairo_stroke(cr);
        cairo_set_dash(cr, dash, 0, 0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 11);
        text_at(cr, lx + 30, legend_y, s->name, 0);
    }
    cairo_set_dash(cr, dash, 0, 0);
}

static int series_has_data(const nd_epoch_record *records, int count, size_t offset) {
    for (int i = 0; i < count; i++)
        if (isfinite(field(&records[i], offset)))
            return 1;
    return 0;
}

int nd_plot_curves(const char *path, const nd_epoch_record *records, int count,
                   const char *title) {
    if (count < 1)
        return nd_fail("cannot draw %s: the run has no completed epoch", path);
    const int width = 1000, height = 420;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 14);
    text_at(cr, width / 2.0, 16, title ? title : "training curves", 0.5);

    /* Loss panel, its range from the data. */
    panel loss = {60, 60, 300, 300, INFINITY, -INFINITY, records[0].epoch,
                  records[count - 1].epoch};
    for (int i = 0; i < count; i++)
        if (isfinite(records[i].loss)) {
            loss.ymin = fmin(loss.ymin, records[i].loss);
            loss.ymax = fmax(loss.ymax, records[i].loss);
        }
    if (!isfinite(loss.ymin)) {
        loss.ymin = 0;
        loss.ymax = 1;
    }
    if (loss.ymax - loss.ymin < 1e-6) {
        loss.ymin -= 0.5;
        loss.ymax += 0.5;
    }
    draw_axes(cr, &loss, "training loss");
    series loss_series = {"loss", offsetof(nd_epoch_record, loss), 0.1, 0.1, 0.1, 0};
    draw_series(cr, &loss, records, count, &loss_series, -1);

    /* UAR/WAR panel on [0, 1]. */
    panel acc = {480, 60, 360, 300, 0, 1, loss.first, loss.last};
    draw_axes(cr, &acc, "UAR (solid) and WAR (dashed)");
    const series acc_series[] = {
        {"train UAR", offsetof(nd_epoch_record, train_uar), 0.55, 0.55, 0.55, 0},
        {"train WAR", offsetof(nd_epoch_record, train_war), 0.55, 0.55, 0.55, 1},
        {"val UAR", offsetof(nd_epoch_record, val_uar), 0.10, 0.40, 0.80, 0},
        {"val WAR", offsetof(nd_epoch_record, val_war), 0.10, 0.40, 0.80, 1},
        {"test UAR", offsetof(nd_epoch_record, test_uar), 0.85, 0.35, 0.10, 0},
        {"test WAR", offsetof(nd_epoch_record, test_war), 0.85, 0.35, 0.10, 1},
    };
    double legend_y = acc.y + 8;
    for (size_t i = 0; i < sizeof acc_series / sizeof acc_series[0]; i++) {
        if (!series_has_data(records, count, acc_series[i].offset))
            continue;
        draw_series(cr, &acc, records, count, &acc_series[i], legend_y);
        legend_y += 18;
    }

    cairo_destroy(cr);
    int rc = save_png(surface, path);
    cairo_surface_destroy(surface);
    return rc;
}
