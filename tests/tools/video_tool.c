/* Exposes the video modules to the Python tests:
 *   video_tool detect CASCADE GREY.raw W H   faces in a raw 8-bit grey image, as JSON
 *   video_tool decode VIDEO                  one JSON line per frame: time, size, mean
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"
#include "video/cascade.h"
#include "video/decode.h"

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
    while ((rc = nd_decoder_next(d, &f)) == 1) {
        double mean = 0;
        for (size_t i = 0; i < (size_t)f.width * f.height * 3; i++)
            mean += f.rgb[i];
        printf("{\"time\": %.6f, \"width\": %d, \"height\": %d, \"mean\": %.4f}\n", f.time,
               f.width, f.height, mean / ((double)f.width * f.height * 3));
    }
    nd_decoder_close(d);
    return rc < 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "detect") == 0)
        return detect(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    if (argc == 3 && strcmp(argv[1], "decode") == 0)
        return decode(argv[2]);
    fprintf(stderr, "usage: video_tool detect CASCADE GREY.raw W H | decode VIDEO\n");
    return 2;
}
