#include "train/source.h"

#include <string.h>

#include "util/error.h"

int nd_source_open(const nd_source_options *options, nd_split_kind split,
                   const nrdfer_config *config, nd_clip_source *source) {
    memset(source, 0, sizeof *source);
    /* TODO: connect the dataset readers (nd_dataset_open and its threaded
     * loader) once they are part of the library. */
    return nd_fail("dataset '%s': the dataset readers are not part of this build yet",
                   options->dataset);
}

void nd_source_close(nd_clip_source *source) {
    if (source->close)
        source->close(source->impl);
    memset(source, 0, sizeof *source);
}
