/* Face tracking between detections. The detector runs on some frames only,
 * and the tracker links its boxes over time by overlap (IoU), bridging short
 * gaps. Tracks with too few detections are dropped, which removes isolated
 * false detections. The boxes are smoothed and interpolated for every frame
 * in between. */
#ifndef ND_VIDEO_TRACK_H
#define ND_VIDEO_TRACK_H

#include "video/cascade.h"

/* Box in pixels with fractional coordinates: top-left corner and size. */
typedef struct nd_box {
    float x, y, w, h;
} nd_box;

typedef struct nd_track_params {
    float min_iou;    /* a detection continues a track when IoU >= this (0.3) */
    int max_gap;      /* frames a track may go without detection (about 2 s, so a
                       * face turned down for a moment keeps its track) */
    int min_hits;     /* detections a track needs to be kept (3) */
    int smooth;       /* boxes are averaged over +- this many detections (2) */
} nd_track_params;

/* A kept track: a box for every frame in [first, last]. */
typedef struct nd_track {
    int first, last;
    int hits;
    nd_box *boxes; /* last - first + 1 boxes */
} nd_track;

typedef struct nd_tracker nd_tracker;

/* Sets the defaults above for a video of fps frames per second. */
void nd_track_params_default(nd_track_params *params, double fps);

nd_tracker *nd_tracker_create(const nd_track_params *params);

/* Adds the faces found on frame (frame indices increase from call to call;
 * call it with n = 0 for a detection frame without faces). */
void nd_tracker_add(nd_tracker *tracker, int frame, const nd_rect *faces, int n);

/* Ends tracking after num_frames frames and builds the kept tracks. A track
 * covers its first to its last detection, extended by half the detection
 * interval on each side (interval = frames between calls to add). */
void nd_tracker_finish(nd_tracker *tracker, int num_frames);

int nd_tracker_count(const nd_tracker *tracker);
const nd_track *nd_tracker_get(const nd_tracker *tracker, int index);

/* Returns the track's box on frame, or NULL when the track does not cover it. */
const nd_box *nd_track_box(const nd_track *track, int frame);

void nd_tracker_free(nd_tracker *tracker);

float nd_box_iou(nd_box a, nd_box b);

#endif
