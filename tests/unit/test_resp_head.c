/* test_resp_head.c - the response head records (http_resp_record) and the
 * warn-mode rewrite built from them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/http_parse.h"
#include "daemon/warnings.h"

/* Feed text in steps of `step` bytes while recording; the parse result. */
static enum parse_result
record(const char *text, size_t step, struct resp_head *h)
{
	struct http_resp r;
	size_t off = 0, len = strlen(text);
	enum parse_result res = PARSE_MORE;

	http_resp_init(&r, 0);
	http_resp_record(&r, h);
	while (off < len && res == PARSE_MORE) {
		size_t n = len - off < step ? len - off : step, used = 0;
		res = http_resp_feed(&r, text + off, n, &used);
		off += used;
	}
	return res;
}

static void
assert_value(const struct resp_head *h, const char *name, const char *want)
{
	size_t len = 0;
	const char *v = resp_head_get(h, name, &len);
	ck_assert_msg(v != NULL, "no %s", name);
	ck_assert_msg(len == strlen(want) && memcmp(v, want, len) == 0, "%s: '%.*s'", name,
	    (int)len, v);
}

START_TEST(records_in_any_chunking)
{
	static const char resp[] = "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n"
	    "Content-Type: application/json\r\nX-Empty:\r\nX-Spaces:   a  b  \r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nTrailer-Field: t\r\n\r\n";
	static const size_t steps[] = { 1, 2, 7, 4096 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct resp_head h;
		resp_head_init(&h, 4096);
		ck_assert_int_eq(record(resp, steps[i], &h), PARSE_DONE);
		ck_assert(h.done && h.faithful);
		ck_assert_int_eq(h.messages, 1);
		ck_assert_int_eq(h.status, 201);
		ck_assert_int_eq(h.http_major, 1);
		ck_assert_int_eq(h.http_minor, 1);
		ck_assert_uint_eq(h.reason_len, 7);
		ck_assert(memcmp(h.buf + h.reason_off, "Created", 7) == 0);
		ck_assert_uint_eq(h.nfield, 5);   /* the trailer is not a head field */
		assert_value(&h, "api-version", "1.41");
		assert_value(&h, "X-Empty", "");
		assert_value(&h, "x-spaces", "a  b  ");
		assert_value(&h, "transfer-encoding", "chunked");
		ck_assert_ptr_null(resp_head_get(&h, "Trailer-Field", NULL));
		resp_head_free(&h);
	}
}
END_TEST

/* What the records could not say is flagged, not silently normalised. */
START_TEST(unfaithful_heads_are_flagged)
{
	static const char *const bad[] = {
		"HTTP/1.1 201 Created\nApi-Version: 1.41\r\n\r\n",   /* bare LF, status line */
		"HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n\n",   /* bare LF, last line */
		"HTTP/1.1 201\n\r\n",
		"HTTP/1.1 201 Created\r\n: v\r\n\r\n",               /* empty field name */
		/* fuzz_http_resp: an empty first span was copied into a head
		 * buffer not yet allocated (memcpy to NULL, UBSan) */
		"HTTP/1.1 959\n:19 GMT\r\n\r\n",
	};
	static const size_t steps[] = { 1, 4096 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct resp_head h;
			resp_head_init(&h, 4096);
			record(bad[i], steps[k], &h);
			ck_assert_msg(h.done && !h.faithful, "%s (step %zu)", bad[i], steps[k]);
			resp_head_free(&h);
		}
	/* too big for the bound */
	struct resp_head h;
	resp_head_init(&h, 16);
	record("HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n\r\n", 4096, &h);
	ck_assert(!h.faithful);
	resp_head_free(&h);
}
END_TEST

START_TEST(obs_fold_marks_the_field)
{
	static const size_t steps[] = { 1, 3, 4096 };
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct resp_head h;
		resp_head_init(&h, 4096);
		record("HTTP/1.1 200 OK\r\nA: b\r\n\tx\r\nC: d\r\nContent-Length: 0\r\n\r\n",
		    steps[k], &h);
		ck_assert(h.done && h.faithful);
		ck_assert_uint_eq(h.nfield, 3);
		ck_assert_int_eq(h.field[0].folded, 1);
		ck_assert_int_eq(h.field[1].folded, 0);
		assert_value(&h, "a", "b");
		assert_value(&h, "c", "d");
		resp_head_free(&h);
	}
}
END_TEST

