/* log.h - leveled logging to stderr.  Every line of a connection carries its
 * connection id and identity (see session_log in session.h). */
#ifndef SOCKWARD_LOG_H
#define SOCKWARD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_threshold;

int log_level_parse(const char *name, enum log_level *out);
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

/* At most one line a second for a kind of event that can come in storms
 * (refused connections): log_limit_pass() says whether this one may be
 * written, and how many were held back since the last one. */
struct log_limit {
	long long last_sec;
	unsigned long suppressed;
};
int log_limit_pass(struct log_limit *l, unsigned long *suppressed);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_threshold >= LOG_LVL_DEBUG) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
