/* Procedural faces for the synthetic benchmark, drawn with cairo.
 *
 * A face is an identity (shape, colours, feature sizes) plus a vector of
 * action intensities in [0, 1]. The actions loosely follow the action units
 * of the Facial Action Coding System (FACS): brow raise (AU1+2), inner brow
 * raise (AU1), brow lower (AU4), brow knit, upper lid raise (AU5), squint
 * and cheek raise (AU6/7), lip corner up (AU12), lip corner down (AU15),
 * mouth opening (AU25), lip stretch (AU20), nose wrinkle (AU9), upper lip
 * raise (AU10), jaw drop (AU26) and eye closure for blinks (AU45).
 * Expressions are mixtures of these (synth_plan.c). */
#ifndef ND_DATA_SYNTH_FACE_H
#define ND_DATA_SYNTH_FACE_H

#include <cairo.h>

#include "util/rng.h"

typedef enum nd_synth_action {
    ND_ACT_BROW_RAISE,
    ND_ACT_BROW_INNER_RAISE,
    ND_ACT_BROW_LOWER,
    ND_ACT_BROW_KNIT,
    ND_ACT_LID_RAISE,
    ND_ACT_SQUINT,
    ND_ACT_CORNER_UP,
    ND_ACT_CORNER_DOWN,
    ND_ACT_MOUTH_OPEN,
    ND_ACT_LIP_STRETCH,
    ND_ACT_NOSE_WRINKLE,
    ND_ACT_UPPER_LIP_RAISE,
    ND_ACT_JAW_DROP,
    ND_ACT_BLINK,
    ND_ACT_COUNT
} nd_synth_action;

/* Names of the actions, in enum order, as synth.json writes them. */
extern const char *const nd_synth_action_names[ND_ACT_COUNT];

/* Appearance of one person. Lengths are in face units: the face spans about
 * y = -1 (top of the head) to y = +1 (chin), x to the right, y down. */
typedef struct nd_synth_identity {
    double face_half_width; /* half width of the face at the cheekbones */
    double jaw_width;       /* jaw width as a fraction of face_half_width */
    double skin[3], hair[3], iris[3], lips[3], clothes[3];
    int hair_style;         /* 0 short, 1 long (behind the face), 2 bald, 3 fringe */
    double hairline;        /* y of the hairline at the centre */
    double eye_spacing;     /* x of each eye centre */
    double eye_size;        /* scale of the eyes */
    double eye_height;      /* y of the eye centres */
    double brow_thickness;  /* stroke width of the brows */
    double brow_arch;
    double nose_length;     /* y of the nose tip */
    double nose_width;
    double mouth_width;     /* full width of the closed mouth */
    double mouth_height;    /* y of the mouth line */
    int beard;              /* 1: stubble shading on the jaw */
    double resting[ND_ACT_COUNT]; /* actions present in the relaxed face */
} nd_synth_identity;

void nd_synth_identity_random(nd_synth_identity *id, nd_rng *rng);

/* Draws body, neck, head, hair and features in face units on cr, whose
 * transform the caller has set. act contains the ND_ACT_COUNT action
 * intensities. yaw in [-1, 1] turns the head, shifting the features towards
 * the turned side. */
void nd_synth_face_draw(cairo_t *cr, const nd_synth_identity *id, const double *act,
                        double yaw);

#endif
