/* http_parse.h - strict HTTP/1.1 framing with llhttp, for both directions.
 *
 * The parsers never copy body bytes: they only tell the session how many
 * bytes of the current chunk belong to which part of the message, and the
 * session moves those bytes between evbuffers.  Request heads are kept (the
 * head is rebuilt when forwarded); inspected request bodies are captured
 * de-chunked for the policy. */
#ifndef SOCKWARD_HTTP_PARSE_H
#define SOCKWARD_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <llhttp.h>
#include <event2/buffer.h>

#define REQ_MAX_HEADERS 128

enum parse_result {
	PARSE_MORE,      /* everything given was consumed; feed more */
	PARSE_HEADERS,   /* stopped right after the header block */
	PARSE_DONE,      /* stopped right after the end of the message */
	PARSE_ERROR,     /* malformed; see error text */
};

enum { PAUSE_NONE, PAUSE_HEADERS, PAUSE_DONE };

struct req_header {
	uint32_t name_off, name_len, val_off, val_len;
};

struct http_req {
	llhttp_t p;
	char *buf;               /* url + header names/values, bounded by max_head */
	size_t len, cap, max_head;
	uint32_t url_off, url_len;
	struct req_header hdr[REQ_MAX_HEADERS];
	size_t nhdr;
	int in_value;            /* last callback was a header value */
	size_t head_bytes;       /* raw bytes of the head consumed so far */
	struct evbuffer *body;   /* capture target, NULL when streaming */
	size_t body_max;
	int body_overflow;
	int head_overflow;
	int folded;              /* obs-fold seen */
	int fed_lf_ws;           /* the last read ended in LF and white space */
	int head_done;           /* header block complete: later fields are trailers */
	int trailer;             /* a trailer field was seen */
	int empty_name;          /* a header line with an empty field name */
	int span_at_end;         /* last value span ended at the end of its read */
	const char *feed_start, *feed_end;
	int paused_at;           /* PAUSE_* set by the callbacks */
	char error[160];
};

void http_req_init(struct http_req *r, size_t max_head);
/* Give a freshly initialised parser a buffer for its head (from an earlier
 * parser: http_req_free() was not called on it), or NULL. */
void http_req_adopt_buffer(struct http_req *r, char *buf, size_t cap);
void http_req_free(struct http_req *r);
/* Prepare for the next request on the connection (after PARSE_DONE). */
void http_req_next(struct http_req *r);
/* Continue after PARSE_HEADERS (optionally capturing the body into body). */
void http_req_resume(struct http_req *r, struct evbuffer *capture, size_t max);
enum parse_result http_req_feed(struct http_req *r, const char *data, size_t len, size_t *used);

const char *http_req_method(const struct http_req *r);
/* URL as a NUL-terminated string (the buffer keeps a terminator after it). */
const char *http_req_url(const struct http_req *r);
/* Header value by case-insensitive name; NULL if absent. */
const char *http_req_header(const struct http_req *r, const char *name, size_t *len);
/* A framing the engine would read differently from us, or NULL; status is
 * the answer to give (400 or 501, as Go's net/http would). */
const char *http_req_framing_problem(const struct http_req *r, int *status);
/* The Expect header as dockerd's net/http reads it: 0 none, 1 it holds the
 * token 100-continue, -1 another expectation (Go answers 417) */
int http_req_expectation(const struct http_req *r);
int http_req_keepalive(const struct http_req *r);
int http_req_upgrade(const struct http_req *r);
int http_req_chunked(const struct http_req *r);
uint64_t http_req_content_length(const struct http_req *r);   /* 0 if none */
int http_req_has_body(const struct http_req *r);
/* The same for a request body: bytes of a Content-Length body still to
 * come (0 while the parser copies the body out: http_req_resume), and n
 * (< that) of them moved past the parser by a splice. */
uint64_t http_req_body_left(const struct http_req *r);
/* Bytes of a Content-Length body still to come, whether or not the parser
 * copies them out (an archive judged as it streams), and n (< that) of
 * them moved past the parser (and its copy) by a splice. */
uint64_t http_req_length_left(const struct http_req *r);
void http_req_body_skipped(struct http_req *r, uint64_t n);

/* A response head as llhttp parsed it, recorded only for a caller that asks
 * (http_resp_record), so that an answer head can be rebuilt from what the
 * parser read instead of scanning the raw bytes a second time.  Trailers
 * are not recorded.  `faithful` says whether the records say everything the
 * raw head said: no bare LF line ends, no obs-fold (except in fields marked
 * folded), no empty field name, nothing beyond the bounds. */
#define RESP_HEAD_MAX_HEADERS 64

struct resp_field {
	uint32_t name_off, name_len, val_off, val_len;
	int folded;              /* value continued on an obs-fold line */
};

struct resp_head {
	char *buf;               /* reason phrase, field names and values */
	size_t len, cap, max;
	int http_major, http_minor, status;
	uint32_t reason_off, reason_len;
	struct resp_field field[RESP_HEAD_MAX_HEADERS];
	size_t nfield;
	int messages;            /* heads begun: an interim 1xx answer makes two */
	int done;                /* the header block ended */
	int faithful;
	/* parse position, for the checks above */
	int in_value, prev_cr, line_start;
	const char *feed_start;
};

void resp_head_init(struct resp_head *h, size_t max_bytes);
void resp_head_free(struct resp_head *h);
/* Header value by case-insensitive name (the first one); NULL if absent. */
const char *resp_head_get(const struct resp_head *h, const char *name, size_t *len);

struct http_resp {
	llhttp_t p;
	struct resp_head *head;  /* NULL unless http_resp_record(): records the head */
	int head_request;        /* response to HEAD: no body */
	int status;
	int hijack;              /* 101, or a raw-stream body without framing */
	int headers_done;
	char ctype[96];
	size_t ctype_len;
	int in_ctype;
	int last_was_value;
	char field[16];
	size_t field_len;
	int paused_at;
	struct evbuffer *capture;   /* when set, the de-chunked body is copied here */
	size_t capture_max;
	int capture_overflow;
	char error[160];
};

void http_resp_init(struct http_resp *r, int head_request);
/* Record the head of the answer about to be fed into h (set up once with
 * resp_head_init; its records are reset here); call before the first byte.  While recording, the head is given to llhttp one
 * line at a time; the body is parsed as usual. */
void http_resp_record(struct http_resp *r, struct resp_head *h);
enum parse_result http_resp_feed(struct http_resp *r, const char *data, size_t len, size_t *used);
/* The engine closed the connection: does that complete the message? */
int http_resp_finish(struct http_resp *r);
int http_resp_keepalive(const struct http_resp *r);
/* Bytes of a Content-Length body still to come, between the head and the
 * end of the message; 0 for any other framing (chunked, EOF-delimited, a
 * stream, no body).  A splice moves body bytes past the parser:
 * http_resp_body_skipped(n), n < http_resp_body_left(), tells it, so that
 * the last byte(s), parsed as usual, complete the message. */
uint64_t http_resp_body_left(const struct http_resp *r);
void http_resp_body_skipped(struct http_resp *r, uint64_t n);

#endif
