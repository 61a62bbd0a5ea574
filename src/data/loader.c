#include "data/loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "data/clip.h"
#include "data/resize.h"
#include "util/error.h"
#include "util/log.h"
#include "util/rng.h"
#include "video/cascade.h"
#include "video/faceclip.h"

/* The shuffle of an epoch draws from stream (seed, epoch, ORDER_STREAM);
 * clip streams use the clip index, which never reaches this value. */
#define ORDER_STREAM UINT64_MAX

/* Face crops of dataset videos are cut at this multiple of the model's input
 * size, as datasets ship crops larger than the input (DFEW: 224 x 224 for
 * 112 x 112), so that augmentation crops before it shrinks. */
#define VIDEO_CROP_SCALE 2

enum slot_state { SLOT_EMPTY, SLOT_BUSY, SLOT_READY, SLOT_FAILED };

/* One prefetch slot: the clip at order position `position`. */
typedef struct slot {
    enum slot_state state;
    int position;
    float *data; /* [T][3][S][S] */
    char *error; /* message of a failed clip */
    int short_video; /* a video clip with fewer frames than T */
} slot;

struct nd_loader {
    const nd_dataset *ds;
    int split;
    nd_loader_options opt;
    size_t clip_floats; /* T * 3 * S * S */

    int *indices; /* the clips this loader serves, indices into the split */
    int count;
    int *order; /* this epoch's order: count entries of indices[] */
    int epoch;

    /* Positions: workers take next_task; the consumer reads consume. A
     * worker may only take a position below consume + capacity. */
    int next_task, consume, epoch_end;
    slot *slots;
    int capacity;
    int in_flight;
    int failed; /* an error stopped the epoch */
    int skipped;

    pthread_mutex_t mutex;
    pthread_cond_t work_ready; /* a task can be taken, or stop */
    pthread_cond_t clip_done;  /* a slot changed state, or in_flight dropped */
    pthread_t *threads;
    int num_threads;
    int stop;

    nd_batch batch;
    nd_cascade *cascade; /* face detection in video clips, NULL when off */
    /* Face scans of the split's video clips, by clip index, made on first
     * use: detection is deterministic, so later epochs only decode frames. */
    nd_face_scan **scans;
    pthread_mutex_t scan_mutex;
    /* Video clips shorter than T seen this epoch. The reader cannot count
     * them without decoding, so the first full epoch logs the count. */
    int short_videos, short_logged, short_full_epoch;
};

void nd_loader_options_init(nd_loader_options *o) {
    memset(o, 0, sizeof *o);
    o->batch_size = 32;
    o->frames = 16;
    o->image_size = 112;
    o->threads = 2;
    o->bad_clips = ND_BAD_CLIPS_ERROR;
}

/* ---- Decoding one clip ---- */

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Decodes the distinct frames of sampled[0..t) into frames[] (n entries,
 * indexed by frame): image files, or face crops of a scanned video. */
static int decode_sampled(const nd_loader *l, const nd_clip *clip, const nd_face_scan *scan,
                          const int *sampled, int t, nd_image *frames) {
    if (!scan) {
        for (int i = 0; i < t; i++) {
            nd_image *frame = &frames[sampled[i]];
            if (!frame->rgb && nd_image_load(clip->frames[sampled[i]], frame) != 0)
                return -1;
        }
        return 0;
    }
    /* The video is read once, in order, so the distinct indices are sorted.
     * Sampled indices can go back: a clip of at most T / 2 frames samples
     * 0 1 0 1 ..., and the loop policy restarts at frame 0. */
    int *distinct = nd_malloc(sizeof *distinct * (size_t)t), count = 0;
    memcpy(distinct, sampled, sizeof *distinct * (size_t)t);
    qsort(distinct, (size_t)t, sizeof *distinct, compare_ints);
    for (int i = 0; i < t; i++)
        if (count == 0 || distinct[i] != distinct[count - 1])
            distinct[count++] = distinct[i];
    nd_image *crops = nd_calloc((size_t)count, sizeof *crops);
    int rc = nd_face_read_frames(clip->video, scan, distinct, count,
                                 VIDEO_CROP_SCALE * l->opt.image_size, crops);
    for (int i = 0; rc == 0 && i < count; i++)
        frames[distinct[i]] = crops[i];
    free(crops);
    free(distinct);
    return rc;
}

