/* Expression prediction over a whole input: a video file or a folder of
 * frames. Pass 1 reads every frame's time. For videos it also runs the face
 * detector every ND_DETECT_PERIOD seconds and tracks the faces. Then the
 * time line is cut into windows. Pass 2 reads the frames again, crops the
 * sampled frames of each window around its face and runs the classifier on
 * batches of windows, so only the crops of open windows stay in memory. */
#ifndef ND_VIDEO_PREDICT_H
#define ND_VIDEO_PREDICT_H

#include "nrdfer.h"
#include "video/cascade.h"
#include "video/track.h"

/* Seconds between two frames given to the face detector. */
#define ND_DETECT_PERIOD 0.2
/* Neighbouring hits a face needs (OpenCV's default is 3). With 2, the face
 * in movie-hello.mp4 (forensics-samples-files), a man with glasses who
 * often looks down, is found in 15 instead of 12 of 28 frames, with no false
 * face. On every 5th frame of Megamind.avi it adds 3 boxes: two off-centre
 * on faces and one on a hand in a single frame, which tracking drops. */
#define ND_DETECT_MIN_NEIGHBORS 2
/* Smallest face searched, as a fraction of the frame's shorter side: smaller
 * faces carry too few pixels for an expression, and skipping them saves
 * most of the detection time. */
#define ND_DETECT_MIN_FACE (1.0 / 15)
/* Longest image side given to the detector; larger frames are shrunk first. */
#define ND_DETECT_MAX_SIDE 1280

/* Runs the model on n clips [n][T][3][S][S]; returns 0 or -1 (nd_fail). */
typedef int (*nd_classify_fn)(void *context, const float *clips, int n,
                              nrdfer_prediction *out);

typedef struct nd_predict_options {
    int frames, image_size, num_classes; /* T, S and classes of the model */
    int detect;                 /* 1: detect faces in videos; folders never are */
    const nd_cascade *cascade;  /* needed when detect is 1 */
    int face_center;            /* 1: face nearest the centre, 0: largest face */
    double window, stride;      /* seconds */
    double folder_fps;          /* time base of frame folders */
    int batch;                  /* windows per classifier call */
    int threads;                /* decoder threads (0: automatic) */
} nd_predict_options;

typedef struct nd_window_result {
    double start, end;
    int face_found;
    nd_box box;                 /* mean face box over the window, when found */
    int label;                  /* -1 without a face */
    int neutral_suppressed;
    float probs[NRDFER_MAX_CLASSES];
} nd_window_result;

typedef struct nd_predict_result {
    int is_video;
    double duration, fps;
    int frames, width, height;  /* frame count and displayed size of the first frame */
    int label;                  /* argmax of probs, -1 when no window has a face */
    int neutral_suppressed;     /* 1 when every window with a face had neutral suppressed */
    float probs[NRDFER_MAX_CLASSES]; /* mean over the windows with a face */
    nd_window_result *windows;
    int num_windows;
    double *times;              /* per frame, seconds */
    nd_box *frame_boxes;        /* per frame: face box shown, w = 0 when none */
    int *frame_windows;         /* per frame: window whose middle is nearest */
    double decode_seconds, detect_seconds, model_seconds;
    int skipped_frames;
} nd_predict_result;

/* Processes one input (video file or frame folder). Returns 0, or -1 with
 * nd_fail() naming the input; result is then empty. */
int nd_predict_input(const char *path, const nd_predict_options *options,
                     nd_classify_fn classify, void *context, nd_predict_result *result);

void nd_predict_result_free(nd_predict_result *result);

#endif
