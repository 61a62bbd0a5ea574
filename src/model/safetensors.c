#include "model/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"

static int dtype_size(const char *dtype) {
    static const struct {
        const char *name;
        int size;
    } types[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
                 {"I16", 2}, {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4},
                 {"U64", 8}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dtype, types[i].name))
            return types[i].size;
    return 0;
}

static int parse_entry(nd_st_file *f, const cJSON *item, nd_st_entry *e) {
    const char *name = item->string;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");

    if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offsets) ||
        cJSON_GetArraySize(offsets) != 2)
        return nd_fail("%s: tensor '%s' lacks dtype, shape or data_offsets in the header",
                       f->path, name);
    int size = dtype_size(dtype->valuestring);
    if (!size || strlen(dtype->valuestring) >= sizeof e->dtype)
        return nd_fail("%s: tensor '%s' has unknown dtype '%s'", f->path, name,
                       dtype->valuestring);
    e->name = nd_strdup(name);
    snprintf(e->dtype, sizeof e->dtype, "%s", dtype->valuestring);
    e->ndim = cJSON_GetArraySize(shape);
    if (e->ndim > ND_ST_MAX_DIMS)
        return nd_fail("%s: tensor '%s' has %d dimensions, at most %d supported", f->path,
                       name, e->ndim, ND_ST_MAX_DIMS);
    size_t numel = 1;
    for (int i = 0; i < e->ndim; i++) {
        const cJSON *s = cJSON_GetArrayItem(shape, i);
        if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble > 1e12)
            return nd_fail("%s: tensor '%s' has an invalid shape", f->path, name);
        e->shape[i] = (int64_t)s->valuedouble;
        numel *= (size_t)e->shape[i];
    }
    const cJSON *b = cJSON_GetArrayItem(offsets, 0), *en = cJSON_GetArrayItem(offsets, 1);
    if (!cJSON_IsNumber(b) || !cJSON_IsNumber(en) || b->valuedouble < 0 ||
        en->valuedouble < b->valuedouble)
        return nd_fail("%s: tensor '%s' has invalid data_offsets", f->path, name);
    e->begin = (size_t)b->valuedouble;
    e->end = (size_t)en->valuedouble;
    if (e->end - e->begin != numel * (size_t)size)
        return nd_fail("%s: tensor '%s' holds %zu bytes, its shape and dtype need %zu",
                       f->path, name, e->end - e->begin, numel * (size_t)size);
    if (f->data_start + e->end > f->size)
        return nd_fail("%s: tensor '%s' extends past the end of the file (truncated?)",
                       f->path, name);
    return 0;
}

int nd_st_open(nd_st_file *f, const char *path) {
    char *bytes;
    size_t size;

    memset(f, 0, sizeof *f);
    if (nd_read_file(path, &bytes, &size))
        return -1;
    f->path = nd_strdup(path);
    f->bytes = (unsigned char *)bytes;
    f->size = size;
    if (size < 8) {
        nd_st_close(f);
        return nd_fail("%s: not a safetensors file (only %zu bytes)", path, size);
    }
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--)
        header_len = header_len << 8 | f->bytes[i];
    if (header_len > size - 8 || header_len > (100u << 20)) {
        nd_st_close(f);
        return nd_fail("%s: not a safetensors file (header length %llu does not fit)", path,
                       (unsigned long long)header_len);
    }
    f->data_start = 8 + header_len;
    cJSON *header = cJSON_ParseWithLength((const char *)f->bytes + 8, header_len);
    if (!cJSON_IsObject(header)) {
        cJSON_Delete(header);
        nd_st_close(f);
        return nd_fail("%s: not a safetensors file (header is not a JSON object)", path);
    }
    int n = cJSON_GetArraySize(header);
    f->entries = nd_calloc((size_t)n, sizeof *f->entries);
    const cJSON *item;
    cJSON_ArrayForEach(item, header) {
        if (!strcmp(item->string, "__metadata__")) {
            f->metadata = cJSON_Duplicate(item, 1);
            continue;
        }
        if (parse_entry(f, item, &f->entries[f->count])) {
            f->count++;
            cJSON_Delete(header);
            char message[2048];
            snprintf(message, sizeof message, "%s", nd_last_error());
            nd_st_close(f);
            return nd_fail("%s", message);
        }
        f->count++;
    }
    cJSON_Delete(header);
    return 0;
}

