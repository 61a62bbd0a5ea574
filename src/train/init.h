/* Starting weights of a run from another checkpoint whose classifier does
 * not fit: fine-tuning on a dataset with other classes (MAFW's 11 after
 * DFEW's 7, say) keeps every tensor but the head. */
#ifndef ND_TRAIN_INIT_H
#define ND_TRAIN_INIT_H

#include "nrdfer.h"

/* Copies every tensor of the checkpoint at path into model except head.*,
 * which keeps the model's own initialisation. The checkpoint's architecture
 * must be the model's apart from the classes. Returns 0, or -1 with
 * nd_fail() naming the differing setting. */
int nd_init_load_except_head(nrdfer_model *model, const char *path);

#endif
