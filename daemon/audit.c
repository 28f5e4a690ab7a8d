/* audit.c - see audit.h.
 *
 * Lines are built by hand (escaped as jansson would) and written with
 * write(2) on an O_APPEND descriptor, whole lines only, so concurrent
 * writers (a second sockward, logrotate's copytruncate) never interleave
 * inside a line.  Under the daemon's loop the lines of one turn go out in
 * one write (audit_attach_loop). */
#include "daemon/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/metrics.h"
#include "policy/utf8.h"

struct audit_log {
	char *file;                  /* NULL: no file */
	int syslog;
	enum audit_failure on_failure;
	int fd;                      /* -1 when closed or the last open failed */
	int broken;                  /* the last write/open of the file failed */
	int torn;                    /* the file ends inside a line (a short write,
	                              * or found so at open): start the next one
	                              * on a fresh line */
	char why[1024];              /* what broke (kept for debugging) */
	/* fail-closed: room reserved past the end of the file (probe_file) from
	 * its size then, and what we wrote since; probed again only when the
	 * room runs low */
	long long reserved_end, probed_size;
	long long written_since_probe;
	long long running;           /* room owed to the requests audit_ready()
	                              * let through (line_room each) whose
	                              * line is still to come */
	/* with an event loop (audit_attach_loop): the lines of one turn of the
	 * loop, written together when its other callbacks have run */
	struct event *flush_ev;
	char *pend;
	size_t plen, pcap;
	size_t plines;
	/* the line being formatted: one buffer kept for every line */
	char *line;
	size_t line_cap;
};

/* Lines held for one turn of the loop, at most: past this they are written
 * at once. */
#define PEND_MAX (64u * 1024)

/* Reserve this much at a time, and probe again when less than
 * PROBE_MARGIN is left: an audit line is far shorter, so every request the
 * check lets through has its room, at one fallocate per ~100 requests.
 * Besides, LINE_RESERVE is kept for each request let through whose line is
 * not written yet: a stream's (logs -f, events, a long pull) comes when it
 * ends, maybe hours later, and thousands may be running when the file
 * system fills up (the default limits: at most 8 MiB kept for them). */
#define PROBE_RESERVE (128 * 1024)
#define PROBE_MARGIN (32 * 1024)
#define LINE_RESERVE 2048

/* ---- formatting ------------------------------------------------------------ */

/* The line is written by hand into one buffer (the log keeps it from one
 * line to the next) instead of a jansson tree of two dozen nodes, since
 * this runs for every request.  format_line works out how long the line can
 * be at most and makes room once; everything after that is stores into
 * room already there (no capacity check per piece). */
struct jw {
	char *buf;
	size_t len, cap;
};

/* *buf (of *cap bytes) holding at least need bytes, grown by doubling from
 * first; -1 when out of memory (the buffer is left as it was). */
static int
grow(char **buf, size_t *cap, size_t need, size_t first)
{
	if (need <= *cap)
		return 0;
	if (need > SIZE_MAX / 2)
		return -1;
	size_t c = *cap ? *cap : first;
	while (c < need)
		c *= 2;
	char *nb = realloc(*buf, c);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = c;
	return 0;
}

/* Room for n more bytes and the NUL; -1 when out of memory. */
static int
jw_room(struct jw *w, size_t n)
{
	if (n > SIZE_MAX / 2 - w->len - 1)
		return -1;
	return grow(&w->buf, &w->cap, w->len + n + 1, 512);
}

/* The pieces below write into room made by jw_room. */
static inline void
jw_put(struct jw *w, const char *p, size_t n)
{
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}
#define JW_LIT(w, s) jw_put((w), (s), sizeof(s) - 1)

