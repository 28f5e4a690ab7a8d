/* audit.h - the audit trail: one JSON line per decision.
 *
 * Every request that reaches a verdict (allow, deny, warn, audit) produces
 * exactly one line, written to a file, to syslog, or both.  A line looks like
 * (one line, wrapped here):
 *
 *   {"time":"2024-05-01T12:00:00.123456Z","request_id":7,"conn_id":3,
 *    "identity":"cn=alice","peer":"127.0.0.1:51234","listener":"tls",
 *    "method":"POST","path":"/v1.41/containers/create","endpoint":"container.create",
 *    "image":"busybox:1.36","verdict":"deny","profile":"default","mode":"enforce",
 *    "rules":["container.privileged"],"exception":null,"exception_reason":null,
 *    "message":"privileged containers are not allowed","status":403,
 *    "bytes_in":312,"bytes_out":61,"duration_ms":0.412}
 *
 * Every key is always present, in this order.  A string field that is NULL in
 * the record is written as JSON null; "rules" is always an array (empty when
 * no rule fired).  Strings that are not valid UTF-8 (a raw path byte) have
 * each bad byte replaced by U+FFFD so the line stays valid JSON.
 *
 * Failure handling ("audit.on_failure"):
 *   - Nothing is ever dropped silently: a line that cannot go to the file is
 *     written to stderr, whatever the mode.
 *   - AUDIT_FAIL_CLOSED (default): the log enters the failed state;
 *     audit_failed() is then true and the daemon must deny new requests with
 *     audit_failed_message().  The state clears when a later write to the file
 *     succeeds again, or when audit_ready() or audit_reopen() (SIGUSR1) finds
 *     that the file can take a line; a reopen of a file that still cannot
 *     does not clear it.
 *   - AUDIT_CONTINUE: the daemon keeps serving; decisions go to stderr until
 *     the file can be written again.
 * syslog(3) reports no errors, so only the file can put the log in the
 * failed state.  With neither a file nor syslog configured, lines go to
 * stderr.
 */
#ifndef SOCKWARD_AUDIT_H
#define SOCKWARD_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "daemon/config.h"   /* enum audit_failure: AUDIT_FAIL_CLOSED, AUDIT_CONTINUE */

struct audit_config {
	const char *file;                 /* NULL: no file */
	int syslog;                       /* also send each line to syslog (LOG_DAEMON|LOG_INFO) */
	enum audit_failure on_failure;
};

struct audit_record {
	struct timeval time;              /* when the decision was made */
	uint64_t request_id, conn_id;
	const char *identity;             /* sw_identity.display */
	const char *peer;                 /* "127.0.0.1:51234", "unix" ... */
	const char *listener;             /* listener name */
	const char *method, *path;        /* path: request-target as received, whole */
	const char *endpoint;             /* policy endpoint id */
	const char *image;
	const char *verdict;              /* "allow", "deny", "warn", "audit", "not-judged" */
	const char *profile, *mode;
	const char *const *rules;         /* names of the rules that fired (pol_rule_name) */
	size_t nrules;
	const char *exception, *exception_reason;
	const char *message;              /* denial message, or NULL */
	int status;                       /* HTTP status sent to the client (the
	                                   * engine's when forwarded); 0 if none */
	uint64_t bytes_in;                /* client -> engine, body bytes included */
	uint64_t bytes_out;               /* engine -> client */
	double duration_ms;               /* first byte of the request to last of the answer */
	int admitted;                     /* audit_ready() let this request through (its
	                                   * line was owed room until now) */
};

struct audit_log;

/* Open the audit trail.  The file is created 0640 if missing and opened
 * O_APPEND.  On error returns NULL with a message in err (the daemon refuses
 * to start: an audit trail that is broken at startup is a configuration
 * error, not a runtime failure). */
struct audit_log *audit_open(const struct audit_config *cfg, char *err, size_t errlen);

/* Batch the file's lines per turn of base's loop: audit_write() then holds
 * its line and every line of the turn is written with one write(2) once the
 * turn's other callbacks have run (at most 64 KiB are held; audit_reopen and
 * audit_close write what is held first).  A failed write is handled as a
 * failed line is without it (stderr, the failed state, the metric), one turn
 * later; a crash loses at most the lines of the turn it happened in.
 * Without it each line is written by audit_write() itself.  -1: out of
 * memory (the log stays unbatched). */
struct event_base;
int audit_attach_loop(struct audit_log *log, struct event_base *base);

/* Reopen the file by name (SIGUSR1, after logrotate renamed it).  Returns 0
 * on success, which also clears the failed state; -1 with a message in err
 * when the file cannot be opened: the log is then failed (fail-closed) or
 * writing to stderr (continue) until a later line (or audit_ready) can open
 * it. */
int audit_reopen(struct audit_log *log, char *err, size_t errlen);

/* A reload replaces old by log: the requests old let through (audit_ready)
 * and still running will write their lines to log, which owes them their
 * room from now on.  Either may be NULL. */
void audit_inherit(struct audit_log *log, const struct audit_log *old);

void audit_close(struct audit_log *log);

/* Write one line.  Returns 0 when every configured sink took it; -1 when the
 * file did not (the line went to stderr instead).  With fail-closed the
 * caller should deny the request if it has not been forwarded yet. */
int audit_write(struct audit_log *log, const struct audit_record *rec);

/* Before a request is forwarded: with fail-closed, can its line be written?
 * Checks the file (a full disk or a size limit shows before the write that
 * would fail) and, while broken, tries to recover (reopening by name):
 * 0 means refuse the request.  On 1 the request's line is owed room in the
 * file until it is written (as much as its path, the line's one field of
 * the client's length, can take): its record must then have "admitted"
 * set and the same path. */
int audit_ready(struct audit_log *log, const char *path);

/* Fail-closed and the file cannot be written: deny new requests. */
int audit_failed(const struct audit_log *log);

/* The text of the denial to send while audit_failed() is true. */
const char *audit_failed_message(const struct audit_log *log);

/* Build the JSON line (with trailing newline) for rec; caller frees.
 * Exposed for tests and for "sockward eval". */
char *audit_format(const struct audit_record *rec);

#endif
