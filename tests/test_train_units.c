/* Unit tests of the training pieces that need no engine: learning-rate
 * schedules, class-balanced sampling, run folders, the
 * metrics history, the cross-validation table and the PNG figures.
 *
 * With arguments "--lr-table KIND BASE STEP GAMMA WARMUP EPOCHS STEPS_PER_EPOCH"
 * it prints the learning rate of every optimizer step instead, one per line,
 * for test_train_lr_torch.py to compare with PyTorch's schedulers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>

#include "train/cv.h"
#include "train/plot.h"
#include "train/rundir.h"
#include "train/sampler.h"
#include "train/schedule.h"
#include "util/error.h"
#include "util/fs.h"

static int failures;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

static char tmp_root[256];

static char *tmp_path(const char *name) {
    return nd_path_join(tmp_root, name);
}

static void test_schedule_step(void) {
    nd_schedule s = {ND_SCHEDULE_STEP, 1e-3, 7, 0.5, 0, 30, 10};
    CHECK(nd_schedule_validate(&s) == 0);
    CHECK(nd_schedule_lr(&s, 0, 0) == 1e-3);
    CHECK(nd_schedule_lr(&s, 6, 9) == 1e-3);
    CHECK(nd_schedule_lr(&s, 7, 0) == 0.5e-3);
    CHECK(nd_schedule_lr(&s, 14, 3) == 0.25e-3);

    /* Warmup: rises linearly per step to the base rate. */
    s.warmup_epochs = 2;
    CHECK(fabs(nd_schedule_lr(&s, 0, 0) - 1e-3 / 20) < 1e-15);
    CHECK(nd_schedule_lr(&s, 0, 5) < nd_schedule_lr(&s, 1, 5));
    CHECK(fabs(nd_schedule_lr(&s, 1, 9) - 1e-3) < 1e-15);
    CHECK(nd_schedule_lr(&s, 2, 0) == 1e-3);
}

static void test_schedule_invalid(void) {
    nd_schedule s = {ND_SCHEDULE_COSINE, 1e-3, 7, 0.5, 5, 5, 10};
    CHECK(nd_schedule_validate(&s) == -1);
    s.warmup_epochs = 0;
    s.steps_per_epoch = 0;
    CHECK(nd_schedule_validate(&s) == -1);
    s.steps_per_epoch = 1;
    s.base_lr = 0;
    CHECK(nd_schedule_validate(&s) == -1);
    nd_schedule_kind kind;
    CHECK(nd_schedule_parse_kind("linear", &kind) == -1);
    CHECK(nd_schedule_parse_kind("cosine", &kind) == 0);
    CHECK(kind == ND_SCHEDULE_COSINE);
}

static void test_balanced_order(void) {
    int labels[100], order[100], again[100], next[100];
    for (int i = 0; i < 100; i++)
        labels[i] = i < 90 ? 0 : 1;

    /* Fixed by (seed, epoch). */
    nd_balanced_order(labels, 100, 2, 7, 3, order);
    nd_balanced_order(labels, 100, 2, 7, 3, again);
    nd_balanced_order(labels, 100, 2, 7, 4, next);
    CHECK(memcmp(order, again, sizeof order) == 0);
    CHECK(memcmp(order, next, sizeof order) != 0);

    /* The minority class (10 % of clips) is drawn about half the time. */
    int minority = 0;
    for (int epoch = 0; epoch < 20; epoch++) {
        nd_balanced_order(labels, 100, 2, 7, epoch, order);
        for (int i = 0; i < 100; i++) {
            CHECK(order[i] >= 0);
            CHECK(order[i] < 100);
            minority += labels[order[i]] == 1;
        }
    }
    CHECK(minority > 800);
    CHECK(minority < 1200);

    /* A class without clips is never drawn. */
    nd_balanced_order(labels, 100, 3, 7, 0, order);
    for (int i = 0; i < 100; i++)
        CHECK(labels[order[i]] != 2);
}

