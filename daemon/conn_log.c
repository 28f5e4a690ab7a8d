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
conn_log(const struct conn_facts *cf, enum log_level lvl, const char *fmt, ...)
{
	if (lvl > log_threshold)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(lvl, "conn=%llu listener=%s id=\"%s\" %s", (unsigned long long)cf->id,
	    cf->listener, conn_identity(cf), msg);
}
