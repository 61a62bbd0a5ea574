/* Exposes the video modules to the Python tests:
 *   video_tool detect CASCADE GREY.raw W H   faces in a raw 8-bit grey image, as JSON
 *   video_tool decode VIDEO                  one JSON line per frame: time, size, mean
 *   video_tool predict [options] INPUT...    the predict pipeline with a stand-in model
 *   video_tool make-model OUT PRESET SEED    a checkpoint with random weights
 *   video_tool face-scan VIDEO               the face scan of dataset videos as JSON:
 *                                            frame count and each frame's crop square
 *
 * The stand-in model of predict is not NR-DFERNet: class c scores the mean of
 * colour channel c % 3 over the clip, times (c + 1), so its probabilities
 * depend on the frames the pipeline crops. Options: --no-detect, --center,
 * --window S, --stride S, --fps F, --batch N, --size S, --annotate OUT,
 * --timeline OUT.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"
#include "video/cascade.h"
#include "video/annotate.h"
#include "video/decode.h"
#include "video/faceclip.h"
#include "video/facecrop.h"
#include "video/predict.h"
#include "video/report.h"
#include "video/timeline.h"

static int detect(const char *cascade_path, const char *raw_path, int w, int h) {
    nd_cascade *c = nd_cascade_load(cascade_path);
    if (!c) {
        fprintf(stderr, "%s\n", nd_last_error());
        return 1;
    }
    char *data;
    size_t size;
    if (nd_read_file(raw_path, &data, &size) != 0 || size != (size_t)w * h) {
        fprintf(stderr, "%s: expected %d bytes\n", raw_path, w * h);
        return 1;
    }
    nd_rect *faces;
    int n = nd_cascade_detect(c, (const uint8_t *)data, w, h, NULL, &faces);
    printf("[");
    for (int i = 0; i < n; i++)
        printf("%s[%d, %d, %d, %d]", i ? ", " : "", faces[i].x, faces[i].y, faces[i].w,
               faces[i].h);
    printf("]\n");
    free(faces);
    free(data);
    nd_cascade_free(c);
    return 0;
}

static int decode(const char *path) {
    nd_decoder *d = nd_decoder_open(path, 1);
    if (!d) {
        fprintf(stderr, "%s\n", nd_last_error());
        return 1;
    }
    const nd_video_info *info = nd_decoder_info(d);
    printf("{\"width\": %d, \"height\": %d, \"rotation\": %d, \"fps\": %.6f}\n", info->width,
           info->height, info->rotation, info->fps);
    nd_video_frame f;
    int rc;
    while ((rc = nd_decoder_next(d, &f, 1)) == 1) {
        double mean = 0;
        for (size_t i = 0; i < (size_t)f.width * f.height * 3; i++)
            mean += f.rgb[i];
        printf("{\"time\": %.6f, \"width\": %d, \"height\": %d, \"mean\": %.4f}\n", f.time,
               f.width, f.height, mean / ((double)f.width * f.height * 3));
    }
    nd_decoder_close(d);
    return rc < 0;
}

typedef struct stand_in {
    int frames, size, classes;
} stand_in;

static int classify_stand_in(void *context, const float *clips, int n, nrdfer_prediction *out) {
    const stand_in *m = context;
    size_t plane = (size_t)m->size * m->size;
    for (int i = 0; i < n; i++) {
        const float *clip = clips + (size_t)i * m->frames * 3 * plane;
        double mean[3] = {0, 0, 0};
        for (int t = 0; t < m->frames; t++)
            for (int ch = 0; ch < 3; ch++)
                for (size_t p = 0; p < plane; p++)
                    mean[ch] += clip[((size_t)t * 3 + ch) * plane + p];
        double z = 0, score[NRDFER_MAX_CLASSES];
        for (int c = 0; c < m->classes; c++) {
            score[c] = exp(mean[c % 3] / ((double)m->frames * plane) * (c + 1));
            z += score[c];
        }
        memset(&out[i], 0, sizeof(out[i]));
        for (int c = 0; c < m->classes; c++) {
            out[i].probs[c] = (float)(score[c] / z);
            out[i].logits[c] = (float)log(score[c]);
            if (out[i].probs[c] > out[i].probs[out[i].label])
                out[i].label = c;
        }
    }
    return 0;
}

static int predict(int argc, char **argv) {
    static const struct option long_options[] = {
        {"no-detect", no_argument, NULL, 'n'},   {"center", no_argument, NULL, 'c'},
        {"window", required_argument, NULL, 'w'}, {"stride", required_argument, NULL, 's'},
        {"fps", required_argument, NULL, 'f'},    {"batch", required_argument, NULL, 'b'},
        {"size", required_argument, NULL, 'S'},   {"annotate", required_argument, NULL, 'a'},
        {"timeline", required_argument, NULL, 't'}, {NULL, 0, NULL, 0},
    };
    nrdfer_config config;
    nrdfer_config_small(&config);
    nd_predict_options o = {0};
    o.detect = 1, o.window = 2, o.stride = 1, o.folder_fps = 25, o.batch = 4;
    const char *annotate = NULL, *timeline = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (opt) {
        case 'n': o.detect = 0; break;
        case 'c': o.face_center = 1; break;
        case 'w': o.window = atof(optarg); break;
        case 's': o.stride = atof(optarg); break;
        case 'f': o.folder_fps = atof(optarg); break;
        case 'b': o.batch = atoi(optarg); break;
        case 'S': config.image_size = atoi(optarg); break;
        case 'a': annotate = optarg; break;
        case 't': timeline = optarg; break;
        default: return 2;
        }
    }
    if (getenv("VIDEO_TOOL_DEBUG"))
        nrdfer_set_log_level(NRDFER_LOG_DEBUG);
    stand_in model = {config.frames, config.image_size, config.num_classes};
    o.frames = config.frames, o.image_size = config.image_size;
    o.num_classes = config.num_classes;
    nd_cascade *cascade = nd_cascade_load(nd_cascade_default_path());
    if (!cascade) {
        fprintf(stderr, "%s\n", nd_last_error());
        return 1;
    }
    o.cascade = cascade;

    int count = argc - optind, failures = 0;
    nd_predict_result *results = nd_calloc(count ? count : 1, sizeof(nd_predict_result));
    nd_report_item *items = nd_calloc(count ? count : 1, sizeof(nd_report_item));
    for (int i = 0; i < count; i++) {
        items[i].input = argv[optind + i];
        items[i].result = &results[i];
        if (nd_predict_input(items[i].input, &o, classify_stand_in, &model, &results[i]) != 0) {
            items[i].error = nd_strdup(nd_last_error());
            failures++;
            continue;
        }
        fprintf(stderr, "%s: decode %.3f s, detection %.3f s, model %.3f s\n", items[i].input,
                results[i].decode_seconds, results[i].detect_seconds, results[i].model_seconds);
        if (timeline && nd_timeline_write(timeline, &results[i], &config, items[i].input) != 0)
            failures++;
        if (annotate &&
            nd_annotate_video(items[i].input, annotate, &results[i], &config, 0) != 0)
            failures++;
    }
    cJSON *json = nd_report_json(items, count, &config);
    char *text = cJSON_Print(json);
    puts(text);
    free(text);
    cJSON_Delete(json);
    for (int i = 0; i < count; i++) {
        if (items[i].error)
            fprintf(stderr, "%s\n", items[i].error);
        free((char *)items[i].error);
        nd_predict_result_free(&results[i]);
    }
    free(items);
    free(results);
    nd_cascade_free(cascade);
    return failures ? 1 : 0;
}

static int make_model(const char *out, const char *preset, const char *seed) {
    nrdfer_config config;
    if (nrdfer_config_preset(&config, preset) != 0) {
        fprintf(stderr, "unknown preset %s\n", preset);
        return 2;
    }
    nrdfer_model *m = nrdfer_model_create(&config, strtoull(seed, NULL, 10));
    if (!m || nrdfer_model_save(m, out) != 0) {
        fprintf(stderr, "%s\n", nd_last_error());
        nrdfer_model_free(m);
        return 1;
    }
    nrdfer_model_free(m);
    return 0;
}

/* Prints {"frames": n, "squares": [[x, y, side], ...] or null}: the crop
 * square the dataset loader cuts from each frame. */
