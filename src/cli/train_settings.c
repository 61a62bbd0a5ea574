#include "cli/train_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/checkpoint.h"
#include "model/config.h"
#include "train/rundir.h"
#include "util/error.h"

void nd_train_settings_init(nd_train_settings *s) {
    memset(s, 0, sizeof *s);
    nd_data_args_init(&s->data);
    s->preset = "paper";
    s->static_branch = 1;
    s->dynamic_branch = 1;
    s->optimizer.kind = NRDFER_SGD;
    s->optimizer.lr = 1e-3f;
    s->optimizer.momentum = 0.9f;
    s->optimizer.weight_decay = 0.1f;
    s->optimizer.beta1 = 0.9f;
    s->optimizer.beta2 = 0.999f;
    s->optimizer.eps = 1e-8f;
    s->schedule = ND_SCHEDULE_STEP;
    s->lr_step = 7;
    s->lr_gamma = 0.5;
    s->epochs = -1;
    s->steps = -1;
    s->batch = 32;
    s->seed = 1;
    s->val_fraction = 0.1;
    s->train_eval_clips = 256;
}

static void add_string(cJSON *obj, const char *key, const char *value) {
    if (value)
        cJSON_AddStringToObject(obj, key, value);
    else
        cJSON_AddNullToObject(obj, key);
}

/* config.json stores the settings under their command-line names. */
cJSON *nd_train_settings_to_json(const nd_train_settings *s, int fold) {
    char seed[32];
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "nrdfer_version", NRDFER_VERSION);

    /* Data. */
    add_string(obj, "dataset", s->data.dataset);
    add_string(obj, "root", s->data.root);
    cJSON_AddNumberToObject(obj, "fold", fold);
    cJSON_AddNumberToObject(obj, "fold_first", s->fold_first);
    cJSON_AddNumberToObject(obj, "fold_last", s->fold_last);
    add_string(obj, "frames_dir", s->data.frames_dir);
    add_string(obj, "train_list", s->data.train_list);
    add_string(obj, "test_list", s->data.test_list);
    add_string(obj, "strip_prefix", s->data.strip_prefix);
    add_string(obj, "short_clips", s->data.short_clips);
    add_string(obj, "bad_clips", s->data.bad_clips);
    cJSON_AddBoolToObject(obj, "augment", s->data.augment);
    cJSON_AddStringToObject(obj, "train_sampling", s->data.train_center ? "center" : "random");
    cJSON_AddNumberToObject(obj, "loader_threads", s->data.loader_threads);
    cJSON_AddBoolToObject(obj, "face_detect", s->data.face_detect);
    add_string(obj, "cascade", s->data.cascade);

    /* Model and optimizer. */
    add_string(obj, "preset", s->preset);
    cJSON_AddBoolToObject(obj, "static_branch", s->static_branch);
    cJSON_AddBoolToObject(obj, "dynamic_branch", s->dynamic_branch);
    cJSON_AddBoolToObject(obj, "learned_cls_token", s->learned_cls_token);
    cJSON_AddBoolToObject(obj, "single_frame", s->single_frame);
    add_string(obj, "init", s->init);
    cJSON_AddBoolToObject(obj, "reset_head", s->reset_head);
    cJSON_AddStringToObject(obj, "optimizer",
                            s->optimizer.kind == NRDFER_ADAMW ? "adamw" : "sgd");
    cJSON_AddNumberToObject(obj, "lr", s->optimizer.lr);
    cJSON_AddNumberToObject(obj, "momentum", s->optimizer.momentum);
    cJSON_AddNumberToObject(obj, "weight_decay", s->optimizer.weight_decay);
    cJSON_AddNumberToObject(obj, "beta1", s->optimizer.beta1);
    cJSON_AddNumberToObject(obj, "beta2", s->optimizer.beta2);
    cJSON_AddNumberToObject(obj, "eps", s->optimizer.eps);
    cJSON_AddStringToObject(obj, "schedule", nd_schedule_kind_name(s->schedule));
    cJSON_AddNumberToObject(obj, "lr_step", (double)s->lr_step);
    nd_json_add_exact(obj, "lr_gamma", s->lr_gamma);
    cJSON_AddNumberToObject(obj, "warmup", (double)s->warmup);

    /* Run length, sampling and seed. */
    cJSON_AddNumberToObject(obj, "epochs", (double)s->epochs);
    cJSON_AddNumberToObject(obj, "steps", (double)s->steps);
    cJSON_AddNumberToObject(obj, "batch", (double)s->batch);
    cJSON_AddBoolToObject(obj, "balance", s->balance);
    nd_json_add_exact(obj, "label_smoothing", s->label_smoothing);
    snprintf(seed, sizeof seed, "%llu", s->seed);
    cJSON_AddStringToObject(obj, "seed", seed);
    nd_json_add_exact(obj, "val_fraction", s->val_fraction);
    cJSON_AddNumberToObject(obj, "train_eval_clips", (double)s->train_eval_clips);
    cJSON_AddNumberToObject(obj, "threads", (double)s->threads);
    return obj;
}

