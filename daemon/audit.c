/* audit.c - see audit.h.
 *
 * Lines are built with jansson so escaping is right, then written with one
 * write(2) on an O_APPEND descriptor: concurrent writers (a second sockward,
 * logrotate's copytruncate) never interleave inside a line. */
#include "daemon/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

struct audit_log {
	char *file;                  /* NULL: no file */
	int syslog;
	enum audit_failure on_failure;
	int fd;                      /* -1 when closed or the last open failed */
	int broken;                  /* the last write/open of the file failed */
	int torn;                    /* a short write left a partial line: start
	                              * the next one on a fresh line */
	char why[1024];              /* what broke (kept for debugging) */
};

/* ---- formatting ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one.
 * Same rules as jansson: no overlong forms, no surrogates, <= U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* A JSON string for s; NULL becomes null, invalid bytes become U+FFFD. */
static json_t *
jstr(const char *s)
{
	const unsigned char *p;
	char *clean, *q;
	json_t *j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* Each bad byte grows to at most 3 bytes. */
	if ((clean = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)s, q = clean; *p != '\0';) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			p++;
		} else {
			memcpy(q, p, n);
			q += n;
			p += n;
		}
	}
	*q = '\0';
	j = json_string(clean);
	free(clean);
	return j;
}

/* "a,b , c" -> ["a","b","c"]; NULL or "" -> []. */
static json_t *
jrules(const char *rules)
{
	json_t *arr = json_array();
	const char *p = rules;

	if (arr == NULL || rules == NULL)
		return arr;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0) {
			char *one = strndup(p, len);
			if (one == NULL || json_array_append_new(arr, jstr(one)) != 0) {
				free(one);
				json_decref(arr);
				return NULL;
			}
			free(one);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return arr;
}

static void
format_time(const struct timeval *tv, char *buf, size_t size)
{
	struct tm tm;
	time_t sec = tv->tv_sec;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ldZ", (long)tv->tv_usec);
}