static void test_rundir(void) {
    char *dir = tmp_path("run");
    CHECK(nd_rundir_check(dir, 0) == 0);
    CHECK(nd_rundir_prepare(dir, 0) == 0);
    CHECK(nd_is_dir(dir));

    /* An empty folder is accepted, a non-empty one only with force. */
    CHECK(nd_rundir_prepare(dir, 0) == 0);
    cJSON *json = cJSON_CreateObject();
    cJSON_AddNumberToObject(json, "lr", 1e-3);
    CHECK(nd_rundir_write_json(dir, "config.json", json) == 0);
    cJSON_Delete(json);
    char *notes = nd_path_join(dir, "notes.txt");
    FILE *fp = fopen(notes, "w");
    fputs("kept\n", fp);
    fclose(fp);
    CHECK(nd_rundir_check(dir, 0) == -1);
    CHECK(strstr(nd_last_error(), "--force") != NULL);
    CHECK(nd_rundir_prepare(dir, 0) == -1);
    char *config = nd_path_join(dir, "config.json");
    CHECK(nd_is_file(config));

    /* Force removes the run files and keeps other files. */
    CHECK(nd_rundir_prepare(dir, 1) == 0);
    CHECK(!nd_is_file(config));
    CHECK(nd_is_file(notes));
    free(config);
    free(notes);

    /* A file in place of the folder is rejected. */
    char *file = tmp_path("plain-file");
    fp = fopen(file, "w");
    fclose(fp);
    CHECK(nd_rundir_check(file, 1) == -1);
    free(file);
    free(dir);
}

static void test_history(void) {
    nd_epoch_record records[3];
    for (int i = 0; i < 3; i++) {
        records[i] = (nd_epoch_record){i + 1, 10L * (i + 1), 1.9 - 0.1 * i, 1e-3,
                                       0.3 + 0.1 * i, 0.4, 0.25 + 0.05 * i, 0.35,
                                       0.2 + 0.07 * i, 0.3, 12.5, 80.25, 0.02};
    }
    records[1].val_uar = NAN;
    char *path = tmp_path("metrics.jsonl");
    CHECK(nd_history_write(path, records, 3) == 0);
    nd_epoch_record *read;
    int count;
    CHECK(nd_history_read(path, &read, &count) == 0);
    CHECK(count == 3);
    for (int i = 0; i < count && i < 3; i++) {
        CHECK(read[i].epoch == records[i].epoch);
        CHECK(read[i].steps == records[i].steps);
        CHECK(read[i].loss == records[i].loss);
        CHECK(read[i].test_uar == records[i].test_uar);
        CHECK(read[i].clips_per_s == records[i].clips_per_s);
    }
    CHECK(count < 2 || isnan(read[1].val_uar));
    free(read);

    /* The null is written as JSON null, one object per line. */
    char *text;
    size_t size;
    CHECK(nd_read_file(path, &text, &size) == 0);
    CHECK(strstr(text, "\"val_uar\":null") != NULL);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK(lines == 3);
    free(text);

    /* A broken line is reported, not skipped. */
    FILE *fp = fopen(path, "a");
    fputs("{\"loss\": 1}\n", fp);
    fclose(fp);
    CHECK(nd_history_read(path, &read, &count) == -1);
    CHECK(strstr(nd_last_error(), "line 4") != NULL);
    free(path);
}

static void test_cv_table(void) {
    nd_fold_result folds[3] = {
        {1, 5, 0.5, 0.50, 0.60}, {2, 7, 0.6, 0.54, 0.66}, {3, 6, 0.55, 0.52, 0.63}};
    double mean, std;
    double values[3] = {0.50, 0.54, 0.52};
    CHECK(nd_mean_std(values, 3, &mean, &std) == 3);
    CHECK(fabs(mean - 0.52) < 1e-12);
    CHECK(fabs(std - 0.02) < 1e-12);
    values[1] = NAN;
    CHECK(nd_mean_std(values, 3, &mean, &std) == 2);

    CHECK(nd_cv_write_files(tmp_root, folds, 3) == 0);
    char *path = tmp_path("cv.csv"), *text;
    size_t size;
    CHECK(nd_read_file(path, &text, &size) == 0);
    CHECK(strstr(text, "mean,,,0.520000,0.630000") != NULL);
    CHECK(strstr(text, "std,,,0.020000,0.030000") != NULL);
    free(text);
    free(path);
    path = tmp_path("cv.md");
    CHECK(nd_read_file(path, &text, &size) == 0);
    CHECK(strstr(text, "| 52.00 +- 2.00 | 63.00 +- 3.00 |") != NULL);
    free(text);
    free(path);
}

