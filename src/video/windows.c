#include "video/windows.h"

#include <math.h>
#include <stdlib.h>

#include "data/sampling.h"
#include "util/error.h"

/* Tolerance for comparing times in seconds. */
#define TIME_EPS 1e-6

static void fill_frames(nd_window *w, const double *times, int n, int last) {
    int first = 0;
    while (first < n && times[first] < w->start - TIME_EPS)
        first++;
    int end = first;
    while (end < n && (times[end] < w->end - TIME_EPS || (last && times[end] <= w->end)))
        end++;
    w->first = first;
    w->count = end - first;
    if (w->count > 0)
        return;

    /* No frame in the span: take the frame nearest to its middle. */
    double mid = 0.5 * (w->start + w->end);
    int best = 0;
    for (int i = 1; i < n; i++)
        if (fabs(times[i] - mid) < fabs(times[best] - mid))
            best = i;
    w->first = best;
    w->count = 1;
}

int nd_windows_make(const double *times, int n, double duration, double length,
                    double stride, nd_window **windows) {
    ND_ASSERT(n >= 1 && length > 0 && stride > 0);

    /* The count is checked first: a frame folder read at a tiny --fps lasts
     * for ages and would otherwise make windows until memory runs out. */
    double expected = (duration - length) / stride + 2;
    if (!(expected <= ND_MAX_WINDOWS))
        return nd_fail("%g s of video with windows every %g s makes more than %d "
                       "windows: raise --stride, or check --fps for a frame folder",
                       duration, stride, ND_MAX_WINDOWS);
    int cap = 8, count = 0;
    nd_window *w = nd_malloc(sizeof(nd_window) * cap);

    if (duration <= length + TIME_EPS) {
        w[count++] = (nd_window){0, duration, 0, 0};
    } else {
        for (int k = 0;; k++) {
            double start = k * stride;
            if (start + length > duration - TIME_EPS)
                break;
            if (count == cap)
                w = nd_realloc(w, sizeof(nd_window) * (cap *= 2));
            w[count++] = (nd_window){start, start + length, 0, 0};
        }

        /* The last window ends with the video. */
        if (count == 0 || w[count - 1].end < duration - TIME_EPS) {
            if (count == cap)
                w = nd_realloc(w, sizeof(nd_window) * (cap *= 2));
            w[count++] = (nd_window){duration - length, duration, 0, 0};
        }
    }
    for (int i = 0; i < count; i++)
        fill_frames(&w[i], times, n, i == count - 1);
    *windows = w;
    return count;
}

void nd_window_sample(const nd_window *window, int t, int *frames) {
    nd_sample_test(frames, window->count, t);
    for (int i = 0; i < t; i++)
        frames[i] += window->first;
}

int nd_window_pick_track(const nd_window *window, const nd_tracker *tracker, int center,
                         int frame_width, int frame_height, nd_box *box) {
    int best = -1;
    double best_score = 0;
    for (int i = 0; i < nd_tracker_count(tracker); i++) {
        const nd_track *track = nd_tracker_get(tracker, i);

        /* Mean box over the frames of the window the track covers. */
        nd_box mean = {0, 0, 0, 0};
        int covered = 0;
        for (int f = window->first; f < window->first + window->count; f++) {
            const nd_box *b = nd_track_box(track, f);
            if (!b)
                continue;
            mean.x += b->x, mean.y += b->y, mean.w += b->w, mean.h += b->h;
            covered++;
        }
        if (2 * covered < window->count || covered == 0)
            continue;
        mean.x /= covered, mean.y /= covered, mean.w /= covered, mean.h /= covered;

        /* Larger score wins: area, or closeness to the frame centre. */
        double score;
        if (center) {
            double dx = mean.x + mean.w / 2 - frame_width / 2.0;
            double dy = mean.y + mean.h / 2 - frame_height / 2.0;
            score = 1.0 / (1.0 + sqrt(dx * dx + dy * dy));
        } else {
            score = (double)mean.w * mean.h;
        }
        if (best < 0 || score > best_score) {
            best = i;
            best_score = score;
            *box = mean;
        }
    }
    return best;
}
