/* log.c - one formatted line per call, written with a single write(2) so
 * lines from one process never interleave mid-line. */
#include "daemon/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum log_level log_threshold = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* A message quotes what clients choose (a certificate's CN, a name from a
 * request body): a control byte in it, a newline above all, would start a
 * line that reads as one of ours.  Copies src into dst (n bytes, its NUL
 * included) with each control byte written \xNN, cut before an escape that
 * would not fit whole; returns the length. */
static size_t
escape_controls(char *dst, size_t n, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		int ctl = *p < 0x20 || *p == 0x7f;
		if (o + (ctl ? 4 : 1) >= n)
			break;
		if (!ctl) {
			dst[o++] = (char)*p;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[*p >> 4];
		dst[o++] = hex[*p & 15];
	}
	dst[o] = '\0';
	return o;
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_threshold)
		return;
	char line[2048], msg[2048];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof line - (size_t)n, ".%06ldZ %s ",
	    (long)tv.tv_usec, level_names[lvl]);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	/* cut to fit, one byte kept for the line's end */
	size_t len = (size_t)n + escape_controls(line + n, sizeof line - 1 - (size_t)n, msg);
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

int
log_limit_pass(struct log_limit *l, unsigned long *suppressed)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((long long)now.tv_sec == l->last_sec) {
		l->suppressed++;
		return 0;
	}
	l->last_sec = (long long)now.tv_sec;
	*suppressed = l->suppressed;
	l->suppressed = 0;
	return 1;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
