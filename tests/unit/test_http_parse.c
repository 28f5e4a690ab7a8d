/* test_http_parse.c - request/response framing against real client bytes
 * (raw captures of docker CLI 28, CLI 20.10 and compose 1.29 talking to
 * dockerd 20.10, in fixtures/captures) and against the framing attacks the
 * proxy must refuse. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/http_parse.h"

struct parsed {
	int nreq;
	char lines[64][300];
	size_t body_bytes;
	int upgraded;
	int error;
	char errtext[160];
};

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open fixture %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

/* Parse a client byte stream the way the session does: stop at headers to
 * capture the body, stop at the end of each message, stop for good at an
 * upgrade (the rest is a raw stream).  step = bytes per feed. */
static void
parse_requests(const char *data, size_t len, size_t step, size_t max_head, struct parsed *out)
{
	struct http_req r;
	struct evbuffer *body = evbuffer_new();
	memset(out, 0, sizeof *out);
	http_req_init(&r, max_head);
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		size_t used = 0;
		enum parse_result res = http_req_feed(&r, data + off, n, &used);
		off += used;
		if (res == PARSE_ERROR) {
			out->error = 1;
			snprintf(out->errtext, sizeof out->errtext, "%s", r.error);
			break;
		}
		if (res == PARSE_HEADERS) {
			snprintf(out->lines[out->nreq % 64], sizeof out->lines[0], "%s %s",
			    http_req_method(&r), http_req_url(&r));
			http_req_resume(&r, body, 64u << 20);
			if (!http_req_has_body(&r)) {
				/* as the session does: a body-less request ends with its head */
				size_t u0;
				res = http_req_feed(&r, "", 0, &u0);
				if (res == PARSE_ERROR) {
					out->error = 1;
					snprintf(out->errtext, sizeof out->errtext, "%s", r.error);
					break;
				}
			}
		}
		if (res == PARSE_DONE) {
			out->nreq++;
			out->body_bytes += evbuffer_get_length(body);
			evbuffer_drain(body, evbuffer_get_length(body));
			if (http_req_upgrade(&r)) {
				out->upgraded = 1;
				break;
			}
			http_req_next(&r);
		}
	}
	http_req_free(&r);
	evbuffer_free(body);
}

static const char *const capture_names[] = {
	"version-conn1", "run-rm-echo-conn1", "run-rm-echo-conn2", "exec-stdin-conn1",
	"exec-stdin-conn2", "exec-tty-conn2", "attach-stdin-conn3", "events-stream-conn1",
	"logs-follow-conn1", "cp-in-conn1", "cp-out-conn1", "build-buildkit-cli20-conn2",
	"build-classic-conn1", "compose-up-down-conn1", "compose-up-down-conn9",
	"compose-up-down-conn27", "misc-readonly-conn1",
};

/* Every captured client stream parses, and the result does not depend on
 * how the bytes are split across reads. */
START_TEST(captures_parse_identically_in_any_chunking)
{
	const char *name = capture_names[_i];
	char path[256];
	size_t len;
	snprintf(path, sizeof path, "fixtures/captures/%s.c2s", name);
	char *data = slurp(path, &len);
	struct parsed whole, bytewise, odd;
	parse_requests(data, len, len, 65536, &whole);
	parse_requests(data, len, 1, 65536, &bytewise);
	parse_requests(data, len, 7, 65536, &odd);
	ck_assert_msg(!whole.error, "%s: %s", name, whole.errtext);
	ck_assert_int_ge(whole.nreq, 1);
	ck_assert_int_eq(whole.nreq, bytewise.nreq);
	ck_assert_int_eq(whole.nreq, odd.nreq);
	ck_assert_uint_eq(whole.body_bytes, bytewise.body_bytes);
	ck_assert_uint_eq(whole.body_bytes, odd.body_bytes);
	for (int i = 0; i < whole.nreq && i < 64; i++) {
		ck_assert_str_eq(whole.lines[i], bytewise.lines[i]);
		ck_assert_str_eq(whole.lines[i], odd.lines[i]);
	}
	free(data);
}
END_TEST

