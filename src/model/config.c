#include "model/config.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"

static const char *const default_labels[] = {"happy", "sad",     "neutral", "angry",
                                             "surprise", "disgust", "fear"};

const char *nrdfer_last_error(void) {
    return nd_last_error();
}

void nrdfer_config_paper(nrdfer_config *c) {
    memset(c, 0, sizeof *c);
    c->frames = 16;
    c->image_size = 112;
    c->num_classes = 7;
    for (int i = 0; i < 7; i++)
        snprintf(c->labels[i], NRDFER_LABEL_LEN, "%s", default_labels[i]);
    c->stem_channels = 64;
    c->layer2_channels = 128;
    c->layer3_channels = 256;
    c->head_dim = 32;
    c->static_blocks = 2;
    c->static_heads = 4;
    c->static_mlp = 256;
    c->temporal_blocks = 2;
    c->temporal_heads = 4;
    c->temporal_mlp = 512;
    c->static_branch = 1;
    c->dynamic_branch = 1;
    c->learned_cls_token = 0;
    c->single_frame = 0;
    c->snippet_filter = 1;
    c->sf_neutral_max = 0.03f;
    c->sf_confidence_min = 0.75f;
}

void nrdfer_config_small(nrdfer_config *c) {
    nrdfer_config_paper(c);
    c->image_size = 64;
    c->stem_channels = 16;
    c->layer2_channels = 32;
    c->layer3_channels = 64;
    c->static_heads = 2;
    c->static_mlp = 128;
    c->temporal_mlp = 256;
}

int nrdfer_config_preset(nrdfer_config *c, const char *name) {
    if (!strcmp(name, "paper"))
        nrdfer_config_paper(c);
    else if (!strcmp(name, "small"))
        nrdfer_config_small(c);
    else
        return nd_fail("unknown preset '%s': use 'paper' or 'small'", name);
    return 0;
}

int nrdfer_config_neutral_index(const nrdfer_config *c) {
    for (int i = 0; i < c->num_classes; i++)
        if (!strcmp(c->labels[i], "neutral"))
            return i;
    return -1;
}

/* Spatial size after the stem (s2 conv, s2 pool), layer2 (s2), layer3 (s2)
 * and the DSF stride-2 stage, for 3x3 pad-1 convolutions. */
static int grid_size(int image_size) {
    int s = image_size;
    for (int i = 0; i < 5; i++)
        s = (s - 1) / 2 + 1;
    return s;
}

int nrdfer_config_validate(const nrdfer_config *c) {
    if (c->frames < 4 || c->frames % 2)
        return nd_fail("invalid config: frames = %d, must be even and >= 4", c->frames);
    if (c->image_size < 32 || c->image_size > 1024)
        return nd_fail("invalid config: image_size = %d, must be in 32..1024", c->image_size);
    if (c->num_classes < 2 || c->num_classes > NRDFER_MAX_CLASSES)
        return nd_fail("invalid config: num_classes = %d, must be in 2..%d", c->num_classes,
                       NRDFER_MAX_CLASSES);
    for (int i = 0; i < c->num_classes; i++)
        if (!c->labels[i][0])
            return nd_fail("invalid config: label %d is empty", i);
    const struct {
        const char *name;
        int value;
    } positive[] = {
        {"stem_channels", c->stem_channels},     {"layer2_channels", c->layer2_channels},
        {"layer3_channels", c->layer3_channels}, {"head_dim", c->head_dim},
        {"static_blocks", c->static_blocks},     {"static_heads", c->static_heads},
        {"static_mlp", c->static_mlp},           {"temporal_blocks", c->temporal_blocks},
        {"temporal_heads", c->temporal_heads},   {"temporal_mlp", c->temporal_mlp},
    };
    for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++)
        if (positive[i].value < 1 || positive[i].value > 65536)
            return nd_fail("invalid config: %s = %d, must be in 1..65536", positive[i].name,
                           positive[i].value);
    if (c->single_frame && (c->static_branch || c->dynamic_branch || c->learned_cls_token))
        return nd_fail("invalid config: single_frame has no DSF or class token; set "
                       "static_branch, dynamic_branch and learned_cls_token to 0");
    if (!c->single_frame && !c->static_branch && !c->dynamic_branch)
        return nd_fail("invalid config: static_branch and dynamic_branch are both off; "
                       "DSF needs at least one");
    if (grid_size(c->image_size) < 1)
        return nd_fail("invalid config: image_size %d is too small", c->image_size);
    if (c->sf_neutral_max < 0 || c->sf_neutral_max > 1 || c->sf_confidence_min < 0 ||
        c->sf_confidence_min > 1)
        return nd_fail("invalid config: snippet filter thresholds %g and %g must be in [0, 1]",
                       c->sf_neutral_max, c->sf_confidence_min);
    return 0;
}

