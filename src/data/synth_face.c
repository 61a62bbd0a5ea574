#include "data/synth_face.h"

#include <math.h>

const char *const nd_synth_action_names[ND_ACT_COUNT] = {
    "brow_raise",   "brow_inner_raise", "brow_lower",   "brow_knit",       "lid_raise",
    "squint",       "corner_up",        "corner_down",  "mouth_open",      "lip_stretch",
    "nose_wrinkle", "upper_lip_raise",  "jaw_drop",     "blink",
};

/* Skin tones from light to dark, and hair colours (RGB in [0, 1]). */
static const double skin_tones[][3] = {
    {0.98, 0.84, 0.74}, {0.94, 0.78, 0.64}, {0.87, 0.68, 0.53}, {0.78, 0.58, 0.42},
    {0.65, 0.45, 0.31}, {0.50, 0.34, 0.23}, {0.38, 0.25, 0.17}, {0.92, 0.76, 0.60},
};
static const double hair_colours[][3] = {
    {0.08, 0.06, 0.05}, {0.20, 0.13, 0.08}, {0.35, 0.22, 0.12}, {0.55, 0.38, 0.20},
    {0.80, 0.66, 0.40}, {0.55, 0.25, 0.12}, {0.55, 0.55, 0.55}, {0.12, 0.10, 0.10},
};

static void set_rgb(cairo_t *cr, const double *c, double scale) {
    cairo_set_source_rgb(cr, fmin(c[0] * scale, 1), fmin(c[1] * scale, 1), fmin(c[2] * scale, 1));
}

static void set_rgba(cairo_t *cr, const double *c, double scale, double alpha) {
    cairo_set_source_rgba(cr, fmin(c[0] * scale, 1), fmin(c[1] * scale, 1),
                          fmin(c[2] * scale, 1), alpha);
}

static void random_colour(nd_rng *rng, double *c, double lo, double hi) {
    for (int i = 0; i < 3; i++)
        c[i] = nd_rng_range(rng, lo, hi);
}

void nd_synth_identity_random(nd_synth_identity *id, nd_rng *rng) {
    /* Colours: skin tone with a small random tint, hair, eyes, lips, clothes. */
    int tone = (int)nd_rng_int(rng, 0, sizeof skin_tones / sizeof skin_tones[0] - 1);
    for (int i = 0; i < 3; i++)
        id->skin[i] = fmin(skin_tones[tone][i] * nd_rng_range(rng, 0.93, 1.05), 1);
    int hair = (int)nd_rng_int(rng, 0, sizeof hair_colours / sizeof hair_colours[0] - 1);
    for (int i = 0; i < 3; i++)
        id->hair[i] = hair_colours[hair][i] * nd_rng_range(rng, 0.9, 1.1);
    double iris_choice = nd_rng_uniform(rng);
    if (iris_choice < 0.6) {
        id->iris[0] = 0.25, id->iris[1] = 0.15, id->iris[2] = 0.08;
    } else if (iris_choice < 0.8) {
        id->iris[0] = 0.25, id->iris[1] = 0.4, id->iris[2] = 0.6;
    } else {
        id->iris[0] = 0.3, id->iris[1] = 0.4, id->iris[2] = 0.2;
    }
    id->lips[0] = id->skin[0] * nd_rng_range(rng, 0.75, 0.9);
    id->lips[1] = id->skin[1] * nd_rng_range(rng, 0.45, 0.6);
    id->lips[2] = id->skin[2] * nd_rng_range(rng, 0.5, 0.65);
    random_colour(rng, id->clothes, 0.05, 0.9);

    /* Shape and feature geometry. */
    id->face_half_width = nd_rng_range(rng, 0.62, 0.78);
    id->jaw_width = nd_rng_range(rng, 0.55, 0.85);
    id->hair_style = (int)nd_rng_int(rng, 0, 3);
    id->hairline = nd_rng_range(rng, -0.68, -0.5);
    id->eye_spacing = nd_rng_range(rng, 0.25, 0.33);
    id->eye_size = nd_rng_range(rng, 0.85, 1.15);
    id->eye_height = nd_rng_range(rng, -0.14, -0.04);
    id->brow_thickness = nd_rng_range(rng, 0.045, 0.08);
    id->brow_arch = nd_rng_range(rng, 0.0, 1.0);
    id->nose_length = nd_rng_range(rng, 0.2, 0.3);
    id->nose_width = nd_rng_range(rng, 0.85, 1.25);
    id->mouth_width = nd_rng_range(rng, 0.42, 0.52);
    id->mouth_height = nd_rng_range(rng, 0.5, 0.58);
    id->beard = nd_rng_uniform(rng) < 0.15;

    /* Resting face: some people look a little sad, stern or smiling at rest,
     * which makes neutral overlap with weak sad, angry and happy clips. */
    for (int a = 0; a < ND_ACT_COUNT; a++)
        id->resting[a] = 0;
    id->resting[ND_ACT_CORNER_DOWN] = nd_rng_range(rng, 0, 0.3);
    id->resting[ND_ACT_BROW_INNER_RAISE] = nd_rng_range(rng, 0, 0.2);
    id->resting[ND_ACT_BROW_LOWER] = nd_rng_range(rng, 0, 0.15);
    id->resting[ND_ACT_CORNER_UP] = nd_rng_range(rng, 0, 0.15);
}

