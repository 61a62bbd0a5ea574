#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/checkpoint.h"
#include "train/evaluate.h"
#include "train/plot.h"
#include "train/sampler.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

/* Position and running sums of a run: what last.safetensors stores. */
typedef struct train_state {
    int epoch;            /* 0-based epoch in progress */
    long step;            /* optimizer steps done in that epoch */
    long position;        /* loader order position of the next clip of the epoch */
    long steps;           /* optimizer steps since the run started */
    double loss_sum;      /* sum of the step losses of the epoch so far */
    long loss_count;
    double train_seconds; /* training-step time of the epoch so far */
    double epoch_seconds; /* wall time of the epoch so far */
    /* NOTE: not saved for --resume; after a resume the share covers the
     * resumed part of the epoch only. */
    double wait_seconds; /* time of the epoch's steps spent waiting for batches */
    double last_lr;
    int best_epoch;
    double best_val_uar;
} train_state;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static cJSON *state_to_json(const train_state *s, uint64_t seed) {
    char text[32];
    cJSON *json = cJSON_CreateObject();
    cJSON_AddNumberToObject(json, "epoch", s->epoch);
    cJSON_AddNumberToObject(json, "step", (double)s->step);
    cJSON_AddNumberToObject(json, "position", (double)s->position);
    cJSON_AddNumberToObject(json, "steps", (double)s->steps);
    nd_json_add_exact(json, "loss_sum", s->loss_sum);
    cJSON_AddNumberToObject(json, "loss_count", (double)s->loss_count);
    nd_json_add_exact(json, "train_seconds", s->train_seconds);
    nd_json_add_exact(json, "epoch_seconds", s->epoch_seconds);
    nd_json_add_exact(json, "last_lr", s->last_lr);
    cJSON_AddNumberToObject(json, "best_epoch", s->best_epoch);
    nd_json_add_exact(json, "best_val_uar", s->best_val_uar);
    /* The seed as a string, since a JSON number loses 64-bit integers. */
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    cJSON_AddStringToObject(json, "seed", text);
    return json;
}

static int get_number(const cJSON *json, const char *key, double *value) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
    if (cJSON_IsNull(item)) {
        *value = NAN; /* nd_json_add_exact writes a NAN as null */
        return 0;
    }
    if (!cJSON_IsNumber(item))
        return nd_fail("last.safetensors train state lacks '%s': it was not written by "
                       "nrdfer train, so start a new run",
                       key);
    *value = item->valuedouble;
    return 0;
}

static int state_from_json(const cJSON *json, uint64_t seed, train_state *s) {
    double v[11];
    const char *keys[11] = {"epoch",         "step",          "steps",   "loss_sum",
                            "loss_count",    "train_seconds", "epoch_seconds",
                            "last_lr",       "best_epoch",    "best_val_uar",
                            "position"};
    for (int i = 0; i < 11; i++)
        if (get_number(json, keys[i], &v[i]) != 0)
            return -1;
    s->epoch = (int)v[0];
    s->step = (long)v[1];
    s->steps = (long)v[2];
    s->loss_sum = v[3];
    s->loss_count = (long)v[4];
    s->train_seconds = v[5];
    s->epoch_seconds = v[6];
    s->last_lr = v[7];
    s->best_epoch = (int)v[8];
    s->best_val_uar = v[9];
    s->position = (long)v[10];

    const cJSON *stored = cJSON_GetObjectItemCaseSensitive(json, "seed");
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    if (!cJSON_IsString(stored) || strcmp(stored->valuestring, text) != 0)
        return nd_fail("last.safetensors was trained with seed %s but the run's config has "
                       "seed %s: restore config.json of that run",
                       cJSON_IsString(stored) ? stored->valuestring : "(none)", text);
    return 0;
}

static int save_last(const nrdfer_model *model, const nd_train_options *o,
                     const train_state *s) {
    char *path = nd_path_join(o->run_dir, "last.safetensors");
    cJSON *json = state_to_json(s, o->seed);
    int rc = nd_checkpoint_save(model, path, 1, json);
    cJSON_Delete(json);
    free(path);
    return rc;
}

