#include "video/predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "video/decode.h"
#include "video/faceclip.h"
#include "video/facecrop.h"
#include "video/windows.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- Frame sources: a video decoder or a sorted list of image files ---- */

typedef struct source {
    const char *input;
    nd_decoder *decoder;
    char **paths;
    int num_paths;
    int next;
    double fps;
    nd_image loaded;
} source;

static int source_open(source *s, const char *input, const nd_predict_options *o) {
    memset(s, 0, sizeof(*s));
    s->input = input;
    if (!nd_is_dir(input)) {
        s->decoder = nd_decoder_open(input, o->threads);
        return s->decoder ? 0 : -1;
    }

    /* A folder: image files in natural order; other entries are ignored. */
    char **names;
    int count;
    if (nd_list_dir(input, &names, &count) != 0)
        return -1;
    s->paths = nd_malloc(sizeof(char *) * (count ? count : 1));
    int ignored = 0;
    for (int i = 0; i < count; i++) {
        char *path = nd_path_join(input, names[i]);
        if (nd_image_is_image_name(names[i]) && nd_is_file(path))
            s->paths[s->num_paths++] = path;
        else
            free(path), ignored++;
    }
    nd_free_list(names, count);
    if (ignored)
        nd_log_info("%s: ignoring %d entries that are not PNG or JPEG files", input, ignored);
    if (s->num_paths == 0)
        return nd_fail("%s: the folder has no PNG or JPEG frames", input);
    s->fps = o->folder_fps;
    return 0;
}

/* Reads the next frame in order. Pixels are decoded (folders) or converted
 * to RGB (videos) only when load is set; frame->rgb is NULL otherwise.
 * Returns 1, 0 at the end, -1. */
static int source_next(source *s, int load, nd_image *frame, double *time) {
    if (s->decoder) {
        nd_video_frame f;
        int rc = nd_decoder_next(s->decoder, &f, load);
        if (rc != 1)
            return rc;
        frame->width = f.width;
        frame->height = f.height;
        frame->rgb = (uint8_t *)f.rgb;
        *time = f.time;
        return 1;
    }
    if (s->next >= s->num_paths)
        return 0;
    int i = s->next++;
    *time = i / s->fps;
    nd_image_free(&s->loaded);
    memset(frame, 0, sizeof(*frame));
    if (!load)
        return 1;
    if (nd_image_load(s->paths[i], &s->loaded) != 0)
        return -1;
    *frame = s->loaded;
    return 1;
}

static void source_close(source *s) {
    nd_decoder_close(s->decoder);
    for (int i = 0; i < s->num_paths; i++)
        free(s->paths[i]);
    free(s->paths);
    nd_image_free(&s->loaded);
}

/* ---- Pass 1: frame times, detection and tracking ---- */

typedef struct timeline {
    double *times;
    int count, cap;
} timeline;

static int first_pass(source *s, const nd_predict_options *o, nd_tracker *tracker,
                      timeline *tl, nd_predict_result *r) {
    double next_detect = 0;
    for (;;) {
        nd_image frame;
        double t = 0, t0 = now_seconds();
        int rc = source_next(s, 0, &frame, &t);
        r->decode_seconds += now_seconds() - t0;
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;

        if (tl->count == tl->cap) {
            tl->cap = tl->cap ? 2 * tl->cap : 256;
            tl->times = nd_realloc(tl->times, sizeof(double) * tl->cap);
        }
        tl->times[tl->count] = t;
        /* Detection on frames ND_DETECT_PERIOD apart; only these frames are
         * converted to RGB in this pass. */
        if (tracker && t >= next_detect - 1e-6) {
            t0 = now_seconds();
            nd_video_frame vf;
            if (nd_decoder_convert(s->decoder, &vf) != 0)
                return -1;
            frame = (nd_image){vf.width, vf.height, (uint8_t *)vf.rgb};
            r->decode_seconds += now_seconds() - t0;
            t0 = now_seconds();
            nd_detect_frame(o->cascade, &frame, tracker, tl->count);
            r->detect_seconds += now_seconds() - t0;
            next_detect = t + ND_DETECT_PERIOD;
        }
        tl->count++;
        if (s->decoder && tl->count % 1000 == 0)
            nd_log_info("%s: read %d frames (%.0f s of video)", s->input, tl->count, t);
    }
    if (tl->count == 0)
        return nd_fail("%s: no frames could be decoded", s->input);
    return 0;
}

