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
	struct evbuffer *raw;        /* the answer as received, while held */
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
	char why[256];
};

struct response_stage *response_stage_new(stage_rewrite_fn fn, void *arg, size_t max_body);
void response_stage_free(struct response_stage *st);

/* Hold the answer that is about to be parsed by resp (one per request). */
void response_stage_begin(struct response_stage *st, struct http_resp *resp);
/* Where the bytes of the answer go while it is parsed. */
struct evbuffer *response_stage_sink(struct response_stage *st, struct evbuffer *client_out);
/* Is the held answer beyond what the stage will hold?  (Then release it.) */
int response_stage_overflowing(const struct response_stage *st, const struct http_resp *resp);
/* Stop holding: the rewritten answer when complete and the rewrite accepts
 * it, otherwise the answer exactly as received, goes to out (a strict
 * stage: nothing, and refused is set; why says why, or why_incomplete
 * when the answer is not complete).  Returns the number of bytes appended
 * to out. */
size_t response_stage_release(struct response_stage *st, struct http_resp *resp, int complete,
    const char *why_incomplete, struct evbuffer *out);

#endif
