/* test_audit.c - audit lines field by field, logrotate reopen, failures. */
#include <check.h>
#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <event2/event.h>

#include "daemon/audit.h"
#include "policy/utf8.h"

static char dir[64];
static char file[128];

static void
mkdir_tmp(void)
{
	strcpy(dir, "/tmp/sw-audit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/audit.log", dir);
}

static void
rm_tmp(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *const sample_rules[] = { "container.privileged", "container.mount.host" };

static struct audit_record
sample(const char *verdict)
{
	struct audit_record r = {
		.time = { .tv_sec = 1714564800, .tv_usec = 42 },  /* 2024-05-01T12:00:00.000042Z */
		.request_id = 7, .conn_id = 3,
		.identity = "cn=alice", .peer = "127.0.0.1:51234", .listener = "tls",
		.method = "POST", .path = "/v1.41/containers/create?name=\"x\"",
		.endpoint = "container.create", .image = "busybox:1.36",
		.verdict = verdict, .profile = "default", .mode = "enforce",
		.rules = sample_rules, .nrules = 2,
		.exception = "ci-runner", .exception_reason = "CI needs /var/run",
		.message = "privileged containers are not allowed",
		.status = 403, .bytes_in = 312, .bytes_out = 61, .duration_ms = 0.4123,
	};
	return r;
}

/* Read the whole file (small) into a malloc'd string. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Parse line i (0-based) of text as a JSON object. */
static json_t *
line_json(const char *text, int i)
{
	const char *p = text, *end;
	json_error_t e;
	json_t *j;

	while (i-- > 0) {
		p = strchr(p, '\n');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	end = strchr(p, '\n');
	ck_assert_ptr_nonnull(end);
	j = json_loadb(p, (size_t)(end - p), 0, &e);
	ck_assert_msg(j != NULL, "line %d is not JSON: %s", i, e.text);
	ck_assert(json_is_object(j));
	return j;
}

static void
assert_str(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_string(v), "%s is not a string", key);
	ck_assert_str_eq(json_string_value(v), want);
}

static void
assert_int(json_t *o, const char *key, long long want)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
	ck_assert_int_eq(json_integer_value(v), want);
}