char *
audit_format(const struct audit_record *rec)
{
	char when[64], *text, *line;
	double ms = rec->duration_ms > 0 ? rec->duration_ms : 0;
	json_t *o;
	size_t len;
	int bad = 0;

	format_time(&rec->time, when, sizeof(when));
	/* microsecond resolution is all the clock gives us; keep lines short */
	ms = (double)(long long)(ms * 1000.0 + 0.5) / 1000.0;

	if ((o = json_object()) == NULL)
		return NULL;
#define SET(k, v) bad |= json_object_set_new(o, k, v)
	SET("time", json_string(when));
	SET("request_id", json_integer((json_int_t)rec->request_id));
	SET("conn_id", json_integer((json_int_t)rec->conn_id));
	SET("identity", jstr(rec->identity));
	SET("peer", jstr(rec->peer));
	SET("listener", jstr(rec->listener));
	SET("method", jstr(rec->method));
	SET("path", jstr(rec->path));
	SET("endpoint", jstr(rec->endpoint));
	SET("image", jstr(rec->image));
	SET("verdict", jstr(rec->verdict));
	SET("profile", jstr(rec->profile));
	SET("mode", jstr(rec->mode));
	SET("rules", jrules(rec->rules));
	SET("exception", jstr(rec->exception));
	SET("exception_reason", jstr(rec->exception_reason));
	SET("message", jstr(rec->message));
	SET("status", json_integer(rec->status));
	SET("bytes_in", json_integer((json_int_t)rec->bytes_in));
	SET("bytes_out", json_integer((json_int_t)rec->bytes_out));
	SET("duration_ms", json_real(ms));
#undef SET
	if (bad) {
		json_decref(o);
		return NULL;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(o);
	if (text == NULL)
		return NULL;
	len = strlen(text);
	if ((line = realloc(text, len + 2)) == NULL) {
		free(text);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* ---- sinks ----------------------------------------------------------------- */

static void
write_stderr(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;   /* nowhere left to write to */
		buf += n;
		len -= (size_t)n;
	}
}

static int
open_file(struct audit_log *log, char *err, size_t errlen)
{
	int fd = open(log->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		snprintf(err, errlen, "audit log %s: %s", log->file, strerror(errno));
		return -1;
	}
	if (log->fd >= 0)
		close(log->fd);
	log->fd = fd;
	return 0;
}

static void
mark_broken(struct audit_log *log, const char *what)
{
	int was = log->broken;

	log->broken = 1;
	snprintf(log->why, sizeof(log->why), "%s", what);
	if (!was) {
		char note[1200];
		int n = snprintf(note, sizeof(note), "sockward: %s; %s\n", what,
		    log->on_failure == AUDIT_FAIL_CLOSED
		    ? "denying new requests until it can be written (audit.on_failure: fail-closed)"
		    : "writing decisions to stderr (audit.on_failure: continue)");
		write_stderr(note, n > 0 ? (size_t)n : 0);
	}
}

static void
mark_recovered(struct audit_log *log)
{
	if (log->broken) {
		char note[600];
		int n = snprintf(note, sizeof(note), "sockward: audit log %s is writable again\n",
		    log->file);
		write_stderr(note, n > 0 ? (size_t)n : 0);
	}
	log->broken = 0;
	log->why[0] = '\0';
}

/* One write(2) of the whole line; anything less is a failure. */
static int
write_file(struct audit_log *log, const char *line, size_t len)
{
	char what[600];
	ssize_t n;

	if (log->fd < 0)
		return -1;   /* already broken by a failed open */
	if (log->torn) {
		/* the file ends inside a line: terminate it so ours parses */
		if (write(log->fd, "\n", 1) != 1)
			goto fail;
		log->torn = 0;
	}
	do
		n = write(log->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		mark_recovered(log);
		return 0;
	}
	if (n > 0) {
		log->torn = 1;
		errno = ENOSPC;   /* a short write on a regular file means no space */
	}
fail:
	snprintf(what, sizeof(what), "audit log %s cannot be written: %s", log->file,
	    strerror(errno));
	mark_broken(log, what);
	return -1;
}

/* ---- API ------------------------------------------------------------------- */

/* openlog/closelog are process-wide; a reload opens the new audit log before
 * closing the old one, so count users and close only after the last. */
static int syslog_users;

struct audit_log *
audit_open(const struct audit_config *cfg, char *err, size_t errlen)
{
	struct audit_log *log = calloc(1, sizeof(*log));

	if (log == NULL) {
		snprintf(err, errlen, "audit: out of memory");
		return NULL;
	}
	log->fd = -1;
	log->syslog = cfg->syslog;
	log->on_failure = cfg->on_failure;
	if (cfg->file != NULL) {
		if ((log->file = strdup(cfg->file)) == NULL) {
			snprintf(err, errlen, "audit: out of memory");
			free(log);
			return NULL;
		}
		if (open_file(log, err, errlen) != 0) {
			free(log->file);
			free(log);
			return NULL;
		}
	}
	if (log->syslog && syslog_users++ == 0)
		openlog("sockward", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return log;
}

int
audit_reopen(struct audit_log *log, char *err, size_t errlen)
{
	if (log->file == NULL)
		return 0;
	if (open_file(log, err, errlen) != 0) {
		/* Keep nothing open on the old (rotated, maybe compressed) file. */
		if (log->fd >= 0)
			close(log->fd);
		log->fd = -1;
		mark_broken(log, err);
		return -1;
	}
	log->torn = 0;   /* a fresh file */
	mark_recovered(log);
	return 0;
}

void
audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	if (log->fd >= 0)
		close(log->fd);
	if (log->syslog && --syslog_users == 0)
		closelog();
	free(log->file);
	free(log);
}

int
audit_write(struct audit_log *log, const struct audit_record *rec)
{
	char *line = audit_format(rec);
	size_t len;
	int rc = 0;

	if (line == NULL) {
		/* Out of memory: still leave a trace of the decision. */
		char fb[256];
		int n = snprintf(fb, sizeof(fb),
		    "sockward: audit line for request %llu (%s) could not be built\n",
		    (unsigned long long)rec->request_id, rec->verdict ? rec->verdict : "?");
		write_stderr(fb, n > 0 ? (size_t)n : 0);
		return -1;
	}
	len = strlen(line);
	if (log->syslog)
		syslog(LOG_INFO, "%.*s", (int)(len - 1), line);
	if (log->file != NULL) {
		if (write_file(log, line, len) != 0) {
			write_stderr(line, len);
			rc = -1;
		}
	} else if (!log->syslog) {
		write_stderr(line, len);
	}
	free(line);
	return rc;
}

int
audit_failed(const struct audit_log *log)
{
	return log != NULL && log->broken && log->on_failure == AUDIT_FAIL_CLOSED;
}

const char *
audit_failed_message(const struct audit_log *log)
{
	(void)log;
	return "request denied: the audit log cannot be written and audit.on_failure "
	    "is fail-closed; see the sockward log";
}
