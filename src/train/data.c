#include "train/data.h"

#include <string.h>

#include "util/error.h"

int nd_data_dataset_options(const nd_data_settings *s, int frames, nd_dataset_options *o) {
    nd_dataset_options_init(o);
    o->name = s->dataset;
    o->root = s->root;
    if (s->fold > 0)
        o->fold = s->fold;
    o->frames_dir = s->frames_dir;
    o->train_list = s->train_list;
    o->test_list = s->test_list;
    o->strip_prefix = s->strip_prefix;
    o->frames = frames;
    o->face_detect = s->face_detect;
    o->cascade = s->cascade;
    if (s->short_clips && nd_short_clip_parse(s->short_clips, &o->short_clips) != 0)
        return -1;
    if (s->bad_clips && nd_bad_clips_parse(s->bad_clips, &o->bad_clips) != 0)
        return -1;
    return 0;
}

int nd_data_open(const nd_data_settings *s, int frames, nd_dataset **dataset) {
    nd_dataset_options o;
    if (nd_data_dataset_options(s, frames, &o) != 0)
        return -1;
    return nd_dataset_open(&o, dataset);
}

void nd_data_loader_options(const nd_data_settings *s, const nrdfer_config *config,
                            int batch, uint64_t seed, int train, nd_loader_options *o) {
    nd_loader_options_init(o);
    o->batch_size = batch;
    o->frames = config->frames;
    o->image_size = config->image_size;
    o->threads = s->loader_threads;
    o->seed = seed;
    o->bad_clips = ND_BAD_CLIPS_ERROR;
    if (s->bad_clips)
        nd_bad_clips_parse(s->bad_clips, &o->bad_clips);
    if (train) {
        o->shuffle = 1;
        o->drop_last = 1;
        o->augment = s->augment;
        o->random_sampling = !s->train_center;
    }
}

int nd_data_check_labels(const nd_dataset *ds, const nrdfer_config *config) {
    if (ds->num_classes != config->num_classes)
        return nd_fail("the model has %d classes but dataset '%s' has %d: train a model for "
                       "this dataset (or use --init with --reset-head)",
                       config->num_classes, ds->name, ds->num_classes);
    for (int c = 0; c < ds->num_classes; c++)
        if (strcmp(ds->labels[c], config->labels[c]) != 0)
            return nd_fail("class %d is '%s' in the model but '%s' in dataset '%s': the "
                           "class order must match",
                           c, config->labels[c], ds->labels[c], ds->name);
    return 0;
}