/* Loads a clip frame by frame: video clips, and file clips whose sampling
 * and transform modes differ (random sampling without augmentation, or
 * test sampling with it). It follows the steps of nd_clip_load_files,
 * drawing the sampling first and the augmentation second. */
/* Returns the face scan of video clip clip_index, scanning it on first use. */
static const nd_face_scan *clip_scan(nd_loader *l, int clip_index, const nd_clip *clip) {
    pthread_mutex_lock(&l->scan_mutex);
    const nd_face_scan *cached = l->scans[clip_index];
    pthread_mutex_unlock(&l->scan_mutex);
    if (cached)
        return cached;

    nd_face_scan *scan = nd_calloc(1, sizeof *scan);
    int face_found;
    if (nd_face_scan_video(clip->video, l->cascade, scan, &face_found) != 0) {
        free(scan);
        return NULL;
    }

    /* A clip listed twice may have been scanned by another worker meanwhile. */
    pthread_mutex_lock(&l->scan_mutex);
    if (l->scans[clip_index]) {
        nd_face_scan_free(scan);
        free(scan);
    } else {
        l->scans[clip_index] = scan;
        if (l->cascade && !face_found)
            nd_log_warn("clip %s: no face found in %s; its whole frames are used", clip->id,
                        clip->video);
    }
    cached = l->scans[clip_index];
    pthread_mutex_unlock(&l->scan_mutex);
    return cached;
}

static int load_clip_sampled(nd_loader *l, int clip_index, const nd_clip *clip, nd_rng *rng,
                             float *out, int *num_frames) {
    int t = l->opt.frames, s = l->opt.image_size, n = clip->num_frames;
    const nd_face_scan *scan = NULL;
    if (clip->video) {
        scan = clip_scan(l, clip_index, clip);
        if (!scan)
            return -1;
        n = scan->num_frames;
    }
    *num_frames = n;
    nd_clip_options co = {l->opt.random_sampling, t, s, l->ds->options.short_clips};
    int *sampled = nd_malloc(sizeof *sampled * (size_t)t);
    int rc = nd_clip_sample(sampled, n, &co, rng, clip->id);
    if (rc != ND_CLIP_LOADED) {
        free(sampled);
        return rc;
    }

    nd_image *frames = nd_calloc((size_t)n, sizeof *frames);
    if (decode_sampled(l, clip, scan, sampled, t, frames) != 0)
        rc = -1;

    /* One augmentation draw for the clip, sized by its first sampled frame. */
    const nd_image *reference = &frames[sampled[0]];
    nd_augment_params params;
    if (rc == ND_CLIP_LOADED && l->opt.augment)
        nd_augment_draw(&params, reference->width, reference->height, rng);
    for (int i = 0; i < t && rc == ND_CLIP_LOADED; i++) {
        const nd_image *frame = &frames[sampled[i]];
        nd_image result, scaled = {0, 0, NULL};
        if (!l->opt.augment) {
            nd_test_transform(&result, frame, s);
        } else {
            if (frame->width != reference->width || frame->height != reference->height) {
                nd_resize_bilinear(&scaled, frame, NULL, reference->width,
                                   reference->height);
                frame = &scaled;
            }
            nd_augment_apply(&result, frame, &params, s);
            nd_image_free(&scaled);
        }
        nd_image_to_chw(out + (size_t)i * 3 * s * s, &result);
        nd_image_free(&result);
    }
    for (int i = 0; i < n; i++)
        nd_image_free(&frames[i]);
    free(frames);
    free(sampled);
    return rc;
}

/* Loads one clip into out [T][3][S][S] through the frame pipeline: sampling
 * after the short-clip policy, decoding, augmentation or test transform. */
