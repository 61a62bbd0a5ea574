/* nrdfer data: `check` reads every split as training would and reports
 * what it finds; `load` runs the threaded loader alone (speed, batches). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_data.h"
#include "cli/commands.h"
#include "data/dataset.h"
#include "data/image.h"
#include "util/error.h"
#include "video/cascade.h"
#include "video/faceclip.h"

/* ---- Options shared by the subcommands ---- */

static int parse_positive(const char *arg, const char *name, long max, int *value) {
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < 1 || v > max) {
        fprintf(stderr, "nrdfer data: invalid %s '%s': use a whole number from 1 to %ld\n",
                name, arg, max);
        return -1;
    }
    *value = (int)v;
    return 0;
}

int nd_data_cmd_option(nd_data_settings *s, int opt, const char *arg, const char *command) {
    if (opt == ND_OPT_LOADER_THREADS) {
        fprintf(stderr, "nrdfer %s: --loader-threads is not an option here: use --threads\n",
                command);
        return -1;
    }
    return nd_data_args_parse(s, opt, arg, command);
}

int nd_data_cmd_dataset_options(const nd_data_settings *s, const char *command,
                                nd_dataset_options *o) {
    if (nd_data_args_check(s, command) != 0)
        return -1;
    if (nd_data_dataset_options(s, s->frames ? s->frames : 16, o) != 0) {
        fprintf(stderr, "nrdfer %s: %s\n", command, nd_last_error());
        return -1;
    }
    return 0;
}

void nd_data_cmd_help(FILE *out) {
    nd_data_args_help(out, 0);
    fprintf(out, "  --frames T            frames per clip of the model (default 16)\n");
}

/* ---- data check: decoding every frame ---- */

typedef struct clip_result {
    int width, height; /* of the first frame; 0 when none decoded */
    int mixed_sizes;   /* frames of the clip differ in size */
    int frames;        /* video clips: frames decoded */
    int faceless;      /* video clips: the cascade found no face */
    int skipped;       /* video clips: corrupt packets and frames skipped */
    char *error;       /* first failure, NULL when every frame decoded */
} clip_result;

typedef struct check_job {
    const nd_dataset *ds;
    int total;            /* clips of both splits */
    int next, done;       /* guarded by mutex */
    clip_result *results; /* [total]: train clips, then test clips */
    int progress_step;    /* print progress every this many clips; 0: never */
    int tty;
    const nd_cascade *cascade; /* face detection in video clips, NULL when off */
    pthread_mutex_t mutex;
} check_job;

static const nd_clip *job_clip(const check_job *job, int k, int *split) {
    int train = job->ds->splits[ND_SPLIT_TRAIN].count;
    *split = k < train ? ND_SPLIT_TRAIN : ND_SPLIT_TEST;
    return &job->ds->splits[*split].clips[k < train ? k : k - train];
}

/* Decodes every frame of one clip as training would. A video is decoded
 * and searched for its face. */
static void check_clip(const nd_clip *clip, const nd_cascade *cascade, clip_result *r) {
    if (clip->video) {
        nd_face_scan scan;
        int found;
        if (nd_face_scan_video(clip->video, cascade, &scan, &found) != 0) {
            r->error = nd_strdup(nd_last_error());
            return;
        }
        r->frames = scan.num_frames;
        r->width = scan.width;
        r->height = scan.height;
        r->faceless = cascade && !found;
        r->skipped = scan.skipped;
        r->mixed_sizes = scan.mixed_sizes;
        nd_face_scan_free(&scan);
        return;
    }
    for (int f = 0; f < clip->num_frames; f++) {
        nd_image image;
        if (nd_image_load(clip->frames[f], &image) != 0) {
            r->error = nd_strdup(nd_last_error());
            return;
        }
        if (f == 0) {
            r->width = image.width;
            r->height = image.height;
        } else if (image.width != r->width || image.height != r->height) {
            r->mixed_sizes = 1;
        }
        nd_image_free(&image);
    }
}

