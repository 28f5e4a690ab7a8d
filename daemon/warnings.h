/* warnings.h - warn mode: add policy violations to the engine's
 * "Warnings" array of a create response, so the docker CLI itself prints
 * "WARNING: ..." lines. */
#ifndef SOCKWARD_WARNINGS_H
#define SOCKWARD_WARNINGS_H

#include <stddef.h>
#include <event2/buffer.h>

struct resp_head;

/* The usual way: head is the answer head as the exchange's own parser
 * recorded it (http_resp_record), body its de-chunked body.  Returns -1
 * when the records cannot say the head faithfully or the body is not a
 * JSON object (the caller relays the answer unchanged). */
int warnings_rewrite_parsed(const struct resp_head *head, struct evbuffer *body,
    char *const *warnings, size_t n, struct evbuffer *out);

/* The answer with head h (as recorded, framing replaced) and the JSON text
 * body[0..len) plus a newline, as dockerd ends its JSON answers.  -1 when
 * the records cannot say the head faithfully. */
int answer_write_parsed(const struct resp_head *h, const char *body, size_t len,
    struct evbuffer *out);
/* Its head alone, for a body of body_len bytes the caller appends. */
int answer_write_head(const struct resp_head *h, size_t body_len, struct evbuffer *out);

/* The same from the raw answer (tests, fuzzing): head_and_body: the raw response as received (head + framed body);
 * body: its de-chunked body.  The head is read by the strict parser with
 * its records on (http_resp_record) and rebuilt from them.  On success
 * appends the rewritten response to out and returns 0; returns -1 when the
 * response is not a JSON object answer or its head cannot be rebuilt
 * faithfully (the caller then relays it unchanged). */
int warnings_rewrite(struct evbuffer *head_and_body, struct evbuffer *body,
    char *const *warnings, size_t n, struct evbuffer *out);

#endif
