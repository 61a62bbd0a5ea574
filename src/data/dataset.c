#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/dataset_internal.h"
#include "data/image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rng.h"
#include "video/cascade.h"
#include "video/decode.h"

/* At most this many clip ids are named in the message of a failed open. */
#define ND_MAX_NAMED_CLIPS 5

void nd_dataset_options_init(nd_dataset_options *options) {
    memset(options, 0, sizeof *options);
    options->fold = 1;
    options->frames = 16;
    options->face_detect = 1;
    options->short_clips = ND_SHORT_CLIP_SAMPLE;
    options->bad_clips = ND_BAD_CLIPS_ERROR;
}

/* ---- Policies ---- */

int nd_bad_clips_parse(const char *text, nd_bad_clips *policy) {
    if (!strcmp(text, "error")) {
        *policy = ND_BAD_CLIPS_ERROR;
        return 0;
    }
    if (!strcmp(text, "skip")) {
        *policy = ND_BAD_CLIPS_SKIP;
        return 0;
    }
    return nd_fail("invalid bad-clip policy '%s': use error or skip", text);
}

/* ---- Problems and labels ---- */

void nd_dataset_problem(nd_dataset *ds, nd_severity severity, int split,
                        const char *clip_id, const char *fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    if (ds->num_problems == ds->problems_capacity) {
        ds->problems_capacity = ds->problems_capacity ? 2 * ds->problems_capacity : 64;
        ds->problems = nd_realloc(ds->problems,
                                  sizeof *ds->problems * (size_t)ds->problems_capacity);
    }
    nd_problem *p = &ds->problems[ds->num_problems++];
    p->severity = severity;
    p->split = split;
    p->clip_id = clip_id ? nd_strdup(clip_id) : NULL;
    p->message = nd_strdup(message);
}

int nd_dataset_error_count(const nd_dataset *ds) {
    int n = 0;
    for (int i = 0; i < ds->num_problems; i++)
        n += ds->problems[i].severity == ND_SEVERITY_ERROR;
    return n;
}

void nd_dataset_set_labels(nd_dataset *ds, const char *const *names, int count) {
    ND_ASSERT(count >= 1 && count <= NRDFER_MAX_CLASSES);
    ds->num_classes = count;
    for (int i = 0; i < count; i++)
        snprintf(ds->labels[i], NRDFER_LABEL_LEN, "%s", names[i]);
}

int nd_dataset_find_label(const nd_dataset *ds, const char *name) {
    static const char *const aliases[][2] = {
        {"anger", "angry"},        {"happiness", "happy"},   {"sadness", "sad"},
        {"surprised", "surprise"}, {"disgusted", "disgust"}, {"fearful", "fear"},
        {"angry", "anger"},        {"happy", "happiness"},   {"sad", "sadness"},
    };
    for (int i = 0; i < ds->num_classes; i++)
        if (!strcasecmp(ds->labels[i], name))
            return i;
    for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++) {
        if (strcasecmp(aliases[a][0], name))
            continue;
        for (int i = 0; i < ds->num_classes; i++)
            if (!strcasecmp(ds->labels[i], aliases[a][1]))
                return i;
    }
    return -1;
}

/* ---- Adding clips ---- */

int nd_is_video_name(const char *name) {
    static const char *const ext[] = {".mp4", ".avi",  ".mkv", ".mov", ".webm",
                                      ".mpg", ".mpeg", ".m4v", ".wmv", ".flv"};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(dot, ext[i]))
            return 1;
    return 0;
}

static const char *split_name(int split) {
    return split == ND_SPLIT_TRAIN ? "train" : "test";
}

/* Records a label outside the class range as a bad clip and returns -1.
 * Duplicate ids are found later, in one sorted pass (check_duplicates). */
static int check_label(nd_dataset *ds, int split, const char *id, int label) {
    if (label >= 0 && label < ds->num_classes)
        return 0;
    nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                       "label index %d is outside 0..%d", label, ds->num_classes - 1);
    ds->splits[split].skipped_bad++;
    return -1;
}

