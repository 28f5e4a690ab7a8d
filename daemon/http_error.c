/* http_error.c - Docker-style JSON error responses. */
#include "daemon/http_error.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/utf8.h"

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Request Entity Too Large" },
	{ 414, "URI Too Long" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *
http_reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}

size_t
http_error_write(struct evbuffer *out, int status, const char *msg, int close)
{
	return http_error_write_for(out, "GET", status, msg, close);
}

char *
http_text_utf8(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *w = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t k = *p < 0x80 ? 1 : utf8_seq_len(p, n - i);
		if (k == 0) {
			memcpy(w, "\xef\xbf\xbd", 3);   /* U+FFFD, one per byte as Go writes it */
			w += 3;
			i++;
			continue;
		}
		memcpy(w, p, k);
		w += k;
		i += k;
	}
	*w = '\0';
	return out;
}

size_t
http_error_write_for(struct evbuffer *out, const char *method, int status, const char *msg,
    int close)
{
	int head_only = method != NULL && strcmp(method, "HEAD") == 0;
	/* jansson does the escaping; the message may carry user input, which
	 * need not be UTF-8 (a path decoded from %FF, a text cut inside a
	 * character): jansson refuses such a string, and the denial's reason
	 * was lost to "internal error" */
	char *text = http_text_utf8(msg ? msg : "");
	json_t *o = text ? json_pack("{s:s}", "message", text) : NULL;
	free(text);
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	const char *b = body ? body : "{\"message\":\"internal error\"}";
	size_t blen = strlen(b) + 1;   /* dockerd ends JSON bodies with a newline */
	size_t before = evbuffer_get_length(out);
	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "\r\n%s%s",
	    status, http_reason(status), blen, close ? "Connection: close\r\n" : "",
	    head_only ? "" : b, head_only ? "" : "\n");
	free(body);
	return evbuffer_get_length(out) - before;
}

void
http_error_send_refusal(evutil_socket_t fd, int status, const char *msg)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL || fd < 0) {
		if (b != NULL)
			evbuffer_free(b);
		return;
	}
	size_t len = http_error_write(b, status, msg, 1);
	const void *p = evbuffer_pullup(b, -1);
	if (p != NULL && send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
		char sink[4096];
		shutdown(fd, SHUT_WR);
		for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
			;
	}
	evbuffer_free(b);
}
