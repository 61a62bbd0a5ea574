#include "data/synth_plan.h"

#include <math.h>
#include <string.h>

#include "util/error.h"

const char *const nd_synth_class_names[ND_SYNTH_CLASSES] = {
    "happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"};
const char *const nd_synth_noise_names[3] = {"none", "low", "high"};
const char *const nd_synth_event_names[ND_EV_COUNT] = {
    "long_neutral", "hand", "block", "motion_blur", "black",
    "cut",          "other_face", "flicker", "jpeg", "shake"};

/* Class totals of DFEW's 11,697 single-labelled clips (happy, sad, neutral,
 * angry, surprise, disgust, fear). */
static const int dfew_totals[ND_SYNTH_CLASSES] = {2445, 1894, 2669, 2173, 1469, 145, 902};

/* Apex actions of each class, which overlap on purpose. Surprise and fear
 * both raise the brows and open the mouth, and fear adds knit brows and
 * stretched lips. Angry and disgust both lower the brows, and disgust adds
 * the nose wrinkle and the raised upper lip. Sad is a weak inner-brow raise
 * with lowered corners, close to some neutral resting faces. */
static const struct {
    int action;
    double value;
} prototypes[ND_SYNTH_CLASSES][6] = {
    /* happy */
    {{ND_ACT_CORNER_UP, 1.0}, {ND_ACT_SQUINT, 0.5}, {ND_ACT_LIP_STRETCH, 0.2},
     {-1, 0}, {-1, 0}, {-1, 0}},
    /* sad */
    {{ND_ACT_BROW_INNER_RAISE, 0.8}, {ND_ACT_CORNER_DOWN, 0.7}, {ND_ACT_SQUINT, 0.25},
     {ND_ACT_BROW_KNIT, 0.2}, {-1, 0}, {-1, 0}},
    /* neutral */
    {{-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}, {-1, 0}},
    /* angry */
    {{ND_ACT_BROW_LOWER, 1.0}, {ND_ACT_BROW_KNIT, 1.0}, {ND_ACT_LID_RAISE, 0.35},
     {ND_ACT_CORNER_DOWN, 0.3}, {-1, 0}, {-1, 0}},
    /* surprise */
    {{ND_ACT_BROW_RAISE, 1.0}, {ND_ACT_LID_RAISE, 0.8}, {ND_ACT_JAW_DROP, 0.9},
     {ND_ACT_MOUTH_OPEN, 0.6}, {-1, 0}, {-1, 0}},
    /* disgust */
    {{ND_ACT_BROW_LOWER, 0.6}, {ND_ACT_BROW_KNIT, 0.3}, {ND_ACT_NOSE_WRINKLE, 1.0},
     {ND_ACT_UPPER_LIP_RAISE, 0.9}, {ND_ACT_SQUINT, 0.4}, {ND_ACT_CORNER_DOWN, 0.3}},
    /* fear */
    {{ND_ACT_BROW_RAISE, 0.75}, {ND_ACT_BROW_KNIT, 0.7}, {ND_ACT_LID_RAISE, 1.0},
     {ND_ACT_LIP_STRETCH, 0.9}, {ND_ACT_MOUTH_OPEN, 0.45}, {ND_ACT_JAW_DROP, 0.2}},
};

void nd_synth_class_counts(int clips, int counts[ND_SYNTH_CLASSES]) {
    int total = 0;
    for (int c = 0; c < ND_SYNTH_CLASSES; c++)
        total += dfew_totals[c];

    /* Largest remainder: floors first, then one more to the largest fractions. */
    double frac[ND_SYNTH_CLASSES];
    int assigned = 0;
    for (int c = 0; c < ND_SYNTH_CLASSES; c++) {
        double exact = (double)clips * dfew_totals[c] / total;
        counts[c] = (int)floor(exact);
        frac[c] = exact - counts[c];
        assigned += counts[c];
    }
    while (assigned < clips) {
        int best = 0;
        for (int c = 1; c < ND_SYNTH_CLASSES; c++)
            if (frac[c] > frac[best])
                best = c;
        counts[best]++;
        frac[best] = -1;
        assigned++;
    }

    /* Every class present: take a clip from the largest class for each empty one. */
    if (clips < ND_SYNTH_CLASSES)
        return;
    for (int c = 0; c < ND_SYNTH_CLASSES; c++) {
        if (counts[c] > 0)
            continue;
        int largest = 0;
        for (int k = 1; k < ND_SYNTH_CLASSES; k++)
            if (counts[k] > counts[largest])
                largest = k;
        counts[largest]--;
        counts[c]++;
    }
}

