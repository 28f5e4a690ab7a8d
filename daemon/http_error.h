/* http_error.h - answers in Docker's own error form, {"message":"..."},
 * so the docker CLI prints the text as it would print dockerd's. */
#ifndef SOCKWARD_HTTP_ERROR_H
#define SOCKWARD_HTTP_ERROR_H

#include <event2/buffer.h>

const char *http_reason(int status);

/* Append a complete HTTP/1.1 response with a JSON {"message": msg} body.
 * close != 0 adds "Connection: close". Returns bytes appended. */
size_t http_error_write(struct evbuffer *out, int status, const char *msg, int close);

#endif
