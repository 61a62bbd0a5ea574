/* nrdfer predict: expression labels for videos and frame folders, per time
 * window and per input, as a summary, JSON or CSV, with an optional
 * annotated video and probability timeline. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "nrdfer.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "video/annotate.h"
#include "video/cascade.h"
#include "video/predict.h"
#include "video/report.h"
#include "video/timeline.h"

static void usage(FILE *fp) {
    fprintf(fp,
            "usage: nrdfer predict --model FILE [options] INPUT...\n"
            "\n"
            "Classifies the facial expression in each INPUT, a video file (anything\n"
            "FFmpeg decodes) or a folder of PNG/JPEG frames in natural name order.\n"
            "The time line is cut into windows; each window's frames are sampled as\n"
            "in testing, cropped around the tracked face and classified. The input's\n"
            "probabilities are the mean over the windows with a face.\n"
            "\n"
            "options:\n"
            "  --model FILE            checkpoint (safetensors) to run (required)\n"
            "  --json[=FILE]           print all results as JSON, or write them to FILE\n"
            "  --csv FILE              write one CSV row per window (\"-\": standard output)\n"
            "  --snippet-filter on|off override the checkpoint's snippet filter setting\n"
            "  --no-detect             classify whole frames of videos, without face\n"
            "                          detection (frame folders are never detected)\n"
            "  --cascade FILE          Haar cascade in OpenCV 4 XML format (default:\n"
            "                          %s;\n"
            "                          haarcascade_frontalface_default.xml finds more\n"
            "                          false faces, such as a bookshelf in movie-hello.mp4)\n"
            "  --face largest|center   face to follow when there are several (largest)\n"
            "  --window SECONDS        window length (2)\n"
            "  --stride SECONDS        time between window starts (1)\n"
            "  --fps F                 frame rate of frame folders (25)\n"
            "  --batch N               windows per model call (8, at most 256)\n"
            "  --annotate OUT.mp4      write the video with face box, label and\n"
            "                          probability bars (one video INPUT only)\n"
            "  --timeline OUT.png      plot the probabilities over time (one INPUT only)\n"
            "  --threads N             compute and decoder threads (0: all cores)\n"
            "  --help                  print this help\n"
            "\n"
            "Faces are detected every %g s with OpenCV's Haar cascade and tracked in\n"
            "between, across gaps of up to 2 s. A window has a face when one face track covers at least half of\n"
            "its frames; otherwise its label and probabilities are null. Its box is\n"
            "the mean face box [x, y, w, h] over the window, in displayed pixels. The\n"
            "model sees a square crop of 1.25 x the face box, resized to its input size.\n"
            "An input's neutral_suppressed is true when the snippet filter removed\n"
            "neutral in every window with a face.\n"
            "Exit status: 0 when every input was processed, 1 when any failed.\n",
            nd_cascade_default_path(), ND_DETECT_PERIOD);
}

/* Largest --batch: the batch buffer alone holds MAX_BATCH clips, 617 MB for
 * the paper model's 16 frames of 112 x 112. */
#define MAX_BATCH 256

/* The single place where predict runs the model. */
static int classify_with_model(void *context, const float *clips, int n,
                               nrdfer_prediction *out) {
    return nrdfer_model_predict(context, clips, n, out);
}

/* Parses a number in (min, max]. */
static int parse_double(const char *name, const char *text, double min, double max,
                        double *value) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v > min) || !(v <= max)) {
        fprintf(stderr,
                "nrdfer predict: invalid %s \"%s\": expected a number above %g and at "
                "most %g\n",
                name, text, min, max);
        return -1;
    }
    *value = v;
    return 0;
}

static int parse_int(const char *name, const char *text, int min, int max, int *value) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < min || v > max) {
        fprintf(stderr,
                "nrdfer predict: invalid %s \"%s\": expected an integer from %d to %d\n",
                name, text, min, max);
        return -1;
    }
    *value = (int)v;
    return 0;
}

/* Writes text output to path, or to standard output for "-". */
typedef void (*writer_fn)(FILE *fp, const nd_report_item *items, int count,
                          const nrdfer_config *config);

