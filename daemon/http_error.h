/* http_error.h - answers in Docker's own error form, {"message":"..."},
 * so the docker CLI prints the text as it would print dockerd's. */
#ifndef SOCKWARD_HTTP_ERROR_H
#define SOCKWARD_HTTP_ERROR_H

#include <event2/buffer.h>
#include <event2/util.h>

const char *http_reason(int status);

/* s with every byte that does not begin a valid UTF-8 sequence replaced by
 * U+FFFD, as Go's encoding/json writes dockerd's own messages: what jansson
 * takes as a JSON string.  malloc'd; NULL when out of memory. */
char *http_text_utf8(const char *s);

/* Append a complete HTTP/1.1 response with a JSON {"message": msg} body.
 * close != 0 adds "Connection: close". Returns bytes appended. */
size_t http_error_write(struct evbuffer *out, int status, const char *msg, int close);
/* The same as the answer to a request of this method: a HEAD request gets
 * the head alone (its Content-Length says what a GET would have got), or a
 * kept-alive client would read the body as the start of the next answer. */
size_t http_error_write_for(struct evbuffer *out, const char *method, int status,
    const char *msg, int close);

/* A refusal (Connection: close) sent straight to a socket nobody reads yet,
 * without waiting: what the socket takes at once, then our side shut and
 * what the client already sent read away (a little), so that the close
 * does not reset the answer out of the client's receive queue.  The caller
 * closes fd. */
void http_error_send_refusal(evutil_socket_t fd, int status, const char *msg);

#endif
