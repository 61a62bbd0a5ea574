/* Checkpoints: safetensors files holding the model's tensors under the
 * PyTorch names of model.md, the config as JSON under the metadata key
 * "nrdfer", and for resumable training the optimizer state ("optim.<kind>.<name>"
 * tensors) plus a caller's JSON under the metadata key "nrdfer_train". */
#ifndef ND_MODEL_CHECKPOINT_H
#define ND_MODEL_CHECKPOINT_H

#include <cjson/cJSON.h>

#include "nrdfer.h"

/* Writes model (and, when with_optimizer, its optimizer state and step count)
 * to path through a temporary file and a rename. train_state, when not NULL,
 * is stored as a JSON string under "nrdfer_train" (random state, epoch,
 * loader position: whatever the trainer needs to resume). */
int nd_checkpoint_save(const nrdfer_model *model, const char *path, int with_optimizer,
                       const cJSON *train_state);

/* Loads weights (and optimizer state when with_optimizer) from path into
 * model, all or nothing. When train_state is not NULL it receives the parsed
 * "nrdfer_train" JSON (NULL if the file has none; free with cJSON_Delete). */
int nd_checkpoint_load(nrdfer_model *model, const char *path, int with_optimizer,
                       cJSON **train_state);

/* Reads only the config stored in a checkpoint's metadata. */
int nd_checkpoint_read_config(const char *path, nrdfer_config *config);

#endif