static nd_clip *append_clip(nd_dataset *ds, int split) {
    nd_split *s = &ds->splits[split];

    /* The capacity is 16, then doubles: it is full when count is 16, 32, ... */
    int full = s->count == 0 || (s->count >= 16 && (s->count & (s->count - 1)) == 0);
    if (full)
        s->clips = nd_realloc(s->clips,
                              sizeof *s->clips * (size_t)(s->count ? 2 * s->count : 16));
    nd_clip *c = &s->clips[s->count++];
    memset(c, 0, sizeof *c);
    return c;
}

int nd_dataset_add_frames(nd_dataset *ds, int split, const char *id, int label,
                          const char *dir, int annotated) {
    if (check_label(ds, split, id, label) != 0)
        return 0;

    /* The frame folder must exist and contain image files. */
    if (!nd_is_dir(dir)) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id, "frame folder %s not found",
                           dir);
        ds->splits[split].skipped_bad++;
        return 0;
    }
    char **names;
    int count;
    if (nd_list_dir(dir, &names, &count) != 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id, "%s", nd_last_error());
        ds->splits[split].skipped_bad++;
        return 0;
    }
    char **frames = nd_malloc(sizeof *frames * (size_t)(count ? count : 1));
    int num_frames = 0, stray = 0;
    const char *first_stray = NULL;
    for (int i = 0; i < count; i++) {
        if (nd_image_is_image_name(names[i])) {
            frames[num_frames++] = nd_path_join(dir, names[i]);
        } else {
            if (!stray)
                first_stray = names[i];
            stray++;
        }
    }
    if (stray)
        nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, id,
                           "%d non-image file(s) in %s ignored (first: %s)", stray, dir,
                           first_stray);
    nd_free_list(names, count);

    if (num_frames == 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                           "frame folder %s has no images", dir);
        free(frames);
        ds->splits[split].skipped_bad++;
        return 0;
    }

    /* Frames on disk are what gets read; fewer than annotated means frames
     * are missing, more means the annotation is stale. */
    if (annotated >= 0 && annotated > num_frames) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                           "annotation states %d frames but %s has %d", annotated, dir,
                           num_frames);
        for (int i = 0; i < num_frames; i++)
            free(frames[i]);
        free(frames);
        ds->splits[split].skipped_bad++;
        return 0;
    }
    if (annotated >= 0 && annotated < num_frames)
        nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, id,
                           "annotation states %d frames but %s has %d; all %d are used",
                           annotated, dir, num_frames, num_frames);

    nd_clip *c = append_clip(ds, split);
    c->id = nd_strdup(id);
    c->label = label;
    c->num_frames = num_frames;
    c->frames = frames;
    c->annotated = annotated;
    return 0;
}

/* Returns 1 when FFmpeg opened a file as a still image: its image2 demuxer,
 * or an image probe such as jpeg_pipe or png_pipe (FFmpeg 5.1 names). */
static int is_still_image_format(const char *format) {
    size_t n = strlen(format);
    return !strcmp(format, "image2") || (n > 5 && !strcmp(format + n - 5, "_pipe"));
}

int nd_dataset_add_video(nd_dataset *ds, int split, const char *id, int label,
                         const char *path) {
    if (check_label(ds, split, id, label) != 0)
        return 0;
    /* A symbolic link loop or a FIFO gets its own message, and a FIFO is never
     * opened, because reading one waits for a writer. */
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists || !S_ISREG(st.st_mode)) {
        if (exists)
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                               "video %s is not a regular file: remove it", path);
        else if (errno == ENOENT)
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id, "video %s not found", path);
        else
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                               "video %s cannot be read: %s", path, strerror(errno));
        ds->splits[split].skipped_bad++;
        return 0;
    }
    /* Opening the container and codec finds files that are not videos before
     * training starts. A cut-off stream shows only when it is decoded. */
    nd_decoder *decoder = nd_decoder_open(path, 1);
    if (!decoder) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id, "%s", nd_last_error());
        ds->splits[split].skipped_bad++;
        return 0;
    }
    /* A photo with a video name would become a still clip of one frame. */
    const char *format = nd_decoder_info(decoder)->format;
    if (is_still_image_format(format)) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, id,
                           "%s is a still image (FFmpeg reads it as %s), not a video: "
                           "remove it, or store the clip's frames in a frame folder",
                           path, format);
        ds->splits[split].skipped_bad++;
        nd_decoder_close(decoder);
        return 0;
    }
    nd_decoder_close(decoder);
    nd_clip *c = append_clip(ds, split);
    c->id = nd_strdup(id);
    c->label = label;
    c->video = nd_strdup(path);
    c->annotated = -1;
    return 0;
}

