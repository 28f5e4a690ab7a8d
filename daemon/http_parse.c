/* http_parse.c - llhttp glue: strict parsing, no lenient flags.
 *
 * Both parsers pause (HPE_PAUSED) at the end of the header block and at the
 * end of the message, so the session decides what happens to the next byte:
 * policy runs between head and body, and a pipelined next request is not
 * touched until the current response is finished. */
#include "daemon/http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- requests -------------------------------------------------------------- */

static struct http_req *
req_of(llhttp_t *p)
{
	return p->data;
}

static int
req_append(struct http_req *r, const char *at, size_t len)
{
	/* +1 keeps room for the NUL that http_req_url() writes after the URL */
	if (r->len + len + 1 > r->max_head) {
		r->head_overflow = 1;
		return -1;
	}
	if (r->len + len + 1 > r->cap) {
		size_t ncap = r->cap ? r->cap : 1024;
		while (ncap < r->len + len + 1)
			ncap *= 2;
		if (ncap > r->max_head + 1)
			ncap = r->max_head + 1;
		char *nb = realloc(r->buf, ncap);
		if (nb == NULL)
			return -1;
		r->buf = nb;
		r->cap = ncap;
	}
	memcpy(r->buf + r->len, at, len);
	r->len += len;
	return 0;
}

static int
on_req_begin(llhttp_t *p)
{
	struct http_req *r = req_of(p);
	r->len = 0;
	r->url_off = r->url_len = 0;
	r->nhdr = 0;
	r->in_value = 0;
	r->head_done = 0;
	return 0;
}

static int
on_req_url(llhttp_t *p, const char *at, size_t len)
{
	struct http_req *r = req_of(p);
	if (req_append(r, at, len) != 0)
		return -1;
	r->url_len += (uint32_t)len;
	return 0;
}

static int
on_req_url_complete(llhttp_t *p)
{
	/* terminate the URL in place: header bytes follow it in buf */
	struct http_req *r = req_of(p);
	if (req_append(r, "", 1) != 0)
		return -1;
	return 0;
}

static int
on_req_field(llhttp_t *p, const char *at, size_t len)
{
	struct http_req *r = req_of(p);
	/* a field after the head is a chunked trailer: Go ignores trailers,
	 * so one must never become a header of the rebuilt request */
	if (r->head_done) {
		r->trailer = 1;
		return -1;
	}
	if (r->nhdr == 0 || r->in_value) {
		if (r->nhdr == REQ_MAX_HEADERS) {
			r->head_overflow = 1;
			return -1;
		}
		struct req_header *h = &r->hdr[r->nhdr++];
		h->name_off = (uint32_t)r->len;
		h->name_len = 0;
		h->val_off = 0;
		h->val_len = 0;
		r->in_value = 0;
	}
	if (req_append(r, at, len) != 0)
		return -1;
	r->hdr[r->nhdr - 1].name_len += (uint32_t)len;
	return 0;
}

/* llhttp 8.1 lets a line like ": value" through as a header with an empty
 * name (one zero-length on_header_field span).  A field name is a token of
 * at least one character (RFC 9110 5.1), and the engine would drop or refuse
 * such a line, so neither forward nor judge it: refuse the request. */
static int
on_req_field_complete(llhttp_t *p)
{
	struct http_req *r = req_of(p);
	if (r->nhdr == 0 || r->in_value || r->hdr[r->nhdr - 1].name_len == 0) {
		r->empty_name = 1;
		return -1;
	}
	return 0;
}

/* Does a value span start on a new line (after LF and white space)?  The
 * bytes before it may be in an earlier read: fed_lf_ws says whether the
 * last one ended so. */
