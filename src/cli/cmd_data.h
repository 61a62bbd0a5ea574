/* Shared by the `nrdfer data` subcommands: the dataset options every one
 * of them takes. */
#ifndef ND_CLI_CMD_DATA_H
#define ND_CLI_CMD_DATA_H

#include <getopt.h>

#include "data/dataset.h"

/* getopt_long codes of the dataset options (above the ASCII range). */
enum {
    ND_OPT_DATASET = 1000,
    ND_OPT_ROOT,
    ND_OPT_FOLD,
    ND_OPT_FRAMES_DIR,
    ND_OPT_TRAIN,
    ND_OPT_TEST,
    ND_OPT_STRIP_PREFIX,
    ND_OPT_SHORT_CLIPS,
    ND_OPT_BAD_CLIPS,
    ND_OPT_FRAMES,
    ND_OPT_FACE_DETECT,
    ND_OPT_CASCADE,
    ND_OPT_DATA_LAST
};

/* clang-format off */
#define ND_DATASET_LONG_OPTIONS                                    \
    {"dataset", required_argument, 0, ND_OPT_DATASET},             \
    {"root", required_argument, 0, ND_OPT_ROOT},                   \
    {"fold", required_argument, 0, ND_OPT_FOLD},                   \
    {"frames-dir", required_argument, 0, ND_OPT_FRAMES_DIR},       \
    {"train", required_argument, 0, ND_OPT_TRAIN},                 \
    {"test", required_argument, 0, ND_OPT_TEST},                   \
    {"strip-prefix", required_argument, 0, ND_OPT_STRIP_PREFIX},   \
    {"short-clips", required_argument, 0, ND_OPT_SHORT_CLIPS},     \
    {"bad-clips", required_argument, 0, ND_OPT_BAD_CLIPS},         \
    {"frames", required_argument, 0, ND_OPT_FRAMES},               \
    {"face-detect", required_argument, 0, ND_OPT_FACE_DETECT},     \
    {"cascade", required_argument, 0, ND_OPT_CASCADE}
/* clang-format on */

/* Help text of the dataset options. */
#define ND_DATASET_OPTIONS_HELP                                                          \
    "  --dataset NAME       dfew, list, ferv39k, afew, mafw or folder\n"                 \
    "  --root DIR           dataset root as downloaded (list: base of relative paths)\n" \
    "  --fold K             dfew and mafw split 1..5 (default 1)\n"                      \
    "  --frames-dir D       dfew frame folder under the root (default "                  \
    "Clip/clip_224x224)\n"                                                               \
    "  --train F, --test F  list files '<frame dir> <num_frames> <label 0-6>'\n"         \
    "  --strip-prefix P     list: 'OLD=NEW' rewrites the path prefix OLD to NEW;\n"      \
    "                       'OLD' alone is replaced by the root\n"                       \
    "  --short-clips P      clips with fewer than T frames: sample, pad-last, loop,\n"   \
    "                       drop or error (default sample)\n"                            \
    "  --bad-clips P        clips that cannot be read: error or skip (default error)\n"  \
    "  --frames T           frames per clip of the model (default 16)\n"               \
    "  --face-detect on|off video clips: crop the face found by the Haar cascade (on)\n" \
    "                       or use whole frames of videos already cropped\n"           \
    "  --cascade FILE       Haar cascade XML (default: opencv-data's\n"                 \
    "                       haarcascade_frontalface_alt2.xml)\n"

/* Applies one dataset option to o. Returns 1 when c was a dataset option,
 * 0 when it was not, -1 on an invalid value (message printed). */
int nd_data_parse_option(int c, const char *arg, nd_dataset_options *o);

/* Checks that the options name a dataset and a root; prints what is
 * missing. Returns 0 or -1. */
int nd_data_check_required(const nd_dataset_options *o, const char *command);

int nd_cmd_data_check(int argc, char **argv);
int nd_cmd_data_load(int argc, char **argv);

#endif