/* ---- Reading text files ---- */

int nd_for_each_line(const char *path, nd_line_fn fn, void *ctx) {
    char *data;
    size_t size;
    if (nd_read_file(path, &data, &size) != 0)
        return -1;
    char *p = data;
    if (size >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    int number = 0, rc = 0;
    while (*p) {
        char *end = strchr(p, '\n');
        char *next = end ? end + 1 : p + strlen(p);
        if (end)
            *end = '\0';
        number++;

        /* Strip trailing blanks and the CR of a CRLF line end. */
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = '\0';
        if (fn(ctx, p, number) != 0) {
            rc = -1;
            break;
        }
        p = next;
    }
    free(data);
    return rc;
}

/* ---- Checks across a split ---- */

static void free_clip(nd_clip *c) {
    for (int i = 0; i < c->num_frames; i++)
        free(c->frames[i]);
    free(c->frames);
    free(c->video);
    free(c->id);
}

typedef struct id_ref {
    const char *id;
    int split, index;
} id_ref;

static int compare_id_refs(const void *a, const void *b) {
    const id_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    if (x->split != y->split)
        return x->split - y->split;
    return x->index - y->index;
}

/* Removes the clips whose flag is set, keeping the order of the rest. */
static void remove_flagged(nd_split *s, const unsigned char *flags) {
    int kept = 0;
    for (int i = 0; i < s->count; i++) {
        if (flags[i])
            free_clip(&s->clips[i]);
        else
            s->clips[kept++] = s->clips[i];
    }
    s->count = kept;
}

/* Finds ids repeated within a split (the later ones are bad) and ids in
 * both splits (the training copy is bad: the test split stays official). */
static void check_duplicates(nd_dataset *ds) {
    int total = ds->splits[0].count + ds->splits[1].count;
    if (total == 0)
        return;
    id_ref *refs = nd_malloc(sizeof *refs * (size_t)total);
    int n = 0;
    for (int s = 0; s < ND_NUM_SPLITS; s++)
        for (int i = 0; i < ds->splits[s].count; i++)
            refs[n++] = (id_ref){ds->splits[s].clips[i].id, s, i};
    qsort(refs, (size_t)n, sizeof *refs, compare_id_refs);

    unsigned char *flags[ND_NUM_SPLITS];
    for (int s = 0; s < ND_NUM_SPLITS; s++)
        flags[s] = nd_calloc((size_t)(ds->splits[s].count ? ds->splits[s].count : 1), 1);

    /* Within a run of equal ids, the first entry of each split is kept. */
    for (int i = 1; i < n; i++) {
        const id_ref *prev = &refs[i - 1], *cur = &refs[i];
        if (strcmp(prev->id, cur->id))
            continue;
        if (prev->split == cur->split) {
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, cur->split, cur->id,
                               "clip id appears more than once in the %s split",
                               split_name(cur->split));
            flags[cur->split][cur->index] = 1;
        } else {
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, ND_SPLIT_TRAIN, cur->id,
                               "clip id is in both the train and the test split; "
                               "its training copy is left out");
            flags[ND_SPLIT_TRAIN][prev->index] = 1;
        }
    }

    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        int removed = 0;
        for (int i = 0; i < ds->splits[s].count; i++)
            removed += flags[s][i];
        ds->splits[s].skipped_bad += removed;
        remove_flagged(&ds->splits[s], flags[s]);
        free(flags[s]);
    }
    free(refs);
}