static int
after_line_break(const struct http_req *r, const char *at)
{
	const char *q = at;
	while (q > r->feed_start && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (q == r->feed_start)
		return r->fed_lf_ws;
	return q[-1] == '\n';
}

static int
on_req_value(llhttp_t *p, const char *at, size_t len)
{
	struct http_req *r = req_of(p);
	if (r->nhdr == 0)
		return -1;
	struct req_header *h = &r->hdr[r->nhdr - 1];
	/* llhttp reports an obs-fold continuation line as a second value span.
	 * A value legitimately comes in two spans only when the first ended at
	 * the end of one read and the next starts the following read; anything
	 * else is folding, refused rather than guessing how the engine would
	 * join the lines (RFC 9112 5.2). */
	if (r->in_value && !(r->span_at_end && at == r->feed_start)) {
		r->folded = 1;
		return -1;
	}
	r->span_at_end = at + len == r->feed_end;
	if (!r->in_value && len > 0 && after_line_break(r, at)) {
		/* "Name:\r\n value": the first span of an empty value's
		 * continuation line is folding too */
		r->folded = 1;
		return -1;
	}
	if (!r->in_value) {
		h->val_off = (uint32_t)r->len;
		r->in_value = 1;
	}
	if (req_append(r, at, len) != 0)
		return -1;
	h->val_len += (uint32_t)len;
	return 0;
}

static int
on_req_value_complete(llhttp_t *p)
{
	struct http_req *r = req_of(p);
	/* an empty value never calls on_header_value */
	if (r->nhdr > 0 && !r->in_value) {
		r->hdr[r->nhdr - 1].val_off = (uint32_t)r->len;
		r->in_value = 1;
	}
	return 0;
}

static int
on_req_headers_complete(llhttp_t *p)
{
	req_of(p)->head_done = 1;
	req_of(p)->paused_at = PAUSE_HEADERS;
	return HPE_PAUSED;
}

static int
on_req_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_req *r = req_of(p);
	if (r->body == NULL)
		return 0;   /* streaming: the session moves the raw bytes itself */
	if (evbuffer_get_length(r->body) + len > r->body_max) {
		r->body_overflow = 1;
		return -1;
	}
	return evbuffer_add(r->body, at, len);
}

static int
on_req_complete(llhttp_t *p)
{
	req_of(p)->paused_at = PAUSE_DONE;
	return HPE_PAUSED;
}

static const llhttp_settings_t req_settings = {
	.on_message_begin = on_req_begin,
	.on_url = on_req_url,
	.on_url_complete = on_req_url_complete,
	.on_header_field = on_req_field,
	.on_header_field_complete = on_req_field_complete,
	.on_header_value = on_req_value,
	.on_header_value_complete = on_req_value_complete,
	.on_headers_complete = on_req_headers_complete,
	.on_body = on_req_body,
	.on_message_complete = on_req_complete,
};

void
http_req_init(struct http_req *r, size_t max_head)
{
	memset(r, 0, sizeof *r);
	r->max_head = max_head;
	llhttp_init(&r->p, HTTP_REQUEST, &req_settings);
	r->p.data = r;
}

void
http_req_adopt_buffer(struct http_req *r, char *buf, size_t cap)
{
	r->buf = buf;
	r->cap = buf ? cap : 0;
	r->len = 0;
}

void
http_req_free(struct http_req *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = 0;
}

void
http_req_next(struct http_req *r)
{
	llhttp_reset(&r->p);
	r->p.data = r;
	r->head_bytes = 0;
	r->body = NULL;
	r->body_max = 0;
	r->body_overflow = 0;
	r->head_overflow = 0;
	r->folded = 0;
	r->fed_lf_ws = 0;
	r->empty_name = 0;
	r->trailer = 0;
	r->head_done = 0;
	r->error[0] = 0;
	r->len = 0;
	r->nhdr = 0;
	r->url_len = 0;
}

void
http_req_resume(struct http_req *r, struct evbuffer *capture, size_t max)
{
	r->body = capture;
	r->body_max = max;
	llhttp_resume(&r->p);
}

static enum parse_result
classify(llhttp_t *p, llhttp_errno_t err, const char *data, size_t len, size_t *used,
    char *error, size_t errlen, int at_headers)
{
	if (err == HPE_OK) {
		*used = len;
		return PARSE_MORE;
	}
	const char *pos = llhttp_get_error_pos(p);
	*used = pos && pos >= data ? (size_t)(pos - data) : 0;
	if (err == HPE_PAUSED)
		return at_headers ? PARSE_HEADERS : PARSE_DONE;
	snprintf(error, errlen, "%s", llhttp_get_error_reason(p) ? llhttp_get_error_reason(p)
	    : llhttp_errno_name(err));
	return PARSE_ERROR;
}