static void *check_worker(void *arg) {
    check_job *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->mutex);
        int k = job->next < job->total ? job->next++ : -1;
        pthread_mutex_unlock(&job->mutex);
        if (k < 0)
            return NULL;
        int split;
        check_clip(job_clip(job, k, &split), job->cascade, &job->results[k]);

        /* Progress on stderr: one updated line on a terminal, else lines. */
        pthread_mutex_lock(&job->mutex);
        job->done++;
        if (job->progress_step &&
            (job->done % job->progress_step == 0 || job->done == job->total)) {
            fprintf(stderr, "%sdecoded %d of %d clips (%d%%)%s", job->tty ? "\r" : "",
                    job->done, job->total, (int)(100.0 * job->done / job->total),
                    job->tty && job->done < job->total ? "" : "\n");
            fflush(stderr);
        }
        pthread_mutex_unlock(&job->mutex);
    }
}

/* Runs check_clip over every clip on `threads` threads and records the
 * failures as problems, in clip order. Returns the per-clip results
 * [train clips, then test clips]; free with free_results(). */
static clip_result *decode_all(nd_dataset *ds, const nd_cascade *cascade, int threads) {
    check_job job = {0};
    job.ds = ds;
    job.cascade = cascade;
    job.total = ds->splits[0].count + ds->splits[1].count;
    job.results = nd_calloc((size_t)(job.total ? job.total : 1), sizeof *job.results);
    job.tty = isatty(STDERR_FILENO);
    if (job.total >= 200)
        job.progress_step = job.tty ? job.total / 100 + 1 : job.total / 10 + 1;
    pthread_mutex_init(&job.mutex, NULL);

    pthread_t *ids = nd_calloc((size_t)threads, sizeof *ids);
    int started = 0;
    for (int i = 0; i < threads; i++)
        started += pthread_create(&ids[started], NULL, check_worker, &job) == 0;
    if (started == 0)
        check_worker(&job);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    free(ids);
    pthread_mutex_destroy(&job.mutex);

    for (int k = 0; k < job.total; k++) {
        int split;
        const nd_clip *clip = job_clip(&job, k, &split);
        const clip_result *r = &job.results[k];
        if (r->error) {
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, clip->id, "%s", r->error);
            continue;
        }
        if (clip->video && r->skipped)
            nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, clip->id,
                               "video %s has %d corrupt packets or frames, which the "
                               "decoder skips, so training uses the %d frames that decode: "
                               "replace the file if it was cut off",
                               clip->video, r->skipped, r->frames);
        if (clip->video && r->faceless)
            nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, clip->id,
                               "no face found in %s: training uses its whole frames",
                               clip->video);
        if (clip->video && r->frames < ds->options.frames) {
            /* The reader cannot count a video's frames, so its short clips
             * are counted here, and the loader cannot leave one out. */
            ds->splits[split].short_clips++;
            if (ds->options.short_clips == ND_SHORT_CLIP_DROP ||
                ds->options.short_clips == ND_SHORT_CLIP_ERROR)
                nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, clip->id,
                                   "video %s has %d frames, fewer than %d, which stops "
                                   "training under --short-clips %s: use sample, pad-last "
                                   "or loop",
                                   clip->video, r->frames, ds->options.frames,
                                   nd_short_clip_name(ds->options.short_clips));
        }
        if (r->mixed_sizes)
            nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, clip->id,
                               "frames of the clip differ in size");
    }
    return job.results;
}

static void free_results(clip_result *results, int count) {
    for (int k = 0; k < count; k++)
        free(results[k].error);
    free(results);
}

/* ---- data check: the report ---- */

static const char *const split_names[] = {"train", "test"};

static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

#define MAX_SIZES 8

/* Statistics of one split. */
typedef struct split_stats {
    int clips, videos, bad;
    int per_class[NRDFER_MAX_CLASSES];
    int min_frames, median_frames, max_frames; /* over frame clips */
    int sizes[MAX_SIZES][3]; /* width, height, clips; the rest in other_sizes */
    int num_sizes, other_sizes;
} split_stats;

