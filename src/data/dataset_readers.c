/* The readers of each dataset layout. Formats, as read here:
 *
 * dfew     EmoLabel_DataSplit/train(single-labeled)/set_K.csv and
 *          test(single-labeled)/set_K.csv, header "video_name,label", lines
 *          "<id>,<label 1..7>"; frames in <frames_dir>/<id>/ where the folder
 *          is the id zero-padded to 5 digits ("42" finds "00042").
 * list     lines "<frame dir> <num_frames> <label 0..6>"; a relative frame
 *          dir is under root; --strip-prefix rewrites absolute ones.
 * ferv39k  4_setups/All_scenes/{train,test}_All.csv, lines
 *          "<path> <EmotionName>", frames in 2_ClipsforFaceCrop/<path>/.
 * afew     Train/<Emotion>/ and Val/<Emotion>/ (Val is the test split),
 *          each clip a frame folder or a video file.
 * mafw     split/single/no_caption/set_K/{train,test}.txt, lines
 *          "<clip name>[.ext] <class name>" separated by a space (the form
 *          MAE-DFER's MAFW preprocessing reads), the id being the name up to
 *          its first '.'; frames in data/faces/<id>/.
 * folder   {train,test}/<class>/<clip>, each clip a frame folder or a video.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/dataset_internal.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

/* Class names of the model, DFEW numbering 1..7 in this order. */
static const char *const dfer_labels[] = {"happy",    "sad",     "neutral", "angry",
                                          "surprise", "disgust", "fear"};

static const char *const mafw_labels[] = {
    "anger",    "disgust",  "fear",    "happiness",    "neutral",       "sadness",
    "surprise", "contempt", "anxiety", "helplessness", "disappointment"};

static const char *split_name(int split) {
    return split == ND_SPLIT_TRAIN ? "train" : "test";
}

/* Parses a whole decimal integer; returns 0 or -1. */
static int parse_int(const char *text, int *value) {
    if (!*text)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end || errno || v < INT_MIN || v > INT_MAX)
        return -1;
    *value = (int)v;
    return 0;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Splits off the last whitespace-separated field of line: returns it, and
 * cuts line before it. Returns NULL when line has a single field. */
static char *split_last_field(char *line) {
    char *end = line + strlen(line);
    char *p = end;
    while (p > line && !isspace((unsigned char)p[-1]))
        p--;
    if (p == line)
        return NULL;
    char *field = p;
    while (p > line && isspace((unsigned char)p[-1]))
        p--;
    *p = '\0';
    return field;
}

/* Returns path when absolute, else root/path (a new string either way). */
static char *under_root(const char *root, const char *path) {
    return path[0] == '/' ? nd_strdup(path) : nd_path_join(root, path);
}

/* ---- DFEW ---- */

typedef struct dfew_ctx {
    nd_dataset *ds;
    int split;
    const char *csv;
    char *frames_root;
    int lines; /* lines read so far, the header included */
} dfew_ctx;

/* Finds the frame folder of a DFEW id: the id as written, then zero-padded
 * to 5 digits, then without leading zeros. Returns the folder name to use
 * (the padded form when none exists, so the problem names the usual one). */
static void dfew_folder_name(const char *frames_root, const char *id, char *name,
                             size_t size) {
    int all_digits = *id != '\0';
    for (const char *p = id; *p; p++)
        all_digits &= isdigit((unsigned char)*p) != 0;
    snprintf(name, size, "%s", id);
    if (!all_digits)
        return;

    const char *stripped = id;
    while (stripped[0] == '0' && stripped[1])
        stripped++;
    char padded[64];
    size_t len = strlen(stripped);
    if (len < 5)
        snprintf(padded, sizeof padded, "%.*s%s", (int)(5 - len), "00000", stripped);
    else
        snprintf(padded, sizeof padded, "%s", stripped);

    const char *candidates[] = {id, padded, stripped};
    for (int i = 0; i < 3; i++) {
        char *dir = nd_path_join(frames_root, candidates[i]);
        int found = nd_is_dir(dir);
        free(dir);
        if (found) {
            snprintf(name, size, "%s", candidates[i]);
            return;
        }
    }
    snprintf(name, size, "%s", padded);
}