cJSON *nd_config_to_json(const nrdfer_config *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "format_version", 1);
    cJSON_AddNumberToObject(j, "frames", c->frames);
    cJSON_AddNumberToObject(j, "image_size", c->image_size);
    cJSON *labels = cJSON_AddArrayToObject(j, "labels");
    for (int i = 0; i < c->num_classes; i++)
        cJSON_AddItemToArray(labels, cJSON_CreateString(c->labels[i]));
    cJSON_AddNumberToObject(j, "stem_channels", c->stem_channels);
    cJSON_AddNumberToObject(j, "layer2_channels", c->layer2_channels);
    cJSON_AddNumberToObject(j, "layer3_channels", c->layer3_channels);
    cJSON_AddNumberToObject(j, "head_dim", c->head_dim);
    cJSON_AddNumberToObject(j, "static_blocks", c->static_blocks);
    cJSON_AddNumberToObject(j, "static_heads", c->static_heads);
    cJSON_AddNumberToObject(j, "static_mlp", c->static_mlp);
    cJSON_AddNumberToObject(j, "temporal_blocks", c->temporal_blocks);
    cJSON_AddNumberToObject(j, "temporal_heads", c->temporal_heads);
    cJSON_AddNumberToObject(j, "temporal_mlp", c->temporal_mlp);
    cJSON_AddBoolToObject(j, "static_branch", c->static_branch);
    cJSON_AddBoolToObject(j, "dynamic_branch", c->dynamic_branch);
    cJSON_AddBoolToObject(j, "learned_cls_token", c->learned_cls_token);
    cJSON_AddBoolToObject(j, "single_frame", c->single_frame);
    cJSON_AddBoolToObject(j, "snippet_filter", c->snippet_filter);
    cJSON_AddNumberToObject(j, "sf_neutral_max", c->sf_neutral_max);
    cJSON_AddNumberToObject(j, "sf_confidence_min", c->sf_confidence_min);
    return j;
}

static int read_int(const cJSON *j, const char *key, int *out, const char *origin) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v)
        return 0;
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return nd_fail("%s: config setting '%s' must be an integer", origin, key);
    *out = (int)v->valuedouble;
    return 0;
}

static int read_float(const cJSON *j, const char *key, float *out, const char *origin) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v))
        return nd_fail("%s: config setting '%s' must be a number", origin, key);
    *out = (float)v->valuedouble;
    return 0;
}

