/* response_stage.h - an exchange's chance to see, and replace, the engine's
 * answer before the client does.
 *
 * Off by default: an exchange has no stage and its answer is relayed as it
 * arrives, at no cost.  When something needs to rewrite an answer (warn
 * mode adds the policy's findings to a create answer's Warnings; per-tenant
 * list filtering and inspect redaction are next), the exchange gets a stage
 * with a rewrite function.  The stage holds the answer as received and its
 * de-chunked body, both bounded; an answer that is not complete, too big,
 * or that the rewrite function declines is relayed exactly as received. */
#ifndef SOCKWARD_RESPONSE_STAGE_H
#define SOCKWARD_RESPONSE_STAGE_H

#include <stddef.h>

#include "daemon/http_parse.h"

struct evbuffer;
struct share;

/* Append the replacement answer (head and body) to out and return 0, or
 * return -1 to have the answer relayed unchanged, or STAGE_REFUSE (with
 * the stage's why set) when it must not reach the client at all.  Only a
 * 0 return may have appended anything to out.  raw is the answer as
 * received; body its de-chunked body; resp->head the head as the parser
 * recorded it (status line and fields). */
#define STAGE_REFUSE (-2)

typedef int (*stage_rewrite_fn)(const struct http_resp *resp, struct evbuffer *raw,
    struct evbuffer *body, struct evbuffer *out, void *arg);

struct response_stage {
	struct evbuffer *raw;        /* the answer as received, while held (a strict
	                                stage drops it for a success: see raw_dropped) */
	struct evbuffer *body;       /* its de-chunked body (the parser copies it) */
	struct resp_head head;       /* the head, recorded by the parser */
	size_t max_body;
	int holding;                 /* 0 once released */
	stage_rewrite_fn rewrite;
	void *arg;
	/* strict: the answer is relayed only rewritten (or as received when
	 * the rewrite says so, -1): one that is incomplete, too big or refused
	 * is not relayed at all, refused is set and why says what happened
	 * (the caller answers 502 instead).  Tenants' list filters are strict:
	 * never an unfiltered list. */
	int strict;
	int refused;
	/* a strict stage relays the answer as received only when it is an
	 * error (status 400 and up: dockerd's message, no objects); for any
	 * other status the raw bytes are of no use and are dropped as they
	 * come, the de-chunked body is what the rewrite reads */
	int raw_dropped;
	size_t charged;              /* what this stage counts in the held total */
	struct share *share;         /* and in its principal's share (NULL: none); the
	                                exchange's reference */
	char why[256];
};

struct response_stage *response_stage_new(stage_rewrite_fn fn, void *arg, size_t max_body);
void response_stage_free(struct response_stage *st);

/* Hold the answer that is about to be parsed by resp (one per request). */
void response_stage_begin(struct response_stage *st, struct http_resp *resp);
/* Where the bytes of the answer go while it is parsed. */
struct evbuffer *response_stage_sink(struct response_stage *st, struct evbuffer *client_out);
/* May the stage go on holding, now that more of the answer came?  It
 * counts what it holds in the process-wide held total and in its
 * principal's share (a strict stage first drops raw bytes it will never
 * relay) and says STAGE_TOO_BIG past its own bound, STAGE_BUSY when all
 * held answers together take more than budget bytes
 * (limits.max_held_answer_bytes), STAGE_SHARE_FULL when its principal's
 * take more than half of that: one client's unread lists, over many
 * connections, must not make every other tenant's list busy.  Either way it must be let go: released
 * (relayed as received, or refused when strict) or discarded. */
enum stage_room { STAGE_ROOM, STAGE_TOO_BIG, STAGE_BUSY, STAGE_SHARE_FULL };
enum stage_room response_stage_room(struct response_stage *st, const struct http_resp *resp,
    size_t budget);
/* Bytes held by all stages now, with the rewritten answers still waiting
 * in a client's buffer (response_stage_add_text).  The event loop is
 * single-threaded: a plain counter. */
size_t response_stage_held_total(void);
/* Append text[0..len) (malloc'd; out takes it) to out without a copy; it
 * counts in the held total, and in share (NULL: none; referenced until
 * then), until out has sent it or is freed: a client that does not read
 * keeps its rewritten answer inside the budget. */
int response_stage_add_text(struct evbuffer *out, char *text, size_t len, struct share *share);
/* Stop holding and forget the answer: nothing reaches the client (the
 * caller answers instead). */
void response_stage_discard(struct response_stage *st, struct http_resp *resp);
/* Stop holding: the rewritten answer when complete and the rewrite accepts
 * it, otherwise the answer exactly as received, goes to out (a strict
 * stage: nothing, and refused is set; why says why, or why_incomplete
 * when the answer is not complete, or the raw bytes were dropped).  Returns the number of bytes appended
 * to out. */
size_t response_stage_release(struct response_stage *st, struct http_resp *resp, int complete,
    const char *why_incomplete, struct evbuffer *out);

#endif