enum parse_result
http_req_feed(struct http_req *r, const char *data, size_t len, size_t *used)
{
	r->paused_at = 0;
	r->feed_start = data;
	r->feed_end = data + len;
	llhttp_errno_t err = llhttp_execute(&r->p, data, len);
	enum parse_result res = classify(&r->p, err, data, len, used, r->error, sizeof r->error,
	    r->paused_at == PAUSE_HEADERS);
	/* remember whether what was read ends in LF and white space, for a
	 * value span that starts the next read (after_line_break) */
	const char *q = data + *used;
	while (q > data && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (q > data)
		r->fed_lf_ws = q[-1] == '\n';
	if (res == PARSE_ERROR) {
		if (r->head_overflow)
			snprintf(r->error, sizeof r->error,
			    "request header block exceeds %zu bytes or %d headers",
			    r->max_head, REQ_MAX_HEADERS);
		else if (r->body_overflow)
			snprintf(r->error, sizeof r->error, "request body exceeds %zu bytes",
			    r->body_max);
		else if (r->folded)
			snprintf(r->error, sizeof r->error, "obsolete line folding in a header");
		else if (r->empty_name)
			snprintf(r->error, sizeof r->error, "empty header name");
		else if (r->trailer)
			snprintf(r->error, sizeof r->error, "trailer fields are not accepted");
	}
	return res;
}

const char *
http_req_method(const struct http_req *r)
{
	return llhttp_method_name((llhttp_method_t)r->p.method);
}

const char *
http_req_url(const struct http_req *r)
{
	return r->buf ? r->buf + r->url_off : "";
}

const char *
http_req_header(const struct http_req *r, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		if (h->name_len == nl && strncasecmp(r->buf + h->name_off, name, nl) == 0) {
			if (len)
				*len = h->val_len;
			return r->buf + h->val_off;
		}
	}
	return NULL;
}

/* Go's hasToken: token, any case, between ' ', ',' or '\t' (or an end) */
static int
has_token(const char *v, size_t n, const char *token)
{
	size_t t = strlen(token);

	for (size_t at = 0; at + t <= n; at++) {
		if ((at > 0 && v[at - 1] != ' ' && v[at - 1] != ',' && v[at - 1] != '\t') ||
		    (at + t < n && v[at + t] != ' ' && v[at + t] != ',' && v[at + t] != '\t'))
			continue;
		if (strncasecmp(v + at, token, t) == 0)
			return 1;
	}
	return 0;
}

int
http_req_expectation(const struct http_req *r)
{
	size_t n;
	const char *v = http_req_header(r, "expect", &n);   /* the first, as Go's Header.Get */

	if (v == NULL || n == 0)
		return 0;
	return has_token(v, n, "100-continue") ? 1 : -1;
}

const char *
http_req_framing_problem(const struct http_req *r, int *status)
{
	/* dockerd's Go net/http takes exactly one Transfer-Encoding header
	 * whose value is "chunked" (any case) and ignores the header on
	 * HTTP/1.0.  llhttp is laxer ("gzip, chunked", several headers, 1.0
	 * chunking); anything the two could frame differently is refused. */
	size_t n = 0, len = 0;
	const char *te = NULL;
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		if (h->name_len == 17 && strncasecmp(r->buf + h->name_off, "transfer-encoding", 17) == 0) {
			te = r->buf + h->val_off;
			len = h->val_len;
			n++;
		}
	}
	if (r->p.http_major != 1 || r->p.http_minor > 1) {
		*status = 505;   /* Go answers 505 and closes: never forward those */
		return "HTTP version not supported";
	}
	if (r->p.method == HTTP_CONNECT && http_req_has_body(r)) {
		/* llhttp takes a CONNECT for a tunnel: its message ends with
		 * the head, whatever length or chunks it declares, and what
		 * follows would be parsed as the next request.  Go's net/http
		 * reads a CONNECT's body like any other request's, so the two
		 * would disagree on where the request ends. */
		*status = 400;
		return "CONNECT with a body";
	}
	if (n == 0)
		return NULL;
	if (r->p.http_minor != 1) {
		*status = 400;
		return "Transfer-Encoding in an HTTP/1.0 request";
	}
	if (n > 1) {
		*status = 501;
		return "too many transfer encodings";
	}
	if (len != 7 || strncasecmp(te, "chunked", 7) != 0) {
		*status = 501;
		return "unsupported transfer encoding";
	}
	return NULL;
}

int
http_req_keepalive(const struct http_req *r)
{
	return llhttp_should_keep_alive(&r->p);
}