/* Shoulders, torso and neck below the chin, mostly outside a face crop. */
static void draw_body(cairo_t *cr, const nd_synth_identity *id) {
    cairo_save(cr);
    cairo_translate(cr, 0, 2.0);
    cairo_scale(cr, 1.5, 0.75);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_rectangle(cr, -1.5, 2.0, 3.0, 20.0);
    set_rgb(cr, id->clothes, 1);
    cairo_fill(cr);

    cairo_rectangle(cr, -0.3, 0.5, 0.6, 1.0);
    set_rgb(cr, id->skin, 0.82);
    cairo_fill(cr);
}

/* The outline of the head: round skull, cheeks, jaw and chin. */
static void face_outline(cairo_t *cr, const nd_synth_identity *id, double jaw) {
    double w = id->face_half_width, jw = w * id->jaw_width;
    double chin = 0.98 + 0.12 * jaw;
    cairo_move_to(cr, 0, -0.95);
    cairo_curve_to(cr, 0.6 * w, -0.95, w, -0.65, w, -0.15);
    cairo_curve_to(cr, w, 0.3, jw + 0.1, 0.7, 0.2, chin - 0.04);
    cairo_curve_to(cr, 0.1, chin, -0.1, chin, -0.2, chin - 0.04);
    cairo_curve_to(cr, -jw - 0.1, 0.7, -w, 0.3, -w, -0.15);
    cairo_curve_to(cr, -w, -0.65, -0.6 * w, -0.95, 0, -0.95);
    cairo_close_path(cr);
}

static void draw_head(cairo_t *cr, const nd_synth_identity *id, double jaw) {
    double w = id->face_half_width;

    /* Long hair hangs behind the head. */
    if (id->hair_style == 1) {
        cairo_save(cr);
        cairo_translate(cr, 0, 0.05);
        cairo_scale(cr, w + 0.2, 1.1);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        set_rgb(cr, id->hair, 1);
        cairo_fill(cr);
    }

    /* Ears, then the face with a radial shading that darkens the edges. */
    for (int s = -1; s <= 1; s += 2) {
        cairo_save(cr);
        cairo_translate(cr, s * w, -0.02);
        cairo_scale(cr, 0.1, 0.18);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        set_rgb(cr, id->skin, 0.9);
        cairo_fill(cr);
    }
    face_outline(cr, id, jaw);
    cairo_pattern_t *shade = cairo_pattern_create_radial(0, 0.0, 0.2, 0, 0.05, 1.1);
    cairo_pattern_add_color_stop_rgb(shade, 0, fmin(id->skin[0] * 1.04, 1),
                                     fmin(id->skin[1] * 1.04, 1), fmin(id->skin[2] * 1.04, 1));
    cairo_pattern_add_color_stop_rgb(shade, 1, id->skin[0] * 0.8, id->skin[1] * 0.78,
                                     id->skin[2] * 0.76);
    cairo_set_source(cr, shade);
    cairo_fill(cr);
    cairo_pattern_destroy(shade);

    /* Stubble on the jaw, clipped to the face. */
    if (id->beard) {
        cairo_save(cr);
        face_outline(cr, id, jaw);
        cairo_clip(cr);
        cairo_rectangle(cr, -1, id->mouth_height - 0.12, 2, 1.2);
        set_rgba(cr, id->hair, 1, 0.25);
        cairo_fill(cr);
        cairo_restore(cr);
    }

    /* Hair on top: the skull cap down to the hairline. */
    if (id->hair_style != 2) {
        double line = id->hairline + (id->hair_style == 3 ? 0.15 : 0);
        cairo_move_to(cr, -w - 0.04, -0.1);
        cairo_curve_to(cr, -w - 0.06, -0.8, -0.55 * w, -1.04, 0, -1.04);
        cairo_curve_to(cr, 0.55 * w, -1.04, w + 0.06, -0.8, w + 0.04, -0.1);
        cairo_curve_to(cr, w - 0.05, -0.35, 0.4 * w, line, 0, line);
        cairo_curve_to(cr, -0.4 * w, line, -w + 0.05, -0.35, -w - 0.04, -0.1);
        cairo_close_path(cr);
        set_rgb(cr, id->hair, 1);
        cairo_fill(cr);
    }
}

