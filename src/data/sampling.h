/* Frame sampling of NR-DFERNet: a clip of N frames is cut into U = T / 2
 * segments, and V = 2 consecutive frames are taken from each segment. */
#ifndef ND_DATA_SAMPLING_H
#define ND_DATA_SAMPLING_H

#include "util/rng.h"

/* What to do with a clip that has fewer than T frames. */
typedef enum nd_short_clip_policy {
    ND_SHORT_CLIP_SAMPLE,   /* apply the sampling formulas to the N frames */
    ND_SHORT_CLIP_PAD_LAST, /* repeat the last frame until there are T */
    ND_SHORT_CLIP_LOOP,     /* repeat the clip from its first frame until there are T */
    ND_SHORT_CLIP_DROP,     /* leave the clip out */
    ND_SHORT_CLIP_ERROR     /* fail */
} nd_short_clip_policy;

/* Outcome of nd_short_clip_frames. */
typedef enum nd_short_clip_result {
    ND_SHORT_CLIP_USE = 0, /* sample from the returned frame list */
    ND_SHORT_CLIP_SKIP,    /* the policy is drop and the clip is short */
    ND_SHORT_CLIP_FAIL     /* the policy is error and the clip is short */
} nd_short_clip_result;

/* Parses "sample", "pad-last", "loop", "drop" or "error"; returns 0, or -1
 * with nd_fail() naming the value and the accepted names. */
int nd_short_clip_parse(const char *name, nd_short_clip_policy *policy);
const char *nd_short_clip_name(nd_short_clip_policy policy);

/* Builds the frame list the sampler sees: frames[i] is an index into the
 * clip's N frames, *count receives its length (N, or T when a short clip is
 * padded or looped; frames has room for max(N, T) entries). Returns what to
 * do with the clip; for SKIP and FAIL, frames is left unset. N >= 1. */
nd_short_clip_result nd_short_clip_frames(int *frames, int *count, int n, int t,
                                          nd_short_clip_policy policy);

/* Test sampling (deterministic) of T frame indices in [0, N), ordered
 * segment 0 frame 0, segment 0 frame 1, segment 1 frame 0, ...
 * With U = T / 2: if N > U + 1, tick = (N - 1) / U and offset k is
 * floor(tick / 2 + tick * k); otherwise every offset is 0. Offset p gives
 * frames p and p + 1, or p twice when p is the last frame. T is even, >= 2. */
void nd_sample_test(int *indices, int n, int t);

/* Training sampling: avg = (N - 1) div U; if avg > 0, offset k is
 * k * avg + a uniform integer in [0, avg - 1]; else if N > U the offsets are
 * U sorted uniform integers in [0, N - 2]; else every offset is 0. Frames
 * follow from the offsets as in nd_sample_test. */
void nd_sample_train(int *indices, int n, int t, nd_rng *rng);

#endif