static int dfew_line(void *ctx_ptr, char *line, int number) {
    dfew_ctx *ctx = ctx_ptr;
    nd_dataset *ds = ctx->ds;
    ctx->lines = number;
    if (number == 1) {
        if (!strcasecmp(trim(line), "video_name,label"))
            return 0;
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, NULL,
                           "%s:1: expected the header 'video_name,label', found '%.80s'",
                           ctx->csv, line);
        if (!strchr(line, ','))
            return 0;
    }
    if (!*trim(line))
        return 0;

    char *comma = strchr(line, ',');
    if (!comma || strchr(comma + 1, ',')) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, NULL,
                           "%s:%d: unreadable line '%.80s': expected '<id>,<label 1-7>'",
                           ctx->csv, number, line);
        return 0;
    }
    *comma = '\0';
    char *id = trim(line), *label_text = trim(comma + 1);
    int label;
    if (!*id || parse_int(label_text, &label) != 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, *id ? id : NULL,
                           "%s:%d: unreadable line: expected '<id>,<label 1-7>', "
                           "found label '%.40s'",
                           ctx->csv, number, label_text);
        return 0;
    }

    char folder[256];
    dfew_folder_name(ctx->frames_root, id, folder, sizeof folder);
    if (label < 1 || label > 7) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, folder,
                           "%s:%d: label %d is outside 1..7", ctx->csv, number, label);
        ds->splits[ctx->split].skipped_bad++;
        return 0;
    }
    char *dir = nd_path_join(ctx->frames_root, folder);
    nd_dataset_add_frames(ds, ctx->split, folder, label - 1, dir, -1);
    free(dir);
    return 0;
}

/* Warns when every clip has exactly 16 frames, because that is what the
 * resampled copy Clip/clip_224x224_16f looks like, not the original clips. */
static void dfew_check_16f(nd_dataset *ds) {
    int clips = 0, sixteen = 0;
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        for (int i = 0; i < ds->splits[s].count; i++) {
            clips++;
            sixteen += ds->splits[s].clips[i].num_frames == 16;
        }
    }
    if (clips >= 20 && sixteen == clips)
        nd_dataset_problem(
            ds, ND_SEVERITY_WARNING, -1, NULL,
            "every clip has exactly 16 frames: is the frame folder the "
            "16-frame resampled copy (Clip/clip_224x224_16f)? The original "
            "clips are in Clip/clip_224x224 (--frames-dir)");
}

int nd_read_dfew(nd_dataset *ds) {
    const nd_dataset_options *o = &ds->options;
    if (o->fold < 1 || o->fold > 5)
        return nd_fail("invalid DFEW fold %d: use 1 to 5", o->fold);
    nd_dataset_set_labels(ds, dfer_labels, 7);

    const char *frames_dir = o->frames_dir ? o->frames_dir : "Clip/clip_224x224";
    char *frames_root = under_root(ds->root, frames_dir);
    if (!nd_is_dir(frames_root)) {
        nd_fail("DFEW frame folder %s not found: check --root, or set --frames-dir",
                frames_root);
        free(frames_root);
        return -1;
    }

    static const char *const split_dirs[] = {"train(single-labeled)",
                                             "test(single-labeled)"};
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        char rel[256];
        snprintf(rel, sizeof rel, "EmoLabel_DataSplit/%s/set_%d.csv", split_dirs[s],
                 o->fold);
        char *csv = nd_path_join(ds->root, rel);
        if (!nd_is_file(csv)) {
            nd_fail("DFEW split file %s not found: --root must be the folder holding "
                    "EmoLabel_DataSplit",
                    csv);
            free(csv);
            free(frames_root);
            return -1;
        }
        dfew_ctx ctx = {ds, s, csv, frames_root, 0};
        int rc = nd_for_each_line(csv, dfew_line, &ctx);
        if (rc == 0 && ctx.lines == 0)
            nd_dataset_problem(ds, ND_SEVERITY_ERROR, s, NULL,
                               "%s is empty: expected the header 'video_name,label' and "
                               "one '<id>,<label 1-7>' line per clip",
                               csv);
        free(csv);
        if (rc != 0) {
            free(frames_root);
            return -1;
        }
    }
    free(frames_root);
    dfew_check_16f(ds);
    return 0;
}

/* ---- List files ---- */

typedef struct list_ctx {
    nd_dataset *ds;
    int split;
    const char *file;
    char *old_prefix; /* NULL: no rewriting */
    char *new_prefix;
} list_ctx;