void nd_st_close(nd_st_file *f) {
    for (int i = 0; i < f->count; i++)
        free(f->entries[i].name);
    free(f->entries);
    free(f->bytes);
    free(f->path);
    cJSON_Delete(f->metadata);
    memset(f, 0, sizeof *f);
}

const nd_st_entry *nd_st_find(const nd_st_file *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (f->entries[i].name && !strcmp(f->entries[i].name, name))
            return &f->entries[i];
    return NULL;
}

const char *nd_st_metadata(const nd_st_file *f, const char *key) {
    const cJSON *v = f->metadata ? cJSON_GetObjectItemCaseSensitive(f->metadata, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t nd_st_numel(const nd_st_entry *e) {
    size_t n = 1;
    for (int i = 0; i < e->ndim; i++)
        n *= (size_t)e->shape[i];
    return n;
}

void nd_st_copy_f32(const nd_st_file *f, const nd_st_entry *e, float *dst) {
    ND_ASSERT(!strcmp(e->dtype, "F32"));
    /* memcpy: the data section gives no alignment guarantee. */
    memcpy(dst, f->bytes + f->data_start + e->begin, e->end - e->begin);
}

struct nd_st_pending {
    char *name;
    int ndim;
    int64_t shape[ND_ST_MAX_DIMS];
    const float *data;
    size_t bytes;
};

void nd_st_writer_init(nd_st_writer *w) {
    memset(w, 0, sizeof *w);
    w->metadata = cJSON_CreateObject();
}

void nd_st_add_f32(nd_st_writer *w, const char *name, int ndim, const int64_t *shape,
                   const float *data) {
    if (w->count == w->capacity) {
        w->capacity = w->capacity ? 2 * w->capacity : 64;
        w->items = nd_realloc(w->items, sizeof *w->items * (size_t)w->capacity);
    }
    struct nd_st_pending *it = &w->items[w->count++];
    ND_ASSERT(ndim <= ND_ST_MAX_DIMS);
    it->name = nd_strdup(name);
    it->ndim = ndim;
    it->bytes = sizeof(float);
    for (int i = 0; i < ndim; i++) {
        it->shape[i] = shape[i];
        it->bytes *= (size_t)shape[i];
    }
    it->data = data;
}

void nd_st_set_metadata(nd_st_writer *w, const char *key, const char *value) {
    cJSON_DeleteItemFromObjectCaseSensitive(w->metadata, key);
    cJSON_AddStringToObject(w->metadata, key, value);
}

int nd_st_write(nd_st_writer *w, const char *path) {
    cJSON *header = cJSON_CreateObject();
    size_t offset = 0;

    if (cJSON_GetArraySize(w->metadata) > 0)
        cJSON_AddItemToObject(header, "__metadata__", cJSON_Duplicate(w->metadata, 1));
    for (int i = 0; i < w->count; i++) {
        struct nd_st_pending *it = &w->items[i];
        cJSON *t = cJSON_AddObjectToObject(header, it->name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < it->ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)it->shape[d]));
        cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)(offset + it->bytes)));
        offset += it->bytes;
    }
    char *text = cJSON_PrintUnformatted(header);
    cJSON_Delete(header);

    /* Pad the header with spaces so the data section starts 8-byte aligned. */
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    unsigned char size_bytes[8];
    for (int i = 0; i < 8; i++)
        size_bytes[i] = (unsigned char)((uint64_t)padded >> (8 * i));

    nd_atomic_file af;
    if (nd_atomic_open(&af, path)) {
        free(text);
        return -1;
    }
    fwrite(size_bytes, 1, 8, af.fp);
    fwrite(text, 1, len, af.fp);
    for (size_t i = len; i < padded; i++)
        fputc(' ', af.fp);
    free(text);
    for (int i = 0; i < w->count; i++)
        fwrite(w->items[i].data, 1, w->items[i].bytes, af.fp);
    return nd_atomic_commit(&af);
}

void nd_st_writer_free(nd_st_writer *w) {
    for (int i = 0; i < w->count; i++)
        free(w->items[i].name);
    free(w->items);
    cJSON_Delete(w->metadata);
    memset(w, 0, sizeof *w);
}
