/* Video output through FFmpeg's libavformat and libavcodec: 8-bit RGB frames
 * in, a compressed file out. The codec is H.264 through libx264 when the
 * FFmpeg build has that encoder, otherwise MPEG-4 part 2; the container comes
 * from the file name (.mp4, .mkv, .avi, ...). The file is written under
 * "<path>.tmp" and renamed onto path by nd_video_encoder_close(), so a
 * failed or aborted encoding never leaves a half-written file under path.
 *
 * Example:
 *     nd_video_encoder *enc = nd_video_encoder_open("out.mp4", 320, 240, 25);
 *     for (...) if (nd_video_encoder_add_frame(enc, rgb) != 0) { abort, fail }
 *     if (nd_video_encoder_close(enc) != 0) fail;
 */
#ifndef ND_VIDEO_ENCODE_H
#define ND_VIDEO_ENCODE_H

#include <stdint.h>

typedef struct nd_video_encoder nd_video_encoder;

/* Opens path for a video of width x height pixels (both even, because the
 * encoders store 4:2:0 chroma) at fps frames per second. Encodes on one
 * thread with bit-exact flags, so the same frames give the same file.
 * Returns NULL with nd_fail() set when the size, the container or the codec
 * is not usable. */
nd_video_encoder *nd_video_encoder_open(const char *path, int width, int height, int fps);

/* Encodes one frame, rgb being height x width x 3 bytes, row-major. */
int nd_video_encoder_add_frame(nd_video_encoder *enc, const uint8_t *rgb);

/* Flushes the encoder, finishes the container, renames the file onto its
 * final path and frees enc. Returns 0, or -1 with nd_fail() set (the
 * temporary file is then removed). */
int nd_video_encoder_close(nd_video_encoder *enc);

/* Frees enc and removes the temporary file without finishing it. */
void nd_video_encoder_abort(nd_video_encoder *enc);

/* Name of the codec in use ("libx264" or "mpeg4"). */
const char *nd_video_encoder_codec(const nd_video_encoder *enc);

#endif
