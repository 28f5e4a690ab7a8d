/* conn_log.h - who is on the other end of a client connection, and the log
 * line prefix that names it (conn=<id> listener=<name> id="<identity>"). */
#ifndef SOCKWARD_CONN_LOG_H
#define SOCKWARD_CONN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/log.h"
#include "policy/identity.h"

struct conn_facts {
	uint64_t id;
	const char *listener;               /* "-" when unknown */
	const struct sw_identity *ident;    /* NULL until known (TLS handshake) */
	char peer[64];                      /* "127.0.0.1:5555", "[::1]:5555", "unix" */
};

/* What goes between quotes in a log line is often the client's choice (a
 * certificate's CN, a request-target): a '"' in it would end the field and
 * let the rest read as fields of ours (`x" status=allowed y="`).  Copies
 * src into dst (n bytes, its NUL included) with each '"' and '\\' written
 * with a backslash before it (control bytes are escaped by the log itself),
 * cut before an escape that would not fit whole. */
void log_quote_inner(char *dst, size_t n, const char *src);

/* "-" before the identity is known */
const char *conn_identity(const struct conn_facts *cf);

void conn_log(const struct conn_facts *cf, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