/* Evaluates indices of split (the whole split when indices is NULL) into
 * UAR and WAR; NAN for an empty list. */
static int measure(nrdfer_model *model, const nd_train_data *d, int split,
                   const int *indices, int n, double *uar, double *war) {
    *uar = NAN;
    *war = NAN;
    if (indices && n <= 0)
        return 0;
    nd_confusion confusion;
    nd_metrics metrics;
    if (nd_evaluate(model, d->dataset, split, indices, n, &d->eval_loader, &confusion, NULL,
                    NULL) != 0)
        return -1;
    if (nd_metrics_compute(&confusion, &metrics) != 0)
        return -1;
    *uar = metrics.uar;
    *war = metrics.war;
    return 0;
}

/* Formats a UAR/WAR pair in percent, or "n/a" when it was not measured. */
static const char *percent_pair(char *text, size_t size, double uar, double war) {
    if (isfinite(uar))
        snprintf(text, size, "%.2f/%.2f", 100 * uar, 100 * war);
    else
        snprintf(text, size, "n/a");
    return text;
}

static void log_epoch(const nd_epoch_record *r, int epochs, int is_best) {
    char train[32], val[32], test[32];
    nd_log_info("epoch %d/%d  loss %.4f  lr %.3g  train UAR/WAR %s  val %s  test %s  "
                "%.1f s  %.1f clips/s  data wait %.1f %%%s",
                r->epoch, epochs, r->loss, r->lr,
                percent_pair(train, sizeof train, r->train_uar, r->train_war),
                percent_pair(val, sizeof val, r->val_uar, r->val_war),
                percent_pair(test, sizeof test, r->test_uar, r->test_war), r->seconds,
                r->clips_per_s, 100 * r->data_wait, is_best ? "  (selected so far)" : "");
}

/* The end of an epoch: evaluation, selection, and the run folder's files. */
static int finish_epoch(nrdfer_model *model, const nd_train_options *o,
                        const nd_train_data *d, const int *train_eval, int num_train_eval,
                        train_state *s, nd_epoch_record **history, int *count) {
    double t0 = now_seconds();
    nd_epoch_record r;
    memset(&r, 0, sizeof r);
    r.epoch = s->epoch + 1;
    r.steps = s->steps;
    r.loss = s->loss_count > 0 ? s->loss_sum / (double)s->loss_count : NAN;
    r.lr = s->last_lr;
    if (measure(model, d, ND_SPLIT_TRAIN, train_eval, num_train_eval, &r.train_uar,
                &r.train_war) != 0 ||
        measure(model, d, ND_SPLIT_TRAIN, d->val, d->num_val, &r.val_uar, &r.val_war) != 0 ||
        measure(model, d, ND_SPLIT_TEST, NULL, 0, &r.test_uar, &r.test_war) != 0)
        return -1;
    r.seconds = s->epoch_seconds + (now_seconds() - t0);
    r.clips_per_s = s->train_seconds > 0
                        ? (double)(s->loss_count * o->batch) / s->train_seconds
                        : NAN;
    r.data_wait = s->train_seconds > 0 ? s->wait_seconds / s->train_seconds : NAN;

    /* Selection: the best validation UAR, or every epoch without validation. */
    int is_best = d->num_val == 0 || s->best_epoch == 0 || r.val_uar > s->best_val_uar;
    if (is_best) {
        s->best_epoch = r.epoch;
        s->best_val_uar = d->num_val > 0 ? r.val_uar : NAN;
        char *path = nd_path_join(o->run_dir, "best.safetensors");
        cJSON *json = cJSON_CreateObject();
        cJSON_AddItemToObject(json, "epoch_record", nd_epoch_record_to_json(&r));
        int rc = nd_checkpoint_save(model, path, 0, json);
        cJSON_Delete(json);
        free(path);
        if (rc != 0)
            return -1;
    }

    /* History, curves, then the resumable state (after everything it covers). */
    *history = nd_realloc(*history, sizeof **history * (size_t)(*count + 1));
    (*history)[(*count)++] = r;
    char *path = nd_path_join(o->run_dir, "metrics.jsonl");
    int rc = nd_history_write(path, *history, *count);
    free(path);
    if (rc != 0)
        return -1;
    path = nd_path_join(o->run_dir, "curves.png");
    rc = nd_plot_curves(path, *history, *count, "nrdfer train");
    free(path);
    if (rc != 0)
        return -1;

    log_epoch(&r, o->schedule.epochs, is_best);
    s->epoch++;
    s->step = 0;
    s->position = 0;
    s->loss_sum = 0;
    s->loss_count = 0;
    s->train_seconds = 0;
    s->wait_seconds = 0;
    s->epoch_seconds = 0;
    return save_last(model, o, s);
}