/* ---- Pass 2: crops and classification ---- */

/* Per-window work of pass 2. */
typedef struct window_work {
    nd_window window;
    int track;        /* -1: no face (or no detection: whole frame when detect is 0) */
    int *samples;     /* T frame indices */
    int last_sample;
    float *clip;      /* [T][3][S][S] once the first sampled frame is seen */
    int done;
} window_work;

typedef struct batch_state {
    const nd_predict_options *o;
    nd_classify_fn classify;
    void *context;
    float *clips;
    int *members;
    int count;
    int capacity; /* clips per model call: --batch, or the window count if lower */
    nrdfer_prediction *preds;
} batch_state;

static int run_batch(batch_state *b, window_work *work, nd_predict_result *r) {
    if (b->count == 0)
        return 0;
    size_t clip_floats = (size_t)b->o->frames * 3 * b->o->image_size * b->o->image_size;
    for (int i = 0; i < b->count; i++) {
        memcpy(b->clips + i * clip_floats, work[b->members[i]].clip,
               clip_floats * sizeof(float));
        free(work[b->members[i]].clip);
        work[b->members[i]].clip = NULL;
    }

    double t0 = now_seconds();
    int rc = b->classify(b->context, b->clips, b->count, b->preds);
    r->model_seconds += now_seconds() - t0;
    if (rc != 0)
        return -1;

    for (int i = 0; i < b->count; i++) {
        nd_window_result *w = &r->windows[b->members[i]];
        w->label = b->preds[i].label;
        w->neutral_suppressed = b->preds[i].neutral_suppressed;
        memcpy(w->probs, b->preds[i].probs, sizeof(w->probs));
    }
    b->count = 0;
    return 0;
}

/* Box to crop on frame f for a window: the track's box there, or the
 * nearest box of the track when it does not cover f. */
static const nd_box *crop_box(const nd_tracker *tracker, int track, int f) {
    const nd_track *tr = nd_tracker_get(tracker, track);
    if (f < tr->first)
        f = tr->first;
    if (f > tr->last)
        f = tr->last;
    return nd_track_box(tr, f);
}

static int second_pass(source *s, const nd_predict_options *o, const nd_tracker *tracker,
                       window_work *work, int num_windows, int num_frames,
                       batch_state *batch, nd_predict_result *r) {
    int T = o->frames, S = o->image_size;
    size_t frame_floats = (size_t)3 * S * S;
    int lo = 0; /* first window not finished */
    int frames_read = 0;

    for (int f = 0; f < num_frames; f++) {
        /* Is frame f sampled by any open window? */
        int needed = 0;
        for (int w = lo; w < num_windows && work[w].window.first <= f; w++)
            for (int k = 0; k < T && !needed; k++)
                needed = work[w].samples[k] == f && work[w].track != -2;

        nd_image frame;
        double t = 0, t0 = now_seconds();
        int rc = source_next(s, needed, &frame, &t);
        r->decode_seconds += now_seconds() - t0;
        if (rc < 0)
            return -1;
        if (rc == 1 && frame.rgb && r->width == 0) {
            r->width = frame.width;
            r->height = frame.height;
        }
        if (rc == 0) {
            nd_log_warn("%s: the second read ended after %d of %d frames; the rest is "
                        "classified from the frames read",
                        s->input, f, num_frames);
            break;
        }

        frames_read = f + 1;
        if (s->decoder && frames_read % 1000 == 0)
            nd_log_info("%s: cropped up to frame %d of %d", s->input, frames_read,
                        num_frames);

        /* Crop the frame into every window that samples it. */
        for (int w = lo; w < num_windows && work[w].window.first <= f; w++) {
            window_work *ww = &work[w];
            if (ww->track == -2)
                continue;
            for (int k = 0; k < T; k++) {
                if (ww->samples[k] != f)
                    continue;
                if (!ww->clip)
                    ww->clip = nd_malloc(sizeof(float) * frame_floats * T);
                const nd_box *box = ww->track >= 0 ? crop_box(tracker, ww->track, f) : NULL;
                nd_face_crop(&frame, box, S, ww->clip + k * frame_floats);
            }
        }

        /* Windows whose last sample has been read go to the batch. */
        for (int w = lo; w < num_windows && work[w].window.first <= f; w++) {
            window_work *ww = &work[w];
            if (ww->done || ww->last_sample > f)
                continue;
            ww->done = 1;
            if (ww->track == -2)
                continue;
            batch->members[batch->count++] = w;
            if (batch->count == batch->capacity && run_batch(batch, work, r) != 0)
                return -1;
        }
        while (lo < num_windows && work[lo].done)
            lo++;
    }

    /* When the second read ends early, the slots of frames not read repeat
     * the last slot that was filled (samples increase with the slot). */
    for (int w = lo; w < num_windows; w++) {
        window_work *ww = &work[w];
        if (ww->done || ww->track == -2)
            continue;
        ww->done = 1;
        if (!ww->clip)
            continue;
        for (int k = 1; k < T; k++)
            if (ww->samples[k] >= frames_read)
                memcpy(ww->clip + k * frame_floats, ww->clip + (k - 1) * frame_floats,
                       sizeof(float) * frame_floats);
        batch->members[batch->count++] = w;
        if (batch->count == batch->capacity && run_batch(batch, work, r) != 0)
            return -1;
    }
    return run_batch(batch, work, r);
}