/* ASCII from ' ' up (DEL included) but '"' and '\\': copied as they are */
static const unsigned char jw_plain[256] = {
	[' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... 0x7f] = 1,
};

/* What jw_str writes for len bytes, at most: a control byte becomes
 * \u00XX (6), an invalid byte U+FFFD (3), anything else itself; quotes. */
#define JW_STR_MAX(len) (6 * (len) + 2)

/* A JSON string for s; NULL becomes null, invalid bytes become U+FFFD.
 * Room: JW_STR_MAX(len). */
static void
jw_str(struct jw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end;
	char *o;

	if (s == NULL) {
		JW_LIT(w, "null");
		return;
	}
	end = p + len;
	o = w->buf + w->len;
	*o++ = '"';
	for (;;) {
		const unsigned char *run = p;
		/* plain runs four bytes a step, then byte by byte */
		while (end - p >= 4 && (jw_plain[p[0]] & jw_plain[p[1]] & jw_plain[p[2]] &
		    jw_plain[p[3]]))
			p += 4;
		while (p < end && jw_plain[*p])
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		if (*p >= 0x80) {
			size_t n = utf8_seq_len(p, (size_t)(end - p));
			if (n == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				p++;
			} else {
				memcpy(o, p, n);
				o += n;
				p += n;
			}
			continue;
		}
		o = json_escape_byte(o, *p++, hex);
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

/* ,"key": as one literal, its length known when compiled */
#define JW_KEY(key) ",\"" key "\":", sizeof(",\"" key "\":") - 1
#define jw_key_num(w, key, v, neg) jw_key_num_((w), JW_KEY(key), (v), (neg))

/* Room: klen + JW_NUM_MAX */
#define JW_NUM_MAX 21
static void
jw_key_num_(struct jw *w, const char *key, size_t klen, unsigned long long v, int negative)
{
	/* what "%s%llu" prints, without stdio (a few per audit line) */
	char num[32], *e = num + sizeof num, *p = e;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (negative)
		*--p = '-';
	jw_put(w, key, klen);
	jw_put(w, p, (size_t)(e - p));
}

static void
format_time(const struct timeval *tv, char *buf, size_t size)
{
	/* the calendar part changes once a second: kept, not redone per line */
	static time_t last_sec = (time_t)-1;
	static char last[32];
	static size_t last_len;
	long us = (long)tv->tv_usec;

	if (tv->tv_sec != last_sec) {
		struct tm tm;
		time_t sec = tv->tv_sec;
		gmtime_r(&sec, &tm);
		last_len = strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = tv->tv_sec;
	}
	if (size < last_len + 9 || us < 0 || us > 999999) {
		snprintf(buf, size, "%.*s.%06ldZ", (int)last_len, last, us < 0 ? 0 : us % 1000000);
		return;
	}
	memcpy(buf, last, last_len);
	buf[last_len] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		buf[last_len + (size_t)i] = (char)('0' + us % 10);
	buf[last_len + 7] = 'Z';
	buf[last_len + 8] = '\0';
}

/* ms, already rounded to the microsecond, as "%.12g" writes it, with the
 * ".0" a JSON real keeps when whole (as jansson writes it).  Below 1e9 ms
 * (11 days) that is the exact decimal with its trailing zeros dropped, done
 * here without printf (one per request); beyond, printf itself. */
static int
format_ms(double ms, char *num, size_t size)
{
	long long k = (long long)(ms * 1000.0 + 0.5);   /* microseconds */
	int n;

	if (k >= 0 && k < 1000000000000LL && size >= 24) {
		char digits[24], *p = digits + sizeof digits;
		long long ip = k / 1000;
		int frac = (int)(k % 1000);
		do
			*--p = (char)('0' + ip % 10);
		while ((ip /= 10) != 0);
		n = (int)(digits + sizeof digits - p);
		memcpy(num, p, (size_t)n);
		num[n++] = '.';
		if (frac == 0) {
			num[n++] = '0';
		} else {
			num[n++] = (char)('0' + frac / 100);
			if (frac % 100 != 0) {
				num[n++] = (char)('0' + frac / 10 % 10);
				if (frac % 10 != 0)
					num[n++] = (char)('0' + frac % 10);
			}
		}
		num[n] = '\0';
		return n;
	}
	n = snprintf(num, size, "%.12g", ms);
	if (strpbrk(num, ".eE") == NULL)
		n += snprintf(num + n, size - (size_t)n, ".0");
	return n;
}

/* The string fields of a line, in the line's order, each after its key:
 * the table both the room and the writing are worked out from. */
#define AUDIT_STR_FIELDS(X) \
	X(identity) X(peer) X(listener) X(method) X(path) X(endpoint) X(image) \
	X(verdict) X(profile) X(mode)
#define AUDIT_STR_FIELDS_AFTER_RULES(X) X(exception) X(exception_reason) X(message)

/* Everything of a line but its strings, time and rule names: the keys,
 * three counters, the status, the duration and punctuation (about 400
 * bytes; the margin costs nothing, the buffer is kept). */
#define LINE_FIXED 1024

/* The line for rec, NUL-terminated, into w (its buffer grown as needed);
 * -1 when out of memory. */
static int
format_line(struct jw *w, const struct audit_record *rec)
{
	char when[64], num[48];
	double ms = rec->duration_ms > 0 ? rec->duration_ms : 0;
	size_t need = LINE_FIXED, when_len;

	format_time(&rec->time, when, sizeof(when));
	when_len = strlen(when);
	need += JW_STR_MAX(when_len);

#define X(f) size_t f##_len = rec->f ? strlen(rec->f) : 0;
	AUDIT_STR_FIELDS(X)
	AUDIT_STR_FIELDS_AFTER_RULES(X)
#undef X
	/* a field is a C string in memory, so 6 * length cannot overflow a
	 * size_t on a 64-bit address space; jw_room refuses a sum that would */
#define X(f) need += JW_STR_MAX(f##_len);
	AUDIT_STR_FIELDS(X)
	AUDIT_STR_FIELDS_AFTER_RULES(X)
#undef X
	for (size_t i = 0; i < rec->nrules; i++)
		if (rec->rules[i] != NULL)
			need += JW_STR_MAX(strlen(rec->rules[i])) + 1;
	if (jw_room(w, need) != 0)
		return -1;

	/* microsecond resolution is all the clock gives us; keep lines short */
	ms = (double)(long long)(ms * 1000.0 + 0.5) / 1000.0;

	JW_LIT(w, "{\"time\":");
	jw_str(w, when, when_len);
	jw_key_num(w, "request_id", rec->request_id, 0);
	jw_key_num(w, "conn_id", rec->conn_id, 0);
#define X(f) jw_put(w, JW_KEY(#f)); jw_str(w, rec->f, f##_len);
	AUDIT_STR_FIELDS(X)
	/* {"a","b"} -> ["a","b"]; none -> [].  NULL or "" names are skipped. */
	JW_LIT(w, ",\"rules\":[");
	for (size_t i = 0, first = 1; i < rec->nrules; i++) {
		if (rec->rules[i] == NULL || rec->rules[i][0] == '\0')
			continue;
		if (!first)
			JW_LIT(w, ",");
		jw_str(w, rec->rules[i], strlen(rec->rules[i]));
		first = 0;
	}
	JW_LIT(w, "]");
	AUDIT_STR_FIELDS_AFTER_RULES(X)
#undef X
	jw_key_num(w, "status", (unsigned long long)(rec->status < 0 ? -(long long)rec->status
	    : rec->status), rec->status < 0);
	jw_key_num(w, "bytes_in", rec->bytes_in, 0);
	jw_key_num(w, "bytes_out", rec->bytes_out, 0);
	int n = format_ms(ms, num, sizeof num);
	JW_LIT(w, ",\"duration_ms\":");
	jw_put(w, num, (size_t)n);
	JW_LIT(w, "}\n");
	w->buf[w->len] = '\0';
	return 0;
}

char *
audit_format(const struct audit_record *rec)
{
	struct jw w = { 0 };
	if (format_line(&w, rec) != 0) {
		free(w.buf);
		return NULL;
	}
	return w.buf;
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

/* Does the regular file at fd end inside a line (a short write, ours before
 * a restart or a reopen of the same file, or another writer's)?  fd is
 * write-only: its last byte is read through the name, when that still
 * names the same file and may be read; else it is taken as ending whole. */
static int
ends_mid_line(int fd, const char *path)
{
	struct stat st, rst;
	char last = '\n';
	int rfd;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (rfd < 0)
		return 0;
	if (fstat(rfd, &rst) != 0 || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino ||
	    pread(rfd, &last, 1, st.st_size - 1) != 1)
		last = '\n';
	close(rfd);
	return last != '\n';
}

static int
open_file(struct audit_log *log, char *err, size_t errlen)
{
	/* O_NONBLOCK: nothing for a regular file, but the loop must never
	 * wait on a FIFO (a collector reading it): with no reader the open
	 * fails (ENXIO) instead of blocking until one comes, and a line a
	 * full pipe cannot take is a failed write, not a stalled gateway */
	int fd = open(log->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    0640);

	if (fd < 0) {
		snprintf(err, errlen, "audit log %s: %s", log->file, strerror(errno));
		return -1;
	}
	if (log->fd >= 0)
		close(log->fd);
	log->fd = fd;
	/* whatever the file: a line of ours never starts inside another */
	log->torn = ends_mid_line(fd, log->file);
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

/* Lines to come that the reserved room must hold: those held for the end
 * of the turn, and those of the running requests. */
static long long
owed(const struct audit_log *log)
{
	return (long long)log->plen + log->running;
}

/* Can the file take another line?  Reserves room past its end without
 * changing its size (fallocate KEEP_SIZE): a full disk, a file size limit,
 * a read-only or failed file system answer here, before a request that
 * would need the line goes to the engine.  1 yes, 0 no (errno set), -1
 * cannot tell (not a regular file, or no fallocate there): only a write
 * tells then. */
static int
probe_file(struct audit_log *log)
{
	struct stat st;
	if (log->fd < 0)
		return 0;
	if (fstat(log->fd, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode))
		return -1;
	long long want = PROBE_RESERVE + owed(log);
	if (fallocate(log->fd, FALLOC_FL_KEEP_SIZE, st.st_size, want) == 0) {
		log->probed_size = (long long)st.st_size;
		log->reserved_end = (long long)st.st_size + want;
		log->written_since_probe = 0;
		return 1;
	}
	log->reserved_end = 0;
	return errno == EOPNOTSUPP || errno == ENOSYS ? -1 : 0;
}

/* Is there still reserved room for the lines to come, without a system
 * call? */
static int
room_left(const struct audit_log *log)
{
	return log->reserved_end - (log->probed_size + log->written_since_probe + owed(log)) >
	    PROBE_MARGIN;
}

/* A reopen (SIGUSR1) that failed leaves no file open.  Each line tries it
 * again, so the log recovers by itself once the file can be opened, in
 * either mode: with fail-closed audit_ready() would retry it too, but with
 * continue nothing else does, and every decision would go to stderr until
 * the next SIGUSR1.  0 when the file is open now. */
static int
finish_reopen(struct audit_log *log)
{
	char err[600];

	if (open_file(log, err, sizeof err) != 0)
		return -1;
	log->reserved_end = 0;   /* another file: probe it */
	return 0;
}

/* One write(2) of the whole line; anything less is a failure. */
static int
write_file(struct audit_log *log, const char *line, size_t len)
{
	char what[600];
	ssize_t n;

	if (log->fd < 0 && finish_reopen(log) != 0)
		return -1;   /* still broken by the failed open */
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
		log->written_since_probe += n;
		/* An O_APPEND write leaves the offset at the file's end: short
		 * of what was probed and written since, the file was truncated
		 * (logrotate's copytruncate), and the room reserved past its
		 * old end went with it: probe again on the next request rather
		 * than count on room that is not there.  Other appenders only
		 * make the file longer. */
		off_t end = log->reserved_end > 0 ? lseek(log->fd, 0, SEEK_CUR) : -1;
		if (end >= 0 && (long long)end < log->probed_size + log->written_since_probe)
			log->reserved_end = 0;
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

/* Write the held lines: one write(2) for all of them (each complete, so
 * concurrent appenders still never split a line).  What the file does not
 * take goes to stderr, as a single line would, and each such line counts as
 * a failed audit write. */
static void
flush_pending(struct audit_log *log)
{
	if (log->plen == 0)
		return;
	if (write_file(log, log->pend, log->plen) != 0) {
		write_stderr(log->pend, log->plen);
		for (size_t i = 0; i < log->plines; i++)
			metrics_audit_write_failed();
	}
	log->plen = 0;
	log->plines = 0;
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	flush_pending(arg);
}

/* Hold the line for the end of this turn of the loop; 0 when held. */
static int
hold_line(struct audit_log *log, const char *line, size_t len)
{
	if (log->plen + len > PEND_MAX)
		flush_pending(log);
	if (grow(&log->pend, &log->pcap, log->plen + len, 4096) != 0)
		return -1;
	memcpy(log->pend + log->plen, line, len);
	log->plen += len;
	log->plines++;
	event_active(log->flush_ev, EV_TIMEOUT, 0);   /* once per turn, after the others */
	return 0;
}

/* ---- API ------------------------------------------------------------------- */

int
audit_attach_loop(struct audit_log *log, struct event_base *base)
{
	if (log == NULL || log->file == NULL || log->flush_ev != NULL)
		return 0;
	log->flush_ev = event_new(base, -1, 0, flush_cb, log);
	return log->flush_ev != NULL ? 0 : -1;
}

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
	flush_pending(log);   /* into the file they were decided under */
	if (open_file(log, err, errlen) != 0) {
		/* Keep nothing open on the old (rotated, maybe compressed) file. */
		if (log->fd >= 0)
			close(log->fd);
		log->fd = -1;
		mark_broken(log, err);
		return -1;
	}
	/* an open is not a write: a broken log recovers when the new file can
	 * take a line (or, where that cannot be told, when one is written) */
	log->reserved_end = 0;   /* another file: probe it */
	if (!log->broken || probe_file(log) == 1)
		mark_recovered(log);
	return 0;
}

/* The room a request's line is owed: LINE_RESERVE for the fields sockward
 * bounds, and its path as escaped at worst, which only the client bounds
 * (limits.max_header_bytes): one request with a long target could
 * otherwise find less room than its line needs.  The same at audit_ready
 * and audit_write: both see the same path. */
static long long
line_room(const char *path)
{
	return LINE_RESERVE + (path != NULL ? (long long)JW_STR_MAX(strlen(path)) : 0);
}

/* audit_ready() for the request already counted in log->running. */
static int
file_ready(struct audit_log *log)
{
	char what[600], err[600];
	if (log->broken) {
		/* re-checked on every request, not only on SIGUSR1 */
		if (log->fd < 0 && open_file(log, err, sizeof err) != 0)
			return 0;
		if (probe_file(log) == 1)
			mark_recovered(log);   /* a torn line is still ended by the next write */
		return !log->broken;
	}
	if (log->reserved_end > 0 && room_left(log))
		return 1;
	if (probe_file(log) == 0) {
		snprintf(what, sizeof what, "audit log %s cannot be written: %s", log->file,
		    strerror(errno));
		mark_broken(log, what);
		return 0;
	}
	return 1;
}

int
audit_ready(struct audit_log *log, const char *path)
{
	if (log == NULL || log->file == NULL || log->on_failure != AUDIT_FAIL_CLOSED)
		return 1;
	long long room = line_room(path);
	log->running += room;   /* its line, to come: room for it too */
	if (file_ready(log))
		return 1;
	log->running -= room;
	return 0;
}

void
audit_inherit(struct audit_log *log, const struct audit_log *old)
{
	if (log != NULL && old != NULL)
		log->running += old->running;
}

void
audit_close(struct audit_log *log)
{
	if (log == NULL)
		return;
	flush_pending(log);
	if (log->flush_ev != NULL)
		event_free(log->flush_ev);
	free(log->pend);
	free(log->line);
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
	struct jw w = { log->line, 0, log->line_cap };
	int formatted = format_line(&w, rec);
	log->line = w.buf;
	log->line_cap = w.cap;
	char *line = w.buf;
	size_t len;
	int rc = 0;

	if (rec->admitted) {
		/* from here on its line is held (plen), written or lost */
		long long room = line_room(rec->path);
		log->running = log->running > room ? log->running - room : 0;
	}
	if (formatted != 0) {
		/* Out of memory: still leave a trace of the decision. */
		char fb[256];
		int n = snprintf(fb, sizeof(fb),
		    "sockward: audit line for request %llu (%s) could not be built\n",
		    (unsigned long long)rec->request_id, rec->verdict ? rec->verdict : "?");
		write_stderr(fb, n > 0 ? (size_t)n : 0);
		return -1;
	}
	len = w.len;
	if (log->syslog)
		syslog(LOG_INFO, "%.*s", (int)(len - 1), line);
	if (log->file != NULL && log->flush_ev != NULL && hold_line(log, line, len) == 0) {
		/* written at the end of this turn of the loop (flush_pending) */
	} else if (log->file != NULL) {
		if (write_file(log, line, len) != 0) {
			write_stderr(line, len);
			rc = -1;
		}
	} else if (!log->syslog) {
		write_stderr(line, len);
	}
	if (log->line_cap > PEND_MAX) {   /* a rare long line: not kept */
		free(log->line);
		log->line = NULL;
		log->line_cap = 0;
	}
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