static void fill_result(const train_state *s, const nd_epoch_record *history, int count,
                        nd_train_result *result) {
    memset(result, 0, sizeof *result);
    result->epochs_done = s->epoch;
    result->steps = s->steps;
    result->best_epoch = s->best_epoch;
    result->best_test_uar = NAN;
    for (int i = 0; i < count; i++) {
        if (history[i].epoch == s->best_epoch)
            result->best = history[i];
        if (isfinite(history[i].test_uar) &&
            (result->best_test_epoch == 0 || history[i].test_uar > result->best_test_uar)) {
            result->best_test_epoch = history[i].epoch;
            result->best_test_uar = history[i].test_uar;
        }
    }
}

/* Creates the training loader of an epoch: once for shuffled sampling, or
 * every epoch for class-balanced sampling (a new draw of clips). */
static nd_loader *epoch_loader(nd_loader *loader, const nd_train_options *o,
                               const nd_train_data *d, const int *train_labels, int epoch,
                               int *balanced) {
    if (loader && !o->balance)
        return loader;
    nd_loader_free(loader);
    if (!o->balance)
        return nd_loader_create(d->dataset, ND_SPLIT_TRAIN, d->train, d->num_train,
                                &d->train_loader);

    int num_classes = d->dataset->num_classes;
    nd_balanced_order(train_labels, d->num_train, num_classes, o->seed, epoch, balanced);
    for (int i = 0; i < d->num_train; i++)
        balanced[i] = d->train[balanced[i]];
    nd_loader_options lo = d->train_loader;
    lo.shuffle = 0; /* the balanced draw is already in random order */
    return nd_loader_create(d->dataset, ND_SPLIT_TRAIN, balanced, d->num_train, &lo);
}

