/* response_stage.c - hold an answer, then relay it rewritten or unchanged. */
#include "daemon/response_stage.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>


/* bigger than any head an answer worth rewriting has; bigger ones are
 * relayed unchanged (the records say they are not faithful) */
#define STAGE_HEAD_MAX 16384

struct response_stage *
response_stage_new(stage_rewrite_fn fn, void *arg, size_t max_body)
{
	struct response_stage *st = calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	st->raw = evbuffer_new();
	st->body = evbuffer_new();
	if (st->raw == NULL || st->body == NULL) {
		response_stage_free(st);
		return NULL;
	}
	resp_head_init(&st->head, STAGE_HEAD_MAX);
	st->rewrite = fn;
	st->arg = arg;
	st->max_body = max_body;
	return st;
}

void
response_stage_free(struct response_stage *st)
{
	if (st == NULL)
		return;
	if (st->raw)
		evbuffer_free(st->raw);
	if (st->body)
		evbuffer_free(st->body);
	resp_head_free(&st->head);
	free(st);
}

void
response_stage_begin(struct response_stage *st, struct http_resp *resp)
{
	st->holding = 1;
	http_resp_record(resp, &st->head);
	resp->capture = st->body;
	resp->capture_max = st->max_body;
}

struct evbuffer *
response_stage_sink(struct response_stage *st, struct evbuffer *client_out)
{
	return st && st->holding ? st->raw : client_out;
}

int
response_stage_overflowing(const struct response_stage *st, const struct http_resp *resp)
{
	/* the raw answer may be chunked, so it can be somewhat bigger than
	 * the body it carries; twice the body bound is plenty */
	return resp->capture_overflow || evbuffer_get_length(st->raw) > 2 * st->max_body;
}

size_t
response_stage_release(struct response_stage *st, struct http_resp *resp, int complete,
    const char *why_incomplete, struct evbuffer *out)
{
	size_t before = evbuffer_get_length(out);
	int rc = complete ? st->rewrite(resp, st->raw, st->body, out, st->arg) : -1;
	if (rc != 0 && st->strict && (rc == STAGE_REFUSE || !complete)) {
		st->refused = 1;
		if (!complete)
			snprintf(st->why, sizeof st->why, "%s",
			    why_incomplete ? why_incomplete : "the answer is incomplete");
	} else if (rc != 0) {
		evbuffer_add_buffer(out, st->raw);
	}
	evbuffer_drain(st->raw, evbuffer_get_length(st->raw));
	evbuffer_drain(st->body, evbuffer_get_length(st->body));
	st->holding = 0;
	resp->capture = NULL;
	resp->head = NULL;   /* the rest of the exchange is relayed as it comes */
	return evbuffer_get_length(out) - before;
}
