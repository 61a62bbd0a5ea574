/* Error reporting inside the library.
 *
 * A function that can fail on bad input returns -1 (or NULL) after calling
 * nd_fail() with a message that names the file or value and what to do.
 * The caller either adds context with nd_fail() again or passes -1 up; the
 * command line prints nd_last_error() and exits 1. Broken internal
 * invariants go through ND_ASSERT, which prints file and line and aborts. */
#ifndef ND_UTIL_ERROR_H
#define ND_UTIL_ERROR_H

#include <stddef.h>

/* Records a formatted message as this thread's last error; returns -1. */
int nd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns this thread's last error message ("" when none). */
const char *nd_last_error(void);

void nd_clear_error(void);

void nd_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));

#define ND_ASSERT(cond)                                                                  \
    do {                                                                                 \
        if (!(cond))                                                                     \
            nd_assert_fail(#cond, __FILE__, __LINE__);                                   \
    } while (0)

/* malloc/calloc that abort with a message when memory runs out. */
void *nd_malloc(size_t size);
void *nd_calloc(size_t count, size_t size);
void *nd_realloc(void *ptr, size_t size);
char *nd_strdup(const char *s);

#endif
