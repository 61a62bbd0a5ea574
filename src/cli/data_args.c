#include "cli/data_args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void nd_data_args_init(nd_data_settings *options) {
    memset(options, 0, sizeof *options);
    options->augment = 1;
    options->loader_threads = 2;
    options->face_detect = 1;
}

int nd_parse_int(const char *arg, long min, long max, const char *option, long *value) {
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "error: %s '%s' is invalid: use a whole number from %ld to %ld\n",
                option, arg, min, max);
        return -1;
    }
    *value = v;
    return 0;
}

int nd_parse_double(const char *arg, const char *option, double *value) {
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v)) {
        fprintf(stderr, "error: %s '%s' is invalid: use a finite number\n", option, arg);
        return -1;
    }
    *value = v;
    return 0;
}

int nd_parse_on_off(const char *arg, const char *option, int *value) {
    if (!strcmp(arg, "on"))
        *value = 1;
    else if (!strcmp(arg, "off"))
        *value = 0;
    else {
        fprintf(stderr, "error: %s '%s' is invalid: use on or off\n", option, arg);
        return -1;
    }
    return 0;
}

int nd_data_args_parse(nd_data_settings *o, int opt, const char *arg,
                         const char *command) {
    static const char *const names[] = {"dfew", "list", "ferv39k", "afew", "mafw", "folder"};
    long v;
    nd_short_clip_policy short_policy;
    nd_bad_clips bad_policy;
    switch (opt) {
    case ND_OPT_DATASET:
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(arg, names[i]))
                o->dataset = arg;
        if (o->dataset != arg) {
            fprintf(stderr,
                    "nrdfer %s: unknown dataset '%s': use dfew, list, ferv39k, afew, mafw "
                    "or folder\n",
                    command, arg);
            return -1;
        }
        return 1;
    case ND_OPT_ROOT:
        o->root = arg;
        return 1;
    case ND_OPT_FOLD:
        if (nd_parse_int(arg, 1, 99, "--fold", &v) != 0)
            return -1;
        o->fold = (int)v;
        return 1;
    case ND_OPT_FRAMES_DIR:
        o->frames_dir = arg;
        return 1;
    case ND_OPT_TRAIN_LIST:
        o->train_list = arg;
        return 1;
    case ND_OPT_TEST_LIST:
        o->test_list = arg;
        return 1;
    case ND_OPT_STRIP_PREFIX:
        o->strip_prefix = arg;
        return 1;
    case ND_OPT_SHORT_CLIPS:
        if (nd_short_clip_parse(arg, &short_policy) != 0) {
            fprintf(stderr, "nrdfer %s: %s\n", command, nd_last_error());
            return -1;
        }
        o->short_clips = arg;
        return 1;
    case ND_OPT_BAD_CLIPS:
        if (nd_bad_clips_parse(arg, &bad_policy) != 0) {
            fprintf(stderr, "nrdfer %s: %s\n", command, nd_last_error());
            return -1;
        }
        o->bad_clips = arg;
        return 1;
    case ND_OPT_LOADER_THREADS:
        if (nd_parse_int(arg, 1, 256, "--loader-threads", &v) != 0)
            return -1;
        o->loader_threads = (int)v;
        return 1;
    case ND_OPT_FACE_DETECT:
        return nd_parse_on_off(arg, "--face-detect", &o->face_detect) == 0 ? 1 : -1;
    case ND_OPT_CASCADE:
        o->cascade = arg;
        return 1;
    case ND_OPT_FRAMES:
        if (nd_parse_int(arg, 2, 1024, "--frames", &v) != 0)
            return -1;
        o->frames = (int)v;
        return 1;
    default:
        return 0;
    }
}

int nd_data_args_check(const nd_data_settings *o, const char *command) {
    if (!o->dataset || !o->root) {
        fprintf(stderr, "nrdfer %s: --dataset and --root are required (see --help)\n",
                command);
        return -1;
    }
    return 0;
}

void nd_data_args_help(FILE *out, int loader_threads) {
    fprintf(out,
            "data:\n"
            "  --dataset NAME        dfew, list, ferv39k, afew, mafw or folder\n"
            "  --root DIR            dataset root as downloaded (list: base of relative "
            "paths)\n"
            "  --fold K              dfew and mafw split 1..5 (default 1)\n"
            "  --frames-dir DIR      dfew frame folder under the root (default "
            "Clip/clip_224x224)\n"
            "  --train F, --test F   list files '<frame dir> <num_frames> <label 0-6>'\n"
            "  --strip-prefix P      list: 'OLD=NEW' rewrites the path prefix OLD to NEW;\n"
            "                        'OLD' alone is replaced by the root\n"
            "  --short-clips P       clips with fewer than T frames: sample, pad-last, loop,\n"
            "                        drop or error (default sample)\n"
            "  --bad-clips P         clips that cannot be read: error or skip (default "
            "error)\n"
            "  --face-detect on|off  video clips: crop the face found by the Haar cascade\n"
            "                        (on), or use whole frames of videos already cropped\n"
            "  --cascade FILE        Haar cascade in OpenCV 4 XML format (default:\n"
            "                        haarcascade_frontalface_alt2.xml of opencv-data)\n");
    if (loader_threads)
        fprintf(out, "  --loader-threads N    threads decoding frames (default 2)\n");
}
