/* Clip loading: sampling, decoding of the sampled frames, transforms. */
#include "data/clip.h"

#include <stdlib.h>

#include "data/augment.h"
#include "data/resize.h"
#include "util/error.h"
#include "util/log.h"

int nd_clip_sample(int *indices, int n, const nd_clip_options *options, nd_rng *rng,
                   const char *clip_name) {
    int t = options->frames;
    ND_ASSERT(t >= 2 && t % 2 == 0);
    if (n < 1)
        return nd_fail("clip '%s' has no frames; remove it from the list", clip_name);

    /* Short-clip policy first, then sampling over the resulting frame list. */
    int *list = nd_malloc(sizeof(int) * (size_t)(n > t ? n : t));
    int count = 0;
    nd_short_clip_result result = nd_short_clip_frames(list, &count, n, t, options->short_policy);
    if (result == ND_SHORT_CLIP_SKIP) {
        free(list);
        return ND_CLIP_DROPPED;
    }
    if (result == ND_SHORT_CLIP_FAIL) {
        free(list);
        return nd_fail("clip '%s' has %d frames, fewer than the model's %d; choose a "
                       "short-clip policy (sample, pad-last, loop or drop) to accept it",
                       clip_name, n, t);
    }

    int *positions = nd_malloc(sizeof(int) * (size_t)t);
    if (options->train) {
        ND_ASSERT(rng);
        nd_sample_train(positions, count, t, rng);
    } else {
        nd_sample_test(positions, count, t);
    }
    for (int i = 0; i < t; i++)
        indices[i] = list[positions[i]];
    free(positions);
    free(list);
    return ND_CLIP_LOADED;
}

/* Transforms the sampled frames into out. frames[i] holds clip frame i for
 * every sampled index i (other entries are unused). */
static void transform_frames(float *out, nd_clip_trace *trace, const int *indices,
                             const nd_image *frames, const nd_clip_options *options,
                             nd_rng *rng, const char *clip_name) {
    int t = options->frames, s = options->size;
    size_t frame_floats = (size_t)3 * s * s;
    const nd_image *reference = &frames[indices[0]];
    nd_augment_params params;
    if (options->train) {
        nd_augment_draw(&params, reference->width, reference->height, rng);
        if (trace)
            trace->augment = params;
    }
    if (trace && trace->indices) {
        for (int i = 0; i < t; i++)
            trace->indices[i] = indices[i];
    }

    int warned = 0;
    for (int i = 0; i < t; i++) {
        const nd_image *frame = &frames[indices[i]];
        nd_image result, scaled = {0, 0, NULL};
        if (!options->train) {
            nd_test_transform(&result, frame, s);
        } else {
            /* One crop for the whole clip needs frames of one size. */
            if (frame->width != reference->width || frame->height != reference->height) {
                if (!warned)
                    nd_log_warn("clip '%s': frame %d is %d x %d but frame %d is %d x %d; "
                                "resizing it before augmentation",
                                clip_name, indices[i], frame->width, frame->height,
                                indices[0], reference->width, reference->height);
                warned = 1;
                nd_resize_bilinear(&scaled, frame, NULL, reference->width, reference->height);
                frame = &scaled;
            }
            nd_augment_apply(&result, frame, &params, s);
            nd_image_free(&scaled);
        }
        nd_image_to_chw(out + (size_t)i * frame_floats, &result);
        nd_image_free(&result);
    }
}

int nd_clip_load_frames(float *out, nd_clip_trace *trace, const nd_image *frames, int n,
                        const nd_clip_options *options, nd_rng *rng, const char *clip_name) {
    int t = options->frames;
    int *sampled = nd_malloc(sizeof(int) * (size_t)t);
    int rc = nd_clip_sample(sampled, n, options, rng, clip_name);
    if (rc == ND_CLIP_LOADED)
        transform_frames(out, trace, sampled, frames, options, rng, clip_name);
    free(sampled);
    return rc;
}

int nd_clip_load_files(float *out, nd_clip_trace *trace, const char *const *paths, int n,
                       const nd_clip_options *options, nd_rng *rng) {
    int t = options->frames;
    const char *clip_name = n > 0 ? paths[0] : "(empty)";
    int *sampled = nd_malloc(sizeof(int) * (size_t)t);
    int rc = nd_clip_sample(sampled, n, options, rng, clip_name);
    if (rc != ND_CLIP_LOADED) {
        free(sampled);
        return rc;
    }

    /* Decode each distinct sampled frame once. */
    nd_image *frames = nd_calloc((size_t)n, sizeof(nd_image));
    for (int i = 0; i < t && rc == ND_CLIP_LOADED; i++) {
        nd_image *frame = &frames[sampled[i]];
        if (!frame->rgb && nd_image_load(paths[sampled[i]], frame) < 0)
            rc = -1;
    }
    if (rc == ND_CLIP_LOADED)
        transform_frames(out, trace, sampled, frames, options, rng, clip_name);
    for (int i = 0; i < n; i++)
        nd_image_free(&frames[i]);
    free(frames);
    free(sampled);
    return rc;
}