/* The first request line agrees with the capture's index. */
START_TEST(capture_first_request_matches_index)
{
	size_t len;
	char *data = slurp("fixtures/captures/attach-stdin-conn3.c2s", &len);
	struct parsed p;
	parse_requests(data, len, len, 65536, &p);
	ck_assert_str_eq(p.lines[0],
	    "POST /v1.41/containers/capt-att/attach?stderr=1&stdin=1&stdout=1&stream=1");
	ck_assert_int_eq(p.upgraded, 1);
	free(data);
	data = slurp("fixtures/captures/build-buildkit-cli20-conn2.c2s", &len);
	parse_requests(data, len, 13, 65536, &p);
	ck_assert_str_eq(p.lines[0], "POST /session");
	ck_assert_int_eq(p.upgraded, 1);
	free(data);
}
END_TEST

/* cp-in streams a tar body: its de-chunked size is what the CLI sent. */
START_TEST(chunked_upload_is_dechunked)
{
	size_t len;
	char *data = slurp("fixtures/captures/cp-in-conn1.c2s", &len);
	struct parsed p;
	parse_requests(data, len, 100, 65536, &p);
	ck_assert(!p.error);
	ck_assert_uint_gt(p.body_bytes, 0);
	ck_assert_uint_lt(p.body_bytes, len);   /* framing bytes were removed */
	free(data);
}
END_TEST

static void
expect_error(const char *req, const char *what)
{
	struct parsed p;
	parse_requests(req, strlen(req), strlen(req), 65536, &p);
	ck_assert_msg(p.error, "accepted: %s", what);
}

