/* test_gate_bounds.c - what one request can hold up for others: the quota
 * gate (exchange.c) and the engine connections of policy lookups. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "daemon/engine_client.h"
#include "daemon/image_users.h"
#include "tests/unit/sess_harness.h"

static struct harness H;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
}

/* every client of the harness is this process's uid: tenant red, with a
 * volume quota, so a volume create counts the tenant's volumes */
static const char *
tenant_policy(void)
{
	static char buf[600];
	snprintf(buf, sizeof buf, "{ \"default_profile\": \"p\", \"profiles\": { \"p\": "
	    "{ \"base\": \"baseline\", \"quota\": { \"volumes\": 5 } } }, "
	    "\"bindings\": [ { \"match\": { \"uid\": %u }, \"profile\": \"p\", "
	    "\"tenant\": \"red\" } ] }", (unsigned)getuid());
	return buf;
}

/* the engine connections whose request starts with prefix (complete heads) */
static size_t
engine_count(struct harness *h, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	for (size_t i = 0; i < h->nengine; i++) {
		struct evbuffer *in = h->engine[i]->in;
		if (evbuffer_get_length(in) >= pl &&
		    memcmp(evbuffer_pullup(in, (ev_ssize_t)pl), prefix, pl) == 0 &&
		    evbuffer_search(in, "\r\n\r\n", 4, NULL).pos >= 0)
			n++;
	}
	return n;
}

/* the n-th (0-based) engine connection whose request starts with prefix */
static struct h_peer *
engine_nth(struct harness *h, const char *prefix, size_t nth)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < h->nengine; i++) {
		struct evbuffer *in = h->engine[i]->in;
		if (evbuffer_get_length(in) >= pl &&
		    memcmp(evbuffer_pullup(in, (ev_ssize_t)pl), prefix, pl) == 0 &&
		    evbuffer_search(in, "\r\n\r\n", 4, NULL).pos >= 0 && nth-- == 0)
			return h->engine[i];
	}
	return NULL;
}

/* forget what p received so far (the next answer is read from the start) */
static void
h_evbuffer_reset(struct h_peer *p)
{
	evbuffer_drain(p->in, evbuffer_get_length(p->in));
}