static int list_line(void *ctx_ptr, char *line, int number) {
    list_ctx *ctx = ctx_ptr;
    nd_dataset *ds = ctx->ds;
    line = trim(line);
    if (!*line || line[0] == '#')
        return 0;

    /* Fields from the right, so that the frame dir may contain spaces. The
     * split cuts line, so the error message quotes a copy. */
    char original[96];
    snprintf(original, sizeof original, "%s", line);
    char *label_text = split_last_field(line);
    char *count_text = label_text ? split_last_field(line) : NULL;
    int label, count;
    if (!count_text || parse_int(label_text, &label) != 0 ||
        parse_int(count_text, &count) != 0 || count < 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, NULL,
                           "%s:%d: unreadable line '%s': expected '<frame dir> "
                           "<num_frames> <label 0-%d>'",
                           ctx->file, number, original, ds->num_classes - 1);
        return 0;
    }
    const char *id = line;
    if (label < 0 || label >= ds->num_classes) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, id,
                           "%s:%d: label %d is outside 0..%d", ctx->file, number, label,
                           ds->num_classes - 1);
        ds->splits[ctx->split].skipped_bad++;
        return 0;
    }

    /* Rewrite the prefix, then resolve a relative path under root. */
    char *path;
    size_t old_len = ctx->old_prefix ? strlen(ctx->old_prefix) : 0;
    if (old_len && !strncmp(line, ctx->old_prefix, old_len)) {
        path = nd_malloc(strlen(ctx->new_prefix) + strlen(line) - old_len + 1);
        sprintf(path, "%s%s", ctx->new_prefix, line + old_len);
    } else {
        path = nd_strdup(line);
    }
    char *dir = under_root(ds->root, path);
    nd_dataset_add_frames(ds, ctx->split, id, label, dir, count);
    free(dir);
    free(path);
    return 0;
}

int nd_read_list(nd_dataset *ds) {
    const nd_dataset_options *o = &ds->options;
    if (!o->train_list && !o->test_list)
        return nd_fail("the list dataset needs --train FILE and/or --test FILE");
    nd_dataset_set_labels(ds, dfer_labels, 7);

    list_ctx ctx = {ds, 0, NULL, NULL, NULL};
    if (o->strip_prefix) {
        const char *eq = strchr(o->strip_prefix, '=');
        if (eq) {
            ctx.old_prefix = nd_strdup(o->strip_prefix);
            ctx.old_prefix[eq - o->strip_prefix] = '\0';
            ctx.new_prefix = nd_strdup(eq + 1);
        } else {
            ctx.old_prefix = nd_strdup(o->strip_prefix);
            ctx.new_prefix = nd_strdup(ds->root);
        }
    }

    const char *files[ND_NUM_SPLITS] = {o->train_list, o->test_list};
    int rc = 0;
    for (int s = 0; s < ND_NUM_SPLITS && rc == 0; s++) {
        if (!files[s])
            continue;
        if (!nd_is_file(files[s])) {
            rc = nd_fail("%s list file %s not found", split_name(s), files[s]);
            break;
        }
        ctx.split = s;
        ctx.file = files[s];
        rc = nd_for_each_line(files[s], list_line, &ctx);
    }
    free(ctx.old_prefix);
    free(ctx.new_prefix);
    return rc;
}

/* ---- FERV39k and MAFW: "<name> <class name>" lines ---- */

typedef struct named_ctx {
    nd_dataset *ds;
    int split;
    const char *file;
    char *frames_root;
    int cut_extension; /* MAFW: the id is the name up to its first '.' */
} named_ctx;

static int named_line(void *ctx_ptr, char *line, int number) {
    named_ctx *ctx = ctx_ptr;
    nd_dataset *ds = ctx->ds;
    line = trim(line);
    if (!*line)
        return 0;
    char *class_name = split_last_field(line);
    if (!class_name) {
        nd_dataset_problem(
            ds, ND_SEVERITY_ERROR, ctx->split, NULL,
            "%s:%d: unreadable line '%.80s': expected '<clip path> <class>'", ctx->file,
            number, line);
        return 0;
    }
    if (ctx->cut_extension) {
        char *dot = strchr(line, '.');
        if (dot && dot != line)
            *dot = '\0';
    }
    int label = nd_dataset_find_label(ds, class_name);
    if (label < 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, ctx->split, line,
                           "%s:%d: unknown class '%.40s' (classes: %s ... %s)", ctx->file,
                           number, class_name, ds->labels[0],
                           ds->labels[ds->num_classes - 1]);
        ds->splits[ctx->split].skipped_bad++;
        return 0;
    }
    char *dir = nd_path_join(ctx->frames_root, line);
    nd_dataset_add_frames(ds, ctx->split, line, label, dir, -1);
    free(dir);
    return 0;
}

