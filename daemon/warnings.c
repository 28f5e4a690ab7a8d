/* warnings.c - rewrite a held create response with extra Warnings.
 *
 * The rewritten head is built from what llhttp parsed (http_resp records
 * of the status line and fields), never from a second reading of the raw
 * bytes by hand: our framing headers replace the engine's, every other
 * field is copied.  A head the records cannot say faithfully (bare LF line
 * ends, obs-fold in a field we keep, empty field names, an interim answer
 * in front, oversize) is not rewritten: the caller relays it unchanged. */
#include "daemon/warnings.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/http_error.h"
#include "daemon/http_parse.h"

/* bigger than any create answer head; a bigger head is relayed unchanged */
#define WARN_HEAD_MAX 16384

static int
is_framing(const struct resp_head *h, const struct resp_field *f)
{
	static const char *const drop[] = { "content-length", "transfer-encoding" };
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
		if (f->name_len == strlen(drop[i]) &&
		    strncasecmp(h->buf + f->name_off, drop[i], f->name_len) == 0)
			return 1;
	return 0;
}

/* Parse the held answer's head with the strict parser, recording it.
 * 0 when the head is complete, final (not 1xx) and faithfully recorded. */
static int
parse_head(struct evbuffer *raw, struct resp_head *h)
{
	struct http_resp r;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v;

	http_resp_init(&r, 0);
	http_resp_record(&r, h);
	evbuffer_ptr_set(raw, &pos, 0, EVBUFFER_PTR_SET);
	while (!h->done && evbuffer_peek(raw, -1, &pos, &v, 1) >= 1 && v.iov_len > 0) {
		size_t used = 0;
		enum parse_result res = http_resp_feed(&r, v.iov_base, v.iov_len, &used);
		if (res == PARSE_ERROR || (res == PARSE_MORE && used != v.iov_len))
			return -1;
		if (res != PARSE_MORE)
			break;
		evbuffer_ptr_set(raw, &pos, used, EVBUFFER_PTR_ADD);
	}
	return 0;
}

/* Can the records say everything the head said? */
static int
rebuildable(const struct resp_head *h)
{
	if (!h->done || !h->faithful || h->messages != 1 || h->status < 200)
		return 0;
	for (size_t i = 0; i < h->nfield; i++)
		if (h->field[i].folded && !is_framing(h, &h->field[i]))
			return 0;
	return 1;
}

static char *
add_warnings(struct evbuffer *body, char *const *warnings, size_t n)
{
	size_t blen = evbuffer_get_length(body);
	const char *btext = (const char *)evbuffer_pullup(body, -1);
	json_error_t jerr;
	json_t *doc = btext ? json_loadb(btext, blen, 0, &jerr) : NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	json_t *w = json_object_get(doc, "Warnings");
	if (!json_is_array(w)) {
		w = json_array();
		json_object_set_new(doc, "Warnings", w);
	}
	/* a warning may quote user input that is not UTF-8 (a path decoded
	 * from %FF, a text cut inside a character): jansson refuses such a
	 * string, and the warning was dropped */
	for (size_t i = 0; i < n; i++) {
		char *text = http_text_utf8(warnings[i]);
		json_array_append_new(w, text ? json_string(text) : NULL);
		free(text);
	}
	char *nb = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return nb;
}

int
answer_write_head(const struct resp_head *h, size_t body_len, struct evbuffer *out)
{
	if (h == NULL || !rebuildable(h))
		return -1;
	/* RFC 9112 4: the SP before an empty reason phrase is not optional */
	evbuffer_add_printf(out, "HTTP/%d.%d %03d %.*s\r\n", h->http_major, h->http_minor,
	    h->status, (int)h->reason_len, h->reason_len ? h->buf + h->reason_off : "");
	for (size_t i = 0; i < h->nfield; i++) {
		const struct resp_field *f = &h->field[i];
		if (is_framing(h, f))
			continue;
		evbuffer_add(out, h->buf + f->name_off, f->name_len);
		evbuffer_add(out, ": ", 2);
		evbuffer_add(out, h->buf + f->val_off, f->val_len);
		evbuffer_add(out, "\r\n", 2);
	}
	evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", body_len);
	return 0;
}

int
answer_write_parsed(const struct resp_head *h, const char *body, size_t len,
    struct evbuffer *out)
{
	if (answer_write_head(h, len + 1, out) != 0)
		return -1;
	evbuffer_add(out, body, len);
	evbuffer_add(out, "\n", 1);
	return 0;
}

int
warnings_rewrite_parsed(const struct resp_head *h, struct evbuffer *body,
    char *const *warnings, size_t n, struct evbuffer *out)
{
	char *nb;
	if (h == NULL || !rebuildable(h) || (nb = add_warnings(body, warnings, n)) == NULL)
		return -1;
	int rc = answer_write_parsed(h, nb, strlen(nb), out);
	free(nb);
	return rc;
}

int
warnings_rewrite(struct evbuffer *raw, struct evbuffer *body, char *const *warnings,
    size_t n, struct evbuffer *out)
{
	struct resp_head h;
	resp_head_init(&h, WARN_HEAD_MAX);
	int rc = parse_head(raw, &h) == 0 ? warnings_rewrite_parsed(&h, body, warnings, n, out) : -1;
	resp_head_free(&h);
	return rc;
}
