/* Analysis windows over a video's time line: --window seconds long, one
 * every --stride seconds from 0, and a last window that ends with the video,
 * so every frame is in at least one window. A video no longer than one
 * window gives a single window over the whole video. */
#ifndef ND_VIDEO_WINDOWS_H
#define ND_VIDEO_WINDOWS_H

#include "video/track.h"

typedef struct nd_window {
    double start, end; /* seconds */
    int first, count;  /* frames [first, first + count) */
} nd_window;

/* Maximum number of windows of one input (about 12 days of video at a 1 s stride). */
#define ND_MAX_WINDOWS (1 << 20)

/* Builds the windows for n frames at times[] (seconds, increasing) of a
 * video lasting duration seconds. Returns the number of windows (>= 1 when
 * n >= 1) and a new array of them in *windows, or -1 (nd_fail set) when
 * there would be more than ND_MAX_WINDOWS. A window whose time span holds no
 * frame gets the frame nearest to its middle. */
int nd_windows_make(const double *times, int n, double duration, double length,
                    double stride, nd_window **windows);

/* Writes the T frames of the window chosen by the test sampling (absolute
 * frame indices). */
void nd_window_sample(const nd_window *window, int t, int *frames);

/* Chooses the face of a window: among tracks that cover at least half of
 * the window's frames, the largest (mean box area) or, with center set,
 * the one nearest to the frame centre. Writes the chosen track's mean box
 * over the window to *box and returns the track index, or -1 when no track
 * covers enough frames. */
int nd_window_pick_track(const nd_window *window, const nd_tracker *tracker, int center,
                         int frame_width, int frame_height, nd_box *box);

#endif
