/* nrdfer data load: runs the threaded loader alone, to measure its speed
 * (clips/s) and to print what each batch contains (indices, labels and a hash
 * of the floats), so that runs with different thread counts can be compared. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_data.h"
#include "cli/commands.h"
#include "data/loader.h"
#include "util/error.h"
#include "util/fs.h"

/* FNV-1a over the bytes of the floats. */
static uint64_t hash_floats(const float *data, size_t count) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < count * sizeof *data; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void load_usage(FILE *out) {
    fprintf(
        out,
        "usage: nrdfer data load --dataset NAME --root DIR [options]\n\n"
        "Runs the threaded loader alone over one split and prints clips per second;\n"
        "with --print-batches, one line per batch: clip indices, labels and a hash\n"
        "of the clip floats (equal hashes mean equal batches).\n\n"
        "options:\n"
        "  --split NAME         train or test (default train)\n"
        "  --batch B            clips per batch (default 32)\n"
        "  --size S             frame size in pixels after resizing (default 112)\n"
        "  --threads N          loader threads; 0 loads in the main thread (default 2)\n"
        "  --prefetch N         clips decoded ahead (default max(B, 2 x threads))\n"
        "  --seed S             shuffle and augmentation seed (default 0)\n"
        "  --epochs E           epochs to run (default 1)\n"
        "  --shuffle            shuffle the order by (seed, epoch)\n"
        "  --train-mode         training frame sampling and augmentation (default: test\n"
        "                       sampling and resize)\n"
        "  --drop-last          drop a last batch smaller than B\n"
        "  --print-batches      print one line per batch\n"
        "  --dump FILE          write every batch's clips as raw float32 "
        "[B][T][3][S][S],\n"
        "                       batch after batch (native byte order)\n"
        "  --help               print this help\n");
    nd_data_cmd_help(out);
}

enum {
    OPT_SPLIT = ND_OPT_DATA_LAST,
    OPT_BATCH,
    OPT_SIZE,
    OPT_THREADS,
    OPT_PREFETCH,
    OPT_SEED,
    OPT_EPOCHS,
    OPT_SHUFFLE,
    OPT_TRAIN_MODE,
    OPT_DROP_LAST,
    OPT_PRINT,
    OPT_DUMP,
    OPT_AUGMENT,
    OPT_SAMPLING,
    OPT_HELP
};

/* Parses a whole number in [lo, hi]; prints the error. */
static int parse_int_option(const char *arg, const char *name, long lo, long hi,
                            long *value) {
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < lo || v > hi) {
        fprintf(stderr,
                "nrdfer data load: invalid %s '%s': use a whole number in %ld..%ld\n",
                name, arg, lo, hi);
        return -1;
    }
    *value = v;
    return 0;
}

