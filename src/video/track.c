#include "video/track.h"

#include <math.h>
#include <stdlib.h>

#include "util/error.h"

/* Detections linked so far into one track. */
typedef struct raw_track {
    int *frames;
    nd_box *boxes;
    int count, cap;
    int active;
} raw_track;

struct nd_tracker {
    nd_track_params params;
    raw_track *raw;
    int num_raw, cap_raw;
    int last_frame, interval;
    nd_track *tracks;
    int num_tracks;
};

void nd_track_params_default(nd_track_params *p, double fps) {
    p->min_iou = 0.3f;
    p->max_gap = (int)lround(2 * (fps > 0 ? fps : 25));
    p->min_hits = 3;
    p->smooth = 2;
}

nd_tracker *nd_tracker_create(const nd_track_params *params) {
    nd_tracker *t = nd_calloc(1, sizeof(*t));
    t->params = *params;
    t->last_frame = -1;
    return t;
}

float nd_box_iou(nd_box a, nd_box b) {
    float x0 = fmaxf(a.x, b.x), y0 = fmaxf(a.y, b.y);
    float x1 = fminf(a.x + a.w, b.x + b.w), y1 = fminf(a.y + a.h, b.y + b.h);
    if (x1 <= x0 || y1 <= y0)
        return 0;
    float inter = (x1 - x0) * (y1 - y0);
    return inter / (a.w * a.h + b.w * b.h - inter);
}

static void raw_push(raw_track *r, int frame, nd_box box) {
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->frames = nd_realloc(r->frames, sizeof(int) * r->cap);
        r->boxes = nd_realloc(r->boxes, sizeof(nd_box) * r->cap);
    }
    r->frames[r->count] = frame;
    r->boxes[r->count] = box;
    r->count++;
}

void nd_tracker_add(nd_tracker *t, int frame, const nd_rect *faces, int n) {
    ND_ASSERT(frame > t->last_frame);
    if (t->last_frame >= 0 && (t->interval == 0 || frame - t->last_frame < t->interval))
        t->interval = frame - t->last_frame;
    t->last_frame = frame;

    /* Tracks unseen for longer than the allowed gap end here. */
    for (int i = 0; i < t->num_raw; i++) {
        raw_track *r = &t->raw[i];
        if (r->active && frame - r->frames[r->count - 1] > t->params.max_gap)
            r->active = 0;
    }

    /* Greedy association: the best overlapping (track, face) pair first. */
    int *used = nd_calloc(n ? n : 1, sizeof(int));
    int *matched = nd_calloc(t->num_raw ? t->num_raw : 1, sizeof(int));
    for (;;) {
        float best = t->params.min_iou;
        int bi = -1, bj = -1;
        for (int i = 0; i < t->num_raw; i++) {
            raw_track *r = &t->raw[i];
            if (!r->active || matched[i])
                continue;
            for (int j = 0; j < n; j++) {
                if (used[j])
                    continue;
                nd_box b = {(float)faces[j].x, (float)faces[j].y, (float)faces[j].w,
                            (float)faces[j].h};
                float iou = nd_box_iou(r->boxes[r->count - 1], b);
                if (iou >= best) {
                    best = iou, bi = i, bj = j;
                }
            }
        }
        if (bi < 0)
            break;
        nd_box b = {(float)faces[bj].x, (float)faces[bj].y, (float)faces[bj].w,
                    (float)faces[bj].h};
        raw_push(&t->raw[bi], frame, b);
        matched[bi] = used[bj] = 1;
    }

    /* Faces left over start new tracks. */
    for (int j = 0; j < n; j++) {
        if (used[j])
            continue;
        if (t->num_raw == t->cap_raw) {
            t->cap_raw = t->cap_raw ? 2 * t->cap_raw : 8;
            t->raw = nd_realloc(t->raw, sizeof(raw_track) * t->cap_raw);
        }
        raw_track *r = &t->raw[t->num_raw++];
        *r = (raw_track){0};
        r->active = 1;
        nd_box b = {(float)faces[j].x, (float)faces[j].y, (float)faces[j].w,
                    (float)faces[j].h};
        raw_push(r, frame, b);
    }
    free(used);
    free(matched);
}

/* Builds the per-frame boxes of a kept track: detections smoothed by a
 * moving average, then linear interpolation between them. */
static void build_track(nd_track *out, const raw_track *r, const nd_track_params *p,
                        int half_interval, int num_frames) {
    nd_box *smooth = nd_malloc(sizeof(nd_box) * r->count);
    for (int i = 0; i < r->count; i++) {
        int lo = i - p->smooth < 0 ? 0 : i - p->smooth;
        int hi = i + p->smooth >= r->count ? r->count - 1 : i + p->smooth;
        float cx = 0, cy = 0, w = 0, h = 0;
        for (int k = lo; k <= hi; k++) {
            cx += r->boxes[k].x + r->boxes[k].w / 2;
            cy += r->boxes[k].y + r->boxes[k].h / 2;
            w += r->boxes[k].w;
            h += r->boxes[k].h;
        }
        float m = (float)(hi - lo + 1);
        smooth[i] = (nd_box){cx / m - w / m / 2, cy / m - h / m / 2, w / m, h / m};
    }

    out->first = r->frames[0] - half_interval;
    out->last = r->frames[r->count - 1] + half_interval;
    if (out->first < 0)
        out->first = 0;
    if (out->last > num_frames - 1)
        out->last = num_frames - 1;
    out->hits = r->count;
    out->boxes = nd_malloc(sizeof(nd_box) * (out->last - out->first + 1));

    int k = 0;
    for (int f = out->first; f <= out->last; f++) {
        while (k + 1 < r->count && r->frames[k + 1] <= f)
            k++;
        nd_box b = smooth[k];
        if (f > r->frames[k] && k + 1 < r->count) {
            float a = (float)(f - r->frames[k]) / (float)(r->frames[k + 1] - r->frames[k]);
            nd_box c = smooth[k + 1];
            b = (nd_box){b.x + a * (c.x - b.x), b.y + a * (c.y - b.y), b.w + a * (c.w - b.w),
                         b.h + a * (c.h - b.h)};
        }
        out->boxes[f - out->first] = b;
    }
    free(smooth);
}

void nd_tracker_finish(nd_tracker *t, int num_frames) {
    int half = t->interval / 2;
    t->tracks = nd_calloc(t->num_raw ? t->num_raw : 1, sizeof(nd_track));
    for (int i = 0; i < t->num_raw; i++) {
        raw_track *r = &t->raw[i];
        if (r->count >= t->params.min_hits && num_frames > 0)
            build_track(&t->tracks[t->num_tracks++], r, &t->params, half, num_frames);
    }
}

int nd_tracker_count(const nd_tracker *t) {
    return t->num_tracks;
}

const nd_track *nd_tracker_get(const nd_tracker *t, int index) {
    ND_ASSERT(index >= 0 && index < t->num_tracks);
    return &t->tracks[index];
}

const nd_box *nd_track_box(const nd_track *track, int frame) {
    if (frame < track->first || frame > track->last)
        return NULL;
    return &track->boxes[frame - track->first];
}

void nd_tracker_free(nd_tracker *t) {
    if (!t)
        return;
    for (int i = 0; i < t->num_raw; i++) {
        free(t->raw[i].frames);
        free(t->raw[i].boxes);
    }
    for (int i = 0; i < t->num_tracks; i++)
        free(t->tracks[i].boxes);
    free(t->raw);
    free(t->tracks);
    free(t);
}
