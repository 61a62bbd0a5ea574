/* Dataset readers: the official split files of DFEW, FERV39k, AFEW and MAFW,
 * the "<frame dir> <num_frames> <label>" list files of public code, and a
 * plain <root>/{train,test}/<class>/<clip> folder layout.
 *
 * A reader turns a dataset root into two splits of clips. Each clip has an
 * id, a label index into the dataset's class names, and either its frame
 * files (listed from disk in natural order, non-image files ignored) or a
 * video path. Every problem found on the way is recorded with the clip id
 * (or file:line), so `nrdfer data check` can list them all. The bad-clip
 * policy decides whether a problem makes nd_dataset_open() fail or only
 * removes the clip.
 *
 * Example:
 *     nd_dataset_options o;
 *     nd_dataset_options_init(&o);
 *     o.name = "dfew"; o.root = "/data/DFEW"; o.fold = 1;
 *     nd_dataset *ds;
 *     if (nd_dataset_open(&o, &ds) != 0)
 *         fprintf(stderr, "%s\n", nd_last_error());
 */
#ifndef ND_DATA_DATASET_H
#define ND_DATA_DATASET_H

#include <stdint.h>

#include "data/sampling.h"
#include "nrdfer.h"

/* What happens to a clip with a problem (missing frames, bad label, a frame
 * that fails to decode). */
typedef enum nd_bad_clips {
    ND_BAD_CLIPS_ERROR, /* fail, naming the clip */
    ND_BAD_CLIPS_SKIP   /* log the clip, count it and leave it out */
} nd_bad_clips;

enum { ND_SPLIT_TRAIN = 0, ND_SPLIT_TEST = 1, ND_NUM_SPLITS = 2 };

typedef struct nd_dataset_options {
    const char *name;         /* dfew | list | ferv39k | afew | mafw | folder */
    const char *root;         /* dataset root folder as downloaded */
    int fold;                 /* dfew, mafw: split 1..5 (default 1) */
    const char *frames_dir;   /* dfew: frame folder under root (Clip/clip_224x224) */
    const char *train_list;   /* list: training list file */
    const char *test_list;    /* list: test list file (optional) */
    const char *strip_prefix; /* list: "OLD=NEW", or "OLD" replaced by root */
    /* Short clips (default sample): the reader applies drop and error, the
     * loader the other policies. */
    nd_short_clip_policy short_clips;
    nd_bad_clips bad_clips; /* default ND_BAD_CLIPS_ERROR */
    int frames;             /* T: a clip with fewer frames is short (16) */
    /* Video clips: 1 crops the face found by the Haar cascade (default), 0
     * uses whole frames (videos that are face crops already). */
    int face_detect;
    const char *cascade;    /* cascade XML file, NULL for the default */
    /* 1: leave bad clips out without failing or logging each one, because the
     * caller reports the problems (data check). */
    int collect;
} nd_dataset_options;

typedef struct nd_clip {
    char *id;       /* as the annotation names it (DFEW: the folder name) */
    int label;      /* index into nd_dataset.labels */
    int num_frames; /* frame files on disk (video clips: 0 until data check decodes them) */
    char **frames;  /* num_frames full paths in natural order */
    char *video;    /* video file path, or NULL for a frame folder */
    int annotated;  /* frame count the annotation states, -1 when none */
} nd_clip;

typedef struct nd_split {
    nd_clip *clips;
    int count;
    int short_clips;   /* clips with fewer than T frames (kept or dropped) */
    int dropped_short; /* of those, removed by ND_SHORT_CLIP_DROP */
    int skipped_bad;   /* clips removed by ND_BAD_CLIPS_SKIP */
} nd_split;

typedef enum nd_severity { ND_SEVERITY_WARNING, ND_SEVERITY_ERROR } nd_severity;

/* One finding of a reader or of the data check. */
typedef struct nd_problem {
    nd_severity severity;
    int split;     /* ND_SPLIT_*, or -1 when no split applies */
    char *clip_id; /* NULL when no clip applies (a stray file, a bad header) */
    char *message;
} nd_problem;

typedef struct nd_dataset {
    char *name;
    char *root;
    int num_classes;
    char labels[NRDFER_MAX_CLASSES][NRDFER_LABEL_LEN];
    nd_split splits[ND_NUM_SPLITS];
    nd_problem *problems;
    int num_problems;
    int problems_capacity;
    nd_dataset_options options; /* copy; its strings point into the caller's */
} nd_dataset;

/* Sets the defaults: fold 1, T = 16, short clips sampled, bad clips error. */
void nd_dataset_options_init(nd_dataset_options *options);

/* Reads the dataset described by options. Per-clip problems are recorded in
 * dataset->problems. With ND_BAD_CLIPS_ERROR any error-level problem makes
 * the call fail, naming the first clips; with ND_BAD_CLIPS_SKIP the bad
 * clips are logged and left out. Fails as well when an annotation file is
 * missing or a split is empty. Returns 0 with *dataset set, or -1. */
int nd_dataset_open(const nd_dataset_options *options, nd_dataset **dataset);

void nd_dataset_free(nd_dataset *dataset);

/* Returns the number of video clips in split (ND_SPLIT_*, or -1 for every split). */
int nd_dataset_count_videos(const nd_dataset *dataset, int split);

struct nd_cascade;

/* Loads the face cascade that the video clips of split (ND_SPLIT_*, or -1
 * for every split) need, from options.cascade or the default path. Sets
 * *cascade to NULL when there is no video clip or detection is off.
 * Returns 0, or -1 with nd_fail() naming the file. */
int nd_dataset_load_cascade(const nd_dataset *dataset, int split, struct nd_cascade **cascade);

/* Records a problem; clip_id may be NULL and split may be -1. */
void nd_dataset_problem(nd_dataset *ds, nd_severity severity, int split,
                        const char *clip_id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Counts the error-level problems. */
int nd_dataset_error_count(const nd_dataset *dataset);

/* Parses a bad-clip policy name, error or skip. Returns 0, or -1 with
 * nd_fail() listing the accepted names. */
int nd_bad_clips_parse(const char *text, nd_bad_clips *policy);

/* Splits the training clips into a training part and a validation part,
 * stratified: from each class, round(fraction * clips of that class) clips
 * are held out (at least one when the class has 2 or more clips and
 * fraction > 0), chosen by a shuffle seeded by (seed, class). Both index
 * lists are sorted and index split->clips; free them with free().
 * fraction must be in [0, 1). Returns 0, or -1 with nd_fail(). */
int nd_dataset_validation_split(const nd_split *split, int num_classes, double fraction,
                                uint64_t seed, int **train_indices, int *train_count,
                                int **val_indices, int *val_count);

#endif