/* Reads the two annotation files of a named layout. */
static int read_named(nd_dataset *ds, const char *const files[ND_NUM_SPLITS],
                      const char *frames_rel, int cut_extension, const char *hint) {
    named_ctx ctx = {ds, 0, NULL, nd_path_join(ds->root, frames_rel), cut_extension};
    if (!nd_is_dir(ctx.frames_root)) {
        nd_fail("frame folder %s not found: %s", ctx.frames_root, hint);
        free(ctx.frames_root);
        return -1;
    }
    int rc = 0;
    for (int s = 0; s < ND_NUM_SPLITS && rc == 0; s++) {
        char *path = nd_path_join(ds->root, files[s]);
        if (!nd_is_file(path)) {
            rc = nd_fail("%s split file %s not found: %s", split_name(s), path, hint);
        } else {
            ctx.split = s;
            ctx.file = path;
            rc = nd_for_each_line(path, named_line, &ctx);
        }
        free(path);
    }
    free(ctx.frames_root);
    return rc;
}

int nd_read_ferv39k(nd_dataset *ds) {
    nd_dataset_set_labels(ds, dfer_labels, 7);
    const char *const files[] = {"4_setups/All_scenes/train_All.csv",
                                 "4_setups/All_scenes/test_All.csv"};
    return read_named(ds, files, "2_ClipsforFaceCrop", 0,
                      "--root must be the FERV39k folder holding 4_setups and "
                      "2_ClipsforFaceCrop");
}

int nd_read_mafw(nd_dataset *ds) {
    const nd_dataset_options *o = &ds->options;
    if (o->fold < 1 || o->fold > 5)
        return nd_fail("invalid MAFW fold %d: use 1 to 5", o->fold);
    nd_dataset_set_labels(ds, mafw_labels, 11);
    char train[128], test[128];
    snprintf(train, sizeof train, "split/single/no_caption/set_%d/train.txt", o->fold);
    snprintf(test, sizeof test, "split/single/no_caption/set_%d/test.txt", o->fold);
    const char *const files[] = {train, test};
    return read_named(ds, files, "data/faces", 1,
                      "--root must be the MAFW folder holding split/ and data/faces/");
}

/* ---- Class folders: AFEW and the plain folder layout ---- */

/* Adds every clip in one class folder: sub-folders are frame clips, video
 * files video clips, anything else a stray file. */
static void scan_class_folder(nd_dataset *ds, int split, const char *dir, int label) {
    char **names;
    int count;
    if (nd_list_dir(dir, &names, &count) != 0) {
        nd_dataset_problem(ds, ND_SEVERITY_ERROR, split, NULL, "%s", nd_last_error());
        return;
    }
    for (int i = 0; i < count; i++) {
        char *path = nd_path_join(dir, names[i]);
        if (nd_is_dir(path)) {
            nd_dataset_add_frames(ds, split, names[i], label, path, -1);
        } else if (nd_is_video_name(names[i])) {
            char id[256];
            snprintf(id, sizeof id, "%s", names[i]);
            char *dot = strrchr(id, '.');
            if (dot && dot != id)
                *dot = '\0';
            nd_dataset_add_video(ds, split, id, label, path);
        } else {
            nd_dataset_problem(ds, ND_SEVERITY_WARNING, split, NULL,
                               "%s is neither a frame folder nor a video; ignored", path);
        }
        free(path);
    }
    nd_free_list(names, count);
}

/* Reads <root>/<split dir>/<class>/ for both splits. Class folders are
 * matched to the dataset's labels by nd_dataset_find_label. */