/* Redirect stderr to a file so a test can see what went there. */
static char errfile[160];
static void
capture_stderr(void)
{
	int fd;
	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* A file system of its own that fills up: a small tmpfs (make check runs
 * as root), its audit.log and a file that takes every free block. */
struct small_fs {
	char dir[32], path[96], fill[96];
};

static void
small_fs_mount(struct small_fs *fs, const char *size)
{
	char opts[32];
	strcpy(fs->dir, "/tmp/sw-audit-fs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fs->dir));
	snprintf(opts, sizeof opts, "size=%s", size);
	ck_assert_msg(mount("tmpfs", fs->dir, "tmpfs", 0, opts) == 0,
	    "mounting a small tmpfs needs root (make check runs as root): %s", strerror(errno));
	snprintf(fs->path, sizeof fs->path, "%s/audit.log", fs->dir);
	snprintf(fs->fill, sizeof fs->fill, "%s/fill", fs->dir);
	mkdir_tmp();
	capture_stderr();
}

/* someone else takes every free block */
static void
small_fs_fill(const struct small_fs *fs)
{
	FILE *f = fopen(fs->fill, "w");
	ck_assert_ptr_nonnull(f);
	char block[4096] = { 0 };
	while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0)
		;
	fclose(f);
}

static void
small_fs_unmount(const struct small_fs *fs)
{
	ck_assert_int_eq(umount(fs->dir), 0);
	rmdir(fs->dir);
	rm_tmp();
}

START_TEST(every_field_of_a_line)
{
	struct audit_config cfg = { .file = file, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("deny");
	static const char *const order[] = {
		"time", "request_id", "conn_id", "identity", "peer", "listener", "method",
		"path", "endpoint", "image", "verdict", "profile", "mode", "rules",
		"exception", "exception_reason", "message", "status", "bytes_in",
		"bytes_out", "duration_ms",
	};
	char err[256], *text;
	struct audit_log *log;
	const char *key;
	json_t *o, *v, *rules;
	size_t i = 0;
	struct stat st;

	mkdir_tmp();
	log = audit_open(&cfg, err, sizeof(err));
	ck_assert_msg(log != NULL, "%s", err);
	ck_assert_int_eq(audit_write(log, &r), 0);
	ck_assert(!audit_failed(log));
	audit_close(log);

	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 1);
	o = line_json(text, 0);

	ck_assert_uint_eq(json_object_size(o), sizeof(order) / sizeof(order[0]));
	json_object_foreach(o, key, v)
		ck_assert_str_eq(key, order[i++]);

	assert_str(o, "time", "2024-05-01T12:00:00.000042Z");
	assert_int(o, "request_id", 7);
	assert_int(o, "conn_id", 3);
	assert_str(o, "identity", "cn=alice");
	assert_str(o, "peer", "127.0.0.1:51234");
	assert_str(o, "listener", "tls");
	assert_str(o, "method", "POST");
	assert_str(o, "path", "/v1.41/containers/create?name=\"x\"");
	assert_str(o, "endpoint", "container.create");
	assert_str(o, "image", "busybox:1.36");
	assert_str(o, "verdict", "deny");
	assert_str(o, "profile", "default");
	assert_str(o, "mode", "enforce");
	rules = json_object_get(o, "rules");
	ck_assert(json_is_array(rules));
	ck_assert_uint_eq(json_array_size(rules), 2);
	ck_assert_str_eq(json_string_value(json_array_get(rules, 0)), "container.privileged");
	ck_assert_str_eq(json_string_value(json_array_get(rules, 1)), "container.mount.host");
	assert_str(o, "exception", "ci-runner");
	assert_str(o, "exception_reason", "CI needs /var/run");
	assert_str(o, "message", "privileged containers are not allowed");
	assert_int(o, "status", 403);
	assert_int(o, "bytes_in", 312);
	assert_int(o, "bytes_out", 61);
	v = json_object_get(o, "duration_ms");
	ck_assert(json_is_real(v));
	ck_assert_double_eq_tol(json_real_value(v), 0.412, 1e-9);
	/* rounded to the microsecond, not printed with 17 digits */
	ck_assert_ptr_nonnull(strstr(text, "\"duration_ms\":0.412}"));
	/* compact: one line, no pretty printing */
	ck_assert_ptr_null(strstr(text, "\": "));

	json_decref(o);
	free(text);
	rm_tmp();
}
END_TEST

START_TEST(every_verdict)
{
	static const char *const verdicts[] = { "allow", "deny", "warn", "audit" };
	struct audit_config cfg = { .file = file };
	char err[256], *text;
	struct audit_log *log;
	size_t i;

	mkdir_tmp();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	for (i = 0; i < 4; i++) {
		struct audit_record r = sample(verdicts[i]);
		r.request_id = 100 + i;
		r.status = i == 1 ? 403 : 201;
		ck_assert_int_eq(audit_write(log, &r), 0);
	}
	audit_close(log);
	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 4);
	for (i = 0; i < 4; i++) {
		json_t *o = line_json(text, (int)i);
		assert_str(o, "verdict", verdicts[i]);
		assert_int(o, "request_id", 100 + (long long)i);
		assert_int(o, "status", i == 1 ? 403 : 201);
		json_decref(o);
	}
	free(text);
	rm_tmp();
}
END_TEST

START_TEST(null_fields_are_null_and_rules_empty)
{
	struct audit_record r = { .verdict = "allow", .time = { 0, 999999 } };
	char *line = audit_format(&r);
	json_t *o, *v;
	const char *key;
	json_error_t e;

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	o = json_loads(line, 0, &e);
	ck_assert_ptr_nonnull(o);
	assert_str(o, "time", "1970-01-01T00:00:00.999999Z");
	json_object_foreach(o, key, v) {
		if (strcmp(key, "time") == 0 || strcmp(key, "verdict") == 0)
			continue;
		if (strcmp(key, "rules") == 0) {
			ck_assert(json_is_array(v) && json_array_size(v) == 0);
		} else if (json_is_string(v)) {
			ck_abort_msg("%s should be null", key);
		}
	}
	ck_assert(json_is_null(json_object_get(o, "identity")));
	ck_assert(json_is_null(json_object_get(o, "exception")));
	ck_assert(json_is_null(json_object_get(o, "exception_reason")));
	ck_assert(json_is_null(json_object_get(o, "image")));
	assert_int(o, "status", 0);
	ck_assert_double_eq(json_real_value(json_object_get(o, "duration_ms")), 0);
	json_decref(o);
	free(line);

	/* empty names (there are none in a decision) are skipped, not written "" */
	static const char *const sparse[] = { "a", "", NULL, "b" };
	r.rules = sparse;
	r.nrules = 4;
	line = audit_format(&r);
	o = json_loads(line, 0, &e);
	v = json_object_get(o, "rules");
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(json_string_value(json_array_get(v, 0)), "a");
	ck_assert_str_eq(json_string_value(json_array_get(v, 1)), "b");
	json_decref(o);
	free(line);
}
END_TEST