static void compute_stats(const nd_dataset *ds, int split, const clip_result *results,
                          split_stats *st) {
    const nd_split *sp = &ds->splits[split];
    memset(st, 0, sizeof *st);
    st->clips = sp->count;
    int *counts = nd_malloc(sizeof *counts * (size_t)(sp->count ? sp->count : 1));
    int n = 0;
    for (int i = 0; i < sp->count; i++) {
        const nd_clip *c = &sp->clips[i];
        const clip_result *r = &results[i];
        st->per_class[c->label]++;
        st->bad += r->error != NULL;
        if (c->video) {
            st->videos++;
            if (r->error)
                continue;
        }
        counts[n++] = c->video ? r->frames : c->num_frames;
        if (!r->width)
            continue;

        /* Frame sizes: the first MAX_SIZES distinct ones are listed. */
        int j = 0;
        while (j < st->num_sizes &&
               !(st->sizes[j][0] == r->width && st->sizes[j][1] == r->height))
            j++;
        if (j < st->num_sizes) {
            st->sizes[j][2]++;
        } else if (st->num_sizes < MAX_SIZES) {
            st->sizes[j][0] = r->width;
            st->sizes[j][1] = r->height;
            st->sizes[j][2] = 1;
            st->num_sizes++;
        } else {
            st->other_sizes++;
        }
    }
    if (n) {
        qsort(counts, (size_t)n, sizeof *counts, compare_ints);
        st->min_frames = counts[0];
        st->median_frames = counts[n / 2];
        st->max_frames = counts[n - 1];
    }
    free(counts);
}

static const char *severity_name(nd_severity s) {
    return s == ND_SEVERITY_ERROR ? "error" : "warning";
}

static void print_text(const nd_dataset *ds, const split_stats st[ND_NUM_SPLITS],
                       int errors) {
    const nd_dataset_options *o = &ds->options;
    printf("dataset %s at %s", ds->name, ds->root);
    if (!strcmp(ds->name, "dfew") || !strcmp(ds->name, "mafw"))
        printf(", fold %d", o->fold);
    printf(": %d classes, T = %d frames\n", ds->num_classes, o->frames);

    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        const split_stats *t = &st[s];
        const nd_split *sp = &ds->splits[s];
        printf("%s: %d clips", split_names[s], t->clips);
        if (t->videos)
            printf(" (%d video files)", t->videos);
        printf("\n  per class:");
        for (int c = 0; c < ds->num_classes; c++)
            printf(" %s %d%s", ds->labels[c], t->per_class[c],
                   c + 1 < ds->num_classes ? "," : "");
        printf("\n");
        if (t->clips)
            printf("  frames per clip: min %d, median %d, max %d\n", t->min_frames,
                   t->median_frames, t->max_frames);
        printf("  short clips (fewer than %d frames): %d, policy %s", o->frames,
               sp->short_clips, nd_short_clip_name(o->short_clips));
        if (sp->dropped_short)
            printf(", %d dropped", sp->dropped_short);
        printf("\n");
        if (t->num_sizes) {
            printf("  frame sizes:");
            for (int j = 0; j < t->num_sizes; j++)
                printf(" %dx%d (%d clips)%s", t->sizes[j][0], t->sizes[j][1],
                       t->sizes[j][2], j + 1 < t->num_sizes ? "," : "");
            if (t->other_sizes)
                printf(", %d clips of other sizes", t->other_sizes);
            printf("\n");
        }
        printf("  bad clips: %d left out while reading, %d failed to decode\n",
               sp->skipped_bad, t->bad);
    }

    int warnings = ds->num_problems - errors;
    printf("problems: %d error(s), %d warning(s)\n", errors, warnings);
    for (int i = 0; i < ds->num_problems; i++) {
        const nd_problem *p = &ds->problems[i];
        printf("  %-7s %-5s ", severity_name(p->severity),
               p->split >= 0 ? split_names[p->split] : "-");
        if (p->clip_id)
            printf("clip %s: ", p->clip_id);
        printf("%s\n", p->message);
    }
    if (errors)
        printf("result: %d error(s); fix them, or train with --bad-clips skip to leave "
               "those "
               "clips out\n",
               errors);
    else
        printf("result: usable\n");
}

