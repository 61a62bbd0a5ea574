#include "data/synth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/image_write.h"
#include "data/synth_render.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "video/encode.h"

#define CLIP_DIR "Clip/clip_224x224"
#define SPLIT_DIR "EmoLabel_DataSplit"
#define VIDEO_DIR "videos"
#define GENERATOR_NAME "nrdfer synth"

/* First stream id of the draws that concern the whole dataset. Clip streams
 * use the clip index (< ND_SYNTH_MAX_CLIPS) instead, so the two never meet. */
#define DATASET_STREAM 0xFFFFFFFFull

/* State shared by the worker threads. */
typedef struct synth_job {
    const nd_synth_options *options;
    nd_synth_clip *clips;
    const int *labels, *folds;
    pthread_mutex_t lock;
    int next, done, failed;
    char error[1024];
    const char *video_codec;
} synth_job;

/* ---- Output folder ---- */

/* Returns the clip count of a previous synth output in dir, or 0 when dir
 * contains none. */
static int previous_synth_clips(const char *dir) {
    char *path = nd_path_join(dir, "synth.json");
    char *text;
    size_t size;
    int clips = 0;
    if (nd_is_file(path) && nd_read_file(path, &text, &size) == 0) {
        cJSON *root = cJSON_Parse(text);
        cJSON *generator = cJSON_GetObjectItemCaseSensitive(root, "generator");
        cJSON *count = cJSON_GetObjectItemCaseSensitive(root, "clip_count");
        if (cJSON_IsString(generator) && !strcmp(generator->valuestring, GENERATOR_NAME) &&
            cJSON_IsNumber(count))
            clips = count->valueint > 0 ? count->valueint : 0;
        cJSON_Delete(root);
        free(text);
    }
    nd_clear_error();
    free(path);
    return clips;
}

/* Rejects a non-empty folder that is not a synth output, naming what is there. */
static int check_out_dir(const nd_synth_options *o, int *old_clips) {
    *old_clips = 0;
    if (!nd_is_dir(o->out_dir)) {
        if (nd_is_file(o->out_dir))
            return nd_fail("%s is a file: pass a folder to --out", o->out_dir);
        return 0;
    }
    char **names;
    int count;
    if (nd_list_dir(o->out_dir, &names, &count) != 0)
        return -1;
    *old_clips = previous_synth_clips(o->out_dir);
    if (count == 0 || *old_clips > 0 || o->force) {
        nd_free_list(names, count);
        return 0;
    }

    char listing[512] = "";
    for (int i = 0; i < count && i < 5; i++) {
        size_t len = strlen(listing);
        snprintf(listing + len, sizeof listing - len, "%s%s", i ? ", " : "", names[i]);
    }
    nd_fail("%s is not empty (%d entries: %s%s) and holds no synth.json from an earlier "
            "nrdfer synth run: choose an empty or new folder, or pass --force to write "
            "into it anyway",
            o->out_dir, count, listing, count > 5 ? ", ..." : "");
    nd_free_list(names, count);
    return -1;
}

/* Removes the frames "<id>_*.jpg" (and temporary files) of one clip folder. */
static int remove_clip_frames(const char *dir, int id) {
    if (!nd_is_dir(dir))
        return 0;
    char **names;
    int count;
    if (nd_list_dir(dir, &names, &count) != 0)
        return -1;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%05d_", id);
    int status = 0;
    for (int i = 0; i < count && status == 0; i++) {
        if (strncmp(names[i], prefix, strlen(prefix)) != 0)
            continue;
        char *path = nd_path_join(dir, names[i]);
        if (unlink(path) != 0)
            status = nd_fail("cannot remove the old frame %s: %s", path, strerror(errno));
        free(path);
    }
    nd_free_list(names, count);
    return status;
}

/* Removes the clips of an earlier, larger synth run that this run does not
 * overwrite, so no stale clip folder or video is left behind. */