/* ---- Results ---- */

static void summarise(nd_predict_result *r, int num_classes) {
    int faces = 0, suppressed = 0;
    memset(r->probs, 0, sizeof(r->probs));
    for (int w = 0; w < r->num_windows; w++) {
        nd_window_result *wr = &r->windows[w];
        if (!wr->face_found || wr->label < 0)
            continue;
        faces++;
        suppressed += wr->neutral_suppressed;
        for (int c = 0; c < num_classes; c++)
            r->probs[c] += wr->probs[c];
    }
    r->label = -1;
    r->neutral_suppressed = 0;
    if (faces == 0)
        return;
    for (int c = 0; c < num_classes; c++)
        r->probs[c] /= faces;
    r->label = 0;
    for (int c = 1; c < num_classes; c++)
        if (r->probs[c] > r->probs[r->label])
            r->label = c;
    r->neutral_suppressed = suppressed == faces;
}

/* Per-frame face box and window for drawing: the window whose middle is
 * nearest to the frame's time. */
static void frame_overlay(nd_predict_result *r, const nd_tracker *tracker,
                          const window_work *work) {
    r->frame_boxes = nd_calloc(r->frames, sizeof(nd_box));
    r->frame_windows = nd_calloc(r->frames, sizeof(int));
    int w = 0;
    for (int f = 0; f < r->frames; f++) {
        double t = r->times[f];
        while (w + 1 < r->num_windows &&
               fabs(0.5 * (r->windows[w + 1].start + r->windows[w + 1].end) - t) <=
                   fabs(0.5 * (r->windows[w].start + r->windows[w].end) - t))
            w++;
        r->frame_windows[f] = w;
        if (tracker && work[w].track >= 0)
            r->frame_boxes[f] = *crop_box(tracker, work[w].track, f);
    }
}

