/* Loading of one clip: frame sampling, then decoding and the training
 * augmentation or test transform of the sampled frames, into the model's
 * input layout float [T][3][S][S] with values byte / 255. */
#ifndef ND_DATA_CLIP_H
#define ND_DATA_CLIP_H

#include "data/augment.h"
#include "data/image.h"
#include "data/sampling.h"
#include "util/rng.h"

typedef struct nd_clip_options {
    int train;                         /* 1: random sampling and augmentation */
    int frames;                        /* T, even */
    int size;                          /* S, output side in pixels */
    nd_short_clip_policy short_policy; /* clips with fewer than T frames */
} nd_clip_options;

/* What a loader sampled and drew, for logs and tests. */
typedef struct nd_clip_trace {
    int *indices;              /* T sampled frame indices; set by the caller (NULL: skip) */
    nd_augment_params augment; /* training draws (unset in test mode) */
} nd_clip_trace;

/* Return values of the loaders besides -1 (error, nd_fail set). */
#define ND_CLIP_LOADED 0
#define ND_CLIP_DROPPED 1 /* short clip under the drop policy; out is untouched */

/* Computes the T frame indices (into the clip's N frames) that the loaders
 * use, after the short-clip policy. Training draws come first from rng, so a
 * loader given the same rng state repeats them. Returns ND_CLIP_LOADED,
 * ND_CLIP_DROPPED, or -1 under the error policy (nd_fail names clip_name). */
int nd_clip_sample(int *indices, int n, const nd_clip_options *options, nd_rng *rng,
                   const char *clip_name);

/* Loads a clip from its N frame files in temporal order: samples indices,
 * decodes each distinct sampled file once, then augments (train, one draw
 * from rng after the sampling draws, shared by all frames) or test-resizes
 * each frame. In training, a frame whose size differs from the first sampled
 * frame's is first resized to that size, with a warning. rng may be NULL in
 * test mode. trace (may be NULL) receives the indices and draws. */
int nd_clip_load_files(float *out, nd_clip_trace *trace, const char *const *paths, int n,
                       const nd_clip_options *options, nd_rng *rng);

/* Same as nd_clip_load_files for frames already decoded (video). */
int nd_clip_load_frames(float *out, nd_clip_trace *trace, const nd_image *frames, int n,
                        const nd_clip_options *options, nd_rng *rng, const char *clip_name);

#endif