/* Reads a PNG back with cairo; returns the surface or NULL. */
static cairo_surface_t *read_png(const char *path) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

static void test_plots(void) {
    /* Confusion: a 7-class matrix, the cell with most of its row is darkest. */
    nd_confusion c;
    nd_confusion_init(&c, 7);
    for (int t = 0; t < 7; t++)
        for (int n = 0; n < 10; n++)
            nd_confusion_add(&c, t, n < 8 ? t : (t + 1) % 7);
    static const char labels[7][NRDFER_LABEL_LEN] = {"happy", "sad",     "neutral", "angry",
                                                     "surprise", "disgust", "fear"};
    char *path = tmp_path("confusion.png");
    CHECK(nd_plot_confusion(path, &c, labels, "test") == 0);
    cairo_surface_t *s = read_png(path);
    CHECK(s != NULL);
    if (s) {
        CHECK(cairo_image_surface_get_width(s) > 7 * 40);
        CHECK(cairo_image_surface_get_height(s) > 7 * 40);
        cairo_surface_destroy(s);
    }
    free(path);

    /* Curves: a run of 5 epochs with a missing validation value. */
    nd_epoch_record r[5];
    for (int i = 0; i < 5; i++)
        r[i] = (nd_epoch_record){i + 1, 10L * (i + 1), 2.0 - 0.3 * i, 1e-3, 0.3 + 0.1 * i,
                                 0.4, 0.25, 0.35, 0.2 + 0.07 * i, 0.3, 10, 50, 0.03};
    r[2].val_uar = NAN;
    path = tmp_path("curves.png");
    CHECK(nd_plot_curves(path, r, 5, "run") == 0);
    s = read_png(path);
    CHECK(s != NULL);
    if (s)
        cairo_surface_destroy(s);
    CHECK(nd_plot_curves(path, r, 0, "run") == -1);
    free(path);
}

static int print_lr_table(char **argv) {
    nd_schedule s;
    if (nd_schedule_parse_kind(argv[2], &s.kind) != 0)
        return 2;
    s.base_lr = atof(argv[3]);
    s.step_epochs = atoi(argv[4]);
    s.gamma = atof(argv[5]);
    s.warmup_epochs = atoi(argv[6]);
    s.epochs = atoi(argv[7]);
    s.steps_per_epoch = atol(argv[8]);
    if (nd_schedule_validate(&s) != 0) {
        fprintf(stderr, "%s\n", nd_last_error());
        return 2;
    }
    for (int e = 0; e < s.epochs; e++)
        for (long k = 0; k < s.steps_per_epoch; k++)
            printf("%.17g\n", nd_schedule_lr(&s, e, k));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 9 && !strcmp(argv[1], "--lr-table"))
        return print_lr_table(argv);

    snprintf(tmp_root, sizeof tmp_root, "/tmp/nrdfer-test-train-units-%ld", (long)getpid());
    if (nd_mkdir_p(tmp_root) != 0) {
        fprintf(stderr, "%s\n", nd_last_error());
        return 1;
    }
    test_schedule_step();
    test_schedule_invalid();
    test_balanced_order();
    test_rundir();
    test_history();
    test_cv_table();
    test_plots();

    char command[300];
    snprintf(command, sizeof command, "rm -rf '%s'", tmp_root);
    if (system(command) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmp_root);
    if (failures)
        fprintf(stderr, "test_train_units: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