static int load_clip(nd_loader *l, int clip_index, const nd_clip *clip, nd_rng *rng,
                     float *out, int *num_frames) {
    int rc, n = clip->num_frames;
    if (l->opt.augment == l->opt.random_sampling && !clip->video) {
        nd_clip_options co = {l->opt.augment, l->opt.frames, l->opt.image_size,
                              l->ds->options.short_clips};
        rc = nd_clip_load_files(out, NULL, (const char *const *)clip->frames,
                                clip->num_frames, &co, rng);
    } else {
        rc = load_clip_sampled(l, clip_index, clip, rng, out, &n);
    }
    *num_frames = n;
    if (rc == ND_CLIP_DROPPED)
        return nd_fail(
            "clip %s: %d frames, fewer than %d, and the short-clip policy is drop",
            clip->id, n, l->opt.frames);
    if (rc != ND_CLIP_LOADED)
        return nd_fail("clip %s: %s", clip->id, nd_last_error());
    return 0;
}

/* Loads the clip at order position p into its slot's data, or its error
 * message into slot->error; called without the lock held, which is safe
 * because the slot is BUSY and owned by this thread. The caller then sets
 * the state under the lock. Returns SLOT_READY or SLOT_FAILED. */
static enum slot_state fill_slot(nd_loader *l, int position, int epoch) {
    slot *sl = &l->slots[position % l->capacity];
    int clip_index = l->order[position];
    const nd_clip *clip = &l->ds->splits[l->split].clips[clip_index];
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(l->opt.seed, (uint64_t)epoch, (uint64_t)clip_index));
    int n = 0;
    int rc = load_clip(l, clip_index, clip, &rng, sl->data, &n);
    sl->short_video = clip->video && n < l->opt.frames;
    if (rc == 0)
        return SLOT_READY;
    free(sl->error);
    sl->error = nd_strdup(nd_last_error());
    return SLOT_FAILED;
}

/* ---- Worker threads ---- */

static void *worker_main(void *arg) {
    nd_loader *l = arg;
    pthread_mutex_lock(&l->mutex);
    for (;;) {
        /* Wait for a position inside the prefetch window. */
        while (!l->stop &&
               !(l->next_task < l->epoch_end && l->next_task < l->consume + l->capacity))
            pthread_cond_wait(&l->work_ready, &l->mutex);
        if (l->stop)
            break;
        int position = l->next_task++;
        int epoch = l->epoch;
        slot *sl = &l->slots[position % l->capacity];
        ND_ASSERT(sl->state == SLOT_EMPTY);
        sl->state = SLOT_BUSY;
        sl->position = position;
        l->in_flight++;
        pthread_mutex_unlock(&l->mutex);

        enum slot_state state = fill_slot(l, position, epoch);

        pthread_mutex_lock(&l->mutex);
        sl->state = state;
        l->in_flight--;
        pthread_cond_broadcast(&l->clip_done);
    }
    pthread_mutex_unlock(&l->mutex);
    return NULL;
}

/* ---- Creating and freeing ---- */

