/* Face detection with a trained Haar cascade in OpenCV 4's XML format, for
 * example haarcascade_frontalface_default.xml from Debian's opencv-data.
 * The evaluation follows OpenCV 4.6 CascadeClassifier::detectMultiScale: an
 * image pyramid with fixed-point bilinear resizing, integral and squared
 * integral images, each 24 x 24 window normalised by its standard
 * deviation, and boosted stages of stumps or trees. Overlapping hits are
 * merged like cv::groupRectangles(minNeighbors, eps 0.2). On frames of
 * Megamind.avi and movie-hello.mp4 the boxes equal python3-opencv 4.6's. */
#ifndef ND_VIDEO_CASCADE_H
#define ND_VIDEO_CASCADE_H

#include <stdint.h>

typedef struct nd_cascade nd_cascade;

/* Rectangle in pixels: top-left corner and size. */
typedef struct nd_rect {
    int x, y, w, h;
} nd_rect;

typedef struct nd_detect_params {
    double scale_factor; /* pyramid step, > 1 (OpenCV default 1.1) */
    int min_neighbors;   /* hits a group needs beyond the first (OpenCV default 3) */
    int min_size;        /* smallest face side in pixels (0: the cascade window) */
    int max_size;        /* largest face side in pixels (0: no limit) */
} nd_detect_params;

void nd_detect_params_default(nd_detect_params *params);

/* Reads a cascade XML file. Fails naming the file on another format,
 * features of a kind this code does not evaluate (tilted rectangles, LBP)
 * or malformed numbers. */
nd_cascade *nd_cascade_load(const char *path);
void nd_cascade_free(nd_cascade *cascade);

/* Path of OpenCV's haarcascade_frontalface_alt2.xml as Debian's opencv-data
 * installs it. Of OpenCV's frontal face cascades it gave no false faces on
 * Megamind.avi (opencv-doc) and movie-hello.mp4 (forensics-samples-files),
 * where haarcascade_frontalface_default.xml locks on a bookshelf. */
const char *nd_cascade_default_path(void);

/* Window size the cascade was trained on (24 x 24 for the frontal faces). */
void nd_cascade_window(const nd_cascade *cascade, int *width, int *height);

/* Finds faces in a grey image (w x h bytes, row stride w). Returns the
 * number of faces and a new array of them in *faces (free it), sorted by
 * position. */
int nd_cascade_detect(const nd_cascade *cascade, const uint8_t *grey, int w, int h,
                      const nd_detect_params *params, nd_rect **faces);

/* Converts RGB to grey with OpenCV's integer BT.601 weights
 * (R 4899, G 9617, B 1868, divided by 2^14 with rounding). */
void nd_rgb_to_grey(const uint8_t *rgb, int w, int h, uint8_t *grey);

/* Spreads the grey levels over 0..255 like OpenCV's equalizeHist, in place. */
void nd_grey_equalize(uint8_t *grey, int w, int h);

/* Shrinks a grey image by area averaging (every output pixel is the mean
 * of the source area it covers); out_w <= w, out_h <= h. */
void nd_grey_shrink(const uint8_t *src, int w, int h, uint8_t *dst, int out_w, int out_h);

#endif