/* Raw bytes in a path must not break the line (or drop it). */
START_TEST(invalid_utf8_and_control_chars)
{
	struct audit_record r = sample("deny");
	json_error_t e;
	json_t *o;
	char *line;

	r.path = "/containers/\xff\xfe/json\n\x01";
	r.identity = "cn=\xc3\xa9t\xc3";   /* valid é, then a truncated sequence */
	line = audit_format(&r);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);
	o = json_loads(line, 0, &e);
	ck_assert_msg(o != NULL, "%s", e.text);
	assert_str(o, "path", "/containers/\xef\xbf\xbd\xef\xbf\xbd/json\n\x01");
	assert_str(o, "identity", "cn=\xc3\xa9t\xef\xbf\xbd");
	json_decref(o);
	free(line);
}
END_TEST

/* The escaping as a plain byte-by-byte rule, to hold the line writer to:
 * printable ASCII but '"' and '\\' as is, the short escapes, \u00xx for
 * other control bytes, a valid UTF-8 sequence as is, any other byte as
 * U+FFFD. */
static size_t
ref_escape(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = out;
	*o++ = '"';
	while (*p) {
		unsigned char c = *p;
		size_t n;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
			p++;
		} else if (c >= 0x20 && c < 0x7f) {
			*o++ = (char)*p++;
		} else if (c == 0x7f) {
			*o++ = (char)*p++;
		} else if (c < 0x20) {
			const char *e = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r"
			    : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
			if (e != NULL)
				o += sprintf(o, "%s", e);
			else
				o += sprintf(o, "\\u%04x", c);
			p++;
		} else if ((n = utf8_seq_len(p, strlen((const char *)p))) > 0) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		}
	}
	*o++ = '"';
	*o = '\0';
	return (size_t)(o - out);
}

/* A string of n bytes (no NUL) drawn from one of a few mixes: mostly
 * plain text, text with quotes and escapes, raw control bytes, valid and
 * broken UTF-8. */
static void
random_field(char *buf, size_t n, unsigned mix)
{
	static const char *const pieces[] = {
		"a", "Z", "/", " ", "~", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\xb3", "\xc3", "\xff", "\xed\xa0\x80",
		"\xe2\x82", "\x80",
	};
	size_t i = 0;
	while (i < n) {
		const char *piece;
		if (mix == 0 || (mix == 1 && rand() % 4 != 0))
			piece = pieces[rand() % 5];
		else
			piece = pieces[rand() % (sizeof pieces / sizeof pieces[0])];
		size_t l = strlen(piece);
		if (i + l > n)
			l = n - i;
		memcpy(buf + i, piece, l);
		i += l;
	}
	buf[n] = '\0';
}

/* Every string field and rule name, whatever its bytes and length, comes
 * out as the byte-by-byte rule writes it (the writer scans runs several
 * bytes at a time and makes room for the line once). */
START_TEST(strings_escaped_as_the_byte_rule_says)
{
	enum { MAXLEN = 5000 };
	static char path[MAXLEN + 1], msg[MAXLEN + 1], rule[MAXLEN + 1];
	static char want[6 * MAXLEN + 3];
	struct audit_record r = sample("deny");
	const char *rules[2] = { "container.privileged", rule };

	srand(20261201);
	r.rules = rules;
	for (int i = 0; i < 3000; i++) {
		size_t n = i < 10 ? (size_t)i : i % 100 == 0 ? MAXLEN : (size_t)(rand() % 200);
		random_field(path, n, (unsigned)i % 4);
		random_field(msg, (size_t)(rand() % 64), (unsigned)(i + 1) % 4);
		random_field(rule, i % 500 == 0 ? MAXLEN : (size_t)(rand() % 40), (unsigned)(i + 2) % 4);
		r.path = path;
		r.message = msg;
		char *line = audit_format(&r);
		ck_assert_ptr_nonnull(line);
		ck_assert_ptr_eq(strchr(line, '\n'), line + strlen(line) - 1);

		size_t wl = ref_escape(path, want);
		const char *at = strstr(line, ",\"path\":");
		ck_assert_ptr_nonnull(at);
		at += strlen(",\"path\":");
		ck_assert_msg(strncmp(at, want, wl) == 0 && strncmp(at + wl, ",\"endpoint\":", 12) == 0,
		    "path %d (%zu bytes) written otherwise than the rule", i, n);
		wl = ref_escape(msg, want);
		at = strstr(line, ",\"message\":");
		ck_assert_ptr_nonnull(at);
		at += strlen(",\"message\":");
		ck_assert_msg(strncmp(at, want, wl) == 0 && strncmp(at + wl, ",\"status\":", 10) == 0,
		    "message %d written otherwise than the rule", i);
		if (rule[0] == '\0') {   /* an empty name is skipped */
			ck_assert_ptr_nonnull(strstr(line, ",\"rules\":[\"container.privileged\"],"));
			free(line);
			continue;
		}
		wl = ref_escape(rule, want);
		at = strstr(line, "\"container.privileged\",");
		ck_assert_ptr_nonnull(at);
		at += strlen("\"container.privileged\",");
		ck_assert_msg(strncmp(at, want, wl) == 0 && at[wl] == ']',
		    "rule %d written otherwise than the rule", i);

		json_error_t e;
		json_t *o = json_loads(line, 0, &e);
		ck_assert_msg(o != NULL, "line %d is not JSON: %s", i, e.text);
		json_decref(o);
		free(line);
	}
}
END_TEST