int nd_train_settings_from_json(const cJSON *json, const char *path,
                                nd_train_settings *s) {
    static const char *const number_keys[] = {
        "fold_first", "fold_last", "loader_threads", "lr", "momentum",  "weight_decay",
        "beta1",      "beta2",     "eps",            "lr_step", "lr_gamma", "warmup",
        "epochs",     "steps",     "batch",          "label_smoothing", "val_fraction",
        "train_eval_clips", "threads"};
    double v[sizeof number_keys / sizeof number_keys[0]];
    for (size_t i = 0; i < sizeof number_keys / sizeof number_keys[0]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, number_keys[i]);
        if (!cJSON_IsNumber(item))
            return nd_fail("%s lacks the number '%s': restore the file written by nrdfer "
                           "train",
                           path, number_keys[i]);
        v[i] = item->valuedouble;
    }
    nd_train_settings_init(s);
    s->fold_first = (int)v[0];
    s->fold_last = (int)v[1];
    s->data.loader_threads = (int)v[2];
    s->optimizer.lr = (float)v[3];
    s->optimizer.momentum = (float)v[4];
    s->optimizer.weight_decay = (float)v[5];
    s->optimizer.beta1 = (float)v[6];
    s->optimizer.beta2 = (float)v[7];
    s->optimizer.eps = (float)v[8];
    s->lr_step = (long)v[9];
    s->lr_gamma = v[10];
    s->warmup = (long)v[11];
    s->epochs = (long)v[12];
    s->steps = (long)v[13];
    s->batch = (long)v[14];
    s->label_smoothing = v[15];
    s->val_fraction = v[16];
    s->train_eval_clips = (long)v[17];
    s->threads = (long)v[18];

    /* Strings (null when unset) and flags. */
    const char **strings[] = {&s->data.dataset,      &s->data.root,
                              &s->data.frames_dir,   &s->data.train_list,
                              &s->data.test_list,    &s->data.strip_prefix,
                              &s->data.short_clips,  &s->data.bad_clips,
                              &s->preset,            &s->init,
                              &s->data.cascade};
    static const char *const string_keys[] = {
        "dataset",      "root",        "frames_dir", "train_list", "test_list",
        "strip_prefix", "short_clips", "bad_clips",  "preset",     "init",
        "cascade"};
    for (size_t i = 0; i < sizeof string_keys / sizeof string_keys[0]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, string_keys[i]);
        *strings[i] = cJSON_IsString(item) ? item->valuestring : NULL;
    }
    s->data.augment = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "augment"));
    s->reset_head = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "reset_head"));
    s->balance = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "balance"));
    s->data.face_detect =
        !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(json, "face_detect"));
    /* The architecture switches default to the full model when absent. */
    s->static_branch = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(json, "static_branch"));
    s->dynamic_branch =
        !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(json, "dynamic_branch"));
    s->learned_cls_token =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "learned_cls_token"));
    s->single_frame = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "single_frame"));
    const cJSON *fold = cJSON_GetObjectItemCaseSensitive(json, "fold");
    s->data.fold = cJSON_IsNumber(fold) ? fold->valueint : 0;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "train_sampling");
    s->data.train_center = cJSON_IsString(item) && !strcmp(item->valuestring, "center");
    item = cJSON_GetObjectItemCaseSensitive(json, "optimizer");
    s->optimizer.kind =
        cJSON_IsString(item) && !strcmp(item->valuestring, "adamw") ? NRDFER_ADAMW : NRDFER_SGD;
    item = cJSON_GetObjectItemCaseSensitive(json, "schedule");
    if (!cJSON_IsString(item) || nd_schedule_parse_kind(item->valuestring, &s->schedule) != 0)
        return nd_fail("%s has no valid 'schedule': restore the file written by nrdfer train",
                       path);
    item = cJSON_GetObjectItemCaseSensitive(json, "seed");
    if (!cJSON_IsString(item))
        return nd_fail("%s lacks 'seed': restore the file written by nrdfer train", path);
    s->seed = strtoull(item->valuestring, NULL, 10);
    if (!s->data.dataset || !s->data.root || !s->preset)
        return nd_fail("%s lacks 'dataset', 'root' or 'preset': restore the file written by "
                       "nrdfer train",
                       path);
    return 0;
}

