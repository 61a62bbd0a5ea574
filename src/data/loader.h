/* Threaded clip loader: decodes, samples and transforms clips on worker
 * threads (pthreads) into a bounded prefetch queue and hands them out in
 * batches of float clips [B][T][3][S][S].
 *
 * The batches do not depend on the thread count. The epoch's order comes
 * from a shuffle seeded by (seed, epoch), and each clip's random draws come
 * from nd_rng_derive(seed, epoch, clip index). Batches are assembled in
 * order position, whichever worker finished first. A clip that fails to
 * load stops the epoch (ND_BAD_CLIPS_ERROR, naming the clip) or is logged,
 * counted and replaced by the next clip in the order (ND_BAD_CLIPS_SKIP).
 *
 * Example:
 *     nd_loader_options o;
 *     nd_loader_options_init(&o);
 *     nd_loader *l = nd_loader_create(ds, ND_SPLIT_TRAIN, NULL, 0, &o);
 *     nd_batch b;
 *     int rc;
 *     nd_loader_start_epoch(l, epoch, 0);
 *     while ((rc = nd_loader_next(l, &b)) == 1)
 *         train_on(b.clips, b.labels, b.count);
 *     if (rc < 0) fprintf(stderr, "%s\n", nd_last_error());
 */
#ifndef ND_DATA_LOADER_H
#define ND_DATA_LOADER_H

#include <stdint.h>

#include "data/dataset.h"

typedef struct nd_loader_options {
    int batch_size;      /* B (default 32) */
    int drop_last;       /* 1: drop a last batch smaller than B (default 0) */
    int shuffle;         /* 1: order shuffled by (seed, epoch) (default 0) */
    uint64_t seed;       /* shuffle and per-clip random draws (default 0) */
    int augment;         /* 1: training augmentation, 0: test resize (default 0) */
    int random_sampling; /* 1: training frame sampling, 0: test sampling (default 0) */
    int frames;          /* T (default 16) */
    int image_size;      /* S (default 112) */
    int threads;         /* worker threads; 0 loads in the calling thread (default 2) */
    int prefetch;        /* clips decoded ahead (default: max(B, 2 * threads)) */
    nd_bad_clips bad_clips; /* default ND_BAD_CLIPS_ERROR */
} nd_loader_options;

/* One batch; its arrays belong to the loader and stay valid until the next
 * nd_loader_next, nd_loader_start_epoch or nd_loader_free. */
typedef struct nd_batch {
    int count;    /* clips in this batch: B, or fewer in a last batch */
    float *clips; /* [count][T][3][S][S], values byte / 255 */
    int *labels;  /* [count] */
    int *indices; /* [count] indices into the split's clips */
} nd_batch;

typedef struct nd_loader nd_loader;

void nd_loader_options_init(nd_loader_options *options);

/* Creates a loader over split (ND_SPLIT_*) of ds, restricted to indices
 * (count entries, indices into the split's clips) or over the whole split
 * when indices is NULL. Repeats are allowed.
 * NOTE: a clip listed twice gets the same random draws both times in an
 * epoch, because its stream is (seed, epoch, clip index). ds must outlive the loader.
 * Starts the worker threads. Returns NULL with nd_fail() on invalid options. */
nd_loader *nd_loader_create(const nd_dataset *ds, int split, const int *indices,
                            int count, const nd_loader_options *options);

/* Starts an epoch at order position `position` (0 for the start; resuming
 * passes the value nd_loader_position returned). Waits for work in flight. */
int nd_loader_start_epoch(nd_loader *loader, int epoch, int position);

/* Fills batch with the next batch of the epoch. Returns 1 for a batch, 0
 * at the end of the epoch, and -1 when a clip failed under
 * ND_BAD_CLIPS_ERROR. Then nd_fail() names the clip, and the epoch cannot
 * continue until nd_loader_start_epoch. */
int nd_loader_next(nd_loader *loader, nd_batch *batch);

/* Returns the order position of the next clip to hand out: with the epoch,
 * this is the loader state a checkpoint stores for resuming. */
int nd_loader_position(const nd_loader *loader);

/* Returns the clips in one epoch's order (the index list's length). */
int nd_loader_size(const nd_loader *loader);

/* Returns the clips skipped as bad since the loader was created. */
int nd_loader_skipped(const nd_loader *loader);

/* Stops the worker threads and frees the loader. NULL is allowed. */
void nd_loader_free(nd_loader *loader);

#endif
