/* nrdfer eval: UAR, WAR, per-class recall, macro-F1 and the confusion matrix
 * of a checkpoint on the test split of a dataset fold. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/data_args.h"
#include "train/evaluate.h"
#include "train/metrics.h"
#include "train/plot.h"
#include "train/rundir.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

enum {
    OPT_MODEL = ND_OPT_DATA_LAST,
    OPT_JSON,
    OPT_SNIPPET_FILTER,
    OPT_PREDICTIONS,
    OPT_CONFUSION,
    OPT_BATCH,
    OPT_THREADS,
    OPT_HELP
};

static void usage(FILE *out) {
    fprintf(out,
            "usage: nrdfer eval --model FILE --dataset NAME --root DIR [--fold K] [options]\n"
            "\n"
            "Evaluates a checkpoint on the test split: UAR (mean recall over the classes\n"
            "present), WAR (accuracy), per-class recall, macro-F1, confusion matrix.\n"
            "\n"
            "  --model FILE            checkpoint (.safetensors) to evaluate\n"
            "  --json                  print the metrics as one JSON object\n"
            "  --snippet-filter on|off override the checkpoint's snippet-filter setting\n"
            "  --predictions FILE.csv  write one line per clip: id, labels, probabilities\n"
            "  --confusion FILE.png    draw the confusion matrix\n"
            "  --batch N               clips per forward pass (default 32)\n"
            "  --threads N             compute threads (default 0: all cores)\n"
            "\n");
    nd_data_args_help(out, 1);
}

/* Writes one CSV field, quoted when it contains a comma, quote or newline. */
static void write_csv_field(FILE *fp, const char *text) {
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, fp);
        return;
    }
    fputc('"', fp);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}

/* Writes the per-clip CSV through a temporary file. */
static int write_predictions(const char *path, const nd_dataset *ds,
                             const nd_clip_prediction *predictions, int count,
                             const nrdfer_config *config) {
    nd_atomic_file f;
    if (nd_atomic_open(&f, path) != 0)
        return -1;
    fprintf(f.fp, "id,true_label,predicted_label");
    for (int c = 0; c < config->num_classes; c++)
        fprintf(f.fp, ",p_%s", config->labels[c]);
    fprintf(f.fp, ",neutral_suppressed\n");
    const nd_split *split = &ds->splits[ND_SPLIT_TEST];
    for (int i = 0; i < count; i++) {
        const nd_clip *clip = &split->clips[predictions[i].clip];
        const nrdfer_prediction *p = &predictions[i].prediction;
        write_csv_field(f.fp, clip->id);
        fprintf(f.fp, ",%s,%s", config->labels[clip->label], config->labels[p->label]);
        for (int c = 0; c < config->num_classes; c++)
            fprintf(f.fp, ",%.6f", p->probs[c]);
        fprintf(f.fp, ",%d\n", p->neutral_suppressed);
    }
    return nd_atomic_commit(&f);
}

/* Loads the checkpoint, with the snippet filter overridden when asked (-1:
 * keep the checkpoint's setting). */
static nrdfer_model *load_model(const char *path, int snippet_filter) {
    nrdfer_model *model = nrdfer_model_load(path);
    if (model && snippet_filter >= 0)
        nrdfer_model_set_snippet_filter(model, snippet_filter);
    return model;
}

/* Warns when the run folder holding the checkpoint trained with another
 * --face-detect setting than this evaluation uses on video clips. */
static void check_face_detect(const char *model_path, const nd_dataset *ds, int face_detect) {
    int videos = nd_dataset_count_videos(ds, ND_SPLIT_TEST);
    char *dir = nd_dirname(model_path);
    char *config = nd_path_join(dir, "config.json");
    cJSON *json = videos && nd_is_file(config) ? nd_rundir_read_json(dir, "config.json") : NULL;
    free(config);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, "face_detect");
    if (cJSON_IsBool(item) && cJSON_IsTrue(item) && !face_detect)
        nd_log_warn("the run in %s trained on face crops of its videos, but --face-detect "
                    "off evaluates whole frames: drop it to evaluate as the run trained",
                    dir);
    if (cJSON_IsBool(item) && !cJSON_IsTrue(item) && face_detect)
        nd_log_warn("the run in %s trained on whole video frames (--face-detect off), but "
                    "this evaluation crops faces: add --face-detect off to evaluate as the "
                    "run trained",
                    dir);
    cJSON_Delete(json);
    free(dir);
}