/* Counts clips with fewer than T frames and applies drop or error. */
static void check_short_clips(nd_dataset *ds) {
    const nd_dataset_options *o = &ds->options;
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        nd_split *sp = &ds->splits[s];
        unsigned char *flags = nd_calloc((size_t)(sp->count ? sp->count : 1), 1);
        for (int i = 0; i < sp->count; i++) {
            const nd_clip *c = &sp->clips[i];
            if (c->video || c->num_frames >= o->frames)
                continue;
            sp->short_clips++;
            if (o->short_clips == ND_SHORT_CLIP_ERROR) {
                nd_dataset_problem(ds, ND_SEVERITY_ERROR, s, c->id,
                                   "short clip: %d frames, fewer than %d (policy error)",
                                   c->num_frames, o->frames);
                flags[i] = 1;
                sp->skipped_bad++;
            } else if (o->short_clips == ND_SHORT_CLIP_DROP) {
                nd_dataset_problem(ds, ND_SEVERITY_WARNING, s, c->id,
                                   "short clip: %d frames, fewer than %d; dropped",
                                   c->num_frames, o->frames);
                flags[i] = 1;
                sp->dropped_short++;
            } else {
                nd_dataset_problem(ds, ND_SEVERITY_WARNING, s, c->id,
                                   "short clip: %d frames, fewer than %d; policy %s",
                                   c->num_frames, o->frames,
                                   nd_short_clip_name(o->short_clips));
            }
        }
        remove_flagged(sp, flags);
        free(flags);
        if (sp->short_clips)
            nd_log_info("%s split: %d clips shorter than %d frames, policy %s%s",
                        split_name(s), sp->short_clips, o->frames,
                        nd_short_clip_name(o->short_clips),
                        sp->dropped_short ? " (dropped)" : "");
    }
}

/* ---- Opening ---- */

static const struct {
    const char *name;
    int (*read)(nd_dataset *ds);
} readers[] = {
    {"dfew", nd_read_dfew}, {"list", nd_read_list}, {"ferv39k", nd_read_ferv39k},
    {"afew", nd_read_afew}, {"mafw", nd_read_mafw}, {"folder", nd_read_folder},
};

/* Builds the failure message of nd_dataset_open: the error count and the
 * first clips with their problems. */
static void fail_with_problems(const nd_dataset *ds, int errors) {
    char text[2048];
    size_t len = (size_t)snprintf(text, sizeof text, "dataset %s at %s has %d problem(s)",
                                  ds->name, ds->root, errors);
    int named = 0;
    for (int i = 0; i < ds->num_problems && named < ND_MAX_NAMED_CLIPS; i++) {
        const nd_problem *p = &ds->problems[i];
        if (p->severity != ND_SEVERITY_ERROR || len >= sizeof text)
            continue;
        len += (size_t)snprintf(text + len, sizeof text - len, "%s %s%s%s",
                                named ? ";" : ":", p->clip_id ? "clip " : "",
                                p->clip_id ? p->clip_id : "", p->clip_id ? ": " : "");
        if (len < sizeof text)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s", p->message);
        named++;
    }
    nd_fail("%s. Run 'nrdfer data check' for the full list, or use --bad-clips skip",
            text);
}

int nd_dataset_count_videos(const nd_dataset *ds, int split) {
    int videos = 0;
    for (int s = 0; s < ND_NUM_SPLITS; s++)
        for (int i = 0; (split < 0 || s == split) && i < ds->splits[s].count; i++)
            videos += ds->splits[s].clips[i].video != NULL;
    return videos;
}

int nd_dataset_load_cascade(const nd_dataset *ds, int split, nd_cascade **cascade) {
    *cascade = NULL;
    if (!ds->options.face_detect || nd_dataset_count_videos(ds, split) == 0)
        return 0;
    const char *path = ds->options.cascade ? ds->options.cascade : nd_cascade_default_path();
    *cascade = nd_cascade_load(path);
    return *cascade ? 0 : -1;
}