static void random_backdrop(nd_synth_backdrop *b, nd_rng *rng) {
    for (int i = 0; i < 3; i++) {
        b->colour[i] = nd_rng_range(rng, 0.1, 0.9);
        b->colour2[i] = fmin(fmax(b->colour[i] + nd_rng_range(rng, -0.3, 0.3), 0), 1);
    }
    b->gradient_angle = nd_rng_range(rng, 0, 2 * M_PI);
    b->style = (int)nd_rng_int(rng, 0, 2);
    b->shape_count = (int)nd_rng_int(rng, 0, ND_SYNTH_MAX_SHAPES);
    for (int s = 0; s < b->shape_count; s++) {
        double *sh = b->shapes[s];
        sh[0] = nd_rng_uniform(rng);
        sh[1] = nd_rng_uniform(rng);
        sh[2] = nd_rng_range(rng, 0.05, 0.4);
        sh[3] = nd_rng_range(rng, 0.05, 0.4);
        for (int i = 0; i < 3; i++)
            sh[4 + i] = nd_rng_range(rng, 0, 1);
    }
}

/* Video scene: a room wall with a few objects; the face sits somewhere in it. */
static void random_scene(nd_synth_clip *clip, nd_rng *rng) {
    random_backdrop(&clip->scene, rng);
    clip->scene.style = 2;
    clip->scene_scale = nd_rng_range(rng, 28, 55);
    double margin_x = 1.1 * clip->scene_scale, margin_top = 1.1 * clip->scene_scale;
    double margin_bottom = 0.9 * clip->scene_scale;
    clip->scene_cx = nd_rng_range(rng, margin_x, ND_SYNTH_SCENE_WIDTH - margin_x);
    clip->scene_cy = nd_rng_range(rng, margin_top, ND_SYNTH_SCENE_HEIGHT - margin_bottom);
}

/* Expression timing. With long neutral stretches the apex is short and late. */
static void plan_timing(nd_synth_clip *clip, int long_neutral, nd_rng *rng) {
    int n = clip->frames;
    int hold_min, hold_max;
    if (long_neutral) {
        clip->onset = (int)nd_rng_int(rng, (int)(0.25 * n), (int)(0.5 * n));
        hold_min = 3;
        hold_max = (int)fmax(3, 0.2 * n);
    } else {
        clip->onset = (int)nd_rng_int(rng, 0, (int)(0.25 * n));
        hold_min = (int)fmax(3, 0.3 * n);
        hold_max = (int)fmax(hold_min, 0.6 * n);
    }
    int rise = (int)nd_rng_int(rng, 1, (int)fmax(1, 0.2 * n));
    clip->apex_first = clip->onset + rise;
    if (clip->apex_first > n - 3)
        clip->apex_first = n - 3;
    if (clip->onset >= clip->apex_first)
        clip->onset = clip->apex_first - 1;
    int hold = (int)nd_rng_int(rng, hold_min, hold_max);
    clip->apex_last = clip->apex_first + hold - 1;
    if (clip->apex_last > n - 1)
        clip->apex_last = n - 1;

    /* Sometimes an offset back towards neutral. */
    clip->offset_end = -1;
    clip->residual = 1;
    int room = n - 1 - clip->apex_last;
    if (room >= 2 && (long_neutral || nd_rng_uniform(rng) < 0.4)) {
        clip->offset_end = clip->apex_last + (int)nd_rng_int(rng, 1, (int)fmin(room, 8));
        clip->residual = nd_rng_range(rng, 0, 0.3);
    }
}

static void plan_expression(nd_synth_clip *clip, nd_rng *rng) {
    memset(clip->apex, 0, sizeof clip->apex);
    clip->intensity = nd_rng_range(rng, 0.4, 1.0);
    for (int k = 0; k < 6; k++) {
        int a = prototypes[clip->label][k].action;
        if (a >= 0)
            clip->apex[a] = prototypes[clip->label][k].value * nd_rng_range(rng, 0.8, 1.2);
    }

    /* Variants: open-mouthed smiles, shouting anger (close to fear). */
    if (clip->label == 0 && nd_rng_uniform(rng) < 0.5)
        clip->apex[ND_ACT_MOUTH_OPEN] = nd_rng_range(rng, 0.2, 0.5);
    if (clip->label == 3 && nd_rng_uniform(rng) < 0.35) {
        clip->apex[ND_ACT_MOUTH_OPEN] = nd_rng_range(rng, 0.3, 0.6);
        clip->apex[ND_ACT_LIP_STRETCH] = nd_rng_range(rng, 0.2, 0.5);
        clip->apex[ND_ACT_CORNER_DOWN] = 0;
    }
    for (int a = 0; a < ND_ACT_COUNT; a++)
        clip->apex[a] *= clip->intensity;

    /* Speech-like mouth movement and blinks, in every class. */
    clip->talk_amplitude = nd_rng_uniform(rng) < 0.4 ? nd_rng_range(rng, 0.05, 0.2) : 0;
    clip->talk_period = nd_rng_range(rng, 3, 7);
    clip->blink_count = (int)nd_rng_int(rng, 0, 1 + clip->frames / 30);
    for (int b = 0; b < clip->blink_count; b++)
        clip->blinks[b] = (int)nd_rng_int(rng, 0, clip->frames - 1);
}

