/* test_lookup_release.c - the engine answers a judgement asked for are
 * released once the decision is final, not when the exchange ends.
 *
 * A tenant's `docker logs -f` is judged on the container's inspect answer
 * (its owner label) and then forwarded as a stream that may run for hours.
 * The exchange lives as long as the stream; the answer (here 900 KB of
 * JSON, ~10x that parsed; up to 16 x 4 MiB a request) used to live with it,
 * whatever limits.max_buffer_bytes says: 40 such streams held 523 MB.  Real
 * sessions on the harness's loop (sess_harness.h), a fake engine scripted
 * byte by byte. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/exchange.h"
#include "daemon/session.h"
#include "policy/policy.h"
#include "tests/unit/sess_harness.h"

/* every connection is tenant red's under the restricted profile */
#define POLICY_TENANT "{ \"default_profile\": \"restricted\", \"bindings\": [ { \"match\": \"*\"," \
	" \"profile\": \"restricted\", \"tenant\": \"red\" } ] }"
#define WEB_ID "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
#define LOGS_TARGET "/containers/web/logs?follow=1&stdout=1"
#define STREAM_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"

static struct harness H;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
}

/* The exchange of the only session. */
static struct exchange *
only_exchange(struct harness *h)
{
	ck_assert_uint_eq(h->srv.gw.nsessions, 1);
	struct session *s = TAILQ_FIRST(&h->srv.gw.sessions);
	ck_assert_ptr_nonnull(s);
	return s->x;
}

/* The container's inspect answer: red's, with an Env of pad_kb KB (many
 * small strings: parsed, it is many times its text). */
static char *
inspect_answer(size_t pad_kb, size_t *len)
{
	size_t cap = pad_kb * 1024 + 4096, n = 0;
	char *a = malloc(cap);
	ck_assert_ptr_nonnull(a);
	n += (size_t)snprintf(a + n, cap - n, "{\"Id\":\"%s\",\"Name\":\"/web\",\"Config\":{\"Labels\":"
	    "{\"io.sockward.tenant\":\"red\"},\"Env\":[\"A=0\"", WEB_ID);
	for (size_t i = 0; n + 64 < pad_kb * 1024; i++)
		n += (size_t)snprintf(a + n, cap - n, ",\"V%zu=x\"", i);
	n += (size_t)snprintf(a + n, cap - n, "]},\"HostConfig\":{}}");
	*len = n;
	return a;
}

/* Brings a tenant's logs -f through its lookup to a running stream;
 * returns the client and the engine connection carrying the stream. */
static void
start_stream(struct h_peer **cp, struct h_peer **ep)
{
	struct h_peer *c, *lk = NULL, *e = NULL;
	size_t alen;
	char *ans = inspect_answer(900, &alen);
	char head[200];

	c = h_client(&H);
	h_sendf(c, "GET " LOGS_TARGET " HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (lk = h_engine_request(&H, "GET /containers/web/json HTTP/1.1\r\n")) != NULL);
	/* the decision waits for the answer: the request is not judged yet */
	struct exchange *x = only_exchange(&H);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->dec.verdict, POL_NEED_LOOKUP);
	int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", alen);
	h_send(lk, head, (size_t)hl);
	h_send(lk, ans, alen);
	h_close_after(lk);
	free(ans);
	/* forwarded under the full ID the answer gave */
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/" WEB_ID "/logs?follow=1&stdout=1 "
	    "HTTP/1.1\r\n")) != NULL);
	h_sendf(e, STREAM_HEAD "6\r\nline1\n\r\n");
	H_RUN_UNTIL(&H, h_has(c, "line1\n"));
	ck_assert(strncmp(h_text(c), "HTTP/1.1 200 OK\r\n", 17) == 0);
	*cp = c;
	*ep = e;
}

/* The stream runs: the exchange is alive, allowed, and holds neither the
 * inspect answer nor any other parsed tree; the stream goes on, ends, and
 * the request is recorded as before. */
START_TEST(answers_released_once_decided)
{
	struct h_peer *c, *e;
	h_setup(&H, POLICY_TENANT, NULL);
	start_stream(&c, &e);

	struct exchange *x = only_exchange(&H);
	ck_assert_ptr_nonnull(x);   /* the stream's exchange lives on */
	ck_assert(x->judged);
	ck_assert_int_eq(x->dec.verdict, POL_ALLOW);
	ck_assert_ptr_nonnull(x->pp);
	struct pol_lookup *lookups;
	ck_assert_uint_eq(policy_lookups(x->pp, &lookups), 1);
	ck_assert_int_eq(lookups[0].kind, POL_LOOKUP_CONTAINER);
	ck_assert_int_eq(lookups[0].status, 200);   /* what was asked and answered stays known */
	/* Regression: the 900 KB answer (~10 MB parsed) was held until the
	 * stream ended */
	ck_assert_ptr_null(lookups[0].json);
	ck_assert_uint_eq(policy_prepared_trees(x->pp), 0);

	/* the stream still flows and ends cleanly */
	h_sendf(e, "6\r\nline2\n\r\n");
	H_RUN_UNTIL(&H, h_has(c, "line2\n"));
	h_sendf(e, "0\r\n\r\n");
	H_RUN_UNTIL(&H, h_has(c, "0\r\n\r\n"));
	H_RUN_UNTIL(&H, only_exchange(&H) == NULL);   /* recorded and freed */
	ck_assert(h_log_has(&H, "GET " LOGS_TARGET "\" status=200"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* A denial on a lookup (another tenant's container: the engine's own 404)
 * is answered from the decision alone. */
START_TEST(denial_after_lookup_answered_from_the_decision)
{
	struct h_peer *c, *lk = NULL;
	static const char other[] = "{\"Id\":\"bbbb\",\"Name\":\"/db\",\"Config\":{\"Labels\":"
	    "{\"io.sockward.tenant\":\"blue\"}},\"HostConfig\":{}}";
	h_setup(&H, POLICY_TENANT, NULL);
	c = h_client(&H);
	h_sendf(c, "GET /containers/db/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (lk = h_engine_request(&H, "GET /containers/db/json HTTP/1.1\r\n")) != NULL);
	h_sendf(lk, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", strlen(other), other);
	h_close_after(lk);
	H_RUN_UNTIL(&H, h_has(c, "\r\n\r\n") && h_has(c, "No such container: db"));
	ck_assert(strncmp(h_text(c), "HTTP/1.1 404 ", 13) == 0);
	ck_assert_ptr_null(h_engine_find(&H, "GET /containers/db/logs"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

Suite *
lookup_release_suite(void)
{
	Suite *s = suite_create("lookup_release");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, answers_released_once_decided);
	tcase_add_test(tc, denial_after_lookup_answered_from_the_decision);
	suite_add_tcase(s, tc);
	return s;
}
