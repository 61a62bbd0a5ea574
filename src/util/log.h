/* Leveled logging for the library. Messages go to stderr unless the
 * embedding program installs a callback with nrdfer_set_log_callback(). */
#ifndef ND_UTIL_LOG_H
#define ND_UTIL_LOG_H

#include "nrdfer.h"

void nd_log(nrdfer_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define nd_log_debug(...) nd_log(NRDFER_LOG_DEBUG, __VA_ARGS__)
#define nd_log_info(...) nd_log(NRDFER_LOG_INFO, __VA_ARGS__)
#define nd_log_warn(...) nd_log(NRDFER_LOG_WARN, __VA_ARGS__)
#define nd_log_error(...) nd_log(NRDFER_LOG_ERROR, __VA_ARGS__)

#endif