START_TEST(reopen_after_logrotate_rename)
{
	struct audit_config cfg = { .file = file };
	char err[256], rotated[160], *a, *b;
	struct audit_log *log;
	struct audit_record r = sample("allow");

	mkdir_tmp();
	snprintf(rotated, sizeof(rotated), "%s.1", file);
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	r.request_id = 1;
	ck_assert_int_eq(audit_write(log, &r), 0);
	ck_assert_int_eq(rename(file, rotated), 0);
	r.request_id = 2;   /* before SIGUSR1: still the old (renamed) file */
	ck_assert_int_eq(audit_write(log, &r), 0);
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), 0);
	r.request_id = 3;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);

	a = slurp(rotated);
	b = slurp(file);
	ck_assert_int_eq(count_lines(a), 2);
	ck_assert_int_eq(count_lines(b), 1);
	ck_assert_ptr_nonnull(strstr(a, "\"request_id\":1,"));
	ck_assert_ptr_nonnull(strstr(a, "\"request_id\":2,"));
	ck_assert_ptr_nonnull(strstr(b, "\"request_id\":3,"));
	free(a);
	free(b);
	rm_tmp();
}
END_TEST

START_TEST(full_device_fail_closed)
{
	struct audit_config cfg = { .file = "/dev/full", .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	char err[256], *captured;
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert(!audit_failed(log));
	r.request_id = 91;
	ck_assert_int_eq(audit_write(log, &r), -1);
	ck_assert(audit_failed(log));
	ck_assert_ptr_nonnull(strstr(audit_failed_message(log), "audit log"));
	r.request_id = 92;
	ck_assert_int_eq(audit_write(log, &r), -1);
	ck_assert(audit_failed(log));
	audit_close(log);

	captured = slurp(errfile);
	/* the decisions were not dropped: both are on stderr, whole */
	ck_assert_ptr_nonnull(strstr(captured, "\"request_id\":91,"));
	ck_assert_ptr_nonnull(strstr(captured, "\"request_id\":92,"));
	/* and the operator is told why, once */
	ck_assert_ptr_nonnull(strstr(captured, "No space left on device"));
	ck_assert_ptr_nonnull(strstr(captured, "fail-closed"));
	ck_assert_ptr_null(strstr(strstr(captured, "denying new requests") + 1,
	    "denying new requests"));
	free(captured);
	rm_tmp();
}
END_TEST

/* fail-closed refuses from the first request after the file can no longer
 * take a line, not from the one after a failed write; a reopen of a still
 * full file lets nothing through; recovery is checked on every request.
 * A real full file system: a 1 MiB tmpfs (make check runs as root). */
START_TEST(fail_closed_before_the_failing_write)
{
	struct small_fs fs;
	char err[256];
	struct audit_config cfg = { .file = fs.path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct audit_log *log;

	small_fs_mount(&fs, "1m");
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(audit_write(log, &r), 0);
	r.admitted = 1;   /* from here on each line is of a request the check let through */
	ck_assert_int_eq(audit_ready(log, r.path), 1);
	ck_assert_int_eq(audit_write(log, &r), 0);
	small_fs_fill(&fs);
	/* every request the check lets through gets its line written (the check
	 * reserves the room), and the check says no before a write would fail */
	int through = 0;
	while (audit_ready(log, r.path) == 1) {
		ck_assert_int_eq(audit_write(log, &r), 0);
		ck_assert_int_lt(++through, 1000);
	}
	ck_assert(audit_failed(log));
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), 0);
	ck_assert_int_eq(audit_ready(log, r.path), 0);          /* a reopen lets nothing through */
	/* room again: the next request finds out by itself, no signal needed */
	ck_assert_int_eq(unlink(fs.fill), 0);
	ck_assert_int_eq(audit_ready(log, r.path), 1);
	ck_assert(!audit_failed(log));
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	small_fs_unmount(&fs);
}
END_TEST

/* Requests the check lets through are written when they end, which for a
 * stream (logs -f, attach, events) is long after: every one of them must
 * still find its room, however many are running when the file system fills
 * up.  Each is counted from the check until its line is written. */