int nd_predict_input(const char *path, const nd_predict_options *o, nd_classify_fn classify,
                     void *context, nd_predict_result *r) {
    memset(r, 0, sizeof(*r));
    source s;
    timeline tl = {0};
    nd_tracker *tracker = NULL;
    window_work *work = NULL;
    nd_window *windows = NULL;
    batch_state batch = {0};
    int num_windows = 0, rc = -1;

    if (source_open(&s, path, o) != 0)
        goto done;
    r->is_video = s.decoder != NULL;
    int detect = r->is_video && o->detect;
    if (detect) {
        nd_track_params tp;
        double fps = nd_decoder_info(s.decoder)->fps;
        nd_track_params_default(&tp, fps);
        tracker = nd_tracker_create(&tp);
    }

    /* Pass 1. */
    if (first_pass(&s, o, tracker, &tl, r) != 0)
        goto done;
    if (tracker) {
        nd_tracker_finish(tracker, tl.count);
        for (int i = 0; i < nd_tracker_count(tracker); i++) {
            const nd_track *tr = nd_tracker_get(tracker, i);
            nd_box b = tr->boxes[0];
            nd_log_debug("%s: face track %d: frames %d-%d, %d detections, first box "
                         "%.0f,%.0f %.0fx%.0f",
                         path, i, tr->first, tr->last, tr->hits, b.x, b.y, b.w, b.h);
        }
    }
    r->frames = tl.count;
    r->times = tl.times;
    tl.times = NULL;
    if (r->is_video) {
        const nd_video_info *info = nd_decoder_info(s.decoder);
        double mean_period = r->frames > 1 ? r->times[r->frames - 1] / (r->frames - 1)
                                           : (info->fps > 0 ? 1.0 / info->fps : 0.04);
        r->duration = r->times[r->frames - 1] + mean_period;
        r->fps = info->fps > 0 ? info->fps : r->frames / r->duration;
        r->width = info->width;
        r->height = info->height;
        r->skipped_frames = nd_decoder_skipped(s.decoder);
    } else {
        r->fps = o->folder_fps;
        r->duration = r->frames / o->folder_fps;
    }

    /* Windows, their faces and their samples. */
    num_windows = nd_windows_make(r->times, r->frames, r->duration, o->window, o->stride,
                                  &windows);
    if (num_windows < 0) {
        num_windows = 0;
        goto done;
    }
    work = nd_calloc(num_windows, sizeof(window_work));
    r->windows = nd_calloc(num_windows, sizeof(nd_window_result));
    r->num_windows = num_windows;
    for (int w = 0; w < num_windows; w++) {
        window_work *ww = &work[w];
        nd_window_result *wr = &r->windows[w];
        ww->window = windows[w];
        wr->start = windows[w].start;
        wr->end = windows[w].end;
        wr->label = -1;
        ww->track = -1;
        if (detect) {
            ww->track = nd_window_pick_track(&windows[w], tracker, o->face_center, r->width,
                                             r->height, &wr->box);
            if (ww->track < 0)
                ww->track = -2; /* no face: nothing to classify */
        }
        wr->face_found = ww->track != -2;
        ww->samples = nd_malloc(sizeof(int) * o->frames);
        nd_window_sample(&windows[w], o->frames, ww->samples);
        for (int k = 0; k < o->frames; k++)
            if (ww->samples[k] > ww->last_sample)
                ww->last_sample = ww->samples[k];
    }

    /* Pass 2 reads the input again from its start. */
    source_close(&s);
    if (source_open(&s, path, o) != 0)
        goto done;
    batch.o = o;
    batch.classify = classify;
    batch.context = context;
    batch.capacity = o->batch < num_windows ? o->batch : num_windows;
    batch.clips = nd_malloc(sizeof(float) * batch.capacity * o->frames * 3 *
                            o->image_size * o->image_size);
    batch.members = nd_malloc(sizeof(int) * batch.capacity);
    batch.preds = nd_calloc(batch.capacity, sizeof(nrdfer_prediction));
    if (second_pass(&s, o, tracker, work, num_windows, r->frames, &batch, r) != 0)
        goto done;

    summarise(r, o->num_classes);
    frame_overlay(r, tracker, work);
    rc = 0;

done:
    source_close(&s);
    nd_tracker_free(tracker);
    for (int w = 0; work && w < num_windows; w++) {
        free(work[w].samples);
        free(work[w].clip);
    }
    free(work);
    free(windows);
    free(tl.times);
    free(batch.clips);
    free(batch.members);
    free(batch.preds);
    if (rc != 0)
        nd_predict_result_free(r);
    return rc;
}

void nd_predict_result_free(nd_predict_result *r) {
    free(r->windows);
    free(r->times);
    free(r->frame_boxes);
    free(r->frame_windows);
    memset(r, 0, sizeof(*r));
}