static void draw_brows(cairo_t *cr, const nd_synth_identity *id, const double *act) {
    double raise = act[ND_ACT_BROW_RAISE], inner = act[ND_ACT_BROW_INNER_RAISE];
    double lower = act[ND_ACT_BROW_LOWER], knit = act[ND_ACT_BROW_KNIT];
    double base = id->eye_height - 0.17;

    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    /* Brows are always darker than the skin, even with fair hair. */
    double brow[3];
    for (int i = 0; i < 3; i++)
        brow[i] = fmin(id->hair[i] * 0.7, id->skin[i] * 0.45);
    cairo_set_line_width(cr, id->brow_thickness);
    set_rgb(cr, brow, 1);
    for (int s = -1; s <= 1; s += 2) {
        double x_in = s * (id->eye_spacing - 0.12 - 0.07 * knit);
        double x_out = s * (id->eye_spacing + 0.15);
        double y_in = base - 0.17 * raise - 0.15 * inner + 0.12 * lower + 0.07 * knit;
        double y_out = base - 0.15 * raise + 0.04 * inner + 0.06 * lower;
        double arch = 0.03 + 0.04 * id->brow_arch + 0.03 * raise - 0.02 * lower;
        cairo_move_to(cr, x_in, y_in);
        cairo_curve_to(cr, x_in + s * 0.08, y_in - arch - 0.02 * inner, x_out - s * 0.08,
                       y_out - arch, x_out, y_out + 0.02);
        cairo_stroke(cr);
    }

    /* Vertical frown lines between the brows when they knit. */
    if (knit > 0.15) {
        cairo_set_line_width(cr, 0.012);
        set_rgba(cr, id->skin, 0.55, fmin(knit, 1) * 0.8);
        for (int s = -1; s <= 1; s += 2) {
            cairo_move_to(cr, s * 0.035, base - 0.02);
            cairo_line_to(cr, s * 0.025, base + 0.09);
            cairo_stroke(cr);
        }
    }

    /* Horizontal forehead lines when the brows go up. */
    if (raise > 0.3) {
        cairo_set_line_width(cr, 0.01);
        set_rgba(cr, id->skin, 0.6, (raise - 0.3) * 0.8);
        for (int k = 0; k < 3; k++) {
            double y = base - 0.2 - 0.06 * k;
            cairo_move_to(cr, -0.25, y + 0.01);
            cairo_curve_to(cr, -0.1, y - 0.02, 0.1, y - 0.02, 0.25, y + 0.01);
            cairo_stroke(cr);
        }
    }
}

