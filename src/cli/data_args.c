#include "cli/data_args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    long v;
    switch (opt) {
    case ND_OPT_DATASET:
        o->dataset = arg;
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
        o->short_clips = arg;
        return 1;
    case ND_OPT_BAD_CLIPS:
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

void nd_data_args_help(FILE *out) {
    fprintf(out,
            "data:\n"
            "  --dataset NAME        dfew, list, ferv39k, afew, mafw or folder\n"
            "  --root DIR            dataset root as downloaded\n"
            "  --fold K              fold of the official split (DFEW 1-5, MAFW 1-5)\n"
            "  --frames-dir DIR      frame folder below the root (dataset default)\n"
            "  --train FILE          training list file (dataset 'list')\n"
            "  --test FILE           test list file (dataset 'list')\n"
            "  --strip-prefix TEXT   prefix removed from the paths in list files\n"
            "  --short-clips POLICY  how clips shorter than the model's frame count are "
            "read\n"
            "  --bad-clips POLICY    what happens to unreadable or empty clips\n"
            "  --loader-threads N    threads decoding frames (default 2)\n"
            "  --face-detect on|off  video clips: crop the face found by the Haar cascade\n"
            "                        (on), or use whole frames of videos already cropped\n"
            "  --cascade FILE        Haar cascade in OpenCV 4 XML format (default:\n"
            "                        haarcascade_frontalface_alt2.xml of opencv-data)\n");
}