int
http_req_upgrade(const struct http_req *r)
{
	return r->p.upgrade;
}

int
http_req_chunked(const struct http_req *r)
{
	return (r->p.flags & F_CHUNKED) != 0;
}

uint64_t
http_req_content_length(const struct http_req *r)
{
	return (r->p.flags & F_CONTENT_LENGTH) ? r->p.content_length : 0;
}

int
http_req_has_body(const struct http_req *r)
{
	return http_req_chunked(r) || http_req_content_length(r) > 0;
}

uint64_t
http_req_length_left(const struct http_req *r)
{
	if (!r->head_done || r->paused_at == PAUSE_DONE || http_req_chunked(r))
		return 0;
	return http_req_content_length(r);
}

uint64_t
http_req_body_left(const struct http_req *r)
{
	return r->body != NULL ? 0 : http_req_length_left(r);
}

void
http_req_body_skipped(struct http_req *r, uint64_t n)
{
	if (n < http_req_length_left(r))
		r->p.content_length -= n;
}

/* ---- response head records ------------------------------------------------- */

void
resp_head_init(struct resp_head *h, size_t max_bytes)
{
	memset(h, 0, sizeof *h);
	h->max = max_bytes;
	h->faithful = 1;
	h->line_start = 1;
}

void
resp_head_free(struct resp_head *h)
{
	free(h->buf);
	h->buf = NULL;
	h->len = h->cap = 0;
}

const char *
resp_head_get(const struct resp_head *h, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < h->nfield; i++) {
		const struct resp_field *f = &h->field[i];
		if (f->name_len == nl && strncasecmp(h->buf + f->name_off, name, nl) == 0) {
			if (len)
				*len = f->val_len;
			return h->buf + f->val_off;
		}
	}
	return NULL;
}

/* The head being recorded, or NULL: not asked for, or already complete
 * (fields after it are trailers). */
static struct resp_head *
recording(llhttp_t *p)
{
	struct resp_head *h = ((struct http_resp *)p->data)->head;
	return h != NULL && !h->done ? h : NULL;
}

static int
head_append(struct resp_head *h, const char *at, size_t len)
{
	if (len == 0)
		return 0;   /* llhttp reports empty spans; buf may still be NULL */
	if (h->len + len > h->max) {
		h->faithful = 0;
		return -1;
	}
	if (h->len + len > h->cap) {
		size_t ncap = h->cap ? h->cap : 512;
		while (ncap < h->len + len)
			ncap *= 2;
		char *nb = realloc(h->buf, ncap);
		if (nb == NULL) {
			h->faithful = 0;
			return -1;
		}
		h->buf = nb;
		h->cap = ncap;
	}
	memcpy(h->buf + h->len, at, len);
	h->len += len;
	return 0;
}

static void
record_status(struct resp_head *h, const char *at, size_t len)
{
	if (h->reason_len == 0)
		h->reason_off = (uint32_t)h->len;
	if (head_append(h, at, len) == 0)
		h->reason_len += (uint32_t)len;
}

static void
record_field(struct resp_head *h, const char *at, size_t len)
{
	if (h->nfield == 0 || h->in_value) {
		if (h->nfield == RESP_HEAD_MAX_HEADERS) {
			h->faithful = 0;
			return;
		}
		struct resp_field *f = &h->field[h->nfield++];
		memset(f, 0, sizeof *f);
		f->name_off = (uint32_t)h->len;
		h->in_value = 0;
	}
	if (head_append(h, at, len) == 0)
		h->field[h->nfield - 1].name_len += (uint32_t)len;
}

static void
record_value(struct resp_head *h, const char *at, size_t len)
{
	if (h->nfield == 0 || h->nfield > RESP_HEAD_MAX_HEADERS)
		return;
	struct resp_field *f = &h->field[h->nfield - 1];
	/* The head is fed one line at a time, so a value goes on in a second
	 * span only across a read boundary (mid-line) or on an obs-fold line,
	 * which starts a piece right after an LF.  The folded part is not kept:
	 * a folded field can only be dropped, never rebuilt. */
	if (f->folded)
		return;
	if (h->in_value && (at != h->feed_start || h->line_start)) {
		f->folded = 1;
		return;
	}
	if (!h->in_value) {
		f->val_off = (uint32_t)h->len;
		h->in_value = 1;
	}
	if (head_append(h, at, len) == 0)
		f->val_len += (uint32_t)len;
}