static void draw_eyes(cairo_t *cr, const nd_synth_identity *id, const double *act) {
    double lid = act[ND_ACT_LID_RAISE], squint = act[ND_ACT_SQUINT];
    double open = 1 - fmin(act[ND_ACT_BLINK], 1);
    double ew = 0.13 * id->eye_size;
    double up = 0.07 * id->eye_size * (1 + 1.0 * lid - 0.6 * squint) * open;
    double lo = 0.045 * id->eye_size * (1 + 0.5 * lid - 0.6 * squint) * open;

    for (int s = -1; s <= 1; s += 2) {
        double cx = s * id->eye_spacing, cy = id->eye_height;

        /* Socket shadow: the eye region is darker than the cheeks. */
        cairo_pattern_t *socket = cairo_pattern_create_radial(cx, cy - 0.02, 0.02, cx,
                                                              cy - 0.02, 0.2);
        cairo_pattern_add_color_stop_rgba(socket, 0, 0.2, 0.1, 0.05, 0.4);
        cairo_pattern_add_color_stop_rgba(socket, 1, 0.2, 0.1, 0.05, 0);
        cairo_set_source(cr, socket);
        cairo_arc(cr, cx, cy - 0.02, 0.2, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_pattern_destroy(socket);

        /* Almond shape: white, iris and pupil clipped to it. */
        cairo_move_to(cr, cx - ew, cy);
        cairo_curve_to(cr, cx - 0.5 * ew, cy - 1.3 * up, cx + 0.5 * ew, cy - 1.3 * up, cx + ew,
                       cy);
        cairo_curve_to(cr, cx + 0.5 * ew, cy + 1.3 * lo, cx - 0.5 * ew, cy + 1.3 * lo, cx - ew,
                       cy);
        cairo_close_path(cr);
        cairo_save(cr);
        cairo_clip_preserve(cr);
        cairo_set_source_rgb(cr, 0.95, 0.94, 0.92);
        cairo_fill(cr);
        double r = 0.05 * id->eye_size;
        cairo_arc(cr, cx, cy - 0.1 * up, r, 0, 2 * M_PI);
        set_rgb(cr, id->iris, 1);
        cairo_fill(cr);
        cairo_arc(cr, cx, cy - 0.1 * up, 0.45 * r, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 0.02, 0.02, 0.02);
        cairo_fill(cr);
        cairo_arc(cr, cx + 0.3 * r, cy - 0.1 * up - 0.3 * r, 0.18 * r, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill(cr);
        cairo_restore(cr);

        /* Upper lid line (thick, dark) and lower lid line (thin). */
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_width(cr, 0.028);
        cairo_set_source_rgb(cr, 0.1, 0.07, 0.06);
        cairo_move_to(cr, cx - ew, cy);
        cairo_curve_to(cr, cx - 0.5 * ew, cy - 1.3 * up, cx + 0.5 * ew, cy - 1.3 * up, cx + ew,
                       cy);
        cairo_stroke(cr);
        cairo_set_line_width(cr, 0.012);
        set_rgba(cr, id->skin, 0.5, 0.8);
        cairo_move_to(cr, cx + ew, cy);
        cairo_curve_to(cr, cx + 0.5 * ew, cy + 1.3 * lo, cx - 0.5 * ew, cy + 1.3 * lo, cx - ew,
                       cy);
        cairo_stroke(cr);

        /* Lid crease above, hidden when the lid is raised; cheek bulge below
         * when squinting. */
        double crease = fmax(0, 0.6 - lid) * open;
        if (crease > 0) {
            cairo_set_line_width(cr, 0.01);
            set_rgba(cr, id->skin, 0.6, crease);
            cairo_move_to(cr, cx - 0.9 * ew, cy - 0.5 * up - 0.02);
            cairo_curve_to(cr, cx - 0.4 * ew, cy - 1.3 * up - 0.04, cx + 0.4 * ew,
                           cy - 1.3 * up - 0.04, cx + 0.9 * ew, cy - 0.5 * up - 0.02);
            cairo_stroke(cr);
        }
        if (squint > 0.2) {
            cairo_set_line_width(cr, 0.012);
            set_rgba(cr, id->skin, 0.6, fmin(squint, 1) * 0.7);
            cairo_move_to(cr, cx - 0.8 * ew, cy + lo + 0.035);
            cairo_curve_to(cr, cx - 0.3 * ew, cy + lo + 0.065, cx + 0.3 * ew, cy + lo + 0.065,
                           cx + 0.8 * ew, cy + lo + 0.035);
            cairo_stroke(cr);
        }
    }
}

static void draw_nose(cairo_t *cr, const nd_synth_identity *id, const double *act) {
    double wrinkle = act[ND_ACT_NOSE_WRINKLE], lip_raise = act[ND_ACT_UPPER_LIP_RAISE];
    double tip = id->nose_length - 0.03 * wrinkle;
    double nw = 0.09 * id->nose_width * (1 + 0.25 * wrinkle);

    /* Bridge shadow on one side and the tip with its nostrils. */
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, 0.018);
    set_rgba(cr, id->skin, 0.55, 0.45);
    cairo_move_to(cr, 0.05, id->eye_height + 0.03);
    cairo_curve_to(cr, 0.06, tip - 0.15, 0.09, tip - 0.08, 0.07, tip - 0.03);
    cairo_stroke(cr);

    cairo_set_line_width(cr, 0.02);
    set_rgba(cr, id->skin, 0.5, 0.8);
    cairo_move_to(cr, -nw, tip - 0.03);
    cairo_curve_to(cr, -nw - 0.03, tip + 0.02, -nw * 0.4, tip + 0.05, 0, tip + 0.03);
    cairo_curve_to(cr, nw * 0.4, tip + 0.05, nw + 0.03, tip + 0.02, nw, tip - 0.03);
    cairo_stroke(cr);
    for (int s = -1; s <= 1; s += 2) {
        cairo_save(cr);
        cairo_translate(cr, s * nw * 0.5, tip + 0.02);
        cairo_scale(cr, 0.03 * (1 + 0.4 * wrinkle), 0.014);
        cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
        cairo_restore(cr);
        cairo_set_source_rgba(cr, 0.15, 0.07, 0.05, 0.85);
        cairo_fill(cr);
    }

    /* Wrinkles across the bridge (nose wrinkle). */
    if (wrinkle > 0.1) {
        cairo_set_line_width(cr, 0.014);
        set_rgba(cr, id->skin, 0.5, fmin(wrinkle, 1) * 0.9);
        for (int k = 0; k < 3; k++) {
            double y = id->eye_height + 0.05 + 0.045 * k;
            cairo_move_to(cr, -0.07, y + 0.01);
            cairo_curve_to(cr, -0.03, y - 0.01, 0.03, y - 0.01, 0.07, y + 0.01);
            cairo_stroke(cr);
        }
    }

    /* Nasolabial folds from the nose wings towards the mouth corners; deeper
     * with smiles, nose wrinkles and a raised upper lip. */
    double fold = fmin(0.15 + 0.5 * fmax(act[ND_ACT_CORNER_UP], fmax(wrinkle, lip_raise)), 1);
    double mx = 0.5 * id->mouth_width + 0.06;
    cairo_set_line_width(cr, 0.015);
    set_rgba(cr, id->skin, 0.6, fold);
    for (int s = -1; s <= 1; s += 2) {
        cairo_move_to(cr, s * (nw + 0.04), tip - 0.05);
        cairo_curve_to(cr, s * (nw + 0.12), tip + 0.05, s * (mx + 0.02),
                       id->mouth_height - 0.08, s * mx, id->mouth_height + 0.06);
        cairo_stroke(cr);
    }
}

static void draw_mouth(cairo_t *cr, const nd_synth_identity *id, const double *act) {
    double up = act[ND_ACT_CORNER_UP], down = act[ND_ACT_CORNER_DOWN];
    double open = act[ND_ACT_MOUTH_OPEN], stretch = act[ND_ACT_LIP_STRETCH];
    double lip_raise = act[ND_ACT_UPPER_LIP_RAISE], jaw = act[ND_ACT_JAW_DROP];

    /* Key points: corners, upper lip (outer, inner) and lower lip (inner, outer). */
    double y = id->mouth_height;
    double hw = 0.5 * id->mouth_width * (1 + 0.5 * stretch + 0.25 * up - 0.15 * jaw);
    double cy = y - 0.16 * up + 0.14 * down + 0.01 * stretch;
    double gap = 0.28 * open + 0.25 * jaw;
    double upper_in = y - 0.09 * lip_raise - 0.01 * gap;
    double upper_out = upper_in - 0.045;
    double lower_in = y + gap + 0.03 * up;
    double lower_out = lower_in + 0.055;
    double sag = 0.03 * up - 0.02 * down; /* middle of the lips relative to the corners */

    /* Mouth cavity and teeth when the lips part. */
    if (gap > 0.01 || lip_raise > 0.25) {
        cairo_move_to(cr, -hw, cy);
        cairo_curve_to(cr, -0.5 * hw, upper_in + sag, 0.5 * hw, upper_in + sag, hw, cy);
        cairo_curve_to(cr, 0.5 * hw, lower_in + sag, -0.5 * hw, lower_in + sag, -hw, cy);
        cairo_close_path(cr);
        cairo_save(cr);
        cairo_clip_preserve(cr);
        cairo_set_source_rgb(cr, 0.22, 0.04, 0.05);
        cairo_fill(cr);
        cairo_rectangle(cr, -0.7 * hw, upper_in - 0.05, 1.4 * hw, 0.09 + 0.3 * lip_raise * 0.2);
        cairo_set_source_rgb(cr, 0.93, 0.92, 0.86);
        cairo_fill(cr);
        cairo_restore(cr);
    }

    /* Upper lip with a cupid's bow, then the lower lip. */
    set_rgb(cr, id->lips, 1);
    cairo_move_to(cr, -hw, cy);
    cairo_curve_to(cr, -0.6 * hw, upper_out + sag, -0.25 * hw, upper_out - 0.015 + sag, 0,
                   upper_out + 0.012 + sag);
    cairo_curve_to(cr, 0.25 * hw, upper_out - 0.015 + sag, 0.6 * hw, upper_out + sag, hw, cy);
    cairo_curve_to(cr, 0.5 * hw, upper_in + sag, -0.5 * hw, upper_in + sag, -hw, cy);
    cairo_close_path(cr);
    cairo_fill(cr);
    cairo_move_to(cr, -hw, cy);
    cairo_curve_to(cr, -0.5 * hw, lower_in + sag, 0.5 * hw, lower_in + sag, hw, cy);
    cairo_curve_to(cr, 0.6 * hw, lower_out + sag, -0.6 * hw, lower_out + sag, -hw, cy);
    cairo_close_path(cr);
    cairo_fill(cr);

    /* Dark line where the lips meet (closed mouth) or along the upper lip. */
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, 0.02);
    cairo_set_source_rgba(cr, 0.25, 0.07, 0.06, 0.9);
    cairo_move_to(cr, -hw, cy);
    cairo_curve_to(cr, -0.5 * hw, upper_in + sag, 0.5 * hw, upper_in + sag, hw, cy);
    cairo_stroke(cr);

    /* Shadow under the lower lip. */
    cairo_set_line_width(cr, 0.025);
    set_rgba(cr, id->skin, 0.6, 0.35);
    cairo_move_to(cr, -0.4 * hw, lower_out + sag + 0.04);
    cairo_curve_to(cr, -0.15 * hw, lower_out + sag + 0.055, 0.15 * hw,
                   lower_out + sag + 0.055, 0.4 * hw, lower_out + sag + 0.04);
    cairo_stroke(cr);
}