nd_loader *nd_loader_create(const nd_dataset *ds, int split, const int *indices,
                            int count, const nd_loader_options *options) {
    const nd_loader_options *o = options;
    if (split != ND_SPLIT_TRAIN && split != ND_SPLIT_TEST) {
        nd_fail("invalid split %d for the loader", split);
        return NULL;
    }
    const nd_split *sp = &ds->splits[split];
    if (o->batch_size < 1 || o->frames < 2 || o->frames % 2 || o->image_size < 1 ||
        o->threads < 0 || o->prefetch < 0) {
        nd_fail(
            "invalid loader options: batch %d (>= 1), frames %d (even, >= 2), size %d "
            "(>= 1), threads %d (>= 0), prefetch %d (>= 0)",
            o->batch_size, o->frames, o->image_size, o->threads, o->prefetch);
        return NULL;
    }
    if (!indices)
        count = sp->count;
    for (int i = 0; indices && i < count; i++) {
        if (indices[i] < 0 || indices[i] >= sp->count) {
            nd_fail("clip index %d is outside the split (0..%d)", indices[i],
                    sp->count - 1);
            return NULL;
        }
    }

    /* Video clips need the face detector unless detection is off. */
    nd_cascade *cascade;
    if (nd_dataset_load_cascade(ds, split, &cascade) != 0)
        return NULL;

    nd_loader *l = nd_calloc(1, sizeof *l);
    l->cascade = cascade;
    l->scans = nd_calloc((size_t)(sp->count ? sp->count : 1), sizeof *l->scans);
    pthread_mutex_init(&l->scan_mutex, NULL);
    l->ds = ds;
    l->split = split;
    l->opt = *o;
    l->clip_floats = (size_t)o->frames * 3 * o->image_size * o->image_size;
    l->count = count;
    l->indices = nd_malloc(sizeof *l->indices * (size_t)(count ? count : 1));
    for (int i = 0; i < count; i++)
        l->indices[i] = indices ? indices[i] : i;
    l->order = nd_malloc(sizeof *l->order * (size_t)(count ? count : 1));
    memcpy(l->order, l->indices, sizeof *l->order * (size_t)count);

    /* Prefetch slots, batch buffers, then the workers. */
    l->capacity = o->prefetch ? o->prefetch : o->batch_size;
    if (l->capacity < 2 * o->threads)
        l->capacity = 2 * o->threads;
    if (l->capacity < 1)
        l->capacity = 1;
    l->slots = nd_calloc((size_t)l->capacity, sizeof *l->slots);
    for (int i = 0; i < l->capacity; i++)
        l->slots[i].data = nd_malloc(sizeof(float) * l->clip_floats);
    l->batch.clips = nd_malloc(sizeof(float) * l->clip_floats * (size_t)o->batch_size);
    l->batch.labels = nd_malloc(sizeof(int) * (size_t)o->batch_size);
    l->batch.indices = nd_malloc(sizeof(int) * (size_t)o->batch_size);

    pthread_mutex_init(&l->mutex, NULL);
    pthread_cond_init(&l->work_ready, NULL);
    pthread_cond_init(&l->clip_done, NULL);
    l->threads = nd_calloc((size_t)(o->threads ? o->threads : 1), sizeof *l->threads);
    for (int i = 0; i < o->threads; i++) {
        if (pthread_create(&l->threads[i], NULL, worker_main, l) != 0) {
            nd_fail("cannot start loader thread %d of %d", i + 1, o->threads);
            nd_loader_free(l);
            return NULL;
        }
        l->num_threads++;
    }
    return l;
}

void nd_loader_free(nd_loader *l) {
    if (!l)
        return;
    pthread_mutex_lock(&l->mutex);
    l->stop = 1;
    pthread_cond_broadcast(&l->work_ready);
    pthread_mutex_unlock(&l->mutex);
    for (int i = 0; i < l->num_threads; i++)
        pthread_join(l->threads[i], NULL);
    pthread_mutex_destroy(&l->mutex);
    pthread_cond_destroy(&l->work_ready);
    pthread_cond_destroy(&l->clip_done);
    for (int i = 0; i < l->capacity; i++) {
        free(l->slots[i].data);
        free(l->slots[i].error);
    }
    free(l->slots);
    free(l->threads);
    free(l->batch.clips);
    free(l->batch.labels);
    free(l->batch.indices);
    free(l->order);
    free(l->indices);
    for (int i = 0; i < l->ds->splits[l->split].count; i++) {
        if (l->scans[i])
            nd_face_scan_free(l->scans[i]);
        free(l->scans[i]);
    }
    free(l->scans);
    pthread_mutex_destroy(&l->scan_mutex);
    nd_cascade_free(l->cascade);
    free(l);
}

/* ---- Epochs and batches ---- */