/* ---- responses ------------------------------------------------------------- */

static int
on_resp_status(llhttp_t *p, const char *at, size_t len)
{
	struct resp_head *h = recording(p);
	if (h != NULL)
		record_status(h, at, len);
	return 0;
}

static int
on_resp_field_complete(llhttp_t *p)
{
	struct resp_head *h = recording(p);
	/* llhttp lets ": value" through in responses; a header without a name
	 * cannot be rebuilt as the engine meant it (if it meant anything) */
	if (h != NULL && (h->nfield == 0 || h->field[h->nfield - 1].name_len == 0))
		h->faithful = 0;
	return 0;
}

static int
on_resp_field(llhttp_t *p, const char *at, size_t len)
{
	struct http_resp *r = p->data;
	struct resp_head *h = recording(p);
	if (h != NULL)
		record_field(h, at, len);
	if (r->last_was_value) {
		r->field_len = 0;
		r->last_was_value = 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (r->field_len < sizeof r->field)
			r->field[r->field_len] = (char)(at[i] | 0x20);
		r->field_len++;
	}
	return 0;
}

static int
on_resp_value(llhttp_t *p, const char *at, size_t len)
{
	struct http_resp *r = p->data;
	struct resp_head *h = recording(p);
	if (h != NULL)
		record_value(h, at, len);
	if (!r->last_was_value) {
		r->last_was_value = 1;
		r->in_ctype = r->field_len == 12 && memcmp(r->field, "content-type", 12) == 0;
		if (r->in_ctype)
			r->ctype_len = 0;
	}
	if (r->in_ctype) {
		size_t room = sizeof r->ctype - 1 - r->ctype_len;
		size_t n = len < room ? len : room;
		memcpy(r->ctype + r->ctype_len, at, n);
		r->ctype_len += n;
		r->ctype[r->ctype_len] = 0;
	}
	return 0;
}

static int
on_resp_value_complete(llhttp_t *p)
{
	struct http_resp *r = p->data;
	struct resp_head *h = recording(p);
	/* an empty value may come without a value span */
	if (h != NULL && !h->in_value && h->nfield > 0 && h->nfield <= RESP_HEAD_MAX_HEADERS) {
		h->field[h->nfield - 1].val_off = (uint32_t)h->len;
		h->in_value = 1;
	}
	r->last_was_value = 1;
	return 0;
}

static int
is_raw_stream_type(const char *ct)
{
	return strncasecmp(ct, "application/vnd.docker.raw-stream", 33) == 0 ||
	    strncasecmp(ct, "application/vnd.docker.multiplexed-stream", 41) == 0;
}

static int
on_resp_headers_complete(llhttp_t *p)
{
	struct http_resp *r = p->data;
	struct resp_head *h = recording(p);
	if (h != NULL) {
		h->http_major = p->http_major;
		h->http_minor = p->http_minor;
		h->status = p->status_code;
		h->done = 1;
	}
	r->status = p->status_code;
	r->headers_done = 1;
	if (r->status == 101) {
		r->hijack = 1;
		return 0;   /* no body; message completes and pauses there */
	}
	if (r->head_request)
		return 1;   /* skip body */
	/* dockerd's attach/exec reply to clients that did not ask for an
	 * upgrade: 200 + raw-stream content type and no length; the rest of the
	 * connection is the raw stream, in both directions. */
	if (r->status == 200 && is_raw_stream_type(r->ctype) &&
	    !(p->flags & (F_CONTENT_LENGTH | F_CHUNKED))) {
		r->hijack = 1;
		r->paused_at = PAUSE_HEADERS;
		return HPE_PAUSED;
	}
	return 0;
}

static int
on_resp_body(llhttp_t *p, const char *at, size_t len)
{
	struct http_resp *r = p->data;
	if (r->capture == NULL || r->capture_overflow)
		return 0;
	if (evbuffer_get_length(r->capture) + len > r->capture_max) {
		r->capture_overflow = 1;   /* the session falls back to plain relaying */
		return 0;
	}
	return evbuffer_add(r->capture, at, len);
}

static int
on_resp_complete(llhttp_t *p)
{
	((struct http_resp *)p->data)->paused_at = PAUSE_DONE;
	return HPE_PAUSED;
}

