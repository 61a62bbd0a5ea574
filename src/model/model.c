/* TODO: placeholder API so that every part links while the engine is written. */
#include "nrdfer.h"
#include "model/checkpoint.h"
#include "util/error.h"

static int missing(void) {
    return nd_fail("the NR-DFERNet engine is not part of this build yet");
}

void nrdfer_set_threads(int threads) {
}
nrdfer_model *nrdfer_model_create(const nrdfer_config *config, uint64_t seed) {
    missing();
    return NULL;
}
nrdfer_model *nrdfer_model_load(const char *path) {
    missing();
    return NULL;
}
int nrdfer_model_load_weights(nrdfer_model *model, const char *path) {
    return missing();
}
int nrdfer_model_save(const nrdfer_model *model, const char *path) {
    return missing();
}
void nrdfer_model_free(nrdfer_model *model) {
}
const nrdfer_config *nrdfer_model_config(const nrdfer_model *model) {
    return NULL;
}
size_t nrdfer_model_num_params(const nrdfer_model *model) {
    return 0;
}
double nrdfer_model_flops_per_clip(const nrdfer_model *model) {
    return 0;
}
int nrdfer_model_predict(nrdfer_model *model, const float *clips, int n,
                         nrdfer_prediction *out) {
    return missing();
}
int nrdfer_model_train_step(nrdfer_model *model, const float *clips, const int *labels, int n,
                            const nrdfer_optimizer_config *opt, float lr, float label_smoothing,
                            float *loss) {
    return missing();
}
void nrdfer_model_reset_optimizer(nrdfer_model *model) {
}
int nd_checkpoint_save(const nrdfer_model *model, const char *path, int with_optimizer,
                       const cJSON *train_state) {
    return missing();
}
int nd_checkpoint_load(nrdfer_model *model, const char *path, int with_optimizer,
                       cJSON **train_state) {
    return missing();
}
int nd_checkpoint_read_config(const char *path, nrdfer_config *config) {
    return missing();
}