int nd_dataset_open(const nd_dataset_options *options, nd_dataset **dataset) {
    *dataset = NULL;
    if (!options->name || !options->root)
        return nd_fail("a dataset needs a name and a root folder");
    if (options->frames < 1)
        return nd_fail("invalid frame count %d for short clips: use 1 or more",
                       options->frames);
    int reader = -1;
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (!strcmp(options->name, readers[i].name))
            reader = (int)i;
    if (reader < 0)
        return nd_fail(
            "unknown dataset '%s': use dfew, list, ferv39k, afew, mafw or folder",
            options->name);
    if (!nd_is_dir(options->root))
        return nd_fail("dataset root %s is not a folder", options->root);

    nd_dataset *ds = nd_calloc(1, sizeof *ds);
    ds->name = nd_strdup(options->name);
    ds->root = nd_strdup(options->root);
    ds->options = *options;
    if (readers[reader].read(ds) != 0) {
        nd_dataset_free(ds);
        return -1;
    }

    check_duplicates(ds);
    check_short_clips(ds);

    /* Bad clips: fail or leave them out, logging each. */
    int errors = nd_dataset_error_count(ds);
    if (errors && options->bad_clips == ND_BAD_CLIPS_ERROR && !options->collect) {
        fail_with_problems(ds, errors);
        nd_dataset_free(ds);
        return -1;
    }
    for (int i = 0; i < ds->num_problems; i++) {
        const nd_problem *p = &ds->problems[i];
        if (p->severity == ND_SEVERITY_ERROR && !options->collect)
            nd_log_warn("skipped %s%s%s%s", p->clip_id ? "clip " : "",
                        p->clip_id ? p->clip_id : "", p->clip_id ? ": " : "", p->message);
    }

    for (int s = 0; s < ND_NUM_SPLITS && !options->collect; s++) {
        if (ds->splits[s].skipped_bad)
            nd_log_warn("%s split: %d bad clips skipped", split_name(s),
                        ds->splits[s].skipped_bad);
    }
    if (!options->collect && ds->splits[ND_SPLIT_TRAIN].count == 0 &&
        ds->splits[ND_SPLIT_TEST].count == 0) {
        nd_fail("dataset %s at %s has no usable clips", ds->name, ds->root);
        nd_dataset_free(ds);
        return -1;
    }
    nd_log_info("dataset %s: %d train and %d test clips, %d classes", ds->name,
                ds->splits[0].count, ds->splits[1].count, ds->num_classes);

    /* A cascade that no clip uses is neither loaded nor checked. */
    int videos = nd_dataset_count_videos(ds, -1);
    if (options->cascade && (!videos || !options->face_detect))
        nd_log_warn("--cascade %s is ignored, because %s", options->cascade,
                    videos ? "--face-detect is off" : "the dataset has no video clips");
    *dataset = ds;
    return 0;
}

void nd_dataset_free(nd_dataset *ds) {
    if (!ds)
        return;
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        for (int i = 0; i < ds->splits[s].count; i++)
            free_clip(&ds->splits[s].clips[i]);
        free(ds->splits[s].clips);
    }
    for (int i = 0; i < ds->num_problems; i++) {
        free(ds->problems[i].clip_id);
        free(ds->problems[i].message);
    }
    free(ds->problems);
    free(ds->name);
    free(ds->root);
    free(ds);
}

/* ---- Validation split ---- */

int nd_dataset_validation_split(const nd_split *split, int num_classes, double fraction,
                                uint64_t seed, int **train_indices, int *train_count,
                                int **val_indices, int *val_count) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        return nd_fail("invalid validation fraction %g: use a value in [0, 1)", fraction);

    int n = split->count;
    unsigned char *held = nd_calloc((size_t)(n ? n : 1), 1);
    int *members = nd_malloc(sizeof *members * (size_t)(n ? n : 1));

    /* Per class: shuffle its clip indices and hold out the first k. */
    for (int c = 0; c < num_classes && fraction > 0.0; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (split->clips[i].label == c)
                members[m++] = i;
        int k = (int)lround(fraction * m);
        if (k == 0 && m >= 2)
            k = 1;
        if (k >= m && m >= 1)
            k = m - 1;
        nd_rng rng;
        nd_rng_seed(&rng, nd_rng_derive(seed, (uint64_t)c, 0x76616cULL));
        for (int i = m - 1; i > 0; i--) {
            int j = (int)nd_rng_int(&rng, 0, i);
            int t = members[i];
            members[i] = members[j];
            members[j] = t;
        }
        for (int i = 0; i < k; i++)
            held[members[i]] = 1;
    }

    int nv = 0;
    for (int i = 0; i < n; i++)
        nv += held[i];
    *val_indices = nd_malloc(sizeof **val_indices * (size_t)(nv ? nv : 1));
    *train_indices = nd_malloc(sizeof **train_indices * (size_t)(n - nv ? n - nv : 1));
    *val_count = 0;
    *train_count = 0;
    for (int i = 0; i < n; i++) {
        if (held[i])
            (*val_indices)[(*val_count)++] = i;
        else
            (*train_indices)[(*train_count)++] = i;
    }
    free(members);
    free(held);
    return 0;
}
