#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[2048];

int nd_fail(const char *fmt, ...) {
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof last_error);
    return -1;
}

const char *nd_last_error(void) {
    return last_error;
}

void nd_clear_error(void) {
    last_error[0] = '\0';
}

void nd_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "nrdfer: internal error: assertion '%s' failed at %s:%d\n", expr, file,
            line);
    abort();
}

static void out_of_memory(size_t size) {
    fprintf(stderr, "nrdfer: out of memory allocating %zu bytes\n", size);
    abort();
}

void *nd_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *nd_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *nd_realloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *nd_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = nd_malloc(n);
    memcpy(p, s, n);
    return p;
}
