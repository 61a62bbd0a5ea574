#include "train/rundir.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"

/* Files a run writes; --force removes exactly these. */
static const char *const run_files[] = {
    "config.json",  "last.safetensors", "best.safetensors", "metrics.jsonl",
    "curves.png",   "confusion.png",    "predictions.csv",  "cv.md",
    "cv.csv",       "summary.json",
};

static int remove_run_files(const char *dir) {
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        char *path = nd_path_join(dir, run_files[i]);
        if (remove(path) != 0 && errno != ENOENT) {
            int e = errno;
            nd_fail("cannot remove %s: %s", path, strerror(e));
            free(path);
            return -1;
        }
        free(path);
    }
    return 0;
}

int nd_rundir_check(const char *dir, int force) {
    if (!nd_is_dir(dir)) {
        if (nd_is_file(dir))
            return nd_fail("run folder %s is a file: choose another --out folder", dir);
        return 0;
    }
    char **names;
    int count;
    if (nd_list_dir(dir, &names, &count) != 0)
        return -1;
    nd_free_list(names, count);
    if (count > 0 && !force)
        return nd_fail("run folder %s already exists and is not empty: pass --force to "
                       "overwrite its run files, --resume %s to continue it, or another "
                       "--out folder",
                       dir, dir);
    return 0;
}

int nd_rundir_prepare(const char *dir, int force) {
    if (nd_rundir_check(dir, force) != 0)
        return -1;
    if (!nd_is_dir(dir))
        return nd_mkdir_p(dir);

    char **names;
    int count;
    if (nd_list_dir(dir, &names, &count) != 0)
        return -1;

    /* With force: clear the run files here and in fold-K subfolders. */
    int rc = remove_run_files(dir);
    for (int i = 0; i < count && rc == 0; i++) {
        if (strncmp(names[i], "fold-", 5) != 0)
            continue;
        char *sub = nd_path_join(dir, names[i]);
        if (nd_is_dir(sub))
            rc = remove_run_files(sub);
        free(sub);
    }
    nd_free_list(names, count);
    return rc;
}

int nd_rundir_write_json(const char *dir, const char *name, const cJSON *json) {
    char *path = nd_path_join(dir, name);
    char *text = cJSON_Print(json);
    nd_atomic_file f;
    int rc = nd_atomic_open(&f, path);
    if (rc == 0) {
        fprintf(f.fp, "%s\n", text);
        rc = nd_atomic_commit(&f);
    }
    free(text);
    free(path);
    return rc;
}

cJSON *nd_rundir_read_json(const char *dir, const char *name) {
    char *path = nd_path_join(dir, name);
    char *text;
    size_t size;
    if (nd_read_file(path, &text, &size) != 0) {
        free(path);
        return NULL;
    }
    cJSON *json = cJSON_Parse(text);
    free(text);
    if (!json)
        nd_fail("%s is not valid JSON: restore it or start a new run", path);
    free(path);
    return json;
}

void nd_json_add_exact(cJSON *obj, const char *key, double value) {
    char text[40];
    if (!isfinite(value)) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    snprintf(text, sizeof text, "%.17g", value);
    cJSON_AddRawToObject(obj, key, text);
}

cJSON *nd_epoch_record_to_json(const nd_epoch_record *r) {
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "epoch", r->epoch);
    cJSON_AddNumberToObject(obj, "steps", (double)r->steps);
    nd_json_add_exact(obj, "loss", r->loss);
    nd_json_add_exact(obj, "lr", r->lr);
    nd_json_add_exact(obj, "train_uar", r->train_uar);
    nd_json_add_exact(obj, "train_war", r->train_war);
    nd_json_add_exact(obj, "val_uar", r->val_uar);
    nd_json_add_exact(obj, "val_war", r->val_war);
    nd_json_add_exact(obj, "test_uar", r->test_uar);
    nd_json_add_exact(obj, "test_war", r->test_war);
    nd_json_add_exact(obj, "seconds", r->seconds);
    nd_json_add_exact(obj, "clips_per_s", r->clips_per_s);
    nd_json_add_exact(obj, "data_wait", r->data_wait);
    return obj;
}

int nd_history_write(const char *path, const nd_epoch_record *records, int count) {
    nd_atomic_file f;
    if (nd_atomic_open(&f, path) != 0)
        return -1;
    for (int i = 0; i < count; i++) {
        cJSON *obj = nd_epoch_record_to_json(&records[i]);
        char *line = cJSON_PrintUnformatted(obj);
        fprintf(f.fp, "%s\n", line);
        free(line);
        cJSON_Delete(obj);
    }
    return nd_atomic_commit(&f);
}

static double number_or_nan(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(item) ? item->valuedouble : NAN;
}

int nd_history_read(const char *path, nd_epoch_record **records, int *count) {
    *records = NULL;
    *count = 0;
    if (!nd_is_file(path))
        return 0;
    char *text;
    size_t size;
    if (nd_read_file(path, &text, &size) != 0)
        return -1;

    /* One record per non-empty line. */
    int cap = 16, n = 0, line_no = 0;
    nd_epoch_record *list = nd_malloc(sizeof *list * (size_t)cap);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        line_no++;
        cJSON *obj = cJSON_Parse(line);
        const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(obj, "epoch");
        if (!obj || !cJSON_IsNumber(epoch)) {
            cJSON_Delete(obj);
            free(list);
            free(text);
            return nd_fail("%s line %d is not an epoch record: restore the file or start "
                           "a new run",
                           path, line_no);
        }
        if (n == cap) {
            cap *= 2;
            list = nd_realloc(list, sizeof *list * (size_t)cap);
        }
        nd_epoch_record *r = &list[n++];
        r->epoch = epoch->valueint;
        double steps = number_or_nan(obj, "steps");
        r->steps = isfinite(steps) ? (long)steps : 0;
        r->loss = number_or_nan(obj, "loss");
        r->lr = number_or_nan(obj, "lr");
        r->train_uar = number_or_nan(obj, "train_uar");
        r->train_war = number_or_nan(obj, "train_war");
        r->val_uar = number_or_nan(obj, "val_uar");
        r->val_war = number_or_nan(obj, "val_war");
        r->test_uar = number_or_nan(obj, "test_uar");
        r->test_war = number_or_nan(obj, "test_war");
        r->seconds = number_or_nan(obj, "seconds");
        r->clips_per_s = number_or_nan(obj, "clips_per_s");
        r->data_wait = number_or_nan(obj, "data_wait");
        cJSON_Delete(obj);
    }
    free(text);
    *records = list;
    *count = n;
    return 0;
}