/* Recording is off unless asked for: nothing changes for plain relaying. */
START_TEST(not_recording_by_default)
{
	struct http_resp r;
	size_t used = 0;
	static const char resp[] = "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n";

	http_resp_init(&r, 0);
	ck_assert_ptr_null(r.head);
	ck_assert_int_eq(http_resp_feed(&r, resp, sizeof(resp) - 1, &used), PARSE_DONE);
	ck_assert_uint_eq(used, sizeof(resp) - 1);
}
END_TEST

/* ---- the rewrite ----------------------------------------------------------- */

static char *const warns[] = { "sockward: [x] y" };

/* raw split into evbuffer chunks at every `step` bytes */
static int
rewrite(const char *raw, size_t step, const char *body, struct evbuffer *out)
{
	struct evbuffer *rb = evbuffer_new(), *bb = evbuffer_new();
	for (size_t off = 0, len = strlen(raw); off < len; off += step) {
		struct evbuffer *piece = evbuffer_new();
		evbuffer_add(piece, raw + off, len - off < step ? len - off : step);
		evbuffer_add_buffer(rb, piece);   /* keeps the chain's chunks apart */
		evbuffer_free(piece);
	}
	evbuffer_add(bb, body, strlen(body));
	int rc = warnings_rewrite(rb, bb, warns, 1, out);
	evbuffer_free(rb);
	evbuffer_free(bb);
	return rc;
}

static void
assert_out(struct evbuffer *out, const char *want)
{
	size_t n = evbuffer_get_length(out);
	ck_assert_msg(n == strlen(want) && memcmp(evbuffer_pullup(out, -1), want, n) == 0,
	    "got: %.*s", (int)n, (const char *)evbuffer_pullup(out, -1));
	evbuffer_drain(out, n);
}

START_TEST(rewrite_from_records)
{
	static const char raw[] = "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n"
	    "content-length: 12\r\nX-Odd:  v  \r\nDocker-Experimental: false\r\n\r\n{\"Id\":\"abc\"}";
	static const char want[] = "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\nX-Odd: v  \r\n"
	    "Docker-Experimental: false\r\nContent-Length: 44\r\n\r\n"
	    "{\"Id\":\"abc\",\"Warnings\":[\"sockward: [x] y\"]}\n";
	static const size_t steps[] = { 1, 5, 4096 };
	struct evbuffer *out = evbuffer_new();

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		ck_assert_int_eq(rewrite(raw, steps[k], "{\"Id\":\"abc\"}", out), 0);
		assert_out(out, want);
	}
	/* no reason phrase: the status line keeps its SP */
	ck_assert_int_eq(rewrite("HTTP/1.1 201\r\nContent-Length: 2\r\n\r\n{}", 4096, "{}", out), 0);
	assert_out(out, "HTTP/1.1 201 \r\nContent-Length: 33\r\n\r\n"
	    "{\"Warnings\":[\"sockward: [x] y\"]}\n");
	evbuffer_free(out);
}
END_TEST

/* Heads the records cannot rebuild as the engine sent them stay as they are. */
START_TEST(rewrite_refuses_what_it_cannot_rebuild)
{
	static const char *const bad[] = {
		/* a field we would keep is folded */
		"HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n x\r\nContent-Length: 2\r\n\r\n{}",
		/* bare LF ending the header block */
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\n{}",
		/* an interim answer in front of the real one */
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
		/* not an answer at all */
		"HTTP/1.1 2x1 Created\r\n\r\n{}",
		/* the head never ends */
		"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n",
	};
	struct evbuffer *out = evbuffer_new();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(rewrite(bad[i], 3, "{}", out) == -1, "%s", bad[i]);
		ck_assert_msg(rewrite(bad[i], 4096, "{}", out) == -1, "%s", bad[i]);
		ck_assert_uint_eq(evbuffer_get_length(out), 0);
	}
	evbuffer_free(out);
}
END_TEST

Suite *
resp_head_suite(void)
{
	Suite *s = suite_create("resp_head");
	TCase *tc = tcase_create("records");
	tcase_add_test(tc, records_in_any_chunking);
	tcase_add_test(tc, unfaithful_heads_are_flagged);
	tcase_add_test(tc, obs_fold_marks_the_field);
	tcase_add_test(tc, not_recording_by_default);
	suite_add_tcase(s, tc);
	tc = tcase_create("warnings");
	tcase_add_test(tc, rewrite_from_records);
	tcase_add_test(tc, rewrite_refuses_what_it_cannot_rebuild);
	suite_add_tcase(s, tc);
	return s;
}
