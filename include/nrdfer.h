/* nrdfer: NR-DFERNet for dynamic facial expression recognition, in C.
 *
 * NR-DFERNet (Li, Sui, Zhu, Zhao, arXiv 2206.04975, 2022) classifies a face
 * video of T frames into one of 7 expressions. This header is the public
 * API: model configuration, creation, checkpoints, inference and training.
 *
 * Clips are float arrays [n][T][3][S][S], RGB values byte / 255 in [0, 1],
 * S = image_size. Functions that can fail return 0 on success and -1 on
 * failure, and constructors return NULL. nrdfer_last_error() then returns a
 * message that names the file or value. The library never exits the process.
 *
 * Example:
 *     nrdfer_model *m = nrdfer_model_load("best.safetensors");
 *     nrdfer_prediction p;
 *     if (!m || nrdfer_model_predict(m, clip, 1, &p) != 0)
 *         fprintf(stderr, "%s\n", nrdfer_last_error());
 *     else
 *         printf("%s %.3f\n", nrdfer_model_config(m)->labels[p.label], p.probs[p.label]);
 */
#ifndef NRDFER_H
#define NRDFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NRDFER_MAX_CLASSES 16
#define NRDFER_LABEL_LEN 32

/* ---- Errors and logging ---- */

typedef enum nrdfer_log_level {
    NRDFER_LOG_DEBUG,
    NRDFER_LOG_INFO,
    NRDFER_LOG_WARN,
    NRDFER_LOG_ERROR
} nrdfer_log_level;

typedef void (*nrdfer_log_callback)(nrdfer_log_level level, const char *message, void *data);

/* Message of the last failed call in this thread. */
const char *nrdfer_last_error(void);
void nrdfer_set_log_level(nrdfer_log_level level);
/* Routes log messages to callback instead of stderr; NULL restores stderr. */
void nrdfer_set_log_callback(nrdfer_log_callback callback, void *data);
/* Sets the number of threads the compute kernels use (0: all cores). */
void nrdfer_set_threads(int threads);

/* ---- Configuration ---- */

/* Architecture and decision settings. The "paper" preset is the model of
 * the NR-DFERNet paper: 16 frames of 112 x 112 and ResNet-18's stem to
 * layer3 with 64/128/256 channels. DSF works at 256 channels on a 4 x 4
 * grid, giving 15 tokens of 4096. The static and temporal transformers have
 * 2 blocks of 4 heads of 32.
 * The "small" preset keeps every part but uses 64 x 64 images and a quarter
 * of the channels (16/32/64, 2 x 2 grid, tokens of 256), for fast runs. */
typedef struct nrdfer_config {
    int frames;      /* T: frames per clip (even, >= 4) */
    int image_size;  /* S: square input size in pixels */
    int num_classes; /* classes in labels[] */
    char labels[NRDFER_MAX_CLASSES][NRDFER_LABEL_LEN];

    int stem_channels;   /* stem and layer1 width (paper 64) */
    int layer2_channels; /* paper 128 */
    int layer3_channels; /* layer3 and DSF width (paper 256) */
    int head_dim;        /* attention width per head in both transformers (32) */
    int static_blocks;   /* transformer blocks of the static branch (2) */
    int static_heads;    /* (4) */
    int static_mlp;      /* MLP hidden width of the static blocks (256) */
    int temporal_blocks; /* (2) */
    int temporal_heads;  /* (4) */
    int temporal_mlp;    /* MLP hidden width of the temporal blocks (512) */

    /* Ablation switches; the paper model has all four set to their default. */
    int static_branch;     /* 1: DSF keeps its static branch (default 1) */
    int dynamic_branch;    /* 1: DSF keeps its dynamic branch (default 1) */
    int learned_cls_token; /* 1: learned class token instead of DCT (default 0) */
    /* 1: the single-frame baseline instead of NR-DFERNet (default 0): stem to
     * layer3 on each frame, global average pooling, the mean over the frames
     * and a linear head. Its snippets are frames 2k..2k+3, the frames that
     * NR-DFERNet's snippet k covers. Needs static_branch = dynamic_branch = 0
     * and learned_cls_token = 0. */
    int single_frame;

    /* Snippet-based filter, applied by predict and eval only. */
    int snippet_filter;        /* 1: on (default) */
    float sf_neutral_max;      /* a snippet is confident when p[neutral] <= this (0.03) */
    float sf_confidence_min;   /* ... and max p > this (0.75) */
} nrdfer_config;

