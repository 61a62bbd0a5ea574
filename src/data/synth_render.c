#include "data/synth_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/image_write.h"
#include "util/error.h"

int nd_synth_canvas_init(nd_synth_canvas *canvas, nd_synth_view view, int width, int height) {
    memset(canvas, 0, sizeof *canvas);
    canvas->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_status_t status = cairo_surface_status(canvas->surface);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(canvas->surface);
        canvas->surface = NULL;
        return nd_fail("cannot create a %d x %d drawing surface: %s", width, height,
                       cairo_status_to_string(status));
    }
    canvas->width = width;
    canvas->height = height;
    canvas->view = view;
    canvas->rgb = nd_malloc((size_t)width * height * 3);
    return 0;
}

void nd_synth_canvas_free(nd_synth_canvas *canvas) {
    if (canvas->surface)
        cairo_surface_destroy(canvas->surface);
    free(canvas->rgb);
    memset(canvas, 0, sizeof *canvas);
}

/* Gradient between the two colours, then the shapes of the backdrop style. */
static void draw_backdrop(cairo_t *cr, const nd_synth_backdrop *b, int w, int h, int room) {
    double dx = cos(b->gradient_angle) * 0.5 * w, dy = sin(b->gradient_angle) * 0.5 * h;
    cairo_pattern_t *grad = cairo_pattern_create_linear(0.5 * w - dx, 0.5 * h - dy,
                                                        0.5 * w + dx, 0.5 * h + dy);
    cairo_pattern_add_color_stop_rgb(grad, 0, b->colour[0], b->colour[1], b->colour[2]);
    cairo_pattern_add_color_stop_rgb(grad, 1, b->colour2[0], b->colour2[1], b->colour2[2]);
    cairo_set_source(cr, grad);
    cairo_paint(cr);
    cairo_pattern_destroy(grad);

    /* A floor in the video scene. */
    if (room) {
        cairo_rectangle(cr, 0, 0.72 * h, w, 0.28 * h);
        cairo_set_source_rgb(cr, b->colour2[0] * 0.6, b->colour2[1] * 0.55,
                             b->colour2[2] * 0.5);
        cairo_fill(cr);
    }

    double size = w > h ? w : h;
    for (int s = 0; s < b->shape_count; s++) {
        const double *sh = b->shapes[s];
        double x = sh[0] * w, y = sh[1] * h;
        if (b->style == 0) {
            /* Out-of-focus lights. */
            double r = sh[2] * 0.6 * size;
            cairo_pattern_t *disc = cairo_pattern_create_radial(x, y, 0, x, y, r);
            cairo_pattern_add_color_stop_rgba(disc, 0, sh[4], sh[5], sh[6], 0.45);
            cairo_pattern_add_color_stop_rgba(disc, 1, sh[4], sh[5], sh[6], 0);
            cairo_set_source(cr, disc);
            cairo_arc(cr, x, y, r, 0, 2 * M_PI);
            cairo_fill(cr);
            cairo_pattern_destroy(disc);
        } else if (b->style == 1) {
            /* Wallpaper stripes. */
            cairo_rectangle(cr, x, 0, sh[2] * 0.3 * w, h);
            cairo_set_source_rgba(cr, sh[4], sh[5], sh[6], 0.25);
            cairo_fill(cr);
        } else {
            /* Furniture, frames and windows. */
            cairo_rectangle(cr, x - 0.5 * sh[2] * w, y - 0.5 * sh[3] * h, sh[2] * w, sh[3] * h);
            cairo_set_source_rgba(cr, sh[4], sh[5], sh[6], 0.9);
            cairo_fill(cr);
        }
    }
}

/* A hand over the face: palm, four fingers and a thumb, in face units. */
static void draw_hand(cairo_t *cr, double size, const double *skin) {
    cairo_set_source_rgb(cr, skin[0] * 0.95, skin[1] * 0.92, skin[2] * 0.9);
    cairo_save(cr);
    cairo_scale(cr, 0.55 * size, 0.65 * size);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr);
    cairo_fill(cr);

    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(cr, 0.24 * size);
    for (int f = 0; f < 4; f++) {
        double x = (-0.36 + 0.24 * f) * size;
        cairo_move_to(cr, x, -0.4 * size);
        cairo_line_to(cr, x * 1.2, (-1.25 + 0.1 * fabs(f - 1.5)) * size);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, 0.45 * size, 0.1 * size);
    cairo_line_to(cr, 0.95 * size, -0.35 * size);
    cairo_stroke(cr);

    /* Creases between the fingers keep it readable as a hand. */
    cairo_set_line_width(cr, 0.02 * size);
    cairo_set_source_rgba(cr, skin[0] * 0.5, skin[1] * 0.4, skin[2] * 0.35, 0.7);
    for (int f = 0; f < 3; f++) {
        double x = (-0.24 + 0.24 * f) * size;
        cairo_move_to(cr, x, -0.45 * size);
        cairo_line_to(cr, x * 1.2, -1.0 * size);
        cairo_stroke(cr);
    }
}