START_TEST(fail_closed_room_for_every_running_request)
{
	struct small_fs fs;
	char err[256];
	struct audit_config cfg = { .file = fs.path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct audit_log *log;
	enum { RUNNING = 600 };   /* ~300 KB of lines, more than one reservation */

	small_fs_mount(&fs, "2m");
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	r.admitted = 1;   /* each let through by the check above */
	for (int i = 0; i < RUNNING; i++)
		ck_assert_int_eq(audit_ready(log, r.path), 1);
	small_fs_fill(&fs);
	for (int i = 0; i < RUNNING; i++) {
		r.request_id = 1000 + (uint64_t)i;
		ck_assert_msg(audit_write(log, &r) == 0, "the line of running request %d had no room", i);
	}
	ck_assert(!audit_failed(log));
	audit_close(log);
	small_fs_unmount(&fs);
}
END_TEST

/* A request's line is as long as its path escaped, and the client chooses
 * the path's length (up to limits.max_header_bytes): each running request
 * is owed room for its own path, not a fixed 2 KiB, or one long target's
 * line found no room although the check had let it through. */
START_TEST(fail_closed_room_for_a_long_path)
{
	struct small_fs fs;
	char err[256];
	struct audit_config cfg = { .file = fs.path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct audit_log *log;
	enum { LONG = 60000, MAX = 8 };   /* each line ~360 KB escaped */
	char *target = malloc(LONG + 8);

	ck_assert_ptr_nonnull(target);
	memcpy(target, "/_ping?", 7);
	memset(target + 7, 0x01, LONG);   /* \u0001 each: six bytes in the line */
	target[7 + LONG] = '\0';
	r.path = target;
	small_fs_mount(&fs, "2m");
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	int admitted = 0;
	while (admitted < MAX && audit_ready(log, r.path) == 1)
		admitted++;
	ck_assert_int_ge(admitted, 2);
	ck_assert_int_lt(admitted, MAX);   /* 8 x 360 KB do not fit in 2 MiB */
	small_fs_fill(&fs);
	r.admitted = 1;
	for (int i = 0; i < admitted; i++) {
		r.request_id = 1000 + (uint64_t)i;
		ck_assert_msg(audit_write(log, &r) == 0, "the line of admitted request %d had no room", i);
	}
	ck_assert(!audit_failed(log));
	audit_close(log);
	free(target);
	small_fs_unmount(&fs);
}
END_TEST

/* logrotate's copytruncate empties the file under the open descriptor,
 * and the room reserved past its old end goes with it: the next line
 * written sees it (the append lands short of where the log counted), and
 * the next check probes again instead of trusting ~128 KiB of room that
 * is not there any more. */
START_TEST(fail_closed_after_copytruncate)
{
	struct small_fs fs;
	char err[256];
	struct audit_config cfg = { .file = fs.path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct audit_log *log;

	small_fs_mount(&fs, "1m");
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	r.admitted = 1;
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(audit_ready(log, r.path), 1);
		ck_assert_int_eq(audit_write(log, &r), 0);
	}
	ck_assert_int_eq(truncate(fs.path, 0), 0);   /* copytruncate */
	ck_assert_int_eq(audit_ready(log, r.path), 1);
	ck_assert_int_eq(audit_write(log, &r), 0);   /* room: nothing is full yet */
	small_fs_fill(&fs);
	/* whatever the check lets through is written */
	int through = 0;
	while (audit_ready(log, r.path) == 1) {
		ck_assert_msg(audit_write(log, &r) == 0, "line %d let through found no room", through);
		ck_assert_int_lt(++through, 1000);
	}
	ck_assert(audit_failed(log));
	audit_close(log);
	small_fs_unmount(&fs);
}
END_TEST

/* A reload opens the new audit log and closes the old one while requests
 * the old one let through are still running: their lines go to the new
 * file (audit.file may have changed), which must owe them their room. */
START_TEST(reload_keeps_room_for_running_requests)
{
	struct small_fs fs;
	char old_path[96], new_path[96], err[256];
	struct audit_config old_cfg = { .file = old_path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_config new_cfg = { .file = new_path, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct audit_log *old, *log;
	enum { RUNNING = 600 };

	/* room for both files' reservations */
	small_fs_mount(&fs, "4m");
	snprintf(old_path, sizeof old_path, "%s/old.log", fs.dir);
	snprintf(new_path, sizeof new_path, "%s/new.log", fs.dir);
	ck_assert_ptr_nonnull(old = audit_open(&old_cfg, err, sizeof(err)));
	for (int i = 0; i < RUNNING; i++)
		ck_assert_int_eq(audit_ready(old, r.path), 1);
	/* the reload, as server_reload does it */
	ck_assert_ptr_nonnull(log = audit_open(&new_cfg, err, sizeof(err)));
	audit_inherit(log, old);
	audit_close(old);
	ck_assert_int_eq(audit_ready(log, r.path), 1);   /* a new request after the reload */
	small_fs_fill(&fs);
	r.admitted = 1;
	for (int i = 0; i <= RUNNING; i++) {
		r.request_id = 1000 + (uint64_t)i;
		ck_assert_msg(audit_write(log, &r) == 0, "the line of running request %d had no room", i);
	}
	audit_close(log);
	small_fs_unmount(&fs);
}
END_TEST

/* audit.file may be a FIFO (a collector reading it): the event loop must
 * never wait on it.  Without a reader the open fails at once (at startup,
 * and a reload or a SIGUSR1 then keeps what it had) instead of blocking
 * the whole gateway until one comes; with a reader that does not keep up,
 * a line the pipe cannot take goes to stderr, as any line the file does
 * not take, instead of the write blocking. */
START_TEST(fifo_never_blocks)
{
	char fifo[160], err[256];
	struct audit_config cfg = { .file = fifo, .on_failure = AUDIT_CONTINUE };
	struct audit_record r = sample("allow");
	struct audit_log *log;
	int failed = 0;

	mkdir_tmp();
	capture_stderr();
	snprintf(fifo, sizeof fifo, "%s/audit.fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_ptr_null(audit_open(&cfg, err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such device or address") != NULL, "err: %s", err);
	int rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);   /* a reader that never reads */
	ck_assert_int_ge(rfd, 0);
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	for (int i = 0; i < 1000 && !failed; i++) {   /* ~500 KB: more than the pipe holds */
		r.request_id = (uint64_t)i;
		failed = audit_write(log, &r) != 0;
	}
	ck_assert(failed);
	audit_close(log);
	close(rfd);
	rm_tmp();
}
END_TEST

START_TEST(full_device_continue)
{
	struct audit_config cfg = { .file = "/dev/full", .on_failure = AUDIT_CONTINUE };
	struct audit_record r = sample("warn");
	char err[256], *captured;
	struct audit_log *log;
	json_t *o;

	mkdir_tmp();
	capture_stderr();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(audit_write(log, &r), -1);
	ck_assert(!audit_failed(log));   /* keeps serving */
	audit_close(log);
	captured = slurp(errfile);
	ck_assert_ptr_nonnull(strstr(captured, "continue"));
	o = line_json(strchr(captured, '{'), 0);
	assert_str(o, "verdict", "warn");
	json_decref(o);
	free(captured);
	rm_tmp();
}
END_TEST

START_TEST(directory_removed_then_restored)
{
	struct audit_config cfg = { .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("audit");
	char sub[160], path[200], err[256], *text, *captured;
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	snprintf(sub, sizeof(sub), "%s/logs", dir);
	snprintf(path, sizeof(path), "%s/audit.log", sub);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	cfg.file = path;
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(sub), 0);

	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	ck_assert(audit_failed(log));
	r.request_id = 55;
	ck_assert_int_eq(audit_write(log, &r), -1);
	ck_assert(audit_failed(log));

	ck_assert_int_eq(mkdir(sub, 0700), 0);
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), 0);
	ck_assert(!audit_failed(log));
	r.request_id = 56;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);

	text = slurp(path);
	ck_assert_int_eq(count_lines(text), 1);
	ck_assert_ptr_nonnull(strstr(text, "\"request_id\":56,"));
	captured = slurp(errfile);
	ck_assert_ptr_nonnull(strstr(captured, "\"request_id\":55,"));
	ck_assert_ptr_nonnull(strstr(captured, "writable again"));
	free(text);
	free(captured);
	rm_tmp();
}
END_TEST

