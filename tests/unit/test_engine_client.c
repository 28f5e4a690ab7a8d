/* test_engine_client.c - the engine client against a fake engine on a unix
 * socket, both on one event loop in this process.
 *
 * The fake engine reads one request head and answers with canned bytes,
 * all at once or one byte per loop turn, then keeps the connection open
 * (so a test proves the client completes on the parser's end of message,
 * not on EOF), closes it, or says nothing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/engine_client.h"

enum after { KEEP_OPEN, CLOSE };

static struct event_base *base;
static struct evconnlistener *listener;
static char dir[64], sock[128];

/* what the engine does */
static const char *answer;     /* NULL: never answer */
static int byte_by_byte;
static enum after after;
static char request[1024];     /* the request head it received */

/* the engine's connection (one per test) */
static struct bufferevent *ebev;
static struct event *dribble;
static size_t sent;

/* what the client reported */
static int ncalls, got_status, got_unsent;
static char got_body[8192], got_error[256];
static json_t *got_json;

static void
engine_close(void)
{
	if (dribble != NULL)
		event_free(dribble);
	dribble = NULL;
	if (ebev != NULL)
		bufferevent_free(ebev);
	ebev = NULL;
}

static void
engine_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (after == CLOSE && request[0] != '\0' && answer[sent] == '\0' &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		engine_close();
}

static void
dribble_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tick = { 0, 1000 };
	(void)fd; (void)what; (void)arg;
	if (ebev == NULL || answer[sent] == '\0')
		return;
	bufferevent_write(ebev, answer + sent, 1);
	sent++;
	if (answer[sent] != '\0')
		evtimer_add(dribble, &tick);
}

static void
engine_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t n;

	(void)arg;
	if (end.pos < 0 || request[0] != '\0')
		return;
	n = (size_t)end.pos + 4 < sizeof(request) - 1 ? (size_t)end.pos + 4 : sizeof(request) - 1;
	evbuffer_remove(in, request, n);
	request[n] = '\0';
	if (answer == NULL)
		return;   /* hang */
	if (byte_by_byte) {
		dribble = evtimer_new(base, dribble_cb, NULL);
		dribble_cb(-1, 0, NULL);
	} else if (answer[0] == '\0') {
		if (after == CLOSE)
			engine_close();
	} else {
		bufferevent_write(bev, answer, strlen(answer));
		sent = strlen(answer);
	}
}

static void
engine_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)what; (void)arg;
	engine_close();   /* the client went away */
}

static void
engine_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	(void)l; (void)sa; (void)salen; (void)arg;
	ck_assert_ptr_null(ebev);
	ebev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(ebev, engine_read, engine_written, engine_event, NULL);
	bufferevent_enable(ebev, EV_READ | EV_WRITE);
}

static void
setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(dir, "/tmp/sw-engcl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/engine.sock", dir);
	strcpy(sun.sun_path, sock);
	base = event_base_new();
	listener = evconnlistener_new_bind(base, engine_accept, NULL, LEV_OPT_CLOSE_ON_FREE, 8,
	    (struct sockaddr *)&sun, sizeof(sun));
	ck_assert_ptr_nonnull(listener);
	answer = NULL;
	byte_by_byte = 0;
	after = KEEP_OPEN;
	request[0] = '\0';
	sent = 0;
	ncalls = 0;
	got_status = -1;
	got_body[0] = got_error[0] = '\0';
	got_json = NULL;
}

static void
teardown(void)
{
	engine_close();
	if (listener != NULL)
		evconnlistener_free(listener);
	listener = NULL;
	event_base_free(base);
	json_decref(got_json);
	unlink(sock);
	rmdir(dir);
}