static void draw_occluders(cairo_t *cr, const nd_synth_clip *clip, int frame) {
    for (int i = 0; i < clip->event_count; i++) {
        const nd_synth_event *e = &clip->events[i];
        if ((e->kind != ND_EV_HAND && e->kind != ND_EV_BLOCK) || frame < e->first ||
            frame > e->last)
            continue;

        /* The occluder moves from (p0, p1) to (p2, p3) over the event. */
        double t = e->last > e->first ? (double)(frame - e->first) / (e->last - e->first) : 0;
        cairo_save(cr);
        cairo_translate(cr, e->p[0] + t * (e->p[2] - e->p[0]), e->p[1] + t * (e->p[3] - e->p[1]));
        cairo_rotate(cr, e->p[5]);
        if (e->kind == ND_EV_HAND) {
            draw_hand(cr, e->p[4], clip->other_person.skin);
        } else {
            double w = 1.3 * e->p[4], h = 0.9 * e->p[4];
            cairo_rectangle(cr, -0.5 * w, -0.5 * h, w, h);
            cairo_set_source_rgb(cr, e->p[6], e->p[7], 0.5 * (e->p[6] + e->p[7]));
            cairo_fill(cr);
        }
        cairo_restore(cr);
    }
}

/* Uneven light: darker on one side, slightly brighter on the other. */
static void draw_lighting(cairo_t *cr, const nd_synth_clip *clip, int w, int h) {
    double dx = cos(clip->light_angle) * 0.5 * w, dy = sin(clip->light_angle) * 0.5 * h;
    cairo_pattern_t *light = cairo_pattern_create_linear(0.5 * w - dx, 0.5 * h - dy,
                                                         0.5 * w + dx, 0.5 * h + dy);
    cairo_pattern_add_color_stop_rgba(light, 0, 0, 0, 0, clip->light_strength);
    cairo_pattern_add_color_stop_rgba(light, 1, 1, 1, 1, 0.3 * clip->light_strength);
    cairo_set_source(cr, light);
    cairo_paint(cr);
    cairo_pattern_destroy(light);
}

/* Face placement at frame: slow head drift plus camera shake, in face units. */
static void head_pose(const nd_synth_clip *clip, int frame, nd_rng *rng, double *dx, double *dy,
                      double *roll, double *yaw) {
    double phase = 2 * M_PI * frame / clip->drift_period;
    *dx = clip->drift[0] * sin(phase + clip->drift_phase[0]) / clip->scale;
    *dy = clip->drift[1] * sin(phase + clip->drift_phase[1]) / clip->scale;
    *roll = clip->roll + clip->drift[2] * sin(phase + clip->drift_phase[2]);
    *yaw = clip->yaw + clip->drift[3] * sin(phase + clip->drift_phase[3]);

    const nd_synth_event *shake = nd_synth_clip_event_at(clip, ND_EV_SHAKE, frame);
    if (shake) {
        *dx += 2 * shake->p[0] * nd_rng_normal(rng);
        *dy += 2 * shake->p[0] * nd_rng_normal(rng);
        *roll += 0.5 * shake->p[0] * nd_rng_normal(rng);
    }
}

static void draw_frame(cairo_t *cr, const nd_synth_clip *clip, int frame,
                       const nd_synth_canvas *canvas, nd_rng *rng) {
    int w = canvas->width, h = canvas->height;
    int scene = canvas->view == ND_SYNTH_VIEW_SCENE;

    /* A cut to an unrelated shot shows no face. */
    if (nd_synth_clip_event_at(clip, ND_EV_CUT, frame)) {
        draw_backdrop(cr, &clip->cut_backdrop, w, h, scene);
        return;
    }
    draw_backdrop(cr, scene ? &clip->scene : &clip->backdrop, w, h, scene);

    /* Face transform: pixels per face unit and the face centre. */
    double dx, dy, roll, yaw;
    head_pose(clip, frame, rng, &dx, &dy, &roll, &yaw);
    double k = scene ? clip->scene_scale : clip->scale * w;
    double cx = scene ? clip->scene_cx : clip->cx * w;
    double cy = scene ? clip->scene_cy : clip->cy * h;
    cairo_save(cr);
    cairo_translate(cr, cx + dx * k, cy + dy * k);
    cairo_rotate(cr, roll);
    cairo_scale(cr, k, k);

    double act[ND_ACT_COUNT];
    if (nd_synth_clip_event_at(clip, ND_EV_OTHER_FACE, frame)) {
        memset(act, 0, sizeof act);
        nd_synth_face_draw(cr, &clip->other_person, act, -yaw);
    } else {
        nd_synth_clip_actions(clip, frame, act);
        nd_synth_face_draw(cr, &clip->person, act, yaw);
    }
    draw_occluders(cr, clip, frame);
    cairo_restore(cr);
    draw_lighting(cr, clip, w, h);
}