int nd_config_from_json(nrdfer_config *c, const cJSON *j, const char *origin) {
    nrdfer_config_paper(c);
    if (!cJSON_IsObject(j))
        return nd_fail("%s: config is not a JSON object", origin);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(j, "labels");
    if (labels) {
        int n = cJSON_GetArraySize(labels);
        if (!cJSON_IsArray(labels) || n < 2 || n > NRDFER_MAX_CLASSES)
            return nd_fail("%s: config setting 'labels' must be a list of 2 to %d names",
                           origin, NRDFER_MAX_CLASSES);
        memset(c->labels, 0, sizeof c->labels);
        c->num_classes = n;
        for (int i = 0; i < n; i++) {
            const cJSON *s = cJSON_GetArrayItem(labels, i);
            if (!cJSON_IsString(s) || strlen(s->valuestring) >= NRDFER_LABEL_LEN)
                return nd_fail("%s: label %d in 'labels' must be a name of at most %d bytes",
                               origin, i, NRDFER_LABEL_LEN - 1);
            snprintf(c->labels[i], NRDFER_LABEL_LEN, "%s", s->valuestring);
        }
    }
    const struct {
        const char *key;
        int *field;
    } ints[] = {
        {"frames", &c->frames},
        {"image_size", &c->image_size},
        {"stem_channels", &c->stem_channels},
        {"layer2_channels", &c->layer2_channels},
        {"layer3_channels", &c->layer3_channels},
        {"head_dim", &c->head_dim},
        {"static_blocks", &c->static_blocks},
        {"static_heads", &c->static_heads},
        {"static_mlp", &c->static_mlp},
        {"temporal_blocks", &c->temporal_blocks},
        {"temporal_heads", &c->temporal_heads},
        {"temporal_mlp", &c->temporal_mlp},
        {"static_branch", &c->static_branch},
        {"dynamic_branch", &c->dynamic_branch},
        {"learned_cls_token", &c->learned_cls_token},
        {"single_frame", &c->single_frame},
        {"snippet_filter", &c->snippet_filter},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (read_int(j, ints[i].key, ints[i].field, origin))
            return -1;
    if (read_float(j, "sf_neutral_max", &c->sf_neutral_max, origin) ||
        read_float(j, "sf_confidence_min", &c->sf_confidence_min, origin))
        return -1;
    if (nrdfer_config_validate(c))
        return nd_fail("%s: %s", origin, nd_last_error());
    return 0;
}

int nd_config_compare(const nrdfer_config *a, const nrdfer_config *b, const char *context) {
    const struct {
        const char *name;
        int x, y;
    } fields[] = {
        {"frames", a->frames, b->frames},
        {"image_size", a->image_size, b->image_size},
        {"num_classes", a->num_classes, b->num_classes},
        {"stem_channels", a->stem_channels, b->stem_channels},
        {"layer2_channels", a->layer2_channels, b->layer2_channels},
        {"layer3_channels", a->layer3_channels, b->layer3_channels},
        {"head_dim", a->head_dim, b->head_dim},
        {"static_blocks", a->static_blocks, b->static_blocks},
        {"static_heads", a->static_heads, b->static_heads},
        {"static_mlp", a->static_mlp, b->static_mlp},
        {"temporal_blocks", a->temporal_blocks, b->temporal_blocks},
        {"temporal_heads", a->temporal_heads, b->temporal_heads},
        {"temporal_mlp", a->temporal_mlp, b->temporal_mlp},
        /* single_frame first, because the baseline also turns both branches off. */
        {"single_frame", a->single_frame, b->single_frame},
        {"static_branch", a->static_branch, b->static_branch},
        {"dynamic_branch", a->dynamic_branch, b->dynamic_branch},
        {"learned_cls_token", a->learned_cls_token, b->learned_cls_token},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fields[i].x != fields[i].y)
            return nd_fail("%s: setting '%s' is %d, expected %d", context, fields[i].name,
                           fields[i].y, fields[i].x);
    for (int i = 0; i < a->num_classes; i++)
        if (strcmp(a->labels[i], b->labels[i]))
            return nd_fail("%s: label %d is '%s', expected '%s'", context, i, b->labels[i],
                           a->labels[i]);
    return 0;
}

const char *nd_config_variant_name(const nrdfer_config *c) {
    if (c->single_frame)
        return "single-frame baseline";
    if (!c->static_branch)
        return c->learned_cls_token ? "NR-DFERNet without static branch, learned class token"
                                    : "NR-DFERNet without static branch";
    if (!c->dynamic_branch)
        return c->learned_cls_token ? "NR-DFERNet without dynamic branch, learned class token"
                                    : "NR-DFERNet without dynamic branch";
    return c->learned_cls_token ? "NR-DFERNet with learned class token" : "NR-DFERNet";
}