/* Draws light on forehead, nose bridge and cheekbones. The highlights keep
 * the eye band darker than its surroundings on dark skin too, which the
 * Viola-Jones Haar cascades of face detectors rely on. */
static void draw_highlights(cairo_t *cr, const nd_synth_identity *id) {
    static const double spots[4][3] = {{0, -0.5, 0.3}, {0, 0.05, 0.1}, {-1, 0.22, 0.17},
                                       {1, 0.22, 0.17}};
    for (int k = 0; k < 4; k++) {
        double x = spots[k][0] * (id->eye_spacing + 0.02), y = spots[k][1], r = spots[k][2];
        if (k > 0)
            y += id->eye_height;
        cairo_pattern_t *glow = cairo_pattern_create_radial(x, y, 0, x, y, r);
        cairo_pattern_add_color_stop_rgba(glow, 0, 1, 0.95, 0.9, 0.2);
        cairo_pattern_add_color_stop_rgba(glow, 1, 1, 0.95, 0.9, 0);
        cairo_set_source(cr, glow);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_pattern_destroy(glow);
    }
}

/* Rosy cheeks raised by a smile. */
static void draw_cheeks(cairo_t *cr, const nd_synth_identity *id, const double *act) {
    double up = act[ND_ACT_CORNER_UP];
    if (up < 0.1)
        return;
    for (int s = -1; s <= 1; s += 2) {
        double cx = s * (id->eye_spacing + 0.05), cy = id->eye_height + 0.25 - 0.05 * up;
        cairo_pattern_t *blush = cairo_pattern_create_radial(cx, cy, 0, cx, cy, 0.16);
        cairo_pattern_add_color_stop_rgba(blush, 0, 0.9, 0.4, 0.4, 0.3 * up);
        cairo_pattern_add_color_stop_rgba(blush, 1, 0.9, 0.4, 0.4, 0);
        cairo_set_source(cr, blush);
        cairo_arc(cr, cx, cy, 0.16, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_pattern_destroy(blush);
    }
}

void nd_synth_face_draw(cairo_t *cr, const nd_synth_identity *id, const double *act,
                        double yaw) {
    double a[ND_ACT_COUNT];
    for (int i = 0; i < ND_ACT_COUNT; i++)
        a[i] = fmin(fmax(act[i] + id->resting[i], 0), 1.2);

    cairo_save(cr);
    draw_body(cr, id);
    draw_head(cr, id, a[ND_ACT_JAW_DROP]);

    /* Features shift towards the turned side and narrow a little. */
    cairo_translate(cr, 0.13 * yaw, 0);
    cairo_scale(cr, 1 - 0.08 * fabs(yaw), 1);
    draw_highlights(cr, id);
    draw_cheeks(cr, id, a);
    draw_eyes(cr, id, a);
    draw_brows(cr, id, a);
    draw_nose(cr, id, a);
    draw_mouth(cr, id, a);
    cairo_restore(cr);
}