static void print_json(const nd_dataset *ds, const split_stats st[ND_NUM_SPLITS],
                       int errors) {
    const nd_dataset_options *o = &ds->options;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "dataset", ds->name);
    cJSON_AddStringToObject(j, "root", ds->root);
    cJSON_AddNumberToObject(j, "fold", o->fold);
    cJSON_AddNumberToObject(j, "frames", o->frames);
    cJSON_AddStringToObject(j, "short_clip_policy", nd_short_clip_name(o->short_clips));
    cJSON *classes = cJSON_AddArrayToObject(j, "classes");
    for (int c = 0; c < ds->num_classes; c++)
        cJSON_AddItemToArray(classes, cJSON_CreateString(ds->labels[c]));

    cJSON *splits = cJSON_AddObjectToObject(j, "splits");
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        const split_stats *t = &st[s];
        const nd_split *sp = &ds->splits[s];
        cJSON *js = cJSON_AddObjectToObject(splits, split_names[s]);
        cJSON_AddNumberToObject(js, "clips", t->clips);
        cJSON_AddNumberToObject(js, "video_clips", t->videos);
        cJSON *pc = cJSON_AddObjectToObject(js, "per_class");
        for (int c = 0; c < ds->num_classes; c++)
            cJSON_AddNumberToObject(pc, ds->labels[c], t->per_class[c]);
        cJSON *fr = cJSON_AddObjectToObject(js, "frames_per_clip");
        cJSON_AddNumberToObject(fr, "min", t->min_frames);
        cJSON_AddNumberToObject(fr, "median", t->median_frames);
        cJSON_AddNumberToObject(fr, "max", t->max_frames);
        cJSON_AddNumberToObject(js, "short_clips", sp->short_clips);
        cJSON_AddNumberToObject(js, "dropped_short_clips", sp->dropped_short);
        cJSON_AddNumberToObject(js, "bad_clips_left_out", sp->skipped_bad);
        cJSON_AddNumberToObject(js, "clips_failing_decode", t->bad);
        cJSON *sizes = cJSON_AddArrayToObject(js, "frame_sizes");
        for (int k = 0; k < t->num_sizes; k++) {
            cJSON *z = cJSON_CreateObject();
            cJSON_AddNumberToObject(z, "width", t->sizes[k][0]);
            cJSON_AddNumberToObject(z, "height", t->sizes[k][1]);
            cJSON_AddNumberToObject(z, "clips", t->sizes[k][2]);
            cJSON_AddItemToArray(sizes, z);
        }
        cJSON_AddNumberToObject(js, "clips_of_other_sizes", t->other_sizes);
    }

    cJSON *problems = cJSON_AddArrayToObject(j, "problems");
    for (int i = 0; i < ds->num_problems; i++) {
        const nd_problem *p = &ds->problems[i];
        cJSON *jp = cJSON_CreateObject();
        cJSON_AddStringToObject(jp, "severity", severity_name(p->severity));
        if (p->split >= 0)
            cJSON_AddStringToObject(jp, "split", split_names[p->split]);
        else
            cJSON_AddNullToObject(jp, "split");
        if (p->clip_id)
            cJSON_AddStringToObject(jp, "clip", p->clip_id);
        else
            cJSON_AddNullToObject(jp, "clip");
        cJSON_AddStringToObject(jp, "message", p->message);
        cJSON_AddItemToArray(problems, jp);
    }
    cJSON_AddNumberToObject(j, "errors", errors);
    cJSON_AddNumberToObject(j, "warnings", ds->num_problems - errors);
    cJSON_AddBoolToObject(j, "usable", errors == 0);

    char *text = cJSON_Print(j);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(j);
}

/* Adds the problems that only show across a whole split: an empty split,
 * a class without clips. */
static void check_splits(nd_dataset *ds, const split_stats st[ND_NUM_SPLITS]) {
    const nd_dataset_options *o = &ds->options;
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        int listed = strcmp(ds->name, "list") != 0 ||
                     (s == ND_SPLIT_TRAIN ? o->train_list : o->test_list) != NULL;
        if (!listed)
            continue;
        if (st[s].clips == 0) {
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, s, NULL,
                               "the %s split has no usable clips", split_names[s]);
            continue;
        }
        for (int c = 0; c < ds->num_classes; c++)
            if (st[s].per_class[c] == 0)
                nd_dataset_problem(ds, ND_SEVERITY_WARNING, s, NULL,
                                   "class %s has no clips in the %s split", ds->labels[c],
                                   split_names[s]);
    }
}

