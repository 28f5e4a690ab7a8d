/* conn_log.c - log lines that name their connection. */
#include "daemon/conn_log.h"

#include <stdarg.h>
#include <stdio.h>

const char *
conn_identity(const struct conn_facts *cf)
{
	return cf->ident && cf->ident->display[0] ? cf->ident->display : "-";
}

void
log_quote_inner(char *dst, size_t n, const char *src)
{
	size_t o = 0;
	for (; *src; src++) {
		int esc = *src == '"' || *src == '\\';
		if (o + (size_t)esc + 1 >= n)
			break;
		if (esc)
			dst[o++] = '\\';
		dst[o++] = *src;
	}
	dst[o] = '\0';
}

void
conn_log(const struct conn_facts *cf, enum log_level lvl, const char *fmt, ...)
{
	if (lvl > log_threshold)
		return;
	char msg[1024], id[2 * sizeof cf->ident->display];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_quote_inner(id, sizeof id, conn_identity(cf));
	log_msg(lvl, "conn=%llu listener=%s id=\"%s\" %s", (unsigned long long)cf->id,
	    cf->listener, id, msg);
}