static int remove_stale_clips(const char *out_dir, int from_id, int to_id) {
    for (int id = from_id; id <= to_id; id++) {
        char rel[64];
        snprintf(rel, sizeof rel, CLIP_DIR "/%05d", id);
        char *dir = nd_path_join(out_dir, rel);
        int status = remove_clip_frames(dir, id);
        if (status == 0 && nd_is_dir(dir))
            rmdir(dir);
        free(dir);
        snprintf(rel, sizeof rel, VIDEO_DIR "/%05d.mp4", id);
        char *video = nd_path_join(out_dir, rel);
        unlink(video);
        free(video);
        if (status != 0)
            return -1;
    }
    return 0;
}

/* Removes videos/<id>.mp4 for ids 1..count, left by an earlier run with
 * videos when this run writes none. */
static void remove_old_videos(const char *out_dir, int count) {
    for (int id = 1; id <= count; id++) {
        char rel[64];
        snprintf(rel, sizeof rel, VIDEO_DIR "/%05d.mp4", id);
        char *video = nd_path_join(out_dir, rel);
        unlink(video);
        free(video);
    }
}

/* ---- Labels and folds ---- */

static void assign_labels(const nd_synth_options *o, int *labels) {
    int counts[ND_SYNTH_CLASSES];
    nd_synth_class_counts(o->clips, counts);
    int k = 0;
    for (int c = 0; c < ND_SYNTH_CLASSES; c++)
        for (int i = 0; i < counts[c]; i++)
            labels[k++] = c;
    ND_ASSERT(k == o->clips);

    /* Fisher-Yates shuffle so classes are spread over the ids. */
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(o->seed, DATASET_STREAM, 1));
    for (int i = o->clips - 1; i > 0; i--) {
        int j = (int)nd_rng_int(&rng, 0, i);
        int t = labels[i];
        labels[i] = labels[j];
        labels[j] = t;
    }
}

/* Assigns stratified folds. Each class's clips, shuffled, are dealt to the
 * folds in turn. The dealing continues from where the previous class
 * stopped, so the fold sizes differ by at most one. */
static void assign_folds(const nd_synth_options *o, const int *labels, int *folds) {
    nd_rng rng;
    nd_rng_seed(&rng, nd_rng_derive(o->seed, DATASET_STREAM, 2));
    int *members = nd_malloc(sizeof(int) * (size_t)o->clips);
    int next_fold = 0;
    for (int c = 0; c < ND_SYNTH_CLASSES; c++) {
        int count = 0;
        for (int i = 0; i < o->clips; i++)
            if (labels[i] == c)
                members[count++] = i;
        for (int i = count - 1; i > 0; i--) {
            int j = (int)nd_rng_int(&rng, 0, i);
            int t = members[i];
            members[i] = members[j];
            members[j] = t;
        }
        for (int i = 0; i < count; i++) {
            folds[members[i]] = next_fold;
            next_fold = (next_fold + 1) % ND_SYNTH_FOLDS;
        }
    }
    free(members);
}

/* ---- One clip ---- */

static int write_clip_frames(const nd_synth_options *o, const nd_synth_clip *clip,
                             nd_synth_canvas *canvas) {
    char rel[64];
    snprintf(rel, sizeof rel, CLIP_DIR "/%05d", clip->id);
    char *dir = nd_path_join(o->out_dir, rel);
    int status = nd_mkdir_p(dir);
    if (status == 0)
        status = remove_clip_frames(dir, clip->id);
    for (int f = 0; f < clip->frames && status == 0; f++) {
        char name[32];
        snprintf(name, sizeof name, "%05d_%d.jpg", clip->id, f + 1);
        char *path = nd_path_join(dir, name);
        status = nd_synth_render_frame(clip, f, canvas);
        if (status == 0)
            status = nd_image_write_jpeg(path, canvas->rgb, canvas->width, canvas->height,
                                         ND_SYNTH_JPEG_QUALITY);
        free(path);
    }
    free(dir);
    return status;
}

static int write_clip_video(const nd_synth_options *o, const nd_synth_clip *clip,
                            nd_synth_canvas *canvas, const char **codec) {
    char rel[64];
    snprintf(rel, sizeof rel, VIDEO_DIR "/%05d.mp4", clip->id);
    char *path = nd_path_join(o->out_dir, rel);
    nd_video_encoder *enc = nd_video_encoder_open(path, canvas->width, canvas->height,
                                                  ND_SYNTH_FPS);
    free(path);
    if (!enc)
        return -1;
    *codec = nd_video_encoder_codec(enc);
    for (int f = 0; f < clip->frames; f++) {
        if (nd_synth_render_frame(clip, f, canvas) != 0 ||
            nd_video_encoder_add_frame(enc, canvas->rgb) != 0) {
            nd_video_encoder_abort(enc);
            return -1;
        }
    }
    return nd_video_encoder_close(enc);
}