static int read_class_folders(nd_dataset *ds,
                              const char *const split_dirs[ND_NUM_SPLITS]) {
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        char *split_dir = nd_path_join(ds->root, split_dirs[s]);
        char **names;
        int count;
        if (!nd_is_dir(split_dir)) {
            nd_fail("%s folder %s not found: --root must hold %s/ and %s/", split_name(s),
                    split_dir, split_dirs[0], split_dirs[1]);
            free(split_dir);
            return -1;
        }
        if (nd_list_dir(split_dir, &names, &count) != 0) {
            free(split_dir);
            return -1;
        }
        for (int i = 0; i < count; i++) {
            char *class_dir = nd_path_join(split_dir, names[i]);
            int label = nd_dataset_find_label(ds, names[i]);
            if (!nd_is_dir(class_dir))
                nd_dataset_problem(ds, ND_SEVERITY_WARNING, s, NULL,
                                   "%s is not a class folder; ignored", class_dir);
            else if (label < 0)
                nd_dataset_problem(
                    ds, ND_SEVERITY_ERROR, s, NULL,
                    "class folder %s is not one of the %d classes (%s ... %s)", class_dir,
                    ds->num_classes, ds->labels[0], ds->labels[ds->num_classes - 1]);
            else
                scan_class_folder(ds, s, class_dir, label);
            free(class_dir);
        }
        nd_free_list(names, count);
        free(split_dir);
    }
    return 0;
}

int nd_read_afew(nd_dataset *ds) {
    /* AFEW spells its folders Angry Disgust Fear Happy Neutral Sad Surprise,
     * which nd_dataset_find_label matches to the model's names. */
    nd_dataset_set_labels(ds, dfer_labels, 7);
    const char *const split_dirs[] = {"Train", "Val"};
    return read_class_folders(ds, split_dirs);
}

/* Collects the class folder names of root/train and root/test. */
static int collect_classes(nd_dataset *ds, char ***classes, int *num_classes) {
    char **all = NULL;
    int n = 0;
    static const char *const split_dirs[] = {"train", "test"};
    for (int s = 0; s < ND_NUM_SPLITS; s++) {
        char *split_dir = nd_path_join(ds->root, split_dirs[s]);
        char **names;
        int count;
        if (!nd_is_dir(split_dir)) {
            nd_fail("%s folder %s not found: --root must hold train/ and test/",
                    split_name(s), split_dir);
            free(split_dir);
            nd_free_list(all, n);
            return -1;
        }
        int rc = nd_list_dir(split_dir, &names, &count);
        if (rc != 0) {
            free(split_dir);
            nd_free_list(all, n);
            return -1;
        }
        for (int i = 0; i < count; i++) {
            char *path = nd_path_join(split_dir, names[i]);
            int is_dir = nd_is_dir(path);
            free(path);
            int seen = 0;
            for (int j = 0; j < n; j++)
                seen |= !strcmp(all[j], names[i]);
            if (!is_dir || seen)
                continue;
            all = nd_realloc(all, sizeof *all * (size_t)(n + 1));
            all[n++] = nd_strdup(names[i]);
        }
        nd_free_list(names, count);
        free(split_dir);
    }
    *classes = all;
    *num_classes = n;
    return 0;
}

static int compare_names(const void *a, const void *b) {
    return nd_natural_compare(*(char *const *)a, *(char *const *)b);
}

int nd_read_folder(nd_dataset *ds) {
    /* Class folders that are all expression names get the model's 7
     * classes in the model's order; other names become the classes, in
     * natural order. */
    char **classes;
    int n;
    if (collect_classes(ds, &classes, &n) != 0)
        return -1;
    if (n == 0)
        return nd_fail("no class folders under %s/train or %s/test", ds->root, ds->root);
    nd_dataset_set_labels(ds, dfer_labels, 7);
    int all_expressions = 1;
    for (int i = 0; i < n; i++)
        all_expressions &= nd_dataset_find_label(ds, classes[i]) >= 0;
    if (!all_expressions) {
        if (n > NRDFER_MAX_CLASSES) {
            nd_free_list(classes, n);
            return nd_fail("%s holds %d class folders; at most %d are supported",
                           ds->root, n, NRDFER_MAX_CLASSES);
        }
        qsort(classes, (size_t)n, sizeof *classes, compare_names);
        nd_dataset_set_labels(ds, (const char *const *)classes, n);
        nd_log_info("folder dataset: %d classes from the folder names", n);
    }
    nd_free_list(classes, n);

    const char *const split_dirs[] = {"train", "test"};
    return read_class_folders(ds, split_dirs);
}
