/* Dataset videos as face clips for the clip loader. A scan decodes the
 * video once, counts its frames and tracks the face with the detector and
 * tracker of nrdfer predict (detection every ND_DETECT_PERIOD seconds).
 * Reading decodes the video again and returns square face crops of the
 * requested frames only, so a clip costs two decodes and no more memory than
 * the frames the sampling chose. */
#ifndef ND_VIDEO_FACECLIP_H
#define ND_VIDEO_FACECLIP_H

#include "data/image.h"
#include "video/cascade.h"
#include "video/track.h"

/* Frame count and face box of every frame of one video. */
typedef struct nd_face_scan {
    int num_frames;
    int width, height; /* displayed size of the first frame */
    int mixed_sizes;   /* 1 when later frames have another size */
    nd_box *boxes;     /* num_frames boxes, or NULL: the whole frame is used */
    int skipped;       /* corrupt packets and frames that the decoder skipped */
} nd_face_scan;

/* Runs the cascade on frame (RGB) after the grey conversion, shrinking and
 * equalisation of nrdfer predict, and adds the faces found to tracker as
 * frame index. Returns the number of faces. */
int nd_detect_frame(const nd_cascade *cascade, const nd_image *frame, nd_tracker *tracker,
                    int index);

/* Scans the video at path. With a cascade, the face is the track that
 * covers the most frames (ties: the larger mean box), and frames outside it
 * take its nearest box. When no face is found, boxes stays NULL and
 * *face_found is 0. Without a cascade, boxes is NULL too, so the whole
 * frame is used. Returns 0, or -1 with nd_fail() naming the file. */
int nd_face_scan_video(const char *path, const nd_cascade *cascade, nd_face_scan *scan,
                       int *face_found);

/* Decodes the video again and writes, for each of the count frame indices
 * (strictly increasing, each below scan->num_frames), the face crop
 * (nd_face_crop_rect of its box, black outside the frame) resized to side x
 * side, or the whole frame resized when scan->boxes is NULL. Returns 0, or
 * -1 with nd_fail() naming the file and frame when the video ends early. */
int nd_face_read_frames(const char *path, const nd_face_scan *scan, const int *indices,
                        int count, int side, nd_image *out);

void nd_face_scan_free(nd_face_scan *scan);

#endif