int nd_cmd_data_load(int argc, char **argv) {
    static const struct option long_options[] = {
        ND_DATA_CMD_LONG_OPTIONS,
        {"split", required_argument, 0, OPT_SPLIT},
        {"batch", required_argument, 0, OPT_BATCH},
        {"size", required_argument, 0, OPT_SIZE},
        {"threads", required_argument, 0, OPT_THREADS},
        {"prefetch", required_argument, 0, OPT_PREFETCH},
        {"seed", required_argument, 0, OPT_SEED},
        {"epochs", required_argument, 0, OPT_EPOCHS},
        {"shuffle", no_argument, 0, OPT_SHUFFLE},
        {"train-mode", no_argument, 0, OPT_TRAIN_MODE},
        {"drop-last", no_argument, 0, OPT_DROP_LAST},
        {"print-batches", no_argument, 0, OPT_PRINT},
        {"dump", required_argument, 0, OPT_DUMP},
        {"augment", required_argument, 0, OPT_AUGMENT},
        {"sampling", required_argument, 0, OPT_SAMPLING},
        {"help", no_argument, 0, OPT_HELP},
        {0, 0, 0, 0},
    };
    nd_data_settings settings;
    nd_data_args_init(&settings);
    nd_loader_options lo;
    nd_loader_options_init(&lo);
    int split = ND_SPLIT_TRAIN, print = 0, c;
    const char *dump_path = NULL;
    int augment = -1, sampling = -1; /* -1: as the mode sets it */
    long value, epochs = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        int rc = nd_data_cmd_option(&settings, c, optarg, "data load");
        if (rc < 0)
            return ND_EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (c) {
        case OPT_SPLIT:
            if (strcmp(optarg, "train") && strcmp(optarg, "test")) {
                fprintf(stderr,
                        "nrdfer data load: invalid --split '%s': use train or test\n",
                        optarg);
                return ND_EXIT_USAGE;
            }
            split = strcmp(optarg, "train") ? ND_SPLIT_TEST : ND_SPLIT_TRAIN;
            break;
        case OPT_BATCH:
        case OPT_SIZE:
        case OPT_THREADS:
        case OPT_PREFETCH:
        case OPT_EPOCHS:
        case OPT_SEED: {
            const char *name = "";
            for (const struct option *lopt = long_options; lopt->name; lopt++)
                if (lopt->val == c)
                    name = lopt->name;
            long min = (c == OPT_THREADS || c == OPT_PREFETCH || c == OPT_SEED) ? 0 : 1;
            if (parse_int_option(optarg, name, min, c == OPT_SEED ? 2147483647L : 100000,
                                 &value) != 0)
                return ND_EXIT_USAGE;
            if (c == OPT_BATCH)
                lo.batch_size = (int)value;
            else if (c == OPT_SIZE)
                lo.image_size = (int)value;
            else if (c == OPT_THREADS)
                lo.threads = (int)value;
            else if (c == OPT_PREFETCH)
                lo.prefetch = (int)value;
            else if (c == OPT_EPOCHS)
                epochs = value;
            else
                lo.seed = (uint64_t)value;
            break;
        }
        case OPT_SHUFFLE:
            lo.shuffle = 1;
            break;
        case OPT_TRAIN_MODE:
            lo.augment = 1;
            lo.random_sampling = 1;
            break;
        case OPT_DROP_LAST:
            lo.drop_last = 1;
            break;
        case OPT_PRINT:
            print = 1;
            break;
        case OPT_DUMP:
            dump_path = optarg;
            break;
        case OPT_AUGMENT:
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fprintf(stderr,
                        "nrdfer data load: invalid --augment '%s': use on or off\n",
                        optarg);
                return ND_EXIT_USAGE;
            }
            augment = !strcmp(optarg, "on");
            break;
        case OPT_SAMPLING:
            if (strcmp(optarg, "random") && strcmp(optarg, "test")) {
                fprintf(stderr,
                        "nrdfer data load: invalid --sampling '%s': use random or test\n",
                        optarg);
                return ND_EXIT_USAGE;
            }
            sampling = !strcmp(optarg, "random");
            break;
        case OPT_HELP:
            load_usage(stdout);
            return ND_EXIT_OK;
        default:
            load_usage(stderr);
            return ND_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nrdfer data load: unexpected argument '%s'\n", argv[optind]);
        return ND_EXIT_USAGE;
    }
    nd_dataset_options o;
    if (nd_data_cmd_dataset_options(&settings, "data load", &o) != 0)
        return ND_EXIT_USAGE;
    if (augment >= 0)
        lo.augment = augment;
    if (sampling >= 0)
        lo.random_sampling = sampling;
    lo.frames = o.frames;
    lo.bad_clips = o.bad_clips;

    nd_dataset *ds;
    if (nd_dataset_open(&o, &ds) != 0) {
        fprintf(stderr, "nrdfer data load: %s\n", nd_last_error());
        return ND_EXIT_FAILURE;
    }
    nd_loader *loader = nd_loader_create(ds, split, NULL, 0, &lo);
    if (!loader) {
        fprintf(stderr, "nrdfer data load: %s\n", nd_last_error());
        nd_dataset_free(ds);
        return ND_EXIT_FAILURE;
    }

    nd_atomic_file dump = {0};
    if (dump_path && nd_atomic_open(&dump, dump_path) != 0) {
        fprintf(stderr, "nrdfer data load: %s\n", nd_last_error());
        nd_loader_free(loader);
        nd_dataset_free(ds);
        return ND_EXIT_FAILURE;
    }

    /* Run the epochs, timing the loader alone. */
    size_t clip_floats = (size_t)lo.frames * 3 * lo.image_size * lo.image_size;
    long clips = 0;
    int status = ND_EXIT_OK;
    double start = now_seconds();
    for (int epoch = 0; epoch < epochs && status == ND_EXIT_OK; epoch++) {
        nd_loader_start_epoch(loader, epoch, 0);
        nd_batch b;
        int rc, number = 0;
        while ((rc = nd_loader_next(loader, &b)) == 1) {
            clips += b.count;
            if (dump_path)
                fwrite(b.clips, sizeof(float), clip_floats * (size_t)b.count, dump.fp);
            if (!print) {
                number++;
                continue;
            }
            printf("epoch %d batch %d clips %d indices", epoch, number++, b.count);
            for (int i = 0; i < b.count; i++)
                printf(" %d", b.indices[i]);
            printf(" labels");
            for (int i = 0; i < b.count; i++)
                printf(" %d", b.labels[i]);
            printf(" hash %016" PRIx64 "\n",
                   hash_floats(b.clips, clip_floats * (size_t)b.count));
        }
        if (rc < 0) {
            fprintf(stderr, "nrdfer data load: %s\n", nd_last_error());
            status = ND_EXIT_FAILURE;
        }
    }
    double seconds = now_seconds() - start;
    if (dump_path && status == ND_EXIT_OK && nd_atomic_commit(&dump) != 0) {
        fprintf(stderr, "nrdfer data load: %s\n", nd_last_error());
        status = ND_EXIT_FAILURE;
    } else if (dump_path && status != ND_EXIT_OK) {
        nd_atomic_abort(&dump);
    }
    printf(
        "loaded %ld clips in %.2f s: %.1f clips/s (T %d, S %d, %d threads, %d skipped)\n",
        clips, seconds, seconds > 0 ? clips / seconds : 0.0, lo.frames, lo.image_size,
        lo.threads, nd_loader_skipped(loader));
    nd_loader_free(loader);
    nd_dataset_free(ds);
    return status;
}