int nd_loader_start_epoch(nd_loader *l, int epoch, int position) {
    if (position < 0 || position > l->count)
        return nd_fail("invalid loader position %d: the epoch has %d clips", position,
                       l->count);

    /* Let work in flight finish before the order changes under it. */
    pthread_mutex_lock(&l->mutex);
    l->epoch_end = 0;
    while (l->in_flight > 0)
        pthread_cond_wait(&l->clip_done, &l->mutex);

    memcpy(l->order, l->indices, sizeof *l->order * (size_t)l->count);
    if (l->opt.shuffle) {
        nd_rng rng;
        nd_rng_seed(&rng, nd_rng_derive(l->opt.seed, (uint64_t)epoch, ORDER_STREAM));
        for (int i = l->count - 1; i > 0; i--) {
            int j = (int)nd_rng_int(&rng, 0, i);
            int t = l->order[i];
            l->order[i] = l->order[j];
            l->order[j] = t;
        }
    }
    for (int i = 0; i < l->capacity; i++)
        l->slots[i].state = SLOT_EMPTY;
    l->epoch = epoch;
    l->next_task = position;
    l->consume = position;
    l->epoch_end = l->count;
    l->failed = 0;
    l->short_videos = 0;
    l->short_full_epoch = position == 0;
    pthread_cond_broadcast(&l->work_ready);
    pthread_mutex_unlock(&l->mutex);
    return 0;
}

/* Waits for the clip at the consume position (or loads it here when there
 * are no workers) and returns its slot, with the lock held on return. */
static slot *wait_for_clip(nd_loader *l) {
    slot *sl = &l->slots[l->consume % l->capacity];
    if (l->num_threads == 0) {
        sl->state = SLOT_BUSY;
        sl->position = l->consume;
        pthread_mutex_unlock(&l->mutex);
        enum slot_state state = fill_slot(l, l->consume, l->epoch);
        pthread_mutex_lock(&l->mutex);
        sl->state = state;
        return sl;
    }
    while (!(sl->state == SLOT_READY || sl->state == SLOT_FAILED) ||
           sl->position != l->consume)
        pthread_cond_wait(&l->clip_done, &l->mutex);
    return sl;
}

int nd_loader_next(nd_loader *l, nd_batch *batch) {
    int b = l->opt.batch_size, filled = 0;
    pthread_mutex_lock(&l->mutex);
    if (l->failed) {
        pthread_mutex_unlock(&l->mutex);
        return nd_fail("the loader stopped after a failed clip; start a new epoch");
    }
    while (filled < b && l->consume < l->epoch_end) {
        slot *sl = wait_for_clip(l);
        int clip_index = l->order[l->consume];
        const nd_clip *clip = &l->ds->splits[l->split].clips[clip_index];

        /* A failed clip stops the epoch or is skipped, logged and counted. */
        if (sl->state == SLOT_FAILED) {
            if (l->opt.bad_clips == ND_BAD_CLIPS_ERROR) {
                l->failed = 1;
                l->epoch_end = l->consume;
                nd_fail("%s", sl->error);
                pthread_mutex_unlock(&l->mutex);
                return -1;
            }
            nd_log_warn("skipped %s", sl->error);
            l->skipped++;
        } else {
            memcpy(l->batch.clips + (size_t)filled * l->clip_floats, sl->data,
                   sizeof(float) * l->clip_floats);
            l->batch.labels[filled] = clip->label;
            l->batch.indices[filled] = clip_index;
            l->short_videos += sl->short_video;
            filled++;
        }

        /* Free the slot and let a worker take the next position. */
        sl->state = SLOT_EMPTY;
        l->consume++;
        pthread_cond_broadcast(&l->work_ready);
    }
    if (l->consume == l->count && l->short_full_epoch && !l->short_logged) {
        l->short_logged = 1;
        if (l->short_videos)
            nd_log_info("%s split: %d video clips shorter than %d frames, policy %s",
                        l->split == ND_SPLIT_TRAIN ? "train" : "test", l->short_videos,
                        l->opt.frames, nd_short_clip_name(l->ds->options.short_clips));
    }
    pthread_mutex_unlock(&l->mutex);

    if (filled == 0 || (filled < b && l->opt.drop_last))
        return 0;
    l->batch.count = filled;
    *batch = l->batch;
    return 1;
}

int nd_loader_position(const nd_loader *l) {
    return l->consume;
}

int nd_loader_size(const nd_loader *l) {
    return l->count;
}

int nd_loader_skipped(const nd_loader *l) {
    return l->skipped;
}