void nrdfer_config_paper(nrdfer_config *config);
void nrdfer_config_small(nrdfer_config *config);
/* Fills config from a preset name ("paper" or "small"); -1 on an unknown name. */
int nrdfer_config_preset(nrdfer_config *config, const char *name);
/* Checks the settings for consistency; -1 with a message naming the setting. */
int nrdfer_config_validate(const nrdfer_config *config);
/* Index of the class named "neutral", or -1 when there is none. */
int nrdfer_config_neutral_index(const nrdfer_config *config);

/* ---- Model ---- */

typedef struct nrdfer_model nrdfer_model;

/* Creates a model with weights initialised from seed (Kaiming normal for
 * convolutions, PyTorch's default for linear layers, normal(0, 1) for
 * position embeddings). */
nrdfer_model *nrdfer_model_create(const nrdfer_config *config, uint64_t seed);
/* Loads a safetensors checkpoint; its config comes from the file's metadata. */
nrdfer_model *nrdfer_model_load(const char *path);
/* Loads weights from a safetensors file into an existing model. Fails without
 * changing the model when a tensor is missing, unexpected or of another shape,
 * or when the file's config differs from the model's. */
int nrdfer_model_load_weights(nrdfer_model *model, const char *path);
/* Writes a safetensors checkpoint (temporary file, then rename). */
int nrdfer_model_save(const nrdfer_model *model, const char *path);
void nrdfer_model_free(nrdfer_model *model);

const nrdfer_config *nrdfer_model_config(const nrdfer_model *model);
/* Switches the snippet filter of predict on (1) or off (0). */
void nrdfer_model_set_snippet_filter(nrdfer_model *model, int on);
size_t nrdfer_model_num_params(const nrdfer_model *model);
/* Forward floating-point operations for one clip (multiply-add = 2). */
double nrdfer_model_flops_per_clip(const nrdfer_model *model);

typedef struct nrdfer_prediction {
    int label;              /* argmax of probs */
    int neutral_suppressed; /* 1 when the snippet filter removed "neutral" */
    float probs[NRDFER_MAX_CLASSES];  /* softmax of the video logits after the filter */
    float logits[NRDFER_MAX_CLASSES]; /* video logits before the filter */
} nrdfer_prediction;

/* Runs n clips in eval mode and applies the snippet filter when the model's
 * config has it on. */
int nrdfer_model_predict(nrdfer_model *model, const float *clips, int n,
                         nrdfer_prediction *out);

/* ---- Training ---- */

typedef enum nrdfer_optimizer_kind { NRDFER_SGD, NRDFER_ADAMW } nrdfer_optimizer_kind;

typedef struct nrdfer_optimizer_config {
    nrdfer_optimizer_kind kind;
    float lr;
    float momentum;     /* SGD (0.9) */
    float weight_decay; /* SGD: added to the gradient; AdamW: decoupled */
    float beta1, beta2, eps; /* AdamW */
} nrdfer_optimizer_config;

/* Runs one training step on n clips with integer labels: forward in training
 * mode (batch statistics, running statistics updated), softmax cross-entropy
 * on the video logits with optional label smoothing, backward, and one
 * optimizer update with learning rate lr. Writes the mean loss to *loss.
 * Returns -1 without updating the weights when the loss is not finite. */
int nrdfer_model_train_step(nrdfer_model *model, const float *clips, const int *labels, int n,
                            const nrdfer_optimizer_config *opt, float lr, float label_smoothing,
                            float *loss);

/* Sets the optimizer state (momentum or Adam moments, step count) to zero. */
void nrdfer_model_reset_optimizer(nrdfer_model *model);

#ifdef __cplusplus
}
#endif

#endif