static int write_output(const char *path, writer_fn writer, cJSON *json,
                        const nd_report_item *items, int count, const nrdfer_config *config) {
    if (strcmp(path, "-") == 0) {
        if (json) {
            char *text = cJSON_Print(json);
            puts(text);
            free(text);
        } else {
            writer(stdout, items, count, config);
        }
        return 0;
    }
    nd_atomic_file f;
    if (nd_atomic_open(&f, path) != 0)
        return -1;
    if (json) {
        char *text = cJSON_Print(json);
        fputs(text, f.fp);
        fputc('\n', f.fp);
        free(text);
    } else {
        writer(f.fp, items, count, config);
    }
    return nd_atomic_commit(&f);
}

int nd_cmd_predict(int argc, char **argv) {
    static const struct option long_options[] = {
        {"model", required_argument, NULL, 'm'},
        {"json", optional_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},
        {"snippet-filter", required_argument, NULL, 's'},
        {"no-detect", no_argument, NULL, 'n'},
        {"cascade", required_argument, NULL, 'a'},
        {"face", required_argument, NULL, 'f'},
        {"window", required_argument, NULL, 'w'},
        {"stride", required_argument, NULL, 'r'},
        {"fps", required_argument, NULL, 'p'},
        {"batch", required_argument, NULL, 'b'},
        {"annotate", required_argument, NULL, 'A'},
        {"timeline", required_argument, NULL, 'T'},
        {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL, *json_path = NULL, *csv_path = NULL;
    const char *cascade_path = nd_cascade_default_path();
    const char *annotate_path = NULL, *timeline_path = NULL;
    int snippet_filter = -1, threads = 0;
    nd_predict_options o = {0};
    o.detect = 1;
    o.window = 2.0;
    o.stride = 1.0;
    o.folder_fps = 25.0;
    o.batch = 8;

    /* Options. */
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'j': json_path = optarg ? optarg : "-"; break;
        case 'c': csv_path = optarg; break;
        case 'n': o.detect = 0; break;
        case 'a': cascade_path = optarg; break;
        case 'A': annotate_path = optarg; break;
        case 'T': timeline_path = optarg; break;
        case 's':
            if (strcmp(optarg, "on") == 0 || strcmp(optarg, "off") == 0) {
                snippet_filter = strcmp(optarg, "on") == 0;
            } else {
                fprintf(stderr, "nrdfer predict: invalid --snippet-filter \"%s\": "
                                "expected on or off\n", optarg);
                bad = 1;
            }
            break;
        case 'f':
            if (strcmp(optarg, "largest") == 0 || strcmp(optarg, "center") == 0) {
                o.face_center = strcmp(optarg, "center") == 0;
            } else {
                fprintf(stderr, "nrdfer predict: invalid --face \"%s\": expected largest "
                                "or center\n", optarg);
                bad = 1;
            }
            break;
        case 'w': bad = parse_double("--window", optarg, 0, 86400, &o.window) != 0; break;
        case 'r': bad = parse_double("--stride", optarg, 0, 86400, &o.stride) != 0; break;
        case 'p': bad = parse_double("--fps", optarg, 0, 1000, &o.folder_fps) != 0; break;
        case 'b': bad = parse_int("--batch", optarg, 1, MAX_BATCH, &o.batch) != 0; break;
        case 't': bad = parse_int("--threads", optarg, 0, 1024, &threads) != 0; break;
        case 'h': usage(stdout); return ND_EXIT_OK;
        default: bad = 1; break;
        }
        if (bad) {
            fprintf(stderr, "run 'nrdfer predict --help' for the options\n");
            return ND_EXIT_USAGE;
        }
    }
    int num_inputs = argc - optind;
    char **inputs = argv + optind;
    if (!model_path || num_inputs == 0) {
        fprintf(stderr, "nrdfer predict: %s\n",
                !model_path ? "missing --model FILE" : "missing INPUT (video or frame folder)");
        usage(stderr);
        return ND_EXIT_USAGE;
    }
    if (o.stride > o.window) {
        fprintf(stderr, "nrdfer predict: --stride %g s is longer than --window %g s, so "
                        "windows would leave gaps; use a stride up to the window length\n",
                o.stride, o.window);
        return ND_EXIT_USAGE;
    }
    if ((annotate_path || timeline_path) && num_inputs != 1) {
        fprintf(stderr, "nrdfer predict: --annotate and --timeline need exactly one INPUT "
                        "(got %d)\n", num_inputs);
        return ND_EXIT_USAGE;
    }

    /* Output files are checked before the inputs are read, not after. */
    const char *outputs[] = {json_path, csv_path, annotate_path, timeline_path};
    for (int i = 0; i < 4; i++) {
        if (outputs[i] && strcmp(outputs[i], "-") != 0 &&
            nd_check_output_path(outputs[i]) != 0) {
            fprintf(stderr, "nrdfer predict: %s\n", nd_last_error());
            return ND_EXIT_FAILURE;
        }
    }
    o.threads = threads;
    nrdfer_set_threads(threads);

    /* Model, snippet filter and detector. */
    nrdfer_model *model = nrdfer_model_load(model_path);
    if (!model) {
        fprintf(stderr, "nrdfer predict: %s\n", nd_last_error());
        return ND_EXIT_FAILURE;
    }
    if (snippet_filter >= 0)
        nrdfer_model_set_snippet_filter(model, snippet_filter);
    const nrdfer_config *config = nrdfer_model_config(model);
    o.frames = config->frames;
    o.image_size = config->image_size;
    o.num_classes = config->num_classes;
    nd_cascade *cascade = NULL;
    if (o.detect) {
        cascade = nd_cascade_load(cascade_path);
        if (!cascade) {
            fprintf(stderr, "nrdfer predict: %s\n", nd_last_error());
            nrdfer_model_free(model);
            return ND_EXIT_FAILURE;
        }
        o.cascade = cascade;
    }
    nd_log_info("predict: model %s (%d frames of %d x %d), window %.2f s, stride %.2f s, "
                "snippet filter %s",
                model_path, o.frames, o.image_size, o.image_size, o.window, o.stride,
                config->snippet_filter ? "on" : "off");

    /* Inputs, each on its own: a failure does not stop the others. */
    nd_predict_result *results = nd_calloc(num_inputs, sizeof(nd_predict_result));
    nd_report_item *items = nd_calloc(num_inputs, sizeof(nd_report_item));
    int failures = 0;
    for (int i = 0; i < num_inputs; i++) {
        items[i].input = inputs[i];
        items[i].result = &results[i];
        if (nd_predict_input(inputs[i], &o, classify_with_model, model, &results[i]) != 0) {
            items[i].error = nd_strdup(nd_last_error());
            nd_log_error("%s", items[i].error);
            failures++;
            continue;
        }
        const nd_predict_result *r = &results[i];
        double total = r->decode_seconds + r->detect_seconds + r->model_seconds;
        nd_log_info("%s: %.2f s of video in %.2f s (decode %.2f s, detection %.2f s, "
                    "model %.2f s), %.1f x real time",
                    inputs[i], r->duration, total, r->decode_seconds, r->detect_seconds,
                    r->model_seconds, total > 0 ? r->duration / total : 0);

        /* Pictures of this input. */
        if (timeline_path && nd_timeline_write(timeline_path, r, config, inputs[i]) != 0) {
            nd_log_error("%s", nd_last_error());
            failures++;
        }
        if (annotate_path) {
            if (!r->is_video) {
                nd_log_error("%s: --annotate needs a video file, not a frame folder",
                             inputs[i]);
                failures++;
            } else if (nd_annotate_video(inputs[i], annotate_path, r, config, threads) != 0) {
                nd_log_error("%s", nd_last_error());
                failures++;
            }
        }
    }

    /* Results. */
    if (json_path) {
        cJSON *json = nd_report_json(items, num_inputs, config);
        if (write_output(json_path, NULL, json, items, num_inputs, config) != 0) {
            nd_log_error("%s", nd_last_error());
            failures++;
        }
        cJSON_Delete(json);
    }
    if (csv_path &&
        write_output(csv_path, nd_report_csv, NULL, items, num_inputs, config) != 0) {
        nd_log_error("%s", nd_last_error());
        failures++;
    }
    if (!json_path && !csv_path)
        nd_report_summary(stdout, items, num_inputs, config);

    for (int i = 0; i < num_inputs; i++) {
        free((char *)items[i].error);
        nd_predict_result_free(&results[i]);
    }
    free(items);
    free(results);
    nd_cascade_free(cascade);
    nrdfer_model_free(model);
    return failures ? ND_EXIT_FAILURE : ND_EXIT_OK;
}