int nd_cmd_eval(int argc, char **argv) {
    static const struct option long_options[] = {
        ND_DATA_LONG_OPTIONS,
        {"model", required_argument, NULL, OPT_MODEL},
        {"json", no_argument, NULL, OPT_JSON},
        {"snippet-filter", required_argument, NULL, OPT_SNIPPET_FILTER},
        {"predictions", required_argument, NULL, OPT_PREDICTIONS},
        {"confusion", required_argument, NULL, OPT_CONFUSION},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    nd_data_settings data;
    nd_data_args_init(&data);
    const char *model_path = NULL, *predictions_path = NULL, *confusion_path = NULL;
    int json = 0, snippet_filter = -1;
    long batch = 32, threads = 0;

    /* Options. */
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        int shared = nd_data_args_parse(&data, opt, optarg, "eval");
        if (shared < 0)
            return ND_EXIT_USAGE;
        if (shared)
            continue;
        switch (opt) {
        case OPT_MODEL:
            model_path = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_SNIPPET_FILTER:
            if (nd_parse_on_off(optarg, "--snippet-filter", &snippet_filter) != 0)
                return ND_EXIT_USAGE;
            break;
        case OPT_PREDICTIONS:
            predictions_path = optarg;
            break;
        case OPT_CONFUSION:
            confusion_path = optarg;
            break;
        case OPT_BATCH:
            if (nd_parse_int(optarg, 1, 4096, "--batch", &batch) != 0)
                return ND_EXIT_USAGE;
            break;
        case OPT_THREADS:
            if (nd_parse_int(optarg, 0, 1024, "--threads", &threads) != 0)
                return ND_EXIT_USAGE;
            break;
        case OPT_HELP:
            usage(stdout);
            return ND_EXIT_OK;
        default:
            usage(stderr);
            return ND_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nrdfer eval: unexpected argument '%s' (see --help)\n", argv[optind]);
        return ND_EXIT_USAGE;
    }
    if (!model_path) {
        fprintf(stderr, "nrdfer eval: --model is required (see --help)\n");
        return ND_EXIT_USAGE;
    }
    if (nd_data_args_check(&data, "eval") != 0)
        return ND_EXIT_USAGE;

    /* Output files are checked before the evaluation, not after it. */
    const char *outputs[] = {predictions_path, confusion_path};
    for (int i = 0; i < 2; i++) {
        if (outputs[i] && nd_check_output_path(outputs[i]) != 0) {
            fprintf(stderr, "nrdfer eval: %s\n", nd_last_error());
            return ND_EXIT_FAILURE;
        }
    }
    nrdfer_set_threads((int)threads);

    /* Model and test split. */
    nrdfer_model *model = load_model(model_path, snippet_filter);
    if (!model) {
        fprintf(stderr, "nrdfer eval: %s\n", nd_last_error());
        return ND_EXIT_FAILURE;
    }
    const nrdfer_config *config = nrdfer_model_config(model);
    nd_dataset *ds = NULL;
    if (nd_data_open(&data, config->frames, &ds) != 0 || nd_data_check_labels(ds, config) != 0) {
        fprintf(stderr, "nrdfer eval: %s\n", nd_last_error());
        nd_dataset_free(ds);
        nrdfer_model_free(model);
        return ND_EXIT_FAILURE;
    }

    check_face_detect(model_path, ds, data.face_detect);

    /* Predict every test clip, then report. */
    int num_clips = ds->splits[ND_SPLIT_TEST].count, count = 0;
    if (num_clips == 0) {
        fprintf(stderr,
                "nrdfer eval: the test split of %s at %s has no clips: check the split "
                "files and --fold with 'nrdfer data check'\n",
                data.dataset, ds->root);
        nd_dataset_free(ds);
        nrdfer_model_free(model);
        return ND_EXIT_FAILURE;
    }
    nd_clip_prediction *predictions = nd_malloc(((size_t)num_clips + 1) * sizeof *predictions);
    nd_loader_options loader;
    nd_data_loader_options(&data, config, (int)batch, 0, 0, &loader);
    nd_confusion confusion;
    nd_metrics metrics;
    int rc = nd_evaluate(model, ds, ND_SPLIT_TEST, NULL, 0, &loader, &confusion, predictions,
                         &count);
    if (rc == 0)
        rc = nd_metrics_compute(&confusion, &metrics);
    if (rc == 0 && count < num_clips)
        nd_log_warn("%d of %d test clips were skipped as unreadable (--bad-clips skip); the "
                    "metrics cover the other %d",
                    num_clips - count, num_clips, count);
    if (rc == 0 && predictions_path)
        rc = write_predictions(predictions_path, ds, predictions, count, config);
    if (rc == 0 && confusion_path) {
        char title[160];
        snprintf(title, sizeof title, "%s fold %d test: UAR %.2f %%, WAR %.2f %%",
                 data.dataset, ds->options.fold, 100 * metrics.uar, 100 * metrics.war);
        rc = nd_plot_confusion(confusion_path, &confusion, config->labels, title);
    }
    if (rc == 0 && json) {
        cJSON *obj = nd_metrics_to_json(&metrics, &confusion, config->labels);
        char *text = cJSON_PrintUnformatted(obj);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(obj);
    } else if (rc == 0) {
        printf("model     %s\ndata      %s fold %d, test split\n", model_path, data.dataset,
               ds->options.fold);
        if (config->snippet_filter)
            printf("snippet filter on (neutral max %.3g, confidence min %.3g)\n",
                   config->sf_neutral_max, config->sf_confidence_min);
        else
            printf("snippet filter off\n");
        nd_metrics_write_text(stdout, &metrics, &confusion, config->labels);
    }
    if (rc != 0)
        fprintf(stderr, "nrdfer eval: %s\n", nd_last_error());

    free(predictions);
    nd_dataset_free(ds);
    nrdfer_model_free(model);
    return rc == 0 ? ND_EXIT_OK : ND_EXIT_FAILURE;
}