static void
on_answer(const struct engine_answer *a, void *arg)
{
	size_t n = evbuffer_get_length(a->body);

	(void)arg;
	ncalls++;
	got_status = a->status;
	got_unsent = a->unsent;
	ck_assert_uint_lt(n, sizeof(got_body));
	evbuffer_copyout(a->body, got_body, n);
	got_body[n] = '\0';
	snprintf(got_error, sizeof(got_error), "%s", a->error);
	ck_assert(a->status == 0 ? a->error[0] != '\0' : a->error[0] == '\0');
	got_json = a->json ? json_incref(a->json) : NULL;
	event_base_loopexit(base, NULL);
}

/* Run one GET and wait (bounded) for its answer. */
static void
run(const char *path, const struct engine_opts *o)
{
	struct timeval limit = { 5, 0 };
	struct engine_req *r = engine_get(base, sock, path, o, on_answer, NULL);

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(ncalls, 0);   /* never inside engine_get */
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	ck_assert_int_eq(ncalls, 1);
}

static const char chunked[] = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    "8\r\n{\"Id\":\"a\r\n6\r\nbc\",\"U\r\n9\r\nser\":\"1\"}\r\n0\r\n\r\n";

START_TEST(chunked_answer)
{
	struct engine_opts o = { .want_json = 1, .user_agent = "sockward-test" };

	answer = chunked;
	run("/images/busybox/json", &o);
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(got_body, "{\"Id\":\"abc\",\"User\":\"1\"}");
	ck_assert_ptr_nonnull(got_json);
	ck_assert_str_eq(json_string_value(json_object_get(got_json, "User")), "1");
	ck_assert_str_eq(request, "GET /images/busybox/json HTTP/1.1\r\nHost: docker\r\n"
	    "User-Agent: sockward-test\r\nConnection: close\r\n\r\n");
}
END_TEST

/* An error answer is an answer: its status and body reach the caller. */
START_TEST(content_length_answer)
{
	struct engine_opts o = { .want_json = 1 };

	answer = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: 32\r\n\r\n{\"message\":\"No such image: x:1\"}";
	run("/images/x:1/json", &o);
	ck_assert_int_eq(got_status, 404);
	ck_assert_str_eq(got_body, "{\"message\":\"No such image: x:1\"}");
	ck_assert_str_eq(json_string_value(json_object_get(got_json, "message")),
	    "No such image: x:1");
}
END_TEST

START_TEST(answer_in_one_byte_writes)
{
	struct engine_opts o = { .want_json = 1 };

	answer = "HTTP/1.1 100 Continue\r\n\r\n";   /* an interim answer first */
	static char both[512];
	snprintf(both, sizeof(both), "%s%s", answer, chunked);
	answer = both;
	byte_by_byte = 1;
	run("/images/busybox/json", &o);
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(got_body, "{\"Id\":\"abc\",\"User\":\"1\"}");
	ck_assert_ptr_nonnull(got_json);
	ck_assert_uint_eq(sent, strlen(both));
}
END_TEST

/* A body that runs to EOF is complete at EOF; a framed one cut short is not. */
START_TEST(engine_closes_mid_answer)
{
	answer = "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"Id\":";
	after = CLOSE;
	run("/_ping", NULL);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "connection closed before a complete answer");
}
END_TEST

START_TEST(engine_closes_before_answering)
{
	answer = "";
	after = CLOSE;
	run("/_ping", NULL);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "connection closed before a complete answer");
}
END_TEST

START_TEST(body_delimited_by_eof)
{
	answer = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nOK";
	after = CLOSE;
	run("/_ping", NULL);
	ck_assert_int_eq(got_status, 200);
	ck_assert_str_eq(got_body, "OK");
	ck_assert_ptr_null(got_json);   /* not asked for */
}
END_TEST

START_TEST(malformed_status_line)
{
	static const char *const bad[] = {
		"HTTP/1.1 2O0 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 1200 OK\r\nContent-Length: 0\r\n\r\n",
		"200 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		teardown();
		setup();
		answer = bad[i];
		run("/_ping", NULL);
		ck_assert_int_eq(got_status, 0);
		ck_assert_msg(strncmp(got_error, "malformed answer: ", 18) == 0, "%s: %s", bad[i],
		    got_error);
	}
}
END_TEST

