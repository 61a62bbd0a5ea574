/* Run folders: the files one training run leaves behind.
 *
 *   config.json       every setting of the run, enough to resume it
 *   last.safetensors  weights, optimizer state and train state after the
 *                     latest completed step that was saved
 *   best.safetensors  weights of the epoch with the best validation UAR
 *   metrics.jsonl     one JSON object per epoch (nd_epoch_record)
 *   curves.png        loss and UAR/WAR per epoch
 *   summary.json      the selected epoch's figures (nrdfer train)
 *
 * Every file is written atomically (temporary file, then rename). */
#ifndef ND_TRAIN_RUNDIR_H
#define ND_TRAIN_RUNDIR_H

#include <cjson/cJSON.h>

/* One epoch of a run. Fields that were not measured hold NAN and are
 * written as null. */
typedef struct nd_epoch_record {
    int epoch; /* 1-based */
    long steps; /* optimizer steps since the start of the run */
    double loss; /* mean training loss of the epoch */
    double lr;   /* learning rate of the epoch's last step */
    double train_uar, train_war;
    double val_uar, val_war;
    double test_uar, test_war;
    double seconds;     /* wall time of the epoch, evaluation included */
    double clips_per_s; /* training clips per second of training-step time */
    double data_wait;   /* share of training-step time spent waiting for the loader */
} nd_epoch_record;

/* Checks, without changing anything, that dir can take a new run: missing,
 * empty, or force set. Returns -1 with a message naming the options
 * otherwise. */
int nd_rundir_check(const char *dir, int force);

/* Prepares dir for a new run: creates it when missing, accepts it when empty,
 * and rejects a folder that has entries unless force is set. With force, the
 * run files listed above (and those of fold-K subfolders) are removed and
 * other files are left alone. */
int nd_rundir_prepare(const char *dir, int force);

/* Writes json to dir/name atomically, pretty-printed. */
int nd_rundir_write_json(const char *dir, const char *name, const cJSON *json);

/* Reads dir/name as JSON; returns NULL after nd_fail() when it is missing or
 * invalid. */
cJSON *nd_rundir_read_json(const char *dir, const char *name);

/* Writes the records to path as JSON lines, atomically. */
int nd_history_write(const char *path, const nd_epoch_record *records, int count);

/* Reads a metrics.jsonl file. *records is a new array (free it); a missing
 * file gives 0 records. Returns -1 on a line that is not a record. */
int nd_history_read(const char *path, nd_epoch_record **records, int *count);

cJSON *nd_epoch_record_to_json(const nd_epoch_record *record);

/* Adds value to obj with 17 significant digits, so that it reads back as the
 * same double (cJSON's own printing keeps 15 digits when those compare equal
 * within DBL_EPSILON, which loses the last bits). Not finite: null. */
void nd_json_add_exact(cJSON *obj, const char *key, double value);

#endif