/* With "continue" nothing checks the file before a request: a reopen that
 * failed (the directory gone for a moment during rotation) must still
 * recover once the file can be opened again, without another SIGUSR1 -
 * "decisions are written to standard error until the file can be written
 * again", not until the next rotation. */
START_TEST(continue_recovers_after_a_failed_reopen)
{
	struct audit_config cfg = { .on_failure = AUDIT_CONTINUE };
	struct audit_record r = sample("allow");
	char sub[160], path[200], err[256], *text, *captured;
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	snprintf(sub, sizeof(sub), "%s/logs", dir);
	snprintf(path, sizeof(path), "%s/audit.log", sub);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	cfg.file = path;
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), -1);
	ck_assert(!audit_failed(log));   /* continue: keeps serving */
	r.request_id = 65;
	ck_assert_int_eq(audit_write(log, &r), -1);

	ck_assert_int_eq(mkdir(sub, 0700), 0);   /* back, and no SIGUSR1 */
	r.request_id = 66;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);

	text = slurp(path);
	ck_assert_int_eq(count_lines(text), 1);
	ck_assert_ptr_nonnull(strstr(text, "\"request_id\":66,"));
	captured = slurp(errfile);
	ck_assert_ptr_nonnull(strstr(captured, "\"request_id\":65,"));
	ck_assert_ptr_null(strstr(captured, "\"request_id\":66,"));
	ck_assert_ptr_nonnull(strstr(captured, "writable again"));
	free(text);
	free(captured);
	rm_tmp();
}
END_TEST

