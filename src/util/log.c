#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static nrdfer_log_level min_level = NRDFER_LOG_INFO;
static nrdfer_log_callback user_callback;
static void *user_data;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;

void nrdfer_set_log_level(nrdfer_log_level level) {
    min_level = level;
}

void nrdfer_set_log_callback(nrdfer_log_callback callback, void *data) {
    user_callback = callback;
    user_data = data;
}

void nd_log(nrdfer_log_level level, const char *fmt, ...) {
    static const char *names[] = {"debug", "info", "warning", "error"};
    char message[4096];
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&log_mutex);
    if (user_callback)
        user_callback(level, message, user_data);
    else if (level == NRDFER_LOG_INFO)
        fprintf(stderr, "%s\n", message);
    else
        fprintf(stderr, "%s: %s\n", names[level], message);
    pthread_mutex_unlock(&log_mutex);
}
