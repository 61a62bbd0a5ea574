/* Rendering of one frame of a planned synthetic clip, either as a face crop
 * (DFEW-style, square) or as a wider video scene with the face somewhere in
 * it. Noise events of the plan are applied here. */
#ifndef ND_DATA_SYNTH_RENDER_H
#define ND_DATA_SYNTH_RENDER_H

#include <cairo.h>
#include <stdint.h>

#include "data/synth_plan.h"

typedef enum nd_synth_view { ND_SYNTH_VIEW_CROP, ND_SYNTH_VIEW_SCENE } nd_synth_view;

/* Drawing surface and its RGB copy (height x width x 3). */
typedef struct nd_synth_canvas {
    int width, height;
    nd_synth_view view;
    cairo_surface_t *surface;
    uint8_t *rgb;
} nd_synth_canvas;

int nd_synth_canvas_init(nd_synth_canvas *canvas, nd_synth_view view, int width, int height);
void nd_synth_canvas_free(nd_synth_canvas *canvas);

/* Renders frame (0-based) of clip into canvas->rgb. Returns 0, or -1 with
 * nd_fail() set. */
int nd_synth_render_frame(const nd_synth_clip *clip, int frame, nd_synth_canvas *canvas);

#endif
