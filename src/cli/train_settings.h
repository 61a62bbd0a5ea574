/* The settings of nrdfer train: defaults, command-line parsing, checks, and
 * their config.json form, from which --resume rebuilds a run. */
#ifndef ND_CLI_TRAIN_SETTINGS_H
#define ND_CLI_TRAIN_SETTINGS_H

#include <cjson/cJSON.h>

#include "cli/data_args.h"
#include "nrdfer.h"
#include "train/data.h"
#include "train/schedule.h"

/* Every setting of a run; config.json stores them all for --resume. */
typedef struct nd_train_settings {
    nd_data_settings data;
    const char *out;
    const char *preset;
    int preset_given; /* 1: --preset or an architecture switch was given */
    /* Architecture switches applied to the preset (nrdfer_config's fields). */
    int static_branch, dynamic_branch, learned_cls_token, single_frame;
    const char *init;
    int reset_head;
    int fold_first, fold_last; /* --folds range; 0 for a single run */
    nrdfer_optimizer_config optimizer;
    nd_schedule_kind schedule;
    long lr_step;
    double lr_gamma;
    long warmup;
    long epochs;
    long steps; /* -1: no limit */
    long batch;
    int balance;
    double label_smoothing;
    unsigned long long seed;
    double val_fraction;
    long train_eval_clips;
    long threads;
} nd_train_settings;

/* getopt_long values of the train options, after the shared data options. */
enum {
    OPT_OUT = ND_OPT_DATA_LAST,
    OPT_RESUME,
    OPT_FORCE,
    OPT_FOLDS,
    OPT_PRESET,
    OPT_STATIC_BRANCH,
    OPT_DYNAMIC_BRANCH,
    OPT_LEARNED_CLS_TOKEN,
    OPT_SINGLE_FRAME,
    OPT_INIT,
    OPT_RESET_HEAD,
    OPT_OPTIMIZER,
    OPT_LR,
    OPT_MOMENTUM,
    OPT_WEIGHT_DECAY,
    OPT_SCHEDULE,
    OPT_LR_STEP,
    OPT_LR_GAMMA,
    OPT_WARMUP,
    OPT_EPOCHS,
    OPT_STEPS,
    OPT_BATCH,
    OPT_BALANCE,
    OPT_LABEL_SMOOTHING,
    OPT_AUGMENT,
    OPT_TRAIN_SAMPLING,
    OPT_SEED,
    OPT_VAL_FRACTION,
    OPT_TRAIN_EVAL_CLIPS,
    OPT_THREADS,
    OPT_HELP
};

/* Sets the defaults: the NR-DFERNet recipe, preset paper, seed 1. */
void nd_train_settings_init(nd_train_settings *s);

/* Parses the value of one train option (OPT_*). Returns 0, or -1 after
 * printing a message that names the option and the accepted values. */
int nd_train_settings_parse(nd_train_settings *s, int opt, const char *arg);

/* Fills config with the preset and the architecture switches. Returns -1
 * with nd_fail() naming the setting when they do not fit together. */
int nd_train_settings_model_config(const nd_train_settings *s, nrdfer_config *config);

/* Copies the architecture of the --init checkpoint into the preset name and
 * switches, so that config.json and the log state the model trained. The
 * preset becomes the one whose architecture the checkpoint has, and stays
 * unchanged when none matches. Returns 0, or -1 with nd_fail() naming the file. */
int nd_train_settings_adopt_init(nd_train_settings *s);

/* Checks the settings of a new run as a whole; -1 after printing why. */
int nd_train_settings_check(const nd_train_settings *s);

/* Builds config.json for the run of one fold (0: the --folds run folder). */
cJSON *nd_train_settings_to_json(const nd_train_settings *s, int fold);

/* Reads config.json back. Strings point into json, which must outlive s.
 * Returns -1 with nd_fail() naming the missing or invalid key. */
int nd_train_settings_from_json(const cJSON *json, const char *path, nd_train_settings *s);

#endif