/* Framing the proxy refuses is refused here too (the same parser). */
START_TEST(bad_framing_is_malformed)
{
	answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK";
	run("/_ping", NULL);
	ck_assert_int_eq(got_status, 0);
	ck_assert_msg(strstr(got_error, "Content-Length") != NULL, "%s", got_error);
}
END_TEST

START_TEST(oversized_answer)
{
	static char big[8192];
	struct engine_opts o = { .max_bytes = 1024 };
	int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n");

	memset(big + n, 'x', 4000);
	big[n + 4000] = '\0';
	answer = big;
	run("/info", &o);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "answer larger than 1024 bytes");

	/* the same answer fits a bound its size */
	teardown();
	setup();
	answer = big;
	o.max_bytes = strlen(big);
	run("/info", &o);
	ck_assert_int_eq(got_status, 200);
	ck_assert_uint_eq(strlen(got_body), 4000);
}
END_TEST

START_TEST(timeout)
{
	struct engine_opts o = { .timeout_ms = 100 };

	answer = NULL;   /* the engine takes the request and says nothing */
	run("/_ping", &o);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "no answer within 100 ms");
	ck_assert_int_eq(got_unsent, 0);
	ck_assert_str_ne(request, "");
}
END_TEST

/* A slow engine is bounded too: the deadline counts from the start. */
START_TEST(timeout_while_dribbling)
{
	struct engine_opts o = { .timeout_ms = 30 };

	answer = chunked;
	byte_by_byte = 1;
	run("/_ping", &o);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "no answer within 30 ms");
}
END_TEST

START_TEST(no_engine)
{
	unlink(sock);
	run("/_ping", NULL);
	ck_assert_int_eq(got_status, 0);
	ck_assert_msg(strstr(got_error, "No such file or directory") != NULL, "%s", got_error);
}
END_TEST

START_TEST(cancel_before_completion)
{
	struct timeval t = { 0, 50 * 1000 };
	struct engine_req *r;

	/* cancelled at once: not even the connection is made */
	answer = chunked;
	r = engine_get(base, sock, "/_ping", NULL, on_answer, NULL);
	ck_assert_ptr_nonnull(r);
	engine_cancel(r);
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	ck_assert_int_eq(ncalls, 0);

	/* cancelled while the engine thinks */
	answer = NULL;
	r = engine_get(base, sock, "/_ping", NULL, on_answer, NULL);
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	ck_assert_str_ne(request, "");
	engine_cancel(r);
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	ck_assert_int_eq(ncalls, 0);
	ck_assert_ptr_null(ebev);   /* the engine saw the connection go */

	/* a failed start is cancelled before it is reported */
	unlink(sock);
	r = engine_get(base, sock, "/_ping", NULL, on_answer, NULL);
	ck_assert_ptr_nonnull(r);
	engine_cancel(r);
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	ck_assert_int_eq(ncalls, 0);
}
END_TEST

START_TEST(refuses_bad_requests)
{
	ck_assert_ptr_null(engine_get(base, sock, "/a b", NULL, on_answer, NULL));
	ck_assert_ptr_null(engine_get(base, sock, "/a\r\nX: y", NULL, on_answer, NULL));
	ck_assert_ptr_null(engine_get(base, sock, "_ping", NULL, on_answer, NULL));
	ck_assert_ptr_null(engine_get(base, "/tmp/" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890123456789012345678",
	    "/_ping", NULL, on_answer, NULL));
	ck_assert_int_eq(ncalls, 0);
}
END_TEST

/* Policy lookups (engine_opts.limited) have at most ENGINE_LOOKUP_CONNECTIONS
 * engine connections at once; past that a request waits, in order, within
 * its own deadline, and connects when one closes.  Other requests (the
 * /healthz probe, doctor) are not held back. */