static void add_event(nd_synth_clip *clip, nd_synth_event_kind kind, int first, int last) {
    ND_ASSERT(clip->event_count < ND_SYNTH_MAX_EVENTS);
    nd_synth_event *e = &clip->events[clip->event_count++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->first = first < 0 ? 0 : first;
    e->last = last >= clip->frames ? clip->frames - 1 : last;
}

/* A random run of frames of length lo..hi inside the clip. */
static void random_span(const nd_synth_clip *clip, int lo, int hi, nd_rng *rng, int *first,
                        int *last) {
    int n = clip->frames;
    int len = (int)nd_rng_int(rng, lo, hi < lo ? lo : hi);
    if (len > n)
        len = n;
    *first = (int)nd_rng_int(rng, 0, n - len);
    *last = *first + len - 1;
}

static void plan_event(nd_synth_clip *clip, nd_synth_event_kind kind, int mild, nd_rng *rng) {
    int n = clip->frames, first, last;
    switch (kind) {
    case ND_EV_HAND:
    case ND_EV_BLOCK:
        random_span(clip, n / 5, n / 2, rng, &first, &last);
        break;
    case ND_EV_BLACK:
    case ND_EV_CUT:
        random_span(clip, 1, 3, rng, &first, &last);
        break;
    case ND_EV_OTHER_FACE:
        random_span(clip, 2, 5, rng, &first, &last);
        break;
    case ND_EV_MOTION_BLUR:
    case ND_EV_FLICKER:
        random_span(clip, 2, mild ? 4 : 10, rng, &first, &last);
        break;
    default:
        random_span(clip, n / 4, n, rng, &first, &last);
        break;
    }
    add_event(clip, kind, first, last);
    nd_synth_event *e = &clip->events[clip->event_count - 1];

    /* Parameters of the event. */
    switch (kind) {
    case ND_EV_HAND:
    case ND_EV_BLOCK:
        /* Start and end centre in face units, size, angle, colour. */
        e->p[0] = nd_rng_range(rng, -0.6, 0.6);
        e->p[1] = nd_rng_range(rng, -0.4, 0.7);
        e->p[2] = e->p[0] + nd_rng_range(rng, -0.3, 0.3);
        e->p[3] = e->p[1] + nd_rng_range(rng, -0.2, 0.2);
        e->p[4] = nd_rng_range(rng, 0.35, 0.6);
        e->p[5] = nd_rng_range(rng, -0.8, 0.8);
        e->p[6] = nd_rng_uniform(rng);
        e->p[7] = nd_rng_uniform(rng);
        break;
    case ND_EV_MOTION_BLUR:
        e->p[0] = mild ? nd_rng_range(rng, 0.02, 0.04) : nd_rng_range(rng, 0.03, 0.09);
        e->p[1] = nd_rng_range(rng, 0, M_PI);
        break;
    case ND_EV_BLACK:
        e->p[0] = (double)nd_rng_int(rng, 0, 12);
        break;
    case ND_EV_FLICKER:
        e->p[0] = mild ? nd_rng_range(rng, 0.1, 0.25) : nd_rng_range(rng, 0.25, 0.6);
        break;
    case ND_EV_JPEG:
        e->p[0] = mild ? (double)nd_rng_int(rng, 25, 40) : (double)nd_rng_int(rng, 12, 30);
        break;
    case ND_EV_SHAKE:
        e->p[0] = mild ? nd_rng_range(rng, 0.01, 0.03) : nd_rng_range(rng, 0.03, 0.08);
        break;
    default:
        break;
    }
}

static void plan_noise(nd_synth_clip *clip, nd_synth_noise noise, int long_neutral,
                       nd_rng *rng) {
    clip->event_count = 0;
    if (long_neutral)
        add_event(clip, ND_EV_LONG_NEUTRAL, 0, clip->frames - 1);
    if (noise == ND_SYNTH_NOISE_LOW) {
        static const nd_synth_event_kind mild[] = {ND_EV_MOTION_BLUR, ND_EV_FLICKER,
                                                   ND_EV_JPEG, ND_EV_SHAKE};
        if (nd_rng_uniform(rng) < 0.6)
            plan_event(clip, mild[nd_rng_int(rng, 0, 3)], 1, rng);
    } else if (noise == ND_SYNTH_NOISE_HIGH) {
        int count = (int)nd_rng_int(rng, 1, 3);
        for (int k = 0; k < count; k++)
            plan_event(clip, (nd_synth_event_kind)nd_rng_int(rng, ND_EV_HAND, ND_EV_SHAKE), 0,
                       rng);
    }
}

void nd_synth_plan_clip(nd_synth_clip *clip, int index, int label, nd_synth_noise noise,
                        uint64_t seed, nd_rng *rng) {
    memset(clip, 0, sizeof *clip);
    clip->index = index;
    clip->id = index + 1;
    clip->label = label;
    clip->seed = seed;
    clip->frames = (int)nd_rng_int(rng, ND_SYNTH_MIN_FRAMES, ND_SYNTH_MAX_FRAMES);

    /* People, placement, light and backgrounds. */
    nd_synth_identity_random(&clip->person, rng);
    nd_synth_identity_random(&clip->other_person, rng);
    clip->scale = nd_rng_range(rng, 0.4, 0.46);
    clip->cx = 0.5 + nd_rng_range(rng, -0.04, 0.04);
    clip->cy = 0.5 + nd_rng_range(rng, -0.02, 0.06);
    clip->roll = nd_rng_range(rng, -0.14, 0.14);
    clip->yaw = nd_rng_range(rng, -0.5, 0.5);
    clip->drift[0] = nd_rng_range(rng, 0, 0.05);
    clip->drift[1] = nd_rng_range(rng, 0, 0.04);
    clip->drift[2] = nd_rng_range(rng, 0, 0.05);
    clip->drift[3] = nd_rng_range(rng, 0, 0.2);
    for (int i = 0; i < 4; i++)
        clip->drift_phase[i] = nd_rng_range(rng, 0, 2 * M_PI);
    clip->drift_period = nd_rng_range(rng, 20, 80);
    clip->light_angle = nd_rng_range(rng, 0, 2 * M_PI);
    clip->light_strength = nd_rng_range(rng, 0, 0.45);
    random_backdrop(&clip->backdrop, rng);
    random_backdrop(&clip->cut_backdrop, rng);
    random_scene(clip, rng);

    /* Expression and its timing, then the noise events. */
    int long_neutral = noise == ND_SYNTH_NOISE_HIGH && nd_rng_uniform(rng) < 0.5;
    plan_timing(clip, long_neutral, rng);
    plan_expression(clip, rng);
    plan_noise(clip, noise, long_neutral, rng);
}

/* Expression strength at frame t: 0 -> 1 (smoothstep) -> residual. */
static double envelope(const nd_synth_clip *clip, int t) {
    if (t < clip->onset)
        return 0;
    if (t < clip->apex_first) {
        double x = (double)(t - clip->onset + 1) / (clip->apex_first - clip->onset + 1);
        return x * x * (3 - 2 * x);
    }
    if (t <= clip->apex_last || clip->offset_end < 0)
        return 1;
    if (t >= clip->offset_end)
        return clip->residual;
    double x = (double)(t - clip->apex_last) / (clip->offset_end - clip->apex_last);
    double s = x * x * (3 - 2 * x);
    return 1 + (clip->residual - 1) * s;
}

void nd_synth_clip_actions(const nd_synth_clip *clip, int frame, double act[ND_ACT_COUNT]) {
    double e = envelope(clip, frame);
    for (int a = 0; a < ND_ACT_COUNT; a++)
        act[a] = clip->apex[a] * e;

    /* Speech and blinks (a blink closes the eye over three frames). */
    if (clip->talk_amplitude > 0) {
        double s = sin(2 * M_PI * frame / clip->talk_period);
        act[ND_ACT_MOUTH_OPEN] += clip->talk_amplitude * fmax(s, 0);
    }
    for (int b = 0; b < clip->blink_count; b++) {
        int d = frame - clip->blinks[b];
        if (d == 1)
            act[ND_ACT_BLINK] = 1;
        else if (d == 0 || d == 2)
            act[ND_ACT_BLINK] = fmax(act[ND_ACT_BLINK], 0.5);
    }
}

const nd_synth_event *nd_synth_clip_event_at(const nd_synth_clip *clip,
                                             nd_synth_event_kind kind, int frame) {
    for (int i = 0; i < clip->event_count; i++) {
        const nd_synth_event *e = &clip->events[i];
        if (e->kind == kind && frame >= e->first && frame <= e->last)
            return e;
    }
    return NULL;
}