static int
on_resp_begin(llhttp_t *p)
{
	struct http_resp *r = p->data;
	if (r->head != NULL)
		r->head->messages++;
	/* 1xx interim responses precede the real one; start over for it */
	r->ctype_len = 0;
	r->ctype[0] = 0;
	r->headers_done = 0;
	r->field_len = 0;
	r->last_was_value = 0;
	return 0;
}

static const llhttp_settings_t resp_settings = {
	.on_message_begin = on_resp_begin,
	.on_status = on_resp_status,
	.on_header_field = on_resp_field,
	.on_header_field_complete = on_resp_field_complete,
	.on_header_value = on_resp_value,
	.on_header_value_complete = on_resp_value_complete,
	.on_headers_complete = on_resp_headers_complete,
	.on_body = on_resp_body,
	.on_message_complete = on_resp_complete,
};

void
http_resp_init(struct http_resp *r, int head_request)
{
	memset(r, 0, sizeof *r);
	r->head_request = head_request;
	llhttp_init(&r->p, HTTP_RESPONSE, &resp_settings);
	r->p.data = r;
}

void
http_resp_record(struct http_resp *r, struct resp_head *h)
{
	resp_head_free(h);
	resp_head_init(h, h->max);
	r->head = h;
}

static enum parse_result
resp_execute(struct http_resp *r, const char *data, size_t len, size_t *used)
{
	r->paused_at = 0;
	llhttp_errno_t err = llhttp_execute(&r->p, data, len);
	return classify(&r->p, err, data, len, used, r->error, sizeof r->error,
	    r->paused_at == PAUSE_HEADERS);
}

/* While recording, llhttp gets the head one line at a time.  A piece then
 * ends at an LF, so the records learn whether every line ended in CRLF
 * (llhttp lets a bare LF end the status line and the header block of a
 * response), and a value span that starts a piece after an LF is an
 * obs-fold.  The head ends at an LF too, so the body is parsed as usual. */
static enum parse_result
resp_execute_recording(struct http_resp *r, const char *data, size_t len, size_t *used)
{
	struct resp_head *h = r->head;
	enum parse_result res = PARSE_MORE;
	size_t off = 0, u;

	while (off < len && !h->done) {
		const char *lf = memchr(data + off, '\n', len - off);
		size_t n = lf ? (size_t)(lf - (data + off)) + 1 : len - off;
		h->feed_start = data + off;
		u = 0;
		res = resp_execute(r, data + off, n, &u);
		if (u > 0) {
			const char *last = data + off + u - 1;
			if (*last == '\n' && !(u >= 2 ? last[-1] == '\r' : h->prev_cr))
				h->faithful = 0;
			h->prev_cr = *last == '\r';
			h->line_start = *last == '\n';
		}
		off += u;
		if (res != PARSE_MORE)
			break;
	}
	if (res == PARSE_MORE && off < len) {
		u = 0;
		res = resp_execute(r, data + off, len - off, &u);
		off += u;
	}
	*used = off;
	return res;
}

enum parse_result
http_resp_feed(struct http_resp *r, const char *data, size_t len, size_t *used)
{
	if (r->head != NULL && !r->head->done)
		return resp_execute_recording(r, data, len, used);
	return resp_execute(r, data, len, used);
}

int
http_resp_finish(struct http_resp *r)
{
	/* llhttp_finish runs on_message_complete for EOF-delimited bodies */
	llhttp_errno_t err = llhttp_finish(&r->p);
	return err == HPE_OK || err == HPE_PAUSED;
}

int
http_resp_keepalive(const struct http_resp *r)
{
	return llhttp_should_keep_alive(&r->p);
}

uint64_t
http_resp_body_left(const struct http_resp *r)
{
	if (!r->headers_done || r->hijack || r->head_request || r->paused_at == PAUSE_DONE ||
	    r->status < 200 || r->status == 204 || r->status == 304 ||
	    (r->p.flags & F_CHUNKED) || !(r->p.flags & F_CONTENT_LENGTH))
		return 0;
	/* llhttp counts the body down in content_length as it consumes it */
	return r->p.content_length;
}

void
http_resp_body_skipped(struct http_resp *r, uint64_t n)
{
	if (n < http_resp_body_left(r))
		r->p.content_length -= n;
}
