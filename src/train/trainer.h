/* The training loop. Each epoch runs one optimizer step per shuffled batch
 * (the last partial batch is dropped) at the scheduled learning rate. The
 * epoch then ends with an evaluation of a fixed subset of the training
 * clips, the validation clips and the test set, the model selection by
 * validation UAR, and the run folder's files (rundir.h).
 *
 * Every random draw is a function of (seed, epoch, clip), and the state saved
 * in last.safetensors holds the position (epoch, loader position), the
 * optimizer state and the running sums of the epoch, so a run resumed from
 * it reaches the same weights, bit for bit, as an uninterrupted run with the
 * same thread counts. */
#ifndef ND_TRAIN_TRAINER_H
#define ND_TRAIN_TRAINER_H

#include <signal.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "nrdfer.h"
#include "train/rundir.h"
#include "train/schedule.h"

/* Progress of the current epoch, reported after every optimizer step. */
typedef struct nd_train_progress {
    int epoch, epochs;        /* epoch is 1-based */
    long step, steps;         /* steps done in this epoch, and per epoch */
    long total_steps;         /* optimizer steps since the run started */
    double loss;              /* mean loss of the epoch so far */
    double lr;
    double clips_per_s;       /* training throughput of this epoch */
    double seconds;           /* time spent in this epoch */
} nd_train_progress;

typedef void (*nd_train_progress_fn)(const nd_train_progress *progress, void *data);

typedef struct nd_train_options {
    nrdfer_optimizer_config optimizer;
    nd_schedule schedule;   /* schedule.epochs is the run length */
    long max_steps;         /* stop after this many optimizer steps in all; -1: none */
    int batch;
    int balance;            /* class-balanced sampling of training clips */
    float label_smoothing;
    uint64_t seed;
    int train_eval_clips;   /* training clips evaluated each epoch (0: none) */
    const char *run_dir;
    volatile sig_atomic_t *interrupted; /* set by a signal handler; may be NULL */
    nd_train_progress_fn progress;
    void *progress_data;
} nd_train_options;

/* The clips of a run: training and validation are index lists into the
 * dataset's training split, and the whole test split is evaluated. */
typedef struct nd_train_data {
    const nd_dataset *dataset;
    const int *train;
    int num_train;
    const int *val;
    int num_val;
    nd_loader_options train_loader; /* from nd_data_loader_options(train = 1) */
    nd_loader_options eval_loader;  /* from nd_data_loader_options(train = 0) */
} nd_train_data;

typedef struct nd_train_result {
    int epochs_done;
    long steps;
    int stopped_early;       /* 1 when max_steps ended the run before its last epoch */
    int best_epoch;          /* epoch of best.safetensors (0: none yet) */
    nd_epoch_record best;    /* the record of best_epoch */
    int best_test_epoch;     /* epoch with the highest test UAR (0: no test set) */
    double best_test_uar;
} nd_train_result;

/* Trains model. resume_state is the "nrdfer_train" JSON of last.safetensors
 * (after its weights and optimizer state were loaded into model) or NULL for
 * a new run. Returns 0 when the run ends or reaches max_steps, -1 with
 * nd_fail() on a non-finite loss (weights as of the last saved checkpoint),
 * an interruption (state saved, resumable) or a data or engine error. */
int nd_train_run(nrdfer_model *model, const nd_train_options *options,
                 const nd_train_data *data, const cJSON *resume_state,
                 nd_train_result *result);

#endif
