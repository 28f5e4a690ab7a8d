/* response_stage.c - hold an answer, then relay it rewritten or unchanged. */
#include "daemon/response_stage.h"
#include "daemon/shares.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>


/* bigger than any head an answer worth rewriting has; bigger ones are
 * relayed unchanged (the records say they are not faithful) */
#define STAGE_HEAD_MAX 16384

/* Bytes every stage holds, and the rewritten answers (response_stage_add_text)
 * still in a client's buffer: what limits.max_held_answer_bytes bounds.
 * The event loop is single-threaded. */
static size_t held_total;

size_t
response_stage_held_total(void)
{
	return held_total;
}

/* st now holds n bytes */
static void
charge(struct response_stage *st, size_t n)
{
	held_total = held_total - st->charged + n;
	if (st->share != NULL)
		st->share->held = st->share->held - st->charged + n;
	st->charged = n;
}

static void
text_sent(const void *data, size_t len, void *arg)
{
	struct share *share = arg;
	held_total -= len;
	if (share != NULL) {
		share->held -= len;
		share_put(share);
	}
	free((void *)data);
}

int
response_stage_add_text(struct evbuffer *out, char *text, size_t len, struct share *share)
{
	if (evbuffer_add_reference(out, text, len, text_sent, share) != 0) {
		free(text);   /* libevent calls no cleanup when it fails */
		return -1;
	}
	held_total += len;
	if (share_ref(share) != NULL)
		share->held += len;
	return 0;
}

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
	charge(st, 0);
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

enum stage_room
response_stage_room(struct response_stage *st, const struct http_resp *resp, size_t budget)
{
	size_t raw = evbuffer_get_length(st->raw);
	if (st->strict && raw > 0 && st->head.done && st->head.status < 400) {
		evbuffer_drain(st->raw, raw);   /* never relayed as received: see raw_dropped */
		st->raw_dropped = 1;
		raw = 0;
	}
	charge(st, raw + evbuffer_get_length(st->body));
	/* the raw answer may be chunked, so it can be somewhat bigger than
	 * the body it carries; twice the body bound is plenty */
	if (resp->capture_overflow || raw > 2 * st->max_body)
		return STAGE_TOO_BIG;
	if (held_total > budget)
		return STAGE_BUSY;
	if (st->share != NULL && st->share->held > budget / 2)
		return STAGE_SHARE_FULL;
	return STAGE_ROOM;
}

/* Holding nothing any more; the parser goes on without the stage. */
static void
let_go(struct response_stage *st, struct http_resp *resp)
{
	evbuffer_drain(st->raw, evbuffer_get_length(st->raw));
	evbuffer_drain(st->body, evbuffer_get_length(st->body));
	charge(st, 0);
	st->holding = 0;
	resp->capture = NULL;
	resp->head = NULL;   /* the rest of the exchange is relayed as it comes */
}

void
response_stage_discard(struct response_stage *st, struct http_resp *resp)
{
	let_go(st, resp);
}

size_t
response_stage_release(struct response_stage *st, struct http_resp *resp, int complete,
    const char *why_incomplete, struct evbuffer *out)
{
	size_t before = evbuffer_get_length(out);
	int rc = complete ? st->rewrite(resp, st->raw, st->body, out, st->arg) : -1;
	if (rc != 0 && st->strict && (rc == STAGE_REFUSE || !complete || st->raw_dropped)) {
		st->refused = 1;
		if (!complete)
			snprintf(st->why, sizeof st->why, "%s",
			    why_incomplete ? why_incomplete : "the answer is incomplete");
		else if (rc != STAGE_REFUSE)
			snprintf(st->why, sizeof st->why, "status %d was not rewritten", st->head.status);
	} else if (rc != 0) {
		evbuffer_add_buffer(out, st->raw);
	}
	let_go(st, resp);
	return evbuffer_get_length(out) - before;
}