static void
answer_json(struct h_peer *e, int status, const char *body)
{
	h_sendf(e, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", status, strlen(body), body);
	h_close_after(e);
}

static void
send_volume_create(struct h_peer *c, const char *name)
{
	char body[100];
	snprintf(body, sizeof body, "{\"Name\":\"%s\"}", name);
	h_sendf(c, "POST /volumes/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

#define COUNT_VOLUMES "GET /volumes?filters="

/* The volume create of c for name: its own lookup answered (no such
 * volume), so that it goes on to the tenant's count (the quota gate). */
static void
volume_lookup_answered(struct harness *h, const char *name)
{
	char prefix[100];
	struct h_peer *e;
	snprintf(prefix, sizeof prefix, "GET /volumes/%s HTTP/1.1\r\n", name);
	H_RUN_UNTIL(h, (e = h_engine_find(h, prefix)) != NULL && h_has(e, "\r\n\r\n"));
	answer_json(e, 404, "{\"message\":\"get x: no such volume\"}");
}

/* One tenant's create the engine never answers holds the quota gate, and
 * nothing bounds that: the next create (any tenant's: the gate is global)
 * waited behind it for as long as it lasted, past every other timeout
 * (12 s were tried: lookups give up after 10 s, the harness's
 * header_timeout_ms is 10 s).  Now the wait is bounded by
 * limits.quota_wait_ms: the waiter gets a 503 in Docker's form, is never
 * counted nor forwarded, and its connection goes on; the holder keeps the
 * gate until the engine answers it (letting go earlier would let the next
 * count miss what the engine is still creating). */
START_TEST(quota_gate_wait_is_bounded)
{
	struct h_peer *c1, *c2, *cnt, *e1, *e;
	const char *body;
	size_t blen;
	h_setup(&H, tenant_policy(), "\"quota_wait_ms\": 300");
	c1 = h_client(&H);
	send_volume_create(c1, "v1");
	volume_lookup_answered(&H, "v1");
	H_RUN_UNTIL(&H, (cnt = engine_nth(&H, COUNT_VOLUMES, 0)) != NULL);
	answer_json(cnt, 200, "{\"Volumes\":[],\"Warnings\":null}");
	H_RUN_UNTIL(&H, (e1 = h_engine_find(&H, "POST /volumes/create HTTP/1.1\r\n")) != NULL);
	/* the engine does not answer c1's create */

	c2 = h_client(&H);
	int64_t t0 = h_now_ms();
	send_volume_create(c2, "v2");
	volume_lookup_answered(&H, "v2");
	H_RUN_UNTIL_MS(&H, 3000, h_answer_at(c2, 0, &body, &blen) != 0);
	int64_t waited = h_now_ms() - t0;
	ck_assert_int_eq(h_answer_at(c2, 0, &body, &blen), 503);
	h_assert_docker_error(body, blen, "limits.quota_wait_ms");
	ck_assert_int_ge(waited, 250);
	ck_assert_msg(engine_count(&H, COUNT_VOLUMES) == 1, "c2 was counted behind the gate");
	ck_assert_uint_eq(engine_count(&H, "POST /volumes/create"), 1);
	ck_assert(h_log_has(&H, "quota gate: req="));
	ck_assert(h_log_has(&H, "is held by req="));
	ck_assert_int_eq(c2->eof, 0);   /* kept alive */
	h_settle(&H, 20);
	/* audited as sockward's own refusal, not as allowed (it was judged
	 * only as far as "needs lookups") */
	const char *line = h_audit_line_with(&H, "limits.quota_wait_ms");
	ck_assert_msg(line != NULL, "no audit line for the refusal");
	ck_assert_msg(strstr(line, "\"verdict\":\"deny\"") != NULL, "audit: %s", line);
	ck_assert_msg(strstr(line, "\"status\":503") != NULL, "audit: %s", line);

	/* the holder still holds: c2's next create waits and is refused too */
	h_evbuffer_reset(c2);
	send_volume_create(c2, "v3");
	volume_lookup_answered(&H, "v3");
	H_RUN_UNTIL_MS(&H, 3000, h_answer_at(c2, 0, &body, &blen) != 0);
	ck_assert_int_eq(h_answer_at(c2, 0, &body, &blen), 503);
	ck_assert_uint_eq(engine_count(&H, COUNT_VOLUMES), 1);

	/* the engine answers the holder: the gate is free, the next create
	 * is counted and goes on */
	answer_json(e1, 201, "{\"Name\":\"v1\",\"Driver\":\"local\"}");
	H_RUN_UNTIL(&H, h_answer_at(c1, 0, &body, &blen) == 201);
	h_evbuffer_reset(c2);
	send_volume_create(c2, "v4");
	volume_lookup_answered(&H, "v4");
	H_RUN_UNTIL(&H, (cnt = engine_nth(&H, COUNT_VOLUMES, 1)) != NULL);
	answer_json(cnt, 200, "{\"Volumes\":[{\"Name\":\"v1\"}],\"Warnings\":null}");
	H_RUN_UNTIL(&H, (e = engine_nth(&H, "POST /volumes/create HTTP/1.1\r\n", 1)) != NULL);
	ck_assert(h_has(e, "\"Name\":\"v4\""));
	answer_json(e, 201, "{\"Name\":\"v4\",\"Driver\":\"local\"}");
	H_RUN_UNTIL(&H, h_answer_at(c2, 0, &body, &blen) == 201);
}
END_TEST

/* A waiter that leaves before its deadline leaves the queue with it: the
 * requests behind it go on in order once the holder is done. */
START_TEST(quota_gate_waiter_gone_leaves_the_queue)
{
	struct h_peer *c1, *c2, *c3, *cnt, *e1;
	const char *body;
	size_t blen;
	h_setup(&H, tenant_policy(), "\"quota_wait_ms\": 2000");
	c1 = h_client(&H);
	send_volume_create(c1, "v1");
	volume_lookup_answered(&H, "v1");
	H_RUN_UNTIL(&H, (cnt = engine_nth(&H, COUNT_VOLUMES, 0)) != NULL);
	answer_json(cnt, 200, "{\"Volumes\":[],\"Warnings\":null}");
	H_RUN_UNTIL(&H, (e1 = h_engine_find(&H, "POST /volumes/create HTTP/1.1\r\n")) != NULL);
	c2 = h_client(&H);
	send_volume_create(c2, "v2");
	volume_lookup_answered(&H, "v2");
	c3 = h_client(&H);
	send_volume_create(c3, "v3");
	volume_lookup_answered(&H, "v3");
	h_settle(&H, 50);
	h_close(c2);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 2);
	answer_json(e1, 201, "{\"Name\":\"v1\",\"Driver\":\"local\"}");
	H_RUN_UNTIL(&H, h_answer_at(c1, 0, &body, &blen) == 201);
	H_RUN_UNTIL(&H, (cnt = engine_nth(&H, COUNT_VOLUMES, 1)) != NULL);
	answer_json(cnt, 200, "{\"Volumes\":[],\"Warnings\":null}");
	H_RUN_UNTIL(&H, engine_count(&H, "POST /volumes/create HTTP/1.1\r\n") == 2);
	ck_assert_ptr_nonnull(engine_nth(&H, "POST /volumes/create HTTP/1.1\r\n", 1));
	ck_assert(h_has(engine_nth(&H, "POST /volumes/create HTTP/1.1\r\n", 1), "\"Name\":\"v3\""));
	/* past c2's deadline nothing fires for the session that is gone */
	h_settle(&H, 2100);
	ck_assert(!h_log_has(&H, "quota gate: req="));
}
END_TEST

/* ---- engine connections of policy lookups ---------------------------------- */

/* a tenant's create naming 20 volumes: 16 volume lookups at once (the
 * most one judgement asks for, POL_MAX_LOOKUPS) */
static void
send_many_lookups_create(struct h_peer *c)
{
	char body[2048];
	size_t n = (size_t)snprintf(body, sizeof body, "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],"
	    "\"HostConfig\":{\"Mounts\":[");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(body + n, sizeof body - n, "%s{\"Type\":\"volume\",\"Source\":"
		    "\"v%d\",\"Target\":\"/m%d\"}", i ? "," : "", i, i);
	snprintf(body + n, sizeof body - n, "]}}");
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

/* engine connections open now (sockward's end not closed) */
static size_t
engine_open(struct harness *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->nengine; i++)
		if (h->engine[i]->fd >= 0 && !h->engine[i]->eof && !h->engine[i]->rerr)
			n++;
	return n;
}

static int engine_answers;   /* the fake engine answers every request (404) */

static void
answer_404(struct h_peer *e)
{
	if (!engine_answers || e->fd < 0 || e->close_pending || !h_has(e, "\r\n\r\n"))
		return;
	answer_json(e, 404, "{\"message\":\"no such object\"}");
}

/* Each request waiting for its judgement may hold 16 lookup connections,
 * and nothing bounded them together: 4 clients held 64 engine connections
 * at once (4,096 connections could hold 65,536, against a descriptor
 * reserve of 64 for everything that is not a client's).  Now at most
 * ENGINE_LOOKUP_CONNECTIONS are open; the rest wait their turn (within
 * their own deadline) and every request is still judged once the engine
 * answers. */
START_TEST(lookup_connections_are_bounded)
{
	enum { NCLIENTS = 4 };
	struct h_peer *c[NCLIENTS];
	engine_answers = 0;
	h_setup(&H, tenant_policy(), NULL);
	H.engine_on_input = answer_404;
	for (int i = 0; i < NCLIENTS; i++) {
		c[i] = h_client(&H);
		send_many_lookups_create(c[i]);
	}
	/* the engine answers nothing: everything sockward opens stays open */
	H_RUN_UNTIL(&H, engine_count(&H, "GET /volumes/") >= 32);
	h_settle(&H, 300);
	size_t open = engine_open(&H);
	ck_assert_msg(open <= 32, "%zu lookup connections open at once", open);
	ck_assert_uint_eq(engine_count(&H, "GET /volumes/"), 32);
	/* the engine answers: the queued lookups go on, every client is judged */
	engine_answers = 1;
	for (size_t i = 0; i < H.nengine; i++)
		answer_404(H.engine[i]);
	for (int i = 0; i < NCLIENTS; i++)
		H_RUN_UNTIL(&H, h_has(c[i], "\r\n\r\n"));
	ck_assert_uint_ge(engine_count(&H, "GET /volumes/"), 16 * NCLIENTS);
	for (int i = 0; i < NCLIENTS; i++)
		ck_assert(strncmp(h_text(c[i]), "HTTP/1.1 403 ", 13) == 0);
	H_RUN_UNTIL(&H, engine_open(&H) == 0);
}
END_TEST

static int users_done;

static void
users_cb_count(struct pol_lookup *lk, void *arg)
{
	(void)lk; (void)arg;
	users_done++;
}

#define TRANSIENT_CREATE "POST /containers/create?name=sockward-passwd-"

/* Image user reads share the bound.  A cancelled one whose create is still
 * waiting for a connection is dropped unsent (it made nothing, so nothing
 * is left to delete); one whose create was sent still deletes its
 * container, and that delete goes first when a connection frees. */
START_TEST(cancelled_image_users_read_stops)
{
	struct pol_lookup lk1 = { .kind = POL_LOOKUP_IMAGE_USERS, .name = "sha256:aaaa" };
	struct pol_lookup lk2 = { .kind = POL_LOOKUP_IMAGE_USERS, .name = "sha256:bbbb" };
	struct h_peer *c[3], *create1, *e;
	struct users_stats st0, st;
	engine_answers = 0;
	users_cache_clear();
	users_stats(&st0);
	users_done = 0;
	h_setup(&H, tenant_policy(), NULL);
	H.engine_on_input = answer_404;
	/* u1's create goes out while connections are free */
	struct users_req *u1 = users_start(H.srv.gw.base, H.engine_path, &lk1, users_cb_count, NULL);
	ck_assert_ptr_nonnull(u1);
	H_RUN_UNTIL(&H, (create1 = h_engine_find(&H, TRANSIENT_CREATE)) != NULL &&
	    h_has(create1, "\r\n\r\n"));
	/* three requests take the other 31 connections; 17 lookups wait */
	for (int i = 0; i < 3; i++) {
		c[i] = h_client(&H);
		send_many_lookups_create(c[i]);
	}
	H_RUN_UNTIL(&H, engine_count(&H, "GET /volumes/") == 31);
	unsigned active, waiting;
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, 32);
	ck_assert_uint_eq(waiting, 17);
	/* u2's create has to wait; its caller goes away before it is sent */
	struct users_req *u2 = users_start(H.srv.gw.base, H.engine_path, &lk2, users_cb_count, NULL);
	ck_assert_ptr_nonnull(u2);
	h_settle(&H, 50);
	ck_assert_uint_eq(engine_count(&H, TRANSIENT_CREATE), 1);
	users_cancel(u2);
	users_cancel(u1);   /* its create is on its way: it runs on to the delete */
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(waiting, 17);
	/* the engine makes u1's container: the first queued lookup takes that
	 * connection, and u1's delete waits first in line for the next, ahead
	 * of the 16 lookups queued before it */
	h_sendf(create1, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
	    "Content-Length: 30\r\n\r\n{\"Id\":\"0123abc\",\"Warnings\":[]}");
	h_close_after(create1);
	H_RUN_UNTIL(&H, engine_count(&H, "GET /volumes/") == 32);
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(waiting, 17);
	ck_assert_uint_eq(engine_count(&H, "DELETE /containers/sockward-passwd-"), 0);
	/* one lookup answered: the next connection is the delete's */
	struct h_peer *l0 = engine_nth(&H, "GET /volumes/", 0);
	answer_json(l0, 404, "{\"message\":\"no such volume\"}");
	H_RUN_UNTIL(&H, (e = h_engine_find(&H, "DELETE /containers/sockward-passwd-")) != NULL &&
	    h_has(e, "\r\n\r\n"));
	ck_assert_uint_eq(engine_count(&H, "GET /volumes/"), 32);
	answer_json(e, 204, "");
	/* everything else answered: both requests are judged, u2 never made
	 * a container, nothing is left behind and no callback ran */
	engine_answers = 1;
	for (size_t i = 0; i < H.nengine; i++)
		answer_404(H.engine[i]);
	for (int i = 0; i < 3; i++)
		H_RUN_UNTIL(&H, h_has(c[i], "\r\n\r\n"));
	H_RUN_UNTIL(&H, engine_open(&H) == 0);
	ck_assert_uint_eq(engine_count(&H, TRANSIENT_CREATE), 1);
	ck_assert_uint_eq(engine_count(&H, "DELETE /containers/sockward-passwd-"), 1);
	users_stats(&st);
	ck_assert_uint_eq(st.created - st0.created, 1);
	ck_assert_uint_eq(st.deleted - st0.deleted, 1);
	ck_assert_int_eq(users_done, 0);
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, 0);
	ck_assert_uint_eq(waiting, 0);
}
END_TEST

Suite *
gate_bounds_suite(void)
{
	Suite *s = suite_create("gate_bounds");
	TCase *tc = tcase_create("quota_gate");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, quota_gate_wait_is_bounded);
	tcase_add_test(tc, quota_gate_waiter_gone_leaves_the_queue);
	suite_add_tcase(s, tc);
	tc = tcase_create("lookup_connections");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lookup_connections_are_bounded);
	tcase_add_test(tc, cancelled_image_users_read_stops);
	suite_add_tcase(s, tc);
	return s;
}