START_TEST(framing_attacks_are_errors)
{
	expect_error("POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "CL + TE");
	expect_error("POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\nhello!", "duplicate Content-Length");
	expect_error("POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\nhello\r\n0\r\n\r\n", "bad chunk size");
	expect_error("POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhelloXX0\r\n\r\n", "bad chunk terminator");
	expect_error("POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "non-chunked final transfer coding");
	expect_error("GET /_ping HTTP/1.1\r\nHost : x\r\n\r\n", "space before colon");
	expect_error("GET /_ping HTTP/1.1\nHost: x\n\n", "bare LF line endings");
	expect_error("GARBAGE\r\n\r\n", "not HTTP");
	expect_error("GET /_ping HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "obsolete line folding");
	/* folding after an empty value: the continuation is still folding */
	expect_error("POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
	    "obsolete line folding");
	expect_error("GET /_ping HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\tvalue\r\n\r\n", "obsolete line folding");
	expect_error("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "negative length");
}
END_TEST

/* What llhttp accepts but Go's net/http (dockerd) would frame differently. */
START_TEST(transfer_encodings_go_would_not_read_alike)
{
	static const struct { const char *req; int status; } cases[] = {
		{ "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400 },
		{ "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400 },   /* llhttp refuses it first */
		{ "POST /build HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "POST /build HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n", 0 },
		{ "POST /build HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", 0 },
		{ "GET /_ping HTTP/1.2\r\nHost: x\r\n\r\n", 400 },   /* llhttp refuses it */
		{ "POST /build HTTP/2.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 505 },
		/* llhttp ends a CONNECT with its head; Go reads its body */
		{ "CONNECT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", 400 },
		{ "CONNECT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
		{ "CONNECT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_req r;
		size_t used;
		http_req_init(&r, 65536);
		enum parse_result res = http_req_feed(&r, cases[i].req, strlen(cases[i].req), &used);
		int status = 0;
		const char *why = NULL;
		if (res == PARSE_HEADERS)
			why = http_req_framing_problem(&r, &status);
		else
			status = 400;   /* llhttp itself refused it */
		ck_assert_msg(status == cases[i].status, "case %zu: status %d (%s), want %d", i,
		    status, why ? why : "-", cases[i].status);
		http_req_free(&r);
	}
}
END_TEST

/* Go ignores chunked trailers; they must not turn into headers of the
 * rebuilt request (for inspected bodies the head is rebuilt afterwards). */
START_TEST(trailers_are_refused)
{
	const char *req = "POST /v1.41/volumes/create HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nHost: evil\r\n\r\n";
	struct parsed p;
	parse_requests(req, strlen(req), strlen(req), 65536, &p);
	ck_assert(p.error);
	ck_assert_str_eq(p.errtext, "trailer fields are not accepted");
	parse_requests(req, strlen(req), 1, 65536, &p);
	ck_assert(p.error);
}
END_TEST

START_TEST(oversize_head_is_refused)
{
	char *big = malloc(100000);
	int n = snprintf(big, 100000, "GET /_ping HTTP/1.1\r\nX-Filler: ");
	memset(big + n, 'a', 80000);
	strcpy(big + n + 80000, "\r\n\r\n");
	struct parsed p;
	parse_requests(big, strlen(big), 4096, 65536, &p);
	ck_assert(p.error);
	ck_assert_ptr_nonnull(strstr(p.errtext, "exceeds 65536"));
	free(big);
}
END_TEST

START_TEST(pipelined_requests_stop_at_each_end)
{
	const char *two = "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
	    "POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
	    "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
	struct parsed p;
	parse_requests(two, strlen(two), strlen(two), 65536, &p);
	ck_assert(!p.error);
	ck_assert_int_eq(p.nreq, 3);
	ck_assert_str_eq(p.lines[0], "GET /_ping");
	ck_assert_str_eq(p.lines[1], "POST /containers/create");
	ck_assert_str_eq(p.lines[2], "GET /version");
	ck_assert_uint_eq(p.body_bytes, 2);
}
END_TEST

START_TEST(body_cap_is_enforced_while_capturing)
{
	const char *req = "POST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n";
	struct http_req r;
	struct evbuffer *body = evbuffer_new();
	http_req_init(&r, 65536);
	size_t used;
	ck_assert_int_eq(http_req_feed(&r, req, strlen(req), &used), PARSE_HEADERS);
	http_req_resume(&r, body, 10);
	ck_assert_int_eq(http_req_feed(&r, req + used, strlen(req) - used, &used), PARSE_ERROR);
	ck_assert_int_eq(r.body_overflow, 1);
	ck_assert_ptr_nonnull(strstr(r.error, "exceeds 10"));
	http_req_free(&r);
	evbuffer_free(body);
}
END_TEST

START_TEST(headers_are_kept_for_the_rebuild)
{
	const char *req = "POST /v1.41/containers/create?name=x HTTP/1.1\r\nHost: api\r\n"
	    "Content-Type: application/json; charset=utf-8\r\nX-Empty:\r\nContent-Length: 2\r\n\r\n{}";
	struct http_req r;
	http_req_init(&r, 65536);
	size_t used, len;
	ck_assert_int_eq(http_req_feed(&r, req, strlen(req), &used), PARSE_HEADERS);
	ck_assert_str_eq(http_req_method(&r), "POST");
	ck_assert_str_eq(http_req_url(&r), "/v1.41/containers/create?name=x");
	const char *ct = http_req_header(&r, "content-type", &len);
	ck_assert_ptr_nonnull(ct);
	ck_assert_int_eq((int)len, 31);
	ck_assert(strncmp(ct, "application/json; charset=utf-8", len) == 0);
	ck_assert_ptr_nonnull(http_req_header(&r, "x-empty", &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(http_req_content_length(&r), 2);
	ck_assert(!http_req_chunked(&r));
	ck_assert(http_req_keepalive(&r));
	http_req_free(&r);
}
END_TEST

/* ---- responses -------------------------------------------------------------- */

struct presp {
	int nresp;
	int statuses[64];
	int hijack;
	int error;
	size_t consumed;
};

static void
parse_responses(const char *data, size_t len, size_t step, int head_first, struct presp *out)
{
	struct http_resp r;
	memset(out, 0, sizeof *out);
	http_resp_init(&r, head_first);
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		size_t used = 0;
		enum parse_result res = http_resp_feed(&r, data + off, n, &used);
		off += used;
		if (res == PARSE_ERROR) {
			out->error = 1;
			break;
		}
		if (res == PARSE_HEADERS) {
			out->hijack = 1;
			out->statuses[out->nresp++ % 64] = r.status;
			break;
		}
		if (res == PARSE_DONE) {
			out->statuses[out->nresp++ % 64] = r.status;
			if (r.hijack) {
				out->hijack = 1;
				break;
			}
			http_resp_init(&r, 0);
		}
	}
	out->consumed = off;
}

START_TEST(responses_from_captures)
{
	size_t len;
	struct presp p;
	char *data = slurp("fixtures/captures/attach-stdin-conn3.s2c", &len);
	parse_responses(data, len, 5, 0, &p);
	ck_assert(!p.error);
	ck_assert_int_eq(p.statuses[0], 101);
	ck_assert(p.hijack);
	ck_assert_uint_lt(p.consumed, len);   /* the rest is the raw stream */
	free(data);

	data = slurp("fixtures/captures/version-conn1.s2c", &len);
	parse_responses(data, len, 3, 1, &p);   /* HEAD /_ping then GET /version */
	ck_assert(!p.error);
	ck_assert_int_ge(p.nresp, 1);
	ck_assert_int_eq(p.statuses[0], 200);
	free(data);

	/* chunked event stream: the whole capture is one unfinished response */
	data = slurp("fixtures/captures/events-stream-conn1.s2c", &len);
	parse_responses(data, len, 11, 0, &p);
	ck_assert(!p.error);
	ck_assert_uint_eq(p.consumed, len);
	free(data);
}
END_TEST

START_TEST(raw_stream_without_upgrade_is_a_hijack)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
	    "\x01\x00\x00\x00\x00\x00\x00\x02hi";
	struct presp p;
	parse_responses(resp, strlen(resp) + 2, 1000, 0, &p);
	ck_assert(p.hijack);
	ck_assert_int_eq(p.statuses[0], 200);
	ck_assert_uint_eq(p.consumed, strlen("HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/vnd.docker.raw-stream\r\n\r\n"));
}
END_TEST

START_TEST(eof_delimited_response_completes_on_finish)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nConnection: close\r\n\r\nabc";
	struct http_resp r;
	http_resp_init(&r, 0);
	size_t used;
	ck_assert_int_eq(http_resp_feed(&r, resp, strlen(resp), &used), PARSE_MORE);
	ck_assert(http_resp_finish(&r));
	ck_assert_int_eq(r.paused_at, PAUSE_DONE);
	ck_assert(!http_resp_keepalive(&r));
}
END_TEST

Suite *
http_parse_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("requests");
	tcase_add_loop_test(tc, captures_parse_identically_in_any_chunking, 0,
	    (int)(sizeof capture_names / sizeof capture_names[0]));
	tcase_add_test(tc, capture_first_request_matches_index);
	tcase_add_test(tc, chunked_upload_is_dechunked);
	tcase_add_test(tc, framing_attacks_are_errors);
	tcase_add_test(tc, oversize_head_is_refused);
	tcase_add_test(tc, transfer_encodings_go_would_not_read_alike);
	tcase_add_test(tc, trailers_are_refused);
	tcase_add_test(tc, pipelined_requests_stop_at_each_end);
	tcase_add_test(tc, body_cap_is_enforced_while_capturing);
	tcase_add_test(tc, headers_are_kept_for_the_rebuild);
	suite_add_tcase(s, tc);
	TCase *tr = tcase_create("responses");
	tcase_add_test(tr, responses_from_captures);
	tcase_add_test(tr, raw_stream_without_upgrade_is_a_hijack);
	tcase_add_test(tr, eof_delimited_response_completes_on_finish);
	suite_add_tcase(s, tr);
	return s;
}
