/* test_fuzz_regressions.c - one test per bug the libFuzzer harnesses in
 * tests/fuzz/ found, so each stays fixed under `make check` (the raw inputs
 * are in tests/fuzz/regressions/; tests/fuzz/replay.sh runs them). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/http_parse.h"
#include "daemon/warnings.h"
#include "policy/policy.h"
#include "policy/reqtarget.h"

/* Feed a whole request stream the way the session does; return the result
 * at the first stop, with the error text in err. */
static enum parse_result
feed_head(const char *text, size_t step, char *err, size_t errlen)
{
	struct http_req r;
	size_t off = 0, len = strlen(text);
	enum parse_result res = PARSE_MORE;

	http_req_init(&r, 8192);
	while (off < len && res == PARSE_MORE) {
		size_t n = len - off < step ? len - off : step, used = 0;
		res = http_req_feed(&r, text + off, n, &used);
		off += used;
	}
	snprintf(err, errlen, "%s", r.error);
	http_req_free(&r);
	return res;
}

/* fuzz_http_req: llhttp 8.1 accepts ": value" as a header with an empty
 * name; it was kept (and would have been forwarded as ": value"). */
START_TEST(empty_header_name_is_refused)
{
	static const char *const reqs[] = {
		"GET /_ping HTTP/1.1\r\nHost: x\r\n:Hs otapi\r\n\r\n",
		"GET /_ping HTTP/1.1\r\n: v\r\nHost: x\r\n\r\n",
		"GET /_ping HTTP/1.1\r\nHost: x\r\n:\r\n\r\n",
	};
	static const size_t steps[] = { 1, 3, 4096 };
	char err[160];
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
		for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			ck_assert_int_eq(feed_head(reqs[i], steps[k], err, sizeof err), PARSE_ERROR);
			ck_assert_str_eq(err, "empty header name");
		}
	/* a one-character name split across reads is still fine */
	ck_assert_int_eq(feed_head("GET /_ping HTTP/1.1\r\nX: v\r\nHost: x\r\n\r\n", 1, err,
	    sizeof err), PARSE_HEADERS);
}
END_TEST

/* fuzz_policy: query parameters that use up the decoded-query storage to
 * its last byte, then an empty key and value ("&="): the empty value's
 * terminator was written one byte past struct reqtarget (heap overflow in
 * policy_prepare / policy_judge).  Now it is "too long", a 400. */
START_TEST(query_storage_filled_exactly)
{
	static char target[8192];
	char err[160];
	struct reqtarget *rt = malloc(sizeof *rt);
	ck_assert_ptr_nonnull(rt);
	/* storage is RT_MAX_PATH * 2: "k=v" takes strlen(k)+1 + strlen(v)+1 */
	size_t total = sizeof rt->storage, a = 2000, b = total - 1 - (a + 1 + a + 1) - 2;
	int n = snprintf(target, sizeof target, "/_ping?");
	memset(target + n, 'a', a);
	n += (int)a;
	target[n++] = '=';
	memset(target + n, 'b', a);
	n += (int)a;
	target[n++] = '&';
	memset(target + n, 'c', b);
	n += (int)b;
	snprintf(target + n, sizeof target - (size_t)n, "&=");
	ck_assert_int_eq(reqtarget_parse(target, rt, err, sizeof err), -1);
	ck_assert_str_eq(err, "request-target too long");
	/* one byte shorter still fits */
	target[strlen(target) - 3] = '\0';
	ck_assert_int_eq(reqtarget_parse(target, rt, err, sizeof err), 0);
	free(rt);

	/* and through the policy: a bad request, not a crash */
	target[strlen(target)] = 'c';
	struct policy *pol = policy_load(NULL, NULL);
	ck_assert_ptr_nonnull(pol);
	struct pol_request req = { .headers = NULL };
	struct pol_decision d;
	struct pol_prepared *pp = policy_prepare(pol, "GET", target);
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(policy_prepared_wants_body(pp), 0);
	policy_judge(pol, pp, &req, &d);
	ck_assert_int_eq(d.verdict, POL_DENY);
	ck_assert_int_eq(d.status, 400);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	policy_free(pol);
}
END_TEST

/* fuzz_http_resp: a dropped framing header's obs-fold continuation line
 * was kept, so the rewritten answer had a stray continuation right after the
 * status line (llhttp accepts folding in responses). */
START_TEST(warnings_rewrite_drops_folded_framing)
{
	static const char resp[] = "HTTP/1.1 201 Created\r\n"
	    "Transfer-Encoding: chunked\r\n\tx\r\n"
	    "Api-Version: 1.41\r\n\r\n"
	    "11\r\n{\"Id\":\"abc\"}\r\n\r\n0\r\n\r\n";
	static char *const warnings[] = { "sockward: [x] y" };
	struct evbuffer *raw = evbuffer_new(), *body = evbuffer_new(), *out = evbuffer_new();
	evbuffer_add(raw, resp, sizeof resp - 1);
	evbuffer_add(body, "{\"Id\":\"abc\"}", 12);
	ck_assert_int_eq(warnings_rewrite(raw, body, warnings, 1, out), 0);
	static const char want[] = "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n"
	    "Content-Length: 44\r\n\r\n{\"Id\":\"abc\",\"Warnings\":[\"sockward: [x] y\"]}\n";
	size_t n = evbuffer_get_length(out);
	ck_assert_uint_eq(n, sizeof want - 1);
	ck_assert(memcmp(evbuffer_pullup(out, -1), want, n) == 0);
	evbuffer_free(raw);
	evbuffer_free(body);
	evbuffer_free(out);
}
END_TEST

/* fuzz_http_resp: a status line ended by a bare LF (accepted by llhttp in
 * responses) made the first CRLFCRLF fall inside the body, and the rewrite
 * put an empty line before our Content-Length.  Such an answer is now
 * relayed unchanged. */
START_TEST(warnings_rewrite_refuses_bare_lf_head)
{
	static const char resp[] = "HTTP/1.1 201 e01 e\n\r\n\r\n{\"Id\":[]}\n";
	static char *const warnings[] = { "sockward: [x] y" };
	struct evbuffer *raw = evbuffer_new(), *body = evbuffer_new(), *out = evbuffer_new();
	evbuffer_add(raw, resp, sizeof resp - 1);
	evbuffer_add(body, "\r\n{\"Id\":[]}\n", 12);
	ck_assert_int_eq(warnings_rewrite(raw, body, warnings, 1, out), -1);
	ck_assert_uint_eq(evbuffer_get_length(out), 0);
	evbuffer_free(raw);
	evbuffer_free(body);
	evbuffer_free(out);
}
END_TEST

Suite *
fuzz_regressions_suite(void)
{
	Suite *s = suite_create("fuzz_regressions");
	TCase *tc = tcase_create("http");
	tcase_add_test(tc, empty_header_name_is_refused);
	tcase_add_test(tc, warnings_rewrite_drops_folded_framing);
	tcase_add_test(tc, warnings_rewrite_refuses_bare_lf_head);
	suite_add_tcase(s, tc);
	tc = tcase_create("policy");
	tcase_add_test(tc, query_storage_filled_exactly);
	suite_add_tcase(s, tc);
	return s;
}