/* A short write (file size limit) leaves half a line; once space is back the
 * log recovers by itself and the next line starts on a line of its own. */
START_TEST(short_write_then_recovery)
{
	struct audit_config cfg = { .file = file, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	struct rlimit rl;
	char err[256], *text, *last;
	struct audit_log *log;
	struct stat st;

	mkdir_tmp();
	capture_stderr();
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(audit_write(log, &r), 0);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = (rlim_t)st.st_size + 20;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

	r.request_id = 8;
	ck_assert_int_eq(audit_write(log, &r), -1);
	ck_assert(audit_failed(log));

	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	r.request_id = 9;
	ck_assert_int_eq(audit_write(log, &r), 0);
	ck_assert(!audit_failed(log));
	audit_close(log);

	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 3);   /* whole, torn, whole */
	last = strrchr(text, '{');
	ck_assert(last[-1] == '\n');
	ck_assert_ptr_nonnull(strstr(last, "\"request_id\":9,"));
	json_decref(line_json(text, 0));
	json_decref(line_json(text, 2));
	free(text);
	rm_tmp();
}
END_TEST

/* The file cut short by a size limit; the limit raised again. */
static void
torn_by_a_short_write(struct audit_log *log, struct audit_record *r)
{
	struct rlimit rl;
	struct stat st;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(audit_write(log, r), 0);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = (rlim_t)st.st_size + 20;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	r->request_id = 8;
	ck_assert_int_eq(audit_write(log, r), -1);
	ck_assert(audit_failed(log));
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* whole, torn, whole: the line after the torn one starts a line of its own */
static void
assert_torn_line_ended(void)
{
	char *text = slurp(file), *last;

	ck_assert_int_eq(count_lines(text), 3);
	last = strrchr(text, '{');
	ck_assert_msg(last[-1] == '\n', "the next line joined the torn one: %s", text);
	ck_assert_ptr_nonnull(strstr(last, "\"request_id\":9,"));
	json_decref(line_json(text, 0));
	json_decref(line_json(text, 2));
	free(text);
}

/* In the daemon a fail-closed log recovers through audit_ready() (the
 * check before each request), not through a write: the line it lets
 * through must still not be glued to the end of the torn one. */
START_TEST(short_write_then_recovery_by_the_check)
{
	struct audit_config cfg = { .file = file, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	char err[256];
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	torn_by_a_short_write(log, &r);
	ck_assert_int_eq(audit_ready(log, r.path), 1);
	ck_assert(!audit_failed(log));
	r.request_id = 9;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	assert_torn_line_ended();
	rm_tmp();
}
END_TEST

/* Space freed, then SIGUSR1 on the same (not rotated) file, as an operator
 * does after a full disk; and a restart finds the file as it was left. */
START_TEST(short_write_then_reopen_of_the_same_file)
{
	struct audit_config cfg = { .file = file, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	char err[256];
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	torn_by_a_short_write(log, &r);
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), 0);
	r.request_id = 9;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	assert_torn_line_ended();

	/* the same after a restart: the file ends inside a line again */
	ck_assert_int_eq(truncate(file, 400), 0);
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	r.request_id = 10;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	char *text = slurp(file), *last = strrchr(text, '{');
	ck_assert_msg(last[-1] == '\n', "the first line joined the torn one: %s", text);
	ck_assert_ptr_nonnull(strstr(last, "\"request_id\":10,"));
	free(text);
	rm_tmp();
}
END_TEST

/* Under a loop, the lines of one turn go out together at its end, and what
 * is held is written by a reopen and by close. */
START_TEST(lines_of_one_turn_written_together)
{
	struct audit_config cfg = { .file = file, .on_failure = AUDIT_FAIL_CLOSED };
	struct audit_record r = sample("allow");
	char err[256], *text, rotated[160];
	struct audit_log *log;
	struct event_base *base = event_base_new();

	mkdir_tmp();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(audit_attach_loop(log, base), 0);
	for (int i = 0; i < 3; i++) {
		r.request_id = 10 + (uint64_t)i;
		ck_assert_int_eq(audit_write(log, &r), 0);
	}
	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 0);   /* held for the end of the turn */
	free(text);
	ck_assert_int_ge(event_base_loop(base, EVLOOP_NONBLOCK), 0);   /* 1: nothing left */
	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 3);
	ck_assert_ptr_nonnull(strstr(text, "\"request_id\":12,"));
	free(text);
	/* held lines belong to the file they were decided under: a reopen
	 * writes them to the old one first */
	r.request_id = 13;
	ck_assert_int_eq(audit_write(log, &r), 0);
	snprintf(rotated, sizeof rotated, "%s.1", file);
	ck_assert_int_eq(rename(file, rotated), 0);
	ck_assert_int_eq(audit_reopen(log, err, sizeof err), 0);
	text = slurp(rotated);
	ck_assert_int_eq(count_lines(text), 4);
	free(text);
	/* close writes what is held */
	r.request_id = 14;
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	text = slurp(file);
	ck_assert_int_eq(count_lines(text), 1);
	ck_assert_ptr_nonnull(strstr(text, "\"request_id\":14,"));
	free(text);
	event_base_free(base);
	rm_tmp();
}
END_TEST

