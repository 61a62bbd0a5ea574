#include "video/faceclip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/resize.h"
#include "util/error.h"
#include "video/decode.h"
#include "video/facecrop.h"
#include "video/predict.h"

int nd_detect_frame(const nd_cascade *cascade, const nd_image *frame, nd_tracker *tracker,
                    int index) {
    int w = frame->width, h = frame->height;
    uint8_t *grey = nd_malloc((size_t)w * h);
    nd_rgb_to_grey(frame->rgb, w, h, grey);

    /* Shrink large frames so detection time stays bounded. */
    double scale = 1.0;
    int dw = w, dh = h;
    int longer = w > h ? w : h;
    if (longer > ND_DETECT_MAX_SIDE) {
        scale = (double)longer / ND_DETECT_MAX_SIDE;
        dw = (int)lround(w / scale), dh = (int)lround(h / scale);
        uint8_t *small = nd_malloc((size_t)dw * dh);
        nd_grey_shrink(grey, w, h, small, dw, dh);
        free(grey);
        grey = small;
    }

    nd_grey_equalize(grey, dw, dh);
    nd_detect_params params;
    nd_detect_params_default(&params);
    params.min_neighbors = ND_DETECT_MIN_NEIGHBORS;
    params.min_size = (int)((dw < dh ? dw : dh) * ND_DETECT_MIN_FACE);
    nd_rect *faces;
    int n = nd_cascade_detect(cascade, grey, dw, dh, &params, &faces);
    for (int i = 0; i < n; i++) {
        faces[i].x = (int)lround(faces[i].x * scale);
        faces[i].y = (int)lround(faces[i].y * scale);
        faces[i].w = (int)lround(faces[i].w * scale);
        faces[i].h = (int)lround(faces[i].h * scale);
    }
    nd_tracker_add(tracker, index, faces, n);
    free(faces);
    free(grey);
    return n;
}

/* Index of the track covering the most frames (ties: larger mean box), or -1. */
static int longest_track(const nd_tracker *tracker) {
    int best = -1, best_len = 0;
    double best_area = 0;
    for (int i = 0; i < nd_tracker_count(tracker); i++) {
        const nd_track *t = nd_tracker_get(tracker, i);
        int len = t->last - t->first + 1;
        double area = 0;
        for (int k = 0; k < len; k++)
            area += (double)t->boxes[k].w * t->boxes[k].h;
        area /= len;
        if (len > best_len || (len == best_len && area > best_area)) {
            best = i, best_len = len, best_area = area;
        }
    }
    return best;
}

int nd_face_scan_video(const char *path, const nd_cascade *cascade, nd_face_scan *scan,
                       int *face_found) {
    memset(scan, 0, sizeof *scan);
    *face_found = 0;
    nd_decoder *decoder = nd_decoder_open(path, 1);
    if (!decoder)
        return -1;
    nd_tracker *tracker = NULL;
    if (cascade) {
        nd_track_params params;
        nd_track_params_default(&params, nd_decoder_info(decoder)->fps);
        tracker = nd_tracker_create(&params);
    }

    int rc = 0, n = 0;
    double next_detect = 0;
    nd_video_frame vf;
    while ((rc = nd_decoder_next(decoder, &vf, 0)) == 1) {
        if (n == 0)
            scan->width = vf.width, scan->height = vf.height;
        else if (vf.width != scan->width || vf.height != scan->height)
            scan->mixed_sizes = 1;
        if (tracker && vf.time >= next_detect - 1e-6) {
            if (nd_decoder_convert(decoder, &vf) != 0) {
                rc = -1;
                break;
            }
            nd_image frame = {vf.width, vf.height, (uint8_t *)vf.rgb};
            nd_detect_frame(cascade, &frame, tracker, n);
            next_detect = vf.time + ND_DETECT_PERIOD;
        }
        n++;
    }
    scan->skipped = nd_decoder_skipped(decoder);
    nd_decoder_close(decoder);
    if (rc == 0 && n == 0)
        rc = nd_fail("%s: no frames could be decoded", path);
    if (rc != 0) {
        nd_tracker_free(tracker);
        return -1;
    }
    scan->num_frames = n;

    if (tracker) {
        nd_tracker_finish(tracker, n);
        int best = longest_track(tracker);
        if (best >= 0) {
            const nd_track *t = nd_tracker_get(tracker, best);
            scan->boxes = nd_malloc(sizeof *scan->boxes * (size_t)n);
            for (int f = 0; f < n; f++) {
                int g = f;
                if (g < t->first)
                    g = t->first;
                if (g > t->last)
                    g = t->last;
                scan->boxes[f] = *nd_track_box(t, g);
            }
            *face_found = 1;
        }
        nd_tracker_free(tracker);
    }
    return 0;
}

int nd_face_read_frames(const char *path, const nd_face_scan *scan, const int *indices,
                        int count, int side, nd_image *out) {
    memset(out, 0, sizeof *out * (size_t)count);
    nd_decoder *decoder = nd_decoder_open(path, 1);
    if (!decoder)
        return -1;
    int rc = 0, f = 0, next = 0;
    nd_video_frame vf;
    while (next < count && (rc = nd_decoder_next(decoder, &vf, 0)) == 1) {
        if (f == indices[next]) {
            if (nd_decoder_convert(decoder, &vf) != 0) {
                rc = -1;
                break;
            }
            nd_image frame = {vf.width, vf.height, (uint8_t *)vf.rgb}, square = {0};
            const nd_image *src = &frame;
            if (scan->boxes) {
                int x, y, s;
                nd_face_crop_rect(&scan->boxes[f], vf.width, vf.height, &x, &y, &s);
                nd_face_square(&square, &frame, x, y, s);
                src = &square;
            }
            nd_resize_bilinear(&out[next], src, NULL, side, side);
            nd_image_free(&square);
            next++;
        }
        f++;
    }
    nd_decoder_close(decoder);
    if (rc >= 0 && next < count)
        rc = nd_fail("%s: frame %d could not be decoded again (the scan counted %d frames)",
                     path, indices[next], scan->num_frames);
    if (rc < 0) {
        for (int i = 0; i < count; i++)
            nd_image_free(&out[i]);
        return -1;
    }
    return 0;
}

void nd_face_scan_free(nd_face_scan *scan) {
    free(scan->boxes);
    scan->boxes = NULL;
}
