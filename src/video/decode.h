/* Video decoding through libavformat, libavcodec and libswscale. Frames come
 * out as 8-bit RGB in display orientation, because the stream's display
 * matrix is applied. Each frame carries its presentation time in seconds
 * from the first frame, so variable frame rates keep their real timing. */
#ifndef ND_VIDEO_DECODE_H
#define ND_VIDEO_DECODE_H

#include <stdint.h>

typedef struct nd_decoder nd_decoder;

/* Properties of the opened video stream. */
typedef struct nd_video_info {
    int width, height;   /* displayed size, after rotation */
    int rotation;        /* clockwise rotation applied: 0, 90, 180 or 270 degrees */
    double fps;          /* average frame rate from the container (0 when unknown) */
    double duration;     /* container duration in seconds (0 when unknown) */
    const char *codec;   /* decoder name, e.g. "h264" */
    const char *format;  /* FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
} nd_video_info;

/* One decoded frame; rgb is owned by the decoder and valid until the next call. */
typedef struct nd_video_frame {
    const uint8_t *rgb;  /* height x width x 3 */
    int width, height;
    double time;         /* presentation time in seconds, 0 for the first frame */
} nd_video_frame;

/* Opens the best video stream of path with threads decoding threads (0: auto).
 * Returns NULL with nd_fail() naming the file when it cannot be read or has
 * no video stream. */
nd_decoder *nd_decoder_open(const char *path, int threads);

const nd_video_info *nd_decoder_info(const nd_decoder *decoder);

/* Decodes the next frame. Returns 1 with *frame filled, 0 at the end of the
 * stream, -1 on a failure that stops decoding. The RGB conversion is done
 * only when want_rgb is set (frame->rgb is NULL otherwise). Corrupt packets
 * and frames are skipped with a warning; nd_decoder_skipped() counts them. */
int nd_decoder_next(nd_decoder *decoder, nd_video_frame *frame, int want_rgb);

/* Converts the frame last returned by nd_decoder_next() to RGB, filling
 * frame->rgb. Returns 0 or -1. */
int nd_decoder_convert(nd_decoder *decoder, nd_video_frame *frame);

int nd_decoder_skipped(const nd_decoder *decoder);

void nd_decoder_close(nd_decoder *decoder);

#endif