static int face_scan(const char *path) {
    nd_cascade *c = nd_cascade_load(nd_cascade_default_path());
    nd_face_scan scan;
    int found;
    if (!c || nd_face_scan_video(path, c, &scan, &found) != 0) {
        fprintf(stderr, "%s\n", nd_last_error());
        nd_cascade_free(c);
        return 1;
    }
    printf("{\"frames\": %d, \"squares\": ", scan.num_frames);
    if (!scan.boxes)
        printf("null");
    for (int f = 0; scan.boxes && f < scan.num_frames; f++) {
        int x, y, side;
        nd_face_crop_rect(&scan.boxes[f], scan.width, scan.height, &x, &y, &side);
        printf("%s[%d, %d, %d]", f ? ", " : "[", x, y, side);
    }
    printf("%s}\n", scan.boxes ? "]" : "");
    nd_face_scan_free(&scan);
    nd_cascade_free(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "face-scan") == 0)
        return face_scan(argv[2]);
    if (argc == 5 && strcmp(argv[1], "make-model") == 0)
        return make_model(argv[2], argv[3], argv[4]);
    if (argc >= 2 && strcmp(argv[1], "predict") == 0)
        return predict(argc - 1, argv + 1);
    if (argc == 6 && strcmp(argv[1], "detect") == 0)
        return detect(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return decode(argv[2]);
    fprintf(stderr, "usage: video_tool detect CASCADE GREY.raw W H | decode VIDEO | "
                    "predict [options] INPUT... | make-model OUT PRESET SEED | "
                    "face-scan VIDEO\n");
    return 2;
}