int nd_train_run(nrdfer_model *model, const nd_train_options *o, const nd_train_data *d,
                 const cJSON *resume_state, nd_train_result *result) {
    long steps_per_epoch = d->num_train / o->batch;
    if (steps_per_epoch < 1)
        return nd_fail("%d training clips make no batch of %d: lower --batch", d->num_train,
                       o->batch);
    ND_ASSERT(d->train_loader.batch_size == o->batch);

    /* Starting point: a new run, or the state of last.safetensors. */
    train_state s = {0};
    s.best_val_uar = NAN;
    nd_epoch_record *history = NULL;
    int count = 0;
    if (resume_state) {
        if (state_from_json(resume_state, o->seed, &s) != 0)
            return -1;
        char *path = nd_path_join(o->run_dir, "metrics.jsonl");
        int rc = nd_history_read(path, &history, &count);
        free(path);
        if (rc != 0)
            return -1;
        while (count > 0 && history[count - 1].epoch > s.epoch)
            count--;
        nd_log_info("resuming at epoch %d, step %ld of %ld (%ld steps done)", s.epoch + 1,
                    s.step, steps_per_epoch, s.steps);
    }

    /* Labels of the training list, and the fixed clips evaluated each epoch. */
    const nd_split *split = &d->dataset->splits[ND_SPLIT_TRAIN];
    int *train_labels = nd_malloc(((size_t)d->num_train + 1) * sizeof *train_labels);
    for (int i = 0; i < d->num_train; i++)
        train_labels[i] = split->clips[d->train[i]].label;
    int num_train_eval = o->train_eval_clips < d->num_train ? o->train_eval_clips
                                                            : d->num_train;
    int *train_eval = nd_malloc(((size_t)num_train_eval + 1) * sizeof *train_eval);
    for (int i = 0; i < num_train_eval; i++)
        train_eval[i] = d->train[(long)i * d->num_train / num_train_eval];
    int *balanced = nd_malloc(((size_t)d->num_train + 1) * sizeof *balanced);
    nd_loader *loader = NULL;
    int rc = 0;

    /* --steps 0 still records the starting weights. */
    if (!resume_state && o->max_steps == 0)
        rc = save_last(model, o, &s);

    while (rc == 0 && s.epoch < o->schedule.epochs) {
        double epoch_start = now_seconds() - s.epoch_seconds;
        loader = epoch_loader(loader, o, d, train_labels, s.epoch, balanced);
        if (!loader || nd_loader_start_epoch(loader, s.epoch, (int)s.position) != 0) {
            rc = -1;
            break;
        }
        int epoch_over = 0;
        while (rc == 0 && s.step < steps_per_epoch) {
            /* Stop points: the step budget, or an interruption. */
            if (o->max_steps >= 0 && s.steps >= o->max_steps)
                break;
            if (o->interrupted && *o->interrupted) {
                s.epoch_seconds = now_seconds() - epoch_start;
                if (save_last(model, o, &s) == 0)
                    nd_fail("interrupted at epoch %d, step %ld: continue with --resume %s",
                            s.epoch + 1, s.step, o->run_dir);
                rc = -1;
                break;
            }

            /* One batch: load, step, account. */
            double t0 = now_seconds();
            nd_batch batch;
            int got = nd_loader_next(loader, &batch);
            s.wait_seconds += now_seconds() - t0;
            if (got < 0) {
                rc = -1;
                break;
            }
            if (got == 0) {
                /* Skipped bad clips left too few clips for the nominal steps. */
                epoch_over = 1;
                break;
            }
            double lr = nd_schedule_lr(&o->schedule, s.epoch, s.step);
            float loss = NAN;
            rc = nrdfer_model_train_step(model, batch.clips, batch.labels, batch.count,
                                         &o->optimizer, (float)lr, o->label_smoothing, &loss);
            if (rc != 0 && !isfinite(loss)) {
                char *last = nd_path_join(o->run_dir, "last.safetensors");
                nd_fail("training loss is %g at step %ld (epoch %d, step %ld of the epoch, "
                        "lr %g): the run stopped, %s. Lower --lr (or raise --warmup) and "
                        "start again",
                        (double)loss, s.steps + 1, s.epoch + 1, s.step + 1, lr,
                        nd_is_file(last) ? "and last.safetensors keeps the last saved weights"
                                         : "before any checkpoint was saved");
                free(last);
                break;
            }
            if (rc != 0)
                break;
            s.train_seconds += now_seconds() - t0;
            s.loss_sum += loss;
            s.loss_count++;
            s.last_lr = lr;
            s.step++;
            s.steps++;
            s.position = nd_loader_position(loader);

            if (o->progress) {
                nd_train_progress p = {s.epoch + 1, o->schedule.epochs, s.step,
                                       steps_per_epoch, s.steps,
                                       s.loss_sum / (double)s.loss_count, lr,
                                       (double)(s.loss_count * o->batch) / s.train_seconds,
                                       now_seconds() - epoch_start};
                o->progress(&p, o->progress_data);
            }
        }
        if (rc != 0)
            break;

        /* The step budget ran out inside the epoch: save the position. */
        if (s.step < steps_per_epoch && !epoch_over) {
            s.epoch_seconds = now_seconds() - epoch_start;
            rc = save_last(model, o, &s);
            break;
        }
        s.epoch_seconds = now_seconds() - epoch_start;
        rc = finish_epoch(model, o, d, train_eval, num_train_eval, &s, &history, &count);
    }

    fill_result(&s, history, count, result);
    result->stopped_early = rc == 0 && s.epoch < o->schedule.epochs;
    nd_loader_free(loader);
    free(train_labels);
    free(train_eval);
    free(balanced);
    free(history);
    return rc;
}