/* Parses "A-B" or "A" into a fold range. */
static int parse_folds(const char *arg, nd_train_settings *s) {
    int a, b, end = 0;
    if (sscanf(arg, "%d-%d%n", &a, &b, &end) == 2 && arg[end] == '\0') {
    } else if (sscanf(arg, "%d%n", &a, &end) == 1 && arg[end] == '\0') {
        b = a;
    } else {
        a = b = -1;
    }
    if (a < 1 || b < a || b > 99) {
        fprintf(stderr, "error: --folds '%s' is invalid: use a range such as 1-5\n", arg);
        return -1;
    }
    s->fold_first = a;
    s->fold_last = b;
    return 0;
}

int nd_train_settings_parse(nd_train_settings *s, int opt, const char *arg) {
    double d;
    switch (opt) {
    case OPT_OUT:
        s->out = arg;
        return 0;
    case OPT_FOLDS:
        return parse_folds(arg, s);
    case OPT_PRESET:
        s->preset = arg;
        s->preset_given = 1;
        return 0;
    case OPT_STATIC_BRANCH:
        s->preset_given = 1;
        return nd_parse_on_off(arg, "--static-branch", &s->static_branch);
    case OPT_DYNAMIC_BRANCH:
        s->preset_given = 1;
        return nd_parse_on_off(arg, "--dynamic-branch", &s->dynamic_branch);
    case OPT_LEARNED_CLS_TOKEN:
        s->preset_given = 1;
        s->learned_cls_token = 1;
        return 0;
    case OPT_SINGLE_FRAME:
        s->preset_given = 1;
        s->single_frame = 1;
        return 0;
    case OPT_INIT:
        s->init = arg;
        return 0;
    case OPT_RESET_HEAD:
        s->reset_head = 1;
        return 0;
    case OPT_OPTIMIZER:
        if (!strcmp(arg, "sgd"))
            s->optimizer.kind = NRDFER_SGD;
        else if (!strcmp(arg, "adamw"))
            s->optimizer.kind = NRDFER_ADAMW;
        else {
            fprintf(stderr, "error: --optimizer '%s' is invalid: use sgd or adamw\n", arg);
            return -1;
        }
        return 0;
    case OPT_LR:
        if (nd_parse_double(arg, "--lr", &d) != 0)
            return -1;
        s->optimizer.lr = (float)d;
        return 0;
    case OPT_MOMENTUM:
        if (nd_parse_double(arg, "--momentum", &d) != 0)
            return -1;
        s->optimizer.momentum = (float)d;
        return 0;
    case OPT_WEIGHT_DECAY:
        if (nd_parse_double(arg, "--weight-decay", &d) != 0)
            return -1;
        s->optimizer.weight_decay = (float)d;
        return 0;
    case OPT_SCHEDULE:
        if (nd_schedule_parse_kind(arg, &s->schedule) != 0) {
            fprintf(stderr, "error: %s\n", nd_last_error());
            return -1;
        }
        return 0;
    case OPT_LR_STEP:
        return nd_parse_int(arg, 1, 100000, "--lr-step", &s->lr_step);
    case OPT_LR_GAMMA:
        return nd_parse_double(arg, "--lr-gamma", &s->lr_gamma);
    case OPT_WARMUP:
        return nd_parse_int(arg, 0, 100000, "--warmup", &s->warmup);
    case OPT_EPOCHS:
        return nd_parse_int(arg, 1, 100000, "--epochs", &s->epochs);
    case OPT_STEPS:
        return nd_parse_int(arg, 0, 1000000000L, "--steps", &s->steps);
    case OPT_BATCH:
        return nd_parse_int(arg, 1, 4096, "--batch", &s->batch);
    case OPT_BALANCE:
        s->balance = 1;
        return 0;
    case OPT_LABEL_SMOOTHING:
        return nd_parse_double(arg, "--label-smoothing", &s->label_smoothing);
    case OPT_AUGMENT:
        return nd_parse_on_off(arg, "--augment", &s->data.augment);
    case OPT_TRAIN_SAMPLING:
        if (!strcmp(arg, "random") || !strcmp(arg, "center")) {
            s->data.train_center = !strcmp(arg, "center");
            return 0;
        }
        fprintf(stderr, "error: --train-sampling '%s' is invalid: use random or center\n",
                arg);
        return -1;
    case OPT_SEED: {
        char *end;
        s->seed = strtoull(arg, &end, 10);
        if (end == arg || *end || arg[0] == '-') {
            fprintf(stderr, "error: --seed '%s' is invalid: use a whole number >= 0\n", arg);
            return -1;
        }
        return 0;
    }
    case OPT_VAL_FRACTION:
        return nd_parse_double(arg, "--val-fraction", &s->val_fraction);
    case OPT_TRAIN_EVAL_CLIPS:
        return nd_parse_int(arg, 0, 1000000, "--train-eval-clips", &s->train_eval_clips);
    case OPT_THREADS:
        return nd_parse_int(arg, 0, 1024, "--threads", &s->threads);
    default:
        return -1;
    }
}

