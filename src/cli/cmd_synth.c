/* nrdfer synth: writes the procedural benchmark in the DFEW layout. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "data/synth.h"
#include "util/error.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: nrdfer synth --out DIR [options]\n"
            "\n"
            "Generates a synthetic dynamic facial expression benchmark: procedurally drawn\n"
            "face clips of the 7 DFEW classes (happy, sad, neutral, angry, surprise,\n"
            "disgust, fear) with DFEW's class imbalance, in DFEW's layout:\n"
            "  DIR/Clip/clip_224x224/<id>/<id>_<frame>.jpg     (5-digit id, frames from 1)\n"
            "  DIR/EmoLabel_DataSplit/{train,test}(single-labeled)/set_1..5.csv\n"
            "  DIR/synth.json   settings and per-clip ground truth (class, apex frames,\n"
            "                   noise events)\n"
            "The folder name clip_224x224 is DFEW's; real DFEW crops are 256 x 256 and\n"
            "these are --size x --size. The 5 test folds are stratified by class.\n"
            "\n"
            "options:\n"
            "  -o, --out DIR      output folder (created; a non-empty folder must be an\n"
            "                     earlier synth output unless --force)\n"
            "  -n, --clips N      number of clips, %d..%d (default 700)\n"
            "  -s, --seed S       random seed, 0..%llu (default 1)\n"
            "                     The output depends only on the seed and the settings,\n"
            "                     not on --threads.\n"
            "      --noise LEVEL  none, low or high (default high): high adds what\n"
            "                     in-the-wild clips have: long neutral stretches, hands\n"
            "                     and objects over the face, motion blur, black frames,\n"
            "                     cuts, another face, flicker, JPEG artefacts, shake\n"
            "      --videos       also write DIR/videos/<id>.mp4: %d x %d scenes at %d fps\n"
            "                     with the face somewhere in them (H.264 through libx264\n"
            "                     when FFmpeg has it, otherwise MPEG-4 part 2)\n"
            "      --size PX      frame width and height in pixels, 32..1024 (default 128)\n"
            "  -j, --threads N    worker threads (default: the number of online cores)\n"
            "      --force        write into a non-empty folder that is not a synth output\n"
            "  -h, --help         print this help\n",
            ND_SYNTH_MIN_CLIPS, ND_SYNTH_MAX_CLIPS, ND_SYNTH_MAX_SEED, ND_SYNTH_SCENE_WIDTH,
            ND_SYNTH_SCENE_HEIGHT, ND_SYNTH_FPS);
}

/* Parses text as a whole decimal integer in [lo, hi]. Returns 0, or -1 when
 * it is not one. */
static int parse_int(const char *text, long long lo, long long hi, long long *value) {
    if (!text || !*text)
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *value = v;
    return 0;
}

static void print_progress(int done, int total, void *data) {
    fprintf(stderr, "\rsynth: %d/%d clips", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

int nd_cmd_synth(int argc, char **argv) {
    enum { OPT_NOISE = 256, OPT_VIDEOS, OPT_SIZE, OPT_FORCE };
    static const struct option long_options[] = {
        {"out", required_argument, NULL, 'o'},   {"clips", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"noise", required_argument, NULL, OPT_NOISE},
        {"videos", no_argument, NULL, OPT_VIDEOS}, {"size", required_argument, NULL, OPT_SIZE},
        {"threads", required_argument, NULL, 'j'}, {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (cores > 256)
        cores = 256;
    nd_synth_options o = {
        .clips = 700,
        .seed = 1,
        .noise = ND_SYNTH_NOISE_HIGH,
        .size = 128,
        .threads = (int)cores,
    };

    optind = 1;
    int c;
    long long v;
    while ((c = getopt_long(argc, argv, "o:n:s:j:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.out_dir = optarg;
            break;
        case 'n':
            if (parse_int(optarg, ND_SYNTH_MIN_CLIPS, ND_SYNTH_MAX_CLIPS, &v) != 0) {
                fprintf(stderr, "nrdfer synth: invalid --clips '%s': use %d..%d\n", optarg,
                        ND_SYNTH_MIN_CLIPS, ND_SYNTH_MAX_CLIPS);
                return ND_EXIT_USAGE;
            }
            o.clips = (int)v;
            break;
        case 's':
            if (parse_int(optarg, 0, (long long)ND_SYNTH_MAX_SEED, &v) != 0) {
                fprintf(stderr, "nrdfer synth: invalid --seed '%s': use 0..%llu\n", optarg,
                        ND_SYNTH_MAX_SEED);
                return ND_EXIT_USAGE;
            }
            o.seed = (uint64_t)v;
            break;
        case OPT_NOISE:
            if (!strcmp(optarg, "none")) {
                o.noise = ND_SYNTH_NOISE_NONE;
            } else if (!strcmp(optarg, "low")) {
                o.noise = ND_SYNTH_NOISE_LOW;
            } else if (!strcmp(optarg, "high")) {
                o.noise = ND_SYNTH_NOISE_HIGH;
            } else {
                fprintf(stderr, "nrdfer synth: invalid --noise '%s': use none, low or high\n",
                        optarg);
                return ND_EXIT_USAGE;
            }
            break;
        case OPT_VIDEOS:
            o.videos = 1;
            break;
        case OPT_SIZE:
            if (parse_int(optarg, 32, 1024, &v) != 0) {
                fprintf(stderr, "nrdfer synth: invalid --size '%s': use 32..1024 pixels\n",
                        optarg);
                return ND_EXIT_USAGE;
            }
            o.size = (int)v;
            break;
        case 'j':
            if (parse_int(optarg, 1, 256, &v) != 0) {
                fprintf(stderr, "nrdfer synth: invalid --threads '%s': use 1..256\n", optarg);
                return ND_EXIT_USAGE;
            }
            o.threads = (int)v;
            break;
        case OPT_FORCE:
            o.force = 1;
            break;
        case 'h':
            usage(stdout);
            return ND_EXIT_OK;
        default:
            fprintf(stderr, "Run 'nrdfer synth --help' for the options.\n");
            return ND_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nrdfer synth: unexpected argument '%s': pass the folder with --out\n",
                argv[optind]);
        return ND_EXIT_USAGE;
    }
    if (!o.out_dir || !*o.out_dir) {
        fprintf(stderr, "nrdfer synth: missing --out DIR\n");
        usage(stderr);
        return ND_EXIT_USAGE;
    }

    if (isatty(STDERR_FILENO))
        o.progress = print_progress;
    if (nd_synth_generate(&o) != 0) {
        fprintf(stderr, "nrdfer synth: %s\n", nd_last_error());
        return ND_EXIT_FAILURE;
    }
    printf("wrote %d clips to %s (splits in %s/EmoLabel_DataSplit, ground truth in "
           "%s/synth.json)\n",
           o.clips, o.out_dir, o.out_dir, o.out_dir);
    return ND_EXIT_OK;
}