static void *synth_worker(void *arg) {
    synth_job *job = arg;
    const nd_synth_options *o = job->options;
    nd_synth_canvas crop, scene;
    int have_crop = nd_synth_canvas_init(&crop, ND_SYNTH_VIEW_CROP, o->size, o->size) == 0;
    int have_scene = have_crop && nd_synth_canvas_init(&scene, ND_SYNTH_VIEW_SCENE,
                                                       ND_SYNTH_SCENE_WIDTH,
                                                       ND_SYNTH_SCENE_HEIGHT) == 0;
    int status = have_scene ? 0 : -1;

    for (;;) {
        /* Take the next clip unless another worker failed. */
        pthread_mutex_lock(&job->lock);
        int i = job->next++;
        int stop = job->failed || i >= o->clips || status != 0;
        pthread_mutex_unlock(&job->lock);
        if (stop)
            break;

        nd_rng rng;
        nd_rng_seed(&rng, nd_rng_derive(o->seed, (uint64_t)i, 0));
        nd_synth_clip *clip = &job->clips[i];
        nd_synth_plan_clip(clip, i, job->labels[i], o->noise, o->seed, &rng);
        clip->fold = job->folds[i];
        const char *codec = NULL;
        status = write_clip_frames(o, clip, &crop);
        if (status == 0 && o->videos)
            status = write_clip_video(o, clip, &scene, &codec);

        pthread_mutex_lock(&job->lock);
        if (status == 0) {
            job->done++;
            if (codec)
                job->video_codec = codec;
            if (o->progress)
                o->progress(job->done, o->clips, o->progress_data);
        }
        pthread_mutex_unlock(&job->lock);
    }

    /* Keep the first error message, because nd_fail() state is per thread. */
    if (status != 0) {
        pthread_mutex_lock(&job->lock);
        if (!job->failed)
            snprintf(job->error, sizeof job->error, "%s", nd_last_error());
        job->failed = 1;
        pthread_mutex_unlock(&job->lock);
    }
    if (have_scene)
        nd_synth_canvas_free(&scene);
    if (have_crop)
        nd_synth_canvas_free(&crop);
    return NULL;
}

/* ---- Split files and synth.json ---- */

static int write_split_files(const nd_synth_options *o, const int *labels, const int *folds) {
    static const char *const kinds[2] = {"train(single-labeled)", "test(single-labeled)"};
    for (int k = 0; k < 2; k++) {
        char rel[96];
        snprintf(rel, sizeof rel, SPLIT_DIR "/%s", kinds[k]);
        char *dir = nd_path_join(o->out_dir, rel);
        if (nd_mkdir_p(dir) != 0) {
            free(dir);
            return -1;
        }
        for (int fold = 0; fold < ND_SYNTH_FOLDS; fold++) {
            char name[32];
            snprintf(name, sizeof name, "set_%d.csv", fold + 1);
            char *path = nd_path_join(dir, name);
            nd_atomic_file f;
            int status = nd_atomic_open(&f, path);
            free(path);
            if (status != 0) {
                free(dir);
                return -1;
            }

            /* Test files hold the fold's clips, train files all the others. */
            fprintf(f.fp, "video_name,label\n");
            for (int i = 0; i < o->clips; i++)
                if ((folds[i] == fold) == (k == 1))
                    fprintf(f.fp, "%d,%d\n", i + 1, labels[i] + 1);
            if (nd_atomic_commit(&f) != 0) {
                free(dir);
                return -1;
            }
        }
        free(dir);
    }
    return 0;
}

