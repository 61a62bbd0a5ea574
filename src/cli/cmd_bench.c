/* nrdfer bench: times inference and training steps of the model on random
 * clips, after warm-up, and reports clips per second and peak memory. */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/commands.h"
#include "nrdfer.h"
#include "util/error.h"
#include "util/rng.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: nrdfer bench [--batch N] [--threads N] [--iters N] [--preset "
        "paper|small]\n"
        "                    [--json]\n\n"
        "Times inference (eval mode, snippet filter on) and training steps (forward,\n"
        "cross-entropy, backward, SGD update) on random clips.\n\n"
        "  --batch N     clips per step (default 8)\n"
        "  --threads N   compute threads (default: all cores)\n"
        "  --iters N     timed steps of each kind after one warm-up step (default 5)\n"
        "  --preset P    model size (default paper: 16 frames of 112 x 112)\n"
        "  --json        print one JSON object instead of a table\n");
}

static int parse_positive(const char *name, const char *text, int max, int *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > max) {
        fprintf(stderr, "nrdfer bench: %s must be an integer from 1 to %d, got '%s'\n",
                name, max, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int nd_cmd_bench(int argc, char **argv) {
    static const struct option options[] = {{"batch", required_argument, 0, 'b'},
                                            {"threads", required_argument, 0, 't'},
                                            {"iters", required_argument, 0, 'i'},
                                            {"preset", required_argument, 0, 'p'},
                                            {"json", no_argument, 0, 'j'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    int batch = 8, threads = 0, iters = 5, json = 0, opt;
    const char *preset = "paper";

    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'b':
            if (parse_positive("--batch", optarg, 4096, &batch))
                return ND_EXIT_USAGE;
            break;
        case 't':
            if (parse_positive("--threads", optarg, 1024, &threads))
                return ND_EXIT_USAGE;
            break;
        case 'i':
            if (parse_positive("--iters", optarg, 100000, &iters))
                return ND_EXIT_USAGE;
            break;
        case 'p':
            preset = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage(stdout);
            return ND_EXIT_OK;
        default:
            usage(stderr);
            return ND_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "nrdfer bench: unexpected argument '%s'\n", argv[optind]);
        return ND_EXIT_USAGE;
    }

    nrdfer_config config;
    if (nrdfer_config_preset(&config, preset)) {
        fprintf(stderr, "nrdfer bench: %s\n", nrdfer_last_error());
        return ND_EXIT_USAGE;
    }
    nrdfer_set_threads(threads);
    nrdfer_model *model = nrdfer_model_create(&config, 1);
    if (!model) {
        fprintf(stderr, "nrdfer bench: %s\n", nrdfer_last_error());
        return ND_EXIT_FAILURE;
    }

    /* Random clips and labels, the same every run. */
    size_t clip = (size_t)config.frames * 3 * config.image_size * config.image_size;
    float *clips = nd_malloc(sizeof(float) * clip * batch);
    int *labels = nd_malloc(sizeof(int) * batch);
    nrdfer_prediction *pred = nd_malloc(sizeof *pred * batch);
    nd_rng rng;
    nd_rng_seed(&rng, 42);
    for (size_t i = 0; i < clip * batch; i++)
        clips[i] = (float)nd_rng_uniform(&rng);
    for (int i = 0; i < batch; i++)
        labels[i] = (int)nd_rng_int(&rng, 0, config.num_classes - 1);

    /* Inference: one warm-up step (plan creation), then timed steps. */
    if (nrdfer_model_predict(model, clips, batch, pred)) {
        fprintf(stderr, "nrdfer bench: %s\n", nrdfer_last_error());
        return ND_EXIT_FAILURE;
    }
    double t0 = now_seconds();
    for (int i = 0; i < iters; i++)
        nrdfer_model_predict(model, clips, batch, pred);
    double infer_s = (now_seconds() - t0) / iters;

    /* Training with the recipe's SGD settings. */
    nrdfer_optimizer_config sgd = {
        .kind = NRDFER_SGD, .lr = 1e-3f, .momentum = 0.9f, .weight_decay = 0.1f};
    float loss;
    if (nrdfer_model_train_step(model, clips, labels, batch, &sgd, sgd.lr, 0.0f, &loss)) {
        fprintf(stderr, "nrdfer bench: %s\n", nrdfer_last_error());
        return ND_EXIT_FAILURE;
    }
    t0 = now_seconds();
    for (int i = 0; i < iters; i++)
        nrdfer_model_train_step(model, clips, labels, batch, &sgd, sgd.lr, 0.0f, &loss);
    double train_s = (now_seconds() - t0) / iters;

    struct rusage usage_info;
    getrusage(RUSAGE_SELF, &usage_info);
    double peak_mb = usage_info.ru_maxrss / 1024.0;
    double gflop = nrdfer_model_flops_per_clip(model) * 1e-9;
    int used_threads = omp_get_max_threads();

    if (json) {
        printf(
            "{\"preset\":\"%s\",\"batch\":%d,\"threads\":%d,\"infer_clips_per_s\":%.4f,"
            "\"train_clips_per_s\":%.4f,\"peak_rss_mb\":%.1f}\n",
            preset, batch, used_threads, batch / infer_s, batch / train_s, peak_mb);
    } else {
        printf("nrdfer bench: preset %s, batch %d, %d threads, %zu parameters, "
               "%.2f GFLOP per clip (forward)\n",
               preset, batch, used_threads, nrdfer_model_num_params(model), gflop);
        printf("  %-10s %10s %12s %10s\n", "step", "ms/step", "clips/s", "GFLOP/s");
        printf("  %-10s %10.1f %12.2f %10.1f\n", "inference", infer_s * 1e3,
               batch / infer_s, gflop * batch / infer_s);
        /* Training does about three times the forward work (forward, two backward). */
        printf("  %-10s %10.1f %12.2f %10.1f\n", "training", train_s * 1e3,
               batch / train_s, 3 * gflop * batch / train_s);
        printf("  peak resident memory %.0f MB\n", peak_mb);
    }
    free(clips);
    free(labels);
    free(pred);
    nrdfer_model_free(model);
    return ND_EXIT_OK;
}
