/* safetensors files (format of Hugging Face's safetensors 0.4): an 8-byte
 * little-endian header length, a JSON header mapping each tensor name to
 * {"dtype", "shape", "data_offsets"} plus an optional "__metadata__" object
 * of strings, then the raw little-endian tensor data. */
#ifndef ND_MODEL_SAFETENSORS_H
#define ND_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define ND_ST_MAX_DIMS 8

typedef struct nd_st_entry {
    char *name;
    char dtype[8];
    int ndim;
    int64_t shape[ND_ST_MAX_DIMS];
    size_t begin, end; /* byte range inside the data section */
} nd_st_entry;

typedef struct nd_st_file {
    char *path;
    unsigned char *bytes; /* whole file */
    size_t size, data_start;
    nd_st_entry *entries;
    int count;
    cJSON *metadata; /* "__metadata__" object or NULL */
} nd_st_file;

/* Reads and validates a whole file; -1 with a message naming the file and
 * the defect (bad header, offsets outside the file, unknown dtype...). */
int nd_st_open(nd_st_file *f, const char *path);
void nd_st_close(nd_st_file *f);
const nd_st_entry *nd_st_find(const nd_st_file *f, const char *name);
/* Metadata string for key, or NULL. */
const char *nd_st_metadata(const nd_st_file *f, const char *key);
size_t nd_st_numel(const nd_st_entry *e);
/* Copies an F32 tensor's data out into dst (numel floats). */
void nd_st_copy_f32(const nd_st_file *f, const nd_st_entry *e, float *dst);

typedef struct nd_st_writer {
    struct nd_st_pending *items;
    int count, capacity;
    cJSON *metadata;
} nd_st_writer;

void nd_st_writer_init(nd_st_writer *w);
/* Adds an F32 tensor; data must stay valid until nd_st_write. */
void nd_st_add_f32(nd_st_writer *w, const char *name, int ndim, const int64_t *shape,
                   const float *data);
void nd_st_set_metadata(nd_st_writer *w, const char *key, const char *value);
/* Writes the file through a temporary file and a rename. */
int nd_st_write(nd_st_writer *w, const char *path);
void nd_st_writer_free(nd_st_writer *w);

#endif
