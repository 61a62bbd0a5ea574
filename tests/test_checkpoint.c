/* Checkpoints: a save/load round trip is exact. A file that does not fit the
 * model (missing, extra or reshaped tensor, other config, truncated file) is
 * rejected with a message naming the tensor or setting, and the model's
 * weights stay untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/model_internal.h"
#include "model/safetensors.h"

static int failures;

static void check(int cond, const char *what) {
    printf("%s %s\n", cond ? "ok  " : "FAIL", what);
    if (!cond)
        failures++;
}

/* Writes the model's tensors to path, with edits: skip one name, add an
 * extra tensor, or give one tensor another shape, and an optional config. */
static void write_edited(const nrdfer_model *m, const char *path, const char *skip,
                         const char *extra, const char *reshape, const nrdfer_config *config) {
    nd_st_writer w;
    static float dummy[64];
    nd_st_writer_init(&w);
    cJSON *json = nd_config_to_json(config ? config : &m->config);
    char *text = cJSON_PrintUnformatted(json);
    nd_st_set_metadata(&w, "nrdfer", text);
    free(text);
    cJSON_Delete(json);
    for (int i = 0; i < m->params.count; i++) {
        const nd_tensor_info *t = &m->params.tensors[i];
        if (skip && !strcmp(t->name, skip))
            continue;
        if (reshape && !strcmp(t->name, reshape)) {
            int64_t shape[1] = {(int64_t)t->count};
            nd_st_add_f32(&w, t->name, 1, shape, m->values + t->offset);
            continue;
        }
        nd_st_add_f32(&w, t->name, t->ndim, t->shape, m->values + t->offset);
    }
    if (extra) {
        int64_t shape[1] = {64};
        nd_st_add_f32(&w, extra, 1, shape, dummy);
    }
    nd_st_write(&w, path);
    nd_st_writer_free(&w);
}

static void expect_rejected(nrdfer_model *m, const char *path, const char *needle,
                            const char *what) {
    float *before = malloc(sizeof(float) * m->params.total);
    memcpy(before, m->values, sizeof(float) * m->params.total);
    int rc = nrdfer_model_load_weights(m, path);
    char label[256];
    snprintf(label, sizeof label, "%s is rejected", what);
    check(rc == -1, label);
    snprintf(label, sizeof label, "%s: message names '%s' (%s)", what, needle,
             nrdfer_last_error());
    check(strstr(nrdfer_last_error(), needle) != NULL, label);
    snprintf(label, sizeof label, "%s: weights unchanged", what);
    check(!memcmp(before, m->values, sizeof(float) * m->params.total), label);
    free(before);
}

int main(void) {
    char dir[] = "/tmp/nrdfer-checkpoint-XXXXXX", path[512];
    nrdfer_config config;

    if (!mkdtemp(dir))
        return 1;
    nrdfer_config_small(&config);
    nrdfer_model *a = nrdfer_model_create(&config, 1);
    nrdfer_model *b = nrdfer_model_create(&config, 2);

    /* Round trip: b takes a's weights exactly. */
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    check(nrdfer_model_save(a, path) == 0, "save");
    check(nrdfer_model_load_weights(b, path) == 0, "load into a model of the same config");
    check(!memcmp(a->values, b->values, sizeof(float) * a->params.total),
          "loaded weights equal the saved ones bit for bit");
    nrdfer_model *c = nrdfer_model_load(path);
    check(c && !nd_config_compare(&a->config, &c->config, "loaded"),
          "nrdfer_model_load restores the config from the metadata");
    nrdfer_model_free(c);

    /* Files that do not fit; b is re-seeded so a partial load would show. */
    nrdfer_model_free(b);
    b = nrdfer_model_create(&config, 2);
    snprintf(path, sizeof path, "%s/missing.safetensors", dir);
    write_edited(a, path, "layer2.conv1.weight", NULL, NULL, NULL);
    expect_rejected(b, path, "layer2.conv1.weight", "missing tensor");

    snprintf(path, sizeof path, "%s/extra.safetensors", dir);
    write_edited(a, path, NULL, "temporal.cls_token", NULL, NULL);
    expect_rejected(b, path, "temporal.cls_token", "unexpected tensor");

    snprintf(path, sizeof path, "%s/shape.safetensors", dir);
    write_edited(a, path, NULL, NULL, "head.weight", NULL);
    expect_rejected(b, path, "head.weight", "reshaped tensor");

    nrdfer_config other = config;
    other.temporal_mlp = 128;
    snprintf(path, sizeof path, "%s/config.safetensors", dir);
    write_edited(a, path, NULL, NULL, NULL, &other);
    expect_rejected(b, path, "temporal_mlp", "other config");

    /* A truncated file: the first half of a valid one. */
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    FILE *in = fopen(path, "rb");
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *bytes = malloc((size_t)size);
    size_t got = fread(bytes, 1, (size_t)size, in);
    fclose(in);
    snprintf(path, sizeof path, "%s/truncated.safetensors", dir);
    FILE *out = fopen(path, "wb");
    fwrite(bytes, 1, got / 2, out);
    fclose(out);
    free(bytes);
    expect_rejected(b, path, "truncated", "truncated file");

    snprintf(path, sizeof path, "%s/not-there.safetensors", dir);
    expect_rejected(b, path, "not-there.safetensors", "missing file");

    nrdfer_model_free(a);
    nrdfer_model_free(b);
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0)
        printf("could not remove %s\n", dir);
    printf("%s: %d failed\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