static void check_usage(FILE *out) {
    fprintf(
        out,
        "usage: nrdfer data check --dataset NAME --root DIR [options]\n\n"
        "Reads every split as training would, decoding every frame, and reports clips\n"
        "per class, frame counts, short clips, frame sizes and every problem with its\n"
        "clip id. Exit status: 0 usable (warnings allowed), 1 problems, 2 usage.\n\n"
        "options:\n"
        "  --threads N           decoding threads (default 2, at most 256)\n"
        "  --json                print the report as JSON\n"
        "  --help                print this help\n");
    nd_data_cmd_help(out);
}

int nd_cmd_data_check(int argc, char **argv) {
    static const struct option long_options[] = {
        ND_DATA_CMD_LONG_OPTIONS,
        {"threads", required_argument, 0, 't'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    nd_data_settings settings;
    nd_data_args_init(&settings);
    int threads = 2, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        int rc = nd_data_cmd_option(&settings, c, optarg, "data check");
        if (rc < 0)
            return ND_EXIT_USAGE;
        if (rc > 0)
            continue;
        if (c == 't') {
            if (parse_positive(optarg, "--threads", 256, &threads) != 0)
                return ND_EXIT_USAGE;
        } else if (c == 'j') {
            json = 1;
        } else if (c == 'h') {
            check_usage(stdout);
            return ND_EXIT_OK;
        } else {
            check_usage(stderr);
            return ND_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nrdfer data check: unexpected argument '%s'\n", argv[optind]);
        return ND_EXIT_USAGE;
    }
    nd_dataset_options o;
    if (nd_data_cmd_dataset_options(&settings, "data check", &o) != 0)
        return ND_EXIT_USAGE;

    /* Read the annotations, keeping every problem, then decode every frame. */
    o.collect = 1;
    nd_dataset *ds;
    if (nd_dataset_open(&o, &ds) != 0) {
        fprintf(stderr, "nrdfer data check: %s\n", nd_last_error());
        return ND_EXIT_FAILURE;
    }
    nd_cascade *cascade;
    if (nd_dataset_load_cascade(ds, -1, &cascade) != 0) {
        fprintf(stderr, "nrdfer data check: %s\n", nd_last_error());
        nd_dataset_free(ds);
        return ND_EXIT_FAILURE;
    }
    clip_result *results = decode_all(ds, cascade, threads);
    nd_cascade_free(cascade);
    split_stats st[ND_NUM_SPLITS];
    compute_stats(ds, ND_SPLIT_TRAIN, results, &st[0]);
    compute_stats(ds, ND_SPLIT_TEST, results + ds->splits[0].count, &st[1]);
    check_splits(ds, st);

    int errors = nd_dataset_error_count(ds);
    if (json)
        print_json(ds, st, errors);
    else
        print_text(ds, st, errors);
    free_results(results, ds->splits[0].count + ds->splits[1].count);
    nd_dataset_free(ds);
    return errors ? ND_EXIT_FAILURE : ND_EXIT_OK;
}

/* ---- Dispatch ---- */

static void usage(FILE *out) {
    fprintf(out,
            "usage: nrdfer data SUBCOMMAND [options]\n\n"
            "subcommands:\n"
            "  check    read every split as training would and report problems\n"
            "  load     run the threaded loader alone: clips/s and batch contents\n\n"
            "Run 'nrdfer data SUBCOMMAND --help' for its options.\n");
}

int nd_cmd_data(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return ND_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return ND_EXIT_OK;
    }
    if (!strcmp(argv[1], "check"))
        return nd_cmd_data_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "load"))
        return nd_cmd_data_load(argc - 1, argv + 1);
    fprintf(stderr, "nrdfer data: unknown subcommand '%s'\n\n", argv[1]);
    usage(stderr);
    return ND_EXIT_USAGE;
}