/* duration_ms is written as "%.12g" (plus ".0" when whole) of the value
 * rounded to the microsecond, whatever path writes it */
START_TEST(duration_as_printf_writes_it)
{
	static const double ms[] = { 0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.4123, 1, 1.5, 2.05,
	    30.166, 100, 999.9995, 1000.001, 65535.25, 999999.999, 123456789.123, 999999999.999,
	    1e9, 1e10 + 0.5, 3e12, 1e15 };
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		struct audit_record r = sample("allow");
		char want[64], *line, *at;
		double v = (double)(long long)(ms[i] * 1000.0 + 0.5) / 1000.0;
		int n = snprintf(want, sizeof want, "%.12g", v);
		if (strpbrk(want, ".eE") == NULL)
			snprintf(want + n, sizeof want - (size_t)n, ".0");
		r.duration_ms = ms[i];
		ck_assert_ptr_nonnull(line = audit_format(&r));
		ck_assert_ptr_nonnull(at = strstr(line, "\"duration_ms\":"));
		at += strlen("\"duration_ms\":");
		ck_assert_msg(strncmp(at, want, strlen(want)) == 0 && at[strlen(want)] == '}',
		    "%g ms: got %s, want %s", ms[i], at, want);
		free(line);
	}
}
END_TEST

START_TEST(open_failure_is_reported)
{
	struct audit_config cfg = { .file = "/nonexistent-dir/sockward/audit.log" };
	char err[256] = "";

	ck_assert_ptr_null(audit_open(&cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/sockward/audit.log"));
}
END_TEST

START_TEST(no_sink_means_stderr)
{
	struct audit_config cfg = { 0 };
	struct audit_record r = sample("allow");
	char err[256], *captured;
	struct audit_log *log;

	mkdir_tmp();
	capture_stderr();
	ck_assert_ptr_nonnull(log = audit_open(&cfg, err, sizeof(err)));
	ck_assert_int_eq(audit_reopen(log, err, sizeof(err)), 0);
	ck_assert_int_eq(audit_write(log, &r), 0);
	audit_close(log);
	captured = slurp(errfile);
	ck_assert_int_eq(count_lines(captured), 1);
	ck_assert_ptr_nonnull(strstr(captured, "\"verdict\":\"allow\""));
	free(captured);
	rm_tmp();
}
END_TEST

Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("lines");
	tcase_add_test(tc, every_field_of_a_line);
	tcase_add_test(tc, every_verdict);
	tcase_add_test(tc, null_fields_are_null_and_rules_empty);
	tcase_add_test(tc, invalid_utf8_and_control_chars);
	tcase_add_test(tc, strings_escaped_as_the_byte_rule_says);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_test(tc, reopen_after_logrotate_rename);
	tcase_add_test(tc, full_device_fail_closed);
	tcase_add_test(tc, fail_closed_before_the_failing_write);
	tcase_add_test(tc, fail_closed_room_for_every_running_request);
	tcase_add_test(tc, fail_closed_room_for_a_long_path);
	tcase_add_test(tc, fail_closed_after_copytruncate);
	tcase_add_test(tc, reload_keeps_room_for_running_requests);
	tcase_add_test(tc, full_device_continue);
	tcase_add_test(tc, fifo_never_blocks);
	tcase_add_test(tc, directory_removed_then_restored);
	tcase_add_test(tc, continue_recovers_after_a_failed_reopen);
	tcase_add_test(tc, short_write_then_recovery);
	tcase_add_test(tc, short_write_then_recovery_by_the_check);
	tcase_add_test(tc, short_write_then_reopen_of_the_same_file);
	tcase_add_test(tc, lines_of_one_turn_written_together);
	tcase_add_test(tc, duration_as_printf_writes_it);
	tcase_add_test(tc, open_failure_is_reported);
	tcase_add_test(tc, no_sink_means_stderr);
	suite_add_tcase(s, tc);
	return s;
}