START_TEST(limited_requests_wait_their_turn)
{
	struct engine_opts hang = { .timeout_ms = 5000, .limited = 1 };
	struct engine_opts quick = { .timeout_ms = 150, .limited = 1 };
	struct engine_opts other = { .timeout_ms = 5000 };
	struct engine_req *r[ENGINE_LOOKUP_CONNECTIONS], *q, *q2, *o;
	struct timeval t = { 0, 50 * 1000 }, limit = { 3, 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned active, waiting;

	/* an engine that takes connections (the backlog) and never reads */
	evconnlistener_free(listener);
	listener = NULL;
	unlink(sock);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, sock);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(l, 128), 0);

	for (int i = 0; i < ENGINE_LOOKUP_CONNECTIONS; i++) {
		r[i] = engine_get(base, sock, "/_ping", &hang, on_answer, NULL);
		ck_assert_ptr_nonnull(r[i]);
		ck_assert(!engine_queued(r[i]));
	}
	event_base_loopexit(base, &t);
	event_base_dispatch(base);
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, ENGINE_LOOKUP_CONNECTIONS);
	ck_assert_uint_eq(waiting, 0);
	q = engine_get(base, sock, "/_ping", &quick, on_answer, NULL);
	ck_assert(engine_queued(q));
	o = engine_get(base, sock, "/_ping", &other, on_answer, NULL);
	ck_assert(!engine_queued(o));
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, ENGINE_LOOKUP_CONNECTIONS);
	ck_assert_uint_eq(waiting, 1);
	/* the waiting one gives up at its deadline, saying why */
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	ck_assert_int_eq(ncalls, 1);
	ck_assert_int_eq(got_status, 0);
	ck_assert_str_eq(got_error, "no engine connection free for policy lookups within 150 ms "
	    "(32 in use)");
	ck_assert_int_eq(got_unsent, 1);
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(waiting, 0);
	/* one closes: the next waiting one connects in its place */
	q2 = engine_get(base, sock, "/_ping", &hang, on_answer, NULL);
	ck_assert(engine_queued(q2));
	engine_cancel(r[0]);
	ck_assert(!engine_queued(q2));
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, ENGINE_LOOKUP_CONNECTIONS);
	ck_assert_uint_eq(waiting, 0);
	for (int i = 1; i < ENGINE_LOOKUP_CONNECTIONS; i++)
		engine_cancel(r[i]);
	engine_cancel(q2);
	engine_cancel(o);
	engine_limited_stats(&active, &waiting);
	ck_assert_uint_eq(active, 0);
	ck_assert_int_eq(ncalls, 1);
	close(l);
}
END_TEST

/* What one limited request reported (the budget test tells several apart). */
struct got { int n, status, unsent; };

static void
on_answer_into(const struct engine_answer *a, void *arg)
{
	struct got *g = arg;
	g->n++;
	g->status = a->status;
	g->unsent = a->unsent;
}

/* Run the loop until cond or ms pass. */
#define RUN_UNTIL_MS(ms, cond) do {                                               \
	struct timeval step_ = { 0, 10 * 1000 };                                    \
	for (int i_ = 0; i_ < (ms) / 10 && !(cond); i_++) {                         \
		event_base_loopexit(base, &step_);                                      \
		event_base_dispatch(base);                                              \
	}                                                                           \
} while (0)

/* A request that waits at the head of the line for room in the lookup
 * budget must not hold back the ones behind it that the budget cannot help:
 * an image user read (no account: it needs only a connection) goes on, and
 * a lookup of a request that already holds answers (a second round) is
 * given up at once, as it would be at the head (hold and wait).  Before,
 * both waited behind the head, whose room only they could give back: every
 * lookup stood still until the head's deadline (10 s), then all were
 * refused. */
