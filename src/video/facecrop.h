/* Face crops for the model: a square around the face box, resized to the
 * model's S x S input with the Pillow-exact bilinear resize. */
#ifndef ND_VIDEO_FACECROP_H
#define ND_VIDEO_FACECROP_H

#include "data/image.h"
#include "video/track.h"

/* Side of the square crop relative to the longer side of the face box. The
 * Haar box spans brows to mouth, so 1.25 takes in the whole face. */
#define ND_FACE_MARGIN 1.25f

/* Computes the square crop of a face box in a width x height frame: side
 * ND_FACE_MARGIN * max(w, h), centred on the box, shifted inside the frame
 * when it fits, centred on the frame (and padded) when it does not. */
void nd_face_crop_rect(const nd_box *box, int width, int height, int *x, int *y, int *side);

/* Copies the side x side square at (x, y) of frame into a new image dst,
 * black where the square leaves the frame. */
void nd_face_square(nd_image *dst, const nd_image *frame, int x, int y, int side);

/* Writes the model input of one frame, float [3][size][size] = byte / 255:
 * the face crop of box (black where it leaves the frame), or the whole
 * frame when box is NULL. An image already size x size is not resized. */
void nd_face_crop(const nd_image *frame, const nd_box *box, int size, float *out);

#endif