static cJSON *clip_json(const nd_synth_clip *clip) {
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "id", clip->id);
    cJSON_AddNumberToObject(c, "label", clip->label + 1);
    cJSON_AddStringToObject(c, "class", nd_synth_class_names[clip->label]);
    cJSON_AddNumberToObject(c, "test_fold", clip->fold + 1);
    cJSON_AddNumberToObject(c, "frames", clip->frames);

    /* Timing in 1-based frame numbers, as in the file names. */
    cJSON_AddNumberToObject(c, "onset", clip->onset + 1);
    int apex[2] = {clip->apex_first + 1, clip->apex_last + 1};
    cJSON_AddItemToObject(c, "apex", cJSON_CreateIntArray(apex, 2));
    if (clip->offset_end >= 0) {
        cJSON_AddNumberToObject(c, "offset_end", clip->offset_end + 1);
        cJSON_AddNumberToObject(c, "offset_residual", clip->residual);
    }
    cJSON_AddNumberToObject(c, "intensity", clip->intensity);
    cJSON *actions = cJSON_AddObjectToObject(c, "apex_actions");
    for (int a = 0; a < ND_ACT_COUNT; a++)
        if (clip->apex[a] > 0)
            cJSON_AddNumberToObject(actions, nd_synth_action_names[a], clip->apex[a]);
    int blinks[6];
    for (int b = 0; b < clip->blink_count; b++)
        blinks[b] = clip->blinks[b] + 1;
    cJSON_AddItemToObject(c, "blinks", cJSON_CreateIntArray(blinks, clip->blink_count));

    cJSON *events = cJSON_AddArrayToObject(c, "events");
    for (int i = 0; i < clip->event_count; i++) {
        const nd_synth_event *e = &clip->events[i];
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddStringToObject(ev, "kind", nd_synth_event_names[e->kind]);
        cJSON_AddNumberToObject(ev, "first", e->first + 1);
        cJSON_AddNumberToObject(ev, "last", e->last + 1);
        cJSON_AddItemToObject(ev, "params", cJSON_CreateDoubleArray(e->p, 8));
        cJSON_AddItemToArray(events, ev);
    }

    /* Face placement in the video scene: centre and pixels per face unit
     * (the face is about 2 units tall and 1.5 wide) at frame 1. */
    double scene[3] = {clip->scene_cx, clip->scene_cy, clip->scene_scale};
    cJSON_AddItemToObject(c, "video_face", cJSON_CreateDoubleArray(scene, 3));
    return c;
}

static int write_synth_json(const nd_synth_options *o, const synth_job *job) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "generator", GENERATOR_NAME);
    cJSON_AddStringToObject(root, "version", NRDFER_VERSION);
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    cJSON_AddNumberToObject(root, "clip_count", o->clips);
    cJSON_AddStringToObject(root, "noise", nd_synth_noise_names[o->noise]);
    cJSON_AddNumberToObject(root, "frame_size", o->size);
    cJSON_AddNumberToObject(root, "jpeg_quality", ND_SYNTH_JPEG_QUALITY);
    cJSON_AddStringToObject(root, "frames_layout", CLIP_DIR "/<id:05d>/<id:05d>_<frame>.jpg");
    cJSON_AddBoolToObject(root, "videos", o->videos);
    if (o->videos) {
        cJSON_AddStringToObject(root, "videos_layout", VIDEO_DIR "/<id:05d>.mp4");
        int video_size[2] = {ND_SYNTH_SCENE_WIDTH, ND_SYNTH_SCENE_HEIGHT};
        cJSON_AddItemToObject(root, "video_size", cJSON_CreateIntArray(video_size, 2));
        cJSON_AddNumberToObject(root, "video_fps", ND_SYNTH_FPS);
        cJSON_AddStringToObject(root, "video_codec", job->video_codec ? job->video_codec : "");
    }
    cJSON_AddItemToObject(root, "classes",
                          cJSON_CreateStringArray(nd_synth_class_names, ND_SYNTH_CLASSES));
    int counts[ND_SYNTH_CLASSES];
    nd_synth_class_counts(o->clips, counts);
    cJSON_AddItemToObject(root, "class_counts", cJSON_CreateIntArray(counts, ND_SYNTH_CLASSES));
    cJSON_AddItemToObject(root, "actions",
                          cJSON_CreateStringArray(nd_synth_action_names, ND_ACT_COUNT));
    cJSON_AddItemToObject(root, "event_kinds",
                          cJSON_CreateStringArray(nd_synth_event_names, ND_EV_COUNT));
    cJSON *clips = cJSON_AddArrayToObject(root, "clips");
    for (int i = 0; i < o->clips; i++)
        cJSON_AddItemToArray(clips, clip_json(&job->clips[i]));

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *path = nd_path_join(o->out_dir, "synth.json");
    nd_atomic_file f;
    int status = nd_atomic_open(&f, path);
    if (status == 0) {
        fputs(text, f.fp);
        fputc('\n', f.fp);
        status = nd_atomic_commit(&f);
    }
    free(path);
    free(text);
    return status;
}