START_TEST(budget_wait_does_not_block_the_line)
{
	struct engine_account y = { .cap = ENGINE_REQUEST_BUDGET };
	struct engine_account z = { .cap = ENGINE_REQUEST_BUDGET };
	struct engine_opts oy = { .timeout_ms = 5000, .want_json = 1, .limited = 1, .account = &y };
	/* an answer as big as the whole budget: room only while nothing is held */
	struct engine_opts oz = { .timeout_ms = 5000, .want_json = 1, .limited = 1, .account = &z,
	    .max_bytes = ENGINE_LOOKUP_BUDGET };
	/* y's second round: no room for it either (the daemon's lookups all
	 * have one bound) */
	struct engine_opts oy2 = oz;
	oy2.account = &y;
	struct engine_opts on = { .timeout_ms = 5000, .want_json = 1, .limited = 1 };
	struct got gy1 = { 0 }, gh = { 0 }, gy2 = { 0 }, gn = { 0 };
	answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	after = CLOSE;

	/* y's first round: its answer is held (charged until y is released) */
	ck_assert_ptr_nonnull(engine_get(base, sock, "/containers/a/json", &oy, on_answer_into, &gy1));
	RUN_UNTIL_MS(3000, gy1.n == 1 && ebev == NULL);
	ck_assert_int_eq(gy1.status, 200);
	ck_assert_uint_gt(y.bytes, 0);
	ck_assert_uint_eq(engine_budget()->bytes, y.bytes);
	request[0] = '\0';

	struct engine_req *h = engine_get(base, sock, "/containers/h/json", &oz, on_answer_into, &gh);
	ck_assert(engine_queued(h));   /* waits for the budget */
	struct engine_req *y2 = engine_get(base, sock, "/containers/b/json", &oy2, on_answer_into, &gy2);
	ck_assert_ptr_nonnull(y2);
	struct engine_req *n = engine_get(base, sock, "/images/x/get", &on, on_answer_into, &gn);
	ck_assert_ptr_nonnull(n);
	RUN_UNTIL_MS(1000, gy2.n == 1 && gn.n == 1);
	ck_assert_msg(gy2.n == 1, "y's second round still waits behind the head");
	ck_assert_int_eq(gy2.status, 0);
	ck_assert_int_eq(gy2.unsent, 1);
	ck_assert_ptr_eq(y.full, engine_budget());
	ck_assert_msg(gn.n == 1, "an image user read still waits behind the head");
	ck_assert_int_eq(gn.status, 200);
	ck_assert_int_eq(gh.n, 0);
	ck_assert(engine_queued(h));

	/* y is refused and gives its answer back: the head's turn */
	engine_account_release(&y);
	ck_assert(!engine_queued(h));
	engine_cancel(h);
	ck_assert_uint_eq(engine_budget()->bytes, 0);
	ck_assert_uint_eq(y.bytes, 0);
	ck_assert_uint_eq(z.bytes, 0);
}
END_TEST

Suite *
engine_client_suite(void)
{
	Suite *s = suite_create("engine_client");
	TCase *tc = tcase_create("fake_engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, chunked_answer);
	tcase_add_test(tc, content_length_answer);
	tcase_add_test(tc, answer_in_one_byte_writes);
	tcase_add_test(tc, engine_closes_mid_answer);
	tcase_add_test(tc, engine_closes_before_answering);
	tcase_add_test(tc, body_delimited_by_eof);
	tcase_add_test(tc, malformed_status_line);
	tcase_add_test(tc, bad_framing_is_malformed);
	tcase_add_test(tc, oversized_answer);
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, timeout_while_dribbling);
	tcase_add_test(tc, no_engine);
	tcase_add_test(tc, cancel_before_completion);
	tcase_add_test(tc, refuses_bad_requests);
	tcase_add_test(tc, limited_requests_wait_their_turn);
	tcase_add_test(tc, budget_wait_does_not_block_the_line);
	suite_add_tcase(s, tc);
	return s;
}
