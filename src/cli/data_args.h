/* Command-line options that select a dataset and tell its reader how to
 * read it, shared by train, eval, data check and data load. */
#ifndef ND_CLI_DATA_ARGS_H
#define ND_CLI_DATA_ARGS_H

#include <getopt.h>
#include <stdio.h>

#include "train/data.h"

/* getopt_long values of the shared options, above any short option. */
enum {
    ND_OPT_DATASET = 1000,
    ND_OPT_ROOT,
    ND_OPT_FOLD,
    ND_OPT_FRAMES_DIR,
    ND_OPT_TRAIN_LIST,
    ND_OPT_TEST_LIST,
    ND_OPT_STRIP_PREFIX,
    ND_OPT_SHORT_CLIPS,
    ND_OPT_BAD_CLIPS,
    ND_OPT_LOADER_THREADS,
    ND_OPT_FACE_DETECT,
    ND_OPT_CASCADE,
    ND_OPT_FRAMES, /* data check and data load only: the model's T */
    ND_OPT_DATA_LAST /* commands number their own options from here */
};

#define ND_DATA_LONG_OPTIONS                                                           \
    {"dataset", required_argument, NULL, ND_OPT_DATASET},                                \
        {"root", required_argument, NULL, ND_OPT_ROOT},                                  \
        {"fold", required_argument, NULL, ND_OPT_FOLD},                                  \
        {"frames-dir", required_argument, NULL, ND_OPT_FRAMES_DIR},                      \
        {"train", required_argument, NULL, ND_OPT_TRAIN_LIST},                           \
        {"test", required_argument, NULL, ND_OPT_TEST_LIST},                             \
        {"strip-prefix", required_argument, NULL, ND_OPT_STRIP_PREFIX},                  \
        {"short-clips", required_argument, NULL, ND_OPT_SHORT_CLIPS},                    \
        {"bad-clips", required_argument, NULL, ND_OPT_BAD_CLIPS},                        \
        {"loader-threads", required_argument, NULL, ND_OPT_LOADER_THREADS},              \
        {"face-detect", required_argument, NULL, ND_OPT_FACE_DETECT},                    \
        {"cascade", required_argument, NULL, ND_OPT_CASCADE}

/* Sets the defaults: augmentation on, random training sampling, fold 0. */
void nd_data_args_init(nd_data_settings *options);

/* Handles one getopt_long result. Returns 1 when opt was a shared option,
 * 0 when it is not, -1 on an invalid value (message printed to stderr,
 * prefixed by "nrdfer COMMAND"). */
int nd_data_args_parse(nd_data_settings *options, int opt, const char *arg,
                         const char *command);

/* Checks that --dataset and --root are given; -1 with a message if not. */
int nd_data_args_check(const nd_data_settings *options, const char *command);

/* Writes the help lines of the shared options. With loader_threads set
 * (train and eval), the --loader-threads line is included. */
void nd_data_args_help(FILE *out, int loader_threads);

/* Parses a whole number in [min, max] from arg; -1 with a message naming
 * the option when it is not one. */
int nd_parse_int(const char *arg, long min, long max, const char *option, long *value);

/* Parses a finite number; -1 with a message naming the option. */
int nd_parse_double(const char *arg, const char *option, double *value);

/* Parses "on" or "off". */
int nd_parse_on_off(const char *arg, const char *option, int *value);

#endif
