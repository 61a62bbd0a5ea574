/* The synthetic benchmark: procedurally drawn face clips of the 7 DFEW
 * expressions, written in DFEW's layout so that every dataset path of
 * nrdfer can be trained and tested without a licensed dataset.
 *
 *   DIR/Clip/clip_224x224/<id:05d>/<id:05d>_<frame>.jpg   frames from 1
 *   DIR/EmoLabel_DataSplit/train(single-labeled)/set_<K>.csv   K = 1..5
 *   DIR/EmoLabel_DataSplit/test(single-labeled)/set_<K>.csv
 *   DIR/videos/<id:05d>.mp4                                  with videos
 *   DIR/synth.json          settings and per-clip ground truth, written last
 *
 * The folder name clip_224x224 is DFEW's (whose crops are really 256 x 256);
 * the frames here are size x size. The CSVs have the header
 * "video_name,label", the id without leading zeros as in DFEW, and labels
 * 1..7 for happy, sad, neutral, angry, surprise, disgust, fear. Each clip
 * belongs to one test fold; the folds are stratified by class. */
#ifndef ND_DATA_SYNTH_H
#define ND_DATA_SYNTH_H

#include <stdint.h>

#include "data/synth_plan.h"

#define ND_SYNTH_MAX_CLIPS 99999
#define ND_SYNTH_MIN_CLIPS 5
#define ND_SYNTH_FOLDS 5
#define ND_SYNTH_JPEG_QUALITY 90
#define ND_SYNTH_FPS 25
/* Largest seed that a JSON number (an IEEE double) stores exactly. */
#define ND_SYNTH_MAX_SEED 9007199254740991ULL

typedef struct nd_synth_options {
    const char *out_dir;
    int clips;           /* ND_SYNTH_MIN_CLIPS..ND_SYNTH_MAX_CLIPS */
    uint64_t seed;       /* 0..ND_SYNTH_MAX_SEED */
    nd_synth_noise noise;
    int videos;          /* 1: also write DIR/videos/<id>.mp4 */
    int size;            /* frame width and height in pixels, 32..1024 */
    int threads;         /* worker threads, 1..256 */
    int force;           /* 1: write into a non-empty folder that is not a synth output */

    /* Called after each finished clip (from worker threads, one at a time). */
    void (*progress)(int done, int total, void *data);
    void *progress_data;
} nd_synth_options;

/* Generates the dataset. The output is a function of the seed and the other
 * settings only: each clip is drawn from nd_rng_derive(seed, clip index, 0),
 * so the thread count does not change a byte. Rejects a non-empty out_dir
 * that contains no synth.json unless force is set. Returns 0, or -1 with
 * nd_fail() set. */
int nd_synth_generate(const nd_synth_options *options);

#endif
