/* Per-clip plan of the synthetic benchmark. Everything random about a clip
 * (class, identity, placement, timing of the expression, noise events) is
 * drawn once here from the clip's own random stream. The renderer
 * (synth_render.c) then turns a plan and a frame index into pixels. */
#ifndef ND_DATA_SYNTH_PLAN_H
#define ND_DATA_SYNTH_PLAN_H

#include <stdint.h>

#include "data/synth_face.h"

#define ND_SYNTH_CLASSES 7
#define ND_SYNTH_MIN_FRAMES 12
#define ND_SYNTH_MAX_FRAMES 60
#define ND_SYNTH_MAX_EVENTS 8
#define ND_SYNTH_MAX_SHAPES 10
#define ND_SYNTH_SCENE_WIDTH 320
#define ND_SYNTH_SCENE_HEIGHT 240

typedef enum nd_synth_noise {
    ND_SYNTH_NOISE_NONE,
    ND_SYNTH_NOISE_LOW,
    ND_SYNTH_NOISE_HIGH
} nd_synth_noise;

/* Class names in DFEW's label order (label = index + 1). */
extern const char *const nd_synth_class_names[ND_SYNTH_CLASSES];
extern const char *const nd_synth_noise_names[3];

typedef enum nd_synth_event_kind {
    ND_EV_LONG_NEUTRAL, /* the expression is short inside long neutral stretches */
    ND_EV_HAND,         /* a hand over part of the face; p: x0, y0, x1, y1, size, angle */
    ND_EV_BLOCK,        /* an object (rectangle) over part of the face; p: as HAND, colour */
    ND_EV_MOTION_BLUR,  /* p[0]: length as a fraction of the frame width, p[1]: angle */
    ND_EV_BLACK,        /* black frames; p[0]: grey level 0..255 */
    ND_EV_CUT,          /* frames of an unrelated shot without the face */
    ND_EV_OTHER_FACE,   /* another person for a few frames */
    ND_EV_FLICKER,      /* brightness jumps; p[0]: relative amplitude */
    ND_EV_JPEG,         /* strong compression artefacts; p[0]: JPEG quality */
    ND_EV_SHAKE,        /* camera shake; p[0]: amplitude as a fraction of the face size */
    ND_EV_COUNT
} nd_synth_event_kind;

extern const char *const nd_synth_event_names[ND_EV_COUNT];

/* One noise event over frames first..last (0-based, inclusive). */
typedef struct nd_synth_event {
    nd_synth_event_kind kind;
    int first, last;
    double p[8];
} nd_synth_event;

/* A backdrop: a gradient between two colours plus a few shapes
 * (style 0 bokeh discs, 1 stripes, 2 rectangles). */
typedef struct nd_synth_backdrop {
    double colour[3], colour2[3];
    double gradient_angle;
    int style;
    int shape_count;
    double shapes[ND_SYNTH_MAX_SHAPES][7]; /* x, y, w, h (fractions), r, g, b */
} nd_synth_backdrop;

typedef struct nd_synth_clip {
    int index;            /* 0-based position in the dataset */
    int id;               /* DFEW-style video id (index + 1) */
    int label;            /* class index 0..6 */
    int fold;             /* 0..4: the test fold holding this clip */
    int frames;
    uint64_t seed;        /* stream for per-frame draws (shake, flicker) */

    /* Expression timing: 0 until onset, rising to 1 at apex_first, held to
     * apex_last, then falling to `residual` at offset_end (offset_end < 0:
     * no offset, the apex lasts to the end). */
    int onset, apex_first, apex_last, offset_end;
    double residual;
    double intensity;               /* apex strength, 0.4..1 */
    double apex[ND_ACT_COUNT];      /* action intensities at the apex */
    double talk_amplitude, talk_period;
    int blink_count;
    int blinks[6];                  /* first frame of each blink */

    nd_synth_identity person, other_person;

    /* Face placement in the crop: pixels per face unit and centre, as
     * fractions of the frame size; roll in radians, yaw in [-1, 1]. */
    double scale, cx, cy, roll, yaw;
    double drift[4], drift_phase[4], drift_period; /* x, y, roll, yaw */
    double light_angle, light_strength;
    nd_synth_backdrop backdrop, cut_backdrop;

    /* Placement in the video scene (pixels). */
    double scene_scale, scene_cx, scene_cy;
    nd_synth_backdrop scene;

    int event_count;
    nd_synth_event events[ND_SYNTH_MAX_EVENTS];
} nd_synth_clip;

/* Number of clips of each class for a dataset of `clips` clips, in DFEW's
 * proportions (disgust about 1.2 %), every class present when clips >= 7. */
void nd_synth_class_counts(int clips, int counts[ND_SYNTH_CLASSES]);

/* Draws the plan of clip `index` with class `label` from rng. */
void nd_synth_plan_clip(nd_synth_clip *clip, int index, int label, nd_synth_noise noise,
                        uint64_t seed, nd_rng *rng);

/* Action intensities of the main person at frame (0-based). */
void nd_synth_clip_actions(const nd_synth_clip *clip, int frame, double act[ND_ACT_COUNT]);

/* Returns the event of the given kind active at frame, or NULL. */
const nd_synth_event *nd_synth_clip_event_at(const nd_synth_clip *clip,
                                             nd_synth_event_kind kind, int frame);

#endif