/* Averages length + 1 samples along the direction angle (radians). */
static void motion_blur(uint8_t *rgb, int w, int h, int length, double angle) {
    uint8_t *src = nd_malloc((size_t)w * h * 3);
    memcpy(src, rgb, (size_t)w * h * 3);
    double ux = cos(angle), uy = sin(angle);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int sum[3] = {0, 0, 0};
            for (int s = 0; s <= length; s++) {
                double o = s - 0.5 * length;
                int sx = (int)lround(x + o * ux), sy = (int)lround(y + o * uy);
                sx = sx < 0 ? 0 : (sx >= w ? w - 1 : sx);
                sy = sy < 0 ? 0 : (sy >= h ? h - 1 : sy);
                const uint8_t *p = src + ((size_t)sy * w + sx) * 3;
                sum[0] += p[0], sum[1] += p[1], sum[2] += p[2];
            }
            uint8_t *q = rgb + ((size_t)y * w + x) * 3;
            for (int c = 0; c < 3; c++)
                q[c] = (uint8_t)((sum[c] + length / 2) / (length + 1));
        }
    }
    free(src);
}

/* Blur, brightness jumps, black frames and compression artefacts. */
static int apply_pixel_events(const nd_synth_clip *clip, int frame, nd_synth_canvas *canvas,
                              nd_rng *rng) {
    int w = canvas->width, h = canvas->height;
    size_t n = (size_t)w * h * 3;
    const nd_synth_event *e;

    if ((e = nd_synth_clip_event_at(clip, ND_EV_MOTION_BLUR, frame))) {
        int length = (int)lround(e->p[0] * w);
        if (length >= 1)
            motion_blur(canvas->rgb, w, h, length, e->p[1]);
    }
    if ((e = nd_synth_clip_event_at(clip, ND_EV_FLICKER, frame))) {
        double factor = 1 + e->p[0] * nd_rng_range(rng, -1, 1);
        for (size_t i = 0; i < n; i++)
            canvas->rgb[i] = (uint8_t)fmin(255, lround(canvas->rgb[i] * factor));
    }
    if ((e = nd_synth_clip_event_at(clip, ND_EV_BLACK, frame)))
        memset(canvas->rgb, (int)e->p[0], n);
    if ((e = nd_synth_clip_event_at(clip, ND_EV_JPEG, frame))) {
        uint8_t *data, *decoded;
        size_t size;
        int dw, dh;
        if (nd_image_encode_jpeg(canvas->rgb, w, h, (int)e->p[0], &data, &size) != 0)
            return -1;
        int status = nd_image_decode_jpeg_memory(data, size, &decoded, &dw, &dh);
        free(data);
        if (status != 0)
            return -1;
        ND_ASSERT(dw == w && dh == h);
        memcpy(canvas->rgb, decoded, n);
        free(decoded);
    }
    return 0;
}

int nd_synth_render_frame(const nd_synth_clip *clip, int frame, nd_synth_canvas *canvas) {
    /* Per-frame draws (shake, flicker) come from their own stream, so the
     * crop and the scene view of a frame agree. */
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(clip->seed, (uint64_t)clip->index, 1 + (uint64_t)frame));

    cairo_t *cr = cairo_create(canvas->surface);
    draw_frame(cr, clip, frame, canvas, &rng);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status != CAIRO_STATUS_SUCCESS)
        return nd_fail("drawing frame %d of clip %d failed: %s", frame + 1, clip->id,
                       cairo_status_to_string(status));

    /* Cairo's RGB24 pixels are native-endian 32-bit words 0x00RRGGBB. */
    cairo_surface_flush(canvas->surface);
    const unsigned char *data = cairo_image_surface_get_data(canvas->surface);
    int stride = cairo_image_surface_get_stride(canvas->surface);
    for (int y = 0; y < canvas->height; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *out = canvas->rgb + (size_t)y * canvas->width * 3;
        for (int x = 0; x < canvas->width; x++) {
            out[3 * x] = (uint8_t)(row[x] >> 16);
            out[3 * x + 1] = (uint8_t)(row[x] >> 8);
            out[3 * x + 2] = (uint8_t)row[x];
        }
    }
    return apply_pixel_events(clip, frame, canvas, &rng);
}