/* ---- Entry point ---- */

static int validate_options(const nd_synth_options *o) {
    if (!o->out_dir || !*o->out_dir)
        return nd_fail("no output folder: pass --out DIR");
    if (o->clips < ND_SYNTH_MIN_CLIPS || o->clips > ND_SYNTH_MAX_CLIPS)
        return nd_fail("invalid clip count %d: use %d..%d (one test fold needs at least one "
                       "clip; ids have 5 digits)",
                       o->clips, ND_SYNTH_MIN_CLIPS, ND_SYNTH_MAX_CLIPS);
    if (o->size < 32 || o->size > 1024)
        return nd_fail("invalid frame size %d: use 32..1024 pixels", o->size);
    if (o->threads < 1 || o->threads > 256)
        return nd_fail("invalid thread count %d: use 1..256", o->threads);
    if (o->seed > ND_SYNTH_MAX_SEED)
        return nd_fail("invalid seed %llu: use 0..%llu", (unsigned long long)o->seed,
                       ND_SYNTH_MAX_SEED);
    return 0;
}

int nd_synth_generate(const nd_synth_options *o) {
    int old_clips;
    if (validate_options(o) != 0 || check_out_dir(o, &old_clips) != 0)
        return -1;
    char *clip_root = nd_path_join(o->out_dir, CLIP_DIR);
    char *video_root = nd_path_join(o->out_dir, VIDEO_DIR);
    int status = nd_mkdir_p(clip_root);
    if (status == 0 && o->videos)
        status = nd_mkdir_p(video_root);
    free(clip_root);
    free(video_root);
    if (status != 0)
        return -1;

    /* Dataset-wide draws, then the clips in parallel. */
    synth_job job;
    memset(&job, 0, sizeof job);
    job.options = o;
    job.clips = nd_calloc((size_t)o->clips, sizeof *job.clips);
    int *labels = nd_malloc(sizeof(int) * (size_t)o->clips);
    int *folds = nd_malloc(sizeof(int) * (size_t)o->clips);
    assign_labels(o, labels);
    assign_folds(o, labels, folds);
    job.labels = labels;
    job.folds = folds;
    pthread_mutex_init(&job.lock, NULL);

    nd_log_info("synth: %d clips, seed %llu, noise %s, %d x %d frames%s, %d threads, into %s",
                o->clips, (unsigned long long)o->seed, nd_synth_noise_names[o->noise], o->size,
                o->size, o->videos ? " and videos" : "", o->threads, o->out_dir);
    pthread_t *threads = nd_malloc(sizeof(pthread_t) * (size_t)o->threads);
    int started = 0;
    for (; started < o->threads; started++)
        if (pthread_create(&threads[started], NULL, synth_worker, &job) != 0)
            break;
    if (started == 0)
        synth_worker(&job);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_mutex_destroy(&job.lock);

    /* Split files and synth.json only after every clip is on disk. */
    if (job.failed)
        status = nd_fail("%s", job.error);
    else if (job.done != o->clips)
        status = nd_fail("synth stopped after %d of %d clips", job.done, o->clips);
    if (status == 0 && old_clips > o->clips)
        status = remove_stale_clips(o->out_dir, o->clips + 1, old_clips);
    if (status == 0 && !o->videos)
        remove_old_videos(o->out_dir, old_clips < o->clips ? old_clips : o->clips);
    if (status == 0)
        status = write_split_files(o, labels, folds);
    if (status == 0)
        status = write_synth_json(o, &job);
    free(labels);
    free(folds);
    free(job.clips);
    return status;
}