int nd_train_settings_model_config(const nd_train_settings *s, nrdfer_config *config) {
    if (nrdfer_config_preset(config, s->preset) != 0)
        return nd_fail("--preset '%s' is invalid: use small or paper", s->preset);
    if (s->single_frame && (!s->static_branch || !s->dynamic_branch || s->learned_cls_token))
        return nd_fail("--single-frame is the baseline without DSF and class token: drop "
                       "--static-branch, --dynamic-branch and --learned-cls-token");
    if (!s->static_branch && !s->dynamic_branch)
        return nd_fail("--static-branch off and --dynamic-branch off leave DSF without a "
                       "branch: keep one on, or use --single-frame for the baseline");
    config->single_frame = s->single_frame;
    config->static_branch = s->single_frame ? 0 : s->static_branch;
    config->dynamic_branch = s->single_frame ? 0 : s->dynamic_branch;
    config->learned_cls_token = s->learned_cls_token;
    return 0;
}

int nd_train_settings_adopt_init(nd_train_settings *s) {
    nrdfer_config file;
    if (nd_checkpoint_read_config(s->init, &file) != 0)
        return -1;

    /* The settings spell the single-frame baseline with both branches on. */
    s->single_frame = file.single_frame;
    s->static_branch = file.single_frame || file.static_branch;
    s->dynamic_branch = file.single_frame || file.dynamic_branch;
    s->learned_cls_token = file.learned_cls_token;

    static const char *const presets[] = {"small", "paper"};
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        nd_train_settings candidate = *s;
        candidate.preset = presets[i];
        nrdfer_config config;
        if (nd_train_settings_model_config(&candidate, &config) != 0)
            continue;
        config.num_classes = file.num_classes;
        memcpy(config.labels, file.labels, sizeof config.labels);
        if (nd_config_compare(&config, &file, s->init) == 0) {
            s->preset = presets[i];
            break;
        }
    }
    return 0;
}

int nd_train_settings_check(const nd_train_settings *s) {
    if (!s->out) {
        fprintf(stderr, "nrdfer train: --out RUNDIR is required (see --help)\n");
        return -1;
    }
    if (nd_data_args_check(&s->data, "train") != 0)
        return -1;
    if (s->data.fold && s->fold_first) {
        fprintf(stderr, "nrdfer train: give --fold or --folds, not both\n");
        return -1;
    }
    if (!(s->optimizer.lr > 0) || s->optimizer.momentum < 0 || s->optimizer.weight_decay < 0) {
        fprintf(stderr, "nrdfer train: --lr %g, --momentum %g or --weight-decay %g is "
                        "invalid: use --lr > 0 and the others >= 0\n",
                s->optimizer.lr, s->optimizer.momentum, s->optimizer.weight_decay);
        return -1;
    }
    if (!(s->label_smoothing >= 0 && s->label_smoothing < 1)) {
        fprintf(stderr, "nrdfer train: --label-smoothing %g is invalid: use [0, 1)\n",
                s->label_smoothing);
        return -1;
    }
    if (!(s->val_fraction >= 0 && s->val_fraction < 1)) {
        fprintf(stderr, "nrdfer train: --val-fraction %g is invalid: use [0, 1)\n",
                s->val_fraction);
        return -1;
    }
    if (s->reset_head && !s->init) {
        fprintf(stderr, "nrdfer train: --reset-head requires --init FILE\n");
        return -1;
    }
    nrdfer_config preset;
    if (nd_train_settings_model_config(s, &preset) != 0) {
        fprintf(stderr, "nrdfer train: %s\n", nd_last_error());
        return -1;
    }
    return 0;
}
